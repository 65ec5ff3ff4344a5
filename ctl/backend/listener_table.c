/* SPDX-License-Identifier: BSD-3-Clause */
/* Placing listeners in ks_listeners' buckets; reading an image back. */
#include "backend/listener_table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*
 * Attempt i's seed: i times an odd 32-bit constant, made odd. Attempt 0 is
 * 1 (the multiplier is then the 64-bit constant itself); the others are
 * spread over 32 bits, because multipliers seed * K for small consecutive
 * seeds are multiples of one another and tend to keep the same collisions.
 */
__u32 ks_listener_seed(__u32 attempt)
{
	return (attempt * 0x9e3779b9u) | 1u;
}

static int place(const struct ks_listener_key *keys, __u32 n, __u32 seed,
		 struct ks_listener_bucket *out)
{
	memset(out, 0, KS_LISTENER_BUCKETS * sizeof(*out));
	for (__u32 i = 0; i < n; i++) {
		const struct ks_listener_key *k = &keys[i];
		struct ks_listener_bucket *b =
		    &out[ks_listener_bucket(&k->addr, k->port, k->proto, k->family, seed)];
		__u32 w = 0;

		while (w < KS_LISTENER_WAYS && b->s[w].family)
			w++;
		if (w == KS_LISTENER_WAYS)
			return -ENOSPC;
		b->s[w].addr = k->addr;
		b->s[w].port = k->port;
		b->s[w].proto = k->proto;
		b->s[w].family = k->family;
		b->s[w].id = i;
	}
	return 0;
}

int ks_listener_table_build(const struct ks_listener_key *keys, __u32 n,
			    struct ks_listener_bucket *out, __u32 *seed)
{
	for (__u32 i = 0; i < n; i++)
		if (!keys[i].family)
			return -EINVAL;
	for (__u32 attempt = 0; attempt < KS_LISTENER_SEED_TRIES; attempt++) {
		__u32 s = ks_listener_seed(attempt);

		if (place(keys, n, s, out) == 0) {
			*seed = s;
			return 0;
		}
	}
	return -ENOSPC;
}

static int by_id(const void *a, const void *b)
{
	__u32 x = ((const struct ks_listener_slot *)a)->id,
	      y = ((const struct ks_listener_slot *)b)->id;

	return x < y ? -1 : x > y;
}

int ks_listener_table_keys(const struct ks_listener_bucket *img, struct ks_listener_key *out,
			   __u32 max)
{
	struct ks_listener_slot *slots =
	    malloc(KS_LISTENER_BUCKETS * KS_LISTENER_WAYS * sizeof(*slots));
	__u32 n = 0;

	if (!slots)
		return -ENOMEM;
	for (__u32 b = 0; b < KS_LISTENER_BUCKETS; b++)
		for (__u32 w = 0; w < KS_LISTENER_WAYS && img[b].s[w].family; w++)
			slots[n++] = img[b].s[w];
	qsort(slots, n, sizeof(*slots), by_id);
	for (__u32 i = 0; i < n && i < max; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		out[i].addr = slots[i].addr;
		out[i].port = slots[i].port;
		out[i].proto = slots[i].proto;
		out[i].family = slots[i].family;
	}
	free(slots);
	return (int)n;
}

__u32 ks_listener_table_diff(const struct ks_listener_bucket *a, const struct ks_listener_bucket *b,
			     __u32 *idx)
{
	__u32 n = 0;

	for (__u32 i = 0; i < KS_LISTENER_BUCKETS; i++)
		if (memcmp(&a[i], &b[i], sizeof(a[i])))
			idx[n++] = i;
	return n;
}
