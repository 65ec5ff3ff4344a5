/* SPDX-License-Identifier: BSD-3-Clause */
/* The span scanner (layout.h): strings and brackets only, nothing validated. */
#include <pthread.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules/layout.h"

/* JSON whitespace, and the bytes that end a number or a literal. */
static const unsigned char is_ws[256] = {[' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1};
/* What the scanner stops at inside an object or array: strings and brackets. */
static const unsigned char is_special[256] = {
    ['"'] = 1, ['{'] = 1, ['['] = 1, ['}'] = 1, [']'] = 1,
};
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
	for (p++;;) {
#ifdef __SSE2__
		/* 16 bytes at a time while there are 16: most strings end in the first block. */
		const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');

		while (p + 16 <= len) {
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(t + p));
			unsigned m = (unsigned)_mm_movemask_epi8(
			    _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)));

			if (m) {
				p += (size_t)__builtin_ctz(m);
				goto found;
			}
			p += 16;
		}
#endif
		while (p < len && t[p] != '"' && t[p] != '\\')
			p++;
		if (p >= len)
			return 0;
#ifdef __SSE2__
	found:
#endif
		if (t[p] == '"')
			return p + 1;
		p += 2; /* the escaped byte cannot end the string */
	}
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
	for (;;) {
		char c;

		while (p < len && !is_special[(unsigned char)t[p]])
			p++;
		if (p >= len)
			return 0;
		c = t[p];
		switch (c) {
		case '"':
			p = string_end(t, len, p);
			if (!p)
				return 0;
			continue;
		case '{':
		case '[':
			if (depth == KS_LAYOUT_MAX_DEPTH)
				return 0;
			closers[depth++] = c == '{' ? '}' : ']';
			break;
		default: /* '}' or ']' */
			if (depth == 0 || closers[--depth] != c)
				return 0;
			if (depth == 0)
				return p + 1;
			break;
		}
		p++;
	}
}

/* Route spans found by one scanner (one thread's part of the routes array). */
struct segment {
	size_t start;	/* where its first element starts */
	size_t stop_at; /* it stops before an element that starts at or after this */
	struct ks_text_span *spans;
	size_t n, cap;
	size_t next;  /* where the first element it did not take starts */
	size_t close; /* the array's ']', when it reached the end */
	bool closed, ok;
};

static bool push_span(struct segment *s, size_t start, size_t end)
{
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 1024;
		struct ks_text_span *r = realloc(s->spans, nc * sizeof(*r));

		if (!r)
			return false;
		s->spans = r;
		s->cap = nc;
	}
	s->spans[s->n++] = (struct ks_text_span){start, end};
	return true;
}

/* Elements from s->start, each followed by a comma or the closing ']'. */
static void scan_elements(const char *t, size_t len, struct segment *s)
{
	size_t p = s->start, end;

	s->ok = false;
	for (;;) {
		if (p >= s->stop_at) {
			s->next = p;
			s->ok = true;
			return;
		}
		end = ks_json_value_end(t, len, p);
		if (!end || !push_span(s, p, end))
			return;
		p = ks_json_skip_ws(t, len, end);
		if (p < len && t[p] == ',') {
			p = ks_json_skip_ws(t, len, p + 1);
			continue;
		}
		if (p < len && t[p] == ']') {
			s->close = p;
			s->closed = true;
			s->ok = true;
		}
		return;
	}
}

/*
 * A likely element start at or after from, for a scanner that does not know
 * what came before: a '{' after "}," that starts a run of ROUTE_RUN values
 * separated by commas (more than a "to" array holds: its targets are also
 * objects after "},"). Only a guess: whether it is right is known once the
 * scanner before it gets there. Near the array's end there is no such run,
 * and the scanner before does the rest.
 */
#define ROUTE_RUN 12

static size_t guess_element(const char *t, size_t len, size_t from)
{
	const char *c;

	while ((c = memchr(t + from, '}', len - from)) != NULL) {
		size_t p = ks_json_skip_ws(t, len, (size_t)(c - t) + 1), q;
		int run = 0;

		from = (size_t)(c - t) + 1;
		if (p >= len || t[p] != ',')
			continue;
		p = ks_json_skip_ws(t, len, p + 1);
		if (p >= len || t[p] != '{')
			continue;
		for (q = p; run < ROUTE_RUN; run++) {
			size_t end = ks_json_value_end(t, len, q);

			if (!end)
				break;
			q = ks_json_skip_ws(t, len, end);
			if (q >= len || t[q] != ',')
				break;
			q = ks_json_skip_ws(t, len, q + 1);
		}
		if (run == ROUTE_RUN)
			return p;
	}
	return 0;
}

struct helper {
	const char *t;
	size_t len, from;
	struct segment seg;
	pthread_t thread;
	bool started;
};

static void *helper_main(void *arg)
{
	struct helper *h = arg;

	h->seg.start = guess_element(h->t, h->len, h->from);
	if (h->seg.start)
		scan_elements(h->t, h->len, &h->seg);
	return NULL;
}

/* Below this, one scanner: threads cost more than they save. */
#define PARALLEL_SCAN_MIN (1u << 20)

/*
 * The routes array from its '[' at *pos; *pos ends just past its ']'. With
 * threads > 1 the array is cut into equal parts: each helper guesses where
 * the first element of its part starts and scans from there, while the
 * calling thread scans the first part. A part is taken when the scanner
 * before it stopped exactly where it started (then both agree on every
 * byte between); otherwise the calling thread scans it itself.
 */
static int scan_routes(const char *t, size_t len, size_t *pos, struct ks_rules_layout *out,
		       unsigned threads)
{
	size_t p = *pos;
	struct segment cur = {0};
	struct helper *h = NULL;
	unsigned nh = 0;
	int rc = -1;

	out->routes_open = p;
	p = ks_json_skip_ws(t, len, p + 1);
	if (p < len && t[p] == ']') {
		out->routes_close = p;
		*pos = p + 1;
		return 0;
	}
	if (threads > 1 && len - p >= PARALLEL_SCAN_MIN)
		nh = threads - 1;
	if (nh)
		h = calloc(nh, sizeof(*h));
	if (!h)
		nh = 0;
	for (unsigned k = 0; k < nh; k++) {
		h[k].t = t;
		h[k].len = len;
		h[k].from = p + (len - p) / (nh + 1) * (k + 1);
		h[k].seg.stop_at = k + 1 < nh ? p + (len - p) / (nh + 1) * (k + 2) : SIZE_MAX;
	}
	for (unsigned k = 0; k < nh; k++)
		h[k].started = pthread_create(&h[k].thread, NULL, helper_main, &h[k]) == 0;
	cur.start = p;
	cur.stop_at = nh ? h[0].from : SIZE_MAX;
	scan_elements(t, len, &cur);
	for (unsigned k = 0; k < nh; k++)
		if (h[k].started)
			pthread_join(h[k].thread, NULL);

	/* Join the parts in order; where a guess was wrong, scan on from where we are. */
	for (unsigned k = 0; cur.ok && !cur.closed; k++) {
		struct segment *next = k < nh && h[k].started ? &h[k].seg : NULL;
		size_t need;

		if (next && next->ok && next->start == cur.next) {
			need = cur.n + next->n;
			if (need > cur.cap) {
				struct ks_text_span *r = realloc(cur.spans, need * sizeof(*r));

				if (!r)
					goto out;
				cur.spans = r;
				cur.cap = need;
			}
			memcpy(cur.spans + cur.n, next->spans, next->n * sizeof(*cur.spans));
			cur.n = need;
			cur.next = next->next;
			cur.close = next->close;
			cur.closed = next->closed;
		} else {
			cur.start = cur.next;
			cur.stop_at = k + 1 < nh ? h[k + 1].from : SIZE_MAX;
			scan_elements(t, len, &cur);
		}
	}
	if (!cur.ok || !cur.closed)
		goto out;
	out->routes = cur.spans;
	out->n_routes = cur.n;
	out->routes_close = cur.close;
	*pos = cur.close + 1;
	cur.spans = NULL;
	rc = 0;
out:
	free(cur.spans);
	for (unsigned k = 0; k < nh; k++)
		free(h[k].seg.spans);
	free(h);
	return rc;
}

static bool name_is(const char *t, size_t start, size_t end, const char *quoted)
{
	size_t n = strlen(quoted);

	return end - start == n && memcmp(t + start, quoted, n) == 0;
}

int ks_rules_scan(const char *t, size_t len, struct ks_rules_layout *out)
{
	return ks_rules_scan_threads(t, len, 1, out);
}

int ks_rules_scan_threads(const char *t, size_t len, unsigned threads, struct ks_rules_layout *out)
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
			if (have_routes || scan_routes(t, len, &p, out, threads) < 0)
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
