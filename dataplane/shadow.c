/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shadow copies in DPDK. XDP cannot clone and hands a sampled packet to a tc
 * program; here the worker copies the frame itself: the copy gets the SHADOW
 * flag in its routing header (UDP checksum updated incrementally, a zero
 * checksum stays zero) and is steered to the route's shadow shard by the same
 * steering code as any packet (keysteer/steer.h's ks_forward), while the original goes on
 * to its target. Counted like XDP counts the hand-off: the key's
 * shadow_packets and KS_R_SHADOW_COPY, plus the shadow shard's counters; the
 * original is counted as steered.
 *
 * A copy costs a full frame copy (rte_pktmbuf_copy): its routing header must
 * change, and shadow traffic is a sampled fraction. A copy steered to a NAT
 * shard leaves no reverse entry, so the client gets the original's replies
 * only.
 */
#include "ks_shell.h"

#include <keysteer/csum.h>
#include <keysteer/wire.h>

static int mark_shadow(struct rte_mbuf *m, struct ks_rctx *r)
{
	uint8_t *data = rte_pktmbuf_mtod(m, uint8_t *);
	uint32_t l4 = r->p.l4_off;
	struct ks_udp *udp;
	__be16 old, new_;

	if (l4 + KS_UDP_HLEN + KS_HDR_LEN > rte_pktmbuf_data_len(m))
		return -1;
	udp = (struct ks_udp *)(data + l4);
	/* Version and flags share a 16-bit word of the header. */
	memcpy(&old, data + l4 + KS_UDP_HLEN + 2, 2);
	data[l4 + KS_UDP_HLEN + 3] |= KS_F_SHADOW;
	memcpy(&new_, data + l4 + KS_UDP_HLEN + 2, 2);
	udp->check = ks_udp_csum_update(udp->check, ks_csum_diff2(old, new_));
	r->p.l4_check = udp->check;
	return 0;
}

int ks_dp_shadow(struct ks_dp_pkt *ctx, const struct ks_rctx *r, const struct ks_route *route,
		 const struct ks_choice *c)
{
	struct ks_dp_lcore *lc = ctx->lc;
	const struct ks_shard *sh = ks_shm_shard(&lc->view, r->gen, route->shadow_shard);
	struct ks_shard scratch;
	struct ks_dp_pkt cc;
	struct ks_rctx rc = *r;
	struct rte_mbuf *copy;
	int v;

	if (!sh || r->p.proto != KS_IPPROTO_UDP)
		return -1;
	copy = rte_pktmbuf_copy(ctx->m, lc->app->pool, 0, UINT32_MAX);
	if (!copy)
		return -1;
	ks_dp_pkt_init(&cc, lc, ctx->in_port);
	ks_dp_pkt_set(&cc, copy, KS_SHM_NO_SLOT);
	cc.shadow_copy = 1;
	/* The copy's context counts nothing (ks_shell.h): counted below. */
	if (mark_shadow(copy, &rc) ||
	    (v = ks_forward(&cc, &rc, sh, route->shadow_shard, route->stats_slot, c->target,
			    &scratch)) < KS_DP_V_TX0 ||
	    lc->n_tx[v - KS_DP_V_TX0] >= KS_DP_BURST * 2) {
		rte_pktmbuf_free(copy);
		return -1;
	}
	lc->tx[v - KS_DP_V_TX0][lc->n_tx[v - KS_DP_V_TX0]++] = copy;
	lc->st.shadow_copies++;
	lc->cnt->reasons[KS_R_SHADOW_COPY].packets++;
	lc->cnt->reasons[KS_R_SHADOW_COPY].bytes += r->len;
	lc->cnt->shards[route->shadow_shard & (KS_MAX_SHARDS - 1)].packets++;
	lc->cnt->shards[route->shadow_shard & (KS_MAX_SHARDS - 1)].bytes += r->len;
	if (route->stats_slot < lc->stats_slots)
		lc->keys[route->stats_slot].shadow_packets++;
	return -1;
}
