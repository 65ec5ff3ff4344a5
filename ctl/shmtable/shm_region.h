/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The shared table's file: sizing, creation and mapping. A new file is built
 * under a temporary name and renamed into place, so a process that opens the
 * path sees either no table or a complete, empty one (both generations
 * version 0, no listeners: every packet passes untouched).
 */
#ifndef KS_SHM_REGION_H
#define KS_SHM_REGION_H

#include <stddef.h>
#include "shmtable/shm_layout.h"

#define KS_SHM_DEFAULT_DIR	   "/run/keysteer"
#define KS_SHM_DEFAULT_ROUTES	   262144 /* per generation */
#define KS_SHM_DEFAULT_READERS	   8
#define KS_SHM_DEFAULT_STATS_SLOTS 0 /* 0: max_routes + 1 */

struct ks_shm_geometry {
	__u32 max_routes;  /* per generation; route slots are the next power of two >= 4/3 of it */
	__u32 stats_slots; /* key counter slots; 0: max_routes + 1 */
	__u32 max_readers; /* fast-path threads, all processes together */
};

struct ks_shm_map {
	void *base;
	size_t size;
	int fd;
	struct ks_shm_header *h;
};

/* Fill geometry defaults and check limits: 0 or -EINVAL. */
int ks_shm_geometry_fix(struct ks_shm_geometry *g);

/* Bytes of a file of this geometry (rounded up to 2 MiB for hugetlbfs). */
size_t ks_shm_size(const struct ks_shm_geometry *g);

/*
 * Map the table at path. When it does not exist and g is not NULL, create it
 * with geometry g first (the directory too). An existing file is used as it
 * is, whatever g says (its own geometry wins): a restart finds its tables.
 * 0 or -errno with a message in err.
 */
int ks_shm_map_open(const char *path, const struct ks_shm_geometry *g, struct ks_shm_map *m,
		    char *err, size_t errlen);
void ks_shm_unmap(struct ks_shm_map *m);

/* Remove the file (for tests and `--table-remove`). 0 or -errno. */
int ks_shm_remove(const char *path);

#endif /* KS_SHM_REGION_H */
