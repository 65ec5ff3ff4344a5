/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Steering a packet whose shard is decided: TTL, next hop, MTU, then GUE /
 * IP-in-IP encapsulation in place or NAT, counters, and out.
 *
 * Outcomes other than a steer: TTL or hop limit <= 1 is passed to the host
 * (KS_R_TTL: its stack sends the ICMP time-exceeded); a next hop that neither
 * the shard's block nor the shell's fallback resolves is passed
 * (KS_R_NO_NEXTHOP); a packet that would exceed the egress MTU once
 * encapsulated is passed unmodified (KS_R_MTU); no ICMP is built here.
 *
 * Encapsulation moves the head back so that exactly the outer Ethernet and IP
 * (+ UDP + GUE) headers fit in front of the inner IP packet, then the shared
 * builders (keysteer/encap.h) write them; VLAN tags of the received frame are
 * dropped, the outer frame is untagged.
 *
 * Part of the decision flow (keysteer/decide.h); needs the shell's functions.
 */
#ifndef KEYSTEER_STEER_H
#define KEYSTEER_STEER_H

#include <keysteer/encap.h>
#include <keysteer/natflow.h>
#include <keysteer/shell.h>
#include <keysteer/verdict.h>

/*
 * Encapsulation in one shape (steer, family), both compile-time constants at
 * every call: the header length, the head move's size and the builder are
 * then fixed, and the configured GUE port is only read for GUE. One copy per
 * shape measured about 2 ns a packet faster on XDP's UDP hit than a single
 * copy that works them out from the shard at run time (docs/benchmarks.md).
 * 0, KS_R_NO_ROOM (packet untouched), or KS_R_MALFORMED (packet spoilt: drop).
 */
KS_ALWAYS_INLINE __u32 ks_encap_as(KS_SHELL_CTX ctx, const struct ks_rctx *r,
				   const struct ks_shard *sh, __u8 steer, __u8 family)
{
	const __u32 hlen = ks_tunnel_hlen(steer, family);
	__be16 gue_port = 0;
	struct ks_tunnel t;
	__u8 *data;

	if (steer == KS_STEER_GUE) {
		const struct ks_config *cfg = ks_sh_config(ctx, &r->gen);

		gue_port = cfg && cfg->gue_port ? cfg->gue_port : ks_htons(KS_DEFAULT_GUE_PORT);
	}
	ks_tunnel_init(&t, &r->p, &sh->src, &sh->vip, family, steer, gue_port, r->flow_hash);
	if (ks_sh_adjust_head(ctx, (int)r->p.l3_off - KS_ETH_HLEN - (int)hlen))
		return KS_R_NO_ROOM;
	data = (__u8 *)ks_sh_data(ctx);
	/* A constant-size check per shape, so that the BPF verifier sees each. */
	if (data + KS_ETH_HLEN + hlen > (__u8 *)ks_sh_data_end(ctx))
		return KS_R_MALFORMED;
	if (steer == KS_STEER_GUE && family == KS_AF_INET6)
		ks_encap_gue6(data + KS_ETH_HLEN, &t);
	else if (steer == KS_STEER_GUE)
		ks_encap_gue4(data + KS_ETH_HLEN, &t);
	else if (family == KS_AF_INET6)
		ks_encap_ipip6(data + KS_ETH_HLEN, &t);
	else
		ks_encap_ipip4(data + KS_ETH_HLEN, &t);
	ks_eth_write((struct ks_eth *)data, sh->dmac, sh->smac, family);
	return 0;
}

/* GUE or IP-in-IP to sh: a steer other than GUE is IP-in-IP, a family other than 6 is 4. */
KS_ALWAYS_INLINE __u32 ks_encap(KS_SHELL_CTX ctx, const struct ks_rctx *r,
				const struct ks_shard *sh)
{
	if (sh->steer == KS_STEER_GUE) {
		if (sh->family == KS_AF_INET6)
			return ks_encap_as(ctx, r, sh, KS_STEER_GUE, KS_AF_INET6);
		return ks_encap_as(ctx, r, sh, KS_STEER_GUE, KS_AF_INET);
	}
	if (sh->family == KS_AF_INET6)
		return ks_encap_as(ctx, r, sh, KS_STEER_IPIP, KS_AF_INET6);
	return ks_encap_as(ctx, r, sh, KS_STEER_IPIP, KS_AF_INET);
}

/*
 * Steer to sh, count, and out: the verdict. `scratch` receives a resolved
 * copy of the shard when its own next hop is not resolved; it may be the
 * very struct sh points to. Every outcome returns where it is found (rather
 * than through a shared tail): the BPF verifier prunes these paths early.
 */
KS_ALWAYS_INLINE int ks_forward(KS_SHELL_CTX ctx, const struct ks_rctx *r,
				const struct ks_shard *sh, __u32 shard_id, __u32 slot, __u32 target,
				struct ks_shard *scratch)
{
	__u32 out_len = r->p.l3_len;
	__u32 err;

	if (r->p.ttl <= 1)
		return ks_pass(ctx, r, KS_R_TTL);
	if (sh->steer == KS_STEER_NAT) {
		if (sh->family != r->p.family)
			return ks_pass(ctx, r, KS_R_NAT_FAMILY);
	} else {
		out_len += ks_tunnel_hlen(sh->steer, sh->family);
	}
	if (!sh->nh_valid) {
		err = ks_sh_nexthop(ctx, sh, out_len, scratch);
		if (err)
			return ks_pass(ctx, r, err);
		sh = scratch;
	}
	if (sh->mtu && out_len > sh->mtu)
		return ks_pass(ctx, r, KS_R_MTU);
	if (sh->steer == KS_STEER_NAT)
		err = ks_nat_forward(ctx, r, sh);
	else
		err = ks_encap(ctx, r, sh);
	if (err == KS_R_NO_ROOM)
		return ks_pass(ctx, r, err);
	if (err)
		return ks_drop(ctx, r, err);
	ks_count_steered(ctx, shard_id, slot, target, r->len);
	return ks_sh_xmit(ctx, sh->ifindex);
}

#endif /* KEYSTEER_STEER_H */
