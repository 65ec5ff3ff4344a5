/* SPDX-License-Identifier: BSD-3-Clause */
#include "daemon/apply.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/feed.h"
#include "daemon/incremental.h"
#include "daemon/log.h"
#include "daemon/rules_adapter.h"
#include "rules/layout.h"

const double ks_latency_bounds[KS_LATENCY_BUCKETS] = {
    0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30,
};

static const char *const result_names[] = {"applied", "rejected", "refused", "failed"};

const char *ks_apply_result_name(enum ks_apply_result r)
{
	return (unsigned)r < 4 ? result_names[r] : "unknown";
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void attempt_clear(struct ks_attempt *a)
{
	free(a->source);
	json_decref(a->errors);
	memset(a, 0, sizeof(*a));
}

static void kept_clear(struct ks_kept_doc *d)
{
	ksd_text_unref(d->text);
	free(d->source);
	memset(d, 0, sizeof(*d));
}

int ks_applier_init(struct ks_applier *ap, struct ks_dataplane *dp, int history, int keep)
{
	memset(ap, 0, sizeof(*ap));
	ap->dp = dp;
	ap->incremental = true;
	ap->compile_threads = 1;
	ap->ring_cap = history > 0 ? history : 1;
	ap->ring = calloc((size_t)ap->ring_cap, sizeof(*ap->ring));
	ap->keep_cap = keep;
	ap->kept = keep > 0 ? calloc((size_t)keep, sizeof(*ap->kept)) : NULL;
	if (!ap->ring || (keep > 0 && !ap->kept))
		return -1;
	/*
	 * Tables adopted from a previous run: their version is the floor, or the
	 * floor recorded with them by a rollback, if higher.
	 */
	ap->active_version = dp->ops->active_version(dp);
	ap->high_water = ap->active_version;
	if (dp->ops->rollback_floor) {
		uint64_t floor = dp->ops->rollback_floor(dp);

		if (floor > ap->high_water) {
			ap->high_water = floor;
			ks_info("rollback floor %" PRIu64 " kept with the tables: the feed must "
				"go above it",
				floor);
		}
	}
	if (ap->active_version) {
		ap->active_source = strdup("adopted from the pinned tables");
		ap->active_since_ms = wall_ms();
	}
	return 0;
}

void ks_applier_free(struct ks_applier *ap)
{
	for (int i = 0; i < ap->ring_cap; i++)
		attempt_clear(&ap->ring[i]);
	free(ap->ring);
	for (int i = 0; i < ap->keep_len; i++)
		kept_clear(&ap->kept[i]);
	free(ap->kept);
	ks_compiled_free(ap->active);
	ksd_index_free(ap->index);
	free(ap->active_source);
	memset(ap, 0, sizeof(*ap));
}

static void keep_doc(struct ks_applier *ap, uint64_t version, struct ksd_text *text,
		     const char *source)
{
	if (ap->keep_cap <= 0)
		return;
	struct ks_kept_doc nd = {.version = version, .text = ksd_text_ref(text)};
	nd.source = strdup(source);
	if (!nd.source) {
		kept_clear(&nd);
		return;
	}
	/* Drop an older copy of the same version, then push in front. */
	for (int i = 0; i < ap->keep_len; i++) {
		if (ap->kept[i].version == version) {
			kept_clear(&ap->kept[i]);
			memmove(&ap->kept[i], &ap->kept[i + 1],
				sizeof(*ap->kept) * (size_t)(ap->keep_len - i - 1));
			ap->keep_len--;
			break;
		}
	}
	if (ap->keep_len == ap->keep_cap)
		kept_clear(&ap->kept[--ap->keep_len]);
	memmove(&ap->kept[1], &ap->kept[0], sizeof(*ap->kept) * (size_t)ap->keep_len);
	ap->kept[0] = nd;
	ap->keep_len++;
}

const struct ks_kept_doc *ks_applier_find_kept(const struct ks_applier *ap, uint64_t version)
{
	const struct ks_kept_doc *best = NULL;
	for (int i = 0; i < ap->keep_len; i++) {
		const struct ks_kept_doc *d = &ap->kept[i];
		if (version && d->version == version)
			return d;
		if (!version && d->version < ap->active_version &&
		    (!best || d->version > best->version))
			best = d;
	}
	return version ? NULL : best;
}

static void observe_latency(struct ks_applier *ap, uint64_t ns)
{
	double s = (double)ns / 1e9;
	for (int i = 0; i < KS_LATENCY_BUCKETS; i++)
		if (s <= ks_latency_bounds[i])
			ap->lat_buckets[i]++;
	ap->lat_count++;
	ap->lat_sum += s;
}

static void add_error(struct ks_attempt *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void add_error(struct ks_attempt *a, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_array_append_new(a->errors, json_string(buf));
}

/* Is this version acceptable? On refusal, explain why in a. */
static bool version_allowed(const struct ks_applier *ap, struct ks_attempt *a, bool rollback)
{
	uint64_t v = a->version;
	if (rollback) {
		if (!ap->active_version || v < ap->active_version)
			return true;
		if (v == ap->active_version)
			add_error(a, "version: %" PRIu64 " is already active", v);
		else
			add_error(a,
				  "version: rollback to %" PRIu64
				  " is not a rollback: the active version is %" PRIu64,
				  v, ap->active_version);
		return false;
	}
	if (ap->active_version && v <= ap->active_version) {
		add_error(a,
			  "version: %" PRIu64 " is not newer than the active version %" PRIu64
			  " (use rollback to go back)",
			  v, ap->active_version);
		return false;
	}
	if (v <= ap->high_water) {
		add_error(a,
			  "version: %" PRIu64 " is not above %" PRIu64
			  ", the newest version applied before a rollback; publish a version above "
			  "%" PRIu64,
			  v, ap->high_water, ap->high_water);
		return false;
	}
	return true;
}

static struct ks_attempt *record(struct ks_applier *ap)
{
	struct ks_attempt *a = &ap->ring[ap->ring_next];
	attempt_clear(a);
	ap->ring_next = (ap->ring_next + 1) % ap->ring_cap;
	if (ap->ring_len < ap->ring_cap)
		ap->ring_len++;
	a->seq = ++ap->seq;
	a->time_ms = wall_ms();
	a->errors = json_array();
	return a;
}

/* Which version a rejected document names, if any: its "version" value alone. */
static uint64_t rejected_version(const struct ksd_text *text)
{
	struct ks_rules_layout lay;
	uint64_t v = 0;

	if (ks_rules_scan(text->data, text->len, &lay) < 0)
		return ks_feed_doc_version(text->data, text->len);
	if (lay.has_version) {
		json_error_t err;
		json_t *jv = json_loadb(text->data + lay.version.start,
					lay.version.end - lay.version.start, JSON_DECODE_ANY, &err);
		if (json_is_integer(jv) && json_integer_value(jv) > 0)
			v = (uint64_t)json_integer_value(jv);
		json_decref(jv);
	}
	ks_rules_layout_free(&lay);
	return v;
}

const struct ks_attempt *ks_applier_apply_text(struct ks_applier *ap, struct ksd_text *text,
					       const struct ksd_text_diff *diff, const char *source,
					       unsigned flags, uint64_t revision)
{
	struct ks_attempt *a = record(ap);
	bool rollback = flags & KS_APPLY_ROLLBACK;
	uint64_t t0 = mono_ns();
	struct ks_compiled *c = NULL; /* a full compile's result, owned */
	struct ksd_patch *patch = NULL;
	const struct ks_compiled *set; /* what goes to the data plane */
	struct ks_rules_layout layout = {0};
	bool index_pending = false, swapped = false;

	a->source = strdup(source ? source : "unknown");
	a->doc_bytes = text->len;
	a->rollback = rollback;
	a->revision = revision;

	/*
	 * A change of a few routes in place: compile just those, and swap them
	 * into the active set (swapped back if the change goes no further).
	 */
	bool tried = ap->index && ap->active && !rollback;
	int inc = tried ? ksd_compile_incremental(ap->index, ap->active, text, diff, &patch) : -1;
	if (tried && inc < 0)
		ks_debug("incremental compile declined after %.1f ms; compiling in full",
			 (mono_ns() - t0) / 1e6);
	if (inc == 0) {
		a->incremental = true;
		a->routes_compiled = ksd_patch_changed(patch);
		ksd_patch_swap(patch, ap->active);
		swapped = true;
		set = ap->active;
	} else if (ks_rules_compile_text_opts(text->data, text->len, ap->compile_threads,
					      ap->incremental ? &layout : NULL, &c,
					      a->errors) < 0 ||
		   !c) {
		a->result = KS_APPLY_REJECTED;
		if (json_array_size(a->errors) == 0)
			add_error(a, "rule set rejected");
		/* Say which version was rejected when the document names one. */
		a->version = rejected_version(text);
		a->has_version = a->version != 0;
		goto done;
	} else {
		a->routes_compiled = c->n_routes;
		set = c;
	}
	uint64_t t1 = mono_ns();
	a->compile_ns = t1 - t0;
	a->version = set->version;
	a->has_version = true;
	a->n_routes = set->n_routes;
	a->n_shards = set->n_shards;
	a->n_listeners = set->n_listeners;
	a->table_bytes = (size_t)set->n_routes * KS_COMPILED_BYTES_PER_ROUTE;

	if (!version_allowed(ap, a, rollback)) {
		a->result = KS_APPLY_REFUSED;
		/*
		 * Tables adopted from a previous run carry no names. The feed's
		 * document of that same version supplies them (key texts, shard
		 * names for stats and lookup); the tables are not touched.
		 */
		if (!ap->active && c && a->version == ap->active_version) {
			ks_info("names of version %" PRIu64 " taken from %s", a->version,
				a->source);
			ap->active = c;
			c = NULL;
			index_pending = true;
		} else if (!ap->active) {
			/* After a restart below a rollback floor, say. */
			ks_info("version %" PRIu64 " is active but %s holds version %" PRIu64
				": stats and lookup name keys by number until a rule set is "
				"applied",
				ap->active_version, a->source, a->version);
		}
		goto done;
	}

	struct ks_dp_apply_stats st = {0};
	char err[512] = "";
	/*
	 * A rollback goes below the floor: record the floor with the tables
	 * first, so that a restart (which would otherwise take the rolled-back
	 * version as the floor) does not re-apply what was rolled back. Written
	 * before the flip, there is no moment where the tables hold the older
	 * version and the floor is not kept. A rollback is the emergency path:
	 * if the floor cannot be kept, it still goes ahead, loudly.
	 */
	if (rollback && ap->dp->ops->set_rollback_floor &&
	    ap->dp->ops->set_rollback_floor(ap->dp, ap->high_water, err, sizeof(err)) < 0) {
		ks_err("rollback to %" PRIu64 ": the floor %" PRIu64
		       " could not be kept with the tables (%s): rolling back anyway, but a "
		       "restart of keysteerd would re-apply the feed's version %" PRIu64,
		       a->version, ap->high_water, err, ap->high_water);
		err[0] = '\0';
	}
	int rc = ap->dp->ops->apply(ap->dp, set, &st, err, sizeof(err));
	a->write_ns = mono_ns() - t1;
	if (rc < 0) {
		a->result = KS_APPLY_FAILED;
		add_error(a, "data plane: %s", err[0] ? err : "apply failed");
		goto done;
	}
	a->entries_written = st.entries_written;
	a->result = KS_APPLY_APPLIED;
	if (patch) {
		swapped = false; /* the active set is the new one now */
		ksd_patch_commit_index(patch, ap->index);
	} else {
		ks_compiled_free(ap->active);
		ap->active = c;
		c = NULL;
		ksd_index_free(ap->index);
		ap->index = NULL;
		index_pending = true;
	}
	ap->active_version = a->version;
	if (a->version > ap->high_water)
		ap->high_water = a->version;
	free(ap->active_source);
	ap->active_source = strdup(a->source);
	ap->active_since_ms = a->time_ms;
	keep_doc(ap, a->version, text, a->source);

done:
	if (swapped)
		ksd_patch_swap(patch, ap->active); /* refused or failed: back to the active set */
	ksd_patch_free(patch);
	ks_compiled_free(c);
	a->total_ns = mono_ns() - t0;
	ap->count[a->result]++;
	if (a->result == KS_APPLY_APPLIED)
		observe_latency(ap, a->total_ns);

	if (a->result == KS_APPLY_APPLIED) {
		ks_info("applied version %" PRIu64 " from %s: %u routes, %u shards, "
			"compile %.1f ms%s, write+flip %.1f ms%s",
			a->version, a->source, a->n_routes, a->n_shards, a->compile_ns / 1e6,
			a->incremental ? " (incremental)" : "", a->write_ns / 1e6,
			rollback ? " (rollback)" : "");
	} else {
		size_t n = json_array_size(a->errors);
		ks_warn("%s rule set from %s%s: %zu error(s); version %" PRIu64 " stays active",
			ks_apply_result_name(a->result), a->source, rollback ? " (rollback)" : "",
			n, ap->active_version);
		for (size_t i = 0; i < n && i < 20; i++)
			ks_warn("  %s", json_string_value(json_array_get(a->errors, i)));
	}
	if (ap->on_attempt)
		ap->on_attempt(ap->hook_arg, a);
	/* Acknowledged: now the old generation can catch up. */
	if (a->result == KS_APPLY_APPLIED && ap->dp->ops->reclaim)
		ap->dp->ops->reclaim(ap->dp);
	/* The index of what is now active, for the next change: the compile's layout. */
	if (index_pending && ap->incremental) {
		ksd_index_free(ap->index);
		ap->index = ksd_index_new(text, &layout, ap->active);
	}
	ks_rules_layout_free(&layout);
	return a;
}

const struct ks_attempt *ks_applier_apply(struct ks_applier *ap, const char *text, size_t len,
					  const char *source, unsigned flags, uint64_t revision)
{
	struct ksd_text *t = ksd_text_copy(text, len);
	const struct ks_attempt *a;

	if (!t) {
		struct ks_attempt *r = record(ap);

		r->source = strdup(source ? source : "unknown");
		r->result = KS_APPLY_FAILED;
		add_error(r, "out of memory");
		ap->count[r->result]++;
		return r;
	}
	a = ks_applier_apply_text(ap, t, NULL, source, flags, revision);
	ksd_text_unref(t);
	return a;
}

const struct ks_attempt *ks_applier_last(const struct ks_applier *ap)
{
	if (!ap->ring_len)
		return NULL;
	return &ap->ring[(ap->ring_next + ap->ring_cap - 1) % ap->ring_cap];
}

json_t *ks_attempt_to_json(const struct ks_attempt *a)
{
	json_t *o = json_object();
	json_object_set_new(o, "seq", json_integer((json_int_t)a->seq));
	json_object_set_new(o, "time_ms", json_integer(a->time_ms));
	json_object_set_new(o, "version",
			    a->has_version ? json_integer((json_int_t)a->version) : json_null());
	json_object_set_new(o, "source", json_string(a->source ? a->source : ""));
	json_object_set_new(o, "result", json_string(ks_apply_result_name(a->result)));
	json_object_set_new(o, "rollback", json_boolean(a->rollback));
	json_object_set(o, "errors", a->errors ? a->errors : json_array());
	json_object_set_new(o, "doc_bytes", json_integer((json_int_t)a->doc_bytes));
	json_object_set_new(o, "routes", json_integer(a->n_routes));
	json_object_set_new(o, "shards", json_integer(a->n_shards));
	json_object_set_new(o, "listeners", json_integer(a->n_listeners));
	json_object_set_new(o, "table_bytes", json_integer((json_int_t)a->table_bytes));
	json_object_set_new(o, "entries_written", json_integer((json_int_t)a->entries_written));
	json_object_set_new(o, "compile", json_string(a->incremental ? "incremental" : "full"));
	json_object_set_new(o, "routes_compiled", json_integer(a->routes_compiled));
	json_object_set_new(o, "compile_ms", json_real(a->compile_ns / 1e6));
	json_object_set_new(o, "write_ms", json_real(a->write_ns / 1e6));
	json_object_set_new(o, "total_ms", json_real(a->total_ns / 1e6));
	if (a->revision)
		json_object_set_new(o, "revision", json_integer((json_int_t)a->revision));
	return o;
}

json_t *ks_applier_status_json(const struct ks_applier *ap)
{
	json_t *o = json_object();
	json_object_set_new(o, "active_version",
			    ap->active_version ? json_integer((json_int_t)ap->active_version)
					       : json_null());
	json_object_set_new(o, "active_source",
			    ap->active_source ? json_string(ap->active_source) : json_null());
	json_object_set_new(o, "active_since_ms", json_integer(ap->active_since_ms));
	json_object_set_new(o, "high_water", json_integer((json_int_t)ap->high_water));
	/* Whether the next small change can be compiled incrementally. */
	json_object_set_new(o, "incremental_ready", json_boolean(ap->index != NULL));
	if (ap->active) {
		json_object_set_new(o, "routes", json_integer(ap->active->n_routes));
		json_object_set_new(o, "shards", json_integer(ap->active->n_shards));
		json_object_set_new(o, "listeners", json_integer(ap->active->n_listeners));
	}
	json_t *counts = json_object();
	for (int r = 0; r < 4; r++)
		json_object_set_new(counts, result_names[r],
				    json_integer((json_int_t)ap->count[r]));
	json_object_set_new(o, "counts", counts);
	json_t *kept = json_array();
	for (int i = 0; i < ap->keep_len; i++)
		json_array_append_new(kept, json_integer((json_int_t)ap->kept[i].version));
	json_object_set_new(o, "rollback_versions", kept);
	json_t *hist = json_array();
	for (int i = 0; i < ap->ring_len; i++) {
		int idx = (ap->ring_next + ap->ring_cap - 1 - i) % ap->ring_cap;
		json_array_append_new(hist, ks_attempt_to_json(&ap->ring[idx]));
	}
	json_object_set_new(o, "attempts", hist);
	return o;
}
