/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The TCP connection table in BPF maps (ks_flows4 / ks_flows6, struct
 * ks_flow in keysteer/table.h): LRU hashes, so every lookup marks its entry
 * as recently used and entries of closed connections age out. What a pin
 * means and when it is made is keysteer/decide.h's business.
 */
#ifndef KS_ROUTER_CONNTRACK_H
#define KS_ROUTER_CONNTRACK_H

#include "router_ctx.h"

KS_ALWAYS_INLINE struct ks_flow *ks_sh_flow_lookup(struct xdp_md *ctx, const union ks_flow_key *k,
						   __u8 family)
{
	struct ks_flow *f;

	(void)ctx;
	if (family == KS_AF_INET) {
		f = bpf_map_lookup_elem(&ks_flows4, &k->v4);
		KS_KEEP_APART(4);
	} else {
		f = bpf_map_lookup_elem(&ks_flows6, &k->v6);
		KS_KEEP_APART(6);
	}
	return f;
}

KS_ALWAYS_INLINE void ks_sh_flow_pin(struct xdp_md *ctx, const union ks_flow_key *k, __u8 family,
				     const struct ks_flow *f)
{
	(void)ctx;
	if (family == KS_AF_INET) {
		bpf_map_update_elem(&ks_flows4, &k->v4, f, BPF_ANY);
		KS_KEEP_APART(4);
	} else {
		bpf_map_update_elem(&ks_flows6, &k->v6, f, BPF_ANY);
		KS_KEEP_APART(6);
	}
}

/* The entry is the map value itself: one write. */
KS_ALWAYS_INLINE void ks_sh_flow_closing(struct xdp_md *ctx, struct ks_flow *f)
{
	(void)ctx;
	f->state = KS_FLOW_CLOSING;
}

#endif /* KS_ROUTER_CONNTRACK_H */
