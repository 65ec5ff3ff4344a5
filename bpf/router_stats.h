/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Counters, all per CPU (no atomics): a reason for every outcome
 * (ks_reason_stats), and for steered packets the shard (ks_shard_stats) and
 * the route's key slot with its target (ks_key_stats). Bytes are the frame
 * length as received.
 */
#ifndef KS_ROUTER_STATS_H
#define KS_ROUTER_STATS_H

#include "router_ctx.h"

static __always_inline void ks_count(__u32 reason, __u32 bytes)
{
	struct ks_counter *c = bpf_map_lookup_elem(&ks_reason_stats, &reason);

	if (c) {
		c->packets++;
		c->bytes += bytes;
	}
}

/* A packet handed on towards a shard (steered, or left for the shadow tc program). */
static __always_inline void ks_count_key(__u32 slot, __u32 target, __u32 bytes, int shadow)
{
	struct ks_key_stats *k = bpf_map_lookup_elem(&ks_key_stats, &slot);

	if (k) {
		k->packets++;
		k->bytes += bytes;
		k->target_packets[target & (KS_MAX_TARGETS - 1)]++;
		k->shadow_packets += shadow;
	}
}

static __always_inline void ks_count_steered(__u32 shard, __u32 slot, __u32 target, __u32 bytes)
{
	__u32 idx = shard & (KS_MAX_SHARDS - 1);
	struct ks_counter *c;

	ks_count(KS_R_STEERED, bytes);
	c = bpf_map_lookup_elem(&ks_shard_stats, &idx);
	if (c) {
		c->packets++;
		c->bytes += bytes;
	}
	ks_count_key(slot, target, bytes, 0);
}

/*
 * Listener traffic without a usable header or key: the cause is counted, then
 * the rule set's default decides, and is counted too.
 */
static __always_inline int ks_default(const struct ks_rctx *r, __u32 cause)
{
	const struct ks_config *cfg = bpf_map_lookup_elem(&ks_config, &r->gen);

	ks_count(cause, r->len);
	if (cfg && cfg->default_action == KS_DEFAULT_PASS) {
		ks_count(KS_R_DEFAULT_PASS, r->len);
		return XDP_PASS;
	}
	ks_count(KS_R_DEFAULT_DROP, r->len);
	return XDP_DROP;
}

static __always_inline int ks_pass(const struct ks_rctx *r, __u32 reason)
{
	ks_count(reason, r->len);
	return XDP_PASS;
}

static __always_inline int ks_drop(const struct ks_rctx *r, __u32 reason)
{
	ks_count(reason, r->len);
	return XDP_DROP;
}

#endif /* KS_ROUTER_STATS_H */
