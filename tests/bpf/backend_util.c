/* SPDX-License-Identifier: BSD-3-Clause */
#include "backend_util.h"

#include <stdlib.h>
#include <string.h>

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz);

	if (!p)
		abort();
	return p;
}

void ks_test_route_to(struct ks_compiled *c, __u32 i, __u16 shard)
{
	struct ks_route *r = &c->routes[i];

	memset(r, 0, sizeof(*r));
	r->stats_slot = i;
	r->n_targets = 1;
	r->sticky = KS_STICKY_FLOW;
	r->shadow_shard = KS_NO_SHARD;
	r->t[0].shard = shard;
	r->t[0].last = KS_WEIGHT_BUCKETS - 1;
}

void ks_test_shard_vip4(struct ks_compiled *c, __u32 id, __u32 vip)
{
	struct ks_shard *s = &c->shards[id].shard;

	memset(s, 0, sizeof(*s));
	s->family = KS_AF_INET;
	s->vip.w[0] = ks_htonl(vip);
	s->port = ks_htons(8080);
	s->steer = KS_STEER_GUE;
}

struct ks_compiled *ks_test_compiled(__u64 version, __u32 n_routes, __u32 n_shards)
{
	struct ks_compiled *c = xcalloc(1, sizeof(*c));

	c->version = version;
	c->default_action = KS_DEFAULT_DROP;
	c->listeners = xcalloc(KS_MAX_LISTENERS, sizeof(*c->listeners));
	c->n_shards = n_shards;
	c->shards = xcalloc(n_shards, sizeof(*c->shards));
	for (__u32 id = 0; id < n_shards; id++) {
		c->shards[id].name = NULL;
		c->shards[id].capacity = 1;
		ks_test_shard_vip4(c, id, 0x0a010000u + id + 1);
	}
	c->n_routes = n_routes;
	c->keys = xcalloc(n_routes, sizeof(*c->keys));
	c->routes = xcalloc(n_routes, sizeof(*c->routes));
	c->route_info = NULL;
	for (__u32 i = 0; i < n_routes; i++) {
		c->keys[i] = ks_test_key_of(i);
		ks_test_route_to(c, i, (__u16)(n_shards ? i % n_shards : 0));
	}
	ks_test_add_listener(c, 0xcb00710au, 7000);
	return c;
}

void ks_test_add_listener(struct ks_compiled *c, __u32 addr, __u16 port)
{
	struct ks_listener_key *l = &c->listeners[c->n_listeners++];

	memset(l, 0, sizeof(*l));
	l->addr.w[0] = ks_htonl(addr);
	l->port = ks_htons(port);
	l->proto = 17;
	l->family = KS_AF_INET;
}

struct ks_compiled *ks_test_compiled_dup(const struct ks_compiled *c)
{
	struct ks_compiled *d = xcalloc(1, sizeof(*d));

	*d = *c;
	d->listeners = xcalloc(KS_MAX_LISTENERS, sizeof(*d->listeners));
	memcpy(d->listeners, c->listeners, c->n_listeners * sizeof(*d->listeners));
	d->shards = xcalloc(c->n_shards, sizeof(*d->shards));
	memcpy(d->shards, c->shards, c->n_shards * sizeof(*d->shards));
	d->keys = xcalloc(c->n_routes, sizeof(*d->keys));
	memcpy(d->keys, c->keys, c->n_routes * sizeof(*d->keys));
	d->routes = xcalloc(c->n_routes, sizeof(*d->routes));
	memcpy(d->routes, c->routes, c->n_routes * sizeof(*d->routes));
	d->route_info = NULL;
	return d;
}

void ks_test_compiled_free(struct ks_compiled *c)
{
	if (!c)
		return;
	free(c->listeners);
	free(c->shards);
	free(c->keys);
	free(c->routes);
	free(c->route_info);
	free(c);
}
