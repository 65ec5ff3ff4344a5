/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Wire header codec, TCP option codec, GUE header and FNV-1a 64: the test
 * vectors of docs/wire-format.md. The expected values were computed by a
 * separate program (Python's struct, not these headers). The last test reads
 * the document and checks that it lists exactly these vectors, so the spec
 * and the code cannot drift apart. Run from the repository root (make does),
 * or set KS_SRCDIR.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <keysteer/wire.h>
#include <keysteer/fnv.h>
#include <keysteer/gue.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define CELL1 "ContinueWatchingRanking/ab12345/cell1"
#define CELL2 "ContinueWatchingRanking/ab12345/cell2"

struct fnv_vector {
	const char *text;
	uint64_t hash;
	int show_bytes; /* the document also lists the UTF-8 bytes */
};

static const struct fnv_vector fnv_vectors[] = {
    /* FNV's published vectors. */
    {"", 0xcbf29ce484222325ULL, 0},
    {"a", 0xaf63dc4c8601ec8cULL, 0},
    {"foobar", 0x85944171f73967e8ULL, 0},
    {CELL1, 0x5813802a60ac793cULL, 0},
    {CELL2, 0x5813832a60ac7e55ULL, 0},
    {"ContinueWatchingRanking/ab12345/cell3", 0x5813822a60ac7ca2ULL, 0},
    {"continuewatchingranking/ab12345/cell1", 0x02819a18a38a1d1cULL, 0},
    {"fraud/v7", 0x954987feb8ced979ULL, 0},
    {"Empfehlungen/Gr\xc3\xb6\xc3\x9f"
     "e",
     0x365b1bdd2f590421ULL, 1},
    {"ContinueWatchingRanking/demo/home", 0x323b4c6d4e5288adULL, 0},
    {"ContinueWatchingRanking/demo/kids", 0x6282fc6299bd34bfULL, 0},
    {"FraudScore/demo/checkout", 0x90d7585040eec842ULL, 0},
};

struct udp_vector {
	const char *text; /* the textual key, or NULL for a literal key */
	uint64_t key;
	uint32_t entity;
	uint8_t flags;
	enum ks_decode_result decoded;
	uint8_t bytes[KS_HDR_LEN];
};

static const struct udp_vector udp_vectors[] = {
    {CELL1,
     0x5813802a60ac793cULL,
     12345,
     KS_F_ENTITY,
     KS_DECODE_OK,
     {0x4b, 0x53, 0x01, 0x01, 0x58, 0x13, 0x80, 0x2a, 0x60, 0xac, 0x79, 0x3c, 0x00, 0x00, 0x30,
      0x39}},
    {NULL,
     0x9f3a00c2d41e7b05ULL,
     12345,
     KS_F_ENTITY,
     KS_DECODE_OK,
     {0x4b, 0x53, 0x01, 0x01, 0x9f, 0x3a, 0x00, 0xc2, 0xd4, 0x1e, 0x7b, 0x05, 0x00, 0x00, 0x30,
      0x39}},
    {NULL,
     0x9f3a00c2d41e7b05ULL,
     0,
     0,
     KS_DECODE_OK,
     {0x4b, 0x53, 0x01, 0x00, 0x9f, 0x3a, 0x00, 0xc2, 0xd4, 0x1e, 0x7b, 0x05, 0x00, 0x00, 0x00,
      0x00}},
    {CELL2,
     0x5813832a60ac7e55ULL,
     0xdeadbeef,
     KS_F_ENTITY | KS_F_SYNTHETIC,
     KS_DECODE_OK,
     {0x4b, 0x53, 0x01, 0x03, 0x58, 0x13, 0x83, 0x2a, 0x60, 0xac, 0x7e, 0x55, 0xde, 0xad, 0xbe,
      0xef}},
    /* A shadow copy as the router sends it: a client sending it is dropped. */
    {CELL1,
     0x5813802a60ac793cULL,
     12345,
     KS_F_ENTITY | KS_F_SHADOW,
     KS_DECODE_CLIENT_SHADOW,
     {0x4b, 0x53, 0x01, 0x05, 0x58, 0x13, 0x80, 0x2a, 0x60, 0xac, 0x79, 0x3c, 0x00, 0x00, 0x30,
      0x39}},
};

struct tcp_vector {
	const char *text;
	uint64_t key;
	uint32_t entity;
	uint8_t bytes[KS_TCPOPT_LEN];
};

static const struct tcp_vector tcp_vectors[] = {
    {CELL1,
     0x5813802a60ac793cULL,
     12345,
     {0xfd, 0x10, 0x4b, 0x53, 0x58, 0x13, 0x80, 0x2a, 0x60, 0xac, 0x79, 0x3c, 0x00, 0x00, 0x30,
      0x39}},
    {NULL,
     0x9f3a00c2d41e7b05ULL,
     7,
     {0xfd, 0x10, 0x4b, 0x53, 0x9f, 0x3a, 0x00, 0xc2, 0xd4, 0x1e, 0x7b, 0x05, 0x00, 0x00, 0x00,
      0x07}},
};

struct gue_vector {
	const char *inner;
	uint8_t proto;
	uint8_t bytes[KS_GUE_LEN];
};

static const struct gue_vector gue_vectors[] = {
    {"ipv4", 4, {0x00, 0x04, 0x00, 0x00}},
    {"ipv6", 41, {0x00, 0x29, 0x00, 0x00}},
};

static void fnv_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(fnv_vectors); i++) {
		const struct fnv_vector *v = &fnv_vectors[i];

		assert_int_equal(ks_fnv1a64(v->text, strlen(v->text)), v->hash);
	}
}

static void udp_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(udp_vectors); i++) {
		const struct udp_vector *v = &udp_vectors[i];
		struct ks_hdr h;
		struct ks_header d;

		if (v->text)
			assert_int_equal(ks_fnv1a64(v->text, strlen(v->text)), v->key);
		memset(&h, 0xaa, sizeof(h));
		ks_hdr_encode(&h, v->key, v->entity, v->flags);
		assert_memory_equal(&h, v->bytes, KS_HDR_LEN);

		/* Decode from the wire bytes, not from what we encoded. */
		memcpy(&h, v->bytes, KS_HDR_LEN);
		memset(&d, 0, sizeof(d));
		assert_int_equal(ks_hdr_decode(&h, &d), v->decoded);
		assert_int_equal(d.routing_key, v->key);
		assert_int_equal(d.entity, v->entity);
		assert_int_equal(d.flags, v->flags);
	}
}

static void tcp_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(tcp_vectors); i++) {
		const struct tcp_vector *v = &tcp_vectors[i];
		struct ks_tcpopt o;
		struct ks_header d;

		if (v->text)
			assert_int_equal(ks_fnv1a64(v->text, strlen(v->text)), v->key);
		memset(&o, 0xaa, sizeof(o));
		ks_tcpopt_encode(&o, v->key, v->entity);
		assert_memory_equal(&o, v->bytes, KS_TCPOPT_LEN);

		memcpy(&o, v->bytes, KS_TCPOPT_LEN);
		memset(&d, 0xff, sizeof(d));
		assert_int_equal(ks_tcpopt_decode(&o, &d), KS_DECODE_OK);
		assert_int_equal(d.routing_key, v->key);
		assert_int_equal(d.entity, v->entity);
		assert_int_equal(d.flags, 0);
	}
}

static void gue_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(gue_vectors); i++) {
		const struct gue_vector *v = &gue_vectors[i];
		struct ks_guehdr g = {.vc_hlen = 0, .proto_ctype = v->proto, .flags = 0};

		assert_memory_equal(&g, v->bytes, KS_GUE_LEN);
	}
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
	/* Magic in host order on a little-endian host is still wrong. */
	ks_hdr_encode(&h, 1, 2, 0);
	h.magic = 0x4b53;
	assert_int_equal(ks_hdr_decode(&h, &d), KS_DECODE_BAD_MAGIC);
	ks_hdr_encode(&h, 1, 2, 0);
	h.version = 2;
	assert_int_equal(ks_hdr_decode(&h, &d), KS_DECODE_BAD_VERSION);
	ks_hdr_encode(&h, 1, 2, 0);
	h.version = 0;
	assert_int_equal(ks_hdr_decode(&h, &d), KS_DECODE_BAD_VERSION);
	ks_hdr_encode(&h, 1, 2, KS_F_SHADOW);
	assert_int_equal(ks_hdr_decode(&h, &d), KS_DECODE_CLIENT_SHADOW);
	/* SHADOW wins even beside every other bit. */
	ks_hdr_encode(&h, 1, 2, 0xff);
	assert_int_equal(ks_hdr_decode(&h, &d), KS_DECODE_CLIENT_SHADOW);
	/* Reserved flag bits are ignored on receive, whatever their pattern. */
	for (unsigned int bits = 0; bits <= 0xff; bits++) {
		if (bits & KS_F_SHADOW)
			continue;
		ks_hdr_encode(&h, 1, 2, (uint8_t)bits);
		assert_int_equal(ks_hdr_decode(&h, &d), KS_DECODE_OK);
		assert_int_equal(d.routing_key, 1);
		assert_int_equal(d.entity, 2);
		assert_int_equal(d.flags & KS_F_KNOWN, bits & KS_F_KNOWN);
	}
}

static void tcpopt_rejects(void **state)
{
	(void)state;
	struct ks_tcpopt o;
	struct ks_header d;

	ks_tcpopt_encode(&o, 0x9f3a00c2d41e7b05ULL, 7);
	o.exid = 0;
	assert_int_equal(ks_tcpopt_decode(&o, &d), KS_DECODE_BAD_MAGIC);
	ks_tcpopt_encode(&o, 0x9f3a00c2d41e7b05ULL, 7);
	o.exid = 0x4b53; /* host order on a little-endian host */
	assert_int_equal(ks_tcpopt_decode(&o, &d), KS_DECODE_BAD_MAGIC);
}

/* ---- docs/wire-format.md lists exactly the vectors above ---------------- */

static char *read_doc(void)
{
	const char *dir = getenv("KS_SRCDIR");
	char path[4096];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/docs/wire-format.md", dir ? dir : ".");
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s: run from the repository root or set KS_SRCDIR", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Lines of the document that start with prefix. */
static size_t count_lines(const char *doc, const char *prefix)
{
	size_t n = 0, len = strlen(prefix);

	for (const char *p = doc; p; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (strncmp(p, prefix, len) == 0)
			n++;
	}
	return n;
}

static void hex_line(char *out, size_t size, const uint8_t *b, size_t n)
{
	size_t off = (size_t)snprintf(out, size, "    ");

	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(out + off, size - off, i ? " %02x" : "%02x", b[i]);
	snprintf(out + off, size - off, "\n");
}

static const char *flag_names(uint8_t flags)
{
	static char buf[64];
	static const char *const names[] = {"ENTITY", "SYNTHETIC", "SHADOW"};

	buf[0] = '\0';
	for (unsigned int i = 0; i < ARRAY_SIZE(names); i++)
		if (flags & (1u << i))
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s",
				 buf[0] ? "|" : "", names[i]);
	return buf[0] ? buf : "none";
}

static void assert_in_doc(const char *doc, const char *want)
{
	if (!strstr(doc, want))
		fail_msg("docs/wire-format.md does not contain:\n%s", want);
}

static void doc_lists_every_vector(void **state)
{
	(void)state;
	char *doc = read_doc();
	char want[512], hex[128], text[128];

	for (size_t i = 0; i < ARRAY_SIZE(fnv_vectors); i++) {
		const struct fnv_vector *v = &fnv_vectors[i];

		snprintf(want, sizeof(want), "\nfnv1a64(\"%s\") = 0x%016llx\n", v->text,
			 (unsigned long long)v->hash);
		if (v->show_bytes) {
			hex_line(hex, sizeof(hex), (const uint8_t *)v->text, strlen(v->text));
			snprintf(want + strlen(want), sizeof(want) - strlen(want), "    utf-8: %s",
				 hex + 4);
		}
		assert_in_doc(doc, want);
	}
	for (size_t i = 0; i < ARRAY_SIZE(udp_vectors); i++) {
		const struct udp_vector *v = &udp_vectors[i];

		text[0] = '\0';
		if (v->text)
			snprintf(text, sizeof(text), " (\"%s\")", v->text);
		hex_line(hex, sizeof(hex), v->bytes, KS_HDR_LEN);
		snprintf(want, sizeof(want), "\nudp key=0x%016llx%s entity=%u flags=0x%02x %s\n%s",
			 (unsigned long long)v->key, text, v->entity, v->flags,
			 flag_names(v->flags), hex);
		assert_in_doc(doc, want);
	}
	for (size_t i = 0; i < ARRAY_SIZE(tcp_vectors); i++) {
		const struct tcp_vector *v = &tcp_vectors[i];

		text[0] = '\0';
		if (v->text)
			snprintf(text, sizeof(text), " (\"%s\")", v->text);
		hex_line(hex, sizeof(hex), v->bytes, KS_TCPOPT_LEN);
		snprintf(want, sizeof(want), "\ntcp key=0x%016llx%s entity=%u\n%s",
			 (unsigned long long)v->key, text, v->entity, hex);
		assert_in_doc(doc, want);
	}
	for (size_t i = 0; i < ARRAY_SIZE(gue_vectors); i++) {
		const struct gue_vector *v = &gue_vectors[i];

		hex_line(hex, sizeof(hex), v->bytes, KS_GUE_LEN);
		snprintf(want, sizeof(want), "\ngue inner=%s\n%s", v->inner, hex);
		assert_in_doc(doc, want);
	}
	/* And the document lists no vector this test does not check. */
	assert_int_equal(count_lines(doc, "fnv1a64(\""), ARRAY_SIZE(fnv_vectors));
	assert_int_equal(count_lines(doc, "udp key="), ARRAY_SIZE(udp_vectors));
	assert_int_equal(count_lines(doc, "tcp key="), ARRAY_SIZE(tcp_vectors));
	assert_int_equal(count_lines(doc, "gue inner="), ARRAY_SIZE(gue_vectors));
	free(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(fnv_table),      cmocka_unit_test(udp_table),
	    cmocka_unit_test(tcp_table),      cmocka_unit_test(gue_table),
	    cmocka_unit_test(hdr_roundtrip),  cmocka_unit_test(hdr_rejects),
	    cmocka_unit_test(tcpopt_rejects), cmocka_unit_test(doc_lists_every_vector),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
