/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hand-built compiled rule sets for backend tests and benchmarks (the rule
 * compiler is not needed to exercise the backend).
 */
#ifndef KS_TESTS_BACKEND_UTIL_H
#define KS_TESTS_BACKEND_UTIL_H

#include <linux/types.h>
#include "rules/compiled.h"

/* n_routes keys key_of(i) (ascending), route i -> shard i % n_shards. */
struct ks_compiled *ks_test_compiled(__u64 version, __u32 n_routes, __u32 n_shards);
/* A deep copy (so a test can change one and keep the other). */
struct ks_compiled *ks_test_compiled_dup(const struct ks_compiled *c);
void ks_test_compiled_free(struct ks_compiled *c);
/* Replace route i's single target. */
void ks_test_route_to(struct ks_compiled *c, __u32 i, __u16 shard);
/* Shard id's VIP: 10.1.x.y (IPv4). */
void ks_test_shard_vip4(struct ks_compiled *c, __u32 id, __u32 vip_host_order);
/* Add an IPv4 UDP listener. */
void ks_test_add_listener(struct ks_compiled *c, __u32 addr_host_order, __u16 port);

static inline __u64 ks_test_key_of(__u32 i)
{
	return 0x1000ull + (__u64)i * 0x9e3779b1ull;
}

#endif
