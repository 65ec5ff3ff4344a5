/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keysteer's packet hashes. They decide which target a packet goes to, so they
 * are part of the contract between fast paths: the same packet must hash the
 * same in XDP and in DPDK, on every CPU and every host. Hence no per-boot
 * random seed, no CPU-specific instruction (CRC32C), and inputs converted to
 * host order first so the result does not depend on the machine's byte order.
 *
 * The mixer is the MurmurHash3 64-bit finaliser (a bijection with full
 * avalanche): a handful of shifts and multiplies, cheap in BPF and in C.
 *
 * Definitions (all words in host order, << and ^ on 64-bit values):
 *   fold(a)  = a.w0 ^ a.w1*K1 ^ a.w2*K2 ^ a.w3*K3        (IPv4: a.w0)
 *   rotl(x)  = x << 32 | x >> 32
 *   addrs    = IPv4: saddr | daddr << 32;  IPv6: fold(saddr) ^ rotl(fold(daddr))
 *   ports    = sport << 32 | dport << 16 | proto << 8 | family
 *   flow     = mix(addrs ^ ports*KP ^ SEED_FLOW)
 *   entity   = mix(entity ^ SEED_ENTITY)
 *   packet   = mix(flow ^ (l3_entropy << 32 | (tcp_seq ^ l4_check)) ^ SEED_PACKET)
 * each truncated to its low 32 bits. One mix per hash: the multiplies are a
 * dependent chain, and every one costs on every packet.
 */
#ifndef KEYSTEER_HASH_H
#define KEYSTEER_HASH_H

#include <keysteer/compat.h>
#include <keysteer/proto.h>
#include <keysteer/parse.h>

#define KS_HASH_SEED_FLOW   0x6b65797374656572ULL /* "keysteer" */
#define KS_HASH_SEED_ENTITY 0x656e746974792121ULL /* "entity!!" */
#define KS_HASH_SEED_PACKET 0x7061636b65742121ULL /* "packet!!" */
#define KS_HASH_K1	    0x9e3779b97f4a7c15ULL
#define KS_HASH_K2	    0xc2b2ae3d27d4eb4fULL
#define KS_HASH_K3	    0x165667b19e3779f9ULL
#define KS_HASH_KP	    0xd6e8feb86659fd93ULL

KS_ALWAYS_INLINE __u64 ks_mix64(__u64 x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

KS_ALWAYS_INLINE __u64 ks_addr_fold(const struct ks_addr *a)
{
	return (__u64)ks_ntohl(a->w[0]) ^ ((__u64)ks_ntohl(a->w[1]) * KS_HASH_K1) ^
	       ((__u64)ks_ntohl(a->w[2]) * KS_HASH_K2) ^ ((__u64)ks_ntohl(a->w[3]) * KS_HASH_K3);
}

/* The 5-tuple hash (and family): flow stickiness, RSS entropy, shadow sample. */
KS_ALWAYS_INLINE __u32 ks_flow_hash(const struct ks_pkt *p)
{
	__u64 ports = ((__u64)ks_ntohs(p->sport) << 32) | ((__u64)ks_ntohs(p->dport) << 16) |
		      ((__u64)p->proto << 8) | p->family;
	__u64 addrs;

	if (p->family == KS_AF_INET) {
		addrs = ks_ntohl(p->saddr.w[0]) | ((__u64)ks_ntohl(p->daddr.w[0]) << 32);
	} else {
		__u64 d = ks_addr_fold(&p->daddr);

		addrs = ks_addr_fold(&p->saddr) ^ ((d << 32) | (d >> 32));
	}
	return (__u32)ks_mix64(addrs ^ (ports * KS_HASH_KP) ^ KS_HASH_SEED_FLOW);
}

/* Sticky "entity": one user's requests land on one target. */
KS_ALWAYS_INLINE __u32 ks_entity_hash(__u32 entity)
{
	return (__u32)ks_mix64((__u64)entity ^ KS_HASH_SEED_ENTITY);
}

/*
 * Sticky "none": every packet chosen afresh, but deterministically from fields
 * of the packet itself (IPv4 ID or IPv6 flow word, the L4 checksum, the TCP
 * sequence number), so two fast paths still agree on each packet.
 */
KS_ALWAYS_INLINE __u32 ks_packet_hash(const struct ks_pkt *p, __u32 flow_hash)
{
	__u64 e = ((__u64)ks_ntohl(p->l3_entropy) << 32) |
		  (ks_ntohl(p->tcp_seq) ^ (__u32)ks_ntohs(p->l4_check));

	return (__u32)ks_mix64((__u64)flow_hash ^ e ^ KS_HASH_SEED_PACKET);
}

/* Outer UDP source port of an encapsulated flow: 49152..65535 (RFC 6335). */
KS_ALWAYS_INLINE __be16 ks_outer_sport(__u32 flow_hash)
{
	return ks_htons((__u16)(0xc000 | ((flow_hash ^ (flow_hash >> 16)) & 0x3fff)));
}

/* Outer IPv6 flow label (RFC 6438): 20 bits of the flow hash, never zero. */
KS_ALWAYS_INLINE __u32 ks_outer_flow_label(__u32 flow_hash)
{
	__u32 fl = (flow_hash ^ (flow_hash >> 12)) & 0xfffff;

	return fl ? fl : 1;
}

#endif /* KEYSTEER_HASH_H */
