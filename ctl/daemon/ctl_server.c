/* SPDX-License-Identifier: BSD-3-Clause */
#include "daemon/ctl_server.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctlsock/ctlsock.h"
#include "daemon/log.h"

struct ctl_client {
	struct ctl_client *next;
	struct ks_ctl_server *srv;
	int fd;
	struct ks_loop_watch *w;
	struct ks_linebuf in;
	char *out;
	size_t out_len, out_off;
	bool closing; /* close once the output is written */
};

struct ks_ctl_server {
	struct ks_loop *loop;
	char *path;
	gid_t gid;
	int fd;
	struct ks_loop_watch *w;
	ks_ctl_handler handler;
	void *arg;
	struct ctl_client *clients;
};

static void client_close(struct ctl_client *c)
{
	struct ks_ctl_server *s = c->srv;
	for (struct ctl_client **p = &s->clients; *p; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			break;
		}
	}
	ks_loop_del(s->loop, c->w);
	close(c->fd);
	ks_linebuf_free(&c->in);
	free(c->out);
	free(c);
}

static void queue_answer(struct ctl_client *c, json_t *answer)
{
	size_t len;
	char *line = ks_ctlsock_encode(answer, &len);
	if (!line)
		return;
	size_t pending = c->out_len - c->out_off;
	char *nb = malloc(pending + len);
	if (!nb) {
		free(line);
		return;
	}
	if (pending)
		memcpy(nb, c->out + c->out_off, pending);
	memcpy(nb + pending, line, len);
	free(line);
	free(c->out);
	c->out = nb;
	c->out_len = pending + len;
	c->out_off = 0;
}

static json_t *error_answer(const char *msg)
{
	json_t *o = json_object();
	json_object_set_new(o, "ok", json_false());
	json_object_set_new(o, "error", json_string(msg));
	return o;
}

static void handle_line(struct ctl_client *c, const char *line)
{
	json_error_t jerr;
	json_t *req = json_loads(line, 0, &jerr);
	json_t *answer;
	if (!req || !json_is_object(req)) {
		char msg[256];
		snprintf(msg, sizeof(msg), "bad request: %s", req ? "not an object" : jerr.text);
		answer = error_answer(msg);
	} else {
		answer = c->srv->handler(c->srv->arg, req);
		if (!answer)
			answer = error_answer("internal error");
	}
	json_decref(req);
	queue_answer(c, answer);
	json_decref(answer);
}

/* Write what we can; true when everything queued is out. */
static bool flush_out(struct ctl_client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			c->out_off += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return false;
		c->closing = true; /* peer gone */
		c->out_off = c->out_len;
		return true;
	}
	return true;
}

static void on_client(struct ks_loop *loop, struct ks_loop_watch *w, int fd, uint32_t revents,
		      void *arg)
{
	struct ctl_client *c = arg;
	(void)w;

	if (revents & POLLIN) {
		char buf[65536];
		for (;;) {
			ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (n > 0) {
				if (ks_linebuf_append(&c->in, buf, (size_t)n) < 0) {
					json_t *e = error_answer("request too large");
					queue_answer(c, e);
					json_decref(e);
					c->closing = true;
					break;
				}
				continue;
			}
			if (n == 0 || (errno != EAGAIN && errno != EINTR))
				c->closing = true;
			break;
		}
		char *line;
		while ((line = ks_linebuf_take(&c->in))) {
			handle_line(c, line);
			free(line);
		}
	} else if (revents & (POLLERR | POLLHUP)) {
		c->closing = true;
	}
	bool done = flush_out(c);
	if (done && c->closing) {
		client_close(c);
		return;
	}
	/* While output is pending, wait for room; stop reading until then. */
	ks_loop_modify(loop, c->w, done ? POLLIN : POLLOUT);
}

static void on_listener(struct ks_loop *loop, struct ks_loop_watch *w, int fd, uint32_t revents,
			void *arg)
{
	struct ks_ctl_server *s = arg;
	(void)w;
	(void)revents;
	for (;;) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0)
			break;
		uid_t uid = (uid_t)-1;
		pid_t pid = 0;
		if (!ks_ctlsock_peer_allowed(cfd, s->gid, &uid, &pid)) {
			/* Say nothing to a stranger: close, and log who it was. */
			ks_warn(
			    "control socket: refused peer uid %u pid %d (not root, not group %u)",
			    (unsigned)uid, (int)pid, (unsigned)s->gid);
			close(cfd);
			continue;
		}
		struct ctl_client *c = calloc(1, sizeof(*c));
		if (!c) {
			close(cfd);
			continue;
		}
		c->srv = s;
		c->fd = cfd;
		ks_linebuf_init(&c->in, KS_CTLSOCK_MAX_LINE);
		c->w = ks_loop_add(loop, cfd, POLLIN, on_client, c);
		if (!c->w) {
			close(cfd);
			free(c);
			continue;
		}
		c->next = s->clients;
		s->clients = c;
	}
}

struct ks_ctl_server *ks_ctl_server_open(struct ks_loop *loop, const char *path, gid_t gid,
					 ks_ctl_handler handler, void *arg, char *err,
					 size_t errlen)
{
	struct ks_ctl_server *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->loop = loop;
	s->gid = gid;
	s->handler = handler;
	s->arg = arg;
	s->fd = ks_ctlsock_listen(path, gid);
	if (s->fd < 0) {
		snprintf(err, errlen, "control socket %s: %s", path,
			 s->fd == -EADDRINUSE ? "another keysteerd answers there"
					      : strerror(-s->fd));
		free(s);
		return NULL;
	}
	s->path = strdup(path);
	s->w = ks_loop_add(loop, s->fd, POLLIN, on_listener, s);
	if (!s->w) {
		snprintf(err, errlen, "event loop: %s", strerror(errno));
		ks_ctl_server_close(s);
		return NULL;
	}
	ks_info("control socket %s (mode 0660, group %u)", path, (unsigned)gid);
	return s;
}

void ks_ctl_server_close(struct ks_ctl_server *s)
{
	if (!s)
		return;
	while (s->clients)
		client_close(s->clients);
	ks_loop_del(s->loop, s->w);
	if (s->fd >= 0)
		close(s->fd);
	if (s->path)
		unlink(s->path);
	free(s->path);
	free(s);
}
