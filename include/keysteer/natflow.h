/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NAT steer in place (keysteer/nat.h does the arithmetic): rewrite,
 * remember how to translate replies (the reverse table, with a 65536-bit
 * filter in front of it so that the host's own traffic costs no hash
 * lookup), and translate replies from a shard back to the listener's address
 * and port on their way to the client. Frames leave untagged: VLAN tags are
 * dropped by moving the Ethernet header up to the IP header.
 *
 * Part of the decision flow (keysteer/decide.h); needs the shell's functions.
 */
#ifndef KEYSTEER_NATFLOW_H
#define KEYSTEER_NATFLOW_H

#include <keysteer/encap.h>
#include <keysteer/hash.h>
#include <keysteer/nat.h>
#include <keysteer/shell.h>
#include <keysteer/verdict.h>

KS_ALWAYS_INLINE __u32 ks_nat_filter_bit(const struct ks_addr *a, __be16 port, __u8 proto)
{
	return (__u32)ks_mix64(ks_addr_fold(a) ^ ((__u64)ks_ntohs(port) << 40) ^
			       ((__u64)proto << 56)) &
	       0xffff;
}

KS_ALWAYS_INLINE int ks_nat_rev_same(const struct ks_nat_rev *a, const struct ks_nat_rev *b)
{
	__u32 am[3], bm[3];

	__builtin_memcpy(am, a->client_mac, 12);
	__builtin_memcpy(bm, b->client_mac, 12);
	return a->listener_addr.w[0] == b->listener_addr.w[0] &&
	       a->listener_addr.w[1] == b->listener_addr.w[1] &&
	       a->listener_addr.w[2] == b->listener_addr.w[2] &&
	       a->listener_addr.w[3] == b->listener_addr.w[3] &&
	       a->listener_port == b->listener_port && a->family == b->family &&
	       a->ifindex == b->ifindex && am[0] == bm[0] && am[1] == bm[1] && am[2] == bm[2];
}

/* Record (or refresh) the reverse translation of a packet NAT'd to sh. */
KS_ALWAYS_INLINE void ks_nat_remember(KS_SHELL_CTX ctx, const struct ks_rctx *r,
				      const struct ks_shard *sh, const struct ks_eth *eth)
{
	struct ks_nat_key k = {};
	struct ks_nat_rev v = {};
	const struct ks_nat_rev *old;

	k.shard_addr = sh->vip;
	k.client_addr = r->p.saddr;
	k.shard_port = sh->port;
	k.client_port = r->p.sport;
	k.proto = r->p.proto;
	k.family = r->p.family;
	v.listener_addr = r->p.daddr;
	v.listener_port = r->p.dport;
	v.family = r->p.family;
	v.ifindex = ks_sh_ingress(ctx);
	__builtin_memcpy(v.client_mac, eth->src, 6);
	__builtin_memcpy(v.router_mac, eth->dst, 6);
	old = ks_sh_nat_lookup(ctx, &k);
	if (old && ks_nat_rev_same(old, &v))
		return;
	ks_sh_nat_update(ctx, &k, &v);
	ks_sh_nat_filter_set(ctx, ks_nat_filter_bit(&sh->vip, sh->port, r->p.proto));
}

/*
 * Rewrite one end of the packet now at data (untagged: IP at data + 14).
 * The protocol is passed as a constant at each call site so that the BPF
 * verifier sees one L4 header size per path.
 */
KS_ALWAYS_INLINE __u32 ks_nat_rewrite(void *data, void *end, __u8 family, __u8 proto,
				      enum ks_nat_dir dir, const struct ks_addr *addr, __be16 port)
{
	__u32 l4min = proto == KS_IPPROTO_TCP ? KS_TCP_HLEN : KS_UDP_HLEN;

	if (family == KS_AF_INET) {
		struct ks_ip4 *ip = (struct ks_ip4 *)((__u8 *)data + KS_ETH_HLEN);
		__u8 *l4;

		if ((void *)(ip + 1) > end)
			return KS_R_MALFORMED;
		l4 = (__u8 *)ip + (ip->ver_ihl & 0x0f) * 4;
		if ((void *)(l4 + l4min) > end)
			return KS_R_MALFORMED;
		ks_nat4(ip, l4, proto, dir, addr->w[0], port);
	} else {
		struct ks_ip6 *ip6 = (struct ks_ip6 *)((__u8 *)data + KS_ETH_HLEN);
		__u8 *l4 = (__u8 *)(ip6 + 1);

		if ((void *)(l4 + l4min) > end)
			return KS_R_MALFORMED;
		ks_nat6(ip6, l4, proto, dir, addr, port);
	}
	return 0;
}

/*
 * Untag (if tagged), rewrite, and write the Ethernet header. 0, KS_R_NO_ROOM
 * (packet untouched) or KS_R_MALFORMED (packet spoilt: drop).
 */
KS_ALWAYS_INLINE __u32 ks_nat_apply(KS_SHELL_CTX ctx, const struct ks_rctx *r, enum ks_nat_dir dir,
				    const struct ks_addr *addr, __be16 port, const __u8 *dmac,
				    const __u8 *smac)
{
	void *data, *end;
	__u32 err;

	if (r->p.n_vlans && ks_sh_adjust_head(ctx, (int)r->p.l3_off - KS_ETH_HLEN))
		return KS_R_NO_ROOM;
	data = ks_sh_data(ctx);
	end = ks_sh_data_end(ctx);
	if ((__u8 *)data + KS_ETH_HLEN > (__u8 *)end)
		return KS_R_MALFORMED;
	if (r->p.proto == KS_IPPROTO_TCP)
		err = ks_nat_rewrite(data, end, r->p.family, KS_IPPROTO_TCP, dir, addr, port);
	else
		err = ks_nat_rewrite(data, end, r->p.family, KS_IPPROTO_UDP, dir, addr, port);
	if (err)
		return err;
	ks_eth_write((struct ks_eth *)data, dmac, smac, r->p.family);
	return 0;
}

/* Forward direction: to sh's VIP and port. Same return values as ks_nat_apply. */
KS_ALWAYS_INLINE __u32 ks_nat_forward(KS_SHELL_CTX ctx, const struct ks_rctx *r,
				      const struct ks_shard *sh)
{
	void *data = ks_sh_data(ctx), *end = ks_sh_data_end(ctx);
	struct ks_eth *eth = (struct ks_eth *)data;

	if ((void *)(eth + 1) > end)
		return KS_R_MALFORMED;
	ks_nat_remember(ctx, r, sh, eth);
	return ks_nat_apply(ctx, r, KS_NAT_DST, &sh->vip, sh->port, sh->dmac, sh->smac);
}

/*
 * A packet for no listener: is it a reply from a NAT'd shard? Then translate
 * it back and send it towards the client (a verdict); otherwise -1.
 */
KS_ALWAYS_INLINE int ks_nat_reply(KS_SHELL_CTX ctx, const struct ks_rctx *r)
{
	struct ks_nat_key k = {};
	const struct ks_nat_rev *v;
	__u32 err;

	if (!ks_sh_nat_filter_test(ctx, ks_nat_filter_bit(&r->p.saddr, r->p.sport, r->p.proto)))
		return -1;
	k.shard_addr = r->p.saddr;
	k.client_addr = r->p.daddr;
	k.shard_port = r->p.sport;
	k.client_port = r->p.dport;
	k.proto = r->p.proto;
	k.family = r->p.family;
	v = ks_sh_nat_lookup(ctx, &k);
	if (!v)
		return -1;
	if (r->p.ttl <= 1)
		return ks_pass(ctx, r, KS_R_TTL);
	err = ks_nat_apply(ctx, r, KS_NAT_SRC, &v->listener_addr, v->listener_port, v->client_mac,
			   v->router_mac);
	if (err == KS_R_NO_ROOM)
		return ks_pass(ctx, r, err);
	if (err)
		return ks_drop(ctx, r, err);
	ks_sh_count(ctx, KS_R_NAT_REPLY, r->len);
	return ks_sh_xmit(ctx, v->ifindex);
}

#endif /* KEYSTEER_NATFLOW_H */
