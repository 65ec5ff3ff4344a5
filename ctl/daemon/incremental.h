/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Incremental compilation of a rule set that differs from the applied one
 * only in its "version" value and in route objects replaced in place (the
 * common feed change: one key's weights or targets). A full compile of a
 * 100k-key document is dominated by JSON parsing (hundreds of ms); this path
 * compares the new text with the applied one route object by route object
 * (memcmp), parses only the routes that differ (jansson), compiles them with
 * the rule compiler inside a small document that carries the unchanged
 * listeners and shards, and patches the applied compiled set.
 *
 * More than 1/16 of the routes changed (at least 64) is compiled in full:
 * parsing route objects one by one costs more than one parse of the whole.
 * Anything else (a route added, removed or moved, a key renamed, any other
 * member changed, different spacing, a value jansson cannot hold, any error)
 * makes it decline, and the caller compiles the whole document, so errors and
 * their JSON paths are always the compiler's own.
 *
 * The index of a document (where its version value and each route object
 * are) is built by walking the top-level structure and letting jansson parse
 * every value; it costs about one full parse, so keysteerd builds it in a
 * worker thread after a full apply.
 */
#ifndef KS_DAEMON_INCREMENTAL_H
#define KS_DAEMON_INCREMENTAL_H

#include <stddef.h>
#include <stdint.h>

#include "rules/compiled.h"

struct ksd_doc_index;

/*
 * Index text, whose compiled form is c (for each route object, its key).
 * NULL when the document's shape is not supported (then there is no
 * incremental path for changes to it).
 */
struct ksd_doc_index *ksd_index_build(const char *text, size_t len, const struct ks_compiled *c);
/*
 * The same in two steps, for a worker thread: the keys of c's route objects
 * by their index in routes[] (on the thread that owns c), then the index
 * (anywhere; takes ownership of keys).
 */
uint64_t *ksd_index_keys(const struct ks_compiled *c);
struct ksd_doc_index *ksd_index_build_keys(const char *text, size_t len, uint64_t version,
					   uint64_t *keys, size_t n_keys);
void ksd_index_free(struct ksd_doc_index *idx);
/* The version of the document the index describes. */
uint64_t ksd_index_version(const struct ksd_doc_index *idx);

/*
 * The index of text (compiled as c) derived from the index of an earlier
 * document that differs from it only where ksd_compile_incremental() allows
 * (version, routes replaced in place); NULL otherwise. Costs about a memcmp
 * of the text, so an index built in the background for an older version can
 * catch up with a newer one.
 */
struct ksd_doc_index *ksd_index_rebase(const struct ksd_doc_index *idx, const char *text,
				       size_t len, const struct ks_compiled *c);

/*
 * Compile text incrementally against the indexed document and its compiled
 * form prev. 0 with *out (a complete compiled set, owned by the caller) and
 * *out_idx (the index of text); -1 when this path does not apply.
 * *changed gets the number of route objects that were compiled.
 */
int ksd_compile_incremental(const struct ksd_doc_index *idx, const struct ks_compiled *prev,
			    const char *text, size_t len, struct ks_compiled **out,
			    struct ksd_doc_index **out_idx, unsigned *changed);

#endif
