/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The contract between keysteer's per-packet decision flow (keysteer/decide.h,
 * written once) and the fast paths that run it: the XDP program
 * (bpf/router_shell.h) and keysteer-dpdk (dataplane/ks_shell.h). Like GLB
 * Director's glb_encap.c with its DPDK and pcap shells, the flow knows
 * nothing about BPF maps, mbufs or ports; a shell knows nothing about keys,
 * routes or steering.
 *
 * Before including keysteer/decide.h a shell defines the type KS_SHELL_CTX
 * (a pointer type: struct xdp_md *, the DPDK packet context) and these
 * functions, all static and always inlined so that, in BPF, the flow compiles
 * to the same straight-line code as if it had been written for XDP alone:
 *
 * Packet
 *   void *ks_sh_data(KS_SHELL_CTX ctx), *ks_sh_data_end(KS_SHELL_CTX ctx)
 *        the frame's bounds; re-read after anything that moves the head
 *   int ks_sh_adjust_head(KS_SHELL_CTX ctx, int delta)
 *        move the start of the frame by delta bytes (negative: grow in front);
 *        0, or nonzero when there is no room (the frame is then unchanged)
 *   __u32 ks_sh_ingress(KS_SHELL_CTX ctx)
 *        the ingress interface, as next hops name interfaces (ifindex; DPDK:
 *        port + 1)
 * Tables (the generation comes from ks_sh_generation, once per packet)
 *   int ks_sh_generation(KS_SHELL_CTX ctx, __u32 *gen)           0 or -1
 *   const struct ks_config *ks_sh_config(KS_SHELL_CTX ctx, const __u32 *gen)
 *        gen points at the packet's own generation word (BPF: the map key)
 *   int ks_sh_is_listener(KS_SHELL_CTX ctx, const struct ks_listener_key *k)
 *   const struct ks_route *ks_sh_route(KS_SHELL_CTX ctx, __u32 gen, __u64 key)
 *   const struct ks_shard *ks_sh_shard(KS_SHELL_CTX ctx, __u32 gen, __u32 id)
 *        NULL when out of range or unused
 *   struct ks_flow *ks_sh_flow_lookup(KS_SHELL_CTX ctx, const union ks_flow_key *k,
 *                                     __u8 family)
 *   void ks_sh_flow_pin(KS_SHELL_CTX ctx, const union ks_flow_key *k, __u8 family,
 *                       const struct ks_flow *f)
 *   void ks_sh_flow_closing(KS_SHELL_CTX ctx, struct ks_flow *f)
 *        mark a pinned connection CLOSING (FIN or RST seen)
 *   int ks_sh_nat_filter_test(KS_SHELL_CTX ctx, __u32 bit)
 *   void ks_sh_nat_filter_set(KS_SHELL_CTX ctx, __u32 bit)
 *   const struct ks_nat_rev *ks_sh_nat_lookup(KS_SHELL_CTX ctx, const struct ks_nat_key *k)
 *   void ks_sh_nat_update(KS_SHELL_CTX ctx, const struct ks_nat_key *k,
 *                         const struct ks_nat_rev *v)
 *   __u32 ks_sh_tcp_option(KS_SHELL_CTX ctx, const void *data, const void *end,
 *                          const struct ks_pkt *p, struct ks_header *h)
 *        keysteer/parse.h's option walk, driven the way the shell's compiler
 *        or verifier needs (ks_tcp_routing_option in plain C)
 * Counters (per CPU or per lcore: plain increments)
 *   void ks_sh_count(KS_SHELL_CTX ctx, __u32 reason, __u32 bytes)
 *   void ks_sh_count_key(KS_SHELL_CTX ctx, __u32 slot, __u32 target, __u32 bytes, int shadow)
 *   void ks_sh_count_shard(KS_SHELL_CTX ctx, __u32 shard, __u32 bytes)
 * Out
 *   KS_V_PASS, KS_V_DROP    the shell's verdicts for "to the host" and "drop"
 *   int ks_sh_xmit(KS_SHELL_CTX ctx, __u32 ifindex)
 *        the verdict that sends the rewritten frame out of interface ifindex
 *   __u32 ks_sh_nexthop(KS_SHELL_CTX ctx, const struct ks_shard *sh, __u32 tot_len,
 *                       struct ks_shard *out)
 *        a next hop for a shard whose block is not resolved (XDP: the FIB;
 *        DPDK: its neighbour table): 0 with *out filled (out may be sh),
 *        KS_R_MTU or KS_R_NO_NEXTHOP
 *   int ks_sh_shadow(KS_SHELL_CTX ctx, const struct ks_rctx *r,
 *                    const struct ks_route *route, const struct ks_choice *c)
 *        a packet sampled for a shadow copy: a verdict (the shell took the
 *        packet over: XDP hands it to tc), or -1 to steer it on as usual
 *        (DPDK sends the copy itself)
 */
#ifndef KEYSTEER_SHELL_H
#define KEYSTEER_SHELL_H

#include <keysteer/compat.h>
#include <keysteer/parse.h>
#include <keysteer/table.h>

/* The per-packet state of the decision flow. */
struct ks_rctx {
	struct ks_pkt p;
	__u32 gen;	 /* active generation, read once */
	__u32 len;	 /* frame length as received (byte counters) */
	__u32 flow_hash; /* ks_flow_hash(&p), once computed */
};

/* Keys of the connection table, as the client sends. */
union ks_flow_key {
	struct ks_flow4_key v4;
	struct ks_flow6_key v6;
};

#endif /* KEYSTEER_SHELL_H */
