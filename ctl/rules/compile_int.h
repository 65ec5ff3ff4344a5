/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internal: the state of one compilation. The document is walked section by
 * section in dependency order (listeners, then shards, which need the
 * listeners' address families, then routes, which need the shards); errors
 * still come out in input order because every one carries its position.
 */
#ifndef KEYSTEER_CTL_RULES_COMPILE_INT_H
#define KEYSTEER_CTL_RULES_COMPILE_INT_H

#include "rules/layout.h"
#include "rules/walk.h"

struct ks_shard_def {
	const char *name; /* the member name in "shards" (lives as long as the doc) */
	size_t name_len;
	const json_t *obj;
	__u32 ord; /* position of the member in "shards" */
	__u32 capacity;
	struct ks_shard shard;
	bool valid;
};

struct ks_route_def {
	struct ks_route r;
	__u64 key;
	const char *text; /* the key as written (lives as long as the doc) */
	__u32 text_len;
	size_t text_off; /* where build() finds its copy in text_pool */
	__u32 key_ord;	 /* position of "key" in the route object, for later errors */
	bool has_key;	 /* key is a valid string: takes part in duplicate checks */
	bool textual;	 /* hashed rather than a 0x literal */
	bool text_kept;	 /* text_off is valid (the copy did not run out of memory) */
};

struct ks_key_ref {
	__u64 key;
	__u64 idx; /* index in routes[] */
};

/*
 * An unknown shard name reported while suggestions were counted (compile
 * split over threads, compile_split.c): each thread spends its own budget,
 * and the merge keeps only the suggestions the one sequential budget would
 * have paid for.
 */
struct ks_hint {
	size_t diag;  /* index in the thread's diagnostics; SIZE_MAX if it was lost */
	char *quoted; /* the name as quoted in the message when a suggestion was given */
};

struct ks_hint_log {
	size_t n, cap;
	struct ks_hint *v;
};

/* The document's text and layout, when routes are compiled from their spans. */
struct ks_split {
	const char *buf;
	const struct ks_rules_layout *layout;
	unsigned threads;
};

struct ks_cc {
	struct ks_walk w;

	__u64 version;
	__u8 default_action;

	__u32 n_listeners;
	struct ks_listener_key *listeners;
	long first_listener_v4; /* index of the first IPv4 / IPv6 listener, -1 if none */
	long first_listener_v6;

	bool shards_ok; /* "shards" is an object: shard names can be checked */
	__u32 n_shards;
	struct ks_shard_def *shards; /* in id order: ascending byte order of names */
	const char **shard_names;    /* the same names, for did-you-mean */
	__u32 *shard_slots;	     /* hash index: shard id + 1, 0 = empty */
	__u32 shard_mask;
	unsigned suggestions_left; /* did-you-mean is costly with thousands of shards */

	size_t n_routes;
	struct ks_route_def *routes; /* in rule order */
	struct ks_key_ref *sorted;   /* routes with valid keys, by key then rule order */
	size_t n_sorted;
	/*
	 * Key texts copied as the routes are walked (in rule order, while they
	 * are in cache), NUL-terminated; the table takes this buffer over.
	 */
	char *text_pool;
	size_t text_len, text_cap;

	/* Set when the routes are compiled from the document's text spans (compile_split.c). */
	const struct ks_split *split;
	bool split_failed; /* the split could not be used: compile the whole document instead */
	struct ks_hint_log *hints; /* a split thread's log of unknown shards */
};

void ks_cc_listeners(struct ks_cc *cc, const json_t *v);
void ks_cc_shards(struct ks_cc *cc, const json_t *v);
void ks_cc_routes(struct ks_cc *cc, const json_t *v);

/* One route object (routes frame and index pushed). */
void ks_cc_route(struct ks_cc *cc, struct ks_route_def *d, const json_t *obj);

/* "routes" from the document's text spans, on several threads (compile_split.c). */
void ks_cc_routes_split(struct ks_cc *cc);
/* ks_cc_build_rows over all rows, on the split's threads. */
void ks_cc_build_rows_split(const struct ks_cc *cc, struct ks_compiled *c);

/* Shard id of a name, or -1. */
long ks_cc_shard_id(const struct ks_cc *cc, const char *name, size_t len);

/* Report an unknown shard name (current path) with a did-you-mean. */
void ks_cc_unknown_shard(struct ks_cc *cc, const json_t *name);

/* Sort the routes' keys and report duplicates and hash collisions (routes frame pushed). */
void ks_cc_check_keys(struct ks_cc *cc);
/* The second half: duplicates and collisions in cc->sorted. */
void ks_cc_report_duplicates(struct ks_cc *cc);
/* Stable sort by key (LSD radix); tmp holds n refs. */
void ks_key_refs_sort(struct ks_key_ref *a, struct ks_key_ref *tmp, size_t n);

/* The compiled table from a compilation without errors (takes text_pool). */
struct ks_compiled *ks_cc_build(struct ks_cc *cc);
/* Rows [lo, hi) of c's route arrays from cc->sorted (ks_cc_build does them all). */
void ks_cc_build_rows(const struct ks_cc *cc, struct ks_compiled *c, size_t lo, size_t hi);

void ks_cc_free(struct ks_cc *cc);

#endif
