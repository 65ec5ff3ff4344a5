/* SPDX-License-Identifier: BSD-3-Clause */
/* Path tracking, error reporting and type checks for the compiler (walk.h). */
#include <errno.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/diag.h"
#include "rules/suggest.h"
#include "rules/walk.h"

void ks_walk_member(struct ks_walk *w, const char *name, __u32 ord)
{
	if (w->depth < KS_DIAG_DEPTH)
		w->f[w->depth] = (struct ks_frame){.name = name, .ord = ord};
	w->depth++;
}

void ks_walk_index(struct ks_walk *w, size_t index)
{
	if (w->depth < KS_DIAG_DEPTH)
		w->f[w->depth] = (struct ks_frame){.index = index, .ord = (__u32)index};
	w->depth++;
}

void ks_walk_tail(struct ks_walk *w)
{
	if (w->depth < KS_DIAG_DEPTH)
		w->f[w->depth] = (struct ks_frame){.ord = UINT32_MAX, .hidden = true};
	w->depth++;
}

void ks_walk_pop(struct ks_walk *w)
{
	w->depth--;
}

const char *ks_quote(const char *s, size_t len, char *buf, size_t size)
{
	size_t o = 0, max = size - 12; /* room for an escape, "...", quote and NUL */

	buf[o++] = '"';
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (o >= max || (o >= 60 && (c & 0xc0) != 0x80)) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			o += (size_t)snprintf(buf + o, size - o, "\\u%04x", c);
		} else {
			buf[o++] = (char)c;
		}
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

/* A member name that needs no quoting in a path: [A-Za-z0-9_$-]+. */
static bool plain_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '$'))
			return false;
	return true;
}

static char *path_string(const struct ks_walk *w)
{
	char *out = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&out, &size);
	int depth = w->depth < KS_DIAG_DEPTH ? w->depth : KS_DIAG_DEPTH;

	if (!f)
		return NULL;
	if (depth == 0 || w->f[0].hidden)
		fputs("$", f);
	for (int i = 0; i < depth; i++) {
		const struct ks_frame *fr = &w->f[i];

		if (fr->hidden) {
			continue;
		} else if (!fr->name) {
			fprintf(f, "[%zu]", fr->index);
		} else if (plain_name(fr->name)) {
			fprintf(f, "%s%s", i ? "." : "", fr->name);
		} else {
			/* Full name, escaped but not shortened: a path must be exact. */
			fputs("[\"", f);
			for (const char *p = fr->name; *p; p++) {
				unsigned char c = (unsigned char)*p;

				if (c == '"' || c == '\\')
					fprintf(f, "\\%c", c);
				else if (c < 0x20 || c == 0x7f)
					fprintf(f, "\\u%04x", c);
				else
					fputc(c, f);
			}
			fputs("\"]", f);
		}
	}
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

void ks_walk_error(struct ks_walk *w, const char *fmt, ...)
{
	__u32 order[KS_DIAG_DEPTH] = {0};
	char *msg = NULL;
	va_list ap;

	w->errors++;
	for (int i = 0; i < w->depth && i < KS_DIAG_DEPTH; i++)
		order[i] = w->f[i].ord;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	ks_diags_add(w->diags, path_string(w), msg, order);
}

static void list_fields(const char *const *fields, char *buf, size_t size)
{
	size_t o = 0;

	buf[0] = '\0';
	for (int i = 0; fields[i] && o < size; i++)
		o += (size_t)snprintf(buf + o, size - o, "%s%s", i ? ", " : "", fields[i]);
}

int ks_walk_field(struct ks_walk *w, const char *name, const json_t *v, const char *const *fields)
{
	char q[KS_QUOTE_SIZE], list[256];
	size_t n = 0;
	const char *hint;

	/* First letters differ for most pairs: skip strcmp for them. */
	for (; fields[n]; n++)
		if (name[0] == fields[n][0] && strcmp(name, fields[n]) == 0)
			return (int)n;
	if (strcmp(name, "$comment") == 0) {
		ks_want_string(w, v);
		return KS_FIELD_SKIP;
	}
	ks_quote(name, strlen(name), q, sizeof(q));
	hint = ks_suggest(name, fields, n);
	if (hint) {
		ks_walk_error(w, "unknown field %s (did you mean \"%s\"?)", q, hint);
	} else {
		list_fields(fields, list, sizeof(list));
		ks_walk_error(w, "unknown field %s (allowed: %s)", q, list);
	}
	return KS_FIELD_UNKNOWN;
}

void ks_walk_missing(struct ks_walk *w, const char *const *fields, unsigned required, unsigned seen,
		     __u32 n_members)
{
	for (unsigned i = 0; fields[i]; i++) {
		if (!(required & (1u << i)) || (seen & (1u << i)))
			continue;
		/* Sorts after the object's members. */
		ks_walk_member(w, fields[i], n_members + i);
		ks_walk_error(w, "missing required field");
		ks_walk_pop(w);
	}
}

/* The shortest decimal that reads back as d, with ".0" if it looks integral. */
static void format_real(double d, char *buf, size_t size)
{
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, size, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	if (!strpbrk(buf, ".eEni"))
		strncat(buf, ".0", size - strlen(buf) - 1);
}

const char *ks_json_desc(const struct ks_walk *w, const json_t *v, char *buf, size_t size)
{
	const char *big;
	char q[KS_QUOTE_SIZE];

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		big = ks_doc_bignum(w->doc, v);
		if (big)
			snprintf(buf, size, "%s", big);
		else
			snprintf(
			    buf, size, "a string (%s)",
			    ks_quote(json_string_value(v), json_string_length(v), q, sizeof(q)));
		return buf;
	case JSON_INTEGER:
		snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return buf;
	case JSON_REAL:
		format_real(json_real_value(v), buf, size);
		return buf;
	case JSON_TRUE:
		return "true";
	case JSON_FALSE:
		return "false";
	case JSON_NULL:
		return "null";
	}
	return "?";
}

static bool want_type(struct ks_walk *w, const json_t *v, json_type t, const char *name)
{
	char buf[128];

	if (json_typeof(v) == t)
		return true;
	ks_walk_error(w, "expected %s, got %s", name, ks_json_desc(w, v, buf, sizeof(buf)));
	return false;
}

bool ks_want_object(struct ks_walk *w, const json_t *v)
{
	return want_type(w, v, JSON_OBJECT, "an object");
}

bool ks_want_array(struct ks_walk *w, const json_t *v)
{
	return want_type(w, v, JSON_ARRAY, "an array");
}

bool ks_want_string(struct ks_walk *w, const json_t *v)
{
	if (ks_doc_bignum(w->doc, v)) {
		char buf[128];

		ks_walk_error(w, "expected a string, got %s", ks_json_desc(w, v, buf, sizeof(buf)));
		return false;
	}
	return want_type(w, v, JSON_STRING, "a string");
}

bool ks_want_uint(struct ks_walk *w, const json_t *v, __u64 min, __u64 max, bool range_msg,
		  __u64 *out)
{
	char text[128];
	const char *big;
	bool negative = false, too_big = false;
	__u64 x = 0;

	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);

		if (i >= 0 && (__u64)i >= min && (__u64)i <= max) {
			*out = (__u64)i; /* the common case: no formatting */
			return true;
		}
		negative = i < 0;
		x = negative ? 0 : (__u64)i;
		snprintf(text, sizeof(text), "%" JSON_INTEGER_FORMAT, i);
	} else if ((big = ks_doc_bignum(w->doc, v)) != NULL) {
		negative = big[0] == '-';
		if (!negative) {
			errno = 0;
			x = strtoull(big, NULL, 10);
			too_big = errno == ERANGE;
		}
		snprintf(text, sizeof(text), "%s", big);
		if (!negative && !too_big && x >= min && x <= max) {
			*out = x;
			return true;
		}
	} else {
		ks_walk_error(w, "expected an integer, got %s",
			      ks_json_desc(w, v, text, sizeof(text)));
		return false;
	}

	if (range_msg)
		ks_walk_error(w, "must be between %llu and %llu, got %s", (unsigned long long)min,
			      (unsigned long long)max, text);
	else if (negative)
		ks_walk_error(w, "must not be negative, got %s", text);
	else if (!too_big && x < min)
		ks_walk_error(w, "must be at least %llu, got %s", (unsigned long long)min, text);
	else
		ks_walk_error(w, "must be at most %llu, got %s", (unsigned long long)max, text);
	return false;
}

bool ks_want_number(struct ks_walk *w, const json_t *v, double *out)
{
	const char *big = ks_doc_bignum(w->doc, v);
	char buf[128];

	if (json_is_number(v)) {
		*out = json_number_value(v);
		return true;
	}
	if (big) {
		*out = strtod(big, NULL);
		return true;
	}
	ks_walk_error(w, "expected a number, got %s", ks_json_desc(w, v, buf, sizeof(buf)));
	return false;
}

int ks_want_enum(struct ks_walk *w, const json_t *v, const char *what, const char *const *names)
{
	char q[KS_QUOTE_SIZE], list[128];
	size_t o = 0, n = 0;

	if (!ks_want_string(w, v))
		return -1;
	for (; names[n]; n++)
		if (strcmp(json_string_value(v), names[n]) == 0 &&
		    strlen(names[n]) == json_string_length(v))
			return (int)n;
	for (size_t i = 0; i < n; i++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s\"%s\"",
				      i == 0	   ? ""
				      : i + 1 == n ? " or "
						   : ", ",
				      names[i]);
	ks_walk_error(w, "unknown %s %s (expected %s)", what,
		      ks_quote(json_string_value(v), json_string_length(v), q, sizeof(q)), list);
	return -1;
}
