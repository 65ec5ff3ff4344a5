/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keysteer-dpdk's own options (after EAL's and "--"). One table in options.c
 * holds every option, its default and its help line; --help prints it.
 */
#ifndef KS_DP_OPTIONS_H
#define KS_DP_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include "shmtable/shm_layout.h"

#define KS_DP_MAX_ADDRS 8

struct ks_dp_options {
	const char *table;     /* shared table file */
	const char *rules;     /* standalone: compile and load this rule set */
	uint32_t table_routes; /* geometry when this process creates the table */
	uint32_t table_readers;
	uint16_t gue_port; /* standalone writes: GUE destination port */
	uint32_t mbufs;
	uint32_t mbuf_size; /* data room, RTE_PKTMBUF_HEADROOM included */
	uint16_t rx_desc, tx_desc;
	int exception_port; /* -1: none */
	uint32_t flows, nat_entries;
	const char *flows_file; /* NULL: TABLE.flows; "none": process memory */
	uint64_t stop_after;	/* frames received, then exit (tests, benchmarks) */
	unsigned stats_interval;
	unsigned duration; /* seconds, then exit (0: until a signal) */
	bool no_rss;
	bool no_arp;		/* no ARP/ND control path */
	unsigned neigh_refresh; /* seconds a resolved next hop goes unconfirmed before a probe */
	int gw_port[2];		/* --gw IP@PORT, IPv4 and IPv6; -1: no port given */
	bool quiet;
	/* Next hops, published into the table's neighbour section. */
	struct ks_shm_neigh neigh;
};

/*
 * Parse argv (the part after EAL's "--"). 0 to run, 1 when --help was printed,
 * -1 on a usage error (printed to stderr).
 */
int ks_dp_options_parse(struct ks_dp_options *o, int argc, char **argv);
void ks_dp_options_usage(FILE *f);

#endif /* KS_DP_OPTIONS_H */
