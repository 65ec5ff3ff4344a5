/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shadow copies. XDP cannot clone a packet, so a sampled packet is handed to
 * the tc ingress program (bpf/ks_shadow.bpf.c) unmodified, with struct
 * ks_xdp_meta in the XDP metadata area: the tc program sends the SHADOW-marked
 * copy to the shadow shard with bpf_clone_redirect and steers the original to
 * the primary. XDP counts the key (packets, bytes, the target, the shadow
 * copy) and KS_R_SHADOW_COPY; the tc program counts the shard and the
 * outcome of its own steering.
 */
#ifndef KS_ROUTER_SHADOW_H
#define KS_ROUTER_SHADOW_H

#include <keysteer/select.h>
#include "router_ctx.h"
#include "router_stats.h"

/* XDP_PASS with the metadata written, or -1 when the driver has no metadata room. */
KS_ALWAYS_INLINE int ks_sh_shadow(struct xdp_md *ctx, const struct ks_rctx *r,
				  const struct ks_route *route, const struct ks_choice *c)
{
	struct ks_xdp_meta *meta;

	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(*meta)))
		return -1;
	meta = (void *)(long)ctx->data_meta;
	if ((void *)(meta + 1) > KS_DATA(ctx)) {
		/* Cannot happen after a successful adjust; give the room back. */
		bpf_xdp_adjust_meta(ctx, (int)sizeof(*meta));
		return -1;
	}
	meta->magic = KS_META_MAGIC;
	meta->gen = r->gen;
	meta->primary_shard = c->shard;
	meta->shadow_shard = route->shadow_shard;
	meta->stats_slot = route->stats_slot;
	meta->flow_hash = r->flow_hash;
	meta->pad = 0;
	ks_sh_count_key(ctx, route->stats_slot, c->target, r->len, 1);
	ks_sh_count(ctx, KS_R_SHADOW_COPY, r->len);
	return XDP_PASS;
}

#endif /* KS_ROUTER_SHADOW_H */
