/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Steering a packet whose shard is decided: TTL, next hop, MTU, then GUE /
 * IP-in-IP encapsulation or NAT, counters, and out.
 *
 * Outcomes other than a steer: TTL or hop limit <= 1 is passed to the kernel
 * (KS_R_TTL: it sends the ICMP time-exceeded); an unresolved next hop that
 * the FIB cannot resolve either is passed (KS_R_NO_NEXTHOP: the kernel
 * resolves the neighbour); a packet that would exceed the egress MTU once
 * encapsulated is passed unmodified (KS_R_MTU), so the kernel answers it as it
 * would (its own forwarding, or ICMP from the listener address); no ICMP is
 * built in XDP.
 */
#ifndef KS_ROUTER_STEER_H
#define KS_ROUTER_STEER_H

#include <keysteer/encap.h>
#include "router_ctx.h"
#include "router_encap.h"
#include "router_nat.h"
#include "router_nexthop.h"
#include "router_stats.h"

/*
 * `scratch` receives a FIB-resolved copy of the shard when its next hop is not
 * resolved; it may be the very struct sh points to.
 */
static __always_inline int ks_forward(struct xdp_md *ctx, const struct ks_rctx *r,
				      const struct ks_shard *sh, __u32 shard_id, __u32 slot,
				      __u32 target, struct ks_shard *scratch)
{
	__u32 out_len = r->p.l3_len;
	__u32 err;

	if (r->p.ttl <= 1)
		return ks_pass(r, KS_R_TTL);
	if (sh->steer == KS_STEER_NAT) {
		if (sh->family != r->p.family)
			return ks_pass(r, KS_R_NAT_FAMILY);
	} else {
		out_len += ks_tunnel_hlen(sh->steer, sh->family);
	}
	if (!sh->nh_valid) {
		err = ks_fib_nexthop(ctx, sh, out_len, scratch);
		if (err)
			return ks_pass(r, err);
		sh = scratch;
	}
	if (sh->mtu && out_len > sh->mtu)
		return ks_pass(r, KS_R_MTU);
	if (sh->steer == KS_STEER_NAT)
		err = ks_nat_forward(ctx, r, sh);
	else
		err = ks_encap(ctx, r, sh);
	if (err == KS_R_NO_ROOM)
		return ks_pass(r, err);
	if (err)
		return ks_drop(r, err);
	ks_count_steered(shard_id, slot, target, r->len);
	return ks_xmit(ctx, sh->ifindex);
}

#endif /* KS_ROUTER_STEER_H */
