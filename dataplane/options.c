/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>

#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "shmtable/shm_region.h"

typedef int (*opt_fn)(struct ks_dp_options *o, const char *arg);

struct opt {
	const char *name;
	const char *arg; /* NULL: a flag */
	const char *def; /* shown in --help */
	const char *help;
	opt_fn fn;
};

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || v > max || s[0] == '-')
		return -1;
	*out = v;
	return 0;
}

#define U_OPT(fname, field, max)                                                                   \
	static int fname(struct ks_dp_options *o, const char *arg)                                 \
	{                                                                                          \
		uint64_t v;                                                                        \
		if (parse_u64(arg, max, &v))                                                       \
			return -1;                                                                 \
		o->field = v;                                                                      \
		return 0;                                                                          \
	}

U_OPT(opt_table_routes, table_routes, 1u << 28)
U_OPT(opt_table_readers, table_readers, KS_SHM_MAX_READERS)
U_OPT(opt_gue_port, gue_port, 65535)
U_OPT(opt_mbufs, mbufs, 1u << 24)
U_OPT(opt_mbuf_size, mbuf_size, 65535)
U_OPT(opt_rx_desc, rx_desc, 32768)
U_OPT(opt_tx_desc, tx_desc, 32768)
U_OPT(opt_flows, flows, 1u << 26)
U_OPT(opt_nat, nat_entries, 1u << 26)
U_OPT(opt_stop_after, stop_after, UINT64_MAX)
U_OPT(opt_stats_interval, stats_interval, 86400)
U_OPT(opt_duration, duration, 86400 * 365)
U_OPT(opt_neigh_refresh, neigh_refresh, 86400)

static int opt_table(struct ks_dp_options *o, const char *arg)
{
	o->table = arg;
	return 0;
}

static int opt_rules(struct ks_dp_options *o, const char *arg)
{
	o->rules = arg;
	return 0;
}

static int opt_exception(struct ks_dp_options *o, const char *arg)
{
	uint64_t v;

	if (parse_u64(arg, KS_SHM_MAX_PORTS - 1, &v))
		return -1;
	o->exception_port = (int)v;
	return 0;
}

static int opt_flows_file(struct ks_dp_options *o, const char *arg)
{
	o->flows_file = arg;
	return 0;
}

static int opt_no_rss(struct ks_dp_options *o, const char *arg)
{
	(void)arg;
	o->no_rss = true;
	return 0;
}

static int opt_no_arp(struct ks_dp_options *o, const char *arg)
{
	(void)arg;
	o->no_arp = true;
	return 0;
}

static int opt_quiet(struct ks_dp_options *o, const char *arg)
{
	(void)arg;
	o->quiet = true;
	return 0;
}

/* An address of either family: 4 or 6, or 0 when it is neither. */
static int parse_addr(const char *s, struct ks_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, &a->w[0]) == 1)
		return KS_AF_INET;
	if (inet_pton(AF_INET6, s, a->w) == 1)
		return KS_AF_INET6;
	return 0;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned b[6];
	char tail;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6)
		return -1;
	for (int i = 0; i < 6; i++) {
		if (b[i] > 255)
			return -1;
		mac[i] = (uint8_t)b[i];
	}
	return 0;
}

/* IP[=MAC][@PORT]; without a MAC, keysteer-dpdk resolves it (neigh.c). */
static int opt_neigh(struct ks_dp_options *o, const char *arg)
{
	struct ks_shm_neigh_ent *e;
	char buf[128], *eq, *at;
	uint64_t port = 0;
	int fam;

	if (o->neigh.n_neigh >= KS_SHM_MAX_NEIGH || strlen(arg) >= sizeof(buf))
		return -1;
	strcpy(buf, arg);
	at = strchr(buf, '@');
	if (at) {
		*at++ = 0;
		if (parse_u64(at, KS_SHM_MAX_PORTS - 1, &port))
			return -1;
	}
	eq = strchr(buf, '=');
	if (eq)
		*eq++ = 0;
	e = &o->neigh.neigh[o->neigh.n_neigh];
	memset(e, 0, sizeof(*e));
	fam = parse_addr(buf, &e->ip);
	if (!fam || (eq && parse_mac(eq, e->mac)))
		return -1;
	e->family = (uint8_t)fam;
	e->port = (uint8_t)port;
	o->neigh.n_neigh++;
	return 0;
}

/* IP[@PORT]; with a port and no --neigh for it, keysteer-dpdk resolves it. */
static int opt_gw(struct ks_dp_options *o, const char *arg)
{
	char buf[128], *at;
	struct ks_addr a;
	uint64_t port = 0;
	int fam;

	if (strlen(arg) >= sizeof(buf))
		return -1;
	strcpy(buf, arg);
	at = strchr(buf, '@');
	if (at) {
		*at++ = 0;
		if (parse_u64(at, KS_SHM_MAX_PORTS - 1, &port))
			return -1;
	}
	fam = parse_addr(buf, &a);
	if (fam == KS_AF_INET) {
		o->neigh.gw4 = a;
		o->neigh.has_gw4 = 1;
	} else if (fam == KS_AF_INET6) {
		o->neigh.gw6 = a;
		o->neigh.has_gw6 = 1;
	} else {
		return -1;
	}
	o->gw_port[fam == KS_AF_INET6] = at ? (int)port : -1;
	return 0;
}

/*
 * A gateway given with a port and without a --neigh of its own becomes a
 * next hop to resolve (a neighbour entry without a MAC).
 */
static int gw_neighbours(struct ks_dp_options *o)
{
	for (int f = 0; f < 2; f++) {
		const struct ks_addr *gw = f ? &o->neigh.gw6 : &o->neigh.gw4;
		uint8_t fam = f ? KS_AF_INET6 : KS_AF_INET;
		struct ks_shm_neigh_ent *e;
		int found = 0;

		if (o->gw_port[f] < 0 || !(f ? o->neigh.has_gw6 : o->neigh.has_gw4))
			continue;
		for (unsigned i = 0; i < o->neigh.n_neigh; i++)
			if (o->neigh.neigh[i].family == fam &&
			    !memcmp(&o->neigh.neigh[i].ip, gw, sizeof(*gw)))
				found = 1;
		if (found)
			continue;
		if (o->neigh.n_neigh >= KS_SHM_MAX_NEIGH)
			return -1;
		e = &o->neigh.neigh[o->neigh.n_neigh++];
		memset(e, 0, sizeof(*e));
		e->ip = *gw;
		e->family = fam;
		e->port = (uint8_t)o->gw_port[f];
	}
	return 0;
}

static int opt_src(struct ks_dp_options *o, const char *arg)
{
	struct ks_addr a;
	int fam = parse_addr(arg, &a);

	if (fam == KS_AF_INET) {
		o->neigh.src4 = a;
		o->neigh.has_src4 = 1;
	} else if (fam == KS_AF_INET6) {
		o->neigh.src6 = a;
		o->neigh.has_src6 = 1;
	} else {
		return -1;
	}
	return 0;
}

static int opt_help(struct ks_dp_options *o, const char *arg);

static const struct opt opts[] = {
    {"table", "PATH", KS_SHM_DEFAULT_DIR "/dpdk.tbl",
     "shared table file (tmpfs or hugetlbfs); created when missing", opt_table},
    {"rules", "FILE", "-", "compile this keysteer/v1 rule set and load it (standalone, benchmarks)",
     opt_rules},
    {"table-routes", "N", "262144", "routes per generation when creating the table",
     opt_table_routes},
    {"table-readers", "N", "8", "fast-path threads (all processes) when creating the table",
     opt_table_readers},
    {"gue-port", "PORT", "6080", "GUE destination port written with --rules", opt_gue_port},
    {"neigh", "IP[=MAC][@PORT]", "-",
     "next hop: MAC answering for IP (a shard VIP or a gateway) on PORT (0); without MAC, "
     "resolved by ARP/ND; repeatable",
     opt_neigh},
    {"gw", "IP[@PORT]", "-",
     "gateway of VIPs without their own --neigh (one per family); with PORT and no --neigh "
     "of its own, resolved by ARP/ND there",
     opt_gw},
    {"src", "IP", "-", "outer source address of encapsulation (one per family)", opt_src},
    {"no-arp", NULL, "-",
     "neither answer ARP/neighbour solicitations nor resolve next hops (every --neigh needs "
     "a MAC)",
     opt_no_arp},
    {"neigh-refresh", "SECONDS", "30",
     "a next hop resolved by ARP/ND is probed this long after it was last confirmed; three "
     "probes unanswered and it is unresolved again (0: never)",
     opt_neigh_refresh},
    {"exception-port", "PORT", "none",
     "where passed frames go (a tap/virtio-user port to the kernel); none: dropped, counted",
     opt_exception},
    {"mbufs", "N", "16383", "mbufs in the pool", opt_mbufs},
    {"mbuf-size", "BYTES", "2176", "mbuf data room, headroom included", opt_mbuf_size},
    {"rx-desc", "N", "1024", "RX descriptors per queue", opt_rx_desc},
    {"tx-desc", "N", "1024", "TX descriptors per queue", opt_tx_desc},
    {"flows", "N", "65536", "TCP connections pinned, per family", opt_flows},
    {"nat-entries", "N", "65536", "NAT reverse translations", opt_nat},
    {"flows-file", "PATH", "TABLE.flows",
     "connection and NAT tables, kept across restarts; none: process memory", opt_flows_file},
    {"no-rss", NULL, "-", "one RX queue per port even when the PMD has several", opt_no_rss},
    {"stop-after", "N", "0", "exit after N frames received (0: never)", opt_stop_after},
    {"duration", "SECONDS", "0", "exit after this long (0: at SIGINT/SIGTERM)", opt_duration},
    {"stats-interval", "SECONDS", "0", "print counters every so often (0: at exit only)",
     opt_stats_interval},
    {"quiet", NULL, "-", "no counters at exit", opt_quiet},
    {"help", NULL, "-", "this text", opt_help},
};
#define N_OPTS (sizeof(opts) / sizeof(opts[0]))

void ks_dp_options_usage(FILE *f)
{
	fprintf(f, "usage: keysteer-dpdk [EAL options] -- [options]\n\noptions:\n");
	for (size_t i = 0; i < N_OPTS; i++) {
		char left[64];

		snprintf(left, sizeof(left), "--%s%s%s", opts[i].name, opts[i].arg ? " " : "",
			 opts[i].arg ? opts[i].arg : "");
		fprintf(f, "  %-30s %s", left, opts[i].help);
		if (strcmp(opts[i].def, "-"))
			fprintf(f, " [%s]", opts[i].def);
		fputc('\n', f);
	}
	fprintf(f, "\nEAL, e.g.: -l 0-2 -n 1 --no-pci --file-prefix ks --huge-unlink "
		   "--vdev net_af_packet0,iface=eth1\nSee docs/dpdk.md.\n");
}

static int opt_help(struct ks_dp_options *o, const char *arg)
{
	(void)o;
	(void)arg;
	ks_dp_options_usage(stdout);
	return 1;
}

int ks_dp_options_parse(struct ks_dp_options *o, int argc, char **argv)
{
	struct option lo[N_OPTS + 1];
	int c, idx;

	memset(o, 0, sizeof(*o));
	o->table = KS_SHM_DEFAULT_DIR "/dpdk.tbl";
	o->table_routes = KS_SHM_DEFAULT_ROUTES;
	o->table_readers = KS_SHM_DEFAULT_READERS;
	o->gue_port = KS_DEFAULT_GUE_PORT;
	o->mbufs = 16383;
	o->mbuf_size = 2176;
	o->rx_desc = 1024;
	o->tx_desc = 1024;
	o->exception_port = -1;
	o->flows = 65536;
	o->nat_entries = 65536;
	o->gw_port[0] = o->gw_port[1] = -1;
	o->neigh_refresh = 30;
	for (size_t i = 0; i < N_OPTS; i++) {
		lo[i].name = opts[i].name;
		lo[i].has_arg = opts[i].arg ? required_argument : no_argument;
		lo[i].flag = NULL;
		lo[i].val = 0;
	}
	memset(&lo[N_OPTS], 0, sizeof(lo[N_OPTS]));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", lo, &idx)) != -1) {
		int rc;

		if (c != 0) {
			fprintf(stderr, "keysteer-dpdk: unknown option or missing argument: %s\n",
				argv[optind - 1]);
			return -1;
		}
		rc = opts[idx].fn(o, optarg);
		if (rc == 1)
			return 1;
		if (rc) {
			fprintf(stderr, "keysteer-dpdk: --%s: bad value '%s' (%s)\n",
				opts[idx].name, optarg ? optarg : "", opts[idx].arg);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "keysteer-dpdk: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (gw_neighbours(o)) {
		fprintf(stderr, "keysteer-dpdk: too many next hops\n");
		return -1;
	}
	return 0;
}
