/* SPDX-License-Identifier: BSD-3-Clause */
/* Wire header codec and FNV-1a 64 test vectors (docs/wire-format.md). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <keysteer/wire.h>
#include <keysteer/fnv.h>

static void fnv_vectors(void **state)
{
	(void)state;
	/* Published FNV-1a 64 vectors. */
	assert_int_equal(ks_fnv1a64("", 0), 0xcbf29ce484222325ULL);
	assert_int_equal(ks_fnv1a64("a", 1), 0xaf63dc4c8601ec8cULL);
	assert_int_equal(ks_fnv1a64("foobar", 6), 0x85944171f73967e8ULL);
}

static void hdr_encode_bytes(void **state)
{
	(void)state;
	struct ks_hdr h;
	const uint8_t want[KS_HDR_LEN] = {0x4b, 0x53, 0x01, 0x01, 0x9f, 0x3a, 0x00, 0xc2,
					  0xd4, 0x1e, 0x7b, 0x05, 0x00, 0x00, 0x30, 0x39};

	ks_hdr_encode(&h, 0x9f3a00c2d41e7b05ULL, 12345, KS_F_ENTITY);
	assert_memory_equal(&h, want, sizeof(want));
}

static void hdr_roundtrip(void **state)
{
	(void)state;
	struct ks_hdr h;
	struct ks_header d;

	ks_hdr_encode(&h, 0x0123456789abcdefULL, 0xdeadbeef, KS_F_SYNTHETIC);
	assert_int_equal(ks_hdr_decode(&h, &d), KS_DECODE_OK);
	assert_int_equal(d.routing_key, 0x0123456789abcdefULL);
	assert_int_equal(d.entity, 0xdeadbeef);
	assert_int_equal(d.flags, KS_F_SYNTHETIC);
}

static void hdr_rejects(void **state)
{
	(void)state;
	struct ks_hdr h;
	struct ks_header d;

	ks_hdr_encode(&h, 1, 2, 0);
	h.magic = 0x4b54;
	assert_int_equal(ks_hdr_decode(&h, &d), KS_DECODE_BAD_MAGIC);
	ks_hdr_encode(&h, 1, 2, 0);
	h.version = 2;
	assert_int_equal(ks_hdr_decode(&h, &d), KS_DECODE_BAD_VERSION);
	ks_hdr_encode(&h, 1, 2, KS_F_SHADOW);
	assert_int_equal(ks_hdr_decode(&h, &d), KS_DECODE_CLIENT_SHADOW);
	/* Unknown flag bits are ignored on receive. */
	ks_hdr_encode(&h, 1, 2, 0xf0);
	assert_int_equal(ks_hdr_decode(&h, &d), KS_DECODE_OK);
}

static void tcpopt_roundtrip(void **state)
{
	(void)state;
	struct ks_tcpopt o;
	struct ks_header d;
	const uint8_t want[KS_TCPOPT_LEN] = {253,  16,   0x4b, 0x53, 0x9f, 0x3a, 0x00, 0xc2,
					     0xd4, 0x1e, 0x7b, 0x05, 0x00, 0x00, 0x00, 0x07};

	ks_tcpopt_encode(&o, 0x9f3a00c2d41e7b05ULL, 7);
	assert_memory_equal(&o, want, sizeof(want));
	assert_int_equal(ks_tcpopt_decode(&o, &d), KS_DECODE_OK);
	assert_int_equal(d.routing_key, 0x9f3a00c2d41e7b05ULL);
	assert_int_equal(d.entity, 7);
	o.exid = 0;
	assert_int_equal(ks_tcpopt_decode(&o, &d), KS_DECODE_BAD_MAGIC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fnv_vectors),	   cmocka_unit_test(hdr_encode_bytes),
		cmocka_unit_test(hdr_roundtrip),   cmocka_unit_test(hdr_rejects),
		cmocka_unit_test(tcpopt_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
