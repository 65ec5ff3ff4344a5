/* SPDX-License-Identifier: BSD-3-Clause */
/* The counter-slot allocator and the route-table diff, without BPF. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "backend/route_diff.h"
#include "backend/slots.h"

static struct ks_route mk_route(__u16 shard)
{
	struct ks_route r;

	memset(&r, 0, sizeof(r));
	r.n_targets = 1;
	r.shadow_shard = KS_NO_SHARD;
	r.t[0].shard = shard;
	r.t[0].last = KS_WEIGHT_BUCKETS - 1;
	return r;
}

static void test_slots_lowest_first_and_reuse(void **state)
{
	struct ks_slots s;

	(void)state;
	assert_int_equal(ks_slots_init(&s, 5, false), 0);
	assert_int_equal(s.overflow, 4);
	assert_int_equal(ks_slots_alloc(&s), 0);
	assert_int_equal(ks_slots_alloc(&s), 1);
	assert_int_equal(ks_slots_alloc(&s), 2);
	assert_int_equal(ks_slots_alloc(&s), 3);
	/* Exhausted: everyone else shares the overflow slot. */
	assert_int_equal(ks_slots_alloc(&s), 4);
	assert_int_equal(ks_slots_alloc(&s), 4);
	assert_false(ks_slots_take_dirty(&s, 1));
	ks_slots_release(&s, 1);
	ks_slots_release(&s, 4); /* the overflow slot is never freed */
	assert_true(ks_slots_has_free(&s));
	assert_int_equal(ks_slots_alloc(&s), 1);
	assert_false(ks_slots_has_free(&s));
	/* A reused slot is dirty once: its old counts must be zeroed. */
	assert_true(ks_slots_take_dirty(&s, 1));
	assert_false(ks_slots_take_dirty(&s, 1));
	ks_slots_fini(&s);
}

static void test_slots_recovery(void **state)
{
	struct ks_slots s;

	(void)state;
	assert_int_equal(ks_slots_init(&s, 6, true), 0);
	ks_slots_reserve(&s, 0);
	ks_slots_reserve(&s, 2);
	ks_slots_reserve(&s, 5); /* overflow: ignored */
	ks_slots_rebuild(&s);
	assert_int_equal(s.n_free, 3);
	assert_int_equal(ks_slots_alloc(&s), 1);
	assert_true(ks_slots_take_dirty(&s, 1));
	assert_int_equal(ks_slots_alloc(&s), 3);
	assert_int_equal(ks_slots_alloc(&s), 4);
	assert_int_equal(ks_slots_alloc(&s), 5);
	ks_slots_fini(&s);
}

/* A table of keys 10, 20, ... with shard = index. */
static void mk_table(__u32 n, __u64 *keys, struct ks_route *routes, __u64 step)
{
	for (__u32 i = 0; i < n; i++) {
		keys[i] = (i + 1) * step;
		routes[i] = mk_route((__u16)i);
		routes[i].stats_slot = 1000 + i; /* compiler's numbering: must be ignored */
	}
}

static void test_diff_from_empty(void **state)
{
	struct ks_slots s;
	struct ks_route_table cur = {0}, spare = {0};
	struct ks_route_ops ops;
	__u64 keys[4];
	struct ks_route routes[4];

	(void)state;
	mk_table(4, keys, routes, 10);
	assert_int_equal(ks_slots_init(&s, 100, false), 0);
	assert_int_equal(ks_route_diff(&cur, &spare, keys, routes, 4, &s, &ops), 0);
	assert_int_equal(ops.n_upsert, 4);
	assert_int_equal(ops.n_delete, 0);
	assert_int_equal(ops.n_fresh, 4);
	assert_int_equal(cur.n, 4);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(cur.keys[i], keys[i]);
		assert_int_equal(cur.routes[i].stats_slot, i);
		assert_int_equal(ops.upsert_vals[i].stats_slot, i);
		assert_int_equal(cur.routes[i].t[0].shard, i);
	}
	ks_route_table_free(&cur);
	ks_route_table_free(&spare);
	ks_route_ops_free(&ops);
	ks_slots_fini(&s);
}

static void test_diff_one_key_change(void **state)
{
	enum { N = 1000 };
	struct ks_slots s;
	struct ks_route_table cur = {0}, spare = {0};
	struct ks_route_ops ops;
	__u64 *keys = calloc(N + 1, sizeof(*keys));
	struct ks_route *routes = calloc(N + 1, sizeof(*routes));
	__u64 *same_keys;

	(void)state;
	mk_table(N, keys, routes, 10);
	assert_int_equal(ks_slots_init(&s, 2 * N, false), 0);
	assert_int_equal(ks_route_diff(&cur, &spare, keys, routes, N, &s, &ops), 0);
	ks_route_ops_free(&ops);
	same_keys = cur.keys;

	/* Key 5000 changes shard; nothing else. */
	routes[499].t[0].shard = 7;
	routes[499].stats_slot = 0; /* renumbered by the compiler: not a change */
	routes[10].stats_slot = 3;
	assert_int_equal(ks_route_diff(&cur, &spare, keys, routes, N, &s, &ops), 0);
	assert_ptr_equal(cur.keys, same_keys); /* same keys: updated in place */
	assert_int_equal(ops.n_upsert, 1);
	assert_int_equal(ops.upsert_keys[0], 5000);
	assert_int_equal(ops.upsert_vals[0].t[0].shard, 7);
	assert_int_equal(ops.upsert_vals[0].stats_slot, 499); /* slot kept */
	assert_int_equal(ops.n_delete, 0);
	assert_int_equal(ops.n_fresh, 0);
	assert_int_equal(cur.routes[10].stats_slot, 10);
	assert_int_equal(cur.routes[499].t[0].shard, 7);
	ks_route_ops_free(&ops);

	/* Nothing changed: nothing to write. */
	assert_int_equal(ks_route_diff(&cur, &spare, keys, routes, N, &s, &ops), 0);
	assert_int_equal(ops.n_upsert + ops.n_delete, 0);
	ks_route_ops_free(&ops);

	/* Remove key 10, add key 5 (sorted first): new key gets a new slot. */
	keys[0] = 5;
	routes[0] = mk_route(3);
	assert_int_equal(ks_route_diff(&cur, &spare, keys, routes, N, &s, &ops), 0);
	assert_int_equal(ops.n_delete, 1);
	assert_int_equal(ops.delete_keys[0], 10);
	assert_int_equal(ops.delete_slots[0], 0);
	assert_int_equal(ops.n_upsert, 1);
	assert_int_equal(ops.upsert_keys[0], 5);
	assert_int_equal(ops.upsert_vals[0].stats_slot, N); /* slot 0 is not free yet */
	assert_int_equal(ops.n_fresh, 1);
	assert_int_equal(cur.keys[0], 5);
	assert_int_equal(cur.routes[499].stats_slot, 499);
	assert_ptr_equal(spare.keys, same_keys); /* the old table is the spare now */
	ks_route_ops_free(&ops);

	ks_route_table_free(&cur);
	ks_route_table_free(&spare);
	ks_slots_fini(&s);
	free(keys);
	free(routes);
}

static void test_diff_overflow_moves_out(void **state)
{
	struct ks_slots s;
	struct ks_route_table cur = {0}, spare = {0};
	struct ks_route_ops ops;
	__u64 keys[3];
	struct ks_route routes[3];

	(void)state;
	mk_table(3, keys, routes, 1);
	assert_int_equal(ks_slots_init(&s, 3, false), 0); /* slots 0,1 + overflow 2 */
	assert_int_equal(ks_route_diff(&cur, &spare, keys, routes, 3, &s, &ops), 0);
	assert_int_equal(ops.n_overflow, 1);
	assert_int_equal(cur.routes[2].stats_slot, 2);
	ks_route_ops_free(&ops);

	/* Same keys, no free slot: key 3 stays on the shared slot, nothing to write. */
	assert_int_equal(ks_route_diff(&cur, &spare, keys, routes, 3, &s, &ops), 0);
	assert_int_equal(ops.n_overflow, 1);
	assert_int_equal(ops.n_upsert, 0);
	ks_route_ops_free(&ops);

	/* Key 1 leaves and its slot is released (after a reclaim). */
	ks_slots_release(&s, cur.routes[0].stats_slot);
	assert_int_equal(ks_route_diff(&cur, &spare, keys + 1, routes + 1, 2, &s, &ops), 0);
	/* Key 3 leaves the shared slot for the freed one, though its route is unchanged. */
	assert_int_equal(ops.n_overflow, 0);
	assert_int_equal(ops.n_upsert, 1);
	assert_int_equal(ops.upsert_keys[0], 3);
	assert_int_equal(ops.upsert_vals[0].stats_slot, 0);
	assert_int_equal(ops.n_delete, 1);
	ks_route_ops_free(&ops);
	ks_route_table_free(&cur);
	ks_route_table_free(&spare);
	ks_slots_fini(&s);
}

static void test_diff_reuses_buffers(void **state)
{
	struct ks_slots s;
	struct ks_route_table cur = {0}, spare = {0};
	struct ks_route_ops ops;
	__u64 keys[8];
	struct ks_route routes[8];
	__u64 *kbuf;

	(void)state;
	mk_table(8, keys, routes, 1);
	assert_int_equal(ks_slots_init(&s, 100, false), 0);
	/* A big enough spare is filled in place... */
	spare.keys = kbuf = malloc(16 * sizeof(__u64));
	spare.routes = malloc(16 * sizeof(struct ks_route));
	spare.cap = 16;
	spare.n = 3;
	assert_int_equal(ks_route_diff(&cur, &spare, keys, routes, 8, &s, &ops), 0);
	assert_ptr_equal(cur.keys, kbuf);
	assert_int_equal(cur.n, 8);
	assert_int_equal(cur.cap, 16);
	ks_route_ops_free(&ops);
	/* ...a small one is replaced. */
	ks_route_table_free(&spare);
	spare.keys = malloc(4 * sizeof(__u64));
	spare.routes = malloc(4 * sizeof(struct ks_route));
	spare.cap = 4;
	assert_int_equal(ks_route_diff(&cur, &spare, keys, routes, 7, &s, &ops), 0);
	assert_int_equal(cur.cap, 7);
	assert_int_equal(cur.n, 7);
	assert_true(cur.keys[6] == keys[6]);
	assert_ptr_equal(spare.keys, kbuf);
	ks_route_ops_free(&ops);
	ks_route_table_free(&cur);
	ks_route_table_free(&spare);
	ks_slots_fini(&s);
}

static void test_diff_rejects_unsorted(void **state)
{
	struct ks_slots s;
	struct ks_route_table cur = {0}, spare = {0};
	struct ks_route_ops ops;
	__u64 keys[3] = {1, 3, 3};
	struct ks_route routes[3] = {mk_route(0), mk_route(0), mk_route(0)};

	(void)state;
	assert_int_equal(ks_slots_init(&s, 10, false), 0);
	assert_int_equal(ks_route_diff(&cur, &spare, keys, routes, 3, &s, &ops), -EINVAL);
	keys[2] = 2;
	assert_int_equal(ks_route_diff(&cur, &spare, keys, routes, 3, &s, &ops), -EINVAL);
	assert_int_equal(s.n_free, 9); /* nothing handed out */
	assert_int_equal(cur.n, 0);
	ks_route_table_free(&spare);
	ks_slots_fini(&s);
}

static void test_sort(void **state)
{
	struct ks_route_table t;

	(void)state;
	t.n = 5;
	t.keys = malloc(5 * sizeof(*t.keys));
	t.routes = malloc(5 * sizeof(*t.routes));
	for (int i = 0; i < 5; i++) {
		t.keys[i] = (__u64)(5 - i) << 40;
		t.routes[i] = mk_route((__u16)(5 - i));
	}
	ks_route_table_sort(&t);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(t.keys[i], (__u64)(i + 1) << 40);
		assert_int_equal(t.routes[i].t[0].shard, i + 1);
	}
	ks_route_table_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_slots_lowest_first_and_reuse),
	    cmocka_unit_test(test_slots_recovery),
	    cmocka_unit_test(test_diff_from_empty),
	    cmocka_unit_test(test_diff_one_key_change),
	    cmocka_unit_test(test_diff_overflow_moves_out),
	    cmocka_unit_test(test_diff_reuses_buffers),
	    cmocka_unit_test(test_diff_rejects_unsorted),
	    cmocka_unit_test(test_sort),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
