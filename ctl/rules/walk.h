/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internal: walking the JSON document while keeping its path, so that every
 * error names where it is ("routes[3].to[1].weight") and sorts into input
 * order (each path element also records its position among its siblings).
 * The path is only formatted when an error is reported, so walking valid
 * input costs a few stores per element.
 */
#ifndef KEYSTEER_CTL_RULES_WALK_H
#define KEYSTEER_CTL_RULES_WALK_H

#include <stdbool.h>
#include <jansson.h>

#include "rules/doc.h"

struct ks_frame {
	const char *name; /* member name, or NULL for an array index */
	size_t index;
	__u32 ord;   /* position among siblings: member order or array index */
	bool hidden; /* orders only, not part of the path (ks_walk_tail) */
};

struct ks_walk {
	struct ks_diags *diags;
	const struct ks_rules_doc *doc;
	size_t errors; /* errors reported (also counts any lost to out-of-memory) */
	int depth;
	struct ks_frame f[KS_DIAG_DEPTH];
};

void ks_walk_member(struct ks_walk *w, const char *name, __u32 ord);
void ks_walk_index(struct ks_walk *w, size_t index);
void ks_walk_pop(struct ks_walk *w);

/*
 * An error about the current object as a whole found after walking its
 * members (e.g. "weights sum to zero"): push this, report, pop, and it sorts
 * after the errors of the object's members.
 */
void ks_walk_tail(struct ks_walk *w);

/* Report an error at the current path. */
void ks_walk_error(struct ks_walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * s as a JSON string literal for messages: quoted, escaped, and cut to about
 * 60 bytes ("...") so that one huge value cannot flood the output.
 */
const char *ks_quote(const char *s, size_t len, char *buf, size_t size);
#define KS_QUOTE_SIZE 80

/*
 * Member dispatch. fields is a NULL-terminated list of the names an object
 * may have. Returns the index of name in fields; KS_FIELD_SKIP for "$comment"
 * (checked to be a string); KS_FIELD_UNKNOWN after reporting an unknown field
 * (with a did-you-mean). Call with the member pushed.
 */
#define KS_FIELD_SKIP	 (-1)
#define KS_FIELD_UNKNOWN (-2)
int ks_walk_field(struct ks_walk *w, const char *name, const json_t *v, const char *const *fields);

/* Report required fields that are missing: bit i of seen is fields[i]. */
void ks_walk_missing(struct ks_walk *w, const char *const *fields, unsigned required, unsigned seen,
		     __u32 n_members);

/* "a string", "an array", "1.5", "-3", ... for messages. */
const char *ks_json_desc(const struct ks_walk *w, const json_t *v, char *buf, size_t size);

/* Type checks that report "expected X, got Y" on failure. */
bool ks_want_object(struct ks_walk *w, const json_t *v);
bool ks_want_array(struct ks_walk *w, const json_t *v);
bool ks_want_string(struct ks_walk *w, const json_t *v);

/*
 * An integer in [min, max]. Reports "expected an integer, got ..." for other
 * types, and for values out of range "must not be negative", "must be at
 * least MIN" or "must be at most MAX" -- or, when range_msg is set, "must be
 * between MIN and MAX" for all of them (ports).
 */
bool ks_want_uint(struct ks_walk *w, const json_t *v, __u64 min, __u64 max, bool range_msg,
		  __u64 *out);

/* Any number (integer or not). */
bool ks_want_number(struct ks_walk *w, const json_t *v, double *out);

/*
 * One of names[] (NULL-terminated); reports `unknown WHAT "x" (expected "a", "b" or "c")`.
 * Returns the index or -1.
 */
int ks_want_enum(struct ks_walk *w, const json_t *v, const char *what, const char *const *names);

#endif
