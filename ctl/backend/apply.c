/* SPDX-License-Identifier: BSD-3-Clause */
/* Applying a compiled rule set: write the inactive generation, flip, reclaim. */
#include "backend/backend_int.h"
#include "backend/map_io.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

static __u32 shard_index(__u32 gen, __u32 id)
{
	return gen * KS_MAX_SHARDS + id;
}

int ks_backend_write_gen(struct ks_backend *b, __u32 gen, __u32 *calls)
{
	struct ks_pending *p = &b->pending;
	__u32 idx[KS_MAX_SHARDS], lidx[KS_LISTENER_BUCKETS];
	int err;

	err = ks_map_delete(b->m.routes[gen], p->route_delete_keys, sizeof(__u64),
			    p->n_route_delete, calls);
	if (err) {
		ks_backend_seterr(b, "deleting routes of generation %u: %s", gen, strerror(-err));
		return err;
	}

	/* The buckets; the seed that finds them comes with the config, below. */
	for (__u32 i = 0; i < p->n_listener_buckets; i++)
		lidx[i] = ks_listener_index(gen, p->listener_bucket_ids[i]);
	err = ks_map_write(b->m.listeners, lidx, sizeof(lidx[0]), p->listener_buckets,
			   sizeof(p->listener_buckets[0]), p->n_listener_buckets, calls);
	if (err) {
		ks_backend_seterr(b, "writing listeners of generation %u: %s", gen, strerror(-err));
		return err;
	}

	if (p->n_shard_ids) {
		struct ks_shard *vals = malloc(p->n_shard_ids * sizeof(*vals));

		if (!vals)
			return -ENOMEM;
		for (__u32 i = 0; i < p->n_shard_ids; i++) {
			idx[i] = shard_index(gen, p->shard_ids[i]);
			vals[i] = b->shards[p->shard_ids[i]];
		}
		err = ks_map_write(b->m.shards, idx, sizeof(idx[0]), vals, sizeof(*vals),
				   p->n_shard_ids, calls);
		free(vals);
		if (err) {
			ks_backend_seterr(b, "writing shards of generation %u: %s", gen,
					  strerror(-err));
			return err;
		}
	}

	err = ks_map_write_par(b->m.routes[gen], p->route_upsert_keys, sizeof(__u64),
			       p->route_upsert_vals, sizeof(struct ks_route), p->n_route_upsert,
			       b->write_threads, calls);
	if (err) {
		ks_backend_seterr(b, "writing routes of generation %u: %s", gen, strerror(-err));
		return err;
	}

	if (p->config) {
		err = ks_map_write(b->m.config, &gen, sizeof(gen), &b->config, sizeof(b->config), 1,
				   calls);
		if (err) {
			ks_backend_seterr(b, "writing config of generation %u: %s", gen,
					  strerror(-err));
			return err;
		}
	}
	return 0;
}

int ks_backend_flip(struct ks_backend *b, __u32 gen)
{
	struct ks_active act = {.gen = gen};
	__u32 zero = 0;

	if (bpf_map_update_elem(b->m.active, &zero, &act, BPF_ANY)) {
		int err = -errno;
		ks_backend_seterr(b, "flipping ks_active to %u: %s", gen, strerror(errno));
		return err;
	}
	b->active = gen;
	return 0;
}

int ks_backend_reclaim(struct ks_backend *b, struct ks_reclaim_stats *st)
{
	struct ks_reclaim_stats local;
	__u32 old = 1 - b->active;
	__u64 t0, t1;
	int err;

	if (!st)
		st = &local;
	memset(st, 0, sizeof(*st));
	st->gen = old;
	if (!b->pending.active)
		return 0;
	t0 = ks_now_ns();
	err = ks_rcu_grace();
	if (err) {
		ks_backend_seterr(b, "waiting for an RCU grace period: %s", strerror(-err));
		return err;
	}
	t1 = ks_now_ns();
	st->grace_ns = t1 - t0;
	/* On failure the writes stay pending: replaying them is idempotent. */
	err = ks_backend_write_gen(b, old, &st->map_calls);
	if (err)
		return err;
	for (__u32 i = 0; i < b->pending.n_release; i++)
		ks_slots_release(&b->slots, b->pending.release_slots[i]);
	ks_pending_clear(&b->pending);
	st->write_ns = ks_now_ns() - t1;
	return 0;
}

static void add_tx_port(struct ks_backend *b, __u32 ifindex)
{
	/* A devmap entry is needed for redirect (XDP_TX needs none). Best effort. */
	if (!ifindex)
		return;
	for (__u32 i = 0; i < b->n_tx_known; i++)
		if (b->tx_known[i] == ifindex)
			return;
	if (bpf_map_update_elem(b->m.tx_ports, &ifindex, &ifindex, BPF_ANY) == 0 &&
	    b->n_tx_known < KS_TX_KNOWN)
		b->tx_known[b->n_tx_known++] = ifindex;
}

static void nh_into_shard(struct ks_shard *s, const struct ks_nexthop *nh)
{
	s->ifindex = nh->ifindex;
	memcpy(s->smac, nh->smac, sizeof(s->smac));
	memcpy(s->dmac, nh->dmac, sizeof(s->dmac));
	s->src = nh->src;
	s->mtu = nh->mtu;
	s->nh_valid = nh->valid ? 1 : 0;
}

static bool same_vip(const struct ks_shard *s, __u8 family, const struct ks_addr *a)
{
	return s->family == family && memcmp(&s->vip, a, sizeof(*a)) == 0;
}

/* The next-hop block for a shard of the new rule set. */
static void fill_nexthop(struct ks_backend *b, struct ks_shard *s)
{
	struct ks_nh_target t = {.family = s->family, .addr = s->vip};
	struct ks_nexthop nh;

	memset(&s->ifindex, 0, sizeof(*s) - offsetof(struct ks_shard, ifindex));
	if (b->nh_lookup) {
		memset(&nh, 0, sizeof(nh));
		if (b->nh_lookup(b->nh_ctx, &t, &nh) == 0)
			nh_into_shard(s, &nh);
		return;
	}
	for (__u32 id = 0; id < b->n_shards; id++)
		if (same_vip(&b->shards[id], s->family, &s->vip)) {
			memcpy(&s->ifindex, &b->shards[id].ifindex,
			       sizeof(*s) - offsetof(struct ks_shard, ifindex));
			return;
		}
}

static int validate_sizes(struct ks_backend *b, const struct ks_compiled *c)
{
	__u32 cap = ks_backend_route_capacity(b);

	if (c->n_shards > KS_MAX_SHARDS || c->n_listeners > KS_MAX_LISTENERS) {
		ks_backend_seterr(b, "%u shards / %u listeners: at most %u / %u", c->n_shards,
				  c->n_listeners, KS_MAX_SHARDS, KS_MAX_LISTENERS);
		return -E2BIG;
	}
	if (c->n_routes > cap) {
		ks_backend_seterr(b,
				  "%u routes: the route map holds %u per generation "
				  "(load with a larger route capacity)",
				  c->n_routes, cap);
		return -E2BIG;
	}
	return 0;
}

/* Every target and shadow names a shard of the rule set. */
static int validate_routes(struct ks_backend *b, const __u64 *keys, const struct ks_route *routes,
			   __u32 n, __u32 n_shards)
{
	for (__u32 i = 0; i < n; i++) {
		const struct ks_route *r = &routes[i];
		bool bad = r->n_targets < 1 || r->n_targets > KS_MAX_TARGETS ||
			   (r->shadow_shard != KS_NO_SHARD && r->shadow_shard >= n_shards);

		for (__u32 t = 0; !bad && t < r->n_targets; t++)
			bad = r->t[t].shard >= n_shards;
		if (bad) {
			ks_backend_seterr(b,
					  "route 0x%016llx: %u targets, or a target or shadow "
					  "shard beyond the %u shards",
					  (unsigned long long)keys[i], r->n_targets, n_shards);
			return -EINVAL;
		}
	}
	return 0;
}

/* Everything apply computes before touching a map. */
struct apply_plan {
	struct ks_config config;
	struct ks_shard *shards; /* KS_MAX_SHARDS */
	struct ks_listener_key lkeys[KS_MAX_LISTENERS];
	struct ks_listener_bucket *limage; /* KS_LISTENER_BUCKETS */
	__u32 lseed;
	bool mutated; /* the in-memory table already holds the new routes */
	struct ks_route_ops ops;
	__u32 *zero_slots;
	__u32 n_zero;
};

static void plan_free(struct apply_plan *pl)
{
	free(pl->shards);
	free(pl->limage);
	free(pl->zero_slots);
	ks_route_ops_free(&pl->ops);
}

/*
 * Place the new listeners (before anything is written: a set that cannot be
 * placed is refused whole).
 */
static int place_listeners(struct ks_backend *b, const struct ks_compiled *c, struct apply_plan *pl)
{
	int err;

	pl->limage = malloc(KS_LISTENER_BUCKETS * sizeof(*pl->limage));
	if (!pl->limage) {
		ks_backend_seterr(b, "out of memory");
		return -ENOMEM;
	}
	for (__u32 i = 0; i < c->n_listeners; i++) {
		pl->lkeys[i] = c->listeners[i];
		pl->lkeys[i].gen = 0;
	}
	err = ks_listener_table_build(pl->lkeys, c->n_listeners, pl->limage, &pl->lseed);
	if (err == -EINVAL)
		ks_backend_seterr(b, "a listener without an address family");
	else if (err)
		ks_backend_seterr(b,
				  "%u listeners cannot be placed in %u buckets of %u: with each "
				  "of %u seeds some bucket needs more than %u slots (the same "
				  "listener more than %u times?)",
				  c->n_listeners, KS_LISTENER_BUCKETS, KS_LISTENER_WAYS,
				  KS_LISTENER_SEED_TRIES, KS_LISTENER_WAYS, KS_LISTENER_WAYS);
	return err;
}

static int plan(struct ks_backend *b, const struct ks_compiled *c, struct apply_plan *pl)
{
	struct ks_pending *p = &b->pending;
	int err;

	pl->shards = calloc(KS_MAX_SHARDS, sizeof(*pl->shards));
	if (!pl->shards)
		return -ENOMEM;
	for (__u32 id = 0; id < c->n_shards; id++) {
		pl->shards[id] = c->shards[id].shard;
		if (pl->shards[id].family)
			fill_nexthop(b, &pl->shards[id]);
	}

	pl->config = (struct ks_config){
	    .version = c->version,
	    .default_action = c->default_action,
	    .n_routes = c->n_routes,
	    .gue_port = ks_htons(b->gue_port),
	    .listener_seed = pl->lseed,
	};

	err = ks_route_diff(&b->routes, &b->spare, c->keys, c->routes, c->n_routes, &b->slots,
			    &pl->ops);
	if (err) {
		if (err == -EINVAL)
			ks_backend_seterr(b, "routes are not sorted by key or a key repeats");
		return err;
	}
	pl->mutated = true;
	pl->zero_slots = malloc((pl->ops.n_fresh ? pl->ops.n_fresh : 1) * sizeof(__u32));
	if (!pl->zero_slots)
		return -ENOMEM;
	for (__u32 i = 0; i < pl->ops.n_fresh; i++)
		if (ks_slots_take_dirty(&b->slots, pl->ops.fresh_slots[i]))
			pl->zero_slots[pl->n_zero++] = pl->ops.fresh_slots[i];

	/* The pending set: what the inactive generation needs now, and the old one later. */
	ks_pending_clear(p);
	p->route_upsert_keys =
	    malloc((pl->ops.n_upsert ? pl->ops.n_upsert : 1) * sizeof(*p->route_upsert_keys));
	p->route_delete_keys =
	    malloc((pl->ops.n_delete ? pl->ops.n_delete : 1) * sizeof(*p->route_delete_keys));
	p->release_slots =
	    malloc((pl->ops.n_delete ? pl->ops.n_delete : 1) * sizeof(*p->release_slots));
	if (!p->route_upsert_keys || !p->route_delete_keys || !p->release_slots)
		return -ENOMEM;
	memcpy(p->route_upsert_keys, pl->ops.upsert_keys,
	       pl->ops.n_upsert * sizeof(*p->route_upsert_keys));
	/* The values move over as they are (no copy of a large array). */
	p->route_upsert_vals = pl->ops.upsert_vals;
	pl->ops.upsert_vals = NULL;
	p->n_route_upsert = pl->ops.n_upsert;
	for (__u32 i = 0; i < pl->ops.n_delete; i++) {
		p->route_delete_keys[i] = pl->ops.delete_keys[i];
		p->release_slots[i] = pl->ops.delete_slots[i];
	}
	p->n_route_delete = pl->ops.n_delete;
	p->n_release = pl->ops.n_delete;

	p->n_listener_buckets =
	    ks_listener_table_diff(b->listener_image, pl->limage, p->listener_bucket_ids);
	for (__u32 i = 0; i < p->n_listener_buckets; i++)
		p->listener_buckets[i] = pl->limage[p->listener_bucket_ids[i]];
	for (__u32 id = 0; id < KS_MAX_SHARDS; id++)
		if (memcmp(&pl->shards[id], &b->shards[id], sizeof(pl->shards[id])))
			p->shard_ids[p->n_shard_ids++] = id;
	p->config = memcmp(&pl->config, &b->config, sizeof(pl->config)) != 0;
	return 0;
}

/* The state in memory no longer matches the maps: start again from them. */
static void resync(struct ks_backend *b)
{
	char keep[sizeof(b->err)];

	memcpy(keep, b->err, sizeof(keep));
	ks_pending_clear(&b->pending);
	ks_backend_recover(b);
	memcpy(b->err, keep, sizeof(keep));
}

int ks_backend_apply(struct ks_backend *b, const struct ks_compiled *c, struct ks_apply_stats *st)
{
	struct ks_apply_stats local;
	struct apply_plan pl;
	struct ks_reclaim_stats rst;
	__u32 inactive;
	__u64 t0, t1, t2;
	int err;

	if (!st)
		st = &local;
	memset(st, 0, sizeof(*st));
	memset(&pl, 0, sizeof(pl));
	err = validate_sizes(b, c);
	/*
	 * Routes already applied were checked then: unless shards went away,
	 * only the routes that change need checking, after the diff found them.
	 */
	if (!err && (c->n_shards < b->n_shards || b->routes.n == 0))
		err = validate_routes(b, c->keys, c->routes, c->n_routes, c->n_shards);
	if (!err)
		err = place_listeners(b, c, &pl);
	if (err) {
		plan_free(&pl);
		return err;
	}
	if (b->pending.active) {
		err = ks_backend_reclaim(b, &rst);
		if (err) {
			plan_free(&pl);
			return err;
		}
		st->reclaim_ns = rst.grace_ns + rst.write_ns;
	}
	inactive = 1 - b->active;

	t0 = ks_now_ns();
	err = plan(b, c, &pl);
	if (!err)
		err = validate_routes(b, pl.ops.upsert_keys, b->pending.route_upsert_vals,
				      b->pending.n_route_upsert, c->n_shards);
	if (err) {
		if (err == -ENOMEM)
			ks_backend_seterr(b, "out of memory");
		/* Routes or slots may have changed in memory: rebuild from the maps. */
		if (pl.mutated)
			resync(b);
		plan_free(&pl);
		return err;
	}
	t1 = ks_now_ns();

	err = ks_percpu_zero(b->m.key_stats, pl.zero_slots, pl.n_zero, sizeof(struct ks_key_stats),
			     b->m.ncpus, &st->map_calls);
	if (err)
		ks_backend_seterr(b, "zeroing counter slots: %s", strerror(-err));
	/* The shards the routes name must be in the generation before the flip. */
	if (!err) {
		struct ks_shard *old = malloc(KS_MAX_SHARDS * sizeof(*old));

		if (!old) {
			err = -ENOMEM;
			ks_backend_seterr(b, "out of memory");
		} else {
			memcpy(old, b->shards, KS_MAX_SHARDS * sizeof(*old));
			memcpy(b->shards, pl.shards, KS_MAX_SHARDS * sizeof(*old));
			b->config = pl.config;
			err = ks_backend_write_gen(b, inactive, &st->map_calls);
			if (err) {
				memcpy(b->shards, old, KS_MAX_SHARDS * sizeof(*old));
			}
			free(old);
		}
	}
	if (!err)
		err = ks_backend_flip(b, inactive);
	t2 = ks_now_ns();
	if (err) {
		/* The active generation is untouched; the inactive one is repaired. */
		resync(b);
		plan_free(&pl);
		return err;
	}

	/* Also for unresolved next hops: the router's FIB fallback redirects there too. */
	for (__u32 id = 0; id < KS_MAX_SHARDS; id++)
		add_tx_port(b, b->shards[id].ifindex);
	b->n_shards = c->n_shards;
	b->n_listeners = c->n_listeners;
	memcpy(b->listener_keys, pl.lkeys, sizeof(b->listener_keys));
	memcpy(b->listener_image, pl.limage, sizeof(b->listener_image));
	b->pending.active = true;

	st->version = c->version;
	st->gen = inactive;
	st->n_routes = c->n_routes;
	st->n_listeners = c->n_listeners;
	st->n_shards = c->n_shards;
	st->route_upserts = b->pending.n_route_upsert;
	st->route_deletes = b->pending.n_route_delete;
	st->listener_writes = b->pending.n_listener_buckets;
	st->shard_writes = b->pending.n_shard_ids;
	st->slots_zeroed = pl.n_zero;
	st->overflow_routes = pl.ops.n_overflow;
	st->diff_ns = t1 - t0;
	st->write_ns = t2 - t1 - 0;
	plan_free(&pl);
	return 0;
}

int ks_backend_apply_sync(struct ks_backend *b, const struct ks_compiled *c,
			  struct ks_apply_stats *st)
{
	int err = ks_backend_apply(b, c, st);

	return err ? err : ks_backend_reclaim(b, NULL);
}

int ks_backend_set_nexthops(struct ks_backend *b, const struct ks_nh_target *t,
			    const struct ks_nexthop *nh, size_t n, unsigned *changed)
{
	struct ks_shard *next = malloc(KS_MAX_SHARDS * sizeof(*next));
	__u32 ids[KS_MAX_SHARDS], n_ids = 0, inactive, calls = 0;
	int err;

	if (changed)
		*changed = 0;
	if (!next)
		return -ENOMEM;
	memcpy(next, b->shards, KS_MAX_SHARDS * sizeof(*next));
	for (__u32 id = 0; id < b->n_shards; id++) {
		struct ks_shard *s = &next[id];

		if (!s->family)
			continue;
		for (size_t i = 0; i < n; i++)
			if (same_vip(s, t[i].family, &t[i].addr)) {
				nh_into_shard(s, &nh[i]);
				if (memcmp(s, &b->shards[id], sizeof(*s)))
					ids[n_ids++] = id;
				break;
			}
	}
	if (n_ids == 0) {
		free(next);
		return 0;
	}
	if (b->pending.active) {
		err = ks_backend_reclaim(b, NULL);
		if (err) {
			free(next);
			return err;
		}
	}
	inactive = 1 - b->active;
	ks_pending_clear(&b->pending);
	memcpy(b->pending.shard_ids, ids, n_ids * sizeof(ids[0]));
	b->pending.n_shard_ids = n_ids;
	memcpy(b->shards, next, KS_MAX_SHARDS * sizeof(*next));
	free(next);
	for (__u32 i = 0; i < n_ids; i++)
		add_tx_port(b, b->shards[ids[i]].ifindex);
	err = ks_backend_write_gen(b, inactive, &calls);
	if (!err)
		err = ks_backend_flip(b, inactive);
	if (err) {
		resync(b);
		return err;
	}
	b->pending.active = true;
	if (changed)
		*changed = n_ids;
	return 0;
}
