/* SPDX-License-Identifier: BSD-3-Clause */
#include "daemon/file_read.h"
#include "daemon/text.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void id_from_stat(const struct stat *st, struct ksd_file_id *id)
{
	*id = (struct ksd_file_id){.dev = st->st_dev,
				   .ino = st->st_ino,
				   .size = st->st_size,
				   .mtime = st->st_mtim,
				   .ctime = st->st_ctim};
}

int ksd_file_id_of(const char *path, struct ksd_file_id *id)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return -errno;
	id_from_stat(&st, id);
	return 0;
}

bool ksd_file_id_same(const struct ksd_file_id *a, const struct ksd_file_id *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
	       a->ctime.tv_sec == b->ctime.tv_sec && a->ctime.tv_nsec == b->ctime.tv_nsec;
}

/* Bytes read per read(2): small enough that the new bytes are still in cache to compare. */
#define READ_CHUNK (256u << 10)

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
		size_t k = a < lim ? ksd_common_prefix(data + a, old->data + a, lim - a) : 0;
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

/* Files this big are read in two halves at once: the copy out of the page cache is the cost. */
#define PARALLEL_READ_MIN (4u << 20)

struct half {
	int fd;
	char *buf;
	size_t lo, hi, done;
	struct diff_scan ds;
	int err;
	pthread_t thread;
};

static void read_half(struct half *h)
{
	size_t n = h->lo;

	while (n < h->hi) {
		size_t want = h->hi - n < READ_CHUNK ? h->hi - n : READ_CHUNK;
		ssize_t r = pread(h->fd, h->buf + n, want, (off_t)n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			h->err = -errno;
			break;
		}
		if (r == 0)
			break; /* shorter than fstat said: the caller reads it again */
		diff_chunk(&h->ds, h->buf, n, n + (size_t)r);
		n += (size_t)r;
	}
	h->done = n;
}

static void *half_main(void *arg)
{
	read_half(arg);
	return NULL;
}

/*
 * The first size bytes in two halves, the second on a thread of its own,
 * each compared with the last text as it is read; the comparisons joined as
 * one pass would have made them. -1 when the halves did not both come whole.
 */
static int read_halves(int fd, char *buf, size_t size, struct diff_scan *ds)
{
	struct half h[2] = {
	    {.fd = fd, .buf = buf, .lo = 0, .hi = size / 2, .ds = *ds},
	    {.fd = fd, .buf = buf, .lo = size / 2, .hi = size, .ds = *ds},
	};
	bool threaded;

	/* The second half's common prefix counts from its own start. */
	h[1].ds.prefix = size / 2;
	threaded = pthread_create(&h[1].thread, NULL, half_main, &h[1]) == 0;
	read_half(&h[0]);
	if (threaded)
		pthread_join(h[1].thread, NULL);
	else
		read_half(&h[1]);
	if (h[0].err || h[1].err || h[0].done != h[0].hi || h[1].done != h[1].hi)
		return -1;
	ds->prefix = h[0].ds.prefix == h[0].hi ? h[1].ds.prefix : h[0].ds.prefix;
	ds->prefix_done = h[0].ds.prefix_done || h[1].ds.prefix_done;
	ds->tail_from =
	    h[1].ds.tail_from > h[0].ds.tail_from ? h[1].ds.tail_from : h[0].ds.tail_from;
	return 0;
}

int ksd_read_text(const char *path, const struct ksd_text *last, struct ksd_text **out,
		  struct ksd_text_diff *diff, struct ksd_file_id *id)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	id_from_stat(&st, id);
	/* One byte more than the size: reading to EOF then costs no second buffer. */
	size_t cap = (size_t)st.st_size + 1, n = 0;
	struct ksd_text *t = ksd_text_new(cap);
	struct diff_scan ds = {.last = last, .size = (size_t)st.st_size};
	if (!t) {
		close(fd);
		return -ENOMEM;
	}
	if (ds.size >= PARALLEL_READ_MIN && read_halves(fd, t->data, ds.size, &ds) == 0)
		n = ds.size;
	else
		ds = (struct diff_scan){.last = last, .size = (size_t)st.st_size};
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
		ssize_t r = pread(fd, t->data + n, want, (off_t)n);
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
