/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Lock-free reads of the shared table, for the fast path: all inline, no
 * system calls, no atomics but the acquire load of the active generation.
 *
 * A reader reads `active` once per burst (ks_shm_view_gen) and makes every
 * lookup of that burst in that generation; the writer never modifies the
 * generation readers may be using (shm_qsbr.h), so a lookup never sees a
 * half-written entry and a packet is decided by one rule version.
 */
#ifndef KS_SHM_READ_H
#define KS_SHM_READ_H

#include "shmtable/shm_layout.h"

/* Pointers into one mapping, resolved once. */
struct ks_shm_view {
	struct ks_shm_header *h;
	const struct ks_config *config[KS_GENERATIONS];
	const struct ks_shm_listener_ent *listeners[KS_GENERATIONS];
	const struct ks_shm_route_ent *routes[KS_GENERATIONS];
	const struct ks_shard *shards[KS_GENERATIONS];
	__u32 route_mask;
	__u32 listener_mask;
};

static inline void ks_shm_view_init(struct ks_shm_view *v, void *base)
{
	struct ks_shm_header *h = ks_shm_hdr(base);

	v->h = h;
	for (__u32 g = 0; g < KS_GENERATIONS; g++) {
		v->config[g] = ks_shm_config(h, g);
		v->listeners[g] = ks_shm_listeners(h, g);
		v->routes[g] = ks_shm_routes(h, g);
		v->shards[g] = ks_shm_shards(h, g);
	}
	v->route_mask = h->route_slots - 1;
	v->listener_mask = h->listener_slots - 1;
}

static inline __u32 ks_shm_view_gen(const struct ks_shm_view *v)
{
	return __atomic_load_n(&v->h->active.gen, __ATOMIC_ACQUIRE) & (KS_GENERATIONS - 1);
}

#define KS_SHM_NO_SLOT 0xffffffffu

/* Home slot of a key: where its probe starts (the same in both generations). */
static inline __u32 ks_shm_route_home_slot(const struct ks_shm_view *v, __u64 key)
{
	return (__u32)ks_shm_mix(key) & v->route_mask;
}

/* Home entry of a key, for prefetching before the lookup. */
static inline const struct ks_shm_route_ent *ks_shm_route_home(const struct ks_shm_view *v,
							       __u32 gen, __u64 key)
{
	return &v->routes[gen][ks_shm_route_home_slot(v, key)];
}

/*
 * Linear probing from slot i (a key's home slot): the slot holding key, or
 * KS_SHM_NO_SLOT. The writer keeps every table at most 3/4 full and deletes
 * by shifting entries back (no tombstones), so a probe ends at the key or at
 * the first empty slot. The bound only guards against a corrupt file.
 */
static inline __u32 ks_shm_route_probe(const struct ks_shm_view *v, __u32 gen, __u64 key, __u32 i)
{
	const struct ks_shm_route_ent *tab = v->routes[gen];
	__u32 mask = v->route_mask;

	i &= mask;
	for (__u32 n = 0; n <= mask; n++) {
		const struct ks_shm_route_ent *e = &tab[i];

		if (!e->used)
			return KS_SHM_NO_SLOT;
		if (e->key == key)
			return i;
		i = (i + 1) & mask;
	}
	return KS_SHM_NO_SLOT;
}

/*
 * The route of key in generation gen, given where it probably is (`hint`: a
 * slot an earlier probe found it in, in this or another generation, or
 * KS_SHM_NO_SLOT). A hint is only ever a shortcut: the slot is used when it
 * holds key now, in gen, else the lookup probes from the home slot. Keys are
 * unique in a generation, so a slot holding key is the answer.
 */
static inline const struct ks_route *ks_shm_route_lookup_hint(const struct ks_shm_view *v,
							      __u32 gen, __u64 key, __u32 hint)
{
	const struct ks_shm_route_ent *e;
	__u32 i;

	if (hint <= v->route_mask) {
		e = &v->routes[gen][hint];
		if (e->used && e->key == key)
			return &e->route;
	}
	i = ks_shm_route_probe(v, gen, key, ks_shm_route_home_slot(v, key));
	return i == KS_SHM_NO_SLOT ? 0 : &v->routes[gen][i].route;
}

static inline const struct ks_route *ks_shm_route_lookup(const struct ks_shm_view *v, __u32 gen,
							 __u64 key)
{
	return ks_shm_route_lookup_hint(v, gen, key, KS_SHM_NO_SLOT);
}

static inline int ks_shm_listener_same(const struct ks_listener_key *a,
				       const struct ks_listener_key *b)
{
	return a->addr.w[0] == b->addr.w[0] && a->addr.w[1] == b->addr.w[1] &&
	       a->addr.w[2] == b->addr.w[2] && a->addr.w[3] == b->addr.w[3] && a->port == b->port &&
	       a->proto == b->proto && a->family == b->family;
}

/* The listener entry for k (k->gen is ignored), or NULL. */
static inline const struct ks_shm_listener_ent *
ks_shm_listener_lookup(const struct ks_shm_view *v, __u32 gen, const struct ks_listener_key *k)
{
	const struct ks_shm_listener_ent *tab = v->listeners[gen];
	__u32 mask = v->listener_mask;
	__u32 i = (__u32)ks_shm_listener_hash(k) & mask;

	for (__u32 n = 0; n <= mask; n++) {
		const struct ks_shm_listener_ent *e = &tab[i];

		if (!e->used)
			return 0;
		if (ks_shm_listener_same(&e->key, k))
			return e;
		i = (i + 1) & mask;
	}
	return 0;
}

/* Shard `id` of generation `gen`, or NULL when out of range or unused. */
static inline const struct ks_shard *ks_shm_shard(const struct ks_shm_view *v, __u32 gen, __u32 id)
{
	const struct ks_shard *sh;

	if (id >= KS_MAX_SHARDS)
		return 0;
	sh = &v->shards[gen][id];
	return sh->family ? sh : 0;
}

#endif /* KS_SHM_READ_H */
