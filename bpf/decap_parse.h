/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Parsing the outer headers of an encapsulated packet, for the shard-side
 * decapsulator: Ethernet (up to two VLAN tags), outer IPv4 or IPv6, then
 * either UDP to the GUE port + a GUE variant 0 header, or an IP-in-IP
 * protocol number. The result says where the inner packet starts and ends,
 * or why the packet is not one to strip.
 */
#ifndef KEYSTEER_DECAP_PARSE_H
#define KEYSTEER_DECAP_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <keysteer/compat.h>
#include <keysteer/gue.h>
#include "decap_abi.h"

#define KS_DECAP_MAX_VLANS 2
#define KS_IP_MF	   0x2000
#define KS_IP_OFFSET	   0x1fff
#define KS_NEXTHDR_FRAG	   44

struct ks_vlanhdr {
	__be16 tci;
	__be16 encap_proto;
};

struct ks_decap_parse {
	__u32 l2len;	   /* Ethernet header with its tags: 14, 18 or 22 */
	__u32 inner_off;   /* offset of the inner IP header */
	__be16 inner_type; /* ETH_P_IP or ETH_P_IPV6, network order */
	__u8 outcome;	   /* enum ks_decap_outcome */
};

/*
 * Check the inner IP header fits in [inner, inner_end) and is consistent.
 * Every access is also checked against data_end: only that comparison tells
 * the verifier a packet pointer is safe.
 */
KS_INLINE int ks_decap_inner_ok(void *inner, void *inner_end, void *data_end, int v6)
{
	if (inner_end > data_end)
		return 0;
	if (v6) {
		struct ipv6hdr *ip6 = inner;

		if ((void *)(ip6 + 1) > inner_end || (void *)(ip6 + 1) > data_end ||
		    ip6->version != 6)
			return 0;
		return (void *)(ip6 + 1) + ks_ntohs(ip6->payload_len) <= inner_end;
	} else {
		struct iphdr *ip = inner;
		__u32 tot;

		if ((void *)(ip + 1) > inner_end || (void *)(ip + 1) > data_end ||
		    ip->version != 4 || ip->ihl < 5)
			return 0;
		tot = ks_ntohs(ip->tot_len);
		return tot >= ip->ihl * 4u && inner + tot <= inner_end;
	}
}

/*
 * Fill p. p->outcome is KS_DECAP_GUE or KS_DECAP_IPIP when the packet is to
 * be stripped (and inner_off/inner_type are set), anything else otherwise.
 */
KS_INLINE void ks_decap_parse(void *data, void *data_end, __be16 gue_port, struct ks_decap_parse *p)
{
	struct ethhdr *eth = data;
	void *l3, *l4, *outer_end, *inner, *inner_end;
	__be16 proto;
	__u8 l4proto;

	p->outcome = KS_DECAP_PASS;
	p->inner_off = 0;
	p->inner_type = 0;
	if ((void *)(eth + 1) > data_end)
		return;
	proto = eth->h_proto;
	p->l2len = sizeof(*eth);
#pragma unroll
	for (int i = 0; i < KS_DECAP_MAX_VLANS; i++) {
		struct ks_vlanhdr *vh = data + p->l2len;

		if (proto != ks_htons(ETH_P_8021Q) && proto != ks_htons(ETH_P_8021AD))
			break;
		if ((void *)(vh + 1) > data_end) {
			p->outcome = KS_DECAP_MALFORMED;
			return;
		}
		proto = vh->encap_proto;
		p->l2len += sizeof(*vh);
	}
	l3 = data + p->l2len;

	if (proto == ks_htons(ETH_P_IP)) {
		struct iphdr *ip = l3;
		__u32 hlen, tot;

		if ((void *)(ip + 1) > data_end || ip->version != 4 || ip->ihl < 5) {
			p->outcome = KS_DECAP_MALFORMED;
			return;
		}
		hlen = ip->ihl * 4u;
		tot = ks_ntohs(ip->tot_len);
		if (tot < hlen || l3 + tot > data_end) {
			p->outcome = KS_DECAP_MALFORMED;
			return;
		}
		l4proto = ip->protocol;
		if (ip->frag_off & ks_htons(KS_IP_MF | KS_IP_OFFSET)) {
			if (l4proto == IPPROTO_UDP || l4proto == IPPROTO_IPIP ||
			    l4proto == IPPROTO_IPV6)
				p->outcome = KS_DECAP_FRAGMENT;
			return;
		}
		l4 = l3 + hlen;
		outer_end = l3 + tot;
	} else if (proto == ks_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = l3;

		if ((void *)(ip6 + 1) > data_end || ip6->version != 6) {
			p->outcome = KS_DECAP_MALFORMED;
			return;
		}
		l4 = (void *)(ip6 + 1);
		outer_end = l4 + ks_ntohs(ip6->payload_len);
		if (outer_end > data_end) {
			p->outcome = KS_DECAP_MALFORMED;
			return;
		}
		l4proto = ip6->nexthdr;
		if (l4proto == KS_NEXTHDR_FRAG) {
			p->outcome = KS_DECAP_FRAGMENT;
			return;
		}
	} else {
		if (proto == ks_htons(ETH_P_8021Q) || proto == ks_htons(ETH_P_8021AD))
			p->outcome = KS_DECAP_UNSUPPORTED;
		return;
	}

	if (l4proto == IPPROTO_UDP) {
		struct udphdr *udp = l4;
		struct ks_guehdr *gue = l4 + sizeof(*udp);
		__u32 ulen;

		/* outer_end bounds the headers logically; data_end for the verifier. */
		if ((void *)(udp + 1) > outer_end || (void *)(udp + 1) > data_end) {
			p->outcome = KS_DECAP_MALFORMED;
			return;
		}
		if (gue_port == 0 || udp->dest != gue_port)
			return;
		ulen = ks_ntohs(udp->len);
		if (ulen < sizeof(*udp) + sizeof(*gue) || l4 + ulen > outer_end ||
		    (void *)(gue + 1) > data_end) {
			p->outcome = KS_DECAP_MALFORMED;
			return;
		}
		/* Variant 0, not a control message, no optional fields, no flags. */
		if (gue->vc_hlen != 0 || gue->flags != 0 ||
		    (gue->proto_ctype != IPPROTO_IPIP && gue->proto_ctype != IPPROTO_IPV6)) {
			p->outcome = KS_DECAP_UNSUPPORTED;
			return;
		}
		inner = (void *)(gue + 1);
		inner_end = l4 + ulen;
		l4proto = gue->proto_ctype;
		p->outcome = KS_DECAP_GUE;
	} else if (l4proto == IPPROTO_IPIP || l4proto == IPPROTO_IPV6) {
		inner = l4;
		inner_end = outer_end;
		p->outcome = KS_DECAP_IPIP;
	} else {
		return;
	}

	if (!ks_decap_inner_ok(inner, inner_end, data_end, l4proto == IPPROTO_IPV6)) {
		p->outcome = KS_DECAP_MALFORMED;
		return;
	}
	p->inner_off = inner - data;
	p->inner_type = ks_htons(l4proto == IPPROTO_IPV6 ? ETH_P_IPV6 : ETH_P_IP);
}

#endif
