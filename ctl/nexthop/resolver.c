/* SPDX-License-Identifier: BSD-3-Clause */
#include "nexthop/nexthop.h"
#include "nexthop/rtnl_query.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/socket.h>

/* Bound on messages read per ks_nh_process call; the fd stays readable. */
#define MAX_EVENTS_PER_CALL 4096

struct tracked {
	struct ks_nh_target t;
	struct ks_nexthop nh;
	/* The neighbour this next hop depends on: gateway or the address itself. */
	__u32 via_ifindex;
	struct ks_addr via;
	bool dirty;
	bool asked; /* resolution requested since the last refresh */
	bool quiet; /* just added: its first result is read, not reported */
};

struct ks_nh_resolver {
	struct nl_sock *ev;  /* multicast events */
	struct nl_sock *req; /* our questions */
	struct tracked *t;
	size_t n, cap;
	ks_nh_change_fn on_change;
	void *ctx;
	bool all_dirty;
};

static bool same_target(const struct ks_nh_target *a, const struct ks_nh_target *b)
{
	return a->family == b->family && memcmp(&a->addr, &b->addr, sizeof(a->addr)) == 0;
}

static struct tracked *find(const struct ks_nh_resolver *r, const struct ks_nh_target *t)
{
	for (size_t i = 0; i < r->n; i++)
		if (same_target(&r->t[i].t, t))
			return &r->t[i];
	return NULL;
}

#define NUD_USABLE (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT | NUD_NOARP)

/*
 * Resolve one address: route, egress link, neighbour. Fills what it learns
 * even when the result is not usable (valid = 0), and records which
 * neighbour it waits for.
 */
static int resolve(struct ks_nh_resolver *r, struct tracked *tr, struct ks_nexthop *nh)
{
	struct ks_rt_result rt;
	struct ks_link_result link;
	struct ks_neigh_result ne;
	size_t alen = ks_family_addr_len(tr->t.family);
	int err;

	memset(nh, 0, sizeof(*nh));
	tr->via_ifindex = 0;
	memset(&tr->via, 0, sizeof(tr->via));
	err = ks_rtnl_route_get(r->req, tr->t.family, &tr->t.addr, &rt);
	if (err)
		return err == -EIO || err == -ENOMEM || err == -ETIMEDOUT ? err : 0;
	/* Only unicast routes out of an interface can be forwarded to. */
	if (rt.type != RTN_UNICAST || rt.oif == 0)
		return 0;
	err = ks_rtnl_link_get(r->req, rt.oif, &link);
	if (err)
		return err == -ENODEV ? 0 : err;
	if (link.arptype != ARPHRD_ETHER || !link.has_addr || !(link.flags & IFF_UP))
		return 0;
	nh->ifindex = rt.oif;
	memcpy(nh->smac, link.addr, 6);
	nh->mtu = (__u16)(rt.mtu ? rt.mtu : link.mtu > 0xffff ? 0xffff : link.mtu);
	if (rt.has_prefsrc)
		nh->src = rt.prefsrc;
	tr->via_ifindex = rt.oif;
	if (rt.has_gw)
		tr->via = rt.gw;
	else
		memcpy(&tr->via, &tr->t.addr, alen);

	err = ks_rtnl_neigh_get(r->req, tr->t.family, rt.oif, &tr->via, &ne);
	if (err == 0 && (ne.state & NUD_USABLE) && ne.has_lladdr) {
		memcpy(nh->dmac, ne.lladdr, 6);
		nh->valid = rt.has_prefsrc ? 1 : 0;
		return 0;
	}
	if (err && err != -ENOENT)
		return err == -EIO || err == -ETIMEDOUT ? err : 0;
	/* Missing, incomplete or failed: ask once per refresh period. */
	if (!tr->asked && !(err == 0 && (ne.state & NUD_INCOMPLETE))) {
		tr->asked = true;
		ks_rtnl_neigh_ask(r->req, tr->t.family, rt.oif, &tr->via);
	}
	return 0;
}

/* Re-resolve dirty entries; report changes. */
static int settle(struct ks_nh_resolver *r, bool report)
{
	int changes = 0;

	for (size_t i = 0; i < r->n; i++) {
		struct tracked *tr = &r->t[i];
		struct ks_nexthop nh;
		int err;

		if (!tr->dirty && !r->all_dirty)
			continue;
		err = resolve(r, tr, &nh);
		if (err)
			return err;
		tr->dirty = false;
		if (memcmp(&nh, &tr->nh, sizeof(nh)) == 0)
			continue;
		tr->nh = nh;
		changes++;
		if (report && !tr->quiet && r->on_change)
			r->on_change(r->ctx, &tr->t, &tr->nh);
	}
	for (size_t i = 0; i < r->n; i++)
		r->t[i].quiet = false;
	r->all_dirty = false;
	return changes;
}

static void mark_neigh(struct ks_nh_resolver *r, struct nlmsghdr *h)
{
	struct nlattr *tb[NDA_MAX + 1];
	struct ndmsg *ndm = nlmsg_data(h);
	struct ks_addr a;
	int len;

	if (nlmsg_parse(h, sizeof(*ndm), tb, NDA_MAX, NULL) < 0 || !tb[NDA_DST])
		return;
	len = nla_len(tb[NDA_DST]);
	if (len != 4 && len != 16)
		return;
	memset(&a, 0, sizeof(a));
	memcpy(&a, nla_data(tb[NDA_DST]), len);
	for (size_t i = 0; i < r->n; i++) {
		struct tracked *tr = &r->t[i];

		if (ks_family_addr_len(tr->t.family) == (size_t)len &&
		    (tr->via_ifindex == 0 || tr->via_ifindex == (__u32)ndm->ndm_ifindex) &&
		    memcmp(&tr->via, &a, sizeof(a)) == 0)
			tr->dirty = true;
	}
}

static int on_event(struct nl_msg *msg, void *arg)
{
	struct ks_nh_resolver *r = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);

	switch (h->nlmsg_type) {
	case RTM_NEWNEIGH:
	case RTM_DELNEIGH:
		mark_neigh(r, h);
		break;
	case RTM_NEWROUTE:
	case RTM_DELROUTE:
	case RTM_NEWLINK:
	case RTM_DELLINK:
	case RTM_NEWADDR:
	case RTM_DELADDR:
		/* Any of these can move a next hop; they are rare: redo all. */
		r->all_dirty = true;
		break;
	default:
		break;
	}
	return NL_OK;
}

struct ks_nh_resolver *ks_nh_open(ks_nh_change_fn on_change, void *ctx, char *msg, size_t msglen)
{
	struct ks_nh_resolver *r = calloc(1, sizeof(*r));

	if (!r) {
		snprintf(msg, msglen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	r->on_change = on_change;
	r->ctx = ctx;
	r->req = ks_rtnl_open();
	r->ev = nl_socket_alloc();
	if (!r->req || !r->ev)
		goto fail;
	nl_socket_disable_seq_check(r->ev);
	nl_socket_modify_cb(r->ev, NL_CB_VALID, NL_CB_CUSTOM, on_event, r);
	if (nl_connect(r->ev, NETLINK_ROUTE) < 0)
		goto fail;
	if (nl_socket_add_memberships(r->ev, RTNLGRP_NEIGH, RTNLGRP_LINK, RTNLGRP_IPV4_ROUTE,
				      RTNLGRP_IPV6_ROUTE, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR,
				      0) < 0)
		goto fail;
	nl_socket_set_buffer_size(r->ev, 1 << 20, 0);
	if (nl_socket_set_nonblocking(r->ev) < 0)
		goto fail;
	return r;
fail:
	snprintf(msg, msglen, "rtnetlink: cannot open and subscribe a socket");
	ks_nh_close(r);
	errno = EIO;
	return NULL;
}

void ks_nh_close(struct ks_nh_resolver *r)
{
	if (!r)
		return;
	if (r->ev)
		nl_socket_free(r->ev);
	if (r->req)
		nl_socket_free(r->req);
	free(r->t);
	free(r);
}

int ks_nh_fd(const struct ks_nh_resolver *r)
{
	return nl_socket_get_fd(r->ev);
}

int ks_nh_track(struct ks_nh_resolver *r, const struct ks_nh_target *t, size_t n)
{
	struct tracked *next = calloc(n ? n : 1, sizeof(*next));
	size_t m = 0;
	int err;

	if (!next)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct tracked *old;
		bool dup = false;

		if (t[i].family != KS_AF_INET && t[i].family != KS_AF_INET6) {
			free(next);
			return -EINVAL;
		}
		for (size_t k = 0; k < m && !dup; k++)
			dup = same_target(&next[k].t, &t[i]);
		if (dup)
			continue;
		old = find(r, &t[i]);
		if (old) {
			next[m] = *old;
		} else {
			next[m].t = t[i];
			next[m].dirty = true;
			next[m].quiet = true;
		}
		m++;
	}
	free(r->t);
	r->t = next;
	r->n = m;
	r->cap = n;
	/*
	 * Addresses tracked before report their changes as usual (a change
	 * absorbed silently here would never reach the maps if the apply that
	 * follows failed); new ones are read by the caller.
	 */
	err = settle(r, true);
	return err < 0 ? err : 0;
}

int ks_nh_get(const struct ks_nh_resolver *r, const struct ks_nh_target *t, struct ks_nexthop *out)
{
	const struct tracked *tr = find(r, t);

	if (!tr)
		return -ENOENT;
	*out = tr->nh;
	return 0;
}

int ks_nh_resolve_once(struct ks_nh_resolver *r, const struct ks_nh_target *t,
		       struct ks_nexthop *out)
{
	struct tracked tr = {.t = *t};

	return resolve(r, &tr, out);
}

int ks_nh_process(struct ks_nh_resolver *r)
{
	for (int i = 0; i < MAX_EVENTS_PER_CALL; i++) {
		int err = nl_recvmsgs_default(r->ev);

		if (err == -NLE_AGAIN)
			break;
		if (err == -NLE_NOMEM) {
			/* The socket overran (ENOBUFS): events were lost. */
			r->all_dirty = true;
			continue;
		}
		if (err < 0)
			return -EIO;
	}
	return settle(r, true);
}

int ks_nh_refresh(struct ks_nh_resolver *r)
{
	for (size_t i = 0; i < r->n; i++)
		r->t[i].asked = false;
	r->all_dirty = true;
	return settle(r, true);
}

int ks_nh_parse_addr(const char *s, struct ks_nh_target *t)
{
	memset(t, 0, sizeof(*t));
	if (inet_pton(AF_INET, s, &t->addr) == 1) {
		t->family = KS_AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &t->addr) == 1) {
		t->family = KS_AF_INET6;
		return 0;
	}
	return -EINVAL;
}

const char *ks_nh_format_addr(const struct ks_nh_target *t, char *buf, size_t len)
{
	if (!inet_ntop(ks_family_to_af(t->family), &t->addr, buf, len))
		snprintf(buf, len, "?");
	return buf;
}
