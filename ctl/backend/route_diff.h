/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The difference between two route tables, both sorted by key: which keys to
 * write and which to delete so that a generation holding `prev` holds `next`.
 * Pure computation (no BPF), so it is unit-tested on its own. It also assigns
 * counter slots: a key present in both keeps its slot; a new key gets a free
 * one; a removed key's slot is released by the caller once no generation
 * refers to it any more.
 */
#ifndef KS_BACKEND_ROUTE_DIFF_H
#define KS_BACKEND_ROUTE_DIFF_H

#include <linux/types.h>
#include <keysteer/table.h>
#include "backend/slots.h"

/* Routes as a backend keeps them: sorted by key, slots assigned. */
struct ks_route_table {
	__u32 n;
	__u32 cap; /* entries the buffers hold */
	__u64 *keys;
	struct ks_route *routes;
};

struct ks_route_ops {
	__u32 n_upsert;
	__u64 *upsert_keys;
	struct ks_route *upsert_vals; /* with their slots */
	__u32 n_delete;
	__u64 *delete_keys;
	__u32 *delete_slots; /* slots to release after the last generation drops them */
	__u32 n_fresh;
	__u32 *fresh_slots; /* slots newly handed out (zero them if dirty) */
	__u32 n_overflow;   /* routes of the new table that share the overflow slot */
};

/*
 * Make *cur hold keys/routes (sorted ascending, unique; their stats_slot is
 * ignored) with slots assigned, and fill ops with what turns the old *cur
 * into the new one. With the same keys as before, *cur is updated in place;
 * otherwise the new table is built in *spare's buffers (reallocated when too
 * small; *spare may be zeroed) and the two are swapped, leaving the old
 * table in *spare. 0; -EINVAL when keys are not sorted and unique, -ENOMEM
 * (*cur unchanged in both cases).
 */
int ks_route_diff(struct ks_route_table *cur, struct ks_route_table *spare, const __u64 *keys,
		  const struct ks_route *routes, __u32 n, struct ks_slots *slots,
		  struct ks_route_ops *ops);

/* Two routes steer alike (every field but stats_slot). */
int ks_route_same(const struct ks_route *a, const struct ks_route *b);

void ks_route_table_free(struct ks_route_table *t);
void ks_route_ops_free(struct ks_route_ops *ops);

/* Sort a table by key (recovery reads maps in hash order). */
void ks_route_table_sort(struct ks_route_table *t);

#endif
