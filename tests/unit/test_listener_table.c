/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Placing listeners in ks_listeners' buckets (ctl/backend/listener_table.c),
 * checked with the very lookup the XDP router runs on them
 * (keysteer/listener_table.h: bucket of the generation's seed, then the ways
 * in order up to the first empty one).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <arpa/inet.h>

#include "backend/listener_table.h"

static struct ks_listener_key v4(uint32_t addr, uint16_t port, uint8_t proto)
{
	struct ks_listener_key k;

	memset(&k, 0, sizeof(k));
	k.addr.w[0] = htonl(addr);
	k.port = htons(port);
	k.proto = proto;
	k.family = KS_AF_INET;
	return k;
}

static struct ks_listener_key v6(uint32_t w2, uint32_t w3, uint16_t port, uint8_t proto)
{
	struct ks_listener_key k;

	memset(&k, 0, sizeof(k));
	k.addr.w[0] = htonl(0x20010db8);
	k.addr.w[1] = htonl(0x01000000);
	k.addr.w[2] = htonl(w2);
	k.addr.w[3] = htonl(w3);
	k.port = htons(port);
	k.proto = proto;
	k.family = KS_AF_INET6;
	return k;
}

/* The router's question: is k a listener of the image placed with seed? */
static int lookup(const struct ks_listener_bucket *img, __u32 seed, const struct ks_listener_key *k)
{
	__u32 b = ks_listener_bucket(&k->addr, k->port, k->proto, k->family, seed);

	assert_true(b < KS_LISTENER_BUCKETS);
	return ks_listener_in_bucket(&img[b], k);
}

/* The id of the slot holding k, or -1. */
static long slot_id(const struct ks_listener_bucket *img, __u32 seed,
		    const struct ks_listener_key *k)
{
	const struct ks_listener_bucket *b =
	    &img[ks_listener_bucket(&k->addr, k->port, k->proto, k->family, seed)];

	for (int w = 0; w < KS_LISTENER_WAYS; w++)
		if (b->s[w].family && ks_listener_slot_matches(&b->s[w], k))
			return b->s[w].id;
	return -1;
}

static __u32 occupied(const struct ks_listener_bucket *img)
{
	__u32 n = 0;

	for (__u32 b = 0; b < KS_LISTENER_BUCKETS; b++)
		for (int w = 0; w < KS_LISTENER_WAYS; w++)
			n += img[b].s[w].family != 0;
	return n;
}

static struct ks_listener_bucket *image(void)
{
	struct ks_listener_bucket *img = malloc(KS_LISTENER_BUCKETS * sizeof(*img));

	assert_non_null(img);
	memset(img, 0xa5, KS_LISTENER_BUCKETS * sizeof(*img)); /* build must not rely on zeros */
	return img;
}

/*
 * A full rule set's worth: 128 IPv4 listeners (4 ports on each of 32
 * addresses) and 128 IPv6 ones (one per address), UDP and TCP.
 */
static void full_set(struct ks_listener_key *keys)
{
	for (__u32 i = 0; i < 128; i++)
		keys[i] = v4(0xcb007100u + i / 4, (uint16_t)(7000 + i % 4), i % 2 ? 6 : 17);
	for (__u32 i = 0; i < 128; i++)
		keys[128 + i] = v6(i % 8, 0x10 + i / 8, (uint16_t)(443 + i % 3), i % 2 ? 17 : 6);
}

static void test_full_set_all_found_with_their_ids(void **state)
{
	struct ks_listener_key keys[KS_MAX_LISTENERS], back[KS_MAX_LISTENERS];
	struct ks_listener_bucket *img = image();
	__u32 seed = 0;

	(void)state;
	full_set(keys);
	assert_int_equal(ks_listener_table_build(keys, KS_MAX_LISTENERS, img, &seed), 0);
	assert_int_not_equal(seed, 0);
	assert_int_equal(occupied(img), KS_MAX_LISTENERS);
	for (__u32 i = 0; i < KS_MAX_LISTENERS; i++) {
		assert_true(lookup(img, seed, &keys[i]));
		assert_int_equal(slot_id(img, seed, &keys[i]), i);
	}
	/* Read back: the same list in rule order. */
	assert_int_equal(ks_listener_table_keys(img, back, KS_MAX_LISTENERS), KS_MAX_LISTENERS);
	assert_memory_equal(back, keys, sizeof(keys));
	free(img);
}

static void test_others_not_found(void **state)
{
	struct ks_listener_key keys[KS_MAX_LISTENERS], k;
	struct ks_listener_bucket *img = image();
	__u32 seed = 0, misses = 0;

	(void)state;
	full_set(keys);
	assert_int_equal(ks_listener_table_build(keys, KS_MAX_LISTENERS, img, &seed), 0);
	for (__u32 i = 0; i < KS_MAX_LISTENERS; i++) {
		k = keys[i];
		k.port = htons((uint16_t)(ntohs(k.port) + 100)); /* another port */
		misses += !lookup(img, seed, &k);
		k = keys[i];
		k.proto = k.proto == 6 ? 17 : 6; /* the other protocol */
		misses += !lookup(img, seed, &k);
		k = keys[i];
		k.family = k.family == KS_AF_INET ? KS_AF_INET6 : KS_AF_INET; /* same bytes */
		misses += !lookup(img, seed, &k);
		k = keys[i];
		k.addr.w[i < 128 ? 0 : 3] ^= htonl(0x00ff0000); /* another address */
		misses += !lookup(img, seed, &k);
	}
	assert_int_equal(misses, 4 * KS_MAX_LISTENERS);
	/* The key's gen is not part of the slot (a generation is a whole image). */
	k = keys[5];
	k.gen = 1;
	assert_true(lookup(img, seed, &k));
	free(img);
}

static void test_same_input_same_image(void **state)
{
	struct ks_listener_key keys[KS_MAX_LISTENERS];
	struct ks_listener_bucket *a = image(), *b = image();
	__u32 sa = 0, sb = 0, idx[KS_LISTENER_BUCKETS];

	(void)state;
	full_set(keys);
	assert_int_equal(ks_listener_table_build(keys, KS_MAX_LISTENERS, a, &sa), 0);
	memset(b, 0x5a, KS_LISTENER_BUCKETS * sizeof(*b));
	keys[3].gen = 1; /* ignored */
	assert_int_equal(ks_listener_table_build(keys, KS_MAX_LISTENERS, b, &sb), 0);
	assert_int_equal(sa, sb);
	assert_memory_equal(a, b, KS_LISTENER_BUCKETS * sizeof(*a));
	assert_int_equal(ks_listener_table_diff(a, b, idx), 0);

	/* A small set is placed with the first seed, 1; an empty set too. */
	assert_int_equal(ks_listener_table_build(keys, 2, a, &sa), 0);
	assert_int_equal(sa, 1);
	assert_int_equal(ks_listener_seed(0), 1);
	assert_int_equal(ks_listener_table_build(keys, 0, b, &sb), 0);
	assert_int_equal(sb, 1);
	assert_int_equal(occupied(b), 0);

	/* One more listener changes one bucket when the seed stays. */
	assert_int_equal(ks_listener_table_build(keys, 3, b, &sb), 0);
	assert_int_equal(sb, 1);
	assert_int_equal(ks_listener_table_diff(a, b, idx), 1);
	assert_int_equal(idx[0], ks_listener_bucket(&keys[2].addr, keys[2].port, keys[2].proto,
						    keys[2].family, 1));
	free(a);
	free(b);
}

/* n IPv4 listeners on one address that the first seed puts in one bucket. */
static void same_bucket(struct ks_listener_key *out, __u32 n)
{
	__u32 want = 0, found = 0;

	for (__u32 port = 1; port < 65536 && found < n; port++) {
		struct ks_listener_key k = v4(0xcb00710au, (uint16_t)port, 17);
		__u32 b = ks_listener_bucket(&k.addr, k.port, k.proto, k.family, 1);

		if (found == 0)
			want = b;
		if (b == want)
			out[found++] = k;
	}
	assert_int_equal(found, n);
}

static void test_full_bucket_takes_another_seed(void **state)
{
	struct ks_listener_key keys[KS_LISTENER_WAYS + 1];
	struct ks_listener_bucket *img = image();
	__u32 seed = 0, b;

	(void)state;
	same_bucket(keys, KS_LISTENER_WAYS + 1);
	/* Four fit: seed 1, the ways filled in rule order. */
	assert_int_equal(ks_listener_table_build(keys, KS_LISTENER_WAYS, img, &seed), 0);
	assert_int_equal(seed, 1);
	b = ks_listener_bucket(&keys[0].addr, keys[0].port, keys[0].proto, keys[0].family, 1);
	for (__u32 w = 0; w < KS_LISTENER_WAYS; w++) {
		assert_true(ks_listener_slot_matches(&img[b].s[w], &keys[w]));
		assert_int_equal(img[b].s[w].id, w);
	}
	/* Five do not: another seed, with every one found under its id. */
	assert_int_equal(ks_listener_table_build(keys, KS_LISTENER_WAYS + 1, img, &seed), 0);
	assert_int_not_equal(seed, 1);
	assert_int_equal(occupied(img), KS_LISTENER_WAYS + 1);
	for (__u32 i = 0; i <= KS_LISTENER_WAYS; i++)
		assert_int_equal(slot_id(img, seed, &keys[i]), i);
	free(img);
}

static void test_unplaceable_sets_are_refused(void **state)
{
	struct ks_listener_key keys[KS_LISTENER_WAYS + 1];
	struct ks_listener_bucket *img = image();
	__u32 seed = 77;

	(void)state;
	/* The same listener five times shares a bucket under every seed. */
	for (__u32 i = 0; i <= KS_LISTENER_WAYS; i++)
		keys[i] = v4(0xcb00710au, 7000, 17);
	assert_int_equal(ks_listener_table_build(keys, KS_LISTENER_WAYS + 1, img, &seed), -ENOSPC);
	assert_int_equal(seed, 77);
	/* Four times still fits (and the lookup finds the first). */
	assert_int_equal(ks_listener_table_build(keys, KS_LISTENER_WAYS, img, &seed), 0);
	assert_int_equal(slot_id(img, seed, &keys[0]), 0);
	/* A family of 0 would read as an empty slot. */
	keys[1].family = 0;
	assert_int_equal(ks_listener_table_build(keys, 2, img, &seed), -EINVAL);
	free(img);
}

static void test_first_empty_way_ends_the_search(void **state)
{
	struct ks_listener_bucket b;
	struct ks_listener_key k = v4(0x0a000001, 53, 17);

	(void)state;
	memset(&b, 0, sizeof(b));
	b.s[1].addr = k.addr;
	b.s[1].port = k.port;
	b.s[1].proto = k.proto;
	b.s[1].family = k.family;
	assert_false(ks_listener_in_bucket(&b, &k));
	b.s[0] = b.s[1];
	b.s[0].port = htons(54);
	assert_true(ks_listener_in_bucket(&b, &k));
	b.s[3] = b.s[1];
	memset(&b.s[1], 0, sizeof(b.s[1]));
	memset(&b.s[2], 0, sizeof(b.s[2]));
	assert_false(ks_listener_in_bucket(&b, &k));
}

static void test_seeds_differ(void **state)
{
	(void)state;
	for (__u32 i = 0; i < KS_LISTENER_SEED_TRIES; i++)
		for (__u32 j = 0; j < i; j++)
			assert_int_not_equal(ks_listener_seed(i), ks_listener_seed(j));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full_set_all_found_with_their_ids),
	    cmocka_unit_test(test_others_not_found),
	    cmocka_unit_test(test_same_input_same_image),
	    cmocka_unit_test(test_full_bucket_takes_another_seed),
	    cmocka_unit_test(test_unplaceable_sets_are_refused),
	    cmocka_unit_test(test_first_empty_way_ends_the_search),
	    cmocka_unit_test(test_seeds_differ),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
