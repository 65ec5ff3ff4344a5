/* SPDX-License-Identifier: BSD-3-Clause */
#include "backend/route_diff.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* Everything after stats_slot, which is the first field. */
#define ROUTE_BODY offsetof(struct ks_route, n_targets)
KS_STATIC_ASSERT(offsetof(struct ks_route, stats_slot) == 0 && ROUTE_BODY == 4,
		 "stats_slot leads struct ks_route");

static inline int body_differs(const struct ks_route *a, const struct ks_route *b);

int ks_route_same(const struct ks_route *a, const struct ks_route *b)
{
	/* Unused target entries are compared too: the compiler zeroes them. */
	return !body_differs(a, b);
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

/* Route bodies compared as words: may_alias, so no type-punning surprises. */
typedef __u32 __attribute__((may_alias)) route_word;
#define ROUTE_WORDS (sizeof(struct ks_route) / sizeof(__u32))
KS_STATIC_ASSERT(sizeof(struct ks_route) % sizeof(__u32) == 0, "route is whole words");

static inline int body_differs(const struct ks_route *a, const struct ks_route *b)
{
	const route_word *x = (const route_word *)a, *y = (const route_word *)b;
	__u32 d = 0;

	for (size_t k = ROUTE_BODY / sizeof(__u32); k < ROUTE_WORDS; k++)
		d |= x[k] ^ y[k];
	return d != 0;
}

static int alloc_ops(struct ks_route_ops *ops, __u32 n, __u32 n_prev)
{
	ops->upsert_keys = malloc((n ? n : 1) * sizeof(*ops->upsert_keys));
	ops->upsert_vals = malloc((n ? n : 1) * sizeof(*ops->upsert_vals));
	ops->fresh_slots = malloc((n ? n : 1) * sizeof(*ops->fresh_slots));
	ops->delete_keys = malloc((n_prev ? n_prev : 1) * sizeof(*ops->delete_keys));
	ops->delete_slots = malloc((n_prev ? n_prev : 1) * sizeof(*ops->delete_slots));
	if (!ops->upsert_keys || !ops->upsert_vals || !ops->fresh_slots || !ops->delete_keys ||
	    !ops->delete_slots) {
		ks_route_ops_free(ops);
		return -ENOMEM;
	}
	return 0;
}

/* The slot a key present in both tables keeps (or leaves the shared one for). */
static __u32 kept_slot(__u32 slot, struct ks_slots *slots, struct ks_route_ops *ops, int *moved)
{
	*moved = 0;
	if (slot != slots->overflow)
		return slot;
	/* A key on the shared slot takes its own as soon as one is free. */
	if (ks_slots_has_free(slots)) {
		*moved = 1;
		return new_slot(slots, ops);
	}
	ops->n_overflow++;
	return slot;
}

/* Same keys as before: compare and update the table where it stands. */
static void diff_in_place(struct ks_route_table *cur, const struct ks_route *routes,
			  struct ks_slots *slots, struct ks_route_ops *ops)
{
	for (__u32 i = 0; i < cur->n; i++) {
		struct ks_route *old = &cur->routes[i];
		int moved;
		__u32 slot;

		if (!body_differs(old, &routes[i]) && old->stats_slot != slots->overflow)
			continue;
		slot = kept_slot(old->stats_slot, slots, ops, &moved);
		if (!moved && !body_differs(old, &routes[i]))
			continue;
		*old = routes[i];
		old->stats_slot = slot;
		push_upsert(ops, cur->keys[i], old);
	}
}

/* Keys come and go: merge both tables into next. */
static void diff_merge(const struct ks_route_table *prev, const __u64 *keys,
		       const struct ks_route *routes, __u32 n, struct ks_slots *slots,
		       struct ks_route_table *next, struct ks_route_ops *ops)
{
	__u32 i = 0, j = 0;

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
			int moved;
			__u32 slot = kept_slot(old->stats_slot, slots, ops, &moved);

			next->routes[j] = routes[j];
			next->routes[j].stats_slot = slot;
			if (moved || body_differs(old, &routes[j]))
				push_upsert(ops, keys[j], &next->routes[j]);
			i++;
			j++;
		}
	}
}

int ks_route_diff(struct ks_route_table *cur, struct ks_route_table *spare, const __u64 *keys,
		  const struct ks_route *routes, __u32 n, struct ks_slots *slots,
		  struct ks_route_ops *ops)
{
	struct ks_route_table tmp;
	int err;

	memset(ops, 0, sizeof(*ops));
	/*
	 * The common small change keeps every key: then only the routes are
	 * compared and nothing is copied (a 100k-key table is 5 MB to move).
	 */
	if (n == cur->n && (n == 0 || memcmp(cur->keys, keys, n * sizeof(*keys)) == 0)) {
		err = alloc_ops(ops, n, 0);
		if (!err)
			diff_in_place(cur, routes, slots, ops);
		return err;
	}
	for (__u32 k = 1; k < n; k++)
		if (keys[k - 1] >= keys[k])
			return -EINVAL;
	/* The new table goes into the spare buffers (the table replaced last time). */
	if (spare->cap < n || !spare->keys || !spare->routes) {
		ks_route_table_free(spare);
		spare->keys = malloc((n ? n : 1) * sizeof(*spare->keys));
		spare->routes = malloc((n ? n : 1) * sizeof(*spare->routes));
		spare->cap = n;
		if (!spare->keys || !spare->routes) {
			ks_route_table_free(spare);
			return -ENOMEM;
		}
	}
	err = alloc_ops(ops, n, cur->n);
	if (err)
		return err;
	diff_merge(cur, keys, routes, n, slots, spare, ops);
	tmp = *cur;
	*cur = *spare;
	*spare = tmp;
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
	t->cap = t->n;
}
