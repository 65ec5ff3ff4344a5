/* SPDX-License-Identifier: BSD-3-Clause */
/* ARP and IPv6 neighbour discovery on a control path: see neigh.h. */
#include "neigh.h"

#include <errno.h>
#include <stdio.h>
#include <arpa/inet.h>
#include <string.h>
#include <rte_arp.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_errno.h>
#include <rte_ring.h>

#include "shmtable/shm_writer.h"

#define ICMP6_NS       135
#define ICMP6_NA       136
#define ND_OPT_SLLA    1
#define ND_OPT_TLLA    2
#define NA_SOLICITED   0x40
#define NA_OVERRIDE    0x20
#define ND_LEN	       24 /* type, code, checksum, flags/reserved, target */
#define ND_WITH_LLA    (ND_LEN + 8)
#define ARP_FRAME_LEN  60 /* padded to the Ethernet minimum */
#define RESOLVE_PERIOD 1  /* seconds between requests for an unresolved next hop */
#define PROBES_MAX     3  /* unanswered probes of a resolved next hop before it is unresolved */

/* What a worker learned: ip is at mac on port. */
struct learned {
	struct ks_addr ip;
	uint8_t family, port;
	uint8_t mac[6];
};

/* ICMPv6 neighbour solicitation/advertisement body, RFC 4861 4.3/4.4. */
struct nd_msg {
	uint8_t type, code;
	rte_be16_t cksum;
	uint8_t flags; /* NA: R S O */
	uint8_t reserved[3];
	uint8_t target[16];
	uint8_t opt_type, opt_len; /* one link-layer address option, length in 8 bytes */
	uint8_t opt_mac[6];
} __rte_packed;

static const struct ks_shm_neigh_ent *dynamic_find(const struct ks_dp_app *app, uint8_t family,
						   const void *ip, unsigned *idx)
{
	for (unsigned i = 0; i < app->n_dyn; i++) {
		const struct ks_shm_neigh_ent *e = &app->opt.neigh.neigh[app->dyn[i]];

		if (e->family == family &&
		    !memcmp(&e->ip, ip, family == KS_AF_INET ? 4 : sizeof(e->ip))) {
			*idx = i;
			return e;
		}
	}
	return NULL;
}

/* A worker saw `ip` at `mac` on `port`: tell the control lcore when it is a next hop we resolve. */
static void learn(struct ks_dp_lcore *lc, uint8_t family, const void *ip, const uint8_t *mac,
		  uint16_t port)
{
	struct ks_dp_app *app = lc->app;
	const struct ks_shm_neigh_ent *e;
	struct learned l;
	unsigned idx;

	e = dynamic_find(app, family, ip, &idx);
	if (!e || e->port != port || rte_is_zero_ether_addr((const struct rte_ether_addr *)mac))
		return;
	/*
	 * Nothing new: no message (a neighbour's every ARP request would be
	 * one), unless the control lcore is probing it and waits for a word.
	 */
	if (app->dyn_known[idx] && !memcmp(app->dyn_mac[idx], mac, 6) &&
	    !__atomic_load_n(&app->dyn_probes[idx], __ATOMIC_RELAXED))
		return;
	memset(&l, 0, sizeof(l));
	memcpy(&l.ip, &e->ip, sizeof(l.ip));
	l.family = family;
	l.port = (uint8_t)port;
	memcpy(l.mac, mac, 6);
	rte_ring_mp_enqueue_elem(app->learned, &l, sizeof(l)); /* full: the next reply will do */
}

/* Is ip one of this router's addresses: its outer sources and the active listeners'. */
static int own_address(const struct ks_dp_lcore *lc, uint8_t family, const void *ip)
{
	const struct ks_shm_neigh *n = &lc->app->opt.neigh;
	const struct ks_shm_listener_ent *tab = lc->view.listeners[lc->gen];
	size_t len = family == KS_AF_INET ? 4 : 16;

	if (family == KS_AF_INET && n->has_src4 && !memcmp(&n->src4, ip, len))
		return 1;
	if (family == KS_AF_INET6 && n->has_src6 && !memcmp(&n->src6, ip, len))
		return 1;
	for (__u32 i = 0; i <= lc->view.listener_mask; i++)
		if (tab[i].used && tab[i].key.family == family &&
		    !memcmp(&tab[i].key.addr, ip, len))
			return 1;
	return 0;
}

static int arp_frame(struct ks_dp_lcore *lc, uint16_t in_port, struct rte_mbuf *m)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *a = (struct rte_arp_hdr *)(eth + 1);
	const struct rte_ether_addr *mine = &lc->app->ports[in_port]->mac;
	uint16_t op;
	uint32_t tip;

	if (rte_pktmbuf_data_len(m) < sizeof(*eth) + sizeof(*a) ||
	    a->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
	    a->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) || a->arp_hlen != 6 ||
	    a->arp_plen != 4)
		return KS_DP_NEIGH_NOT_MINE;
	op = rte_be_to_cpu_16(a->arp_opcode);
	learn(lc, KS_AF_INET, &a->arp_data.arp_sip, a->arp_data.arp_sha.addr_bytes, in_port);
	if (op == RTE_ARP_OP_REQUEST && own_address(lc, KS_AF_INET, &a->arp_data.arp_tip)) {
		tip = a->arp_data.arp_tip;
		a->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
		a->arp_data.arp_tha = a->arp_data.arp_sha;
		a->arp_data.arp_tip = a->arp_data.arp_sip;
		a->arp_data.arp_sha = *mine;
		a->arp_data.arp_sip = tip;
		eth->dst_addr = a->arp_data.arp_tha;
		eth->src_addr = *mine;
		return KS_DP_NEIGH_REPLY;
	}
	if (op == RTE_ARP_OP_REPLY) {
		unsigned idx;

		if (dynamic_find(lc->app, KS_AF_INET, &a->arp_data.arp_sip, &idx))
			return KS_DP_NEIGH_TAKEN;
	}
	return KS_DP_NEIGH_NOT_MINE;
}

/* The ICMPv6 checksum over the pseudo-header and the message sums to all ones. */
static int nd_cksum_ok(const struct rte_ipv6_hdr *ip6, const void *msg, uint16_t len)
{
	uint32_t c = (uint32_t)rte_raw_cksum(msg, len) + rte_ipv6_phdr_cksum(ip6, 0);

	c = (c & 0xffff) + (c >> 16);
	c = (c & 0xffff) + (c >> 16);
	return c == 0xffff;
}

static const uint8_t *nd_lla(const struct nd_msg *nd, uint16_t nd_len, uint8_t opt)
{
	if (nd_len >= ND_WITH_LLA && nd->opt_type == opt && nd->opt_len == 1)
		return nd->opt_mac;
	return NULL;
}

static int nd_frame(struct ks_dp_lcore *lc, uint16_t in_port, struct rte_mbuf *m)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(eth + 1);
	struct nd_msg *nd = (struct nd_msg *)(ip6 + 1);
	const struct rte_ether_addr *mine = &lc->app->ports[in_port]->mac;
	static const uint8_t unspecified[16];
	uint16_t nd_len;
	const uint8_t *lla;
	unsigned idx;

	if (rte_pktmbuf_data_len(m) < sizeof(*eth) + sizeof(*ip6) + ND_LEN ||
	    ip6->proto != IPPROTO_ICMPV6 || ip6->hop_limits != 255)
		return KS_DP_NEIGH_NOT_MINE;
	nd_len = rte_be_to_cpu_16(ip6->payload_len);
	if (nd_len < ND_LEN || sizeof(*eth) + sizeof(*ip6) + nd_len > rte_pktmbuf_data_len(m) ||
	    nd->code != 0 || (nd->type != ICMP6_NS && nd->type != ICMP6_NA) ||
	    !nd_cksum_ok(ip6, nd, nd_len))
		return KS_DP_NEIGH_NOT_MINE;
	if (nd->type == ICMP6_NA) {
		lla = nd_lla(nd, nd_len, ND_OPT_TLLA);
		if (!dynamic_find(lc->app, KS_AF_INET6, nd->target, &idx))
			return KS_DP_NEIGH_NOT_MINE;
		if (lla)
			learn(lc, KS_AF_INET6, nd->target, lla, in_port);
		return KS_DP_NEIGH_TAKEN;
	}
	lla = nd_lla(nd, nd_len, ND_OPT_SLLA);
	if (lla)
		learn(lc, KS_AF_INET6, ip6->src_addr, lla, in_port);
	/* Duplicate address detection (from ::) and solicitations for others: not ours. */
	if (!memcmp(ip6->src_addr, unspecified, 16) || !own_address(lc, KS_AF_INET6, nd->target))
		return KS_DP_NEIGH_NOT_MINE;
	/* The advertisement, in place: to the solicitor, from the target address. */
	if (nd_len < ND_WITH_LLA && !rte_pktmbuf_append(m, (uint16_t)(ND_WITH_LLA - nd_len)))
		return KS_DP_NEIGH_NOT_MINE;
	if (nd_len > ND_WITH_LLA)
		rte_pktmbuf_trim(m, (uint16_t)(nd_len - ND_WITH_LLA));
	eth->dst_addr = eth->src_addr;
	eth->src_addr = *mine;
	memcpy(ip6->dst_addr, ip6->src_addr, 16);
	memcpy(ip6->src_addr, nd->target, 16);
	ip6->payload_len = rte_cpu_to_be_16(ND_WITH_LLA);
	nd->type = ICMP6_NA;
	nd->flags = NA_SOLICITED | NA_OVERRIDE;
	memset(nd->reserved, 0, sizeof(nd->reserved));
	nd->opt_type = ND_OPT_TLLA;
	nd->opt_len = 1;
	memcpy(nd->opt_mac, mine->addr_bytes, 6);
	nd->cksum = 0;
	nd->cksum = rte_ipv6_udptcp_cksum(ip6, nd);
	return KS_DP_NEIGH_REPLY;
}

int ks_dp_neigh_frame(struct ks_dp_lcore *lc, uint16_t in_port, struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);

	if (!lc->app->answer_neigh || m->nb_segs > 1 || rte_pktmbuf_data_len(m) < sizeof(*eth) ||
	    in_port >= RTE_MAX_ETHPORTS || !lc->app->ports[in_port])
		return KS_DP_NEIGH_NOT_MINE;
	if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP))
		return arp_frame(lc, in_port, m);
	if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6))
		return nd_frame(lc, in_port, m);
	return KS_DP_NEIGH_NOT_MINE;
}

/* An ARP request or a neighbour solicitation for next hop e, or NULL. */
static struct rte_mbuf *request(struct ks_dp_app *app, const struct ks_shm_neigh_ent *e)
{
	const struct ks_shm_neigh *n = &app->opt.neigh;
	const struct ks_dp_port *p = e->port < RTE_MAX_ETHPORTS ? app->ports[e->port] : NULL;
	struct rte_mbuf *m;
	struct rte_ether_hdr *eth;

	if (!p || (e->family == KS_AF_INET6 && !n->has_src6))
		return NULL;
	m = rte_pktmbuf_alloc(app->pool);
	if (!m)
		return NULL;
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	eth->src_addr = p->mac;
	if (e->family == KS_AF_INET) {
		struct rte_arp_hdr *a = (struct rte_arp_hdr *)(eth + 1);

		memset(eth, 0, ARP_FRAME_LEN);
		eth->src_addr = p->mac;
		memset(&eth->dst_addr, 0xff, sizeof(eth->dst_addr));
		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
		a->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
		a->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
		a->arp_hlen = 6;
		a->arp_plen = 4;
		a->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
		a->arp_data.arp_sha = p->mac;
		/* Without an IPv4 source: an ARP probe (sender 0.0.0.0). */
		a->arp_data.arp_sip = n->has_src4 ? n->src4.w[0] : 0;
		a->arp_data.arp_tip = e->ip.w[0];
		m->data_len = m->pkt_len = ARP_FRAME_LEN;
	} else {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(eth + 1);
		struct nd_msg *nd = (struct nd_msg *)(ip6 + 1);
		const uint8_t *t = (const uint8_t *)e->ip.w;
		/* Solicited-node multicast: ff02::1:ffXX:XXXX, MAC 33:33:ff:XX:XX:XX. */
		uint8_t dst[16] = {0xff, 0x02, 0, 0, 0,	   0,	  0,	 0,
				   0,	 0,    0, 1, 0xff, t[13], t[14], t[15]};
		uint8_t dmac[6] = {0x33, 0x33, 0xff, t[13], t[14], t[15]};

		memcpy(eth->dst_addr.addr_bytes, dmac, 6);
		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
		memset(ip6, 0, sizeof(*ip6) + sizeof(*nd));
		ip6->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip6->payload_len = rte_cpu_to_be_16(ND_WITH_LLA);
		ip6->proto = IPPROTO_ICMPV6;
		ip6->hop_limits = 255;
		memcpy(ip6->src_addr, n->src6.w, 16);
		memcpy(ip6->dst_addr, dst, 16);
		nd->type = ICMP6_NS;
		memcpy(nd->target, t, 16);
		nd->opt_type = ND_OPT_SLLA;
		nd->opt_len = 1;
		memcpy(nd->opt_mac, p->mac.addr_bytes, 6);
		nd->cksum = rte_ipv6_udptcp_cksum(ip6, nd);
		m->data_len = m->pkt_len = sizeof(*eth) + sizeof(*ip6) + ND_WITH_LLA;
	}
	m->port = e->port; /* where worker 0 sends it */
	return m;
}

static void republish(struct ks_dp_app *app)
{
	struct ks_shm_writer_opts wo = {.gue_port = app->opt.gue_port};
	struct ks_shm_writer *w;
	char err[256];

	w = ks_shm_open_writer(app->opt.table, &wo, err, sizeof(err));
	if (!w) {
		fprintf(stderr, "keysteer-dpdk: next hops not published: %s\n", err);
		return;
	}
	if (ks_shm_publish_neigh(w, &app->opt.neigh))
		fprintf(stderr, "keysteer-dpdk: next hops not published: %s\n", ks_shm_error(w));
	ks_shm_close_writer(w);
}

/*
 * Is resolved next hop i due a probe: not confirmed for --neigh-refresh
 * seconds (then probed once a second, with the requests that resolve)? Only
 * an answer while a probe is out confirms (workers stay quiet otherwise), so
 * every resolved next hop is re-confirmed that often, busy or not.
 */
static int probe_due(const struct ks_dp_app *app, unsigned i, uint64_t now, uint64_t hz)
{
	return app->opt.neigh_refresh && now - app->dyn_seen[i] >= app->opt.neigh_refresh * hz;
}

/*
 * Resolved next hop i did not answer PROBES_MAX probes: unresolved again, so
 * that frames for it are counted (no next hop) instead of sent to a MAC that
 * may be gone; the requests go on until it answers.
 */
static void forget(struct ks_dp_app *app, unsigned i, struct ks_shm_neigh_ent *e)
{
	char ip[64];

	memset(e->mac, 0, 6);
	memset(app->dyn_mac[i], 0, 6);
	app->dyn_known[i] = 0;
	__atomic_store_n(&app->dyn_probes[i], 0, __ATOMIC_RELAXED);
	inet_ntop(e->family == KS_AF_INET ? AF_INET : AF_INET6, &e->ip, ip, sizeof(ip));
	printf("keysteer-dpdk: next hop %s did not answer %d probes: unresolved\n", ip, PROBES_MAX);
	fflush(stdout);
}

void ks_dp_neigh_control(struct ks_dp_app *app, uint64_t now, uint64_t hz)
{
	struct ks_shm_neigh *n = &app->opt.neigh;
	struct learned l;
	int changed = 0;

	if (!app->learned)
		return;
	while (rte_ring_sc_dequeue_elem(app->learned, &l, sizeof(l)) == 0) {
		unsigned idx;
		struct ks_shm_neigh_ent *e =
		    (struct ks_shm_neigh_ent *)dynamic_find(app, l.family, &l.ip, &idx);
		char ip[64];

		if (!e)
			continue;
		app->dyn_seen[idx] = now;
		__atomic_store_n(&app->dyn_probes[idx], 0, __ATOMIC_RELAXED);
		if (app->dyn_known[idx] && !memcmp(app->dyn_mac[idx], l.mac, 6))
			continue; /* confirmed, unchanged */
		memcpy(e->mac, l.mac, 6);
		memcpy(app->dyn_mac[idx], l.mac, 6);
		app->dyn_known[idx] = 1;
		changed = 1;
		inet_ntop(l.family == KS_AF_INET ? AF_INET : AF_INET6, &l.ip, ip, sizeof(ip));
		printf("keysteer-dpdk: next hop %s is %02x:%02x:%02x:%02x:%02x:%02x on port %u\n",
		       ip, l.mac[0], l.mac[1], l.mac[2], l.mac[3], l.mac[4], l.mac[5], l.port);
		fflush(stdout);
	}
	if (now - app->neigh_sent >= RESOLVE_PERIOD * hz) {
		app->neigh_sent = now;
		for (unsigned i = 0; i < app->n_dyn; i++) {
			struct ks_shm_neigh_ent *e = &n->neigh[app->dyn[i]];
			struct rte_mbuf *m;

			if (app->dyn_known[i] && !probe_due(app, i, now, hz))
				continue;
			if (app->dyn_known[i] && app->dyn_probes[i] >= PROBES_MAX) {
				forget(app, i, e);
				changed = 1;
			}
			if (app->dyn_known[i])
				__atomic_store_n(&app->dyn_probes[i], app->dyn_probes[i] + 1,
						 __ATOMIC_RELAXED);
			m = request(app, e);
			if (m && rte_ring_sp_enqueue(app->ctl_tx, m))
				rte_pktmbuf_free(m);
		}
	}
	if (changed)
		republish(app);
}

int ks_dp_neigh_setup(struct ks_dp_app *app, char *err, size_t errlen)
{
	const struct ks_shm_neigh *n = &app->opt.neigh;

	app->n_dyn = 0;
	for (unsigned i = 0; i < n->n_neigh && app->n_dyn < KS_DP_MAX_DYN; i++) {
		static const uint8_t zero[6];

		if (!memcmp(n->neigh[i].mac, zero, 6))
			app->dyn[app->n_dyn++] = i;
	}
	if (!app->answer_neigh) {
		if (app->n_dyn) {
			snprintf(err, errlen,
				 "--no-arp: every --neigh needs a MAC, and --gw IP@PORT "
				 "one of its own");
			return -EINVAL;
		}
		return 0;
	}
	app->learned = rte_ring_create_elem("ks_learned", sizeof(struct learned), 256,
					    (int)rte_socket_id(), RING_F_SC_DEQ);
	app->ctl_tx =
	    rte_ring_create("ks_ctl_tx", 64, (int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (!app->learned || !app->ctl_tx) {
		snprintf(err, errlen, "rings for ARP/ND: %s", rte_strerror(rte_errno));
		return -ENOMEM;
	}
	if (app->n_workers)
		app->workers[0]->ctl_tx = app->ctl_tx;
	return 0;
}

void ks_dp_neigh_close(struct ks_dp_app *app)
{
	struct rte_mbuf *m;

	if (app->ctl_tx) {
		while (rte_ring_sc_dequeue(app->ctl_tx, (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(app->ctl_tx);
	}
	rte_ring_free(app->learned);
	app->ctl_tx = app->learned = NULL;
}
