/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Writing the shared table: the DPDK fast path's table backend, used by
 * keysteerd (one feed drives both fast paths) and by keysteer-dpdk itself
 * (--rules, standalone, and to publish its neighbours).
 *
 * One apply:
 *   ks_shm_apply()    under the writer lock: write the inactive generation
 *                     (only what differs from the applied rule set; routes
 *                     keep their counter slots), then flip `active` with one
 *                     store and bump the quiescent-state token;
 *   ks_shm_reclaim()  wait until every fast-path thread has passed a
 *                     quiescent point after the flip (shm_qsbr.h), then bring
 *                     the old generation up to date with the same writes.
 * The caller acknowledges between the two; applying again reclaims first.
 *
 * Several processes may write (keysteerd applies rule sets, keysteer-dpdk
 * publishes its neighbours): every operation holds flock(LOCK_EX) on the
 * file for its duration, and a writer that finds the tables changed by
 * another rebuilds its state from them. A writer that died between flip and
 * reclaim leaves `pending` set; the next writer finishes the reclaim.
 */
#ifndef KS_SHM_WRITER_H
#define KS_SHM_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <keysteer/table.h>
#include "rules/compiled.h"
#include "shmtable/shm_region.h"

struct ks_shm_writer;

struct ks_shm_writer_opts {
	/* Create the file with this geometry when it does not exist (NULL: must exist). */
	const struct ks_shm_geometry *create;
	/* How long a reclaim waits for live fast-path threads; 0: 2000 ms. */
	unsigned qsbr_timeout_ms;
	__u16 gue_port; /* host order; 0: KS_DEFAULT_GUE_PORT */
};

struct ks_shm_apply_stats {
	__u64 version;
	__u32 gen; /* generation now active */
	__u32 n_routes, n_listeners, n_shards;
	__u32 route_upserts, route_deletes;
	__u32 slots_zeroed;
	__u32 overflow_routes; /* routes counting on the shared overflow slot */
	bool full;	       /* the whole route table was written */
	__u64 write_ns, flip_ns, reclaim_ns;
};

/* What the active tables decide for one key (the shape of keysteerd's ks_dp_lookup). */
struct ks_shm_lookup {
	__u32 gen;
	__u64 version;
	__u8 default_action;
	bool found;
	struct ks_route route;
	struct ks_shard targets[KS_MAX_TARGETS];
	struct ks_shard shadow;
};

/* Open (or create) the table at path. NULL on error, with a message in err. */
struct ks_shm_writer *ks_shm_open_writer(const char *path, const struct ks_shm_writer_opts *opts,
					 char *err, size_t errlen);
void ks_shm_close_writer(struct ks_shm_writer *w);
const char *ks_shm_error(const struct ks_shm_writer *w);

/*
 * Write c into the inactive generation and flip to it. On failure the
 * active generation is untouched. 0 or -errno (-E2BIG: more routes than the
 * table holds; -EINVAL: keys not sorted/unique or shard ids out of range;
 * -ETIMEDOUT: a previous reclaim could not finish, see ks_shm_reclaim).
 */
int ks_shm_apply(struct ks_shm_writer *w, const struct ks_compiled *c,
		 struct ks_shm_apply_stats *st);
/* Bring the old generation up to date; a no-op when nothing is pending. 0 or -errno. */
int ks_shm_reclaim(struct ks_shm_writer *w);
bool ks_shm_reclaim_pending(const struct ks_shm_writer *w);
/* apply + reclaim. */
int ks_shm_apply_sync(struct ks_shm_writer *w, const struct ks_compiled *c,
		      struct ks_shm_apply_stats *st);

/*
 * Publish the fast path's ports and neighbours and rewrite every shard's
 * next-hop block from them (a flip and a reclaim, like an apply). 0 or -errno.
 */
int ks_shm_publish_neigh(struct ks_shm_writer *w, const struct ks_shm_neigh *n);

/* The applied state. */
__u64 ks_shm_active_version(const struct ks_shm_writer *w);
__u32 ks_shm_active_gen(const struct ks_shm_writer *w);
/* keysteerd's rollback floor, kept with the table (0: none); set under the writer lock. */
__u64 ks_shm_rollback_floor(const struct ks_shm_writer *w);
void ks_shm_set_rollback_floor(struct ks_shm_writer *w, __u64 floor);
int ks_shm_lookup(const struct ks_shm_writer *w, __u64 key, struct ks_shm_lookup *out);
/* Counter slot of a key in the applied table, or -ENOENT. */
long ks_shm_key_slot(const struct ks_shm_writer *w, __u64 key);
/* The mapping (for counters, tests). */
const struct ks_shm_header *ks_shm_writer_header(const struct ks_shm_writer *w);

/*
 * Counters summed over every reader slot (the fast-path threads of all
 * processes that ever ran on this table: counts survive restarts).
 * out sized KS_R_MAX, n shards, n_slots key slots. 0 or -EINVAL.
 */
int ks_shm_read_reasons(const struct ks_shm_header *h, struct ks_counter *out);
int ks_shm_read_shards(const struct ks_shm_header *h, struct ks_counter *out, __u32 n);
int ks_shm_read_keys(const struct ks_shm_header *h, struct ks_key_stats *out, __u32 n_slots);
/* Stable label of a reason counter ("steered", ...), the BPF backend's names; "?" if unknown. */
const char *ks_shm_reason_name(unsigned reason);

/*
 * The next-hop block for shard `sh` (vip, family) from the neighbour section:
 * the VIP's own neighbour entry, else the family's gateway's; MAC and MTU of
 * its port; the family's source address. ifindex = port + 1. Returns 1 when
 * resolved (nh_valid set), 0 when not (next-hop block zeroed).
 */
int ks_shm_resolve(const struct ks_shm_neigh *n, struct ks_shard *sh);

#endif /* KS_SHM_WRITER_H */
