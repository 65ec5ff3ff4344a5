/* SPDX-License-Identifier: BSD-3-Clause */
#include "backend/route_diff.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int ks_route_same(const struct ks_route *a, const struct ks_route *b)
{
	struct ks_route x = *a, y = *b;

	x.stats_slot = 0;
	y.stats_slot = 0;
	/* Unused target entries are compared too: the compiler zeroes them. */
	return memcmp(&x, &y, sizeof(x)) == 0;
}

void ks_route_table_free(struct ks_route_table *t)
{
	free(t->keys);
	free(t->routes);
	memset(t, 0, sizeof(*t));
}

void ks_route_ops_free(struct ks_route_ops *ops)
{
	free(ops->upsert_keys);
	free(ops->upsert_vals);
	free(ops->delete_keys);
	free(ops->delete_slots);
	free(ops->fresh_slots);
	memset(ops, 0, sizeof(*ops));
}

static void push_upsert(struct ks_route_ops *ops, __u64 key, const struct ks_route *r)
{
	ops->upsert_keys[ops->n_upsert] = key;
	ops->upsert_vals[ops->n_upsert] = *r;
	ops->n_upsert++;
}

static __u32 new_slot(struct ks_slots *slots, struct ks_route_ops *ops)
{
	__u32 s = ks_slots_alloc(slots);

	if (s == slots->overflow)
		ops->n_overflow++;
	else
		ops->fresh_slots[ops->n_fresh++] = s;
	return s;
}

int ks_route_diff(const struct ks_route_table *prev, const __u64 *keys,
		  const struct ks_route *routes, __u32 n, struct ks_slots *slots,
		  struct ks_route_table *next, struct ks_route_ops *ops)
{
	__u32 i = 0, j = 0;

	memset(next, 0, sizeof(*next));
	memset(ops, 0, sizeof(*ops));
	for (__u32 k = 1; k < n; k++)
		if (keys[k - 1] >= keys[k])
			return -EINVAL;

	next->keys = malloc((n ? n : 1) * sizeof(*next->keys));
	next->routes = malloc((n ? n : 1) * sizeof(*next->routes));
	ops->upsert_keys = malloc((n ? n : 1) * sizeof(*ops->upsert_keys));
	ops->upsert_vals = malloc((n ? n : 1) * sizeof(*ops->upsert_vals));
	ops->fresh_slots = malloc((n ? n : 1) * sizeof(*ops->fresh_slots));
	ops->delete_keys = malloc((prev->n ? prev->n : 1) * sizeof(*ops->delete_keys));
	ops->delete_slots = malloc((prev->n ? prev->n : 1) * sizeof(*ops->delete_slots));
	if (!next->keys || !next->routes || !ops->upsert_keys || !ops->upsert_vals ||
	    !ops->fresh_slots || !ops->delete_keys || !ops->delete_slots) {
		ks_route_table_free(next);
		ks_route_ops_free(ops);
		return -ENOMEM;
	}
	next->n = n;
	memcpy(next->keys, keys, n * sizeof(*keys));

	while (i < prev->n || j < n) {
		if (j == n || (i < prev->n && prev->keys[i] < keys[j])) {
			ops->delete_keys[ops->n_delete] = prev->keys[i];
			ops->delete_slots[ops->n_delete] = prev->routes[i].stats_slot;
			ops->n_delete++;
			i++;
		} else if (i == prev->n || keys[j] < prev->keys[i]) {
			next->routes[j] = routes[j];
			next->routes[j].stats_slot = new_slot(slots, ops);
			push_upsert(ops, keys[j], &next->routes[j]);
			j++;
		} else {
			const struct ks_route *old = &prev->routes[i];
			__u32 slot = old->stats_slot;
			int moved = 0;

			/* A key on the shared slot takes its own as soon as one is free. */
			if (slot == slots->overflow) {
				if (ks_slots_has_free(slots)) {
					slot = new_slot(slots, ops);
					moved = 1;
				} else {
					ops->n_overflow++;
				}
			}
			next->routes[j] = routes[j];
			next->routes[j].stats_slot = slot;
			if (moved || !ks_route_same(old, &routes[j]))
				push_upsert(ops, keys[j], &next->routes[j]);
			i++;
			j++;
		}
	}
	return 0;
}

static int cmp_idx(const void *a, const void *b, void *arg)
{
	const __u64 *keys = arg;
	__u64 x = keys[*(const __u32 *)a], y = keys[*(const __u32 *)b];

	return x < y ? -1 : x > y;
}

void ks_route_table_sort(struct ks_route_table *t)
{
	__u32 *idx;
	__u64 *keys;
	struct ks_route *routes;

	if (t->n < 2)
		return;
	idx = malloc(t->n * sizeof(*idx));
	keys = malloc(t->n * sizeof(*keys));
	routes = malloc(t->n * sizeof(*routes));
	if (!idx || !keys || !routes) {
		/* Fall back to an in-place insertion sort: slow but never wrong. */
		free(idx);
		free(keys);
		free(routes);
		for (__u32 a = 1; a < t->n; a++)
			for (__u32 b = a; b > 0 && t->keys[b - 1] > t->keys[b]; b--) {
				__u64 k = t->keys[b];
				struct ks_route r = t->routes[b];
				t->keys[b] = t->keys[b - 1];
				t->routes[b] = t->routes[b - 1];
				t->keys[b - 1] = k;
				t->routes[b - 1] = r;
			}
		return;
	}
	for (__u32 a = 0; a < t->n; a++)
		idx[a] = a;
	qsort_r(idx, t->n, sizeof(*idx), cmp_idx, t->keys);
	for (__u32 a = 0; a < t->n; a++) {
		keys[a] = t->keys[idx[a]];
		routes[a] = t->routes[idx[a]];
	}
	free(idx);
	free(t->keys);
	free(t->routes);
	t->keys = keys;
	t->routes = routes;
}
