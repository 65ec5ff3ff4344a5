/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NAT steer: the router forwards the packet itself (it is a hop, so the
 * TTL or hop limit is decremented) after rewriting the destination address and
 * port to the shard's VIP and port; replies from the shard get their source
 * rewritten back to the listener's address and port. Both families, never
 * across them (a rule set that NATs between families is refused upstream and
 * counted by the fast path).
 *
 * Checksums are updated incrementally (RFC 1624): the IPv4 header checksum for
 * the address and TTL, the UDP/TCP checksum for the pseudo-header address and
 * the port. A UDP checksum of zero (none) stays zero. The payload is never
 * read.
 *
 * The caller has checked that the IP header and the L4 header (8 bytes for
 * UDP, 20 for TCP) are inside the packet.
 */
#ifndef KEYSTEER_NAT_H
#define KEYSTEER_NAT_H

#include <keysteer/compat.h>
#include <keysteer/csum.h>
#include <keysteer/proto.h>
#include <keysteer/table.h>

enum ks_nat_dir {
	KS_NAT_DST = 0, /* client -> shard: rewrite the destination */
	KS_NAT_SRC = 1, /* shard -> client: rewrite the source back */
};

/* Apply an L4 checksum difference (UDP and TCP keep their checksum elsewhere). */
KS_ALWAYS_INLINE void ks_l4_csum_apply(void *l4, __u8 proto, __u64 diff)
{
	if (proto == KS_IPPROTO_TCP) {
		struct ks_tcp *tcp = (struct ks_tcp *)l4;

		tcp->check = ks_csum_update(tcp->check, diff);
	} else {
		struct ks_udp *udp = (struct ks_udp *)l4;

		udp->check = ks_udp_csum_update(udp->check, diff);
	}
}

/* Rewrite one end of an IPv4 packet to addr:port and decrement its TTL. */
KS_ALWAYS_INLINE void ks_nat4(struct ks_ip4 *ip, void *l4, __u8 proto, enum ks_nat_dir dir,
			      __be32 addr, __be16 port)
{
	/* UDP and TCP both start with source port, destination port. */
	struct ks_udp *ports = (struct ks_udp *)l4;
	__be16 old_ttl = ks_htons((__u16)(((__u16)ip->ttl << 8) | ip->proto));
	__be16 new_ttl = ks_htons((__u16)((((__u16)ip->ttl - 1) << 8) | ip->proto));
	__u64 d_addr, d_port;

	if (dir == KS_NAT_SRC) {
		d_addr = ks_csum_diff4(ip->saddr, addr);
		d_port = ks_csum_diff2(ports->source, port);
		ip->saddr = addr;
		ports->source = port;
	} else {
		d_addr = ks_csum_diff4(ip->daddr, addr);
		d_port = ks_csum_diff2(ports->dest, port);
		ip->daddr = addr;
		ports->dest = port;
	}
	ip->ttl--;
	ip->check = ks_csum_update(ip->check, d_addr + ks_csum_diff2(old_ttl, new_ttl));
	ks_l4_csum_apply(l4, proto, d_addr + d_port);
}

/* The same for IPv6 (no header checksum; the hop limit is decremented). */
KS_ALWAYS_INLINE void ks_nat6(struct ks_ip6 *ip6, void *l4, __u8 proto, enum ks_nat_dir dir,
			      const struct ks_addr *addr, __be16 port)
{
	struct ks_udp *ports = (struct ks_udp *)l4;
	__u32 *a = dir == KS_NAT_SRC ? ip6->saddr : ip6->daddr;
	struct ks_addr old;
	__u64 d;

	old.w[0] = a[0];
	old.w[1] = a[1];
	old.w[2] = a[2];
	old.w[3] = a[3];
	d = ks_csum_diff_addr(&old, addr);
	if (dir == KS_NAT_SRC) {
		d += ks_csum_diff2(ports->source, port);
		ports->source = port;
	} else {
		d += ks_csum_diff2(ports->dest, port);
		ports->dest = port;
	}
	a[0] = addr->w[0];
	a[1] = addr->w[1];
	a[2] = addr->w[2];
	a[3] = addr->w[3];
	ip6->hop_limit--;
	ks_l4_csum_apply(l4, proto, d);
}

#endif /* KEYSTEER_NAT_H */
