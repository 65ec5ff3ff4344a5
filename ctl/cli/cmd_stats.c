/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keysteer stats (pinned): the router's counters read straight from the maps
 * under a pin root, summed over CPUs: one line per reason, per shard with
 * traffic, and the busiest keys. Keys and shards are shown by number and VIP:
 * their names live in the rule set, not in the maps.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "backend/counters.h"
#include "backend/loader.h"
#include "backend/map_io.h"
#include "backend/maps.h"
#include "cli/cli.h"
#include "cli/cmd_bpf.h"
#include "cli/cmd_opts.h"

enum { S_JSON, S_ROOT, S_TOP, S_ALL, S_N };
static const struct ks_opt stats_opts[S_N] = {
    [S_JSON] = {"json", 'j', NULL, NULL, "JSON output", false},
    [S_ROOT] = {"pin-root", 'p', "DIR", KS_DEFAULT_PIN_ROOT, "where the router's maps are pinned",
		false},
    [S_TOP] = {"top", 'n', "N", "10", "how many keys to list, busiest first", false},
    [S_ALL] = {"all", 'a', NULL, NULL,
	       "list every reason and shard, also those at zero (JSON always does)", false},
};
static const struct ks_cmd_spec stats_spec = {
    "stats", "[-j] [--pin-root DIR] [--top N] [--all]",
    "Print the XDP router's counters from its pinned maps (no daemon needed):\n"
    "packets and bytes per reason (what happened to each packet that was not\n"
    "steered, and how many were), per shard of the active rule set, and per key.",
    stats_opts, S_N};

struct stats_view {
	__u32 gen;
	struct ks_config cfg;
	struct ks_counter reasons[KS_R_MAX];
	struct ks_counter *shard_ctr;
	struct ks_shard *shards;
	struct ks_key_count *top;
	size_t n_top, n_keys;
};

static const char *vip_str(const struct ks_shard *s, char *buf, size_t len)
{
	if (!inet_ntop(s->family == KS_AF_INET6 ? AF_INET6 : AF_INET, &s->vip, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

static const char *mac_str(const __u8 *m, char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return buf;
}

static int read_view(const struct ks_maps *m, size_t top, struct stats_view *v)
{
	int err = ks_stats_active(m, &v->gen, &v->cfg);

	if (!err)
		err = ks_stats_reasons(m, v->reasons);
	v->shard_ctr = calloc(KS_MAX_SHARDS, sizeof(*v->shard_ctr));
	v->shards = calloc(KS_MAX_SHARDS, sizeof(*v->shards));
	v->top = calloc(top ? top : 1, sizeof(*v->top));
	if (!v->shard_ctr || !v->shards || !v->top)
		return -ENOMEM;
	if (!err)
		err = ks_stats_shards(m, v->shard_ctr);
	if (!err)
		err = ks_array_read(m->shards, v->gen * KS_MAX_SHARDS, KS_MAX_SHARDS, v->shards,
				    sizeof(v->shards[0]));
	if (!err)
		err = ks_stats_top_keys(m, v->gen, v->top, top, &v->n_top, &v->n_keys);
	return err;
}

static void free_view(struct stats_view *v)
{
	free(v->shard_ctr);
	free(v->shards);
	free(v->top);
}

static json_t *counter_json(const struct ks_counter *c)
{
	return json_pack("{s:I, s:I}", "packets", (json_int_t)c->packets, "bytes",
			 (json_int_t)c->bytes);
}

static int print_json(const struct ks_maps *m, const char *root, const struct stats_view *v)
{
	json_t *o = json_object(), *reasons = json_object(), *shards = json_array(),
	       *keys = json_array();
	char buf[64], mac[2][24];

	json_object_set_new(o, "pin_root", json_string(root));
	json_object_set_new(o, "version", json_integer((json_int_t)v->cfg.version));
	json_object_set_new(o, "generation", json_integer(v->gen));
	json_object_set_new(o, "routes", json_integer((json_int_t)v->n_keys));
	json_object_set_new(o, "route_capacity", json_integer(m->routes_max / KS_GENERATIONS));
	json_object_set_new(o, "stats_slots", json_integer(m->stats_slots));
	for (unsigned r = 0; r < KS_R_MAX; r++)
		json_object_set_new(reasons, ks_reason_name(r), counter_json(&v->reasons[r]));
	json_object_set_new(o, "reasons", reasons);
	for (__u32 id = 0; id < KS_MAX_SHARDS; id++) {
		const struct ks_shard *s = &v->shards[id];
		json_t *j;

		/* Every shard of the rule set, and any other id that counted packets. */
		if (!s->family && !v->shard_ctr[id].packets)
			continue;
		j = counter_json(&v->shard_ctr[id]);
		json_object_set_new(j, "id", json_integer(id));
		if (s->family) {
			json_object_set_new(j, "vip", json_string(vip_str(s, buf, sizeof(buf))));
			json_object_set_new(j, "port", json_integer(ntohs(s->port)));
			json_object_set_new(
			    j, "nexthop",
			    json_pack("{s:b, s:i, s:s, s:s, s:i}", "valid", s->nh_valid, "ifindex",
				      s->ifindex, "smac", mac_str(s->smac, mac[0], sizeof(mac[0])),
				      "dmac", mac_str(s->dmac, mac[1], sizeof(mac[1])), "mtu",
				      s->mtu));
		}
		json_array_append_new(shards, j);
	}
	json_object_set_new(o, "shards", shards);
	for (size_t i = 0; i < v->n_top; i++) {
		const struct ks_key_count *k = &v->top[i];
		json_t *targets = json_array();

		for (int t = 0; t < KS_MAX_TARGETS; t++)
			json_array_append_new(targets,
					      json_integer((json_int_t)k->st.target_packets[t]));
		snprintf(buf, sizeof(buf), "0x%016llx", (unsigned long long)k->key);
		json_array_append_new(
		    keys, json_pack("{s:s, s:i, s:b, s:I, s:I, s:o, s:I}", "key", buf, "slot",
				    k->slot, "shared_slot", k->slot == m->stats_slots - 1,
				    "packets", (json_int_t)k->st.packets, "bytes",
				    (json_int_t)k->st.bytes, "target_packets", targets,
				    "shadow_packets", (json_int_t)k->st.shadow_packets));
	}
	json_object_set_new(o, "top_keys", keys);
	if (json_dumpf(o, stdout, JSON_INDENT(2)) != 0) {
		json_decref(o);
		return KS_EXIT_FAIL;
	}
	putchar('\n');
	json_decref(o);
	return KS_EXIT_OK;
}

static void print_text(const struct ks_maps *m, const char *root, const struct stats_view *v,
		       bool all)
{
	char buf[64], mac[24];

	printf("pin root %s: rule set version %llu (generation %u), %zu route%s of %u, "
	       "%u counter slots\n",
	       root, (unsigned long long)v->cfg.version, v->gen, v->n_keys, ks_plural(v->n_keys),
	       m->routes_max / KS_GENERATIONS, m->stats_slots);
	printf("\n%-16s %14s %16s\n", "reason", "packets", "bytes");
	for (unsigned r = 0; r < KS_R_MAX; r++)
		if (all || v->reasons[r].packets)
			printf("%-16s %14llu %16llu\n", ks_reason_name(r),
			       (unsigned long long)v->reasons[r].packets,
			       (unsigned long long)v->reasons[r].bytes);
	printf("\n%-5s %-40s %14s %16s  %s\n", "shard", "vip", "packets", "bytes", "next hop");
	for (__u32 id = 0; id < KS_MAX_SHARDS; id++) {
		const struct ks_shard *s = &v->shards[id];

		if (!v->shard_ctr[id].packets && !(all && s->family))
			continue;
		snprintf(buf, sizeof(buf), "-");
		if (s->family)
			vip_str(s, buf, sizeof(buf));
		printf("%-5u %-40s %14llu %16llu  ", id, buf,
		       (unsigned long long)v->shard_ctr[id].packets,
		       (unsigned long long)v->shard_ctr[id].bytes);
		if (s->nh_valid)
			printf("if %u -> %s mtu %u\n", s->ifindex,
			       mac_str(s->dmac, mac, sizeof(mac)), s->mtu);
		else
			printf("unresolved\n");
	}
	printf("\n%-18s %14s %16s  %s\n", "key", "packets", "bytes", "per target");
	for (size_t i = 0; i < v->n_top; i++) {
		const struct ks_key_count *k = &v->top[i];

		printf("0x%016llx %14llu %16llu ", (unsigned long long)k->key,
		       (unsigned long long)k->st.packets, (unsigned long long)k->st.bytes);
		for (int t = 0; t < KS_MAX_TARGETS; t++)
			if (k->st.target_packets[t])
				printf(" %d:%llu", t, (unsigned long long)k->st.target_packets[t]);
		if (k->st.shadow_packets)
			printf(" shadow:%llu", (unsigned long long)k->st.shadow_packets);
		if (k->slot == m->stats_slots - 1)
			printf(" (shared slot)");
		putchar('\n');
	}
}

int ks_cmd_bpf_stats(int argc, char **argv)
{
	struct ks_optval val[S_N];
	struct stats_view v;
	struct ks_maps m;
	unsigned long top;
	const char *root;
	char msg[512];
	int first, rc, err;

	rc = ks_opts_parse(&stats_spec, argc, argv, val, &first);
	if (rc)
		return rc == 1 ? KS_EXIT_OK : rc;
	if (first < argc)
		return ks_opts_usage_error(&stats_spec, "unexpected argument '%s'", argv[first]);
	rc = ks_opt_uint(&stats_spec, val, S_TOP, 100000, &top);
	if (rc)
		return rc;
	root = ks_opt_str(&stats_spec, val, S_ROOT);
	err = ks_maps_open(&m, root, msg, sizeof(msg));
	if (err) {
		ks_opts_error(&stats_spec, "%s (is the router loaded? keysteer attach)", msg);
		return KS_EXIT_FAIL;
	}
	memset(&v, 0, sizeof(v));
	err = read_view(&m, top, &v);
	if (err) {
		ks_opts_error(&stats_spec, "reading counters under %s: %s", root, strerror(-err));
		rc = KS_EXIT_FAIL;
	} else if (ks_opt_flag(val, S_JSON)) {
		rc = print_json(&m, root, &v);
	} else {
		print_text(&m, root, &v, ks_opt_flag(val, S_ALL));
		rc = KS_EXIT_OK;
	}
	free_view(&v);
	ks_maps_close(&m);
	return rc;
}
