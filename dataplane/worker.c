/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The run-to-completion loop of a worker lcore:
 *
 *   read the active generation (once per round)
 *   for each (port, queue) it polls:
 *     burst receive
 *     three bursts a round apart (pipeline_round):
 *       this round's: peek at the routing key (where it sits in the common
 *                     untagged UDP case; a hint only, the decision parses
 *                     the frame in full), prefetch its home route slot
 *       last round's: find the route's slot, prefetch its key counters
 *       the one before: decide (keysteer/decide.h through the DPDK shell),
 *                     buffer for its output port, the exception port or
 *                     the free list
 *   burst transmit per port; bulk free of drops and of what TX refused
 *   report a quiescent state (no reference into the tables is kept: a
 *   route slot carried to the next round is a hint, checked before use)
 */
#include "worker.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "ks_shell.h"
#include "neigh.h"
#include "shmtable/shm_qsbr.h"

/*
 * Where the routing key of an untagged UDP datagram with a header would be:
 * its value, or 0 (no hint). Only a hint for prefetching: ks_decide() parses
 * the frame in full.
 */
static inline int peek_key(struct rte_mbuf *m, uint64_t *key)
{
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m), off;

	if (len < 14 + 20 + 8 + 16)
		return 0;
	if (d[12] == 0x08 && d[13] == 0x00 && d[14] == 0x45 && d[23] == KS_IPPROTO_UDP)
		off = 14 + 20 + 8 + 4;
	else if (d[12] == 0x86 && d[13] == 0xdd && d[20] == KS_IPPROTO_UDP &&
		 len >= 14 + 40 + 8 + 16)
		off = 14 + 40 + 8 + 4;
	else
		return 0;
	memcpy(key, d + off, 8);
	*key = rte_be_to_cpu_64(*key);
	return 1;
}

static inline void tx_flush(struct ks_dp_lcore *lc, uint16_t port)
{
	uint16_t n = lc->n_tx[port], sent;
	rte_spinlock_t *lock = lc->txlock[port];

	if (!n)
		return;
	if (lock)
		rte_spinlock_lock(lock);
	sent = rte_eth_tx_burst(port, lc->txq[port], lc->tx[port], n);
	if (lock)
		rte_spinlock_unlock(lock);
	lc->st.tx += sent;
	if (sent < n) {
		lc->st.tx_full += n - sent;
		rte_pktmbuf_free_bulk(&lc->tx[port][sent], n - sent);
	}
	lc->n_tx[port] = 0;
}

static inline void to_port(struct ks_dp_lcore *lc, uint16_t port, struct rte_mbuf *m)
{
	if (lc->n_tx[port] >= KS_DP_BURST * 2)
		tx_flush(lc, port);
	lc->tx[port][lc->n_tx[port]++] = m;
}

static inline void to_free(struct ks_dp_lcore *lc, struct rte_mbuf *m)
{
	if (lc->n_free >= KS_DP_BURST * 2) {
		rte_pktmbuf_free_bulk(lc->to_free, lc->n_free);
		lc->n_free = 0;
	}
	lc->to_free[lc->n_free++] = m;
}

/*
 * Stage 1, as a frame arrives: peek at its key and prefetch the key's home
 * route slot. The frame was just written by the receive path: in cache.
 */
static __rte_always_inline void stage_route(struct ks_dp_lcore *lc, struct ks_dp_stage *st,
					    uint16_t i)
{
	uint32_t home = KS_SHM_NO_SLOT;

	if (peek_key(st->m[i], &st->keys[i])) {
		home = ks_shm_route_home_slot(&lc->view, st->keys[i]);
		rte_prefetch0(&lc->view.routes[lc->gen][home]);
	}
	st->slot[i] = home;
}

/*
 * Stage 2, a round later (the route line has arrived): find the key's slot,
 * prefetch its key counters and the line in front of the frame, where the
 * outer headers go.
 */
static __rte_always_inline void stage_counters(struct ks_dp_lcore *lc, struct ks_dp_stage *st,
					       uint16_t i)
{
	uint32_t s = st->slot[i];

	if (s != KS_SHM_NO_SLOT) {
		s = ks_shm_route_probe(&lc->view, lc->gen, st->keys[i], s);
		if (s != KS_SHM_NO_SLOT) {
			const struct ks_route *r = &lc->view.routes[lc->gen][s].route;

			if (r->stats_slot < lc->stats_slots) {
				struct ks_shm_key_slot *k = &lc->keys[r->stats_slot];

				/* The second line only holds targets 6, 7 and shadows. */
				__builtin_prefetch(k, 1, 3);
				if (r->n_targets > 6 || r->shadow_shard != KS_NO_SHARD)
					__builtin_prefetch(&k->target_packets[7], 1, 3);
			}
		}
		st->slot[i] = s;
	}
	rte_prefetch0(rte_pktmbuf_mtod(st->m[i], uint8_t *) - RTE_CACHE_LINE_SIZE);
}

/* Stage 3, a round later still: decide the frame and buffer it for its port. */
static __rte_always_inline void stage_decide(struct ks_dp_lcore *lc, struct ks_dp_pkt *ctx,
					     struct ks_dp_stage *st, uint16_t i)
{
	struct rte_mbuf *m = st->m[i];
	int v;

	if (unlikely(m->nb_segs > 1) && rte_pktmbuf_linearize(m)) {
		/* A chained frame the pool cannot linearize: to the host, as it is. */
		v = KS_DP_V_PASS;
	} else {
		ks_dp_pkt_set(ctx, m, st->slot[i]);
		v = ks_decide(ctx);
	}
	if (likely(v >= KS_DP_V_TX0)) {
		to_port(lc, (uint16_t)(v - KS_DP_V_TX0), m);
	} else if (v == KS_DP_V_PASS) {
		int n = ks_dp_neigh_frame(lc, ctx->in_port, m);

		lc->st.pass++;
		if (n == KS_DP_NEIGH_REPLY)
			to_port(lc, ctx->in_port, m);
		else if (n == KS_DP_NEIGH_TAKEN)
			to_free(lc, m);
		else if (lc->app->exception_port >= 0)
			to_port(lc, (uint16_t)lc->app->exception_port, m);
		else
			to_free(lc, m);
	} else {
		lc->st.drop++;
		to_free(lc, m);
	}
}

static void flush_out(struct ks_dp_lcore *lc)
{
	struct ks_dp_app *app = lc->app;

	for (uint16_t i = 0; i < app->n_ports; i++)
		tx_flush(lc, app->port_ids[i]);
	if (lc->n_free) {
		rte_pktmbuf_free_bulk(lc->to_free, lc->n_free);
		lc->n_free = 0;
	}
}

/*
 * One round of a queue's pipeline. Bursts move through three stages a round
 * apart: this round's frames have their home route slots prefetched, last
 * round's their key counters (the route line has arrived), the one before
 * is decided. Each stage runs over its whole burst before the next starts,
 * so a burst's misses (on a big table, a page walk and a memory line each)
 * are in flight together and have a round of work to arrive behind; spread
 * among the decisions, frame by frame, they measured 5-7% slower. The newest
 * burst may be empty: then the round only moves the older ones on, so a
 * queue that runs dry is drained in two rounds. Order within the queue is
 * kept.
 */
static __rte_noinline void pipeline_round(struct ks_dp_lcore *lc, uint16_t q)
{
	struct ks_dp_pipe *pp = &lc->pipe[q];
	struct ks_dp_stage *fresh = &pp->s[pp->head % 3], *mid = &pp->s[(pp->head + 2) % 3],
			   *old = &pp->s[(pp->head + 1) % 3];
	struct ks_dp_pkt ctx;

	for (uint16_t i = 0; i < fresh->n; i++)
		stage_route(lc, fresh, i);
	for (uint16_t i = 0; i < mid->n; i++)
		stage_counters(lc, mid, i);
	ks_dp_pkt_init(&ctx, lc, lc->rxq[q].port);
	for (uint16_t i = 0; i < old->n; i++)
		stage_decide(lc, &ctx, old, i);
	old->n = 0;
	pp->head++;
	flush_out(lc);
}

/* Frames the control lcore built (ARP requests, solicitations): out of their ports. */
static void send_control(struct ks_dp_lcore *lc)
{
	struct rte_mbuf *m;

	while (rte_ring_sc_dequeue(lc->ctl_tx, (void **)&m) == 0)
		to_port(lc, m->port, m);
	flush_out(lc);
}

static void poll_queue(struct ks_dp_lcore *lc, uint16_t q)
{
	struct ks_dp_app *app = lc->app;
	struct ks_dp_pipe *pp = &lc->pipe[q];
	struct ks_dp_stage *fresh = &pp->s[pp->head % 3];
	uint16_t n = rte_eth_rx_burst(lc->rxq[q].port, lc->rxq[q].queue, fresh->m, KS_DP_BURST);

	fresh->n = n;
	if (n) {
		lc->st.rx += n;
		lc->st.bursts++;
		if (app->stop_after)
			__atomic_fetch_add(&app->rx_total, n, __ATOMIC_RELAXED);
	} else if (!pp->s[(pp->head + 1) % 3].n && !pp->s[(pp->head + 2) % 3].n) {
		return;
	}
	pipeline_round(lc, q);
}

int ks_dp_worker_main(void *arg)
{
	struct ks_dp_lcore *lc = arg;
	struct ks_dp_app *app = lc->app;
	struct ks_shm_header *h = lc->view.h;

	ks_shm_reader_online(h, lc->reader);
	while (!app->quit) {
		lc->gen = ks_shm_view_gen(&lc->view);
		for (uint16_t q = 0; q < lc->n_rxq; q++)
			poll_queue(lc, q);
		if (unlikely(lc->ctl_tx) && !rte_ring_empty(lc->ctl_tx))
			send_control(lc);
		/*
		 * Between rounds nothing from the tables is held (frames in the
		 * pipeline are not decided yet): a quiescent state.
		 */
		ks_shm_reader_quiescent(h, lc->reader);
	}
	/* Frames still in the pipeline go out before the ports stop: two empty rounds. */
	for (uint16_t q = 0; q < lc->n_rxq; q++) {
		lc->pipe[q].s[lc->pipe[q].head % 3].n = 0;
		pipeline_round(lc, q);
		lc->pipe[q].s[lc->pipe[q].head % 3].n = 0;
		pipeline_round(lc, q);
	}
	ks_shm_reader_offline(h, lc->reader);
	return 0;
}
