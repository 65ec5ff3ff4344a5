/* SPDX-License-Identifier: BSD-3-Clause */
#include "pkt.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "rfc1071.h"

uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void pkt_addr(int family, const char *text, uint8_t out[16])
{
	memset(out, 0, 16);
	if (inet_pton(family == 6 ? AF_INET6 : AF_INET, text, out) != 1)
		abort();
}

void pkt_init(struct pkt_spec *s, int family, uint8_t proto, const char *src, const char *dst,
	      uint16_t sport, uint16_t dport)
{
	static const uint8_t smac[6] = {0x02, 0xc1, 0x1e, 0x00, 0x00, 0x01};
	static const uint8_t dmac[6] = {0x02, 0x70, 0x07, 0xe4, 0x00, 0x01};

	memset(s, 0, sizeof(*s));
	s->family = family;
	s->proto = proto;
	memcpy(s->smac, smac, 6);
	memcpy(s->dmac, dmac, 6);
	pkt_addr(family, src, s->saddr);
	pkt_addr(family, dst, s->daddr);
	s->sport = sport;
	s->dport = dport;
	s->ttl = 64;
	s->ip_id = 0x1234;
	s->frag_off = 0x4000; /* DF */
	s->seq = 1000;
	s->tcp_flags = 0x02;
}

size_t pkt_build(const struct pkt_spec *s, uint8_t *buf, size_t cap, struct pkt_layout *lay)
{
	size_t off = 0, l3, l4, l4hdr = 0, l3hdr, ext = s->v6_ext ? 8 : 0, seglen, total;
	int has_l4 = s->proto == 17 || s->proto == 6;

	if (has_l4)
		l4hdr = s->proto == 17 ? 8 : 20 + (size_t)s->tcp_opts_len;
	l3hdr = s->family == 6 ? 40 : 20 + (size_t)s->ip_opts_len;
	seglen = l4hdr + s->payload_len;
	total = 14 + 4 * (size_t)s->n_vlans + l3hdr + ext + seglen;
	if (total > cap)
		return 0;
	memset(buf, 0, total);

	memcpy(buf, s->dmac, 6);
	memcpy(buf + 6, s->smac, 6);
	off = 12;
	for (int i = 0; i < s->n_vlans; i++) {
		put16(buf + off, s->vlan_tpid[i] ? s->vlan_tpid[i] : 0x8100);
		put16(buf + off + 2, s->vlan_tci[i]);
		off += 4;
	}
	put16(buf + off, s->ethertype ? s->ethertype : (s->family == 6 ? 0x86dd : 0x0800));
	off += 2;

	l3 = off;
	if (s->family == 6) {
		put32(buf + l3, 6u << 28 | (uint32_t)s->tos << 20 | (s->flow_label & 0xfffff));
		put16(buf + l3 + 4, (uint16_t)(ext + seglen));
		buf[l3 + 6] = s->v6_ext ? s->v6_exthdr : s->proto;
		buf[l3 + 7] = s->ttl;
		memcpy(buf + l3 + 8, s->saddr, 16);
		memcpy(buf + l3 + 24, s->daddr, 16);
		if (ext) {
			buf[l3 + 40] = s->proto; /* next header; length 0 = 8 bytes */
		}
	} else {
		buf[l3] = (uint8_t)(0x40 | (l3hdr / 4));
		buf[l3 + 1] = s->tos;
		put16(buf + l3 + 2, (uint16_t)(l3hdr + seglen));
		put16(buf + l3 + 4, s->ip_id);
		put16(buf + l3 + 6, s->frag_off);
		buf[l3 + 8] = s->ttl;
		buf[l3 + 9] = s->proto;
		memcpy(buf + l3 + 12, s->saddr, 4);
		memcpy(buf + l3 + 16, s->daddr, 4);
		memcpy(buf + l3 + 20, s->ip_opts, (size_t)s->ip_opts_len);
		put16(buf + l3 + 10, rfc1071(buf + l3, l3hdr));
	}

	l4 = l3 + l3hdr + ext;
	if (has_l4) {
		uint8_t *h = buf + l4;

		put16(h, s->sport);
		put16(h + 2, s->dport);
		if (s->proto == 17) {
			put16(h + 4, (uint16_t)seglen);
		} else {
			put32(h + 4, s->seq);
			put32(h + 8, s->ack);
			h[12] = (uint8_t)((l4hdr / 4) << 4);
			h[13] = s->tcp_flags;
			put16(h + 14, 65535);
			memcpy(h + 20, s->tcp_opts, (size_t)s->tcp_opts_len);
		}
	}
	if (s->payload_len)
		memcpy(buf + l4 + l4hdr, s->payload, s->payload_len);
	if (has_l4 && !(s->proto == 17 && s->udp_zero_csum)) {
		uint32_t sum =
		    rfc1071_pseudo(s->family, s->saddr, s->daddr, s->proto, (uint32_t)seglen);
		uint16_t c = rfc1071_finish(rfc1071_add(sum, buf + l4, seglen));

		if (s->proto == 17 && c == 0)
			c = 0xffff;
		put16(buf + l4 + (s->proto == 17 ? 6 : 16), c);
	}
	if (lay) {
		lay->len = total;
		lay->l3 = l3;
		lay->l4 = l4;
		lay->payload = l4 + l4hdr;
	}
	return total;
}

void pkt_ks_header(uint8_t out[16], uint64_t key, uint32_t entity, uint8_t flags)
{
	out[0] = 0x4b;
	out[1] = 0x53;
	out[2] = 1;
	out[3] = flags;
	put32(out + 4, (uint32_t)(key >> 32));
	put32(out + 8, (uint32_t)key);
	put32(out + 12, entity);
}

int pkt_syn_options(uint8_t out[40], uint64_t key, uint32_t entity)
{
	int n = 0;

	out[n++] = 2; /* MSS 1460 */
	out[n++] = 4;
	out[n++] = 0x05;
	out[n++] = 0xb4;
	out[n++] = 4; /* SACK permitted */
	out[n++] = 2;
	out[n++] = 8; /* timestamps */
	out[n++] = 10;
	put32(out + n, 0x01020304);
	n += 4;
	put32(out + n, 0);
	n += 4;
	out[n++] = 1; /* NOP */
	out[n++] = 3; /* window scale 7 */
	out[n++] = 3;
	out[n++] = 7;
	out[n++] = 253; /* keysteer */
	out[n++] = 16;
	out[n++] = 0x4b;
	out[n++] = 0x53;
	put32(out + n, (uint32_t)(key >> 32));
	n += 4;
	put32(out + n, (uint32_t)key);
	n += 4;
	put32(out + n, entity);
	n += 4;
	return n; /* 36 */
}
