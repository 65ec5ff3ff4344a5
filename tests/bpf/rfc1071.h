/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A plain RFC 1071 Internet checksum, written for the tests independently of
 * include/keysteer/csum.h: bytes taken as big-endian 16-bit words, summed in
 * 32 bits, folded. Used to verify every checksum the router writes.
 */
#ifndef KS_TEST_RFC1071_H
#define KS_TEST_RFC1071_H

#include <stddef.h>
#include <stdint.h>

/* Running sum over bytes (an odd tail is padded with a zero byte). */
uint32_t rfc1071_add(uint32_t sum, const void *buf, size_t len);
/* Fold to 16 bits and complement: the value for the checksum field (host order). */
uint16_t rfc1071_finish(uint32_t sum);
/* Checksum of a buffer whose checksum field is zero. */
uint16_t rfc1071(const void *buf, size_t len);

/* UDP/TCP checksum over the pseudo-header and segment (check field as it is). */
uint32_t rfc1071_pseudo(int family, const uint8_t *saddr, const uint8_t *daddr, uint8_t proto,
			uint32_t len);
/* Does this segment verify (sum including its checksum folds to 0xffff)? */
int rfc1071_l4_ok(int family, const uint8_t *saddr, const uint8_t *daddr, uint8_t proto,
		  const uint8_t *seg, size_t len);

#endif
