/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Incremental compilation of a rule set that differs from the applied one
 * only in its "version" value and in route objects replaced in place (the
 * common feed change: one key's weights or targets).
 *
 * The index of the applied document is the layout the split compile found
 * (rules/layout.h: where the version value, the routes array and each route
 * object are) with each route object's key; it costs nothing to build. A new
 * text is compared with the indexed one by a block-wise search for the next
 * differing byte (memcmp of 4 KiB blocks: about a millisecond for 10 MB),
 * not route by route. Every difference must fall inside the version value or
 * inside a route object; the span scanner finds where the new route object
 * ends, and the comparison resumes behind it. The changed route objects are
 * compiled by the rule compiler inside the new text's own frame (the text
 * with the routes array holding only them), so they are checked against the
 * same listeners and shards, and become a patch of the applied compiled set:
 * new route values swapped in place, and swapped back when the change is
 * refused or the data plane fails.
 *
 * More than 1/16 of the routes changed (at least 64) is compiled in full.
 * Anything else (a route added, removed or moved, a key renamed, any other
 * member changed, different spacing outside route objects, a version jansson
 * cannot hold, any error) makes it decline, and the caller compiles the
 * whole document, so errors and their JSON paths are always the compiler's.
 */
#ifndef KS_DAEMON_INCREMENTAL_H
#define KS_DAEMON_INCREMENTAL_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/text.h"
#include "rules/compiled.h"
#include "rules/layout.h"

struct ksd_doc_index;
struct ksd_patch;

/*
 * The index of text, whose split compile gave layout (taken over, even on
 * failure) and c. NULL when the layout does not fit c (then changes to this
 * document are compiled in full).
 */
struct ksd_doc_index *ksd_index_new(struct ksd_text *text, struct ks_rules_layout *layout,
				    const struct ks_compiled *c);
void ksd_index_free(struct ksd_doc_index *idx);
/* The version of the document the index describes. */
uint64_t ksd_index_version(const struct ksd_doc_index *idx);
/* Where its parts are (for tests: after changes, the same as a fresh scan). */
const struct ks_rules_layout *ksd_index_layout(const struct ksd_doc_index *idx);
/* The indexed text. */
const struct ksd_text *ksd_index_text(const struct ksd_doc_index *idx);

/*
 * Compile text incrementally against the indexed document and its compiled
 * form prev. 0 with *out, a patch to apply to prev (ksd_patch_swap); -1 when
 * this path does not apply. diff (may be NULL): when its base is the indexed
 * text, the bytes it says are the same are not compared again.
 */
int ksd_compile_incremental(const struct ksd_doc_index *idx, const struct ks_compiled *prev,
			    struct ksd_text *text, const struct ksd_text_diff *diff,
			    struct ksd_patch **out);

/* Route objects compiled for the patch. */
unsigned ksd_patch_changed(const struct ksd_patch *p);

/*
 * Swap the patch's route values and version into c (the prev it was compiled
 * against): c becomes the new rule set. Swapping again restores c exactly.
 */
void ksd_patch_swap(struct ksd_patch *p, struct ks_compiled *c);

/* The change is applied: move idx on to the patch's text. */
void ksd_patch_commit_index(struct ksd_patch *p, struct ksd_doc_index *idx);

void ksd_patch_free(struct ksd_patch *p);

#endif
