/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the rule compiler: any input must either compile to a
 * table that keeps the invariants the fast paths rely on, the same table
 * twice, or be rejected with at least one error and no table -- without
 * crashes, leaks or undefined behaviour (built with ASan and UBSan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules/rules.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			__builtin_trap();                                                          \
	} while (0)

static void check_table(const struct ks_compiled *c)
{
	for (__u32 i = 0; i < c->n_routes; i++) {
		const struct ks_route *r = &c->routes[i];

		if (i)
			CHECK(c->keys[i - 1] < c->keys[i]);
		CHECK(ks_compiled_find(c, c->keys[i]) == (long)i);
		CHECK(r->stats_slot == i);
		CHECK(r->n_targets >= 1 && r->n_targets <= KS_MAX_TARGETS);
		CHECK(r->t[r->n_targets - 1].last == KS_WEIGHT_BUCKETS - 1);
		for (unsigned k = 0; k < r->n_targets; k++) {
			CHECK(r->t[k].shard < c->n_shards);
			CHECK(k == 0 || r->t[k].last > r->t[k - 1].last);
			CHECK(r->t[k].shard != r->shadow_shard);
		}
		CHECK(r->sticky <= KS_STICKY_NONE);
		if (r->shadow_shard == KS_NO_SHARD)
			CHECK(r->shadow_thresh == 0);
		else
			CHECK(r->shadow_shard < c->n_shards && r->shadow_thresh >= 1 &&
			      r->shadow_thresh <= KS_WEIGHT_BUCKETS);
		CHECK(c->route_info[i].text != NULL);
	}
	CHECK(c->n_shards <= KS_MAX_SHARDS && c->n_listeners <= KS_MAX_LISTENERS);
	for (__u32 i = 0; i < c->n_shards; i++) {
		CHECK(i == 0 || strcmp(c->shards[i - 1].name, c->shards[i].name) < 0);
		CHECK(c->shards[i].capacity >= 1);
		CHECK(c->shards[i].shard.family == KS_AF_INET ||
		      c->shards[i].shard.family == KS_AF_INET6);
	}
	CHECK(c->version >= 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ks_diags d = {0}, d2 = {0};
	struct ks_compiled *c = NULL, *again = NULL;
	enum ks_rules_result r = ks_rules_compile_buf((const char *)data, size, &c, &d);

	if (r == KS_RULES_OK) {
		CHECK(c != NULL && d.n == 0);
		check_table(c);
		CHECK(ks_rules_compile_buf((const char *)data, size, &again, &d2) == KS_RULES_OK);
		CHECK(again->n_routes == c->n_routes && again->n_shards == c->n_shards);
		CHECK(memcmp(again->keys, c->keys, c->n_routes * sizeof(*c->keys)) == 0);
		CHECK(memcmp(again->routes, c->routes, c->n_routes * sizeof(*c->routes)) == 0);
	} else {
		CHECK(r == KS_RULES_INVALID && c == NULL && d.n >= 1);
		for (size_t i = 0; i < d.n; i++)
			CHECK(d.v[i].path && d.v[i].message && d.v[i].message[0]);
	}
	ks_compiled_free(c);
	ks_compiled_free(again);
	ks_diags_free(&d);
	ks_diags_free(&d2);
	return 0;
}
