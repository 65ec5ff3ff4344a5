/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * GUE and IP-in-IP in place: move the head back so that exactly the outer
 * Ethernet and IP (+ UDP + GUE) headers fit in front of the inner IP packet,
 * then let the shared builders (keysteer/encap.h) write them. VLAN tags of
 * the received frame are dropped: the outer frame is untagged, for the
 * egress interface the next hop names.
 */
#ifndef KS_ROUTER_ENCAP_H
#define KS_ROUTER_ENCAP_H

#include <keysteer/encap.h>
#include "router_ctx.h"

/* 0, KS_R_NO_ROOM (packet untouched), or KS_R_MALFORMED (packet spoilt: drop). */
static __always_inline __u32 ks_encap(struct xdp_md *ctx, const struct ks_rctx *r,
				      const struct ks_shard *sh)
{
	struct ks_tunnel t;
	const struct ks_config *cfg = bpf_map_lookup_elem(&ks_config, &r->gen);
	__be16 gue_port = cfg && cfg->gue_port ? cfg->gue_port : ks_htons(KS_DEFAULT_GUE_PORT);
	int delta = (int)r->p.l3_off - KS_ETH_HLEN - (int)ks_tunnel_hlen(sh->steer, sh->family);
	void *data, *end;

	ks_tunnel_init(&t, &r->p, &sh->src, &sh->vip, sh->family, sh->steer, gue_port,
		       r->flow_hash);
	if (bpf_xdp_adjust_head(ctx, delta))
		return KS_R_NO_ROOM;
	data = KS_DATA(ctx);
	end = KS_DATA_END(ctx);
	/* Constant-size checks, one per shape, so that the verifier sees each. */
	if (sh->steer == KS_STEER_GUE) {
		if (sh->family == KS_AF_INET6) {
			if (data + KS_ETH_HLEN + KS_IP6_HLEN + KS_UDP_HLEN + KS_GUE_LEN > end)
				return KS_R_MALFORMED;
			ks_encap_gue6(data + KS_ETH_HLEN, &t);
		} else {
			if (data + KS_ETH_HLEN + KS_IP4_HLEN + KS_UDP_HLEN + KS_GUE_LEN > end)
				return KS_R_MALFORMED;
			ks_encap_gue4(data + KS_ETH_HLEN, &t);
		}
	} else {
		if (sh->family == KS_AF_INET6) {
			if (data + KS_ETH_HLEN + KS_IP6_HLEN > end)
				return KS_R_MALFORMED;
			ks_encap_ipip6(data + KS_ETH_HLEN, &t);
		} else {
			if (data + KS_ETH_HLEN + KS_IP4_HLEN > end)
				return KS_R_MALFORMED;
			ks_encap_ipip4(data + KS_ETH_HLEN, &t);
		}
	}
	ks_eth_write((struct ks_eth *)data, sh->dmac, sh->smac, sh->family);
	return 0;
}

#endif /* KS_ROUTER_ENCAP_H */
