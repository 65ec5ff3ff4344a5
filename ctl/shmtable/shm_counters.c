/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Counters flow back through the table: every fast-path thread adds to its
 * own reader slot's arrays (no atomics, like the per-CPU BPF maps) and
 * readers of the counters sum the slots. Sums are read without a lock, so a
 * sum may miss the last few packets of a burst in flight, never more.
 */
#include <keysteer/reason_names.h>
#include "shmtable/shm_writer.h"

#include <errno.h>
#include <string.h>

int ks_shm_read_reasons(const struct ks_shm_header *h, struct ks_counter *out)
{
	memset(out, 0, sizeof(*out) * KS_R_MAX);
	for (__u32 r = 0; r < h->max_readers; r++) {
		const struct ks_shm_counters *c = ks_shm_counters(h, r);

		for (unsigned i = 0; i < KS_R_MAX; i++) {
			out[i].packets += __atomic_load_n(&c->reasons[i].packets, __ATOMIC_RELAXED);
			out[i].bytes += __atomic_load_n(&c->reasons[i].bytes, __ATOMIC_RELAXED);
		}
	}
	return 0;
}

int ks_shm_read_shards(const struct ks_shm_header *h, struct ks_counter *out, __u32 n)
{
	if (n > KS_MAX_SHARDS)
		return -EINVAL;
	memset(out, 0, sizeof(*out) * n);
	for (__u32 r = 0; r < h->max_readers; r++) {
		const struct ks_shm_counters *c = ks_shm_counters(h, r);

		for (__u32 i = 0; i < n; i++) {
			out[i].packets += __atomic_load_n(&c->shards[i].packets, __ATOMIC_RELAXED);
			out[i].bytes += __atomic_load_n(&c->shards[i].bytes, __ATOMIC_RELAXED);
		}
	}
	return 0;
}

int ks_shm_read_keys(const struct ks_shm_header *h, struct ks_key_stats *out, __u32 n_slots)
{
	if (n_slots > h->stats_slots)
		return -EINVAL;
	memset(out, 0, sizeof(*out) * n_slots);
	for (__u32 r = 0; r < h->max_readers; r++) {
		const struct ks_shm_key_slot *k = ks_shm_key_stats(h, r);

		for (__u32 i = 0; i < n_slots; i++) {
			const __u64 *src = (const __u64 *)&k[i];
			__u64 *dst = (__u64 *)&out[i];

			for (size_t w = 0; w < sizeof(*out) / sizeof(__u64); w++)
				dst[w] += __atomic_load_n(&src[w], __ATOMIC_RELAXED);
		}
	}
	return 0;
}

const char *ks_shm_reason_name(unsigned reason)
{
	return ks_reason_str(reason);
}
