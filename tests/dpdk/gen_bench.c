/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inputs of `make bench-dpdk`: gen_bench DIR N_KEYS N_FRAMES writes
 *   DIR/rules.json    N_KEYS routes (literal keys), each to two GUE shards
 *                     weighted 3:1, one UDP listener
 *   DIR/zipf.pcap     N_FRAMES 64-byte keyed UDP frames, keys drawn
 *                     Zipf-distributed (s = 1) over all N_KEYS, ranks
 *                     shuffled so that hot keys are spread over the table
 *   DIR/uniform.pcap  the same with keys drawn uniformly
 *   DIR/hot64.pcap    the same with keys drawn uniformly from 64 of the
 *                     N_KEYS (spread over the table): the same decisions
 *                     with the routes and key counters in cache and their
 *                     pages in the TLB, to tell the decision's own cost
 *                     from the memory system's
 * Frames come from 65536 client flows. Deterministic.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../bpf/pkt.h"
#include "../diff/traffic.h"

#define HOT_KEYS 64

static uint64_t rng = 0x853c49e6748fea9bULL;

static uint64_t next64(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

static double unit(void)
{
	return (double)(next64() >> 11) / 9007199254740992.0;
}

static uint64_t key_of(uint32_t i)
{
	uint64_t x = (uint64_t)i + 0x9e3779b97f4a7c15ULL;

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	return x;
}

static int write_rules(const char *path, uint32_t n_keys)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fprintf(f, "{\"schema\":\"keysteer/v1\",\"version\":1,"
		   "\"listeners\":[{\"vip\":\"203.0.113.10\",\"port\":7000,\"proto\":\"udp\"}],"
		   "\"shards\":{\"a\":{\"vip\":\"10.1.0.10\",\"port\":8080},"
		   "\"b\":{\"vip\":\"10.1.0.11\",\"port\":8080}},\"routes\":[\n");
	for (uint32_t i = 0; i < n_keys; i++)
		fprintf(
		    f,
		    "%s{\"key\":\"0x%016llx\",\"to\":[{\"shard\":\"a\",\"weight\":3},{\"shard\":"
		    "\"b\",\"weight\":1}]}\n",
		    i ? "," : "", (unsigned long long)key_of(i));
	fprintf(f, "],\"default\":\"drop\"}\n");
	return fclose(f);
}

static int write_frames(const char *path, const uint32_t *idx, uint32_t n)
{
	struct diff_frame *fr = calloc(n, sizeof(*fr));
	uint8_t payload[22];
	struct pkt_spec s;
	char src[32];
	int rc;

	if (!fr)
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t flow = (uint32_t)next64() & 0xffff;

		snprintf(src, sizeof(src), "100.64.%u.%u", flow >> 8, flow & 0xff);
		pkt_init(&s, 4, 17, src, "203.0.113.10", (uint16_t)(10000 + (flow & 0x3ff)), 7000);
		pkt_ks_header(payload, key_of(idx[i]), flow, 0);
		memset(payload + 16, 0, sizeof(payload) - 16);
		s.payload = payload;
		s.payload_len = sizeof(payload);
		fr[i].data = malloc(PKT_MAX);
		if (!fr[i].data)
			return -1;
		fr[i].len = pkt_build(&s, fr[i].data, PKT_MAX, NULL);
	}
	rc = diff_write_pcap(path, fr, n);
	diff_frames_free(fr, n);
	return rc;
}

int main(int argc, char **argv)
{
	char path[512];
	uint32_t n_keys, n_frames, *perm, *idx;
	double *cdf, h = 0;

	if (argc != 4) {
		fprintf(stderr, "usage: gen_bench DIR N_KEYS N_FRAMES\n");
		return 2;
	}
	n_keys = (uint32_t)strtoul(argv[2], NULL, 0);
	n_frames = (uint32_t)strtoul(argv[3], NULL, 0);
	perm = malloc(sizeof(*perm) * n_keys);
	idx = malloc(sizeof(*idx) * n_frames);
	cdf = malloc(sizeof(*cdf) * n_keys);
	if (!perm || !idx || !cdf || !n_keys || !n_frames)
		return 1;
	snprintf(path, sizeof(path), "%s/rules.json", argv[1]);
	if (write_rules(path, n_keys))
		return 1;
	for (uint32_t i = 0; i < n_keys; i++)
		perm[i] = i;
	for (uint32_t i = n_keys - 1; i > 0; i--) {
		uint32_t j = (uint32_t)(next64() % (i + 1)), t = perm[i];

		perm[i] = perm[j];
		perm[j] = t;
	}
	/* Zipf s = 1: P(rank r) proportional to 1/r; inverse CDF by binary search. */
	for (uint32_t r = 0; r < n_keys; r++) {
		h += 1.0 / (r + 1);
		cdf[r] = h;
	}
	for (uint32_t i = 0; i < n_frames; i++) {
		double u = unit() * h;
		uint32_t lo = 0, hi = n_keys - 1;

		while (lo < hi) {
			uint32_t mid = lo + (hi - lo) / 2;

			if (cdf[mid] < u)
				lo = mid + 1;
			else
				hi = mid;
		}
		idx[i] = perm[lo];
	}
	snprintf(path, sizeof(path), "%s/zipf.pcap", argv[1]);
	if (write_frames(path, idx, n_frames))
		return 1;
	for (uint32_t i = 0; i < n_frames; i++)
		idx[i] = (uint32_t)(next64() % n_keys);
	snprintf(path, sizeof(path), "%s/uniform.pcap", argv[1]);
	if (write_frames(path, idx, n_frames))
		return 1;
	for (uint32_t i = 0; i < n_frames; i++)
		idx[i] = perm[next64() % (n_keys < HOT_KEYS ? n_keys : HOT_KEYS)];
	snprintf(path, sizeof(path), "%s/hot64.pcap", argv[1]);
	if (write_frames(path, idx, n_frames))
		return 1;
	free(perm);
	free(idx);
	free(cdf);
	return 0;
}
