/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Benchmark wrappers for BPF_PROG_TEST_RUN with `repeat` (PLATFORM.md,
 * "Timing a program that rewrites packets", method (a)): the kernel reuses
 * one buffer for every repeat, so each wrapper calls the program under test
 * as a BPF-to-BPF function and then restores the input (undoes a head or
 * metadata move, rewrites the first RESTORE_LEN bytes from a template). Every
 * repeat therefore does the full work on the same input. The floors go
 * through the same wrapper, so the restore cost cancels out of every delta;
 * bench_tx - plain_tx is that cost on its own.
 *
 * The router here is the very code of bpf/ks_router.bpf.c (router_main.h),
 * with its own private maps. The lower-bound programs (xdp_lower_bound.h)
 * share those maps.
 */
#include "router_main.h"
#include "xdp_lower_bound.h"

#define RESTORE_LEN 90

/* Set by the driver before each case. */
__u8 tmpl[RESTORE_LEN];
__u32 tmpl_len;
/* 1: a new source port every run (a new connection per SYN). */
__u32 vary_sport;
/* 1: a routing key drawn from all loaded keys every run (UDP header at tmpl). */
__u32 vary_key;
__u32 key_count;  /* keys are i * KEY_MULT for i in [0, key_count) */
__u32 key_offset; /* where the header's key_hi sits in the frame */
__u32 counter;

#define KEY_MULT 0x9e3779b97f4a7c15ULL

static __always_inline void restore(struct xdp_md *ctx)
{
	void *data = KS_DATA(ctx), *end = KS_DATA_END(ctx);
	void *meta = (void *)(long)ctx->data_meta;
	long delta;

	/* Pointer differences (allowed to a privileged loader), not u32 ones. */
	if (data > meta) {
		bpf_xdp_adjust_meta(ctx, (int)(data - meta));
		data = KS_DATA(ctx);
		end = KS_DATA_END(ctx);
	}
	delta = (end - data) - (long)tmpl_len;
	if (delta) {
		bpf_xdp_adjust_head(ctx, (int)delta);
		data = KS_DATA(ctx);
		end = KS_DATA_END(ctx);
	}
	if (data + RESTORE_LEN > end)
		return;
	__builtin_memcpy(data, tmpl, RESTORE_LEN);
	if (vary_sport) {
		/* TCP source port of an untagged IPv4 frame without options. */
		__u16 port = (__u16)(1024 + (counter++ % 60000));

		*(__be16 *)(data + 34) = ks_htons(port);
	}
	if (vary_key && key_count) {
		__u64 key = (__u64)(counter++ % key_count) * KEY_MULT;
		__u32 off = key_offset & 0x3f;

		if (data + off + 8 <= end) {
			*(__be32 *)(data + off) = ks_htonl((__u32)(key >> 32));
			*(__be32 *)(data + off + 4) = ks_htonl((__u32)key);
		}
	}
}

static __noinline int run_router(struct xdp_md *ctx)
{
	return ks_router(ctx);
}

static __noinline int run_tx(struct xdp_md *ctx)
{
	return ctx ? XDP_TX : XDP_ABORTED;
}

/* The parse floor: Ethernet, IPv4, UDP header, as any UDP service would. */
static __noinline int run_parse_floor(struct xdp_md *ctx)
{
	void *data = KS_DATA(ctx), *end = KS_DATA_END(ctx);
	struct ks_eth *eth = data;
	struct ks_ip4 *ip;
	struct ks_udp *udp;

	if ((void *)(eth + 1) > end || eth->proto != ks_htons(KS_ETH_P_IP))
		return XDP_PASS;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end || ip->ver_ihl != 0x45 || ip->proto != KS_IPPROTO_UDP)
		return XDP_PASS;
	udp = (void *)(ip + 1);
	if ((void *)(udp + 1) > end)
		return XDP_PASS;
	return udp->dest && ip->daddr ? XDP_TX : XDP_PASS;
}

/* keysteer's own parser (keysteer/parse.h) then XDP_TX: where the parse time goes. */
static __noinline int run_ks_parse(struct xdp_md *ctx)
{
	struct ks_pkt p;

	if (ks_parse(KS_DATA(ctx), KS_DATA_END(ctx), &p) != KS_PARSE_OK)
		return XDP_PASS;
	return p.dport ? XDP_TX : XDP_PASS;
}

/* Push 32 bytes and return: with the wrapper's undo, the cost of moving the head. */
static __noinline int run_push32(struct xdp_md *ctx)
{
	return bpf_xdp_adjust_head(ctx, -32) ? XDP_ABORTED : XDP_TX;
}

/* Breakdown: parse, generation, listener lookup. */
static __noinline int run_listener(struct xdp_md *ctx)
{
	struct ks_rctx r;

	if (ks_parse(KS_DATA(ctx), KS_DATA_END(ctx), &r.p) != KS_PARSE_OK)
		return XDP_PASS;
	if (ks_sh_generation(ctx, &r.gen))
		return XDP_PASS;
	return ks_is_listener(ctx, &r) ? XDP_TX : XDP_PASS;
}

/* Breakdown: ... then the routing header and the route lookup. */
static __noinline int run_route(struct xdp_md *ctx)
{
	struct ks_header h;
	struct ks_rctx r;

	if (ks_parse(KS_DATA(ctx), KS_DATA_END(ctx), &r.p) != KS_PARSE_OK)
		return XDP_PASS;
	if (ks_sh_generation(ctx, &r.gen))
		return XDP_PASS;
	if (!ks_is_listener(ctx, &r))
		return XDP_PASS;
	if (ks_udp_routing_header(KS_DATA(ctx), KS_DATA_END(ctx), &r.p, &h) != KS_PARSE_OK)
		return XDP_PASS;
	return ks_sh_route(ctx, r.gen, h.routing_key) ? XDP_TX : XDP_PASS;
}

static __noinline int run_lb_udp(struct xdp_md *ctx)
{
	return lb_udp_hit(ctx, 0);
}

static __noinline int run_lb_udp_slot(struct xdp_md *ctx)
{
	return lb_udp_hit(ctx, 1);
}

static __noinline int run_lb_pinned(struct xdp_md *ctx)
{
	return lb_pinned_hit(ctx);
}

/*
 * bench_NAME: run_NAME under test, then the restore. The program names are
 * what bench_xdp.c looks up in the skeleton.
 */
#define BENCH_WRAPPER(name)                                                                        \
	SEC("xdp")                                                                                 \
	int bench_##name(struct xdp_md *ctx)                                                       \
	{                                                                                          \
		int rc = run_##name(ctx);                                                          \
                                                                                                   \
		restore(ctx);                                                                      \
		return rc;                                                                         \
	}

/* Without the wrapper: bench_tx - plain_tx is the wrapper's own cost. */
SEC("xdp")
int plain_tx(struct xdp_md *ctx)
{
	return ctx ? XDP_TX : XDP_ABORTED;
}

BENCH_WRAPPER(tx)
BENCH_WRAPPER(parse_floor)
BENCH_WRAPPER(ks_parse)
BENCH_WRAPPER(push32)
BENCH_WRAPPER(listener)
BENCH_WRAPPER(route)
BENCH_WRAPPER(router)
BENCH_WRAPPER(lb_udp)
BENCH_WRAPPER(lb_udp_slot)
BENCH_WRAPPER(lb_pinned)

char LICENSE[] SEC("license") = "Dual BSD/GPL";
