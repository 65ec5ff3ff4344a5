/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * "routes": [{key, to: [{shard, weight}], weights, sticky, shadow}] -> one
 * struct ks_route per rule, in rule order (route_keys.c sorts them by key).
 * Everything a route needs is on the stack; routes[] is allocated once.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules/compile_int.h"

static const char *const route_fields[] = {"key", "to", "weights", "sticky", "shadow", NULL};
enum { R_KEY, R_TO, R_WEIGHTS, R_STICKY, R_SHADOW };
#define R_REQUIRED ((1u << R_KEY) | (1u << R_TO))

static const char *const target_fields[] = {"shard", "weight", NULL};
enum { T_SHARD, T_WEIGHT };
#define T_REQUIRED (1u << T_SHARD)

static const char *const shadow_fields[] = {"shard", "percent", NULL};
enum { SH_SHARD, SH_PERCENT };
#define SH_REQUIRED ((1u << SH_SHARD) | (1u << SH_PERCENT))

/* Indexed by enum ks_sticky. */
static const char *const sticky_names[] = {"flow", "entity", "none", NULL};
static const char *const weights_names[] = {"capacity", NULL};

enum weighting { W_PER_TARGET, W_CAPACITY, W_UNKNOWN /* "weights" was invalid */ };

struct target {
	long shard; /* id, or -1 */
	__u64 weight;
	bool ok;
};

struct targets {
	size_t n; /* as listed (may exceed KS_MAX_TARGETS: then t[] holds the first ones) */
	struct target t[KS_MAX_TARGETS];
};

/* A shard name: its id, or -1 after reporting it unknown. */
static long shard_ref(struct ks_cc *cc, const json_t *v)
{
	long id;

	if (!ks_want_string(&cc->w, v))
		return -1;
	id = ks_cc_shard_id(cc, json_string_value(v), json_string_length(v));
	if (id < 0 && cc->shards_ok)
		ks_cc_unknown_shard(cc, v);
	return id;
}

/* to[k]: the earlier targets are ts->t[0 .. min(k, KS_MAX_TARGETS)). */
static void target(struct ks_cc *cc, const json_t *obj, enum weighting mode,
		   const struct targets *ts, size_t k, struct target *t)
{
	struct ks_walk *w = &cc->w;
	unsigned seen = 0;
	bool shard_ok = false, weight_ok = true;
	const char *name;
	json_t *v;
	__u32 ord = 0;

	t->shard = -1;
	t->weight = 1;
	t->ok = false;
	if (!ks_want_object(w, obj))
		return;
	json_object_foreach((json_t *)obj, name, v)
	{
		int f;

		ks_walk_member(w, name, ord++);
		f = ks_walk_field(w, name, v, target_fields);
		if (f >= 0)
			seen |= 1u << f;
		switch (f) {
		case T_SHARD:
			t->shard = shard_ref(cc, v);
			if (t->shard < 0)
				break;
			shard_ok = true;
			for (size_t j = 0; j < k && j < KS_MAX_TARGETS; j++) {
				if (ts->t[j].shard == t->shard) {
					char q[KS_QUOTE_SIZE];

					ks_walk_error(
					    w,
					    "shard %s is already a target of this route (to[%zu])",
					    ks_quote(json_string_value(v), json_string_length(v), q,
						     sizeof(q)),
					    j);
					shard_ok = false;
					break;
				}
			}
			break;
		case T_WEIGHT:
			if (mode == W_CAPACITY) {
				ks_walk_error(w, "not allowed with \"weights\": \"capacity\" (the "
						 "shard's capacity is its weight)");
				weight_ok = false;
			} else if (!ks_want_uint(w, v, 0, UINT32_MAX, false, &t->weight)) {
				weight_ok = false;
			}
			break;
		}
		ks_walk_pop(w);
	}
	ks_walk_missing(w, target_fields, T_REQUIRED, seen, ord);
	t->ok = shard_ok && weight_ok;
}

/* Weights -> buckets -> r->t[]; reports a zero sum or a share below one bucket. */
static void weigh(struct ks_cc *cc, struct ks_route_def *d, const struct targets *ts,
		  enum weighting mode)
{
	struct ks_walk *w = &cc->w;
	__u64 weights[KS_MAX_TARGETS], sum = 0;
	__u32 counts[KS_MAX_TARGETS];
	bool tiny = false;
	unsigned nt = 0;
	__u32 last = 0;

	for (size_t k = 0; k < ts->n; k++) {
		const struct ks_shard_def *s = &cc->shards[ts->t[k].shard];

		if (mode == W_CAPACITY && !s->valid)
			return; /* its capacity is already reported */
		weights[k] = mode == W_CAPACITY ? s->capacity : ts->t[k].weight;
		sum += weights[k];
	}
	if (ks_weights_to_buckets(weights, (unsigned)ts->n, counts) < 0) {
		ks_walk_tail(w);
		ks_walk_error(w,
			      "weights sum to zero; at least one target needs a positive weight");
		ks_walk_pop(w);
		return;
	}
	for (size_t k = 0; k < ts->n; k++) {
		if (weights[k] == 0 || counts[k] > 0)
			continue;
		ks_walk_index(w, k);
		ks_walk_error(w,
			      "share too small: %s %llu of %llu is less than one of the %u "
			      "weight buckets, so it would get no traffic",
			      mode == W_CAPACITY ? "capacity" : "weight",
			      (unsigned long long)weights[k], (unsigned long long)sum,
			      KS_WEIGHT_BUCKETS);
		ks_walk_pop(w);
		tiny = true;
	}
	if (tiny)
		return;
	for (size_t k = 0; k < ts->n; k++) {
		if (counts[k] == 0)
			continue; /* a zero weight: not compiled in */
		last += counts[k];
		d->r.t[nt].shard = (__u16)ts->t[k].shard;
		d->r.t[nt].last = (__u16)(last - 1);
		nt++;
	}
	d->r.n_targets = (__u8)nt;
}

static void targets(struct ks_cc *cc, struct ks_route_def *d, const json_t *arr,
		    enum weighting mode, struct targets *ts)
{
	struct ks_walk *w = &cc->w;
	bool all_ok = true;

	if (!ks_want_array(w, arr))
		return;
	ts->n = json_array_size(arr);
	if (ts->n == 0)
		ks_walk_error(w, "must list at least one target");
	if (ts->n > KS_MAX_TARGETS)
		ks_walk_error(w, "%zu targets, more than the limit of %d per route", ts->n,
			      KS_MAX_TARGETS);
	for (size_t k = 0; k < ts->n; k++) {
		struct target spare, *t = k < KS_MAX_TARGETS ? &ts->t[k] : &spare;

		ks_walk_index(w, k);
		target(cc, json_array_get(arr, k), mode, ts, k, t);
		all_ok = all_ok && t->ok;
		ks_walk_pop(w);
	}
	if (all_ok && ts->n >= 1 && ts->n <= KS_MAX_TARGETS && mode != W_UNKNOWN)
		weigh(cc, d, ts, mode);
	if (ts->n > KS_MAX_TARGETS)
		ts->n = KS_MAX_TARGETS;
}

static void shadow(struct ks_cc *cc, struct ks_route_def *d, const json_t *obj,
		   const struct targets *ts)
{
	struct ks_walk *w = &cc->w;
	unsigned seen = 0, ok = 0;
	const char *name;
	json_t *v;
	__u32 ord = 0;
	long id;
	double pct;
	char buf[128], q[KS_QUOTE_SIZE];

	if (!ks_want_object(w, obj))
		return;
	json_object_foreach((json_t *)obj, name, v)
	{
		int f;

		ks_walk_member(w, name, ord++);
		f = ks_walk_field(w, name, v, shadow_fields);
		if (f >= 0)
			seen |= 1u << f;
		switch (f) {
		case SH_SHARD:
			id = shard_ref(cc, v);
			if (id < 0)
				break;
			ok |= 1u << f;
			for (size_t k = 0; k < ts->n; k++) {
				if (ts->t[k].shard != id)
					continue;
				ks_walk_error(w,
					      "%s is one of this route's targets (to[%zu]); a "
					      "shadow copy must go to another shard",
					      ks_quote(json_string_value(v), json_string_length(v),
						       q, sizeof(q)),
					      k);
				ok &= ~(1u << f);
				break;
			}
			d->r.shadow_shard = (__u16)id;
			break;
		case SH_PERCENT:
			if (!ks_want_number(w, v, &pct))
				break;
			if (!(pct > 0 && pct <= 100)) {
				ks_walk_error(w, "must be greater than 0 and at most 100, got %s",
					      ks_json_desc(w, v, buf, sizeof(buf)));
				break;
			}
			ok |= 1u << f;
			/* Nearest bucket, but at least one: a shadow asked for copies something. */
			d->r.shadow_thresh = (__u32)floor(pct * KS_WEIGHT_BUCKETS / 100.0 + 0.5);
			if (d->r.shadow_thresh == 0)
				d->r.shadow_thresh = 1;
			break;
		}
		ks_walk_pop(w);
	}
	ks_walk_missing(w, shadow_fields, SH_REQUIRED, seen, ord);
	if (ok != SH_REQUIRED) {
		d->r.shadow_shard = KS_NO_SHARD;
		d->r.shadow_thresh = 0;
	}
}

/* Append the key text to the pool the table will own. */
static bool keep_text(struct ks_cc *cc, struct ks_route_def *d)
{
	size_t need = cc->text_len + d->text_len + 1;

	if (need > cc->text_cap) {
		size_t cap = cc->text_cap ? cc->text_cap : 1 << 16;
		char *p;

		while (cap < need)
			cap *= 2;
		p = realloc(cc->text_pool, cap);
		if (!p)
			return false;
		cc->text_pool = p;
		cc->text_cap = cap;
	}
	memcpy(cc->text_pool + cc->text_len, d->text, d->text_len);
	cc->text_pool[cc->text_len + d->text_len] = '\0';
	d->text_off = cc->text_len;
	d->text_kept = true;
	cc->text_len = need;
	return true;
}

void ks_cc_route(struct ks_cc *cc, struct ks_route_def *d, const json_t *obj)
{
	struct ks_walk *w = &cc->w;
	const json_t *to = NULL, *shadow_v = NULL;
	__u32 ord = 0, to_ord = 0, shadow_ord = 0;
	enum weighting mode = W_PER_TARGET;
	struct targets ts = {0};
	unsigned seen = 0;
	const char *name;
	json_t *v;
	int x;

	d->r.sticky = KS_STICKY_FLOW;
	d->r.shadow_shard = KS_NO_SHARD;
	if (!ks_want_object(w, obj))
		return;
	json_object_foreach((json_t *)obj, name, v)
	{
		int f;

		ks_walk_member(w, name, ord++);
		f = ks_walk_field(w, name, v, route_fields);
		if (f >= 0)
			seen |= 1u << f;
		switch (f) {
		case R_KEY:
			if (!ks_want_string(w, v))
				break;
			if (json_string_length(v) == 0) {
				ks_walk_error(w, "must not be empty");
				break;
			}
			d->text = json_string_value(v);
			d->text_len = (__u32)json_string_length(v);
			d->textual = !ks_rules_key(d->text, d->text_len, &d->key);
			d->key_ord = ord - 1;
			d->has_key = true;
			if (!keep_text(cc, d))
				ks_walk_error(w, "out of memory");
			break;
		case R_TO:
			to = v;
			to_ord = ord - 1;
			break;
		case R_WEIGHTS:
			x = ks_want_enum(w, v, "weighting", weights_names);
			mode = x == 0 ? W_CAPACITY : W_UNKNOWN;
			break;
		case R_STICKY:
			x = ks_want_enum(w, v, "sticky mode", sticky_names);
			if (x >= 0)
				d->r.sticky = (__u8)x;
			break;
		case R_SHADOW:
			shadow_v = v;
			shadow_ord = ord - 1;
			break;
		}
		ks_walk_pop(w);
	}
	ks_walk_missing(w, route_fields, R_REQUIRED, seen, ord);
	if (to) {
		ks_walk_member(w, "to", to_ord);
		targets(cc, d, to, mode, &ts);
		ks_walk_pop(w);
	}
	if (shadow_v) {
		ks_walk_member(w, "shadow", shadow_ord);
		shadow(cc, d, shadow_v, &ts);
		ks_walk_pop(w);
	}
}

/*
 * The JSON arena lays the routes out one after the other in document order,
 * each route's subtree contiguous, so the bytes from route i to route i+1
 * are route i's objects, pairs and strings. Fetching the next route's bytes
 * while this one compiles hides most of the cache misses of walking
 * jansson's tree (about a fifth of the compile time). Only a hint: when the
 * layout is otherwise (no arena), the distance test fails or the prefetch is
 * merely useless.
 */
static void prefetch_route(const json_t *arr, size_t i, size_t n)
{
	uintptr_t a, b;

	if (i + 1 >= n)
		return;
	a = (uintptr_t)json_array_get(arr, i);
	b = (uintptr_t)json_array_get(arr, i + 1);
	if (b <= a || b - a > 8192)
		return;
	for (uintptr_t p = a; p < b; p += 64)
		__builtin_prefetch((const void *)p);
}

void ks_cc_routes(struct ks_cc *cc, const json_t *arr)
{
	struct ks_walk *w = &cc->w;

	if (!ks_want_array(w, arr))
		return;
	if (cc->split) {
		ks_cc_routes_split(cc);
		return;
	}
	cc->n_routes = json_array_size(arr);
	cc->routes = calloc(cc->n_routes ? cc->n_routes : 1, sizeof(*cc->routes));
	if (!cc->routes) {
		cc->n_routes = 0;
		ks_walk_error(w, "out of memory");
		return;
	}
	for (size_t i = 0; i < cc->n_routes; i++) {
		prefetch_route(arr, i + 1, cc->n_routes);
		ks_walk_index(w, i);
		ks_cc_route(cc, &cc->routes[i], json_array_get(arr, i));
		ks_walk_pop(w);
	}
	ks_cc_check_keys(cc);
}
