/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The bench's traffic generator, run by BPF_PROG_TEST_RUN with
 * BPF_F_TEST_XDP_LIVE_FRAMES on a client's veth: every run writes a keyed
 * UDP datagram (Ethernet + IPv4 + UDP + routing header + payload, from the
 * template the loader puts in .rodata) into the frame and sends it with
 * XDP_TX. Live-mode pages are recycled without being re-initialised, so the
 * whole template is written every time (PLATFORM.md). The source port walks
 * over `flows` values, so the router sees that many 5-tuples; the UDP
 * checksum is 0 (none, allowed in IPv4) and the IPv4 checksum is the
 * template's, since only the UDP port changes.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define GEN_MAX 106 /* Ethernet + IPv4 + UDP + routing header + 48 bytes */

const volatile __u8 tmpl[GEN_MAX] = {};
const volatile __u32 tmpl_len = 0;
const volatile __u16 sport_base = 10000;
const volatile __u32 flows = 1;
const volatile __u32 sport_off = 34; /* Ethernet 14 + IPv4 20 */

__u64 sent = 0;

SEC("xdp")
int ks_gen(struct xdp_md *ctx)
{
	__u8 *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u64 n = sent++;
	__u16 port;

	if (data + GEN_MAX > end)
		return XDP_ABORTED;
#pragma unroll
	for (int i = 0; i < GEN_MAX; i++)
		data[i] = tmpl[i];
	port = (__u16)(sport_base + n % flows);
	data[sport_off & 63] = (__u8)(port >> 8);
	data[(sport_off + 1) & 63] = (__u8)port;
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
