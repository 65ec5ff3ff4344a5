/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * "shards": {name: {vip, port, steer, capacity}}. Shard ids follow the
 * ascending byte order of the names, so they do not depend on member order.
 * Routes look names up in a small open-addressing hash of FNV-1a 64.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <keysteer/fnv.h>

#include "rules/addr.h"
#include "rules/compile_int.h"
#include "rules/suggest.h"

static const char *const shard_fields[] = {"vip", "port", "steer", "capacity", NULL};
enum { S_VIP, S_PORT, S_STEER, S_CAPACITY };
#define S_REQUIRED ((1u << S_VIP) | (1u << S_PORT))

/* Indexed by enum ks_steer. */
static const char *const steer_names[] = {"gue", "ipip", "nat", NULL};

#define KS_SUGGEST_BUDGET 256

static int def_cmp(const void *a, const void *b)
{
	const struct ks_shard_def *x = a, *y = b;

	return strcmp(x->name, y->name);
}

/*
 * nat rewrites only the destination address, so the packet keeps the family
 * it came in with: a nat shard needs a VIP of every listener's family.
 */
static void check_nat_family(struct ks_cc *cc, const struct ks_shard_def *d)
{
	long other = d->shard.family == KS_AF_INET ? cc->first_listener_v6 : cc->first_listener_v4;
	const char *lf = d->shard.family == KS_AF_INET ? "IPv6" : "IPv4";
	const char *sf = d->shard.family == KS_AF_INET ? "IPv4" : "IPv6";

	if (other < 0)
		return;
	ks_walk_error(&cc->w,
		      "\"nat\" only rewrites the destination, so it cannot steer %s listener "
		      "traffic (listeners[%ld]) to an %s VIP; use \"gue\" or \"ipip\"",
		      lf, other, sf);
}

static void shard(struct ks_cc *cc, struct ks_shard_def *d)
{
	struct ks_walk *w = &cc->w;
	unsigned seen = 0, ok = 0;
	const char *name;
	json_t *v, *steer_v = NULL;
	__u32 ord = 0, steer_ord = 0;
	__u64 x;
	int steer;

	d->capacity = 1;
	d->shard.steer = KS_STEER_GUE;
	if (!ks_want_object(w, d->obj))
		return;
	json_object_foreach((json_t *)d->obj, name, v)
	{
		int f;

		ks_walk_member(w, name, ord++);
		f = ks_walk_field(w, name, v, shard_fields);
		if (f >= 0)
			seen |= 1u << f;
		switch (f) {
		case S_VIP:
			if (ks_want_addr(w, v, &d->shard.vip, &d->shard.family))
				ok |= 1u << f;
			break;
		case S_PORT:
			if (ks_want_uint(w, v, 1, 65535, true, &x)) {
				d->shard.port = htons((__u16)x);
				ok |= 1u << f;
			}
			break;
		case S_STEER:
			steer = ks_want_enum(w, v, "steer mode", steer_names);
			if (steer >= 0) {
				d->shard.steer = (__u8)steer;
				ok |= 1u << f;
				steer_v = v;
				steer_ord = ord - 1;
			}
			break;
		case S_CAPACITY:
			if (ks_want_uint(w, v, 1, UINT32_MAX, false, &x)) {
				d->capacity = (__u32)x;
				ok |= 1u << f;
			}
			break;
		}
		ks_walk_pop(w);
	}
	ks_walk_missing(w, shard_fields, S_REQUIRED, seen, ord);

	if (steer_v && d->shard.steer == KS_STEER_NAT && (ok & (1u << S_VIP))) {
		ks_walk_member(w, "steer", steer_ord);
		check_nat_family(cc, d);
		ks_walk_pop(w);
	}
	d->valid = ok == seen && (ok & S_REQUIRED) == S_REQUIRED;
	if (!d->valid)
		d->shard.family = 0;
}

static bool build_index(struct ks_cc *cc)
{
	__u32 size = 8;

	while (size < 2 * cc->n_shards)
		size *= 2;
	cc->shard_slots = calloc(size, sizeof(*cc->shard_slots));
	if (!cc->shard_slots)
		return false;
	cc->shard_mask = size - 1;
	for (__u32 id = 0; id < cc->n_shards; id++) {
		const struct ks_shard_def *d = &cc->shards[id];
		__u32 h = (__u32)ks_fnv1a64(d->name, d->name_len) & cc->shard_mask;

		while (cc->shard_slots[h])
			h = (h + 1) & cc->shard_mask;
		cc->shard_slots[h] = id + 1;
	}
	return true;
}

long ks_cc_shard_id(const struct ks_cc *cc, const char *name, size_t len)
{
	__u32 h, id;

	if (!cc->shard_slots)
		return -1;
	h = (__u32)ks_fnv1a64(name, len) & cc->shard_mask;
	while ((id = cc->shard_slots[h]) != 0) {
		const struct ks_shard_def *d = &cc->shards[id - 1];

		if (d->name_len == len && memcmp(d->name, name, len) == 0)
			return (long)(id - 1);
		h = (h + 1) & cc->shard_mask;
	}
	return -1;
}

/* A split thread notes every name that spent (or would have spent) the budget. */
static void log_hint(struct ks_hint_log *log, size_t diag, const char *quoted)
{
	if (log->n == log->cap) {
		size_t cap = log->cap ? log->cap * 2 : 16;
		struct ks_hint *v = realloc(log->v, cap * sizeof(*v));

		if (!v)
			return; /* the merge then keeps this thread's suggestions */
		log->v = v;
		log->cap = cap;
	}
	log->v[log->n++] = (struct ks_hint){.diag = diag, .quoted = quoted ? strdup(quoted) : NULL};
}

void ks_cc_unknown_shard(struct ks_cc *cc, const json_t *name)
{
	char q[KS_QUOTE_SIZE];
	const char *s = json_string_value(name), *hint = NULL;
	bool eligible = strlen(s) == json_string_length(name);
	size_t before = cc->w.diags->n;

	ks_quote(s, json_string_length(name), q, sizeof(q));
	if (cc->suggestions_left > 0 && eligible) {
		cc->suggestions_left--;
		hint = ks_suggest(s, cc->shard_names, cc->n_shards);
	}
	if (hint)
		ks_walk_error(&cc->w, "unknown shard %s (did you mean \"%s\"?)", q, hint);
	else
		ks_walk_error(&cc->w, "unknown shard %s", q);
	if (cc->hints && eligible)
		log_hint(cc->hints, cc->w.diags->n > before ? before : SIZE_MAX, hint ? q : NULL);
}

void ks_cc_shards(struct ks_cc *cc, const json_t *obj)
{
	struct ks_walk *w = &cc->w;
	const char *name;
	json_t *v;
	__u32 ord = 0, n = 0;

	cc->suggestions_left = KS_SUGGEST_BUDGET;
	if (!ks_want_object(w, obj))
		return;
	cc->shards = calloc(json_object_size(obj) + 1, sizeof(*cc->shards));
	if (!cc->shards) {
		ks_walk_error(w, "out of memory");
		return;
	}
	json_object_foreach((json_t *)obj, name, v)
	{
		if (strcmp(name, "$comment") == 0) {
			ks_walk_member(w, name, ord++);
			ks_want_string(w, v);
			ks_walk_pop(w);
			continue;
		}
		cc->shards[n++] = (struct ks_shard_def){
		    .name = name, .name_len = strlen(name), .obj = v, .ord = ord++};
	}
	cc->n_shards = n;
	if (n > KS_MAX_SHARDS)
		ks_walk_error(w, "%u shards, more than the limit of %d", n, KS_MAX_SHARDS);

	qsort(cc->shards, n, sizeof(*cc->shards), def_cmp);
	cc->shard_names = calloc(n + 1, sizeof(*cc->shard_names));
	if (!cc->shard_names || !build_index(cc)) {
		ks_walk_error(w, "out of memory");
		return;
	}
	cc->shards_ok = true;
	for (__u32 id = 0; id < n; id++) {
		struct ks_shard_def *d = &cc->shards[id];

		cc->shard_names[id] = d->name;
		ks_walk_member(w, d->name, d->ord);
		if (d->name_len == 0)
			ks_walk_error(w, "a shard name must not be empty");
		shard(cc, d);
		ks_walk_pop(w);
	}
}
