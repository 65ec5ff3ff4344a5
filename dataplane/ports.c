/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ports and queues. Every worker lcore gets its own TX queue on every port
 * when the PMD has enough; otherwise workers share the port's queues under a
 * spinlock (net_pcap has one TX queue per tx_pcap file, say).
 *
 * RX: with RSS (the PMD advertises hash functions) every port gets one RX
 * queue per worker (as many as it has) and worker w polls queue w of every
 * port: a flow stays on one lcore. A device made with several queues and no
 * RSS spreads flows itself (net_af_packet qpairs=N by the kernel's fanout,
 * net_af_xdp queue_count=N by the NIC's queues, net_ring over its rings): all
 * its queues are polled, dealt out to the workers round-robin, like the one
 * queue of net_pcap or net_af_packet without qpairs; give such a device as
 * many queues as workers, or use several devices, to spread it. --no-rss:
 * one queue per port. Connection and NAT tables are
 * shared by all lcores, so which lcore sees a packet never changes its fate.
 */
#include "ports.h"

#include <stdio.h>
#include <string.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>

static int setup_port(struct ks_dp_app *app, uint16_t pid, unsigned workers, char *err,
		      size_t errlen)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	struct ks_dp_port *p;
	int rc;

	rc = rte_eth_dev_info_get(pid, &info);
	if (rc) {
		snprintf(err, errlen, "port %u: info: %s", pid, rte_strerror(-rc));
		return rc;
	}
	p = rte_zmalloc("ks_port", sizeof(*p), RTE_CACHE_LINE_SIZE);
	if (!p) {
		snprintf(err, errlen, "port %u: out of memory", pid);
		return -ENOMEM;
	}
	p->id = pid;
	memset(&conf, 0, sizeof(conf));
	/*
	 * With RSS, a queue per worker (as many as the device has): the device
	 * spreads flows by our hash. A virtual device made with several queues
	 * (info.nb_rx_queues before it is configured: net_af_packet qpairs=N,
	 * net_af_xdp queue_count=N, net_ring's 16 rings) fills all of them its
	 * own way (the kernel's fanout by flow hash, the NIC's queues): every one
	 * is configured and polled, or what lands on it would never be read. A
	 * PCI device without RSS reports 0 before it is configured: one queue.
	 */
	p->rss = info.flow_type_rss_offloads != 0;
	if (p->rss)
		p->n_rxq = (uint16_t)RTE_MIN(workers, info.max_rx_queues);
	else
		p->n_rxq = info.nb_rx_queues;
	if (app->opt.no_rss || !p->n_rxq || (int)pid == app->opt.exception_port)
		p->n_rxq = 1; /* the exception port: nothing is read, but PMDs want a queue */
	p->rss = p->rss && p->n_rxq > 1;
	if (p->rss) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
		    (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP | RTE_ETH_RSS_TCP) &
		    info.flow_type_rss_offloads;
	}
	p->n_txq = (uint16_t)RTE_MIN(workers, (unsigned)info.max_tx_queues);
	if (!p->n_txq)
		p->n_txq = 1;
	rc = rte_eth_dev_configure(pid, p->n_rxq, p->n_txq, &conf);
	if (rc) {
		snprintf(err, errlen, "port %u: configure %u rx / %u tx queues: %s", pid, p->n_rxq,
			 p->n_txq, rte_strerror(-rc));
		return rc;
	}
	for (uint16_t q = 0; q < p->n_rxq; q++) {
		rc = rte_eth_rx_queue_setup(pid, q, app->opt.rx_desc, rte_eth_dev_socket_id(pid),
					    NULL, app->pool);
		if (rc) {
			snprintf(err, errlen, "port %u: rx queue %u: %s", pid, q,
				 rte_strerror(-rc));
			return rc;
		}
	}
	for (uint16_t q = 0; q < p->n_txq; q++) {
		rc = rte_eth_tx_queue_setup(pid, q, app->opt.tx_desc, rte_eth_dev_socket_id(pid),
					    NULL);
		if (rc) {
			snprintf(err, errlen, "port %u: tx queue %u: %s", pid, q,
				 rte_strerror(-rc));
			return rc;
		}
	}
	for (unsigned i = 0; i < RTE_MAX_LCORE; i++)
		rte_spinlock_init(&p->txlock[i]);
	rte_eth_macaddr_get(pid, &p->mac);
	if (rte_eth_dev_get_mtu(pid, &p->mtu))
		p->mtu = 1500;
	rc = rte_eth_dev_start(pid);
	if (rc) {
		snprintf(err, errlen, "port %u: start: %s", pid, rte_strerror(-rc));
		return rc;
	}
	rte_eth_promiscuous_enable(pid);
	app->ports[pid] = p;
	app->port_ids[app->n_ports++] = pid;
	return 0;
}

int ks_dp_ports_setup(struct ks_dp_app *app, unsigned workers, char *err, size_t errlen)
{
	uint16_t pid;
	int rc;

	RTE_ETH_FOREACH_DEV(pid)
	{
		if (pid >= KS_SHM_MAX_PORTS) {
			snprintf(err, errlen, "port %u: at most %u ports", pid, KS_SHM_MAX_PORTS);
			return -E2BIG;
		}
		rc = setup_port(app, pid, workers, err, errlen);
		if (rc)
			return rc;
	}
	if (!app->n_ports) {
		snprintf(err, errlen, "no ports: give devices with --vdev or -a (PCI)");
		return -ENODEV;
	}
	if (app->opt.exception_port >= 0 && !app->ports[app->opt.exception_port]) {
		snprintf(err, errlen, "--exception-port %d: no such port", app->opt.exception_port);
		return -ENODEV;
	}
	app->exception_port = app->opt.exception_port;
	return 0;
}

/* Which (port, queue) pairs each worker polls, and its TX queue per port. */
void ks_dp_ports_assign(struct ks_dp_app *app)
{
	unsigned next = 0;

	for (uint16_t i = 0; i < app->n_ports; i++) {
		struct ks_dp_port *p = app->ports[app->port_ids[i]];

		if ((int)p->id == app->exception_port)
			continue;
		for (uint16_t q = 0; q < p->n_rxq; q++) {
			struct ks_dp_lcore *lc =
			    app->workers[p->rss ? q % app->n_workers : next++ % app->n_workers];

			if (lc->n_rxq < KS_DP_MAX_RXQ) {
				lc->rxq[lc->n_rxq].port = p->id;
				lc->rxq[lc->n_rxq].queue = q;
				lc->n_rxq++;
			} else {
				fprintf(stderr,
					"keysteer-dpdk: port %u queue %u not polled: lcore %u "
					"polls %u queues already\n",
					p->id, q, lc->lcore_id, KS_DP_MAX_RXQ);
			}
		}
	}
	for (unsigned w = 0; w < app->n_workers; w++) {
		struct ks_dp_lcore *lc = app->workers[w];

		for (uint16_t i = 0; i < app->n_ports; i++) {
			struct ks_dp_port *p = app->ports[app->port_ids[i]];
			uint16_t q = (uint16_t)(w % p->n_txq);

			lc->txq[p->id] = q;
			/* Shared when fewer queues than workers. */
			lc->txlock[p->id] = p->n_txq < app->n_workers ? &p->txlock[q] : NULL;
		}
	}
}

void ks_dp_ports_close(struct ks_dp_app *app)
{
	for (uint16_t i = 0; i < app->n_ports; i++) {
		uint16_t pid = app->port_ids[i];

		rte_eth_dev_stop(pid);
		rte_eth_dev_close(pid);
		rte_free(app->ports[pid]);
		app->ports[pid] = NULL;
	}
	app->n_ports = 0;
}
