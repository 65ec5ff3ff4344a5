/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Where the parts of a rule-set document are in its text, found without
 * parsing it: the top-level "version" value, the top-level "routes" array and
 * each of its elements. The scanner follows only strings (with their
 * escapes) and brackets; it validates nothing, so every byte must still go
 * through jansson: the frame (the document with the routes array emptied),
 * each route element, and the separators between them, which the scanner
 * checks are only whitespace and commas. Together those are exactly the
 * document, so they parse exactly when the whole document does.
 *
 * The compiler uses the layout to parse and compile route objects on several
 * threads (ks_rules_compile_opts); keysteerd keeps it to compare the next
 * version of a document route by route.
 */
#ifndef KEYSTEER_CTL_RULES_LAYOUT_H
#define KEYSTEER_CTL_RULES_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>

struct ks_text_span {
	size_t start, end; /* [start, end) in the text */
};

struct ks_rules_layout {
	bool valid;	     /* set by a successful scan */
	size_t len;	     /* of the whole text */
	size_t routes_open;  /* the '[' of the top-level "routes" value */
	size_t routes_close; /* its ']' */
	bool has_version;
	struct ks_text_span version; /* the top-level "version" value */
	size_t n_routes;
	struct ks_text_span *routes; /* each element of "routes", in order */
};

/*
 * Scan text. 0 with *out filled (free with ks_rules_layout_free); -1 when the
 * text is not a top-level object with one "routes" array written as such (no
 * escapes in the name), or when the scanner meets anything it does not
 * follow (unbalanced brackets, unterminated strings, nesting deeper than
 * KS_LAYOUT_MAX_DEPTH, stray bytes between elements): the caller then parses
 * the document whole, and jansson reports what is wrong with it.
 */
int ks_rules_scan(const char *text, size_t len, struct ks_rules_layout *out);
/* The same, the routes array scanned in parts on up to threads threads: the same result. */
int ks_rules_scan_threads(const char *text, size_t len, unsigned threads,
			  struct ks_rules_layout *out);

/* Release what a scan allocated and zero *layout (the struct itself is the caller's). */
void ks_rules_layout_free(struct ks_rules_layout *layout);

/* Deeper nesting is left to the whole-document parse (jansson's own limit is 2048). */
#define KS_LAYOUT_MAX_DEPTH 64

/*
 * End of the JSON value that starts at text[pos] (just past its last byte),
 * following strings and brackets only; 0 when it does not end (or nests
 * deeper than KS_LAYOUT_MAX_DEPTH).
 */
size_t ks_json_value_end(const char *text, size_t len, size_t pos);

/* Past JSON whitespace from pos. */
size_t ks_json_skip_ws(const char *text, size_t len, size_t pos);

#endif
