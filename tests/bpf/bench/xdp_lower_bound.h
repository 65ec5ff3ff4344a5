/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Lower bounds for make bench-xdp: about the least the two targeted cases
 * (UDP key hit with GUE, TCP pinned-flow hit) can cost with the router's own
 * maps and helpers, in code hand-specialised for the bench's one packet
 * shape: untagged IPv4 without options, a listener of the active
 * generation, a resolved GUE shard over IPv4. Everything else the router handles (VLAN
 * tags, IPv6, the TCP option, NAT, IP-in-IP, shadows, the FIB fallback,
 * rule defaults, every reason to pass or drop) is left out: a packet of any
 * other shape is passed.
 *
 * What stays is the work the issue asks of every steered packet: the
 * header checks the router makes on this shape (IPv4, UDP length, TCP data
 * offset), the listener check, the routing header, the route (or the pin),
 * the weighted choice by the flow hash and the shadow sample, the shard,
 * TTL/next-hop/MTU checks, GUE in place
 * with its IPv4 checksum, the per-reason, per-shard and per-key counters,
 * and XDP_TX. These programs are not a router and nothing else uses them:
 * they measure how much of each figure is that work and how much is the
 * generality of the one decision flow (keysteer/decide.h), and whether an
 * inlined route table alone would reach the UDP target.
 */
#ifndef KS_BENCH_XDP_LOWER_BOUND_H
#define KS_BENCH_XDP_LOWER_BOUND_H

#include "router_main.h"

/*
 * A stand-in for an inlined route table: open addressing over an array map
 * (whose lookups the verifier inlines), one key and route per slot, linear
 * probing. Only the bench key's slot is filled.
 */
#define LB_SLOT_BITS 16

struct lb_route_slot {
	__u64 key;
	struct ks_route route;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1u << LB_SLOT_BITS);
	__type(key, __u32);
	__type(value, struct lb_route_slot);
} lb_routes SEC(".maps");

static __always_inline __u32 lb_home_slot(__u64 key)
{
	return (__u32)(ks_mix64(key) >> (64 - LB_SLOT_BITS));
}

static __always_inline const struct ks_route *lb_route_inlined(__u64 key)
{
	__u32 i = lb_home_slot(key);

	for (int n = 0; n < 4; n++) {
		const struct lb_route_slot *s = bpf_map_lookup_elem(&lb_routes, &i);

		if (!s || !s->route.n_targets)
			return NULL;
		if (s->key == key)
			return &s->route;
		i = (i + 1) & ((1u << LB_SLOT_BITS) - 1);
	}
	return NULL;
}

/* Untagged IPv4 without options, not a fragment, of protocol proto: its header, or NULL. */
static __always_inline struct ks_ip4 *lb_ip4(void *data, void *end, __u8 proto)
{
	struct ks_eth *eth = data;
	struct ks_ip4 *ip = (struct ks_ip4 *)(eth + 1);

	if ((void *)(ip + 1) > end || eth->proto != ks_htons(KS_ETH_P_IP) || ip->ver_ihl != 0x45 ||
	    ip->proto != proto || (ip->frag_off & ks_htons(KS_IP4_MF | KS_IP4_OFFMASK)) ||
	    ks_ntohs(ip->tot_len) < KS_IP4_HLEN || (__u8 *)ip + ks_ntohs(ip->tot_len) > (__u8 *)end)
		return NULL;
	return ip;
}

/* What the hashes and the GUE builders read of the inner packet. */
static __always_inline void lb_inner(struct ks_pkt *p, const struct ks_ip4 *ip, __be16 sport,
				     __be16 dport, __u8 proto)
{
	__builtin_memset(p, 0, sizeof(*p));
	p->saddr.w[0] = ip->saddr;
	p->daddr.w[0] = ip->daddr;
	p->sport = sport;
	p->dport = dport;
	p->proto = proto;
	p->family = KS_AF_INET;
	p->tos = ip->tos;
	p->ttl = ip->ttl;
	p->l3_len = ks_ntohs(ip->tot_len);
}

/* The generation's GUE port, or the default, as the router reads it. */
static __always_inline __be16 lb_gue_port(const struct ks_config *cfg)
{
	return cfg->gue_port ? cfg->gue_port : ks_htons(KS_DEFAULT_GUE_PORT);
}

/* The common tail: GUE over IPv4 to a resolved shard, the counters, out. */
static __always_inline int lb_gue4(struct xdp_md *ctx, const struct ks_pkt *p,
				   const struct ks_shard *sh, __be16 gue_port, __u32 flow_hash,
				   __u32 shard, __u32 slot, __u32 target)
{
	const __u32 hlen = KS_IP4_HLEN + KS_UDP_HLEN + KS_GUE_LEN;
	struct ks_tunnel t;
	void *data, *end;

	if (p->ttl <= 1 || !sh->nh_valid || sh->steer != KS_STEER_GUE || sh->family != KS_AF_INET ||
	    (sh->mtu && p->l3_len + hlen > sh->mtu))
		return XDP_PASS;
	ks_tunnel_init(&t, p, &sh->src, &sh->vip, KS_AF_INET, KS_STEER_GUE, gue_port, flow_hash);
	if (bpf_xdp_adjust_head(ctx, -(int)hlen))
		return XDP_PASS;
	data = KS_DATA(ctx);
	end = KS_DATA_END(ctx);
	if (data + KS_ETH_HLEN + hlen > end)
		return XDP_DROP;
	ks_encap_gue4(data + KS_ETH_HLEN, &t);
	ks_eth_write(data, sh->dmac, sh->smac, KS_AF_INET);
	ks_count_steered(ctx, shard, slot, target, KS_ETH_HLEN + p->l3_len);
	return ks_sh_xmit(ctx, sh->ifindex);
}

/* UDP key hit with GUE; the route from ks_routes0/1, or from the inlined stand-in. */
static __always_inline int lb_udp_hit(struct xdp_md *ctx, int inlined_route)
{
	void *data = KS_DATA(ctx), *end = KS_DATA_END(ctx);
	struct ks_ip4 *ip = lb_ip4(data, end, KS_IPPROTO_UDP);
	const struct ks_listener_bucket *b;
	const struct ks_config *cfg;
	const struct ks_route *route;
	const struct ks_shard *sh;
	struct ks_listener_key k;
	struct ks_header h;
	struct ks_choice c;
	struct ks_udp *udp;
	struct ks_hdr *kh;
	struct ks_pkt p;
	__u32 gen, idx, flow_hash, ulen;

	if (!ip)
		return XDP_PASS;
	udp = (struct ks_udp *)(ip + 1);
	kh = (struct ks_hdr *)(udp + 1);
	if ((void *)(kh + 1) > end || ks_sh_generation(ctx, &gen))
		return XDP_PASS;
	ulen = ks_ntohs(udp->len);
	if (ulen < KS_UDP_HLEN + KS_HDR_LEN || ulen > ks_ntohs(ip->tot_len) - KS_IP4_HLEN)
		return XDP_PASS;
	cfg = bpf_map_lookup_elem(&ks_config, &gen);
	if (!cfg)
		return XDP_PASS;
	k.addr.w[0] = ip->daddr;
	k.addr.w[1] = 0;
	k.addr.w[2] = 0;
	k.addr.w[3] = 0;
	k.port = udp->dest;
	k.proto = KS_IPPROTO_UDP;
	k.family = KS_AF_INET;
	k.gen = gen;
	idx = ks_listener_index(
	    gen, ks_listener_bucket(&k.addr, k.port, k.proto, k.family, cfg->listener_seed));
	b = bpf_map_lookup_elem(&ks_listeners, &idx);
	if (!b || !ks_listener_in_bucket(b, &k))
		return XDP_PASS;
	if (ks_hdr_decode(kh, &h) != KS_DECODE_OK)
		return XDP_DROP;
	route =
	    inlined_route ? lb_route_inlined(h.routing_key) : ks_sh_route(ctx, gen, h.routing_key);
	if (!route)
		return XDP_DROP;
	lb_inner(&p, ip, udp->source, udp->dest, KS_IPPROTO_UDP);
	flow_hash = ks_flow_hash(&p);
	ks_choose(route, &h, flow_hash, &p, &c);
	sh = ks_sh_shard(ctx, gen, c.shard);
	if (!sh || c.shadow)
		return XDP_PASS;
	return lb_gue4(ctx, &p, sh, lb_gue_port(cfg), flow_hash, c.shard, route->stats_slot,
		       c.target);
}

/* A segment of a pinned IPv4 connection, to its pinned shard with GUE. */
static __always_inline int lb_pinned_hit(struct xdp_md *ctx)
{
	void *data = KS_DATA(ctx), *end = KS_DATA_END(ctx);
	struct ks_ip4 *ip = lb_ip4(data, end, KS_IPPROTO_TCP);
	const struct ks_config *cfg;
	const struct ks_shard *sh;
	struct ks_flow4_key k4;
	struct ks_tcp *tcp;
	struct ks_flow *f;
	struct ks_pkt p;
	__u32 gen;

	if (!ip)
		return XDP_PASS;
	tcp = (struct ks_tcp *)(ip + 1);
	if ((void *)(tcp + 1) > end || ks_tcp_is_syn(tcp->flags) || ks_sh_generation(ctx, &gen))
		return XDP_PASS;
	if ((tcp->doff_res >> 4) * 4u < KS_TCP_HLEN ||
	    (tcp->doff_res >> 4) * 4u > ks_ntohs(ip->tot_len) - KS_IP4_HLEN)
		return XDP_PASS;
	k4.saddr = ip->saddr;
	k4.daddr = ip->daddr;
	k4.sport = tcp->source;
	k4.dport = tcp->dest;
	f = bpf_map_lookup_elem(&ks_flows4, &k4);
	if (!f)
		return XDP_PASS;
	if ((tcp->flags & (KS_TCP_FIN | KS_TCP_RST)) && f->state == KS_FLOW_OPEN)
		f->state = KS_FLOW_CLOSING;
	sh = ks_sh_shard(ctx, gen, f->shard);
	cfg = bpf_map_lookup_elem(&ks_config, &gen);
	if (!sh || !ks_shard_holds(sh, f) || !cfg)
		return XDP_PASS;
	lb_inner(&p, ip, tcp->source, tcp->dest, KS_IPPROTO_TCP);
	return lb_gue4(ctx, &p, sh, lb_gue_port(cfg), f->flow_hash, f->shard, f->stats_slot,
		       f->target);
}

#endif /* KS_BENCH_XDP_LOWER_BOUND_H */
