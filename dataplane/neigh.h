/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ARP and IPv6 neighbour discovery, on a control path beside the fast path
 * (see docs/dpdk.md, "Next hops"):
 *
 *   - answered: ARP requests and neighbour solicitations for this router's
 *     own addresses (--src, and the listener addresses of the active
 *     generation), in place, out of the port they came in on;
 *   - resolved: next hops given without a MAC (--neigh IP[@PORT], or
 *     --gw IP@PORT without a --neigh): the control lcore sends an ARP
 *     request or a solicitation every second until a reply names the MAC,
 *     then publishes it into the table's neighbour section (shards' next-hop
 *     blocks are rewritten) and keeps it current from what the neighbour
 *     sends later (replies, requests, advertisements);
 *   - refreshed: --neigh-refresh seconds (30) after it was resolved or last
 *     confirmed, a next hop is probed once a second with the same requests
 *     (frames it sends on its own between probes do not count); a reply
 *     confirms it (or brings its new MAC), and after three unanswered
 *     probes it is unresolved again (published without a MAC: its frames
 *     are counted as having no next hop) and asked for like a new one.
 *
 * Workers look at a frame here only when the decision passed it (ARP and ND
 * are never steered), so the fast path does not pay for it. What a worker
 * learns goes to the control lcore through a ring; what the control lcore
 * sends goes out through worker 0's queues (another ring).
 */
#ifndef KS_DP_NEIGH_H
#define KS_DP_NEIGH_H

#include <rte_mbuf.h>

#include "ks_dp.h"

#define KS_DP_NEIGH_NOT_MINE 0 /* not for the control path: on as the decision said */
#define KS_DP_NEIGH_REPLY    1 /* rewritten into an answer: send it out of the port it came in */
#define KS_DP_NEIGH_TAKEN    2 /* learned from and done with: free it */

/* Set up the rings (after the workers and ports). 0 or -errno. */
int ks_dp_neigh_setup(struct ks_dp_app *app, char *err, size_t errlen);
void ks_dp_neigh_close(struct ks_dp_app *app);

/* A worker, for a frame the decision passed. */
int ks_dp_neigh_frame(struct ks_dp_lcore *lc, uint16_t in_port, struct rte_mbuf *m);

/*
 * The control lcore, every few milliseconds: apply what workers learned
 * (publishing changes), send requests for unresolved next hops and probes
 * for unconfirmed ones once a second.
 */
void ks_dp_neigh_control(struct ks_dp_app *app, uint64_t now, uint64_t hz);

#endif /* KS_DP_NEIGH_H */
