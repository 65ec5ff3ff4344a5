/* SPDX-License-Identifier: BSD-3-Clause */
#include "shmtable/shm_slots.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int ks_shm_slots_init(struct ks_shm_slots *s, __u32 total, bool dirty)
{
	memset(s, 0, sizeof(*s));
	if (total < 2)
		return -EINVAL;
	s->total = total;
	s->overflow = total - 1;
	s->stack = malloc(sizeof(*s->stack) * total);
	s->used = calloc(total, 1);
	s->dirty = malloc(total);
	if (!s->stack || !s->used || !s->dirty) {
		ks_shm_slots_fini(s);
		return -ENOMEM;
	}
	memset(s->dirty, dirty ? 1 : 0, total);
	ks_shm_slots_rebuild(s);
	return 0;
}

void ks_shm_slots_fini(struct ks_shm_slots *s)
{
	free(s->stack);
	free(s->used);
	free(s->dirty);
	memset(s, 0, sizeof(*s));
}

void ks_shm_slots_hold(struct ks_shm_slots *s, __u32 slot)
{
	if (slot < s->overflow)
		s->used[slot] = 1;
}

void ks_shm_slots_rebuild(struct ks_shm_slots *s)
{
	s->n_free = 0;
	/* Highest first, so that the lowest ends on top. */
	for (__u32 i = s->overflow; i-- > 0;)
		if (!s->used[i])
			s->stack[s->n_free++] = i;
}

__u32 ks_shm_slots_alloc(struct ks_shm_slots *s, bool *dirty)
{
	__u32 slot;

	if (!s->n_free) {
		*dirty = false; /* the shared slot is never zeroed */
		return s->overflow;
	}
	slot = s->stack[--s->n_free];
	s->used[slot] = 1;
	*dirty = s->dirty[slot];
	s->dirty[slot] = 0;
	return slot;
}

void ks_shm_slots_release(struct ks_shm_slots *s, __u32 slot)
{
	if (slot >= s->overflow || !s->used[slot])
		return;
	s->used[slot] = 0;
	s->dirty[slot] = 1;
	s->stack[s->n_free++] = slot;
}
