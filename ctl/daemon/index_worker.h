/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Builds the incremental-compile index of the applied document on a worker
 * thread (it costs about one full JSON parse), and hands it back on the
 * daemon's loop through an eventfd. One build at a time; a newer document
 * submitted meanwhile is built next, and an outdated result is dropped by
 * the receiver (it checks the sequence number).
 */
#ifndef KS_DAEMON_INDEX_WORKER_H
#define KS_DAEMON_INDEX_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/incremental.h"
#include "daemon/loop.h"

struct ksd_index_worker;

/* done(arg, idx or NULL, seq) runs on the loop's thread and owns idx. */
typedef void (*ksd_index_done_fn)(void *arg, struct ksd_doc_index *idx, uint64_t seq);

struct ksd_index_worker *ksd_index_worker_new(struct ks_loop *loop, ksd_index_done_fn done,
					      void *arg);
/* Build the index of text (compiled as c) in the background. */
void ksd_index_worker_submit(struct ksd_index_worker *w, const char *text, size_t len,
			     const struct ks_compiled *c, uint64_t seq);
/* Waits for a running build. */
void ksd_index_worker_free(struct ksd_index_worker *w);

#endif
