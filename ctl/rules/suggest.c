/* SPDX-License-Identifier: BSD-3-Clause */
/* Optimal-string-alignment edit distance and the suggestion built on it. */
#include <stdlib.h>
#include <string.h>

#include "rules/suggest.h"

#define KS_SUGGEST_MAX_LEN 128 /* longer words are not worth a suggestion */

size_t ks_edit_distance(const char *a, const char *b, size_t limit)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t rows[3][KS_SUGGEST_MAX_LEN + 1];
	size_t *pp = rows[0], *p = rows[1], *c = rows[2];

	if (la > KS_SUGGEST_MAX_LEN || lb > KS_SUGGEST_MAX_LEN)
		return limit + 1;
	if ((la > lb ? la - lb : lb - la) > limit)
		return limit + 1;

	for (size_t j = 0; j <= lb; j++)
		p[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t row_min;

		c[0] = i;
		row_min = c[0];
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t best = p[j - 1] + cost;

			if (p[j] + 1 < best)
				best = p[j] + 1;
			if (c[j - 1] + 1 < best)
				best = c[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    pp[j - 2] + 1 < best)
				best = pp[j - 2] + 1;
			c[j] = best;
			if (best < row_min)
				row_min = best;
		}
		if (row_min > limit)
			return limit + 1;
		/* rotate rows: pp <- p <- c */
		size_t *t = pp;
		pp = p;
		p = c;
		c = t;
	}
	return p[lb];
}

const char *ks_suggest(const char *word, const char *const *cands, size_t n)
{
	size_t len = strlen(word);
	size_t limit = len < 4 ? 1 : len < 8 ? 2 : 3;
	const char *best = NULL;
	size_t best_d;

	if (len <= 1)
		return NULL;
	if (limit >= len)
		limit = len - 1;
	best_d = limit + 1;
	for (size_t i = 0; i < n; i++) {
		size_t d = ks_edit_distance(word, cands[i], best_d - 1);

		if (d < best_d) {
			best_d = d;
			best = cands[i];
			if (d == 0)
				break;
		}
	}
	return best;
}
