/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keysteer-dpdk's shared connection / NAT tables (dataplane/flowcache.c):
 * insert, replace and look up; the least recently used way evicted from a
 * full bucket; a restart on a table a writer died in; and lock-free readers
 * beside writers on other threads, which must never see a torn value.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "flowcache.h"

#define KEY_SIZE 12 /* an IPv4 connection key */
#define VAL_SIZE 40 /* the size of the largest value (struct ks_nat_rev) */

struct table {
	struct flowcache fc;
	void *mem;
	volatile uint32_t clock;
};

static void table_new(struct table *t, uint32_t entries)
{
	t->mem = aligned_alloc(64, flowcache_bytes(entries));
	assert_non_null(t->mem);
	t->clock = 1;
	flowcache_init(&t->fc, t->mem, entries, KEY_SIZE, VAL_SIZE, &t->clock, 1);
}

static void key_of(uint32_t id, uint8_t key[KEY_SIZE])
{
	memset(key, 0, KEY_SIZE);
	memcpy(key, &id, sizeof(id));
	key[11] = (uint8_t)(id * 7);
}

/* A value whose five words all say (id, gen): a torn read mixes them. */
static void val_of(uint32_t id, uint32_t gen, uint8_t val[VAL_SIZE])
{
	uint64_t w = (uint64_t)id << 32 | gen;

	for (int i = 0; i < VAL_SIZE / 8; i++)
		memcpy(val + 8 * i, &w, 8);
}

/* Whether a value's words agree (a whole value), and the key id they say. */
static int val_whole(const uint8_t val[VAL_SIZE], uint32_t *id)
{
	uint64_t w0, w;

	memcpy(&w0, val, 8);
	for (int i = 1; i < VAL_SIZE / 8; i++) {
		memcpy(&w, val + 8 * i, 8);
		if (w != w0)
			return 0;
	}
	*id = (uint32_t)(w0 >> 32);
	return 1;
}

static void test_put_get_replace(void **state)
{
	struct table t;
	uint8_t k[KEY_SIZE], v[VAL_SIZE], got[VAL_SIZE];

	(void)state;
	table_new(&t, 1024);
	for (uint32_t id = 0; id < 500; id++) {
		key_of(id, k);
		val_of(id, 1, v);
		flowcache_put(&t.fc, k, v);
	}
	/* 500 keys in 256 buckets of 4 ways: some buckets overflowed, most did not. */
	unsigned found = 0;
	for (uint32_t id = 0; id < 500; id++) {
		key_of(id, k);
		if (flowcache_get(&t.fc, k, got)) {
			val_of(id, 1, v);
			assert_memory_equal(got, v, VAL_SIZE);
			found++;
		}
	}
	assert_true(found > 450);
	key_of(7, k);
	val_of(7, 2, v);
	flowcache_put(&t.fc, k, v); /* replace, not a second entry */
	assert_int_equal(flowcache_get(&t.fc, k, got), 1);
	assert_memory_equal(got, v, VAL_SIZE);
	assert_int_equal(flowcache_set_byte(&t.fc, k, 3, 0xee), 1);
	assert_int_equal(flowcache_get(&t.fc, k, got), 1);
	assert_int_equal(got[3], 0xee);
	assert_int_equal(flowcache_set_byte(&t.fc, k, VAL_SIZE, 1), 0); /* out of the value */
	key_of(100000, k);
	assert_int_equal(flowcache_get(&t.fc, k, got), 0);
	assert_int_equal(flowcache_set_byte(&t.fc, k, 0, 1), 0);
	flowcache_clear(&t.fc);
	key_of(7, k);
	assert_int_equal(flowcache_get(&t.fc, k, got), 0);
	free(t.mem);
}

/* One bucket: the fifth key evicts the way used longest ago, not a recent one. */
static void test_lru_eviction(void **state)
{
	struct table t;
	uint8_t k[KEY_SIZE], v[VAL_SIZE], got[VAL_SIZE];

	(void)state;
	table_new(&t, FC_WAYS);
	assert_int_equal(t.fc.mask, 0);
	for (uint32_t id = 0; id < FC_WAYS; id++) {
		t.clock = 10 + id;
		key_of(id, k);
		val_of(id, 1, v);
		flowcache_put(&t.fc, k, v);
	}
	/* Key 0, the oldest insert, is used again: key 1 is now the oldest. */
	t.clock = 20;
	key_of(0, k);
	assert_int_equal(flowcache_get(&t.fc, k, got), 1);
	t.clock = 21;
	key_of(99, k);
	val_of(99, 1, v);
	flowcache_put(&t.fc, k, v);
	for (uint32_t id = 0; id < FC_WAYS; id++) {
		key_of(id, k);
		assert_int_equal(flowcache_get(&t.fc, k, got), id != 1);
	}
	key_of(99, k);
	assert_int_equal(flowcache_get(&t.fc, k, got), 1);
	free(t.mem);
}

/* A process died inside a write: the next one releases the lock and keeps the entries. */
static void test_restart_after_a_dead_writer(void **state)
{
	struct table t;
	uint8_t k[KEY_SIZE], v[VAL_SIZE], got[VAL_SIZE];

	(void)state;
	table_new(&t, 64);
	for (uint32_t id = 0; id < 32; id++) {
		key_of(id, k);
		val_of(id, 1, v);
		flowcache_put(&t.fc, k, v);
	}
	for (uint32_t i = 0; i <= t.fc.mask; i++) {
		t.fc.b[i].lock = 1;
		t.fc.b[i].seq |= 1;
	}
	flowcache_init(&t.fc, t.mem, 64, KEY_SIZE, VAL_SIZE, &t.clock, 0);
	unsigned found = 0;
	for (uint32_t id = 0; id < 32; id++) {
		key_of(id, k);
		found += (unsigned)flowcache_get(&t.fc, k, got); /* would spin on an odd count */
	}
	assert_true(found >= 28);
	key_of(1000, k);
	val_of(1000, 1, v);
	flowcache_put(&t.fc, k, v); /* would spin on the held lock */
	assert_int_equal(flowcache_get(&t.fc, k, got), 1);
	free(t.mem);
}

/*
 * Two writers replace the values of 2048 keys over and over (each value's
 * words say which key and which pass); two readers look keys up meanwhile.
 * A value read must be whole and must belong to the key it was found under.
 * The writers go on until they have made RACE_PASSES passes and the readers
 * have found RACE_MIN_HITS values between them, so that the readers overlap
 * the writes however the two CPUs are shared; bounded by 20 s.
 */
#define RACE_KEYS     2048
#define RACE_PASSES   150
#define RACE_MIN_HITS 1000000UL

struct race {
	struct table t;
	volatile int writers_done;
	unsigned long live_hits; /* found by the readers so far */
	uint32_t last_pass[2];	 /* of each writer, when it stopped */
	unsigned long torn, wrong_key, hits;
	pthread_mutex_t mu;
};

struct race_arg {
	struct race *r;
	uint32_t first;
};

static void *race_writer(void *p)
{
	struct race_arg *a = p;
	uint8_t k[KEY_SIZE], v[VAL_SIZE];
	time_t end = time(NULL) + 20;
	uint32_t pass = 0;

	while (pass < RACE_PASSES ||
	       (__atomic_load_n(&a->r->live_hits, __ATOMIC_RELAXED) < RACE_MIN_HITS &&
		time(NULL) < end)) {
		pass++;
		for (uint32_t id = a->first; id < RACE_KEYS; id += 2) {
			key_of(id, k);
			val_of(id, pass * 2, v);
			flowcache_put(&a->r->t.fc, k, v);
		}
	}
	a->r->last_pass[a->first] = pass;
	return NULL;
}

static void *race_reader(void *p)
{
	struct race_arg *a = p;
	struct race *r = a->r;
	uint8_t k[KEY_SIZE], got[VAL_SIZE];
	unsigned long torn = 0, wrong = 0, hits = 0;
	uint32_t id = a->first;
	time_t end = time(NULL) + 20;

	while (!__atomic_load_n(&r->writers_done, __ATOMIC_ACQUIRE) && time(NULL) < end) {
		for (int i = 0; i < 1024; i++) {
			id = (id * 1103515245u + 12345u) % RACE_KEYS;
			key_of(id, k);
			if (!flowcache_get(&r->t.fc, k, got))
				continue;
			uint32_t said;

			hits++;
			__atomic_fetch_add(&r->live_hits, 1, __ATOMIC_RELAXED);
			if (!val_whole(got, &said))
				torn++;
			else if (said != id)
				wrong++;
		}
	}
	pthread_mutex_lock(&r->mu);
	r->torn += torn;
	r->wrong_key += wrong;
	r->hits += hits;
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

static void test_readers_beside_writers(void **state)
{
	struct race r = {.mu = PTHREAD_MUTEX_INITIALIZER};
	struct race_arg wa[2] = {{&r, 0}, {&r, 1}}, ra[2] = {{&r, 3}, {&r, 5}};
	pthread_t w[2], rd[2];

	(void)state;
	table_new(&r.t, RACE_KEYS * 2);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&rd[i], NULL, race_reader, &ra[i]), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&w[i], NULL, race_writer, &wa[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(w[i], NULL);
	__atomic_store_n(&r.writers_done, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < 2; i++)
		pthread_join(rd[i], NULL);
	print_message("readers: %lu hits, %lu torn, %lu under another key\n", r.hits, r.torn,
		      r.wrong_key);
	assert_true(r.hits >= RACE_MIN_HITS);
	assert_int_equal(r.torn, 0);
	assert_int_equal(r.wrong_key, 0);
	/* After the writers: every key that is still there holds its last pass. */
	uint8_t k[KEY_SIZE], v[VAL_SIZE], got[VAL_SIZE];
	unsigned found = 0;
	for (uint32_t id = 0; id < RACE_KEYS; id++) {
		key_of(id, k);
		if (!flowcache_get(&r.t.fc, k, got))
			continue;
		val_of(id, r.last_pass[id & 1] * 2, v);
		assert_memory_equal(got, v, VAL_SIZE);
		found++;
	}
	assert_true(found > RACE_KEYS * 9 / 10);
	free(r.t.mem);
}

int main(void)
{
	/* A test that spins (a lock or sequence count left held) fails, not hangs. */
	alarm(120);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_put_get_replace),
	    cmocka_unit_test(test_lru_eviction),
	    cmocka_unit_test(test_restart_after_a_dead_writer),
	    cmocka_unit_test(test_readers_beside_writers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
