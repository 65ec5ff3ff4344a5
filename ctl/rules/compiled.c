/* SPDX-License-Identifier: BSD-3-Clause */
/* Accessors of the compiled rule set (compiled.h). */
#include <stdlib.h>

#include "rules/compiled.h"

void ks_compiled_free(struct ks_compiled *c)
{
	if (!c)
		return;
	free(c->listeners);
	free(c->shards);
	free(c->keys);
	free(c->routes);
	free(c->route_info);
	free(c->strings);
	free(c);
}

long ks_compiled_find(const struct ks_compiled *c, __u64 key)
{
	size_t lo = 0, hi = c->n_routes;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->keys[mid] < key)
			lo = mid + 1;
		else if (c->keys[mid] > key)
			hi = mid;
		else
			return (long)mid;
	}
	return -1;
}

size_t ks_compiled_table_bytes(const struct ks_compiled *c)
{
	return (size_t)c->n_routes * KS_COMPILED_BYTES_PER_ROUTE;
}

void ks_compiled_target_range(const struct ks_route *r, unsigned k, __u32 *lo, __u32 *hi)
{
	*lo = k == 0 ? 0 : (__u32)r->t[k - 1].last + 1;
	*hi = r->t[k].last;
}
