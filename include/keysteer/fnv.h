/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * 64-bit FNV-1a: how a textual routing key ("ContinueWatchingRanking/ab12345/
 * cell1") becomes the 64-bit routing_key clients put on the wire.
 */
#ifndef KEYSTEER_FNV_H
#define KEYSTEER_FNV_H

#include <keysteer/compat.h>

#define KS_FNV64_OFFSET 0xcbf29ce484222325ULL
#define KS_FNV64_PRIME	0x00000100000001b3ULL

KS_INLINE __u64 ks_fnv1a64(const void *data, unsigned long len)
{
	const unsigned char *p = (const unsigned char *)data;
	__u64 h = KS_FNV64_OFFSET;

	for (unsigned long i = 0; i < len; i++) {
		h ^= p[i];
		h *= KS_FNV64_PRIME;
	}
	return h;
}

#endif /* KEYSTEER_FNV_H */
