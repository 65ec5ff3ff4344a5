/* SPDX-License-Identifier: BSD-3-Clause */
#include "shmtable/shm_hash.h"

#include <errno.h>
#include <string.h>

int ks_shm_route_put(struct ks_shm_route_ent *tab, __u32 mask, __u64 key, const struct ks_route *r)
{
	__u32 i = (__u32)ks_shm_mix(key) & mask;

	for (__u32 n = 0; n <= mask; n++) {
		struct ks_shm_route_ent *e = &tab[i];

		if (!e->used || e->key == key) {
			e->key = key;
			e->route = *r;
			e->pad[0] = e->pad[1] = 0;
			e->used = 1;
			return 0;
		}
		i = (i + 1) & mask;
	}
	return -E2BIG;
}

/* Is home slot k outside the cyclic range (hole, j]? Then j's entry may move to hole. */
static int may_move(__u32 hole, __u32 j, __u32 k)
{
	if (hole <= j)
		return k <= hole || k > j;
	return k <= hole && k > j;
}

int ks_shm_route_del(struct ks_shm_route_ent *tab, __u32 mask, __u64 key)
{
	__u32 i = (__u32)ks_shm_mix(key) & mask, hole, j;

	for (__u32 n = 0;; n++) {
		if (n > mask || !tab[i].used)
			return -ENOENT;
		if (tab[i].key == key)
			break;
		i = (i + 1) & mask;
	}
	hole = i;
	j = i;
	for (__u32 n = 0; n <= mask; n++) {
		__u32 k;

		j = (j + 1) & mask;
		if (!tab[j].used)
			break;
		k = (__u32)ks_shm_mix(tab[j].key) & mask;
		if (may_move(hole, j, k)) {
			tab[hole] = tab[j];
			hole = j;
		}
	}
	memset(&tab[hole], 0, sizeof(tab[hole]));
	return 0;
}

int ks_shm_listeners_write(struct ks_shm_listener_ent *tab, __u32 mask,
			   const struct ks_listener_key *keys, __u32 n)
{
	memset(tab, 0, ((size_t)mask + 1) * sizeof(*tab));
	if (n > (mask + 1) / 2)
		return -E2BIG;
	for (__u32 id = 0; id < n; id++) {
		struct ks_listener_key k = keys[id];
		__u32 i;

		k.gen = 0;
		i = (__u32)ks_shm_listener_hash(&k) & mask;
		while (tab[i].used) {
			if (tab[i].key.addr.w[0] == k.addr.w[0] &&
			    tab[i].key.addr.w[1] == k.addr.w[1] &&
			    tab[i].key.addr.w[2] == k.addr.w[2] &&
			    tab[i].key.addr.w[3] == k.addr.w[3] && tab[i].key.port == k.port &&
			    tab[i].key.proto == k.proto && tab[i].key.family == k.family)
				break; /* a duplicate keeps the first id */
			i = (i + 1) & mask;
		}
		if (tab[i].used)
			continue;
		tab[i].key = k;
		tab[i].id = id;
		tab[i].used = 1;
	}
	return 0;
}
