/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Next hops of shard VIPs, resolved from the kernel's routing table and
 * neighbour cache over rtnetlink (libnl-route-3), and kept current as routes,
 * neighbours, links and addresses change.
 *
 * The resolver knows nothing about shards or BPF maps: it tracks a set of
 * addresses and reports, for each, the block the fast path needs (struct
 * ks_nexthop). Whoever owns both sides (keysteerd, or a test driver) passes
 * the reports on to the table backend (ks_backend_set_nexthops).
 *
 * Event-loop use: poll ks_nh_fd() for POLLIN and call ks_nh_process() when it
 * is readable; call ks_nh_refresh() on a timer (every few seconds) to retry
 * neighbours that did not resolve. Single-threaded.
 */
#ifndef KS_NEXTHOP_H
#define KS_NEXTHOP_H

#include <stdbool.h>
#include <stddef.h>
#include <keysteer/table.h>

/* What the fast path needs to send a packet towards one VIP. */
struct ks_nexthop {
	__u32 ifindex;	    /* egress interface, 0 = unresolved */
	__u8 smac[6];	    /* egress interface's MAC */
	__u8 dmac[6];	    /* gateway's MAC, or the VIP's own when on-link */
	struct ks_addr src; /* preferred source address (family of the VIP) */
	__u16 mtu;	    /* egress MTU (route MTU when the route sets one) */
	__u8 valid;	    /* 1 when all of the above is resolved */
	__u8 pad;
};

struct ks_nh_target {
	__u8 family; /* KS_AF_INET or KS_AF_INET6 */
	struct ks_addr addr;
};

/* Called once per tracked address whose next hop changed. */
typedef void (*ks_nh_change_fn)(void *ctx, const struct ks_nh_target *t,
				const struct ks_nexthop *nh);

struct ks_nh_resolver;

/*
 * Open the resolver in the caller's network namespace. on_change may be NULL
 * (poll ks_nh_get instead). NULL on error with errno set; msg gets a reason.
 */
struct ks_nh_resolver *ks_nh_open(ks_nh_change_fn on_change, void *ctx, char *msg, size_t msglen);
void ks_nh_close(struct ks_nh_resolver *r);

/*
 * Replace the tracked set (duplicates allowed). New addresses are resolved at
 * once (synchronously: a route lookup and a neighbour lookup each); a missing
 * neighbour is asked for (the kernel sends ARP / neighbour solicitation) and
 * reported valid later, from an event. New addresses' first results are not
 * reported (the caller reads them with ks_nh_get()); pending changes of
 * addresses tracked before are. 0 or -errno.
 */
int ks_nh_track(struct ks_nh_resolver *r, const struct ks_nh_target *t, size_t n);

/* The current next hop of a tracked address; -ENOENT when not tracked. */
int ks_nh_get(const struct ks_nh_resolver *r, const struct ks_nh_target *t, struct ks_nexthop *out);

/* Resolve an address once, without tracking it. 0 or -errno. */
int ks_nh_resolve_once(struct ks_nh_resolver *r, const struct ks_nh_target *t,
		       struct ks_nexthop *out);

/* The netlink socket to poll for POLLIN (non-blocking). */
int ks_nh_fd(const struct ks_nh_resolver *r);

/*
 * Read every pending rtnetlink event, re-resolve what they affect and call
 * on_change for each tracked address whose next hop changed. Returns the
 * number of changes reported, or -errno.
 */
int ks_nh_process(struct ks_nh_resolver *r);

/* Re-resolve every tracked address (and re-ask for missing neighbours). */
int ks_nh_refresh(struct ks_nh_resolver *r);

/* Address parsing/printing helpers shared by the CLI and tests. */
int ks_nh_parse_addr(const char *s, struct ks_nh_target *t);
const char *ks_nh_format_addr(const struct ks_nh_target *t, char *buf, size_t len);

#endif
