/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Placing a rule set's listeners in the buckets of ks_listeners (one
 * generation's image, keysteer/listener_table.h), and reading an image back.
 */
#ifndef KS_BACKEND_LISTENER_TABLE_H
#define KS_BACKEND_LISTENER_TABLE_H

#include <linux/types.h>
#include <keysteer/listener_table.h>

/* Seeds tried before a placement is given up. */
#define KS_LISTENER_SEED_TRIES 64

/* The seed of attempt i, 0 <= i < KS_LISTENER_SEED_TRIES; attempt 0's is 1. */
__u32 ks_listener_seed(__u32 attempt);

/*
 * Place keys[0..n) (their gen is ignored) into out[KS_LISTENER_BUCKETS]:
 * slot id = index in keys, ways filled in the order of keys. Deterministic:
 * the first seed of the fixed sequence with which no bucket needs more than
 * KS_LISTENER_WAYS slots, returned in *seed. 0; -EINVAL when a key's family
 * is 0 (it would read as an empty slot); -ENOSPC when no seed places them
 * all (in practice only when more than KS_LISTENER_WAYS keys are the same).
 * out is overwritten either way.
 */
int ks_listener_table_build(const struct ks_listener_key *keys, __u32 n,
			    struct ks_listener_bucket *out, __u32 *seed);

/*
 * The listeners an image holds, ordered by slot id (rule order), gen 0, into
 * out (the first max of them). How many the image holds, or -ENOMEM.
 */
int ks_listener_table_keys(const struct ks_listener_bucket *img, struct ks_listener_key *out,
			   __u32 max);

/* Buckets where images a and b differ, into idx (KS_LISTENER_BUCKETS room); their count. */
__u32 ks_listener_table_diff(const struct ks_listener_bucket *a, const struct ks_listener_bucket *b,
			     __u32 *idx);

#endif
