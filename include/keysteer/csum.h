/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internet checksum arithmetic (RFC 1071) and incremental updates (RFC 1624).
 *
 * Sums are accumulated in 64 bits over values as they sit in memory (16- or
 * 32-bit loads, network order) and folded at the end. One's complement
 * addition is order- and byte-order-independent, and 2^16 = 1 modulo 0xffff,
 * so a 32-bit load is just two 16-bit words added at once. Values computed in
 * host order (lengths, protocol numbers) are converted to network order before
 * they are added.
 */
#ifndef KEYSTEER_CSUM_H
#define KEYSTEER_CSUM_H

#include <keysteer/compat.h>
#include <keysteer/proto.h>
#include <keysteer/table.h>

/* Fold a 64-bit one's complement sum to 16 bits (end-around carries). */
KS_ALWAYS_INLINE __u16 ks_csum_fold(__u64 s)
{
	s = (s & 0xffffffffULL) + (s >> 32);
	s = (s & 0xffffffffULL) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)s;
}

/* The checksum field value for a sum: its one's complement. */
KS_ALWAYS_INLINE __sum16 ks_csum_finish(__u64 s)
{
	return (__sum16)(__u16)~ks_csum_fold(s);
}

/* Sum of an address of either family (IPv4 words 1..3 are zero). */
KS_ALWAYS_INLINE __u64 ks_csum_addr(const struct ks_addr *a)
{
	return (__u64)a->w[0] + a->w[1] + a->w[2] + a->w[3];
}

/*
 * Sum of the pseudo-header of UDP/TCP: addresses, the L4 length and the
 * protocol (RFC 768/793 for IPv4, RFC 8200 section 8.1 for IPv6).
 */
KS_ALWAYS_INLINE __u64 ks_csum_pseudo(const struct ks_addr *s, const struct ks_addr *d, __u8 family,
				      __u32 len, __u8 proto)
{
	__u64 sum = ks_csum_addr(s) + ks_csum_addr(d);

	if (family == KS_AF_INET)
		return sum + ks_htons((__u16)len) + ks_htons(proto);
	return sum + ks_htonl(len) + ks_htonl(proto);
}

/* Header checksum of a 20-byte IPv4 header (the check field must be zero). */
KS_ALWAYS_INLINE __sum16 ks_ip4_hdr_csum(const struct ks_ip4 *ip)
{
	__u32 w[5];

	/* A copy rather than a cast: no aliasing of the struct through __u32. */
	__builtin_memcpy(w, ip, sizeof(w));
	return ks_csum_finish((__u64)w[0] + w[1] + w[2] + w[3] + w[4]);
}

/* RFC 1624: what replacing `from` by `to` adds to a sum (~m + m'). */
KS_ALWAYS_INLINE __u64 ks_csum_diff4(__be32 from, __be32 to)
{
	return (__u64)(__u32)~from + to;
}

KS_ALWAYS_INLINE __u64 ks_csum_diff2(__be16 from, __be16 to)
{
	return (__u64)(__u16)~from + to;
}

KS_ALWAYS_INLINE __u64 ks_csum_diff_addr(const struct ks_addr *from, const struct ks_addr *to)
{
	return ks_csum_diff4(from->w[0], to->w[0]) + ks_csum_diff4(from->w[1], to->w[1]) +
	       ks_csum_diff4(from->w[2], to->w[2]) + ks_csum_diff4(from->w[3], to->w[3]);
}

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'). */
KS_ALWAYS_INLINE __sum16 ks_csum_update(__sum16 check, __u64 diff)
{
	return ks_csum_finish((__u64)(__u16)~check + diff);
}

/*
 * The same for a UDP checksum: zero means "no checksum" and stays zero; a
 * computed zero is sent as 0xffff (RFC 768).
 */
KS_ALWAYS_INLINE __sum16 ks_udp_csum_update(__sum16 check, __u64 diff)
{
	__sum16 c;

	if (!check)
		return 0;
	c = ks_csum_update(check, diff);
	return c ? c : (__sum16)0xffff;
}

/*
 * The one's complement sum of a whole inner IP packet (header, L4 header and
 * payload) computed from its headers alone, for an outer UDP checksum that
 * covers it ("local checksum offload", Linux's
 * Documentation/networking/checksum-offloads.rst): a correct L4 checksum makes
 * the L4 segment sum to the complement of its pseudo-header, and a correct
 * IPv4 header sums to zero. Only valid when the inner L4 checksum is present
 * (TCP, or UDP with a non-zero checksum): see ks_inner_sum_valid().
 */
KS_ALWAYS_INLINE __u64 ks_inner_packet_sum(const struct ks_addr *s, const struct ks_addr *d,
					   __u8 family, __u8 proto, __u16 l4_len, __u8 ttl,
					   __be32 ver_tc_flow)
{
	__u64 sum = (__u16)~ks_csum_fold(ks_csum_pseudo(s, d, family, l4_len, proto));

	if (family == KS_AF_INET6)
		sum += (__u64)ver_tc_flow + ks_htons(l4_len) +
		       ks_htons((__u16)(((__u16)proto << 8) | ttl)) + ks_csum_addr(s) +
		       ks_csum_addr(d);
	return sum;
}

KS_ALWAYS_INLINE int ks_inner_sum_valid(__u8 proto, __be16 l4_check)
{
	return proto == KS_IPPROTO_TCP || l4_check != 0;
}

#endif /* KEYSTEER_CSUM_H */
