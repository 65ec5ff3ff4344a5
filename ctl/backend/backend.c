/* SPDX-License-Identifier: BSD-3-Clause */
/* Opening the table backend and reading its applied state. */
#include "backend/backend_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void ks_backend_seterr(struct ks_backend *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b->err, sizeof(b->err), fmt, ap);
	va_end(ap);
}

const char *ks_backend_error(const struct ks_backend *b)
{
	return b->err;
}

__u64 ks_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

void ks_pending_clear(struct ks_pending *p)
{
	free(p->route_upsert_keys);
	free(p->route_upsert_vals);
	free(p->route_delete_keys);
	free(p->release_slots);
	memset(p, 0, sizeof(*p));
}

int ks_backend_open(struct ks_backend **out, const struct ks_backend_opts *opts, char *msg,
		    size_t msglen)
{
	struct ks_backend *b;
	const char *root = opts && opts->pin_root ? opts->pin_root : KS_DEFAULT_PIN_ROOT;
	int err;

	*out = NULL;
	if (strlen(root) >= sizeof(b->pin_root)) {
		snprintf(msg, msglen, "%s: pin root too long", root);
		return -ENAMETOOLONG;
	}
	b = calloc(1, sizeof(*b));
	if (!b) {
		snprintf(msg, msglen, "out of memory");
		return -ENOMEM;
	}
	strcpy(b->pin_root, root);
	b->gue_port = opts && opts->gue_port ? opts->gue_port : KS_DEFAULT_GUE_PORT;
	if (opts) {
		b->nh_lookup = opts->nh_lookup;
		b->nh_ctx = opts->nh_ctx;
		b->write_threads = opts->write_threads;
	}
	err = ks_maps_open(&b->m, root, msg, msglen);
	if (err) {
		free(b);
		return err;
	}
	if (b->m.routes_max < KS_GENERATIONS || b->m.stats_slots < 1) {
		snprintf(msg, msglen, "%s: maps too small (routes %u, slots %u)", root,
			 b->m.routes_max, b->m.stats_slots);
		ks_maps_close(&b->m);
		free(b);
		return -EPROTO;
	}
	err = ks_backend_recover(b);
	if (err) {
		snprintf(msg, msglen, "%s", b->err);
		ks_backend_close(b);
		return err;
	}
	*out = b;
	return 0;
}

void ks_backend_close(struct ks_backend *b)
{
	if (!b)
		return;
	ks_pending_clear(&b->pending);
	ks_route_table_free(&b->routes);
	ks_route_table_free(&b->spare);
	ks_slots_fini(&b->slots);
	ks_maps_close(&b->m);
	free(b);
}

bool ks_backend_reclaim_pending(const struct ks_backend *b)
{
	return b->pending.active;
}

__u64 ks_backend_version(const struct ks_backend *b)
{
	return b->config.version;
}

__u32 ks_backend_active_gen(const struct ks_backend *b)
{
	return b->active;
}

__u32 ks_backend_n_routes(const struct ks_backend *b)
{
	return b->routes.n;
}

__u32 ks_backend_route_capacity(const struct ks_backend *b)
{
	return b->m.routes_max / KS_GENERATIONS;
}

const struct ks_maps *ks_backend_maps(const struct ks_backend *b)
{
	return &b->m;
}

long ks_backend_key_slot(const struct ks_backend *b, __u64 key)
{
	__u32 lo = 0, hi = b->routes.n;

	while (lo < hi) {
		__u32 mid = lo + (hi - lo) / 2;

		if (b->routes.keys[mid] == key)
			return b->routes.routes[mid].stats_slot;
		if (b->routes.keys[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -ENOENT;
}

size_t ks_backend_vips(const struct ks_backend *b, struct ks_nh_target *out, size_t max)
{
	size_t n = 0;

	for (__u32 id = 0; id < b->n_shards; id++) {
		const struct ks_shard *s = &b->shards[id];
		size_t k;

		if (s->family == 0)
			continue;
		for (k = 0; k < n; k++)
			if (out[k].family == s->family &&
			    memcmp(&out[k].addr, &s->vip, sizeof(s->vip)) == 0)
				break;
		if (k < n)
			continue;
		if (n == max)
			break;
		memset(&out[n], 0, sizeof(out[n]));
		out[n].family = s->family;
		out[n].addr = s->vip;
		n++;
	}
	return n;
}
