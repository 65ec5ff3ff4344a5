/* SPDX-License-Identifier: BSD-3-Clause */
#include "xdp_checks.h"

#include <stdarg.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "ref_model.h"
#include "rfc1071.h"

void check_ip4_csum(const uint8_t *ip)
{
	size_t ihl = (size_t)(ip[0] & 0x0f) * 4;

	assert_int_equal(rfc1071(ip, ihl), 0);
}

void check_l4_csum(const uint8_t *ip, int allow_udp_zero)
{
	int family = ip[0] >> 4;
	const uint8_t *saddr, *daddr, *seg;
	uint8_t proto;
	size_t len;

	if (family == 4) {
		size_t ihl = (size_t)(ip[0] & 0x0f) * 4;

		proto = ip[9];
		len = get16(ip + 2) - ihl;
		saddr = ip + 12;
		daddr = ip + 16;
		seg = ip + ihl;
	} else {
		proto = ip[6];
		len = get16(ip + 4);
		saddr = ip + 8;
		daddr = ip + 24;
		seg = ip + 40;
	}
	if (proto == 17 && get16(seg + 6) == 0) {
		assert_true(allow_udp_zero);
		return;
	}
	assert_true(rfc1071_l4_ok(family, saddr, daddr, proto, seg, len));
}

void check_unchanged(const struct xdp_out *o, const uint8_t *in, size_t len)
{
	assert_int_equal(o->len, len);
	assert_memory_equal(o->data, in, len);
}

uint32_t spec_flow_hash(const struct pkt_spec *s)
{
	return ref_flow_hash(s->family, s->saddr, s->daddr, s->sport, s->dport, s->proto);
}

size_t build_udp(struct pkt_spec *s, uint8_t *buf, struct pkt_layout *lay, uint64_t key,
		 uint32_t entity, uint8_t flags, size_t extra)
{
	static uint8_t payload[PKT_MAX];
	size_t n;

	pkt_ks_header(payload, key, entity, flags);
	for (size_t i = 0; i < extra; i++)
		payload[16 + i] = (uint8_t)(0xa5 ^ i);
	s->payload = payload;
	s->payload_len = 16 + extra;
	n = pkt_build(s, buf, PKT_MAX, lay);
	assert_true(n > 0);
	return n;
}

size_t check_tunnel(const struct xdp_out *o, const uint8_t *in, const struct pkt_layout *lay,
		    const struct tunnel_expect *e)
{
	const uint8_t *eth = o->data, *ip = o->data + 14;
	int inner_family = in[lay->l3] >> 4;
	size_t inner_len =
	    inner_family == 4 ? get16(in + lay->l3 + 2) : 40u + get16(in + lay->l3 + 4);
	size_t iphl = e->outer_family == 4 ? 20 : 40;
	size_t hlen = iphl + (e->gue ? 12 : 0);
	uint8_t inner_proto = inner_family == 4 ? 4 : 41;
	uint8_t outer_proto = e->gue ? 17 : inner_proto;
	size_t trailing = lay->len - lay->l3;

	/* Ethernet: untagged, the next hop's MACs. */
	assert_int_equal(o->len, 14 + hlen + trailing);
	assert_memory_equal(eth, e->dmac, 6);
	assert_memory_equal(eth + 6, e->smac, 6);
	assert_int_equal(get16(eth + 12), e->outer_family == 4 ? 0x0800 : 0x86dd);
	/* The inner packet and anything after it, untouched. */
	assert_memory_equal(o->data + 14 + hlen, in + lay->l3, trailing);

	if (e->outer_family == 4) {
		assert_int_equal(ip[0], 0x45);
		assert_int_equal(ip[1], inner_family == 4 ? in[lay->l3 + 1]
							  : (uint8_t)(get32(in + lay->l3) >> 20));
		assert_int_equal(get16(ip + 2), 20 + (e->gue ? 12 : 0) + inner_len);
		assert_int_equal(get16(ip + 4), 0);	 /* ID */
		assert_int_equal(get16(ip + 6), 0x4000); /* DF */
		assert_int_equal(ip[8], 64);
		assert_int_equal(ip[9], outer_proto);
		check_ip4_csum(ip);
		assert_memory_equal(ip + 12, e->src, 4);
		assert_memory_equal(ip + 16, e->dst, 4);
	} else {
		uint32_t w = get32(ip);
		uint8_t inner_tos =
		    inner_family == 4 ? in[lay->l3 + 1] : (uint8_t)(get32(in + lay->l3) >> 20);

		assert_int_equal(w >> 28, 6);
		assert_int_equal((w >> 20) & 0xff, inner_tos);
		assert_int_equal(w & 0xfffff, ref_flow_label(e->flow_hash));
		assert_int_equal(get16(ip + 4), (e->gue ? 12 : 0) + inner_len);
		assert_int_equal(ip[6], outer_proto);
		assert_int_equal(ip[7], 64);
		assert_memory_equal(ip + 8, e->src, 16);
		assert_memory_equal(ip + 24, e->dst, 16);
	}
	if (e->gue) {
		const uint8_t *udp = ip + iphl, *gue = udp + 8;

		assert_int_equal(get16(udp), ref_outer_sport(e->flow_hash));
		assert_int_equal(get16(udp + 2), e->gue_port);
		assert_int_equal(get16(udp + 4), 12 + inner_len);
		if (e->outer_family == 4 || e->zero_csum) {
			assert_int_equal(get16(udp + 6), 0);
		} else {
			assert_int_not_equal(get16(udp + 6), 0);
			check_l4_csum(ip, 0);
		}
		assert_int_equal(gue[0], 0);
		assert_int_equal(gue[1], inner_proto);
		assert_int_equal(get16(gue + 2), 0);
	}
	return hlen;
}
