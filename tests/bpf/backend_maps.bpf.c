/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A stand-in for the router, for testing the table backend and the loader
 * without it: the router's maps (bpf/ks_maps.h) and a small XDP program that
 * reads them the way the router does. The test packet is an Ethernet header
 * followed by a routing key (8 bytes, host order). The program reads the
 * active generation once, looks the key up, counts per key / shard / reason,
 * writes the chosen shard's id into the Ethernet source and its next-hop MAC
 * into the destination, and returns XDP_TX (XDP_PASS when the next hop is
 * unresolved, XDP_DROP for an unknown key). It writes the version of the
 * rule set it used after the key (offset 22), so tests see which decided.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include "ks_maps.h"

static __always_inline void count(void *map, __u32 idx, __u64 bytes)
{
	struct ks_counter *c = bpf_map_lookup_elem(map, &idx);

	if (c) {
		c->packets++;
		c->bytes += bytes;
	}
}

SEC("xdp")
int ks_backend_test(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u64 *keyp = data + sizeof(*eth), *verp = data + sizeof(*eth) + 8;
	__u64 len = end - data;
	__u64 key;
	struct ks_active *act;
	struct ks_config *cfg;
	struct ks_route *r;
	struct ks_key_stats *ks;
	struct ks_shard *s;
	__u32 zero = 0, gen, idx, shard;

	if ((void *)(verp + 1) > end)
		return XDP_PASS;
	act = bpf_map_lookup_elem(&ks_active, &zero);
	if (!act)
		return XDP_ABORTED;
	gen = act->gen & 1;
	cfg = bpf_map_lookup_elem(&ks_config, &gen);
	if (!cfg)
		return XDP_ABORTED;
	*verp = cfg->version;
	key = *keyp;
	r = bpf_map_lookup_elem(gen ? (void *)&ks_routes1 : (void *)&ks_routes0, &key);
	if (!r) {
		count(&ks_reason_stats, KS_R_UNKNOWN_KEY, len);
		return XDP_DROP;
	}
	ks = bpf_map_lookup_elem(&ks_key_stats, &r->stats_slot);
	if (ks) {
		ks->packets++;
		ks->bytes += len;
		ks->target_packets[0]++;
	}
	shard = r->t[0].shard;
	idx = gen * KS_MAX_SHARDS + (shard & (KS_MAX_SHARDS - 1));
	s = bpf_map_lookup_elem(&ks_shards, &idx);
	if (!s)
		return XDP_ABORTED;
	count(&ks_shard_stats, shard & (KS_MAX_SHARDS - 1), len);
	eth->h_source[0] = shard >> 8;
	eth->h_source[1] = shard;
	if (!s->nh_valid) {
		count(&ks_reason_stats, KS_R_NO_NEXTHOP, len);
		return XDP_PASS;
	}
	__builtin_memcpy(eth->h_dest, s->dmac, ETH_ALEN);
	count(&ks_reason_stats, KS_R_STEERED, len);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
