/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rebuilding the applied state from the maps: after a controller restart,
 * and after a failed write left the inactive generation in an unknown state.
 * The active generation is the truth; whatever differs in the other one is
 * queued as a pending reclaim, so the next apply starts from two equal
 * generations, exactly as after a normal reclaim.
 */
#include "backend/backend_int.h"
#include "backend/map_io.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

struct route_split {
	struct ks_route_table gen[KS_GENERATIONS];
	__u32 cap[KS_GENERATIONS];
	__u32 walking; /* the generation whose map is being read */
};

static int collect_route(const void *key, const void *val, void *arg)
{
	struct route_split *rs = arg;
	__u32 g = rs->walking;
	struct ks_route_table *t = &rs->gen[g];

	if (t->n == rs->cap[g]) {
		__u32 cap = rs->cap[g] ? 2 * rs->cap[g] : 4096;
		__u64 *keys = realloc(t->keys, cap * sizeof(*keys));
		struct ks_route *routes;

		if (!keys)
			return -ENOMEM;
		t->keys = keys;
		routes = realloc(t->routes, cap * sizeof(*routes));
		if (!routes)
			return -ENOMEM;
		t->routes = routes;
		rs->cap[g] = cap;
		t->cap = cap;
	}
	memcpy(&t->keys[t->n], key, sizeof(__u64));
	t->routes[t->n] = *(const struct ks_route *)val;
	t->n++;
	return 0;
}

/* Queue the writes that turn generation `other` (its contents: o*) into the applied state. */
static int queue_repair(struct ks_backend *b, const struct ks_route_table *other,
			const struct ks_listener_bucket *olisteners, const struct ks_shard *oshards,
			const struct ks_config *oconfig)
{
	struct ks_pending *p = &b->pending;
	const struct ks_route_table *a = &b->routes;
	__u32 i = 0, j = 0;

	ks_pending_clear(p);
	p->route_upsert_keys = malloc((a->n ? a->n : 1) * sizeof(*p->route_upsert_keys));
	p->route_upsert_vals = malloc((a->n ? a->n : 1) * sizeof(*p->route_upsert_vals));
	p->route_delete_keys = malloc((other->n ? other->n : 1) * sizeof(*p->route_delete_keys));
	p->release_slots = malloc(sizeof(*p->release_slots));
	if (!p->route_upsert_keys || !p->route_upsert_vals || !p->route_delete_keys ||
	    !p->release_slots) {
		ks_pending_clear(p);
		return -ENOMEM;
	}
	while (i < other->n || j < a->n) {
		if (j == a->n || (i < other->n && other->keys[i] < a->keys[j])) {
			p->route_delete_keys[p->n_route_delete++] = other->keys[i];
			i++;
		} else if (i == other->n || a->keys[j] < other->keys[i] ||
			   memcmp(&a->routes[j], &other->routes[i], sizeof(a->routes[j]))) {
			p->route_upsert_keys[p->n_route_upsert] = a->keys[j];
			p->route_upsert_vals[p->n_route_upsert++] = a->routes[j];
			if (i < other->n && a->keys[j] == other->keys[i])
				i++;
			j++;
		} else {
			i++;
			j++;
		}
	}

	p->n_listener_buckets =
	    ks_listener_table_diff(olisteners, b->listener_image, p->listener_bucket_ids);
	for (__u32 k = 0; k < p->n_listener_buckets; k++)
		p->listener_buckets[k] = b->listener_image[p->listener_bucket_ids[k]];

	for (__u32 id = 0; id < KS_MAX_SHARDS; id++)
		if (memcmp(&oshards[id], &b->shards[id], sizeof(b->shards[id])))
			p->shard_ids[p->n_shard_ids++] = id;
	p->config = memcmp(oconfig, &b->config, sizeof(*oconfig)) != 0;
	p->active = p->n_route_upsert || p->n_route_delete || p->n_listener_buckets ||
		    p->n_shard_ids || p->config;
	return 0;
}

int ks_backend_recover(struct ks_backend *b)
{
	struct route_split rs = {0};
	struct ks_listener_bucket *other_listeners =
	    calloc(KS_LISTENER_BUCKETS, sizeof(*other_listeners));
	struct ks_shard *other_shards = calloc(KS_MAX_SHARDS, sizeof(*other_shards));
	struct ks_config configs[KS_GENERATIONS];
	struct ks_active act = {0};
	__u32 zero = 0, a, o;
	int n_listeners;
	bool fresh;
	int err;

	if (!other_listeners || !other_shards) {
		err = -ENOMEM;
		ks_backend_seterr(b, "out of memory");
		goto out;
	}
	if (bpf_map_lookup_elem(b->m.active, &zero, &act)) {
		err = -errno;
		ks_backend_seterr(b, "reading ks_active: %s", strerror(errno));
		goto out;
	}
	a = act.gen < KS_GENERATIONS ? act.gen : 0;
	o = 1 - a;
	b->active = a;

	err = ks_array_read(b->m.config, 0, KS_GENERATIONS, configs, sizeof(configs[0]));
	if (!err)
		err = ks_array_read(b->m.shards, a * KS_MAX_SHARDS, KS_MAX_SHARDS, b->shards,
				    sizeof(b->shards[0]));
	if (!err)
		err = ks_array_read(b->m.shards, o * KS_MAX_SHARDS, KS_MAX_SHARDS, other_shards,
				    sizeof(other_shards[0]));
	if (err) {
		ks_backend_seterr(b, "reading config/shards: %s", strerror(-err));
		goto out;
	}
	b->config = configs[a];
	b->n_shards = 0;
	for (__u32 id = 0; id < KS_MAX_SHARDS; id++)
		if (b->shards[id].family)
			b->n_shards = id + 1;

	/* Both generations' buckets; the active one's slots give the listeners in id order. */
	err = ks_array_read(b->m.listeners, ks_listener_index(a, 0), KS_LISTENER_BUCKETS,
			    b->listener_image, sizeof(b->listener_image[0]));
	if (!err)
		err = ks_array_read(b->m.listeners, ks_listener_index(o, 0), KS_LISTENER_BUCKETS,
				    other_listeners, sizeof(other_listeners[0]));
	if (err) {
		ks_backend_seterr(b, "reading ks_listeners: %s", strerror(-err));
		goto out;
	}
	memset(b->listener_keys, 0, sizeof(b->listener_keys));
	n_listeners = ks_listener_table_keys(b->listener_image, b->listener_keys, KS_MAX_LISTENERS);
	if (n_listeners < 0) {
		err = n_listeners;
		ks_backend_seterr(b, "out of memory");
		goto out;
	}
	b->n_listeners = n_listeners < KS_MAX_LISTENERS ? (__u32)n_listeners : KS_MAX_LISTENERS;

	for (rs.walking = 0; rs.walking < KS_GENERATIONS; rs.walking++) {
		err = ks_map_walk(b->m.routes[rs.walking], sizeof(__u64), sizeof(struct ks_route),
				  collect_route, &rs);
		if (err) {
			ks_backend_seterr(b, "reading ks_routes%u: %s", rs.walking, strerror(-err));
			goto out;
		}
	}
	ks_route_table_sort(&rs.gen[0]);
	ks_route_table_sort(&rs.gen[1]);

	/*
	 * Never-written maps have clean counters; otherwise a free slot may
	 * still hold a departed key's counts and is zeroed before reuse.
	 */
	fresh = configs[0].version == 0 && configs[1].version == 0 && rs.gen[0].n == 0 &&
		rs.gen[1].n == 0;
	ks_slots_fini(&b->slots);
	err = ks_slots_init(&b->slots, b->m.stats_slots, !fresh);
	if (err) {
		ks_backend_seterr(b, "out of memory");
		goto out;
	}
	for (__u32 i = 0; i < rs.gen[a].n; i++)
		ks_slots_reserve(&b->slots, rs.gen[a].routes[i].stats_slot);
	ks_slots_rebuild(&b->slots);

	ks_route_table_free(&b->routes);
	b->routes = rs.gen[a];
	memset(&rs.gen[a], 0, sizeof(rs.gen[a]));

	err = queue_repair(b, &rs.gen[o], other_listeners, other_shards, &configs[o]);
	if (err)
		ks_backend_seterr(b, "out of memory");
out:
	ks_route_table_free(&rs.gen[0]);
	ks_route_table_free(&rs.gen[1]);
	free(other_listeners);
	free(other_shards);
	return err;
}
