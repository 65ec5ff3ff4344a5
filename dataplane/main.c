/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keysteer-dpdk: the DPDK fast path. `keysteer-dpdk [EAL options] -- [options]`.
 * Parse options, map the shared table, set up ports and workers, publish
 * this host's next hops (and, standalone, a rule set), run until told to
 * stop. See docs/dpdk.md.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "flowstore.h"
#include "ks_dp.h"
#include "neigh.h"
#include "ports.h"
#include "report.h"
#include "rules/rules.h"
#include "shmtable/shm_qsbr.h"
#include "shmtable/shm_writer.h"
#include "telemetry.h"
#include "worker.h"

static struct ks_dp_app app;

static void on_signal(int sig)
{
	(void)sig;
	app.quit = 1;
}

/* Split argv at "--": EAL's part and ours. Returns the index of "--" or argc. */
static int find_split(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--"))
			return i;
	return argc;
}

static int make_workers(char *err, size_t errlen)
{
	unsigned lcore;

	RTE_LCORE_FOREACH_WORKER(lcore)
	{
		struct ks_dp_lcore *lc =
		    rte_zmalloc_socket("ks_lcore", sizeof(*lc), RTE_CACHE_LINE_SIZE,
				       (int)rte_lcore_to_socket_id(lcore));
		int slot;

		if (!lc) {
			snprintf(err, errlen, "out of memory for lcore %u", lcore);
			return -ENOMEM;
		}
		slot = ks_shm_reader_register(app.map.h, lcore);
		if (slot < 0) {
			rte_free(lc);
			snprintf(err, errlen,
				 "%s: no free reader slot for lcore %u (the table has %u; "
				 "recreate it with a larger --table-readers)",
				 app.opt.table, lcore, app.map.h->max_readers);
			return slot;
		}
		lc->app = &app;
		lc->lcore_id = lcore;
		lc->reader = (uint32_t)slot;
		ks_shm_view_init(&lc->view, app.map.base);
		lc->cnt = ks_shm_counters(app.map.h, lc->reader);
		lc->keys = ks_shm_key_stats(app.map.h, lc->reader);
		lc->stats_slots = app.map.h->stats_slots;
		app.workers[app.n_workers++] = lc;
	}
	if (!app.n_workers) {
		snprintf(err, errlen,
			 "no worker lcores: give at least two (-l 0-1), lcore 0 "
			 "is the control lcore");
		return -EINVAL;
	}
	return 0;
}

/*
 * Publish the ports and next hops (always), and load --rules (standalone),
 * as a writer of the table. Workers are registered but offline, so the
 * writer waits only for other processes' fast-path threads.
 */
static int publish(char *err, size_t errlen)
{
	struct ks_shm_writer_opts wo = {.gue_port = app.opt.gue_port};
	struct ks_shm_neigh *n = &app.opt.neigh;
	struct ks_shm_writer *w;
	int rc = 0;

	n->n_ports = 0;
	for (uint16_t i = 0; i < app.n_ports; i++) {
		const struct ks_dp_port *p = app.ports[app.port_ids[i]];

		memcpy(n->ports[p->id].mac, p->mac.addr_bytes, 6);
		n->ports[p->id].mtu = p->mtu;
		n->ports[p->id].used = 1;
		if (p->id + 1u > n->n_ports)
			n->n_ports = p->id + 1u;
	}
	w = ks_shm_open_writer(app.opt.table, &wo, err, errlen);
	if (!w)
		return -EIO;
	rc = ks_shm_publish_neigh(w, n);
	if (rc) {
		snprintf(err, errlen, "publishing next hops: %s", ks_shm_error(w));
		goto out;
	}
	if (app.opt.rules) {
		struct ks_diags d = {0};
		struct ks_compiled *c = NULL;
		struct ks_shm_apply_stats st;

		if (ks_rules_compile_file(app.opt.rules, &c, &d) != KS_RULES_OK) {
			ks_diags_print(&d, app.opt.rules, stderr);
			ks_diags_free(&d);
			snprintf(err, errlen, "%s: rule set rejected", app.opt.rules);
			rc = -EINVAL;
			goto out;
		}
		ks_diags_free(&d);
		rc = ks_shm_apply_sync(w, c, &st);
		if (rc)
			snprintf(err, errlen, "%s: %s", app.opt.rules, ks_shm_error(w));
		else if (!app.opt.quiet)
			printf("keysteer-dpdk: rule set version %llu: %u routes, %u listeners, "
			       "%u shards\n",
			       (unsigned long long)c->version, c->n_routes, c->n_listeners,
			       c->n_shards);
		ks_compiled_free(c);
	}
out:
	ks_shm_close_writer(w);
	return rc;
}

static void control_loop(void)
{
	uint64_t hz = rte_get_timer_hz(), start = rte_get_timer_cycles(), last_stats = start;

	while (!app.quit) {
		uint64_t now = rte_get_timer_cycles();

		app.clock = (uint32_t)((now - start) / hz);
		if (app.stop_after &&
		    __atomic_load_n(&app.rx_total, __ATOMIC_RELAXED) >= app.stop_after)
			break;
		if (app.opt.duration && now - start >= app.opt.duration * hz)
			break;
		ks_dp_neigh_control(&app, now, hz);
		if (app.opt.stats_interval && now - last_stats >= app.opt.stats_interval * hz) {
			ks_dp_report(&app, stdout);
			last_stats = now;
		}
		usleep(1000);
	}
	app.quit = 1;
}

int main(int argc, char **argv)
{
	static char flows_path[4096];
	struct ks_shm_geometry g;
	char err[512] = "";
	int split = find_split(argc, argv), rc, eal;

	app.flows_fd = -1;
	/* Our options first: --help needs no hugepages. */
	if (split == argc) {
		for (int i = 1; i < argc; i++)
			if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
				ks_dp_options_usage(stdout);
				return 0;
			}
		rc = ks_dp_options_parse(&app.opt, 1, argv);
	} else {
		/* Our part is argv[split + 1 ..], with argv[0] standing in for "--". */
		char *dashes = argv[split];

		argv[split] = argv[0];
		rc = ks_dp_options_parse(&app.opt, argc - split, argv + split);
		argv[split] = dashes;
	}
	if (rc == 1)
		return 0;
	if (rc < 0)
		return 2;
	eal = rte_eal_init(split, argv);
	if (eal < 0) {
		fprintf(stderr, "keysteer-dpdk: EAL: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	app.stop_after = app.opt.stop_after;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	g.max_routes = app.opt.table_routes;
	g.max_readers = app.opt.table_readers;
	g.stats_slots = 0;
	rc = ks_shm_map_open(app.opt.table, &g, &app.map, err, sizeof(err));
	if (rc)
		goto fail;
	ks_shm_view_init(&app.view, app.map.base);
	app.pool = rte_pktmbuf_pool_create("ks_mbufs", app.opt.mbufs, 256, 0,
					   (uint16_t)app.opt.mbuf_size, (int)rte_socket_id());
	if (!app.pool) {
		snprintf(err, sizeof(err), "mbuf pool of %u: %s", app.opt.mbufs,
			 rte_strerror(rte_errno));
		rc = -ENOMEM;
		goto fail;
	}
	rc = make_workers(err, sizeof(err));
	if (rc)
		goto fail;
	if (!app.opt.flows_file) {
		snprintf(flows_path, sizeof(flows_path), "%s.flows", app.opt.table);
		app.opt.flows_file = flows_path;
	}
	rc = ks_dp_flowstore_open(&app, err, sizeof(err));
	if (rc)
		goto fail;
	if (!app.opt.quiet && app.flows_resumed)
		printf("keysteer-dpdk: connection and NAT tables resumed from %s\n",
		       app.opt.flows_file);
	rc = ks_dp_ports_setup(&app, app.n_workers, err, sizeof(err));
	if (rc)
		goto fail;
	ks_dp_ports_assign(&app);
	app.answer_neigh = !app.opt.no_arp;
	rc = ks_dp_neigh_setup(&app, err, sizeof(err));
	if (rc)
		goto fail;
	rc = publish(err, sizeof(err));
	if (rc)
		goto fail;
	if (ks_dp_telemetry_register(&app))
		fprintf(stderr, "keysteer-dpdk: telemetry commands not registered\n");
	if (!app.opt.quiet)
		ks_dp_report_setup(&app, stdout);

	for (unsigned w = 0; w < app.n_workers; w++)
		rte_eal_remote_launch(ks_dp_worker_main, app.workers[w], app.workers[w]->lcore_id);
	control_loop();
	rte_eal_mp_wait_lcore();
	if (!app.opt.quiet)
		ks_dp_report(&app, stdout);
	rc = 0;
fail:
	if (rc)
		fprintf(stderr, "keysteer-dpdk: %s\n", err);
	for (unsigned w = 0; w < app.n_workers; w++)
		ks_shm_reader_unregister(app.map.h, app.workers[w]->reader);
	ks_dp_neigh_close(&app);
	ks_dp_ports_close(&app);
	ks_dp_flowstore_close(&app);
	ks_shm_unmap(&app.map);
	rte_eal_cleanup();
	return rc ? 1 : 0;
}
