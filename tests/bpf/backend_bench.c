/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Table-backend figures (make bench-backend): full applies of 100k and 1M
 * routes into the pinned maps, a full rewrite of every target, and the
 * latency of a one-key change on a 100k-key table. Compiled tables are built
 * before the clock starts: this measures the backend, not the compiler.
 * Runs in its own namespaces with a private bpffs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend/backend.h"
#include "backend/loader.h"
#include "backend/xdp_attach.h"
#include "backend_util.h"
#include "../net/nsutil.h"

#ifndef KS_BUILD
#define KS_BUILD "build"
#endif
#define TEST_OBJ KS_BUILD "/tests/bpf/backend_maps.bpf.o"
#define ROOT	 "/sys/fs/bpf/ks-backend-bench"

static struct ks_backend *open_fresh(__u32 capacity)
{
	struct ks_loader_opts lo = {
	    .pin_root = ROOT, .obj_path = TEST_OBJ, .route_capacity = capacity};
	struct ks_backend_opts bo = {.pin_root = ROOT};
	struct ks_backend *b;
	char msg[512];

	ks_pin_purge(ROOT);
	if (ks_router_create_maps(&lo, msg, sizeof(msg)) ||
	    ks_backend_open(&b, &bo, msg, sizeof(msg))) {
		fprintf(stderr, "bench: %s\n", msg);
		exit(1);
	}
	return b;
}

static __u64 ks_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

static double ms(__u64 ns)
{
	return (double)ns / 1e6;
}

static void full(struct ks_backend *b, const struct ks_compiled *c, const char *what)
{
	struct ks_apply_stats st;
	struct ks_reclaim_stats rs;
	__u64 t0 = ks_now_ns(), t1, t2;

	if (ks_backend_apply(b, c, &st)) {
		fprintf(stderr, "bench: %s\n", ks_backend_error(b));
		exit(1);
	}
	t1 = ks_now_ns();
	if (ks_backend_reclaim(b, &rs)) {
		fprintf(stderr, "bench: %s\n", ks_backend_error(b));
		exit(1);
	}
	t2 = ks_now_ns();
	printf("%-34s %8u routes: apply (diff+write+flip) %8.1f ms [diff %.1f, write %.1f, "
	       "%u upserts, %u bpf calls]; reclaim %8.1f ms [grace %.1f]; total %8.1f ms\n",
	       what, c->n_routes, ms(t1 - t0), ms(st.diff_ns), ms(st.write_ns), st.route_upserts,
	       st.map_calls, ms(t2 - t1), ms(rs.grace_ns), ms(t2 - t0));
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

static void one_key(__u32 n, int rounds)
{
	struct ks_backend *b = open_fresh(1u << 20);
	struct ks_compiled *c = ks_test_compiled(1, n, 16);
	__u64 *flip = calloc((size_t)rounds, sizeof(*flip)), *total = calloc((size_t)rounds, 8);
	struct ks_apply_stats st;
	__u32 calls = 0;
	__u64 diff_ns = 0, write_ns = 0;

	full(b, c, "initial load");
	for (int i = 0; i < rounds; i++) {
		__u32 idx = (__u32)(i * 7919) % n;
		__u64 t0, t1;

		c->version++;
		ks_test_route_to(c, idx, (__u16)((c->routes[idx].t[0].shard + 1) % 16));
		t0 = ks_now_ns();
		if (ks_backend_apply(b, c, &st))
			exit(1);
		t1 = ks_now_ns();
		if (ks_backend_reclaim(b, NULL))
			exit(1);
		flip[i] = t1 - t0;
		total[i] = ks_now_ns() - t0;
		calls += st.map_calls;
		diff_ns += st.diff_ns;
		write_ns += st.write_ns;
		if (st.route_upserts != 1)
			exit(1);
	}
	qsort(flip, (size_t)rounds, 8, cmp_u64);
	qsort(total, (size_t)rounds, 8, cmp_u64);
	printf("one-key change on %u keys, %d rounds: apply->flip p50 %.3f ms p99 %.3f ms max "
	       "%.3f ms (mean diff %.3f ms, write %.3f ms, %.1f bpf calls); with reclaim p50 "
	       "%.1f ms p99 %.1f ms\n",
	       n, rounds, ms(flip[rounds / 2]), ms(flip[rounds * 99 / 100]), ms(flip[rounds - 1]),
	       ms(diff_ns / rounds), ms(write_ns / rounds), (double)calls / rounds,
	       ms(total[rounds / 2]), ms(total[rounds * 99 / 100]));
	free(flip);
	free(total);
	ks_test_compiled_free(c);
	ks_backend_close(b);
}

int main(void)
{
	char msg[256];

	if (ks_ns_enter_private(msg, sizeof(msg))) {
		fprintf(stderr, "bench: %s\n", msg);
		return 1;
	}
	printf("# keysteer table backend, route capacity 1M per generation (maps: 2M routes)\n");
	for (__u32 n = 100000; n <= 1000000; n *= 10) {
		struct ks_backend *b = open_fresh(1u << 20);
		struct ks_compiled *c = ks_test_compiled(1, n, 16), *moved;
		char what[64];

		snprintf(what, sizeof(what), "full apply into empty maps");
		full(b, c, what);
		moved = ks_test_compiled_dup(c);
		moved->version = 2;
		for (__u32 i = 0; i < n; i++)
			ks_test_route_to(moved, i, (__u16)((i + 1) % 16));
		full(b, moved, "every key moves to another shard");
		ks_test_compiled_free(c);
		ks_test_compiled_free(moved);
		/* A restart: the backend rebuilds its state from the maps. */
		{
			struct ks_backend_opts bo = {.pin_root = ROOT};
			__u64 t0;

			ks_backend_close(b);
			t0 = ks_now_ns();
			if (ks_backend_open(&b, &bo, msg, sizeof(msg)))
				return 1;
			printf("%-34s %8u routes: %8.1f ms\n", "reopen (rebuild state from maps)",
			       n, ms(ks_now_ns() - t0));
		}
		ks_backend_close(b);
	}
	one_key(100000, 200);
	one_key(1000000, 50);
	ks_pin_purge(ROOT);
	return 0;
}
