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
#include <time.h>
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
	struct ksd_text *last; /* the last document delivered */
	const char *state;     /* ok | missing | empty | unreadable */
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

/* Bytes read per read(2): small enough that the new bytes are still in cache to compare. */
#define READ_CHUNK (256u << 10)

/* Length of the common prefix of a and b, n bytes each. */
static size_t common_prefix(const char *a, const char *b, size_t n)
{
	size_t i = 0;
	while (n - i >= 4096 && memcmp(a + i, b + i, 4096) == 0)
		i += 4096;
	while (n - i >= 64 && memcmp(a + i, b + i, 64) == 0)
		i += 64;
	while (i < n && a[i] == b[i])
		i++;
	return i;
}

/* Just past the last byte where a and b (n bytes each) differ; 0 when equal. */
static size_t last_difference(const char *a, const char *b, size_t n)
{
	size_t e = n;
	if (memcmp(a, b, n) == 0)
		return 0;
	while (e >= 64 && memcmp(a + e - 64, b + e - 64, 64) == 0)
		e -= 64;
	while (e > 0 && a[e - 1] == b[e - 1])
		e--;
	return e;
}

/*
 * Comparing a file with the last delivery while it is read, chunk by chunk,
 * while the new bytes are in cache: how long the common prefix is, and where
 * the last difference is when both are aligned at their ends (the file's
 * size from fstat; if it grows meanwhile, the tail is not known).
 */
struct diff_scan {
	const struct ksd_text *last;
	size_t size; /* expected length of the new text */
	size_t prefix;
	bool prefix_done;
	size_t tail_from; /* new text positions at or after this may match the last's tail */
};

static void diff_chunk(struct diff_scan *ds, const char *data, size_t a, size_t b)
{
	const struct ksd_text *old = ds->last;
	if (!old)
		return;
	if (!ds->prefix_done) {
		size_t lim = b < old->len ? b : old->len;
		size_t k = a < lim ? common_prefix(data + a, old->data + a, lim - a) : 0;
		ds->prefix = a + k;
		ds->prefix_done = a + k < b;
	}
	/* New position x faces old position x - shift, when both are aligned at the end. */
	size_t shift_lo = ds->size > old->len ? ds->size - old->len : 0;
	size_t shift_hi = old->len > ds->size ? old->len - ds->size : 0;
	size_t lo = a > shift_lo ? a : shift_lo;
	if (b > ds->size)
		b = ds->size;
	if (lo > a)
		ds->tail_from = lo < b ? lo : b; /* no old byte faces these */
	if (lo < b) {
		size_t e = last_difference(data + lo, old->data + lo - shift_lo + shift_hi, b - lo);
		if (e)
			ds->tail_from = lo + e;
	}
}

static int read_whole(const char *path, const struct ksd_text *last, struct ksd_text **out,
		      struct ksd_text_diff *diff)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	/* One byte more than the size: reading to EOF then costs no second buffer. */
	size_t cap = (size_t)st.st_size + 1, n = 0;
	struct ksd_text *t = ksd_text_new(cap);
	struct diff_scan ds = {.last = last, .size = (size_t)st.st_size};
	if (!t) {
		close(fd);
		return -ENOMEM;
	}
	/* The file may grow while we read (in-place writer): read to EOF. */
	for (;;) {
		if (n == cap) {
			struct ksd_text *nt = realloc(t, sizeof(*t) + cap * 2 + 1);
			if (!nt) {
				ksd_text_unref(t);
				close(fd);
				return -ENOMEM;
			}
			t = nt;
			cap *= 2;
		}
		size_t want = cap - n < READ_CHUNK ? cap - n : READ_CHUNK;
		ssize_t r = read(fd, t->data + n, want);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = -errno;
			ksd_text_unref(t);
			close(fd);
			return e;
		}
		if (r == 0)
			break;
		diff_chunk(&ds, t->data, n, n + (size_t)r);
		n += (size_t)r;
	}
	close(fd);
	t->len = n;
	t->data[n] = '\0';
	*out = t;
	*diff = (struct ksd_text_diff){0};
	if (last) {
		diff->base = last;
		diff->prefix = ds.prefix;
		/* Past the expected size the tail was not compared: nothing known of it. */
		diff->suffix = n == ds.size ? n - ds.tail_from : 0;
	}
	return 0;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Read PATH and deliver it when it changed since the last delivery (or force). */
static void check_file(struct file_feed *ff, bool force)
{
	struct ksd_text *text = NULL;
	struct ksd_text_diff diff;
	uint64_t t0 = mono_ns();
	ff->reads++;
	int rc = read_whole(ff->path, ff->last, &text, &diff);
	if (rc == -ENOENT) {
		set_state(ff, "missing", "file deleted or not yet created");
		return;
	}
	if (rc < 0) {
		set_state(ff, "unreadable", strerror(-rc));
		return;
	}
	if (text->len == 0) {
		set_state(ff, "empty", "file truncated to 0 bytes");
		ksd_text_unref(text);
		return;
	}
	set_state(ff, "ok", NULL);
	/* Compared with the last delivery while it was read: a hash of MBs would cost more. */
	if (!force && ff->last && text->len == ff->last->len && diff.prefix == text->len) {
		ks_debug("feed file %s: unchanged", ff->path);
		ksd_text_unref(text);
		return;
	}
	ks_debug("feed file %s: read %zu bytes in %.1f ms (same: first %zu, last %zu)", ff->path,
		 text->len, (mono_ns() - t0) / 1e6, diff.prefix, diff.suffix);
	char source[PATH_MAX + 8];
	snprintf(source, sizeof(source), "file:%s", ff->path);
	ff->deliver(ff->arg, text, ff->last ? &diff : NULL, source, 0);
	ksd_text_unref(ff->last);
	ff->last = text;
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
	ksd_text_unref(ff->last);
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
