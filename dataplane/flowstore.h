/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Where keysteer-dpdk keeps its connection and NAT tables (flowcache.h): a
 * file next to the shared table (--flows-file, default TABLE.flows), so that
 * a restarted keysteer-dpdk finds every pinned connection and NAT
 * translation where it left them, like the XDP router's pinned maps. The
 * file is held with flock() for the process's life: one keysteer-dpdk per
 * file. "--flows-file none" keeps them in process memory instead.
 */
#ifndef KS_DP_FLOWSTORE_H
#define KS_DP_FLOWSTORE_H

#include <stddef.h>
#include "ks_dp.h"

/* Map (or allocate) the tables and fill app->flows4/flows6/nat/nat_filter. 0 or -errno. */
int ks_dp_flowstore_open(struct ks_dp_app *app, char *err, size_t errlen);
void ks_dp_flowstore_close(struct ks_dp_app *app);

#endif
