/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reading the router's per-CPU counters from the pinned maps: one total per
 * reason, per shard and per key (summed over CPUs). Works without the
 * backend's in-memory state, so `keysteer stats` can run beside a daemon.
 */
#ifndef KS_BACKEND_COUNTERS_H
#define KS_BACKEND_COUNTERS_H

#include <stddef.h>
#include <keysteer/table.h>
#include "backend/maps.h"

/* Stable short name of a reason ("steered", "unknown_key", ...); "?" if out of range. */
const char *ks_reason_name(unsigned reason);

int ks_stats_reasons(const struct ks_maps *m, struct ks_counter out[KS_R_MAX]);
int ks_stats_shards(const struct ks_maps *m, struct ks_counter out[KS_MAX_SHARDS]);
/* One slot's counters summed over CPUs. */
int ks_stats_slot(const struct ks_maps *m, __u32 slot, struct ks_key_stats *out);

struct ks_key_count {
	__u64 key;
	__u32 slot;
	struct ks_key_stats st;
};

/*
 * The max keys of generation gen with the most packets, most first (ties:
 * lower key first). *n gets how many were written; *total_keys (may be NULL)
 * how many keys the generation has. 0 or -errno.
 */
int ks_stats_top_keys(const struct ks_maps *m, __u32 gen, struct ks_key_count *out, size_t max,
		      size_t *n, size_t *total_keys);

/* The active generation and its config. 0 or -errno. */
int ks_stats_active(const struct ks_maps *m, __u32 *gen, struct ks_config *cfg);

#endif
