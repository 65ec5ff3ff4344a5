/* SPDX-License-Identifier: BSD-3-Clause */
#include "flowstore.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <rte_malloc.h>

#define FLOWS_MAGIC 0x31534f4c4653534bULL /* "KSSFLOS1" */
#define FLOWS_HDR   4096
#define HUGE_2M	    (2u << 20)

struct flows_hdr {
	uint64_t magic;
	uint64_t size;
	uint32_t flows, nat_entries;
	uint32_t key4, key6, keynat, val, valnat; /* layouts the entries were written with */
};

struct layout {
	size_t b4, b6, bn, filter, total;
};

static void plan(const struct ks_dp_options *o, struct layout *l)
{
	l->b4 = flowcache_bytes(o->flows);
	l->b6 = l->b4;
	l->bn = flowcache_bytes(o->nat_entries);
	l->filter = KS_DP_NAT_FILTER_WORDS * sizeof(uint64_t);
	l->total = FLOWS_HDR + l->b4 + l->b6 + l->bn + l->filter;
	l->total = (l->total + HUGE_2M - 1) / HUGE_2M * HUGE_2M;
}

static void hdr_of(const struct ks_dp_options *o, const struct layout *l, struct flows_hdr *h)
{
	memset(h, 0, sizeof(*h));
	h->magic = FLOWS_MAGIC;
	h->size = l->total;
	h->flows = o->flows;
	h->nat_entries = o->nat_entries;
	h->key4 = sizeof(struct ks_flow4_key);
	h->key6 = sizeof(struct ks_flow6_key);
	h->keynat = sizeof(struct ks_nat_key);
	h->val = sizeof(struct ks_flow);
	h->valnat = sizeof(struct ks_nat_rev);
}

static void attach(struct ks_dp_app *app, uint8_t *base, const struct layout *l, int fresh)
{
	const struct ks_dp_options *o = &app->opt;

	flowcache_init(&app->flows4, base, o->flows, sizeof(struct ks_flow4_key),
		       sizeof(struct ks_flow), &app->clock, fresh);
	flowcache_init(&app->flows6, base + l->b4, o->flows, sizeof(struct ks_flow6_key),
		       sizeof(struct ks_flow), &app->clock, fresh);
	flowcache_init(&app->nat, base + l->b4 + l->b6, o->nat_entries, sizeof(struct ks_nat_key),
		       sizeof(struct ks_nat_rev), &app->clock, fresh);
	app->nat_filter = (uint64_t *)(base + l->b4 + l->b6 + l->bn);
	if (fresh)
		memset(app->nat_filter, 0, l->filter);
}

int ks_dp_flowstore_open(struct ks_dp_app *app, char *err, size_t errlen)
{
	const char *path = app->opt.flows_file;
	struct flows_hdr want, *h;
	struct layout l;
	struct stat st;
	void *base;
	int fd, fresh;

	plan(&app->opt, &l);
	app->flows_fd = -1;
	if (!strcmp(path, "none")) {
		base = rte_zmalloc("ks_flows", l.total - FLOWS_HDR, RTE_CACHE_LINE_SIZE);
		if (!base) {
			snprintf(err, errlen, "out of memory for the connection tables");
			return -ENOMEM;
		}
		app->flows_mem = base;
		attach(app, base, &l, 1);
		return 0;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0 || fstat(fd, &st)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		snprintf(err, errlen, "%s: in use by another keysteer-dpdk (give --flows-file)",
			 path);
		close(fd);
		return -EBUSY;
	}
	hdr_of(&app->opt, &l, &want);
	fresh = (size_t)st.st_size != l.total;
	if (fresh && ftruncate(fd, 0) == 0 && ftruncate(fd, (off_t)l.total)) {
		snprintf(err, errlen, "%s: %zu bytes: %s", path, l.total, strerror(errno));
		close(fd);
		return -ENOSPC;
	}
	base = mmap(NULL, l.total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED) {
		snprintf(err, errlen, "%s: mmap: %s", path, strerror(errno));
		close(fd);
		return -ENOMEM;
	}
	h = base;
	/* Another geometry or layout: start empty rather than misread. */
	if (memcmp(h, &want, sizeof(want)))
		fresh = 1;
	attach(app, (uint8_t *)base + FLOWS_HDR, &l, fresh);
	*h = want;
	app->flows_fd = fd;
	app->flows_map = base;
	app->flows_size = l.total;
	app->flows_resumed = !fresh;
	return 0;
}

void ks_dp_flowstore_close(struct ks_dp_app *app)
{
	if (app->flows_map)
		munmap(app->flows_map, app->flows_size);
	if (app->flows_fd >= 0)
		close(app->flows_fd);
	rte_free(app->flows_mem);
	app->flows_map = app->flows_mem = NULL;
	app->flows_fd = -1;
}
