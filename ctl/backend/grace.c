/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An RCU grace period from userspace. XDP programs run inside an RCU
 * read-side section (NAPI softirq with preemption disabled), so once a grace
 * period has passed after the ks_active flip, no packet can still be in the
 * middle of using the old generation.
 *
 * membarrier(MEMBARRIER_CMD_GLOBAL) is documented to wait for one
 * (synchronize_rcu()) on every kernel we run. It is refused on nohz_full
 * kernels; there, replacing an entry of a map-in-map, which the kernel
 * follows with synchronize_rcu() before returning, does the same.
 */
#include "backend/backend_int.h"

#include <errno.h>
#include <unistd.h>
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>

static int grace_by_map_in_map(void)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts);
	int inner, outer, err = 0;
	__u32 k = 0;

	inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, "ks_grace_in", 4, 4, 1, NULL);
	if (inner < 0)
		return -errno;
	opts.inner_map_fd = inner;
	outer = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "ks_grace", 4, 4, 1, &opts);
	if (outer < 0) {
		err = -errno;
		close(inner);
		return err;
	}
	if (bpf_map_update_elem(outer, &k, &inner, BPF_ANY))
		err = -errno;
	close(outer);
	close(inner);
	return err;
}

int ks_rcu_grace(void)
{
	if (syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0) == 0)
		return 0;
	return grace_by_map_in_map();
}
