/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rule corpus, one cmocka test per file:
 *  - tests/rules/good/NAME.json must compile; NAME.expect, when present,
 *    lists facts about the compiled table to check (format below);
 *  - tests/rules/bad/NAME.json must be rejected with exactly the errors in
 *    NAME.errors ("PATH: MESSAGE" per line, in order): none missing, none extra;
 *  - rules/examples/ and rules/demo/ must compile.
 *
 * .expect lines (# comments and blank lines ignored):
 *   version N | default drop|pass | listeners N | shards N | routes N
 *   listener ID VIP PORT PROTO
 *   shard ID NAME VIP PORT STEER CAPACITY
 *   route 0xKEY sticky=S targets=SHARD:LO-HI,... shadow=SHARD:THRESHOLD|none
 *   text 0xKEY TEXT...          (the key as written, rest of the line)
 *   absent 0xKEY                (no route for this key)
 *
 * KS_RULES_CORPUS (default tests/rules) and KS_RULES_EXAMPLES (default rules)
 * say where the files are; make runs from the repository root.
 */
#include <arpa/inet.h>
#include <glob.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "rules/rules.h"

/* Fewer files than this means the corpus went missing, not that all is well. */
#define MIN_GOOD     10
#define MIN_BAD	     25
#define MIN_EXAMPLES 3

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t size = 0;
	FILE *out;
	int ch;

	if (!f)
		return NULL;
	out = open_memstream(&buf, &size);
	while ((ch = fgetc(f)) != EOF)
		fputc(ch, out);
	fclose(out);
	fclose(f);
	return buf;
}

static char *sibling(const char *json_path, const char *ext)
{
	size_t n = strlen(json_path) - strlen(".json");
	char *p = malloc(n + strlen(ext) + 1);

	memcpy(p, json_path, n);
	strcpy(p + n, ext);
	return p;
}

static char *diags_text(const struct ks_diags *d)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	ks_diags_print(d, NULL, f);
	fclose(f);
	return buf;
}

/* Both texts as lists of lines: print what is missing and what is extra. */
static int compare_lines(const char *file, const char *want, const char *got)
{
	char *w = strdup(want), *g = strdup(got);
	char *wl[1024], *gl[1024];
	size_t nw = 0, ng = 0;
	int bad = 0;

	for (char *s = strtok(w, "\n"); s && nw < 1024; s = strtok(NULL, "\n"))
		wl[nw++] = s;
	for (char *s = strtok(g, "\n"); s && ng < 1024; s = strtok(NULL, "\n"))
		gl[ng++] = s;
	for (size_t i = 0; i < nw || i < ng; i++) {
		if (i < nw && i < ng && strcmp(wl[i], gl[i]) == 0)
			continue;
		bad = 1;
		if (i < nw)
			print_error("%s: line %zu expected: %s\n", file, i + 1, wl[i]);
		if (i < ng)
			print_error("%s: line %zu got:      %s\n", file, i + 1, gl[i]);
	}
	if (nw == 0) {
		print_error("%s: no expected errors listed\n", file);
		bad = 1;
	}
	free(w);
	free(g);
	return bad;
}

static void bad_file(void **state)
{
	const char *path = *state;
	char *errors_path = sibling(path, ".errors");
	char *want = read_text(errors_path);
	struct ks_diags d = {0};
	struct ks_compiled *c = NULL;
	char *got;

	if (!want)
		fail_msg("%s: missing %s", path, errors_path);
	assert_int_equal(ks_rules_compile_file(path, &c, &d), KS_RULES_INVALID);
	assert_null(c);
	got = diags_text(&d);
	if (compare_lines(path, want, got))
		fail_msg("%s: errors differ from %s", path, errors_path);
	free(got);
	free(want);
	free(errors_path);
	ks_diags_free(&d);
}

static long route_index(const struct ks_compiled *c, const char *hex, const char *where)
{
	char *end;
	unsigned long long key = strtoull(hex, &end, 16);
	long i;

	if (strncmp(hex, "0x", 2) != 0 || *end)
		fail_msg("%s: bad key %s", where, hex);
	i = ks_compiled_find(c, key);
	if (i < 0)
		fail_msg("%s: no route for key %s", where, hex);
	return i;
}

static void expect_route(const struct ks_compiled *c, char *args, const char *where)
{
	char *hex = strtok(args, " "), *sticky = strtok(NULL, " "), *targets = strtok(NULL, " ");
	char *shadow = strtok(NULL, " ");
	const struct ks_route *r;
	unsigned k = 0;

	if (!hex || !sticky || !targets || !shadow || strncmp(sticky, "sticky=", 7) ||
	    strncmp(targets, "targets=", 8) || strncmp(shadow, "shadow=", 7))
		fail_msg("%s: malformed route line", where);
	r = &c->routes[route_index(c, hex, where)];
	if (strcmp(ks_sticky_name(r->sticky), sticky + 7) != 0)
		fail_msg("%s: sticky is %s", where, ks_sticky_name(r->sticky));

	char *save = NULL;

	for (char *t = strtok_r(targets + 8, ",", &save); t; t = strtok_r(NULL, ",", &save), k++) {
		char *colon = strrchr(t, ':');
		unsigned lo, hi;
		__u32 glo, ghi;

		if (!colon || sscanf(colon + 1, "%u-%u", &lo, &hi) != 2)
			fail_msg("%s: malformed target %s", where, t);
		*colon = '\0';
		if (k >= r->n_targets)
			fail_msg("%s: only %u targets", where, r->n_targets);
		ks_compiled_target_range(r, k, &glo, &ghi);
		if (strcmp(c->shards[r->t[k].shard].name, t) != 0 || glo != lo || ghi != hi)
			fail_msg("%s: target %u is %s:%u-%u, expected %s:%u-%u", where, k,
				 c->shards[r->t[k].shard].name, glo, ghi, t, lo, hi);
	}
	if (k != r->n_targets)
		fail_msg("%s: %u targets, expected %u", where, r->n_targets, k);

	if (strcmp(shadow + 7, "none") == 0) {
		if (r->shadow_shard != KS_NO_SHARD || r->shadow_thresh != 0)
			fail_msg("%s: has a shadow", where);
	} else {
		char *colon = strrchr(shadow + 7, ':');

		if (!colon)
			fail_msg("%s: malformed shadow", where);
		*colon = '\0';
		if (r->shadow_shard == KS_NO_SHARD ||
		    strcmp(c->shards[r->shadow_shard].name, shadow + 7) != 0 ||
		    r->shadow_thresh != strtoul(colon + 1, NULL, 10))
			fail_msg("%s: shadow is %s:%u", where,
				 r->shadow_shard == KS_NO_SHARD ? "none"
								: c->shards[r->shadow_shard].name,
				 r->shadow_thresh);
	}
}

static const char *addr_text(const struct ks_addr *a, __u8 family, char *buf)
{
	return inet_ntop(family == KS_AF_INET ? AF_INET : AF_INET6, a->w, buf, INET6_ADDRSTRLEN);
}

static void expect_line(const struct ks_compiled *c, char *line, const char *where)
{
	char word[32], s1[256], s2[256], s3[64], buf[INET6_ADDRSTRLEN];
	unsigned long long n;
	unsigned id, port, cap;

	if (sscanf(line, "%31s", word) != 1 || word[0] == '#')
		return;
	char *args = line + strspn(line, " ") + strlen(word);

	args += strspn(args, " ");
	if (strcmp(word, "version") == 0) {
		assert_int_equal(sscanf(args, "%llu", &n), 1);
		if (c->version != n)
			fail_msg("%s: version is %llu", where, (unsigned long long)c->version);
	} else if (strcmp(word, "default") == 0) {
		if (strcmp(ks_default_name(c->default_action), args) != 0)
			fail_msg("%s: default is %s", where, ks_default_name(c->default_action));
	} else if (strcmp(word, "listeners") == 0 || strcmp(word, "shards") == 0 ||
		   strcmp(word, "routes") == 0) {
		__u32 got = word[0] == 'l'   ? c->n_listeners
			    : word[0] == 's' ? c->n_shards
					     : c->n_routes;

		assert_int_equal(sscanf(args, "%llu", &n), 1);
		if (got != n)
			fail_msg("%s: %u %s", where, got, word);
	} else if (strcmp(word, "listener") == 0) {
		if (sscanf(args, "%u %255s %u %63s", &id, s1, &port, s3) != 4 ||
		    id >= c->n_listeners)
			fail_msg("%s: malformed or no such listener", where);
		const struct ks_listener_key *l = &c->listeners[id];

		if (strcmp(addr_text(&l->addr, l->family, buf), s1) || ntohs(l->port) != port ||
		    strcmp(ks_proto_name(l->proto), s3))
			fail_msg("%s: listener is %s %u %s", where, buf, ntohs(l->port),
				 ks_proto_name(l->proto));
	} else if (strcmp(word, "shard") == 0) {
		if (sscanf(args, "%u %255s %255s %u %63s %u", &id, s1, s2, &port, s3, &cap) != 6 ||
		    id >= c->n_shards)
			fail_msg("%s: malformed or no such shard", where);
		const struct ks_compiled_shard *s = &c->shards[id];

		if (strcmp(s->name, s1) ||
		    strcmp(addr_text(&s->shard.vip, s->shard.family, buf), s2) ||
		    ntohs(s->shard.port) != port || strcmp(ks_steer_name(s->shard.steer), s3) ||
		    s->capacity != cap)
			fail_msg("%s: shard %u is %s %s %u %s %u", where, id, s->name, buf,
				 ntohs(s->shard.port), ks_steer_name(s->shard.steer), s->capacity);
	} else if (strcmp(word, "route") == 0) {
		expect_route(c, args, where);
	} else if (strcmp(word, "text") == 0) {
		char *sp = strchr(args, ' ');

		if (!sp)
			fail_msg("%s: malformed text line", where);
		*sp = '\0';
		long i = route_index(c, args, where);

		if (strcmp(c->route_info[i].text, sp + 1) != 0)
			fail_msg("%s: text is \"%s\"", where, c->route_info[i].text);
	} else if (strcmp(word, "absent") == 0) {
		if (ks_compiled_find(c, strtoull(args, NULL, 16)) >= 0)
			fail_msg("%s: key %s is in the table", where, args);
	} else {
		fail_msg("%s: unknown expectation '%s'", where, word);
	}
}

static void good_file(void **state)
{
	const char *path = *state;
	struct ks_diags d = {0};
	struct ks_compiled *c = NULL;
	char *expect_path = sibling(path, ".expect");
	char *expect = read_text(expect_path);
	enum ks_rules_result r = ks_rules_compile_file(path, &c, &d);

	if (r != KS_RULES_OK) {
		ks_diags_print(&d, path, stderr);
		fail_msg("%s: rejected", path);
	}
	/* the table invariants every compiled route must keep */
	for (__u32 i = 0; i < c->n_routes; i++) {
		const struct ks_route *rt = &c->routes[i];

		if (i)
			assert_true(c->keys[i - 1] < c->keys[i]);
		assert_int_equal(rt->stats_slot, i);
		assert_true(rt->n_targets >= 1 && rt->n_targets <= KS_MAX_TARGETS);
		assert_int_equal(rt->t[rt->n_targets - 1].last, KS_WEIGHT_BUCKETS - 1);
		for (unsigned k = 0; k < rt->n_targets; k++) {
			assert_true(rt->t[k].shard < c->n_shards);
			if (k)
				assert_true(rt->t[k].last > rt->t[k - 1].last);
		}
	}
	if (expect) {
		int lineno = 0;
		char *save = NULL;

		for (char *line = strtok_r(expect, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			char where[512];

			snprintf(where, sizeof(where), "%s:%d", expect_path, ++lineno);
			expect_line(c, line, where);
		}
	}
	free(expect);
	free(expect_path);
	ks_compiled_free(c);
	ks_diags_free(&d);
}

static size_t add_tests(struct CMUnitTest *tests, size_t n, const char *dir, const char *sub,
			CMUnitTestFunction fn, glob_t *g)
{
	char pattern[512];

	snprintf(pattern, sizeof(pattern), "%s/%s/*.json", dir, sub);
	if (glob(pattern, 0, NULL, g) != 0)
		g->gl_pathc = 0;
	for (size_t i = 0; i < g->gl_pathc; i++)
		tests[n++] = (struct CMUnitTest){
		    .name = g->gl_pathv[i], .test_func = fn, .initial_state = g->gl_pathv[i]};
	return g->gl_pathc;
}

int main(void)
{
	const char *dir = getenv("KS_RULES_CORPUS") ? getenv("KS_RULES_CORPUS") : "tests/rules";
	const char *ex = getenv("KS_RULES_EXAMPLES") ? getenv("KS_RULES_EXAMPLES") : "rules";
	static struct CMUnitTest tests[4096];
	glob_t g[4];
	size_t n = 0, good, bad, examples;
	int rc;

	good = add_tests(tests, n, dir, "good", good_file, &g[0]);
	n += good;
	bad = add_tests(tests, n, dir, "bad", bad_file, &g[1]);
	n += bad;
	examples = add_tests(tests, n, ex, "examples", good_file, &g[2]);
	n += examples;
	examples += add_tests(tests, n, ex, "demo", good_file, &g[3]);
	n = good + bad + examples;
	if (good < MIN_GOOD || bad < MIN_BAD || examples < MIN_EXAMPLES) {
		fprintf(stderr,
			"corpus missing: %zu good (want >= %d), %zu bad (want >= %d), %zu examples "
			"(want >= %d) under %s and %s\n",
			good, MIN_GOOD, bad, MIN_BAD, examples, MIN_EXAMPLES, dir, ex);
		return 1;
	}
	rc = _cmocka_run_group_tests("rules_corpus", tests, n, NULL, NULL);
	for (int i = 0; i < 4; i++)
		globfree(&g[i]);
	return rc;
}
