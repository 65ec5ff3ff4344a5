/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DPDK shell around keysteer's decision flow (keysteer/shell.h lists what
 * a shell provides): packet bounds and head moves on an mbuf, lookups in the
 * shared table (ctl/shmtable/shm_read.h), the process's connection and NAT
 * tables (flowcache.h), per-lcore counters in the shared table, and verdicts
 * that name an output port. Only this file and the worker include
 * keysteer/decide.h; nothing here decides anything about a packet.
 */
#ifndef KS_DP_SHELL_H
#define KS_DP_SHELL_H

#include <rte_mbuf.h>

#include "ks_dp.h"
#include "shmtable/shm_read.h"
#include "shmtable/shm_writer.h"

#define KS_SHELL_CTX struct ks_dp_pkt *
#define KS_V_PASS    KS_DP_V_PASS
#define KS_V_DROP    KS_DP_V_DROP

#include <keysteer/shell.h>
#include <keysteer/select.h>

KS_ALWAYS_INLINE void *ks_sh_data(struct ks_dp_pkt *ctx)
{
	return ctx->data;
}

KS_ALWAYS_INLINE void *ks_sh_data_end(struct ks_dp_pkt *ctx)
{
	return ctx->end;
}

/*
 * rte_pktmbuf_prepend/adj for the one-segment frames the worker hands over
 * (it linearizes chains first), inlined: GCC leaves the DPDK ones out of line
 * in the decision loop.
 */
KS_ALWAYS_INLINE int ks_sh_adjust_head(struct ks_dp_pkt *ctx, int delta)
{
	struct rte_mbuf *m = ctx->m;

	if (delta < 0) {
		uint16_t n = (uint16_t)-delta;

		if (n > m->data_off)
			return -1;
		m->data_off -= n;
		m->data_len += n;
		m->pkt_len += n;
		ctx->data -= n;
		return 0;
	}
	if (delta > 0) {
		uint16_t n = (uint16_t)delta;

		if (n > m->data_len)
			return -1;
		m->data_off += n;
		m->data_len -= n;
		m->pkt_len -= n;
		ctx->data += n;
		return 0;
	}
	return 0;
}

KS_ALWAYS_INLINE __u32 ks_sh_ingress(struct ks_dp_pkt *ctx)
{
	return (__u32)ctx->in_port + 1;
}

KS_ALWAYS_INLINE int ks_sh_generation(struct ks_dp_pkt *ctx, __u32 *gen)
{
	*gen = ctx->lc->gen;
	return 0;
}

KS_ALWAYS_INLINE const struct ks_config *ks_sh_config(struct ks_dp_pkt *ctx, const __u32 *gen)
{
	return ctx->lc->view.config[*gen];
}

KS_ALWAYS_INLINE int ks_sh_is_listener(struct ks_dp_pkt *ctx, const struct ks_listener_key *k)
{
	if (ctx->listener_known && ks_shm_listener_same(&ctx->listener, k))
		return ctx->listener_is;
	ctx->listener = *k;
	ctx->listener_is = ks_shm_listener_lookup(&ctx->lc->view, k->gen, k) != NULL;
	ctx->listener_known = 1;
	return ctx->listener_is;
}

/* The worker's pipeline has usually found the slot already (a hint, checked). */
KS_ALWAYS_INLINE const struct ks_route *ks_sh_route(struct ks_dp_pkt *ctx, __u32 gen, __u64 key)
{
	return ks_shm_route_lookup_hint(&ctx->lc->view, gen, key, ctx->route_hint);
}

KS_ALWAYS_INLINE const struct ks_shard *ks_sh_shard(struct ks_dp_pkt *ctx, __u32 gen, __u32 id)
{
	return ks_shm_shard(&ctx->lc->view, gen, id);
}

KS_ALWAYS_INLINE size_t ks_dp_flow_key_size(__u8 family)
{
	return family == KS_AF_INET ? sizeof(struct ks_flow4_key) : sizeof(struct ks_flow6_key);
}

KS_ALWAYS_INLINE struct ks_flow *ks_sh_flow_lookup(struct ks_dp_pkt *ctx,
						   const union ks_flow_key *k, __u8 family)
{
	struct ks_dp_lcore *lc = ctx->lc;
	struct flowcache *fc = family == KS_AF_INET ? &lc->app->flows4 : &lc->app->flows6;

	if (!flowcache_get(fc, k, &lc->flow))
		return NULL;
	memcpy(lc->flow_key, k, ks_dp_flow_key_size(family));
	lc->flow_family = family;
	return &lc->flow;
}

KS_ALWAYS_INLINE void ks_sh_flow_pin(struct ks_dp_pkt *ctx, const union ks_flow_key *k, __u8 family,
				     const struct ks_flow *f)
{
	struct ks_dp_app *app = ctx->lc->app;

	flowcache_put(family == KS_AF_INET ? &app->flows4 : &app->flows6, k, f);
}

KS_ALWAYS_INLINE void ks_sh_flow_closing(struct ks_dp_pkt *ctx, struct ks_flow *f)
{
	struct ks_dp_lcore *lc = ctx->lc;
	struct flowcache *fc = lc->flow_family == KS_AF_INET ? &lc->app->flows4 : &lc->app->flows6;

	f->state = KS_FLOW_CLOSING;
	flowcache_set_byte(fc, lc->flow_key, offsetof(struct ks_flow, state), KS_FLOW_CLOSING);
}

KS_ALWAYS_INLINE int ks_sh_nat_filter_test(struct ks_dp_pkt *ctx, __u32 bit)
{
	const uint64_t *w = &ctx->lc->app->nat_filter[(bit >> 6) & (KS_DP_NAT_FILTER_WORDS - 1)];

	return (__atomic_load_n(w, __ATOMIC_RELAXED) >> (bit & 63)) & 1;
}

KS_ALWAYS_INLINE void ks_sh_nat_filter_set(struct ks_dp_pkt *ctx, __u32 bit)
{
	uint64_t *w = &ctx->lc->app->nat_filter[(bit >> 6) & (KS_DP_NAT_FILTER_WORDS - 1)];

	if (!((__atomic_load_n(w, __ATOMIC_RELAXED) >> (bit & 63)) & 1))
		__atomic_fetch_or(w, 1ULL << (bit & 63), __ATOMIC_RELAXED);
}

KS_ALWAYS_INLINE const struct ks_nat_rev *ks_sh_nat_lookup(struct ks_dp_pkt *ctx,
							   const struct ks_nat_key *k)
{
	struct ks_dp_lcore *lc = ctx->lc;

	return flowcache_get(&lc->app->nat, k, &lc->nat) ? &lc->nat : NULL;
}

KS_ALWAYS_INLINE void ks_sh_nat_update(struct ks_dp_pkt *ctx, const struct ks_nat_key *k,
				       const struct ks_nat_rev *v)
{
	/* Replies from a shadow shard are not translated back: clients get one answer. */
	if (!ctx->shadow_copy)
		flowcache_put(&ctx->lc->app->nat, k, v);
}

KS_ALWAYS_INLINE __u32 ks_sh_tcp_option(struct ks_dp_pkt *ctx, const void *data, const void *end,
					const struct ks_pkt *p, struct ks_header *h)
{
	(void)ctx;
	return ks_tcp_routing_option(data, end, p, h);
}

KS_ALWAYS_INLINE void ks_sh_count(struct ks_dp_pkt *ctx, __u32 reason, __u32 bytes)
{
	struct ks_counter *c;

	if (ctx->shadow_copy || reason >= KS_R_MAX)
		return;
	c = &ctx->lc->cnt->reasons[reason];
	c->packets++;
	c->bytes += bytes;
}

KS_ALWAYS_INLINE void ks_sh_count_key(struct ks_dp_pkt *ctx, __u32 slot, __u32 target, __u32 bytes,
				      int shadow)
{
	struct ks_shm_key_slot *k;

	if (ctx->shadow_copy || slot >= ctx->lc->stats_slots)
		return;
	k = &ctx->lc->keys[slot];
	k->packets++;
	k->bytes += bytes;
	k->target_packets[target & (KS_MAX_TARGETS - 1)]++;
	k->shadow_packets += (__u64)shadow;
}

KS_ALWAYS_INLINE void ks_sh_count_shard(struct ks_dp_pkt *ctx, __u32 shard, __u32 bytes)
{
	struct ks_counter *c;

	if (ctx->shadow_copy)
		return;
	c = &ctx->lc->cnt->shards[shard & (KS_MAX_SHARDS - 1)];
	c->packets++;
	c->bytes += bytes;
}

KS_ALWAYS_INLINE int ks_sh_xmit(struct ks_dp_pkt *ctx, __u32 ifindex)
{
	struct ks_dp_app *app = ctx->lc->app;

	if (ifindex == 0 || ifindex > RTE_MAX_ETHPORTS || !app->ports[ifindex - 1])
		return KS_DP_V_DROP;
	return KS_DP_V_TX0 + (int)(ifindex - 1);
}

/*
 * No kernel FIB here: the neighbour section of the shared table (what this
 * process published from --neigh/--gw/--src) is the next-hop table.
 */
KS_ALWAYS_INLINE __u32 ks_sh_nexthop(struct ks_dp_pkt *ctx, const struct ks_shard *sh,
				     __u32 tot_len, struct ks_shard *out)
{
	struct ks_shard tmp = *sh;

	if (!ks_shm_resolve(ks_shm_neigh(ctx->lc->view.h), &tmp))
		return KS_R_NO_NEXTHOP;
	if (tmp.mtu && tot_len > tmp.mtu)
		return KS_R_MTU;
	tmp.mtu = 0; /* checked here, as the FIB does in XDP */
	*out = tmp;
	return 0;
}

/* dataplane/shadow.c: send the SHADOW-marked copy; -1 so the original goes on. */
int ks_dp_shadow(struct ks_dp_pkt *ctx, const struct ks_rctx *r, const struct ks_route *route,
		 const struct ks_choice *c);

KS_ALWAYS_INLINE int ks_sh_shadow(struct ks_dp_pkt *ctx, const struct ks_rctx *r,
				  const struct ks_route *route, const struct ks_choice *c)
{
	return ks_dp_shadow(ctx, r, route, c);
}

#include <keysteer/decide.h>

#endif /* KS_DP_SHELL_H */
