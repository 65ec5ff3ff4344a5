/* SPDX-License-Identifier: BSD-3-Clause */
/* A worker lcore's loop (worker.c). */
#ifndef KS_DP_WORKER_H
#define KS_DP_WORKER_H

#include "ks_dp.h"

/* rte_eal_remote_launch entry: arg is the lcore's struct ks_dp_lcore. */
int ks_dp_worker_main(void *arg);

#endif
