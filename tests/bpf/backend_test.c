/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The BPF table backend against real pinned maps, observed through the
 * stand-in router (tests/bpf/backend_maps.bpf.c) run with BPF_PROG_TEST_RUN.
 * The process runs in its own network and mount namespaces with a private
 * bpffs, so nothing it pins outlives it.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/if_ether.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "backend/backend.h"
#include "backend/counters.h"
#include "backend/listener_table.h"
#include "backend/loader.h"
#include "backend/map_io.h"
#include "backend/xdp_attach.h"
#include "backend_util.h"
#include "../net/nsutil.h"

#ifndef KS_BUILD
#define KS_BUILD "build"
#endif
#define TEST_OBJ KS_BUILD "/tests/bpf/backend_maps.bpf.o"
#define ROOT	 "/sys/fs/bpf/ks-backend-test"
#define CAPACITY 131072

struct fixture {
	struct bpf_object *obj;
	int prog_fd;
	struct ks_backend *b;
	struct ks_maps m;
};

static int open_prog(struct fixture *f)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = ROOT);
	struct bpf_program *p;

	f->obj = bpf_object__open_file(TEST_OBJ, &oo);
	if (!f->obj)
		return -errno;
	if (ks_loader_adopt_pinned(f->obj) || bpf_object__load(f->obj))
		return -EINVAL;
	p = bpf_object__find_program_by_name(f->obj, "ks_backend_test");
	f->prog_fd = p ? bpf_program__fd(p) : -1;
	return f->prog_fd < 0 ? -ENOENT : 0;
}

static unsigned write_threads; /* of the backend that setup_sized opens */

static int setup_sized(void **state, __u32 capacity, __u32 slots, ks_backend_nh_fn nh, void *ctx)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct ks_loader_opts lo = {.pin_root = ROOT,
				    .obj_path = TEST_OBJ,
				    .route_capacity = capacity,
				    .stats_slots = slots};
	struct ks_backend_opts bo = {
	    .pin_root = ROOT, .nh_lookup = nh, .nh_ctx = ctx, .write_threads = write_threads};
	char msg[512] = "";

	if (!f)
		return -1;
	if (ks_router_create_maps(&lo, msg, sizeof(msg))) {
		fprintf(stderr, "create maps: %s\n", msg);
		return -1;
	}
	if (ks_maps_open(&f->m, ROOT, msg, sizeof(msg))) {
		fprintf(stderr, "open maps: %s\n", msg);
		return -1;
	}
	if (open_prog(f)) {
		fprintf(stderr, "loading %s failed\n", TEST_OBJ);
		return -1;
	}
	if (ks_backend_open(&f->b, &bo, msg, sizeof(msg))) {
		fprintf(stderr, "backend: %s\n", msg);
		return -1;
	}
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_sized(state, CAPACITY, 0, NULL, NULL);
}

static int setup_two_writers(void **state)
{
	write_threads = 2;
	return setup_sized(state, CAPACITY, 0, NULL, NULL);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f) {
		ks_backend_close(f->b);
		bpf_object__close(f->obj);
		ks_maps_close(&f->m);
		free(f);
	}
	write_threads = 0;
	ks_pin_purge(ROOT);
	return 0;
}

/* One packet through the stand-in: its verdict, chosen shard and version seen. */
struct verdict {
	int ret;
	__u16 shard;
	__u64 version;
	__u8 dmac[6];
};

static struct verdict run(int prog_fd, __u64 key)
{
	__u8 in[30], out[64];
	struct verdict v = {.ret = -1};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = sizeof(in),
		    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);

	memset(in, 0, sizeof(in));
	in[12] = 0x88;
	in[13] = 0xb5; /* local experimental EtherType */
	memcpy(in + 14, &key, 8);
	if (bpf_prog_test_run_opts(prog_fd, &o))
		return v;
	v.ret = (int)o.retval;
	v.shard = (__u16)(out[6] << 8 | out[7]);
	memcpy(&v.version, out + 22, 8);
	memcpy(v.dmac, out, 6);
	return v;
}

/* Routes of one generation, as a sorted (key, route) list. */
struct gen_routes {
	__u32 gen;
	__u32 n, cap;
	__u64 *keys;
	struct ks_route *routes;
};

static int collect(const void *key, const void *val, void *arg)
{
	struct gen_routes *g = arg;

	if (g->n == g->cap) {
		g->cap = g->cap ? 2 * g->cap : 1024;
		g->keys = realloc(g->keys, g->cap * sizeof(*g->keys));
		g->routes = realloc(g->routes, g->cap * sizeof(*g->routes));
	}
	memcpy(&g->keys[g->n], key, sizeof(__u64));
	g->routes[g->n++] = *(const struct ks_route *)val;
	return 0;
}

struct key_route {
	__u64 key;
	struct ks_route route;
};

static int by_key(const void *a, const void *b)
{
	__u64 x = ((const struct key_route *)a)->key, y = ((const struct key_route *)b)->key;

	return x < y ? -1 : x > y;
}

/* Generation gen's routes, sorted by key like a compiled table's. */
static struct gen_routes read_gen(const struct fixture *f, __u32 gen)
{
	struct gen_routes g = {.gen = gen};
	struct key_route *kr;

	assert_int_equal(
	    ks_map_walk(f->m.routes[gen], sizeof(__u64), sizeof(struct ks_route), collect, &g), 0);
	kr = calloc(g.n ? g.n : 1, sizeof(*kr));
	assert_non_null(kr);
	for (__u32 i = 0; i < g.n; i++) {
		kr[i].key = g.keys[i];
		kr[i].route = g.routes[i];
	}
	qsort(kr, g.n, sizeof(*kr), by_key);
	for (__u32 i = 0; i < g.n; i++) {
		g.keys[i] = kr[i].key;
		g.routes[i] = kr[i].route;
	}
	free(kr);
	return g;
}

static void free_gen(struct gen_routes *g)
{
	free(g->keys);
	free(g->routes);
}

/* Both generations hold exactly the routes of c (targets compared, slots not). */
static void assert_gen_matches(const struct fixture *f, __u32 gen, const struct ks_compiled *c)
{
	struct gen_routes g = read_gen(f, gen);

	assert_int_equal(g.n, c->n_routes);
	for (__u32 i = 0; i < g.n; i++) {
		assert_true(g.keys[i] == c->keys[i]);
		assert_int_equal(g.routes[i].t[0].shard, c->routes[i].t[0].shard);
		assert_int_equal(g.routes[i].n_targets, c->routes[i].n_targets);
	}
	free_gen(&g);
}

static __u32 active_gen(const struct fixture *f)
{
	struct ks_config cfg;
	__u32 gen = 99;

	assert_int_equal(ks_stats_active(&f->m, &gen, &cfg), 0);
	return gen;
}

static void test_apply_flips_then_reclaims(void **state)
{
	struct fixture *f = *state;
	struct ks_compiled *c = ks_test_compiled(1, 100, 4);
	struct ks_apply_stats st;
	struct ks_reclaim_stats rs;
	struct ks_config cfg[2];
	struct verdict v;

	assert_int_equal(active_gen(f), 0);
	assert_int_equal(ks_backend_apply(f->b, c, &st), 0);
	assert_int_equal(st.gen, 1);
	assert_int_equal(active_gen(f), 1);
	assert_int_equal(st.route_upserts, 100);
	assert_int_equal(st.shard_writes, 4);
	assert_int_equal(st.listener_writes, 1);
	/* The new generation is complete; the old one still holds the old (empty) set. */
	assert_gen_matches(f, 1, c);
	{
		struct gen_routes g0 = read_gen(f, 0);
		assert_int_equal(g0.n, 0);
		free_gen(&g0);
	}
	assert_true(ks_backend_reclaim_pending(f->b));
	v = run(f->prog_fd, ks_test_key_of(5));
	assert_int_equal(v.version, 1);
	assert_int_equal(v.shard, 5 % 4);
	assert_int_equal(v.ret, XDP_PASS); /* no next hop yet */

	assert_int_equal(ks_backend_reclaim(f->b, &rs), 0);
	assert_int_equal(rs.gen, 0);
	assert_false(ks_backend_reclaim_pending(f->b));
	assert_gen_matches(f, 0, c);
	assert_gen_matches(f, 1, c);
	assert_int_equal(ks_array_read(f->m.config, 0, 2, cfg, sizeof(cfg[0])), 0);
	assert_memory_equal(&cfg[0], &cfg[1], sizeof(cfg[0]));
	assert_int_equal(cfg[1].n_routes, 100);
	assert_int_equal(cfg[1].gue_port, ks_htons(KS_DEFAULT_GUE_PORT));
	/* A reclaim with nothing pending does nothing. */
	assert_int_equal(ks_backend_reclaim(f->b, &rs), 0);
	assert_int_equal(rs.map_calls, 0);
	ks_test_compiled_free(c);
}

static void test_one_key_change_writes_one_route(void **state)
{
	struct fixture *f = *state;
	struct ks_compiled *c1 = ks_test_compiled(1, 100000, 4), *c2;
	struct ks_apply_stats st;
	struct ks_reclaim_stats rs;
	struct verdict v;

	assert_int_equal(ks_backend_apply_sync(f->b, c1, &st), 0);
	assert_int_equal(st.route_upserts, 100000);
	c2 = ks_test_compiled_dup(c1);
	c2->version = 2;
	ks_test_route_to(c2, 777, 3); /* was 777 % 4 = 1 */
	assert_int_equal(ks_backend_apply(f->b, c2, &st), 0);
	assert_int_equal(st.route_upserts, 1);
	assert_int_equal(st.route_deletes, 0);
	assert_int_equal(st.shard_writes, 0);
	assert_int_equal(st.listener_writes, 0);
	assert_int_equal(st.slots_zeroed, 0);
	assert_int_equal(st.map_calls, 2); /* the route and the config */
	v = run(f->prog_fd, ks_test_key_of(777));
	assert_int_equal(v.version, 2);
	assert_int_equal(v.shard, 3);
	v = run(f->prog_fd, ks_test_key_of(778));
	assert_int_equal(v.shard, 778 % 4);
	assert_int_equal(ks_backend_reclaim(f->b, &rs), 0);
	assert_int_equal(rs.map_calls, 2);
	assert_gen_matches(f, 0, c2);
	assert_gen_matches(f, 1, c2);
	ks_test_compiled_free(c1);
	ks_test_compiled_free(c2);
}

/*
 * With two writer threads, a change of every route of a large table is
 * written in two parts at once: both generations end up holding every route
 * of the new set, as the data plane sees them.
 */
static void test_large_writes_on_two_threads(void **state)
{
	struct fixture *f = *state;
	/* One batch call on one thread, one per part on two: the count tells. */
	const __u32 n = KS_BATCH_CHUNK;
	struct ks_compiled *c1 = ks_test_compiled(1, n, 4), *c2 = ks_test_compiled_dup(c1);
	struct ks_apply_stats st;
	struct ks_reclaim_stats rs;
	struct verdict v;

	assert_int_equal(ks_backend_apply_sync(f->b, c1, &st), 0);
	assert_int_equal(st.route_upserts, n);
	c2->version = 2;
	for (__u32 i = 0; i < n; i++)
		ks_test_route_to(c2, i, (i + 1) % 4);
	assert_int_equal(ks_backend_apply(f->b, c2, &st), 0);
	assert_int_equal(st.route_upserts, n);
	_Static_assert(KS_BATCH_CHUNK >= 2 * KS_PAR_WRITE_MIN, "two parts of the chunk are split");
	/* One batch call per part, and the config. */
	assert_int_equal(st.map_calls, 3);
	assert_gen_matches(f, st.gen, c2);
	for (__u32 i = 0; i < n; i += n / 7) {
		v = run(f->prog_fd, ks_test_key_of(i));
		assert_int_equal(v.version, 2);
		assert_int_equal(v.shard, (i + 1) % 4);
	}
	assert_int_equal(ks_backend_reclaim(f->b, &rs), 0);
	assert_gen_matches(f, 0, c2);
	assert_gen_matches(f, 1, c2);
	ks_test_compiled_free(c1);
	ks_test_compiled_free(c2);
}

/* A rule set without route i (keys stay sorted). */
static struct ks_compiled *without(const struct ks_compiled *c, __u32 i, __u64 version)
{
	struct ks_compiled *d = ks_test_compiled_dup(c);

	memmove(&d->keys[i], &d->keys[i + 1], (d->n_routes - i - 1) * sizeof(d->keys[0]));
	memmove(&d->routes[i], &d->routes[i + 1], (d->n_routes - i - 1) * sizeof(d->routes[0]));
	d->n_routes--;
	d->version = version;
	return d;
}

static struct ks_compiled *with_key(const struct ks_compiled *c, __u64 key, __u64 version)
{
	struct ks_compiled *d = ks_test_compiled_dup(c);

	d->keys = realloc(d->keys, (d->n_routes + 1) * sizeof(d->keys[0]));
	d->routes = realloc(d->routes, (d->n_routes + 1) * sizeof(d->routes[0]));
	assert_true(d->n_routes == 0 || key > d->keys[d->n_routes - 1]);
	d->keys[d->n_routes] = key;
	d->n_routes++;
	ks_test_route_to(d, d->n_routes - 1, 0);
	d->version = version;
	return d;
}

static __u64 slot_packets(const struct fixture *f, long slot)
{
	struct ks_key_stats st;

	assert_true(slot >= 0);
	assert_int_equal(ks_stats_slot(&f->m, (__u32)slot, &st), 0);
	return st.packets;
}

static void test_counter_slots_stable_and_reused(void **state)
{
	struct fixture *f = *state;
	struct ks_compiled *c1 = ks_test_compiled(1, 10, 4), *c2, *c3, *c4;
	struct ks_apply_stats st;
	__u64 k3 = ks_test_key_of(3), k_new = 0xf000000000000001ull, k_new2 = k_new + 1;
	long slot3, slot_new, slot_new2;

	assert_int_equal(ks_backend_apply_sync(f->b, c1, &st), 0);
	slot3 = ks_backend_key_slot(f->b, k3);
	for (int i = 0; i < 5; i++)
		assert_int_equal(run(f->prog_fd, k3).version, 1);
	assert_int_equal(slot_packets(f, slot3), 5);

	/* New version, key 3 rerouted: same slot, counters kept. */
	c2 = ks_test_compiled_dup(c1);
	c2->version = 2;
	ks_test_route_to(c2, 3, 2);
	assert_int_equal(ks_backend_apply_sync(f->b, c2, &st), 0);
	assert_int_equal(ks_backend_key_slot(f->b, k3), slot3);
	assert_int_equal(slot_packets(f, slot3), 5);

	/* Key 3 goes and a new key comes in the same apply: its slot is a fresh one. */
	{
		struct ks_compiled *tmp = without(c2, 3, 3);
		c3 = with_key(tmp, k_new, 3);
		ks_test_compiled_free(tmp);
	}
	assert_int_equal(ks_backend_apply(f->b, c3, &st), 0);
	assert_int_equal(ks_backend_key_slot(f->b, k3), -ENOENT);
	slot_new = ks_backend_key_slot(f->b, k_new);
	assert_true(slot_new != slot3);
	assert_int_equal(slot_packets(f, slot_new), 0);
	assert_int_equal(ks_backend_reclaim(f->b, NULL), 0);

	/* After the reclaim key 3's slot is free: the next new key gets it, zeroed. */
	c4 = with_key(c3, k_new2, 4);
	assert_int_equal(ks_backend_apply_sync(f->b, c4, &st), 0);
	slot_new2 = ks_backend_key_slot(f->b, k_new2);
	assert_int_equal(slot_new2, slot3);
	assert_int_equal(st.slots_zeroed, 1);
	assert_int_equal(slot_packets(f, slot_new2), 0);
	assert_int_equal(run(f->prog_fd, k_new2).ret, XDP_PASS);
	assert_int_equal(slot_packets(f, slot_new2), 1);

	ks_test_compiled_free(c1);
	ks_test_compiled_free(c2);
	ks_test_compiled_free(c3);
	ks_test_compiled_free(c4);
}

static void test_restart_recovers_state(void **state)
{
	struct fixture *f = *state;
	struct ks_compiled *c1 = ks_test_compiled(7, 1000, 4), *c2;
	struct ks_backend_opts bo = {.pin_root = ROOT};
	struct ks_apply_stats st;
	char msg[256];
	long slot10;

	/* Flip without reclaim, then "crash": the old generation is stale. */
	assert_int_equal(ks_backend_apply(f->b, c1, &st), 0);
	slot10 = ks_backend_key_slot(f->b, ks_test_key_of(10));
	ks_backend_close(f->b);
	f->b = NULL;
	{
		struct gen_routes g0 = read_gen(f, 0);
		assert_int_equal(g0.n, 0);
		free_gen(&g0);
	}

	assert_int_equal(ks_backend_open(&f->b, &bo, msg, sizeof(msg)), 0);
	assert_int_equal(ks_backend_version(f->b), 7);
	assert_int_equal(ks_backend_active_gen(f->b), 1);
	assert_int_equal(ks_backend_n_routes(f->b), 1000);
	assert_int_equal(ks_backend_key_slot(f->b, ks_test_key_of(10)), slot10);
	assert_true(ks_backend_reclaim_pending(f->b));
	assert_int_equal(ks_backend_reclaim(f->b, NULL), 0);
	assert_gen_matches(f, 0, c1);

	/* Back to incremental: a one-key change writes one route. */
	c2 = ks_test_compiled_dup(c1);
	c2->version = 8;
	ks_test_route_to(c2, 10, 3);
	assert_int_equal(ks_backend_apply(f->b, c2, &st), 0);
	assert_int_equal(st.route_upserts, 1);
	assert_int_equal(st.gen, 0);
	assert_int_equal(run(f->prog_fd, ks_test_key_of(10)).shard, 3);

	/* A restart with nothing pending finds two equal generations. */
	assert_int_equal(ks_backend_reclaim(f->b, NULL), 0);
	ks_backend_close(f->b);
	assert_int_equal(ks_backend_open(&f->b, &bo, msg, sizeof(msg)), 0);
	assert_false(ks_backend_reclaim_pending(f->b));
	assert_int_equal(ks_backend_version(f->b), 8);
	ks_test_compiled_free(c1);
	ks_test_compiled_free(c2);
}

static void assert_unchanged(struct fixture *f, __u64 version, __u32 gen)
{
	assert_int_equal(ks_backend_version(f->b), version);
	assert_int_equal(active_gen(f), gen);
	assert_int_equal(run(f->prog_fd, ks_test_key_of(1)).version, version);
}

static void test_bad_rule_sets_change_nothing(void **state)
{
	struct fixture *f = *state;
	struct ks_compiled *c1 = ks_test_compiled(1, 50, 4), *big, *unsorted, *badshard;
	struct ks_apply_stats st;

	assert_int_equal(ks_backend_apply_sync(f->b, c1, &st), 0);

	big = ks_test_compiled(2, CAPACITY + 1, 4);
	assert_int_equal(ks_backend_apply(f->b, big, &st), -E2BIG);
	assert_non_null(strstr(ks_backend_error(f->b), "routes"));
	assert_unchanged(f, 1, 1);

	unsorted = ks_test_compiled_dup(c1);
	unsorted->version = 3;
	unsorted->keys[10] = unsorted->keys[11];
	assert_int_equal(ks_backend_apply(f->b, unsorted, &st), -EINVAL);
	assert_unchanged(f, 1, 1);

	badshard = ks_test_compiled_dup(c1);
	badshard->version = 4;
	badshard->routes[3].t[0].shard = 4; /* only 0..3 exist */
	assert_int_equal(ks_backend_apply(f->b, badshard, &st), -EINVAL);
	assert_unchanged(f, 1, 1);
	assert_false(ks_backend_reclaim_pending(f->b));

	/* And the backend is still usable. */
	badshard->routes[3].t[0].shard = 2;
	assert_int_equal(ks_backend_apply_sync(f->b, badshard, &st), 0);
	assert_int_equal(st.route_upserts, 1);
	assert_int_equal(run(f->prog_fd, ks_test_key_of(3)).shard, 2);
	ks_test_compiled_free(c1);
	ks_test_compiled_free(big);
	ks_test_compiled_free(unsorted);
	ks_test_compiled_free(badshard);
}

static struct ks_nexthop mk_nh(__u8 last)
{
	struct ks_nexthop nh;

	memset(&nh, 0, sizeof(nh));
	nh.ifindex = 1; /* lo exists in every namespace */
	memcpy(nh.smac, "\x02\x00\x00\x00\x00\x01", 6);
	memcpy(nh.dmac, "\x02\x00\x00\x00\x00\x00", 6);
	nh.dmac[5] = last;
	nh.src.w[0] = ks_htonl(0x0a000001);
	nh.mtu = 1500;
	nh.valid = 1;
	return nh;
}

static void test_nexthops_follow_without_tearing(void **state)
{
	struct fixture *f = *state;
	struct ks_compiled *c = ks_test_compiled(1, 8, 2), *c2;
	struct ks_nh_target t = {.family = KS_AF_INET};
	struct ks_nexthop nh = mk_nh(0xaa);
	struct ks_apply_stats st;
	struct verdict v;
	unsigned changed = 99;
	__u32 gen, ifindex = 1, val = 0;

	assert_int_equal(ks_backend_apply_sync(f->b, c, &st), 0);
	t.addr = c->shards[0].shard.vip;
	gen = active_gen(f);
	assert_int_equal(ks_backend_set_nexthops(f->b, &t, &nh, 1, &changed), 0);
	assert_int_equal(changed, 1);
	assert_int_equal(active_gen(f), 1 - gen); /* went through a flip */
	v = run(f->prog_fd, ks_test_key_of(0));	  /* route 0 -> shard 0 */
	assert_int_equal(v.ret, XDP_TX);
	assert_memory_equal(v.dmac, nh.dmac, 6);
	assert_int_equal(run(f->prog_fd, ks_test_key_of(1)).ret, XDP_PASS); /* shard 1 */
	assert_int_equal(bpf_map_lookup_elem(f->m.tx_ports, &ifindex, &val), 0);
	assert_int_equal(val, 1);

	/* The same next hop again writes nothing. */
	gen = active_gen(f);
	assert_int_equal(ks_backend_set_nexthops(f->b, &t, &nh, 1, &changed), 0);
	assert_int_equal(changed, 0);
	assert_int_equal(active_gen(f), gen);

	/* A new MAC is followed; both generations end up with it. */
	nh.dmac[5] = 0xbb;
	assert_int_equal(ks_backend_set_nexthops(f->b, &t, &nh, 1, &changed), 0);
	assert_int_equal(changed, 1);
	assert_memory_equal(run(f->prog_fd, ks_test_key_of(0)).dmac, nh.dmac, 6);
	assert_int_equal(ks_backend_reclaim(f->b, NULL), 0);
	{
		struct ks_shard s[2];
		assert_int_equal(ks_array_read(f->m.shards, 0, 1, &s[0], sizeof(s[0])), 0);
		assert_int_equal(ks_array_read(f->m.shards, KS_MAX_SHARDS, 1, &s[1], sizeof(s[1])),
				 0);
		assert_memory_equal(&s[0], &s[1], sizeof(s[0]));
		assert_int_equal(s[0].nh_valid, 1);
		assert_memory_equal(s[0].dmac, nh.dmac, 6);
	}

	/* A new version keeps the next hop of an unchanged VIP. */
	c2 = ks_test_compiled_dup(c);
	c2->version = 2;
	ks_test_route_to(c2, 1, 0);
	assert_int_equal(ks_backend_apply_sync(f->b, c2, &st), 0);
	assert_int_equal(st.shard_writes, 0);
	v = run(f->prog_fd, ks_test_key_of(1));
	assert_int_equal(v.ret, XDP_TX);
	assert_memory_equal(v.dmac, nh.dmac, 6);

	/* Invalidated: nh_valid drops. */
	nh.valid = 0;
	assert_int_equal(ks_backend_set_nexthops(f->b, &t, &nh, 1, &changed), 0);
	assert_int_equal(changed, 1);
	assert_int_equal(run(f->prog_fd, ks_test_key_of(0)).ret, XDP_PASS);
	ks_test_compiled_free(c);
	ks_test_compiled_free(c2);
}

static int fixed_nh(void *ctx, const struct ks_nh_target *t, struct ks_nexthop *out)
{
	int *calls = ctx;

	(*calls)++;
	if (t->addr.w[0] != ks_htonl(0x0a010001))
		return -ENOENT;
	*out = mk_nh(0x11);
	return 0;
}

static int nh_calls;
static int setup_nh(void **state)
{
	nh_calls = 0;
	return setup_sized(state, CAPACITY, 0, fixed_nh, &nh_calls);
}

static void test_apply_asks_for_next_hops(void **state)
{
	struct fixture *f = *state;
	struct ks_compiled *c = ks_test_compiled(1, 4, 2);
	struct ks_apply_stats st;
	struct verdict v;

	assert_int_equal(ks_backend_apply_sync(f->b, c, &st), 0);
	assert_int_equal(nh_calls, 2);
	v = run(f->prog_fd, ks_test_key_of(0)); /* shard 0: 10.1.0.1, resolved */
	assert_int_equal(v.ret, XDP_TX);
	assert_int_equal(v.dmac[5], 0x11);
	assert_int_equal(run(f->prog_fd, ks_test_key_of(1)).ret, XDP_PASS);
	ks_test_compiled_free(c);
}

static void test_counters_are_summed_and_ranked(void **state)
{
	struct fixture *f = *state;
	struct ks_compiled *c = ks_test_compiled(1, 10, 3);
	struct ks_counter reasons[KS_R_MAX], *shards = calloc(KS_MAX_SHARDS, sizeof(*shards));
	struct ks_key_count top[3];
	struct ks_apply_stats st;
	size_t n, total;

	assert_int_equal(ks_backend_apply_sync(f->b, c, &st), 0);
	for (int i = 0; i < 7; i++)
		run(f->prog_fd, ks_test_key_of(4)); /* shard 1 */
	for (int i = 0; i < 3; i++)
		run(f->prog_fd, ks_test_key_of(2)); /* shard 2 */
	run(f->prog_fd, ks_test_key_of(9));	    /* shard 0 */
	run(f->prog_fd, 0xdead);		    /* unknown */
	run(f->prog_fd, 0xbeef);

	assert_int_equal(ks_stats_reasons(&f->m, reasons), 0);
	assert_int_equal(reasons[KS_R_NO_NEXTHOP].packets, 11);
	assert_int_equal(reasons[KS_R_NO_NEXTHOP].bytes, 11 * 30);
	assert_int_equal(reasons[KS_R_UNKNOWN_KEY].packets, 2);
	assert_int_equal(reasons[KS_R_STEERED].packets, 0);
	assert_int_equal(ks_stats_shards(&f->m, shards), 0);
	assert_int_equal(shards[0].packets, 1);
	assert_int_equal(shards[1].packets, 7);
	assert_int_equal(shards[2].packets, 3);

	assert_int_equal(ks_stats_top_keys(&f->m, active_gen(f), top, 3, &n, &total), 0);
	assert_int_equal(n, 3);
	assert_int_equal(total, 10);
	assert_true(top[0].key == ks_test_key_of(4));
	assert_int_equal(top[0].st.packets, 7);
	assert_int_equal(top[0].st.bytes, 7 * 30);
	assert_int_equal(top[0].st.target_packets[0], 7);
	assert_true(top[1].key == ks_test_key_of(2));
	assert_true(top[2].key == ks_test_key_of(9));
	assert_string_equal(ks_reason_name(KS_R_UNKNOWN_KEY), "unknown_key");
	assert_string_equal(ks_reason_name(KS_R_MAX), "?");
	for (unsigned r = 0; r < KS_R_MAX; r++)
		assert_string_not_equal(ks_reason_name(r), "?");
	free(shards);
	ks_test_compiled_free(c);
}

/* Generation gen's buckets and listener seed, as the router reads them. */
struct gen_listeners {
	struct ks_listener_bucket img[KS_LISTENER_BUCKETS];
	__u32 seed;
};

static struct gen_listeners *read_listeners(const struct fixture *f, __u32 gen)
{
	struct gen_listeners *g = calloc(1, sizeof(*g));
	struct ks_config cfg;

	assert_non_null(g);
	assert_int_equal(ks_array_read(f->m.listeners, ks_listener_index(gen, 0),
				       KS_LISTENER_BUCKETS, g->img, sizeof(g->img[0])),
			 0);
	assert_int_equal(ks_array_read(f->m.config, gen, 1, &cfg, sizeof(cfg)), 0);
	g->seed = cfg.listener_seed;
	return g;
}

/* Occupied slots of generation gen. */
static __u32 count_listeners(const struct fixture *f, __u32 gen)
{
	struct gen_listeners *g = read_listeners(f, gen);
	__u32 n = 0;

	for (__u32 b = 0; b < KS_LISTENER_BUCKETS; b++)
		for (__u32 w = 0; w < KS_LISTENER_WAYS; w++)
			n += g->img[b].s[w].family != 0;
	free(g);
	return n;
}

static __u32 bucket_of(const struct ks_listener_key *k, __u32 seed)
{
	return ks_listener_bucket(&k->addr, k->port, k->proto, k->family, seed);
}

/* Generation gen finds every listener of c (with its id) the way the router looks. */
static void assert_listeners_found(const struct fixture *f, __u32 gen, const struct ks_compiled *c)
{
	struct gen_listeners *g = read_listeners(f, gen);

	for (__u32 i = 0; i < c->n_listeners; i++) {
		const struct ks_listener_bucket *b = &g->img[bucket_of(&c->listeners[i], g->seed)];
		long id = -1;

		assert_true(ks_listener_in_bucket(b, &c->listeners[i]));
		for (__u32 w = 0; w < KS_LISTENER_WAYS; w++)
			if (b->s[w].family && ks_listener_slot_matches(&b->s[w], &c->listeners[i]))
				id = b->s[w].id;
		assert_int_equal(id, i);
	}
	free(g);
}

static __u32 seed_of(const struct fixture *f, __u32 gen)
{
	struct gen_listeners *g = read_listeners(f, gen);
	__u32 seed = g->seed;

	free(g);
	return seed;
}

/* Both generations hold the same buckets and seed. */
static void assert_listener_gens_equal(const struct fixture *f)
{
	struct gen_listeners *g0 = read_listeners(f, 0), *g1 = read_listeners(f, 1);

	assert_int_equal(g0->seed, g1->seed);
	assert_memory_equal(g0->img, g1->img, sizeof(g0->img));
	free(g0);
	free(g1);
}

static void test_listener_changes_are_diffed(void **state)
{
	struct fixture *f = *state;
	struct ks_compiled *c1 = ks_test_compiled(1, 4, 1), *c2, *c3;
	struct ks_apply_stats st;
	__u32 seed, b0, b1;

	assert_int_equal(ks_backend_apply_sync(f->b, c1, &st), 0);
	assert_int_equal(st.listener_writes, 1);
	seed = seed_of(f, 0);
	assert_int_equal(seed, 1); /* the first seed of the sequence places one listener */
	c2 = ks_test_compiled_dup(c1);
	c2->version = 2;
	ks_test_add_listener(c2, 0xcb00710bu, 7001);
	assert_int_equal(ks_backend_apply_sync(f->b, c2, &st), 0);
	/* Same seed: only the new listener's bucket is written. */
	assert_int_equal(seed_of(f, 1), seed);
	assert_int_equal(st.listener_writes, 1);
	assert_int_equal(count_listeners(f, 0), 2);
	assert_int_equal(count_listeners(f, 1), 2);
	assert_listeners_found(f, 0, c2);
	assert_listeners_found(f, 1, c2);
	assert_listener_gens_equal(f);

	/*
	 * Drop the first: its bucket loses it, and the second's id changes
	 * (1 -> 0): one write per bucket, one if both share a bucket.
	 */
	c3 = ks_test_compiled_dup(c2);
	c3->version = 3;
	c3->listeners[0] = c3->listeners[1];
	c3->n_listeners = 1;
	b0 = bucket_of(&c2->listeners[0], seed);
	b1 = bucket_of(&c2->listeners[1], seed);
	assert_int_equal(ks_backend_apply_sync(f->b, c3, &st), 0);
	assert_int_equal(st.listener_writes, b0 == b1 ? 1 : 2);
	assert_int_equal(count_listeners(f, 0), 1);
	assert_int_equal(count_listeners(f, 1), 1);
	assert_listeners_found(f, 0, c3);
	assert_listener_gens_equal(f);

	/* The same listeners again: nothing to write. */
	c3->version = 4;
	assert_int_equal(ks_backend_apply_sync(f->b, c3, &st), 0);
	assert_int_equal(st.listener_writes, 0);
	ks_test_compiled_free(c1);
	ks_test_compiled_free(c2);
	ks_test_compiled_free(c3);
}

/* Five UDP listeners on one address that the first seed puts in one bucket. */
static void add_colliding_listeners(struct ks_compiled *c)
{
	__u32 want = 0, found = 0;

	for (__u32 port = 1; port < 65536 && found < KS_LISTENER_WAYS + 1; port++) {
		struct ks_listener_key k;
		__u32 b;

		memset(&k, 0, sizeof(k));
		k.addr.w[0] = ks_htonl(0xcb007120u);
		k.port = ks_htons((__u16)port);
		k.proto = 17;
		k.family = KS_AF_INET;
		b = bucket_of(&k, 1);
		if (found == 0)
			want = b;
		if (b == want) {
			ks_test_add_listener(c, 0xcb007120u, (__u16)port);
			found++;
		}
	}
	assert_int_equal(found, KS_LISTENER_WAYS + 1);
}

static void test_listener_seed_changes_with_the_set(void **state)
{
	struct fixture *f = *state;
	struct ks_compiled *c1 = ks_test_compiled(1, 4, 1), *c2;
	struct ks_apply_stats st;

	assert_int_equal(ks_backend_apply_sync(f->b, c1, &st), 0);
	assert_int_equal(seed_of(f, 0), 1);
	/* A set that overfills a bucket under seed 1 is placed with another seed. */
	c2 = ks_test_compiled_dup(c1);
	c2->version = 2;
	add_colliding_listeners(c2);
	assert_int_equal(ks_backend_apply(f->b, c2, &st), 0);
	assert_int_not_equal(seed_of(f, st.gen), 1);
	assert_int_equal(seed_of(f, 1 - st.gen), 1); /* the old generation, until reclaimed */
	assert_int_equal(count_listeners(f, st.gen), c2->n_listeners);
	assert_listeners_found(f, st.gen, c2);
	assert_listeners_found(f, 1 - st.gen, c1);
	assert_int_equal(ks_backend_reclaim(f->b, NULL), 0);
	assert_listener_gens_equal(f);
	assert_listeners_found(f, 0, c2);
	/* And back: seed 1 again, the old generation rewritten on reclaim. */
	c1->version = 3;
	assert_int_equal(ks_backend_apply_sync(f->b, c1, &st), 0);
	assert_int_equal(seed_of(f, 0), 1);
	assert_listener_gens_equal(f);
	assert_int_equal(count_listeners(f, 0), 1);
	assert_listeners_found(f, 1, c1);
	ks_test_compiled_free(c1);
	ks_test_compiled_free(c2);
}

/* A controller restart between flip and reclaim: listeners read back in rule order, repaired. */
static void test_listeners_recovered_after_restart(void **state)
{
	struct fixture *f = *state;
	struct ks_compiled *c1 = ks_test_compiled(1, 4, 1), *c2;
	struct ks_backend_opts bo = {.pin_root = ROOT};
	struct ks_apply_stats st;
	char msg[256];

	for (__u32 i = 0; i < 20; i++)
		ks_test_add_listener(c1, 0xcb007200u + 19 - i, (__u16)(8000 + i));
	assert_int_equal(ks_backend_apply(f->b, c1, &st), 0);
	assert_int_equal(count_listeners(f, 0), 0);
	ks_backend_close(f->b);
	f->b = NULL;
	assert_int_equal(ks_backend_open(&f->b, &bo, msg, sizeof(msg)), 0);
	assert_true(ks_backend_reclaim_pending(f->b));
	assert_int_equal(ks_backend_reclaim(f->b, NULL), 0);
	assert_listener_gens_equal(f);
	assert_listeners_found(f, 0, c1);
	/* The recovered list is the applied one, ids and all: nothing to write. */
	c2 = ks_test_compiled_dup(c1);
	c2->version = 2;
	assert_int_equal(ks_backend_apply_sync(f->b, c2, &st), 0);
	assert_int_equal(st.listener_writes, 0);
	ks_test_compiled_free(c1);
	ks_test_compiled_free(c2);
}

static void test_unplaceable_listeners_change_nothing(void **state)
{
	struct fixture *f = *state;
	struct ks_compiled *c1 = ks_test_compiled(1, 4, 1), *bad;
	struct ks_apply_stats st;

	assert_int_equal(ks_backend_apply_sync(f->b, c1, &st), 0);
	bad = ks_test_compiled_dup(c1);
	bad->version = 2;
	for (__u32 i = 0; i < KS_LISTENER_WAYS; i++) /* the same listener five times */
		ks_test_add_listener(bad, 0xcb00710au, 7000);
	/* Left pending on purpose: a refused set must not even reclaim. */
	c1->version = 5;
	assert_int_equal(ks_backend_apply(f->b, c1, &st), 0);
	assert_int_equal(ks_backend_apply(f->b, bad, &st), -ENOSPC);
	assert_non_null(strstr(ks_backend_error(f->b), "cannot be placed"));
	assert_true(ks_backend_reclaim_pending(f->b));
	assert_unchanged(f, 5, 0);
	assert_int_equal(count_listeners(f, 0), 1);
	assert_int_equal(count_listeners(f, 1), 1);
	assert_int_equal(ks_backend_reclaim(f->b, NULL), 0);
	assert_listener_gens_equal(f);
	ks_test_compiled_free(c1);
	ks_test_compiled_free(bad);
}

static int setup_few_slots(void **state)
{
	return setup_sized(state, 1024, 4, NULL, NULL);
}

static void test_slot_overflow_is_shared_then_left(void **state)
{
	struct fixture *f = *state;
	struct ks_compiled *c1 = ks_test_compiled(1, 6, 2), *c2;
	struct ks_apply_stats st;

	assert_int_equal(ks_backend_apply_sync(f->b, c1, &st), 0);
	assert_int_equal(st.overflow_routes, 3); /* slots 0-2 own, 3 shared */
	assert_int_equal(ks_backend_key_slot(f->b, ks_test_key_of(5)), 3);
	assert_int_equal(ks_backend_key_slot(f->b, ks_test_key_of(4)), 3);
	c2 = without(c1, 0, 2);
	assert_int_equal(ks_backend_apply_sync(f->b, c2, &st), 0);
	assert_int_equal(st.overflow_routes, 3);
	/* Key 0's slot is freed only after that reclaim: the next apply gives it to key 3. */
	assert_int_equal(ks_backend_apply_sync(f->b, c2, &st), 0);
	assert_int_equal(st.overflow_routes, 2);
	assert_int_equal(ks_backend_key_slot(f->b, ks_test_key_of(3)), 0);
	ks_test_compiled_free(c1);
	ks_test_compiled_free(c2);
}

/*
 * Atomicity: while one thread runs packets continuously, the main thread
 * flips between two rule sets that send every key to different shards. Odd
 * versions use shards (i % 4), even versions (i + 1) % 4: a packet that
 * mixed generations would show a shard that does not match its version.
 */
struct traffic {
	int prog_fd;
	atomic_int stop;
	unsigned long packets, mixed, bad;
};

static void *traffic_thread(void *arg)
{
	struct traffic *t = arg;

	for (unsigned long i = 0; !atomic_load(&t->stop) && i < 10000000; i++) {
		__u32 k = (__u32)(i % 1000);
		struct verdict v = run(t->prog_fd, ks_test_key_of(k));
		__u16 want;

		if (v.ret < 0 || v.version == 0) {
			t->bad++;
			continue;
		}
		want = (__u16)((v.version & 1) ? k % 4 : (k + 1) % 4);
		if (v.shard != want)
			t->mixed++;
		t->packets++;
	}
	return NULL;
}

static void test_flips_are_atomic_under_traffic(void **state)
{
	struct fixture *f = *state;
	struct ks_compiled *odd = ks_test_compiled(1, 1000, 4), *even = ks_test_compiled_dup(odd);
	struct traffic t = {.prog_fd = f->prog_fd};
	struct ks_apply_stats st;
	pthread_t th;

	for (__u32 i = 0; i < 1000; i++)
		ks_test_route_to(even, i, (__u16)((i + 1) % 4));
	assert_int_equal(ks_backend_apply_sync(f->b, odd, &st), 0);
	assert_int_equal(pthread_create(&th, NULL, traffic_thread, &t), 0);
	for (__u64 v = 2; v <= 60; v++) {
		struct ks_compiled *c = (v & 1) ? odd : even;

		c->version = v;
		assert_int_equal(ks_backend_apply(f->b, c, &st), 0);
		assert_int_equal(st.route_upserts, 1000);
	}
	atomic_store(&t.stop, 1);
	pthread_join(th, NULL);
	printf("# %lu packets during 59 flips, %lu mixed\n", t.packets, t.mixed);
	assert_true(t.packets > 0);
	assert_int_equal(t.bad, 0);
	assert_int_equal(t.mixed, 0);
	ks_test_compiled_free(odd);
	ks_test_compiled_free(even);
}

int main(void)
{
	char msg[256];
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_apply_flips_then_reclaims, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_one_key_change_writes_one_route, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_large_writes_on_two_threads, setup_two_writers,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_counter_slots_stable_and_reused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_restart_recovers_state, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_rule_sets_change_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_nexthops_follow_without_tearing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_apply_asks_for_next_hops, setup_nh, teardown),
	    cmocka_unit_test_setup_teardown(test_counters_are_summed_and_ranked, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_listener_changes_are_diffed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_listener_seed_changes_with_the_set, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_listeners_recovered_after_restart, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_unplaceable_listeners_change_nothing, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_slot_overflow_is_shared_then_left, setup_few_slots,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_flips_are_atomic_under_traffic, setup, teardown),
	};

	if (ks_ns_enter_private(msg, sizeof(msg))) {
		fprintf(stderr, "test_backend: %s\n", msg);
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
