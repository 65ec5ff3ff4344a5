/* SPDX-License-Identifier: BSD-3-Clause */
#include "daemon/index_worker.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "daemon/log.h"

struct job {
	char *text;
	size_t len;
	uint64_t version;
	uint64_t *keys;
	size_t n_keys;
	uint64_t seq;
};

struct ksd_index_worker {
	struct ks_loop *loop;
	struct ks_loop_watch *w;
	int efd;
	ksd_index_done_fn done;
	void *arg;
	pthread_t thread;
	bool running;	 /* a thread exists and is not joined */
	struct job cur;	 /* being built */
	struct job next; /* waiting; replaced by newer submissions */
	bool have_next;
	struct ksd_doc_index *result; /* written by the thread before the eventfd */
};

static void job_clear(struct job *j)
{
	free(j->text);
	free(j->keys);
	memset(j, 0, sizeof(*j));
}

static void *build(void *arg)
{
	struct ksd_index_worker *w = arg;
	struct job *j = &w->cur;
	/* Lower priority than the loop's thread: applies come first. */
	if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10) < 0)
		ks_debug("index worker: setpriority: %s", strerror(errno));
	w->result = ksd_index_build_keys(j->text, j->len, j->version, j->keys, j->n_keys);
	j->keys = NULL; /* owned by the index (or freed) now */
	uint64_t one = 1;
	if (write(w->efd, &one, sizeof(one)) < 0)
		ks_err("index worker: eventfd: %s", strerror(errno));
	return NULL;
}

static void start(struct ksd_index_worker *w)
{
	w->cur = w->next;
	memset(&w->next, 0, sizeof(w->next));
	w->have_next = false;
	w->result = NULL;
	if (pthread_create(&w->thread, NULL, build, w) != 0) {
		job_clear(&w->cur);
		return;
	}
	w->running = true;
}

static void on_done(struct ks_loop *loop, struct ks_loop_watch *watch, int fd, uint32_t revents,
		    void *arg)
{
	struct ksd_index_worker *w = arg;
	uint64_t n;
	(void)loop;
	(void)watch;
	(void)revents;
	if (read(fd, &n, sizeof(n)) != sizeof(n) || !w->running)
		return;
	pthread_join(w->thread, NULL);
	w->running = false;
	uint64_t seq = w->cur.seq;
	struct ksd_doc_index *idx = w->result;
	w->result = NULL;
	job_clear(&w->cur);
	w->done(w->arg, idx, seq);
	if (w->have_next)
		start(w);
}

struct ksd_index_worker *ksd_index_worker_new(struct ks_loop *loop, ksd_index_done_fn done,
					      void *arg)
{
	struct ksd_index_worker *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->loop = loop;
	w->done = done;
	w->arg = arg;
	w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->efd < 0 || !(w->w = ks_loop_add(loop, w->efd, POLLIN, on_done, w))) {
		if (w->efd >= 0)
			close(w->efd);
		free(w);
		return NULL;
	}
	return w;
}

void ksd_index_worker_submit(struct ksd_index_worker *w, const char *text, size_t len,
			     const struct ks_compiled *c, uint64_t seq)
{
	struct job j = {.len = len, .version = c->version, .n_keys = c->n_routes, .seq = seq};
	j.keys = ksd_index_keys(c);
	j.text = malloc(len + 1);
	if (!j.keys || !j.text) {
		job_clear(&j);
		return;
	}
	memcpy(j.text, text, len);
	j.text[len] = '\0';
	job_clear(&w->next);
	w->next = j;
	w->have_next = true;
	if (!w->running)
		start(w);
}

void ksd_index_worker_free(struct ksd_index_worker *w)
{
	if (!w)
		return;
	if (w->running) {
		pthread_join(w->thread, NULL);
		ksd_index_free(w->result);
		job_clear(&w->cur);
	}
	job_clear(&w->next);
	ks_loop_del(w->loop, w->w);
	close(w->efd);
	free(w);
}
