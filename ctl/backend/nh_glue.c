/* SPDX-License-Identifier: BSD-3-Clause */
#include "backend/nh_glue.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct ks_nh_glue {
	struct ks_nh_resolver *r;
	struct ks_backend *b;
	size_t n;
	struct ks_nh_target t[KS_MAX_SHARDS];
	struct ks_nexthop nh[KS_MAX_SHARDS];
};

struct ks_nh_glue *ks_nh_glue_new(void)
{
	return calloc(1, sizeof(struct ks_nh_glue));
}

void ks_nh_glue_free(struct ks_nh_glue *g)
{
	free(g);
}

void ks_nh_glue_set_resolver(struct ks_nh_glue *g, struct ks_nh_resolver *r)
{
	g->r = r;
}

void ks_nh_glue_set_backend(struct ks_nh_glue *g, struct ks_backend *b)
{
	g->b = b;
}

void ks_nh_glue_changed(void *ctx, const struct ks_nh_target *t, const struct ks_nexthop *nh)
{
	struct ks_nh_glue *g = ctx;

	for (size_t i = 0; i < g->n; i++)
		if (g->t[i].family == t->family &&
		    !memcmp(&g->t[i].addr, &t->addr, sizeof(t->addr))) {
			g->nh[i] = *nh; /* a later change of the same VIP wins */
			return;
		}
	if (g->n < KS_MAX_SHARDS) {
		g->t[g->n] = *t;
		g->nh[g->n] = *nh;
		g->n++;
	}
}

int ks_nh_glue_lookup(void *ctx, const struct ks_nh_target *t, struct ks_nexthop *out)
{
	struct ks_nh_glue *g = ctx;

	return g->r ? ks_nh_get(g->r, t, out) : -ENOENT;
}

int ks_nh_glue_track(struct ks_nh_glue *g, const struct ks_compiled *c)
{
	struct ks_nh_target *t = calloc(c->n_shards ? c->n_shards : 1, sizeof(*t));
	size_t n = 0;
	int err;

	if (!t)
		return -ENOMEM;
	for (__u32 i = 0; i < c->n_shards; i++) {
		const struct ks_shard *s = &c->shards[i].shard;

		if (!s->family)
			continue;
		t[n].family = s->family;
		t[n].addr = s->vip;
		n++;
	}
	err = g->r ? ks_nh_track(g->r, t, n) : -ENOENT;
	free(t);
	return err;
}

static int flush(struct ks_nh_glue *g, unsigned *changed)
{
	int err = 0;

	if (g->n && g->b)
		err = ks_backend_set_nexthops(g->b, g->t, g->nh, g->n, changed);
	g->n = 0;
	return err;
}

int ks_nh_glue_process(struct ks_nh_glue *g, unsigned *changed)
{
	int err = ks_nh_process(g->r);

	if (changed)
		*changed = 0;
	if (err < 0) {
		g->n = 0;
		return err;
	}
	return flush(g, changed);
}

int ks_nh_glue_refresh(struct ks_nh_glue *g, unsigned *changed)
{
	int err = ks_nh_refresh(g->r);

	if (changed)
		*changed = 0;
	if (err < 0) {
		g->n = 0;
		return err;
	}
	return flush(g, changed);
}
