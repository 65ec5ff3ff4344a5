/* SPDX-License-Identifier: BSD-3-Clause */
/* Ports and queues of keysteer-dpdk: see ports.c for the RX/TX queue plan. */
#ifndef KS_DP_PORTS_H
#define KS_DP_PORTS_H

#include <stddef.h>
#include "ks_dp.h"

/* Configure and start every probed port. 0 or -errno with a message. */
int ks_dp_ports_setup(struct ks_dp_app *app, unsigned workers, char *err, size_t errlen);
/* Deal (port, queue) pairs and TX queues to the workers (app->workers filled). */
void ks_dp_ports_assign(struct ks_dp_app *app);
void ks_dp_ports_close(struct ks_dp_app *app);

#endif
