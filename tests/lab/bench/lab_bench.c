/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ks-lab-bench: the two ends of `make bench-e2e`, and its stopwatch (tests/lab/bench/bench_e2e.sh).
 *
 *   ks-lab-bench gen --iface IF --smac MAC --dmac MAC --src IP --dst IP --dport N
 *                    --key KEY [--entity N] [--flows N] [--count N] [--batch N]
 *     keyed UDP frames (106 bytes: a 16-byte routing header and 48 bytes of
 *     payload) from BPF_PROG_TEST_RUN live frames on IF (ks_gen.bpf.c), as fast
 *     as the pipeline behind IF takes them; prints {"sent", "seconds"}.
 *   ks-lab-bench sink attach --iface IF --pin DIR    count-and-drop UDP (ks_sink.bpf.c)
 *   ks-lab-bench sink read --pin DIR                 frames counted so far
 *   ks-lab-bench sink detach --iface IF
 *   ks-lab-bench transit --seconds S --client NETNS:IF --shard NETNS:IF [--shard ...]
 *     one-way time of TCP data segments from the client's interface (tc
 *     egress) to a shard's (tc ingress) for S seconds (ks_transit.bpf.c);
 *     NETNS is a network namespace's file (/run/netns/NAME). Prints
 *     {"n", "p50_ns", "p90_ns", "p99_ns", "p999_ns", "max_ns"}, each the
 *     upper edge of its 50 ns bucket.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "client/ks_client.h"
#include "ks_gen.skel.h"
#include "ks_sink.skel.h"
#include "ks_transit.skel.h"
#include "transit.h"

#define FRAME_LEN 106

static int parse_mac(const char *s, uint8_t m[6])
{
	return sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &m[0], &m[1], &m[2], &m[3], &m[4],
		      &m[5]) == 6
		   ? 0
		   : -1;
}

static uint16_t ip_csum(const uint8_t *h, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i < n; i += 2)
		s += (uint32_t)(h[i] << 8 | h[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Ethernet + IPv4 + UDP (checksum 0) + routing header + 48 bytes of payload. */
static void build_frame(uint8_t *f, const uint8_t smac[6], const uint8_t dmac[6],
			struct in_addr src, struct in_addr dst, uint16_t dport, uint64_t key,
			uint32_t entity)
{
	uint8_t *ip = f + 14, *udp = ip + 20;
	uint16_t c;

	memset(f, 0, FRAME_LEN);
	memcpy(f, dmac, 6);
	memcpy(f + 6, smac, 6);
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[2] = 0;
	ip[3] = FRAME_LEN - 14;
	ip[6] = 0x40; /* DF */
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	c = ip_csum(ip, 20);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	udp[0] = 10000 >> 8;
	udp[1] = 10000 & 0xff;
	udp[2] = (uint8_t)(dport >> 8);
	udp[3] = (uint8_t)dport;
	udp[4] = 0;
	udp[5] = FRAME_LEN - 34;
	ks_client_header(udp + 8, key, entity, 0);
	for (int i = 8 + 16; i < FRAME_LEN - 34; i++)
		udp[i] = (uint8_t)i;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int gen(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"iface", required_argument, NULL, 'i'}, {"smac", required_argument, NULL, 's'},
	    {"dmac", required_argument, NULL, 'd'},  {"src", required_argument, NULL, 'S'},
	    {"dst", required_argument, NULL, 'D'},   {"dport", required_argument, NULL, 'p'},
	    {"key", required_argument, NULL, 'k'},   {"entity", required_argument, NULL, 'e'},
	    {"flows", required_argument, NULL, 'f'}, {"count", required_argument, NULL, 'n'},
	    {"batch", required_argument, NULL, 'b'}, {NULL, 0, NULL, 0},
	};
	uint8_t smac[6] = {0}, dmac[6] = {0}, frame[FRAME_LEN];
	struct in_addr src = {0}, dst = {0};
	unsigned long dport = 0, entity = 0, flows = 256, count = 1000000, batch = 64;
	const char *iface = NULL, *key_text = NULL;
	struct xdp_md ctx_in = {.data_end = FRAME_LEN};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = FRAME_LEN,
		    .ctx_in = &ctx_in, .ctx_size_in = sizeof(ctx_in),
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES);
	struct ks_gen_bpf *skel;
	uint64_t key;
	double t0, t1;
	int c, err;

	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			iface = optarg;
			break;
		case 's':
			if (parse_mac(optarg, smac))
				return 2;
			break;
		case 'd':
			if (parse_mac(optarg, dmac))
				return 2;
			break;
		case 'S':
			if (inet_pton(AF_INET, optarg, &src) != 1)
				return 2;
			break;
		case 'D':
			if (inet_pton(AF_INET, optarg, &dst) != 1)
				return 2;
			break;
		case 'p':
			dport = strtoul(optarg, NULL, 0);
			break;
		case 'k':
			key_text = optarg;
			break;
		case 'e':
			entity = strtoul(optarg, NULL, 0);
			break;
		case 'f':
			flows = strtoul(optarg, NULL, 0);
			break;
		case 'n':
			count = strtoul(optarg, NULL, 0);
			break;
		case 'b':
			batch = strtoul(optarg, NULL, 0);
			break;
		default:
			return 2;
		}
	}
	if (!iface || !key_text || !dport || !flows || !count || count > UINT32_MAX || batch == 0 ||
	    batch > 256) {
		fprintf(stderr,
			"ks-lab-bench gen: --iface, --key, --dport and sane numbers needed\n");
		return 2;
	}
	ctx_in.ingress_ifindex = if_nametoindex(iface);
	if (!ctx_in.ingress_ifindex) {
		fprintf(stderr, "ks-lab-bench gen: no interface %s\n", iface);
		return 1;
	}
	ks_client_key(key_text, &key);
	build_frame(frame, smac, dmac, src, dst, (uint16_t)dport, key, (uint32_t)entity);
	skel = ks_gen_bpf__open();
	if (!skel)
		return 1;
	memcpy((void *)skel->rodata->tmpl, frame, FRAME_LEN);
	skel->rodata->tmpl_len = FRAME_LEN;
	skel->rodata->flows = (uint32_t)flows;
	err = ks_gen_bpf__load(skel);
	if (err) {
		fprintf(stderr, "ks-lab-bench gen: load: %s\n", strerror(-err));
		ks_gen_bpf__destroy(skel);
		return 1;
	}
	o.batch_size = (uint32_t)batch;
	t0 = now_s();
	/* Open loop: as fast as the pipeline behind the interface takes them. */
	o.repeat = (uint32_t)count;
	err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.ks_gen), &o);
	t1 = now_s();
	if (err) {
		fprintf(stderr, "ks-lab-bench gen: test run: %s\n", strerror(errno));
		ks_gen_bpf__destroy(skel);
		return 1;
	}
	printf("{\"sent\":%llu,\"seconds\":%.6f}\n", (unsigned long long)skel->bss->sent, t1 - t0);
	ks_gen_bpf__destroy(skel);
	return 0;
}

static int sink(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"iface", required_argument, NULL, 'i'},
	    {"pin", required_argument, NULL, 'p'},
	    {NULL, 0, NULL, 0},
	};
	const char *what = argc > 2 ? argv[2] : "", *iface = NULL, *pin = NULL;
	char path[512];
	int c, ifindex = 0;

	optind = 3;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'i')
			iface = optarg;
		else if (c == 'p')
			pin = optarg;
		else
			return 2;
	}
	if (iface && !(ifindex = (int)if_nametoindex(iface))) {
		fprintf(stderr, "ks-lab-bench sink: no interface %s\n", iface);
		return 1;
	}
	if (pin)
		snprintf(path, sizeof(path), "%s/sink_count", pin);
	if (strcmp(what, "attach") == 0 && ifindex && pin) {
		struct ks_sink_bpf *skel = ks_sink_bpf__open_and_load();
		int err;

		if (!skel)
			return 1;
		mkdir(pin, 0700);
		err = bpf_map__pin(skel->maps.sink_count, path);
		if (!err)
			err = bpf_xdp_attach(ifindex, bpf_program__fd(skel->progs.ks_sink),
					     XDP_FLAGS_DRV_MODE, NULL);
		if (err)
			fprintf(stderr, "ks-lab-bench sink attach %s: %s\n", iface, strerror(-err));
		ks_sink_bpf__destroy(skel); /* the attachment and the pin keep it */
		return err ? 1 : 0;
	}
	if (strcmp(what, "detach") == 0 && ifindex)
		return bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL) ? 1 : 0;
	if (strcmp(what, "read") == 0 && pin) {
		int n = libbpf_num_possible_cpus(), fd = bpf_obj_get(path);
		uint64_t *v = calloc((size_t)(n > 0 ? n : 1), sizeof(*v)), sum = 0;
		uint32_t zero = 0;

		if (fd < 0 || !v || n <= 0 || bpf_map_lookup_elem(fd, &zero, v)) {
			fprintf(stderr, "ks-lab-bench sink read %s: %s\n", path, strerror(errno));
			free(v);
			return 1;
		}
		for (int i = 0; i < n; i++)
			sum += v[i];
		printf("%llu\n", (unsigned long long)sum);
		free(v);
		close(fd);
		return 0;
	}
	fprintf(stderr, "usage: ks-lab-bench sink attach|read|detach --iface IF --pin DIR\n");
	return 2;
}

/* Percentile q of a histogram of n samples: the upper edge of its bucket. */
static unsigned long long hist_pct(const uint64_t *h, uint64_t n, double q)
{
	uint64_t want = (uint64_t)(q * (double)n), seen = 0;

	if (want >= n)
		want = n - 1;
	for (unsigned b = 0; b < TRANSIT_BUCKETS; b++) {
		seen += h[b];
		if (seen > want)
			return (unsigned long long)(b + 1) * TRANSIT_STEP_NS;
	}
	return (unsigned long long)TRANSIT_BUCKETS * TRANSIT_STEP_NS;
}

/* One tc attachment of the transit programs, in its namespace. */
struct transit_point {
	const char *spec; /* NETNS:IF */
	struct bpf_tc_hook hook;
	struct bpf_tc_opts opts;
	bool made_hook, attached;
};

/* Enter the namespace of spec ("NETNS:IF"); the interface's index, or 0. */
static int enter_point(const char *spec)
{
	char path[256];
	const char *colon = strrchr(spec, ':');
	int fd, ifindex;

	if (!colon || (size_t)(colon - spec) >= sizeof(path))
		return 0;
	memcpy(path, spec, (size_t)(colon - spec));
	path[colon - spec] = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (setns(fd, CLONE_NEWNET)) {
		close(fd);
		return 0;
	}
	close(fd);
	ifindex = (int)if_nametoindex(colon + 1);
	return ifindex;
}

static int transit_attach(struct transit_point *p, int prog_fd, enum bpf_tc_attach_point where,
			  int home)
{
	int ifindex = enter_point(p->spec), err;

	if (!ifindex) {
		fprintf(stderr, "ks-lab-bench transit: no interface %s\n", p->spec);
		setns(home, CLONE_NEWNET);
		return -1;
	}
	p->hook =
	    (struct bpf_tc_hook){.sz = sizeof(p->hook), .ifindex = ifindex, .attach_point = where};
	p->opts = (struct bpf_tc_opts){.sz = sizeof(p->opts), .prog_fd = prog_fd};
	err = bpf_tc_hook_create(&p->hook);
	p->made_hook = err == 0;
	if (err && err != -EEXIST) {
		fprintf(stderr, "ks-lab-bench transit: clsact on %s: %s\n", p->spec,
			strerror(-err));
		setns(home, CLONE_NEWNET);
		return -1;
	}
	err = bpf_tc_attach(&p->hook, &p->opts);
	p->attached = err == 0;
	if (err)
		fprintf(stderr, "ks-lab-bench transit: attach on %s: %s\n", p->spec,
			strerror(-err));
	setns(home, CLONE_NEWNET);
	return err ? -1 : 0;
}

static void transit_detach(struct transit_point *p, int home)
{
	if (!p->attached && !p->made_hook)
		return;
	if (enter_point(p->spec)) {
		if (p->attached) {
			p->opts.prog_fd = 0;
			p->opts.prog_id = 0;
			p->opts.flags = 0;
			bpf_tc_detach(&p->hook, &p->opts);
		}
		if (p->made_hook) {
			p->hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			bpf_tc_hook_destroy(&p->hook);
		}
	}
	p->attached = p->made_hook = false;
	setns(home, CLONE_NEWNET);
}

/* SIGINT/SIGTERM during `transit`: stop waiting, detach, and exit 1. */
static volatile sig_atomic_t transit_stop;

static void on_transit_signal(int sig)
{
	(void)sig;
	transit_stop = 1;
}

static int transit(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"seconds", required_argument, NULL, 's'},
	    {"client", required_argument, NULL, 'c'},
	    {"shard", required_argument, NULL, 'S'},
	    {NULL, 0, NULL, 0},
	};
	enum { MAX_POINTS = 9 };
	struct transit_point pt[MAX_POINTS];
	struct ks_transit_bpf *skel = NULL;
	const char *client = NULL;
	double seconds = 0;
	uint64_t *h = NULL, *v = NULL, n = 0;
	int c, np = 0, home = -1, ret = 1, ncpu = libbpf_num_possible_cpus();
	unsigned last = 0;

	memset(pt, 0, sizeof(pt));
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 's')
			seconds = atof(optarg);
		else if (c == 'c')
			client = optarg;
		else if (c == 'S' && np < MAX_POINTS - 1)
			pt[1 + np++].spec = optarg;
		else if (c == 'S') {
			fprintf(stderr, "ks-lab-bench transit: at most %d --shard\n",
				MAX_POINTS - 1);
			return 2;
		} else
			return 2;
	}
	if (!client || !np || seconds <= 0 || ncpu <= 0) {
		fprintf(stderr, "usage: ks-lab-bench transit --seconds S --client NETNS:IF "
				"--shard NETNS:IF [--shard ...]\n");
		return 2;
	}
	pt[0].spec = client;
	/* Whatever ends the wait, the filters come off the lab's interfaces. */
	{
		struct sigaction sa = {.sa_handler = on_transit_signal}; /* no SA_RESTART */

		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	skel = ks_transit_bpf__open_and_load();
	if (home < 0 || !skel) {
		fprintf(stderr, "ks-lab-bench transit: cannot load ks_transit.bpf.o\n");
		goto out;
	}
	if (transit_attach(&pt[0], bpf_program__fd(skel->progs.transit_stamp), BPF_TC_EGRESS, home))
		goto out;
	for (int i = 1; i <= np; i++)
		if (transit_attach(&pt[i], bpf_program__fd(skel->progs.transit_arrive),
				   BPF_TC_INGRESS, home))
			goto out;
	{
		struct timespec ts = {.tv_sec = (time_t)seconds,
				      .tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9)};
		while (!transit_stop && nanosleep(&ts, &ts) && errno == EINTR)
			;
	}
	for (int i = 0; i <= np; i++)
		transit_detach(&pt[i], home);
	if (transit_stop) {
		fprintf(stderr, "ks-lab-bench transit: interrupted\n");
		goto out;
	}
	h = calloc(TRANSIT_BUCKETS, sizeof(*h));
	v = calloc((size_t)ncpu, sizeof(*v));
	if (!h || !v)
		goto out;
	for (__u32 b = 0; b < TRANSIT_BUCKETS; b++) {
		if (bpf_map__lookup_elem(skel->maps.hist, &b, sizeof(b), v,
					 (size_t)ncpu * sizeof(*v), 0)) {
			fprintf(stderr, "ks-lab-bench transit: reading the histogram: %s\n",
				strerror(errno));
			goto out;
		}
		for (int i = 0; i < ncpu; i++)
			h[b] += v[i];
		n += h[b];
		if (h[b])
			last = b;
	}
	printf("{\"n\":%llu", (unsigned long long)n);
	if (n)
		printf(",\"p50_ns\":%llu,\"p90_ns\":%llu,\"p99_ns\":%llu,\"p999_ns\":%llu,"
		       "\"max_ns\":%llu",
		       hist_pct(h, n, 0.5), hist_pct(h, n, 0.9), hist_pct(h, n, 0.99),
		       hist_pct(h, n, 0.999), (unsigned long long)(last + 1) * TRANSIT_STEP_NS);
	printf("}\n");
	ret = 0;
out:
	for (int i = 0; i <= np; i++)
		transit_detach(&pt[i], home);
	free(h);
	free(v);
	ks_transit_bpf__destroy(skel);
	if (home >= 0)
		close(home);
	return ret;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "gen") == 0)
		return gen(argc, argv);
	if (argc > 1 && strcmp(argv[1], "sink") == 0)
		return sink(argc, argv);
	if (argc > 1 && strcmp(argv[1], "transit") == 0)
		return transit(argc, argv);
	fprintf(stderr, "usage: ks-lab-bench gen|sink|transit ...\n");
	return 2;
}
