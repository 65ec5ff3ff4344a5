/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Counters, all per CPU (no atomics): a reason for every outcome
 * (ks_reason_stats), and for steered packets the shard (ks_shard_stats) and
 * the route's key slot with its target (ks_key_stats). Bytes are the frame
 * length as received. Which counter a packet moves is keysteer/verdict.h's
 * and keysteer/decide.h's business.
 */
#ifndef KS_ROUTER_STATS_H
#define KS_ROUTER_STATS_H

#include "router_ctx.h"

KS_ALWAYS_INLINE void ks_sh_count(struct xdp_md *ctx, __u32 reason, __u32 bytes)
{
	struct ks_counter *c = bpf_map_lookup_elem(&ks_reason_stats, &reason);

	(void)ctx;
	if (c) {
		c->packets++;
		c->bytes += bytes;
	}
}

KS_ALWAYS_INLINE void ks_sh_count_key(struct xdp_md *ctx, __u32 slot, __u32 target, __u32 bytes,
				      int shadow)
{
	struct ks_key_stats *k = bpf_map_lookup_elem(&ks_key_stats, &slot);

	(void)ctx;
	if (k) {
		k->packets++;
		k->bytes += bytes;
		k->target_packets[target & (KS_MAX_TARGETS - 1)]++;
		k->shadow_packets += shadow;
	}
}

KS_ALWAYS_INLINE void ks_sh_count_shard(struct xdp_md *ctx, __u32 shard, __u32 bytes)
{
	struct ks_counter *c = bpf_map_lookup_elem(&ks_shard_stats, &shard);

	(void)ctx;
	if (c) {
		c->packets++;
		c->bytes += bytes;
	}
}

#endif /* KS_ROUTER_STATS_H */
