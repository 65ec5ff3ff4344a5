/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The daemon's end of the control socket (ctl/ctlsock): accepts clients on
 * the loop, checks each peer with SO_PEERCRED, reads newline-delimited JSON
 * requests and writes one answer line per request.
 */
#ifndef KS_DAEMON_CTL_SERVER_H
#define KS_DAEMON_CTL_SERVER_H

#include <jansson.h>
#include <sys/types.h>

#include "daemon/loop.h"

typedef json_t *(*ks_ctl_handler)(void *arg, json_t *req);

struct ks_ctl_server;

struct ks_ctl_server *ks_ctl_server_open(struct ks_loop *loop, const char *path, gid_t gid,
					 ks_ctl_handler handler, void *arg, char *err,
					 size_t errlen);
/* Close every client and the listener; unlink the socket file. */
void ks_ctl_server_close(struct ks_ctl_server *s);

#endif
