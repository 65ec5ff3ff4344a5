/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The protocol headers the fast paths read and write: Ethernet, 802.1Q/802.1ad
 * tags, IPv4, IPv6, UDP and TCP, declared here rather than taken from
 * <linux/ip.h> or <netinet/ip.h> so that the same code compiles in BPF, in a
 * DPDK application (which may include glibc's headers, which clash with the
 * kernel's) and in tests.
 *
 * The structs have natural alignment, like the kernel's: callers keep the L3
 * header 4-byte aligned (NET_IP_ALIGN, a 2-byte offset before Ethernet) where
 * alignment matters. x86 and BPF do not care; UBSan does.
 */
#ifndef KEYSTEER_PROTO_H
#define KEYSTEER_PROTO_H

#include <keysteer/compat.h>

/*
 * Force inlining in the fast-path code. compat.h's KS_INLINE relies on
 * __always_inline, which <linux/stddef.h> (reached through <linux/types.h>)
 * defines as plain __inline__ when it comes first: clang then leaves the hash
 * and the target choice as BPF subprograms, calls that cost on every packet.
 */
#define KS_ALWAYS_INLINE static inline __attribute__((always_inline))

#define KS_ETH_ALEN	6
#define KS_ETH_HLEN	14
#define KS_VLAN_HLEN	4
#define KS_IP4_HLEN	20 /* without options */
#define KS_IP6_HLEN	40
#define KS_UDP_HLEN	8
#define KS_TCP_HLEN	20 /* without options */
#define KS_TCP_MAX_OPTS 40

#define KS_ETH_P_IP	0x0800
#define KS_ETH_P_IPV6	0x86DD
#define KS_ETH_P_8021Q	0x8100
#define KS_ETH_P_8021AD 0x88A8
#define KS_ETH_P_ARP	0x0806

#define KS_IPPROTO_HOPOPTS  0
#define KS_IPPROTO_IPIP	    4
#define KS_IPPROTO_TCP	    6
#define KS_IPPROTO_UDP	    17
#define KS_IPPROTO_IPV6	    41
#define KS_IPPROTO_ROUTING  43
#define KS_IPPROTO_FRAGMENT 44
#define KS_IPPROTO_ESP	    50
#define KS_IPPROTO_AH	    51
#define KS_IPPROTO_ICMPV6   58
#define KS_IPPROTO_DSTOPTS  60
#define KS_IPPROTO_MH	    135
#define KS_IPPROTO_HIP	    139
#define KS_IPPROTO_SHIM6    140
#define KS_IPPROTO_EXP1	    253 /* RFC 3692 experimentation, may be ext hdrs */
#define KS_IPPROTO_EXP2	    254

#define KS_IP4_DF      0x4000 /* in frag_off, host order */
#define KS_IP4_MF      0x2000
#define KS_IP4_OFFMASK 0x1fff

#define KS_TCP_FIN 0x01
#define KS_TCP_SYN 0x02
#define KS_TCP_RST 0x04
#define KS_TCP_PSH 0x08
#define KS_TCP_ACK 0x10

#define KS_TCPOPT_EOL 0
#define KS_TCPOPT_NOP 1

struct ks_eth {
	__u8 dst[KS_ETH_ALEN];
	__u8 src[KS_ETH_ALEN];
	__be16 proto;
};

struct ks_vlan {
	__be16 tci;
	__be16 proto; /* the encapsulated ethertype */
};

struct ks_ip4 {
	__u8 ver_ihl; /* version 4 (high nibble), header length in words */
	__u8 tos;
	__be16 tot_len;
	__be16 id;
	__be16 frag_off;
	__u8 ttl;
	__u8 proto;
	__sum16 check;
	__be32 saddr;
	__be32 daddr;
};

struct ks_ip6 {
	__be32 ver_tc_flow; /* version 6, traffic class (8 bits), flow label (20 bits) */
	__be16 payload_len;
	__u8 nexthdr;
	__u8 hop_limit;
	__u32 saddr[4];
	__u32 daddr[4];
};

struct ks_udp {
	__be16 source;
	__be16 dest;
	__be16 len;
	__sum16 check;
};

struct ks_tcp {
	__be16 source;
	__be16 dest;
	__be32 seq;
	__be32 ack_seq;
	__u8 doff_res; /* data offset in words (high nibble) */
	__u8 flags;    /* CWR ECE URG ACK PSH RST SYN FIN */
	__be16 window;
	__sum16 check;
	__be16 urg_ptr;
};

KS_STATIC_ASSERT(sizeof(struct ks_eth) == KS_ETH_HLEN, "Ethernet header");
KS_STATIC_ASSERT(sizeof(struct ks_vlan) == KS_VLAN_HLEN, "VLAN tag");
KS_STATIC_ASSERT(sizeof(struct ks_ip4) == KS_IP4_HLEN, "IPv4 header");
KS_STATIC_ASSERT(sizeof(struct ks_ip6) == KS_IP6_HLEN, "IPv6 header");
KS_STATIC_ASSERT(sizeof(struct ks_udp) == KS_UDP_HLEN, "UDP header");
KS_STATIC_ASSERT(sizeof(struct ks_tcp) == KS_TCP_HLEN, "TCP header");

#endif /* KEYSTEER_PROTO_H */
