/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Building encapsulated test packets byte by byte (no kernel, no libraries):
 * an inner IPv4/IPv6 + UDP datagram with correct checksums, wrapped in
 * Ethernet (0-2 VLAN tags) + outer IPv4/IPv6 + either UDP/GUE or IP-in-IP.
 */
#ifndef KS_TESTS_DECAP_PKT_H
#define KS_TESTS_DECAP_PKT_H

#include <stddef.h>
#include <stdint.h>

struct ks_pkt_addrs {
	uint8_t dmac[6], smac[6];
	uint8_t outer_src4[4], outer_dst4[4];
	uint8_t outer_src6[16], outer_dst6[16];
	uint8_t inner_src4[4], inner_dst4[4];
	uint8_t inner_src6[16], inner_dst6[16];
};

enum ks_encap { KS_ENC_GUE, KS_ENC_IPIP };

struct ks_pkt_spec {
	int outer; /* 4 or 6 */
	enum ks_encap encap;
	int inner; /* 4 or 6 */
	int vlans; /* 0..3 */
	uint16_t gue_port;
	uint16_t sport, dport; /* inner UDP ports */
	const uint8_t *payload;
	size_t payload_len;
	const struct ks_pkt_addrs *a;
};

/* Default addresses for tests that do not care. */
extern const struct ks_pkt_addrs ks_pkt_default_addrs;

/* The inner IP + UDP packet. Returns its length. */
size_t ks_pkt_inner(uint8_t *buf, const struct ks_pkt_spec *s);
/* The whole frame; *inner_off gets where the inner packet starts. */
size_t ks_pkt_frame(uint8_t *buf, const struct ks_pkt_spec *s, size_t *inner_off);
/* The frame a correct decapsulator makes of it (L2 + inner packet). */
size_t ks_pkt_expected(uint8_t *buf, const struct ks_pkt_spec *s);

/* Internet checksum helpers. */
uint32_t ks_csum_add(uint32_t sum, const void *data, size_t len);
uint16_t ks_csum_fold(uint32_t sum);

/* Offset of the outer L3 header (after Ethernet and tags). */
static inline size_t ks_pkt_l2len(const struct ks_pkt_spec *s)
{
	return 14 + 4 * (size_t)s->vlans;
}

#endif
