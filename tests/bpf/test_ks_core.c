/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The shared fast-path core (include/keysteer/parse.h, hash.h, select.h,
 * csum.h, encap.h, nat.h) compiled by gcc as a userspace program would (the
 * DPDK fast path), and run under ASan/UBSan by the -san build: every packet
 * is a heap buffer of its exact length, so a read one byte past the end
 * fails the test. Results are checked against tests/bpf/pkt.c (how the
 * packets were built), tests/bpf/ref_model.c and tests/bpf/rfc1071.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include <arpa/inet.h>

#include <keysteer/csum.h>
#include <keysteer/encap.h>
#include <keysteer/hash.h>
#include <keysteer/nat.h>
#include <keysteer/parse.h>
#include <keysteer/select.h>

#include "pkt.h"
#include "ref_model.h"
#include "rfc1071.h"
#include "xdp_checks.h"

#define KEY_A 0x9f3a00c2d41e7b05ULL

/*
 * A copy of the frame in a buffer of exactly its length, placed so that the
 * IP header is 4-byte aligned when the frame is untagged or double-tagged
 * (NET_IP_ALIGN), as fast paths lay packets out.
 */
struct exact {
	uint8_t *block;
	uint8_t *data;
	size_t len;
};

static void exact_copy(struct exact *e, const uint8_t *in, size_t len)
{
	e->block = malloc(len + PKT_ALIGN_PAD);
	assert_non_null(e->block);
	e->data = e->block + PKT_ALIGN_PAD;
	e->len = len;
	memcpy(e->data, in, len);
}

static void exact_free(struct exact *e)
{
	free(e->block);
}

static enum ks_reason parse_exact(const uint8_t *in, size_t len, struct ks_pkt *p)
{
	struct exact e;
	enum ks_reason r;

	exact_copy(&e, in, len);
	r = ks_parse(e.data, e.data + e.len, p);
	exact_free(&e);
	return r;
}

static void parse_fields(void **state)
{
	(void)state;
	for (int family = 4; family <= 6; family += 2) {
		for (int proto = 0; proto < 2; proto++) {
			for (int tags = 0; tags <= 2; tags++) {
				struct pkt_spec s;
				struct pkt_layout lay;
				uint8_t in[PKT_MAX];
				struct ks_pkt p = {0};
				size_t n;

				pkt_init(&s, family, proto ? 6 : 17,
					 family == 4 ? "198.51.100.7" : "2001:db8:c::7",
					 family == 4 ? "203.0.113.10" : "2001:db8:100::10", 40000,
					 7443);
				s.n_vlans = tags;
				s.ttl = 33;
				s.tos = 0xb8;
				s.ip_id = 0xbeef;
				s.flow_label = 0x12345;
				s.seq = 0xdeadbeef;
				s.tcp_flags = 0x12;
				if (proto)
					s.tcp_opts_len = pkt_syn_options(s.tcp_opts, KEY_A, 9);
				n = build_udp(&s, in, &lay, KEY_A, 0, 0, 5);
				assert_int_equal(parse_exact(in, n, &p), KS_PARSE_OK);
				assert_int_equal(p.family, family == 4 ? KS_AF_INET : KS_AF_INET6);
				assert_int_equal(p.proto, proto ? 6 : 17);
				assert_int_equal(p.n_vlans, tags);
				assert_int_equal(p.l3_off, lay.l3);
				assert_int_equal(p.l4_off, lay.l4);
				assert_int_equal(p.l3_len, n - lay.l3);
				assert_int_equal(p.l4_len, n - lay.l4);
				assert_int_equal(ntohs(p.sport), 40000);
				assert_int_equal(ntohs(p.dport), 7443);
				assert_int_equal(p.ttl, 33);
				assert_int_equal(p.tos, 0xb8);
				assert_memory_equal(p.saddr.w, in + lay.l3 + (family == 4 ? 12 : 8),
						    family == 4 ? 4 : 16);
				assert_memory_equal(p.daddr.w,
						    in + lay.l3 + (family == 4 ? 16 : 24),
						    family == 4 ? 4 : 16);
				if (family == 4)
					assert_int_equal(p.saddr.w[1] | p.saddr.w[2] |
							     p.saddr.w[3] | p.daddr.w[1] |
							     p.daddr.w[2] | p.daddr.w[3],
							 0);
				assert_int_equal(ntohl(p.l3_entropy),
						 family == 4 ? 0xbeef : get32(in + lay.l3));
				assert_int_equal(p.tcp_flags, proto ? 0x12 : 0);
				assert_int_equal(ntohl(p.tcp_seq), proto ? 0xdeadbeef : 0);
				assert_int_equal(ntohs(p.l4_check),
						 get16(in + lay.l4 + (proto ? 16 : 6)));
			}
		}
	}
}

/* Every prefix, including those shorter than Ethernet, in an exact buffer. */
static void parse_truncations(void **state)
{
	(void)state;
	for (int family = 4; family <= 6; family += 2) {
		for (int proto = 0; proto < 2; proto++) {
			struct pkt_spec s;
			struct pkt_layout lay;
			uint8_t in[PKT_MAX];
			struct ks_pkt p = {0};
			size_t n;

			pkt_init(&s, family, proto ? 6 : 17, family == 4 ? "10.0.0.1" : "::1",
				 family == 4 ? "10.0.0.2" : "::2", 1, 2);
			s.n_vlans = 2;
			s.ip_opts_len = family == 4 ? 8 : 0;
			if (proto)
				s.tcp_opts_len = pkt_syn_options(s.tcp_opts, KEY_A, 0);
			n = build_udp(&s, in, &lay, KEY_A, 0, 0, 3);
			for (size_t len = 0; len < n; len++)
				assert_int_equal(parse_exact(in, len, &p), KS_R_MALFORMED);
			assert_int_equal(parse_exact(in, n, &p), KS_PARSE_OK);
		}
	}
}

/* The routing header and the TCP option on consistent packets of every size. */
static void routing_header_bounds(void **state)
{
	(void)state;
	for (size_t plen = 0; plen <= KS_HDR_LEN; plen++) {
		struct pkt_spec s;
		struct pkt_layout lay;
		uint8_t in[PKT_MAX], hdr[16];
		struct ks_header h;
		struct ks_pkt p = {0};
		struct exact e;
		size_t n;

		pkt_init(&s, 4, 17, "10.0.0.1", "10.0.0.2", 1, 2);
		pkt_ks_header(hdr, KEY_A, 77, KS_F_ENTITY);
		s.payload = hdr;
		s.payload_len = plen;
		n = pkt_build(&s, in, sizeof(in), &lay);
		exact_copy(&e, in, n);
		assert_int_equal(ks_parse(e.data, e.data + e.len, &p), KS_PARSE_OK);
		if (plen < KS_HDR_LEN) {
			assert_int_equal(ks_udp_routing_header(e.data, e.data + e.len, &p, &h),
					 KS_R_NO_HEADER);
		} else {
			assert_int_equal(ks_udp_routing_header(e.data, e.data + e.len, &p, &h),
					 KS_PARSE_OK);
			assert_int_equal(h.routing_key, KEY_A);
			assert_int_equal(h.entity, 77);
			assert_int_equal(h.flags, KS_F_ENTITY);
		}
		exact_free(&e);
	}
	/* A SYN whose options end the frame: the walk stays inside. */
	for (int cut = 0; cut <= 16; cut += 4) {
		struct pkt_spec s;
		struct pkt_layout lay;
		uint8_t in[PKT_MAX];
		struct ks_header h;
		struct ks_pkt p = {0};
		struct exact e;
		size_t n;

		pkt_init(&s, 6, 6, "::1", "::2", 1, 2);
		s.tcp_opts_len = pkt_syn_options(s.tcp_opts, KEY_A, 5) - cut;
		n = pkt_build(&s, in, sizeof(in), &lay);
		exact_copy(&e, in, n);
		assert_int_equal(ks_parse(e.data, e.data + e.len, &p), KS_PARSE_OK);
		/*
		 * 36 bytes of options, ours last (bytes 20..35): cutting 4..12 leaves
		 * it short, cutting 16 leaves it out.
		 */
		assert_int_equal(ks_tcp_routing_option(e.data, e.data + e.len, &p, &h),
				 cut == 0   ? KS_PARSE_OK
				 : cut < 16 ? KS_R_MALFORMED
					    : KS_R_NO_HEADER);
		if (!cut)
			assert_int_equal(h.routing_key, KEY_A);
		exact_free(&e);
	}
}

static uint32_t rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(*s >> 33);
}

/* The hashes are the documented ones (reference model), for random tuples. */
static void hashes_match_definition(void **state)
{
	uint64_t seed = 42;

	(void)state;
	for (int i = 0; i < 2000; i++) {
		int family = (i & 1) ? 6 : 4;
		struct ks_pkt p = {0};
		uint8_t sa[16], da[16];

		memset(&p, 0, sizeof(p));
		for (int w = 0; w < (family == 4 ? 1 : 4); w++) {
			p.saddr.w[w] = rnd(&seed);
			p.daddr.w[w] = rnd(&seed);
		}
		memcpy(sa, p.saddr.w, 16);
		memcpy(da, p.daddr.w, 16);
		p.sport = (__be16)rnd(&seed);
		p.dport = (__be16)rnd(&seed);
		p.proto = (i & 2) ? 6 : 17;
		p.family = (uint8_t)family;
		p.l3_entropy = rnd(&seed);
		p.tcp_seq = p.proto == 6 ? rnd(&seed) : 0;
		p.l4_check = (__be16)rnd(&seed);
		uint32_t fh = ks_flow_hash(&p);

		assert_int_equal(
		    fh, ref_flow_hash(family, sa, da, ntohs(p.sport), ntohs(p.dport), p.proto));
		assert_int_equal(
		    ks_packet_hash(&p, fh),
		    ref_packet_hash(fh, ntohl(p.l3_entropy), ntohl(p.tcp_seq), ntohs(p.l4_check)));
		assert_int_equal(ks_entity_hash((uint32_t)i), ref_entity_hash((uint32_t)i));
		assert_int_equal(ntohs(ks_outer_sport(fh)), ref_outer_sport(fh));
		assert_int_equal(ks_outer_flow_label(fh), ref_flow_label(fh));
	}
}

/* Target choice over every bucket, for routes of 1..8 targets; junk beyond n ignored. */
static void target_choice_all_buckets(void **state)
{
	uint64_t seed = 7;

	(void)state;
	for (unsigned n = 1; n <= KS_MAX_TARGETS; n++) {
		struct ks_route r;
		unsigned last = 0;

		memset(&r, 0xee, sizeof(r)); /* junk in unused targets */
		r.n_targets = (uint8_t)n;
		for (unsigned t = 0; t < n; t++) {
			unsigned room = 0xffff - last - (n - 1 - t);

			last = t + 1 == n ? 0xffff : last + 1 + rnd(&seed) % (room / 2 + 1);
			r.t[t].last = (uint16_t)last;
			r.t[t].shard = (uint16_t)(100 + t);
		}
		for (uint32_t b = 0; b < KS_WEIGHT_BUCKETS; b++) {
			unsigned want = ref_target(&r, b);

			assert_int_equal(ks_target_index(&r, b), want);
		}
	}
}

/* RFC 1624 updates agree with recomputing from scratch. */
static void incremental_checksums(void **state)
{
	uint64_t seed = 99;

	(void)state;
	for (int i = 0; i < 5000; i++) {
		uint8_t buf[40];
		struct ks_ip4 ip;
		uint16_t before, after;
		uint32_t from, to;

		for (size_t b = 0; b < sizeof(buf); b++)
			buf[b] = (uint8_t)rnd(&seed);
		memcpy(&from, buf + 12, 4);
		to = rnd(&seed);
		before = rfc1071(buf, sizeof(buf));
		memcpy(buf + 12, &to, 4);
		after = rfc1071(buf, sizeof(buf));
		/* the two's-complement zero forms (0 and 0xffff) are the same checksum */
		uint16_t inc = ntohs(ks_csum_update(htons(before), ks_csum_diff4(from, to)));
		assert_true(inc == after || (inc == 0xffff && after == 0) ||
			    (inc == 0 && after == 0xffff));

		memcpy(&ip, buf, sizeof(ip));
		ip.ver_ihl = 0x45;
		ip.check = 0;
		memcpy(buf, &ip, sizeof(ip));
		assert_int_equal(ntohs(ks_ip4_hdr_csum(&ip)), rfc1071(buf, 20));
	}
	/* A UDP checksum of zero means none and stays zero. */
	assert_int_equal(ks_udp_csum_update(0, ks_csum_diff4(1, 2)), 0);
}

/* Encapsulate in userspace exactly as XDP does; check it like XDP output. */
static void encap_userspace(void **state)
{
	const char *vips[2][2] = {{"10.1.0.10", "10.0.0.1"}, {"2001:db8::7", "2001:db8::1"}};
	static const uint8_t smac[6] = {2, 1, 2, 3, 4, 5}, dmac[6] = {2, 9, 8, 7, 6, 5};

	(void)state;
	for (int inner = 4; inner <= 6; inner += 2) {
		for (int outer = 0; outer < 2; outer++) {
			for (int steer = 0; steer < 2; steer++) {
				struct pkt_spec s;
				struct pkt_layout lay;
				struct tunnel_expect e;
				struct ks_tunnel t;
				struct ks_addr src, dst;
				struct ks_pkt p = {0};
				static struct xdp_out o;
				uint8_t in[PKT_MAX];
				uint32_t hlen;
				size_t n;

				pkt_init(
				    &s, inner, 6, inner == 4 ? "198.51.100.7" : "2001:db8:c::7",
				    inner == 4 ? "203.0.113.10" : "2001:db8:100::10", 40000, 7443);
				s.tcp_opts_len = pkt_syn_options(s.tcp_opts, KEY_A, 0);
				n = build_udp(&s, in, &lay, KEY_A, 0, 0, 50);
				assert_int_equal(parse_exact(in, n, &p), KS_PARSE_OK);
				pkt_addr(outer ? 6 : 4, vips[outer][0], (uint8_t *)dst.w);
				pkt_addr(outer ? 6 : 4, vips[outer][1], (uint8_t *)src.w);
				ks_tunnel_init(&t, &p, &src, &dst, outer ? KS_AF_INET6 : KS_AF_INET,
					       steer ? KS_STEER_IPIP : KS_STEER_GUE, htons(6080),
					       ks_flow_hash(&p));
				/* A fast path's buffer: outer headers, then the inner packet. */
				memset(&o, 0, sizeof(o));
				o.ret = 3;
				ks_eth_write((struct ks_eth *)(o.data + PKT_ALIGN_PAD), dmac, smac,
					     t.family);
				hlen = ks_encap_write(o.data + PKT_ALIGN_PAD + 14, &t);
				assert_int_equal(hlen, ks_tunnel_hlen(t.steer, t.family));
				memcpy(o.data + PKT_ALIGN_PAD + 14 + hlen, in + lay.l3, n - lay.l3);
				memmove(o.data, o.data + PKT_ALIGN_PAD, 14 + hlen + n - lay.l3);
				o.len = 14 + hlen + n - lay.l3;
				memset(&e, 0, sizeof(e));
				e.outer_family = outer ? 6 : 4;
				e.gue = !steer;
				e.src = (const uint8_t *)src.w;
				e.dst = (const uint8_t *)dst.w;
				e.gue_port = 6080;
				e.flow_hash = spec_flow_hash(&s);
				e.dmac = dmac;
				e.smac = smac;
				check_tunnel(&o, in, &lay, &e);
			}
		}
	}
}

/* NAT both ways in userspace: every checksum still verifies. */
static void nat_userspace(void **state)
{
	(void)state;
	for (int family = 4; family <= 6; family += 2) {
		for (int proto = 0; proto < 2; proto++) {
			for (int zero = 0; zero < 2; zero++) {
				struct pkt_spec s;
				struct pkt_layout lay;
				uint8_t in[PKT_MAX];
				struct ks_addr to;
				struct ks_pkt p = {0};
				struct exact e;
				size_t n;

				pkt_init(&s, family, proto ? 6 : 17,
					 family == 4 ? "1.2.3.4" : "::1:2",
					 family == 4 ? "5.6.7.8" : "::5:6", 1000, 2000);
				s.udp_zero_csum = zero;
				n = build_udp(&s, in, &lay, KEY_A, 0, 0, 21);
				exact_copy(&e, in, n);
				assert_int_equal(ks_parse(e.data, e.data + e.len, &p), KS_PARSE_OK);
				pkt_addr(family, family == 4 ? "10.9.8.7" : "2001:db8::abc",
					 (uint8_t *)to.w);
				for (int dir = 0; dir < 2; dir++) {
					uint8_t *ip = e.data + p.l3_off, *l4 = e.data + p.l4_off;

					if (family == 4)
						ks_nat4((struct ks_ip4 *)ip, l4, p.proto,
							dir ? KS_NAT_SRC : KS_NAT_DST, to.w[0],
							htons(9999));
					else
						ks_nat6((struct ks_ip6 *)ip, l4, p.proto,
							dir ? KS_NAT_SRC : KS_NAT_DST, &to,
							htons(9999));
					if (family == 4)
						check_ip4_csum(ip);
					if (proto == 0 && zero)
						assert_int_equal(get16(l4 + 6), 0);
					else
						check_l4_csum(ip, 0);
					assert_int_equal(get16(l4 + (dir ? 0 : 2)), 9999);
					assert_int_equal(ip[family == 4 ? 8 : 7], 64 - 1 - dir);
				}
				/* payload untouched */
				assert_memory_equal(e.data + lay.payload, in + lay.payload,
						    n - lay.payload);
				exact_free(&e);
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(parse_fields),
	    cmocka_unit_test(parse_truncations),
	    cmocka_unit_test(routing_header_bounds),
	    cmocka_unit_test(hashes_match_definition),
	    cmocka_unit_test(target_choice_all_buckets),
	    cmocka_unit_test(incremental_checksums),
	    cmocka_unit_test(encap_userspace),
	    cmocka_unit_test(nat_userspace),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
