/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Assertions on router output, from the bytes: outer headers field by field,
 * every checksum recomputed with tests/bpf/rfc1071.c, the inner packet
 * compared byte for byte with what went in.
 */
#ifndef KS_TEST_XDP_CHECKS_H
#define KS_TEST_XDP_CHECKS_H

#include <stddef.h>
#include <stdint.h>
#include <keysteer/table.h>

#include "pkt.h"
#include "xdp_fixture.h"

struct tunnel_expect {
	int outer_family;
	int gue;	    /* else IP-in-IP */
	const uint8_t *src; /* outer source (4 or 16 bytes) */
	const uint8_t *dst; /* outer destination */
	uint16_t gue_port;
	uint32_t flow_hash; /* of the inner packet, for the source port / flow label */
	const uint8_t *dmac, *smac;
	int zero_csum; /* IPv6 outer: expect a zero UDP checksum (RFC 6935) */
};

/*
 * The output is `in` (a frame with its IP packet at lay->l3) encapsulated as
 * described: Ethernet, outer headers, then the inner IP packet and whatever
 * trailed it, byte for byte. Returns the outer header length (after Ethernet).
 */
size_t check_tunnel(const struct xdp_out *o, const uint8_t *in, const struct pkt_layout *lay,
		    const struct tunnel_expect *e);

/* The IPv4 header at p has a valid checksum. */
void check_ip4_csum(const uint8_t *ip);
/* The UDP/TCP segment of the IP packet at ip (either family) verifies, or UDP zero. */
void check_l4_csum(const uint8_t *ip, int allow_udp_zero);

/* Frame unchanged. */
void check_unchanged(const struct xdp_out *o, const uint8_t *in, size_t len);

/* The flow hash of a built packet (reference model). */
uint32_t spec_flow_hash(const struct pkt_spec *s);

/* A UDP datagram carrying a routing header (and `extra` payload bytes after it). */
size_t build_udp(struct pkt_spec *s, uint8_t *buf, struct pkt_layout *lay, uint64_t key,
		 uint32_t entity, uint8_t flags, size_t extra);

#endif
