/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Key counter slots of the shared table. A key keeps its slot while it stays
 * in the rule set, so its counters survive new versions; a slot freed when
 * its key goes (after the reclaim, when no generation names it) is zeroed
 * before it is handed out again. The last slot is shared by the routes that
 * find none free.
 */
#ifndef KS_SHM_SLOTS_H
#define KS_SHM_SLOTS_H

#include <stdbool.h>
#include <linux/types.h>

struct ks_shm_slots {
	__u32 total;
	__u32 overflow; /* total - 1 */
	__u32 *stack;	/* free slots: lowest on top at first, then last freed */
	__u32 n_free;
	__u8 *used;
	__u8 *dirty; /* counters may be nonzero */
};

/* All free; `dirty`: whether their counters may hold old counts. 0 or -ENOMEM. */
int ks_shm_slots_init(struct ks_shm_slots *s, __u32 total, bool dirty);
void ks_shm_slots_fini(struct ks_shm_slots *s);
/* Mark held, then rebuild the free stack (recovery from the tables). */
void ks_shm_slots_hold(struct ks_shm_slots *s, __u32 slot);
void ks_shm_slots_rebuild(struct ks_shm_slots *s);
/* Lowest free slot, or the overflow slot. *dirty says whether to zero it. */
__u32 ks_shm_slots_alloc(struct ks_shm_slots *s, bool *dirty);
void ks_shm_slots_release(struct ks_shm_slots *s, __u32 slot);

#endif /* KS_SHM_SLOTS_H */
