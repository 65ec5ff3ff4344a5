/* SPDX-License-Identifier: BSD-3-Clause */
/* Parsing a rule set into a ks_rules_doc (doc.h): jansson plus two tricks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/diag.h"
#include "rules/doc.h"
#include "rules/json_arena.h"

/*
 * Placeholder for the i-th big integer: a JSON string exactly as long as the
 * number, "\u0001KS", a letter, then i padded with zeros. jansson decodes it
 * to "\x01KS" letter "000...i". Big integers have at least 19 digits, so
 * there is always room.
 */
#define MARK_JSON     "\\u0001KS"
#define MARK	      "\x01KS"
#define MARK_LEN      3
#define MARK_JSON_LEN 8

static bool is_marker(const char *s, size_t len, char letter, unsigned *idx)
{
	unsigned i = 0;

	if (len <= MARK_LEN + 1 || memcmp(s, MARK, MARK_LEN) != 0 || s[MARK_LEN] != letter)
		return false;
	for (size_t k = MARK_LEN + 1; k < len; k++) {
		if (s[k] < '0' || s[k] > '9' || i > KS_DOC_MAX_BIGNUMS)
			return false;
		i = i * 10 + (unsigned)(s[k] - '0');
	}
	*idx = i;
	return true;
}

const char *ks_doc_bignum(const struct ks_rules_doc *doc, const json_t *v)
{
	unsigned idx;

	if (!doc || doc->n_big == 0 || !json_is_string(v))
		return NULL;
	if (!is_marker(json_string_value(v), json_string_length(v), doc->marker, &idx))
		return NULL;
	return idx < doc->n_big ? doc->big[idx] : NULL;
}

/* String values that look like placeholders with this letter (keys cannot hold numbers). */
static size_t count_markers(const json_t *v, char letter)
{
	size_t n = 0, i;
	const char *key;
	json_t *x;
	unsigned idx;

	switch (json_typeof(v)) {
	case JSON_STRING:
		return is_marker(json_string_value(v), json_string_length(v), letter, &idx);
	case JSON_ARRAY:
		json_array_foreach(v, i, x) n += count_markers(x, letter);
		return n;
	case JSON_OBJECT:
		json_object_foreach((json_t *)v, key, x) n += count_markers(x, letter);
		return n;
	default:
		return 0;
	}
}

/* Overwrite big integer i in buf with its placeholder. */
static void write_marker(const struct ks_rules_doc *doc, char *buf, unsigned i)
{
	char digits[16];
	size_t start = doc->big_start[i], n = doc->big_len[i];
	int nd = snprintf(digits, sizeof(digits), "%u", i);
	size_t zeros = n - 2 - MARK_JSON_LEN - 1 - (size_t)nd;
	char *p = buf + start;

	*p++ = '"';
	memcpy(p, MARK_JSON, MARK_JSON_LEN);
	p += MARK_JSON_LEN;
	*p++ = doc->marker;
	memset(p, '0', zeros);
	p += zeros;
	memcpy(p, digits, (size_t)nd);
	p += nd;
	*p = '"';
}

/*
 * jansson reports an integer overflow with the position just past the
 * number. Find its start, keep its text, overwrite it with a placeholder.
 */
static bool patch_bignum(struct ks_rules_doc *doc, char *buf, size_t len, size_t end)
{
	size_t start = end;
	unsigned i = doc->n_big;

	if (end > len || i == KS_DOC_MAX_BIGNUMS)
		return false;
	while (start > 0 && buf[start - 1] >= '0' && buf[start - 1] <= '9')
		start--;
	if (start > 0 && buf[start - 1] == '-')
		start--;
	/* quotes, prefix, letter and at least one digit */
	if (end - start < 2 + MARK_JSON_LEN + 1 + 1)
		return false;
	doc->big[i] = strndup(buf + start, end - start);
	if (!doc->big[i])
		return false;
	doc->big_start[i] = start;
	doc->big_len[i] = end - start;
	doc->n_big++;
	write_marker(doc, buf, i);
	return true;
}

static void syntax_error(struct ks_diags *diags, const json_error_t *e)
{
	char *path = NULL, *msg = NULL;

	if (asprintf(&path, "%d:%d", e->line, e->column) < 0)
		path = NULL;
	if (asprintf(&msg, "invalid JSON: %s", e->text) < 0)
		msg = NULL;
	ks_diags_add(diags, path, msg, NULL);
}

static json_t *load(struct ks_rules_doc *doc, const char *buf, size_t len, json_error_t *e)
{
	json_t *root;
	bool arena;

	doc->arena = ks_json_arena_new();
	if (!doc->arena)
		return NULL;
	arena = ks_json_arena_begin(doc->arena);
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, e);
	ks_json_arena_end();
	if (!arena || !root) {
		/* Someone else's jansson allocator: a normal, refcounted tree. */
		ks_json_arena_free(doc->arena);
		doc->arena = NULL;
	}
	return root;
}

static void drop_root(struct ks_rules_doc *doc)
{
	if (doc->arena)
		ks_json_arena_free(doc->arena); /* the tree lives in it */
	else
		json_decref(doc->root);
	doc->arena = NULL;
	doc->root = NULL;
}

void ks_rules_doc_free(struct ks_rules_doc *doc)
{
	if (!doc)
		return;
	drop_root(doc);
	for (unsigned i = 0; i < doc->n_big; i++)
		free(doc->big[i]);
	free(doc);
}

static enum ks_rules_result fail(struct ks_rules_doc *doc, char *patched, struct ks_diags *diags,
				 const char *message)
{
	ks_diags_add(diags, strdup("$"), strdup(message), NULL);
	free(patched);
	ks_rules_doc_free(doc);
	return KS_RULES_INVALID;
}

enum ks_rules_result ks_rules_parse(const char *buf, size_t len, struct ks_rules_doc **out,
				    struct ks_diags *diags)
{
	struct ks_rules_doc *doc = calloc(1, sizeof(*doc));
	char *patched = NULL;
	json_error_t e;

	ks_diags_reset(diags);
	*out = NULL;
	if (!doc)
		return fail(doc, patched, diags, "out of memory");
	doc->marker = 'A';
	for (;;) {
		doc->root = load(doc, patched ? patched : buf, len, &e);
		if (doc->root) {
			if (doc->n_big == 0 || count_markers(doc->root, doc->marker) == doc->n_big)
				break;
			/* The rule set has strings like our placeholders: use another letter. */
			drop_root(doc);
			if (doc->marker == 'Z')
				return fail(doc, patched, diags,
					    "too many strings that look like integer placeholders");
			doc->marker++;
			for (unsigned i = 0; i < doc->n_big; i++)
				write_marker(doc, patched, i);
			continue;
		}
		if (json_error_code(&e) != json_error_numeric_overflow ||
		    strncmp(e.text, "too big", 7) != 0)
			goto syntax;
		if (!patched) {
			patched = malloc(len ? len : 1);
			if (!patched)
				return fail(doc, patched, diags, "out of memory");
			memcpy(patched, buf, len);
		}
		if (e.position < 0 || !patch_bignum(doc, patched, len, (size_t)e.position))
			goto syntax;
	}
	free(patched);
	*out = doc;
	return KS_RULES_OK;

syntax:
	syntax_error(diags, &e);
	free(patched);
	ks_rules_doc_free(doc);
	return KS_RULES_INVALID;
}
