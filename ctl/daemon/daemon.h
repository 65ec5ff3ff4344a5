/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keysteerd's context: the pieces main() builds and the event loop drives.
 */
#ifndef KS_DAEMON_DAEMON_H
#define KS_DAEMON_DAEMON_H

#include <stdbool.h>
#include <jansson.h>

#include "daemon/apply.h"
#include "daemon/dataplane.h"
#include "daemon/feed.h"
#include "daemon/loop.h"
#include "daemon/options.h"

struct ks_ctl_server;
struct ks_metrics;

struct ks_daemon {
	struct ks_options opt;
	struct ks_loop *loop;
	struct ks_dataplane *dp;
	struct ks_applier applier;
	struct ks_feed *feed;
	struct ks_ctl_server *ctl;
	struct ks_metrics *metrics;
	char host_id[256];
	int64_t started_ms;
	bool detach_requested;
	int sigfd;
	struct ks_loop_watch *sigwatch;
};

/* Control requests (one JSON object each) -> answer object. */
json_t *ks_daemon_handle(struct ks_daemon *d, json_t *req);

/* The `stats` answer: counters per reason, shard and key (top_n keys, rest as other). */
json_t *ks_daemon_stats(struct ks_daemon *d, int top_n);

#endif
