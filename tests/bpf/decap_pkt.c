/* SPDX-License-Identifier: BSD-3-Clause */
#include "decap_pkt.h"

#include <string.h>

/* Inner IPv6: 2001:db8:c100::7 -> 2001:db8:ee00::a. */
const struct ks_pkt_addrs ks_pkt_default_addrs = {
    .dmac = {0x02, 0, 0, 0, 0, 0x02},
    .smac = {0x02, 0, 0, 0, 0, 0x01},
    .outer_src4 = {192, 0, 2, 1},
    .outer_dst4 = {10, 1, 0, 10},
    .outer_src6 = {0x20, 0x01, 0x0d, 0xb8, [15] = 1},
    .outer_dst6 = {0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 0x10},
    .inner_src4 = {198, 51, 100, 7},
    .inner_dst4 = {203, 0, 113, 10},
    .inner_src6 = {0x20, 0x01, 0x0d, 0xb8, 0xc1, [15] = 7},
    .inner_dst6 = {0x20, 0x01, 0x0d, 0xb8, 0xee, [15] = 10},
};

uint32_t ks_csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

uint16_t ks_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* An IPv4 header without options, checksum filled. */
static size_t ipv4(uint8_t *p, const uint8_t *src, const uint8_t *dst, uint8_t proto,
		   size_t payload_len)
{
	memset(p, 0, 20);
	p[0] = 0x45;
	put16(p + 2, (uint16_t)(20 + payload_len));
	put16(p + 4, 0x1234);
	put16(p + 6, 0x4000); /* DF */
	p[8] = 64;
	p[9] = proto;
	memcpy(p + 12, src, 4);
	memcpy(p + 16, dst, 4);
	put16(p + 10, ks_csum_fold(ks_csum_add(0, p, 20)));
	return 20;
}

static size_t ipv6(uint8_t *p, const uint8_t *src, const uint8_t *dst, uint8_t nexthdr,
		   size_t payload_len)
{
	memset(p, 0, 40);
	p[0] = 0x60;
	put16(p + 4, (uint16_t)payload_len);
	p[6] = nexthdr;
	p[7] = 64;
	memcpy(p + 8, src, 16);
	memcpy(p + 24, dst, 16);
	return 40;
}

size_t ks_pkt_inner(uint8_t *buf, const struct ks_pkt_spec *s)
{
	const struct ks_pkt_addrs *a = s->a ? s->a : &ks_pkt_default_addrs;
	size_t ulen = 8 + s->payload_len, hl;
	uint8_t *udp;
	uint32_t sum = 0;
	uint8_t pseudo[4];

	if (s->inner == 4)
		hl = ipv4(buf, a->inner_src4, a->inner_dst4, 17, ulen);
	else
		hl = ipv6(buf, a->inner_src6, a->inner_dst6, 17, ulen);
	udp = buf + hl;
	put16(udp, s->sport);
	put16(udp + 2, s->dport);
	put16(udp + 4, (uint16_t)ulen);
	put16(udp + 6, 0);
	memcpy(udp + 8, s->payload, s->payload_len);
	/* Pseudo-header: addresses, protocol, UDP length. */
	if (s->inner == 4)
		sum = ks_csum_add(sum, buf + 12, 8);
	else
		sum = ks_csum_add(sum, buf + 8, 32);
	pseudo[0] = 0;
	pseudo[1] = 17;
	put16(pseudo + 2, (uint16_t)ulen);
	sum = ks_csum_add(sum, pseudo, 4);
	sum = ks_csum_add(sum, udp, ulen);
	put16(udp + 6, ks_csum_fold(sum) ? ks_csum_fold(sum) : 0xffff);
	return hl + ulen;
}

static size_t l2(uint8_t *p, const struct ks_pkt_spec *s, uint16_t type)
{
	const struct ks_pkt_addrs *a = s->a ? s->a : &ks_pkt_default_addrs;
	size_t off = 12;

	memcpy(p, a->dmac, 6);
	memcpy(p + 6, a->smac, 6);
	for (int v = 0; v < s->vlans; v++) {
		put16(p + off, v == 0 && s->vlans > 1 ? 0x88a8 : 0x8100);
		put16(p + off + 2, (uint16_t)(100 + v));
		off += 4;
	}
	put16(p + off, type);
	return off + 2;
}

size_t ks_pkt_frame(uint8_t *buf, const struct ks_pkt_spec *s, size_t *inner_off)
{
	const struct ks_pkt_addrs *a = s->a ? s->a : &ks_pkt_default_addrs;
	uint8_t inner[2048];
	size_t ilen = ks_pkt_inner(inner, s);
	size_t off = l2(buf, s, s->outer == 4 ? 0x0800 : 0x86dd);
	size_t l4len = s->encap == KS_ENC_GUE ? 8 + 4 + ilen : ilen;
	uint8_t proto = s->encap == KS_ENC_GUE ? 17 : (s->inner == 4 ? 4 : 41);

	if (s->outer == 4)
		off += ipv4(buf + off, a->outer_src4, a->outer_dst4, proto, l4len);
	else
		off += ipv6(buf + off, a->outer_src6, a->outer_dst6, proto, l4len);
	if (s->encap == KS_ENC_GUE) {
		put16(buf + off, 40000);
		put16(buf + off + 2, s->gue_port);
		put16(buf + off + 4, (uint16_t)l4len);
		put16(buf + off + 6, 0); /* zero UDP checksum, as GUE senders may send */
		buf[off + 8] = 0;
		buf[off + 9] = s->inner == 4 ? 4 : 41;
		buf[off + 10] = 0;
		buf[off + 11] = 0;
		off += 12;
	}
	if (inner_off)
		*inner_off = off;
	memcpy(buf + off, inner, ilen);
	return off + ilen;
}

size_t ks_pkt_expected(uint8_t *buf, const struct ks_pkt_spec *s)
{
	size_t off = l2(buf, s, s->inner == 4 ? 0x0800 : 0x86dd);

	return off + ks_pkt_inner(buf + off, s);
}
