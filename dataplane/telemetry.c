/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Counters through DPDK telemetry: `dpdk-telemetry.py -f PREFIX` (the EAL
 * --file-prefix), then
 *   /keysteer/stats     version, generation, frames in/out per verdict
 *   /keysteer/reasons   packets per reason (the BPF backend's names)
 *   /keysteer/lcores    per worker: rx, tx, pass, drop, tx_full, shadow copies
 *   /keysteer/shard     ,ID: packets and bytes of one shard
 * Reasons and shards are the shared table's counters: every process that ran
 * on the table, as keysteerd reads them too.
 */
#include "telemetry.h"

#include <stdio.h>
#include <stdlib.h>
#include <rte_telemetry.h>

#include "shmtable/shm_writer.h"

static struct ks_dp_app *the_app;

static void sum_lcores(struct ks_dp_lcore_stats *s)
{
	memset(s, 0, sizeof(*s));
	for (unsigned w = 0; w < the_app->n_workers; w++) {
		const struct ks_dp_lcore_stats *l = &the_app->workers[w]->st;

		s->rx += l->rx;
		s->tx += l->tx;
		s->pass += l->pass;
		s->drop += l->drop;
		s->tx_full += l->tx_full;
		s->shadow_copies += l->shadow_copies;
	}
}

static int tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct ks_shm_view *v = &the_app->view;
	__u32 gen = ks_shm_view_gen(v);
	struct ks_dp_lcore_stats s;

	(void)cmd;
	(void)params;
	sum_lcores(&s);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "version", v->config[gen]->version);
	rte_tel_data_add_dict_u64(d, "generation", gen);
	rte_tel_data_add_dict_u64(d, "routes", v->config[gen]->n_routes);
	rte_tel_data_add_dict_u64(d, "workers", the_app->n_workers);
	rte_tel_data_add_dict_u64(d, "rx", s.rx);
	rte_tel_data_add_dict_u64(d, "tx", s.tx);
	rte_tel_data_add_dict_u64(d, "pass", s.pass);
	rte_tel_data_add_dict_u64(d, "drop", s.drop);
	rte_tel_data_add_dict_u64(d, "tx_full", s.tx_full);
	rte_tel_data_add_dict_u64(d, "shadow_copies", s.shadow_copies);
	return 0;
}

static int tel_reasons(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct ks_counter r[KS_R_MAX];

	(void)cmd;
	(void)params;
	ks_shm_read_reasons(the_app->view.h, r);
	rte_tel_data_start_dict(d);
	for (unsigned i = 0; i < KS_R_MAX; i++)
		rte_tel_data_add_dict_u64(d, ks_shm_reason_name(i), r[i].packets);
	return 0;
}

static int tel_lcores(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	for (unsigned w = 0; w < the_app->n_workers; w++) {
		const struct ks_dp_lcore *lc = the_app->workers[w];
		struct rte_tel_data *c = rte_tel_data_alloc();
		char name[32];

		if (!c)
			return -ENOMEM;
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_u64(c, "rx", lc->st.rx);
		rte_tel_data_add_dict_u64(c, "tx", lc->st.tx);
		rte_tel_data_add_dict_u64(c, "pass", lc->st.pass);
		rte_tel_data_add_dict_u64(c, "drop", lc->st.drop);
		rte_tel_data_add_dict_u64(c, "tx_full", lc->st.tx_full);
		rte_tel_data_add_dict_u64(c, "shadow_copies", lc->st.shadow_copies);
		rte_tel_data_add_dict_u64(c, "rx_queues", lc->n_rxq);
		snprintf(name, sizeof(name), "lcore%u", lc->lcore_id);
		rte_tel_data_add_dict_container(d, name, c, 0);
	}
	return 0;
}

static int tel_shard(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct ks_counter *c;
	char *end;
	unsigned long id;

	(void)cmd;
	if (!params || !*params)
		return -EINVAL;
	id = strtoul(params, &end, 0);
	if (*end || id >= KS_MAX_SHARDS)
		return -EINVAL;
	c = calloc(id + 1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	ks_shm_read_shards(the_app->view.h, c, (__u32)id + 1);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "packets", c[id].packets);
	rte_tel_data_add_dict_u64(d, "bytes", c[id].bytes);
	free(c);
	return 0;
}

int ks_dp_telemetry_register(struct ks_dp_app *app)
{
	the_app = app;
	if (rte_telemetry_register_cmd("/keysteer/stats", tel_stats,
				       "keysteer-dpdk: version, generation, frames per verdict") ||
	    rte_telemetry_register_cmd("/keysteer/reasons", tel_reasons,
				       "keysteer: packets per reason (shared table)") ||
	    rte_telemetry_register_cmd("/keysteer/lcores", tel_lcores,
				       "keysteer-dpdk: per worker lcore counters") ||
	    rte_telemetry_register_cmd("/keysteer/shard", tel_shard,
				       "keysteer: one shard's counters. Parameter: shard id"))
		return -1;
	return 0;
}
