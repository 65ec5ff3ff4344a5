/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The compiled rule set: what the rule compiler produces from keysteer/v1 JSON
 * and what every table backend (BPF maps, the DPDK shared table) writes out.
 * It is generation-agnostic: backends set the generation fields when they
 * write. It owns all its memory; free it with ks_compiled_free().
 */
#ifndef KEYSTEER_CTL_COMPILED_H
#define KEYSTEER_CTL_COMPILED_H

#include <stddef.h>
#include <keysteer/table.h>

struct ks_compiled_shard {
	const char *name;      /* as in the rule set */
	struct ks_shard shard; /* vip/port/family/steer set; next-hop block zero */
	__u32 capacity;	       /* 1 when the rule set gives none */
};

struct ks_compiled_route {
	const char *text; /* the key as written ("0x9f3a..." or a textual key) */
	__u32 rule_index; /* index in the rule set's routes[] */
};

struct ks_compiled {
	__u64 version;
	__u8 default_action; /* enum ks_default_action */

	__u32 n_listeners;
	struct ks_listener_key *listeners; /* gen = 0 */

	__u32 n_shards;
	struct ks_compiled_shard *shards; /* index = shard id: ascending byte order of names */

	/*
	 * Routes sorted by key, ascending: keys[i] -> routes[i]. These two
	 * arrays are the table proper (what "bytes per key" measures);
	 * route_info is metadata for humans (status, lookup, stats).
	 * routes[i].stats_slot is i; a backend may remap it to keep counters
	 * stable across versions.
	 */
	__u32 n_routes;
	__u64 *keys;
	struct ks_route *routes;
	struct ks_compiled_route *route_info;

	/* Backing store of shard names and key texts (one allocation). */
	char *strings;
};

void ks_compiled_free(struct ks_compiled *c);

/* Bytes of the table proper per route: sizeof(key) + sizeof(struct ks_route). */
#define KS_COMPILED_BYTES_PER_ROUTE (sizeof(__u64) + sizeof(struct ks_route))

/* Index of key in c->keys (binary search), or -1. */
long ks_compiled_find(const struct ks_compiled *c, __u64 key);

/* Bytes of the table proper: n_routes * KS_COMPILED_BYTES_PER_ROUTE. */
size_t ks_compiled_table_bytes(const struct ks_compiled *c);

/*
 * The weight buckets target k of route r owns, [*lo, *hi] inclusive: the
 * first target starts at 0, every other one just after its predecessor.
 */
void ks_compiled_target_range(const struct ks_route *r, unsigned k, __u32 *lo, __u32 *hi);

#endif /* KEYSTEER_CTL_COMPILED_H */
