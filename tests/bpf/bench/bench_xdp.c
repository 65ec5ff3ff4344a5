/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * make bench-xdp: nanoseconds per packet of the XDP router under
 * BPF_PROG_TEST_RUN with `repeat`, 1M keys loaded, beside the floors measured
 * in the same run (see tests/bpf/bench/xdp_bench.bpf.c for the method).
 * Prints ns/pkt, the delta over the parse floor, the target and the ratio to
 * it, then the verifier's processed-instruction counts and JITed sizes.
 *
 * Every case is checked before it is timed: the return code and the counter
 * the router bumps must be the ones of the intended path, on every repeat.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <keysteer/hash.h>
#include <keysteer/table.h>

#include "../pkt.h"
#include "backend/listener_table.h"
#include "ks_router.skel.h"
#include "xdp_bench.skel.h"

#define NKEYS	 (1u << 20)
#define KEY_MULT 0x9e3779b97f4a7c15ULL
#define ROUNDS	 11

static unsigned repeat = 500000;

static void die(const char *what, int err)
{
	fprintf(stderr, "bench-xdp: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

static uint64_t key_of(uint32_t i)
{
	return (uint64_t)i * KEY_MULT;
}

struct bcase {
	const char *name;
	int prog; /* which wrapper */
	uint8_t pkt[PKT_MAX];
	size_t len;
	int vary_sport, vary_key;
	int want_ret;
	uint32_t want_reason; /* counter bumped once per repeat; KS_R_MAX: none */
	double target_over;   /* target over the parse floor, 0: none */
	double ns[ROUNDS];
	double median, min;
};

static struct xdp_bench_bpf *sk;
static int ncpus;

static uint64_t reason_count(uint32_t r)
{
	struct ks_counter v[256];
	uint64_t t = 0;

	if (ncpus > 256 || bpf_map_lookup_elem(bpf_map__fd(sk->maps.ks_reason_stats), &r, v))
		die("reading ks_reason_stats", errno);
	for (int c = 0; c < ncpus; c++)
		t += v[c].packets;
	return t;
}

static double run_case(struct bcase *c, unsigned rep, int check)
{
	uint8_t out[PKT_MAX + 256];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = c->pkt, .data_size_in = (__u32)c->len,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = rep);
	uint64_t before = 0;

	memcpy(sk->bss->tmpl, c->pkt, sizeof(sk->bss->tmpl));
	sk->bss->tmpl_len = (__u32)c->len;
	sk->bss->vary_sport = (__u32)c->vary_sport;
	sk->bss->vary_key = (__u32)c->vary_key;
	if (check && c->want_reason < KS_R_MAX)
		before = reason_count(c->want_reason);
	if (bpf_prog_test_run_opts(c->prog, &o))
		die(c->name, errno);
	if (check) {
		if ((int)o.retval != c->want_ret) {
			fprintf(stderr, "bench-xdp: %s returned %u, expected %d\n", c->name,
				o.retval, c->want_ret);
			exit(1);
		}
		if (c->want_reason < KS_R_MAX && reason_count(c->want_reason) - before != rep) {
			fprintf(stderr, "bench-xdp: %s: reason %u counted %llu of %u repeats\n",
				c->name, c->want_reason,
				(unsigned long long)(reason_count(c->want_reason) - before), rep);
			exit(1);
		}
	}
	return (double)o.duration;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void prog_info(int fd, __u32 *verified, __u32 *jited, __u32 *xlated)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		die("bpf_prog_info", errno);
	*verified = info.verified_insns;
	*jited = info.jited_prog_len;
	*xlated = info.xlated_prog_len / 8;
}

static void unpin_all(struct bpf_object *obj)
{
	struct bpf_map *m;

	bpf_object__for_each_map(m, obj)
	{
		if (bpf_map__set_pin_path(m, NULL))
			die("unpinning", EINVAL);
	}
}

/* The deployed program: verifier work and JITed size. */
static void router_program_stats(void)
{
	struct ks_router_bpf *r = ks_router_bpf__open();
	__u32 v, j, x;
	int err;

	if (!r)
		die("opening ks_router", errno);
	unpin_all(r->obj);
	err = ks_router_bpf__load(r);
	if (err)
		die("loading ks_router", err);
	prog_info(bpf_program__fd(r->progs.ks_router_xdp), &v, &j, &x);
	printf("ks_router_xdp (bpf/ks_router.bpf.o): verifier processed %u insns, %u BPF insns, "
	       "JITed %u bytes\n",
	       v, x, j);
	ks_router_bpf__destroy(r);
}

/* The inlined-slot lower bound's one route: the bench key's, copied from ks_routes0. */
static void set_lower_bound_slot(void)
{
	struct {
		uint64_t key;
		struct ks_route route;
		uint32_t pad;
	} slot;
	uint64_t key = key_of(12345);
	uint32_t home = (uint32_t)(ks_mix64(key) >> (64 - 16));

	_Static_assert(sizeof(slot) == 56, "lb_route_slot layout");
	memset(&slot, 0, sizeof(slot));
	slot.key = key;
	if (bpf_map_lookup_elem(bpf_map__fd(sk->maps.ks_routes0), &key, &slot.route) ||
	    bpf_map_update_elem(bpf_map__fd(sk->maps.lb_routes), &home, &slot, 0))
		die("lb_routes", errno);
}

static void set_tables(void)
{
	int fd_routes = bpf_map__fd(sk->maps.ks_routes0);
	__u64 *keys = calloc(65536, sizeof(*keys));
	struct ks_route *vals = calloc(65536, sizeof(*vals));
	struct ks_config cfg;
	struct ks_active act = {.gen = 0};
	struct ks_listener_key lk[2];
	struct ks_listener_bucket *img = calloc(KS_LISTENER_BUCKETS, sizeof(*img));
	uint32_t zero = 0, lidx[KS_LISTENER_BUCKETS], lcount = KS_LISTENER_BUCKETS;
	int lerr;
	const char *vips[4] = {"10.1.0.10", "10.1.0.20", "10.2.0.10", "10.2.0.20"};

	if (!keys || !vals || !img)
		die("calloc", ENOMEM);
	if (bpf_map_update_elem(bpf_map__fd(sk->maps.ks_active), &zero, &act, 0))
		die("ks_active", errno);
	/* The listeners placed as the controller places them: buckets and seed. */
	memset(lk, 0, sizeof(lk));
	for (int proto = 0; proto < 2; proto++) {
		pkt_addr(4, "203.0.113.10", (uint8_t *)lk[proto].addr.w);
		lk[proto].port = htons(proto ? 7443 : 7000);
		lk[proto].proto = proto ? 6 : 17;
		lk[proto].family = KS_AF_INET;
	}
	memset(&cfg, 0, sizeof(cfg));
	lerr = ks_listener_table_build(lk, 2, img, &cfg.listener_seed);
	if (lerr)
		die("placing listeners", lerr);
	for (uint32_t i = 0; i < KS_LISTENER_BUCKETS; i++)
		lidx[i] = ks_listener_index(0, i);
	if (bpf_map_update_batch(bpf_map__fd(sk->maps.ks_listeners), lidx, img, &lcount, NULL))
		die("ks_listeners", errno);
	free(img);
	cfg.version = 1;
	cfg.default_action = KS_DEFAULT_DROP;
	cfg.gue_port = htons(KS_DEFAULT_GUE_PORT);
	if (bpf_map_update_elem(bpf_map__fd(sk->maps.ks_config), &zero, &cfg, 0))
		die("ks_config", errno);
	for (uint32_t id = 0; id < 4; id++) {
		struct ks_shard sh;
		uint8_t smac[6] = {2, 0x70, 7, 0xe4, 0, 2}, dmac[6] = {2, 0x5a, 0xad, 0, 0, 7};

		memset(&sh, 0, sizeof(sh));
		pkt_addr(4, vips[id], (uint8_t *)sh.vip.w);
		pkt_addr(4, "10.0.0.1", (uint8_t *)sh.src.w);
		sh.port = htons(8080);
		sh.family = KS_AF_INET;
		sh.steer = id < 2 ? KS_STEER_GUE : KS_STEER_NAT;
		sh.ifindex = 1; /* the test-run ingress: XDP_TX */
		memcpy(sh.smac, smac, 6);
		memcpy(sh.dmac, dmac, 6);
		sh.mtu = 1500;
		sh.nh_valid = 1;
		if (bpf_map_update_elem(bpf_map__fd(sk->maps.ks_shards), &id, &sh, 0))
			die("ks_shards", errno);
	}
	/* 1M routes, two targets 50/50 each; key 1 goes to the NAT shards. */
	for (uint32_t base = 0; base < NKEYS; base += 65536) {
		__u32 count = 65536;
		LIBBPF_OPTS(bpf_map_batch_opts, bo);

		for (uint32_t i = 0; i < 65536; i++) {
			uint32_t k = base + i;
			struct ks_route *r = &vals[i];

			memset(r, 0, sizeof(*r));
			keys[i] = key_of(k);
			r->stats_slot = k % 262144;
			r->n_targets = 2;
			r->sticky = KS_STICKY_FLOW;
			r->shadow_shard = KS_NO_SHARD;
			r->t[0].shard = k == 1 ? 2 : 0;
			r->t[0].last = 32767;
			r->t[1].shard = k == 1 ? 3 : 1;
			r->t[1].last = 0xffff;
		}
		if (bpf_map_update_batch(fd_routes, keys, vals, &count, &bo) || count != 65536)
			die("ks_routes0 batch", errno);
	}
	free(keys);
	free(vals);
	set_lower_bound_slot();
	sk->bss->key_count = NKEYS;
	sk->bss->key_offset = 14 + 20 + 8 + 4;
}

static size_t udp_packet(uint8_t *buf, uint16_t dport, uint64_t key)
{
	struct pkt_spec s;
	uint8_t payload[64];

	pkt_init(&s, 4, 17, "198.51.100.7", "203.0.113.10", 40000, dport);
	memset(payload, 0x5a, sizeof(payload));
	pkt_ks_header(payload, key, 0, 0);
	s.payload = payload;
	s.payload_len = sizeof(payload);
	return pkt_build(&s, buf, PKT_MAX, NULL); /* 106 bytes */
}

static size_t tcp_packet(uint8_t *buf, int syn)
{
	struct pkt_spec s;
	uint8_t payload[52];

	pkt_init(&s, 4, 6, "198.51.100.7", "203.0.113.10", 40000, 7443);
	if (syn) {
		s.tcp_flags = 0x02;
		s.tcp_opts_len = pkt_syn_options(s.tcp_opts, key_of(777), 0);
	} else {
		s.tcp_flags = 0x10;
		memset(payload, 0x3c, sizeof(payload));
		s.payload = payload;
		s.payload_len = sizeof(payload);
	}
	return pkt_build(&s, buf, PKT_MAX, NULL); /* 90 / 106 bytes */
}

int main(int argc, char **argv)
{
	static struct bcase cases[15];
	struct bcase *floor_tx, *floor_parse, *plain, *syn;
	int n = 0;

	if (argc > 1)
		repeat = (unsigned)strtoul(argv[1], NULL, 0);
	ncpus = libbpf_num_possible_cpus();
	router_program_stats();

	sk = xdp_bench_bpf__open();
	if (!sk)
		die("opening the bench object", errno);
	unpin_all(sk->obj);
	/*
	 * Generation 0 holds the keys, sized as keysteerd sizes a generation by
	 * default (--max-routes 2097152 for both: 1,048,576 each).
	 */
	if (bpf_map__set_max_entries(sk->maps.ks_routes0, NKEYS) ||
	    bpf_map__set_max_entries(sk->maps.ks_routes1, 1024) ||
	    bpf_map__set_max_entries(sk->maps.ks_flows4, 262144))
		die("sizing maps", EINVAL);
	if (xdp_bench_bpf__load(sk))
		die("loading the bench object", errno);
	set_tables();

#define CASE(nm, pg, ret, reason, tgt)                                                             \
	do {                                                                                       \
		cases[n].name = nm;                                                                \
		cases[n].prog = bpf_program__fd(sk->progs.pg);                                     \
		cases[n].want_ret = ret;                                                           \
		cases[n].want_reason = reason;                                                     \
		cases[n].target_over = tgt;                                                        \
	} while (0)

	plain = &cases[n];
	CASE("plain return XDP_TX (no wrapper)", plain_tx, XDP_TX, KS_R_MAX, 0);
	plain->len = udp_packet(plain->pkt, 7000, key_of(12345));
	n++;
	floor_tx = &cases[n];
	CASE("floor: return XDP_TX", bench_tx, XDP_TX, KS_R_MAX, 0);
	floor_tx->len = udp_packet(floor_tx->pkt, 7000, key_of(12345));
	n++;
	floor_parse = &cases[n];
	CASE("floor: parse eth/IPv4/UDP, XDP_TX", bench_parse_floor, XDP_TX, KS_R_MAX, 0);
	floor_parse->len = udp_packet(floor_parse->pkt, 7000, key_of(12345));
	n++;
	CASE("keysteer parse only (ks_parse)", bench_ks_parse, XDP_TX, KS_R_MAX, 0);
	cases[n].len = udp_packet(cases[n].pkt, 7000, key_of(12345));
	n++;
	CASE("breakdown: + listener lookup", bench_listener, XDP_TX, KS_R_MAX, 0);
	cases[n].len = udp_packet(cases[n].pkt, 7000, key_of(12345));
	n++;
	CASE("breakdown: + header, route lookup", bench_route, XDP_TX, KS_R_MAX, 0);
	cases[n].len = udp_packet(cases[n].pkt, 7000, key_of(12345));
	n++;
	CASE("breakdown: push 32 bytes (+ undo)", bench_push32, XDP_TX, KS_R_MAX, 0);
	cases[n].len = udp_packet(cases[n].pkt, 7000, key_of(12345));
	n++;
	CASE("UDP hit, 2 targets, GUE", bench_router, XDP_TX, KS_R_STEERED, 40);
	cases[n].len = udp_packet(cases[n].pkt, 7000, key_of(12345));
	n++;
	CASE("UDP hit, 2 targets, NAT", bench_router, XDP_TX, KS_R_STEERED, 0);
	cases[n].len = udp_packet(cases[n].pkt, 7000, key_of(1));
	n++;
	CASE("UDP hit, GUE, key varies over 1M", bench_router, XDP_TX, KS_R_STEERED, 0);
	cases[n].len = udp_packet(cases[n].pkt, 7000, key_of(12345));
	cases[n].vary_key = 1;
	n++;
	syn = &cases[n];
	CASE("TCP SYN + option (new flow each)", bench_router, XDP_TX, KS_R_STEERED, 0);
	cases[n].len = tcp_packet(cases[n].pkt, 1);
	cases[n].vary_sport = 1;
	n++;
	CASE("TCP pinned-flow hit, GUE", bench_router, XDP_TX, KS_R_STEERED, 60);
	cases[n].len = tcp_packet(cases[n].pkt, 0);
	n++;
	/* Lower bounds: hand-specialised for this one shape (xdp_lower_bound.h). */
	CASE("lower bound: UDP hit, GUE", bench_lb_udp, XDP_TX, KS_R_STEERED, 40);
	cases[n].len = udp_packet(cases[n].pkt, 7000, key_of(12345));
	n++;
	CASE("lower bound: + inlined route slot", bench_lb_udp_slot, XDP_TX, KS_R_STEERED, 40);
	cases[n].len = udp_packet(cases[n].pkt, 7000, key_of(12345));
	n++;
	CASE("lower bound: TCP pinned hit, GUE", bench_lb_pinned, XDP_TX, KS_R_STEERED, 60);
	cases[n].len = tcp_packet(cases[n].pkt, 0);
	n++;
	_Static_assert(sizeof(cases) / sizeof(cases[0]) == 15, "cases");

	/* Pin the connection the pinned cases belong to. */
	{
		static struct bcase pin;

		pin = *syn;
		pin.vary_sport = 0;
		run_case(&pin, 1, 1);
	}
	/* Listener miss and malformed need their own slots: reuse a struct array. */
	static struct bcase extra[2];

	extra[0].name = "listener miss (UDP to another port)";
	extra[0].prog = bpf_program__fd(sk->progs.bench_router);
	extra[0].want_ret = XDP_PASS;
	extra[0].want_reason = KS_R_NOT_LISTENER;
	extra[0].len = udp_packet(extra[0].pkt, 9999, key_of(12345));
	extra[1].name = "malformed to listener (UDP len)";
	extra[1].prog = bpf_program__fd(sk->progs.bench_router);
	extra[1].want_ret = XDP_DROP;
	extra[1].want_reason = KS_R_MALFORMED;
	extra[1].len = udp_packet(extra[1].pkt, 7000, key_of(12345));
	put16(extra[1].pkt + 14 + 20 + 4, 200); /* UDP length beyond the IP payload */

	struct bcase *all[17];
	int nall = 0;

	for (int i = 0; i < n; i++)
		all[nall++] = &cases[i];
	all[nall++] = &extra[0];
	all[nall++] = &extra[1];

	/* Check every path once, then time the rounds interleaved. */
	for (int i = 0; i < nall; i++)
		run_case(all[i], 1000, 1);
	/* BENCH_XDP_ONLY=substring: run just that case (for perf record). */
	if (getenv("BENCH_XDP_ONLY")) {
		for (int i = 0; i < nall; i++)
			if (strstr(all[i]->name, getenv("BENCH_XDP_ONLY")))
				printf("%s: %.1f ns/pkt\n", all[i]->name,
				       run_case(all[i], repeat, 1));
		xdp_bench_bpf__destroy(sk);
		return 0;
	}
	for (int r = 0; r < ROUNDS; r++)
		for (int i = 0; i < nall; i++)
			all[i]->ns[r] = run_case(all[i], repeat, 1);
	for (int i = 0; i < nall; i++) {
		double s[ROUNDS];

		memcpy(s, all[i]->ns, sizeof(s));
		qsort(s, ROUNDS, sizeof(double), cmp_double);
		all[i]->median = s[ROUNDS / 2];
		all[i]->min = s[0];
	}

	/*
	 * Interference from other work on the machine only ever adds time, so
	 * the minimum over the rounds is the estimate; deltas and ratios use it.
	 * The median is printed beside it.
	 */
	printf("\nBPF_PROG_TEST_RUN, repeat %u, %d interleaved rounds; %u keys in ks_routes0; "
	       "every case checked (return code, counter per repeat)\n",
	       repeat, ROUNDS, NKEYS);
	printf("%-38s %7s %7s %11s %7s %6s\n", "case", "min", "median", "over parse", "target",
	       "ratio");
	for (int i = 0; i < nall; i++) {
		struct bcase *c = all[i];
		double over = c->min - floor_parse->min;

		printf("%-38s %7.1f %7.1f ", c->name, c->min, c->median);
		if (c == plain || c == floor_tx || c == floor_parse)
			printf("\n");
		else if (c->target_over > 0)
			printf("%+11.1f %7.0f %6.2f\n", over, c->target_over,
			       over / c->target_over);
		else
			printf("%+11.1f %7s\n", over, "-");
	}
	printf("lower bound: the same work hand-specialised for this one packet shape "
	       "(tests/bpf/bench/xdp_lower_bound.h), not a router; \"inlined route slot\" also "
	       "swaps the route hash for an array slot\n");
	printf("restore cost on its own (wrapper with return XDP_TX - plain return XDP_TX): "
	       "%.1f ns\n",
	       floor_tx->min - plain->min);

	printf("\nverifier / JIT (bench wrappers include the restore code):\n");
	{
		struct bpf_program *p;

		bpf_object__for_each_program(p, sk->obj)
		{
			__u32 v, j, x;

			prog_info(bpf_program__fd(p), &v, &j, &x);
			printf("  %-20s verifier processed %6u insns, %5u BPF insns, JITed %6u "
			       "bytes\n",
			       bpf_program__name(p), v, x, j);
		}
	}
	xdp_bench_bpf__destroy(sk);
	return 0;
}
