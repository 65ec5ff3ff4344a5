/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One-shot rtnetlink questions the resolver asks the kernel: the route it
 * would use for an address (RTM_GETROUTE: the same FIB lookup a forwarded
 * packet gets, policy routing included), one neighbour entry, one link.
 */
#ifndef KS_NEXTHOP_RTNL_QUERY_H
#define KS_NEXTHOP_RTNL_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <keysteer/table.h>

struct nl_sock;

struct ks_rt_result {
	__u8 type; /* RTN_UNICAST, RTN_LOCAL, ... */
	__u32 oif;
	bool has_gw; /* gateway of the same family as the destination */
	struct ks_addr gw;
	bool has_prefsrc;
	struct ks_addr prefsrc;
	__u32 mtu; /* route MTU metric, 0 when unset */
};

struct ks_neigh_result {
	__u16 state; /* NUD_* */
	bool has_lladdr;
	__u8 lladdr[6];
};

struct ks_link_result {
	__u32 flags; /* IFF_* */
	__u32 mtu;
	__u16 arptype;
	bool has_addr;
	__u8 addr[6];
};

/* A socket for these requests (blocking, replies bounded by a timeout). */
struct nl_sock *ks_rtnl_open(void);

/* family: KS_AF_INET or KS_AF_INET6. 0, or -errno (-ENETUNREACH, ...). */
int ks_rtnl_route_get(struct nl_sock *s, __u8 family, const struct ks_addr *dst,
		      struct ks_rt_result *out);
/* 0, or -ENOENT when the kernel has no entry. */
int ks_rtnl_neigh_get(struct nl_sock *s, __u8 family, __u32 ifindex, const struct ks_addr *addr,
		      struct ks_neigh_result *out);
int ks_rtnl_link_get(struct nl_sock *s, __u32 ifindex, struct ks_link_result *out);
/*
 * Ask the kernel to resolve a neighbour (creating the entry if needed): it
 * sends ARP or a neighbour solicitation, and reports the answer as an event.
 */
int ks_rtnl_neigh_ask(struct nl_sock *s, __u8 family, __u32 ifindex, const struct ks_addr *addr);

int ks_family_to_af(__u8 family);
size_t ks_family_addr_len(__u8 family);

#endif
