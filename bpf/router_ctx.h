/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The XDP shell around keysteer's decision flow (include/keysteer/decide.h;
 * include/keysteer/shell.h lists what a shell provides). The bpf/router_*.h
 * pieces define the shell's primitives over the router's maps (ks_maps.h),
 * one concern per file; none of them decides anything about a packet.
 */
#ifndef KS_ROUTER_CTX_H
#define KS_ROUTER_CTX_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <keysteer/parse.h>
#include <keysteer/table.h>
#include "ks_maps.h"

#ifndef __noinline
#define __noinline __attribute__((noinline))
#endif

#define KS_SHELL_CTX struct xdp_md *
#define KS_V_PASS    XDP_PASS
#define KS_V_DROP    XDP_DROP

#include <keysteer/shell.h>

/*
 * Keeps the two map calls of a branch apart (the IPv4 and IPv6 connection
 * tables, the two generations' routes). Left alone, clang merges them into
 * one call whose map is chosen by a phi; the verifier cannot inline a lookup
 * on a map it does not know statically, so the merged call went through the
 * generic bpf_map_lookup_elem helper and an indirect call through the map's
 * ops. A distinct one-instruction asm after each call (a move into a dead
 * register) makes the two tails differ.
 */
#define KS_KEEP_APART(tag)                                                                         \
	do {                                                                                       \
		int ks_apart_;                                                                     \
		asm volatile("%0 = " #tag : "=r"(ks_apart_));                                      \
	} while (0)

/* Packet bounds, re-read after anything that moves the head. */
#define KS_DATA(ctx)	 ((void *)(long)(ctx)->data)
#define KS_DATA_END(ctx) ((void *)(long)(ctx)->data_end)

KS_ALWAYS_INLINE void *ks_sh_data(struct xdp_md *ctx)
{
	return KS_DATA(ctx);
}

KS_ALWAYS_INLINE void *ks_sh_data_end(struct xdp_md *ctx)
{
	return KS_DATA_END(ctx);
}

KS_ALWAYS_INLINE int ks_sh_adjust_head(struct xdp_md *ctx, int delta)
{
	return (int)bpf_xdp_adjust_head(ctx, delta);
}

KS_ALWAYS_INLINE __u32 ks_sh_ingress(struct xdp_md *ctx)
{
	return ctx->ingress_ifindex;
}

#endif /* KS_ROUTER_CTX_H */
