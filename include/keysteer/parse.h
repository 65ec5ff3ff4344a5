/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet parsing shared by every fast path: Ethernet, up to two 802.1Q/802.1ad
 * tags, IPv4 or IPv6, then the UDP or TCP header; and, once the packet is known
 * to be for a listener, the routing header (UDP payload) or the kind-253 TCP
 * option.
 *
 * Everything works on a (data, data_end) byte range: the XDP context, a DPDK
 * mbuf's data, a test buffer. Every read is preceded by an explicit check
 * against data_end, in the form the BPF verifier understands, and every loop
 * has a constant bound. Nothing here reads past the L4 header except the
 * routing header itself; the payload is never touched.
 *
 * Results are enum ks_reason values (keysteer/table.h) so that the caller can
 * count them directly; KS_PARSE_OK (== KS_R_STEERED, 0) means "go on".
 */
#ifndef KEYSTEER_PARSE_H
#define KEYSTEER_PARSE_H

#include <keysteer/compat.h>
#include <keysteer/proto.h>
#include <keysteer/table.h>
#include <keysteer/wire.h>

#define KS_PARSE_OK  KS_R_STEERED
#define KS_MAX_VLANS 2
/* Largest header offsets ks_parse() can produce (two tags, IPv4 options). */
#define KS_MAX_L3_OFF (KS_ETH_HLEN + KS_MAX_VLANS * KS_VLAN_HLEN)
#define KS_MAX_L4_OFF (KS_MAX_L3_OFF + 60)
/* Steps of the TCP option walk: one per option, a NOP is one byte. */
#define KS_TCPOPT_MAX_STEPS KS_TCP_MAX_OPTS

/* What the fast path needs to know about a UDP or TCP packet. */
struct ks_pkt {
	struct ks_addr saddr; /* IPv4 in w[0], network order */
	struct ks_addr daddr;
	__be16 sport;
	__be16 dport;
	__u16 l3_off; /* IP header, from the start of the frame */
	__u16 l4_off; /* UDP/TCP header, from the start of the frame */
	__u16 l3_len; /* IPv4 tot_len, or 40 + IPv6 payload_len */
	__u16 l4_len; /* L4 header + payload, per the IP header */
	__u8 family;  /* KS_AF_INET or KS_AF_INET6 */
	__u8 proto;   /* KS_IPPROTO_UDP or KS_IPPROTO_TCP */
	__u8 ttl;     /* TTL or hop limit */
	__u8 tos;     /* IPv4 TOS or IPv6 traffic class (DSCP + ECN) */
	__u8 tcp_flags;
	__u8 n_vlans;
	__be16 l4_check; /* UDP or TCP checksum field as received */
	/*
	 * Per-packet entropy for sticky "none": IPv4 identification, or the
	 * IPv6 version/class/flow-label word; and the TCP sequence number
	 * (zero for UDP, whose checksum field serves instead).
	 */
	__be32 l3_entropy;
	__be32 tcp_seq;
};

KS_ALWAYS_INLINE int ks_v6_is_exthdr(__u8 nh)
{
	switch (nh) {
	case KS_IPPROTO_HOPOPTS:
	case KS_IPPROTO_ROUTING:
	case KS_IPPROTO_FRAGMENT:
	case KS_IPPROTO_ESP:
	case KS_IPPROTO_AH:
	case KS_IPPROTO_DSTOPTS:
	case KS_IPPROTO_MH:
	case KS_IPPROTO_HIP:
	case KS_IPPROTO_SHIM6:
	case KS_IPPROTO_EXP1:
	case KS_IPPROTO_EXP2:
		return 1;
	}
	return 0;
}

/*
 * The L4 header of a parsed packet. Offsets are re-checked against their
 * maximum because the BPF verifier loses their range once they are stored.
 */
KS_ALWAYS_INLINE const __u8 *ks_l4(const void *data, const struct ks_pkt *p)
{
	__u32 off = p->l4_off;

	if (off > KS_MAX_L4_OFF)
		return 0;
	return (const __u8 *)data + off;
}

/*
 * Both ports, as one 32-bit store: the connection-table key reads them back
 * as one word, and a word load that spans two 16-bit stores cannot be
 * forwarded from them (the load waits for the stores to reach the cache).
 */
KS_STATIC_ASSERT(__builtin_offsetof(struct ks_pkt, dport) ==
		     __builtin_offsetof(struct ks_pkt, sport) + sizeof(__be16),
		 "ks_pkt ports are adjacent, in wire order");

KS_ALWAYS_INLINE void ks_copy_ports(struct ks_pkt *p, const __be16 *src_dst)
{
	__builtin_memcpy((__u8 *)p + __builtin_offsetof(struct ks_pkt, sport), src_dst,
			 2 * sizeof(__be16));
}

/*
 * L4 header: complete in the frame and within the IP payload, else MALFORMED.
 * Fills ports, flags and the checksum field.
 */
KS_ALWAYS_INLINE enum ks_reason ks_parse_l4(const void *data, const void *data_end,
					    struct ks_pkt *p)
{
	const __u8 *l4 = ks_l4(data, p);

	if (!l4)
		return KS_R_MALFORMED;
	if (p->proto == KS_IPPROTO_UDP) {
		const struct ks_udp *udp = (const struct ks_udp *)l4;

		if ((const void *)(udp + 1) > data_end || p->l4_len < KS_UDP_HLEN)
			return KS_R_MALFORMED;
		ks_copy_ports(p, &udp->source);
		p->l4_check = udp->check;
		p->tcp_flags = 0;
		p->tcp_seq = 0;
	} else {
		const struct ks_tcp *tcp = (const struct ks_tcp *)l4;

		if ((const void *)(tcp + 1) > data_end || p->l4_len < KS_TCP_HLEN)
			return KS_R_MALFORMED;
		ks_copy_ports(p, &tcp->source);
		p->l4_check = tcp->check;
		p->tcp_flags = tcp->flags;
		p->tcp_seq = tcp->seq;
	}
	return KS_PARSE_OK;
}

KS_ALWAYS_INLINE enum ks_reason ks_parse_ip4(const void *data, const void *data_end,
					     struct ks_pkt *p)
{
	__u32 l3_off = p->l3_off;
	const struct ks_ip4 *ip = (const struct ks_ip4 *)((const __u8 *)data + l3_off);
	__u32 ihl, tot;

	if (l3_off > KS_MAX_L3_OFF || (const void *)(ip + 1) > data_end)
		return KS_R_MALFORMED;
	if ((ip->ver_ihl >> 4) != 4)
		return KS_R_MALFORMED;
	ihl = (__u32)(ip->ver_ihl & 0x0f) * 4;
	tot = ks_ntohs(ip->tot_len);
	if (ihl < KS_IP4_HLEN || tot < ihl)
		return KS_R_MALFORMED;
	if ((const __u8 *)ip + tot > (const __u8 *)data_end)
		return KS_R_MALFORMED;
	if (ip->frag_off & ks_htons(KS_IP4_MF | KS_IP4_OFFMASK))
		return KS_R_FRAGMENT;
	if (ip->proto != KS_IPPROTO_UDP && ip->proto != KS_IPPROTO_TCP)
		return KS_R_NOT_LISTENER;

	p->family = KS_AF_INET;
	p->proto = ip->proto;
	p->ttl = ip->ttl;
	p->tos = ip->tos;
	p->l3_len = (__u16)tot;
	p->l4_off = (__u16)(l3_off + ihl);
	p->l4_len = (__u16)(tot - ihl);
	p->l3_entropy = ks_htonl((__u32)ks_ntohs(ip->id));
	p->saddr.w[0] = ip->saddr;
	p->saddr.w[1] = 0;
	p->saddr.w[2] = 0;
	p->saddr.w[3] = 0;
	p->daddr.w[0] = ip->daddr;
	p->daddr.w[1] = 0;
	p->daddr.w[2] = 0;
	p->daddr.w[3] = 0;
	return ks_parse_l4(data, data_end, p);
}

KS_ALWAYS_INLINE enum ks_reason ks_parse_ip6(const void *data, const void *data_end,
					     struct ks_pkt *p)
{
	__u32 l3_off = p->l3_off;
	const struct ks_ip6 *ip6 = (const struct ks_ip6 *)((const __u8 *)data + l3_off);
	__u32 plen;

	if (l3_off > KS_MAX_L3_OFF || (const void *)(ip6 + 1) > data_end)
		return KS_R_MALFORMED;
	if ((((const __u8 *)ip6)[0] >> 4) != 6)
		return KS_R_MALFORMED;
	plen = ks_ntohs(ip6->payload_len);
	if ((const __u8 *)(ip6 + 1) + plen > (const __u8 *)data_end)
		return KS_R_MALFORMED;
	if (ip6->nexthdr != KS_IPPROTO_UDP && ip6->nexthdr != KS_IPPROTO_TCP)
		return ks_v6_is_exthdr(ip6->nexthdr) ? KS_R_V6_EXTHDR : KS_R_NOT_LISTENER;

	p->family = KS_AF_INET6;
	p->proto = ip6->nexthdr;
	p->ttl = ip6->hop_limit;
	p->tos = (__u8)(ks_ntohl(ip6->ver_tc_flow) >> 20);
	p->l3_len = (__u16)(KS_IP6_HLEN + plen);
	p->l4_off = (__u16)(l3_off + KS_IP6_HLEN);
	p->l4_len = (__u16)plen;
	p->l3_entropy = ip6->ver_tc_flow;
	p->saddr.w[0] = ip6->saddr[0];
	p->saddr.w[1] = ip6->saddr[1];
	p->saddr.w[2] = ip6->saddr[2];
	p->saddr.w[3] = ip6->saddr[3];
	p->daddr.w[0] = ip6->daddr[0];
	p->daddr.w[1] = ip6->daddr[1];
	p->daddr.w[2] = ip6->daddr[2];
	p->daddr.w[3] = ip6->daddr[3];
	return ks_parse_l4(data, data_end, p);
}

/*
 * Parse L2 to L4. KS_PARSE_OK: a UDP or TCP packet over IPv4/IPv6 whose
 * headers are complete and consistent with the frame. Otherwise:
 *   KS_R_NOT_LISTENER  not IP, more than two tags, or IP but not UDP/TCP
 *   KS_R_FRAGMENT      an IPv4 fragment (first or later)
 *   KS_R_V6_EXTHDR     IPv6 with an extension header
 *   KS_R_MALFORMED     truncated, or lengths inconsistent with the frame
 * None of these can be known to be for a listener, so a caller passes them.
 */
KS_ALWAYS_INLINE enum ks_reason ks_parse(const void *data, const void *data_end, struct ks_pkt *p)
{
	const struct ks_eth *eth = (const struct ks_eth *)data;
	__be16 proto;
	__u16 off = KS_ETH_HLEN;

	p->n_vlans = 0;
	if ((const void *)(eth + 1) > data_end)
		return KS_R_MALFORMED;
	proto = eth->proto;
	for (int i = 0; i < KS_MAX_VLANS; i++) {
		const struct ks_vlan *vlan = (const struct ks_vlan *)((const __u8 *)data + off);

		if (proto != ks_htons(KS_ETH_P_8021Q) && proto != ks_htons(KS_ETH_P_8021AD))
			break;
		if ((const void *)(vlan + 1) > data_end)
			return KS_R_MALFORMED;
		proto = vlan->proto;
		off += KS_VLAN_HLEN;
		p->n_vlans++;
	}
	p->l3_off = off;
	if (proto == ks_htons(KS_ETH_P_IP))
		return ks_parse_ip4(data, data_end, p);
	if (proto == ks_htons(KS_ETH_P_IPV6))
		return ks_parse_ip6(data, data_end, p);
	return KS_R_NOT_LISTENER;
}

/*
 * The routing header of a UDP datagram to a listener. Fills *h and returns
 * KS_PARSE_OK, or why not:
 *   KS_R_MALFORMED      UDP length below 8 or beyond the IP payload
 *   KS_R_NO_HEADER      fewer than 16 bytes of UDP payload
 *   KS_R_BAD_MAGIC, KS_R_BAD_VERSION, KS_R_CLIENT_SHADOW (h is filled)
 */
KS_ALWAYS_INLINE enum ks_reason ks_udp_routing_header(const void *data, const void *data_end,
						      const struct ks_pkt *p, struct ks_header *h)
{
	const __u8 *l4 = ks_l4(data, p);
	const struct ks_udp *udp;
	const struct ks_hdr *kh;
	__u32 ulen;

	if (!l4)
		return KS_R_MALFORMED;
	udp = (const struct ks_udp *)l4;
	kh = (const struct ks_hdr *)(l4 + KS_UDP_HLEN);
	if ((const void *)(udp + 1) > data_end)
		return KS_R_MALFORMED;
	ulen = ks_ntohs(udp->len);
	if (ulen < KS_UDP_HLEN || ulen > p->l4_len)
		return KS_R_MALFORMED;
	if (ulen < KS_UDP_HLEN + KS_HDR_LEN || (const void *)(kh + 1) > data_end)
		return KS_R_NO_HEADER;
	switch (ks_hdr_decode(kh, h)) {
	case KS_DECODE_OK:
		return KS_PARSE_OK;
	case KS_DECODE_BAD_MAGIC:
		return KS_R_BAD_MAGIC;
	case KS_DECODE_BAD_VERSION:
		return KS_R_BAD_VERSION;
	default:
		return KS_R_CLIENT_SHADOW;
	}
}

/* TCP data offset in bytes, checked against the IP payload: 0 when invalid. */
KS_ALWAYS_INLINE __u32 ks_tcp_hlen(const void *data, const void *data_end, const struct ks_pkt *p)
{
	const struct ks_tcp *tcp = (const struct ks_tcp *)ks_l4(data, p);
	__u32 hlen;

	if (!tcp || (const void *)(tcp + 1) > data_end)
		return 0;
	hlen = (__u32)(tcp->doff_res >> 4) * 4;
	if (hlen < KS_TCP_HLEN || hlen > p->l4_len)
		return 0;
	return hlen;
}

/*
 * Find the keysteer option (kind 253, length 16, ExID 0x4B53) among the TCP
 * options. Options of other kinds, and kind-253 options of other experiments
 * (another ExID or length), are skipped. The result is KS_PARSE_OK with *h
 * filled, KS_R_NO_HEADER (not there), or KS_R_MALFORMED (data offset invalid,
 * or an option whose length is below 2 or runs past the header).
 *
 * The walk is split so that a fast path can drive the loop its own way (the
 * BPF glue keeps the offset where the verifier does not track it, see
 * bpf/router_parse.h): ks_tcp_opts() finds the option bytes,
 * ks_tcpopt_step() examines the option at *off and either finishes or
 * advances *off. At most KS_TCPOPT_MAX_STEPS steps are needed, one per
 * option: that covers 40 bytes of single-byte NOPs, so the bound never hides
 * an option.
 */
#define KS_TCPOPT_NEXT (-1) /* ks_tcpopt_step(): go on at the new *off */

/* The options of a TCP packet to a listener: KS_PARSE_OK or KS_R_MALFORMED. */
KS_ALWAYS_INLINE enum ks_reason ks_tcp_opts(const void *data, const void *data_end,
					    const struct ks_pkt *p, const __u8 **opts,
					    __u32 *optlen)
{
	const __u8 *l4 = ks_l4(data, p);
	__u32 hlen = ks_tcp_hlen(data, data_end, p);

	if (!l4 || !hlen)
		return KS_R_MALFORMED;
	*opts = l4 + KS_TCP_HLEN;
	*optlen = hlen - KS_TCP_HLEN;
	return KS_PARSE_OK;
}

/* One step of the walk: a result, or KS_TCPOPT_NEXT with *off advanced. */
KS_ALWAYS_INLINE int ks_tcpopt_step(const __u8 *opts, const void *data_end, __u32 optlen,
				    __u32 *off, struct ks_header *h)
{
	__u32 at = *off, kind, len;
	const __u8 *o;

	if (at >= optlen)
		return KS_R_NO_HEADER;
	/* at < optlen <= 40: the mask only tells the verifier so. */
	o = opts + (at & 0x3f);
	if (o + 1 > (const __u8 *)data_end)
		return KS_R_MALFORMED;
	kind = o[0];
	if (kind == KS_TCPOPT_EOL)
		return KS_R_NO_HEADER;
	if (kind == KS_TCPOPT_NOP) {
		*off = at + 1;
		return KS_TCPOPT_NEXT;
	}
	if (at + 2 > optlen || o + 2 > (const __u8 *)data_end)
		return KS_R_MALFORMED;
	len = o[1];
	if (len < 2 || at + len > optlen)
		return KS_R_MALFORMED;
	if (kind == KS_TCPOPT_KIND && len == KS_TCPOPT_LEN) {
		const struct ks_tcpopt *ko = (const struct ks_tcpopt *)o;

		if ((const void *)(ko + 1) > data_end)
			return KS_R_MALFORMED;
		if (ks_tcpopt_decode(ko, h) == KS_DECODE_OK)
			return KS_PARSE_OK;
	}
	*off = at + len;
	return KS_TCPOPT_NEXT;
}

/* The whole walk, for fast paths with an ordinary compiler. */
KS_ALWAYS_INLINE enum ks_reason ks_tcp_routing_option(const void *data, const void *data_end,
						      const struct ks_pkt *p, struct ks_header *h)
{
	const __u8 *opts;
	__u32 optlen, off = 0;
	enum ks_reason r = ks_tcp_opts(data, data_end, p, &opts, &optlen);

	if (r != KS_PARSE_OK)
		return r;
	for (int i = 0; i < KS_TCPOPT_MAX_STEPS; i++) {
		int s = ks_tcpopt_step(opts, data_end, optlen, &off, h);

		if (s != KS_TCPOPT_NEXT)
			return (enum ks_reason)s;
	}
	return KS_R_NO_HEADER;
}

#endif /* KEYSTEER_PARSE_H */
