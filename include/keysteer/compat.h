/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Portability layer for the code in include/keysteer/: the same headers are
 * compiled by clang -target bpf (XDP/tc programs), by gcc for the controller,
 * and by gcc for the DPDK fast path. Nothing here may call libc.
 */
#ifndef KEYSTEER_COMPAT_H
#define KEYSTEER_COMPAT_H

#include <linux/types.h>

/*
 * Spelled out rather than via __always_inline: <linux/stddef.h> defines that
 * as plain __inline__ when it comes first, and clang then leaves hashes and
 * target choice as BPF function calls.
 */
#define KS_INLINE static inline __attribute__((always_inline))

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ks_htons(x)  ((__u16)__builtin_bswap16((__u16)(x)))
#define ks_htonl(x)  ((__u32)__builtin_bswap32((__u32)(x)))
#define ks_htonll(x) ((__u64)__builtin_bswap64((__u64)(x)))
#else
#define ks_htons(x)  ((__u16)(x))
#define ks_htonl(x)  ((__u32)(x))
#define ks_htonll(x) ((__u64)(x))
#endif
#define ks_ntohs(x)  ks_htons(x)
#define ks_ntohl(x)  ks_htonl(x)
#define ks_ntohll(x) ks_htonll(x)

#ifndef likely
#define likely(x) __builtin_expect(!!(x), 1)
#endif
#ifndef unlikely
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif

#define KS_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)

#endif /* KEYSTEER_COMPAT_H */
