/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The BPF table backend: writes a compiled rule set (struct ks_compiled) into
 * the router's pinned maps as a new generation and flips to it atomically.
 *
 * Lifecycle of one apply:
 *   ks_backend_apply():   write the inactive generation (only what differs
 *                         from the applied rule set), then store its number
 *                         in ks_active: one 4-byte write, the atomic flip.
 *   ks_backend_reclaim(): wait until no XDP program can still be running on
 *                         the old generation (an RCU grace period), then
 *                         bring the old generation up to date with the same
 *                         writes and release the counter slots of removed keys.
 * The daemon acknowledges between the two. Applying again first reclaims,
 * so the generation being written is never read by a packet in flight.
 *
 * After a reclaim both generations hold the same rule set, so the next apply
 * only writes its diff: a one-key change costs a few map updates whatever the
 * table size. The backend keeps the applied rule set in memory; on open it
 * rebuilds it from the maps (restart of the controller) and repairs the
 * inactive generation if the previous owner died between flip and reclaim.
 *
 * Not thread-safe: one owner per pin root.
 */
#ifndef KS_BACKEND_H
#define KS_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <keysteer/table.h>
#include "rules/compiled.h"
#include "nexthop/nexthop.h"
#include "backend/maps.h"

struct ks_backend;

/*
 * Where next hops of shard VIPs come from at apply time (the resolver, via a
 * small adapter). 0 with *out filled, or -errno: the shard is written with
 * its next hop unresolved (nh_valid = 0).
 */
typedef int (*ks_backend_nh_fn)(void *ctx, const struct ks_nh_target *t, struct ks_nexthop *out);

struct ks_backend_opts {
	const char *pin_root;	    /* NULL: KS_DEFAULT_PIN_ROOT */
	__u16 gue_port;		    /* host order; 0: KS_DEFAULT_GUE_PORT */
	ks_backend_nh_fn nh_lookup; /* NULL: keep next hops known for the same VIP */
	void *nh_ctx;
	unsigned write_threads; /* threads writing large route upserts; 0 or 1: the caller's */
};

struct ks_apply_stats {
	__u64 version;
	__u32 gen; /* generation now active */
	__u32 n_routes, n_listeners, n_shards;
	__u32 route_upserts, route_deletes;
	__u32 listener_writes; /* ks_listeners buckets written (those that changed) */
	__u32 shard_writes;
	__u32 slots_zeroed;    /* counter slots zeroed for reuse */
	__u32 overflow_routes; /* routes counting on the shared overflow slot */
	__u32 map_calls;       /* bpf() calls that wrote the inactive generation */
	__u64 diff_ns;	       /* comparing with the applied rule set */
	__u64 write_ns;	       /* writing the inactive generation */
	__u64 flip_ns;	       /* the ks_active store */
	__u64 reclaim_ns;      /* a reclaim left pending by the previous change */
};

struct ks_reclaim_stats {
	__u32 gen; /* generation brought up to date */
	__u32 map_calls;
	__u64 grace_ns; /* waiting for the RCU grace period */
	__u64 write_ns;
};

/*
 * Open the pinned maps under opts->pin_root (they must exist: the loader
 * creates them) and rebuild the applied state from them. 0 or -errno, with a
 * message in msg.
 */
int ks_backend_open(struct ks_backend **out, const struct ks_backend_opts *opts, char *msg,
		    size_t msglen);
void ks_backend_close(struct ks_backend *b);

/* Message of the last failure. */
const char *ks_backend_error(const struct ks_backend *b);

/*
 * Write c into the inactive generation and flip to it. On failure nothing
 * visible changes (the active generation is untouched) and the backend stays
 * usable. 0 or -errno (-E2BIG: the table does not fit; -EINVAL: keys not
 * sorted/unique or ids out of range; -ENOSPC: the listeners cannot be placed
 * in ks_listeners' buckets, which only repeated listeners cause).
 */
int ks_backend_apply(struct ks_backend *b, const struct ks_compiled *c, struct ks_apply_stats *st);

/* Bring the old generation up to date. A no-op when nothing is pending. */
int ks_backend_reclaim(struct ks_backend *b, struct ks_reclaim_stats *st);
bool ks_backend_reclaim_pending(const struct ks_backend *b);

/* apply + reclaim. */
int ks_backend_apply_sync(struct ks_backend *b, const struct ks_compiled *c,
			  struct ks_apply_stats *st);

/*
 * New next hops for VIPs (from the resolver). Every shard with that VIP gets
 * the block, through the same inactive-write-then-flip path, so a packet sees
 * either the old or the new next hop, never a torn mix. Egress interfaces are
 * added to ks_tx_ports. *changed (may be NULL) counts shard entries that
 * changed; nothing is written when none did. 0 or -errno.
 */
int ks_backend_set_nexthops(struct ks_backend *b, const struct ks_nh_target *t,
			    const struct ks_nexthop *nh, size_t n, unsigned *changed);

/* Distinct VIPs of the applied shards (to track with the resolver). */
size_t ks_backend_vips(const struct ks_backend *b, struct ks_nh_target *out, size_t max);

/* The applied state, for status and tests. */
__u64 ks_backend_version(const struct ks_backend *b);
__u32 ks_backend_active_gen(const struct ks_backend *b);
__u32 ks_backend_n_routes(const struct ks_backend *b);
/* Slot of a key in the applied table, or -ENOENT. */
long ks_backend_key_slot(const struct ks_backend *b, __u64 key);
const struct ks_maps *ks_backend_maps(const struct ks_backend *b);

/* Capacity: routes per generation, counter slots. */
__u32 ks_backend_route_capacity(const struct ks_backend *b);

#endif
