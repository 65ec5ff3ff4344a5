/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The bench's sink, attached to a shard's veth in place of the decapsulator:
 * counts and drops every IPv4 UDP frame (GUE-encapsulated or NATed keyed
 * datagrams: the bench sends nothing else over UDP), passes the rest (ARP).
 * The counter is per CPU, pinned by the loader.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} sink_count SEC(".maps");

SEC("xdp")
int ks_sink(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	__u32 zero = 0;
	__u64 *c;

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    ip->protocol != IPPROTO_UDP)
		return XDP_PASS;
	c = bpf_map_lookup_elem(&sink_count, &zero);
	if (c)
		*c += 1;
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
