/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The in-memory data plane: two generations of compiled rule sets and an
 * active index, the same discipline as the BPF tables, with no counters.
 */
#include <stdlib.h>
#include <string.h>

#include "daemon/dataplane.h"

struct dp_memory {
	const struct ks_compiled *gen[KS_GENERATIONS];
	uint32_t active;
	uint64_t version;
};

static int mem_apply(struct ks_dataplane *dp, const struct ks_compiled *c,
		     struct ks_dp_apply_stats *st, char *err, size_t errlen)
{
	struct dp_memory *m = dp->priv;
	(void)err;
	(void)errlen;
	uint32_t next = m->active ^ 1;
	m->gen[next] = c; /* the daemon keeps c alive while it is active */
	m->active = next;
	m->version = c->version;
	m->gen[next ^ 1] = NULL;
	st->gen = next;
	st->entries_written = c->n_routes;
	st->full = true;
	return 0;
}

static uint64_t mem_active_version(struct ks_dataplane *dp)
{
	struct dp_memory *m = dp->priv;
	return m->version;
}

static int mem_lookup(struct ks_dataplane *dp, uint64_t key, struct ks_dp_lookup *out)
{
	struct dp_memory *m = dp->priv;
	const struct ks_compiled *c = m->gen[m->active];
	memset(out, 0, sizeof(*out));
	out->gen = m->active;
	if (!c)
		return -2; /* ENOENT: nothing applied */
	out->version = c->version;
	out->default_action = c->default_action;
	long i = ks_compiled_find(c, key);
	if (i < 0)
		return 0;
	out->found = true;
	out->route = c->routes[i];
	for (unsigned t = 0; t < out->route.n_targets && t < KS_MAX_TARGETS; t++)
		if (out->route.t[t].shard < c->n_shards)
			out->targets[t] = c->shards[out->route.t[t].shard].shard;
	if (out->route.shadow_shard != KS_NO_SHARD && out->route.shadow_shard < c->n_shards)
		out->shadow = c->shards[out->route.shadow_shard].shard;
	return 0;
}

static int mem_zero_counters(struct ks_dataplane *dp, struct ks_counter *out)
{
	(void)dp;
	memset(out, 0, sizeof(*out) * KS_R_MAX);
	return 0;
}

static int mem_read_shards(struct ks_dataplane *dp, struct ks_counter *out, uint32_t n)
{
	(void)dp;
	memset(out, 0, sizeof(*out) * n);
	return 0;
}

static int mem_read_keys(struct ks_dataplane *dp, struct ks_key_stats *out, uint32_t n)
{
	(void)dp;
	memset(out, 0, sizeof(*out) * n);
	return 0;
}

static int mem_detach(struct ks_dataplane *dp, char *err, size_t errlen)
{
	struct dp_memory *m = dp->priv;
	(void)err;
	(void)errlen;
	memset(m, 0, sizeof(*m));
	return 0;
}

static long mem_key_slot(struct ks_dataplane *dp, uint64_t key)
{
	struct dp_memory *m = dp->priv;
	const struct ks_compiled *c = m->gen[m->active];
	long i = c ? ks_compiled_find(c, key) : -1;
	return i < 0 ? -1 : (long)c->routes[i].stats_slot;
}

static void mem_reclaim(struct ks_dataplane *dp)
{
	(void)dp;
}

static void mem_close(struct ks_dataplane *dp)
{
	free(dp->priv);
	free(dp);
}

static const struct ks_dataplane_ops memory_ops = {
    .name = "memory",
    .apply = mem_apply,
    .active_version = mem_active_version,
    .lookup = mem_lookup,
    .read_reasons = mem_zero_counters,
    .read_shards = mem_read_shards,
    .read_keys = mem_read_keys,
    .detach = mem_detach,
    .key_slot = mem_key_slot,
    .reclaim = mem_reclaim,
    .close = mem_close,
};

struct ks_dataplane *ks_dp_memory_open(void)
{
	struct ks_dataplane *dp = calloc(1, sizeof(*dp));
	struct dp_memory *m = calloc(1, sizeof(*m));
	if (!dp || !m) {
		free(dp);
		free(m);
		return NULL;
	}
	dp->ops = &memory_ops;
	dp->priv = m;
	return dp;
}
