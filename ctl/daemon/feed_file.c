/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * file:PATH feed. The directory is watched with inotify, not the file, so
 * both ways of publishing work: an atomic rename over PATH (IN_MOVED_TO) and
 * an in-place rewrite (IN_CLOSE_WRITE when the writer closes; IN_MODIFY arms a
 * short debounce timer for writers that keep the file open). The whole file
 * is read and handed over as one document; a half-written one fails to
 * compile, is rejected, and the next change is tried again. A deleted or
 * empty file is reported and nothing is applied: the last good rules stay.
 *
 * PATH may be reached through symbolic links, as in a Kubernetes ConfigMap
 * volume: rules.json -> ..data/rules.json, ..data -> ..2026_11_26_..., and
 * an update is a new timestamped directory and a new ..data link renamed
 * over the old one. Nothing named PATH changes then, so while PATH goes
 * through links, any entry created, renamed or removed in its directory
 * makes the feed look again: when PATH now names another file (device,
 * inode, size or times differ) it is read. The directory of the file PATH
 * finally names is watched too when it is elsewhere (writes to the target,
 * and its directory going away), and follows every change of target.
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
#include "daemon/file_read.h"
#include "daemon/log.h"

#define DEBOUNCE_MS 200

#define DIR_EVENTS                                                                                 \
	(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MODIFY | IN_CREATE | IN_DELETE | IN_MOVED_FROM |        \
	 IN_DELETE_SELF | IN_MOVE_SELF)

struct file_feed {
	struct ks_feed feed;
	char *path, *dir, *base;
	struct ks_loop *loop;
	int ifd, tfd;
	int wd_dir; /* PATH's directory as written */
	/* Where PATH leads (realpath): its directory's watch when it is another one. */
	char *target_dir, *target_base;
	int wd_target;
	bool via_link;		    /* PATH is reached through a symbolic link */
	struct ksd_file_id last_id; /* the file read last */
	bool have_id;
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

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* canonical directory and base name of path, or -1. */
static int split_real(const char *path, char **dir, char **base)
{
	char *real = realpath(path, NULL);
	if (!real)
		return -1;
	char *slash = strrchr(real, '/');
	*base = strdup(slash + 1);
	*slash = '\0';
	*dir = strdup(real[0] ? real : "/");
	free(real);
	if (!*dir || !*base) {
		free(*dir);
		free(*base);
		return -1;
	}
	return 0;
}

/*
 * Where PATH leads now: note whether links are on the way, and watch the
 * directory of the file it names when that is another directory. A path
 * that leads nowhere (a dangling link) keeps the last target.
 */
static void follow_links(struct file_feed *ff)
{
	char *tdir = NULL, *tbase = NULL;
	struct stat st;

	if (split_real(ff->path, &tdir, &tbase) < 0)
		return;
	/*
	 * PATH is a link (or leads elsewhere than its directory's own entry).
	 * A directory on the way that is a link needs nothing more: the watch
	 * of PATH's directory follows it, and is renewed when it goes away.
	 */
	ff->via_link =
	    (lstat(ff->path, &st) == 0 && S_ISLNK(st.st_mode)) || strcmp(tbase, ff->base) != 0;
	if (ff->target_dir && strcmp(ff->target_dir, tdir) == 0 && ff->wd_target != -2) {
		free(ff->target_base);
		ff->target_base = tbase;
		free(tdir);
		return;
	}
	if (ff->wd_target >= 0 && ff->wd_target != ff->wd_dir)
		inotify_rm_watch(ff->ifd, ff->wd_target);
	free(ff->target_dir);
	free(ff->target_base);
	ff->target_dir = tdir;
	ff->target_base = tbase;
	ff->wd_target = inotify_add_watch(ff->ifd, tdir, DIR_EVENTS);
	if (ff->wd_target < 0)
		ks_warn("feed file %s: cannot watch %s: %s", ff->path, tdir, strerror(errno));
	else if (ff->wd_target != ff->wd_dir)
		ks_info("feed file %s leads to %s/%s (watched too)", ff->path, tdir, tbase);
}

/* Read PATH and deliver it when it changed since the last delivery (or force). */
static void check_file(struct file_feed *ff, bool force)
{
	struct ksd_text *text = NULL;
	struct ksd_text_diff diff;
	uint64_t t0 = mono_ns();
	ff->reads++;
	struct ksd_file_id id;
	int rc = ksd_read_text(ff->path, ff->last, &text, &diff, &id);
	follow_links(ff);
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
	ff->last_id = id;
	ff->have_id = true;
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

/* The directory PATH is in went away (or moved): watch what that name is now, if anything. */
static bool rewatch_dir(struct file_feed *ff)
{
	int wd = inotify_add_watch(ff->ifd, ff->dir, DIR_EVENTS);
	if (wd < 0) {
		ks_err("feed directory %s went away; the feed is no longer followed", ff->dir);
		set_state(ff, "missing", "feed directory removed");
		ff->wd_dir = -1;
		return false;
	}
	if (wd != ff->wd_dir && ff->wd_dir >= 0)
		inotify_rm_watch(ff->ifd, ff->wd_dir); /* a moved directory: stop following it */
	ff->wd_dir = wd;
	ks_info("feed directory %s replaced; watching the new one", ff->dir);
	return true;
}

/* Does PATH name another file than the one read last? */
static bool names_another_file(struct file_feed *ff)
{
	struct ksd_file_id id;
	return !ff->have_id || ksd_file_id_of(ff->path, &id) < 0 ||
	       !ksd_file_id_same(&id, &ff->last_id);
}

static void on_inotify(struct ks_loop *loop, struct ks_loop_watch *w, int fd, uint32_t revents,
		       void *arg)
{
	struct file_feed *ff = arg;
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool now = false, later = false, relinked = false;
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
			bool in_dir = ev->wd == ff->wd_dir, in_target = ev->wd == ff->wd_target;
			if (ev->mask & IN_Q_OVERFLOW) {
				now = true;
				continue;
			}
			if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
				if (in_dir && !(ev->mask & IN_IGNORED && ff->wd_dir < 0)) {
					now = rewatch_dir(ff) || now;
				} else if (in_target) {
					/* The target's directory went (a ConfigMap's old data). */
					ff->wd_target = -2;
					relinked = true;
				}
				continue;
			}
			if (!ev->len)
				continue;
			bool named = (in_dir && strcmp(ev->name, ff->base) == 0) ||
				     ((in_target || (in_dir && ff->wd_target == ff->wd_dir)) &&
				      ff->target_base && strcmp(ev->name, ff->target_base) == 0);
			if (!named) {
				/* A link on the way to PATH may have been replaced. */
				if (in_dir && ff->via_link &&
				    ev->mask &
					(IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_MOVED_FROM))
					relinked = true;
				continue;
			}
			if (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO))
				now = true;
			else if (ev->mask & (IN_MODIFY | IN_CREATE))
				later = true;
			else if (ev->mask & (IN_DELETE | IN_MOVED_FROM))
				now = true; /* check_file() reports it missing */
		}
	}
	if (now || (relinked && names_another_file(ff))) {
		disarm_debounce(ff);
		check_file(ff, false);
	} else if (relinked) {
		follow_links(ff); /* the same file, perhaps by another way */
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
	/* Where a path through links led at the last look (a ConfigMap's data directory). */
	if (ff->via_link && ff->target_dir && ff->target_base) {
		char target[2 * PATH_MAX + 2];
		snprintf(target, sizeof(target), "%s/%s", ff->target_dir, ff->target_base);
		json_object_set_new(o, "leads_to", json_string(target));
	}
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
	free(ff->target_dir);
	free(ff->target_base);
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
	ff->wd_dir = ff->wd_target = -1;
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
	ff->wd_dir = inotify_add_watch(ff->ifd, ff->dir, DIR_EVENTS);
	if (ff->wd_dir < 0) {
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
