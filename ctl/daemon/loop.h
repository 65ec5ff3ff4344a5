/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keysteerd's event loop: readiness of file descriptors through io_uring
 * poll requests. Every event source of the daemon is a file descriptor
 * (inotify, control socket and its clients, timerfd, signalfd, the eventfd
 * that NATS callback threads write, the next-hop resolver's netlink socket),
 * so one mechanism serves them all and the process sleeps in
 * io_uring_wait_cqe() when nothing happens: no busy polling.
 *
 * Polls are one-shot and re-armed after each callback, which makes them
 * level-triggered: a callback may leave data unread and will be called again.
 * Single-threaded: call everything from the loop's thread only.
 */
#ifndef KS_DAEMON_LOOP_H
#define KS_DAEMON_LOOP_H

#include <stdint.h>
#include <poll.h>

struct ks_loop;
struct ks_loop_watch;

/* revents: POLLIN/POLLOUT/POLLERR/POLLHUP as poll(2) reports them. */
typedef void (*ks_loop_cb)(struct ks_loop *loop, struct ks_loop_watch *w, int fd, uint32_t revents,
			   void *arg);

struct ks_loop *ks_loop_new(void);
void ks_loop_free(struct ks_loop *loop);

/* Watch fd for events (POLLIN, POLLOUT). NULL on error (errno set). */
struct ks_loop_watch *ks_loop_add(struct ks_loop *loop, int fd, uint32_t events, ks_loop_cb cb,
				  void *arg);
/* Change the events a watch waits for; takes effect at once. */
int ks_loop_modify(struct ks_loop *loop, struct ks_loop_watch *w, uint32_t events);
/*
 * Stop watching. Safe from any callback, including the watch's own; the
 * callback is never called again. The caller may close the fd right after.
 */
void ks_loop_del(struct ks_loop *loop, struct ks_loop_watch *w);

/* Run until ks_loop_stop(); 0, or -errno when io_uring fails. */
int ks_loop_run(struct ks_loop *loop);
/* Process what is ready, waiting at most timeout_ms (for tests). */
int ks_loop_run_once(struct ks_loop *loop, int timeout_ms);
void ks_loop_stop(struct ks_loop *loop);

/* Number of loop wake-ups so far (tests check that an idle loop sleeps). */
uint64_t ks_loop_wakeups(const struct ks_loop *loop);

#endif
