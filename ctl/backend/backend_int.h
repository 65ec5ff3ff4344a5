/* SPDX-License-Identifier: BSD-3-Clause */
/* The table backend's private state, shared by its source files. */
#ifndef KS_BACKEND_INT_H
#define KS_BACKEND_INT_H

#include <stdarg.h>
#include "backend/backend.h"
#include "backend/listener_table.h"
#include "backend/route_diff.h"
#include "backend/slots.h"

/* Writes made to the inactive generation, replayed on the old one by reclaim. */
struct ks_pending {
	bool active;
	__u32 n_route_upsert, n_route_delete;
	__u64 *route_upsert_keys;
	struct ks_route *route_upsert_vals;
	__u64 *route_delete_keys;
	__u32 n_release;
	__u32 *release_slots; /* freed once the old generation drops their keys */
	/* ks_listeners buckets that differ from the old image: index in a generation, value. */
	__u32 n_listener_buckets;
	__u32 listener_bucket_ids[KS_LISTENER_BUCKETS];
	struct ks_listener_bucket listener_buckets[KS_LISTENER_BUCKETS];
	__u32 n_shard_ids;
	__u32 shard_ids[KS_MAX_SHARDS]; /* rewritten from the applied state */
	bool config;
};

struct ks_backend {
	struct ks_maps m;
	char pin_root[256];
	char err[512];
	__u16 gue_port;
	ks_backend_nh_fn nh_lookup;
	void *nh_ctx;
	unsigned write_threads;

	/* The applied rule set, as both generations hold it after a reclaim. */
	__u32 active;
	struct ks_config config;
	struct ks_route_table routes;
	struct ks_route_table spare; /* the table replaced last: buffers for the next diff */
	__u32 n_listeners;
	struct ks_listener_key listener_keys[KS_MAX_LISTENERS]; /* gen = 0; id = index */
	/* The placed listeners (seed: config.listener_seed), as read back or written. */
	struct ks_listener_bucket listener_image[KS_LISTENER_BUCKETS];
	__u32 n_shards;			       /* ids in use: [0, n_shards) */
	struct ks_shard shards[KS_MAX_SHARDS]; /* next-hop block included */

	struct ks_slots slots;
	struct ks_pending pending;

	/* Egress interfaces already put in ks_tx_ports (saves a syscall per shard). */
#define KS_TX_KNOWN 64
	__u32 n_tx_known;
	__u32 tx_known[KS_TX_KNOWN];
};

void ks_backend_seterr(struct ks_backend *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
__u64 ks_now_ns(void);
void ks_pending_clear(struct ks_pending *p);

/* Write the routes, listeners, shards and config of the pending set into generation gen. */
int ks_backend_write_gen(struct ks_backend *b, __u32 gen, __u32 *calls);
/* The one store that switches the fast path to generation gen. */
int ks_backend_flip(struct ks_backend *b, __u32 gen);

/* Rebuild the applied state from the maps; queue a repair of the other generation. */
int ks_backend_recover(struct ks_backend *b);

/* Wait for an RCU grace period: every XDP program run that began before has ended. */
int ks_rcu_grace(void);

#endif
