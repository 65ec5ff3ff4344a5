/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The XDP router's per-packet state, shared by the bpf/router_*.h pieces.
 * The parse/select/encap logic itself lives in include/keysteer/ (shared with
 * the DPDK fast path); these headers are only the BPF glue around it: map
 * lookups, head adjustment, redirect, counters.
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

struct ks_rctx {
	struct ks_pkt p;
	__u32 gen;	 /* active generation, read once */
	__u32 len;	 /* frame length as received (byte counters) */
	__u32 flow_hash; /* ks_flow_hash(&p), once computed */
};

/* Packet bounds, re-read after anything that moves the head. */
#define KS_DATA(ctx)	 ((void *)(long)(ctx)->data)
#define KS_DATA_END(ctx) ((void *)(long)(ctx)->data_end)

#endif /* KS_ROUTER_CTX_H */
