/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The lab client's bookkeeping (tests/lab/lab_tally.c): the end-to-end tests
 * assert "no misrouted answer, no entity split", so the counting behind those
 * zeros is checked here on its own, including that it does count.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lab_addr.h"
#include "lab_tally.h"

static void test_allow_and_misrouted(void **state)
{
	struct lab_tally t;
	int k, s1, s2;

	(void)state;
	tally_init(&t, 0);
	k = tally_add_key(&t, "home");
	assert_int_equal(k, 0);
	assert_int_equal(tally_add_key(&t, "home"), 0);
	assert_int_equal(tally_allow(&t, "home=cw-default,cw-canary"), 0);
	assert_int_equal(tally_allow(&t, "no-equals-sign"), -1);
	s1 = tally_answer(&t, k, "cw-default", "s1");
	s2 = tally_answer(&t, k, "cw-canary", "s4");
	assert_int_equal(tally_answer(&t, k, "cw-default", "s1"), s1);
	assert_int_not_equal(s1, s2);
	assert_int_equal(t.misrouted, 0);
	tally_answer(&t, k, "fraud", "s3");
	assert_int_equal(t.misrouted, 1);
	assert_int_equal(t.answered, 4);
	assert_int_equal(t.per_shard[s1], 2);
	/* A key with no --allow is not checked. */
	k = tally_add_key(&t, "other");
	tally_answer(&t, k, "fraud", "s3");
	assert_int_equal(t.misrouted, 1);
	tally_free(&t);
}

static void test_entities(void **state)
{
	struct lab_tally t;

	(void)state;
	tally_init(&t, 4);
	tally_entity(&t, 0, 1);
	tally_entity(&t, 0, 1);
	tally_entity(&t, 1, 2);
	assert_int_equal(t.entities_split, 0);
	tally_entity(&t, 1, 1);
	tally_entity(&t, 1, 3); /* counted once per entity */
	assert_int_equal(t.entities_split, 1);
	tally_entity(&t, 9, 1); /* out of range: ignored */
	assert_int_equal(t.entities_split, 1);
	tally_free(&t);
}

static void test_json(void **state)
{
	struct lab_tally t;
	json_t *o;

	(void)state;
	tally_init(&t, 2);
	tally_add_key(&t, "home");
	tally_answer(&t, 0, "cw-canary", "s4");
	t.sent = 2;
	t.lost = 1;
	o = tally_json(&t, 1.5, false);
	assert_int_equal(json_integer_value(json_object_get(o, "sent")), 2);
	assert_int_equal(json_integer_value(json_object_get(o, "lost")), 1);
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(o, "per_server"), "cw-canary@s4")),
	    1);
	assert_int_equal(
	    json_integer_value(json_object_get(
		json_object_get(json_object_get(o, "per_key"), "home"), "cw-canary@s4")),
	    1);
	json_decref(o);
	tally_free(&t);
}

static void test_addr(void **state)
{
	struct lab_addr a;

	(void)state;
	assert_int_equal(lab_addr_parse("10.99.0.1:7000", &a), 0);
	assert_int_equal(a.family, AF_INET);
	assert_int_equal(lab_addr_parse("[fd99::1]:7443", &a), 0);
	assert_int_equal(a.family, AF_INET6);
	assert_int_equal(lab_addr_parse("fd99::1:7443", &a), -1);
	assert_int_equal(lab_addr_parse("10.99.0.1:70000", &a), -1);
	assert_int_equal(lab_addr_parse("10.99.0.1", &a), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_allow_and_misrouted),
	    cmocka_unit_test(test_entities),
	    cmocka_unit_test(test_json),
	    cmocka_unit_test(test_addr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
