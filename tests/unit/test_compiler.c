/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rule compiler through its API: what a valid rule set compiles to
 * (ids, sorting, keys, buckets, shadow thresholds, defaults), that a rejected
 * one yields no table, error order and paths, limits, determinism, and
 * concurrent use. The corpus test (test_rules_corpus.c) covers each rejection
 * message.
 */
#include <arpa/inet.h>
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
