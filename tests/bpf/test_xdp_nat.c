/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The XDP router under BPF_PROG_TEST_RUN: the NAT steer. Destination address
 * and port rewritten to the shard's, TTL decremented, every checksum
 * recomputed independently (IPv4 header, UDP/TCP over both families, a zero
 * UDP checksum left zero), payload identical; the reverse entry recorded;
 * replies from the shard translated back to the listener's address and port
 * and sent back the way the client's packet came.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <keysteer/wire.h>

#include "pkt.h"
#include "xdp_checks.h"
#include "xdp_fixture.h"

#define KEY_A 0x9f3a00c2d41e7b05ULL

static const char *const N4 = "10.2.0.10";
static const char *const N6 = "2001:db8::99";

/* Shard 0: NAT to 10.2.0.10:9000; shard 1: NAT to [2001:db8::99]:9001. */
static int setup(void **state)
{
	struct ks_shard s0 = fx_shard(4, N4, 9000, KS_STEER_NAT, 1, NULL);
	struct ks_shard s1 = fx_shard(6, N6, 9001, KS_STEER_NAT, 1, NULL);

	(void)state;
	fx_reset_all(&fx);
	fx_add_listener(&fx, 0, 4, L4, 7000, 17);
	fx_add_listener(&fx, 0, 4, L4, 7443, 6);
	fx_add_listener(&fx, 0, 6, L6, 7000, 17);
	fx_add_listener(&fx, 0, 6, L6, 7443, 6);
	fx_set_shard(&fx, 0, 0, &s0);
	fx_set_shard(&fx, 0, 1, &s1);
	return 0;
}

static void use_shard(uint16_t id)
{
	struct ks_route r = fx_route1(id, 0);

	fx_set_route(&fx, 0, KEY_A, &r);
}

static size_t client_packet(struct pkt_spec *s, uint8_t *buf, struct pkt_layout *lay, int family,
			    uint8_t proto, int zero_csum, int tags)
{
	size_t n;

	pkt_init(s, family, proto, family == 4 ? C4 : C6, family == 4 ? L4 : L6, 40000,
		 proto == 17 ? 7000 : 7443);
	s->n_vlans = tags;
	s->vlan_tci[0] = 5;
	s->vlan_tci[1] = 6;
	if (proto == 17) {
		s->udp_zero_csum = zero_csum;
		return build_udp(s, buf, lay, KEY_A, 0, 0, 40);
	}
	s->tcp_opts_len = pkt_syn_options(s->tcp_opts, KEY_A, 0);
	n = pkt_build(s, buf, PKT_MAX, lay);
	assert_true(n > 0);
	return n;
}

/* The output is the input, untagged, with the destination rewritten. */
static void check_forward(const struct xdp_out *o, const struct pkt_spec *s, const uint8_t *in,
			  const struct pkt_layout *lay)
{
	static const uint8_t smac[6] = {0x02, 0x70, 0x07, 0xe4, 0x00, 0x02};
	static const uint8_t dmac[6] = {0x02, 0x5a, 0xad, 0x00, 0x00, 0x07};
	const uint8_t *ip = o->data + 14;
	size_t iplen = lay->len - lay->l3, l4 = s->family == 4 ? 20 : 40;
	uint8_t shard[16]; /* pkt_addr() writes 16 bytes */
	uint8_t want[PKT_MAX];

	assert_int_equal(o->ret, XDP_TX);
	assert_int_equal(o->len, 14 + iplen);
	assert_memory_equal(o->data, dmac, 6);
	assert_memory_equal(o->data + 6, smac, 6);
	assert_int_equal(get16(o->data + 12), s->family == 4 ? 0x0800 : 0x86dd);
	pkt_addr(s->family, s->family == 4 ? N4 : N6, shard);

	/* Everything but daddr, dport, TTL and checksums is the input's. */
	memcpy(want, in + lay->l3, iplen);
	if (s->family == 4) {
		memcpy(want + 16, shard, 4);
		want[8]--;
		memcpy(want + 10, ip + 10, 2);
		check_ip4_csum(ip);
	} else {
		memcpy(want + 24, shard, 16);
		want[7]--;
	}
	put16(want + l4 + 2, s->family == 4 ? 9000 : 9001);
	memcpy(want + l4 + (s->proto == 17 ? 6 : 16), ip + l4 + (s->proto == 17 ? 6 : 16), 2);
	assert_memory_equal(ip, want, iplen);
	if (s->proto == 17 && s->udp_zero_csum)
		assert_int_equal(get16(ip + l4 + 6), 0);
	else
		check_l4_csum(ip, 0);
}

static void nat_forward_all_kinds(void **state)
{
	(void)state;
	for (int family = 4; family <= 6; family += 2) {
		for (int proto = 0; proto < 2; proto++) {
			for (int zero = 0; zero <= (proto == 0 && family == 4); zero++) {
				for (int tags = 0; tags <= 2; tags += 2) {
					struct pkt_spec s;
					struct pkt_layout lay;
					uint8_t in[PKT_MAX];
					static struct xdp_out o;
					size_t n;

					use_shard(family == 4 ? 0 : 1);
					n = client_packet(&s, in, &lay, family, proto ? 6 : 17,
							  zero, tags);
					fx_reset_stats(&fx);
					fx_run(&fx, in, n, &o);
					check_forward(&o, &s, in, &lay);
					assert_int_equal(fx_reason(&fx, KS_R_STEERED), 1);
				}
			}
		}
	}
}

static void reverse_entry_recorded(void **state)
{
	struct ks_nat_key k;
	struct ks_nat_rev v;
	struct pkt_spec s;
	struct pkt_layout lay;
	uint8_t in[PKT_MAX];
	static struct xdp_out o;
	unsigned bits = 0;
	size_t n;

	(void)state;
	use_shard(0);
	n = client_packet(&s, in, &lay, 4, 17, 0, 0);
	fx_run(&fx, in, n, &o);
	assert_int_equal(o.ret, XDP_TX);
	memset(&k, 0, sizeof(k));
	pkt_addr(4, N4, (uint8_t *)k.shard_addr.w);
	pkt_addr(4, C4, (uint8_t *)k.client_addr.w);
	k.shard_port = htons(9000);
	k.client_port = htons(40000);
	k.proto = 17;
	k.family = KS_AF_INET;
	assert_int_equal(bpf_map_lookup_elem(fx.nat_rev, &k, &v), 0);
	assert_int_equal(ntohl(v.listener_addr.w[0]), 0xcb00710a);
	assert_int_equal(ntohs(v.listener_port), 7000);
	assert_int_equal(v.family, KS_AF_INET);
	assert_int_equal(v.ifindex, 1);
	assert_memory_equal(v.client_mac, s.smac, 6);
	assert_memory_equal(v.router_mac, s.dmac, 6);
	for (uint32_t i = 0; i < 1024; i++) {
		uint64_t w;

		assert_int_equal(bpf_map_lookup_elem(fx.nat_filter, &i, &w), 0);
		bits += (unsigned)__builtin_popcountll(w);
	}
	assert_int_equal(bits, 1);

	/* The client's packets now come from another MAC: the entry follows. */
	s.smac[5] = 0x99;
	n = pkt_build(&s, in, sizeof(in), &lay);
	fx_run(&fx, in, n, &o);
	assert_int_equal(bpf_map_lookup_elem(fx.nat_rev, &k, &v), 0);
	assert_int_equal(v.client_mac[5], 0x99);
}

/* A reply from the shard: source back to the listener's, to the client's MAC. */
static void reply_translated(void **state)
{
	(void)state;
	for (int family = 4; family <= 6; family += 2) {
		for (int proto = 0; proto < 2; proto++) {
			for (int tags = 0; tags <= 1; tags++) {
				struct pkt_spec s, rs;
				struct pkt_layout lay, rlay;
				uint8_t in[PKT_MAX], rin[PKT_MAX], want[PKT_MAX], payload[30];
				static struct xdp_out o;
				const uint8_t *ip;
				size_t n, rn, l4 = family == 4 ? 20 : 40;

				use_shard(family == 4 ? 0 : 1);
				fx_reset_flows(&fx);
				n = client_packet(&s, in, &lay, family, proto ? 6 : 17, 0, 0);
				fx_run(&fx, in, n, &o);
				assert_int_equal(o.ret, XDP_TX);

				/* shard -> client, arriving from the shard side */
				pkt_init(&rs, family, proto ? 6 : 17, family == 4 ? N4 : N6,
					 family == 4 ? C4 : C6, family == 4 ? 9000 : 9001, 40000);
				memset(payload, 0x77, sizeof(payload));
				rs.payload = payload;
				rs.payload_len = sizeof(payload);
				rs.tcp_flags = 0x12;
				rs.ttl = 50;
				rs.n_vlans = tags;
				rn = pkt_build(&rs, rin, sizeof(rin), &rlay);
				fx_reset_stats(&fx);
				fx_run(&fx, rin, rn, &o);
				assert_int_equal(o.ret, XDP_TX);
				assert_int_equal(fx_reason(&fx, KS_R_NAT_REPLY), 1);
				assert_int_equal(fx_reason_total(&fx), 1);
				/* back to where the client's packet came from */
				assert_memory_equal(o.data, s.smac, 6);
				assert_memory_equal(o.data + 6, s.dmac, 6);
				assert_int_equal(o.len, 14 + rn - rlay.l3);
				ip = o.data + 14;
				memcpy(want, rin + rlay.l3, rn - rlay.l3);
				if (family == 4) {
					uint8_t a[16];

					pkt_addr(4, L4, a);
					memcpy(want + 12, a, 4);
					want[8]--;
					memcpy(want + 10, ip + 10, 2);
					check_ip4_csum(ip);
				} else {
					pkt_addr(6, L6, want + 8);
					want[7]--;
				}
				put16(want + l4, proto ? 7443 : 7000);
				memcpy(want + l4 + (proto ? 16 : 6), ip + l4 + (proto ? 16 : 6), 2);
				assert_memory_equal(ip, want, rn - rlay.l3);
				check_l4_csum(ip, 0);
			}
		}
	}
}

/* Not a reply we know: passed untouched. */
static void unknown_reply_untouched(void **state)
{
	struct pkt_spec s, rs;
	struct pkt_layout lay;
	uint8_t in[PKT_MAX], rin[PKT_MAX];
	static struct xdp_out o;
	size_t n, rn;

	(void)state;
	use_shard(0);
	n = client_packet(&s, in, &lay, 4, 17, 0, 0);
	fx_run(&fx, in, n, &o);
	/* another client port, another shard port, another protocol */
	const uint16_t sp[] = {9000, 9001, 9000};
	const uint16_t dp[] = {40001, 40000, 40000};
	const uint8_t pr[] = {17, 17, 6};
	for (int i = 0; i < 3; i++) {
		pkt_init(&rs, 4, pr[i], N4, C4, sp[i], dp[i]);
		rn = pkt_build(&rs, rin, sizeof(rin), NULL);
		fx_reset_stats(&fx);
		fx_run(&fx, rin, rn, &o);
		assert_int_equal(o.ret, XDP_PASS);
		check_unchanged(&o, rin, rn);
		assert_int_equal(fx_reason(&fx, KS_R_NOT_LISTENER), 1);
	}
}

static void nat_ttl(void **state)
{
	struct pkt_spec s, rs;
	struct pkt_layout lay;
	uint8_t in[PKT_MAX], rin[PKT_MAX];
	static struct xdp_out o;
	size_t n, rn;

	(void)state;
	use_shard(0);
	pkt_init(&s, 4, 17, C4, L4, 40000, 7000);
	s.ttl = 1;
	n = build_udp(&s, in, &lay, KEY_A, 0, 0, 0);
	fx_run(&fx, in, n, &o);
	assert_int_equal(o.ret, XDP_PASS);
	check_unchanged(&o, in, n);
	assert_int_equal(fx_reason(&fx, KS_R_TTL), 1);
	/* TTL 2 goes, as 1 */
	s.ttl = 2;
	n = build_udp(&s, in, &lay, KEY_A, 0, 0, 0);
	fx_run(&fx, in, n, &o);
	assert_int_equal(o.ret, XDP_TX);
	assert_int_equal(o.data[14 + 8], 1);
	check_ip4_csum(o.data + 14);
	/* a reply with TTL 1 is left to the kernel */
	pkt_init(&rs, 4, 17, N4, C4, 9000, 40000);
	rs.ttl = 1;
	rn = pkt_build(&rs, rin, sizeof(rin), NULL);
	fx_reset_stats(&fx);
	fx_run(&fx, rin, rn, &o);
	assert_int_equal(o.ret, XDP_PASS);
	check_unchanged(&o, rin, rn);
	assert_int_equal(fx_reason(&fx, KS_R_TTL), 1);
}

/* NAT cannot cross families: counted, passed. */
static void nat_family_mismatch(void **state)
{
	struct pkt_spec s;
	struct pkt_layout lay;
	uint8_t in[PKT_MAX];
	static struct xdp_out o;
	size_t n;

	(void)state;
	use_shard(1); /* IPv6 shard */
	n = client_packet(&s, in, &lay, 4, 17, 0, 0);
	fx_run(&fx, in, n, &o);
	assert_int_equal(o.ret, XDP_PASS);
	check_unchanged(&o, in, n);
	assert_int_equal(fx_reason(&fx, KS_R_NAT_FAMILY), 1);
}

/* A TCP connection NAT'd end to end: SYN, data; every segment rewritten. */
static void nat_tcp_connection(void **state)
{
	struct pkt_spec s;
	struct pkt_layout lay;
	uint8_t in[PKT_MAX], data[100];
	static struct xdp_out o;
	size_t n;

	(void)state;
	use_shard(0);
	n = client_packet(&s, in, &lay, 4, 6, 0, 0);
	fx_run(&fx, in, n, &o);
	check_forward(&o, &s, in, &lay);
	s.tcp_flags = 0x18;
	s.tcp_opts_len = 0;
	memset(data, 0x42, sizeof(data));
	s.payload = data;
	s.payload_len = sizeof(data);
	n = pkt_build(&s, in, sizeof(in), &lay);
	fx_run(&fx, in, n, &o);
	check_forward(&o, &s, in, &lay);
	assert_int_equal(fx_reason(&fx, KS_R_STEERED), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(nat_forward_all_kinds, setup),
	    cmocka_unit_test_setup(reverse_entry_recorded, setup),
	    cmocka_unit_test_setup(reply_translated, setup),
	    cmocka_unit_test_setup(unknown_reply_untouched, setup),
	    cmocka_unit_test_setup(nat_ttl, setup),
	    cmocka_unit_test_setup(nat_family_mismatch, setup),
	    cmocka_unit_test_setup(nat_tcp_connection, setup),
	};

	return cmocka_run_group_tests(tests, fx_group_setup, fx_group_teardown);
}
