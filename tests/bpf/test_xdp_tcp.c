/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The XDP router under BPF_PROG_TEST_RUN: TCP. The SYN's kind-253 option picks
 * the target and pins the connection (ks_flows4/6, contents checked); later
 * segments follow the pin when the route's weights change, when the rule
 * generation flips, when the listener goes away; SYN retransmissions keep
 * it; FIN/RST mark it closing so that a new SYN on the 4-tuple chooses
 * afresh. The option walk: NOP runs, other experiments, EOL, malformed
 * lengths.
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

#include "pkt.h"
#include "ref_model.h"
#include "xdp_checks.h"
#include "xdp_fixture.h"

#define KEY_A 0x9f3a00c2d41e7b05ULL
#define KEY_B 0x0123456789abcdefULL

/* Shards 0 (10.1.0.10) and 1 (10.1.0.20), GUE; 2 (2001:db8::7), GUE. */
static int setup(void **state)
{
	struct ks_shard s0 = fx_shard(4, "10.1.0.10", 8080, KS_STEER_GUE, 1, "10.0.0.1");
	struct ks_shard s1 = fx_shard(4, "10.1.0.20", 8080, KS_STEER_GUE, 1, "10.0.0.1");
	struct ks_shard s2 = fx_shard(6, "2001:db8::7", 9000, KS_STEER_GUE, 1, "2001:db8::1");

	(void)state;
	fx_reset_all(&fx);
	fx_add_listener(&fx, 0, 4, L4, 7443, 6);
	fx_add_listener(&fx, 0, 6, L6, 7443, 6);
	fx_set_shard(&fx, 0, 0, &s0);
	fx_set_shard(&fx, 0, 1, &s1);
	fx_set_shard(&fx, 0, 2, &s2);
	return 0;
}

struct conn {
	struct pkt_spec s;
	uint8_t in[PKT_MAX];
	size_t len;
	struct pkt_layout lay;
};

static void conn_init(struct conn *c, int family, uint16_t sport)
{
	pkt_init(&c->s, family, 6, family == 4 ? C4 : C6, family == 4 ? L4 : L6, sport, 7443);
}

/* Build a segment of the connection with these flags (a SYN carries the option). */
static void segment(struct conn *c, uint8_t flags, uint64_t key, uint32_t entity)
{
	static const uint8_t data[24] = "GET / HTTP/1.1\r\nHost: x";

	c->s.tcp_flags = flags;
	c->s.tcp_opts_len = 0;
	c->s.payload = NULL;
	c->s.payload_len = 0;
	if (flags == 0x02)
		c->s.tcp_opts_len = pkt_syn_options(c->s.tcp_opts, key, entity);
	else if (flags & 0x08) {
		c->s.payload = data;
		c->s.payload_len = sizeof(data);
	}
	c->s.seq += 1;
	c->len = pkt_build(&c->s, c->in, sizeof(c->in), &c->lay);
	assert_true(c->len > 0);
}

/* Send; return the last byte of the outer IPv4 destination (10 or 20), or -ret. */
static int send_seg(struct conn *c)
{
	static struct xdp_out o;

	fx_run(&fx, c->in, c->len, &o);
	if (o.ret != XDP_TX)
		return -o.ret;
	assert_int_equal(get16(o.data + 12), 0x0800);
	return o.data[14 + 19];
}

static int read_flow(const struct conn *c, struct ks_flow *f)
{
	if (c->s.family == 4) {
		struct ks_flow4_key k;

		memcpy(&k.saddr, c->s.saddr, 4);
		memcpy(&k.daddr, c->s.daddr, 4);
		k.sport = htons(c->s.sport);
		k.dport = htons(c->s.dport);
		return bpf_map_lookup_elem(fx.flows4, &k, f);
	} else {
		struct ks_flow6_key k;

		memcpy(k.saddr, c->s.saddr, 16);
		memcpy(k.daddr, c->s.daddr, 16);
		k.sport = htons(c->s.sport);
		k.dport = htons(c->s.dport);
		return bpf_map_lookup_elem(fx.flows6, &k, f);
	}
}

static void syn_pins_connection(void **state)
{
	struct ks_route r = fx_route2(0, 1, 32767, 4);
	struct ks_key_stats ks;

	(void)state;
	fx_set_route(&fx, 0, KEY_A, &r);
	for (uint16_t port = 50000; port < 50040; port++) {
		struct conn c;
		struct ks_flow f;
		unsigned want;

		conn_init(&c, 4, port);
		segment(&c, 0x02, KEY_A, 0);
		want = ref_target(&r, spec_flow_hash(&c.s));
		assert_int_equal(send_seg(&c), want ? 20 : 10);
		assert_int_equal(read_flow(&c, &f), 0);
		assert_int_equal(f.family, KS_AF_INET);
		assert_int_equal(f.steer, KS_STEER_GUE);
		assert_int_equal(ntohs(f.port), 8080);
		assert_int_equal(ntohl(f.vip.w[0]), want ? 0x0a010014 : 0x0a01000a);
		assert_int_equal(f.vip.w[1] | f.vip.w[2] | f.vip.w[3], 0);
		assert_int_equal(f.shard, want);
		assert_int_equal(f.gen, 0);
		assert_int_equal(f.state, KS_FLOW_OPEN);
		assert_int_equal(f.stats_slot, 4);
		assert_int_equal(f.target, want);
	}
	fx_key_stats(&fx, 4, &ks);
	assert_int_equal(ks.packets, 40);
	assert_int_equal(ks.target_packets[0] + ks.target_packets[1], 40);
	assert_int_equal(fx_reason(&fx, KS_R_STEERED), 40);
}

/* New weights, a new generation, a removed listener: the connection stays. */
static void established_connection_never_moves(void **state)
{
	struct ks_route r = fx_route1(0, 1);
	struct ks_route to_b = fx_route1(1, 1);
	struct ks_shard elsewhere = fx_shard(4, "10.1.0.99", 8080, KS_STEER_GUE, 1, "10.0.0.1");
	struct conn c, c2;
	struct ks_key_stats ks;

	(void)state;
	fx_set_route(&fx, 0, KEY_A, &r);
	conn_init(&c, 4, 51000);
	segment(&c, 0x02, KEY_A, 0);
	assert_int_equal(send_seg(&c), 10);

	/* All weight to shard 1 now. */
	fx_set_route(&fx, 0, KEY_A, &to_b);
	segment(&c, 0x10, 0, 0);
	assert_int_equal(send_seg(&c), 10);
	segment(&c, 0x18, 0, 0);
	assert_int_equal(send_seg(&c), 10);
	/* A new connection follows the new weights. */
	conn_init(&c2, 4, 51001);
	segment(&c2, 0x02, KEY_A, 0);
	assert_int_equal(send_seg(&c2), 20);

	/* A new generation where shard id 0 is somewhere else: the pin holds. */
	fx_add_listener(&fx, 1, 4, L4, 7443, 6);
	fx_set_route(&fx, 1, KEY_A, &to_b);
	fx_set_shard(&fx, 1, 0, &elsewhere);
	fx_set_active(&fx, 1);
	segment(&c, 0x18, 0, 0);
	assert_int_equal(send_seg(&c), 10);

	/* The listener is gone from the active rule set: still pinned. */
	fx_del_listener(&fx, 1, 4, L4, 7443, 6);
	segment(&c, 0x10, 0, 0);
	assert_int_equal(send_seg(&c), 10);
	/* ...but a new connection to it is not ours any more. */
	conn_init(&c2, 4, 51002);
	segment(&c2, 0x02, KEY_A, 0);
	assert_int_equal(send_seg(&c2), -XDP_PASS);
	assert_int_equal(fx_reason(&fx, KS_R_NOT_LISTENER), 1);

	/* Stats of the pinned segments land on the route's slot and the pinned target. */
	fx_key_stats(&fx, 1, &ks);
	assert_int_equal(ks.packets, 6);
	assert_int_equal(ks.target_packets[0], 6);
}

static void syn_retransmission_keeps_pin(void **state)
{
	struct ks_route r = fx_route1(0, 0);
	struct ks_route to_b = fx_route1(1, 0);
	struct conn c;

	(void)state;
	fx_set_route(&fx, 0, KEY_A, &r);
	conn_init(&c, 4, 52000);
	segment(&c, 0x02, KEY_A, 0);
	assert_int_equal(send_seg(&c), 10);
	fx_set_route(&fx, 0, KEY_A, &to_b);
	assert_int_equal(send_seg(&c), 10); /* the same SYN again */
}

/* FIN or RST: the entry is CLOSING; its segments still follow; a new SYN chooses afresh. */
static void fin_and_rst_close(void **state)
{
	const uint8_t closing[] = {0x11 /* FIN ACK */, 0x04 /* RST */, 0x14 /* RST ACK */};

	(void)state;
	for (size_t i = 0; i < sizeof(closing); i++) {
		struct ks_route r = fx_route1(0, 0);
		struct ks_route to_b = fx_route1(1, 0);
		struct ks_flow f;
		struct conn c;

		fx_set_route(&fx, 0, KEY_A, &r);
		conn_init(&c, 4, (uint16_t)(53000 + i));
		segment(&c, 0x02, KEY_A, 0);
		assert_int_equal(send_seg(&c), 10);
		segment(&c, 0x10, 0, 0);
		assert_int_equal(send_seg(&c), 10);
		assert_int_equal(read_flow(&c, &f), 0);
		assert_int_equal(f.state, KS_FLOW_OPEN);

		fx_set_route(&fx, 0, KEY_A, &to_b);
		segment(&c, closing[i], 0, 0);
		assert_int_equal(send_seg(&c), 10);
		assert_int_equal(read_flow(&c, &f), 0);
		assert_int_equal(f.state, KS_FLOW_CLOSING);
		/* the last ACK still follows the pin */
		segment(&c, 0x10, 0, 0);
		assert_int_equal(send_seg(&c), 10);
		/* a new connection on the same 4-tuple: the new weights */
		segment(&c, 0x02, KEY_A, 0);
		assert_int_equal(send_seg(&c), 20);
		assert_int_equal(read_flow(&c, &f), 0);
		assert_int_equal(f.state, KS_FLOW_OPEN);
		assert_int_equal(f.shard, 1);
	}
}

/* No pin and not a SYN: the rule set's default. */
static void segment_without_pin(void **state)
{
	const uint8_t flags[] = {0x10, 0x18, 0x12 /* SYN-ACK */, 0x11, 0x04};

	(void)state;
	for (int action = 0; action < 2; action++) {
		fx_set_config(&fx, 0, 1, action ? KS_DEFAULT_PASS : KS_DEFAULT_DROP, 6080);
		for (size_t i = 0; i < sizeof(flags); i++) {
			static struct xdp_out o;
			struct conn c;

			fx_reset_stats(&fx);
			conn_init(&c, 4, 54000);
			segment(&c, flags[i], 0, 0);
			fx_run(&fx, c.in, c.len, &o);
			assert_int_equal(o.ret, action ? XDP_PASS : XDP_DROP);
			check_unchanged(&o, c.in, c.len);
			assert_int_equal(fx_reason(&fx, KS_R_TCP_NO_FLOW), 1);
			assert_int_equal(
			    fx_reason(&fx, action ? KS_R_DEFAULT_PASS : KS_R_DEFAULT_DROP), 1);
		}
	}
}

static void pinned_ipv6(void **state)
{
	struct ks_route r = fx_route1(2, 0);
	struct ks_route gone = fx_route1(0, 0);
	static struct xdp_out o;
	struct ks_flow f;
	struct conn c;

	(void)state;
	fx_set_route(&fx, 0, KEY_A, &r);
	conn_init(&c, 6, 55000);
	segment(&c, 0x02, KEY_A, 0);
	fx_run(&fx, c.in, c.len, &o);
	assert_int_equal(o.ret, XDP_TX);
	assert_int_equal(get16(o.data + 12), 0x86dd);
	assert_int_equal(read_flow(&c, &f), 0);
	assert_int_equal(f.family, KS_AF_INET6);
	assert_int_equal(f.shard, 2);
	fx_set_route(&fx, 0, KEY_A, &gone);
	segment(&c, 0x18, 0, 0);
	fx_run(&fx, c.in, c.len, &o);
	assert_int_equal(o.ret, XDP_TX);
	assert_int_equal(get16(o.data + 12), 0x86dd);
	/* the outer destination is still 2001:db8::7 */
	assert_int_equal(o.data[14 + 24 + 15], 7);
	/* and the inner segment is intact, checksum and all */
	assert_memory_equal(o.data + 14 + 52, c.in + 14, c.len - 14);
	check_l4_csum(o.data + 14 + 52, 0);
	check_l4_csum(o.data + 14, 0); /* outer UDP over IPv6 */
}

/* sticky=entity: the option's entity picks the target. */
static void entity_from_option(void **state)
{
	struct ks_route r = fx_route2(0, 1, 32767, 0);

	(void)state;
	r.sticky = KS_STICKY_ENTITY;
	fx_set_route(&fx, 0, KEY_A, &r);
	for (uint32_t entity = 1; entity < 60; entity++) {
		unsigned want = ref_target(&r, ref_entity_hash(entity));

		for (uint16_t port = 0; port < 3; port++) {
			struct conn c;

			conn_init(&c, 4, (uint16_t)(56000 + entity * 3 + port));
			segment(&c, 0x02, KEY_A, entity);
			assert_int_equal(send_seg(&c), want ? 20 : 10);
		}
	}
}

/* Run a SYN whose options are `opts`; return the action. */
static int syn_with_options(const uint8_t *opts, int len, uint32_t *reason_count, uint32_t reason)
{
	static struct xdp_out o;
	struct conn c;

	fx_reset_stats(&fx);
	conn_init(&c, 4, 57000);
	c.s.tcp_flags = 0x02;
	memcpy(c.s.tcp_opts, opts, (size_t)len);
	c.s.tcp_opts_len = len;
	c.len = pkt_build(&c.s, c.in, sizeof(c.in), &c.lay);
	fx_reset_flows(&fx);
	fx_run(&fx, c.in, c.len, &o);
	if (o.ret != XDP_TX)
		check_unchanged(&o, c.in, c.len);
	*reason_count = (uint32_t)fx_reason(&fx, reason);
	return o.ret;
}

static void put_option(uint8_t *p, uint64_t key, uint16_t exid)
{
	p[0] = 253;
	p[1] = 16;
	put16(p + 2, exid);
	put32(p + 4, (uint32_t)(key >> 32));
	put32(p + 8, (uint32_t)key);
	put32(p + 12, 0);
}

static void option_walk(void **state)
{
	struct ks_route r = fx_route1(0, 0);
	uint8_t o[40];
	uint32_t n;

	(void)state;
	fx_set_route(&fx, 0, KEY_A, &r);

	/* Alone. */
	memset(o, 0, sizeof(o));
	put_option(o, KEY_A, 0x4b53);
	assert_int_equal(syn_with_options(o, 16, &n, KS_R_STEERED), XDP_TX);
	/* After 20 NOPs, with NOPs after it: 40 bytes of options, 21 steps. */
	memset(o, 1, sizeof(o));
	put_option(o + 20, KEY_A, 0x4b53);
	assert_int_equal(syn_with_options(o, 40, &n, KS_R_STEERED), XDP_TX);
	/* After 24 NOPs: the last 16 bytes. */
	memset(o, 1, sizeof(o));
	put_option(o + 24, KEY_A, 0x4b53);
	assert_int_equal(syn_with_options(o, 40, &n, KS_R_STEERED), XDP_TX);
	/* After another experiment's kind 253 (length 4) and a kind-253 with another ExID. */
	memset(o, 0, sizeof(o));
	o[0] = 253;
	o[1] = 4;
	put16(o + 2, 0x1234);
	put_option(o + 4, KEY_B, 0x9999);
	put_option(o + 20, KEY_A, 0x4b53);
	assert_int_equal(syn_with_options(o, 36 + 4, &n, KS_R_STEERED), XDP_TX);
	/* Only the other ExID: no header. */
	memset(o, 0, sizeof(o));
	put_option(o, KEY_A, 0x4b54);
	assert_int_equal(syn_with_options(o, 16, &n, KS_R_NO_HEADER), XDP_DROP);
	assert_int_equal(n, 1);
	/* After EOL: not looked at. */
	memset(o, 0, sizeof(o));
	o[0] = 1;
	o[1] = 0; /* EOL */
	put_option(o + 4, KEY_A, 0x4b53);
	assert_int_equal(syn_with_options(o, 20, &n, KS_R_NO_HEADER), XDP_DROP);
	assert_int_equal(n, 1);
	/* No options at all. */
	assert_int_equal(syn_with_options(o, 0, &n, KS_R_NO_HEADER), XDP_DROP);
	assert_int_equal(n, 1);
	/* Unknown key. */
	memset(o, 0, sizeof(o));
	put_option(o, KEY_B, 0x4b53);
	assert_int_equal(syn_with_options(o, 16, &n, KS_R_UNKNOWN_KEY), XDP_DROP);
	assert_int_equal(n, 1);
}

static void option_malformed(void **state)
{
	struct ks_route r = fx_route1(0, 0);
	uint8_t o[56]; /* room for an option written across the end */
	uint32_t n;

	(void)state;
	fx_set_route(&fx, 0, KEY_A, &r);
	fx_set_config(&fx, 0, 1, KS_DEFAULT_PASS, 6080); /* malformed drops all the same */
	for (uint8_t len = 0; len < 2; len++) {
		memset(o, 0, sizeof(o));
		o[0] = 2; /* MSS with a length of 0 or 1 */
		o[1] = len;
		put_option(o + 4, KEY_A, 0x4b53);
		assert_int_equal(syn_with_options(o, 20, &n, KS_R_MALFORMED), XDP_DROP);
		assert_int_equal(n, 1);
	}
	/* An option running past the header. */
	memset(o, 1, sizeof(o));
	o[36] = 8;
	o[37] = 10;
	assert_int_equal(syn_with_options(o, 40, &n, KS_R_MALFORMED), XDP_DROP);
	assert_int_equal(n, 1);
	/* Ours, cut by the data offset: 12 of its 16 bytes inside the options. */
	for (int inside = 1; inside < 16; inside++) {
		memset(o, 1, sizeof(o));
		put_option(o + 40 - inside, KEY_A, 0x4b53); /* writes past; only `inside` count */
		assert_int_equal(syn_with_options(o, 40, &n, KS_R_MALFORMED), XDP_DROP);
		assert_int_equal(n, 1);
	}
	/* The last byte is a lone kind: no room for its length. */
	memset(o, 1, sizeof(o));
	o[39] = 253;
	assert_int_equal(syn_with_options(o, 40, &n, KS_R_MALFORMED), XDP_DROP);
	assert_int_equal(n, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(syn_pins_connection, setup),
	    cmocka_unit_test_setup(established_connection_never_moves, setup),
	    cmocka_unit_test_setup(syn_retransmission_keeps_pin, setup),
	    cmocka_unit_test_setup(fin_and_rst_close, setup),
	    cmocka_unit_test_setup(segment_without_pin, setup),
	    cmocka_unit_test_setup(pinned_ipv6, setup),
	    cmocka_unit_test_setup(entity_from_option, setup),
	    cmocka_unit_test_setup(option_walk, setup),
	    cmocka_unit_test_setup(option_malformed, setup),
	};

	return cmocka_run_group_tests(tests, fx_group_setup, fx_group_teardown);
}
