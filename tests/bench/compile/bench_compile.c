/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Compile benchmark: bench_compile [-r RUNS] FILE...
 *
 * For each rule file (read into memory once), best of RUNS of:
 *   parse    jansson json_loadb (with the compiler's arena allocator)
 *   compile  the JSON tree -> struct ks_compiled (validation included)
 *   release  freeing the parsed document (one arena release)
 *   total    parse + compile + release: rule text in memory -> table
 * and, for comparison, jansson on plain malloc: parse and json_decref.
 * Then bytes of table per key against the 64-byte target, and the time
 * against the 100 ms-per-100k-keys target, as ratios (< 1 meets it).
 * -C parses once and only compiles, RUNS times (for profiling the compiler).
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "rules/rules.h"
#include "rules/doc.h"
#include "rules/json_arena.h"
#include "rules/layout.h"

#define TARGET_MS_PER_100K   100.0
#define TARGET_BYTES_PER_KEY 64.0

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		perror(path);
		exit(2);
	}
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		perror(path);
		exit(2);
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

struct best {
	double parse, compile, release, total, malloc_parse, malloc_free;
};

static void min_into(double *best, double v)
{
	if (v < *best)
		*best = v;
}

static int bench(const char *path, int runs)
{
	struct best b = {1e30, 1e30, 1e30, 1e30, 1e30, 1e30};
	struct ks_diags d = {0};
	size_t len, arena_bytes = 0;
	char *buf = slurp(path, &len);
	__u32 n_routes = 0;
	size_t table_bytes = 0;

	for (int r = 0; r < runs; r++) {
		struct ks_rules_doc *doc;
		struct ks_compiled *c;
		double t0 = now_ms(), t1, t2, t3;

		if (ks_rules_parse(buf, len, &doc, &d) != KS_RULES_OK)
			goto invalid;
		t1 = now_ms();
		if (ks_rules_compile_doc(doc, &c, &d) != KS_RULES_OK)
			goto invalid;
		t2 = now_ms();
		arena_bytes = doc->arena ? ks_json_arena_used(doc->arena) : 0;
		ks_rules_doc_free(doc);
		t3 = now_ms();
		min_into(&b.parse, t1 - t0);
		min_into(&b.compile, t2 - t1);
		min_into(&b.release, t3 - t2);
		min_into(&b.total, t3 - t0);
		n_routes = c->n_routes;
		table_bytes = ks_compiled_table_bytes(c);
		ks_compiled_free(c);

		/* the same parse on jansson's default malloc, for comparison */
		json_error_t e;
		double m0 = now_ms();
		json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &e);
		double m1 = now_ms();

		json_decref(root);
		min_into(&b.malloc_parse, m1 - m0);
		min_into(&b.malloc_free, now_ms() - m1);
	}

	/* The split compile (rules.h: ks_rules_compile_opts) on 1 and on all CPUs. */
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned n_threads[2] = {1, cpus > 1 ? (unsigned)cpus : 2};
	double split_best[2] = {1e30, 1e30};
	bool split_used = true;

	for (int t = 0; t < 2; t++) {
		for (int r = 0; r < runs; r++) {
			struct ks_rules_layout lay;
			struct ks_rules_options opt = {.threads = n_threads[t], .layout = &lay};
			struct ks_compiled *c;
			double t0 = now_ms();

			if (ks_rules_compile_opts(buf, len, &opt, &c, &d) != KS_RULES_OK)
				goto invalid;
			min_into(&split_best[t], now_ms() - t0);
			split_used = split_used && lay.valid;
			ks_rules_layout_free(&lay);
			ks_compiled_free(c);
		}
	}

	double per_key = n_routes ? (double)table_bytes / n_routes : 0;
	double target_ms = TARGET_MS_PER_100K * n_routes / 100000.0;

	printf("%s: %.1f MB of JSON, %u keys, best of %d runs\n", path, len / 1e6, n_routes, runs);
	printf("  parse (jansson, arena)   %8.1f ms   %6.0f MB/s\n", b.parse, len / 1e3 / b.parse);
	printf("  compile (validate+table) %8.1f ms   %6.0f ns/key\n", b.compile,
	       b.compile * 1e6 / n_routes);
	printf("  release parsed JSON      %8.2f ms\n", b.release);
	printf("  total text -> table      %8.1f ms   target %.0f ms: ratio %.2f (compile alone "
	       "%.2f)\n",
	       b.total, target_ms, b.total / target_ms, b.compile / target_ms);
	printf("  split compile, 1 thread  %8.1f ms   target %.0f ms: ratio %.2f%s\n",
	       split_best[0], target_ms, split_best[0] / target_ms,
	       split_used ? "" : " (not split: reference path)");
	printf("  split compile, %u threads %7.1f ms   target %.0f ms: ratio %.2f; "
	       "%.2fx the reference total\n",
	       n_threads[1], split_best[1], target_ms, split_best[1] / target_ms,
	       split_best[1] / b.total);
	printf(
	    "  jansson on malloc: parse %.1f ms + json_decref %.1f ms = %.1f ms (arena: %.1f ms)\n",
	    b.malloc_parse, b.malloc_free, b.malloc_parse + b.malloc_free, b.parse + b.release);
	printf("  parsed JSON %.0f MB (%.0f bytes/key)\n", arena_bytes / 1e6,
	       (double)arena_bytes / n_routes);
	printf("  table %zu bytes = %.1f bytes/key   target %.0f: ratio %.2f\n", table_bytes,
	       per_key, TARGET_BYTES_PER_KEY, per_key / TARGET_BYTES_PER_KEY);
	free(buf);
	ks_diags_free(&d);
	return 0;

invalid:
	ks_diags_print(&d, path, stderr);
	ks_diags_free(&d);
	free(buf);
	return 1;
}

static int compile_only(const char *path, int runs)
{
	struct ks_diags d = {0};
	struct ks_rules_doc *doc;
	double best = 1e30;
	size_t len;
	char *buf = slurp(path, &len);

	if (ks_rules_parse(buf, len, &doc, &d) != KS_RULES_OK)
		return 1;
	for (int r = 0; r < runs; r++) {
		struct ks_compiled *c;
		double t0 = now_ms();

		if (ks_rules_compile_doc(doc, &c, &d) != KS_RULES_OK)
			return 1;
		min_into(&best, now_ms() - t0);
		ks_compiled_free(c);
	}
	printf("%s: compile only, best of %d: %.1f ms\n", path, runs, best);
	ks_rules_doc_free(doc);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	int runs = 5, c, rc = 0;
	bool only_compile = false;
	struct rusage ru;

	while ((c = getopt(argc, argv, "r:C")) != -1) {
		if (c == 'C') {
			only_compile = true;
			continue;
		}
		if (c != 'r') {
			fprintf(stderr, "usage: %s [-C] [-r RUNS] FILE...\n", argv[0]);
			return 2;
		}
		runs = atoi(optarg) > 0 ? atoi(optarg) : 1;
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: %s [-r RUNS] FILE...\n", argv[0]);
		return 2;
	}
	for (int i = optind; i < argc; i++)
		rc |= only_compile ? compile_only(argv[i], runs) : bench(argv[i], runs);
	getrusage(RUSAGE_SELF, &ru);
	printf("peak RSS %.0f MB\n", ru.ru_maxrss / 1024.0);
	return rc;
}
