/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Quiescent-state based reclamation across processes, the scheme of DPDK's
 * rte_rcu_qsbr, with its state in the shared table so that a writer that is
 * not a DPDK process (keysteerd) can wait for the DPDK lcores:
 *
 *   token         a 64-bit counter in the header, starting at 1
 *   reader slot   `seen`: 0 while the thread is offline, else the last token
 *                 it observed at a quiescent point
 *
 * A fast-path thread registers once (a free slot, claimed by CAS), goes
 * online, and after every burst reports a quiescent state: it holds no
 * reference into the tables between bursts, so it loads the token and
 * publishes it (store-release, after every read of the burst). A writer that
 * has flipped the active generation bumps the token to t (after the flip) and
 * waits until every online slot has seen >= t: each such thread has passed a
 * quiescent point after the flip, so none can still be reading the old
 * generation, which may then be rewritten.
 *
 * Cost per burst: one load of a line that changes only on flips, one store
 * to the thread's own line. No system calls.
 *
 * A reader that dies without going offline would block writers forever:
 * writers check the owner process of every slot they wait for (pid and start
 * time, so a reused pid does not count) and free the slots of dead owners
 * (shm_qsbr.c). A reader that lives but stops reporting (stopped with
 * SIGSTOP, say) makes the wait time out: the writer reports it and the
 * reconciliation stays pending, never unsafe.
 */
#ifndef KS_SHM_QSBR_H
#define KS_SHM_QSBR_H

#include "shmtable/shm_layout.h"

/* Fast-path side: inline, no system calls. */
static inline void ks_shm_reader_quiescent(struct ks_shm_header *h, __u32 slot)
{
	struct ks_shm_reader *r = &ks_shm_readers(h)[slot];
	__u64 t = __atomic_load_n(&h->qsbr.token, __ATOMIC_ACQUIRE);

	__atomic_store_n(&r->seen, t, __ATOMIC_RELEASE);
}

static inline void ks_shm_reader_online(struct ks_shm_header *h, __u32 slot)
{
	struct ks_shm_reader *r = &ks_shm_readers(h)[slot];

	/*
	 * Going online must be visible before the first read of the tables:
	 * a writer that misses it might rewrite what this thread reads next.
	 */
	__atomic_store_n(&r->seen, __atomic_load_n(&h->qsbr.token, __ATOMIC_ACQUIRE),
			 __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static inline void ks_shm_reader_offline(struct ks_shm_header *h, __u32 slot)
{
	__atomic_store_n(&ks_shm_readers(h)[slot].seen, 0, __ATOMIC_RELEASE);
}

/* Registration (once per thread; not on the packet path). */

/* Claim a free reader slot for this process: the slot index, or -ENOSPC. */
int ks_shm_reader_register(struct ks_shm_header *h, __u32 lcore);
/* Go offline and give the slot back. Its counters stay (they are sums). */
void ks_shm_reader_unregister(struct ks_shm_header *h, __u32 slot);

/* Writer side. */

/* After a flip: a new token that every online reader must reach. */
__u64 ks_shm_qsbr_start(struct ks_shm_header *h);

/*
 * Wait until every online reader has seen `token`, freeing the slots of dead
 * processes. 0, or -ETIMEDOUT after timeout_ms (a live reader that does not
 * report). *freed counts dead readers' slots freed (may be NULL).
 */
int ks_shm_qsbr_wait(struct ks_shm_header *h, __u64 token, unsigned timeout_ms, unsigned *freed);

/* Start time of a process (clock ticks since boot, /proc/PID/stat), 0 if gone. */
__u64 ks_shm_proc_start(int pid);

#endif /* KS_SHM_QSBR_H */
