/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The router's BPF maps. Every map is pinned by name under the instance's
 * pin root (default /sys/fs/bpf/keysteer), so a reloaded program and a
 * restarted controller reuse the same tables and counters. The controller
 * (ctl/backend) opens them by path; names and layouts here are its ABI, with
 * the value types from include/keysteer/table.h.
 *
 * Sizes marked "set at load" are defaults the loader overrides with
 * bpf_map__set_max_entries() before load.
 */
#ifndef KEYSTEER_BPF_MAPS_H
#define KEYSTEER_BPF_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <keysteer/table.h>

#define KS_DEFAULT_MAX_ROUTES  262144 /* per generation; set at load */
#define KS_DEFAULT_MAX_FLOWS   65536  /* in all, split between CPUs; --flows-per-cpu */
#define KS_DEFAULT_STATS_SLOTS 262144 /* set at load */
#define KS_MAX_IFINDEX	       1024
#define KS_DEFAULT_MAX_NAT     65536 /* in all, split between CPUs; --flows-per-cpu */
#define KS_NAT_FILTER_WORDS    1024  /* 65536 bits */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ks_active);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_active SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KS_GENERATIONS);
	__type(key, __u32);
	__type(value, struct ks_config);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_config SEC(".maps");

/*
 * Listeners, placed by the controller in buckets (keysteer/listener_table.h):
 * generation gen's bucket b is entry gen * KS_LISTENER_BUCKETS + b, found
 * with that generation's ks_config.listener_seed.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KS_GENERATIONS *KS_LISTENER_BUCKETS);
	__type(key, __u32);
	__type(value, struct ks_listener_bucket);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_listeners SEC(".maps");

/* The routes of generation 0 and of generation 1 (keysteer/table.h). */
struct ks_routes_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KS_DEFAULT_MAX_ROUTES);
	__type(key, __u64);
	__type(value, struct ks_route);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
};
struct ks_routes_map ks_routes0 SEC(".maps");
struct ks_routes_map ks_routes1 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KS_GENERATIONS *KS_MAX_SHARDS);
	__type(key, __u32);
	__type(value, struct ks_shard);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_shards SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KS_R_MAX);
	__type(key, __u32);
	__type(value, struct ks_counter);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_reason_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KS_MAX_SHARDS);
	__type(key, __u32);
	__type(value, struct ks_counter);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_shard_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KS_DEFAULT_STATS_SLOTS);
	__type(key, __u32);
	__type(value, struct ks_key_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_key_stats SEC(".maps");

/* Egress ports for XDP_REDIRECT, keyed by ifindex; the loader fills it. */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, KS_MAX_IFINDEX);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_tx_ports SEC(".maps");

/*
 * The TCP connection tables (struct ks_flow, keysteer/table.h), one per
 * family so that the IPv4 key stays 12 bytes. LRU hashes with per-CPU LRU
 * lists (BPF_F_NO_COMMON_LRU): lookups from any CPU see every entry, so a
 * flow that changes CPU keeps its pin, and inserts never contend on a shared
 * LRU lock. With per-CPU lists the kernel divides max_entries between the
 * possible CPUs: given --flows-per-cpu N (keysteer attach, keysteerd), the
 * loader sets it to N * possible CPUs; otherwise it is KS_DEFAULT_MAX_FLOWS
 * in all.
 * Written only by the XDP program.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(map_flags, BPF_F_NO_COMMON_LRU);
	__uint(max_entries, KS_DEFAULT_MAX_FLOWS);
	__type(key, struct ks_flow4_key);
	__type(value, struct ks_flow);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_flows4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(map_flags, BPF_F_NO_COMMON_LRU);
	__uint(max_entries, KS_DEFAULT_MAX_FLOWS);
	__type(key, struct ks_flow6_key);
	__type(value, struct ks_flow);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_flows6 SEC(".maps");

/*
 * NAT replies: the reverse translation of NAT'd flows (struct ks_nat_key ->
 * struct ks_nat_rev), refreshed by every forward packet and every reply.
 * Sized like ks_flows (--flows-per-cpu). Written only by XDP.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(map_flags, BPF_F_NO_COMMON_LRU);
	__uint(max_entries, KS_DEFAULT_MAX_NAT);
	__type(key, struct ks_nat_key);
	__type(value, struct ks_nat_rev);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_nat_rev SEC(".maps");

/*
 * A 65536-bit filter in front of ks_nat_rev: bit ks_nat_filter_bit(shard VIP,
 * port, protocol) is set once a flow is NAT'd to that shard, so traffic that
 * is neither for a listener nor from a NAT shard (the host's own traffic)
 * costs an inlined array read, not a hash lookup. Bits are never cleared
 * (a stale bit only costs that lookup). Written only by XDP.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KS_NAT_FILTER_WORDS);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_nat_filter SEC(".maps");

#endif /* KEYSTEER_BPF_MAPS_H */
