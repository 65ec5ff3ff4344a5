/* SPDX-License-Identifier: BSD-3-Clause */
/* `keysteer compile -j FILE`: the compiled table as JSON (built with jansson). */
#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "cli/compile_show.h"
#include "rules/rules.h"

static json_t *addr_json(const struct ks_addr *a, __u8 family)
{
	char buf[INET6_ADDRSTRLEN];

	if (!inet_ntop(family == KS_AF_INET ? AF_INET : AF_INET6, a->w, buf, sizeof(buf)))
		return json_null();
	return json_string(buf);
}

static json_t *hex_key(__u64 key)
{
	char hex[19];

	snprintf(hex, sizeof(hex), "0x%016llx", (unsigned long long)key);
	return json_string(hex);
}

/* jansson integers are signed 64-bit: larger versions are written as decimal strings. */
static json_t *u64_json(__u64 v)
{
	char buf[24];

	if (v <= INT64_MAX)
		return json_integer((json_int_t)v);
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	return json_string(buf);
}

static json_t *route_json(const struct ks_compiled *c, __u32 i)
{
	const struct ks_route *r = &c->routes[i];
	const struct ks_compiled_route *info = &c->route_info[i];
	json_t *targets = json_array(), *shadow = json_null();
	__u64 key;
	int literal = ks_rules_key(info->text, strlen(info->text), &key);

	for (unsigned k = 0; k < r->n_targets; k++) {
		__u32 lo, hi;

		ks_compiled_target_range(r, k, &lo, &hi);
		json_array_append_new(targets, json_pack("{s:s, s:i, s:[i,i], s:i, s:f}", "shard",
							 c->shards[r->t[k].shard].name, "shard_id",
							 r->t[k].shard, "buckets", lo, hi, "count",
							 hi - lo + 1, "percent",
							 ks_buckets_percent(hi - lo + 1)));
	}
	if (r->shadow_shard != KS_NO_SHARD)
		shadow = json_pack("{s:s, s:i, s:i, s:f}", "shard", c->shards[r->shadow_shard].name,
				   "shard_id", r->shadow_shard, "threshold", r->shadow_thresh,
				   "percent", ks_buckets_percent(r->shadow_thresh));
	return json_pack("{s:o, s:s, s:b, s:i, s:i, s:s, s:o, s:o}", "key", hex_key(c->keys[i]),
			 "text", info->text, "literal", literal, "rule_index", info->rule_index,
			 "stats_slot", r->stats_slot, "sticky", ks_sticky_name(r->sticky),
			 "targets", targets, "shadow", shadow);
}

static json_t *compiled_json(const struct ks_compiled *c)
{
	json_t *listeners = json_array(), *shards = json_array(), *routes = json_array();

	for (__u32 i = 0; i < c->n_listeners; i++) {
		const struct ks_listener_key *l = &c->listeners[i];

		json_array_append_new(
		    listeners, json_pack("{s:i, s:o, s:i, s:i, s:s}", "id", i, "vip",
					 addr_json(&l->addr, l->family), "family", l->family,
					 "port", ntohs(l->port), "proto", ks_proto_name(l->proto)));
	}
	for (__u32 i = 0; i < c->n_shards; i++) {
		const struct ks_compiled_shard *s = &c->shards[i];

		json_array_append_new(
		    shards,
		    json_pack("{s:i, s:s, s:o, s:i, s:i, s:s, s:I}", "id", i, "name", s->name,
			      "vip", addr_json(&s->shard.vip, s->shard.family), "family",
			      s->shard.family, "port", ntohs(s->shard.port), "steer",
			      ks_steer_name(s->shard.steer), "capacity", (json_int_t)s->capacity));
	}
	for (__u32 i = 0; i < c->n_routes; i++)
		json_array_append_new(routes, route_json(c, i));

	return json_pack("{s:s, s:o, s:s, s:i, s:o, s:o, s:o, s:{s:I, s:i, s:i, s:i, s:I, s:I}}",
			 "schema", KS_RULES_SCHEMA, "version", u64_json(c->version), "default",
			 ks_default_name(c->default_action), "weight_buckets", KS_WEIGHT_BUCKETS,
			 "listeners", listeners, "shards", shards, "routes", routes, "sizes",
			 "table_bytes", (json_int_t)ks_compiled_table_bytes(c), "bytes_per_key",
			 (int)KS_COMPILED_BYTES_PER_ROUTE, "key_bytes", (int)sizeof(__u64),
			 "route_bytes", (int)sizeof(struct ks_route), "shard_bytes",
			 (json_int_t)(c->n_shards * sizeof(struct ks_shard)), "listener_bytes",
			 (json_int_t)(c->n_listeners * sizeof(struct ks_listener_key)));
}

int ks_show_compiled_json(const struct ks_compiled *c, FILE *f)
{
	json_t *j = compiled_json(c);
	int rc = -1;

	if (j && json_dumpf(j, f, JSON_INDENT(2) | JSON_REAL_PRECISION(10)) == 0 &&
	    fputc('\n', f) != EOF)
		rc = 0;
	json_decref(j);
	return rc;
}
