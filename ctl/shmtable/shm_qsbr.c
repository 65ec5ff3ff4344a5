/* SPDX-License-Identifier: BSD-3-Clause */
#include "shmtable/shm_qsbr.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sched.h>

__u64 ks_shm_proc_start(int pid)
{
	char path[64], buf[1024];
	unsigned long long start = 0;
	const char *p;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	/* The command name may hold spaces and parentheses: skip to the last ')'. */
	p = strrchr(buf, ')');
	if (!p)
		return 0;
	/* Fields after the name: state is field 3, starttime field 22. */
	if (sscanf(p + 2,
		   "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d "
		   "%*d %llu",
		   &start) != 1)
		return 0;
	return start;
}

int ks_shm_reader_register(struct ks_shm_header *h, __u32 lcore)
{
	struct ks_shm_reader *rs = ks_shm_readers(h);
	int pid = getpid();
	__u64 start = ks_shm_proc_start(pid);

	for (__u32 i = 0; i < h->max_readers; i++) {
		__u32 free_ = 0;

		if (__atomic_load_n(&rs[i].used, __ATOMIC_RELAXED))
			continue;
		if (!__atomic_compare_exchange_n(&rs[i].used, &free_, 1, 0, __ATOMIC_ACQ_REL,
						 __ATOMIC_RELAXED))
			continue;
		rs[i].owner = (__u32)pid;
		rs[i].start = start;
		rs[i].lcore = lcore;
		__atomic_store_n(&rs[i].seen, 0, __ATOMIC_RELEASE);
		return (int)i;
	}
	return -ENOSPC;
}

void ks_shm_reader_unregister(struct ks_shm_header *h, __u32 slot)
{
	struct ks_shm_reader *r = &ks_shm_readers(h)[slot];

	ks_shm_reader_offline(h, slot);
	r->owner = 0;
	r->start = 0;
	__atomic_store_n(&r->used, 0, __ATOMIC_RELEASE);
}

__u64 ks_shm_qsbr_start(struct ks_shm_header *h)
{
	/* Sequentially consistent: ordered after the flip's store. */
	return __atomic_add_fetch(&h->qsbr.token, 1, __ATOMIC_SEQ_CST);
}

static int owner_dead(const struct ks_shm_reader *r)
{
	__u64 start;

	if (r->owner == 0)
		return 0; /* being registered right now */
	if (kill((pid_t)r->owner, 0) < 0 && errno == ESRCH)
		return 1;
	start = ks_shm_proc_start((int)r->owner);
	return start && r->start && start != r->start;
}

static __u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000 + (__u64)ts.tv_nsec / 1000000;
}

int ks_shm_qsbr_wait(struct ks_shm_header *h, __u64 token, unsigned timeout_ms, unsigned *freed)
{
	struct ks_shm_reader *rs = ks_shm_readers(h);
	__u64 deadline = now_ms() + timeout_ms;
	unsigned n_freed = 0;
	int rc = 0;

	for (__u32 i = 0; i < h->max_readers; i++) {
		for (unsigned spins = 0;; spins++) {
			__u64 seen = __atomic_load_n(&rs[i].seen, __ATOMIC_ACQUIRE);

			if (seen == 0 || seen >= token)
				break;
			/* Every 1024 spins: is the owner still there? Is time up? */
			if ((spins & 1023) == 1023) {
				if (owner_dead(&rs[i])) {
					ks_shm_reader_unregister(h, i);
					n_freed++;
					break;
				}
				if (now_ms() > deadline) {
					rc = -ETIMEDOUT;
					goto out;
				}
				sched_yield();
			}
		}
	}
out:
	if (freed)
		*freed = n_freed;
	/* Pairs with the readers' release stores: their reads happened before. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return rc;
}
