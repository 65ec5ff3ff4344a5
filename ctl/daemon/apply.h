/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The apply pipeline: rule-set text -> validate and compile -> version check
 * -> data plane (inactive generation, one flip, reconcile) -> record the
 * attempt and tell the hooks (which acknowledge to the feed). It also keeps
 * the last attempts for `keysteer status`, the last applied rule sets for
 * rollback, and the apply latency histogram for metrics.
 */
#ifndef KS_DAEMON_APPLY_H
#define KS_DAEMON_APPLY_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "daemon/dataplane.h"
#include "daemon/text.h"

struct ksd_doc_index;

enum ks_apply_result {
	KS_APPLY_APPLIED = 0,
	KS_APPLY_REJECTED, /* the rule set is invalid */
	KS_APPLY_REFUSED,  /* valid, but its version is not newer (or not a rollback) */
	KS_APPLY_FAILED,   /* the data plane could not take it; old rules still active */
};

const char *ks_apply_result_name(enum ks_apply_result r);

#define KS_APPLY_ROLLBACK 1u /* an explicit rollback: an older version is allowed */

struct ks_attempt {
	int64_t time_ms; /* wall clock, ms since the epoch */
	uint64_t seq;	 /* attempt number since start */
	uint64_t version;
	bool has_version;
	char *source;
	enum ks_apply_result result;
	json_t *errors; /* array of strings */
	size_t doc_bytes;
	uint32_t n_routes, n_shards, n_listeners;
	size_t table_bytes;
	uint64_t compile_ns, write_ns, total_ns;
	uint64_t entries_written;
	bool rollback;
	bool incremental;	  /* only the changed routes were compiled */
	unsigned routes_compiled; /* route objects compiled */
	uint64_t revision;	  /* feed revision (NATS), 0 when none */
};

json_t *ks_attempt_to_json(const struct ks_attempt *a);

/* Apply latency histogram bounds (seconds), Prometheus style. */
#define KS_LATENCY_BUCKETS 14
extern const double ks_latency_bounds[KS_LATENCY_BUCKETS];

struct ks_kept_doc {
	uint64_t version;
	struct ksd_text *text; /* shared with the feed and the index: not a copy */
	char *source;
};

struct ks_applier {
	struct ks_dataplane *dp;
	struct ks_compiled *active; /* owned; NULL when the tables were adopted */
	uint64_t active_version;    /* 0: nothing active */
	char *active_source;
	int64_t active_since_ms;
	uint64_t high_water; /* highest version ever active: the feed must go above it */

	struct ks_attempt *ring;
	int ring_cap, ring_len, ring_next;
	uint64_t seq;

	struct ks_kept_doc *kept; /* newest first */
	int keep_cap, keep_len;

	uint64_t count[4]; /* by enum ks_apply_result */
	uint64_t lat_buckets[KS_LATENCY_BUCKETS];
	uint64_t lat_count;
	double lat_sum;

	void (*on_attempt)(void *arg, const struct ks_attempt *a);
	void *hook_arg;

	/*
	 * Full compiles are split over this many threads (rules.h:
	 * ks_rules_compile_opts); 0 is the reference path, one jansson tree.
	 */
	unsigned compile_threads;

	/* Incremental compile (incremental.h): the index of the applied text. */
	bool incremental; /* enabled */
	struct ksd_doc_index *index;
};

int ks_applier_init(struct ks_applier *ap, struct ks_dataplane *dp, int history, int keep);
void ks_applier_free(struct ks_applier *ap);

/*
 * Apply one rule-set document. source names where it came from
 * ("file:/etc/...", "nats://.../rev 12", "cli"). Returns the recorded attempt
 * (valid until the next apply). The applier takes references to text, no
 * copy; diff (may be NULL) is what the feed found comparing it with the text
 * it delivered before.
 */
const struct ks_attempt *ks_applier_apply_text(struct ks_applier *ap, struct ksd_text *text,
					       const struct ksd_text_diff *diff, const char *source,
					       unsigned flags, uint64_t revision);
/* The same for text in a buffer (copied once). */
const struct ks_attempt *ks_applier_apply(struct ks_applier *ap, const char *text, size_t len,
					  const char *source, unsigned flags, uint64_t revision);

/* A kept applied document with this version (0: the newest below the active one). */
const struct ks_kept_doc *ks_applier_find_kept(const struct ks_applier *ap, uint64_t version);

/* The status object: active version and source, counts, attempts newest first. */
json_t *ks_applier_status_json(const struct ks_applier *ap);

/* The newest attempt, or NULL. */
const struct ks_attempt *ks_applier_last(const struct ks_applier *ap);

#endif
