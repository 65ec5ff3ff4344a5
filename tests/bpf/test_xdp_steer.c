/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The XDP router under BPF_PROG_TEST_RUN: UDP steering. GUE and IP-in-IP in
 * all four family combinations (outer headers and checksums checked from the
 * bytes, inner packet byte-identical), target choice by flow, entity and per
 * packet against the reference model, defaults, header errors, TTL, MTU,
 * missing shards, generations, shadow hand-off, counters.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <keysteer/wire.h>

#include <keysteer/encap.h>
#include <keysteer/listener_table.h>
#include <keysteer/parse.h>
#include <keysteer/select.h>

#include "pkt.h"
#include "ref_model.h"
#include "xdp_checks.h"
#include "xdp_fixture.h"

#define KEY_A 0x9f3a00c2d41e7b05ULL
#define KEY_B 0x0123456789abcdefULL

/* Listeners on both families; shards 0 (v4 GUE), 1 (v4 GUE), 2 (v6 GUE). */
static int setup(void **state)
{
	struct ks_shard s0 = fx_shard(4, "10.1.0.10", 8080, KS_STEER_GUE, 1, "10.0.0.1");
	struct ks_shard s1 = fx_shard(4, "10.1.0.20", 8080, KS_STEER_GUE, 1, "10.0.0.1");
	struct ks_shard s2 = fx_shard(6, "2001:db8::7", 9000, KS_STEER_GUE, 1, "2001:db8::1");

	(void)state;
	fx_reset_all(&fx);
	fx_add_listener(&fx, 0, 4, L4, 7000, 17);
	fx_add_listener(&fx, 0, 6, L6, 7000, 17);
	fx_set_shard(&fx, 0, 0, &s0);
	fx_set_shard(&fx, 0, 1, &s1);
	fx_set_shard(&fx, 0, 2, &s2);
	return 0;
}

static const struct ks_shard *shard_of(uint32_t id, struct ks_shard *buf)
{
	uint32_t idx = id;

	assert_int_equal(bpf_map_lookup_elem(fx.shards, &idx, buf), 0);
	return buf;
}

/* Steer one datagram to shard `id` and check the tunnel. */
static void steer_and_check(int family, uint32_t id, size_t extra, int zero_csum_inner)
{
	struct ks_route r = fx_route1((uint16_t)id, 3);
	struct ks_shard sh;
	struct pkt_spec s;
	struct pkt_layout lay;
	struct tunnel_expect e;
	struct ks_key_stats ks;
	struct ks_counter sc;
	static uint8_t in[PKT_MAX];
	static struct xdp_out o;
	size_t n;

	fx_set_route(&fx, 0, KEY_A, &r);
	shard_of(id, &sh);
	pkt_init(&s, family, 17, family == 4 ? C4 : C6, family == 4 ? L4 : L6, 40000, 7000);
	s.tos = 0x2e;
	s.udp_zero_csum = zero_csum_inner;
	n = build_udp(&s, in, &lay, KEY_A, 0, 0, extra);
	fx_run(&fx, in, n, &o);
	assert_int_equal(o.ret, XDP_TX);

	memset(&e, 0, sizeof(e));
	e.outer_family = sh.family;
	e.gue = sh.steer == KS_STEER_GUE;
	e.src = (const uint8_t *)sh.src.w;
	e.dst = (const uint8_t *)sh.vip.w;
	e.gue_port = KS_DEFAULT_GUE_PORT;
	e.flow_hash = spec_flow_hash(&s);
	e.dmac = sh.dmac;
	e.smac = sh.smac;
	e.zero_csum = zero_csum_inner && family == 4;
	check_tunnel(&o, in, &lay, &e);

	assert_int_equal(fx_reason(&fx, KS_R_STEERED), 1);
	assert_int_equal(fx_reason_bytes(&fx, KS_R_STEERED), n);
	assert_int_equal(fx_reason_total(&fx), 1);
	fx_key_stats(&fx, 3, &ks);
	assert_int_equal(ks.packets, 1);
	assert_int_equal(ks.bytes, n);
	assert_int_equal(ks.target_packets[0], 1);
	assert_int_equal(ks.shadow_packets, 0);
	fx_shard_stats(&fx, id, &sc);
	assert_int_equal(sc.packets, 1);
	assert_int_equal(sc.bytes, n);
}

static void gue_4in4(void **state)
{
	(void)state;
	steer_and_check(4, 0, 100, 0);
}

static void gue_4in6(void **state)
{
	(void)state;
	steer_and_check(4, 2, 100, 0);
}

static void gue_6in6(void **state)
{
	(void)state;
	steer_and_check(6, 2, 33, 0);
}

static void gue_6in4(void **state)
{
	(void)state;
	steer_and_check(6, 0, 0, 0);
}

/* An inner IPv4 UDP datagram without checksum: the IPv6 outer checksum is zero. */
static void gue_4in6_inner_zero_csum(void **state)
{
	(void)state;
	steer_and_check(4, 2, 7, 1);
}

static void ipip_all_families(void **state)
{
	struct ks_shard ip4 = fx_shard(4, "10.1.0.30", 0, KS_STEER_IPIP, 1, "10.0.0.1");
	struct ks_shard ip6 = fx_shard(6, "2001:db8::30", 0, KS_STEER_IPIP, 1, "2001:db8::1");

	(void)state;
	fx_set_shard(&fx, 0, 5, &ip4);
	fx_set_shard(&fx, 0, 6, &ip6);
	steer_and_check(4, 5, 64, 0); /* IPIP */
	fx_reset_stats(&fx);
	steer_and_check(6, 5, 64, 0); /* 6-in-4 */
	fx_reset_stats(&fx);
	steer_and_check(4, 6, 64, 0); /* 4-in-6 */
	fx_reset_stats(&fx);
	steer_and_check(6, 6, 64, 0); /* IP6IP6 */
}

/* The outer GUE port comes from the generation's config; 0 means 6080. */
static void gue_port_from_config(void **state)
{
	struct ks_route r = fx_route1(0, 0);
	struct pkt_spec s;
	struct pkt_layout lay;
	uint8_t in[PKT_MAX];
	static struct xdp_out o;
	size_t n;

	(void)state;
	fx_set_route(&fx, 0, KEY_A, &r);
	fx_set_config(&fx, 0, 1, KS_DEFAULT_DROP, 7777);
	pkt_init(&s, 4, 17, C4, L4, 40000, 7000);
	n = build_udp(&s, in, &lay, KEY_A, 0, 0, 8);
	fx_run(&fx, in, n, &o);
	assert_int_equal(o.ret, XDP_TX);
	assert_int_equal(get16(o.data + 14 + 20 + 2), 7777);
	fx_set_config(&fx, 0, 1, KS_DEFAULT_DROP, 0);
	fx_run(&fx, in, n, &o);
	assert_int_equal(get16(o.data + 14 + 20 + 2), KS_DEFAULT_GUE_PORT);
}

/* Another egress interface than the ingress: devmap redirect. */
static void redirect_other_ifindex(void **state)
{
	struct ks_shard sh = fx_shard(4, "10.1.0.40", 8080, KS_STEER_GUE, 7, "10.0.0.1");
	struct ks_route r = fx_route1(4, 0);
	struct pkt_spec s;
	struct pkt_layout lay;
	uint8_t in[PKT_MAX];
	static struct xdp_out o;
	size_t n;

	(void)state;
	fx_set_shard(&fx, 0, 4, &sh);
	fx_set_route(&fx, 0, KEY_A, &r);
	fx_add_tx_port(&fx, 7, 1);
	pkt_init(&s, 4, 17, C4, L4, 40000, 7000);
	n = build_udp(&s, in, &lay, KEY_A, 0, 0, 8);
	fx_run(&fx, in, n, &o);
	assert_int_equal(o.ret, XDP_REDIRECT);
	assert_int_equal(fx_reason(&fx, KS_R_STEERED), 1);
}

/* Many flows over a 75/25 route: each lands where the reference model says. */
static void weighted_choice_by_flow(void **state)
{
	struct ks_route r = fx_route2(0, 1, 49151, 2);
	struct ks_key_stats ks;
	unsigned count[2] = {0, 0};
	const unsigned flows = 2000;

	(void)state;
	fx_set_route(&fx, 0, KEY_A, &r);
	for (unsigned i = 0; i < flows; i++) {
		struct pkt_spec s;
		struct pkt_layout lay;
		uint8_t in[PKT_MAX];
		static struct xdp_out o;
		unsigned want;
		size_t n;

		pkt_init(&s, 4, 17, C4, L4, (uint16_t)(20000 + i), 7000);
		n = build_udp(&s, in, &lay, KEY_A, 0, 0, 4);
		fx_run(&fx, in, n, &o);
		assert_int_equal(o.ret, XDP_TX);
		want = ref_target(&r, spec_flow_hash(&s));
		/* outer destination 10.1.0.10 or 10.1.0.20 */
		assert_int_equal(o.data[14 + 19], want == 0 ? 10 : 20);
		count[want]++;
	}
	fx_key_stats(&fx, 2, &ks);
	assert_int_equal(ks.packets, flows);
	assert_int_equal(ks.target_packets[0], count[0]);
	assert_int_equal(ks.target_packets[1], count[1]);
	/* The hash spreads: 75% +- 5%. */
	assert_in_range(count[0], flows * 70 / 100, flows * 80 / 100);
}

/* The same flow always goes to the same target, packet after packet. */
static void flow_is_sticky(void **state)
{
	struct ks_route r = fx_route2(0, 1, 32767, 0);
	struct pkt_spec s;
	struct pkt_layout lay;
	uint8_t in[PKT_MAX];
	static struct xdp_out o;
	uint8_t first = 0;

	(void)state;
	fx_set_route(&fx, 0, KEY_A, &r);
	pkt_init(&s, 4, 17, C4, L4, 41000, 7000);
	for (int i = 0; i < 50; i++) {
		size_t n;

		s.ip_id = (uint16_t)(i * 7919);
		n = build_udp(&s, in, &lay, KEY_A, 0, 0, (size_t)i);
		fx_run(&fx, in, n, &o);
		assert_int_equal(o.ret, XDP_TX);
		if (i == 0)
			first = o.data[14 + 19];
		assert_int_equal(o.data[14 + 19], first);
	}
}

/* ENTITY flag, or sticky=entity: the entity picks, whatever the flow. */
static void entity_choice(void **state)
{
	struct ks_route r = fx_route2(0, 1, 32767, 0);

	(void)state;
	for (int mode = 0; mode < 2; mode++) {
		r.sticky = mode ? KS_STICKY_ENTITY : KS_STICKY_FLOW;
		fx_set_route(&fx, 0, KEY_A, &r);
		for (uint32_t entity = 1; entity < 200; entity += 7) {
			unsigned want = ref_target(&r, ref_entity_hash(entity));

			for (uint16_t port = 30000; port < 30010; port++) {
				struct pkt_spec s;
				struct pkt_layout lay;
				uint8_t in[PKT_MAX];
				static struct xdp_out o;
				size_t n;

				pkt_init(&s, 4, 17, C4, L4, port, 7000);
				n = build_udp(&s, in, &lay, KEY_A, entity, mode ? 0 : KS_F_ENTITY,
					      0);
				fx_run(&fx, in, n, &o);
				assert_int_equal(o.ret, XDP_TX);
				assert_int_equal(o.data[14 + 19], want == 0 ? 10 : 20);
			}
		}
	}
}

/* sticky=none: per packet, from the packet's own fields (IP ID, UDP checksum). */
static void none_choice_per_packet(void **state)
{
	struct ks_route r = fx_route2(0, 1, 32767, 0);
	unsigned seen[2] = {0, 0};

	(void)state;
	r.sticky = KS_STICKY_NONE;
	fx_set_route(&fx, 0, KEY_A, &r);
	for (int i = 0; i < 200; i++) {
		struct pkt_spec s;
		struct pkt_layout lay;
		uint8_t in[PKT_MAX];
		static struct xdp_out o;
		uint32_t h;
		unsigned want;
		size_t n;

		pkt_init(&s, 4, 17, C4, L4, 40000, 7000);
		s.ip_id = (uint16_t)(i * 40503u);
		n = build_udp(&s, in, &lay, KEY_A, 0, 0, 8);
		h = ref_packet_hash(spec_flow_hash(&s), s.ip_id, 0, get16(in + lay.l4 + 6));
		want = ref_target(&r, h);
		fx_run(&fx, in, n, &o);
		assert_int_equal(o.ret, XDP_TX);
		assert_int_equal(o.data[14 + 19], want == 0 ? 10 : 20);
		seen[want]++;
		/* The same packet again: the same choice. */
		fx_run(&fx, in, n, &o);
		assert_int_equal(o.data[14 + 19], want == 0 ? 10 : 20);
	}
	assert_true(seen[0] > 50 && seen[1] > 50);
}

/* Traffic to a listener without a usable header or key: the rule set's default. */
static void defaults(void **state)
{
	struct ks_route r = fx_route1(0, 0);
	struct {
		uint64_t key;
		uint8_t magic0, version, flags;
		size_t trim; /* payload bytes removed from the 16-byte header */
		uint32_t reason;
	} cases[] = {
	    {KEY_B, 0x4b, 1, 0, 0, KS_R_UNKNOWN_KEY},
	    {KEY_A, 0x4c, 1, 0, 0, KS_R_BAD_MAGIC},
	    {KEY_A, 0x4b, 2, 0, 0, KS_R_BAD_VERSION},
	    {KEY_A, 0x4b, 1, 0, 1, KS_R_NO_HEADER},
	    {KEY_A, 0x4b, 1, 0, 16, KS_R_NO_HEADER},
	    /* Unknown flag bits are ignored. */
	    {KEY_A, 0x4b, 1, 0xf8, 0, KS_R_STEERED},
	};

	(void)state;
	fx_set_route(&fx, 0, KEY_A, &r);
	for (int action = 0; action < 2; action++) {
		fx_set_config(&fx, 0, 1, action ? KS_DEFAULT_PASS : KS_DEFAULT_DROP, 6080);
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			uint8_t payload[16], in[PKT_MAX];
			struct pkt_spec s;
			static struct xdp_out o;
			size_t n;

			fx_reset_stats(&fx);
			pkt_ks_header(payload, cases[i].key, 0, cases[i].flags);
			payload[0] = cases[i].magic0;
			payload[2] = cases[i].version;
			pkt_init(&s, 4, 17, C4, L4, 40000, 7000);
			s.payload = payload;
			s.payload_len = 16 - cases[i].trim;
			n = pkt_build(&s, in, sizeof(in), NULL);
			fx_run(&fx, in, n, &o);
			if (cases[i].reason == KS_R_STEERED) {
				assert_int_equal(o.ret, XDP_TX);
				assert_int_equal(fx_reason(&fx, KS_R_STEERED), 1);
				continue;
			}
			assert_int_equal(o.ret, action ? XDP_PASS : XDP_DROP);
			check_unchanged(&o, in, n);
			assert_int_equal(fx_reason(&fx, cases[i].reason), 1);
			assert_int_equal(
			    fx_reason(&fx, action ? KS_R_DEFAULT_PASS : KS_R_DEFAULT_DROP), 1);
			assert_int_equal(fx_reason_total(&fx), 2);
		}
	}
}

/* SHADOW from a client is dropped, whatever the default. */
static void client_shadow_dropped(void **state)
{
	struct ks_route r = fx_route1(0, 0);
	struct pkt_spec s;
	struct pkt_layout lay;
	uint8_t in[PKT_MAX];
	static struct xdp_out o;
	size_t n;

	(void)state;
	fx_set_route(&fx, 0, KEY_A, &r);
	fx_set_config(&fx, 0, 1, KS_DEFAULT_PASS, 6080);
	pkt_init(&s, 4, 17, C4, L4, 40000, 7000);
	n = build_udp(&s, in, &lay, KEY_A, 0, KS_F_SHADOW, 0);
	fx_run(&fx, in, n, &o);
	assert_int_equal(o.ret, XDP_DROP);
	assert_int_equal(fx_reason(&fx, KS_R_CLIENT_SHADOW), 1);
	assert_int_equal(fx_reason_total(&fx), 1);
}

/* UDP length field inconsistent with the IP payload: malformed, dropped. */
static void udp_length_malformed(void **state)
{
	const uint16_t bad[] = {0, 7, 8 + 16 + 9, 0xffff};
	struct ks_route r = fx_route1(0, 0);

	(void)state;
	fx_set_route(&fx, 0, KEY_A, &r);
	fx_set_config(&fx, 0, 1, KS_DEFAULT_PASS, 6080);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pkt_spec s;
		struct pkt_layout lay;
		uint8_t in[PKT_MAX];
		static struct xdp_out o;
		size_t n;

		fx_reset_stats(&fx);
		pkt_init(&s, 4, 17, C4, L4, 40000, 7000);
		n = build_udp(&s, in, &lay, KEY_A, 0, 0, 8);
		put16(in + lay.l4 + 4, bad[i]);
		fx_run(&fx, in, n, &o);
		assert_int_equal(o.ret, XDP_DROP);
		assert_int_equal(fx_reason(&fx, KS_R_MALFORMED), 1);
		assert_int_equal(fx_reason_total(&fx), 1);
	}
}

/* UDP length shorter than the IP payload (IP padding) is accepted, like the kernel. */
static void udp_length_short_of_ip_payload(void **state)
{
	struct ks_route r = fx_route1(0, 0);
	struct pkt_spec s;
	struct pkt_layout lay;
	uint8_t in[PKT_MAX];
	static struct xdp_out o;
	size_t n;

	(void)state;
	fx_set_route(&fx, 0, KEY_A, &r);
	pkt_init(&s, 4, 17, C4, L4, 40000, 7000);
	n = build_udp(&s, in, &lay, KEY_A, 0, 0, 8);
	put16(in + lay.l4 + 4, 8 + 16);
	fx_run(&fx, in, n, &o);
	assert_int_equal(o.ret, XDP_TX);
}

static void ttl_expiring_passed(void **state)
{
	struct ks_route r = fx_route1(0, 0);

	(void)state;
	fx_set_route(&fx, 0, KEY_A, &r);
	for (int family = 4; family <= 6; family += 2) {
		for (uint8_t ttl = 0; ttl <= 2; ttl++) {
			struct pkt_spec s;
			struct pkt_layout lay;
			uint8_t in[PKT_MAX];
			static struct xdp_out o;
			size_t n;

			fx_reset_stats(&fx);
			pkt_init(&s, family, 17, family == 4 ? C4 : C6, family == 4 ? L4 : L6,
				 40000, 7000);
			s.ttl = ttl;
			n = build_udp(&s, in, &lay, KEY_A, 0, 0, 8);
			fx_run(&fx, in, n, &o);
			if (ttl <= 1) {
				assert_int_equal(o.ret, XDP_PASS);
				check_unchanged(&o, in, n);
				assert_int_equal(fx_reason(&fx, KS_R_TTL), 1);
			} else {
				assert_int_equal(o.ret, XDP_TX);
				/* The inner TTL is not decremented. */
				assert_int_equal(o.data[14 + 32 + (family == 4 ? 8 : 7)], 2);
			}
		}
	}
}

/* Too big for the egress MTU once encapsulated: passed, counted. */
static void mtu_exceeded_passed(void **state)
{
	struct ks_shard sh = fx_shard(4, "10.1.0.10", 8080, KS_STEER_GUE, 1, "10.0.0.1");
	struct ks_route r = fx_route1(0, 0);
	struct pkt_spec s;
	struct pkt_layout lay;
	uint8_t in[PKT_MAX];
	static struct xdp_out o;
	size_t n;

	(void)state;
	fx_set_route(&fx, 0, KEY_A, &r);
	pkt_init(&s, 4, 17, C4, L4, 40000, 7000);
	n = build_udp(&s, in, &lay, KEY_A, 0, 0, 100);
	/* The outer packet is the inner IP packet + 32 bytes. */
	sh.mtu = (uint16_t)(n - 14 + 32 - 1);
	fx_set_shard(&fx, 0, 0, &sh);
	fx_run(&fx, in, n, &o);
	assert_int_equal(o.ret, XDP_PASS);
	check_unchanged(&o, in, n);
	assert_int_equal(fx_reason(&fx, KS_R_MTU), 1);
	sh.mtu++;
	fx_set_shard(&fx, 0, 0, &sh);
	fx_run(&fx, in, n, &o);
	assert_int_equal(o.ret, XDP_TX);
	assert_int_equal(fx_reason(&fx, KS_R_STEERED), 1);
}

/* A route naming an empty shard slot: counted, then the default. */
static void missing_shard(void **state)
{
	struct ks_route r = fx_route1(9, 0);
	struct pkt_spec s;
	struct pkt_layout lay;
	uint8_t in[PKT_MAX];
	static struct xdp_out o;
	size_t n;

	(void)state;
	fx_set_route(&fx, 0, KEY_A, &r);
	pkt_init(&s, 4, 17, C4, L4, 40000, 7000);
	n = build_udp(&s, in, &lay, KEY_A, 0, 0, 8);
	fx_run(&fx, in, n, &o);
	assert_int_equal(o.ret, XDP_DROP);
	check_unchanged(&o, in, n);
	assert_int_equal(fx_reason(&fx, KS_R_NO_SHARD), 1);
	assert_int_equal(fx_reason(&fx, KS_R_DEFAULT_DROP), 1);
}

/* Every lookup uses the active generation, read once. */
static void generations(void **state)
{
	struct ks_shard other = fx_shard(4, "10.9.9.9", 8080, KS_STEER_GUE, 1, "10.0.0.1");
	struct ks_route r = fx_route1(0, 0);
	struct pkt_spec s;
	struct pkt_layout lay;
	uint8_t in[PKT_MAX];
	static struct xdp_out o;
	size_t n;

	(void)state;
	/* Gen 1: same listener and key, shard 0 is somewhere else. */
	fx_add_listener(&fx, 1, 4, L4, 7000, 17);
	fx_set_route(&fx, 1, KEY_A, &r);
	fx_set_shard(&fx, 1, 0, &other);
	pkt_init(&s, 4, 17, C4, L4, 40000, 7000);
	n = build_udp(&s, in, &lay, KEY_A, 0, 0, 8);

	fx_run(&fx, in, n, &o); /* gen 0: no route for KEY_A */
	assert_int_equal(o.ret, XDP_DROP);
	assert_int_equal(fx_reason(&fx, KS_R_UNKNOWN_KEY), 1);

	fx_set_active(&fx, 1);
	fx_run(&fx, in, n, &o);
	assert_int_equal(o.ret, XDP_TX);
	assert_int_equal(get32(o.data + 14 + 16), 0x0a090909);

	/* Gen 1 without the listener: not for us at all. */
	fx_del_listener(&fx, 1, 4, L4, 7000, 17);
	fx_run(&fx, in, n, &o);
	assert_int_equal(o.ret, XDP_PASS);
	check_unchanged(&o, in, n);
	assert_int_equal(fx_reason(&fx, KS_R_NOT_LISTENER), 1);
}

/*
 * Two generations with different listener sets, placed with different seeds
 * (gen 1's overfills a bucket under gen 0's seed): the active one decides.
 */
static void generations_own_listener_sets(void **state)
{
	struct ks_shard sh = fx_shard(4, "10.9.9.9", 8080, KS_STEER_GUE, 1, "10.0.0.1");
	struct ks_route r = fx_route1(0, 0);
	struct ks_listener_key set1[KS_LISTENER_WAYS + 1];
	__u32 n1 = 0, want = 0, seed0 = fx.listener_seed[0];
	struct pkt_spec s;
	struct pkt_layout lay;
	uint8_t in[PKT_MAX];
	static struct xdp_out o;
	size_t n;

	(void)state;
	/* Gen 1: five UDP ports of L4 that gen 0's seed puts in one bucket; not 7000. */
	for (uint32_t port = 7001; port < 65536 && n1 < KS_LISTENER_WAYS + 1; port++) {
		struct ks_listener_key k;
		__u32 b;

		memset(&k, 0, sizeof(k));
		pkt_addr(4, L4, (uint8_t *)k.addr.w);
		k.port = htons((uint16_t)port);
		k.proto = 17;
		k.family = KS_AF_INET;
		b = ks_listener_bucket(&k.addr, k.port, k.proto, k.family, seed0);
		if (n1 == 0)
			want = b;
		if (b == want)
			set1[n1++] = k;
	}
	assert_int_equal(n1, KS_LISTENER_WAYS + 1);
	fx_set_listeners(&fx, 1, set1, n1);
	assert_int_not_equal(fx.listener_seed[1], seed0);
	fx_set_route(&fx, 0, KEY_A, &r);
	fx_set_route(&fx, 1, KEY_A, &r);
	fx_set_shard(&fx, 1, 0, &sh);

	/* Gen 0 active: 7000 is a listener, gen 1's ports are not. */
	pkt_init(&s, 4, 17, C4, L4, 40000, 7000);
	n = build_udp(&s, in, &lay, KEY_A, 0, 0, 8);
	fx_run(&fx, in, n, &o);
	assert_int_equal(o.ret, XDP_TX);
	assert_int_equal(get32(o.data + 14 + 16), 0x0a01000a); /* gen 0's shard 0 */
	for (__u32 i = 0; i < n1; i++) {
		pkt_init(&s, 4, 17, C4, L4, 40000, ntohs(set1[i].port));
		n = build_udp(&s, in, &lay, KEY_A, 0, 0, 8);
		fx_run(&fx, in, n, &o);
		assert_int_equal(o.ret, XDP_PASS);
		check_unchanged(&o, in, n);
	}
	assert_int_equal(fx_reason(&fx, KS_R_NOT_LISTENER), n1);

	/* Gen 1 active: every one of its five ports, with its own seed; 7000 is not. */
	fx_set_active(&fx, 1);
	for (__u32 i = 0; i < n1; i++) {
		pkt_init(&s, 4, 17, C4, L4, 40000, ntohs(set1[i].port));
		n = build_udp(&s, in, &lay, KEY_A, 0, 0, 8);
		fx_run(&fx, in, n, &o);
		assert_int_equal(o.ret, XDP_TX);
		assert_int_equal(get32(o.data + 14 + 16), 0x0a090909); /* gen 1's shard 0 */
	}
	pkt_init(&s, 4, 17, C4, L4, 40000, 7000);
	n = build_udp(&s, in, &lay, KEY_A, 0, 0, 8);
	fx_run(&fx, in, n, &o);
	assert_int_equal(o.ret, XDP_PASS);
	check_unchanged(&o, in, n);
	assert_int_equal(fx_reason(&fx, KS_R_NOT_LISTENER), n1 + 1);
	assert_int_equal(fx_reason(&fx, KS_R_STEERED), n1 + 1);
}

/* Shadow sample: the packet is passed unmodified with the metadata for tc. */
static void shadow_handoff(void **state)
{
	struct ks_route r = fx_route2(0, 1, 32767, 6);
	struct pkt_spec s;
	struct pkt_layout lay;
	uint8_t in[PKT_MAX];
	static struct xdp_out o;
	struct ks_xdp_meta m;
	struct ks_key_stats ks;
	uint32_t h;
	size_t n;

	(void)state;
	r.shadow_shard = 2;
	r.shadow_thresh = KS_WEIGHT_BUCKETS; /* every packet */
	fx_set_route(&fx, 0, KEY_A, &r);
	pkt_init(&s, 4, 17, C4, L4, 40000, 7000);
	n = build_udp(&s, in, &lay, KEY_A, 0, 0, 40);
	h = spec_flow_hash(&s);
	fx_run(&fx, in, n, &o);
	assert_int_equal(o.ret, XDP_PASS);
	check_unchanged(&o, in, n);
	assert_int_equal(o.meta_len, sizeof(m));
	memcpy(&m, o.meta, sizeof(m));
	assert_int_equal(m.magic, KS_META_MAGIC);
	assert_int_equal(m.gen, 0);
	assert_int_equal(m.primary_shard, ref_target(&r, h));
	assert_int_equal(m.shadow_shard, 2);
	assert_int_equal(m.stats_slot, 6);
	assert_int_equal(m.flow_hash, h);
	assert_int_equal(fx_reason(&fx, KS_R_SHADOW_COPY), 1);
	assert_int_equal(fx_reason_total(&fx), 1);
	fx_key_stats(&fx, 6, &ks);
	assert_int_equal(ks.packets, 1);
	assert_int_equal(ks.shadow_packets, 1);
	assert_int_equal(ks.target_packets[ref_target(&r, h)], 1);

	/* Threshold 0: never. */
	r.shadow_thresh = 0;
	fx_set_route(&fx, 0, KEY_A, &r);
	fx_run(&fx, in, n, &o);
	assert_int_equal(o.ret, XDP_TX);
	assert_int_equal(o.meta_len, 0);
}

/* A partial sample: exactly the flows whose high hash half is below the threshold. */
static void shadow_sample_by_hash(void **state)
{
	struct ks_route r = fx_route1(0, 0);
	unsigned shadowed = 0;

	(void)state;
	r.shadow_shard = 1;
	r.shadow_thresh = 6554; /* 10% */
	fx_set_route(&fx, 0, KEY_A, &r);
	for (unsigned i = 0; i < 1000; i++) {
		struct pkt_spec s;
		struct pkt_layout lay;
		uint8_t in[PKT_MAX];
		static struct xdp_out o;
		int want;
		size_t n;

		pkt_init(&s, 4, 17, C4, L4, (uint16_t)(10000 + i), 7000);
		n = build_udp(&s, in, &lay, KEY_A, 0, 0, 0);
		want = (spec_flow_hash(&s) >> 16) < r.shadow_thresh;
		fx_run(&fx, in, n, &o);
		assert_int_equal(o.ret, want ? XDP_PASS : XDP_TX);
		assert_int_equal(o.meta_len, want ? sizeof(struct ks_xdp_meta) : 0);
		shadowed += (unsigned)want;
	}
	assert_int_equal(fx_reason(&fx, KS_R_SHADOW_COPY), shadowed);
	assert_in_range(shadowed, 70, 130);
}

/* Tagged frames are steered; the outer frame is untagged. */
static void vlan_tagged_steered(void **state)
{
	struct ks_route r = fx_route1(0, 0);
	struct ks_shard sh;

	(void)state;
	fx_set_route(&fx, 0, KEY_A, &r);
	shard_of(0, &sh);
	for (int tags = 1; tags <= 2; tags++) {
		struct pkt_spec s;
		struct pkt_layout lay;
		struct tunnel_expect e;
		uint8_t in[PKT_MAX];
		static struct xdp_out o;
		size_t n;

		pkt_init(&s, 4, 17, C4, L4, 40000, 7000);
		s.n_vlans = tags;
		s.vlan_tpid[0] = tags == 2 ? 0x88a8 : 0x8100;
		s.vlan_tci[0] = 100;
		s.vlan_tci[1] = 200;
		n = build_udp(&s, in, &lay, KEY_A, 0, 0, 20);
		fx_run(&fx, in, n, &o);
		assert_int_equal(o.ret, XDP_TX);
		memset(&e, 0, sizeof(e));
		e.outer_family = 4;
		e.gue = 1;
		e.src = (const uint8_t *)sh.src.w;
		e.dst = (const uint8_t *)sh.vip.w;
		e.gue_port = KS_DEFAULT_GUE_PORT;
		e.flow_hash = spec_flow_hash(&s);
		e.dmac = sh.dmac;
		e.smac = sh.smac;
		check_tunnel(&o, in, &lay, &e);
	}
}

/* Ethernet padding after a short IP packet: lengths come from the IP header. */
static void ethernet_padding(void **state)
{
	struct ks_route r = fx_route1(0, 0);
	struct ks_shard sh;
	struct pkt_spec s;
	struct pkt_layout lay;
	struct tunnel_expect e;
	uint8_t in[PKT_MAX];
	static struct xdp_out o;
	size_t n;

	(void)state;
	fx_set_route(&fx, 0, KEY_A, &r);
	shard_of(0, &sh);
	pkt_init(&s, 4, 17, C4, L4, 40000, 7000);
	n = build_udp(&s, in, &lay, KEY_A, 0, 0, 0);
	memset(in + n, 0, 18);
	lay.len = n + 18; /* padding trails the inner packet in the output too */
	fx_run(&fx, in, n + 18, &o);
	assert_int_equal(o.ret, XDP_TX);
	memset(&e, 0, sizeof(e));
	e.outer_family = 4;
	e.gue = 1;
	e.src = (const uint8_t *)sh.src.w;
	e.dst = (const uint8_t *)sh.vip.w;
	e.gue_port = KS_DEFAULT_GUE_PORT;
	e.flow_hash = spec_flow_hash(&s);
	e.dmac = sh.dmac;
	e.smac = sh.smac;
	check_tunnel(&o, in, &lay, &e);
	assert_int_equal(get16(o.data + 14 + 2), 20 + 12 + (n - 14));
}

/*
 * What a userspace fast path (DPDK) builds with the same include/keysteer/
 * code, for the same packet and tables: the XDP output, byte for byte.
 */
static void userspace_core_agrees(void **state)
{
	struct ks_shard shards[4] = {
	    fx_shard(4, "10.1.0.10", 8080, KS_STEER_GUE, 1, "10.0.0.1"),
	    fx_shard(6, "2001:db8::7", 9000, KS_STEER_GUE, 1, "2001:db8::1"),
	    fx_shard(4, "10.1.0.30", 0, KS_STEER_IPIP, 1, "10.0.0.1"),
	    fx_shard(6, "2001:db8::30", 0, KS_STEER_IPIP, 1, "2001:db8::1"),
	};
	unsigned checked = 0;

	(void)state;
	for (uint32_t i = 0; i < 4; i++)
		fx_set_shard(&fx, 0, i, &shards[i]);
	for (int sticky = 0; sticky < 3; sticky++) {
		struct ks_route r;

		memset(&r, 0, sizeof(r));
		r.n_targets = 4;
		r.sticky = (uint8_t)sticky;
		r.shadow_shard = KS_NO_SHARD;
		for (int t = 0; t < 4; t++) {
			r.t[t].shard = (uint16_t)t;
			r.t[t].last = (uint16_t)(t == 3 ? 0xffff : 16383 * (t + 1));
		}
		fx_set_route(&fx, 0, KEY_A, &r);
		for (int i = 0; i < 64; i++) {
			int family = (i & 1) ? 6 : 4;
			struct pkt_spec s;
			struct pkt_layout lay;
			uint8_t in[PKT_MAX], want[PKT_MAX], *u;
			static uint8_t al[PKT_MAX + 8] __attribute__((aligned(8)));
			static struct xdp_out o;
			struct ks_header h = {0};
			struct ks_choice c;
			struct ks_tunnel t;
			struct ks_pkt p;
			const struct ks_shard *sh;
			uint32_t fh, hlen;
			size_t n, inner;

			pkt_init(&s, family, 17, family == 4 ? C4 : C6, family == 4 ? L4 : L6,
				 (uint16_t)(30000 + i * 13), 7000);
			s.ip_id = (uint16_t)(i * 977);
			s.tos = (uint8_t)(i * 4);
			s.flow_label = (uint32_t)i * 4099;
			n = build_udp(&s, in, &lay, KEY_A, (uint32_t)i * 31,
				      (i & 2) ? KS_F_ENTITY : 0, (size_t)i);
			fx_run(&fx, in, n, &o);
			assert_int_equal(o.ret, XDP_TX);

			/* The userspace copy sits at NET_IP_ALIGN, as a fast path's would. */
			memcpy(al + PKT_ALIGN_PAD, in, n);
			u = al + PKT_ALIGN_PAD;
			memset(&p, 0, sizeof(p));
			assert_int_equal(ks_parse(u, u + n, &p), KS_PARSE_OK);
			assert_int_equal(ks_udp_routing_header(u, u + n, &p, &h), KS_PARSE_OK);
			fh = ks_flow_hash(&p);
			ks_choose(&r, &h, fh, &p, &c);
			sh = &shards[c.shard];
			ks_tunnel_init(&t, &p, &sh->src, &sh->vip, sh->family, sh->steer,
				       htons(KS_DEFAULT_GUE_PORT), fh);
			ks_eth_write((struct ks_eth *)(al + PKT_ALIGN_PAD), sh->dmac, sh->smac,
				     sh->family);
			hlen = ks_encap_write(al + PKT_ALIGN_PAD + 14, &t);
			inner = n - p.l3_off;
			memcpy(want, al + PKT_ALIGN_PAD, 14 + hlen);
			memcpy(want + 14 + hlen, in + p.l3_off, inner);
			assert_int_equal(o.len, 14 + hlen + inner);
			assert_memory_equal(o.data, want, o.len);
			checked++;
		}
	}
	assert_int_equal(checked, 3 * 64);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(gue_4in4, setup),
	    cmocka_unit_test_setup(gue_4in6, setup),
	    cmocka_unit_test_setup(gue_6in6, setup),
	    cmocka_unit_test_setup(gue_6in4, setup),
	    cmocka_unit_test_setup(gue_4in6_inner_zero_csum, setup),
	    cmocka_unit_test_setup(ipip_all_families, setup),
	    cmocka_unit_test_setup(gue_port_from_config, setup),
	    cmocka_unit_test_setup(redirect_other_ifindex, setup),
	    cmocka_unit_test_setup(weighted_choice_by_flow, setup),
	    cmocka_unit_test_setup(flow_is_sticky, setup),
	    cmocka_unit_test_setup(entity_choice, setup),
	    cmocka_unit_test_setup(none_choice_per_packet, setup),
	    cmocka_unit_test_setup(defaults, setup),
	    cmocka_unit_test_setup(client_shadow_dropped, setup),
	    cmocka_unit_test_setup(udp_length_malformed, setup),
	    cmocka_unit_test_setup(udp_length_short_of_ip_payload, setup),
	    cmocka_unit_test_setup(ttl_expiring_passed, setup),
	    cmocka_unit_test_setup(mtu_exceeded_passed, setup),
	    cmocka_unit_test_setup(missing_shard, setup),
	    cmocka_unit_test_setup(generations, setup),
	    cmocka_unit_test_setup(generations_own_listener_sets, setup),
	    cmocka_unit_test_setup(shadow_handoff, setup),
	    cmocka_unit_test_setup(shadow_sample_by_hash, setup),
	    cmocka_unit_test_setup(vlan_tagged_steered, setup),
	    cmocka_unit_test_setup(ethernet_padding, setup),
	    cmocka_unit_test_setup(userspace_core_agrees, setup),
	};

	return cmocka_run_group_tests(tests, fx_group_setup, fx_group_teardown);
}
