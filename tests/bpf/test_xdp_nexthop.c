/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The XDP router's next-hop fallback: a shard whose next hop the controller
 * has not resolved (nh_valid 0) goes through bpf_fib_lookup. The suite runs
 * in a network namespace of its own (unshare at start: it dies with the
 * process, nothing to clean up) with a veth pair, routes and permanent
 * neighbours it sets up itself, so the FIB answers are known: success (MACs,
 * egress, source address), no route, no neighbour, FRAG_NEEDED, forwarding
 * disabled; and a pinned connection whose VIP no generation names any more.
 */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include <net/if.h>
#include <bpf/bpf.h>
#include <keysteer/wire.h>

#include "pkt.h"
#include "ref_model.h"
#include "xdp_checks.h"
#include "xdp_fixture.h"

#define KEY_A 0x9f3a00c2d41e7b05ULL

static const uint8_t GW_MAC[6] = {0x02, 0x00, 0x00, 0x00, 0x50, 0x02};
static const uint8_t T0_MAC[6] = {0x02, 0x00, 0x00, 0x00, 0x50, 0x01};

static unsigned if_t0, if_t1;

static void sh(const char *cmd)
{
	int rc = system(cmd);

	if (rc != 0)
		fail_msg("`%s` failed (%d)", cmd, rc);
}

static void write_file(const char *path, const char *value)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(value, f) < 0 || fclose(f) != 0)
		fail_msg("%s: %s", path, strerror(errno));
}

static int group_setup(void **state)
{
	(void)state;
	if (unshare(CLONE_NEWNET))
		fail_msg("unshare(CLONE_NEWNET): %s (the suite needs root)", strerror(errno));
	sh("ip link set lo up");
	sh("ip link add kst0 address 02:00:00:00:50:01 type veth peer name kst1");
	sh("ip link set kst0 up && ip link set kst1 up");
	sh("ip addr add 10.50.0.1/24 dev kst0");
	sh("ip route add 10.1.0.0/16 via 10.50.0.2 dev kst0");
	sh("ip route add 10.3.0.0/16 via 10.50.0.2 dev kst0 mtu lock 600");
	sh("ip route add 10.4.0.0/16 via 10.50.0.3 dev kst0"); /* no neighbour */
	sh("ip neigh add 10.50.0.2 lladdr 02:00:00:00:50:02 dev kst0 nud permanent");
	sh("ip -6 addr add 2001:db8:50::1/64 dev kst0 nodad");
	sh("ip -6 route add 2001:db8::/64 via 2001:db8:50::2 dev kst0");
	sh("ip -6 neigh add 2001:db8:50::2 lladdr 02:00:00:00:50:02 dev kst0 nud permanent");
	write_file("/proc/sys/net/ipv4/conf/all/forwarding", "1");
	write_file("/proc/sys/net/ipv6/conf/all/forwarding", "1");
	if_t0 = if_nametoindex("kst0");
	if_t1 = if_nametoindex("kst1");
	assert_true(if_t0 && if_t1);
	fx_open(&fx);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	fx_close(&fx);
	return 0;
}

static int setup(void **state)
{
	(void)state;
	fx_reset_all(&fx);
	fx_add_listener(&fx, 0, 4, L4, 7000, 17);
	fx_add_listener(&fx, 0, 4, L4, 7443, 6);
	fx_add_listener(&fx, 0, 6, L6, 7000, 17);
	return 0;
}

/* A shard the controller knows nothing about the way to: no next hop, no source. */
static void unresolved_shard(uint32_t id, int family, const char *vip)
{
	struct ks_shard s = fx_shard(family, vip, 8080, KS_STEER_GUE, 0, NULL);
	struct ks_route r = fx_route1((uint16_t)id, 0);

	s.nh_valid = 0;
	s.mtu = 0;
	memset(s.smac, 0, 6);
	memset(s.dmac, 0, 6);
	fx_set_shard(&fx, 0, id, &s);
	fx_set_route(&fx, 0, KEY_A, &r);
}

static size_t udp(int family, uint8_t *in, struct pkt_layout *lay, struct pkt_spec *s, size_t extra)
{
	pkt_init(s, family, 17, family == 4 ? C4 : C6, family == 4 ? L4 : L6, 40000, 7000);
	return build_udp(s, in, lay, KEY_A, 0, 0, extra);
}

static void fib_resolves_next_hop(void **state)
{
	(void)state;
	for (int family = 4; family <= 6; family += 2) {
		struct pkt_spec s;
		struct pkt_layout lay;
		struct tunnel_expect e;
		uint8_t in[PKT_MAX], src[16], dst[16];
		static struct xdp_out o;
		size_t n;

		unresolved_shard(0, family, family == 4 ? "10.1.0.10" : "2001:db8::7");
		n = udp(family, in, &lay, &s, 30);
		fx_run_on(&fx, if_t0, in, n, &o);
		assert_int_equal(o.ret, XDP_TX); /* out where it came in */
		pkt_addr(family, family == 4 ? "10.50.0.1" : "2001:db8:50::1", src);
		pkt_addr(family, family == 4 ? "10.1.0.10" : "2001:db8::7", dst);
		memset(&e, 0, sizeof(e));
		e.outer_family = family;
		e.gue = 1;
		e.src = src; /* the FIB's source address */
		e.dst = dst;
		e.gue_port = KS_DEFAULT_GUE_PORT;
		e.flow_hash = spec_flow_hash(&s);
		e.dmac = GW_MAC;
		e.smac = T0_MAC;
		check_tunnel(&o, in, &lay, &e);
		assert_int_equal(fx_reason(&fx, KS_R_STEERED), 1);
		fx_reset_stats(&fx);

		/* From the other interface: redirected through the devmap. */
		fx_add_tx_port(&fx, if_t0, if_t0);
		fx_run_on(&fx, if_t1, in, n, &o);
		assert_int_equal(o.ret, XDP_REDIRECT);
		fx_reset_stats(&fx);
	}
}

/* A configured source address is kept; the FIB only supplies the MACs. */
static void fib_keeps_configured_source(void **state)
{
	struct ks_shard s = fx_shard(4, "10.1.0.10", 8080, KS_STEER_GUE, 0, "192.0.2.55");
	struct ks_route r = fx_route1(0, 0);
	struct pkt_spec p;
	struct pkt_layout lay;
	uint8_t in[PKT_MAX];
	static struct xdp_out o;
	size_t n;

	(void)state;
	s.nh_valid = 0;
	fx_set_shard(&fx, 0, 0, &s);
	fx_set_route(&fx, 0, KEY_A, &r);
	n = udp(4, in, &lay, &p, 0);
	fx_run_on(&fx, if_t0, in, n, &o);
	assert_int_equal(o.ret, XDP_TX);
	assert_int_equal(get32(o.data + 14 + 12), 0xc0000237);
	assert_memory_equal(o.data, GW_MAC, 6);
}

static void expect_passed(const char *vip, size_t extra, uint32_t ifindex, uint32_t reason)
{
	struct pkt_spec s;
	struct pkt_layout lay;
	uint8_t in[PKT_MAX];
	static struct xdp_out o;
	size_t n;

	unresolved_shard(0, 4, vip);
	n = udp(4, in, &lay, &s, extra);
	fx_reset_stats(&fx);
	fx_run_on(&fx, ifindex, in, n, &o);
	assert_int_equal(o.ret, XDP_PASS);
	check_unchanged(&o, in, n);
	assert_int_equal(fx_reason(&fx, reason), 1);
	assert_int_equal(fx_reason_total(&fx), 1);
}

static void fib_failures_pass(void **state)
{
	(void)state;
	expect_passed("10.99.0.1", 0, if_t0, KS_R_NO_NEXTHOP); /* no route */
	expect_passed("10.4.0.1", 0, if_t0, KS_R_NO_NEXTHOP);  /* no neighbour yet */
	expect_passed("10.3.0.1", 600, if_t0,
		      KS_R_MTU); /* route MTU 600 (locked: forwarding uses it) */
}

/* The same route with a packet that fits its MTU: steered. */
static void fib_mtu_fits(void **state)
{
	struct pkt_spec s;
	struct pkt_layout lay;
	uint8_t in[PKT_MAX];
	static struct xdp_out o;
	size_t n;

	(void)state;
	unresolved_shard(0, 4, "10.3.0.1");
	n = udp(4, in, &lay, &s, 600 - 32 - 20 - 8 - 16); /* outer packet exactly 600 */
	fx_run_on(&fx, if_t0, in, n, &o);
	assert_int_equal(o.ret, XDP_TX);
	assert_int_equal(get16(o.data + 14 + 2), 600);
	n = udp(4, in, &lay, &s, 600 - 32 - 20 - 8 - 16 + 1);
	fx_run_on(&fx, if_t0, in, n, &o);
	assert_int_equal(o.ret, XDP_PASS);
	assert_int_equal(fx_reason(&fx, KS_R_MTU), 1);
}

static void fib_forwarding_disabled(void **state)
{
	(void)state;
	write_file("/proc/sys/net/ipv4/conf/kst0/forwarding", "0");
	expect_passed("10.1.0.10", 0, if_t0, KS_R_NO_NEXTHOP);
	write_file("/proc/sys/net/ipv4/conf/kst0/forwarding", "1");
}

/*
 * A pinned connection whose VIP has left both generations (the shard moved):
 * its segments still go to the pinned VIP, the way the FIB knows.
 */
static void pinned_vip_gone_uses_fib(void **state)
{
	struct ks_shard s0 = fx_shard(4, "10.1.0.10", 8080, KS_STEER_GUE, 1, "10.0.0.1");
	struct ks_shard moved = fx_shard(4, "10.1.7.7", 8080, KS_STEER_GUE, 1, "10.0.0.1");
	struct ks_route r = fx_route1(0, 0);
	struct pkt_spec s;
	uint8_t in[PKT_MAX];
	static struct xdp_out o;
	size_t n;

	(void)state;
	fx_set_shard(&fx, 0, 0, &s0);
	fx_set_route(&fx, 0, KEY_A, &r);
	fx_add_tx_port(&fx, 1, 1);
	pkt_init(&s, 4, 6, C4, L4, 41000, 7443);
	s.tcp_opts_len = pkt_syn_options(s.tcp_opts, KEY_A, 0);
	n = pkt_build(&s, in, sizeof(in), NULL);
	fx_run_on(&fx, if_t0, in, n, &o);
	assert_int_equal(o.ret, XDP_REDIRECT); /* the shard's own next hop: ifindex 1 */

	fx_set_shard(&fx, 0, 0, &moved);
	fx_set_shard(&fx, 1, 0, &moved);
	s.tcp_flags = 0x10;
	s.tcp_opts_len = 0;
	n = pkt_build(&s, in, sizeof(in), NULL);
	fx_reset_stats(&fx);
	fx_run_on(&fx, if_t0, in, n, &o);
	assert_int_equal(o.ret, XDP_TX);
	assert_int_equal(get32(o.data + 14 + 16), 0x0a01000a); /* still 10.1.0.10 */
	assert_int_equal(get32(o.data + 14 + 12), 0x0a320001); /* FIB source */
	assert_memory_equal(o.data, GW_MAC, 6);
	assert_int_equal(fx_reason(&fx, KS_R_STEERED), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(fib_resolves_next_hop, setup),
	    cmocka_unit_test_setup(fib_keeps_configured_source, setup),
	    cmocka_unit_test_setup(fib_failures_pass, setup),
	    cmocka_unit_test_setup(fib_mtu_fits, setup),
	    cmocka_unit_test_setup(fib_forwarding_disabled, setup),
	    cmocka_unit_test_setup(pinned_vip_gone_uses_fib, setup),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
