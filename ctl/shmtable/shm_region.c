/* SPDX-License-Identifier: BSD-3-Clause */
#include "shmtable/shm_region.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define HUGE_2M (2u << 20)

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static __u32 pow2_at_least(__u64 n)
{
	__u32 p = 1;

	while (p < n && p < (1u << 31))
		p <<= 1;
	return p;
}

static size_t align_up(size_t x, size_t a)
{
	return (x + a - 1) / a * a;
}

int ks_shm_geometry_fix(struct ks_shm_geometry *g)
{
	if (!g->max_routes)
		g->max_routes = KS_SHM_DEFAULT_ROUTES;
	if (!g->max_readers)
		g->max_readers = KS_SHM_DEFAULT_READERS;
	if (!g->stats_slots)
		g->stats_slots = g->max_routes + 1;
	if (g->max_routes > (1u << 28) || g->max_readers > KS_SHM_MAX_READERS ||
	    g->stats_slots < 2 || g->stats_slots > (1u << 28))
		return -EINVAL;
	return 0;
}

struct layout {
	__u32 route_slots;
	size_t off_config, off_listeners, off_routes, off_shards, off_readers, off_counters,
	    off_neigh, stride, total;
};

static void plan(const struct ks_shm_geometry *g, struct layout *l)
{
	size_t off = sizeof(struct ks_shm_header);

	l->route_slots = pow2_at_least(((__u64)g->max_routes * 4 + 2) / 3);
	if (l->route_slots < 64)
		l->route_slots = 64;
	l->off_config = off;
	off = align_up(off + KS_GENERATIONS * sizeof(struct ks_config), KS_SHM_LINE);
	l->off_listeners = off;
	off = align_up(off + (size_t)KS_GENERATIONS * KS_SHM_LISTENER_SLOTS *
				 sizeof(struct ks_shm_listener_ent),
		       KS_SHM_LINE);
	l->off_shards = off;
	off = align_up(off + (size_t)KS_GENERATIONS * KS_MAX_SHARDS * sizeof(struct ks_shard),
		       KS_SHM_LINE);
	l->off_readers = off;
	off = align_up(off + (size_t)g->max_readers * sizeof(struct ks_shm_reader), KS_SHM_LINE);
	l->off_neigh = off;
	off = align_up(off + sizeof(struct ks_shm_neigh), 4096);
	/* The big sections last, page-aligned. */
	l->off_routes = off;
	off = align_up(
	    off + (size_t)KS_GENERATIONS * l->route_slots * sizeof(struct ks_shm_route_ent), 4096);
	l->stride = align_up(
	    KS_SHM_KEYS_OFF + (size_t)g->stats_slots * sizeof(struct ks_shm_key_slot), 4096);
	l->off_counters = off;
	off += (size_t)g->max_readers * l->stride;
	l->total = align_up(off, HUGE_2M);
}

size_t ks_shm_size(const struct ks_shm_geometry *g)
{
	struct ks_shm_geometry fixed = *g;
	struct layout l;

	if (ks_shm_geometry_fix(&fixed))
		return 0;
	plan(&fixed, &l);
	return l.total;
}

static void init_header(struct ks_shm_header *h, const struct ks_shm_geometry *g,
			const struct layout *l)
{
	h->abi = KS_SHM_ABI;
	h->header_size = sizeof(*h);
	h->total_size = l->total;
	h->route_slots = l->route_slots;
	h->listener_slots = KS_SHM_LISTENER_SLOTS;
	h->max_shards = KS_MAX_SHARDS;
	h->stats_slots = g->stats_slots;
	h->max_readers = g->max_readers;
	h->off_config = l->off_config;
	h->off_listeners = l->off_listeners;
	h->off_routes = l->off_routes;
	h->off_shards = l->off_shards;
	h->off_readers = l->off_readers;
	h->off_counters = l->off_counters;
	h->off_neigh = l->off_neigh;
	h->counters_stride = l->stride;
	h->qsbr.token = 1;
	for (unsigned gen = 0; gen < KS_GENERATIONS; gen++)
		ks_shm_config(h, gen)->gue_port = ks_htons(KS_DEFAULT_GUE_PORT);
	/* The magic last: a file with it is complete. */
	__atomic_store_n(&h->magic, KS_SHM_MAGIC, __ATOMIC_RELEASE);
}

static int mkdir_parents(const char *path)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	if (n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0750) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

static int create_file(const char *path, const struct ks_shm_geometry *g, char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	struct layout l;
	void *base;
	int fd, rc;

	plan(g, &l);
	rc = mkdir_parents(path);
	if (rc)
		return fail(err, errlen, rc, "%s: cannot create its directory: %s", path,
			    strerror(-rc));
	if (snprintf(tmp, sizeof(tmp), "%s.new.%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return fail(err, errlen, -ENAMETOOLONG, "%s: path too long", path);
	fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd < 0)
		return fail(err, errlen, -errno, "%s: %s", tmp, strerror(errno));
	if (ftruncate(fd, (off_t)l.total)) {
		rc = -errno;
		goto bad;
	}
	base = mmap(NULL, l.total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED) {
		rc = -errno;
		goto bad;
	}
	init_header(ks_shm_hdr(base), g, &l);
	munmap(base, l.total);
	close(fd);
	/* link() refuses to replace a table another process created meanwhile. */
	if (link(tmp, path) && errno != EEXIST) {
		rc = -errno;
		unlink(tmp);
		return fail(err, errlen, rc, "%s: %s", path, strerror(-rc));
	}
	unlink(tmp);
	return 0;
bad:
	fail(err, errlen, rc, "%s: %zu bytes: %s", path, l.total, strerror(-rc));
	close(fd);
	unlink(tmp);
	return rc;
}

static int check_header(const struct ks_shm_header *h, size_t size, char *err, size_t errlen)
{
	if (size < sizeof(*h) || h->magic != KS_SHM_MAGIC)
		return fail(err, errlen, -EPROTO, "not a keysteer shared table (bad magic)");
	if (h->abi != KS_SHM_ABI || h->header_size != sizeof(*h))
		return fail(err, errlen, -EPROTO, "shared table ABI %u, this build reads %u",
			    h->abi, KS_SHM_ABI);
	if (h->total_size != size || h->max_shards != KS_MAX_SHARDS ||
	    (h->route_slots & (h->route_slots - 1)) || !h->route_slots ||
	    h->listener_slots != KS_SHM_LISTENER_SLOTS || h->max_readers > KS_SHM_MAX_READERS ||
	    h->off_counters + (size_t)h->max_readers * h->counters_stride > size ||
	    h->off_routes +
		    (size_t)KS_GENERATIONS * h->route_slots * sizeof(struct ks_shm_route_ent) >
		size)
		return fail(err, errlen, -EPROTO, "shared table geometry is inconsistent");
	return 0;
}

int ks_shm_map_open(const char *path, const struct ks_shm_geometry *g, struct ks_shm_map *m,
		    char *err, size_t errlen)
{
	struct ks_shm_geometry fixed;
	struct stat st;
	int rc;

	memset(m, 0, sizeof(*m));
	m->fd = -1;
	m->fd = open(path, O_RDWR | O_CLOEXEC);
	if (m->fd < 0 && errno == ENOENT && g) {
		fixed = *g;
		if (ks_shm_geometry_fix(&fixed))
			return fail(err, errlen, -EINVAL, "%s: geometry out of range", path);
		rc = create_file(path, &fixed, err, errlen);
		if (rc)
			return rc;
		m->fd = open(path, O_RDWR | O_CLOEXEC);
	}
	if (m->fd < 0)
		return fail(err, errlen, -errno, "%s: %s", path, strerror(errno));
	if (fstat(m->fd, &st)) {
		rc = -errno;
		goto bad;
	}
	m->size = (size_t)st.st_size;
	if (m->size < sizeof(struct ks_shm_header)) {
		rc = fail(err, errlen, -EPROTO, "%s: not a keysteer shared table (%zu bytes)", path,
			  m->size);
		goto out;
	}
	m->base = mmap(NULL, m->size, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
	if (m->base == MAP_FAILED) {
		m->base = NULL;
		rc = -errno;
		goto bad;
	}
	m->h = ks_shm_hdr(m->base);
	rc = check_header(m->h, m->size, err, errlen);
	if (rc) {
		char msg[160];

		snprintf(msg, sizeof(msg), "%s", err ? err : "");
		fail(err, errlen, rc, "%s: %s", path, msg);
		goto out;
	}
	return 0;
bad:
	fail(err, errlen, rc, "%s: %s", path, strerror(-rc));
out:
	ks_shm_unmap(m);
	return rc;
}

void ks_shm_unmap(struct ks_shm_map *m)
{
	if (m->base)
		munmap(m->base, m->size);
	if (m->fd >= 0)
		close(m->fd);
	memset(m, 0, sizeof(*m));
	m->fd = -1;
}

int ks_shm_remove(const char *path)
{
	return unlink(path) ? -errno : 0;
}
