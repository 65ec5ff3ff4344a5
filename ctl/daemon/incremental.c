/* SPDX-License-Identifier: BSD-3-Clause */
#include "daemon/incremental.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "rules/rules.h"

struct span {
	size_t start, end; /* [start, end) in the text */
};

struct ksd_doc_index {
	char *text;
	size_t len;
	uint64_t version;
	struct span version_val;
	size_t n_routes;
	struct span *routes; /* each route object, in document order */
	uint64_t *keys;	     /* key of routes[j] */
	json_t *members;     /* top-level members but version and routes, parsed */
};

#define JFLAGS (JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY)

void ksd_index_free(struct ksd_doc_index *idx)
{
	if (!idx)
		return;
	free(idx->text);
	free(idx->routes);
	free(idx->keys);
	json_decref(idx->members);
	free(idx);
}

uint64_t ksd_index_version(const struct ksd_doc_index *idx)
{
	return idx->version;
}

static size_t skip_ws(const char *t, size_t len, size_t pos)
{
	while (pos < len && (t[pos] == ' ' || t[pos] == '\t' || t[pos] == '\n' || t[pos] == '\r'))
		pos++;
	return pos;
}

/* One JSON value at pos, parsed by jansson; *end gets where it stops. */
static json_t *value_at(const char *t, size_t len, size_t pos, size_t *end)
{
	json_error_t err;
	if (pos >= len)
		return NULL;
	json_t *v = json_loadb(t + pos, len - pos, JFLAGS, &err);
	if (v)
		*end = pos + (size_t)err.position;
	return v;
}

static bool positive_integer(const json_t *v, uint64_t *out)
{
	if (!json_is_integer(v) || json_integer_value(v) <= 0)
		return false;
	*out = (uint64_t)json_integer_value(v);
	return true;
}

/* Key of each route object, by its index in the rule set's routes[]. */
static uint64_t *keys_by_rule_index(const struct ks_compiled *c, size_t n)
{
	if (c->n_routes != n || !c->route_info)
		return NULL;
	uint64_t *keys = calloc(n ? n : 1, sizeof(*keys));
	bool *seen = calloc(n ? n : 1, sizeof(*seen));
	bool ok = keys && seen;
	for (size_t i = 0; ok && i < n; i++) {
		uint32_t j = c->route_info[i].rule_index;
		ok = j < n && !seen[j];
		if (ok) {
			seen[j] = true;
			keys[j] = c->keys[i];
		}
	}
	free(seen);
	if (!ok) {
		free(keys);
		return NULL;
	}
	return keys;
}

static int add_route_span(struct ksd_doc_index *idx, size_t *cap, size_t start, size_t end)
{
	if (idx->n_routes == *cap) {
		size_t nc = *cap ? *cap * 2 : 1024;
		struct span *r = realloc(idx->routes, nc * sizeof(*r));
		if (!r)
			return -1;
		idx->routes = r;
		*cap = nc;
	}
	idx->routes[idx->n_routes].start = start;
	idx->routes[idx->n_routes].end = end;
	idx->n_routes++;
	return 0;
}

/* The routes array's elements, from its '['; *pos ends after its ']'. */
static bool index_routes(struct ksd_doc_index *idx, size_t *pos)
{
	const char *t = idx->text;
	size_t len = idx->len, p = *pos, cap = 0, end;
	if (p >= len || t[p] != '[')
		return false;
	p = skip_ws(t, len, p + 1);
	if (p < len && t[p] == ']') {
		*pos = p + 1;
		return true;
	}
	for (;;) {
		json_t *v = value_at(t, len, p, &end);
		bool obj = json_is_object(v);
		json_decref(v);
		if (!obj || add_route_span(idx, &cap, p, end) < 0)
			return false;
		p = skip_ws(t, len, end);
		if (p < len && t[p] == ',') {
			p = skip_ws(t, len, p + 1);
			continue;
		}
		if (p < len && t[p] == ']') {
			*pos = p + 1;
			return true;
		}
		return false;
	}
}

/* Walk the top-level object; jansson parses every key and value. */
static bool index_document(struct ksd_doc_index *idx)
{
	const char *t = idx->text;
	size_t len = idx->len, p = skip_ws(t, len, 0), end;
	bool have_version = false, have_routes = false;

	if (p >= len || t[p] != '{')
		return false;
	p = skip_ws(t, len, p + 1);
	while (p < len && t[p] != '}') {
		json_t *k = value_at(t, len, p, &end);
		if (!json_is_string(k)) {
			json_decref(k);
			return false;
		}
		char *name = strdup(json_string_value(k));
		json_decref(k);
		p = skip_ws(t, len, end);
		bool ok = name && p < len && t[p] == ':' && !json_object_get(idx->members, name);
		if (ok)
			p = skip_ws(t, len, p + 1);
		if (ok && strcmp(name, "routes") == 0) {
			ok = !have_routes && index_routes(idx, &p);
			have_routes = true;
		} else if (ok) {
			json_t *v = value_at(t, len, p, &end);
			ok = v != NULL;
			if (ok && strcmp(name, "version") == 0) {
				ok = !have_version && positive_integer(v, &idx->version);
				idx->version_val.start = p;
				idx->version_val.end = end;
				have_version = true;
				json_decref(v);
			} else if (ok) {
				json_object_set_new(idx->members, name, v);
			}
			p = end;
		}
		free(name);
		if (!ok)
			return false;
		p = skip_ws(t, len, p);
		if (p < len && t[p] == ',')
			p = skip_ws(t, len, p + 1);
		else if (p >= len || t[p] != '}')
			return false;
	}
	if (p >= len)
		return false;
	return have_version && have_routes && skip_ws(t, len, p + 1) == len;
}

static struct ksd_doc_index *index_new(const char *text, size_t len)
{
	struct ksd_doc_index *idx = calloc(1, sizeof(*idx));
	if (!idx)
		return NULL;
	idx->text = malloc(len + 1);
	idx->members = json_object();
	if (!idx->text || !idx->members) {
		ksd_index_free(idx);
		return NULL;
	}
	memcpy(idx->text, text, len);
	idx->text[len] = '\0';
	idx->len = len;
	return idx;
}

struct ksd_doc_index *ksd_index_build_keys(const char *text, size_t len, uint64_t version,
					   uint64_t *keys, size_t n_keys)
{
	struct ksd_doc_index *idx = index_new(text, len);
	if (!idx || !keys || !index_document(idx) || idx->version != version ||
	    idx->n_routes != n_keys) {
		free(keys);
		ksd_index_free(idx);
		return NULL;
	}
	idx->keys = keys;
	return idx;
}

uint64_t *ksd_index_keys(const struct ks_compiled *c)
{
	return keys_by_rule_index(c, c->n_routes);
}

struct ksd_doc_index *ksd_index_build(const char *text, size_t len, const struct ks_compiled *c)
{
	return ksd_index_build_keys(text, len, c->version, ksd_index_keys(c), c->n_routes);
}

/* ---- the incremental compile ---- */

struct changed_route {
	size_t j;    /* index in routes[] */
	json_t *obj; /* the new route object */
};

/* prev's strings blob: its size, from the furthest string in it. */
static size_t strings_size(const struct ks_compiled *c)
{
	size_t size = 0;
	for (uint32_t i = 0; i < c->n_shards + c->n_routes; i++) {
		const char *s =
		    i < c->n_shards ? c->shards[i].name : c->route_info[i - c->n_shards].text;
		if (s && s >= c->strings) {
			size_t end = (size_t)(s - c->strings) + strlen(s) + 1;
			if (end > size)
				size = end;
		}
	}
	return size;
}

static bool in_blob(const struct ks_compiled *c, size_t size, const char *s)
{
	return !s || (s >= c->strings && s < c->strings + size);
}

#define REBASE(p, from, to) ((p) ? (to) + ((p) - (from)) : NULL)

/* A deep copy of c; its strings must all live in c->strings. */
static struct ks_compiled *copy_compiled(const struct ks_compiled *c)
{
	if (!c->strings)
		return NULL;
	size_t ssize = strings_size(c);
	for (uint32_t i = 0; i < c->n_shards; i++)
		if (!in_blob(c, ssize, c->shards[i].name))
			return NULL;
	for (uint32_t i = 0; i < c->n_routes; i++)
		if (!in_blob(c, ssize, c->route_info[i].text))
			return NULL;

	struct ks_compiled *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	*n = *c;
	n->listeners = malloc(sizeof(*n->listeners) * (c->n_listeners ? c->n_listeners : 1));
	n->shards = malloc(sizeof(*n->shards) * (c->n_shards ? c->n_shards : 1));
	n->keys = malloc(sizeof(*n->keys) * (c->n_routes ? c->n_routes : 1));
	n->routes = malloc(sizeof(*n->routes) * (c->n_routes ? c->n_routes : 1));
	n->route_info = malloc(sizeof(*n->route_info) * (c->n_routes ? c->n_routes : 1));
	n->strings = malloc(ssize ? ssize : 1);
	if (!n->listeners || !n->shards || !n->keys || !n->routes || !n->route_info ||
	    !n->strings) {
		ks_compiled_free(n);
		return NULL;
	}
	memcpy(n->listeners, c->listeners, sizeof(*n->listeners) * c->n_listeners);
	memcpy(n->shards, c->shards, sizeof(*n->shards) * c->n_shards);
	memcpy(n->keys, c->keys, sizeof(*n->keys) * c->n_routes);
	memcpy(n->routes, c->routes, sizeof(*n->routes) * c->n_routes);
	memcpy(n->route_info, c->route_info, sizeof(*n->route_info) * c->n_routes);
	memcpy(n->strings, c->strings, ssize);
	for (uint32_t i = 0; i < c->n_shards; i++)
		n->shards[i].name = REBASE(c->shards[i].name, c->strings, n->strings);
	for (uint32_t i = 0; i < c->n_routes; i++)
		n->route_info[i].text = REBASE(c->route_info[i].text, c->strings, n->strings);
	return n;
}

/* The listeners, shards and default of the small compile must be prev's. */
static bool same_frame(const struct ks_compiled *a, const struct ks_compiled *b)
{
	if (a->n_listeners != b->n_listeners || a->n_shards != b->n_shards ||
	    a->default_action != b->default_action)
		return false;
	if (memcmp(a->listeners, b->listeners, sizeof(*a->listeners) * a->n_listeners) != 0)
		return false;
	for (uint32_t i = 0; i < a->n_shards; i++) {
		if (memcmp(&a->shards[i].shard, &b->shards[i].shard, sizeof(a->shards[i].shard)) ||
		    a->shards[i].capacity != b->shards[i].capacity ||
		    strcmp(a->shards[i].name, b->shards[i].name) != 0)
			return false;
	}
	return true;
}

/* Most routes one incremental compile takes: 1/16 of the table, at least 64. */
static size_t max_changed(size_t n_routes)
{
	return n_routes / 16 > 64 ? n_routes / 16 : 64;
}

/*
 * Compare text with the indexed document: fixed bytes must be identical,
 * route objects identical or parsed anew. Fills the new index's spans.
 */
static bool walk(const struct ksd_doc_index *idx, const char *text, size_t len,
		 struct ksd_doc_index *nidx, struct changed_route **chg, size_t *n_chg)
{
	const char *pt = idx->text;
	size_t p = 0, q = 0, cap = 0, end;
	bool version_first = idx->n_routes == 0 || idx->version_val.start < idx->routes[0].start;
	size_t n_holes = idx->n_routes + 1;

	for (size_t h = 0; h < n_holes; h++) {
		bool is_version = version_first ? h == 0 : h == n_holes - 1;
		size_t j = version_first ? h - 1 : h;
		const struct span *hole = is_version ? &idx->version_val : &idx->routes[j];
		size_t flen = hole->start - p;
		if (q + flen > len || memcmp(text + q, pt + p, flen) != 0)
			return false;
		q += flen;
		p = hole->end;
		if (is_version) {
			json_t *v = value_at(text, len, q, &end);
			bool ok = positive_integer(v, &nidx->version);
			json_decref(v);
			if (!ok)
				return false;
			nidx->version_val.start = q;
			nidx->version_val.end = end;
			q = end;
			continue;
		}
		size_t olen = hole->end - hole->start;
		nidx->routes[j].start = q;
		if (q + olen <= len && memcmp(text + q, pt + hole->start, olen) == 0) {
			q += olen;
		} else {
			/* Past a few routes, one full compile is cheaper than this path. */
			if (*n_chg >= max_changed(idx->n_routes))
				return false;
			json_t *v = value_at(text, len, q, &end);
			if (!json_is_object(v)) {
				json_decref(v);
				return false;
			}
			if (*n_chg == cap) {
				cap = cap ? cap * 2 : 16;
				struct changed_route *c = realloc(*chg, cap * sizeof(*c));
				if (!c) {
					json_decref(v);
					return false;
				}
				*chg = c;
			}
			(*chg)[*n_chg].j = j;
			(*chg)[*n_chg].obj = v;
			(*n_chg)++;
			q = end;
		}
		nidx->routes[j].end = q;
	}
	size_t tail = idx->len - p;
	return len - q == tail && memcmp(text + q, pt + p, tail) == 0;
}

int ksd_compile_incremental(const struct ksd_doc_index *idx, const struct ks_compiled *prev,
			    const char *text, size_t len, struct ks_compiled **out,
			    struct ksd_doc_index **out_idx, unsigned *changed)
{
	struct changed_route *chg = NULL;
	size_t n_chg = 0;
	struct ksd_doc_index *nidx = NULL;
	struct ks_compiled *mini = NULL, *next = NULL;
	json_t *doc = NULL;
	char *mini_text = NULL;
	int rc = -1;

	*out = NULL;
	*out_idx = NULL;
	if (!idx || !prev || prev->version != idx->version || prev->n_routes != idx->n_routes)
		return -1;
	nidx = calloc(1, sizeof(*nidx));
	if (!nidx)
		return -1;
	nidx->n_routes = idx->n_routes;
	nidx->routes = malloc(sizeof(*nidx->routes) * (idx->n_routes ? idx->n_routes : 1));
	if (!nidx->routes || !walk(idx, text, len, nidx, &chg, &n_chg))
		goto out;

	/* The changed routes, compiled with the unchanged frame around them. */
	doc = json_deep_copy(idx->members);
	json_t *routes = json_array();
	for (size_t i = 0; doc && routes && i < n_chg; i++)
		json_array_append(routes, chg[i].obj);
	if (!doc || !routes) {
		json_decref(routes);
		goto out;
	}
	json_object_set_new(doc, "version", json_integer((json_int_t)nidx->version));
	json_object_set_new(doc, "routes", routes);
	mini_text = json_dumps(doc, JSON_COMPACT);
	struct ks_diags diags = {0};
	enum ks_rules_result r =
	    mini_text ? ks_rules_compile_buf(mini_text, strlen(mini_text), &mini, &diags)
		      : KS_RULES_INVALID;
	ks_diags_free(&diags);
	if (r != KS_RULES_OK || !mini || mini->n_routes != n_chg || !same_frame(mini, prev))
		goto out;

	next = copy_compiled(prev);
	if (!next)
		goto out;
	next->version = mini->version;
	for (uint32_t m = 0; m < mini->n_routes; m++) {
		uint32_t ci = mini->route_info[m].rule_index;
		if (ci >= n_chg)
			goto out;
		uint64_t key = idx->keys[chg[ci].j];
		long i = ks_compiled_find(prev, key);
		/* The same key with the same text: anything else is a full compile. */
		if (mini->keys[m] != key || i < 0 ||
		    strcmp(mini->route_info[m].text, prev->route_info[i].text) != 0)
			goto out;
		uint32_t slot = next->routes[i].stats_slot;
		next->routes[i] = mini->routes[m];
		next->routes[i].stats_slot = slot;
	}

	/* The index of the new text: same keys, new spans. */
	nidx->text = malloc(len + 1);
	nidx->keys = malloc(sizeof(*nidx->keys) * (idx->n_routes ? idx->n_routes : 1));
	if (!nidx->text || !nidx->keys)
		goto out;
	memcpy(nidx->text, text, len);
	nidx->text[len] = '\0';
	nidx->len = len;
	memcpy(nidx->keys, idx->keys, sizeof(*nidx->keys) * idx->n_routes);
	nidx->members = json_incref(idx->members);
	*out = next;
	*out_idx = nidx;
	*changed = (unsigned)n_chg;
	next = NULL;
	nidx = NULL;
	rc = 0;
out:
	for (size_t i = 0; i < n_chg; i++)
		json_decref(chg[i].obj);
	free(chg);
	json_decref(doc);
	free(mini_text);
	ks_compiled_free(mini);
	ks_compiled_free(next);
	ksd_index_free(nidx);
	return rc;
}

struct ksd_doc_index *ksd_index_rebase(const struct ksd_doc_index *idx, const char *text,
				       size_t len, const struct ks_compiled *c)
{
	struct changed_route *chg = NULL;
	size_t n_chg = 0;
	struct ksd_doc_index *nidx = calloc(1, sizeof(*nidx));
	if (!nidx)
		return NULL;
	nidx->n_routes = idx->n_routes;
	nidx->routes = malloc(sizeof(*nidx->routes) * (idx->n_routes ? idx->n_routes : 1));
	bool ok = nidx->routes && walk(idx, text, len, nidx, &chg, &n_chg) &&
		  nidx->version == c->version && c->n_routes == idx->n_routes;
	for (size_t i = 0; i < n_chg; i++)
		json_decref(chg[i].obj);
	free(chg);
	if (ok) {
		/* Keys of the new text's route objects come from its compiled form. */
		nidx->keys = ksd_index_keys(c);
		nidx->text = malloc(len + 1);
		ok = nidx->keys && nidx->text;
	}
	if (!ok) {
		ksd_index_free(nidx);
		return NULL;
	}
	memcpy(nidx->text, text, len);
	nidx->text[len] = '\0';
	nidx->len = len;
	nidx->members = json_incref(idx->members);
	return nidx;
}
