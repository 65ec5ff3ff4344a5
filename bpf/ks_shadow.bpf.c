/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keysteer's shadow copies, on tc ingress next to the XDP router. XDP cannot
 * clone a packet: for a sampled packet the router leaves the frame untouched,
 * writes struct ks_xdp_meta in the metadata area and passes it up; here the
 * SHADOW-marked copy is steered to the shadow shard and cloned out
 * (bpf_clone_redirect), then the frame is restored and steered to the
 * primary (bpf_redirect). Both legs use the generation the router decided
 * with. Design and costs: docs/shadow.md.
 *
 * Counters: the router already counted the key (packets, target, shadow copy)
 * and KS_R_SHADOW_COPY; here each leg that goes out counts its shard, the
 * primary counts KS_R_STEERED, and a leg that cannot go counts its reason.
 */
#include "shadow_steer.h"

KS_ALWAYS_INLINE __be16 ks_tc_gue_port(__u32 gen)
{
	__u32 g = gen & (KS_GENERATIONS - 1);
	const struct ks_config *cfg = bpf_map_lookup_elem(&ks_config, &g);

	return cfg && cfg->gue_port ? cfg->gue_port : ks_htons(KS_DEFAULT_GUE_PORT);
}

/* The SHADOW copy: steered, cloned out, undone. 0, or -1 when the frame is spoilt. */
KS_ALWAYS_INLINE int ks_tc_shadow_leg(struct __sk_buff *skb, struct ks_tc_pkt *t, __be16 gue_port)
{
	const struct ks_shard *sh = ks_tc_shard(t->m.gen, t->m.shadow_shard);
	__be16 l4_check = t->p.l4_check; /* the mark changes it; the primary needs it */
	__u32 reason = ks_tc_steer(skb, t, sh, gue_port, 1);
	__u32 hlen;

	if (reason) {
		ks_tc_count(reason, t->len);
		t->p.l4_check = l4_check;
		/* A failed rewrite may have marked the frame already: put it back. */
		return ks_tc_undo(skb, t, 0);
	}
	hlen = sh->steer == KS_STEER_NAT ? 0 : ks_tunnel_hlen(sh->steer, sh->family);
	if (bpf_clone_redirect(skb, sh->ifindex, 0) == 0)
		ks_tc_count_shard(t->m.shadow_shard, t->len);
	else
		ks_tc_count(KS_R_NO_NEXTHOP, t->len);
	t->p.l4_check = l4_check;
	return ks_tc_undo(skb, t, hlen);
}

SEC("tc")
int ks_shadow_tc(struct __sk_buff *skb)
{
	struct ks_tc_pkt t;
	const struct ks_shard *sh;
	__be16 gue_port;
	__u32 reason;

	if (!ks_tc_meta(skb, &t.m))
		return TC_ACT_OK;
	reason = ks_tc_parse(skb, &t);
	if (reason) {
		ks_tc_count(reason, skb->len);
		return TC_ACT_OK;
	}
	gue_port = ks_tc_gue_port(t.m.gen);
	if (ks_tc_shadow_leg(skb, &t, gue_port)) {
		ks_tc_count(KS_R_MALFORMED, t.len);
		return TC_ACT_SHOT;
	}
	sh = ks_tc_shard(t.m.gen, t.m.primary_shard);
	reason = ks_tc_steer(skb, &t, sh, gue_port, 0);
	if (reason) {
		ks_tc_count(reason, t.len);
		if (ks_tc_undo(skb, &t, 0))
			return TC_ACT_SHOT;
		return TC_ACT_OK;
	}
	ks_tc_count(KS_R_STEERED, t.len);
	ks_tc_count_shard(t.m.primary_shard, t.len);
	return bpf_redirect(sh->ifindex, 0);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
