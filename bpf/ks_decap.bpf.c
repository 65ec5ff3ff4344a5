/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keysteer's shard-side decapsulator: an XDP program for shard hosts whose
 * kernel has no fou/ipip modules. It strips what the router puts around a
 * steered packet (outer IPv4/IPv6 + UDP to the GUE port + a GUE variant 0
 * header, or an outer IPv4/IPv6 header carrying IPIP/IPv6) and passes the
 * inner packet to the stack as if it had arrived bare. Everything else goes
 * on untouched. One counter per outcome.
 *
 * The outer UDP checksum is not verified: the inner packet carries its own
 * end-to-end checksums, which the stack checks as usual.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "decap_abi.h"
#include "decap_parse.h"
#include "decap_strip.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ks_decap_config);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_decap_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KS_DECAP_MAX);
	__type(key, __u32);
	__type(value, struct ks_decap_counter);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_decap_stats SEC(".maps");

KS_INLINE void count(__u32 outcome, __u64 bytes)
{
	struct ks_decap_counter *c = bpf_map_lookup_elem(&ks_decap_stats, &outcome);

	if (c) {
		c->packets++;
		c->bytes += bytes;
	}
}

SEC("xdp")
int ks_decap(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	__u64 len = data_end - data;
	struct ks_decap_config *cfg;
	struct ks_decap_parse p;
	__u32 zero = 0;

	cfg = bpf_map_lookup_elem(&ks_decap_config, &zero);
	ks_decap_parse(data, data_end, cfg ? cfg->gue_port : 0, &p);
	if (p.outcome == KS_DECAP_GUE || p.outcome == KS_DECAP_IPIP) {
		if (ks_decap_strip(ctx, &p)) {
			count(KS_DECAP_MALFORMED, len);
			return XDP_PASS;
		}
	}
	count(p.outcome, len);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
