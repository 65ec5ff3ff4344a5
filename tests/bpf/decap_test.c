/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The shard-side decapsulator (bpf/ks_decap.bpf.c) under BPF_PROG_TEST_RUN:
 * hand-built GUE and IP-in-IP packets in every combination, checked byte for
 * byte against the frame a correct decapsulator makes; every truncation;
 * inconsistent headers; and traffic that is not ours, which must come out
 * untouched. Each case also checks which counter moved.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <arpa/inet.h>
#include <keysteer/table.h>
#include "backend/decap_loader.h"
#include "backend/maps.h"
#include "backend/xdp_attach.h"
#include "decap_pkt.h"
#include "../net/nsutil.h"

#ifndef KS_BUILD
#define KS_BUILD "build"
#endif
#define DECAP_OBJ KS_BUILD "/bpf/ks_decap.bpf.o"
#define ROOT	  "/sys/fs/bpf/ks-decap-test"

static struct bpf_object *obj;
static int prog_fd, cfg_fd;

static const uint8_t payload[] = "keysteer payload: never read, never written";

static void set_port(uint16_t port)
{
	struct ks_decap_config cfg = {.gue_port = htons(port)};
	__u32 zero = 0;

	assert_int_equal(bpf_map_update_elem(cfg_fd, &zero, &cfg, BPF_ANY), 0);
}

static int group_setup(void **state)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = ROOT);
	char msg[256];

	(void)state;
	if (ks_ns_enter_private(msg, sizeof(msg))) {
		fprintf(stderr, "%s\n", msg);
		return -1;
	}
	if (ks_pin_mkdir(ROOT))
		return -1;
	obj = bpf_object__open_file(DECAP_OBJ, &oo);
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "loading %s failed\n", DECAP_OBJ);
		return -1;
	}
	prog_fd = bpf_program__fd(bpf_object__find_program_by_name(obj, "ks_decap"));
	cfg_fd = bpf_map__fd(bpf_object__find_map_by_name(obj, "ks_decap_config"));
	return prog_fd < 0 || cfg_fd < 0 ? -1 : 0;
}

static int group_teardown(void **state)
{
	(void)state;
	bpf_object__close(obj);
	ks_pin_purge(ROOT);
	return 0;
}

static int setup_port(void **state)
{
	(void)state;
	set_port(KS_DEFAULT_GUE_PORT);
	return 0;
}

struct result {
	int ret;
	size_t len;
	uint8_t out[4096];
	struct ks_decap_counter delta[KS_DECAP_MAX];
};

static void counters(struct ks_decap_counter c[KS_DECAP_MAX])
{
	__u16 port;

	assert_int_equal(ks_decap_read(ROOT, c, &port), 0);
}

static void run(const uint8_t *in, size_t len, struct result *r)
{
	struct ks_decap_counter before[KS_DECAP_MAX], after[KS_DECAP_MAX];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = (__u32)len,
		    .data_out = r->out, .data_size_out = sizeof(r->out), .repeat = 1);

	counters(before);
	assert_int_equal(bpf_prog_test_run_opts(prog_fd, &o), 0);
	counters(after);
	r->ret = (int)o.retval;
	r->len = o.data_size_out;
	for (int i = 0; i < KS_DECAP_MAX; i++) {
		r->delta[i].packets = after[i].packets - before[i].packets;
		r->delta[i].bytes = after[i].bytes - before[i].bytes;
	}
}

/* Exactly one packet counted, under this outcome. */
static void assert_counted(const struct result *r, int outcome, size_t len)
{
	for (int i = 0; i < KS_DECAP_MAX; i++) {
		if (r->delta[i].packets != (i == outcome ? 1u : 0u))
			fail_msg("counter %s moved by %llu (expected outcome %s)",
				 ks_decap_outcome_name(i), (unsigned long long)r->delta[i].packets,
				 ks_decap_outcome_name(outcome));
	}
	assert_int_equal(r->delta[outcome].bytes, len);
}

static void assert_untouched(const uint8_t *in, size_t len, int outcome)
{
	struct result r;

	run(in, len, &r);
	assert_int_equal(r.ret, XDP_PASS);
	assert_int_equal(r.len, len);
	assert_memory_equal(r.out, in, len);
	assert_counted(&r, outcome, len);
}

static struct ks_pkt_spec spec(int outer, enum ks_encap e, int inner, int vlans)
{
	return (struct ks_pkt_spec){
	    .outer = outer,
	    .encap = e,
	    .inner = inner,
	    .vlans = vlans,
	    .gue_port = KS_DEFAULT_GUE_PORT,
	    .sport = 5555,
	    .dport = 7000,
	    .payload = payload,
	    .payload_len = sizeof(payload),
	};
}

static void test_every_combination_is_stripped(void **state)
{
	static uint8_t in[2048], want[2048];
	int n = 0;

	(void)state;
	for (int outer = 4; outer <= 6; outer += 2)
		for (int e = KS_ENC_GUE; e <= KS_ENC_IPIP; e++)
			for (int inner = 4; inner <= 6; inner += 2)
				for (int vlans = 0; vlans <= 2; vlans++) {
					struct ks_pkt_spec s = spec(outer, e, inner, vlans);
					size_t len = ks_pkt_frame(in, &s, NULL);
					size_t wlen = ks_pkt_expected(want, &s);
					struct result r;

					run(in, len, &r);
					assert_int_equal(r.ret, XDP_PASS);
					assert_int_equal(r.len, wlen);
					assert_memory_equal(r.out, want, wlen);
					assert_counted(
					    &r, e == KS_ENC_GUE ? KS_DECAP_GUE : KS_DECAP_IPIP,
					    len);
					n++;
				}
	assert_int_equal(n, 24);
}

/* The inner packet's own checksums survive (recomputed here independently). */
static void test_inner_checksums_valid(void **state)
{
	static uint8_t in[2048];
	struct ks_pkt_spec s = spec(6, KS_ENC_GUE, 4, 0);
	size_t len = ks_pkt_frame(in, &s, NULL);
	struct result r;
	uint8_t *ip, *udp;
	uint32_t sum;
	uint8_t pseudo[4] = {0, 17, 0, 0};

	(void)state;
	run(in, len, &r);
	ip = r.out + 14;
	assert_int_equal(ks_csum_fold(ks_csum_add(0, ip, 20)), 0);
	udp = ip + 20;
	pseudo[2] = udp[4];
	pseudo[3] = udp[5];
	sum = ks_csum_add(0, ip + 12, 8);
	sum = ks_csum_add(sum, pseudo, 4);
	sum = ks_csum_add(sum, udp, (size_t)(udp[4] << 8 | udp[5]));
	assert_int_equal(ks_csum_fold(sum), 0);
	assert_memory_equal(udp + 8, payload, sizeof(payload));
}

static void test_every_truncation_passes_untouched(void **state)
{
	static uint8_t in[2048];
	int cases = 0;

	(void)state;
	for (int outer = 4; outer <= 6; outer += 2)
		for (int e = KS_ENC_GUE; e <= KS_ENC_IPIP; e++)
			for (int inner = 4; inner <= 6; inner += 2)
				for (int vlans = 0; vlans <= 2; vlans += 2) {
					struct ks_pkt_spec s = spec(outer, e, inner, vlans);
					size_t len = ks_pkt_frame(in, &s, NULL);

					/* The test runner refuses frames shorter than Ethernet. */
					for (size_t cut = 14; cut < len; cut++) {
						assert_untouched(in, cut, KS_DECAP_MALFORMED);
						cases++;
					}
				}
	printf("# %d truncated frames\n", cases);
}

static void test_ethernet_padding_is_kept(void **state)
{
	static uint8_t in[2048], want[2048];
	struct ks_pkt_spec s = spec(4, KS_ENC_IPIP, 4, 0);
	size_t len, wlen;
	struct result r;

	(void)state;
	s.payload_len = 1; /* a short frame: the NIC pads it */
	len = ks_pkt_frame(in, &s, NULL);
	wlen = ks_pkt_expected(want, &s);
	memset(in + len, 0, 8);
	memset(want + wlen, 0, 8);
	run(in, len + 8, &r);
	assert_int_equal(r.len, wlen + 8);
	assert_memory_equal(r.out, want, wlen + 8);
	assert_counted(&r, KS_DECAP_IPIP, len + 8);
}

static void test_outer_ipv4_options(void **state)
{
	static uint8_t in[2048], want[2048];
	struct ks_pkt_spec s = spec(4, KS_ENC_GUE, 6, 1);
	size_t len = ks_pkt_frame(in, &s, NULL), wlen = ks_pkt_expected(want, &s);
	size_t l3 = ks_pkt_l2len(&s);
	struct result r;

	(void)state;
	/* Insert 4 bytes of options (NOPs) after the 20-byte outer header. */
	memmove(in + l3 + 24, in + l3 + 20, len - l3 - 20);
	memset(in + l3 + 20, 1, 4);
	in[l3] = 0x46;
	in[l3 + 3] += 4;
	len += 4;
	run(in, len, &r);
	assert_int_equal(r.len, wlen);
	assert_memory_equal(r.out, want, wlen);
	assert_counted(&r, KS_DECAP_GUE, len);
}

/* Build a frame, let fn damage it, expect it untouched with this outcome. */
static void damaged(int outer, enum ks_encap e, int inner, void (*fn)(uint8_t *, size_t, size_t),
		    int outcome)
{
	static uint8_t in[2048];
	struct ks_pkt_spec s = spec(outer, e, inner, 0);
	size_t inner_off, len = ks_pkt_frame(in, &s, &inner_off);

	fn(in, len, inner_off);
	assert_untouched(in, len, outcome);
}

static void inner_version_wrong(uint8_t *p, size_t len, size_t io)
{
	(void)len;
	p[io] = (uint8_t)((p[io] & 0x0f) | 0x60); /* claims IPv6 where IPv4 was announced */
}
static void inner_too_long(uint8_t *p, size_t len, size_t io)
{
	(void)len;
	p[io + 3] += 1; /* tot_len one past the end */
}
static void inner_v6_too_long(uint8_t *p, size_t len, size_t io)
{
	(void)len;
	p[io + 5] += 1;
}
static void udp_len_short(uint8_t *p, size_t len, size_t io)
{
	(void)len;
	p[io - 12 + 4] = 0;
	p[io - 12 + 5] = 11; /* less than UDP + GUE */
}
static void udp_len_long(uint8_t *p, size_t len, size_t io)
{
	(void)len;
	p[io - 12 + 5] += 1;
}
static void outer_ihl_small(uint8_t *p, size_t len, size_t io)
{
	(void)len;
	(void)io;
	p[14] = 0x44;
}
static void outer_tot_len_long(uint8_t *p, size_t len, size_t io)
{
	(void)len;
	(void)io;
	p[14 + 3] += 1;
}
static void outer_v6_plen_long(uint8_t *p, size_t len, size_t io)
{
	(void)len;
	(void)io;
	p[14 + 5] += 1;
}

static void test_inconsistent_headers_pass_untouched(void **state)
{
	(void)state;
	damaged(4, KS_ENC_GUE, 4, inner_version_wrong, KS_DECAP_MALFORMED);
	damaged(6, KS_ENC_IPIP, 4, inner_version_wrong, KS_DECAP_MALFORMED);
	damaged(4, KS_ENC_GUE, 4, inner_too_long, KS_DECAP_MALFORMED);
	damaged(4, KS_ENC_IPIP, 6, inner_v6_too_long, KS_DECAP_MALFORMED);
	damaged(6, KS_ENC_GUE, 6, udp_len_short, KS_DECAP_MALFORMED);
	damaged(4, KS_ENC_GUE, 6, udp_len_long, KS_DECAP_MALFORMED);
	damaged(4, KS_ENC_IPIP, 4, outer_ihl_small, KS_DECAP_MALFORMED);
	damaged(4, KS_ENC_GUE, 4, outer_tot_len_long, KS_DECAP_MALFORMED);
	damaged(6, KS_ENC_IPIP, 6, outer_v6_plen_long, KS_DECAP_MALFORMED);
}

static void gue_set(uint8_t *p, size_t len, size_t io, int byte, uint8_t v)
{
	(void)len;
	p[io - 4 + byte] = v;
}
static void gue_version1(uint8_t *p, size_t l, size_t io)
{
	gue_set(p, l, io, 0, 0x40);
}
static void gue_control(uint8_t *p, size_t l, size_t io)
{
	gue_set(p, l, io, 0, 0x20);
}
static void gue_hlen(uint8_t *p, size_t l, size_t io)
{
	gue_set(p, l, io, 0, 0x01);
}
static void gue_flags(uint8_t *p, size_t l, size_t io)
{
	gue_set(p, l, io, 2, 0x80);
}
static void gue_ctype_udp(uint8_t *p, size_t l, size_t io)
{
	gue_set(p, l, io, 1, 17);
}
static void frag_mf(uint8_t *p, size_t len, size_t io)
{
	(void)len;
	(void)io;
	p[14 + 6] = 0x20; /* MF, offset 0 */
	p[14 + 10] = p[14 + 11] = 0;
}
static void frag_offset(uint8_t *p, size_t len, size_t io)
{
	(void)len;
	(void)io;
	p[14 + 6] = 0x00;
	p[14 + 7] = 0x10;
}

static void test_gue_we_do_not_strip_passes_untouched(void **state)
{
	(void)state;
	damaged(4, KS_ENC_GUE, 4, gue_version1, KS_DECAP_UNSUPPORTED);
	damaged(6, KS_ENC_GUE, 4, gue_control, KS_DECAP_UNSUPPORTED);
	damaged(4, KS_ENC_GUE, 6, gue_hlen, KS_DECAP_UNSUPPORTED);
	damaged(4, KS_ENC_GUE, 4, gue_flags, KS_DECAP_UNSUPPORTED);
	damaged(6, KS_ENC_GUE, 6, gue_ctype_udp, KS_DECAP_UNSUPPORTED);
	damaged(4, KS_ENC_IPIP, 4, frag_mf, KS_DECAP_FRAGMENT);
	damaged(4, KS_ENC_GUE, 6, frag_offset, KS_DECAP_FRAGMENT);
}

static void test_other_traffic_passes_untouched(void **state)
{
	static uint8_t in[2048];
	struct ks_pkt_spec s;
	size_t len;

	(void)state;
	/* Plain UDP (the inner packet alone, with an Ethernet header). */
	s = spec(4, KS_ENC_GUE, 4, 0);
	len = ks_pkt_expected(in, &s);
	assert_untouched(in, len, KS_DECAP_PASS);
	s = spec(4, KS_ENC_GUE, 6, 1);
	len = ks_pkt_expected(in, &s);
	assert_untouched(in, len, KS_DECAP_PASS);
	/* Plain UDP to the GUE port that is not GUE-shaped is still ours to judge. */

	/* GUE to another port. */
	s = spec(6, KS_ENC_GUE, 4, 0);
	s.gue_port = 6081;
	len = ks_pkt_frame(in, &s, NULL);
	assert_untouched(in, len, KS_DECAP_PASS);

	/* TCP, ICMP: same outer header, other protocol numbers. */
	s = spec(4, KS_ENC_IPIP, 4, 0);
	len = ks_pkt_frame(in, &s, NULL);
	in[14 + 9] = 6;
	in[14 + 10] = in[14 + 11] = 0;
	assert_untouched(in, len, KS_DECAP_PASS);
	in[14 + 9] = 1;
	assert_untouched(in, len, KS_DECAP_PASS);

	/* IPv6 with a hop-by-hop header in front of IPIP: not stripped. */
	s = spec(6, KS_ENC_IPIP, 6, 0);
	len = ks_pkt_frame(in, &s, NULL);
	in[14 + 6] = 0;
	assert_untouched(in, len, KS_DECAP_PASS);
	/* An IPv6 fragment header. */
	in[14 + 6] = 44;
	assert_untouched(in, len, KS_DECAP_FRAGMENT);

	/* ARP. */
	memset(in, 0xff, 6);
	memset(in + 6, 0x02, 6);
	in[12] = 0x08;
	in[13] = 0x06;
	memset(in + 14, 0, 28);
	assert_untouched(in, 42, KS_DECAP_PASS);

	/* Three VLAN tags: deeper than we look. */
	s = spec(4, KS_ENC_IPIP, 4, 3);
	len = ks_pkt_frame(in, &s, NULL);
	assert_untouched(in, len, KS_DECAP_UNSUPPORTED);

	/* A bare Ethernet header. */
	s = spec(4, KS_ENC_IPIP, 4, 0);
	ks_pkt_frame(in, &s, NULL);
	in[12] = 0x88;
	in[13] = 0xb5;
	assert_untouched(in, 14, KS_DECAP_PASS);
}

static void test_gue_port_is_configurable(void **state)
{
	static uint8_t in[2048], want[2048];
	struct ks_pkt_spec s = spec(4, KS_ENC_GUE, 4, 0);
	size_t len, wlen;
	struct result r;

	(void)state;
	set_port(7777);
	len = ks_pkt_frame(in, &s, NULL); /* to 6080 */
	assert_untouched(in, len, KS_DECAP_PASS);
	s.gue_port = 7777;
	len = ks_pkt_frame(in, &s, NULL);
	wlen = ks_pkt_expected(want, &s);
	run(in, len, &r);
	assert_int_equal(r.len, wlen);
	assert_memory_equal(r.out, want, wlen);
	/* Port 0 turns GUE off; IPIP still works. */
	set_port(0);
	assert_untouched(in, len, KS_DECAP_PASS);
	s.encap = KS_ENC_IPIP;
	len = ks_pkt_frame(in, &s, NULL);
	run(in, len, &r);
	assert_counted(&r, KS_DECAP_IPIP, len);
	set_port(KS_DEFAULT_GUE_PORT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_every_combination_is_stripped, setup_port),
	    cmocka_unit_test_setup(test_inner_checksums_valid, setup_port),
	    cmocka_unit_test_setup(test_every_truncation_passes_untouched, setup_port),
	    cmocka_unit_test_setup(test_ethernet_padding_is_kept, setup_port),
	    cmocka_unit_test_setup(test_outer_ipv4_options, setup_port),
	    cmocka_unit_test_setup(test_inconsistent_headers_pass_untouched, setup_port),
	    cmocka_unit_test_setup(test_gue_we_do_not_strip_passes_untouched, setup_port),
	    cmocka_unit_test_setup(test_other_traffic_passes_untouched, setup_port),
	    cmocka_unit_test_setup(test_gue_port_is_configurable, setup_port),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
