/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The shard-side decapsulator's maps, shared by bpf/ks_decap.bpf.c and the
 * controller (ctl/backend/decap_loader.c). Both maps are pinned by name under
 * the decapsulator's pin root (default /sys/fs/bpf/keysteer-decap).
 */
#ifndef KEYSTEER_DECAP_ABI_H
#define KEYSTEER_DECAP_ABI_H

#include <linux/types.h>

/* ks_decap_config: array of one. */
struct ks_decap_config {
	__be16 gue_port; /* outer UDP destination port of GUE; 0 disables GUE */
	__u16 pad;
	__u32 pad2;
};

/* ks_decap_stats: per-CPU array of struct ks_decap_counter, by outcome. */
enum ks_decap_outcome {
	KS_DECAP_GUE = 0,     /* outer IP + UDP + GUE stripped, inner passed up */
	KS_DECAP_IPIP,	      /* outer IP stripped (IPIP, IP6IP6, 4-in-6, 6-in-4) */
	KS_DECAP_PASS,	      /* not encapsulated for us: passed untouched */
	KS_DECAP_UNSUPPORTED, /* GUE variant/option/type, VLAN depth, IPv6 extension
				 header we do not strip: passed untouched */
	KS_DECAP_FRAGMENT,    /* outer fragment (IPv4 fragment or IPv6 fragment
				 header) of a UDP or IP-in-IP packet: passed untouched */
	KS_DECAP_MALFORMED,   /* truncated or inconsistent headers: passed untouched */
	KS_DECAP_MAX
};

struct ks_decap_counter {
	__u64 packets;
	__u64 bytes;
};

#endif
