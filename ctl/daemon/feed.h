/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A rule feed: something that delivers whole rule-set documents to the apply
 * path, on the daemon's event loop. Two kinds: file:PATH (feed_file.c) and
 * nats://HOST:PORT/BUCKET/KEY (feed_nats.c).
 */
#ifndef KS_DAEMON_FEED_H
#define KS_DAEMON_FEED_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "daemon/apply.h"
#include "daemon/loop.h"
#include "daemon/text.h"

/*
 * Called on the loop's thread with one complete document (borrowed: ref it
 * to keep it). diff, when not NULL, says how it compares with the document
 * delivered before.
 */
typedef void (*ks_feed_deliver_fn)(void *arg, struct ksd_text *text,
				   const struct ksd_text_diff *diff, const char *source,
				   uint64_t revision);

struct ks_feed;

struct ks_feed_ops {
	/* Read the feed again now (SIGHUP). */
	void (*reread)(struct ks_feed *f);
	/*
	 * Find the document of an older version for a rollback: version, or
	 * when 0 the newest one below `below`. 0 and a malloc'd text, -ENOENT
	 * when the feed has none, -ENOTSUP when the feed keeps no history.
	 */
	int (*fetch_version)(struct ks_feed *f, uint64_t version, uint64_t below, char **text,
			     size_t *len, char **source);
	/* Report an apply attempt back to the feed (NATS: publish an ack). */
	void (*ack)(struct ks_feed *f, const struct ks_attempt *a);
	/* {"uri": ..., "state": ..., ...} */
	json_t *(*status)(struct ks_feed *f);
	void (*close)(struct ks_feed *f);
};

struct ks_feed {
	const struct ks_feed_ops *ops;
	void *priv;
};

/* Open a feed by URI and start following it on loop. NULL with err. */
struct ks_feed *ks_feed_open(const char *uri, struct ks_loop *loop, ks_feed_deliver_fn deliver,
			     void *arg, const char *host_id, char *err, size_t errlen);

struct ks_feed *ks_feed_file_open(const char *path, struct ks_loop *loop,
				  ks_feed_deliver_fn deliver, void *arg, char *err, size_t errlen);
struct ks_feed *ks_feed_nats_open(const char *uri, struct ks_loop *loop, ks_feed_deliver_fn deliver,
				  void *arg, const char *host_id, char *err, size_t errlen);

/* Read a rule-set document's "version" without compiling it; 0 when absent. */
uint64_t ks_feed_doc_version(const char *text, size_t len);

#endif
