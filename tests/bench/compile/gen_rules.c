/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Writes a keysteer/v1 rule set with N routes for the compile benchmark:
 *   gen_rules N OUT.json [SEED]
 * Half the keys are textual ("Model17/user12345/cell2", hashed), half 0x
 * literals; each route has 1-4 distinct targets among 256 shards, one in five
 * is weighted by capacity, one in ten has a shadow copy, stickiness rotates.
 * The same N and SEED always give the same file.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define N_SHARDS 256

static uint64_t state;

static uint64_t rng(void)
{
	/* splitmix64 */
	uint64_t z = (state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void route(FILE *f, unsigned long i)
{
	static const char *const sticky[] = {"flow", "entity", "none"};
	unsigned n = 1 + (unsigned)(rng() % 4), picked[4];
	int by_capacity = i % 5 == 0;

	if (i % 2)
		fprintf(f, "{\"key\":\"Model%lu/user%lu/cell%lu\",\"to\":[", i % 97, i, i % 5);
	else
		fprintf(f, "{\"key\":\"0x%016llx\",\"to\":[", (unsigned long long)rng());
	for (unsigned k = 0; k < n; k++) {
		unsigned s;
		int again;

		do { /* distinct targets */
			s = (unsigned)(rng() % N_SHARDS);
			again = 0;
			for (unsigned j = 0; j < k; j++)
				again |= picked[j] == s;
		} while (again);
		picked[k] = s;
		if (by_capacity)
			fprintf(f, "%s{\"shard\":\"svc-%03u\"}", k ? "," : "", s);
		else
			fprintf(f, "%s{\"shard\":\"svc-%03u\",\"weight\":%u}", k ? "," : "", s,
				1 + (unsigned)(rng() % 100));
	}
	fprintf(f, "]");
	if (by_capacity)
		fprintf(f, ",\"weights\":\"capacity\"");
	fprintf(f, ",\"sticky\":\"%s\"", sticky[i % 3]);
	if (i % 10 == 3) {
		unsigned s = (picked[0] + N_SHARDS / 2) % N_SHARDS; /* not a target: see below */
		int clash = 0;

		for (unsigned j = 0; j < n; j++)
			clash |= picked[j] == s;
		if (!clash)
			fprintf(f, ",\"shadow\":{\"shard\":\"svc-%03u\",\"percent\":%u}", s,
				1 + (unsigned)(rng() % 50));
	}
	fprintf(f, "}");
}

int main(int argc, char **argv)
{
	unsigned long n;
	FILE *f;

	if (argc < 3) {
		fprintf(stderr, "usage: %s N OUT.json [SEED]\n", argv[0]);
		return 2;
	}
	n = strtoul(argv[1], NULL, 10);
	state = argc > 3 ? strtoull(argv[3], NULL, 0) : 1;
	f = fopen(argv[2], "w");
	if (!f) {
		perror(argv[2]);
		return 1;
	}
	fprintf(f, "{\"schema\":\"keysteer/v1\",\"version\":%lu,\n\"listeners\":[", n);
	for (unsigned i = 0; i < 4; i++)
		fprintf(f, "%s{\"vip\":\"203.0.113.%u\",\"port\":%u,\"proto\":\"%s\"}",
			i ? "," : "", 10 + i / 2, 7000 + i, i % 2 ? "tcp" : "udp");
	fprintf(f, "],\n\"shards\":{");
	for (unsigned s = 0; s < N_SHARDS; s++)
		fprintf(f,
			"%s\n\"svc-%03u\":{\"vip\":\"10.%u.%u.%u\",\"port\":8080,\"steer\":\"%s\","
			"\"capacity\":%u}",
			s ? "," : "", s, 1 + s / 64, s % 64, 10 + s % 200, s % 8 ? "gue" : "ipip",
			1 + s % 8);
	fprintf(f, "},\n\"routes\":[\n");
	for (unsigned long i = 0; i < n; i++) {
		if (i)
			fputs(",\n", f);
		route(f, i);
	}
	fprintf(f, "],\n\"default\":\"drop\"}\n");
	if (fclose(f) != 0) {
		perror(argv[2]);
		return 1;
	}
	return 0;
}
