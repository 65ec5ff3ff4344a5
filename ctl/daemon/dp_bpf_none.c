/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keysteerd built without the BPF table backend (ctl/backend, ctl/nexthop
 * absent from the tree): only --no-dataplane works.
 */
#include <stdio.h>

#include "daemon/dataplane.h"

struct ks_dataplane *ks_dp_bpf_open(const struct ks_dp_config *cfg, char *err, size_t errlen)
{
	(void)cfg;
	snprintf(err, errlen,
		 "this keysteerd was built without the BPF table backend; "
		 "only --no-dataplane works");
	return NULL;
}
