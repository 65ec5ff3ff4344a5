/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NAT reverse table in BPF maps: ks_nat_rev (an LRU hash seen by every
 * CPU) and the ks_nat_filter bits in front of it. The NAT steer itself is
 * keysteer/natflow.h.
 */
#ifndef KS_ROUTER_NAT_H
#define KS_ROUTER_NAT_H

#include "router_ctx.h"

KS_ALWAYS_INLINE int ks_sh_nat_filter_test(struct xdp_md *ctx, __u32 bit)
{
	__u32 word = bit >> 6;
	__u64 *w = bpf_map_lookup_elem(&ks_nat_filter, &word);

	(void)ctx;
	return w && (*w & (1ULL << (bit & 63)));
}

KS_ALWAYS_INLINE void ks_sh_nat_filter_set(struct xdp_md *ctx, __u32 bit)
{
	__u32 word = bit >> 6;
	__u64 *w = bpf_map_lookup_elem(&ks_nat_filter, &word);

	(void)ctx;
	if (w && !(*w & (1ULL << (bit & 63))))
		__sync_fetch_and_or(w, 1ULL << (bit & 63));
}

KS_ALWAYS_INLINE const struct ks_nat_rev *ks_sh_nat_lookup(struct xdp_md *ctx,
							   const struct ks_nat_key *k)
{
	(void)ctx;
	return bpf_map_lookup_elem(&ks_nat_rev, k);
}

KS_ALWAYS_INLINE void ks_sh_nat_update(struct xdp_md *ctx, const struct ks_nat_key *k,
				       const struct ks_nat_rev *v)
{
	(void)ctx;
	bpf_map_update_elem(&ks_nat_rev, k, v, BPF_ANY);
}

#endif /* KS_ROUTER_NAT_H */
