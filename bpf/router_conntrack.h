/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The TCP connection table (ks_flows4 / ks_flows6, struct ks_flow in
 * keysteer/table.h). A steered SYN pins its connection; later segments follow
 * the pin, so a change of weights, rule version or shard VIP never moves an
 * established connection.
 *
 * Ageing: the tables are LRU hashes, and every segment's lookup marks its
 * entry as recently used. A FIN or RST marks the entry CLOSING (one write);
 * its segments (retransmissions, the last ACK) still follow the pin, and once
 * they stop the entry is among the least recently used, the first to be
 * evicted when the table needs room. A SYN on a CLOSING entry is a new
 * connection on the same 4-tuple and is chosen afresh; a SYN on an OPEN entry
 * is a retransmission and keeps its pin. Entries are never deleted on a RST,
 * so a spoofed RST cannot unpin a live connection.
 */
#ifndef KS_ROUTER_CONNTRACK_H
#define KS_ROUTER_CONNTRACK_H

#include "router_ctx.h"

union ks_flow_key {
	struct ks_flow4_key v4;
	struct ks_flow6_key v6;
};

static __always_inline struct ks_flow *ks_flow_lookup(const struct ks_pkt *p, union ks_flow_key *k)
{
	if (p->family == KS_AF_INET) {
		k->v4.saddr = p->saddr.w[0];
		k->v4.daddr = p->daddr.w[0];
		k->v4.sport = p->sport;
		k->v4.dport = p->dport;
		return bpf_map_lookup_elem(&ks_flows4, &k->v4);
	}
	__builtin_memcpy(k->v6.saddr, p->saddr.w, 16);
	__builtin_memcpy(k->v6.daddr, p->daddr.w, 16);
	k->v6.sport = p->sport;
	k->v6.dport = p->dport;
	return bpf_map_lookup_elem(&ks_flows6, &k->v6);
}

static __always_inline void ks_flow_pin(const struct ks_pkt *p, const union ks_flow_key *k,
					const struct ks_flow *f)
{
	if (p->family == KS_AF_INET)
		bpf_map_update_elem(&ks_flows4, &k->v4, f, BPF_ANY);
	else
		bpf_map_update_elem(&ks_flows6, &k->v6, f, BPF_ANY);
}

/* A connection's first segment: SYN without ACK. */
static __always_inline int ks_tcp_is_syn(__u8 tcp_flags)
{
	return (tcp_flags & (KS_TCP_SYN | KS_TCP_ACK)) == KS_TCP_SYN;
}

/* FIN or RST on a pinned connection: mark it CLOSING, once. */
static __always_inline void ks_flow_seen(struct ks_flow *f, __u8 tcp_flags)
{
	if ((tcp_flags & (KS_TCP_FIN | KS_TCP_RST)) && f->state == KS_FLOW_OPEN)
		f->state = KS_FLOW_CLOSING;
}

#endif /* KS_ROUTER_CONNTRACK_H */
