/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Choosing a route's target. The selection hash depends on the route's
 * stickiness (keysteer/hash.h); its low 16 bits are the weight bucket and its
 * high 16 bits the shadow sample, so a sticky flow or entity is either always
 * or never shadowed, and the sample is independent of the bucket.
 *
 * Targets own consecutive bucket ranges (keysteer/table.h): target i owns
 * (t[i-1].last, t[i].last]. The chosen target is the first whose `last` is at
 * or above the bucket, found by counting the targets below it: one
 * branch-free compare per target, no loop-carried branch on packet data.
 */
#ifndef KEYSTEER_SELECT_H
#define KEYSTEER_SELECT_H

#include <keysteer/compat.h>
#include <keysteer/proto.h>
#include <keysteer/hash.h>
#include <keysteer/table.h>
#include <keysteer/wire.h>

struct ks_choice {
	__u32 hash;  /* selection hash */
	__u16 shard; /* shard id in the route's generation */
	__u8 target; /* index into route->t */
	__u8 shadow; /* 1: this packet is sampled for a shadow copy */
};

/* Which hash picks the target: entity, per-packet, or the flow hash. */
KS_ALWAYS_INLINE __u32 ks_select_hash(const struct ks_route *r, const struct ks_header *h,
				      __u32 flow_hash, const struct ks_pkt *p)
{
	if ((h->flags & KS_F_ENTITY) || r->sticky == KS_STICKY_ENTITY)
		return ks_entity_hash(h->entity);
	if (r->sticky == KS_STICKY_NONE)
		return ks_packet_hash(p, flow_hash);
	return flow_hash;
}

/*
 * Index of the target owning `bucket`: the number of targets before the last
 * one whose range ends below it. Always < n_targets (and < KS_MAX_TARGETS),
 * whatever the table holds.
 */
KS_ALWAYS_INLINE __u32 ks_target_index(const struct ks_route *r, __u32 bucket)
{
	__u32 n = r->n_targets, idx = 0;

	for (__u32 i = 0; i < KS_MAX_TARGETS - 1; i++) {
		if (i + 1 >= n)
			break;
		/* 1 when t[i].last < bucket: both are 16-bit, the difference wraps. */
		idx += (__u32)(((__u64)r->t[i].last - bucket) >> 63);
	}
	return idx;
}

/* The shadow sample: the high half of the selection hash against the threshold. */
KS_ALWAYS_INLINE int ks_shadow_sampled(const struct ks_route *r, __u32 hash)
{
	return r->shadow_shard != KS_NO_SHARD && (hash >> 16) < r->shadow_thresh;
}

KS_ALWAYS_INLINE void ks_choose(const struct ks_route *r, const struct ks_header *h,
				__u32 flow_hash, const struct ks_pkt *p, struct ks_choice *c)
{
	__u32 idx;

	c->hash = ks_select_hash(r, h, flow_hash, p);
	idx = ks_target_index(r, c->hash & 0xffff);
	c->target = (__u8)idx;
	c->shard = r->t[idx & (KS_MAX_TARGETS - 1)].shard;
	c->shadow = (__u8)ks_shadow_sampled(r, c->hash);
}

#endif /* KEYSTEER_SELECT_H */
