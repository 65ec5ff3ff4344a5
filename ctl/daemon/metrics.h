/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Prometheus text endpoint (GET /metrics) served by libmicrohttpd in its
 * external-epoll mode: its epoll fd is one more fd on keysteerd's loop, so
 * requests are answered on the loop's thread, with no lock and no thread.
 */
#ifndef KS_DAEMON_METRICS_H
#define KS_DAEMON_METRICS_H

#include <stddef.h>

struct ks_daemon;
struct ks_metrics;

/* addr is "HOST:PORT" (port 0 picks one: see ks_metrics_port). */
struct ks_metrics *ks_metrics_open(struct ks_daemon *d, const char *addr, char *err, size_t errlen);
unsigned ks_metrics_port(const struct ks_metrics *m);
void ks_metrics_close(struct ks_metrics *m);

/* The exposition text (malloc'd); also used by tests without HTTP. */
char *ks_metrics_render(struct ks_daemon *d, size_t *len);

#endif
