/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The keysteer/v1 rule compiler: JSON rule set in, struct ks_compiled out.
 *
 * One call validates and compiles. A rule set with any error yields no table
 * (*out stays NULL) and a list of every error found, each with the JSON path
 * it concerns, in input order. Nothing is shared between calls, so a daemon
 * may compile on any thread.
 *
 * Compiled layout (see compiled.h):
 *  - shard ids are assigned in ascending byte order (strcmp) of shard names,
 *    so they do not depend on the order of members in "shards";
 *  - listeners keep the order of "listeners" (id = index);
 *  - routes are sorted by 64-bit key; routes[i].stats_slot = i;
 *  - weights are split into KS_WEIGHT_BUCKETS buckets by the largest-remainder
 *    method (ks_weights_to_buckets), zero-weight targets are left out;
 *  - shadow percent p becomes shadow_thresh = round(p * 65536 / 100), at
 *    least 1; KS_NO_SHARD and 0 when the route has no shadow.
 * The same input always gives byte-identical tables.
 */
#ifndef KEYSTEER_CTL_RULES_H
#define KEYSTEER_CTL_RULES_H

#include <stddef.h>
#include <stdio.h>
#include "rules/compiled.h"

#define KS_RULES_SCHEMA "keysteer/v1"

/* Maximum nesting of a JSON path the compiler reports (routes[i].to[k].weight is 4). */
#define KS_DIAG_DEPTH 6

/* One error: "PATH: MESSAGE". For JSON syntax errors the path is "LINE:COLUMN". */
struct ks_diag {
	char *path;    /* e.g. "routes[3].to[1].weight"; "$" is the whole document */
	char *message; /* e.g. "must not be negative, got -5" */
	/* internal: where in the input the error is, to report in input order */
	__u32 order[KS_DIAG_DEPTH];
	__u32 seq;
};

struct ks_diags {
	size_t n;
	size_t cap;
	struct ks_diag *v;
};

enum ks_rules_result {
	KS_RULES_OK = 0,
	KS_RULES_INVALID = 1,  /* the rule set has errors: see the diagnostics */
	KS_RULES_IO_ERROR = 2, /* the file could not be read: one diagnostic, path "" */
};

/*
 * Compile a rule set held in memory (need not be NUL-terminated). On success
 * *out is the compiled table (free with ks_compiled_free) and diags is empty;
 * otherwise *out is NULL and diags lists every error. diags must be zeroed or
 * previously released with ks_diags_free; it is reset by every call.
 */
enum ks_rules_result ks_rules_compile_buf(const char *buf, size_t len, struct ks_compiled **out,
					  struct ks_diags *diags);

/*
 * How ks_rules_compile_opts() compiles.
 *
 * threads 0: the reference path, one jansson tree of the whole document
 * (what ks_rules_compile_buf does).
 *
 * threads n >= 1: the document is split at its route objects without being
 * parsed (rules/layout.h). Its frame (everything but the routes' contents)
 * is parsed and compiled first; then the route objects are parsed one at a
 * time and compiled on n threads (the caller's and n - 1 more), each one's
 * JSON dropped as soon as it is compiled. The compiled table and every
 * diagnostic (path, message, order) are identical to the reference path: a
 * document the split cannot take (another shape, a syntax error anywhere, an
 * integer jansson cannot hold inside a route) is compiled the reference way.
 */
struct ks_rules_layout;
struct ks_rules_options {
	unsigned threads;
	/*
	 * When set, receives the layout the split used (layout->valid), for
	 * callers that compare later versions of the text span by span; the
	 * caller releases it with ks_rules_layout_free(). Not valid when the
	 * document was compiled the reference way (whatever the result).
	 */
	struct ks_rules_layout *layout;
};

enum ks_rules_result ks_rules_compile_opts(const char *buf, size_t len,
					   const struct ks_rules_options *opt,
					   struct ks_compiled **out, struct ks_diags *diags);

/* The same for a file; "-" reads standard input. */
enum ks_rules_result ks_rules_compile_file(const char *path, struct ks_compiled **out,
					   struct ks_diags *diags);

void ks_diags_free(struct ks_diags *diags);

/* Print every diagnostic as "PREFIX: PATH: MESSAGE\n" (no prefix when NULL). */
void ks_diags_print(const struct ks_diags *diags, const char *prefix, FILE *f);

/*
 * The two halves of ks_rules_compile_buf, for callers that time or reuse
 * them (the benchmark times JSON parsing and compilation separately).
 * A document owns all the memory of the parsed JSON.
 */
struct ks_rules_doc;
enum ks_rules_result ks_rules_parse(const char *buf, size_t len, struct ks_rules_doc **doc,
				    struct ks_diags *diags);
enum ks_rules_result ks_rules_compile_doc(const struct ks_rules_doc *doc, struct ks_compiled **out,
					  struct ks_diags *diags);
void ks_rules_doc_free(struct ks_rules_doc *doc);

/*
 * The routing key of a rule's "key": "0x" followed by 1 to 16 hex digits is a
 * literal 64-bit key; anything else is textual and hashed with FNV-1a 64 over
 * its bytes. Returns 1 for a literal, 0 for a textual key.
 */
int ks_rules_key(const char *text, size_t len, __u64 *key);

/* Names of enum values as written in rule sets ("gue", "entity", "drop", "udp"); "?" if unknown. */
const char *ks_steer_name(unsigned steer);
const char *ks_sticky_name(unsigned sticky);
const char *ks_default_name(unsigned action);
const char *ks_proto_name(unsigned ipproto);

/*
 * Split KS_WEIGHT_BUCKETS buckets among n relative weights (each < 2^32,
 * n <= KS_MAX_TARGETS) by the largest-remainder method: every target gets
 * floor(w * 65536 / sum) buckets, and the buckets left over go one each to
 * the largest remainders, ties to the lower index. counts[] sums to exactly
 * 65536 and each count is within one bucket of its exact share.
 * Returns 0, or -1 when the weights sum to zero.
 */
int ks_weights_to_buckets(const __u64 *weights, unsigned n, __u32 *counts);

#endif /* KEYSTEER_CTL_RULES_H */
