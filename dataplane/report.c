/* SPDX-License-Identifier: BSD-3-Clause */
#include "report.h"

#include "shmtable/shm_writer.h"

void ks_dp_report_setup(const struct ks_dp_app *app, FILE *f)
{
	for (uint16_t i = 0; i < app->n_ports; i++) {
		const struct ks_dp_port *p = app->ports[app->port_ids[i]];

		fprintf(
		    f,
		    "keysteer-dpdk: port %u %02x:%02x:%02x:%02x:%02x:%02x mtu %u, %u rx / %u tx "
		    "queues%s%s\n",
		    p->id, p->mac.addr_bytes[0], p->mac.addr_bytes[1], p->mac.addr_bytes[2],
		    p->mac.addr_bytes[3], p->mac.addr_bytes[4], p->mac.addr_bytes[5], p->mtu,
		    p->n_rxq, p->n_txq, p->rss ? ", RSS" : "",
		    (int)p->id == app->exception_port ? ", exception port" : "");
	}
	for (unsigned w = 0; w < app->n_workers; w++) {
		const struct ks_dp_lcore *lc = app->workers[w];

		fprintf(f, "keysteer-dpdk: lcore %u polls", lc->lcore_id);
		for (uint16_t q = 0; q < lc->n_rxq; q++)
			fprintf(f, " %u/%u", lc->rxq[q].port, lc->rxq[q].queue);
		fprintf(f, "%s\n", lc->n_rxq ? "" : " nothing");
	}
	fflush(f);
}

void ks_dp_report(const struct ks_dp_app *app, FILE *f)
{
	struct ks_counter r[KS_R_MAX];
	uint64_t rx = 0, tx = 0, pass = 0, drop = 0, full = 0, copies = 0;

	for (unsigned w = 0; w < app->n_workers; w++) {
		const struct ks_dp_lcore_stats *s = &app->workers[w]->st;

		rx += s->rx;
		tx += s->tx;
		pass += s->pass;
		drop += s->drop;
		full += s->tx_full;
		copies += s->shadow_copies;
	}
	fprintf(f,
		"keysteer-dpdk: rx %llu tx %llu pass %llu drop %llu tx_full %llu shadow_copies "
		"%llu\n",
		(unsigned long long)rx, (unsigned long long)tx, (unsigned long long)pass,
		(unsigned long long)drop, (unsigned long long)full, (unsigned long long)copies);
	ks_shm_read_reasons(app->view.h, r);
	for (unsigned i = 0; i < KS_R_MAX; i++)
		if (r[i].packets)
			fprintf(f, "keysteer-dpdk:   %-14s %llu\n", ks_shm_reason_name(i),
				(unsigned long long)r[i].packets);
	fflush(f);
}
