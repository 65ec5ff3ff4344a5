/* SPDX-License-Identifier: BSD-3-Clause */
#include "backend/slots.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int ks_slots_init(struct ks_slots *s, __u32 total, bool dirty)
{
	memset(s, 0, sizeof(*s));
	if (total == 0)
		return -EINVAL;
	s->total = total;
	s->overflow = total - 1;
	s->stack = calloc(total, sizeof(*s->stack));
	s->used = calloc(total, 1);
	s->dirty = malloc(total);
	if (!s->stack || !s->used || !s->dirty) {
		ks_slots_fini(s);
		return -ENOMEM;
	}
	memset(s->dirty, dirty ? 1 : 0, total);
	ks_slots_rebuild(s);
	return 0;
}

void ks_slots_fini(struct ks_slots *s)
{
	free(s->stack);
	free(s->used);
	free(s->dirty);
	memset(s, 0, sizeof(*s));
}

void ks_slots_reserve(struct ks_slots *s, __u32 slot)
{
	if (slot < s->overflow)
		s->used[slot] = 1;
}

void ks_slots_rebuild(struct ks_slots *s)
{
	s->n_free = 0;
	/* Pushed highest first so that the lowest slot is handed out first. */
	for (__u32 i = s->overflow; i-- > 0;)
		if (!s->used[i])
			s->stack[s->n_free++] = i;
}

__u32 ks_slots_alloc(struct ks_slots *s)
{
	__u32 slot;

	if (s->n_free == 0)
		return s->overflow;
	slot = s->stack[--s->n_free];
	s->used[slot] = 1;
	return slot;
}

void ks_slots_release(struct ks_slots *s, __u32 slot)
{
	if (slot >= s->overflow || !s->used[slot])
		return;
	s->used[slot] = 0;
	s->dirty[slot] = 1;
	s->stack[s->n_free++] = slot;
}

bool ks_slots_take_dirty(struct ks_slots *s, __u32 slot)
{
	bool d;

	if (slot >= s->total)
		return false;
	d = s->dirty[slot];
	s->dirty[slot] = 0;
	return d;
}
