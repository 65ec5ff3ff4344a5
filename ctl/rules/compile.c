/* SPDX-License-Identifier: BSD-3-Clause */
/* The compiler's entry points and the top level of a rule set (rules.h). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/compile_int.h"
#include "rules/diag.h"
#include "rules/layout.h"

static const char *const top_fields[] = {"schema", "version", "listeners", "shards",
					 "routes", "default", NULL};
enum { F_SCHEMA, F_VERSION, F_LISTENERS, F_SHARDS, F_ROUTES, F_DEFAULT };
#define F_REQUIRED                                                                                 \
	((1u << F_SCHEMA) | (1u << F_VERSION) | (1u << F_LISTENERS) | (1u << F_SHARDS) |           \
	 (1u << F_ROUTES))

/* Indexed by enum ks_default_action. */
static const char *const default_names[] = {"drop", "pass", NULL};

static void schema(struct ks_cc *cc, const json_t *v)
{
	char q[KS_QUOTE_SIZE];

	if (!ks_want_string(&cc->w, v))
		return;
	if (strcmp(json_string_value(v), KS_RULES_SCHEMA) != 0 ||
	    json_string_length(v) != strlen(KS_RULES_SCHEMA))
		ks_walk_error(&cc->w, "unsupported schema %s (expected \"%s\")",
			      ks_quote(json_string_value(v), json_string_length(v), q, sizeof(q)),
			      KS_RULES_SCHEMA);
}

/* The sections that depend on each other, walked after the independent ones. */
struct section {
	const json_t *v;
	__u32 ord;
};

static void top(struct ks_cc *cc, const json_t *root)
{
	struct ks_walk *w = &cc->w;
	struct section sec[F_DEFAULT + 1] = {{0}};
	unsigned seen = 0;
	const char *name;
	json_t *v;
	__u32 ord = 0;
	int x;

	if (!ks_want_object(w, root))
		return;
	json_object_foreach((json_t *)root, name, v)
	{
		int f;

		ks_walk_member(w, name, ord++);
		f = ks_walk_field(w, name, v, top_fields);
		if (f >= 0) {
			seen |= 1u << f;
			sec[f] = (struct section){v, ord - 1};
		}
		switch (f) {
		case F_SCHEMA:
			schema(cc, v);
			break;
		case F_VERSION:
			ks_want_uint(w, v, 1, UINT64_MAX, false, &cc->version);
			break;
		case F_DEFAULT:
			x = ks_want_enum(w, v, "default action", default_names);
			if (x >= 0)
				cc->default_action = (__u8)x;
			break;
		}
		ks_walk_pop(w);
	}
	ks_walk_missing(w, top_fields, F_REQUIRED, seen, ord);

	/* Listeners before shards (nat needs their families), shards before routes. */
	static const int order[] = {F_LISTENERS, F_SHARDS, F_ROUTES};
	static void (*const walk[])(struct ks_cc *, const json_t *) = {ks_cc_listeners,
								       ks_cc_shards, ks_cc_routes};

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (!(seen & (1u << order[i])))
			continue;
		ks_walk_member(w, top_fields[order[i]], sec[order[i]].ord);
		walk[i](cc, sec[order[i]].v);
		ks_walk_pop(w);
	}
}

void ks_cc_free(struct ks_cc *cc)
{
	free(cc->listeners);
	free(cc->shards);
	free(cc->shard_names);
	free(cc->shard_slots);
	free(cc->routes);
	free(cc->sorted);
	free(cc->text_pool);
}

struct ks_compiled *ks_cc_build(struct ks_cc *cc)
{
	struct ks_compiled *c = calloc(1, sizeof(*c));
	size_t pool = cc->text_len, o;
	size_t n = cc->n_sorted;
	char *strings;

	if (!c)
		return NULL;
	/* Shard names go after the key texts, in the same buffer. */
	for (__u32 i = 0; i < cc->n_shards; i++)
		pool += cc->shards[i].name_len + 1;
	strings = realloc(cc->text_pool, pool + 1);
	if (!strings) {
		free(c);
		return NULL;
	}
	cc->text_pool = NULL;
	c->strings = strings;
	c->version = cc->version;
	c->default_action = cc->default_action;
	c->n_listeners = cc->n_listeners;
	c->n_shards = cc->n_shards;
	c->n_routes = (__u32)n;
	c->listeners = calloc(cc->n_listeners + 1, sizeof(*c->listeners));
	c->shards = calloc(cc->n_shards + 1, sizeof(*c->shards));
	c->keys = malloc((n + 1) * sizeof(*c->keys));
	c->routes = malloc((n + 1) * sizeof(*c->routes));
	c->route_info = malloc((n + 1) * sizeof(*c->route_info));
	if (!c->listeners || !c->shards || !c->keys || !c->routes || !c->route_info) {
		ks_compiled_free(c);
		return NULL;
	}
	if (cc->n_listeners)
		memcpy(c->listeners, cc->listeners, cc->n_listeners * sizeof(*c->listeners));
	o = cc->text_len;
	for (__u32 i = 0; i < cc->n_shards; i++) {
		const struct ks_shard_def *d = &cc->shards[i];

		memcpy(strings + o, d->name, d->name_len + 1);
		c->shards[i].name = strings + o;
		o += d->name_len + 1;
		c->shards[i].shard = d->shard;
		c->shards[i].capacity = d->capacity;
	}
	if (cc->split)
		ks_cc_build_rows_split(cc, c);
	else
		ks_cc_build_rows(cc, c, 0, n);
	return c;
}

void ks_cc_build_rows(const struct ks_cc *cc, struct ks_compiled *c, size_t lo, size_t hi)
{
	/* Every byte of the route arrays is written: padding-free structs, calloc'd defs. */
	for (size_t i = lo; i < hi; i++) {
		const struct ks_route_def *d = &cc->routes[cc->sorted[i].idx];

		c->keys[i] = cc->sorted[i].key;
		c->routes[i] = d->r;
		c->routes[i].stats_slot = (__u32)i;
		c->route_info[i] = (struct ks_compiled_route){
		    .text = c->strings + d->text_off,
		    .rule_index = (__u32)cc->sorted[i].idx,
		};
	}
}

/* Compile a parsed document; with split, its routes come from the text spans. */
static enum ks_rules_result compile_root(const struct ks_rules_doc *doc,
					 const struct ks_split *split, struct ks_compiled **out,
					 struct ks_diags *diags, bool *split_failed)
{
	struct ks_cc cc = {
	    .w = {.diags = diags, .doc = doc},
	    .first_listener_v4 = -1,
	    .first_listener_v6 = -1,
	    .split = split,
	};

	*out = NULL;
	ks_diags_reset(diags);
	top(&cc, doc->root);
	if (cc.split_failed) {
		*split_failed = true;
		ks_cc_free(&cc);
		ks_diags_reset(diags);
		return KS_RULES_INVALID;
	}
	if (cc.w.errors == 0) {
		*out = ks_cc_build(&cc);
		if (!*out)
			ks_walk_error(&cc.w, "out of memory");
	}
	ks_cc_free(&cc);
	ks_diags_sort(diags);
	return cc.w.errors ? KS_RULES_INVALID : KS_RULES_OK;
}

enum ks_rules_result ks_rules_compile_doc(const struct ks_rules_doc *doc, struct ks_compiled **out,
					  struct ks_diags *diags)
{
	bool split_failed = false;

	return compile_root(doc, NULL, out, diags, &split_failed);
}

/*
 * The split compile (rules.h): the frame is the text with the routes array
 * emptied; -1 when the split cannot be used.
 */
static int compile_split(const char *buf, size_t len, const struct ks_rules_layout *lay,
			 unsigned threads, struct ks_compiled **out, struct ks_diags *diags,
			 enum ks_rules_result *r)
{
	size_t head = lay->routes_open + 1, tail = len - lay->routes_close;
	struct ks_split split = {.buf = buf, .layout = lay, .threads = threads};
	struct ks_rules_doc *doc = NULL;
	bool split_failed = false;
	char *frame = malloc(head + tail);

	if (!frame)
		return -1;
	memcpy(frame, buf, head);
	memcpy(frame + head, buf + lay->routes_close, tail);
	/* Its syntax errors would carry the frame's line and column: not ours to report. */
	if (ks_rules_parse(frame, head + tail, &doc, diags) != KS_RULES_OK) {
		free(frame);
		ks_diags_reset(diags);
		return -1;
	}
	free(frame);
	*r = compile_root(doc, &split, out, diags, &split_failed);
	ks_rules_doc_free(doc);
	return split_failed ? -1 : 0;
}

enum ks_rules_result ks_rules_compile_opts(const char *buf, size_t len,
					   const struct ks_rules_options *opt,
					   struct ks_compiled **out, struct ks_diags *diags)
{
	struct ks_rules_layout lay;
	enum ks_rules_result r;

	*out = NULL;
	if (opt && opt->layout)
		memset(opt->layout, 0, sizeof(*opt->layout));
	if (!opt || opt->threads == 0 || ks_rules_scan_threads(buf, len, opt->threads, &lay) < 0)
		return ks_rules_compile_buf(buf, len, out, diags);
	if (compile_split(buf, len, &lay, opt->threads, out, diags, &r) < 0) {
		ks_rules_layout_free(&lay);
		return ks_rules_compile_buf(buf, len, out, diags);
	}
	if (opt->layout)
		*opt->layout = lay;
	else
		ks_rules_layout_free(&lay);
	return r;
}

enum ks_rules_result ks_rules_compile_buf(const char *buf, size_t len, struct ks_compiled **out,
					  struct ks_diags *diags)
{
	struct ks_rules_doc *doc;
	enum ks_rules_result r;

	*out = NULL;
	r = ks_rules_parse(buf, len, &doc, diags);
	if (r != KS_RULES_OK)
		return r;
	r = ks_rules_compile_doc(doc, out, diags);
	ks_rules_doc_free(doc);
	return r;
}

/* The whole file (or standard input) in one buffer. */
static char *read_all(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	size_t cap = 1 << 16, n = 0;
	char *buf = NULL;
	int err = 0;

	if (!f)
		return NULL;
	for (;;) {
		char *nb = realloc(buf, cap);

		if (!nb) {
			err = ENOMEM;
			break;
		}
		buf = nb;
		n += fread(buf + n, 1, cap - n, f);
		if (ferror(f)) {
			err = errno ? errno : EIO;
			break;
		}
		if (n < cap)
			break;
		cap *= 2;
	}
	if (f != stdin)
		fclose(f);
	if (err) {
		free(buf);
		errno = err;
		return NULL;
	}
	*len = n;
	return buf;
}

enum ks_rules_result ks_rules_compile_file(const char *path, struct ks_compiled **out,
					   struct ks_diags *diags)
{
	enum ks_rules_result r;
	size_t len = 0;
	char *buf;

	*out = NULL;
	ks_diags_reset(diags);
	errno = 0;
	buf = read_all(path, &len);
	if (!buf) {
		ks_diags_add(diags, strdup(""), strdup(strerror(errno ? errno : EIO)), NULL);
		return KS_RULES_IO_ERROR;
	}
	r = ks_rules_compile_buf(buf, len, out, diags);
	free(buf);
	return r;
}
