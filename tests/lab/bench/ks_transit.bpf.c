/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One-way transit time of TCP data segments from a client's veth to a
 * shard's, for bench-e2e's latency part. `transit_stamp` (tc egress on the
 * client's interface) notes when each segment with payload leaves, keyed by
 * its source port and sequence number; `transit_arrive` (tc ingress on a
 * shard's interface, after the XDP decapsulator: the inner segment) finds
 * the note and counts arrival - departure in a per-CPU histogram. Every
 * namespace shares the one monotonic clock, so the difference is the time
 * the segment spent between the two veths: the router's share of a request's
 * latency, whatever path (kernel forwarding or keysteer) it took.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "transit.h"

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64); /* source port << 32 | sequence number */
	__type(value, __u64);
} sent_at SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TRANSIT_BUCKETS);
	__type(key, __u32);
	__type(value, __u64);
} hist SEC(".maps");

/*
 * The key of an IPv4 TCP segment that carries data, or 0. Not keysteer's
 * ks_parse (keysteer/parse.h): compiled into this tc program, clang re-reads
 * the sequence number from the packet through a pointer the verifier no
 * longer bounds, and the bench's traffic is IPv4 TCP only.
 */
static __always_inline __u64 segment_key(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	struct tcphdr *tcp;
	__u32 ihl, payload;

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    ip->protocol != IPPROTO_TCP)
		return 0;
	ihl = ip->ihl * 4u;
	if (ihl < sizeof(*ip))
		return 0;
	tcp = (void *)ip + ihl;
	if ((void *)(tcp + 1) > end)
		return 0;
	payload = bpf_ntohs(ip->tot_len) - ihl - tcp->doff * 4u;
	if ((__s32)payload <= 0)
		return 0;
	return (__u64)bpf_ntohs(tcp->source) << 32 | bpf_ntohl(tcp->seq);
}

SEC("tc")
int transit_stamp(struct __sk_buff *skb)
{
	__u64 key = segment_key(skb), now = bpf_ktime_get_ns();

	if (key)
		bpf_map_update_elem(&sent_at, &key, &now, BPF_ANY);
	return TC_ACT_OK;
}

SEC("tc")
int transit_arrive(struct __sk_buff *skb)
{
	__u64 key = segment_key(skb), now = bpf_ktime_get_ns(), *t, *c;
	__u32 b;

	if (!key)
		return TC_ACT_OK;
	t = bpf_map_lookup_elem(&sent_at, &key);
	if (!t)
		return TC_ACT_OK;
	b = (__u32)((now - *t) / TRANSIT_STEP_NS);
	bpf_map_delete_elem(&sent_at, &key);
	if (b >= TRANSIT_BUCKETS)
		b = TRANSIT_BUCKETS - 1;
	c = bpf_map_lookup_elem(&hist, &b);
	if (c)
		*c += 1;
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
