/* SPDX-License-Identifier: BSD-3-Clause */
#include "shmtable/shm_writer.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/file.h>

#include "shmtable/shm_hash.h"
#include "shmtable/shm_qsbr.h"
#include "shmtable/shm_read.h"
#include "shmtable/shm_slots.h"

#define DEFAULT_QSBR_TIMEOUT_MS 2000

/* Route changes made to the new generation, replayed on the old one by the reclaim. */
struct route_ops {
	__u32 n_put, n_del;
	__u64 *put_keys;
	struct ks_route *put_routes;
	__u64 *del_keys;
	__u32 *del_slots; /* released once no generation names them */
};

struct ks_shm_writer {
	struct ks_shm_map map;
	struct ks_shm_view v;
	unsigned timeout_ms;
	__be16 gue_port;
	char err[256];

	/* What both generations hold once no reclaim is pending: sorted by key. */
	__u32 n;
	__u64 *keys;
	struct ks_route *routes;
	struct ks_shm_slots slots;
	__u64 writes_seen; /* h->writes when the state above was last in step */

	/* The pending reclaim, when this writer flipped. */
	bool have_ops;
	struct route_ops ops;
	__u64 token;
};

static int werr(struct ks_shm_writer *w, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->err, sizeof(w->err), fmt, ap);
	va_end(ap);
	return rc;
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

static void lock(struct ks_shm_writer *w)
{
	while (flock(w->map.fd, LOCK_EX) && errno == EINTR)
		;
}

static void unlock(struct ks_shm_writer *w)
{
	flock(w->map.fd, LOCK_UN);
}

static void ops_free(struct route_ops *o)
{
	free(o->put_keys);
	free(o->put_routes);
	free(o->del_keys);
	free(o->del_slots);
	memset(o, 0, sizeof(*o));
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

struct kv {
	__u64 key;
	struct ks_route route;
};

static int cmp_kv(const void *a, const void *b)
{
	return cmp_u64(&((const struct kv *)a)->key, &((const struct kv *)b)->key);
}

/* Rebuild the in-memory state from the active generation (another writer's, or a restart). */
static int rebuild(struct ks_shm_writer *w)
{
	struct ks_shm_header *h = w->map.h;
	__u32 gen = ks_shm_view_gen(&w->v), n = 0;
	const struct ks_shm_route_ent *tab = w->v.routes[gen];
	struct kv *kv;
	int rc;

	kv = malloc(sizeof(*kv) * (ks_shm_config(h, gen)->n_routes + 1));
	if (!kv)
		return -ENOMEM;
	for (__u32 i = 0; i < h->route_slots; i++) {
		if (!tab[i].used)
			continue;
		if (n > ks_shm_config(h, gen)->n_routes) {
			free(kv);
			return werr(w, -EPROTO, "route count of generation %u is wrong", gen);
		}
		kv[n].key = tab[i].key;
		kv[n].route = tab[i].route;
		n++;
	}
	qsort(kv, n, sizeof(*kv), cmp_kv);
	free(w->keys);
	free(w->routes);
	w->keys = malloc(sizeof(*w->keys) * (n + 1));
	w->routes = malloc(sizeof(*w->routes) * (n + 1));
	if (!w->keys || !w->routes) {
		free(kv);
		return -ENOMEM;
	}
	ks_shm_slots_fini(&w->slots);
	/* Counters of slots no route holds may be left from before: dirty. */
	rc = ks_shm_slots_init(&w->slots, h->stats_slots, true);
	if (rc) {
		free(kv);
		return rc;
	}
	for (__u32 i = 0; i < n; i++) {
		w->keys[i] = kv[i].key;
		w->routes[i] = kv[i].route;
		ks_shm_slots_hold(&w->slots, kv[i].route.stats_slot);
	}
	ks_shm_slots_rebuild(&w->slots);
	w->n = n;
	free(kv);
	w->have_ops = false;
	ops_free(&w->ops);
	w->writes_seen = h->writes;
	return 0;
}

/* Make generation `dst` a copy of `src`, whole (after a crash, or another writer's flip). */
static void copy_generation(struct ks_shm_writer *w, __u32 dst, __u32 src)
{
	struct ks_shm_header *h = w->map.h;

	memcpy(ks_shm_routes(h, dst), ks_shm_routes(h, src),
	       (size_t)h->route_slots * sizeof(struct ks_shm_route_ent));
	memcpy(ks_shm_listeners(h, dst), ks_shm_listeners(h, src),
	       (size_t)h->listener_slots * sizeof(struct ks_shm_listener_ent));
	memcpy(ks_shm_shards(h, dst), ks_shm_shards(h, src),
	       KS_MAX_SHARDS * sizeof(struct ks_shard));
	*ks_shm_config(h, dst) = *ks_shm_config(h, src);
	h->version[dst] = h->version[src];
}

/* Under the lock: finish a pending reclaim, whoever flipped. */
static int reclaim_locked(struct ks_shm_writer *w)
{
	struct ks_shm_header *h = w->map.h;
	__u32 old = h->pending_gen & 1, cur = old ^ 1;
	unsigned freed = 0;
	__u64 token;
	int rc;

	if (!h->pending)
		return 0;
	token = w->have_ops ? w->token : ks_shm_qsbr_start(h);
	rc = ks_shm_qsbr_wait(h, token, w->timeout_ms, &freed);
	if (rc)
		return werr(w, rc,
			    "a fast-path thread has not passed a quiescent point for %u ms; "
			    "the old generation stays as it is",
			    w->timeout_ms);
	if (w->have_ops && h->writes == w->writes_seen) {
		struct ks_shm_route_ent *tab = ks_shm_routes(h, old);
		__u32 mask = h->route_slots - 1;

		for (__u32 i = 0; i < w->ops.n_del; i++)
			ks_shm_route_del(tab, mask, w->ops.del_keys[i]);
		for (__u32 i = 0; i < w->ops.n_put; i++)
			ks_shm_route_put(tab, mask, w->ops.put_keys[i], &w->ops.put_routes[i]);
		memcpy(ks_shm_listeners(h, old), ks_shm_listeners(h, cur),
		       (size_t)h->listener_slots * sizeof(struct ks_shm_listener_ent));
		memcpy(ks_shm_shards(h, old), ks_shm_shards(h, cur),
		       KS_MAX_SHARDS * sizeof(struct ks_shard));
		*ks_shm_config(h, old) = *ks_shm_config(h, cur);
		h->version[old] = h->version[cur];
		for (__u32 i = 0; i < w->ops.n_del; i++)
			ks_shm_slots_release(&w->slots, w->ops.del_slots[i]);
	} else {
		copy_generation(w, old, cur);
	}
	w->have_ops = false;
	ops_free(&w->ops);
	h->pending = 0;
	return 0;
}

/* Under the lock: be in step with the tables before changing them. */
static int sync_locked(struct ks_shm_writer *w)
{
	int rc = reclaim_locked(w);

	if (rc)
		return rc;
	if (w->map.h->writes != w->writes_seen)
		return rebuild(w);
	return 0;
}

/* Both generations are equal now (no pending). Flip to `gen` after writing it. */
static void flip(struct ks_shm_writer *w, __u32 gen)
{
	struct ks_shm_header *h = w->map.h;

	h->pending_gen = gen ^ 1;
	h->pending = 1;
	__atomic_store_n(&h->active.gen, gen, __ATOMIC_RELEASE);
	h->flips++;
	w->token = ks_shm_qsbr_start(h);
}

static void zero_slot(struct ks_shm_header *h, __u32 slot)
{
	for (__u32 r = 0; r < h->max_readers; r++)
		memset(&ks_shm_key_stats(h, r)[slot], 0, sizeof(struct ks_shm_key_slot));
}

static int route_same(const struct ks_route *a, const struct ks_route *b)
{
	struct ks_route x = *a, y = *b;

	x.stats_slot = y.stats_slot = 0;
	return !memcmp(&x, &y, sizeof(x));
}

/*
 * The new sorted table with slots, and the ops that turn the applied one
 * into it. Keys common to both keep their slot.
 */
static int diff(struct ks_shm_writer *w, const struct ks_compiled *c, __u64 **nkeys,
		struct ks_route **nroutes, struct ks_shm_apply_stats *st)
{
	struct ks_shm_header *h = w->map.h;
	struct route_ops *o = &w->ops;
	__u32 i = 0, j = 0, m = c->n_routes;
	__u64 *keys = malloc(sizeof(*keys) * (m + 1));
	struct ks_route *routes = malloc(sizeof(*routes) * (m + 1));

	ops_free(o);
	o->put_keys = malloc(sizeof(__u64) * (m + 1));
	o->put_routes = malloc(sizeof(struct ks_route) * (m + 1));
	o->del_keys = malloc(sizeof(__u64) * (w->n + 1));
	o->del_slots = malloc(sizeof(__u32) * (w->n + 1));
	if (!keys || !routes || !o->put_keys || !o->put_routes || !o->del_keys || !o->del_slots) {
		free(keys);
		free(routes);
		ops_free(o);
		return -ENOMEM;
	}
	while (i < w->n || j < m) {
		if (j < m && j && c->keys[j] <= c->keys[j - 1]) {
			free(keys);
			free(routes);
			ops_free(o);
			return werr(w, -EINVAL, "compiled keys are not sorted and unique");
		}
		if (j >= m || (i < w->n && w->keys[i] < c->keys[j])) {
			o->del_keys[o->n_del] = w->keys[i];
			o->del_slots[o->n_del++] = w->routes[i].stats_slot;
			i++;
			continue;
		}
		keys[j] = c->keys[j];
		routes[j] = c->routes[j];
		if (i < w->n && w->keys[i] == c->keys[j]) {
			routes[j].stats_slot = w->routes[i].stats_slot;
			i++;
			if (route_same(&routes[j], &w->routes[i - 1])) {
				j++;
				continue;
			}
		} else {
			bool dirty;

			routes[j].stats_slot = ks_shm_slots_alloc(&w->slots, &dirty);
			if (dirty) {
				zero_slot(h, routes[j].stats_slot);
				st->slots_zeroed++;
			}
		}
		if (routes[j].stats_slot == w->slots.overflow)
			st->overflow_routes++;
		o->put_keys[o->n_put] = keys[j];
		o->put_routes[o->n_put++] = routes[j];
		j++;
	}
	*nkeys = keys;
	*nroutes = routes;
	return 0;
}

static int check_compiled(struct ks_shm_writer *w, const struct ks_compiled *c)
{
	struct ks_shm_header *h = w->map.h;

	if ((__u64)c->n_routes * 4 > (__u64)h->route_slots * 3)
		return werr(w, -E2BIG, "%u routes do not fit a table of %u slots (3/4 at most)",
			    c->n_routes, h->route_slots);
	if (c->n_shards > KS_MAX_SHARDS)
		return werr(w, -EINVAL, "%u shards, at most %u", c->n_shards, KS_MAX_SHARDS);
	if (c->n_listeners > KS_MAX_LISTENERS)
		return werr(w, -EINVAL, "%u listeners, at most %u", c->n_listeners,
			    KS_MAX_LISTENERS);
	for (__u32 i = 0; i < c->n_routes; i++) {
		const struct ks_route *r = &c->routes[i];

		if (!r->n_targets || r->n_targets > KS_MAX_TARGETS)
			return werr(w, -EINVAL, "route %u: %u targets", i, r->n_targets);
		for (unsigned k = 0; k < r->n_targets; k++)
			if (r->t[k].shard >= c->n_shards)
				return werr(w, -EINVAL, "route %u: shard %u out of range", i,
					    r->t[k].shard);
		if (r->shadow_shard != KS_NO_SHARD && r->shadow_shard >= c->n_shards)
			return werr(w, -EINVAL, "route %u: shadow shard out of range", i);
	}
	return 0;
}

/* Shards of generation gen from c (or kept as they are when c is NULL), next hops resolved. */
static void write_shards(struct ks_shm_writer *w, __u32 gen, const struct ks_compiled *c,
			 __u32 src_gen)
{
	struct ks_shm_header *h = w->map.h;
	const struct ks_shm_neigh *nb = ks_shm_neigh(h);
	struct ks_shard *dst = ks_shm_shards(h, gen);

	if (!c)
		memcpy(dst, ks_shm_shards(h, src_gen), KS_MAX_SHARDS * sizeof(*dst));
	for (__u32 i = 0; i < KS_MAX_SHARDS; i++) {
		if (c) {
			if (i < c->n_shards)
				dst[i] = c->shards[i].shard;
			else if (dst[i].family)
				memset(&dst[i], 0, sizeof(dst[i]));
			else
				continue;
		}
		if (dst[i].family)
			ks_shm_resolve(nb, &dst[i]);
	}
}

int ks_shm_apply(struct ks_shm_writer *w, const struct ks_compiled *c,
		 struct ks_shm_apply_stats *st)
{
	struct ks_shm_apply_stats local;
	struct ks_shm_header *h = w->map.h;
	__u64 *nkeys = NULL, t0, t1;
	struct ks_route *nroutes = NULL;
	struct ks_config *cfg;
	__u32 gen, mask = h->route_slots - 1;
	int rc;

	if (!st)
		st = &local;
	memset(st, 0, sizeof(*st));
	lock(w);
	t0 = now_ns();
	rc = sync_locked(w);
	st->reclaim_ns = now_ns() - t0;
	if (rc)
		goto out;
	rc = check_compiled(w, c);
	if (rc)
		goto out;
	rc = diff(w, c, &nkeys, &nroutes, st);
	if (rc)
		goto out;
	t0 = now_ns();
	gen = ks_shm_view_gen(&w->v) ^ 1;
	for (__u32 i = 0; i < w->ops.n_del; i++)
		ks_shm_route_del(ks_shm_routes(h, gen), mask, w->ops.del_keys[i]);
	for (__u32 i = 0; i < w->ops.n_put; i++) {
		rc = ks_shm_route_put(ks_shm_routes(h, gen), mask, w->ops.put_keys[i],
				      &w->ops.put_routes[i]);
		if (rc) {
			/* Cannot happen below 3/4 load; the generation is rebuilt next time. */
			copy_generation(w, gen, gen ^ 1);
			werr(w, rc, "route table full");
			goto out;
		}
	}
	rc = ks_shm_listeners_write(ks_shm_listeners(h, gen), h->listener_slots - 1, c->listeners,
				    c->n_listeners);
	if (rc) {
		copy_generation(w, gen, gen ^ 1);
		werr(w, rc, "too many listeners");
		goto out;
	}
	write_shards(w, gen, c, gen);
	cfg = ks_shm_config(h, gen);
	memset(cfg, 0, sizeof(*cfg));
	cfg->version = c->version;
	cfg->default_action = c->default_action;
	cfg->n_routes = c->n_routes;
	cfg->gue_port = w->gue_port;
	h->version[gen] = c->version;
	t1 = now_ns();
	st->write_ns = t1 - t0;
	h->writes++;
	flip(w, gen);
	st->flip_ns = now_ns() - t1;
	w->writes_seen = h->writes;
	w->have_ops = true;
	free(w->keys);
	free(w->routes);
	w->keys = nkeys;
	w->routes = nroutes;
	w->n = c->n_routes;
	nkeys = NULL;
	nroutes = NULL;
	st->version = c->version;
	st->gen = gen;
	st->n_routes = c->n_routes;
	st->n_listeners = c->n_listeners;
	st->n_shards = c->n_shards;
	st->route_upserts = w->ops.n_put;
	st->route_deletes = w->ops.n_del;
	st->full = w->ops.n_put == c->n_routes && c->n_routes;
	rc = 0;
out:
	if (rc && !w->have_ops) {
		ops_free(&w->ops);
		/* Slots handed out by a diff that was not applied: start afresh. */
		w->writes_seen = ~0ull;
	}
	free(nkeys);
	free(nroutes);
	unlock(w);
	return rc;
}

int ks_shm_reclaim(struct ks_shm_writer *w)
{
	int rc;

	lock(w);
	rc = reclaim_locked(w);
	unlock(w);
	return rc;
}

bool ks_shm_reclaim_pending(const struct ks_shm_writer *w)
{
	return w->map.h->pending != 0;
}

int ks_shm_apply_sync(struct ks_shm_writer *w, const struct ks_compiled *c,
		      struct ks_shm_apply_stats *st)
{
	int rc = ks_shm_apply(w, c, st);

	if (rc)
		return rc;
	return ks_shm_reclaim(w);
}

int ks_shm_publish_neigh(struct ks_shm_writer *w, const struct ks_shm_neigh *n)
{
	struct ks_shm_header *h = w->map.h;
	struct ks_shm_neigh *dst = ks_shm_neigh(h);
	__u64 epoch;
	__u32 gen;
	int rc;

	if (n->n_neigh > KS_SHM_MAX_NEIGH || n->n_ports > KS_SHM_MAX_PORTS)
		return werr(w, -EINVAL, "too many neighbours or ports");
	lock(w);
	rc = sync_locked(w);
	if (rc)
		goto out;
	epoch = dst->epoch;
	*dst = *n;
	dst->epoch = epoch + 1;
	gen = ks_shm_view_gen(&w->v) ^ 1;
	write_shards(w, gen, NULL, gen ^ 1);
	/* The rest of the generation is already equal (nothing pending). */
	h->writes++;
	flip(w, gen);
	w->writes_seen = h->writes;
	/* No route ops: the reclaim copies the shards (and the equal rest). */
	w->have_ops = true;
	ops_free(&w->ops);
	rc = reclaim_locked(w);
out:
	unlock(w);
	return rc;
}

struct ks_shm_writer *ks_shm_open_writer(const char *path, const struct ks_shm_writer_opts *opts,
					 char *err, size_t errlen)
{
	struct ks_shm_writer *w = calloc(1, sizeof(*w));
	int rc;

	if (!w) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	rc = ks_shm_map_open(path, opts ? opts->create : NULL, &w->map, err, errlen);
	if (rc) {
		free(w);
		return NULL;
	}
	ks_shm_view_init(&w->v, w->map.base);
	w->timeout_ms =
	    opts && opts->qsbr_timeout_ms ? opts->qsbr_timeout_ms : DEFAULT_QSBR_TIMEOUT_MS;
	w->gue_port = ks_htons(opts && opts->gue_port ? opts->gue_port : KS_DEFAULT_GUE_PORT);
	lock(w);
	w->writes_seen = ~0ull; /* force a rebuild */
	rc = sync_locked(w);
	unlock(w);
	if (rc) {
		snprintf(err, errlen, "%s: %s", path, w->err[0] ? w->err : strerror(-rc));
		ks_shm_close_writer(w);
		return NULL;
	}
	return w;
}

void ks_shm_close_writer(struct ks_shm_writer *w)
{
	if (!w)
		return;
	ks_shm_unmap(&w->map);
	free(w->keys);
	free(w->routes);
	ks_shm_slots_fini(&w->slots);
	ops_free(&w->ops);
	free(w);
}

const char *ks_shm_error(const struct ks_shm_writer *w)
{
	return w->err;
}

__u64 ks_shm_active_version(const struct ks_shm_writer *w)
{
	return ks_shm_config(w->map.h, ks_shm_view_gen(&w->v))->version;
}

__u64 ks_shm_rollback_floor(const struct ks_shm_writer *w)
{
	return __atomic_load_n(&w->map.h->rollback_floor, __ATOMIC_RELAXED);
}

void ks_shm_set_rollback_floor(struct ks_shm_writer *w, __u64 floor)
{
	lock(w);
	__atomic_store_n(&w->map.h->rollback_floor, floor, __ATOMIC_RELAXED);
	unlock(w);
}

__u32 ks_shm_active_gen(const struct ks_shm_writer *w)
{
	return ks_shm_view_gen(&w->v);
}

const struct ks_shm_header *ks_shm_writer_header(const struct ks_shm_writer *w)
{
	return w->map.h;
}

int ks_shm_lookup(const struct ks_shm_writer *w, __u64 key, struct ks_shm_lookup *out)
{
	__u32 gen = ks_shm_view_gen(&w->v);
	const struct ks_config *cfg = w->v.config[gen];
	const struct ks_route *r = ks_shm_route_lookup(&w->v, gen, key);

	memset(out, 0, sizeof(*out));
	out->gen = gen;
	out->version = cfg->version;
	out->default_action = cfg->default_action;
	if (!r)
		return 0;
	out->found = true;
	out->route = *r;
	for (unsigned i = 0; i < r->n_targets && i < KS_MAX_TARGETS; i++) {
		const struct ks_shard *sh = ks_shm_shard(&w->v, gen, r->t[i].shard);

		if (sh)
			out->targets[i] = *sh;
	}
	if (r->shadow_shard != KS_NO_SHARD) {
		const struct ks_shard *sh = ks_shm_shard(&w->v, gen, r->shadow_shard);

		if (sh)
			out->shadow = *sh;
	}
	return 0;
}

long ks_shm_key_slot(const struct ks_shm_writer *w, __u64 key)
{
	__u64 *k = bsearch(&key, w->keys, w->n, sizeof(*w->keys), cmp_u64);

	return k ? (long)w->routes[k - w->keys].stats_slot : -ENOENT;
}
