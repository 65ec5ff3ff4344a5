/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keysteer-dpdk's state: the process-wide application (ports, the shared
 * table mapping, connection tables) and one context per worker lcore.
 */
#ifndef KS_DP_H
#define KS_DP_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <rte_ethdev.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <rte_spinlock.h>

#include <keysteer/table.h>
#include "shmtable/shm_read.h"
#include "shmtable/shm_region.h"
#include "flowcache.h"
#include "options.h"

#define KS_DP_BURST	       32
#define KS_DP_MAX_RXQ	       64 /* (port, queue) pairs one lcore polls */
#define KS_DP_NAT_FILTER_WORDS 1024
#define KS_DP_MAX_DYN	       16 /* next hops resolved by ARP/ND */

/* Verdicts of the DPDK shell: >= 0 as keysteer/shell.h asks. */
#define KS_DP_V_DROP 0
#define KS_DP_V_PASS 1
#define KS_DP_V_TX0  2 /* KS_DP_V_TX0 + port: out of that port */

struct ks_dp_lcore_stats {
	uint64_t rx, tx, pass, drop, tx_full, shadow_copies, bursts;
};

struct ks_dp_app;

/*
 * A burst on its way through the worker's pipeline (worker.c). For frame i,
 * keys[i] is the routing key peeked at (a hint) and slot[i] where that key's
 * route probably is: its home slot after the first stage, the slot the probe
 * found after the second, KS_SHM_NO_SLOT when there is nothing to look up.
 */
struct ks_dp_stage {
	uint16_t n;
	struct rte_mbuf *m[KS_DP_BURST];
	uint64_t keys[KS_DP_BURST];
	uint32_t slot[KS_DP_BURST];
};

struct ks_dp_pipe {
	uint32_t head;
	struct ks_dp_stage s[3];
};

/* A worker lcore's context. Everything the packet path touches, in one place. */
struct ks_dp_lcore {
	struct ks_dp_app *app;
	struct ks_shm_view view;
	struct ks_shm_counters *cnt;
	struct ks_shm_key_slot *keys;
	uint32_t stats_slots;
	uint32_t reader; /* quiescent-state slot */
	uint32_t gen;	 /* generation of the current burst */
	unsigned lcore_id;
	uint16_t n_rxq;
	struct {
		uint16_t port, queue;
	} rxq[KS_DP_MAX_RXQ];
	uint16_t txq[RTE_MAX_ETHPORTS];		  /* this lcore's TX queue per port */
	rte_spinlock_t *txlock[RTE_MAX_ETHPORTS]; /* when the queue is shared */

	/* Per burst: frames to send, per port, and frames to free. */
	uint16_t n_tx[RTE_MAX_ETHPORTS];
	struct rte_mbuf *tx[RTE_MAX_ETHPORTS][KS_DP_BURST * 2];
	uint16_t n_free;
	struct rte_mbuf *to_free[KS_DP_BURST * 2];
	struct ks_dp_pipe pipe[KS_DP_MAX_RXQ];
	struct rte_ring *ctl_tx; /* frames the control lcore sends through this worker */

	/* Copies out of the shared connection/NAT tables for the packet in hand. */
	struct ks_flow flow;
	uint8_t flow_key[FC_KEY_MAX];
	uint8_t flow_family;
	struct ks_nat_rev nat;

	struct ks_dp_lcore_stats st;
} __rte_cache_aligned;

struct ks_dp_port {
	uint16_t id;
	uint16_t n_rxq, n_txq;
	bool rss;
	struct rte_ether_addr mac;
	uint16_t mtu;
	rte_spinlock_t txlock[RTE_MAX_LCORE];
};

struct ks_dp_app {
	struct ks_dp_options opt;
	struct ks_shm_map map;
	struct ks_shm_view view;
	struct rte_mempool *pool;

	uint16_t n_ports;
	struct ks_dp_port *ports[RTE_MAX_ETHPORTS]; /* by port id */
	uint16_t port_ids[RTE_MAX_ETHPORTS];
	int exception_port; /* -1: passed frames are dropped (counted) */

	struct flowcache flows4, flows6, nat;
	uint64_t *nat_filter;
	int flows_fd; /* flowstore.c: the file holding them, or process memory */
	void *flows_map, *flows_mem;
	size_t flows_size;
	bool flows_resumed;
	volatile uint32_t clock; /* seconds, for the connection tables' LRU */

	unsigned n_workers;
	struct ks_dp_lcore *workers[RTE_MAX_LCORE];

	/* ARP/ND (neigh.c): next hops to resolve (indexes into opt.neigh.neigh). */
	bool answer_neigh;
	unsigned n_dyn;
	unsigned dyn[KS_DP_MAX_DYN];
	uint8_t dyn_known[KS_DP_MAX_DYN];
	uint8_t dyn_mac[KS_DP_MAX_DYN][6];
	uint64_t dyn_seen[KS_DP_MAX_DYN];  /* timer cycles: learned or last confirmed */
	uint8_t dyn_probes[KS_DP_MAX_DYN]; /* probes unanswered since; workers read it */
	struct rte_ring *learned;	   /* workers -> control lcore: what they saw */
	struct rte_ring *ctl_tx;	   /* control lcore -> worker 0: frames to send */
	uint64_t neigh_sent;		   /* timer cycles of the last round of requests */

	volatile int quit;
	uint64_t stop_after; /* tests: quit after this many frames received (0: never) */
	volatile uint64_t rx_total;
};

/*
 * The packet in hand: the shell's context (KS_SHELL_CTX). Lives for one
 * round of a queue's pipeline (one generation), a frame at a time.
 */
struct ks_dp_pkt {
	struct rte_mbuf *m;
	uint8_t *data, *end; /* the frame's bounds, kept in step with head moves */
	struct ks_dp_lcore *lc;
	uint16_t in_port;
	uint8_t shadow_copy; /* a shadow copy being steered: no NAT memory, no counters */
	uint32_t route_hint; /* the route slot the pipeline found for its peek, or KS_SHM_NO_SLOT */
	/*
	 * The last listener looked up in this round and its answer: frames of a
	 * burst mostly go to one listener. Valid for the round's generation only.
	 */
	uint8_t listener_known, listener_is;
	struct ks_listener_key listener;
};

static inline void ks_dp_pkt_init(struct ks_dp_pkt *ctx, struct ks_dp_lcore *lc, uint16_t in_port)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->lc = lc;
	ctx->in_port = in_port;
	ctx->route_hint = KS_SHM_NO_SLOT;
}

/* The next frame: its bounds and where the pipeline expects its route. */
static inline void ks_dp_pkt_set(struct ks_dp_pkt *ctx, struct rte_mbuf *m, uint32_t route_hint)
{
	ctx->m = m;
	ctx->data = rte_pktmbuf_mtod(m, uint8_t *);
	ctx->end = ctx->data + rte_pktmbuf_data_len(m);
	ctx->route_hint = route_hint;
}

#endif /* KS_DP_H */
