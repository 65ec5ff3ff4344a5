/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The XDP router: keysteer's decision flow (include/keysteer/decide.h, the
 * same code keysteer-dpdk runs) in the XDP shell, whose primitives the
 * bpf/router_*.h files define over the router's maps:
 *
 *   router_ctx.h        packet bounds, head moves, ingress interface
 *   router_parse.h      generation, config, listener and route lookups,
 *                       the TCP option walk in the verifier's terms
 *   router_conntrack.h  the TCP connection table
 *   router_nat.h        the NAT reverse table and its filter
 *   router_nexthop.h    shards, the FIB fallback, XDP_TX or devmap redirect
 *   router_stats.h      per-CPU counters
 *   router_shadow.h     the hand-off of sampled packets to tc
 *
 * Included by bpf/ks_router.bpf.c (the program attached to interfaces) and by
 * the benchmark wrapper, which calls the same code as a BPF-to-BPF function.
 */
#ifndef KS_ROUTER_MAIN_H
#define KS_ROUTER_MAIN_H

#include "router_ctx.h"
#include "router_conntrack.h"
#include "router_nat.h"
#include "router_nexthop.h"
#include "router_parse.h"
#include "router_shadow.h"
#include "router_stats.h"

#include <keysteer/decide.h>

KS_ALWAYS_INLINE int ks_router(struct xdp_md *ctx)
{
	return ks_decide(ctx);
}

#endif /* KS_ROUTER_MAIN_H */
