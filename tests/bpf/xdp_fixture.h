/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The XDP router under BPF_PROG_TEST_RUN: the skeleton loaded with pinning
 * turned off (tests never touch /sys/fs/bpf/keysteer), maps filled directly
 * with the layouts of keysteer/table.h, counters read back summed over CPUs.
 */
#ifndef KS_TEST_XDP_FIXTURE_H
#define KS_TEST_XDP_FIXTURE_H

#include <stddef.h>
#include <stdint.h>
#include <keysteer/table.h>

#include "pkt.h"

struct ks_router_bpf;

struct xdp_fx {
	struct ks_router_bpf *skel;
	int prog;
	int active, config, listeners, routes[2], shards; /* routes: per generation */
	int reason_stats, shard_stats, key_stats, tx_ports;
	int flows4, flows6, nat_rev, nat_filter;
	int ncpus;
	/*
	 * Each generation's listeners as the fx_*listener* calls left them: a
	 * change rebuilds that generation's buckets and seed the way the
	 * controller does (ks_listener_table_build); fx_set_config keeps the seed.
	 */
	uint32_t n_listeners[KS_GENERATIONS];
	struct ks_listener_key listener_keys[KS_GENERATIONS][KS_MAX_LISTENERS];
	uint32_t listener_seed[KS_GENERATIONS];
};

struct xdp_out {
	int ret;	       /* XDP action */
	uint8_t data[PKT_MAX]; /* the frame after the program (metadata excluded) */
	size_t len;
	uint8_t meta[64]; /* the XDP metadata area, if the program wrote one */
	size_t meta_len;
};

/* The suites' listener and client addresses. */
static const char *const L4 = "203.0.113.10";
static const char *const L6 = "2001:db8:100::10";
static const char *const C4 = "198.51.100.7";
static const char *const C6 = "2001:db8:c::7";

/* The one fixture a suite shares; fx_group_setup/teardown open and close it. */
extern struct xdp_fx fx;
int fx_group_setup(void **state);
int fx_group_teardown(void **state);

/* Load the router (aborts the test on failure). */
void fx_open(struct xdp_fx *f);
void fx_close(struct xdp_fx *f);

/* Run one frame; ingress ifindex 0 means the default (loopback, 1). */
void fx_run(struct xdp_fx *f, const uint8_t *in, size_t len, struct xdp_out *o);
void fx_run_on(struct xdp_fx *f, uint32_t ifindex, const uint8_t *in, size_t len,
	       struct xdp_out *o);

/* Tables. */
void fx_set_active(struct xdp_fx *f, uint32_t gen);
void fx_set_config(struct xdp_fx *f, uint32_t gen, uint64_t version, uint8_t default_action,
		   uint16_t gue_port);
void fx_add_listener(struct xdp_fx *f, uint32_t gen, int family, const char *addr, uint16_t port,
		     uint8_t proto);
void fx_del_listener(struct xdp_fx *f, uint32_t gen, int family, const char *addr, uint16_t port,
		     uint8_t proto);
/* Generation gen's listeners become keys[0..n) (their gen is ignored). */
void fx_set_listeners(struct xdp_fx *f, uint32_t gen, const struct ks_listener_key *keys,
		      uint32_t n);
void fx_set_route(struct xdp_fx *f, uint32_t gen, uint64_t key, const struct ks_route *r);
void fx_del_route(struct xdp_fx *f, uint32_t gen, uint64_t key);
void fx_set_shard(struct xdp_fx *f, uint32_t gen, uint32_t id, const struct ks_shard *sh);
void fx_clear_shard(struct xdp_fx *f, uint32_t gen, uint32_t id);
void fx_add_tx_port(struct xdp_fx *f, uint32_t key, uint32_t ifindex);

/* A shard with a resolved next hop (ifindex 1 = loopback, so XDP_TX in tests). */
struct ks_shard fx_shard(int family, const char *vip, uint16_t port, uint8_t steer,
			 uint32_t ifindex, const char *src);
/* A route to one target, or to two with the first owning buckets [0, split]. */
struct ks_route fx_route1(uint16_t shard, uint32_t slot);
struct ks_route fx_route2(uint16_t a, uint16_t b, uint16_t split, uint32_t slot);

/* Counters (summed over CPUs). */
uint64_t fx_reason(struct xdp_fx *f, uint32_t reason);
uint64_t fx_reason_bytes(struct xdp_fx *f, uint32_t reason);
/* Total packets over all reasons. */
uint64_t fx_reason_total(struct xdp_fx *f);
void fx_key_stats(struct xdp_fx *f, uint32_t slot, struct ks_key_stats *out);
void fx_shard_stats(struct xdp_fx *f, uint32_t shard, struct ks_counter *out);
void fx_reset_stats(struct xdp_fx *f);
/* Empty the connection and NAT tables. */
void fx_reset_flows(struct xdp_fx *f);

/* The common setup: gen 0 active, version 1, default drop, GUE port 6080. */
void fx_basic_tables(struct xdp_fx *f);
/* Empty every table and counter (shard slots below 16 of both generations). */
void fx_reset_all(struct xdp_fx *f);

#endif
