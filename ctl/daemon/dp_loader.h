/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Thin adapter over the router loader: load and attach the XDP router to
 * the daemon's interfaces (one program per interface) with its maps pinned
 * under the pin root, or re-adopt what a previous keysteerd left running;
 * and detach it on `keysteer detach`.
 */
#ifndef KS_DAEMON_DP_LOADER_H
#define KS_DAEMON_DP_LOADER_H

#include <stddef.h>

#include "daemon/dataplane.h"

struct ksd_loader;

struct ksd_loader *ksd_loader_open(const struct ks_dp_config *cfg, char *err, size_t errlen);
/* Detach from every interface and remove the pinned state. */
int ksd_loader_detach(struct ksd_loader *l, char *err, size_t errlen);
/* Forget; the program and maps stay. */
void ksd_loader_close(struct ksd_loader *l);

#endif
