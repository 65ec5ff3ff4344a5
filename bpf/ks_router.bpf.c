/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keysteer's XDP router: one program per interface (no libxdp dispatcher on
 * this kernel). Design notes: docs/xdp.md. The logic is bpf/router_main.h.
 */
#include "router_main.h"

SEC("xdp")
int ks_router_xdp(struct xdp_md *ctx)
{
	return ks_router(ctx);
}

/* bpf_fib_lookup is GPL-only. */
char LICENSE[] SEC("license") = "Dual BSD/GPL";
