/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Where a steered packet goes next: the shard entry's next-hop block (filled
 * by the controller from rtnetlink), or, when that is not resolved, the
 * kernel FIB (bpf_fib_lookup, about 200 ns here, so only off the hit path).
 * Out through XDP_TX when the egress is the ingress interface, through the
 * ks_tx_ports devmap otherwise.
 */
#ifndef KS_ROUTER_NEXTHOP_H
#define KS_ROUTER_NEXTHOP_H

#include "router_ctx.h"

#define KS_SYS_AF_INET	2
#define KS_SYS_AF_INET6 10
/* Linux 6.8: fill in the source address the route would use. */
#define KS_FIB_LOOKUP_SRC (1U << 4)

/* Shard `id` of generation `gen`, or NULL when the slot is out of range or unused. */
KS_ALWAYS_INLINE const struct ks_shard *ks_sh_shard(struct xdp_md *ctx, __u32 gen, __u32 id)
{
	const struct ks_shard *sh;
	__u32 idx;

	(void)ctx;
	if (id >= KS_MAX_SHARDS)
		return NULL;
	idx = gen * KS_MAX_SHARDS + id;
	sh = bpf_map_lookup_elem(&ks_shards, &idx);
	return sh && sh->family ? sh : NULL;
}

/*
 * Resolve sh's next hop through the FIB into *out (a copy of sh with the
 * next-hop block filled; out may be sh itself), checking that tot_len bytes
 * fit the route's MTU.
 * 0, or the reason to pass the packet: KS_R_MTU (FRAG_NEEDED) or
 * KS_R_NO_NEXTHOP (no route, no neighbour yet, forwarding off, ...).
 */
KS_ALWAYS_INLINE __u32 ks_sh_nexthop(struct xdp_md *ctx, const struct ks_shard *sh, __u32 tot_len,
				     struct ks_shard *out)
{
	struct bpf_fib_lookup fib = {};
	__u32 src_known = sh->src.w[0] | sh->src.w[1] | sh->src.w[2] | sh->src.w[3];
	long rc;

	fib.ifindex = ctx->ingress_ifindex;
	fib.tot_len = (__u16)tot_len;
	if (sh->family == KS_AF_INET6) {
		fib.family = KS_SYS_AF_INET6;
		__builtin_memcpy(fib.ipv6_dst, sh->vip.w, 16);
		__builtin_memcpy(fib.ipv6_src, sh->src.w, 16);
	} else {
		fib.family = KS_SYS_AF_INET;
		fib.ipv4_dst = sh->vip.w[0];
		fib.ipv4_src = sh->src.w[0];
	}
	rc = bpf_fib_lookup(ctx, &fib, sizeof(fib), src_known ? 0 : KS_FIB_LOOKUP_SRC);
	if (rc == BPF_FIB_LKUP_RET_FRAG_NEEDED)
		return KS_R_MTU;
	if (rc != BPF_FIB_LKUP_RET_SUCCESS)
		return KS_R_NO_NEXTHOP;
	if (out != sh)
		*out = *sh;
	out->ifindex = fib.ifindex;
	__builtin_memcpy(out->smac, fib.smac, 6);
	__builtin_memcpy(out->dmac, fib.dmac, 6);
	if (!src_known) {
		if (sh->family == KS_AF_INET6) {
			__builtin_memcpy(out->src.w, fib.ipv6_src, 16);
		} else {
			out->src.w[0] = fib.ipv4_src;
		}
	}
	out->mtu = 0; /* the FIB checked tot_len */
	out->nh_valid = 1;
	return 0;
}

KS_ALWAYS_INLINE int ks_sh_xmit(struct xdp_md *ctx, __u32 ifindex)
{
	if (ifindex == ctx->ingress_ifindex)
		return XDP_TX;
	return bpf_redirect_map(&ks_tx_ports, ifindex, 0);
}

#endif /* KS_ROUTER_NEXTHOP_H */
