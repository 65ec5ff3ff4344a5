/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The tc side of shadow copies (bpf/ks_shadow.bpf.c): reading the XDP
 * router's hand-off (struct ks_xdp_meta, keysteer/table.h) and the per-packet
 * state both legs (the SHADOW copy, the primary) are built from.
 *
 * The tc program rewrites the skb through helpers (bpf_skb_store_bytes,
 * bpf_skb_adjust_room), never through packet pointers, because
 * bpf_clone_redirect invalidates them half way through. Header offsets are
 * therefore constants per family: the frame must be Ethernet + IPv4 without
 * options or Ethernet + IPv6, followed by UDP. On the tc ingress path VLAN tags
 * are normally out of the packet already (skb->vlan_tci); other shapes are
 * left to the kernel (KS_R_NO_ROOM: "no way to build the copy here").
 */
#ifndef KS_SHADOW_CTX_H
#define KS_SHADOW_CTX_H

#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <keysteer/encap.h>
#include <keysteer/nat.h>
#include <keysteer/parse.h>
#include <keysteer/table.h>
#include <keysteer/wire.h>
#include "ks_maps.h"

/* Linux 6.3 (not yet in Debian 12's UAPI headers): set skb->protocol on shrink. */
#define KS_ADJ_ROOM_DECAP_L3_IPV4 (1ULL << 7)
#define KS_ADJ_ROOM_DECAP_L3_IPV6 (1ULL << 8)

/* Bytes from the start of the frame to the end of the routing header. */
#define KS_TC_SAVE4 (KS_ETH_HLEN + KS_IP4_HLEN + KS_UDP_HLEN + KS_HDR_LEN)
#define KS_TC_SAVE6 (KS_ETH_HLEN + KS_IP6_HLEN + KS_UDP_HLEN + KS_HDR_LEN)

struct ks_tc_pkt {
	struct ks_pkt p;	 /* parsed from the unmodified frame */
	struct ks_xdp_meta m;	 /* the router's hand-off */
	__u32 len;		 /* frame length as received (byte counters) */
	__u32 save_len;		 /* KS_TC_SAVE4 or KS_TC_SAVE6 */
	__u8 saved[KS_TC_SAVE6]; /* the frame's first save_len bytes, to undo the copy */
};

/* The hand-off, when the router left one: 1 and *m filled, else 0. */
KS_ALWAYS_INLINE int ks_tc_meta(struct __sk_buff *skb, struct ks_xdp_meta *m)
{
	void *meta = (void *)(long)skb->data_meta;
	void *data = (void *)(long)skb->data;

	if (meta + sizeof(*m) > data)
		return 0;
	__builtin_memcpy(m, meta, sizeof(*m));
	return m->magic == KS_META_MAGIC;
}

/* Header offsets of the shapes tc rewrites. */
KS_ALWAYS_INLINE __u32 ks_tc_l4_off(__u8 family)
{
	return KS_ETH_HLEN + (family == KS_AF_INET6 ? KS_IP6_HLEN : KS_IP4_HLEN);
}

/* The IPv4 fields the builders need, from the saved header bytes. */
KS_ALWAYS_INLINE __u32 ks_tc_parse4(struct ks_tc_pkt *t)
{
	struct ks_ip4 ip;
	struct ks_udp udp;

	__builtin_memcpy(&ip, t->saved + KS_ETH_HLEN, sizeof(ip));
	__builtin_memcpy(&udp, t->saved + KS_ETH_HLEN + KS_IP4_HLEN, sizeof(udp));
	/* No options (the router passes fragments to the kernel itself). */
	if (ip.ver_ihl != 0x45 || ip.proto != KS_IPPROTO_UDP)
		return KS_R_NO_ROOM;
	t->p.saddr.w[0] = ip.saddr;
	t->p.daddr.w[0] = ip.daddr;
	t->p.l3_len = ks_ntohs(ip.tot_len);
	t->p.ttl = ip.ttl;
	t->p.tos = ip.tos;
	t->p.l3_entropy = ip.id;
	t->p.sport = udp.source;
	t->p.dport = udp.dest;
	t->p.l4_check = udp.check;
	if (t->p.l3_len < KS_IP4_HLEN + KS_UDP_HLEN + KS_HDR_LEN ||
	    t->p.l3_len > t->len - KS_ETH_HLEN)
		return KS_R_MALFORMED;
	t->p.l4_len = t->p.l3_len - KS_IP4_HLEN;
	return 0;
}

KS_ALWAYS_INLINE __u32 ks_tc_parse6(struct ks_tc_pkt *t)
{
	struct ks_ip6 ip6;
	struct ks_udp udp;
	__u32 vtf;

	__builtin_memcpy(&ip6, t->saved + KS_ETH_HLEN, sizeof(ip6));
	__builtin_memcpy(&udp, t->saved + KS_ETH_HLEN + KS_IP6_HLEN, sizeof(udp));
	if (ip6.nexthdr != KS_IPPROTO_UDP)
		return KS_R_NO_ROOM;
	vtf = ks_ntohl(ip6.ver_tc_flow);
	__builtin_memcpy(t->p.saddr.w, ip6.saddr, 16);
	__builtin_memcpy(t->p.daddr.w, ip6.daddr, 16);
	t->p.l4_len = ks_ntohs(ip6.payload_len);
	t->p.l3_len = KS_IP6_HLEN + t->p.l4_len;
	t->p.ttl = ip6.hop_limit;
	t->p.tos = (__u8)(vtf >> 20);
	t->p.l3_entropy = ip6.ver_tc_flow;
	t->p.sport = udp.source;
	t->p.dport = udp.dest;
	t->p.l4_check = udp.check;
	if (t->p.l4_len < KS_UDP_HLEN + KS_HDR_LEN || t->p.l3_len > t->len - KS_ETH_HLEN)
		return KS_R_MALFORMED;
	return 0;
}

/*
 * Read the frame's headers (kept, to undo the copy with) and the fields the
 * outer headers are built from. Through bpf_skb_load_bytes rather than packet
 * pointers: it works on non-linear skbs too, and the router has parsed and
 * checked this packet already. 0, or the reason it is left to the kernel.
 */
KS_ALWAYS_INLINE __u32 ks_tc_parse(struct __sk_buff *skb, struct ks_tc_pkt *t)
{
	struct ks_eth eth;

	__builtin_memset(&t->p, 0, sizeof(t->p));
	t->len = skb->len;
	if (bpf_skb_load_bytes(skb, 0, &eth, sizeof(eth)))
		return KS_R_MALFORMED;
	t->p.l3_off = KS_ETH_HLEN;
	t->p.proto = KS_IPPROTO_UDP;
	if (eth.proto == ks_htons(KS_ETH_P_IPV6)) {
		t->p.family = KS_AF_INET6;
		t->p.l4_off = KS_ETH_HLEN + KS_IP6_HLEN;
		t->save_len = KS_TC_SAVE6;
		if (bpf_skb_load_bytes(skb, 0, t->saved, KS_TC_SAVE6))
			return KS_R_MALFORMED;
		return ks_tc_parse6(t);
	}
	if (eth.proto != ks_htons(KS_ETH_P_IP))
		return KS_R_NO_ROOM; /* VLAN tags in the frame: not rewritten here */
	t->p.family = KS_AF_INET;
	t->p.l4_off = KS_ETH_HLEN + KS_IP4_HLEN;
	t->save_len = KS_TC_SAVE4;
	if (bpf_skb_load_bytes(skb, 0, t->saved, KS_TC_SAVE4))
		return KS_R_MALFORMED;
	return ks_tc_parse4(t);
}

#endif /* KS_SHADOW_CTX_H */
