/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The generation a packet is decided by, its config, the listener check, and
 * the TCP option walk driven the way the verifier needs. The parsing itself
 * is keysteer/parse.h.
 */
#ifndef KS_ROUTER_PARSE_H
#define KS_ROUTER_PARSE_H

#include <keysteer/listener_table.h>
#include "router_ctx.h"

/* Read ks_active once: the generation this packet is decided by. */
KS_ALWAYS_INLINE int ks_sh_generation(struct xdp_md *ctx, __u32 *gen)
{
	__u32 zero = 0;
	const struct ks_active *a = bpf_map_lookup_elem(&ks_active, &zero);

	(void)ctx;
	if (!a)
		return -1;
	*gen = a->gen & (KS_GENERATIONS - 1);
	return 0;
}

/*
 * The generation's config, read where it is needed (the default action, the
 * GUE port): the pinned TCP path needs neither. An array slot always exists.
 * The key is the packet's own generation word, not a copy: a copy is one
 * more stack slot whose value differs between paths, and it quadrupled the
 * states the verifier explores.
 */
KS_ALWAYS_INLINE const struct ks_config *ks_sh_config(struct xdp_md *ctx, const __u32 *gen)
{
	(void)ctx;
	return bpf_map_lookup_elem(&ks_config, gen);
}

/*
 * Is (destination address, port, protocol) a listener of the key's
 * generation? One bucket of ks_listeners, found with the generation's seed
 * (keysteer/listener_table.h): two array lookups the JIT inlines (config,
 * bucket) instead of a hash lookup. The config is looked up with a copy of
 * the generation, unlike ks_sh_config(): a pointer into k would keep the
 * whole key in stack memory, written field by field and read back as words
 * (measured 2 ns slower on the hit path); the copy cost the verifier 0.4%
 * more instructions, not the blow-up it caused there.
 */
KS_ALWAYS_INLINE int ks_sh_is_listener(struct xdp_md *ctx, const struct ks_listener_key *k)
{
	__u32 gen = k->gen;
	const struct ks_config *cfg = bpf_map_lookup_elem(&ks_config, &gen);
	const struct ks_listener_bucket *b;
	__u32 idx;

	(void)ctx;
	if (!cfg)
		return 0;
	idx = ks_listener_index(
	    k->gen, ks_listener_bucket(&k->addr, k->port, k->proto, k->family, cfg->listener_seed));
	b = bpf_map_lookup_elem(&ks_listeners, &idx);
	return b && ks_listener_in_bucket(b, k);
}

KS_ALWAYS_INLINE const struct ks_route *ks_sh_route(struct xdp_md *ctx, __u32 gen, __u64 key)
{
	const struct ks_route *r;

	(void)ctx;
	if (gen) {
		r = bpf_map_lookup_elem(&ks_routes1, &key);
		KS_KEEP_APART(1);
	} else {
		r = bpf_map_lookup_elem(&ks_routes0, &key);
		KS_KEEP_APART(0);
	}
	return r;
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
KS_ALWAYS_INLINE __u32 ks_sh_tcp_option(struct xdp_md *ctx, const void *data, const void *data_end,
					const struct ks_pkt *p, struct ks_header *h)
{
	__u32 zero = 0, optlen;
	volatile __u32 *off = bpf_map_lookup_elem(&ks_optwalk, &zero);
	const __u8 *opts;
	__u32 r;

	(void)ctx;
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
