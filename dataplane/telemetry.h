/* SPDX-License-Identifier: BSD-3-Clause */
/* keysteer-dpdk's DPDK telemetry commands (telemetry.c). */
#ifndef KS_DP_TELEMETRY_H
#define KS_DP_TELEMETRY_H

#include "ks_dp.h"

/* Register /keysteer/... commands for app (call once, after rte_eal_init). 0 or -1. */
int ks_dp_telemetry_register(struct ks_dp_app *app);

#endif
