/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The XDP router, start to finish. Included by bpf/ks_router.bpf.c (the
 * program attached to interfaces) and by the benchmark wrapper, which calls
 * the same code as a BPF-to-BPF function.
 *
 *   parse (keysteer/parse.h)          not UDP/TCP over IP, fragment, v6 ext
 *                                     header, malformed: counted, XDP_PASS
 *   ks_active once -> generation
 *   TCP, not a SYN: pinned?           yes: to the pinned VIP (no listener lookup)
 *   listener?  no: NAT reply?         translated back, or XDP_PASS untouched
 *   UDP: routing header in payload    TCP SYN: the kind-253 option
 *   route (key, generation)           unknown key / no header: rule default
 *   target (keysteer/select.h)        UDP shadow sample: metadata + XDP_PASS
 *   shard -> steer (router_steer.h)   GUE / IP-in-IP / NAT, XDP_TX or redirect
 */
#ifndef KS_ROUTER_MAIN_H
#define KS_ROUTER_MAIN_H

#include <keysteer/hash.h>
#include <keysteer/parse.h>
#include <keysteer/select.h>
#include "router_ctx.h"
#include "router_conntrack.h"
#include "router_nat.h"
#include "router_nexthop.h"
#include "router_parse.h"
#include "router_shadow.h"
#include "router_stats.h"
#include "router_steer.h"

/*
 * The routing functions below either finish the packet (an XDP action) or
 * return KS_FORWARD with a decision, which the one call of ks_forward() in
 * ks_router() carries out: a single inlined copy of the steering code keeps
 * the program small and within the 512-byte stack.
 */
#define KS_FORWARD    (-1)
#define KS_NOT_PINNED (-2)

struct ks_decision {
	const struct ks_shard *sh; /* map value, or &lost below */
	__u32 shard;
	__u32 slot;
	__u32 target;
	/* A pinned VIP no generation names any more, or a FIB-resolved copy. */
	struct ks_shard lost;
};

static __always_inline int ks_route_udp(struct xdp_md *ctx, struct ks_rctx *r,
					struct ks_decision *d)
{
	struct ks_route_key rk = {};
	const struct ks_route *route;
	const struct ks_shard *sh;
	struct ks_header h;
	struct ks_choice c;
	__u32 reason;

	reason = ks_udp_routing_header(KS_DATA(ctx), KS_DATA_END(ctx), &r->p, &h);
	if (reason == KS_R_MALFORMED || reason == KS_R_CLIENT_SHADOW)
		return ks_drop(r, reason);
	if (reason != KS_PARSE_OK)
		return ks_default(r, reason);
	rk.key = h.routing_key;
	rk.gen = r->gen;
	route = bpf_map_lookup_elem(&ks_routes, &rk);
	if (!route)
		return ks_default(r, KS_R_UNKNOWN_KEY);
	r->flow_hash = ks_flow_hash(&r->p);
	ks_choose(route, &h, r->flow_hash, &r->p, &c);
	if (c.shadow) {
		int rc = ks_shadow_handoff(ctx, r, route, &c);

		if (rc >= 0)
			return rc;
	}
	sh = ks_shard_get(r->gen, c.shard);
	if (!sh)
		return ks_default(r, KS_R_NO_SHARD);
	d->sh = sh;
	d->shard = c.shard;
	d->slot = route->stats_slot;
	d->target = c.target;
	return KS_FORWARD;
}

/* A segment of a pinned connection: to the pinned VIP, whatever the tables say now. */
static __always_inline int ks_route_pinned(struct ks_rctx *r, const struct ks_flow *f,
					   struct ks_decision *d)
{
	const struct ks_shard *sh = ks_shard_get(r->gen, f->shard);

	r->flow_hash = f->flow_hash;
	if (!sh || !ks_shard_holds(sh, f)) {
		sh = ks_shard_get(f->gen & (KS_GENERATIONS - 1), f->shard);
		if (!sh || !ks_shard_holds(sh, f)) {
			/* No generation names that VIP any more: the FIB knows the way. */
			__builtin_memset(&d->lost, 0, sizeof(d->lost));
			d->lost.vip = f->vip;
			d->lost.port = f->port;
			d->lost.family = f->family;
			d->lost.steer = f->steer;
			sh = &d->lost;
		}
	}
	d->sh = sh;
	d->shard = f->shard;
	d->slot = f->stats_slot;
	d->target = f->target;
	return KS_FORWARD;
}

/* A SYN with no live pin: choose by the option's key and pin the connection. */
static __always_inline int ks_route_syn(struct xdp_md *ctx, struct ks_rctx *r,
					const union ks_flow_key *fk, struct ks_decision *d)
{
	struct ks_route_key rk = {};
	const struct ks_route *route;
	const struct ks_shard *sh;
	struct ks_flow nf = {};
	struct ks_header h;
	struct ks_choice c;
	__u32 reason;

	reason = ks_tcp_option(KS_DATA(ctx), KS_DATA_END(ctx), &r->p, &h);
	if (reason == KS_R_MALFORMED)
		return ks_drop(r, reason);
	if (reason != KS_PARSE_OK)
		return ks_default(r, reason);
	rk.key = h.routing_key;
	rk.gen = r->gen;
	route = bpf_map_lookup_elem(&ks_routes, &rk);
	if (!route)
		return ks_default(r, KS_R_UNKNOWN_KEY);
	r->flow_hash = ks_flow_hash(&r->p);
	/* The option form cannot carry SHADOW: TCP routes are never shadowed. */
	ks_choose(route, &h, r->flow_hash, &r->p, &c);
	sh = ks_shard_get(r->gen, c.shard);
	if (!sh)
		return ks_default(r, KS_R_NO_SHARD);
	nf.vip = sh->vip;
	nf.port = sh->port;
	nf.family = sh->family;
	nf.steer = sh->steer;
	nf.shard = c.shard;
	nf.gen = (__u8)r->gen;
	nf.state = KS_FLOW_OPEN;
	nf.stats_slot = route->stats_slot;
	nf.target = c.target;
	nf.flow_hash = r->flow_hash;
	ks_flow_pin(&r->p, fk, &nf);
	d->sh = sh;
	d->shard = c.shard;
	d->slot = route->stats_slot;
	d->target = c.target;
	return KS_FORWARD;
}

/*
 * TCP to a listener that no live pin claimed: a SYN is a new connection,
 * anything else has lost its pin (or never had one).
 */
static __always_inline int ks_route_tcp(struct xdp_md *ctx, struct ks_rctx *r,
					struct ks_decision *d)
{
	union ks_flow_key fk;
	struct ks_flow *f;

	if (!ks_tcp_hlen(KS_DATA(ctx), KS_DATA_END(ctx), &r->p))
		return ks_drop(r, KS_R_MALFORMED);
	if (!ks_tcp_is_syn(r->p.tcp_flags))
		return ks_default(r, KS_R_TCP_NO_FLOW);
	f = ks_flow_lookup(&r->p, &fk);
	if (f && f->state == KS_FLOW_OPEN)
		return ks_route_pinned(r, f, d); /* a retransmitted SYN keeps its pin */
	return ks_route_syn(ctx, r, &fk, d);
}

/*
 * A segment of a pinned connection. Looked up before the listener, so that
 * the pinned path costs one hash lookup: the pin was made for a listener, and
 * it outlives a rule set that drops the listener, like it outlives any other
 * change (established connections never move or break).
 */
static __always_inline int ks_route_established(struct xdp_md *ctx, struct ks_rctx *r,
						struct ks_decision *d)
{
	union ks_flow_key fk;
	struct ks_flow *f = ks_flow_lookup(&r->p, &fk);

	if (!f)
		return KS_NOT_PINNED;
	if (!ks_tcp_hlen(KS_DATA(ctx), KS_DATA_END(ctx), &r->p))
		return ks_drop(r, KS_R_MALFORMED);
	ks_flow_seen(f, r->p.tcp_flags);
	return ks_route_pinned(r, f, d);
}

static __always_inline int ks_router(struct xdp_md *ctx)
{
	void *data = KS_DATA(ctx), *end = KS_DATA_END(ctx);
	struct ks_decision d;
	struct ks_rctx r;
	__u32 reason;
	int rc;

	r.len = (__u32)(end - data);
	r.flow_hash = 0;
	reason = ks_parse(data, end, &r.p);
	if (reason != KS_PARSE_OK) {
		ks_count(reason, r.len);
		return XDP_PASS;
	}
	if (ks_load_generation(&r))
		return XDP_PASS;
	rc = KS_NOT_PINNED;
	if (r.p.proto == KS_IPPROTO_TCP && !ks_tcp_is_syn(r.p.tcp_flags))
		rc = ks_route_established(ctx, &r, &d);
	if (rc == KS_NOT_PINNED) {
		if (!ks_is_listener(&r)) {
			rc = ks_nat_reply(ctx, &r);
			return rc >= 0 ? rc : ks_pass(&r, KS_R_NOT_LISTENER);
		}
		if (r.p.proto == KS_IPPROTO_UDP)
			rc = ks_route_udp(ctx, &r, &d);
		else
			rc = ks_route_tcp(ctx, &r, &d);
	}
	if (rc != KS_FORWARD)
		return rc;
	return ks_forward(ctx, &r, d.sh, d.shard, d.slot, d.target, &d.lost);
}

#endif /* KS_ROUTER_MAIN_H */
