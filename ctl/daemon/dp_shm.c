/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keysteerd's DPDK data plane: the compiled rule set goes into the shared
 * table (ctl/shmtable) that keysteer-dpdk reads, with the same
 * write-inactive / flip / reclaim steps as the BPF maps. keysteer-dpdk may
 * start before or after keysteerd; either one restarting keeps the table.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/dataplane.h"
#include "daemon/log.h"
#include "shmtable/shm_writer.h"

static struct ks_shm_writer *writer(struct ks_dataplane *dp)
{
	return dp->priv;
}

static int shm_apply(struct ks_dataplane *dp, const struct ks_compiled *c,
		     struct ks_dp_apply_stats *st, char *err, size_t errlen)
{
	struct ks_shm_apply_stats s;
	int rc = ks_shm_apply(writer(dp), c, &s);

	if (rc < 0) {
		snprintf(err, errlen, "%s", ks_shm_error(writer(dp)));
		return rc;
	}
	st->gen = s.gen;
	st->entries_written = (uint64_t)s.route_upserts + s.route_deletes;
	st->full = s.full;
	return 0;
}

static uint64_t shm_active_version(struct ks_dataplane *dp)
{
	return ks_shm_active_version(writer(dp));
}

static int shm_lookup(struct ks_dataplane *dp, uint64_t key, struct ks_dp_lookup *out)
{
	struct ks_shm_lookup lk;
	int rc = ks_shm_lookup(writer(dp), key, &lk);

	if (rc < 0)
		return rc;
	out->gen = lk.gen;
	out->version = lk.version;
	out->default_action = lk.default_action;
	out->found = lk.found;
	out->route = lk.route;
	memcpy(out->targets, lk.targets, sizeof(out->targets));
	out->shadow = lk.shadow;
	return 0;
}

static int shm_read_reasons(struct ks_dataplane *dp, struct ks_counter *out)
{
	return ks_shm_read_reasons(ks_shm_writer_header(writer(dp)), out);
}

static int shm_read_shards(struct ks_dataplane *dp, struct ks_counter *out, uint32_t n)
{
	return ks_shm_read_shards(ks_shm_writer_header(writer(dp)), out, n);
}

static int shm_read_keys(struct ks_dataplane *dp, struct ks_key_stats *out, uint32_t n)
{
	return ks_shm_read_keys(ks_shm_writer_header(writer(dp)), out, n);
}

/* keysteer-dpdk owns its ports; "detach" leaves the table as it is. */
static int shm_detach(struct ks_dataplane *dp, char *err, size_t errlen)
{
	(void)dp;
	snprintf(err, errlen, "the DPDK data plane is stopped by stopping keysteer-dpdk");
	return -EOPNOTSUPP;
}

static long shm_key_slot(struct ks_dataplane *dp, uint64_t key)
{
	long slot = ks_shm_key_slot(writer(dp), key);

	return slot < 0 ? -1 : slot;
}

static uint64_t shm_rollback_floor(struct ks_dataplane *dp)
{
	return ks_shm_rollback_floor(writer(dp));
}

static int shm_set_rollback_floor(struct ks_dataplane *dp, uint64_t floor, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	ks_shm_set_rollback_floor(writer(dp), floor);
	return 0;
}

static void shm_reclaim(struct ks_dataplane *dp)
{
	if (ks_shm_reclaim(writer(dp)) < 0)
		ks_warn("DPDK table: reclaim: %s (retried on the next apply)",
			ks_shm_error(writer(dp)));
}

static void shm_close(struct ks_dataplane *dp)
{
	ks_shm_close_writer(writer(dp));
	free(dp);
}

static const struct ks_dataplane_ops shm_ops = {
    .name = "dpdk",
    .apply = shm_apply,
    .active_version = shm_active_version,
    .lookup = shm_lookup,
    .reason_name = ks_shm_reason_name,
    .read_reasons = shm_read_reasons,
    .read_shards = shm_read_shards,
    .read_keys = shm_read_keys,
    .detach = shm_detach,
    .key_slot = shm_key_slot,
    .rollback_floor = shm_rollback_floor,
    .set_rollback_floor = shm_set_rollback_floor,
    .reclaim = shm_reclaim,
    .close = shm_close,
};

struct ks_dataplane *ks_dp_shm_open(const char *path, uint32_t max_routes, char *err, size_t errlen)
{
	struct ks_shm_geometry g = {.max_routes = max_routes / 2, .max_readers = 64};
	struct ks_shm_writer_opts o = {.create = &g};
	struct ks_dataplane *dp = calloc(1, sizeof(*dp));

	if (!dp) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	dp->ops = &shm_ops;
	dp->priv = ks_shm_open_writer(path, &o, err, errlen);
	if (!dp->priv) {
		free(dp);
		return NULL;
	}
	ks_info("DPDK data plane: shared table %s, version %llu active", path,
		(unsigned long long)ks_shm_active_version(dp->priv));
	return dp;
}
