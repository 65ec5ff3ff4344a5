/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ks-lab-bench: the two ends of `make bench-e2e` (tests/lab/bench/bench_e2e.sh).
 *
 *   ks-lab-bench gen --iface IF --smac MAC --dmac MAC --src IP --dst IP --dport N
 *                    --key KEY [--entity N] [--flows N] [--count N] [--batch N]
 *     keyed UDP frames (106 bytes: a 16-byte routing header and 48 bytes of
 *     payload) from BPF_PROG_TEST_RUN live frames on IF (ks_gen.bpf.c), as fast
 *     as the pipeline behind IF takes them; prints {"sent", "seconds"}.
 *   ks-lab-bench sink attach --iface IF --pin DIR    count-and-drop UDP (ks_sink.bpf.c)
 *   ks-lab-bench sink read --pin DIR                 frames counted so far
 *   ks-lab-bench sink detach --iface IF
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
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
	    {"iface", required_argument, NULL, 'i'},
	    {"smac", required_argument, NULL, 's'},
	    {"dmac", required_argument, NULL, 'd'},
	    {"src", required_argument, NULL, 'S'},
	    {"dst", required_argument, NULL, 'D'},
	    {"dport", required_argument, NULL, 'p'},
	    {"key", required_argument, NULL, 'k'},
	    {"entity", required_argument, NULL, 'e'},
	    {"flows", required_argument, NULL, 'f'},
	    {"count", required_argument, NULL, 'n'},
	    {"batch", required_argument, NULL, 'b'},
	    {"rate", required_argument, NULL, 'r'},
	    {NULL, 0, NULL, 0},
	};
	uint8_t smac[6] = {0}, dmac[6] = {0}, frame[FRAME_LEN];
	struct in_addr src = {0}, dst = {0};
	unsigned long dport = 0, entity = 0, flows = 256, count = 1000000, batch = 64;
	double rate = 0;
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
		case 'r':
			rate = strtod(optarg, NULL);
			break;
		default:
			return 2;
		}
	}
	if (!iface || !key_text || !dport || !flows || !count || count > UINT32_MAX || rate < 0 ||
	    batch == 0 || batch > 256) {
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
	if (rate <= 0) {
		/* Open loop: as fast as the pipeline behind the interface takes them. */
		o.repeat = (uint32_t)count;
		err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.ks_gen), &o);
	} else {
		/* Paced: chunks of 1024 frames, each sent when its time has come. */
		err = 0;
		for (unsigned long done = 0; !err && done < count;) {
			unsigned long n = count - done < 1024 ? count - done : 1024;
			double due = t0 + (double)done / rate, t;

			while ((t = now_s()) < due)
				if (due - t > 0.0002)
					usleep((useconds_t)((due - t) * 1e6 / 2));
			o.repeat = (uint32_t)n;
			err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.ks_gen), &o);
			done += n;
		}
	}
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

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "gen") == 0)
		return gen(argc, argv);
	if (argc > 1 && strcmp(argv[1], "sink") == 0)
		return sink(argc, argv);
	fprintf(stderr, "usage: ks-lab-bench gen|sink ...\n");
	return 2;
}
