/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control requests: status, stats, apply, lookup, rollback, detach. Each
 * takes the request object and returns the answer object ({"ok": ...}).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/daemon.h"
#include "daemon/log.h"
#include "daemon/rules_adapter.h"
#include "daemon/stats.h"

static json_t *fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static json_t *fail(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_t *o = json_object();
	json_object_set_new(o, "ok", json_false());
	json_object_set_new(o, "error", json_string(buf));
	return o;
}

static json_t *ok(void)
{
	json_t *o = json_object();
	json_object_set_new(o, "ok", json_true());
	return o;
}

static const char *steer_name(unsigned s)
{
	switch (s) {
	case KS_STEER_GUE:
		return "gue";
	case KS_STEER_IPIP:
		return "ipip";
	case KS_STEER_NAT:
		return "nat";
	}
	return "unknown";
}

static const char *sticky_name(unsigned s)
{
	switch (s) {
	case KS_STICKY_FLOW:
		return "flow";
	case KS_STICKY_ENTITY:
		return "entity";
	case KS_STICKY_NONE:
		return "none";
	}
	return "unknown";
}

static void addr_str(const struct ks_addr *a, unsigned family, char *buf, size_t len)
{
	if (family == KS_AF_INET6)
		inet_ntop(AF_INET6, a->w, buf, (socklen_t)len);
	else if (family == KS_AF_INET)
		inet_ntop(AF_INET, a->w, buf, (socklen_t)len);
	else
		snprintf(buf, len, "-");
}

static void mac_str(const uint8_t *m, char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static const char *shard_name(const struct ks_compiled *c, unsigned id)
{
	if (c && id < c->n_shards && c->shards[id].name)
		return c->shards[id].name;
	return NULL;
}

static json_t *shard_json(const struct ks_compiled *c, unsigned id, const struct ks_shard *s)
{
	char vip[INET6_ADDRSTRLEN], src[INET6_ADDRSTRLEN], smac[24], dmac[24];
	json_t *o = json_object();
	const char *name = shard_name(c, id);
	json_object_set_new(o, "shard", name ? json_string(name) : json_null());
	json_object_set_new(o, "shard_id", json_integer(id));
	addr_str(&s->vip, s->family, vip, sizeof(vip));
	json_object_set_new(o, "vip", json_string(vip));
	json_object_set_new(o, "port", json_integer(ntohs(s->port)));
	json_object_set_new(o, "steer", json_string(steer_name(s->steer)));
	json_t *nh = json_object();
	json_object_set_new(nh, "resolved", json_boolean(s->nh_valid));
	if (s->nh_valid) {
		addr_str(&s->src, s->family, src, sizeof(src));
		mac_str(s->smac, smac, sizeof(smac));
		mac_str(s->dmac, dmac, sizeof(dmac));
		json_object_set_new(nh, "ifindex", json_integer(s->ifindex));
		json_object_set_new(nh, "smac", json_string(smac));
		json_object_set_new(nh, "dmac", json_string(dmac));
		json_object_set_new(nh, "src", json_string(src));
		json_object_set_new(nh, "mtu", json_integer(s->mtu));
	}
	json_object_set_new(o, "next_hop", nh);
	return o;
}

static json_t *do_lookup(struct ks_daemon *d, json_t *req)
{
	const char *text = json_string_value(json_object_get(req, "key"));
	if (!text)
		return fail("lookup: missing \"key\"");
	uint64_t key = ks_rules_key_of(text);
	struct ks_dp_lookup lk;
	int rc = d->dp->ops->lookup(d->dp, key, &lk);
	if (rc < 0)
		return fail("lookup: no rule set is active");
	const struct ks_compiled *c = d->applier.active;
	/* Names are only valid when the in-memory set is the one in the tables. */
	if (c && c->version != lk.version)
		c = NULL;

	json_t *o = ok();
	char hex[24], why[512];
	snprintf(hex, sizeof(hex), "0x%016" PRIx64, key);
	json_object_set_new(o, "key", json_string(text));
	json_object_set_new(o, "hash", json_string(hex));
	json_object_set_new(o, "version", json_integer((json_int_t)lk.version));
	json_object_set_new(o, "generation", json_integer(lk.gen));
	json_object_set_new(o, "found", json_boolean(lk.found));
	if (!lk.found) {
		const char *act = lk.default_action == KS_DEFAULT_PASS ? "pass" : "drop";
		json_object_set_new(o, "decision", json_string(act));
		snprintf(why, sizeof(why),
			 "key %s is not in generation %u (version %" PRIu64
			 "): the rule set's default (%s) applies",
			 hex, lk.gen, lk.version, act);
		json_object_set_new(o, "why", json_string(why));
		return o;
	}
	json_object_set_new(o, "decision", json_string("steer"));
	long idx = c ? ks_compiled_find(c, key) : -1;
	if (idx >= 0 && c->route_info) {
		json_object_set_new(o, "rule", json_integer(c->route_info[idx].rule_index));
		json_object_set_new(o, "key_text", json_string(c->route_info[idx].text));
	}
	json_object_set_new(o, "sticky", json_string(sticky_name(lk.route.sticky)));
	json_object_set_new(o, "stats_slot", json_integer(lk.route.stats_slot));
	json_t *targets = json_array();
	unsigned prev = 0;
	for (unsigned i = 0; i < lk.route.n_targets && i < KS_MAX_TARGETS; i++) {
		const struct ks_target *t = &lk.route.t[i];
		unsigned first = i == 0 ? 0 : prev + 1;
		json_t *x = shard_json(c, t->shard, &lk.targets[i]);
		json_object_set_new(x, "buckets_first", json_integer(first));
		json_object_set_new(x, "buckets_last", json_integer(t->last));
		json_object_set_new(x, "weight_percent",
				    json_real(100.0 * (t->last - first + 1) / KS_WEIGHT_BUCKETS));
		json_array_append_new(targets, x);
		prev = t->last;
	}
	json_object_set_new(o, "targets", targets);
	if (lk.route.shadow_shard != KS_NO_SHARD) {
		json_t *x = shard_json(c, lk.route.shadow_shard, &lk.shadow);
		json_object_set_new(x, "percent",
				    json_real(100.0 * lk.route.shadow_thresh / KS_WEIGHT_BUCKETS));
		json_object_set_new(o, "shadow", x);
	}
	snprintf(why, sizeof(why),
		 "key %s is in generation %u (version %" PRIu64 "%s%s%s): %u target(s), "
		 "chosen by the %s hash over 2^16 weight buckets",
		 hex, lk.gen, lk.version, idx >= 0 ? ", " : "",
		 idx >= 0 && c->route_info ? "route " : "",
		 idx >= 0 && c->route_info ? c->route_info[idx].text : "", lk.route.n_targets,
		 lk.route.sticky == KS_STICKY_ENTITY ? "entity"
		 : lk.route.sticky == KS_STICKY_NONE ? "per-packet"
						     : "5-tuple flow");
	json_object_set_new(o, "why", json_string(why));
	return o;
}

static json_t *do_status(struct ks_daemon *d)
{
	json_t *o = ok();
	json_t *dm = json_object();
	json_object_set_new(dm, "pid", json_integer(getpid()));
	json_object_set_new(dm, "host", json_string(d->host_id));
	json_object_set_new(dm, "started_ms", json_integer(d->started_ms));
	json_object_set_new(dm, "dataplane", json_string(d->dp->ops->name));
	json_t *ifs = json_array();
	for (int i = 0; i < d->opt.n_ifaces; i++)
		json_array_append_new(ifs, json_string(d->opt.ifaces[i]));
	json_object_set_new(dm, "ifaces", ifs);
	json_object_set_new(dm, "xdp_mode", json_string(d->opt.xdp_mode));
	json_object_set_new(dm, "pin_root", json_string(d->opt.pin_root));
	json_object_set_new(dm, "socket", json_string(d->opt.socket_path));
	json_object_set_new(dm, "metrics", json_string(d->opt.metrics));
	json_object_set_new(o, "daemon", dm);
	json_object_set_new(o, "feed", d->feed ? d->feed->ops->status(d->feed) : json_null());
	json_object_set_new(o, "rules", ks_applier_status_json(&d->applier));
	return o;
}

static json_t *attempt_answer(const struct ks_attempt *a)
{
	json_t *o = json_object();
	json_object_set_new(o, "ok", json_boolean(a->result == KS_APPLY_APPLIED));
	json_object_set_new(o, "attempt", ks_attempt_to_json(a));
	if (a->result != KS_APPLY_APPLIED)
		json_object_set_new(
		    o, "error",
		    json_string(json_array_size(a->errors)
				    ? json_string_value(json_array_get(a->errors, 0))
				    : ks_apply_result_name(a->result)));
	return o;
}

static json_t *do_apply(struct ks_daemon *d, json_t *req)
{
	json_t *rules = json_object_get(req, "rules");
	const char *src = json_string_value(json_object_get(req, "source"));
	if (!json_is_string(rules))
		return fail("apply: missing \"rules\" (the rule-set text)");
	char source[512];
	snprintf(source, sizeof(source), "ctl:%s", src ? src : "-");
	const struct ks_attempt *a = ks_applier_apply(&d->applier, json_string_value(rules),
						      json_string_length(rules), source, 0, 0);
	return attempt_answer(a);
}

static json_t *do_rollback(struct ks_daemon *d, json_t *req)
{
	json_t *jv = json_object_get(req, "version");
	uint64_t version = 0;
	if (jv && !json_is_null(jv)) {
		if (!json_is_integer(jv) || json_integer_value(jv) <= 0)
			return fail("rollback: \"version\" must be a positive integer");
		version = (uint64_t)json_integer_value(jv);
	}
	if (!d->applier.active_version)
		return fail("rollback: no rule set is active");

	char *text = NULL, *source = NULL;
	size_t len = 0;
	struct ksd_text *kept = NULL;
	int rc = -ENOTSUP;
	if (d->feed)
		rc = d->feed->ops->fetch_version(d->feed, version, d->applier.active_version, &text,
						 &len, &source);
	if (rc < 0) {
		/* The feed keeps no history (file), or not that far: our own copies. */
		const struct ks_kept_doc *k = ks_applier_find_kept(&d->applier, version);
		if (!k) {
			if (version)
				return fail("rollback: version %" PRIu64
					    " is in neither the feed's history nor the %d "
					    "rule sets kept",
					    version, d->opt.rollback_keep);
			return fail("rollback: no version older than %" PRIu64
				    " is in the feed's history or kept",
				    d->applier.active_version);
		}
		kept = ksd_text_ref(k->text);
		source = strdup(k->source);
	}
	char src[600];
	snprintf(src, sizeof(src), "rollback:%s", source ? source : "-");
	const struct ks_attempt *a =
	    kept ? ks_applier_apply_text(&d->applier, kept, NULL, src, KS_APPLY_ROLLBACK, 0)
		 : ks_applier_apply(&d->applier, text, len, src, KS_APPLY_ROLLBACK, 0);
	ksd_text_unref(kept);
	free(text);
	free(source);
	return attempt_answer(a);
}

static json_t *do_detach(struct ks_daemon *d)
{
	char err[512] = "";
	if (d->dp->ops->detach(d->dp, err, sizeof(err)) < 0)
		return fail("detach: %s", err[0] ? err : "failed");
	d->dp->detached = true;
	d->detach_requested = true;
	ks_warn("detached the data plane on request; keysteerd exits");
	/* Stop after this answer is written: the loop finishes this iteration. */
	ks_loop_stop(d->loop);
	json_t *o = ok();
	json_object_set_new(o, "detached", json_true());
	return o;
}

json_t *ks_daemon_stats(struct ks_daemon *d, int top_n)
{
	struct ksd_stats_snapshot s;
	int rc = ksd_stats_collect(&d->applier, &s, (uint32_t)top_n);
	if (rc < 0) {
		ksd_stats_free(&s);
		return fail("stats: cannot read the counters: %s", strerror(-rc));
	}
	json_t *o = ok();
	json_object_set_new(o, "version", json_integer((json_int_t)d->applier.active_version));
	json_object_set_new(o, "stats", ksd_stats_to_json(&s));
	ksd_stats_free(&s);
	return o;
}

json_t *ks_daemon_handle(struct ks_daemon *d, json_t *req)
{
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	if (!cmd)
		return fail("missing \"cmd\"");
	ks_debug("control request: %s", cmd);
	if (strcmp(cmd, "status") == 0)
		return do_status(d);
	if (strcmp(cmd, "stats") == 0) {
		json_t *jn = json_object_get(req, "top");
		int top = json_is_integer(jn) ? (int)json_integer_value(jn) : d->opt.top_keys;
		return ks_daemon_stats(d, top);
	}
	if (strcmp(cmd, "apply") == 0)
		return do_apply(d, req);
	if (strcmp(cmd, "lookup") == 0)
		return do_lookup(d, req);
	if (strcmp(cmd, "rollback") == 0)
		return do_rollback(d, req);
	if (strcmp(cmd, "detach") == 0)
		return do_detach(d);
	return fail("unknown command '%s'", cmd);
}
