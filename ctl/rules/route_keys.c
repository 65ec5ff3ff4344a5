/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Routing keys: text -> 64-bit key, one sort of all keys, then duplicates and
 * hash collisions are neighbours. The sort is an LSD radix sort on the 64-bit
 * key (stable, so equal keys stay in rule order and the first one written is
 * the one the others are reported against).
 */
#include <stdlib.h>
#include <string.h>

#include <keysteer/fnv.h>

#include "rules/compile_int.h"

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int ks_rules_key(const char *text, size_t len, __u64 *key)
{
	__u64 k = 0;

	if (len >= 3 && len <= 18 && text[0] == '0' && text[1] == 'x') {
		size_t i;

		for (i = 2; i < len; i++) {
			int d = hex_digit(text[i]);

			if (d < 0)
				break;
			k = k << 4 | (__u64)d;
		}
		if (i == len) {
			*key = k;
			return 1;
		}
	}
	*key = ks_fnv1a64(text, len);
	return 0;
}

void ks_key_refs_sort(struct ks_key_ref *a, struct ks_key_ref *tmp, size_t n)
{
	enum { passes = 8 };
	size_t count[passes][256] = {{0}};
	struct ks_key_ref *src = a, *dst = tmp;

	/* All eight histograms in one read of the data. */
	for (size_t i = 0; i < n; i++)
		for (int p = 0; p < passes; p++)
			count[p][(a[i].key >> (8 * p)) & 0xff]++;
	for (int p = 0; p < passes; p++) {
		size_t sum = 0;
		int shift = 8 * p;

		if (count[p][(a[0].key >> shift) & 0xff] == n)
			continue; /* every key has the same byte here */
		for (int b = 0; b < 256; b++) {
			size_t c = count[p][b];

			count[p][b] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[count[p][(src[i].key >> shift) & 0xff]++] = src[i];
		struct ks_key_ref *t = src;

		src = dst;
		dst = t;
	}
	if (src != a)
		memcpy(a, src, n * sizeof(*a));
}

static void report(struct ks_cc *cc, const struct ks_route_def *first, size_t first_idx,
		   const struct ks_route_def *dup)
{
	char q1[KS_QUOTE_SIZE], q2[KS_QUOTE_SIZE];

	ks_quote(first->text, first->text_len, q1, sizeof(q1));
	if (first->textual && dup->textual &&
	    (first->text_len != dup->text_len || memcmp(first->text, dup->text, dup->text_len))) {
		ks_quote(dup->text, dup->text_len, q2, sizeof(q2));
		ks_walk_error(&cc->w,
			      "hash collision: %s and routes[%zu].key %s both hash to 0x%016llx; "
			      "rename one or use a 0x literal key",
			      q2, first_idx, q1, (unsigned long long)dup->key);
	} else {
		ks_walk_error(&cc->w, "duplicate key 0x%016llx: routes[%zu].key %s is the same key",
			      (unsigned long long)dup->key, first_idx, q1);
	}
}

void ks_cc_check_keys(struct ks_cc *cc)
{
	struct ks_key_ref *tmp;
	size_t n = 0;

	cc->sorted = malloc((cc->n_routes ? cc->n_routes : 1) * sizeof(*cc->sorted));
	tmp = malloc((cc->n_routes ? cc->n_routes : 1) * sizeof(*tmp));
	if (!cc->sorted || !tmp) {
		free(tmp);
		ks_walk_error(&cc->w, "out of memory");
		return;
	}
	for (size_t i = 0; i < cc->n_routes; i++)
		if (cc->routes[i].has_key)
			cc->sorted[n++] = (struct ks_key_ref){.key = cc->routes[i].key, .idx = i};
	cc->n_sorted = n;
	if (n > 1)
		ks_key_refs_sort(cc->sorted, tmp, n);
	free(tmp);
	ks_cc_report_duplicates(cc);
}

void ks_cc_report_duplicates(struct ks_cc *cc)
{
	size_t n = cc->n_sorted;

	for (size_t i = 1, first = 0; i < n; i++) {
		if (cc->sorted[i].key != cc->sorted[first].key) {
			first = i;
			continue;
		}
		size_t fi = cc->sorted[first].idx, di = cc->sorted[i].idx;
		const struct ks_route_def *dup = &cc->routes[di];

		ks_walk_index(&cc->w, di);
		ks_walk_member(&cc->w, "key", dup->key_ord);
		report(cc, &cc->routes[fi], fi, dup);
		ks_walk_pop(&cc->w);
		ks_walk_pop(&cc->w);
	}
}
