/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A snapshot of the data plane's counters, summed over CPUs and labelled with
 * the active rule set's names. `keysteer stats` and the metrics endpoint both
 * render one. Keys are bounded: the top_n keys by packets one by one, all
 * other keys summed into one "other" row, so the output does not grow with
 * the table.
 */
#ifndef KS_DAEMON_STATS_H
#define KS_DAEMON_STATS_H

#include <jansson.h>
#include <stdint.h>
#include <keysteer/table.h>

#include "daemon/apply.h"

struct ksd_stats_key {
	char *name; /* key text as in the rule set, or "0x..." */
	uint64_t key;
	struct ks_key_stats st;
};

struct ksd_stats_shard {
	const char *name; /* borrowed from the active rule set */
	uint32_t id;
	struct ks_counter c;
};

struct ksd_stats_snapshot {
	struct ks_counter reasons[KS_R_MAX];
	struct ksd_stats_shard *shards;
	uint32_t n_shards;
	struct ksd_stats_key *keys; /* top_n, by packets, descending */
	uint32_t n_keys;
	struct ks_key_stats other; /* every key not in keys[] */
	uint32_t other_keys;
	uint32_t total_keys;
	bool have_counters; /* false when the data plane has none (memory) */
};

const char *ksd_reason_label(unsigned reason);

int ksd_stats_collect(struct ks_applier *ap, struct ksd_stats_snapshot *s, uint32_t top_n);
void ksd_stats_free(struct ksd_stats_snapshot *s);
json_t *ksd_stats_to_json(const struct ksd_stats_snapshot *s);

#endif
