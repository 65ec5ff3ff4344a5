/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The client library (ctl/client/ks_client.c) against the test vectors of
 * docs/wire-format.md (typed in here from the document, not computed), and
 * a real datagram over loopback: header and payload leave as one datagram
 * and the shard-side parser gives back what was sent.
 */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "client/ks_client.h"

static void test_keys(void **state)
{
	static const struct {
		const char *text;
		uint64_t key;
		int literal;
	} v[] = {
	    {"", 0xcbf29ce484222325ULL, 0},
	    {"a", 0xaf63dc4c8601ec8cULL, 0},
	    {"foobar", 0x85944171f73967e8ULL, 0},
	    {"ContinueWatchingRanking/ab12345/cell1", 0x5813802a60ac793cULL, 0},
	    {"continuewatchingranking/ab12345/cell1", 0x02819a18a38a1d1cULL, 0},
	    {"Empfehlungen/Gr\xc3\xb6\xc3\x9f"
	     "e",
	     0x365b1bdd2f590421ULL, 0},
	    {"ContinueWatchingRanking/demo/home", 0x323b4c6d4e5288adULL, 0},
	    {"ContinueWatchingRanking/demo/kids", 0x6282fc6299bd34bfULL, 0},
	    {"FraudScore/demo/checkout", 0x90d7585040eec842ULL, 0},
	    {"0x9f3a00c2d41e7b05", 0x9f3a00c2d41e7b05ULL, 1},
	    {"0xA1", 0xa1ULL, 1},
	};
	uint64_t k;

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(ks_client_key(v[i].text, &k), v[i].literal);
		assert_true(k == v[i].key);
	}
	/* Not literals: no digits, a non-hex digit, 17 digits. They are hashed. */
	assert_int_equal(ks_client_key("0x", &k), 0);
	assert_int_equal(ks_client_key("0x12g4", &k), 0);
	assert_int_equal(ks_client_key("0x123456789abcdef01", &k), 0);
	assert_int_equal(ks_client_key(NULL, &k), -EINVAL);
}

static void test_header_vectors(void **state)
{
	static const uint8_t v1[16] = {0x4b, 0x53, 0x01, 0x01, 0x58, 0x13, 0x80, 0x2a,
				       0x60, 0xac, 0x79, 0x3c, 0x00, 0x00, 0x30, 0x39};
	static const uint8_t v2[16] = {0x4b, 0x53, 0x01, 0x00, 0x9f, 0x3a, 0x00, 0xc2,
				       0xd4, 0x1e, 0x7b, 0x05, 0x00, 0x00, 0x00, 0x00};
	static const uint8_t v3[16] = {0x4b, 0x53, 0x01, 0x03, 0x58, 0x13, 0x83, 0x2a,
				       0x60, 0xac, 0x7e, 0x55, 0xde, 0xad, 0xbe, 0xef};
	static const uint8_t o1[16] = {0xfd, 0x10, 0x4b, 0x53, 0x58, 0x13, 0x80, 0x2a,
				       0x60, 0xac, 0x79, 0x3c, 0x00, 0x00, 0x30, 0x39};
	static const uint8_t o2[16] = {0xfd, 0x10, 0x4b, 0x53, 0x9f, 0x3a, 0x00, 0xc2,
				       0xd4, 0x1e, 0x7b, 0x05, 0x00, 0x00, 0x00, 0x07};
	uint8_t out[16];

	(void)state;
	assert_int_equal(ks_client_header(out, 0x5813802a60ac793cULL, 12345, KS_CLIENT_ENTITY), 0);
	assert_memory_equal(out, v1, 16);
	assert_int_equal(ks_client_header(out, 0x9f3a00c2d41e7b05ULL, 0, 0), 0);
	assert_memory_equal(out, v2, 16);
	assert_int_equal(ks_client_header(out, 0x5813832a60ac7e55ULL, 3735928559U,
					  KS_CLIENT_ENTITY | KS_CLIENT_SYNTHETIC),
			 0);
	assert_memory_equal(out, v3, 16);
	ks_client_tcpopt(out, 0x5813802a60ac793cULL, 12345);
	assert_memory_equal(out, o1, 16);
	ks_client_tcpopt(out, 0x9f3a00c2d41e7b05ULL, 7);
	assert_memory_equal(out, o2, 16);
	/* A client may not send SHADOW or reserved bits. */
	assert_int_equal(ks_client_header(out, 1, 0, KS_CLIENT_SHADOW), -EINVAL);
	assert_int_equal(ks_client_header(out, 1, 0, 0x80), -EINVAL);
}

static void test_parse(void **state)
{
	uint8_t d[20] = {0x4b, 0x53, 0x01, 0x05, 0x58, 0x13, 0x80, 0x2a, 0x60, 0xac,
			 0x79, 0x3c, 0x00, 0x00, 0x30, 0x39, 'a',  'b',	 'c',  'd'};
	struct ks_client_hdr h;
	const void *p;
	size_t plen;

	(void)state;
	/* A shadow copy as the router sends it: decoded, SHADOW reported. */
	assert_int_equal(ks_client_parse(d, sizeof(d), &h, &p, &plen), 0);
	assert_true(h.key == 0x5813802a60ac793cULL);
	assert_int_equal(h.entity, 12345);
	assert_int_equal(h.flags, 0x05);
	assert_ptr_equal(p, d + 16);
	assert_int_equal(plen, 4);
	assert_int_equal(ks_client_parse(d, 15, &h, &p, &plen), -EBADMSG);
	d[2] = 2;
	assert_int_equal(ks_client_parse(d, sizeof(d), &h, &p, &plen), -EBADMSG);
	d[2] = 1;
	d[0] = 0x4c;
	assert_int_equal(ks_client_parse(d, sizeof(d), &h, &p, &plen), -EBADMSG);
}

static void test_sendto_loopback(void **state)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	int rx = socket(AF_INET, SOCK_DGRAM, 0), tx = socket(AF_INET, SOCK_DGRAM, 0);
	uint8_t buf[256];
	struct ks_client_hdr h;
	const void *p;
	size_t plen;
	ssize_t n;

	(void)state;
	assert_true(rx >= 0 && tx >= 0);
	assert_int_equal(bind(rx, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(rx, (struct sockaddr *)&a, &alen), 0);
	assert_int_equal(ks_client_sendto(tx, 0x6282fc6299bd34bfULL, 77, KS_CLIENT_ENTITY, "hello",
					  5, (struct sockaddr *)&a, sizeof(a)),
			 5);
	n = recv(rx, buf, sizeof(buf), 0);
	assert_int_equal(n, 21);
	assert_int_equal(ks_client_parse(buf, (size_t)n, &h, &p, &plen), 0);
	assert_true(h.key == 0x6282fc6299bd34bfULL);
	assert_int_equal(h.entity, 77);
	assert_int_equal(h.flags, KS_CLIENT_ENTITY);
	assert_int_equal(plen, 5);
	assert_memory_equal(p, "hello", 5);
	/* Header only, on a connected socket. */
	assert_int_equal(connect(tx, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(ks_client_sendto(tx, 9, 0, 0, NULL, 0, NULL, 0), 0);
	assert_int_equal(recv(rx, buf, sizeof(buf), 0), 16);
	assert_int_equal(ks_client_sendto(tx, 9, 0, KS_CLIENT_SHADOW, NULL, 0, NULL, 0), -EINVAL);
	close(rx);
	close(tx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_keys),
	    cmocka_unit_test(test_header_vectors),
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_sendto_loopback),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
