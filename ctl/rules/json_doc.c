/* SPDX-License-Identifier: BSD-3-Clause */
/* Parsing a rule set into a ks_rules_doc (doc.h): jansson plus two tricks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/diag.h"
#include "rules/doc.h"
#include "rules/json_arena.h"

/*
 * Placeholder for the i-th big integer: a JSON string of exactly the
 * number's length, "\u0001KSBIG" then the index padded with zeros. jansson
 * decodes it to "\x01KSBIG000...i". Big integers have at least 19 digits, so
 * there is always room.
 */
#define BIG_PREFIX_JSON "\\u0001KSBIG"
#define BIG_PREFIX	"\x01KSBIG"
#define BIG_PREFIX_LEN	6

const char *ks_doc_bignum(const struct ks_rules_doc *doc, const json_t *v)
{
	const char *s;
	size_t len, i = 0;
	unsigned idx = 0;

	if (!doc || doc->n_big == 0 || !json_is_string(v))
		return NULL;
	s = json_string_value(v);
	len = json_string_length(v);
	if (len <= BIG_PREFIX_LEN || memcmp(s, BIG_PREFIX, BIG_PREFIX_LEN) != 0)
		return NULL;
	for (i = BIG_PREFIX_LEN; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' || idx > KS_DOC_MAX_BIGNUMS)
			return NULL;
		idx = idx * 10 + (unsigned)(s[i] - '0');
	}
	return idx < doc->n_big ? doc->big[idx] : NULL;
}

/*
 * jansson reports an integer overflow with the position just past the
 * number. Find its start, keep its text, overwrite it with a placeholder.
 */
static bool patch_bignum(struct ks_rules_doc *doc, char *buf, size_t len, size_t end)
{
	size_t start = end, n;
	char marker[64];
	int m;

	if (end > len || doc->n_big == KS_DOC_MAX_BIGNUMS)
		return false;
	while (start > 0 && buf[start - 1] >= '0' && buf[start - 1] <= '9')
		start--;
	if (start > 0 && buf[start - 1] == '-')
		start--;
	n = end - start;
	m = snprintf(marker, sizeof(marker), "\"%s%u", BIG_PREFIX_JSON, doc->n_big);
	if (m < 0 || (size_t)m + 1 > n)
		return false;
	doc->big[doc->n_big] = strndup(buf + start, n);
	if (!doc->big[doc->n_big])
		return false;

	/* "\u0001KSBIG" + zeros + index + '"', exactly n bytes */
	size_t pos = start;
	size_t prefix_len = 1 + strlen(BIG_PREFIX_JSON);
	size_t idx_len = (size_t)m - prefix_len;

	memcpy(buf + pos, marker, prefix_len);
	pos += prefix_len;
	memset(buf + pos, '0', n - prefix_len - idx_len - 1);
	pos += n - prefix_len - idx_len - 1;
	memcpy(buf + pos, marker + prefix_len, idx_len);
	pos += idx_len;
	buf[pos] = '"';
	doc->n_big++;
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
	bool arena = ks_json_arena_begin(doc->arena);

	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, e);
	ks_json_arena_end();
	if (!arena) {
		/* Someone else's jansson allocator: a normal, refcounted tree. */
		ks_json_arena_free(doc->arena);
		doc->arena = NULL;
	}
	return root;
}

void ks_rules_doc_free(struct ks_rules_doc *doc)
{
	if (!doc)
		return;
	if (doc->arena)
		ks_json_arena_free(doc->arena); /* the tree lives in it */
	else
		json_decref(doc->root);
	for (unsigned i = 0; i < doc->n_big; i++)
		free(doc->big[i]);
	free(doc);
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
		goto oom;
	for (;;) {
		doc->arena = ks_json_arena_new();
		if (!doc->arena)
			goto oom;
		doc->root = load(doc, patched ? patched : buf, len, &e);
		if (doc->root)
			break;
		ks_json_arena_free(doc->arena);
		doc->arena = NULL;

		if (json_error_code(&e) != json_error_numeric_overflow ||
		    strncmp(e.text, "too big", 7) != 0)
			goto syntax;
		if (!patched) {
			patched = malloc(len ? len : 1);
			if (!patched)
				goto oom;
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
oom:
	ks_diags_add(diags, strdup("$"), strdup("out of memory"), NULL);
	free(patched);
	ks_rules_doc_free(doc);
	return KS_RULES_INVALID;
}
