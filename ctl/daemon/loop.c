/* SPDX-License-Identifier: BSD-3-Clause */
#include "daemon/loop.h"

#include <errno.h>
#include <liburing.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* user_data of poll-remove requests, whose completions carry nothing. */
#define LOOP_IGNORE_DATA 0

struct ks_loop_watch {
	int fd;
	uint32_t events;
	ks_loop_cb cb;
	void *arg;
	bool armed; /* a poll request is in the ring */
	bool dead;  /* deleted; freed once no request refers to it */
	bool in_cb; /* its callback is running */
	bool rearm; /* events changed while armed: re-arm on completion */
	struct ks_loop_watch *next_free;
};

struct ks_loop {
	struct io_uring ring;
	bool stop;
	uint64_t wakeups;
	struct ks_loop_watch *graveyard; /* dead watches waiting for their CQE */
};

#define LOOP_ENTRIES 256

struct ks_loop *ks_loop_new(void)
{
	struct ks_loop *loop = calloc(1, sizeof(*loop));
	if (!loop)
		return NULL;
	int rc = io_uring_queue_init(LOOP_ENTRIES, &loop->ring, 0);
	if (rc < 0) {
		free(loop);
		errno = -rc;
		return NULL;
	}
	return loop;
}

void ks_loop_free(struct ks_loop *loop)
{
	if (!loop)
		return;
	/* Exiting the ring cancels outstanding polls; then free dead watches. */
	io_uring_queue_exit(&loop->ring);
	while (loop->graveyard) {
		struct ks_loop_watch *w = loop->graveyard;
		loop->graveyard = w->next_free;
		free(w);
	}
	free(loop);
}

static struct io_uring_sqe *get_sqe(struct ks_loop *loop)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&loop->ring);
	if (!sqe) {
		/* Submission queue full: hand what we have to the kernel. */
		io_uring_submit(&loop->ring);
		sqe = io_uring_get_sqe(&loop->ring);
	}
	return sqe;
}

static int arm(struct ks_loop *loop, struct ks_loop_watch *w)
{
	struct io_uring_sqe *sqe = get_sqe(loop);
	if (!sqe)
		return -EBUSY;
	io_uring_prep_poll_add(sqe, w->fd, w->events);
	io_uring_sqe_set_data(sqe, w);
	w->armed = true;
	return 0;
}

static void cancel(struct ks_loop *loop, struct ks_loop_watch *w)
{
	struct io_uring_sqe *sqe = get_sqe(loop);
	if (!sqe)
		return; /* the completion will still come when the fd fires */
	io_uring_prep_poll_remove(sqe, (__u64)(uintptr_t)w);
	io_uring_sqe_set_data64(sqe, LOOP_IGNORE_DATA);
	io_uring_submit(&loop->ring);
}

struct ks_loop_watch *ks_loop_add(struct ks_loop *loop, int fd, uint32_t events, ks_loop_cb cb,
				  void *arg)
{
	struct ks_loop_watch *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->fd = fd;
	w->events = events;
	w->cb = cb;
	w->arg = arg;
	int rc = arm(loop, w);
	if (rc < 0) {
		free(w);
		errno = -rc;
		return NULL;
	}
	io_uring_submit(&loop->ring);
	return w;
}

int ks_loop_modify(struct ks_loop *loop, struct ks_loop_watch *w, uint32_t events)
{
	if (w->events == events)
		return 0;
	w->events = events;
	if (w->armed && !w->in_cb) {
		/* Replace the pending poll: cancel it and re-arm on its completion. */
		w->rearm = true;
		cancel(loop, w);
	}
	return 0;
}

void ks_loop_del(struct ks_loop *loop, struct ks_loop_watch *w)
{
	if (!w || w->dead)
		return;
	w->dead = true;
	w->cb = NULL;
	if (w->in_cb)
		return; /* freed when its callback returns */
	if (w->armed) {
		cancel(loop, w);
		w->next_free = loop->graveyard;
		loop->graveyard = w;
		return; /* freed when the cancelled poll completes */
	}
	free(w);
}

static void forget(struct ks_loop *loop, struct ks_loop_watch *w)
{
	for (struct ks_loop_watch **p = &loop->graveyard; *p; p = &(*p)->next_free) {
		if (*p == w) {
			*p = w->next_free;
			break;
		}
	}
	free(w);
}

static void complete(struct ks_loop *loop, struct io_uring_cqe *cqe)
{
	struct ks_loop_watch *w = io_uring_cqe_get_data(cqe);
	int res = cqe->res;

	if (!w)
		return;
	w->armed = false;
	if (w->dead) {
		forget(loop, w);
		return;
	}
	if (res == -ECANCELED || (res < 0 && w->rearm)) {
		/* Our own modify() cancelled it. */
		w->rearm = false;
		arm(loop, w);
		return;
	}
	w->rearm = false;
	uint32_t revents = res < 0 ? POLLERR : (uint32_t)res;
	w->in_cb = true;
	w->cb(loop, w, w->fd, revents, w->arg);
	w->in_cb = false;
	if (w->dead) {
		free(w);
		return;
	}
	arm(loop, w);
}

static int process(struct ks_loop *loop, struct io_uring_cqe *first)
{
	struct io_uring_cqe *cqe = first;
	unsigned n = 0;

	loop->wakeups++;
	while (cqe) {
		/* Copy out and release the slot before the callback, which may submit. */
		struct io_uring_cqe copy = *cqe;
		io_uring_cqe_seen(&loop->ring, cqe);
		complete(loop, &copy);
		n++;
		cqe = NULL;
		if (io_uring_peek_cqe(&loop->ring, &cqe) != 0)
			cqe = NULL;
	}
	io_uring_submit(&loop->ring);
	return (int)n;
}

int ks_loop_run_once(struct ks_loop *loop, int timeout_ms)
{
	struct io_uring_cqe *cqe = NULL;
	int rc;

	io_uring_submit(&loop->ring);
	if (timeout_ms < 0) {
		rc = io_uring_wait_cqe(&loop->ring, &cqe);
	} else {
		struct __kernel_timespec ts = {.tv_sec = timeout_ms / 1000,
					       .tv_nsec = (long long)(timeout_ms % 1000) * 1000000};
		rc = io_uring_wait_cqe_timeout(&loop->ring, &cqe, &ts);
	}
	if (rc == -ETIME || rc == -EINTR)
		return 0;
	if (rc < 0)
		return rc;
	return process(loop, cqe);
}

int ks_loop_run(struct ks_loop *loop)
{
	loop->stop = false;
	while (!loop->stop) {
		int rc = ks_loop_run_once(loop, -1);
		if (rc < 0)
			return rc;
	}
	return 0;
}

void ks_loop_stop(struct ks_loop *loop)
{
	loop->stop = true;
}

uint64_t ks_loop_wakeups(const struct ks_loop *loop)
{
	return loop->wakeups;
}
