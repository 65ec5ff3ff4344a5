/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The BPF data plane: an adapter from keysteerd's data-plane operations to
 * the table backend (ctl/backend), the router loader and the next-hop
 * resolver (ctl/nexthop). The resolver's netlink socket and a refresh timer
 * are watched on the daemon's loop; next-hop changes go to the backend,
 * which writes them through the same generation flip as rule sets.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "backend/backend.h"
#include "backend/counters.h"
#include "backend/ctl_state.h"
#include "backend/map_io.h"
#include "backend/nh_glue.h"
#include "daemon/dataplane.h"
#include "daemon/dp_loader.h"
#include "daemon/log.h"
#include "daemon/loop.h"
#include "nexthop/nexthop.h"

#define NH_REFRESH_S 5

struct dp_bpf {
	struct ks_backend *b;
	struct ks_nh_resolver *nh;
	struct ks_loop *loop;
	struct ks_loop_watch *nh_watch, *timer_watch;
	int tfd;
	struct ksd_loader *loader;
	struct ks_nh_glue *glue; /* resolver <-> backend (ctl/backend/nh_glue.h) */
	char *pin_root;		 /* where keysteerd's state is pinned beside the tables */
};

static void on_netlink(struct ks_loop *loop, struct ks_loop_watch *w, int fd, uint32_t revents,
		       void *arg)
{
	struct dp_bpf *p = arg;
	unsigned changed = 0;
	(void)loop;
	(void)w;
	(void)fd;
	(void)revents;
	if (ks_nh_glue_process(p->glue, &changed) < 0)
		ks_warn("next hops: %s", ks_backend_error(p->b));
	else if (changed)
		ks_info("next hops: %u shard entries updated", changed);
}

static void on_refresh(struct ks_loop *loop, struct ks_loop_watch *w, int fd, uint32_t revents,
		       void *arg)
{
	struct dp_bpf *p = arg;
	uint64_t ticks;
	unsigned changed = 0;
	(void)loop;
	(void)w;
	(void)revents;
	if (read(fd, &ticks, sizeof(ticks)) < 0)
		return;
	if (ks_nh_glue_refresh(p->glue, &changed) == 0 && changed)
		ks_info("next hops: %u shard entries updated", changed);
}

static int bpf_apply(struct ks_dataplane *dp, const struct ks_compiled *c,
		     struct ks_dp_apply_stats *st, char *err, size_t errlen)
{
	struct dp_bpf *p = dp->priv;
	struct ks_apply_stats as;
	/* Resolve the VIPs of c's shards before writing, so the flip carries them. */
	if (p->nh && ks_nh_glue_track(p->glue, c) < 0)
		ks_warn("next hops: cannot track the shard VIPs");
	int rc = ks_backend_apply(p->b, c, &as);
	if (rc < 0) {
		snprintf(err, errlen, "%s", ks_backend_error(p->b));
		return rc;
	}
	st->gen = as.gen;
	st->entries_written =
	    as.route_upserts + as.route_deletes + as.listener_writes + as.shard_writes;
	st->full = false;
	return 0;
}

static void bpf_reclaim(struct ks_dataplane *dp)
{
	struct dp_bpf *p = dp->priv;
	struct ks_reclaim_stats rs;
	if (ks_backend_reclaim(p->b, &rs) < 0)
		ks_warn("reclaim: %s (retried on the next apply)", ks_backend_error(p->b));
}

static uint64_t bpf_active_version(struct ks_dataplane *dp)
{
	struct dp_bpf *p = dp->priv;
	return ks_backend_version(p->b);
}

static int bpf_lookup(struct ks_dataplane *dp, uint64_t key, struct ks_dp_lookup *out)
{
	struct dp_bpf *p = dp->priv;
	const struct ks_maps *m = ks_backend_maps(p->b);
	struct ks_config cfg;
	__u32 gen;

	memset(out, 0, sizeof(*out));
	/* Read the tables the way the fast path does: active generation first. */
	int rc = ks_stats_active(m, &gen, &cfg);
	if (rc < 0)
		return rc;
	if (!cfg.version)
		return -ENOENT;
	out->gen = gen;
	out->version = cfg.version;
	out->default_action = cfg.default_action;
	if (bpf_map_lookup_elem(m->routes[gen & (KS_GENERATIONS - 1)], &key, &out->route) < 0)
		return errno == ENOENT ? 0 : -errno;
	out->found = true;
	for (unsigned i = 0; i < out->route.n_targets && i < KS_MAX_TARGETS; i++) {
		__u32 idx = gen * KS_MAX_SHARDS + out->route.t[i].shard;
		bpf_map_lookup_elem(m->shards, &idx, &out->targets[i]);
	}
	if (out->route.shadow_shard != KS_NO_SHARD) {
		__u32 idx = gen * KS_MAX_SHARDS + out->route.shadow_shard;
		bpf_map_lookup_elem(m->shards, &idx, &out->shadow);
	}
	return 0;
}

static int bpf_read_reasons(struct ks_dataplane *dp, struct ks_counter *out)
{
	struct dp_bpf *p = dp->priv;
	return ks_stats_reasons(ks_backend_maps(p->b), out);
}

static int bpf_read_shards(struct ks_dataplane *dp, struct ks_counter *out, uint32_t n)
{
	struct dp_bpf *p = dp->priv;
	if (n < KS_MAX_SHARDS)
		return -EINVAL;
	return ks_stats_shards(ks_backend_maps(p->b), out);
}

static int bpf_read_keys(struct ks_dataplane *dp, struct ks_key_stats *out, uint32_t n)
{
	struct dp_bpf *p = dp->priv;
	const struct ks_maps *m = ks_backend_maps(p->b);
	const uint32_t chunk = 4096;
	size_t per = ks_percpu_stride(sizeof(struct ks_key_stats)) * (size_t)m->ncpus;
	if (n > m->stats_slots)
		n = m->stats_slots;
	char *raw = malloc(chunk * per);
	if (!raw)
		return -ENOMEM;
	int rc = 0;
	for (uint32_t first = 0; first < n && rc == 0; first += chunk) {
		uint32_t cnt = n - first < chunk ? n - first : chunk;
		rc = ks_array_read(m->key_stats, first, cnt, raw, per);
		for (uint32_t i = 0; rc == 0 && i < cnt; i++) {
			struct ks_key_stats *o = &out[first + i];
			memset(o, 0, sizeof(*o));
			for (int cpu = 0; cpu < m->ncpus; cpu++) {
				const __u64 *v =
				    (const __u64 *)(raw + i * per +
						    (size_t)cpu * ks_percpu_stride(sizeof(*o)));
				__u64 *d = (__u64 *)o;
				for (size_t f = 0; f < sizeof(*o) / sizeof(__u64); f++)
					d[f] += v[f];
			}
		}
	}
	free(raw);
	return rc;
}

static long bpf_key_slot(struct ks_dataplane *dp, uint64_t key)
{
	struct dp_bpf *p = dp->priv;
	long s = ks_backend_key_slot(p->b, key);
	return s < 0 ? -1 : s;
}

static int bpf_detach(struct ks_dataplane *dp, char *err, size_t errlen)
{
	struct dp_bpf *p = dp->priv;
	return ksd_loader_detach(p->loader, err, errlen);
}

static uint64_t bpf_rollback_floor(struct ks_dataplane *dp)
{
	struct dp_bpf *p = dp->priv;
	struct ks_ctl_state st;
	char msg[512] = "";

	if (ks_ctl_state_read(p->pin_root, &st, msg, sizeof(msg)) < 0) {
		ks_warn("rollback floor: %s (taking the active version as the floor)", msg);
		return 0;
	}
	return st.rollback_floor;
}

static int bpf_set_rollback_floor(struct ks_dataplane *dp, uint64_t floor, char *err, size_t errlen)
{
	struct dp_bpf *p = dp->priv;
	struct ks_ctl_state st;

	if (ks_ctl_state_read(p->pin_root, &st, err, errlen) < 0)
		return -1;
	st.rollback_floor = floor;
	return ks_ctl_state_write(p->pin_root, &st, err, errlen) < 0 ? -1 : 0;
}

static void bpf_close(struct ks_dataplane *dp)
{
	struct dp_bpf *p = dp->priv;
	ks_loop_del(p->loop, p->nh_watch);
	ks_loop_del(p->loop, p->timer_watch);
	if (p->tfd >= 0)
		close(p->tfd);
	if (p->nh)
		ks_nh_close(p->nh);
	if (p->b)
		ks_backend_close(p->b);
	ksd_loader_close(p->loader);
	ks_nh_glue_free(p->glue);
	free(p->pin_root);
	free(p);
	free(dp);
}

static const struct ks_dataplane_ops bpf_ops = {
    .name = "bpf",
    .apply = bpf_apply,
    .active_version = bpf_active_version,
    .lookup = bpf_lookup,
    .reason_name = ks_reason_name,
    .read_reasons = bpf_read_reasons,
    .read_shards = bpf_read_shards,
    .read_keys = bpf_read_keys,
    .detach = bpf_detach,
    .key_slot = bpf_key_slot,
    .rollback_floor = bpf_rollback_floor,
    .set_rollback_floor = bpf_set_rollback_floor,
    .reclaim = bpf_reclaim,
    .close = bpf_close,
};

struct ks_dataplane *ks_dp_bpf_open(const struct ks_dp_config *cfg, char *err, size_t errlen)
{
	struct ks_dataplane *dp = calloc(1, sizeof(*dp));
	struct dp_bpf *p = calloc(1, sizeof(*p));
	if (!dp || !p) {
		free(dp);
		free(p);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	dp->ops = &bpf_ops;
	dp->priv = p;
	p->loop = cfg->loop;
	p->tfd = -1;
	p->pin_root = strdup(cfg->pin_root);
	if (!p->pin_root) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}

	/* Load and attach the router, or re-adopt the one already running. */
	p->loader = ksd_loader_open(cfg, err, errlen);
	if (!p->loader)
		goto fail;

	char msg[512];
	p->glue = ks_nh_glue_new();
	if (!p->glue) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	p->nh = ks_nh_open(ks_nh_glue_changed, p->glue, msg, sizeof(msg));
	if (p->nh)
		ks_nh_glue_set_resolver(p->glue, p->nh);
	else
		ks_warn("next-hop resolver unavailable (%s): shards stay unresolved", msg);

	struct ks_backend_opts bo = {
	    .pin_root = cfg->pin_root,
	    .nh_lookup = ks_nh_glue_lookup,
	    .nh_ctx = p->glue,
	    .write_threads = cfg->write_threads,
	};
	int rc = ks_backend_open(&p->b, &bo, msg, sizeof(msg));
	if (rc < 0) {
		snprintf(err, errlen, "table backend: %s", msg);
		goto fail;
	}
	ks_nh_glue_set_backend(p->glue, p->b);
	/* Keep tracking the VIPs of the adopted tables. */
	if (p->nh) {
		struct ks_nh_target t[KS_MAX_SHARDS];
		size_t n = ks_backend_vips(p->b, t, KS_MAX_SHARDS);
		if (n)
			ks_nh_track(p->nh, t, n);
		p->nh_watch = ks_loop_add(p->loop, ks_nh_fd(p->nh), POLLIN, on_netlink, p);
		p->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		struct itimerspec its = {.it_interval = {NH_REFRESH_S, 0},
					 .it_value = {NH_REFRESH_S, 0}};
		if (p->tfd >= 0 && timerfd_settime(p->tfd, 0, &its, NULL) == 0)
			p->timer_watch = ks_loop_add(p->loop, p->tfd, POLLIN, on_refresh, p);
	}
	return dp;
fail:
	bpf_close(dp);
	return NULL;
}
