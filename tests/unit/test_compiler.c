/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rule compiler through its API: what a valid rule set compiles to
 * (ids, sorting, keys, buckets, shadow thresholds, defaults), that a rejected
 * one yields no table, error order and paths, limits, determinism, and
 * concurrent use; the split compile (routes parsed and compiled on several
 * threads) against the reference path, on the corpus, on generated rule sets
 * with and without errors, and on random mutations of one. The corpus test
 * (test_rules_corpus.c) covers each rejection message.
 */
#include <arpa/inet.h>
#include <glob.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <keysteer/fnv.h>
#include "rules/rules.h"
#include "rules/doc.h"
#include "rules/json_arena.h"
#include "rules/layout.h"

/* The DESIGN.md example, made valid: fraud-v7 steered by ipip (nat cannot
 * take IPv4 listener traffic to an IPv6 VIP) and cw-cell-3 defined. */
static const char design_fixed[] =
    "{\n"
    "  \"schema\": \"keysteer/v1\",\n"
    "  \"version\": 42,\n"
    "  \"listeners\": [\n"
    "    {\"vip\": \"203.0.113.10\", \"port\": 7000, \"proto\": \"udp\"},\n"
    "    {\"vip\": \"203.0.113.10\", \"port\": 7443, \"proto\": \"tcp\"}\n"
    "  ],\n"
    "  \"shards\": {\n"
    "    \"cw-default\": {\"vip\": \"10.1.0.10\", \"port\": 8080, \"steer\": \"gue\", "
    "\"capacity\": 4},\n"
    "    \"cw-cell-2\":  {\"vip\": \"10.1.0.20\", \"port\": 8080, \"capacity\": 1},\n"
    "    \"cw-cell-3\":  {\"vip\": \"10.1.0.30\", \"port\": 8080},\n"
    "    \"fraud-v7\":   {\"vip\": \"2001:db8::7\", \"port\": 9000, \"steer\": \"ipip\"}\n"
    "  },\n"
    "  \"routes\": [\n"
    "    {\"key\": \"ContinueWatchingRanking/ab12345/cell1\",\n"
    "     \"to\": [{\"shard\": \"cw-default\", \"weight\": 95}, {\"shard\": \"cw-cell-2\", "
    "\"weight\": 5}],\n"
    "     \"sticky\": \"entity\",\n"
    "     \"shadow\": {\"shard\": \"cw-cell-3\", \"percent\": 10}},\n"
    "    {\"key\": \"0x9f3a00c2d41e7b05\", \"to\": [{\"shard\": \"fraud-v7\"}]}\n"
    "  ],\n"
    "  \"default\": \"drop\"\n"
    "}\n";

static struct ks_compiled *compile_ok(const char *json)
{
	struct ks_diags d = {0};
	struct ks_compiled *c = NULL;
	enum ks_rules_result r = ks_rules_compile_buf(json, strlen(json), &c, &d);

	if (r != KS_RULES_OK)
		ks_diags_print(&d, "unexpected error", stderr);
	assert_int_equal(r, KS_RULES_OK);
	assert_non_null(c);
	assert_int_equal(d.n, 0);
	ks_diags_free(&d);
	return c;
}

/* Compile a rule set that must be rejected; returns its errors as "PATH: MESSAGE\n" lines. */
static char *compile_bad(const char *json, size_t *n_errors)
{
	struct ks_diags d = {0};
	struct ks_compiled *c = (struct ks_compiled *)&d; /* must be overwritten with NULL */
	char *out = NULL;
	size_t size = 0;
	FILE *f;

	assert_int_equal(ks_rules_compile_buf(json, strlen(json), &c, &d), KS_RULES_INVALID);
	assert_null(c);
	assert_true(d.n > 0);
	f = open_memstream(&out, &size);
	assert_non_null(f);
	ks_diags_print(&d, NULL, f);
	fclose(f);
	if (n_errors)
		*n_errors = d.n;
	ks_diags_free(&d);
	return out;
}

static long shard_id(const struct ks_compiled *c, const char *name)
{
	for (__u32 i = 0; i < c->n_shards; i++)
		if (strcmp(c->shards[i].name, name) == 0)
			return i;
	fail_msg("no shard %s", name);
	return -1;
}

static void design_example_compiles(void **state)
{
	(void)state;
	struct ks_compiled *c = compile_ok(design_fixed);
	__u64 cw_key = ks_fnv1a64("ContinueWatchingRanking/ab12345/cell1", 37);
	struct in_addr v4;
	struct in6_addr v6;
	long i;

	assert_int_equal(c->version, 42);
	assert_int_equal(c->default_action, KS_DEFAULT_DROP);

	/* listeners in rule order */
	assert_int_equal(c->n_listeners, 2);
	inet_pton(AF_INET, "203.0.113.10", &v4);
	assert_int_equal(c->listeners[0].addr.w[0], v4.s_addr);
	assert_int_equal(
	    c->listeners[0].addr.w[1] | c->listeners[0].addr.w[2] | c->listeners[0].addr.w[3], 0);
	assert_int_equal(c->listeners[0].family, KS_AF_INET);
	assert_int_equal(c->listeners[0].port, htons(7000));
	assert_int_equal(c->listeners[0].proto, IPPROTO_UDP);
	assert_int_equal(c->listeners[1].port, htons(7443));
	assert_int_equal(c->listeners[1].proto, IPPROTO_TCP);
	assert_int_equal(c->listeners[1].gen, 0);

	/* shard ids in byte order of names */
	assert_int_equal(c->n_shards, 4);
	assert_string_equal(c->shards[0].name, "cw-cell-2");
	assert_string_equal(c->shards[1].name, "cw-cell-3");
	assert_string_equal(c->shards[2].name, "cw-default");
	assert_string_equal(c->shards[3].name, "fraud-v7");
	assert_int_equal(c->shards[0].capacity, 1);
	assert_int_equal(c->shards[1].capacity, 1); /* default */
	assert_int_equal(c->shards[2].capacity, 4);
	assert_int_equal(c->shards[1].shard.steer, KS_STEER_GUE); /* default */
	assert_int_equal(c->shards[3].shard.steer, KS_STEER_IPIP);
	assert_int_equal(c->shards[3].shard.family, KS_AF_INET6);
	inet_pton(AF_INET6, "2001:db8::7", &v6);
	assert_memory_equal(c->shards[3].shard.vip.w, &v6, 16);
	assert_int_equal(c->shards[3].shard.port, htons(9000));
	assert_int_equal(c->shards[2].shard.nh_valid, 0);
	assert_int_equal(c->shards[2].shard.ifindex, 0);

	/* routes sorted by key */
	assert_int_equal(c->n_routes, 2);
	assert_true(c->keys[0] < c->keys[1]);
	i = ks_compiled_find(c, cw_key);
	assert_true(i >= 0);
	assert_string_equal(c->route_info[i].text, "ContinueWatchingRanking/ab12345/cell1");
	assert_int_equal(c->route_info[i].rule_index, 0);
	assert_int_equal(c->routes[i].stats_slot, i);
	assert_int_equal(c->routes[i].sticky, KS_STICKY_ENTITY);
	assert_int_equal(c->routes[i].n_targets, 2);
	assert_int_equal(c->routes[i].t[0].shard, shard_id(c, "cw-default"));
	assert_int_equal(c->routes[i].t[0].last, 62258); /* 62259 buckets = 95% */
	assert_int_equal(c->routes[i].t[1].shard, shard_id(c, "cw-cell-2"));
	assert_int_equal(c->routes[i].t[1].last, 65535);
	assert_int_equal(c->routes[i].shadow_shard, shard_id(c, "cw-cell-3"));
	assert_int_equal(c->routes[i].shadow_thresh, 6554); /* 10% of 65536, rounded */

	i = ks_compiled_find(c, 0x9f3a00c2d41e7b05ULL);
	assert_true(i >= 0);
	assert_string_equal(c->route_info[i].text, "0x9f3a00c2d41e7b05");
	assert_int_equal(c->route_info[i].rule_index, 1);
	assert_int_equal(c->routes[i].stats_slot, i);
	assert_int_equal(c->routes[i].sticky, KS_STICKY_FLOW); /* default */
	assert_int_equal(c->routes[i].n_targets, 1);
	assert_int_equal(c->routes[i].t[0].shard, shard_id(c, "fraud-v7"));
	assert_int_equal(c->routes[i].t[0].last, 65535);
	assert_int_equal(c->routes[i].shadow_shard, KS_NO_SHARD);
	assert_int_equal(c->routes[i].shadow_thresh, 0);
	/* unused target slots stay zero */
	for (int k = 1; k < KS_MAX_TARGETS; k++)
		assert_int_equal(c->routes[i].t[k].shard | c->routes[i].t[k].last, 0);

	assert_int_equal(ks_compiled_table_bytes(c), 2 * KS_COMPILED_BYTES_PER_ROUTE);
	assert_true(KS_COMPILED_BYTES_PER_ROUTE <= 64);
	ks_compiled_free(c);
}

static void design_example_verbatim_is_rejected(void **state)
{
	(void)state;
	/* DESIGN.md's example as printed: nat to an IPv6 VIP behind IPv4 listeners,
	 * and a shadow to an undefined shard. */
	char *json = strdup(design_fixed);
	char *p = strstr(json, "\"steer\": \"ipip\"");
	size_t n;

	memcpy(p, "\"steer\": \"nat\" ", 15);
	p = strstr(json, "\"cw-cell-3\":  {\"vip\": \"10.1.0.30\", \"port\": 8080},");
	memset(p, ' ', strlen("\"cw-cell-3\":  {\"vip\": \"10.1.0.30\", \"port\": 8080},"));
	char *errors = compile_bad(json, &n);

	assert_int_equal(n, 2);
	assert_string_equal(
	    errors,
	    "shards.fraud-v7.steer: \"nat\" only rewrites the destination, so it cannot steer "
	    "IPv4 listener traffic (listeners[0]) to an IPv6 VIP; use \"gue\" or \"ipip\"\n"
	    "routes[0].shadow.shard: unknown shard \"cw-cell-3\" (did you mean \"cw-cell-2\"?)\n");
	free(errors);
	free(json);
}

static void errors_come_in_input_order(void **state)
{
	(void)state;
	/* routes before shards in the document, members in odd orders: errors
	 * follow the text even though shards are checked before routes. */
	const char *json =
	    "{\"routes\": [{\"to\": [{\"weight\": -1, \"shard\": \"nope\"}], \"key\": 5},"
	    "             {\"key\": \"k\", \"to\": [{\"shard\": \"a\"}], \"stiky\": 1}],"
	    " \"default\": \"drop\", \"version\": 0,"
	    " \"shards\": {\"b\": {\"port\": 0, \"vip\": \"x\"}, \"a\": {\"vip\": "
	    "\"10.0.0.1\", \"port\": 1}},"
	    " \"listeners\": [], \"schema\": \"keysteer/v1\"}";
	char *errors = compile_bad(json, NULL);

	assert_string_equal(errors,
			    "routes[0].to[0].weight: must not be negative, got -1\n"
			    "routes[0].to[0].shard: unknown shard \"nope\"\n"
			    "routes[0].key: expected a string, got 5\n"
			    "routes[1].stiky: unknown field \"stiky\" (did you mean \"sticky\"?)\n"
			    "version: must be at least 1, got 0\n"
			    "shards.b.port: must be between 1 and 65535, got 0\n"
			    "shards.b.vip: invalid IP address \"x\"\n");
	free(errors);
}

static void syntax_errors_give_line_and_column(void **state)
{
	(void)state;
	char *errors = compile_bad("{\n  \"schema\": \"keysteer/v1\",\n  \"version\": ,\n}", NULL);
	unsigned line, col;
	char rest[200];

	assert_int_equal(sscanf(errors, "%u:%u: %199[^\n]", &line, &col, rest), 3);
	assert_int_equal(line, 3);
	assert_true(col >= 13 && col <= 15);
	assert_non_null(strstr(rest, "invalid JSON: "));
	free(errors);

	errors = compile_bad("{\"a\": 1,\n \"a\": 2}", NULL);
	assert_non_null(strstr(errors, "2:"));
	assert_non_null(strstr(errors, "invalid JSON: duplicate object key"));
	free(errors);
}

static void keys_literal_or_hashed(void **state)
{
	(void)state;
	__u64 k;

	assert_int_equal(ks_rules_key("0x1", 3, &k), 1);
	assert_int_equal(k, 1);
	assert_int_equal(ks_rules_key("0xFFFFffffFFFFffff", 18, &k), 1);
	assert_int_equal(k, UINT64_MAX);
	assert_int_equal(ks_rules_key("0x9f3a00c2d41e7b05", 18, &k), 1);
	assert_int_equal(k, 0x9f3a00c2d41e7b05ULL);
	/* not literals: hashed like any text */
	assert_int_equal(ks_rules_key("0x", 2, &k), 0);
	assert_int_equal(k, ks_fnv1a64("0x", 2));
	assert_int_equal(ks_rules_key("0x00000000000000001", 19, &k), 0); /* 17 digits */
	assert_int_equal(k, ks_fnv1a64("0x00000000000000001", 19));
	assert_int_equal(ks_rules_key("0X12", 4, &k), 0);
	assert_int_equal(ks_rules_key("0x12g", 5, &k), 0);
	assert_int_equal(ks_rules_key(" 0x12", 5, &k), 0);
	assert_int_equal(ks_rules_key("foobar", 6, &k), 0);
	assert_int_equal(k, 0x85944171f73967e8ULL);
}

static void version_covers_u64(void **state)
{
	(void)state;
	const char *fmt = "{\"schema\": \"keysteer/v1\", \"version\": %s, \"listeners\": [],"
			  " \"shards\": {}, \"routes\": []}";
	char json[256];
	struct ks_compiled *c;
	char *errors;

	snprintf(json, sizeof(json), fmt, "9223372036854775808"); /* 2^63: beyond json_int_t */
	c = compile_ok(json);
	assert_int_equal(c->version, 9223372036854775808ULL);
	assert_int_equal(c->n_routes, 0);
	ks_compiled_free(c);
	snprintf(json, sizeof(json), fmt, "18446744073709551615");
	c = compile_ok(json);
	assert_int_equal(c->version, UINT64_MAX);
	ks_compiled_free(c);
	snprintf(json, sizeof(json), fmt, "1");
	c = compile_ok(json);
	assert_int_equal(c->version, 1);
	assert_int_equal(c->default_action, KS_DEFAULT_DROP); /* default */
	ks_compiled_free(c);

	snprintf(json, sizeof(json), fmt, "18446744073709551616");
	errors = compile_bad(json, NULL);
	assert_string_equal(
	    errors, "version: must be at most 18446744073709551615, got 18446744073709551616\n");
	free(errors);
}

/* A rule set with n listeners and m shards (and one route to shard 0). */
static char *big_rules(unsigned n_listeners, unsigned n_shards)
{
	char *out = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&out, &size);

	fprintf(f, "{\"schema\": \"keysteer/v1\", \"version\": 1, \"listeners\": [");
	for (unsigned i = 0; i < n_listeners; i++)
		fprintf(f, "%s{\"vip\": \"10.0.%u.%u\", \"port\": 7000, \"proto\": \"udp\"}",
			i ? "," : "", i / 256, i % 256);
	fprintf(f, "], \"shards\": {");
	for (unsigned i = 0; i < n_shards; i++)
		fprintf(f, "%s\"s%05u\": {\"vip\": \"10.1.%u.%u\", \"port\": 80}", i ? "," : "", i,
			i / 256, i % 256);
	fprintf(f, "}, \"routes\": [{\"key\": \"k\", \"to\": [{\"shard\": \"s00000\"}]}]}");
	fclose(f);
	return out;
}

static void limits(void **state)
{
	(void)state;
	char *json, *errors;
	struct ks_compiled *c;
	size_t n;

	json = big_rules(KS_MAX_LISTENERS, KS_MAX_SHARDS);
	c = compile_ok(json);
	assert_int_equal(c->n_listeners, KS_MAX_LISTENERS);
	assert_int_equal(c->n_shards, KS_MAX_SHARDS);
	assert_string_equal(c->shards[KS_MAX_SHARDS - 1].name, "s04095");
	ks_compiled_free(c);
	free(json);

	json = big_rules(KS_MAX_LISTENERS + 1, KS_MAX_SHARDS + 1);
	errors = compile_bad(json, &n);
	assert_int_equal(n, 2);
	assert_string_equal(errors, "listeners: 257 listeners, more than the limit of 256\n"
				    "shards: 4097 shards, more than the limit of 4096\n");
	free(errors);
	free(json);
}

static void shadow_thresholds(void **state)
{
	(void)state;
	const char *fmt = "{\"schema\": \"keysteer/v1\", \"version\": 1, \"listeners\": [],"
			  " \"shards\": {\"a\": {\"vip\": \"10.0.0.1\", \"port\": 1},"
			  "             \"b\": {\"vip\": \"10.0.0.2\", \"port\": 1}},"
			  " \"routes\": [{\"key\": \"k\", \"to\": [{\"shard\": \"a\"}],"
			  "              \"shadow\": {\"shard\": \"b\", \"percent\": %s}}]}";
	static const struct {
		const char *percent;
		__u32 thresh;
	} cases[] = {
	    {"10", 6554},		     /* 6553.6 */
	    {"100", 65536}, {"0.5", 328},    /* 327.68 */
	    {"0.0001", 1},		     /* 0.065: at least one bucket */
	    {"50", 32768},  {"33.3", 21823}, /* 21823.488 */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char json[512];
		struct ks_compiled *c;

		snprintf(json, sizeof(json), fmt, cases[i].percent);
		c = compile_ok(json);
		assert_int_equal(c->routes[0].shadow_shard, 1);
		assert_int_equal(c->routes[0].shadow_thresh, cases[i].thresh);
		ks_compiled_free(c);
	}
}

static void weights_and_capacity(void **state)
{
	(void)state;
	const char *json =
	    "{\"schema\": \"keysteer/v1\", \"version\": 1, \"listeners\": [],"
	    " \"shards\": {\"big\": {\"vip\": \"10.0.0.1\", \"port\": 1, \"capacity\": 4},"
	    "            \"canary\": {\"vip\": \"10.0.0.2\", \"port\": 1, \"capacity\": 1},"
	    "            \"idle\": {\"vip\": \"10.0.0.3\", \"port\": 1}},"
	    " \"routes\": [{\"key\": \"0x10\", \"to\": [{\"shard\": \"big\"}, {\"shard\": "
	    "\"canary\"}],"
	    "              \"weights\": \"capacity\"},"
	    "             {\"key\": \"0x20\", \"to\": [{\"shard\": \"big\"}, {\"shard\": "
	    "\"canary\"}]},"
	    "             {\"key\": \"0x30\", \"to\": [{\"shard\": \"idle\", \"weight\": 0},"
	    "                     {\"shard\": \"canary\", \"weight\": 3}]}],"
	    " \"default\": \"pass\"}";
	struct ks_compiled *c = compile_ok(json);
	const struct ks_route *r;

	assert_int_equal(c->default_action, KS_DEFAULT_PASS);
	/* capacity 4 beside capacity 1: the canary gets 20% (13107 buckets) */
	r = &c->routes[ks_compiled_find(c, 0x10)];
	assert_int_equal(r->n_targets, 2);
	assert_int_equal(r->t[0].shard, 0); /* big */
	assert_int_equal(r->t[0].last, 52428);
	assert_int_equal(r->t[1].shard, 1); /* canary */
	assert_int_equal(r->t[1].last, 65535);
	__u32 lo, hi;

	ks_compiled_target_range(r, 1, &lo, &hi);
	assert_int_equal(lo, 52429);
	assert_int_equal(hi, 65535);
	assert_int_equal(hi - lo + 1, 13107);
	ks_compiled_target_range(r, 0, &lo, &hi);
	assert_int_equal(lo, 0);
	assert_int_equal(hi, 52428);

	/* without "weights": "capacity", equal default weights: 50% */
	r = &c->routes[ks_compiled_find(c, 0x20)];
	assert_int_equal(r->t[0].last, 32767);

	/* a zero-weight target is left out of the table */
	r = &c->routes[ks_compiled_find(c, 0x30)];
	assert_int_equal(r->n_targets, 1);
	assert_int_equal(r->t[0].shard, 1);
	assert_int_equal(r->t[0].last, 65535);
	ks_compiled_free(c);
}

static void find_every_key_and_no_other(void **state)
{
	(void)state;
	char *json = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&json, &size);
	struct ks_compiled *c;

	fprintf(f, "{\"schema\": \"keysteer/v1\", \"version\": 1, \"listeners\": [],"
		   " \"shards\": {\"a\": {\"vip\": \"10.0.0.1\", \"port\": 1}}, \"routes\": [");
	for (int i = 0; i < 1000; i++)
		fprintf(f, "%s{\"key\": \"%s%d\", \"to\": [{\"shard\": \"a\"}]}", i ? "," : "",
			i % 2 ? "text/" : "0x", i % 2 ? i : i * 7919);
	fprintf(f, "]}");
	fclose(f);
	c = compile_ok(json);
	assert_int_equal(c->n_routes, 1000);
	for (__u32 i = 0; i < c->n_routes; i++) {
		if (i)
			assert_true(c->keys[i - 1] < c->keys[i]);
		assert_int_equal(ks_compiled_find(c, c->keys[i]), i);
		assert_int_equal(c->routes[i].stats_slot, i);
		if (c->keys[i] + 1 != (i + 1 < c->n_routes ? c->keys[i + 1] : 0))
			assert_int_equal(ks_compiled_find(c, c->keys[i] + 1), -1);
	}
	assert_int_equal(ks_compiled_find(c, ks_fnv1a64("text/2", 6)), -1);
	assert_true(ks_compiled_find(c, ks_fnv1a64("text/3", 6)) >= 0);
	assert_true(ks_compiled_find(c, 0x1e) < 0 || c->keys[ks_compiled_find(c, 0x1e)] == 0x1e);
	ks_compiled_free(c);
	free(json);
}

static void same_table_whatever_the_member_order(void **state)
{
	(void)state;
	/* design_fixed with shards and routes written in another order */
	const char *shuffled =
	    "{\"default\": \"drop\", \"routes\": ["
	    " {\"to\": [{\"shard\": \"fraud-v7\"}], \"key\": \"0x9f3a00c2d41e7b05\"},"
	    " {\"shadow\": {\"percent\": 10, \"shard\": \"cw-cell-3\"}, \"sticky\": \"entity\","
	    "  \"to\": [{\"weight\": 95, \"shard\": \"cw-default\"}, {\"shard\": \"cw-cell-2\", "
	    "\"weight\": 5}],"
	    "  \"key\": \"ContinueWatchingRanking/ab12345/cell1\"}],"
	    " \"shards\": {\"fraud-v7\": {\"steer\": \"ipip\", \"port\": 9000, \"vip\": "
	    "\"2001:db8::7\"},"
	    "  \"cw-cell-3\": {\"vip\": \"10.1.0.30\", \"port\": 8080},"
	    "  \"cw-default\": {\"capacity\": 4, \"vip\": \"10.1.0.10\", \"port\": 8080, "
	    "\"steer\": "
	    "\"gue\"},"
	    "  \"cw-cell-2\": {\"vip\": \"10.1.0.20\", \"port\": 8080, \"capacity\": 1}},"
	    " \"listeners\": [{\"vip\": \"203.0.113.10\", \"port\": 7000, \"proto\": \"udp\"},"
	    "  {\"proto\": \"tcp\", \"vip\": \"203.0.113.10\", \"port\": 7443}],"
	    " \"version\": 42, \"schema\": \"keysteer/v1\"}";
	struct ks_compiled *a = compile_ok(design_fixed), *b = compile_ok(design_fixed),
			   *s = compile_ok(shuffled);

	/* the same input twice: byte-identical */
	assert_int_equal(a->n_routes, b->n_routes);
	assert_memory_equal(a->keys, b->keys, a->n_routes * sizeof(*a->keys));
	assert_memory_equal(a->routes, b->routes, a->n_routes * sizeof(*a->routes));
	assert_memory_equal(a->listeners, b->listeners, a->n_listeners * sizeof(*a->listeners));
	for (__u32 i = 0; i < a->n_shards; i++)
		assert_memory_equal(&a->shards[i].shard, &b->shards[i].shard,
				    sizeof(a->shards[i].shard));

	/* another member order: the same table (only rule indexes differ) */
	assert_int_equal(a->n_routes, s->n_routes);
	assert_memory_equal(a->keys, s->keys, a->n_routes * sizeof(*a->keys));
	assert_memory_equal(a->routes, s->routes, a->n_routes * sizeof(*a->routes));
	assert_int_equal(a->n_shards, s->n_shards);
	for (__u32 i = 0; i < a->n_shards; i++) {
		assert_string_equal(a->shards[i].name, s->shards[i].name);
		assert_memory_equal(&a->shards[i].shard, &s->shards[i].shard,
				    sizeof(a->shards[i].shard));
	}
	ks_compiled_free(a);
	ks_compiled_free(b);
	ks_compiled_free(s);
}

static void parse_then_compile(void **state)
{
	(void)state;
	struct ks_diags d = {0};
	struct ks_rules_doc *doc;
	struct ks_compiled *a, *b;

	assert_int_equal(ks_rules_parse(design_fixed, strlen(design_fixed), &doc, &d), KS_RULES_OK);
	/* jansson allocated the tree in the document's arena (json_arena.h) */
	assert_non_null(doc->arena);
	assert_true(ks_json_arena_used(doc->arena) > strlen(design_fixed));
	assert_int_equal(ks_rules_compile_doc(doc, &a, &d), KS_RULES_OK);
	assert_int_equal(ks_rules_compile_doc(doc, &b, &d), KS_RULES_OK);
	assert_memory_equal(a->routes, b->routes, a->n_routes * sizeof(*a->routes));
	ks_rules_doc_free(doc);
	/* the table does not point into the freed document */
	assert_string_equal(a->shards[0].name, "cw-cell-2");
	assert_string_equal(a->route_info[ks_compiled_find(a, 0x9f3a00c2d41e7b05ULL)].text,
			    "0x9f3a00c2d41e7b05");
	ks_compiled_free(a);
	ks_compiled_free(b);

	assert_int_equal(ks_rules_parse("{", 1, &doc, &d), KS_RULES_INVALID);
	assert_null(doc);
	assert_int_equal(d.n, 1);
	ks_diags_free(&d);
}

static void unreadable_file(void **state)
{
	(void)state;
	struct ks_diags d = {0};
	struct ks_compiled *c;

	assert_int_equal(ks_rules_compile_file("/nonexistent/rules.json", &c, &d),
			 KS_RULES_IO_ERROR);
	assert_null(c);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.v[0].path, "");
	assert_string_equal(d.v[0].message, "No such file or directory");
	ks_diags_free(&d);
}

static void names_of_enum_values(void **state)
{
	(void)state;
	assert_string_equal(ks_steer_name(KS_STEER_GUE), "gue");
	assert_string_equal(ks_steer_name(KS_STEER_IPIP), "ipip");
	assert_string_equal(ks_steer_name(KS_STEER_NAT), "nat");
	assert_string_equal(ks_steer_name(9), "?");
	assert_string_equal(ks_sticky_name(KS_STICKY_FLOW), "flow");
	assert_string_equal(ks_sticky_name(KS_STICKY_ENTITY), "entity");
	assert_string_equal(ks_sticky_name(KS_STICKY_NONE), "none");
	assert_string_equal(ks_default_name(KS_DEFAULT_DROP), "drop");
	assert_string_equal(ks_default_name(KS_DEFAULT_PASS), "pass");
	assert_string_equal(ks_proto_name(IPPROTO_UDP), "udp");
	assert_string_equal(ks_proto_name(IPPROTO_TCP), "tcp");
	assert_string_equal(ks_proto_name(0), "?");
}

/* Two threads compiling at once (the jansson arena is per thread). */
static void *compile_many(void *arg)
{
	struct ks_compiled *ref = arg;

	for (int i = 0; i < 200; i++) {
		struct ks_diags d = {0};
		struct ks_compiled *c;

		if (ks_rules_compile_buf(design_fixed, strlen(design_fixed), &c, &d) !=
			KS_RULES_OK ||
		    memcmp(c->routes, ref->routes, ref->n_routes * sizeof(*c->routes)) != 0)
			return (void *)1;
		ks_compiled_free(c);
		ks_diags_free(&d);
	}
	return NULL;
}

static void concurrent_compiles(void **state)
{
	(void)state;
	struct ks_compiled *ref = compile_ok(design_fixed);
	pthread_t t[2];
	void *rc[2];

	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, compile_many, ref), 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(pthread_join(t[i], &rc[i]), 0);
		assert_null(rc[i]);
	}
	ks_compiled_free(ref);
}

/* ---------- the split compile against the reference path ---------- */

struct outcome {
	enum ks_rules_result r;
	struct ks_compiled *c;
	struct ks_diags d;
	bool split; /* the split was used (layout valid) */
	size_t n_spans;
};

static void compile_both_ways(const char *buf, size_t len, unsigned threads, struct outcome *o)
{
	struct ks_rules_layout lay;
	struct ks_rules_options opt = {.threads = threads, .layout = &lay};

	memset(o, 0, sizeof(*o));
	if (threads == 0)
		o->r = ks_rules_compile_buf(buf, len, &o->c, &o->d);
	else
		o->r = ks_rules_compile_opts(buf, len, &opt, &o->c, &o->d);
	if (threads) {
		o->split = lay.valid;
		o->n_spans = lay.n_routes;
		ks_rules_layout_free(&lay);
	}
}

static void outcome_free(struct outcome *o)
{
	ks_compiled_free(o->c);
	ks_diags_free(&o->d);
}

/* The same table byte for byte, or the same errors in the same order. */
static void assert_same_outcome(const struct outcome *a, const struct outcome *b)
{
	assert_int_equal(a->r, b->r);
	assert_int_equal(a->d.n, b->d.n);
	for (size_t i = 0; i < a->d.n; i++) {
		if (strcmp(a->d.v[i].path, b->d.v[i].path) != 0 ||
		    strcmp(a->d.v[i].message, b->d.v[i].message) != 0)
			fail_msg("error %zu differs:\n  %s: %s\n  %s: %s", i, a->d.v[i].path,
				 a->d.v[i].message, b->d.v[i].path, b->d.v[i].message);
	}
	assert_int_equal(a->c == NULL, b->c == NULL);
	if (!a->c)
		return;
	const struct ks_compiled *x = a->c, *y = b->c;

	assert_int_equal(x->version, y->version);
	assert_int_equal(x->default_action, y->default_action);
	assert_int_equal(x->n_listeners, y->n_listeners);
	assert_memory_equal(x->listeners, y->listeners, x->n_listeners * sizeof(*x->listeners));
	assert_int_equal(x->n_shards, y->n_shards);
	for (__u32 i = 0; i < x->n_shards; i++) {
		assert_string_equal(x->shards[i].name, y->shards[i].name);
		assert_memory_equal(&x->shards[i].shard, &y->shards[i].shard,
				    sizeof(x->shards[i].shard));
		assert_int_equal(x->shards[i].capacity, y->shards[i].capacity);
	}
	assert_int_equal(x->n_routes, y->n_routes);
	assert_memory_equal(x->keys, y->keys, x->n_routes * sizeof(*x->keys));
	assert_memory_equal(x->routes, y->routes, x->n_routes * sizeof(*x->routes));
	for (__u32 i = 0; i < x->n_routes; i++) {
		assert_string_equal(x->route_info[i].text, y->route_info[i].text);
		assert_int_equal(x->route_info[i].rule_index, y->route_info[i].rule_index);
	}
}

static const unsigned split_threads[] = {1, 2, 3, 8};
#define N_SPLIT_THREADS (sizeof(split_threads) / sizeof(split_threads[0]))

/*
 * Compile buf the reference way and split on 1, 2, 3 and 8 threads; all must
 * agree. Returns whether the split was used (the same answer every time).
 */
static bool split_agrees(const char *buf, size_t len)
{
	struct outcome ref, o;
	bool split = false;

	compile_both_ways(buf, len, 0, &ref);
	for (size_t t = 0; t < N_SPLIT_THREADS; t++) {
		compile_both_ways(buf, len, split_threads[t], &o);
		assert_same_outcome(&ref, &o);
		if (t == 0)
			split = o.split;
		assert_int_equal(o.split, split);
		outcome_free(&o);
	}
	outcome_free(&ref);
	return split;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t size = 0;
	FILE *out;
	int ch;

	assert_non_null(f);
	out = open_memstream(&buf, &size);
	while ((ch = fgetc(f)) != EOF)
		fputc(ch, out);
	fclose(out);
	fclose(f);
	*len = size;
	return buf;
}

/* Every corpus file, good and bad, and the example rule sets. */
static void split_matches_reference_on_corpus(void **state)
{
	(void)state;
	const char *corpus = getenv("KS_RULES_CORPUS") ? getenv("KS_RULES_CORPUS") : "tests/rules";
	const char *examples = getenv("KS_RULES_EXAMPLES") ? getenv("KS_RULES_EXAMPLES") : "rules";
	char pat[3][512];
	size_t files = 0, split = 0;

	snprintf(pat[0], sizeof(pat[0]), "%s/good/*.json", corpus);
	snprintf(pat[1], sizeof(pat[1]), "%s/bad/*.json", corpus);
	snprintf(pat[2], sizeof(pat[2]), "%s/*/*.json", examples);
	for (int p = 0; p < 3; p++) {
		glob_t g;

		if (glob(pat[p], 0, NULL, &g) != 0)
			continue;
		for (size_t i = 0; i < g.gl_pathc; i++) {
			size_t len;
			char *buf = read_file(g.gl_pathv[i], &len);

			split += split_agrees(buf, len);
			files++;
			free(buf);
		}
		globfree(&g);
	}
	/* The corpus is there, and most of it takes the split (the rest: syntax errors, odd
	 * shapes). */
	assert_true(files >= 40);
	assert_true(split * 2 >= files);
}

#define GEN_SHARDS 40

enum gen_flags {
	GEN_ERRORS = 1, /* errors of every kind, spread over the routes */
};

static void gen_printf(char **b, size_t *n, size_t *cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void gen_printf(char **b, size_t *n, size_t *cap, const char *fmt, ...)
{
	va_list ap;
	int k;

	for (;;) {
		va_start(ap, fmt);
		k = vsnprintf(*b + *n, *cap - *n, fmt, ap);
		va_end(ap);
		assert_true(k >= 0);
		if (*n + (size_t)k < *cap)
			break;
		*cap *= 2;
		*b = realloc(*b, *cap);
		assert_non_null(*b);
	}
	*n += (size_t)k;
}

/*
 * A rule set of n routes in many shapes (literal and textual keys, escapes,
 * member orders, sticky, shadow, capacity weighting, comments, whitespace).
 * With GEN_ERRORS: unknown shards near and far from real names (more than
 * the did-you-mean budget), duplicate keys across batches, bad values,
 * unknown and missing fields, non-object routes, and errors in the frame.
 */
static char *gen_rules(unsigned n, unsigned flags, size_t *len)
{
	size_t cap = 1 << 16, o = 0;
	char *b = malloc(cap);
	bool err = flags & GEN_ERRORS;

	assert_non_null(b);
	gen_printf(
	    &b, &o, &cap,
	    "{\"schema\": \"keysteer/v1\", \"version\": 77,%s\n"
	    " \"listeners\": [{\"vip\": \"203.0.113.1\", \"port\": 7000, \"proto\": \"udp\"},"
	    " {\"vip\": \"203.0.113.1\", \"port\": %u, \"proto\": \"tcp\"}],\n \"shards\": {",
	    err ? " \"colour\": \"red\"," : "", err ? 70000 : 7001);
	for (unsigned s = 0; s < GEN_SHARDS; s++)
		gen_printf(&b, &o, &cap,
			   "%s\"cell-%03u\": {\"vip\": \"10.1.%u.%u\", \"port\": 8080, \"steer\": "
			   "\"%s\", \"capacity\": %u}",
			   s ? ",\n  " : "", s, s / 200, s % 200 + 1, s % 3 ? "gue" : "ipip",
			   1 + s % 4);
	gen_printf(&b, &o, &cap, "},\n \"routes\": [\n");
	for (unsigned i = 0; i < n; i++) {
		unsigned s0 = i % GEN_SHARDS, s1 = (i * 7 + 3) % GEN_SHARDS;
		unsigned s2 = (i * 13 + 5) % GEN_SHARDS, sh = GEN_SHARDS - 4;
		char bad[32], shadow[32];

		if (s1 == s0)
			s1 = (s0 + 1) % GEN_SHARDS;
		while (s2 == s0 || s2 == s1)
			s2 = (s2 + 1) % GEN_SHARDS;
		while (sh == s0 || sh == s1 || sh == s2)
			sh++;
		snprintf(shadow, sizeof(shadow), "cell-%03u", sh);
		if (i)
			gen_printf(&b, &o, &cap, i % 9 ? "," : " ,\n\t");
		if (err && i % 211 == 5) {
			gen_printf(&b, &o, &cap, i % 2 ? "42" : "\"route %u\"", i);
			continue;
		}
		/* Near names get a did-you-mean (while the budget lasts), far ones none. */
		snprintf(bad, sizeof(bad), i % 8 == 3 ? "zz-%u-zz" : "cel-%03u", s1);
		const char *t1 = err && i % 4 == 3 ? bad : NULL;
		char name1[32];

		snprintf(name1, sizeof(name1), "cell-%03u", s1);
		/* A duplicate of a route before (written the same way: same i % 6). */
		unsigned key = err && i % 50 == 10 ? i - 6 : i;

		switch (i % 6) {
		case 0:
			gen_printf(&b, &o, &cap,
				   "{\"key\": \"svc/%u\", \"to\": [{\"shard\": \"cell-%03u\", "
				   "\"weight\": %d}, {\"shard\": \"%s\", \"weight\": %u}]}",
				   key, s0, err && i % 97 == 1 ? -1 : (int)(1 + i % 9),
				   t1 ? t1 : name1, 1 + i % 5);
			break;
		case 1:
			gen_printf(&b, &o, &cap,
				   "{\"key\": \"0x%llx\", \"to\": [{\"shard\": \"%s\"}], "
				   "\"sticky\": \"entity\"%s}",
				   (unsigned long long)key * 0x9e3779b97f4a7c15ull >> 1,
				   t1 ? t1 : "cell-001",
				   err && i % 131 == 1 ? ", \"stiky\": 1" : "");
			break;
		case 2:
			gen_printf(
			    &b, &o, &cap,
			    "{\"to\": [{\"shard\": \"cell-%03u\"}, {\"shard\": \"cell-%03u\"}], "
			    "\"weights\": \"capacity\", \"key\": \"k\\u00e9y/%u\"}",
			    s0, s1, key);
			break;
		case 3:
			gen_printf(
			    &b, &o, &cap,
			    "{\"key\": \"svc/%u\",\n   \"to\": [{\"shard\": \"cell-%03u\", "
			    "\"weight\": 2}, {\"shard\": \"cell-%03u\"}, {\"shard\": "
			    "\"cell-%03u\", \"weight\": 5}],\n   \"shadow\": {\"shard\": \"%s\", "
			    "\"percent\": %s}}",
			    key, s0, s1, s2, t1 ? t1 : shadow, i % 5 ? "12.5" : "100");
			break;
		case 4:
			if (err && i % 173 == 4)
				gen_printf(&b, &o, &cap,
					   "{\"$comment\": \"no targets\", \"key\": \"svc/%u\"}",
					   key);
			else
				gen_printf(
				    &b, &o, &cap,
				    "{\"$comment\": \"route %u\", \"key\": \"svc/%u\", \"to\": "
				    "[{\"shard\": \"%s\", \"weight\": 1}], \"sticky\": \"none\"}",
				    i, key, t1 ? t1 : "cell-002");
			break;
		default:
			gen_printf(
			    &b, &o, &cap,
			    "{ \"key\" : \"svc/%u\" , \"to\" : [ { \"weight\" : 3 , \"shard\" : "
			    "\"cell-%03u\" } ] , \"sticky\" : \"flow\" }",
			    key, s0);
			break;
		}
	}
	gen_printf(&b, &o, &cap, "\n ],\n \"default\": \"pass\"}\n");
	*len = o;
	return b;
}

/* More routes than one batch, so that threads share the work. */
#define GEN_ROUTES 2600

static void split_matches_reference_generated(void **state)
{
	(void)state;
	size_t len;
	char *doc = gen_rules(GEN_ROUTES, 0, &len);
	struct outcome o;

	compile_both_ways(doc, len, 2, &o);
	if (o.r != KS_RULES_OK)
		ks_diags_print(&o.d, "generated rule set", stderr);
	assert_int_equal(o.r, KS_RULES_OK);
	assert_int_equal(o.n_spans, GEN_ROUTES);
	assert_int_equal(o.c->n_routes, GEN_ROUTES);
	outcome_free(&o);
	assert_true(split_agrees(doc, len));
	free(doc);

	/* Small ones too: no route, one route. */
	for (unsigned n = 0; n < 3; n++) {
		doc = gen_rules(n, 0, &len);
		assert_true(split_agrees(doc, len));
		free(doc);
	}
}

static size_t count_errors_with(const struct ks_diags *d, const char *needle)
{
	size_t n = 0;

	for (size_t i = 0; i < d->n; i++)
		n += strstr(d->v[i].message, needle) != NULL;
	return n;
}

static void split_matches_reference_with_errors(void **state)
{
	(void)state;
	size_t len;
	char *doc = gen_rules(GEN_ROUTES, GEN_ERRORS, &len);
	struct outcome o;

	assert_true(split_agrees(doc, len));
	/* The errors are all there: the comparison above is not of two empty lists. */
	compile_both_ways(doc, len, 2, &o);
	assert_int_equal(o.r, KS_RULES_INVALID);
	assert_null(o.c);
	assert_true(o.split);
	/*
	 * Unknown shards alternate between near names and far ones; the first
	 * 256 spend the did-you-mean budget, so 128 near ones get a suggestion
	 * and the near ones after them do not.
	 */
	assert_int_equal(count_errors_with(&o.d, "did you mean \"cell-"), 128);
	assert_true(count_errors_with(&o.d, "unknown shard \"cel-") > 150);
	assert_true(count_errors_with(&o.d, "unknown shard") > 300);
	assert_true(count_errors_with(&o.d, "duplicate key") > 20);
	assert_true(count_errors_with(&o.d, "must not be negative") > 0);
	assert_true(count_errors_with(&o.d, "expected an object") > 5);
	assert_true(count_errors_with(&o.d, "missing required field") > 0);
	assert_true(count_errors_with(&o.d, "unknown field \"stiky\"") > 0);
	assert_true(count_errors_with(&o.d, "unknown field \"colour\"") == 1);
	assert_true(count_errors_with(&o.d, "must be between 1 and 65535") == 1);
	outcome_free(&o);
	free(doc);
}

/* Replace the first occurrence of from after offset at with to (a fresh buffer). */
static char *edit(const char *doc, size_t at, const char *from, const char *to, size_t *len)
{
	const char *p = strstr(doc + at, from);
	size_t n = strlen(doc), fl = strlen(from), tl = strlen(to);
	char *out;

	if (!p)
		fail_msg("no %s in the generated rule set", from);
	out = malloc(n - fl + tl + 1);
	assert_non_null(out);
	memcpy(out, doc, (size_t)(p - doc));
	memcpy(out + (p - doc), to, tl);
	memcpy(out + (p - doc) + tl, p + fl, n - (size_t)(p - doc) - fl + 1);
	*len = n - fl + tl;
	return out;
}

/*
 * What the split does not take goes the reference way (syntax errors anywhere
 * with their line and column, integers jansson cannot hold in a route, odd
 * shapes); what it takes still compiles the same.
 */
static void split_falls_back_when_it_must(void **state)
{
	(void)state;
	size_t len, half = 0;
	char *doc = gen_rules(1200, 0, &len);
	char deep[400] = "[";
	static const struct {
		const char *from, *to;
		bool split;
	} cases[] = {
	    {"\"to\": [{\"shard\": \"cell-", "\"to\" [{\"shard\": \"cell-", false},
	    {"\"weight\" : 3 ", "\"weight\" : 99999999999999999999 ", false},
	    {"\"version\": 77", "\"version\": 18446744073709551615", true},
	    {"\"version\": 77", "\"version\": 18446744073709551616", true},
	    {"\"key\" : \"svc/", "\"key\": 1, \"key\" : \"svc/", false},
	    {"\n ],\n \"default\"", ",\n ],\n \"default\"", false},
	    {"}]},{\"", "}]} x,{\"", false},
	    {"\"schema\"", "\"$comment\": \"\\\"routes\\\": [1, 2]\", \"schema\"", true},
	    {"\"routes\"", "\"rout\\u0065s\"", false},
	    {"\"routes\": [", "\"routes\": {\"a\": [", false},
	    {"\"key\": \"svc/", "\"key\": \"sv\\u0000c/", false},
	    {"\"key\": \"svc/", "\"key\": \"svc\\\"/", true},
	    {"\"sticky\": \"entity\"", "\"sticky\": \"entity\", \"shadow\": [\"}]\"]", true},
	    {"\"routes\": [", "\"routes\": [\"[\", ", true},
	    {"\"default\": \"pass\"}", "\"default\": \"pass\"} {}", false},
	    {"\"default\": \"pass\"}", "\"default\": \"pass\", \"routes\": []}", false},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n;
		/* Past the frame, so that route edits hit a route in the middle. */
		size_t at = strstr(cases[i].from, "version") || strstr(cases[i].from, "schema") ||
				    strstr(cases[i].from, "routes") ||
				    strstr(cases[i].from, "default")
				? 0
				: len / 2;
		char *d = edit(doc, at, cases[i].from, cases[i].to, &n);

		if (split_agrees(d, n) != cases[i].split)
			fail_msg("case %zu (%s): split %s", i, cases[i].to,
				 cases[i].split ? "not used" : "used");
		free(d);
	}
	/* Nesting deeper than the scanner follows, inside a route. */
	for (int k = 1; k < 70; k++)
		strcat(deep, "[");
	for (int k = 0; k < 70; k++)
		strcat(deep, "]");
	char to[512];

	snprintf(to, sizeof(to), "\"sticky\": %s", deep);
	char *d = edit(doc, len / 2, "\"sticky\": \"entity\"", to, &half);
	assert_false(split_agrees(d, half));
	free(d);
	/* Cut short anywhere: a syntax error, reported the same. */
	for (size_t cut = 1; cut < len; cut += len / 7)
		assert_false(split_agrees(doc, cut));
	free(doc);
}

static void assert_same_layout(const char *buf, size_t len, unsigned threads)
{
	struct ks_rules_layout one, parts;
	int r1 = ks_rules_scan(buf, len, &one);
	int rp = ks_rules_scan_threads(buf, len, threads, &parts);

	assert_int_equal(r1, rp);
	if (r1 < 0)
		return;
	assert_int_equal(one.len, parts.len);
	assert_int_equal(one.routes_open, parts.routes_open);
	assert_int_equal(one.routes_close, parts.routes_close);
	assert_int_equal(one.has_version, parts.has_version);
	assert_int_equal(one.version.start, parts.version.start);
	assert_int_equal(one.version.end, parts.version.end);
	assert_int_equal(one.n_routes, parts.n_routes);
	assert_memory_equal(one.routes, parts.routes, one.n_routes * sizeof(*one.routes));
	ks_rules_layout_free(&one);
	ks_rules_layout_free(&parts);
}

/*
 * Documents of several MB, scanned in parts by several threads: the same
 * layout as one scanner, also when strings hold what looks like route
 * boundaries (wrong guesses, rescanned), and when the text is cut short.
 */
static void scan_in_parts_matches_one_scanner(void **state)
{
	(void)state;
	size_t len, tlen;
	char *doc = gen_rules(24000, 0, &len);
	/* Strings that look like element boundaries, brackets and escaped quotes. */
	char *tricky = edit(doc, 0, "\"$comment\": \"route ",
			    "\"$comment\": \"}, {\\\"k\\\": [1]}, {\\\"v\\\": 2}, {}, {}, {}, {}, "
			    "{}, {}, {}, {}, {}, {}, {}, {}]} route ",
			    &tlen);
	struct ks_rules_layout lay;

	assert_true(len > (2u << 20));
	assert_int_equal(ks_rules_scan_threads(doc, len, 2, &lay), 0);
	assert_int_equal(lay.n_routes, 24000);
	ks_rules_layout_free(&lay);
	for (unsigned t = 2; t <= 8; t *= 2) {
		assert_same_layout(doc, len, t);
		assert_same_layout(tricky, tlen, t);
		assert_same_layout(doc, len - 40, t);
		assert_same_layout(doc, len / 2, t);
	}
	/* Every comment of the tricky one looks like a run of elements: parts start wrong. */
	char *all = strdup(tricky);
	size_t alen = tlen;

	for (int k = 0; k < 400; k++) {
		char *next =
		    edit(all, 0, "\"$comment\": \"route ",
			 "\"$comment\": \"}, {\\\"k\\\": [1]}, {}, {}, {}, {}, {}, {}, {}, "
			 "{}, {}, {}, {}, {}, {}]} route ",
			 &alen);
		free(all);
		all = next;
		if (!strstr(all, "\"$comment\": \"route "))
			break;
	}
	for (unsigned t = 2; t <= 8; t *= 2)
		assert_same_layout(all, alen, t);
	assert_true(split_agrees(tricky, tlen));
	free(all);
	free(tricky);
	free(doc);
}

/* Random edits of a rule set, each compiled both ways: the same outcome every time. */
static void split_matches_reference_on_mutations(void **state)
{
	(void)state;
	static const char alphabet[] = "{}[]\":,\\ 0a-.e9";
	unsigned seed = 12345;
	size_t len, split = 0, rejected = 0;
	char *doc = gen_rules(1100, GEN_ERRORS, &len);
	char *m = malloc(len + 64);
	const int rounds = 150;

	assert_non_null(m);
	for (int r = 0; r < rounds; r++) {
		size_t n = len, pos;
		int edits = 1 + (int)(rand_r(&seed) % 3);

		memcpy(m, doc, len);
		for (int e = 0; e < edits; e++) {
			pos = (size_t)rand_r(&seed) % n;
			switch (rand_r(&seed) % 3) {
			case 0: /* delete a byte */
				memmove(m + pos, m + pos + 1, n - pos - 1);
				n--;
				break;
			case 1: /* insert one */
				memmove(m + pos + 1, m + pos, n - pos);
				m[pos] = alphabet[(size_t)rand_r(&seed) % (sizeof(alphabet) - 1)];
				n++;
				break;
			default: /* replace one */
				m[pos] = alphabet[(size_t)rand_r(&seed) % (sizeof(alphabet) - 1)];
				break;
			}
		}
		struct outcome ref, o;

		compile_both_ways(m, n, 0, &ref);
		compile_both_ways(m, n, 2, &o);
		assert_same_outcome(&ref, &o);
		split += o.split;
		rejected += ref.r != KS_RULES_OK;
		outcome_free(&ref);
		outcome_free(&o);
	}
	/* Both kinds were exercised: mutations the split took, and ones it left. */
	assert_true(split > 10);
	assert_true(split < (size_t)rounds);
	assert_true(rejected > 10);
	free(m);
	free(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(design_example_compiles),
	    cmocka_unit_test(design_example_verbatim_is_rejected),
	    cmocka_unit_test(errors_come_in_input_order),
	    cmocka_unit_test(syntax_errors_give_line_and_column),
	    cmocka_unit_test(keys_literal_or_hashed),
	    cmocka_unit_test(version_covers_u64),
	    cmocka_unit_test(limits),
	    cmocka_unit_test(shadow_thresholds),
	    cmocka_unit_test(weights_and_capacity),
	    cmocka_unit_test(find_every_key_and_no_other),
	    cmocka_unit_test(same_table_whatever_the_member_order),
	    cmocka_unit_test(parse_then_compile),
	    cmocka_unit_test(unreadable_file),
	    cmocka_unit_test(names_of_enum_values),
	    cmocka_unit_test(concurrent_compiles),
	    cmocka_unit_test(split_matches_reference_on_corpus),
	    cmocka_unit_test(split_matches_reference_generated),
	    cmocka_unit_test(split_matches_reference_with_errors),
	    cmocka_unit_test(split_falls_back_when_it_must),
	    cmocka_unit_test(split_matches_reference_on_mutations),
	    cmocka_unit_test(scan_in_parts_matches_one_scanner),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
