/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The lab client's TCP engine: real kernel TCP connections, `concurrency` at
 * a time, each sending `reqs` lines ("FLOW:REQ\n") `interval_ms` apart and
 * reading each answer ("SHARD HOST FLOW:REQ"). The client sets no option
 * itself: the keysteer option comes from the cgroup it runs in (keysteer
 * tag), as for any unmodified client. A connection whose answers come from
 * two shards has moved (the router must never do that); one that is
 * refused, reset or times out has failed.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lab_client.h"

enum tstate { T_FREE, T_CONNECTING, T_WAITING, T_IDLE };

struct tconn {
	int fd;
	enum tstate st;
	uint32_t idx, req;
	int key;
	uint64_t t_ns; /* connect or request time; next send time when idle */
	int shard;
	size_t used;
	char buf[512];
};

static void finish(struct lab_tally *t, struct tconn *x, bool ok, uint32_t *active)
{
	if (!ok) {
		t->conns_failed++;
		/* The request in flight, if any, and the ones never sent are lost. */
	}
	close(x->fd);
	x->fd = -1;
	x->st = T_FREE;
	t->flows_done += ok;
	(*active)--;
}

static bool send_line(struct lab_tally *t, struct tconn *x, uint64_t now)
{
	char line[64];
	int n = snprintf(line, sizeof(line), "%u:%u\n", x->idx, x->req);

	t->sent++;
	x->t_ns = now;
	x->st = T_WAITING;
	return write(x->fd, line, (size_t)n) == n;
}

/* Read answers; false when the connection broke. */
static bool read_answers(const struct lab_cfg *c, struct lab_tally *t, struct tconn *x,
			 uint64_t now, bool *done)
{
	ssize_t n = read(x->fd, x->buf + x->used, sizeof(x->buf) - 1 - x->used);
	char *nl;

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		return false;
	if (n < 0)
		return true;
	x->used += (size_t)n;
	while ((nl = memchr(x->buf, '\n', x->used))) {
		char shard[T_NAME], host[T_NAME];
		unsigned idx, req;
		size_t ll = (size_t)(nl - x->buf);
		int s;

		*nl = '\0';
		if (sscanf(x->buf, "%47s %47s %u:%u", shard, host, &idx, &req) != 4 ||
		    idx != x->idx || req != x->req || x->st != T_WAITING) {
			t->corrupt++;
		} else {
			s = tally_answer(t, x->key, shard, host);
			if (x->shard < 0)
				x->shard = s;
			else if (x->shard != s && x->shard != T_MAX_SHARDS) {
				t->flows_moved++;
				x->shard = T_MAX_SHARDS;
			}
			x->req++;
			x->st = T_IDLE;
			x->t_ns = now + (uint64_t)c->interval_ms * 1000000ULL;
			if (x->req == c->reqs)
				*done = true;
		}
		memmove(x->buf, nl + 1, x->used - ll - 1);
		x->used -= ll + 1;
	}
	return x->used < sizeof(x->buf) - 1;
}

static int start_conn(const struct lab_cfg *c, struct tconn *x, int ep)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = x};
	int fd = socket(c->to.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if ((connect(fd, (struct sockaddr *)&c->to.ss, c->to.len) && errno != EINPROGRESS) ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)) {
		close(fd);
		return -1;
	}
	x->fd = fd;
	x->st = T_CONNECTING;
	return 0;
}

int lab_run_tcp(const struct lab_cfg *c, struct lab_tally *t)
{
	struct tconn *xs = calloc(c->concurrency, sizeof(*xs));
	struct epoll_event evs[256];
	uint64_t start = lab_now_ns(), started = 0;
	uint64_t end = c->duration > 0 ? start + (uint64_t)(c->duration * 1e9) : 0;
	uint64_t tmo = (uint64_t)c->timeout_ms * 1000000ULL;
	uint32_t active = 0;
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (!xs || ep < 0)
		return 1;
	for (uint32_t i = 0; i < c->concurrency; i++)
		xs[i].fd = -1;
	for (;;) {
		uint64_t now = lab_now_ns();
		bool starting =
		    !lab_stop && (c->flows == 0 || started < c->flows) && (end == 0 || now < end);
		int n;

		for (uint32_t i = 0; i < c->concurrency; i++) {
			struct tconn *x = &xs[i];

			if (x->st == T_FREE && starting) {
				memset(x, 0, sizeof(*x));
				x->idx = (uint32_t)started;
				x->key = (int)(started % (uint64_t)c->n_keys);
				x->shard = -1;
				x->t_ns = now;
				started++;
				t->flows_started++;
				if (start_conn(c, x, ep)) {
					t->conns_failed++;
					x->st = T_FREE;
					continue;
				}
				active++;
				starting = c->flows == 0 || started < c->flows;
			}
			if (x->st == T_FREE)
				continue;
			if ((x->st == T_CONNECTING || x->st == T_WAITING) && now - x->t_ns > tmo) {
				t->lost += x->st == T_WAITING;
				finish(t, x, false, &active);
			} else if (x->st == T_IDLE && lab_stop) {
				finish(t, x, true, &active);
			} else if (x->st == T_IDLE && now >= x->t_ns && !send_line(t, x, now)) {
				t->lost++;
				finish(t, x, false, &active);
			}
		}
		if (active == 0 && !starting)
			break;
		n = epoll_wait(ep, evs, 256, 2);
		now = lab_now_ns();
		for (int k = 0; k < n; k++) {
			struct tconn *x = evs[k].data.ptr;
			bool done = false;

			if (x->st == T_FREE)
				continue;
			if (x->st == T_CONNECTING) {
				int err = 0;
				socklen_t el = sizeof(err);
				struct epoll_event ev = {.events = EPOLLIN, .data.ptr = x};

				getsockopt(x->fd, SOL_SOCKET, SO_ERROR, &err, &el);
				if (err || !(evs[k].events & EPOLLOUT)) {
					finish(t, x, false, &active);
					continue;
				}
				epoll_ctl(ep, EPOLL_CTL_MOD, x->fd, &ev);
				if (!send_line(t, x, now)) {
					t->lost++;
					finish(t, x, false, &active);
				}
				continue;
			}
			if (!read_answers(c, t, x, now, &done)) {
				t->lost += x->st == T_WAITING;
				finish(t, x, false, &active);
			} else if (done) {
				finish(t, x, true, &active);
			}
		}
		lab_progress(c, t, start, false, true);
	}
	close(ep);
	free(xs);
	return 0;
}
