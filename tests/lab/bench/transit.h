/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared by ks_transit.bpf.c and `ks-lab-bench transit`: the histogram's shape. */
#ifndef KS_LAB_TRANSIT_H
#define KS_LAB_TRANSIT_H

#define TRANSIT_STEP_NS 50    /* bucket width */
#define TRANSIT_BUCKETS 20000 /* 0..1 ms; the last bucket holds everything longer */

#endif
