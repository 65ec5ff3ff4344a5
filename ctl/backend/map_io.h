/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Batched map I/O with a count of bpf() calls, so the backend can report what
 * an apply cost. Large writes go through BPF_MAP_*_BATCH in chunks.
 */
#ifndef KS_BACKEND_MAP_IO_H
#define KS_BACKEND_MAP_IO_H

#include <linux/types.h>
#include <stddef.h>

#define KS_BATCH_CHUNK 65536u

/* Write n key/value pairs. 0 or -errno. */
int ks_map_write(int fd, const void *keys, size_t key_size, const void *vals, size_t val_size,
		 __u32 n, __u32 *calls);

/*
 * ks_map_write on up to `threads` threads (the caller's among them), each
 * writing a contiguous part: for the large upserts of a full apply, which the
 * kernel takes element by element under per-bucket locks, so that two threads
 * write a hash about twice as fast as one (make bench-ctl, a full change of
 * 1M routes: 550 ms on one thread, 321 ms on two). Below KS_PAR_WRITE_MIN pairs, or when a thread
 * cannot be started, the parts are written on the caller's thread. The
 * pairs must be for distinct keys (the parts land in any order). 0 or the
 * first part's -errno; on failure some of the pairs may have been written.
 */
#define KS_PAR_WRITE_MIN 32768u
#define KS_PAR_WRITE_MAX 8u
int ks_map_write_par(int fd, const void *keys, size_t key_size, const void *vals, size_t val_size,
		     __u32 n, unsigned threads, __u32 *calls);

/* Delete n keys; keys already absent are skipped. 0 or -errno. */
int ks_map_delete(int fd, const void *keys, size_t key_size, __u32 n, __u32 *calls);

/*
 * Read a whole hash map: calls fn(key, value, arg) for every entry; a nonzero
 * return stops the walk and is returned. 0 or -errno.
 */
int ks_map_walk(int fd, size_t key_size, size_t val_size,
		int (*fn)(const void *key, const void *val, void *arg), void *arg);

/*
 * Read n consecutive entries [first, first + n) of an array map into vals
 * (val_size each; per-CPU maps: val_size covers every CPU). 0 or -errno.
 */
int ks_array_read(int fd, __u32 first, __u32 n, void *vals, size_t val_size);

/* Zero the given slots of a per-CPU array on every CPU. 0 or -errno. */
int ks_percpu_zero(int fd, const __u32 *idx, __u32 n, size_t val_size, int ncpus, __u32 *calls);

/* Per-CPU value stride: each CPU's copy is 8-byte aligned. */
static inline size_t ks_percpu_stride(size_t val_size)
{
	return (val_size + 7) & ~(size_t)7;
}

#endif
