/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The daemon's one entry into the rule compiler (ctl/rules): JSON text in,
 * a compiled rule set or every error out. Kept apart so the rest of the
 * daemon does not depend on the compiler's header layout.
 */
#ifndef KS_DAEMON_RULES_ADAPTER_H
#define KS_DAEMON_RULES_ADAPTER_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "rules/compiled.h"

/*
 * Validate and compile. 0 and *out set; or -1 with each error ("path:
 * reason") appended to errors (a JSON array of strings) and *out NULL.
 */
int ks_rules_compile_text(const char *text, size_t len, struct ks_compiled **out, json_t *errors);

/*
 * The same, split over threads (0: the reference path; rules.h,
 * ks_rules_compile_opts). layout (may be NULL) receives where the document's
 * parts are when the split was used; release it with ks_rules_layout_free().
 */
struct ks_rules_layout;
int ks_rules_compile_text_opts(const char *text, size_t len, unsigned threads,
			       struct ks_rules_layout *layout, struct ks_compiled **out,
			       json_t *errors);

/* The 64-bit key of a key as written in a rule set ("0x..." or text). */
uint64_t ks_rules_key_of(const char *key_text);

#endif
