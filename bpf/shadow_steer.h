/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Steering one leg of a shadowed packet in tc: the SHADOW mark, the NAT
 * rewrite, the GUE / IP-in-IP encapsulation (outer headers from the shared
 * builders in keysteer/encap.h), and the undo that turns the marked copy back
 * into the original once it has been cloned out.
 */
#ifndef KS_SHADOW_STEER_H
#define KS_SHADOW_STEER_H

#include "shadow_ctx.h"

KS_ALWAYS_INLINE void ks_tc_count(__u32 reason, __u32 bytes)
{
	struct ks_counter *c = bpf_map_lookup_elem(&ks_reason_stats, &reason);

	if (c) {
		c->packets++;
		c->bytes += bytes;
	}
}

KS_ALWAYS_INLINE void ks_tc_count_shard(__u32 shard, __u32 bytes)
{
	struct ks_counter *c;

	shard &= KS_MAX_SHARDS - 1;
	c = bpf_map_lookup_elem(&ks_shard_stats, &shard);
	if (c) {
		c->packets++;
		c->bytes += bytes;
	}
}

/* Shard `id` of generation `gen`, or NULL when out of range or unused. */
KS_ALWAYS_INLINE const struct ks_shard *ks_tc_shard(__u32 gen, __u32 id)
{
	const struct ks_shard *sh;
	__u32 idx;

	if (id >= KS_MAX_SHARDS)
		return NULL;
	idx = (gen & (KS_GENERATIONS - 1)) * KS_MAX_SHARDS + id;
	sh = bpf_map_lookup_elem(&ks_shards, &idx);
	return sh && sh->family ? sh : NULL;
}

/*
 * Set SHADOW in the routing header's flags byte and fix the UDP checksum
 * incrementally (zero stays zero); t->p.l4_check follows, for an outer IPv6
 * GUE checksum computed from it.
 */
KS_ALWAYS_INLINE int ks_tc_mark_shadow(struct __sk_buff *skb, struct ks_tc_pkt *t)
{
	__u32 l4 = ks_tc_l4_off(t->p.family);
	__u32 word_off = l4 + KS_UDP_HLEN + 2; /* version, flags */
	__be16 old_word, new_word;
	__u8 vf[2];
	__sum16 check;

	if (bpf_skb_load_bytes(skb, word_off, vf, 2) || bpf_skb_load_bytes(skb, l4 + 6, &check, 2))
		return -1;
	__builtin_memcpy(&old_word, vf, 2);
	vf[1] |= KS_F_SHADOW;
	__builtin_memcpy(&new_word, vf, 2);
	check = ks_udp_csum_update(check, ks_csum_diff2(old_word, new_word));
	if (bpf_skb_store_bytes(skb, word_off, vf, 2, 0) ||
	    bpf_skb_store_bytes(skb, l4 + 6, &check, 2, 0))
		return -1;
	t->p.l4_check = check;
	return 0;
}

/* Destination NAT to the shard (its family is the packet's), MACs included. */
KS_ALWAYS_INLINE int ks_tc_nat(struct __sk_buff *skb, const struct ks_tc_pkt *t,
			       const struct ks_shard *sh)
{
	struct ks_eth eth;

	if (t->p.family == KS_AF_INET6) {
		struct {
			struct ks_ip6 ip;
			struct ks_udp udp;
		} h;

		if (bpf_skb_load_bytes(skb, KS_ETH_HLEN, &h, sizeof(h)))
			return -1;
		ks_nat6(&h.ip, &h.udp, KS_IPPROTO_UDP, KS_NAT_DST, &sh->vip, sh->port);
		if (bpf_skb_store_bytes(skb, KS_ETH_HLEN, &h, sizeof(h), 0))
			return -1;
	} else {
		struct {
			struct ks_ip4 ip;
			struct ks_udp udp;
		} h;

		if (bpf_skb_load_bytes(skb, KS_ETH_HLEN, &h, sizeof(h)))
			return -1;
		ks_nat4(&h.ip, &h.udp, KS_IPPROTO_UDP, KS_NAT_DST, sh->vip.w[0], sh->port);
		if (bpf_skb_store_bytes(skb, KS_ETH_HLEN, &h, sizeof(h), 0))
			return -1;
	}
	ks_eth_write(&eth, sh->dmac, sh->smac, sh->family);
	return (int)bpf_skb_store_bytes(skb, 0, &eth, sizeof(eth), 0);
}

/*
 * Outer headers in front of the inner IP packet (room made at the MAC layer).
 * The ENCAP flags (skb->encapsulation, inner header offsets, the outer
 * protocol) are given to the primary only: the kernel refuses a second
 * encapsulation of an skb with -EALREADY, and the shrink that undoes the
 * copy's does not clear skb->encapsulation. The copy does not need them: an
 * skb built from an XDP frame is never GSO and carries no checksum offload.
 */
KS_ALWAYS_INLINE __u32 ks_tc_encap(struct __sk_buff *skb, const struct ks_tc_pkt *t,
				   const struct ks_shard *sh, __be16 gue_port, int shadow)
{
	__u8 outer[KS_TUNNEL_MAX_HLEN];
	struct ks_tunnel tun;
	struct ks_eth eth;
	__u64 flags =
	    sh->family == KS_AF_INET6 ? BPF_F_ADJ_ROOM_ENCAP_L3_IPV6 : BPF_F_ADJ_ROOM_ENCAP_L3_IPV4;
	__u32 hlen = ks_tunnel_hlen(sh->steer, sh->family);

	if (sh->steer == KS_STEER_GUE)
		flags |= BPF_F_ADJ_ROOM_ENCAP_L4_UDP;
	if (shadow)
		flags = 0;
	ks_tunnel_init(&tun, &t->p, &sh->src, &sh->vip, sh->family, sh->steer, gue_port,
		       t->m.flow_hash);
	ks_encap_write(outer, &tun);
	if (hlen > KS_TUNNEL_MAX_HLEN)
		return KS_R_MALFORMED;
	if (bpf_skb_adjust_room(skb, (__s32)hlen, BPF_ADJ_ROOM_MAC, flags))
		return KS_R_NO_ROOM;
	ks_eth_write(&eth, sh->dmac, sh->smac, sh->family);
	if (bpf_skb_store_bytes(skb, KS_ETH_HLEN, outer, hlen, 0) ||
	    bpf_skb_store_bytes(skb, 0, &eth, sizeof(eth), 0)) {
		/* Give the room back, so that the caller's undo finds the frame's shape. */
		if (bpf_skb_adjust_room(skb, -(__s32)hlen, BPF_ADJ_ROOM_MAC, 0))
			return KS_R_MALFORMED;
		return KS_R_NO_ROOM;
	}
	return 0;
}

/*
 * Steer the frame to sh: checks first (nothing is changed when one fails),
 * then the rewrite. 0, or the reason the leg was not sent.
 */
KS_ALWAYS_INLINE __u32 ks_tc_steer(struct __sk_buff *skb, struct ks_tc_pkt *t,
				   const struct ks_shard *sh, __be16 gue_port, int shadow)
{
	__u32 out_len = t->p.l3_len;

	if (!sh)
		return KS_R_NO_SHARD;
	if (t->p.ttl <= 1)
		return KS_R_TTL;
	if (sh->steer == KS_STEER_NAT) {
		if (sh->family != t->p.family)
			return KS_R_NAT_FAMILY;
	} else {
		out_len += ks_tunnel_hlen(sh->steer, sh->family);
	}
	/* No FIB lookup in tc: an unresolved next hop leaves the packet to the kernel. */
	if (!sh->nh_valid || !sh->ifindex)
		return KS_R_NO_NEXTHOP;
	if (sh->mtu && out_len > sh->mtu)
		return KS_R_MTU;
	if (shadow && ks_tc_mark_shadow(skb, t))
		return KS_R_MALFORMED;
	if (sh->steer == KS_STEER_NAT)
		return ks_tc_nat(skb, t, sh) ? KS_R_MALFORMED : 0;
	return ks_tc_encap(skb, t, sh, gue_port, shadow);
}

/*
 * Undo a leg: remove the outer headers it added (hlen, 0 for NAT) and put the
 * saved headers back (MACs, addresses, flags byte, checksums). 0 or -1.
 */
KS_ALWAYS_INLINE int ks_tc_undo(struct __sk_buff *skb, const struct ks_tc_pkt *t, __u32 hlen)
{
	__u64 decap =
	    t->p.family == KS_AF_INET6 ? KS_ADJ_ROOM_DECAP_L3_IPV6 : KS_ADJ_ROOM_DECAP_L3_IPV4;

	if (hlen && bpf_skb_adjust_room(skb, -(__s32)hlen, BPF_ADJ_ROOM_MAC, decap))
		return -1;
	if (t->p.family == KS_AF_INET6)
		return (int)bpf_skb_store_bytes(skb, 0, t->saved, KS_TC_SAVE6, 0);
	return (int)bpf_skb_store_bytes(skb, 0, t->saved, KS_TC_SAVE4, 0);
}

#endif /* KS_SHADOW_STEER_H */
