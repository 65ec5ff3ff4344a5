/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-key counter slots (indexes into ks_key_stats). A key keeps its slot for
 * as long as it is in the rule set, so its counters survive new versions. A
 * slot freed when its key goes is reused later, after its counters are zeroed.
 * The last slot is shared: routes that find no free slot count there.
 */
#ifndef KS_BACKEND_SLOTS_H
#define KS_BACKEND_SLOTS_H

#include <stdbool.h>
#include <linux/types.h>

struct ks_slots {
	__u32 total;	/* ks_key_stats max_entries */
	__u32 overflow; /* total - 1: the shared slot */
	__u32 *stack;	/* free slots, lowest on top */
	__u32 n_free;
	__u8 *used;  /* one byte per slot: 1 when a key holds it */
	__u8 *dirty; /* one byte per slot: counters may be nonzero */
};

/* Every slot free; all dirty or all clean. 0 or -ENOMEM. */
int ks_slots_init(struct ks_slots *s, __u32 total, bool dirty);
void ks_slots_fini(struct ks_slots *s);

/* Recovery: mark slot held (before ks_slots_rebuild). */
void ks_slots_reserve(struct ks_slots *s, __u32 slot);
/* Rebuild the free stack from the held marks. */
void ks_slots_rebuild(struct ks_slots *s);

/* A free slot (lowest first), or s->overflow when none is left. */
__u32 ks_slots_alloc(struct ks_slots *s);
/* Give a slot back; its counters count as dirty until zeroed. */
void ks_slots_release(struct ks_slots *s, __u32 slot);
/* Was the slot dirty? Clears the mark: the caller zeroes the counters. */
bool ks_slots_take_dirty(struct ks_slots *s, __u32 slot);

static inline bool ks_slots_has_free(const struct ks_slots *s)
{
	return s->n_free > 0;
}

#endif
