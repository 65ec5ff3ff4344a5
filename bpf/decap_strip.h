/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Removing the outer headers in place: the Ethernet header (with its VLAN
 * tags) is copied forward to sit just before the inner IP header, its
 * EtherType is set to the inner protocol, and the packet start moves there
 * (bpf_xdp_adjust_head). The payload is never touched.
 */
#ifndef KEYSTEER_DECAP_STRIP_H
#define KEYSTEER_DECAP_STRIP_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "decap_parse.h"

#define KS_DECAP_L2_MAX (14 + 4 * KS_DECAP_MAX_VLANS)

/* 0 on success; -1 if the packet could not be changed (it is left as it was). */
KS_INLINE int ks_decap_strip(struct xdp_md *ctx, const struct ks_decap_parse *p)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	__u8 l2[KS_DECAP_L2_MAX];
	__u32 shift = p->inner_off - p->l2len;
	__u32 l2len = p->l2len;
	void *dst;

	if (p->inner_off < p->l2len || shift > 512)
		return -1;
	dst = data + shift;
	/*
	 * Through a stack copy: with two VLAN tags and a 20-byte outer header
	 * the old and new positions overlap. Each length is a constant for the
	 * verifier.
	 */
	if (l2len == 14) {
		if (data + 14 > data_end || dst + 14 > data_end)
			return -1;
		__builtin_memcpy(l2, data, 14);
		*(__be16 *)(l2 + 12) = p->inner_type;
		__builtin_memcpy(dst, l2, 14);
	} else if (l2len == 18) {
		if (data + 18 > data_end || dst + 18 > data_end)
			return -1;
		__builtin_memcpy(l2, data, 18);
		*(__be16 *)(l2 + 16) = p->inner_type;
		__builtin_memcpy(dst, l2, 18);
	} else if (l2len == 22) {
		if (data + 22 > data_end || dst + 22 > data_end)
			return -1;
		__builtin_memcpy(l2, data, 22);
		*(__be16 *)(l2 + 20) = p->inner_type;
		__builtin_memcpy(dst, l2, 22);
	} else {
		return -1;
	}
	return bpf_xdp_adjust_head(ctx, (int)shift) ? -1 : 0;
}

#endif
