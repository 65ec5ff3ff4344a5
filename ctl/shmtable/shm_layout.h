/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The shared table: one file (tmpfs under /run/keysteer, or hugetlbfs) that
 * the controller writes and the DPDK fast path maps and reads. It holds the
 * same records as the BPF maps (include/keysteer/table.h), in both
 * generations, plus what the two sides exchange besides the rules:
 *
 *   header            sizes, section offsets, writer bookkeeping
 *   active            the generation readers use (one 32-bit store flips it)
 *   qsbr token        quiescent-state counter (shm_qsbr.h)
 *   config[2]         struct ks_config per generation
 *   listeners[2][L]   open-addressing hash of (address, port, proto, family)
 *   routes[2][R]      open-addressing hash of routing keys, one cache line each
 *   shards[2][4096]   struct ks_shard, next-hop block included
 *   readers[N]        one slot per fast-path thread: quiescent state, owner
 *   counters[N]       per reader: reasons, shards, key slots (like the per-CPU maps)
 *   neighbours        what the fast path knows about its ports and next hops
 *
 * Everything is fixed-size and position-independent (offsets, no pointers),
 * so both processes may map it anywhere. The layout is versioned by
 * KS_SHM_ABI; a reader refuses a file of another ABI.
 */
#ifndef KS_SHM_LAYOUT_H
#define KS_SHM_LAYOUT_H

#include <stddef.h>
#include <keysteer/table.h>

#define KS_SHM_MAGIC 0x3142544d48534b53ULL /* "KSSHMTB1" little-endian */
#define KS_SHM_ABI   2

#define KS_SHM_LINE	      64
#define KS_SHM_LISTENER_SLOTS 512 /* per generation: 2 x KS_MAX_LISTENERS */
#define KS_SHM_MAX_PORTS      32
#define KS_SHM_MAX_NEIGH      256
#define KS_SHM_MAX_READERS    64

/* One route: a cache line. used = 0 marks an empty slot (key 0 is a valid key). */
struct ks_shm_route_ent {
	__u64 key;
	__u32 used;
	struct ks_route route;
	__u32 pad[2];
};
KS_STATIC_ASSERT(sizeof(struct ks_shm_route_ent) == KS_SHM_LINE, "route entry is one line");

struct ks_shm_listener_ent {
	struct ks_listener_key key; /* gen is always 0 here: generations are separate tables */
	__u32 used;
	__u32 id;
};
KS_STATIC_ASSERT(sizeof(struct ks_shm_listener_ent) == 32, "listener entry layout");

/*
 * A fast-path thread's quiescent-state slot. `seen` is the last token the
 * thread observed at a quiescent point, 0 while it is offline. `owner` and
 * `start` (the process's start time in clock ticks since boot) let a writer
 * recognise the slot of a process that died without going offline.
 */
struct ks_shm_reader {
	__u64 seen;
	__u32 used;
	__u32 owner;
	__u64 start;
	__u32 lcore; /* for humans: which thread of the owner */
	__u32 pad[9];
};
KS_STATIC_ASSERT(sizeof(struct ks_shm_reader) == KS_SHM_LINE, "reader slot is one line");

/* A fast-path port as the writer needs it for next hops. */
struct ks_shm_port {
	__u8 mac[6];
	__u16 mtu;
	__u32 used;
};

/* A neighbour: `mac` on port `port` answers for `ip` (all-zero mac: not resolved yet). */
struct ks_shm_neigh_ent {
	struct ks_addr ip;
	__u8 family;
	__u8 port;
	__u8 mac[6];
};

/*
 * The fast path's view of the network, published by keysteer-dpdk (from its
 * --neigh/--gw/--src options and its ports) so that whoever writes a
 * generation can fill the shards' next-hop blocks. Written under the writer
 * lock only.
 */
struct ks_shm_neigh {
	__u32 n_neigh;
	__u32 n_ports;
	__u64 epoch; /* bumped on every change */
	struct ks_addr src4, src6;
	struct ks_addr gw4, gw6;
	__u8 has_src4, has_src6, has_gw4, has_gw6;
	__u32 pad;
	struct ks_shm_port ports[KS_SHM_MAX_PORTS];
	struct ks_shm_neigh_ent neigh[KS_SHM_MAX_NEIGH];
};

struct ks_shm_header {
	__u64 magic;
	__u32 abi;
	__u32 header_size;
	__u64 total_size;

	/* Geometry, fixed at creation. */
	__u32 route_slots;    /* per generation, a power of two */
	__u32 listener_slots; /* per generation, a power of two */
	__u32 max_shards;     /* KS_MAX_SHARDS */
	__u32 stats_slots;    /* key counter slots (the last one is shared overflow) */
	__u32 max_readers;
	__u32 pad0;

	/* Section offsets from the start of the file. */
	__u64 off_config, off_listeners, off_routes, off_shards;
	__u64 off_readers, off_counters, off_neigh;
	__u64 counters_stride; /* bytes of one reader's counters */

	/*
	 * Writer bookkeeping (under the writer lock). `pending` is 1 between a
	 * flip and the reconciliation of the old generation; `writes` counts
	 * changes of the route tables so that a writer notices another's.
	 */
	__u64 version[KS_GENERATIONS];
	__u32 pending;
	__u32 pending_gen; /* generation to bring up to date */
	__u64 writes;
	__u64 flips;
	/*
	 * keysteerd's rollback floor: the newest version it applied before
	 * rolling back, so that a restart does not re-apply what was rolled back
	 * (ctl/daemon/apply.c). It sits in what was padding before the `active`
	 * line, so tables made before it read 0 (no floor) and the ABI stands.
	 */
	__u64 rollback_floor;

	/* Read by every packet burst: a line of its own. */
	struct {
		__u32 gen;
		__u32 pad[15];
	} active __attribute__((aligned(KS_SHM_LINE)));

	/* Quiescent-state token: bumped by writers, read at every quiescent point. */
	struct {
		__u64 token;
		__u64 pad[7];
	} qsbr __attribute__((aligned(KS_SHM_LINE)));
};
KS_STATIC_ASSERT(sizeof(struct ks_shm_header) == 5 * KS_SHM_LINE, "header layout");
KS_STATIC_ASSERT(offsetof(struct ks_shm_header, active) == 3 * KS_SHM_LINE, "active line");

/* One reader's counters: same records as the BPF per-CPU maps. */
struct ks_shm_counters {
	struct ks_counter reasons[KS_R_MAX];
	struct ks_counter shards[KS_MAX_SHARDS];
	/* then, from KS_SHM_KEYS_OFF, stats_slots x struct ks_shm_key_slot */
};

/*
 * A key's counters (struct ks_key_stats, the BPF map's record) in a slot of
 * two aligned cache lines: packets, bytes and the first six targets share
 * the first line, so a steered frame moves one line, not the 1.4 lines an
 * 88-byte slot straddles on average.
 */
struct ks_shm_key_slot {
	union {
		struct ks_key_stats s;
		struct {
			__u64 packets;
			__u64 bytes;
			__u64 target_packets[KS_MAX_TARGETS];
			__u64 shadow_packets;
		};
	};
	__u64 pad[5];
} __attribute__((aligned(KS_SHM_LINE)));
KS_STATIC_ASSERT(sizeof(struct ks_shm_key_slot) == 2 * KS_SHM_LINE, "key slot is two lines");
KS_STATIC_ASSERT(sizeof(struct ks_key_stats) == 88 &&
		     offsetof(struct ks_shm_key_slot, shadow_packets) ==
			 offsetof(struct ks_key_stats, shadow_packets),
		 "key slot holds struct ks_key_stats");

#define KS_SHM_KEYS_OFF                                                                            \
	((sizeof(struct ks_shm_counters) + 2 * KS_SHM_LINE - 1) / (2 * KS_SHM_LINE) *              \
	 (2 * KS_SHM_LINE))

/* Section accessors. `base` is the mapping of the whole file. */
static inline struct ks_shm_header *ks_shm_hdr(void *base)
{
	return (struct ks_shm_header *)base;
}

static inline struct ks_config *ks_shm_config(const struct ks_shm_header *h, __u32 gen)
{
	return (struct ks_config *)((char *)h + h->off_config) + gen;
}

static inline struct ks_shm_listener_ent *ks_shm_listeners(const struct ks_shm_header *h, __u32 gen)
{
	return (struct ks_shm_listener_ent *)((char *)h + h->off_listeners) +
	       (size_t)gen * h->listener_slots;
}

static inline struct ks_shm_route_ent *ks_shm_routes(const struct ks_shm_header *h, __u32 gen)
{
	return (struct ks_shm_route_ent *)((char *)h + h->off_routes) +
	       (size_t)gen * h->route_slots;
}

static inline struct ks_shard *ks_shm_shards(const struct ks_shm_header *h, __u32 gen)
{
	return (struct ks_shard *)((char *)h + h->off_shards) + (size_t)gen * KS_MAX_SHARDS;
}

static inline struct ks_shm_reader *ks_shm_readers(const struct ks_shm_header *h)
{
	return (struct ks_shm_reader *)((char *)h + h->off_readers);
}

static inline struct ks_shm_counters *ks_shm_counters(const struct ks_shm_header *h, __u32 reader)
{
	return (struct ks_shm_counters *)((char *)h + h->off_counters +
					  (size_t)reader * h->counters_stride);
}

static inline struct ks_shm_key_slot *ks_shm_key_stats(const struct ks_shm_header *h, __u32 reader)
{
	return (struct ks_shm_key_slot *)((char *)ks_shm_counters(h, reader) + KS_SHM_KEYS_OFF);
}

static inline struct ks_shm_neigh *ks_shm_neigh(const struct ks_shm_header *h)
{
	return (struct ks_shm_neigh *)((char *)h + h->off_neigh);
}

/*
 * Hash of a routing key to its home slot. Keys are already hashes for
 * textual keys, but literal keys ("0x1", "0x2", ...) are not: mix them
 * (MurmurHash3's finaliser, as in keysteer/hash.h).
 */
static inline __u64 ks_shm_mix(__u64 x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static inline __u64 ks_shm_listener_hash(const struct ks_listener_key *k)
{
	__u64 a = (__u64)k->addr.w[0] ^ ((__u64)k->addr.w[1] << 32) ^
		  ((__u64)k->addr.w[2] * 0x9e3779b97f4a7c15ULL) ^
		  ((__u64)k->addr.w[3] * 0xc2b2ae3d27d4eb4fULL);

	return ks_shm_mix(a ^ ((__u64)k->port << 40) ^ ((__u64)k->proto << 56) ^ k->family);
}

#endif /* KS_SHM_LAYOUT_H */
