/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What keysteerd needs from a data plane, as a small table of operations.
 * dp_bpf.c adapts the BPF table backend and loader (ctl/backend) to it;
 * dp_memory.c keeps the active rule set in memory only (--no-dataplane: a dry
 * run that follows the feed and compiles, and the daemon's tests without XDP).
 */
#ifndef KS_DAEMON_DATAPLANE_H
#define KS_DAEMON_DATAPLANE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <keysteer/table.h>
#include "rules/compiled.h"

struct ks_dp_apply_stats {
	uint32_t gen;		  /* generation made active */
	uint64_t entries_written; /* map entries written or deleted, both passes */
	bool full;		  /* whole table written (no usable diff) */
};

/* What the active tables decide for one key. */
struct ks_dp_lookup {
	uint32_t gen;
	uint64_t version;
	uint8_t default_action;
	bool found;
	struct ks_route route;
	struct ks_shard targets[KS_MAX_TARGETS]; /* shard of route.t[i] */
	struct ks_shard shadow;			 /* when route.shadow_shard != KS_NO_SHARD */
};

struct ks_dataplane;

struct ks_dataplane_ops {
	const char *name;
	/* Write c into the inactive generation, flip once, then reconcile the old one. */
	int (*apply)(struct ks_dataplane *dp, const struct ks_compiled *c,
		     struct ks_dp_apply_stats *st, char *err, size_t errlen);
	/* Version active in the tables (adopted at start, or last applied); 0: none. */
	uint64_t (*active_version)(struct ks_dataplane *dp);
	int (*lookup)(struct ks_dataplane *dp, uint64_t key, struct ks_dp_lookup *out);
	/* Stable label of a reason counter ("steered", ...); NULL: none. */
	const char *(*reason_name)(unsigned reason);
	/* Counters summed over CPUs. out sized KS_R_MAX / n. -errno. */
	int (*read_reasons)(struct ks_dataplane *dp, struct ks_counter *out);
	int (*read_shards)(struct ks_dataplane *dp, struct ks_counter *out, uint32_t n);
	int (*read_keys)(struct ks_dataplane *dp, struct ks_key_stats *out, uint32_t n_slots);
	/* Remove the router from the interfaces and the pinned state. */
	int (*detach)(struct ks_dataplane *dp, char *err, size_t errlen);
	/* Slot of a key's counters in the active tables; -1 when unknown. */
	long (*key_slot)(struct ks_dataplane *dp, uint64_t key);
	/*
	 * The rollback floor kept with the tables (survives a daemon restart, as
	 * the tables do); both NULL when the data plane keeps none.
	 */
	uint64_t (*rollback_floor)(struct ks_dataplane *dp);
	int (*set_rollback_floor)(struct ks_dataplane *dp, uint64_t floor, char *err,
				  size_t errlen);
	/* After the attempt is acknowledged: bring the old generation up to date. */
	void (*reclaim)(struct ks_dataplane *dp);
	/* Release userspace resources; the data plane keeps forwarding. */
	void (*close)(struct ks_dataplane *dp);
};

struct ks_dataplane {
	const struct ks_dataplane_ops *ops;
	void *priv;
	bool detached;
};

struct ks_loop;

struct ks_dp_config {
	struct ks_loop *loop; /* for the next-hop resolver's netlink socket and timer */
	char *const *ifaces;
	int n_ifaces;
	const char *xdp_mode;
	const char *pin_root;
	const char *bpf_obj;	/* the router's BPF object file */
	uint32_t max_routes;	/* both generations */
	uint32_t flows_per_cpu; /* connection / NAT tables when created; 0: the object's */
	unsigned write_threads; /* threads writing a large route table (ks_map_write_par) */
	bool maps_only;		/* create/adopt the pinned maps, load and attach nothing */
};

/* The in-memory data plane (always available). */
struct ks_dataplane *ks_dp_memory_open(void);
/* The BPF data plane: load or re-adopt the router; NULL with err. */
struct ks_dataplane *ks_dp_bpf_open(const struct ks_dp_config *cfg, char *err, size_t errlen);
/* The shared table keysteer-dpdk reads (dp_shm.c); created when absent. */
struct ks_dataplane *ks_dp_shm_open(const char *path, uint32_t max_routes, char *err,
				    size_t errlen);

#endif
