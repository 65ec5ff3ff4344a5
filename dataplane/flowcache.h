/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keysteer-dpdk's connection and NAT-reverse tables: what the XDP router
 * keeps in LRU hash maps (ks_flows4/6, ks_nat_rev), for all lcores of the
 * process. A NAT reply comes back with another 5-tuple, so RSS may put it on
 * another lcore than the packet that created the entry: the tables are
 * shared, not per lcore.
 *
 * Set-associative: a key hashes to one bucket of FC_WAYS entries. Lookups are
 * lock-free (a per-bucket sequence count: read, copy out, re-check); inserts
 * and updates, one per new connection, take the bucket's spinlock. A full
 * bucket evicts its least recently used entry (a coarse clock stamped on
 * every hit), which approximates the kernel's LRU maps closely enough: both
 * only promise that recently used entries stay.
 */
#ifndef KS_DP_FLOWCACHE_H
#define KS_DP_FLOWCACHE_H

#include <stddef.h>
#include <stdint.h>

#define FC_WAYS	   4
#define FC_KEY_MAX 40
#define FC_VAL_MAX 40

struct fc_entry {
	uint8_t key[FC_KEY_MAX];
	uint8_t val[FC_VAL_MAX];
};

struct fc_bucket {
	uint32_t seq; /* odd while a writer changes the bucket */
	uint32_t lock;
	uint32_t tag[FC_WAYS];	 /* hash | 1 of the way's key; 0 = empty */
	uint32_t stamp[FC_WAYS]; /* last use, for eviction */
	uint32_t pad[6];
	struct fc_entry e[FC_WAYS];
} __attribute__((aligned(64)));

struct flowcache {
	struct fc_bucket *b;
	uint32_t mask; /* buckets - 1 */
	uint16_t key_size, val_size;
	volatile uint32_t *clock; /* coarse time, advanced by the main lcore */
};

/* Buckets for about `entries` entries (a power of two), in memory from alloc. */
size_t flowcache_bytes(uint32_t entries);
/*
 * Use mem as the table. `fresh`: empty it; otherwise keep its entries (a
 * restart on a file-backed table) and release what a process that died
 * inside a write left held: locks, odd sequence counts.
 */
void flowcache_init(struct flowcache *fc, void *mem, uint32_t entries, uint16_t key_size,
		    uint16_t val_size, volatile uint32_t *clock, int fresh);

/* Copy the value of key into val: 1 found, 0 not. */
int flowcache_get(const struct flowcache *fc, const void *key, void *val);
/* Insert or replace. */
void flowcache_put(struct flowcache *fc, const void *key, const void *val);
/*
 * Change one byte of an existing entry's value (the connection's state):
 * 1 done, 0 not there.
 */
int flowcache_set_byte(struct flowcache *fc, const void *key, size_t off, uint8_t byte);
/* Forget everything (tests). */
void flowcache_clear(struct flowcache *fc);

#endif /* KS_DP_FLOWCACHE_H */
