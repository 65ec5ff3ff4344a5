/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keysteerd's settings. One table (options.c) names every option, its
 * default and its help line; it serves the command line, the config file
 * (key=value with the same names) and --help. Command-line flags override the
 * config file.
 */
#ifndef KS_DAEMON_OPTIONS_H
#define KS_DAEMON_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#define KS_MAX_IFACES 16

struct ks_options {
	char *ifaces[KS_MAX_IFACES];
	int n_ifaces;
	char *feed;	/* file:PATH or nats://HOST:PORT/BUCKET/KEY; NULL: none */
	char *xdp_mode; /* native | generic */
	char *pin_root;
	char *bpf_obj;
	char *socket_path;
	char *socket_group; /* group name or number allowed on the socket */
	char *metrics;	    /* ADDR:PORT or "off" */
	char *config;
	char *log_level;
	char *host_id;	     /* name in acks; default: the host name */
	int history;	     /* attempts kept for status */
	int rollback_keep;   /* applied rule sets kept in memory for rollback */
	int top_keys;	     /* keys exported one by one in metrics */
	int max_routes;	     /* capacity of the route table (both generations) */
	int flows_per_cpu;   /* TCP connection / NAT table entries per CPU; 0: the object's */
	int compile_threads; /* threads of a full compile; 0: one per CPU */
	char *dpdk_table;    /* publish to keysteer-dpdk's shared table instead of XDP */
	bool no_dataplane;
	bool maps_only;
	bool full_compile;			     /* no incremental compile of small changes */
	/* own the pinned tables, load no program */ /* follow the feed and compile,
      touch no BPF state */
	bool help;
};

/* Fill defaults, read --config (if given) then the flags. 0, or -1 with msg. */
int ks_options_parse(struct ks_options *o, int argc, char **argv, char *err, size_t errlen);
/* Read a config file into o (flags are applied after). */
int ks_options_load_file(struct ks_options *o, const char *path, char *err, size_t errlen);
void ks_options_usage(FILE *out);
void ks_options_free(struct ks_options *o);

/* Parse "ADDR:PORT" ("[v6]:PORT" too). */
int ks_parse_hostport(const char *s, char *host, size_t hostlen, unsigned *port);

#endif
