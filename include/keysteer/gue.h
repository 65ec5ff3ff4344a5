/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Generic UDP Encapsulation (draft-ietf-intarea-gue), variant 0 with no
 * optional fields: a 4-byte header after the outer UDP header whose
 * proto/ctype names the inner protocol (IPPROTO_IPIP or IPPROTO_IPV6). This
 * is what Linux fou ("ip fou add port 6080 gue") decapsulates, and what
 * keysteer's own decapsulator (bpf/ks_decap.bpf.c) strips.
 */
#ifndef KEYSTEER_GUE_H
#define KEYSTEER_GUE_H

#include <keysteer/compat.h>

struct ks_guehdr {
	__u8 vc_hlen;	  /* version (2 bits) = 0, C (1 bit) = 0, hlen (5 bits) = 0 */
	__u8 proto_ctype; /* inner IP protocol: 4 (IPv4) or 41 (IPv6) */
	__be16 flags;	  /* 0 */
};
KS_STATIC_ASSERT(sizeof(struct ks_guehdr) == 4, "GUE base header is 4 bytes");

#define KS_GUE_LEN 4

#endif /* KEYSTEER_GUE_H */
