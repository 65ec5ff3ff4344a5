/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keysteer's per-packet decision flow, start to finish, written once for
 * every fast path. A shell (keysteer/shell.h says what it provides) defines
 * KS_SHELL_CTX and its table, counter and packet primitives, then includes
 * this file and calls ks_decide() per packet:
 *
 *   parse (keysteer/parse.h)          not UDP/TCP over IP, fragment, v6 ext
 *                                     header, malformed: counted, pass
 *   active generation, once
 *   TCP non-SYN: pinned connection?   yes: to the pinned VIP
 *   listener?  no: NAT reply?         translated back, or pass untouched
 *   UDP: routing header in payload    TCP: SYN option (retransmitted SYN keeps its pin)
 *   route (key, generation)           unknown key / no header: rule default
 *   target (keysteer/select.h)        shadow sample: the shell's ks_sh_shadow
 *   shard -> steer (keysteer/steer.h) GUE / IP-in-IP / NAT, counters, out
 *
 * The routing functions either finish the packet (a verdict) or return
 * KS_FORWARD with a decision, which the one call of ks_forward() in
 * ks_decide() carries out: a single inlined copy of the steering code keeps
 * the BPF program small and within its 512-byte stack.
 *
 * The connection table: a steered SYN pins its connection; later segments
 * follow the pin, so a change of weights, rule version or shard VIP never
 * moves an established connection. A FIN or RST marks the entry CLOSING; a
 * SYN on a CLOSING entry is a new connection and is chosen afresh, a SYN on
 * an OPEN one is a retransmission and keeps its pin. Entries age out of the
 * shell's LRU; they are never deleted on a RST, so a spoofed RST cannot unpin
 * a live connection.
 */
#ifndef KEYSTEER_DECIDE_H
#define KEYSTEER_DECIDE_H

#include <keysteer/hash.h>
#include <keysteer/natflow.h>
#include <keysteer/parse.h>
#include <keysteer/select.h>
#include <keysteer/shell.h>
#include <keysteer/steer.h>
#include <keysteer/verdict.h>

#define KS_FORWARD    (-1)
#define KS_NOT_PINNED (-2)

struct ks_decision {
	const struct ks_shard *sh; /* table entry, or &lost below */
	__u32 shard;
	__u32 slot;
	__u32 target;
	/* A pinned VIP no generation names any more, or a resolved copy. */
	struct ks_shard lost;
};

/* A connection's first segment: SYN without ACK. */
KS_ALWAYS_INLINE int ks_tcp_is_syn(__u8 tcp_flags)
{
	return (tcp_flags & (KS_TCP_SYN | KS_TCP_ACK)) == KS_TCP_SYN;
}

/*
 * The connection's key (as the client sends) and its pin, if any. The family
 * is passed to the shell as a constant per branch, so that a BPF shell's
 * choice of map folds away and the verifier sees one path per family.
 */
KS_ALWAYS_INLINE struct ks_flow *ks_flow_find(KS_SHELL_CTX ctx, const struct ks_pkt *p,
					      union ks_flow_key *k)
{
	if (p->family == KS_AF_INET) {
		k->v4.saddr = p->saddr.w[0];
		k->v4.daddr = p->daddr.w[0];
		k->v4.sport = p->sport;
		k->v4.dport = p->dport;
		return ks_sh_flow_lookup(ctx, k, KS_AF_INET);
	}
	__builtin_memcpy(k->v6.saddr, p->saddr.w, 16);
	__builtin_memcpy(k->v6.daddr, p->daddr.w, 16);
	k->v6.sport = p->sport;
	k->v6.dport = p->dport;
	return ks_sh_flow_lookup(ctx, k, KS_AF_INET6);
}

/*
 * Does this shard entry still describe the destination a connection is pinned
 * to? Both structs start with vip (16 bytes), port, family, steer (4 bytes):
 * five 32-bit compares.
 */
KS_ALWAYS_INLINE int ks_shard_holds(const struct ks_shard *sh, const struct ks_flow *f)
{
	__u32 a[5], b[5];

	__builtin_memcpy(a, sh, sizeof(a));
	__builtin_memcpy(b, f, sizeof(b));
	return a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3] && a[4] == b[4];
}

KS_STATIC_ASSERT(__builtin_offsetof(struct ks_shard, steer) == 19 &&
		     __builtin_offsetof(struct ks_flow, steer) == 19 &&
		     __builtin_offsetof(struct ks_shard, port) == 16 &&
		     __builtin_offsetof(struct ks_flow, port) == 16 &&
		     __builtin_offsetof(struct ks_shard, family) == 18 &&
		     __builtin_offsetof(struct ks_flow, family) == 18,
		 "ks_shard and ks_flow share their first 20 bytes' layout");

KS_ALWAYS_INLINE int ks_route_udp(KS_SHELL_CTX ctx, struct ks_rctx *r, struct ks_decision *d)
{
	const struct ks_route *route;
	const struct ks_shard *sh;
	struct ks_header h;
	struct ks_choice c;
	__u32 reason;

	reason = ks_udp_routing_header(ks_sh_data(ctx), ks_sh_data_end(ctx), &r->p, &h);
	if (reason == KS_R_MALFORMED || reason == KS_R_CLIENT_SHADOW)
		return ks_drop(ctx, r, reason);
	if (reason != KS_PARSE_OK)
		return ks_default(ctx, r, reason);
	route = ks_sh_route(ctx, r->gen, h.routing_key);
	if (!route)
		return ks_default(ctx, r, KS_R_UNKNOWN_KEY);
	r->flow_hash = ks_flow_hash(&r->p);
	ks_choose(route, &h, r->flow_hash, &r->p, &c);
	if (c.shadow) {
		int rc = ks_sh_shadow(ctx, r, route, &c);

		if (rc >= 0)
			return rc;
	}
	sh = ks_sh_shard(ctx, r->gen, c.shard);
	if (!sh)
		return ks_default(ctx, r, KS_R_NO_SHARD);
	d->sh = sh;
	d->shard = c.shard;
	d->slot = route->stats_slot;
	d->target = c.target;
	return KS_FORWARD;
}

/* A segment of a pinned connection: to the pinned VIP, whatever the tables say now. */
KS_ALWAYS_INLINE int ks_route_pinned(KS_SHELL_CTX ctx, struct ks_rctx *r, const struct ks_flow *f,
				     struct ks_decision *d)
{
	const struct ks_shard *sh = ks_sh_shard(ctx, r->gen, f->shard);

	r->flow_hash = f->flow_hash;
	if (!sh || !ks_shard_holds(sh, f)) {
		sh = ks_sh_shard(ctx, f->gen & (KS_GENERATIONS - 1), f->shard);
		if (!sh || !ks_shard_holds(sh, f)) {
			/* No generation names that VIP any more: the shell's fallback knows the
			 * way. */
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
KS_ALWAYS_INLINE int ks_route_syn(KS_SHELL_CTX ctx, struct ks_rctx *r, const union ks_flow_key *fk,
				  struct ks_decision *d)
{
	const struct ks_route *route;
	const struct ks_shard *sh;
	struct ks_flow nf = {};
	struct ks_header h;
	struct ks_choice c;
	__u32 reason;

	reason = ks_sh_tcp_option(ctx, ks_sh_data(ctx), ks_sh_data_end(ctx), &r->p, &h);
	if (reason == KS_R_MALFORMED)
		return ks_drop(ctx, r, reason);
	if (reason != KS_PARSE_OK)
		return ks_default(ctx, r, reason);
	route = ks_sh_route(ctx, r->gen, h.routing_key);
	if (!route)
		return ks_default(ctx, r, KS_R_UNKNOWN_KEY);
	r->flow_hash = ks_flow_hash(&r->p);
	/* The option form cannot carry SHADOW: TCP routes are never shadowed. */
	ks_choose(route, &h, r->flow_hash, &r->p, &c);
	sh = ks_sh_shard(ctx, r->gen, c.shard);
	if (!sh)
		return ks_default(ctx, r, KS_R_NO_SHARD);
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
	ks_sh_flow_pin(ctx, fk, r->p.family, &nf);
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
KS_ALWAYS_INLINE int ks_route_tcp(KS_SHELL_CTX ctx, struct ks_rctx *r, struct ks_decision *d)
{
	union ks_flow_key fk;
	struct ks_flow *f;

	if (!ks_tcp_hlen(ks_sh_data(ctx), ks_sh_data_end(ctx), &r->p))
		return ks_drop(ctx, r, KS_R_MALFORMED);
	if (!ks_tcp_is_syn(r->p.tcp_flags))
		return ks_default(ctx, r, KS_R_TCP_NO_FLOW);
	f = ks_flow_find(ctx, &r->p, &fk);
	if (f && f->state == KS_FLOW_OPEN)
		return ks_route_pinned(ctx, r, f, d); /* a retransmitted SYN keeps its pin */
	return ks_route_syn(ctx, r, &fk, d);
}

/*
 * A segment of a pinned connection. Looked up before the listener, so that
 * the pinned path costs one hash lookup: the pin was made for a listener, and
 * it outlives a rule set that drops the listener, like it outlives any other
 * change (established connections never move or break).
 */
KS_ALWAYS_INLINE int ks_route_established(KS_SHELL_CTX ctx, struct ks_rctx *r,
					  struct ks_decision *d)
{
	union ks_flow_key fk;
	struct ks_flow *f;

	f = ks_flow_find(ctx, &r->p, &fk);
	if (!f)
		return KS_NOT_PINNED;
	if (!ks_tcp_hlen(ks_sh_data(ctx), ks_sh_data_end(ctx), &r->p))
		return ks_drop(ctx, r, KS_R_MALFORMED);
	if ((r->p.tcp_flags & (KS_TCP_FIN | KS_TCP_RST)) && f->state == KS_FLOW_OPEN)
		ks_sh_flow_closing(ctx, f);
	return ks_route_pinned(ctx, r, f, d);
}

KS_ALWAYS_INLINE int ks_is_listener(KS_SHELL_CTX ctx, const struct ks_rctx *r)
{
	struct ks_listener_key k;

	k.addr = r->p.daddr;
	k.port = r->p.dport;
	k.proto = r->p.proto;
	k.family = r->p.family;
	k.gen = r->gen;
	return ks_sh_is_listener(ctx, &k);
}

/* The whole decision for the frame in ctx: a verdict of the shell's. */
KS_ALWAYS_INLINE int ks_decide(KS_SHELL_CTX ctx)
{
	void *data = ks_sh_data(ctx), *end = ks_sh_data_end(ctx);
	struct ks_decision d;
	struct ks_rctx r;
	__u32 reason;
	int rc;

	r.len = (__u32)((__u8 *)end - (__u8 *)data);
	r.flow_hash = 0;
	reason = ks_parse(data, end, &r.p);
	if (reason != KS_PARSE_OK) {
		ks_sh_count(ctx, reason, r.len);
		return KS_V_PASS;
	}
	if (ks_sh_generation(ctx, &r.gen))
		return KS_V_PASS;
	rc = KS_NOT_PINNED;
	if (r.p.proto == KS_IPPROTO_TCP && !ks_tcp_is_syn(r.p.tcp_flags))
		rc = ks_route_established(ctx, &r, &d);
	if (rc == KS_NOT_PINNED) {
		if (!ks_is_listener(ctx, &r)) {
			rc = ks_nat_reply(ctx, &r);
			return rc >= 0 ? rc : ks_pass(ctx, &r, KS_R_NOT_LISTENER);
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

#endif /* KEYSTEER_DECIDE_H */
