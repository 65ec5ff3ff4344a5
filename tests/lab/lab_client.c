/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ks-lab-client: the lab's client. Sends keyed requests through the router,
 * checks every answer (who served it, whether the route allows that shard,
 * whether the datagram arrived byte for byte) and reports counts as JSON.
 *
 *   ks-lab-client udp --to 10.99.0.1:7000 --key K [--key K2] --flows N --reqs M
 *                 [--concurrency C] [--rate R] [--duration S] [--entities E]
 *                 [--entity-flag] [--allow K=shard1,shard2]... [--out FILE]
 *   ks-lab-client tcp --to 10.99.0.1:7443 --key K --flows N --reqs M
 *                 [--interval-ms I] [--cgroup DIR] ...
 *
 * Exit status 0 when it ran (the JSON says what happened; the tests judge),
 * 2 on a usage error, 1 when it could not run.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/ks_client.h"
#include "lab_client.h"

volatile sig_atomic_t lab_stop;
static volatile sig_atomic_t dump_now;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		dump_now = 1; /* write the progress snapshot now */
	else
		lab_stop = 1;
}

void lab_progress(const struct lab_cfg *c, const struct lab_tally *t, uint64_t start_ns, bool force,
		  bool running)
{
	static uint64_t last;
	uint64_t now = lab_now_ns();
	json_t *o;
	char *text;

	if (!c->progress || (!force && !dump_now && now - last < 250000000ULL))
		return;
	dump_now = 0;
	last = now;
	o = tally_json(t, (double)(now - start_ns) / 1e9, running);
	text = json_dumps(o, JSON_COMPACT);
	if (text)
		lab_write_atomic(c->progress, text);
	free(text);
	json_decref(o);
}

static int join_cgroup(const char *dir)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "0", 1) != 1) {
		fprintf(stderr, "ks-lab-client: joining %s: %s\n", dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static void usage(void)
{
	fprintf(
	    stderr,
	    "usage: ks-lab-client udp|tcp --to ADDR:PORT --key KEY [--key KEY]... [options]\n"
	    "  --flows N         flows (UDP) or connections (TCP) in all; 0 = until stopped [1]\n"
	    "  --reqs M          requests per flow or connection [1]\n"
	    "  --concurrency C   flows or connections at once [64]\n"
	    "  --rate R          requests per second in all; 0 = as answers come [0]\n"
	    "  --duration S      stop starting flows after S seconds; 0 = no limit [0]\n"
	    "  --timeout-ms T    an unanswered request is lost after T ms [1000]\n"
	    "  --interval-ms I   TCP: pause between requests on a connection [0]\n"
	    "  --entities E      flow i carries entity i %% E [0: entity 0]\n"
	    "  --entity-flag     set the ENTITY flag (UDP)\n"
	    "  --size B          UDP payload bytes after the header, >= 16 [48]\n"
	    "  --base-port P     UDP: flow i uses source port P + i [ephemeral]\n"
	    "  --allow K=S1,S2   answers for key K must come from these shards\n"
	    "  --cgroup DIR      TCP: join this cgroup first (where keysteer tag put the key)\n"
	    "  --progress FILE   JSON snapshot every 250 ms\n"
	    "  --out FILE        final JSON (default: standard output)\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"to", required_argument, NULL, 't'},
	    {"key", required_argument, NULL, 'k'},
	    {"flows", required_argument, NULL, 'f'},
	    {"reqs", required_argument, NULL, 'r'},
	    {"concurrency", required_argument, NULL, 'c'},
	    {"rate", required_argument, NULL, 'R'},
	    {"duration", required_argument, NULL, 'd'},
	    {"timeout-ms", required_argument, NULL, 'T'},
	    {"interval-ms", required_argument, NULL, 'i'},
	    {"entities", required_argument, NULL, 'e'},
	    {"entity-flag", no_argument, NULL, 'E'},
	    {"size", required_argument, NULL, 's'},
	    {"base-port", required_argument, NULL, 'b'},
	    {"allow", required_argument, NULL, 'a'},
	    {"cgroup", required_argument, NULL, 'g'},
	    {"progress", required_argument, NULL, 'p'},
	    {"out", required_argument, NULL, 'o'},
	    {NULL, 0, NULL, 0},
	};
	struct lab_cfg c = {
	    .flows = 1, .reqs = 1, .concurrency = 64, .timeout_ms = 1000, .size = 48};
	struct sigaction sa = {.sa_handler = on_signal};
	const char *allows[T_MAX_KEYS], *cgroup = NULL, *mode;
	int n_allows = 0, opt, rc;
	struct lab_tally t;
	uint64_t start;
	json_t *o;

	if (argc < 2 || (strcmp(argv[1], "udp") && strcmp(argv[1], "tcp"))) {
		usage();
		return 2;
	}
	mode = argv[1];
	optind = 2;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 't':
			if (lab_addr_parse(optarg, &c.to))
				return 2;
			break;
		case 'k':
			if (c.n_keys == T_MAX_KEYS)
				return 2;
			c.keys[c.n_keys] = optarg;
			ks_client_key(optarg, &c.key_val[c.n_keys++]);
			break;
		case 'f':
			c.flows = strtoull(optarg, NULL, 0);
			break;
		case 'r':
			c.reqs = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'c':
			c.concurrency = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'R':
			c.rate = strtod(optarg, NULL);
			break;
		case 'd':
			c.duration = strtod(optarg, NULL);
			break;
		case 'T':
			c.timeout_ms = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'i':
			c.interval_ms = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'e':
			c.entities = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'E':
			c.flags |= KS_CLIENT_ENTITY;
			break;
		case 's':
			c.size = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'b':
			c.base_port = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'a':
			if (n_allows == T_MAX_KEYS)
				return 2;
			allows[n_allows++] = optarg;
			break;
		case 'g':
			cgroup = optarg;
			break;
		case 'p':
			c.progress = optarg;
			break;
		case 'o':
			c.out = optarg;
			break;
		default:
			usage();
			return 2;
		}
	}
	if (!c.to.family || c.n_keys == 0 || c.reqs == 0 || c.concurrency == 0 || c.size < 16 ||
	    c.size > 1300 || (c.base_port && c.flows && c.base_port + c.flows > 65536)) {
		usage();
		return 2;
	}
	if (c.flows && c.concurrency > c.flows)
		c.concurrency = (uint32_t)c.flows;
	tally_init(&t, c.entities);
	for (int k = 0; k < c.n_keys; k++)
		tally_add_key(&t, c.keys[k]);
	for (int a = 0; a < n_allows; a++)
		if (tally_allow(&t, allows[a])) {
			fprintf(stderr, "ks-lab-client: bad --allow '%s'\n", allows[a]);
			return 2;
		}
	if (cgroup && join_cgroup(cgroup))
		return 1;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	start = lab_now_ns();
	rc = strcmp(mode, "udp") == 0 ? lab_run_udp(&c, &t) : lab_run_tcp(&c, &t);
	lab_progress(&c, &t, start, true, false);
	o = tally_json(&t, (double)(lab_now_ns() - start) / 1e9, false);
	if (c.out) {
		char *text = json_dumps(o, JSON_COMPACT);

		if (!text || lab_write_atomic(c.out, text))
			rc = 1;
		free(text);
	} else {
		json_dumpf(o, stdout, JSON_INDENT(1));
		putchar('\n');
	}
	json_decref(o);
	tally_free(&t);
	return rc;
}
