/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * file:PATH feed. The directory is watched with inotify, not the file, so
 * both ways of publishing work: an atomic rename over PATH (IN_MOVED_TO) and
 * an in-place rewrite (IN_CLOSE_WRITE when the writer closes; IN_MODIFY arms a
 * short debounce timer for writers that keep the file open). The whole file
 * is read and handed over as one document; a half-written one fails to
 * compile, is rejected, and the next change is tried again. A deleted or
 * empty file is reported and nothing is applied: the last good rules stay.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "daemon/feed.h"
#include "daemon/log.h"

#define DEBOUNCE_MS 200

struct file_feed {
	struct ks_feed feed;
	char *path, *dir, *base;
	struct ks_loop *loop;
	int ifd, tfd;
	struct ks_loop_watch *iwatch, *twatch;
	ks_feed_deliver_fn deliver;
	void *arg;
	char *last; /* the last document delivered */
	size_t last_len;
	const char *state; /* ok | missing | empty | unreadable */
	char detail[256];
	uint64_t reads, events;
};

static void set_state(struct file_feed *ff, const char *state, const char *detail)
{
	bool changed = ff->state != state;
	ff->state = state;
	snprintf(ff->detail, sizeof(ff->detail), "%s", detail ? detail : "");
	if (!changed)
		return;
	if (strcmp(state, "ok") == 0)
		ks_info("feed file %s: readable", ff->path);
	else
		ks_warn("feed file %s: %s%s%s; the active rules stay", ff->path, state,
			detail ? ": " : "", detail ? detail : "");
}

static int read_whole(const char *path, char **out, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	size_t cap = (size_t)st.st_size + 1, n = 0;
	char *buf = malloc(cap + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	/* The file may grow while we read (in-place writer): read to EOF. */
	for (;;) {
		if (n == cap) {
			char *nb = realloc(buf, cap * 2 + 1);
			if (!nb) {
				free(buf);
				close(fd);
				return -ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = -errno;
			free(buf);
			close(fd);
			return e;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

/* Read PATH and deliver it when it changed since the last delivery (or force). */
static void check_file(struct file_feed *ff, bool force)
{
	char *text = NULL;
	size_t len = 0;
	ff->reads++;
	int rc = read_whole(ff->path, &text, &len);
	if (rc == -ENOENT) {
		set_state(ff, "missing", "file deleted or not yet created");
		return;
	}
	if (rc < 0) {
		set_state(ff, "unreadable", strerror(-rc));
		return;
	}
	if (len == 0) {
		set_state(ff, "empty", "file truncated to 0 bytes");
		free(text);
		return;
	}
	set_state(ff, "ok", NULL);
	/* memcmp against the last delivery: a hash of MBs would cost more. */
	if (!force && ff->last && len == ff->last_len && memcmp(text, ff->last, len) == 0) {
		ks_debug("feed file %s: unchanged", ff->path);
		free(text);
		return;
	}
	char source[PATH_MAX + 8];
	snprintf(source, sizeof(source), "file:%s", ff->path);
	ff->deliver(ff->arg, text, len, source, 0);
	free(ff->last);
	ff->last = text;
	ff->last_len = len;
}

static void arm_debounce(struct file_feed *ff)
{
	struct itimerspec its = {.it_value = {.tv_sec = 0, .tv_nsec = DEBOUNCE_MS * 1000000L}};
	timerfd_settime(ff->tfd, 0, &its, NULL);
}

static void disarm_debounce(struct file_feed *ff)
{
	struct itimerspec its = {0};
	timerfd_settime(ff->tfd, 0, &its, NULL);
}

static void on_timer(struct ks_loop *loop, struct ks_loop_watch *w, int fd, uint32_t revents,
		     void *arg)
{
	struct file_feed *ff = arg;
	uint64_t ticks;
	(void)loop;
	(void)w;
	(void)revents;
	if (read(fd, &ticks, sizeof(ticks)) != sizeof(ticks))
		return;
	check_file(ff, false);
}

static void on_inotify(struct ks_loop *loop, struct ks_loop_watch *w, int fd, uint32_t revents,
		       void *arg)
{
	struct file_feed *ff = arg;
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool now = false, later = false;
	(void)loop;
	(void)w;
	(void)revents;

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;
			p += sizeof(*ev) + ev->len;
			ff->events++;
			if (ev->mask & IN_Q_OVERFLOW) {
				now = true;
				continue;
			}
			if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
				ks_err(
				    "feed directory %s went away; the feed is no longer followed",
				    ff->dir);
				set_state(ff, "missing", "feed directory removed");
				continue;
			}
			if (!ev->len || strcmp(ev->name, ff->base) != 0)
				continue;
			if (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO))
				now = true;
			else if (ev->mask & (IN_MODIFY | IN_CREATE))
				later = true;
			else if (ev->mask & (IN_DELETE | IN_MOVED_FROM))
				now = true; /* check_file() reports it missing */
		}
	}
	if (now) {
		disarm_debounce(ff);
		check_file(ff, false);
	} else if (later) {
		arm_debounce(ff);
	}
}

static void file_reread(struct ks_feed *f)
{
	struct file_feed *ff = f->priv;
	check_file(ff, true);
}

static int file_fetch_version(struct ks_feed *f, uint64_t version, uint64_t below, char **text,
			      size_t *len, char **source)
{
	(void)f;
	(void)version;
	(void)below;
	(void)text;
	(void)len;
	(void)source;
	return -ENOTSUP; /* the daemon's kept copies serve file feeds */
}

static void file_ack(struct ks_feed *f, const struct ks_attempt *a)
{
	(void)f;
	(void)a;
}

static json_t *file_status(struct ks_feed *f)
{
	struct file_feed *ff = f->priv;
	json_t *o = json_object();
	char uri[PATH_MAX + 8];
	snprintf(uri, sizeof(uri), "file:%s", ff->path);
	json_object_set_new(o, "uri", json_string(uri));
	json_object_set_new(o, "kind", json_string("file"));
	json_object_set_new(o, "state", json_string(ff->state));
	if (ff->detail[0])
		json_object_set_new(o, "detail", json_string(ff->detail));
	json_object_set_new(o, "reads", json_integer((json_int_t)ff->reads));
	json_object_set_new(o, "events", json_integer((json_int_t)ff->events));
	return o;
}

static void file_close(struct ks_feed *f)
{
	struct file_feed *ff = f->priv;
	ks_loop_del(ff->loop, ff->iwatch);
	ks_loop_del(ff->loop, ff->twatch);
	if (ff->ifd >= 0)
		close(ff->ifd);
	if (ff->tfd >= 0)
		close(ff->tfd);
	free(ff->last);
	free(ff->path);
	free(ff->dir);
	free(ff->base);
	free(ff);
}

static const struct ks_feed_ops file_ops = {
    .reread = file_reread,
    .fetch_version = file_fetch_version,
    .ack = file_ack,
    .status = file_status,
    .close = file_close,
};

struct ks_feed *ks_feed_file_open(const char *path, struct ks_loop *loop,
				  ks_feed_deliver_fn deliver, void *arg, char *err, size_t errlen)
{
	struct file_feed *ff = calloc(1, sizeof(*ff));
	if (!ff)
		return NULL;
	ff->feed.ops = &file_ops;
	ff->feed.priv = ff;
	ff->loop = loop;
	ff->deliver = deliver;
	ff->arg = arg;
	ff->ifd = ff->tfd = -1;
	ff->state = "unknown";
	ff->path = strdup(path);
	char *d = strdup(path), *b = strdup(path);
	ff->dir = strdup(dirname(d));
	ff->base = strdup(basename(b));
	free(d);
	free(b);

	ff->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	ff->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (ff->ifd < 0 || ff->tfd < 0) {
		snprintf(err, errlen, "inotify/timerfd: %s", strerror(errno));
		goto fail;
	}
	if (inotify_add_watch(ff->ifd, ff->dir,
			      IN_CLOSE_WRITE | IN_MOVED_TO | IN_MODIFY | IN_CREATE | IN_DELETE |
				  IN_MOVED_FROM | IN_DELETE_SELF | IN_MOVE_SELF) < 0) {
		snprintf(err, errlen, "watch %s: %s", ff->dir, strerror(errno));
		goto fail;
	}
	ff->iwatch = ks_loop_add(loop, ff->ifd, POLLIN, on_inotify, ff);
	ff->twatch = ks_loop_add(loop, ff->tfd, POLLIN, on_timer, ff);
	if (!ff->iwatch || !ff->twatch) {
		snprintf(err, errlen, "event loop: %s", strerror(errno));
		goto fail;
	}
	ks_info("following feed file %s (watching %s)", ff->path, ff->dir);
	check_file(ff, false);
	return &ff->feed;
fail:
	file_close(&ff->feed);
	return NULL;
}
