/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Writer-side edits of one generation's hash tables (routes, listeners).
 * Only ever called on a generation no reader uses, so plain stores suffice.
 */
#ifndef KS_SHM_HASH_H
#define KS_SHM_HASH_H

#include "shmtable/shm_layout.h"

/* Insert or replace. 0, or -E2BIG when the table is full. */
int ks_shm_route_put(struct ks_shm_route_ent *tab, __u32 mask, __u64 key, const struct ks_route *r);
/* Delete with backward shift (no tombstones). 0 or -ENOENT. */
int ks_shm_route_del(struct ks_shm_route_ent *tab, __u32 mask, __u64 key);

/* Replace the listeners of a generation (key->gen is ignored). 0 or -E2BIG. */
int ks_shm_listeners_write(struct ks_shm_listener_ent *tab, __u32 mask,
			   const struct ks_listener_key *keys, __u32 n);

#endif /* KS_SHM_HASH_H */
