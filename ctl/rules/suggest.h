/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal: "did you mean" for misspelt field and shard names. */
#ifndef KEYSTEER_CTL_RULES_SUGGEST_H
#define KEYSTEER_CTL_RULES_SUGGEST_H

#include <stddef.h>

/*
 * Edit distance (insertions, deletions, substitutions and swaps of two
 * neighbouring characters each cost 1), or more than limit if it exceeds it.
 */
size_t ks_edit_distance(const char *a, const char *b, size_t limit);

/*
 * The candidate closest to word, if it is close enough to be a likely typo
 * (distance 1 for words under 4 characters, 2 under 8, 3 otherwise, and less
 * than the word's length); ties go to the earlier candidate. NULL if none.
 */
const char *ks_suggest(const char *word, const char *const *cands, size_t n);

#endif
