/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Parsing glue: the generation this packet is decided by, and whether it is
 * addressed to a listener of that generation. The parsing itself is
 * keysteer/parse.h.
 */
#ifndef KS_ROUTER_PARSE_H
#define KS_ROUTER_PARSE_H

#include "router_ctx.h"

/* Read ks_active once: the generation this packet is decided by. */
static __always_inline int ks_load_generation(struct ks_rctx *r)
{
	__u32 zero = 0;
	const struct ks_active *a = bpf_map_lookup_elem(&ks_active, &zero);

	if (!a)
		return -1;
	r->gen = a->gen & (KS_GENERATIONS - 1);
	return 0;
}

/*
 * The generation's config, read where it is needed (the default action, the
 * GUE port): the pinned TCP path needs neither. An array slot always exists.
 */
static __always_inline const struct ks_config *ks_config_of(const struct ks_rctx *r)
{
	return bpf_map_lookup_elem(&ks_config, &r->gen);
}

/* Is (destination address, port, protocol) a listener of the active generation? */
static __always_inline int ks_is_listener(const struct ks_rctx *r)
{
	struct ks_listener_key k;

	k.addr = r->p.daddr;
	k.port = r->p.dport;
	k.proto = r->p.proto;
	k.family = r->p.family;
	k.gen = r->gen;
	return bpf_map_lookup_elem(&ks_listeners, &k) != NULL;
}

/*
 * A private per-CPU scratch word for the TCP option walk (not pinned: it
 * holds nothing between packets).
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} ks_optwalk SEC(".maps");

/*
 * ks_tcp_routing_option() for the verifier. Each step's option length comes
 * from the packet, so a walk whose offset stays in a register gives the
 * verifier one state per combination of lengths (it gave up after 1M
 * instructions). Keeping the offset in map memory between steps, which the
 * verifier does not track, leaves it one state per step: an offset somewhere
 * in [0, 63]. The volatile accesses stop the compiler from keeping it in a
 * register anyway.
 */
static __always_inline __u32 ks_tcp_option(const void *data, const void *data_end,
					   const struct ks_pkt *p, struct ks_header *h)
{
	__u32 zero = 0, optlen;
	volatile __u32 *off = bpf_map_lookup_elem(&ks_optwalk, &zero);
	const __u8 *opts;
	__u32 r;

	if (!off)
		return KS_R_MALFORMED;
	r = ks_tcp_opts(data, data_end, p, &opts, &optlen);
	if (r != KS_PARSE_OK)
		return r;
	*off = 0;
	for (int i = 0; i < KS_TCPOPT_MAX_STEPS; i++) {
		__u32 at = *off;
		int s = ks_tcpopt_step(opts, data_end, optlen, &at, h);

		if (s != KS_TCPOPT_NEXT)
			return (__u32)s;
		*off = at;
	}
	return KS_R_NO_HEADER;
}

#endif /* KS_ROUTER_PARSE_H */
