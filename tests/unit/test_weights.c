/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Weight normalisation (ks_weights_to_buckets): properties checked on many
 * pseudo-random weight vectors, and a few exact cases worked out by hand.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "rules/rules.h"

#define ROUNDS 200000

static __u64 rng_state = 0x9e3779b97f4a7c15ULL;

static __u64 rng(void)
{
	/* xorshift64*: deterministic, so a failure reproduces */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

/* Weights of one of several shapes: small, huge, mixed, with zeros. */
static unsigned random_weights(__u64 *w)
{
	unsigned n = 1 + (unsigned)(rng() % KS_MAX_TARGETS);
	unsigned shape = (unsigned)(rng() % 5);

	for (unsigned i = 0; i < n; i++) {
		switch (shape) {
		case 0:
			w[i] = rng() % 11;
			break;
		case 1:
			w[i] = rng() % 1000;
			break;
		case 2:
			w[i] = rng() & 0xffffffffULL;
			break;
		case 3:
			w[i] = (rng() % 3 == 0) ? 0 : 1 + rng() % 100;
			break;
		default:
			w[i] = (rng() % 2) ? 0xffffffffULL - rng() % 16 : 1 + rng() % 65536;
			break;
		}
	}
	return n;
}

static void check_properties(const __u64 *w, unsigned n, const __u32 *c)
{
	__u64 sum = 0, total = 0;

	for (unsigned i = 0; i < n; i++)
		sum += w[i];
	for (unsigned i = 0; i < n; i++) {
		__u64 scaled = w[i] * KS_WEIGHT_BUCKETS;
		__u64 floor_share = scaled / sum;

		total += c[i];
		/* within one bucket of the exact share: floor or floor + 1 */
		assert_true(c[i] == floor_share || c[i] == floor_share + 1);
		/* |c - exact| < 1, in integers: |c * sum - w * 65536| < sum */
		__u64 a = (__u64)c[i] * sum;

		assert_true(a > scaled ? a - scaled < sum : scaled - a < sum);
		if (w[i] == 0)
			assert_int_equal(c[i], 0);
	}
	assert_int_equal(total, KS_WEIGHT_BUCKETS);

	/* Largest remainder: whoever got an extra bucket had a remainder at
	 * least as large as anyone who did not (equal only if lower index). */
	for (unsigned i = 0; i < n; i++) {
		__u64 ri = (w[i] * KS_WEIGHT_BUCKETS) % sum;
		bool extra_i = c[i] != (w[i] * KS_WEIGHT_BUCKETS) / sum;

		for (unsigned j = 0; j < n; j++) {
			__u64 rj = (w[j] * KS_WEIGHT_BUCKETS) % sum;
			bool extra_j = c[j] != (w[j] * KS_WEIGHT_BUCKETS) / sum;

			if (extra_i && !extra_j) {
				assert_true(ri >= rj);
				if (ri == rj)
					assert_true(i < j);
			}
		}
		/* a larger weight never gets fewer buckets */
		for (unsigned j = 0; j < n; j++)
			if (w[i] > w[j])
				assert_true(c[i] >= c[j]);
	}
}

static void random_properties(void **state)
{
	(void)state;
	__u64 w[KS_MAX_TARGETS];
	__u32 c[KS_MAX_TARGETS], again[KS_MAX_TARGETS];
	unsigned checked = 0;

	for (int round = 0; round < ROUNDS; round++) {
		unsigned n = random_weights(w);
		__u64 sum = 0;

		for (unsigned i = 0; i < n; i++)
			sum += w[i];
		if (sum == 0) {
			assert_int_equal(ks_weights_to_buckets(w, n, c), -1);
			continue;
		}
		assert_int_equal(ks_weights_to_buckets(w, n, c), 0);
		check_properties(w, n, c);
		/* determinism */
		assert_int_equal(ks_weights_to_buckets(w, n, again), 0);
		assert_memory_equal(c, again, n * sizeof(c[0]));
		checked++;
	}
	assert_true(checked > ROUNDS / 2);
}

static void capacity_one_beside_four(void **state)
{
	(void)state;
	const __u64 w[2] = {4, 1};
	__u32 c[2];

	/* 65536 * 4/5 = 52428.8, 65536 / 5 = 13107.2: the .8 gets the spare bucket */
	assert_int_equal(ks_weights_to_buckets(w, 2, c), 0);
	assert_int_equal(c[0], 52429);
	assert_int_equal(c[1], 13107);
	/* the canary's share is 20% to within one bucket */
	assert_true(c[1] * 5 <= KS_WEIGHT_BUCKETS + 5 && c[1] * 5 + 5 >= KS_WEIGHT_BUCKETS);
}

static void exact_cases(void **state)
{
	(void)state;
	__u32 c[KS_MAX_TARGETS];
	const __u64 thirds[3] = {1, 1, 1};
	const __u64 ab[2] = {95, 5};
	const __u64 one[1] = {7};
	const __u64 with_zero[3] = {0, 1, 0};
	const __u64 eight[8] = {1, 1, 1, 1, 1, 1, 1, 1};

	/* 21845.33 each: the one spare bucket goes to the lowest index */
	assert_int_equal(ks_weights_to_buckets(thirds, 3, c), 0);
	assert_int_equal(c[0], 21846);
	assert_int_equal(c[1], 21845);
	assert_int_equal(c[2], 21845);

	/* 95/5: 62259.2 and 3276.8 -> 62259 and 3277 */
	assert_int_equal(ks_weights_to_buckets(ab, 2, c), 0);
	assert_int_equal(c[0], 62259);
	assert_int_equal(c[1], 3277);

	assert_int_equal(ks_weights_to_buckets(one, 1, c), 0);
	assert_int_equal(c[0], 65536);

	assert_int_equal(ks_weights_to_buckets(with_zero, 3, c), 0);
	assert_int_equal(c[0], 0);
	assert_int_equal(c[1], 65536);
	assert_int_equal(c[2], 0);

	assert_int_equal(ks_weights_to_buckets(eight, 8, c), 0);
	for (int i = 0; i < 8; i++)
		assert_int_equal(c[i], 8192);
}

static void refuses_bad_input(void **state)
{
	(void)state;
	const __u64 zeros[3] = {0, 0, 0};
	const __u64 nine[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
	__u32 c[9];

	assert_int_equal(ks_weights_to_buckets(zeros, 3, c), -1);
	assert_int_equal(ks_weights_to_buckets(zeros, 0, c), -1);
	assert_int_equal(ks_weights_to_buckets(nine, 9, c), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(random_properties),
	    cmocka_unit_test(capacity_one_beside_four),
	    cmocka_unit_test(exact_cases),
	    cmocka_unit_test(refuses_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
