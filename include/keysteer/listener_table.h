/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Where a listener lives in ks_listeners (keysteer/table.h), written once for
 * the XDP router, which looks listeners up, and the controller, which places
 * them (ctl/backend/listener_table.c).
 *
 * Why a bucketed array and not a hash map: the controller knows all of a
 * generation's listeners (at most KS_MAX_LISTENERS) before any packet is
 * judged by them, so it can place them itself. The router then computes one
 * bucket number (three multiplies, no loop) and reads that bucket with an
 * array lookup, which the JIT inlines, instead of a BPF hash lookup (a jhash
 * of the 24-byte key and a memcmp: about 21 ns here, half the UDP budget).
 *
 * Why a seed per generation: with 1024 buckets of 4 ways a set of 256
 * listeners overflows some bucket about once in a hundred placements. The
 * controller then tries the next seed; each generation is placed from its
 * own listener set, so its seed is stored beside it in ks_config.
 */
#ifndef KEYSTEER_LISTENER_TABLE_H
#define KEYSTEER_LISTENER_TABLE_H

#include <keysteer/compat.h>
#include <keysteer/table.h>

#define KS_LISTENER_BUCKET_BITS 10
KS_STATIC_ASSERT(KS_LISTENER_BUCKETS == 1 << KS_LISTENER_BUCKET_BITS, "buckets: 2^bits");

/*
 * The slot and the key hold (address, port, protocol, family) at the same
 * offsets, so they compare as five 32-bit words.
 */
KS_STATIC_ASSERT(__builtin_offsetof(struct ks_listener_slot, port) == 16 &&
		     __builtin_offsetof(struct ks_listener_key, port) == 16 &&
		     __builtin_offsetof(struct ks_listener_slot, family) == 19 &&
		     __builtin_offsetof(struct ks_listener_key, family) == 19,
		 "listener slot and key share their first 20 bytes");

/*
 * Bucket of (a, port, proto, family) for a placement seed, in
 * [0, KS_LISTENER_BUCKETS). The 160 bits fold into x (one multiply spreads
 * the address's second half; an IPv4 listener's x is its address and port
 * word side by side, so distinct IPv4 listeners never share an x), then
 * multiply-shift hashing with an odd multiplier derived from the seed takes
 * the top bits of x * m. Only the in-memory words are used, never their
 * numeric meaning: both sides run on the same host.
 */
KS_INLINE __u32 ks_listener_bucket(const struct ks_addr *a, __be16 port, __u8 proto, __u8 family,
				   __u32 seed)
{
	__u64 lo = (__u64)a->w[0] << 32 | a->w[1];
	__u64 hi = (__u64)a->w[2] << 32 | a->w[3];
	__u64 ppf = (__u64)port | (__u64)proto << 16 | (__u64)family << 24;
	__u64 x = lo ^ (hi * 0xff51afd7ed558ccdULL) ^ ppf;
	__u64 m = ((__u64)seed * 0x9e3779b97f4a7c15ULL) | 1;

	return (__u32)((x * m) >> (64 - KS_LISTENER_BUCKET_BITS));
}

/*
 * The 32-bit word at byte off (a multiple of 4) of a slot or key: one aligned
 * load. may_alias, because it reads __be16/__u8 fields as a word; not
 * memcpy, which clang lowers to four byte loads when it cannot see the
 * alignment (it tripled the size of the lookup).
 */
typedef __u32 __attribute__((may_alias)) ks_listener_word_t;

KS_INLINE __u32 ks_listener_word(const void *p, __u32 off)
{
	return *(const ks_listener_word_t *)((const __u8 *)p + off);
}

/* Does slot s hold listener k (k's generation is not compared)? */
KS_INLINE int ks_listener_slot_matches(const struct ks_listener_slot *s,
				       const struct ks_listener_key *k)
{
	return ((ks_listener_word(s, 0) ^ ks_listener_word(k, 0)) |
		(ks_listener_word(s, 4) ^ ks_listener_word(k, 4)) |
		(ks_listener_word(s, 8) ^ ks_listener_word(k, 8)) |
		(ks_listener_word(s, 12) ^ ks_listener_word(k, 12)) |
		(ks_listener_word(s, 16) ^ ks_listener_word(k, 16))) == 0;
}

/*
 * Is k in bucket b? The ways fill in order, so the first empty one (family
 * 0) ends the search: a miss in a sparse table reads one slot. A constant
 * bound of four: clang unrolls it, and the verifier would accept it anyway.
 */
KS_INLINE int ks_listener_in_bucket(const struct ks_listener_bucket *b,
				    const struct ks_listener_key *k)
{
	for (int i = 0; i < KS_LISTENER_WAYS; i++) {
		if (!b->s[i].family)
			return 0;
		if (ks_listener_slot_matches(&b->s[i], k))
			return 1;
	}
	return 0;
}

/* ks_listeners index of bucket `bucket` of generation gen. */
KS_INLINE __u32 ks_listener_index(__u32 gen, __u32 bucket)
{
	return gen * KS_LISTENER_BUCKETS + bucket;
}

#endif /* KEYSTEER_LISTENER_TABLE_H */
