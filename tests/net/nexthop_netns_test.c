/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The next-hop resolver end to end: a router namespace (this process) and a
 * peer namespace (a child) joined by a veth. Shard VIPs on-link and behind a
 * gateway, IPv4 and IPv6; neighbours resolved by real ARP / ND; then the
 * neighbour's MAC, the routes, the MTU and the link change, and the shard
 * entries in the maps (written through the backend) must follow.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <bpf/bpf.h>

#include "backend/backend.h"
#include "backend/loader.h"
#include "backend/map_io.h"
#include "backend/nh_glue.h"
#include "backend/xdp_attach.h"
#include "nexthop/nexthop.h"
#include "../bpf/backend_util.h"
#include "nsutil.h"

#ifndef KS_BUILD
#define KS_BUILD "build"
#endif
#define TEST_OBJ KS_BUILD "/tests/bpf/backend_maps.bpf.o"
#define ROOT	 "/sys/fs/bpf/ks-nh-test"
#define PEER_MAC "02:88:00:00:00:02"

enum { SH_ONLINK4, SH_GW4, SH_ONLINK6, SH_GW6, SH_NOROUTE, N_SHARDS };

static struct ks_peer peer;
static char ifa[IF_NAMESIZE], ifb[IF_NAMESIZE];
static __u32 ifa_index;
static __u8 ifa_mac[6];

struct fixture {
	struct ks_nh_glue *g;
	struct ks_nh_resolver *r;
	struct ks_backend *b;
	struct ks_compiled *c;
	struct ks_maps m;
};

static void parse_mac(const char *s, __u8 *mac)
{
	unsigned v[6];

	assert_int_equal(sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]),
			 6);
	for (int i = 0; i < 6; i++)
		mac[i] = (__u8)v[i];
}

static int group_setup(void **state)
{
	char msg[256], mac[64];
	int pid = (int)getpid() % 100000;

	(void)state;
	if (ks_ns_enter_private(msg, sizeof(msg))) {
		fprintf(stderr, "%s\n", msg);
		return -1;
	}
	if (ks_peer_start(&peer)) {
		fprintf(stderr, "cannot start the peer namespace\n");
		return -1;
	}
	snprintf(ifa, sizeof(ifa), "knha%d", pid);
	snprintf(ifb, sizeof(ifb), "knhb%d", pid);
	if (ks_sh("ip link add %s type veth peer name %s", ifa, ifb) ||
	    ks_sh("ip link set %s netns %d", ifb, (int)peer.pid) ||
	    ks_peer_sh(&peer, "ip link set %s address " PEER_MAC, ifb) ||
	    ks_peer_sh(&peer, "ip addr add 10.88.0.2/24 dev %s", ifb) ||
	    ks_peer_sh(&peer, "ip -6 addr add fd88::2/64 dev %s nodad", ifb) ||
	    ks_peer_sh(&peer, "ip link set %s up", ifb) ||
	    ks_sh("ip addr add 10.88.0.1/24 dev %s", ifa) ||
	    ks_sh("ip -6 addr add fd88::1/64 dev %s nodad", ifa) || ks_sh("ip link set %s up", ifa))
		return -1;
	ifa_index = if_nametoindex(ifa);
	if (ks_sh_out(mac, sizeof(mac), "cat /sys/class/net/%s/address", ifa))
		return -1;
	parse_mac(mac, ifa_mac);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	ks_peer_stop(&peer);
	return 0;
}

static void add_routes(void)
{
	char out[256];

	/* Link down drops IPv6 addresses (keep_addr_on_down is 0). */
	assert_int_equal(ks_sh("ip -6 addr replace fd88::1/64 dev %s nodad", ifa), 0);
	/* After a link comes up, IPv6 re-adds its prefix route a moment later. */
	for (int i = 0; i < 50; i++) {
		if (ks_sh_out(out, sizeof(out), "ip -6 route show fd88::/64 dev %s", ifa) == 0 &&
		    out[0])
			break;
		usleep(100000);
	}
	assert_int_equal(ks_sh("ip route replace 10.99.0.0/24 via 10.88.0.2 dev %s", ifa), 0);
	assert_int_equal(ks_sh("ip -6 route replace fd99::/64 via fd88::2 dev %s", ifa), 0);
}

static void set_vip(struct ks_compiled *c, __u32 id, const char *addr)
{
	struct ks_nh_target t;

	assert_int_equal(ks_nh_parse_addr(addr, &t), 0);
	c->shards[id].shard.family = t.family;
	c->shards[id].shard.vip = t.addr;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct ks_loader_opts lo = {.pin_root = ROOT, .obj_path = TEST_OBJ, .route_capacity = 1024};
	struct ks_backend_opts bo = {.pin_root = ROOT, .nh_lookup = ks_nh_glue_lookup};
	struct ks_apply_stats st;
	char msg[512];

	if (!f)
		return -1;
	ks_sh("ip link set %s up; ip link set %s mtu 1500", ifa, ifa);
	ks_sh("ip neigh flush dev %s", ifa);
	add_routes();
	if (ks_router_create_maps(&lo, msg, sizeof(msg)) ||
	    ks_maps_open(&f->m, ROOT, msg, sizeof(msg))) {
		fprintf(stderr, "%s\n", msg);
		return -1;
	}
	f->g = ks_nh_glue_new();
	f->r = ks_nh_open(ks_nh_glue_changed, f->g, msg, sizeof(msg));
	if (!f->g || !f->r) {
		fprintf(stderr, "resolver: %s\n", msg);
		return -1;
	}
	ks_nh_glue_set_resolver(f->g, f->r);
	bo.nh_ctx = f->g;
	if (ks_backend_open(&f->b, &bo, msg, sizeof(msg))) {
		fprintf(stderr, "backend: %s\n", msg);
		return -1;
	}
	ks_nh_glue_set_backend(f->g, f->b);

	f->c = ks_test_compiled(1, N_SHARDS, N_SHARDS);
	set_vip(f->c, SH_ONLINK4, "10.88.0.2");
	set_vip(f->c, SH_GW4, "10.99.0.5");
	set_vip(f->c, SH_ONLINK6, "fd88::2");
	set_vip(f->c, SH_GW6, "fd99::5");
	set_vip(f->c, SH_NOROUTE, "10.111.0.1");
	if (ks_nh_glue_track(f->g, f->c) || ks_backend_apply_sync(f->b, f->c, &st)) {
		fprintf(stderr, "apply: %s\n", ks_backend_error(f->b));
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f) {
		ks_backend_close(f->b);
		ks_nh_close(f->r);
		ks_nh_glue_free(f->g);
		ks_maps_close(&f->m);
		ks_test_compiled_free(f->c);
		free(f);
	}
	ks_pin_purge(ROOT);
	return 0;
}

static struct ks_shard shard(const struct fixture *f, __u32 id)
{
	struct ks_shard s;
	__u32 gen = ks_backend_active_gen(f->b);

	assert_int_equal(ks_array_read(f->m.shards, gen * KS_MAX_SHARDS + id, 1, &s, sizeof(s)), 0);
	return s;
}

/* Process resolver events until pred holds; at most ~8 s. */
static bool wait_for(struct fixture *f, bool (*pred)(struct fixture *, void *), void *arg)
{
	for (int i = 0; i < 80; i++) {
		struct pollfd p = {.fd = ks_nh_fd(f->r), .events = POLLIN};

		if (pred(f, arg))
			return true;
		if (poll(&p, 1, 100) > 0)
			assert_true(ks_nh_glue_process(f->g, NULL) >= 0);
	}
	return pred(f, arg);
}

static bool all_resolved(struct fixture *f, void *arg)
{
	(void)arg;
	for (__u32 id = 0; id < SH_NOROUTE; id++)
		if (!shard(f, id).nh_valid)
			return false;
	return true;
}

static void assert_resolved(const struct fixture *f, __u32 id, const __u8 *dmac, const char *src,
			    __u16 mtu)
{
	struct ks_shard s = shard(f, id);
	struct ks_nh_target t;

	assert_int_equal(ks_nh_parse_addr(src, &t), 0);
	assert_int_equal(s.nh_valid, 1);
	assert_int_equal(s.ifindex, ifa_index);
	assert_memory_equal(s.smac, ifa_mac, 6);
	assert_memory_equal(s.dmac, dmac, 6);
	assert_memory_equal(&s.src, &t.addr, sizeof(t.addr));
	assert_int_equal(s.mtu, mtu);
}

static void test_resolves_onlink_and_gateway_vips(void **state)
{
	struct fixture *f = *state;
	__u8 peer_mac[6];
	__u32 ifindex = ifa_index, val = 0;

	parse_mac(PEER_MAC, peer_mac);
	assert_true(wait_for(f, all_resolved, NULL));
	assert_resolved(f, SH_ONLINK4, peer_mac, "10.88.0.1", 1500);
	assert_resolved(f, SH_GW4, peer_mac, "10.88.0.1", 1500);
	assert_resolved(f, SH_ONLINK6, peer_mac, "fd88::1", 1500);
	assert_resolved(f, SH_GW6, peer_mac, "fd88::1", 1500);
	/* No route: unresolved, and nothing made up. */
	assert_int_equal(shard(f, SH_NOROUTE).nh_valid, 0);
	assert_int_equal(shard(f, SH_NOROUTE).ifindex, 0);
	/* The rule-set part of the entry is untouched. */
	assert_int_equal(shard(f, SH_GW4).port, ks_htons(8080));
	/* The egress interface can be redirected to. */
	assert_int_equal(bpf_map_lookup_elem(f->m.tx_ports, &ifindex, &val), 0);
	assert_int_equal(val, ifindex);
}

struct want_mac {
	__u32 id;
	__u8 mac[6];
};

static bool has_mac(struct fixture *f, void *arg)
{
	struct want_mac *w = arg;
	struct ks_shard s = shard(f, w->id);

	return s.nh_valid && !memcmp(s.dmac, w->mac, 6);
}

static void test_neighbour_mac_change_is_followed(void **state)
{
	struct fixture *f = *state;
	struct want_mac w = {.id = SH_ONLINK4};

	assert_true(wait_for(f, all_resolved, NULL));

	/* The kernel learns a new MAC for the gateway: both IPv4 shards follow. */
	assert_int_equal(ks_sh("ip neigh replace 10.88.0.2 lladdr 02:88:00:00:00:77 dev %s nud "
			       "reachable",
			       ifa),
			 0);
	parse_mac("02:88:00:00:00:77", w.mac);
	assert_true(wait_for(f, has_mac, &w));
	w.id = SH_GW4;
	assert_true(wait_for(f, has_mac, &w));

	/* The peer really changes its MAC; the old entries are flushed, the
	 * resolver asks again, and the answer (ARP and ND) carries the new MAC. */
	assert_int_equal(ks_peer_sh(&peer, "ip link set %s address 02:88:00:00:00:99", ifb), 0);
	assert_int_equal(ks_sh("ip neigh flush dev %s", ifa), 0);
	parse_mac("02:88:00:00:00:99", w.mac);
	for (__u32 id = 0; id < SH_NOROUTE; id++) {
		w.id = id;
		if (!wait_for(f, has_mac, &w))
			fail_msg("shard %u did not follow the new MAC", id);
	}
	assert_int_equal(ks_peer_sh(&peer, "ip link set %s address " PEER_MAC, ifb), 0);
}

static bool shard_invalid(struct fixture *f, void *arg)
{
	return !shard(f, *(__u32 *)arg).nh_valid;
}

static bool shard_valid(struct fixture *f, void *arg)
{
	return shard(f, *(__u32 *)arg).nh_valid;
}

static void test_route_removal_invalidates(void **state)
{
	struct fixture *f = *state;
	__u32 gw4 = SH_GW4, gw6 = SH_GW6;

	assert_true(wait_for(f, all_resolved, NULL));
	assert_int_equal(ks_sh("ip route del 10.99.0.0/24"), 0);
	assert_true(wait_for(f, shard_invalid, &gw4));
	assert_int_equal(shard(f, SH_GW4).ifindex, 0);
	/* The others keep theirs. */
	assert_int_equal(shard(f, SH_ONLINK4).nh_valid, 1);
	assert_int_equal(shard(f, SH_GW6).nh_valid, 1);
	assert_int_equal(ks_sh("ip -6 route del fd99::/64"), 0);
	assert_true(wait_for(f, shard_invalid, &gw6));

	add_routes();
	assert_true(wait_for(f, shard_valid, &gw4));
	assert_true(wait_for(f, shard_valid, &gw6));
}

static bool mtu_is(struct fixture *f, void *arg)
{
	for (__u32 id = 0; id < SH_NOROUTE; id++)
		if (shard(f, id).mtu != *(__u16 *)arg)
			return false;
	return true;
}

static void test_mtu_and_link_changes(void **state)
{
	struct fixture *f = *state;
	__u16 mtu = 1400;
	__u32 onlink = SH_ONLINK4;

	assert_true(wait_for(f, all_resolved, NULL));
	assert_int_equal(ks_sh("ip link set %s mtu 1400", ifa), 0);
	assert_true(wait_for(f, mtu_is, &mtu));
	/* A route MTU wins over the link's. */
	assert_int_equal(ks_sh("ip route replace 10.99.0.0/24 via 10.88.0.2 dev %s mtu 1300", ifa),
			 0);
	for (int i = 0; i < 80 && shard(f, SH_GW4).mtu != 1300; i++) {
		struct pollfd p = {.fd = ks_nh_fd(f->r), .events = POLLIN};
		if (poll(&p, 1, 100) > 0)
			ks_nh_glue_process(f->g, NULL);
	}
	assert_int_equal(shard(f, SH_GW4).mtu, 1300);
	assert_int_equal(shard(f, SH_ONLINK4).mtu, 1400);

	/* Link down: nothing is reachable through it. */
	assert_int_equal(ks_sh("ip link set %s down", ifa), 0);
	assert_true(wait_for(f, shard_invalid, &onlink));
	for (__u32 id = 0; id < N_SHARDS; id++)
		assert_int_equal(shard(f, id).nh_valid, 0);
	assert_int_equal(ks_sh("ip link set %s up", ifa), 0);
	add_routes();
	assert_true(wait_for(f, all_resolved, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_resolves_onlink_and_gateway_vips, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_neighbour_mac_change_is_followed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_route_removal_invalidates, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mtu_and_link_changes, setup, teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
