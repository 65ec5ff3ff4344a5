/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internal: a parsed rule-set document. jansson holds integers in a signed
 * 64-bit json_int_t and refuses larger ones as a syntax error, yet a version
 * may be any u64. So when jansson reports an integer too big, the parser
 * swaps that number's text for a same-length placeholder string and parses
 * again (a few times at most); the compiler asks ks_doc_bignum() for the
 * original text whenever it expects an integer and finds a string. A rule
 * set that itself contains strings looking like placeholders gets another
 * placeholder letter, so a placeholder is never mistaken for the user's text.
 */
#ifndef KEYSTEER_CTL_RULES_DOC_H
#define KEYSTEER_CTL_RULES_DOC_H

#include <jansson.h>
#include "rules/rules.h"

#define KS_DOC_MAX_BIGNUMS 8 /* more out-of-range integers than this: syntax error */

struct ks_json_arena;

struct ks_rules_doc {
	json_t *root;
	struct ks_json_arena *arena; /* owns root when set; else root is refcounted */
	unsigned n_big;
	char *big[KS_DOC_MAX_BIGNUMS];	      /* original text of each out-of-range integer */
	size_t big_start[KS_DOC_MAX_BIGNUMS]; /* where it is in the input */
	size_t big_len[KS_DOC_MAX_BIGNUMS];
	char marker; /* placeholders are "\u0001KS" + marker + index: see json_doc.c */
};

/* The original text when v stands for an integer jansson could not hold, else NULL. */
const char *ks_doc_bignum(const struct ks_rules_doc *doc, const json_t *v);

#endif
