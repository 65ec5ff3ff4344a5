/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Outer headers for the encapsulating steers: GUE (outer IP + UDP + 4-byte
 * GUE header, keysteer/gue.h) and IP-in-IP (IPIP, IP6IP6, 4-in-6, 6-in-4).
 *
 * Builders write into a caller-provided location of exactly
 * ks_tunnel_hlen() bytes: in front of the inner packet in XDP (after
 * bpf_xdp_adjust_head), a stack buffer in tc (then bpf_skb_store_bytes), an
 * mbuf's prepended room in DPDK. They read nothing but the struct ks_tunnel
 * the caller filled, so the inner packet (headers and payload) is never read
 * or written here.
 *
 * Choices, the same in every fast path:
 *  - outer TTL / hop limit 64; the inner packet is left untouched (its TTL is
 *    not decremented: the tunnel is one hop to the shard's decapsulator);
 *  - outer DSCP and ECN copied from the inner header (RFC 6040 normal mode);
 *  - outer IPv4: DF set, ID 0 (RFC 6864 atomic datagram), UDP checksum 0;
 *  - outer IPv6: flow label from the flow hash (RFC 6438); the UDP checksum
 *    is computed without reading the payload (keysteer/csum.h,
 *    ks_inner_packet_sum) when the inner L4 checksum allows it, and is zero
 *    otherwise, as RFC 6935/6936 permit for tunnel protocols;
 *  - GUE outer UDP source port from the flow hash (receive-side scaling).
 */
#ifndef KEYSTEER_ENCAP_H
#define KEYSTEER_ENCAP_H

#include <keysteer/compat.h>
#include <keysteer/csum.h>
#include <keysteer/gue.h>
#include <keysteer/hash.h>
#include <keysteer/parse.h>
#include <keysteer/proto.h>
#include <keysteer/table.h>

#define KS_TUNNEL_TTL	   64
#define KS_TUNNEL_MAX_HLEN (KS_IP6_HLEN + KS_UDP_HLEN + KS_GUE_LEN)

struct ks_tunnel {
	const struct ks_addr *src;  /* outer source address */
	const struct ks_addr *dst;  /* outer destination: the shard VIP */
	const struct ks_pkt *inner; /* the inner packet, parsed (IPv6 UDP checksum) */
	__u32 flow_label;	    /* outer IPv6 flow label */
	__u16 inner_len;	    /* inner IP packet length */
	__be16 sport;		    /* GUE outer UDP source port */
	__be16 dport;		    /* GUE outer UDP destination port */
	__u8 family;		    /* outer family: the VIP's */
	__u8 steer;		    /* KS_STEER_GUE or KS_STEER_IPIP */
	__u8 inner_proto;	    /* KS_IPPROTO_IPIP (inner IPv4) or KS_IPPROTO_IPV6 */
	__u8 tos;		    /* inner DSCP + ECN */
	__u16 pad;
};

/*
 * The tunnel for packet p to a shard at dst (family, steer) from src: every
 * field derived from the packet's headers and its flow hash, nothing else.
 * src, dst and p are referenced, not copied: they must outlive the builders.
 */
KS_ALWAYS_INLINE void ks_tunnel_init(struct ks_tunnel *t, const struct ks_pkt *p,
				     const struct ks_addr *src, const struct ks_addr *dst,
				     __u8 family, __u8 steer, __be16 gue_port, __u32 flow_hash)
{
	t->src = src;
	t->dst = dst;
	t->inner = p;
	t->family = family;
	t->steer = steer;
	t->inner_proto = p->family == KS_AF_INET6 ? KS_IPPROTO_IPV6 : KS_IPPROTO_IPIP;
	t->tos = p->tos;
	t->inner_len = p->l3_len;
	t->sport = ks_outer_sport(flow_hash);
	t->dport = gue_port;
	t->flow_label = ks_outer_flow_label(flow_hash);
	t->pad = 0;
}

/* Bytes of outer headers after Ethernet: 20, 40, 32 or 52. */
KS_ALWAYS_INLINE __u32 ks_tunnel_hlen(__u8 steer, __u8 family)
{
	__u32 ip = family == KS_AF_INET6 ? KS_IP6_HLEN : KS_IP4_HLEN;

	return steer == KS_STEER_GUE ? ip + KS_UDP_HLEN + KS_GUE_LEN : ip;
}

/*
 * MACs are copied as 16-bit words: both ends are 2-byte aligned (the Ethernet
 * header, and the MAC fields of struct ks_shard / ks_nat_rev), and byte copies
 * cost 24 instructions in BPF.
 */
KS_ALWAYS_INLINE void ks_eth_write(struct ks_eth *eth, const __u8 *dmac, const __u8 *smac,
				   __u8 family)
{
	__builtin_memcpy(eth->dst, __builtin_assume_aligned(dmac, 2), KS_ETH_ALEN);
	__builtin_memcpy(eth->src, __builtin_assume_aligned(smac, 2), KS_ETH_ALEN);
	eth->proto = ks_htons(family == KS_AF_INET6 ? KS_ETH_P_IPV6 : KS_ETH_P_IP);
}

/*
 * An outer IPv4 header carrying `payload` bytes of protocol `proto`. The
 * checksum is summed from the values, not read back from the packet.
 */
KS_ALWAYS_INLINE void ks_tunnel_ip4(struct ks_ip4 *ip, const struct ks_tunnel *t, __u8 proto,
				    __u32 payload)
{
	__be16 vt = ks_htons((__u16)(0x4500 | t->tos));
	__be16 tot = ks_htons((__u16)(KS_IP4_HLEN + payload));
	__be16 df = ks_htons(KS_IP4_DF);
	__be16 tp = ks_htons((__u16)((KS_TUNNEL_TTL << 8) | proto));
	__be32 saddr = t->src->w[0], daddr = t->dst->w[0];

	ip->ver_ihl = 0x45;
	ip->tos = t->tos;
	ip->tot_len = tot;
	ip->id = 0;
	ip->frag_off = df;
	ip->ttl = KS_TUNNEL_TTL;
	ip->proto = proto;
	ip->saddr = saddr;
	ip->daddr = daddr;
	ip->check = ks_csum_finish((__u64)vt + tot + df + tp + saddr + daddr);
}

KS_ALWAYS_INLINE void ks_tunnel_ip6(struct ks_ip6 *ip6, const struct ks_tunnel *t, __u8 nexthdr,
				    __u32 payload)
{
	ip6->ver_tc_flow = ks_htonl((6u << 28) | ((__u32)t->tos << 20) | (t->flow_label & 0xfffff));
	ip6->payload_len = ks_htons((__u16)payload);
	ip6->nexthdr = nexthdr;
	ip6->hop_limit = KS_TUNNEL_TTL;
	ip6->saddr[0] = t->src->w[0];
	ip6->saddr[1] = t->src->w[1];
	ip6->saddr[2] = t->src->w[2];
	ip6->saddr[3] = t->src->w[3];
	ip6->daddr[0] = t->dst->w[0];
	ip6->daddr[1] = t->dst->w[1];
	ip6->daddr[2] = t->dst->w[2];
	ip6->daddr[3] = t->dst->w[3];
}

/* UDP + GUE headers; `check` is the UDP checksum field to write. */
KS_ALWAYS_INLINE void ks_tunnel_udp_gue(struct ks_udp *udp, const struct ks_tunnel *t,
					__sum16 check)
{
	struct ks_guehdr *gue = (struct ks_guehdr *)(udp + 1);

	udp->source = t->sport;
	udp->dest = t->dport;
	udp->len = ks_htons((__u16)(KS_UDP_HLEN + KS_GUE_LEN + t->inner_len));
	udp->check = check;
	gue->vc_hlen = 0;
	gue->proto_ctype = t->inner_proto;
	gue->flags = 0;
}

/*
 * The outer UDP checksum of GUE over IPv6 (see the top of this file): zero
 * when the inner packet's own L4 checksum cannot stand in for its payload.
 */
KS_ALWAYS_INLINE __sum16 ks_gue6_udp_check(const struct ks_tunnel *t)
{
	const struct ks_pkt *in = t->inner;
	__u32 ulen = KS_UDP_HLEN + KS_GUE_LEN + t->inner_len;
	__u64 sum;
	__sum16 c;

	if (!ks_inner_sum_valid(in->proto, in->l4_check))
		return 0;
	sum = ks_csum_pseudo(t->src, t->dst, KS_AF_INET6, ulen, KS_IPPROTO_UDP);
	sum += (__u64)t->sport + t->dport + ks_htons((__u16)ulen) + ks_htons(t->inner_proto);
	sum += ks_inner_packet_sum(&in->saddr, &in->daddr, in->family, in->proto, in->l4_len,
				   in->ttl, in->l3_entropy);
	c = ks_csum_finish(sum);
	return c ? c : (__sum16)0xffff;
}

KS_ALWAYS_INLINE void ks_encap_gue4(void *out, const struct ks_tunnel *t)
{
	struct ks_ip4 *ip = (struct ks_ip4 *)out;

	ks_tunnel_ip4(ip, t, KS_IPPROTO_UDP, KS_UDP_HLEN + KS_GUE_LEN + t->inner_len);
	ks_tunnel_udp_gue((struct ks_udp *)(ip + 1), t, 0);
}

KS_ALWAYS_INLINE void ks_encap_gue6(void *out, const struct ks_tunnel *t)
{
	struct ks_ip6 *ip6 = (struct ks_ip6 *)out;

	ks_tunnel_ip6(ip6, t, KS_IPPROTO_UDP, KS_UDP_HLEN + KS_GUE_LEN + t->inner_len);
	ks_tunnel_udp_gue((struct ks_udp *)(ip6 + 1), t, ks_gue6_udp_check(t));
}

KS_ALWAYS_INLINE void ks_encap_ipip4(void *out, const struct ks_tunnel *t)
{
	ks_tunnel_ip4((struct ks_ip4 *)out, t, t->inner_proto, t->inner_len);
}

KS_ALWAYS_INLINE void ks_encap_ipip6(void *out, const struct ks_tunnel *t)
{
	ks_tunnel_ip6((struct ks_ip6 *)out, t, t->inner_proto, t->inner_len);
}

/*
 * Write the outer headers for t into out (ks_tunnel_hlen() bytes, at most
 * KS_TUNNEL_MAX_HLEN) and return their length. For callers whose buffer
 * always has KS_TUNNEL_MAX_HLEN bytes (tc, DPDK); XDP calls the fixed-size
 * builders after its own bounds check.
 */
KS_ALWAYS_INLINE __u32 ks_encap_write(void *out, const struct ks_tunnel *t)
{
	if (t->steer == KS_STEER_GUE) {
		if (t->family == KS_AF_INET6)
			ks_encap_gue6(out, t);
		else
			ks_encap_gue4(out, t);
	} else {
		if (t->family == KS_AF_INET6)
			ks_encap_ipip6(out, t);
		else
			ks_encap_ipip4(out, t);
	}
	return ks_tunnel_hlen(t->steer, t->family);
}

#endif /* KEYSTEER_ENCAP_H */
