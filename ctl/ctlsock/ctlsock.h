/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket between keysteerd and the keysteer CLI: a Unix stream
 * socket carrying newline-delimited JSON. Each request is one JSON object on
 * one line, {"cmd": "status", ...}; the daemon answers each with one line,
 * {"ok": true, ...} or {"ok": false, "error": "..."}.
 *
 * Commands: status, stats, apply {rules, source}, lookup {key}, rollback
 * {version?}, detach. docs/operator-guide.md lists their fields.
 *
 * The socket is mode 0660, owned by root and the group the daemon was given;
 * the daemon serves only peers whose SO_PEERCRED uid is 0 or whose groups
 * include the socket's group.
 */
#ifndef KS_CTLSOCK_H
#define KS_CTLSOCK_H

#include <stddef.h>
#include <stdbool.h>
#include <sys/types.h>
#include <jansson.h>

#define KS_CTLSOCK_DEFAULT_PATH "/run/keysteer/keysteerd.sock"
/* A request carries a whole rule set; 1M routes is about 100 MiB of JSON. */
#define KS_CTLSOCK_MAX_LINE (512u << 20)

/* Server side: create the socket (and its directory), 0660 root:gid. -errno. */
int ks_ctlsock_listen(const char *path, gid_t gid);

/* Is the peer on fd allowed: uid 0, or in group gid (primary or supplementary)? */
bool ks_ctlsock_peer_allowed(int fd, gid_t gid, uid_t *uid_out, pid_t *pid_out);

/* Accumulates bytes and yields complete lines. */
struct ks_linebuf {
	char *buf;
	size_t len, cap;
	size_t max;
};

void ks_linebuf_init(struct ks_linebuf *lb, size_t max);
void ks_linebuf_free(struct ks_linebuf *lb);
/* Append bytes; -E2BIG when a line would grow beyond max. */
int ks_linebuf_append(struct ks_linebuf *lb, const void *data, size_t n);
/*
 * Take the next complete line (without its newline) into a malloc'd string;
 * NULL when no complete line is buffered.
 */
char *ks_linebuf_take(struct ks_linebuf *lb);

/* Serialise a JSON value as one line (compact, with the trailing newline). */
char *ks_ctlsock_encode(const json_t *msg, size_t *len);

/*
 * Client side: connect to path, send req, wait up to timeout_ms for the
 * answer. 0 and *resp set, or -errno (-ENOENT / -ECONNREFUSED: no daemon;
 * -EACCES: not allowed; -ETIMEDOUT; -EPROTO: unreadable answer).
 */
int ks_ctlsock_call(const char *path, const json_t *req, json_t **resp, int timeout_ms);

/* A one-line explanation of a ks_ctlsock_call() error for humans. */
const char *ks_ctlsock_strerror(int err);

#endif
