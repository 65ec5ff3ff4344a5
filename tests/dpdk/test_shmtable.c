/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The shared table (ctl/shmtable): writer and lock-free reader.
 *   - hash tables: random puts/deletes against a reference, both generations
 *   - apply: every key, listener and shard reads back as compiled; counter
 *     slots survive new versions; a removed key's slot is zeroed before reuse
 *   - quiescent states: a live reader that does not report blocks the
 *     reclaim (it times out, nothing is overwritten); a dead one is freed
 *   - flips under a reader thread: every burst sees exactly one version
 *   - restart: a writer that died between flip and reclaim, another writer's
 *     changes, a reopened file
 *   - neighbours: next-hop blocks resolved from the published section
 *   - counters: summed over reader slots
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "rules/rules.h"
#include "shmtable/shm_hash.h"
#include "shmtable/shm_qsbr.h"
#include "shmtable/shm_read.h"
#include "shmtable/shm_writer.h"

static char dir[64];
static char path[128];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/ks-shm-test.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sub/table.tbl", dir);
	return 0;
}

static int teardown(void **state)
{
	char sub[96];

	(void)state;
	unlink(path);
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	rmdir(sub);
	rmdir(dir);
	return 0;
}

/* A rule set: n keys "k<i>" to shard "<prefix><i % 4>", weights split with a second shard. */
static char *rules_json(__u64 version, unsigned n, const char *prefix, const char *vip_net)
{
	size_t cap = 4096 + (size_t)n * 160, len = 0;
	char *s = malloc(cap);

	assert_non_null(s);
	len += (size_t)snprintf(s + len, cap - len,
				"{\"schema\":\"keysteer/v1\",\"version\":%llu,"
				"\"listeners\":[{\"vip\":\"203.0.113.10\",\"port\":7000,\"proto\":"
				"\"udp\"},{\"vip\":\"2001:db8:100::10\",\"port\":7443,\"proto\":"
				"\"tcp\"}],\"shards\":{",
				(unsigned long long)version);
	for (int i = 0; i < 5; i++)
		len += (size_t)snprintf(
		    s + len, cap - len,
		    "%s\"%s%d\":{\"vip\":\"%s.%d\",\"port\":%d,\"steer\":\"%s\"}", i ? "," : "",
		    prefix, i, vip_net, 10 + i, 8000 + i, i == 3 ? "ipip" : "gue");
	len += (size_t)snprintf(s + len, cap - len, "},\"routes\":[");
	for (unsigned i = 0; i < n; i++)
		len += (size_t)snprintf(s + len, cap - len,
					"%s{\"key\":\"k%u\",\"to\":[{\"shard\":\"%s%u\",\"weight\":"
					"3},{\"shard\":\"%s4\",\"weight\":1}]}",
					i ? "," : "", i, prefix, i % 4, prefix);
	snprintf(s + len, cap - len, "],\"default\":\"pass\"}");
	return s;
}

static struct ks_compiled *compile(const char *json)
{
	struct ks_diags d = {0};
	struct ks_compiled *c = NULL;

	if (ks_rules_compile_buf(json, strlen(json), &c, &d) != KS_RULES_OK) {
		ks_diags_print(&d, "rules", stderr);
		fail_msg("rule set did not compile");
	}
	ks_diags_free(&d);
	return c;
}

static struct ks_compiled *compile_set(__u64 version, unsigned n, const char *prefix,
				       const char *net)
{
	char *json = rules_json(version, n, prefix, net);
	struct ks_compiled *c = compile(json);

	free(json);
	return c;
}

static struct ks_shm_writer *open_writer(__u32 max_routes, __u32 readers, unsigned timeout_ms)
{
	struct ks_shm_geometry g = {.max_routes = max_routes, .max_readers = readers};
	struct ks_shm_writer_opts o = {.create = &g, .qsbr_timeout_ms = timeout_ms};
	char err[256];
	struct ks_shm_writer *w = ks_shm_open_writer(path, &o, err, sizeof(err));

	if (!w)
		fail_msg("open writer: %s", err);
	return w;
}

static void view_of(struct ks_shm_writer *w, struct ks_shm_view *v)
{
	ks_shm_view_init(v, (void *)ks_shm_writer_header(w));
}

/* Every key of c reads back in generation gen with its compiled route (slots aside). */
static void check_gen(const struct ks_shm_view *v, __u32 gen, const struct ks_compiled *c)
{
	assert_int_equal(v->config[gen]->version, c->version);
	assert_int_equal(v->config[gen]->n_routes, c->n_routes);
	assert_int_equal(v->config[gen]->default_action, c->default_action);
	for (__u32 i = 0; i < c->n_routes; i++) {
		const struct ks_route *r = ks_shm_route_lookup(v, gen, c->keys[i]);
		struct ks_route a, b;

		assert_non_null(r);
		a = *r;
		b = c->routes[i];
		a.stats_slot = b.stats_slot = 0;
		assert_memory_equal(&a, &b, sizeof(a));
	}
	for (__u32 i = 0; i < c->n_listeners; i++) {
		const struct ks_shm_listener_ent *e =
		    ks_shm_listener_lookup(v, gen, &c->listeners[i]);

		assert_non_null(e);
		assert_int_equal(e->id, i);
	}
	for (__u32 i = 0; i < c->n_shards; i++) {
		const struct ks_shard *sh = ks_shm_shard(v, gen, i);

		assert_non_null(sh);
		assert_memory_equal(&sh->vip, &c->shards[i].shard.vip, 20);
	}
	assert_null(ks_shm_shard(v, gen, c->n_shards));
}

static void test_hash_random(void **state)
{
	enum { SLOTS = 1024, KEYS = 700, OPS = 20000 };
	struct ks_shm_route_ent *tab = calloc(SLOTS, sizeof(*tab));
	__u64 keys[KEYS];
	unsigned char in[KEYS] = {0};
	struct ks_shm_view v = {0};

	(void)state;
	assert_non_null(tab);
	v.routes[0] = tab;
	v.route_mask = SLOTS - 1;
	srand(7);
	/* Clustered keys: many share home slots, so deletes must shift. */
	for (int i = 0; i < KEYS; i++)
		keys[i] = (i % 3 == 0) ? (__u64)i : ((__u64)rand() << 32) ^ (__u64)rand();
	for (int op = 0; op < OPS; op++) {
		int i = rand() % KEYS;

		if (in[i]) {
			assert_int_equal(ks_shm_route_del(tab, SLOTS - 1, keys[i]), 0);
			in[i] = 0;
		} else {
			struct ks_route r = {.stats_slot = (__u32)i, .n_targets = 1};

			assert_int_equal(ks_shm_route_put(tab, SLOTS - 1, keys[i], &r), 0);
			in[i] = 1;
		}
		if (op % 997 == 0 || op == OPS - 1)
			for (int k = 0; k < KEYS; k++) {
				const struct ks_route *r = ks_shm_route_lookup(&v, 0, keys[k]);

				if (in[k]) {
					assert_non_null(r);
					assert_int_equal(r->stats_slot, k);
				} else {
					assert_null(r);
				}
			}
	}
	assert_int_equal(ks_shm_route_del(tab, SLOTS - 1, 0x123456789ULL), -ENOENT);
	free(tab);
}

static void test_apply_and_versions(void **state)
{
	struct ks_shm_writer *w = open_writer(1000, 4, 500);
	struct ks_compiled *c1 = compile_set(1, 600, "a", "10.1.0");
	struct ks_compiled *c2 = compile_set(2, 400, "a", "10.1.0");
	struct ks_compiled *c3 = compile_set(3, 600, "a", "10.1.0");
	struct ks_shm_apply_stats st;
	struct ks_shm_view v;
	long slot_k5, slot_k500;
	__u32 gen;

	(void)state;
	view_of(w, &v);
	assert_int_equal(ks_shm_active_version(w), 0);
	assert_int_equal(ks_shm_apply(w, c1, &st), 0);
	assert_true(st.full);
	assert_int_equal(st.route_upserts, 600);
	assert_true(ks_shm_reclaim_pending(w));
	gen = ks_shm_view_gen(&v);
	assert_int_equal(gen, st.gen);
	check_gen(&v, gen, c1);
	assert_int_equal(ks_shm_reclaim(w), 0);
	assert_false(ks_shm_reclaim_pending(w));
	check_gen(&v, gen ^ 1, c1); /* both generations equal after the reclaim */

	slot_k5 = ks_shm_key_slot(w, c1->keys[5]);
	slot_k500 = ks_shm_key_slot(w, c1->keys[500]);
	assert_true(slot_k5 >= 0 && slot_k500 >= 0);
	/* Counts land on k500's slot; then k500 leaves (v2) and comes back (v3). */
	ks_shm_key_stats(ks_shm_writer_header(w), 1)[slot_k500].packets = 77;

	assert_int_equal(ks_shm_apply_sync(w, c2, &st), 0);
	assert_false(st.full);
	assert_int_equal(st.route_deletes, 200);
	assert_int_equal(st.route_upserts, 0);
	check_gen(&v, 0, c2);
	check_gen(&v, 1, c2);
	assert_int_equal(ks_shm_active_version(w), 2);
	assert_int_equal(ks_shm_key_slot(w, c1->keys[5]), slot_k5); /* kept */

	assert_int_equal(ks_shm_apply_sync(w, c3, &st), 0);
	assert_int_equal(st.route_upserts, 200);
	assert_true(st.slots_zeroed >= 1);
	check_gen(&v, 0, c3);
	check_gen(&v, 1, c3);
	/* Every slot is unique and a reused slot starts from zero. */
	{
		struct ks_key_stats *ks = calloc(ks_shm_writer_header(w)->stats_slots, sizeof(*ks));
		unsigned char *seen = calloc(ks_shm_writer_header(w)->stats_slots, 1);

		assert_int_equal(ks_shm_read_keys(ks_shm_writer_header(w), ks,
						  ks_shm_writer_header(w)->stats_slots),
				 0);
		for (__u32 i = 0; i < c3->n_routes; i++) {
			long s = ks_shm_key_slot(w, c3->keys[i]);

			assert_true(s >= 0);
			assert_false(seen[s]);
			seen[s] = 1;
			assert_int_equal(ks[s].packets, 0);
		}
		free(ks);
		free(seen);
	}
	/* The same rule set again: nothing to write. */
	assert_int_equal(ks_shm_apply_sync(w, c3, &st), 0);
	assert_int_equal(st.route_upserts + st.route_deletes, 0);

	ks_compiled_free(c1);
	ks_compiled_free(c2);
	ks_compiled_free(c3);
	ks_shm_close_writer(w);
	unlink(path);
}

static void test_lookup_and_limits(void **state)
{
	struct ks_shm_writer *w = open_writer(100, 2, 500);
	struct ks_compiled *big = compile_set(1, 200, "a", "10.1.0");
	struct ks_compiled *c = compile_set(2, 50, "a", "10.1.0");
	struct ks_shm_lookup lk;

	(void)state;
	/* 100 routes give 256 slots: 192 at most. */
	assert_int_equal(ks_shm_apply(w, big, NULL), -E2BIG);
	assert_false(ks_shm_reclaim_pending(w));
	assert_int_equal(ks_shm_active_version(w), 0);
	assert_int_equal(ks_shm_apply_sync(w, c, NULL), 0);
	assert_int_equal(ks_shm_lookup(w, c->keys[7], &lk), 0);
	assert_true(lk.found);
	assert_int_equal(lk.version, 2);
	assert_int_equal(lk.default_action, KS_DEFAULT_PASS);
	assert_int_equal(lk.route.n_targets, 2);
	assert_memory_equal(&lk.targets[0].vip, &c->shards[lk.route.t[0].shard].shard.vip, 16);
	assert_int_equal(ks_shm_lookup(w, 0xdeadbeefULL, &lk), 0);
	assert_false(lk.found);
	assert_int_equal(ks_shm_key_slot(w, 0xdeadbeefULL), -ENOENT);
	ks_compiled_free(big);
	ks_compiled_free(c);
	ks_shm_close_writer(w);
	unlink(path);
}

static void test_qsbr_blocks_and_frees(void **state)
{
	struct ks_shm_writer *w = open_writer(100, 4, 200);
	struct ks_shm_header *h = (struct ks_shm_header *)ks_shm_writer_header(w);
	struct ks_compiled *c1 = compile_set(1, 20, "a", "10.1.0");
	struct ks_compiled *c2 = compile_set(2, 20, "b", "10.2.0");
	struct ks_shm_view v;
	int slot, status;
	pid_t pid;

	(void)state;
	view_of(w, &v);
	assert_int_equal(ks_shm_apply_sync(w, c1, NULL), 0);
	slot = ks_shm_reader_register(h, 3);
	assert_true(slot >= 0);
	ks_shm_reader_online(h, (__u32)slot);
	/* The reader holds generation g (v1) and does not report. */
	assert_int_equal(ks_shm_apply(w, c2, NULL), 0);
	assert_int_equal(ks_shm_reclaim(w), -ETIMEDOUT);
	assert_true(ks_shm_reclaim_pending(w));
	check_gen(&v, ks_shm_view_gen(&v) ^ 1, c1); /* untouched */
	/* A further apply cannot proceed either: it would overwrite what the reader reads. */
	assert_int_equal(ks_shm_apply(w, c1, NULL), -ETIMEDOUT);
	assert_int_equal(ks_shm_active_version(w), 2);
	ks_shm_reader_quiescent(h, (__u32)slot);
	assert_int_equal(ks_shm_reclaim(w), 0);
	check_gen(&v, 0, c2);
	check_gen(&v, 1, c2);
	/* Offline readers are not waited for. */
	ks_shm_reader_offline(h, (__u32)slot);
	assert_int_equal(ks_shm_apply_sync(w, c1, NULL), 0);
	ks_shm_reader_unregister(h, (__u32)slot);

	/* A process that dies online: its slot is freed by the writer. */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int s = ks_shm_reader_register(h, 9);

		if (s < 0)
			_exit(2);
		ks_shm_reader_online(h, (__u32)s);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(ks_shm_apply(w, c2, NULL), 0);
	assert_int_equal(ks_shm_reclaim(w), 0);
	for (__u32 i = 0; i < h->max_readers; i++)
		assert_int_equal(ks_shm_readers(h)[i].used, 0);
	ks_compiled_free(c1);
	ks_compiled_free(c2);
	ks_shm_close_writer(w);
	unlink(path);
}

/* Flips under a continuous reader: each burst is decided by one version only. */
struct flip_reader {
	struct ks_shm_view v;
	const struct ks_compiled *a, *b;
	int slot;
	volatile int stop;
	unsigned long bursts, lookups, mixed, missing, seen_a, seen_b;
};

static int shard_prefix_is(const struct ks_compiled *c, const struct ks_shard *sh)
{
	/* Version A's shards live in 10.1.0.x, B's in 10.2.0.x. */
	__u32 net = ntohl(sh->vip.w[0]) >> 8;

	return net == (c->version == 1 ? 0x0a0100u : 0x0a0200u);
}

static void *flip_reader_main(void *arg)
{
	struct flip_reader *fr = arg;
	struct ks_shm_header *h = fr->v.h;

	ks_shm_reader_online(h, (__u32)fr->slot);
	while (!__atomic_load_n(&fr->stop, __ATOMIC_RELAXED)) {
		__u32 gen = ks_shm_view_gen(&fr->v);
		__u64 version = fr->v.config[gen]->version;
		const struct ks_compiled *c = version == 1 ? fr->a : fr->b;
		int bad = 0;

		for (__u32 i = 0; i < fr->a->n_routes; i++) {
			const struct ks_route *r = ks_shm_route_lookup(&fr->v, gen, fr->a->keys[i]);
			const struct ks_shard *sh;

			fr->lookups++;
			if (!r) {
				fr->missing++;
				continue;
			}
			for (unsigned t = 0; t < r->n_targets; t++) {
				sh = ks_shm_shard(&fr->v, gen, r->t[t].shard);
				if (!sh || !shard_prefix_is(c, sh))
					bad = 1;
			}
		}
		if (fr->v.config[gen]->version != version)
			bad = 1;
		fr->mixed += bad;
		if (version == 1)
			fr->seen_a++;
		else
			fr->seen_b++;
		fr->bursts++;
		ks_shm_reader_quiescent(h, (__u32)fr->slot);
	}
	ks_shm_reader_offline(h, (__u32)fr->slot);
	return NULL;
}

static void test_flips_under_reader(void **state)
{
	struct ks_shm_writer *w = open_writer(4096, 4, 5000);
	struct ks_shm_header *h = (struct ks_shm_header *)ks_shm_writer_header(w);
	struct ks_compiled *a = compile_set(1, 2000, "a", "10.1.0");
	struct ks_compiled *b = compile_set(2, 2000, "b", "10.2.0");
	struct flip_reader fr = {0};
	pthread_t th;

	(void)state;
	/* The same keys in both; every route's shards differ by version. */
	assert_int_equal(a->n_routes, b->n_routes);
	assert_memory_equal(a->keys, b->keys, a->n_routes * sizeof(__u64));
	assert_int_equal(ks_shm_apply_sync(w, a, NULL), 0);
	view_of(w, &fr.v);
	fr.a = a;
	fr.b = b;
	fr.slot = ks_shm_reader_register(h, 1);
	assert_true(fr.slot >= 0);
	assert_int_equal(pthread_create(&th, NULL, flip_reader_main, &fr), 0);
	for (int i = 0; i < 200; i++) {
		/* Versions must grow for the feed; the table itself takes any order. */
		assert_int_equal(ks_shm_apply_sync(w, (i & 1) ? a : b, NULL), 0);
	}
	__atomic_store_n(&fr.stop, 1, __ATOMIC_RELAXED);
	pthread_join(th, NULL);
	ks_shm_reader_unregister(h, (__u32)fr.slot);
	print_message("bursts %lu (v1 %lu, v2 %lu), lookups %lu\n", fr.bursts, fr.seen_a, fr.seen_b,
		      fr.lookups);
	assert_int_equal(fr.mixed, 0);
	assert_int_equal(fr.missing, 0);
	assert_true(fr.seen_a > 0 && fr.seen_b > 0);
	ks_compiled_free(a);
	ks_compiled_free(b);
	ks_shm_close_writer(w);
	unlink(path);
}

static void test_restart_and_two_writers(void **state)
{
	struct ks_shm_writer *w = open_writer(1000, 2, 500), *w2;
	struct ks_compiled *c1 = compile_set(1, 300, "a", "10.1.0");
	struct ks_compiled *c2 = compile_set(2, 100, "b", "10.2.0");
	struct ks_compiled *c3 = compile_set(3, 300, "a", "10.1.0");
	struct ks_shm_view v;
	long slot;

	(void)state;
	assert_int_equal(ks_shm_apply_sync(w, c1, NULL), 0);
	slot = ks_shm_key_slot(w, c1->keys[42]);
	/* Dies between flip and reclaim. */
	assert_int_equal(ks_shm_apply(w, c2, NULL), 0);
	ks_shm_close_writer(w);

	w = open_writer(0, 0, 500); /* the existing geometry wins */
	view_of(w, &v);
	assert_false(ks_shm_reclaim_pending(w));
	check_gen(&v, 0, c2);
	check_gen(&v, 1, c2);
	assert_int_equal(ks_shm_active_version(w), 2);

	/* A second writer changes the tables; the first notices before its next apply. */
	w2 = open_writer(0, 0, 500);
	assert_int_equal(ks_shm_apply_sync(w2, c1, NULL), 0);
	assert_int_equal(ks_shm_apply_sync(w, c3, NULL), 0);
	check_gen(&v, 0, c3);
	check_gen(&v, 1, c3);
	assert_true(ks_shm_key_slot(w, c1->keys[42]) >= 0);
	(void)slot;
	ks_shm_close_writer(w2);
	ks_compiled_free(c1);
	ks_compiled_free(c2);
	ks_compiled_free(c3);
	ks_shm_close_writer(w);
	unlink(path);
}

/* keysteerd's rollback floor lives in the table: a new table reads 0, a reopened one keeps it. */
static void test_rollback_floor_kept(void **state)
{
	struct ks_shm_writer *w = open_writer(100, 1, 500);

	(void)state;
	assert_int_equal(ks_shm_rollback_floor(w), 0);
	ks_shm_set_rollback_floor(w, 7);
	assert_int_equal(ks_shm_rollback_floor(w), 7);
	ks_shm_close_writer(w);
	w = open_writer(0, 0, 500);
	assert_int_equal(ks_shm_rollback_floor(w), 7);
	ks_shm_close_writer(w);
	unlink(path);
}

static void test_neighbours(void **state)
{
	struct ks_shm_writer *w = open_writer(100, 2, 500);
	struct ks_compiled *c = compile_set(1, 10, "a", "10.1.0");
	struct ks_shm_neigh *n = calloc(1, sizeof(*n));
	static const __u8 pmac[6] = {2, 0, 0, 0, 0, 1}, gmac[6] = {2, 0, 0, 0, 0, 0x99},
			  vmac[6] = {2, 0, 0, 0, 0, 0x12};
	struct ks_shm_view v;
	const struct ks_shard *sh;

	(void)state;
	view_of(w, &v);
	assert_int_equal(ks_shm_apply_sync(w, c, NULL), 0);
	sh = ks_shm_shard(&v, ks_shm_view_gen(&v), 0);
	assert_int_equal(sh->nh_valid, 0);

	n->n_ports = 2;
	memcpy(n->ports[1].mac, pmac, 6);
	n->ports[1].mtu = 1500;
	n->ports[1].used = 1;
	n->has_src4 = 1;
	inet_pton(AF_INET, "192.0.2.1", &n->src4.w[0]);
	n->has_gw4 = 1;
	inet_pton(AF_INET, "192.0.2.254", &n->gw4.w[0]);
	n->n_neigh = 2;
	n->neigh[0].family = KS_AF_INET;
	n->neigh[0].ip = n->gw4;
	n->neigh[0].port = 1;
	memcpy(n->neigh[0].mac, gmac, 6);
	/* Shard a2 (10.1.0.12) is on-link. */
	n->neigh[1].family = KS_AF_INET;
	inet_pton(AF_INET, "10.1.0.12", &n->neigh[1].ip.w[0]);
	n->neigh[1].port = 1;
	memcpy(n->neigh[1].mac, vmac, 6);
	assert_int_equal(ks_shm_publish_neigh(w, n), 0);
	for (__u32 g = 0; g < 2; g++) {
		for (__u32 i = 0; i < c->n_shards; i++) {
			int onlink = c->shards[i].shard.vip.w[0] == n->neigh[1].ip.w[0];

			sh = ks_shm_shard(&v, g, i);
			assert_int_equal(sh->nh_valid, 1);
			assert_int_equal(sh->ifindex, 2);
			assert_int_equal(sh->mtu, 1500);
			assert_memory_equal(sh->smac, pmac, 6);
			assert_memory_equal(sh->dmac, onlink ? vmac : gmac, 6);
			assert_int_equal(sh->src.w[0], n->src4.w[0]);
		}
	}
	/* Later applies resolve the same way. */
	assert_int_equal(ks_shm_apply_sync(w, c, NULL), 0);
	sh = ks_shm_shard(&v, ks_shm_view_gen(&v), 1);
	assert_int_equal(sh->nh_valid, 1);
	/* A gateway being resolved (no MAC yet): only the on-link shard resolves. */
	memset(n->neigh[0].mac, 0, 6);
	assert_int_equal(ks_shm_publish_neigh(w, n), 0);
	for (__u32 i = 0; i < c->n_shards; i++) {
		int onlink = c->shards[i].shard.vip.w[0] == n->neigh[1].ip.w[0];

		assert_int_equal(ks_shm_shard(&v, ks_shm_view_gen(&v), i)->nh_valid, onlink);
	}
	/* Resolved: every shard again. */
	memcpy(n->neigh[0].mac, gmac, 6);
	assert_int_equal(ks_shm_publish_neigh(w, n), 0);
	for (__u32 i = 0; i < c->n_shards; i++)
		assert_int_equal(ks_shm_shard(&v, ks_shm_view_gen(&v), i)->nh_valid, 1);
	/* No gateway, no source: unresolved. */
	n->has_gw4 = 0;
	assert_int_equal(ks_shm_publish_neigh(w, n), 0);
	for (__u32 i = 0; i < c->n_shards; i++) {
		int onlink = c->shards[i].shard.vip.w[0] == n->neigh[1].ip.w[0];

		assert_int_equal(ks_shm_shard(&v, ks_shm_view_gen(&v), i)->nh_valid, onlink);
	}
	free(n);
	ks_compiled_free(c);
	ks_shm_close_writer(w);
	unlink(path);
}

static void test_counters_sum(void **state)
{
	struct ks_shm_writer *w = open_writer(100, 3, 500);
	struct ks_shm_header *h = (struct ks_shm_header *)ks_shm_writer_header(w);
	struct ks_counter reasons[KS_R_MAX], shards[8];
	struct ks_key_stats keys[4];

	(void)state;
	for (__u32 r = 0; r < 3; r++) {
		ks_shm_counters(h, r)->reasons[KS_R_STEERED].packets = r + 1;
		ks_shm_counters(h, r)->reasons[KS_R_STEERED].bytes = 100 * (r + 1);
		ks_shm_counters(h, r)->shards[5].packets = 10;
		ks_shm_key_stats(h, r)[3].target_packets[1] = 2;
	}
	assert_int_equal(ks_shm_read_reasons(h, reasons), 0);
	assert_int_equal(reasons[KS_R_STEERED].packets, 6);
	assert_int_equal(reasons[KS_R_STEERED].bytes, 600);
	assert_int_equal(reasons[KS_R_MALFORMED].packets, 0);
	assert_int_equal(ks_shm_read_shards(h, shards, 8), 0);
	assert_int_equal(shards[5].packets, 30);
	assert_int_equal(ks_shm_read_keys(h, keys, 4), 0);
	assert_int_equal(keys[3].target_packets[1], 6);
	assert_int_equal(ks_shm_read_keys(h, keys, h->stats_slots + 1), -EINVAL);
	/* The layout fits the file: the last reader's last key slot, line-aligned. */
	{
		const char *end = (const char *)h + h->total_size;
		const struct ks_shm_key_slot *last =
		    &ks_shm_key_stats(h, h->max_readers - 1)[h->stats_slots - 1];

		assert_true((const char *)(last + 1) <= end);
		assert_int_equal((uintptr_t)ks_shm_key_stats(h, 0) % 64, 0);
		assert_true((const char *)ks_shm_key_stats(h, 1) >=
			    (const char *)(&ks_shm_key_stats(h, 0)[h->stats_slots]));
		memset((void *)last, 0xff, sizeof(*last));
		assert_int_equal(ks_shm_read_keys(h, keys, 4), 0);
		assert_int_equal(keys[3].target_packets[1], 6);
	}
	ks_shm_close_writer(w);
	unlink(path);
}

static void test_bad_files(void **state)
{
	struct ks_shm_map m;
	char err[256];
	FILE *f;

	(void)state;
	/* No file and no geometry: not created. */
	assert_int_equal(ks_shm_map_open(path, NULL, &m, err, sizeof(err)), -ENOENT);
	/* A file that is not a table. */
	{
		char sub[96];

		snprintf(sub, sizeof(sub), "%s/sub", dir);
		mkdir(sub, 0700);
	}
	f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; i < 4096; i++)
		fputc('x', f);
	fclose(f);
	assert_int_equal(ks_shm_map_open(path, NULL, &m, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "not a keysteer shared table"));
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hash_random),
	    cmocka_unit_test_setup_teardown(test_apply_and_versions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lookup_and_limits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_qsbr_blocks_and_frees, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_flips_under_reader, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_restart_and_two_writers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rollback_floor_kept, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_neighbours, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_counters_sum, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_files, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
