/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The XDP router under BPF_PROG_TEST_RUN: what it must leave alone, and
 * malformed input. Traffic not for a listener passes untouched (ARP, ND, ssh,
 * other ports and protocols); fragments and IPv6 extension headers pass,
 * counted; every truncation of every header, at every byte offset, passes
 * untouched as MALFORMED (nothing in a cut frame can be known to be for a
 * listener, and the kernel drops it anyway); inconsistent lengths likewise;
 * tags are followed up to two deep.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include <bpf/bpf.h>
#include <keysteer/wire.h>

#include "pkt.h"
#include "xdp_checks.h"
#include "xdp_fixture.h"

#define KEY_A 0x9f3a00c2d41e7b05ULL

static int setup(void **state)
{
	struct ks_shard s0 = fx_shard(4, "10.1.0.10", 8080, KS_STEER_GUE, 1, "10.0.0.1");
	struct ks_route r = fx_route1(0, 0);

	(void)state;
	fx_reset_all(&fx);
	fx_add_listener(&fx, 0, 4, L4, 7000, 17);
	fx_add_listener(&fx, 0, 4, L4, 7443, 6);
	fx_add_listener(&fx, 0, 6, L6, 7000, 17);
	fx_add_listener(&fx, 0, 6, L6, 7443, 6);
	fx_set_shard(&fx, 0, 0, &s0);
	fx_set_route(&fx, 0, KEY_A, &r);
	return 0;
}

/* Run, and expect the frame passed unmodified with exactly one count of reason. */
static void expect_pass(const uint8_t *in, size_t len, uint32_t reason)
{
	static struct xdp_out o;

	fx_reset_stats(&fx);
	fx_run(&fx, in, len, &o);
	assert_int_equal(o.ret, XDP_PASS);
	check_unchanged(&o, in, len);
	assert_int_equal(fx_reason(&fx, reason), 1);
	assert_int_equal(fx_reason_total(&fx), 1);
}

static size_t udp_to_listener(struct pkt_spec *s, int family, uint8_t *buf, struct pkt_layout *lay)
{
	pkt_init(s, family, 17, family == 4 ? C4 : C6, family == 4 ? L4 : L6, 40000, 7000);
	return build_udp(s, buf, lay, KEY_A, 0, 0, 12);
}

static size_t syn_to_listener(struct pkt_spec *s, int family, uint8_t *buf, struct pkt_layout *lay)
{
	size_t n;

	pkt_init(s, family, 6, family == 4 ? C4 : C6, family == 4 ? L4 : L6, 40000, 7443);
	s->tcp_opts_len = pkt_syn_options(s->tcp_opts, KEY_A, 0);
	n = pkt_build(s, buf, PKT_MAX, lay);
	assert_true(n > 0);
	return n;
}

/* Sanity: the packets the truncation tests cut are steered whole. */
static void whole_packets_steered(void **state)
{
	(void)state;
	for (int family = 4; family <= 6; family += 2) {
		struct pkt_spec s;
		struct pkt_layout lay;
		uint8_t in[PKT_MAX];
		static struct xdp_out o;
		size_t n;

		n = udp_to_listener(&s, family, in, &lay);
		fx_run(&fx, in, n, &o);
		assert_int_equal(o.ret, XDP_TX);
		n = syn_to_listener(&s, family, in, &lay);
		fx_run(&fx, in, n, &o);
		assert_int_equal(o.ret, XDP_TX);
	}
	assert_int_equal(fx_reason(&fx, KS_R_STEERED), 4);
}

static void arp_and_nd_untouched(void **state)
{
	uint8_t arp[42] = {0};
	struct pkt_spec s;
	uint8_t in[PKT_MAX], icmp6[24] = {135, 0};
	size_t n;

	(void)state;
	memset(arp, 0xff, 6);
	arp[6] = 2;
	put16(arp + 12, 0x0806);
	put16(arp + 14, 1);
	put16(arp + 16, 0x0800);
	arp[18] = 6;
	arp[19] = 4;
	put16(arp + 20, 1);
	expect_pass(arp, sizeof(arp), KS_R_NOT_LISTENER);

	/* Neighbour solicitation (ICMPv6) to the listener address itself. */
	pkt_init(&s, 6, 58, C6, L6, 0, 0);
	s.ttl = 255;
	s.payload = icmp6;
	s.payload_len = sizeof(icmp6);
	n = pkt_build(&s, in, sizeof(in), NULL);
	expect_pass(in, n, KS_R_NOT_LISTENER);
}

static void other_traffic_untouched(void **state)
{
	struct {
		int family;
		uint8_t proto;
		const char *dst;
		uint16_t dport;
	} cases[] = {
	    {4, 6, L4, 22},		   /* ssh to the host */
	    {4, 17, L4, 7001},		   /* another port */
	    {4, 6, L4, 7000},		   /* listener port, other protocol */
	    {4, 17, L4, 7443},		   /* the TCP listener's port over UDP */
	    {4, 17, "203.0.113.11", 7000}, /* another address */
	    {6, 17, L6, 53},
	    {6, 6, "2001:db8:100::11", 7443},
	    {4, 1, L4, 0},  /* ICMP */
	    {4, 47, L4, 0}, /* GRE */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pkt_spec s;
		struct pkt_layout lay;
		uint8_t in[PKT_MAX], hdr[16];
		size_t n;

		pkt_init(&s, cases[i].family, cases[i].proto, cases[i].family == 4 ? C4 : C6,
			 cases[i].dst, 40000, cases[i].dport);
		/* A routing header, even: it only counts on a listener. */
		pkt_ks_header(hdr, KEY_A, 0, 0);
		s.payload = hdr;
		s.payload_len = sizeof(hdr);
		if (cases[i].proto == 6)
			s.tcp_opts_len = pkt_syn_options(s.tcp_opts, KEY_A, 0);
		n = pkt_build(&s, in, sizeof(in), &lay);
		expect_pass(in, n, KS_R_NOT_LISTENER);
	}
}

static void ipv4_fragments_passed(void **state)
{
	const uint16_t frag[] = {0x2000 /* MF */, 0x0001, 0x2010, 0x1fff};

	(void)state;
	for (size_t i = 0; i < sizeof(frag) / sizeof(frag[0]); i++) {
		struct pkt_spec s;
		struct pkt_layout lay;
		uint8_t in[PKT_MAX];
		size_t n;

		pkt_init(&s, 4, 17, C4, L4, 40000, 7000);
		s.frag_off = frag[i];
		n = build_udp(&s, in, &lay, KEY_A, 0, 0, 8);
		expect_pass(in, n, KS_R_FRAGMENT);
	}
}

static void ipv6_extension_headers_passed(void **state)
{
	const uint8_t ext[] = {0, 43, 44, 60, 51, 50, 135, 139, 140, 253, 254};

	(void)state;
	for (size_t i = 0; i < sizeof(ext); i++) {
		struct pkt_spec s;
		struct pkt_layout lay;
		uint8_t in[PKT_MAX];
		size_t n;

		pkt_init(&s, 6, 17, C6, L6, 40000, 7000);
		s.v6_ext = 1;
		s.v6_exthdr = ext[i];
		n = build_udp(&s, in, &lay, KEY_A, 0, 0, 8);
		expect_pass(in, n, KS_R_V6_EXTHDR);
	}
}

static void vlan_tags(void **state)
{
	const uint16_t tpid[][3] = {
	    {0x8100, 0, 0}, {0x88a8, 0, 0}, {0x88a8, 0x8100, 0}, {0x8100, 0x8100, 0}};
	const int ntags[] = {1, 1, 2, 2};

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		struct pkt_spec s;
		struct pkt_layout lay;
		uint8_t in[PKT_MAX];
		static struct xdp_out o;
		size_t n;

		pkt_init(&s, 6, 17, C6, L6, 40000, 7000);
		s.n_vlans = ntags[i];
		memcpy(s.vlan_tpid, tpid[i], sizeof(s.vlan_tpid));
		s.vlan_tci[0] = 7;
		s.vlan_tci[1] = 9;
		n = build_udp(&s, in, &lay, KEY_A, 0, 0, 8);
		fx_reset_stats(&fx);
		fx_run(&fx, in, n, &o);
		assert_int_equal(o.ret, XDP_TX);
		assert_int_equal(fx_reason(&fx, KS_R_STEERED), 1);
	}
	/* A third tag is not followed: not ours. */
	{
		struct pkt_spec s;
		struct pkt_layout lay;
		uint8_t in[PKT_MAX];
		size_t n;

		pkt_init(&s, 4, 17, C4, L4, 40000, 7000);
		s.n_vlans = 3;
		s.vlan_tpid[0] = 0x88a8;
		s.vlan_tpid[1] = 0x8100;
		s.vlan_tpid[2] = 0x8100;
		n = build_udp(&s, in, &lay, KEY_A, 0, 0, 8);
		expect_pass(in, n, KS_R_NOT_LISTENER);
	}
}

/*
 * Every prefix of a packet (from the 14 bytes BPF_PROG_TEST_RUN accepts up
 * to one byte short): passed untouched, counted MALFORMED. The IP length
 * fields still describe the whole packet, so whichever header the cut falls
 * in, the frame is inconsistent.
 */
static void truncate_everywhere(const uint8_t *in, size_t n)
{
	for (size_t len = 14; len < n; len++)
		expect_pass(in, len, KS_R_MALFORMED);
}

static void truncation_udp(void **state)
{
	(void)state;
	for (int family = 4; family <= 6; family += 2) {
		for (int tags = 0; tags <= 2; tags++) {
			struct pkt_spec s;
			struct pkt_layout lay;
			uint8_t in[PKT_MAX];
			size_t n;

			pkt_init(&s, family, 17, family == 4 ? C4 : C6, family == 4 ? L4 : L6,
				 40000, 7000);
			s.n_vlans = tags;
			n = build_udp(&s, in, &lay, KEY_A, 0, 0, 4);
			truncate_everywhere(in, n);
		}
	}
}

static void truncation_tcp(void **state)
{
	(void)state;
	for (int family = 4; family <= 6; family += 2) {
		struct pkt_spec s;
		struct pkt_layout lay;
		uint8_t in[PKT_MAX];
		size_t n = syn_to_listener(&s, family, in, &lay);

		truncate_everywhere(in, n);
	}
}

static void truncation_ipv4_options(void **state)
{
	struct pkt_spec s;
	struct pkt_layout lay;
	uint8_t in[PKT_MAX];
	static struct xdp_out o;
	size_t n;

	(void)state;
	pkt_init(&s, 4, 17, C4, L4, 40000, 7000);
	s.ip_opts_len = 12;
	memset(s.ip_opts, 1, 12); /* NOPs */
	n = build_udp(&s, in, &lay, KEY_A, 0, 0, 4);
	fx_run(&fx, in, n, &o); /* options are skipped, the packet steered */
	assert_int_equal(o.ret, XDP_TX);
	/* the inner packet keeps its options */
	assert_memory_equal(o.data + 14 + 32, in + 14, n - 14);
	truncate_everywhere(in, n);
}

/* Headers that are complete but inconsistent with the frame or each other. */
static void inconsistent_ip(void **state)
{
	struct pkt_spec s;
	struct pkt_layout lay;
	uint8_t in[PKT_MAX], bad[PKT_MAX];
	size_t n;

	(void)state;
	n = udp_to_listener(&s, 4, in, &lay);
	/* IPv4 version field says 6 */
	memcpy(bad, in, n);
	bad[14] = 0x65;
	expect_pass(bad, n, KS_R_MALFORMED);
	/* IHL below 5, and beyond the packet */
	for (uint8_t ihl = 0; ihl < 16; ihl++) {
		if (ihl == 5)
			continue;
		memcpy(bad, in, n);
		bad[14] = (uint8_t)(0x40 | ihl);
		/* IHL 6..15 is consistent only if tot_len allows: 6 would make UDP start later */
		if (ihl > 5) {
			put16(bad + 16, (uint16_t)(ihl * 4 - 1)); /* tot_len < ihl */
		}
		expect_pass(bad, n, KS_R_MALFORMED);
	}
	/* tot_len beyond the frame */
	memcpy(bad, in, n);
	put16(bad + 16, (uint16_t)(n - 14 + 1));
	expect_pass(bad, n, KS_R_MALFORMED);
	/* tot_len leaves less than a UDP header */
	memcpy(bad, in, n);
	put16(bad + 16, 20 + 7);
	expect_pass(bad, n, KS_R_MALFORMED);

	n = udp_to_listener(&s, 6, in, &lay);
	/* IPv6 version field says 4 */
	memcpy(bad, in, n);
	bad[14] = 0x40;
	expect_pass(bad, n, KS_R_MALFORMED);
	/* payload length beyond the frame */
	memcpy(bad, in, n);
	put16(bad + 18, (uint16_t)(n - 14 - 40 + 1));
	expect_pass(bad, n, KS_R_MALFORMED);
	/* payload length shorter than a UDP header */
	memcpy(bad, in, n);
	put16(bad + 18, 7);
	expect_pass(bad, n, KS_R_MALFORMED);
	/* IPv4 ethertype with an IPv6 header and vice versa */
	memcpy(bad, in, n);
	put16(bad + 12, 0x0800);
	expect_pass(bad, n, KS_R_MALFORMED);
}

/* A short but consistent datagram to a listener has no room for the header. */
static void short_udp_no_header(void **state)
{
	(void)state;
	for (int family = 4; family <= 6; family += 2) {
		for (size_t plen = 0; plen < KS_HDR_LEN; plen++) {
			struct pkt_spec s;
			uint8_t in[PKT_MAX], hdr[16];
			static struct xdp_out o;
			size_t n;

			pkt_init(&s, family, 17, family == 4 ? C4 : C6, family == 4 ? L4 : L6,
				 40000, 7000);
			pkt_ks_header(hdr, KEY_A, 0, 0);
			s.payload = hdr;
			s.payload_len = plen;
			n = pkt_build(&s, in, sizeof(in), NULL);
			fx_reset_stats(&fx);
			fx_run(&fx, in, n, &o);
			assert_int_equal(o.ret, XDP_DROP);
			check_unchanged(&o, in, n);
			assert_int_equal(fx_reason(&fx, KS_R_NO_HEADER), 1);
			assert_int_equal(fx_reason(&fx, KS_R_DEFAULT_DROP), 1);
		}
	}
}

/* TCP to a listener with a data offset that does not fit: dropped. */
static void tcp_bad_data_offset(void **state)
{
	(void)state;
	for (int family = 4; family <= 6; family += 2) {
		for (int syn = 0; syn < 2; syn++) {
			for (uint8_t doff = 0; doff < 16; doff++) {
				struct pkt_spec s;
				struct pkt_layout lay;
				uint8_t in[PKT_MAX];
				static struct xdp_out o;
				size_t n = syn_to_listener(&s, family, in, &lay);
				size_t tcp_len = n - lay.l4;

				if (doff >= 5 && (size_t)doff * 4 <= tcp_len)
					continue;
				in[lay.l4 + 13] = syn ? 0x02 : 0x10;
				in[lay.l4 + 12] = (uint8_t)(doff << 4);
				fx_reset_stats(&fx);
				fx_run(&fx, in, n, &o);
				assert_int_equal(o.ret, XDP_DROP);
				check_unchanged(&o, in, n);
				assert_int_equal(fx_reason(&fx, KS_R_MALFORMED), 1);
			}
		}
	}
}

/* Counters: one reason per packet, bytes as received. */
static void every_outcome_counted(void **state)
{
	struct pkt_spec s;
	struct pkt_layout lay;
	uint8_t in[PKT_MAX];
	static struct xdp_out o;
	uint64_t bytes = 0;
	size_t n;

	(void)state;
	n = udp_to_listener(&s, 4, in, &lay);
	for (int i = 0; i < 10; i++) {
		fx_run(&fx, in, n, &o);
		bytes += n;
	}
	n = udp_to_listener(&s, 6, in, &lay);
	for (int i = 0; i < 5; i++) {
		fx_run(&fx, in, n - 1, &o); /* truncated */
		bytes += n - 1;
	}
	assert_int_equal(fx_reason(&fx, KS_R_STEERED), 10);
	assert_int_equal(fx_reason(&fx, KS_R_MALFORMED), 5);
	assert_int_equal(fx_reason_total(&fx), 15);
	assert_int_equal(fx_reason_bytes(&fx, KS_R_STEERED) + fx_reason_bytes(&fx, KS_R_MALFORMED),
			 bytes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(whole_packets_steered, setup),
	    cmocka_unit_test_setup(arp_and_nd_untouched, setup),
	    cmocka_unit_test_setup(other_traffic_untouched, setup),
	    cmocka_unit_test_setup(ipv4_fragments_passed, setup),
	    cmocka_unit_test_setup(ipv6_extension_headers_passed, setup),
	    cmocka_unit_test_setup(vlan_tags, setup),
	    cmocka_unit_test_setup(truncation_udp, setup),
	    cmocka_unit_test_setup(truncation_tcp, setup),
	    cmocka_unit_test_setup(truncation_ipv4_options, setup),
	    cmocka_unit_test_setup(inconsistent_ip, setup),
	    cmocka_unit_test_setup(short_udp_no_header, setup),
	    cmocka_unit_test_setup(tcp_bad_data_offset, setup),
	    cmocka_unit_test_setup(every_outcome_counted, setup),
	};

	return cmocka_run_group_tests(tests, fx_group_setup, fx_group_teardown);
}
