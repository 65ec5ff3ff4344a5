/* SPDX-License-Identifier: BSD-3-Clause */
/* keysteer-dpdk's counters on stdout (report.c). */
#ifndef KS_DP_REPORT_H
#define KS_DP_REPORT_H

#include <stdio.h>
#include "ks_dp.h"

/* Ports, queues and lcores, once at start. */
void ks_dp_report_setup(const struct ks_dp_app *app, FILE *f);
/* Frames per verdict and the table's reasons. */
void ks_dp_report(const struct ks_dp_app *app, FILE *f);

#endif
