/* SPDX-License-Identifier: BSD-3-Clause */
#include "nexthop/rtnl_query.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if_arp.h>
#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/socket.h>
#include <netlink/route/link.h>

int ks_family_to_af(__u8 family)
{
	return family == KS_AF_INET6 ? AF_INET6 : AF_INET;
}

size_t ks_family_addr_len(__u8 family)
{
	return family == KS_AF_INET6 ? 16 : 4;
}

struct nl_sock *ks_rtnl_open(void)
{
	struct nl_sock *s = nl_socket_alloc();
	struct timeval tv = {.tv_sec = 2};

	if (!s)
		return NULL;
	if (nl_connect(s, NETLINK_ROUTE)) {
		nl_socket_free(s);
		return NULL;
	}
	nl_socket_disable_auto_ack(s);
	/* The kernel always answers; the timeout only guards against a bug. */
	setsockopt(nl_socket_get_fd(s), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return s;
}

struct req_ctx {
	int (*parse)(struct nlmsghdr *h, void *arg);
	void *arg;
	int done;
	int err;
};

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct req_ctx *c = arg;

	c->err = c->parse ? c->parse(nlmsg_hdr(msg), c->arg) : 0;
	c->done = 1;
	return NL_STOP;
}

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct req_ctx *c = arg;

	(void)nla;
	c->err = e->error;
	c->done = 1;
	return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	struct req_ctx *c = arg;

	(void)msg;
	c->err = 0;
	c->done = 1;
	return NL_STOP;
}

/* Send msg (consumed) and wait for its one answer. */
static int request(struct nl_sock *s, struct nl_msg *msg, int (*parse)(struct nlmsghdr *, void *),
		   void *arg)
{
	struct req_ctx c = {.parse = parse, .arg = arg};
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	int err, rounds = 0;

	if (!cb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &c);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, &c);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, &c);
	err = nl_send_auto(s, msg);
	nlmsg_free(msg);
	if (err < 0) {
		nl_cb_put(cb);
		return -EIO;
	}
	while (!c.done && rounds++ < 16) {
		err = nl_recvmsgs(s, cb);
		if (err < 0 && !c.done) {
			nl_cb_put(cb);
			return -EIO;
		}
	}
	nl_cb_put(cb);
	return c.done ? c.err : -ETIMEDOUT;
}

static void put_addr(struct ks_addr *a, const void *src, size_t len)
{
	memset(a, 0, sizeof(*a));
	memcpy(a, src, len);
}

struct route_arg {
	__u8 family;
	struct ks_rt_result *out;
};

static int parse_route(struct nlmsghdr *h, void *arg)
{
	struct route_arg *ra = arg;
	struct ks_rt_result *r = ra->out;
	struct nlattr *tb[RTA_MAX + 1];
	struct rtmsg *rtm = nlmsg_data(h);
	size_t alen = ks_family_addr_len(ra->family);

	if (h->nlmsg_type != RTM_NEWROUTE || nlmsg_parse(h, sizeof(*rtm), tb, RTA_MAX, NULL) < 0)
		return -EPROTO;
	memset(r, 0, sizeof(*r));
	r->type = rtm->rtm_type;
	if (tb[RTA_OIF])
		r->oif = nla_get_u32(tb[RTA_OIF]);
	if (tb[RTA_GATEWAY] && nla_len(tb[RTA_GATEWAY]) == (int)alen) {
		r->has_gw = true;
		put_addr(&r->gw, nla_data(tb[RTA_GATEWAY]), alen);
	}
	if (tb[RTA_PREFSRC] && nla_len(tb[RTA_PREFSRC]) == (int)alen) {
		r->has_prefsrc = true;
		put_addr(&r->prefsrc, nla_data(tb[RTA_PREFSRC]), alen);
	}
	if (tb[RTA_METRICS]) {
		struct nlattr *mx[RTAX_MAX + 1];

		if (nla_parse_nested(mx, RTAX_MAX, tb[RTA_METRICS], NULL) == 0 && mx[RTAX_MTU])
			r->mtu = nla_get_u32(mx[RTAX_MTU]);
	}
	return 0;
}

int ks_rtnl_route_get(struct nl_sock *s, __u8 family, const struct ks_addr *dst,
		      struct ks_rt_result *out)
{
	struct rtmsg rtm = {
	    .rtm_family = ks_family_to_af(family),
	    .rtm_dst_len = family == KS_AF_INET6 ? 128 : 32,
	};
	struct route_arg ra = {.family = family, .out = out};
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETROUTE, 0);

	if (!msg)
		return -ENOMEM;
	if (nlmsg_append(msg, &rtm, sizeof(rtm), NLMSG_ALIGNTO) < 0 ||
	    nla_put(msg, RTA_DST, ks_family_addr_len(family), dst) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	return request(s, msg, parse_route, &ra);
}

static int parse_neigh(struct nlmsghdr *h, void *arg)
{
	struct ks_neigh_result *n = arg;
	struct nlattr *tb[NDA_MAX + 1];
	struct ndmsg *ndm = nlmsg_data(h);

	if (h->nlmsg_type != RTM_NEWNEIGH || nlmsg_parse(h, sizeof(*ndm), tb, NDA_MAX, NULL) < 0)
		return -EPROTO;
	memset(n, 0, sizeof(*n));
	n->state = ndm->ndm_state;
	if (tb[NDA_LLADDR] && nla_len(tb[NDA_LLADDR]) == 6) {
		n->has_lladdr = true;
		memcpy(n->lladdr, nla_data(tb[NDA_LLADDR]), 6);
	}
	return 0;
}

int ks_rtnl_neigh_get(struct nl_sock *s, __u8 family, __u32 ifindex, const struct ks_addr *addr,
		      struct ks_neigh_result *out)
{
	struct ndmsg ndm = {.ndm_family = ks_family_to_af(family), .ndm_ifindex = ifindex};
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETNEIGH, 0);

	if (!msg)
		return -ENOMEM;
	if (nlmsg_append(msg, &ndm, sizeof(ndm), NLMSG_ALIGNTO) < 0 ||
	    nla_put(msg, NDA_DST, ks_family_addr_len(family), addr) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	return request(s, msg, parse_neigh, out);
}

int ks_rtnl_neigh_ask(struct nl_sock *s, __u8 family, __u32 ifindex, const struct ks_addr *addr)
{
	/*
	 * NTF_USE: the kernel treats this like a packet waiting for the
	 * neighbour (neigh_event_send) instead of setting the entry: it starts
	 * or restarts resolution and never overwrites a learned address.
	 */
	struct ndmsg ndm = {
	    .ndm_family = ks_family_to_af(family),
	    .ndm_ifindex = ifindex,
	    .ndm_state = NUD_NONE,
	    .ndm_flags = NTF_USE,
	};
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_ACK);

	if (!msg)
		return -ENOMEM;
	if (nlmsg_append(msg, &ndm, sizeof(ndm), NLMSG_ALIGNTO) < 0 ||
	    nla_put(msg, NDA_DST, ks_family_addr_len(family), addr) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	return request(s, msg, NULL, NULL);
}

int ks_rtnl_link_get(struct nl_sock *s, __u32 ifindex, struct ks_link_result *out)
{
	struct rtnl_link *link = NULL;
	struct nl_addr *a;
	int err = rtnl_link_get_kernel(s, (int)ifindex, NULL, &link);

	if (err < 0)
		return err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV ? -ENODEV : -EIO;
	memset(out, 0, sizeof(*out));
	out->flags = rtnl_link_get_flags(link);
	out->mtu = rtnl_link_get_mtu(link);
	out->arptype = rtnl_link_get_arptype(link);
	a = rtnl_link_get_addr(link);
	if (a && nl_addr_get_len(a) == 6) {
		out->has_addr = true;
		memcpy(out->addr, nl_addr_get_binary_addr(a), 6);
	}
	rtnl_link_put(link);
	return 0;
}
