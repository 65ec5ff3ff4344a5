/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The router's pinned maps (bpf/ks_maps.h), opened by path under a pin root.
 * Every instance (one per network namespace in tests) has its own root.
 */
#ifndef KS_BACKEND_MAPS_H
#define KS_BACKEND_MAPS_H

#include <stddef.h>
#include <linux/types.h>

#define KS_DEFAULT_PIN_ROOT "/sys/fs/bpf/keysteer"

struct ks_maps {
	int active;
	int config;
	int listeners;
	int routes[2]; /* ks_routes0, ks_routes1: one per generation */
	int shards;
	int reason_stats;
	int shard_stats;
	int key_stats;
	int tx_ports;
	__u32 routes_max;  /* route max_entries of both generations together */
	__u32 stats_slots; /* ks_key_stats max_entries */
	int ncpus;	   /* possible CPUs: per-CPU values come in this many copies */
};

/*
 * Open every map under pin_root and check its type and key/value sizes
 * against include/keysteer/table.h, so a stale pin from an older ABI is
 * refused rather than misread. 0, or -errno with a message in msg.
 */
int ks_maps_open(struct ks_maps *m, const char *pin_root, char *msg, size_t msglen);
void ks_maps_close(struct ks_maps *m);

/* Does pin_root hold the router's maps (ks_active is pinned there)? */
int ks_maps_present(const char *pin_root);

/* "root/name" into buf; -ENAMETOOLONG when it does not fit. */
int ks_pin_path(char *buf, size_t len, const char *root, const char *name);

/*
 * The map pinned as root/name and its info: an fd (the caller closes it), or
 * -errno (-ENOENT: nothing pinned there).
 */
struct bpf_map_info;
int ks_pin_map_open(const char *root, const char *name, struct bpf_map_info *info);

/* mkdir -p for a pin root on bpffs. 0 or -errno. */
int ks_pin_mkdir(const char *root);

#endif
