/* SPDX-License-Identifier: BSD-3-Clause */
/* The span scanner (layout.h): strings and brackets only, nothing validated. */
#include <stdlib.h>
#include <string.h>

#include "rules/layout.h"

/* JSON whitespace, and the bytes that end a number or a literal. */
static const unsigned char is_ws[256] = {[' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1};
static const unsigned char ends_scalar[256] = {
    [' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1, [','] = 1, [']'] = 1, ['}'] = 1,
};

size_t ks_json_skip_ws(const char *t, size_t len, size_t p)
{
	while (p < len && is_ws[(unsigned char)t[p]])
		p++;
	return p;
}

/* Past the closing quote of the string whose opening quote is t[p]; 0 if it does not end. */
static size_t string_end(const char *t, size_t len, size_t p)
{
	for (p++; p < len; p++) {
		char c = t[p];

		if (c == '"')
			return p + 1;
		if (c == '\\')
			p++; /* the escaped byte cannot end the string */
	}
	return 0;
}

size_t ks_json_value_end(const char *t, size_t len, size_t p)
{
	char closers[KS_LAYOUT_MAX_DEPTH];
	int depth = 0;
	size_t start = p;

	if (p >= len)
		return 0;
	if (t[p] == '"')
		return string_end(t, len, p);
	if (t[p] != '{' && t[p] != '[') {
		while (p < len && !ends_scalar[(unsigned char)t[p]])
			p++;
		return p > start ? p : 0;
	}
	for (; p < len; p++) {
		char c = t[p];

		switch (c) {
		case '"':
			p = string_end(t, len, p);
			if (!p)
				return 0;
			p--; /* the loop steps past the closing quote */
			break;
		case '{':
		case '[':
			if (depth == KS_LAYOUT_MAX_DEPTH)
				return 0;
			closers[depth++] = c == '{' ? '}' : ']';
			break;
		case '}':
		case ']':
			if (depth == 0 || closers[--depth] != c)
				return 0;
			if (depth == 0)
				return p + 1;
			break;
		}
	}
	return 0;
}

static int add_route(struct ks_rules_layout *out, size_t *cap, size_t start, size_t end)
{
	if (out->n_routes == *cap) {
		size_t nc = *cap ? *cap * 2 : 1024;
		struct ks_text_span *r = realloc(out->routes, nc * sizeof(*r));

		if (!r)
			return -1;
		out->routes = r;
		*cap = nc;
	}
	out->routes[out->n_routes++] = (struct ks_text_span){start, end};
	return 0;
}

/* The routes array from its '[' at *pos; *pos ends just past its ']'. */
static int scan_routes(const char *t, size_t len, size_t *pos, struct ks_rules_layout *out)
{
	size_t p = *pos, cap = 0, end;

	out->routes_open = p;
	p = ks_json_skip_ws(t, len, p + 1);
	if (p < len && t[p] == ']') {
		out->routes_close = p;
		*pos = p + 1;
		return 0;
	}
	for (;;) {
		end = ks_json_value_end(t, len, p);
		if (!end || add_route(out, &cap, p, end) < 0)
			return -1;
		p = ks_json_skip_ws(t, len, end);
		if (p < len && t[p] == ',') {
			p = ks_json_skip_ws(t, len, p + 1);
			continue;
		}
		if (p < len && t[p] == ']') {
			out->routes_close = p;
			*pos = p + 1;
			return 0;
		}
		return -1;
	}
}

static bool name_is(const char *t, size_t start, size_t end, const char *quoted)
{
	size_t n = strlen(quoted);

	return end - start == n && memcmp(t + start, quoted, n) == 0;
}

int ks_rules_scan(const char *t, size_t len, struct ks_rules_layout *out)
{
	bool have_routes = false;
	size_t p = ks_json_skip_ws(t, len, 0);

	memset(out, 0, sizeof(*out));
	out->len = len;
	if (p >= len || t[p] != '{')
		goto fail;
	p = ks_json_skip_ws(t, len, p + 1);
	for (;;) {
		size_t name = p, name_end, value_end;

		if (p >= len || t[p] != '"' || !(name_end = string_end(t, len, p)))
			goto fail;
		p = ks_json_skip_ws(t, len, name_end);
		if (p >= len || t[p] != ':')
			goto fail;
		p = ks_json_skip_ws(t, len, p + 1);
		if (p < len && t[p] == '[' && name_is(t, name, name_end, "\"routes\"")) {
			if (have_routes || scan_routes(t, len, &p, out) < 0)
				goto fail;
			have_routes = true;
		} else {
			value_end = ks_json_value_end(t, len, p);
			if (!value_end)
				goto fail;
			if (name_is(t, name, name_end, "\"version\"")) {
				if (out->has_version)
					goto fail; /* a duplicate: the whole-document parse reports
						      it */
				out->has_version = true;
				out->version = (struct ks_text_span){p, value_end};
			}
			p = value_end;
		}
		p = ks_json_skip_ws(t, len, p);
		if (p < len && t[p] == ',') {
			p = ks_json_skip_ws(t, len, p + 1);
			continue;
		}
		if (p < len && t[p] == '}')
			break;
		goto fail;
	}
	if (!have_routes || ks_json_skip_ws(t, len, p + 1) != len)
		goto fail;
	out->valid = true;
	return 0;
fail:
	ks_rules_layout_free(out);
	return -1;
}

void ks_rules_layout_free(struct ks_rules_layout *layout)
{
	if (!layout)
		return;
	free(layout->routes);
	memset(layout, 0, sizeof(*layout));
}
