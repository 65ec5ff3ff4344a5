/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Weights -> weight buckets by the largest-remainder (Hamilton) method. It is
 * exact in integers: every target's share is w * 65536 / sum, floored, and
 * the few buckets the floors leave over (fewer than n) go to the targets with
 * the largest remainders. So counts sum to 65536, each is within one bucket
 * of the exact share, and the result depends only on the weights.
 */
#include "rules/rules.h"

int ks_weights_to_buckets(const __u64 *weights, unsigned n, __u32 *counts)
{
	__u64 sum = 0, rem[KS_MAX_TARGETS];
	__u32 assigned = 0;

	if (n == 0 || n > KS_MAX_TARGETS)
		return -1;
	for (unsigned i = 0; i < n; i++)
		sum += weights[i];
	if (sum == 0)
		return -1;

	/* weights < 2^32 and n <= 8: w * 2^16 < 2^48 cannot overflow. */
	for (unsigned i = 0; i < n; i++) {
		__u64 scaled = weights[i] * KS_WEIGHT_BUCKETS;

		counts[i] = (__u32)(scaled / sum);
		rem[i] = scaled % sum;
		assigned += counts[i];
	}

	/* Hand out the rest one at a time: largest remainder first, ties to the lower index. */
	for (__u32 left = KS_WEIGHT_BUCKETS - assigned; left > 0; left--) {
		unsigned best = n;

		for (unsigned i = 0; i < n; i++)
			if (rem[i] > 0 && (best == n || rem[i] > rem[best]))
				best = i;
		if (best == n) /* cannot happen: the remainders add up to left * sum */
			return -1;
		counts[best]++;
		rem[best] = 0;
	}
	return 0;
}
