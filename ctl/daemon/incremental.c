/* SPDX-License-Identifier: BSD-3-Clause */
#include "daemon/incremental.h"
#include "daemon/text.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "rules/rules.h"

struct ksd_doc_index {
	struct ksd_text *text;
	uint64_t version;
	struct ks_rules_layout lay;
	uint64_t *keys; /* key of route object j */
};

/* From old position `from` on (up to the next shift), text moved by delta bytes. */
struct shift {
	size_t from;
	ssize_t delta;
};

struct changed {
	size_t j; /* route object */
	struct ks_text_span span;
};

struct patch_route {
	uint32_t i; /* in the compiled routes[] */
	struct ks_route r;
};

struct ksd_patch {
	struct ksd_text *text;
	uint64_t version; /* swapped with the compiled set's */
	struct ks_text_span version_span;
	size_t routes_open, routes_close;
	size_t n_shifts, cap_shifts;
	struct shift *shifts;
	size_t n_chg, cap_chg;
	struct changed *chg;
	size_t n_routes;
	struct patch_route *routes; /* swapped with the compiled set's */
};

void ksd_index_free(struct ksd_doc_index *idx)
{
	if (!idx)
		return;
	ksd_text_unref(idx->text);
	ks_rules_layout_free(&idx->lay);
	free(idx->keys);
	free(idx);
}

uint64_t ksd_index_version(const struct ksd_doc_index *idx)
{
	return idx->version;
}

const struct ks_rules_layout *ksd_index_layout(const struct ksd_doc_index *idx)
{
	return &idx->lay;
}

const struct ksd_text *ksd_index_text(const struct ksd_doc_index *idx)
{
	return idx->text;
}

/* The positive integer that is exactly t[s.start, s.end), parsed by jansson. */
static bool positive_integer(const char *t, struct ks_text_span s, uint64_t *out)
{
	json_error_t err;
	json_t *v = json_loadb(t + s.start, s.end - s.start, JSON_DECODE_ANY, &err);
	bool ok = json_is_integer(v) && json_integer_value(v) > 0;

	if (ok)
		*out = (uint64_t)json_integer_value(v);
	json_decref(v);
	return ok;
}

/* Key of each route object, by its index in the rule set's routes[]. */
static uint64_t *keys_by_rule_index(const struct ks_compiled *c, size_t n)
{
	if (c->n_routes != n || !c->route_info)
		return NULL;
	uint64_t *keys = malloc((n ? n : 1) * sizeof(*keys));
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

struct ksd_doc_index *ksd_index_new(struct ksd_text *text, struct ks_rules_layout *layout,
				    const struct ks_compiled *c)
{
	struct ksd_doc_index *idx = calloc(1, sizeof(*idx));

	if (!idx || !layout->valid || !layout->has_version || layout->len != text->len ||
	    layout->n_routes != c->n_routes ||
	    !positive_integer(text->data, layout->version, &idx->version) ||
	    idx->version != c->version || !(idx->keys = keys_by_rule_index(c, c->n_routes))) {
		ks_rules_layout_free(layout);
		ksd_index_free(idx);
		return NULL;
	}
	idx->lay = *layout;
	memset(layout, 0, sizeof(*layout));
	idx->text = ksd_text_ref(text);
	return idx;
}

/* ---- comparing a new text with the indexed one ---- */

/* The route object whose span holds old position p (start <= p <= end), or -1. */
static long route_at(const struct ks_rules_layout *lay, size_t p)
{
	size_t lo = 0, hi = lay->n_routes;

	/* The last span starting at or before p. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (lay->routes[mid].start <= p)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || p > lay->routes[lo - 1].end)
		return -1;
	return (long)(lo - 1);
}

static bool add_shift(struct ksd_patch *p, size_t from, ssize_t delta)
{
	if (p->n_shifts == p->cap_shifts) {
		size_t cap = p->cap_shifts ? p->cap_shifts * 2 : 8;
		struct shift *s = realloc(p->shifts, cap * sizeof(*s));

		if (!s)
			return false;
		p->shifts = s;
		p->cap_shifts = cap;
	}
	p->shifts[p->n_shifts++] = (struct shift){from, delta};
	return true;
}

static bool add_changed(struct ksd_patch *p, size_t j, size_t start, size_t end)
{
	if (p->n_chg == p->cap_chg) {
		size_t cap = p->cap_chg ? p->cap_chg * 2 : 8;
		struct changed *c = realloc(p->chg, cap * sizeof(*c));

		if (!c)
			return false;
		p->chg = c;
		p->cap_chg = cap;
	}
	p->chg[p->n_chg++] = (struct changed){j, {start, end}};
	return true;
}

/* Most routes one incremental compile takes: 1/16 of the table, at least 64. */
static size_t max_changed(size_t n_routes)
{
	return n_routes / 16 > 64 ? n_routes / 16 : 64;
}

/* New position of an old one outside every changed span. */
static size_t moved(const struct ksd_patch *p, size_t old)
{
	ssize_t delta = 0;

	for (size_t k = 0; k < p->n_shifts && p->shifts[k].from <= old; k++)
		delta = p->shifts[k].delta;
	return (size_t)((ssize_t)old + delta);
}

/*
 * Compare new text n with the indexed text o. Every difference must be in the
 * version value or in a route object; fills the patch's shifts, changed
 * route spans and version.
 */
static bool compare(const struct ksd_doc_index *idx, const char *n, size_t nlen,
		    const struct ksd_text_diff *diff, struct ksd_patch *pt)
{
	const struct ks_rules_layout *lay = &idx->lay;
	const char *o = idx->text->data;
	size_t olen = idx->text->len, p = 0, q = 0;
	/* Known to be the same: the first `p` bytes, and the last `same_tail`. */
	size_t same_tail = 0;
	bool version_seen = false;

	if (diff) {
		p = q = diff->prefix <= olen && diff->prefix <= nlen ? diff->prefix : 0;
		same_tail = diff->suffix <= olen && diff->suffix <= nlen ? diff->suffix : 0;
	}
	pt->version_span = lay->version;
	for (;;) {
		size_t room = olen - p < nlen - q ? olen - p : nlen - q;
		size_t k;

		/* The rest, aligned from the end, is known to be the same. */
		if (olen - p == nlen - q && olen - p <= same_tail)
			break;
		k = ksd_common_prefix(o + p, n + q, room);
		size_t start, end;

		p += k;
		q += k;
		if (p == olen && q == nlen)
			break;
		/* Where the hole the difference is in starts in the new text. */
		if (lay->version.start <= p && p <= lay->version.end && !version_seen) {
			start = q - (p - lay->version.start);
			end = ks_json_value_end(n, nlen, start);
			if (!end ||
			    !positive_integer(n, (struct ks_text_span){start, end}, &pt->version))
				return false;
			pt->version_span = (struct ks_text_span){start, end};
			version_seen = true;
			p = lay->version.end;
		} else {
			long j = route_at(lay, p);

			if (j < 0 || (pt->n_chg && pt->chg[pt->n_chg - 1].j >= (size_t)j) ||
			    pt->n_chg >= max_changed(lay->n_routes))
				return false;
			start = q - (p - lay->routes[j].start);
			end = ks_json_value_end(n, nlen, start);
			if (!end || n[start] != '{' || !add_changed(pt, (size_t)j, start, end))
				return false;
			p = lay->routes[j].end;
		}
		q = end;
		if (!add_shift(pt, p, (ssize_t)q - (ssize_t)p))
			return false;
	}
	if (!version_seen && !positive_integer(n,
					       (struct ks_text_span){moved(pt, lay->version.start),
								     moved(pt, lay->version.end)},
					       &pt->version))
		return false;
	if (!version_seen)
		pt->version_span = (struct ks_text_span){moved(pt, lay->version.start),
							 moved(pt, lay->version.end)};
	pt->routes_open = moved(pt, lay->routes_open);
	pt->routes_close = moved(pt, lay->routes_close);
	return true;
}

/* The new text with its routes array holding only the changed route objects. */
static char *mini_text(const struct ksd_patch *pt, const char *n, size_t nlen, size_t *len)
{
	size_t head = pt->routes_open + 1, tail = nlen - pt->routes_close, size = head + tail;
	char *m, *w;

	for (size_t c = 0; c < pt->n_chg; c++)
		size += pt->chg[c].span.end - pt->chg[c].span.start + 1;
	m = malloc(size + 1);
	if (!m)
		return NULL;
	memcpy(m, n, head);
	w = m + head;
	for (size_t c = 0; c < pt->n_chg; c++) {
		size_t l = pt->chg[c].span.end - pt->chg[c].span.start;

		if (c)
			*w++ = ',';
		memcpy(w, n + pt->chg[c].span.start, l);
		w += l;
	}
	memcpy(w, n + pt->routes_close, tail);
	w += tail;
	*w = '\0';
	*len = (size_t)(w - m);
	return m;
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

void ksd_patch_free(struct ksd_patch *p)
{
	if (!p)
		return;
	ksd_text_unref(p->text);
	free(p->shifts);
	free(p->chg);
	free(p->routes);
	free(p);
}

unsigned ksd_patch_changed(const struct ksd_patch *p)
{
	return (unsigned)p->n_routes;
}

/* The changed routes compiled in the new text's frame, as values for prev's slots. */
static bool compile_changed(const struct ksd_doc_index *idx, const struct ks_compiled *prev,
			    const char *n, size_t nlen, struct ksd_patch *pt)
{
	struct ks_diags diags = {0};
	struct ks_compiled *mini = NULL;
	size_t mlen;
	char *m = mini_text(pt, n, nlen, &mlen);
	bool ok = m && ks_rules_compile_buf(m, mlen, &mini, &diags) == KS_RULES_OK && mini &&
		  mini->n_routes == pt->n_chg && mini->version == pt->version &&
		  same_frame(mini, prev);

	free(m);
	ks_diags_free(&diags);
	if (ok && pt->n_chg) {
		pt->routes = malloc(pt->n_chg * sizeof(*pt->routes));
		ok = pt->routes != NULL;
	}
	for (uint32_t k = 0; ok && k < pt->n_chg; k++) {
		uint32_t ci = mini->route_info[k].rule_index;
		uint64_t key = ci < pt->n_chg ? idx->keys[pt->chg[ci].j] : 0;
		long i = ci < pt->n_chg ? ks_compiled_find(prev, key) : -1;

		/* The same key with the same text: anything else is a full compile. */
		ok = i >= 0 && mini->keys[k] == key &&
		     strcmp(mini->route_info[k].text, prev->route_info[i].text) == 0;
		if (ok) {
			pt->routes[k].i = (uint32_t)i;
			pt->routes[k].r = mini->routes[k];
			pt->routes[k].r.stats_slot = prev->routes[i].stats_slot;
		}
	}
	if (ok)
		pt->n_routes = pt->n_chg;
	ks_compiled_free(mini);
	return ok;
}

int ksd_compile_incremental(const struct ksd_doc_index *idx, const struct ks_compiled *prev,
			    struct ksd_text *text, const struct ksd_text_diff *diff,
			    struct ksd_patch **out)
{
	struct ksd_patch *pt;

	*out = NULL;
	if (!idx || !prev || prev->version != idx->version || prev->n_routes != idx->lay.n_routes)
		return -1;
	pt = calloc(1, sizeof(*pt));
	if (!pt)
		return -1;
	if (diff && diff->base != idx->text)
		diff = NULL; /* about another text: of no use here */
	if (!add_shift(pt, 0, 0) || !compare(idx, text->data, text->len, diff, pt) ||
	    !compile_changed(idx, prev, text->data, text->len, pt)) {
		ksd_patch_free(pt);
		return -1;
	}
	pt->text = ksd_text_ref(text);
	*out = pt;
	return 0;
}

void ksd_patch_swap(struct ksd_patch *p, struct ks_compiled *c)
{
	uint64_t v = c->version;

	c->version = p->version;
	p->version = v;
	for (size_t k = 0; k < p->n_routes; k++) {
		struct ks_route r = c->routes[p->routes[k].i];

		c->routes[p->routes[k].i] = p->routes[k].r;
		p->routes[k].r = r;
	}
}

/* The first route object that starts at or after old position from. */
static size_t first_route_from(const struct ks_rules_layout *lay, size_t from)
{
	size_t lo = 0, hi = lay->n_routes;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (lay->routes[mid].start < from)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Consumes the patch's shifts: commit once, then free the patch. */
void ksd_patch_commit_index(struct ksd_patch *p, struct ksd_doc_index *idx)
{
	struct ks_rules_layout *lay = &idx->lay;

	/*
	 * Route objects behind a shift moved (none when every change kept its
	 * length); the changed ones get their new spans.
	 */
	/* Where each shift's routes begin, found before any span moves. */
	for (size_t s = 0; s < p->n_shifts; s++)
		p->shifts[s].from = first_route_from(lay, p->shifts[s].from);
	for (size_t s = 0; s < p->n_shifts; s++) {
		size_t end = s + 1 < p->n_shifts ? p->shifts[s + 1].from : lay->n_routes;
		ssize_t delta = p->shifts[s].delta;

		for (size_t j = p->shifts[s].from; delta && j < end; j++) {
			lay->routes[j].start = (size_t)((ssize_t)lay->routes[j].start + delta);
			lay->routes[j].end = (size_t)((ssize_t)lay->routes[j].end + delta);
		}
	}
	for (size_t c = 0; c < p->n_chg; c++)
		lay->routes[p->chg[c].j] = p->chg[c].span;
	lay->version = p->version_span;
	lay->routes_open = p->routes_open;
	lay->routes_close = p->routes_close;
	lay->len = p->text->len;
	/* After the swap, p->version holds the old version; the index describes the new one. */
	idx->version = 0;
	positive_integer(p->text->data, lay->version, &idx->version);
	ksd_text_unref(idx->text);
	idx->text = ksd_text_ref(p->text);
}
