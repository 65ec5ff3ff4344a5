/* SPDX-License-Identifier: BSD-3-Clause */
#include "xdp_fixture.h"

#include <errno.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <bpf/bpf.h>
#include <arpa/inet.h>
#include <bpf/libbpf.h>

#include "backend/listener_table.h"
#include "ks_router.skel.h"

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN)
		return vfprintf(stderr, fmt, ap);
	return 0;
}

void fx_open(struct xdp_fx *f)
{
	struct bpf_map *m;
	int err;

	memset(f, 0, sizeof(*f));
	libbpf_set_print(libbpf_quiet);
	f->skel = ks_router_bpf__open();
	assert_non_null(f->skel);
	/* Private maps: nothing pinned, nothing reused from /sys/fs/bpf. */
	bpf_object__for_each_map(m, f->skel->obj)
	    assert_int_equal(bpf_map__set_pin_path(m, NULL), 0);
	assert_int_equal(bpf_map__set_max_entries(f->skel->maps.ks_routes0, 2048), 0);
	assert_int_equal(bpf_map__set_max_entries(f->skel->maps.ks_routes1, 2048), 0);
	assert_int_equal(bpf_map__set_max_entries(f->skel->maps.ks_key_stats, 1024), 0);
	assert_int_equal(bpf_map__set_max_entries(f->skel->maps.ks_flows4, 4096), 0);
	assert_int_equal(bpf_map__set_max_entries(f->skel->maps.ks_flows6, 4096), 0);
	assert_int_equal(bpf_map__set_max_entries(f->skel->maps.ks_nat_rev, 4096), 0);
	err = ks_router_bpf__load(f->skel);
	if (err)
		fail_msg("loading the router: %s", strerror(-err));
	f->prog = bpf_program__fd(f->skel->progs.ks_router_xdp);
	f->active = bpf_map__fd(f->skel->maps.ks_active);
	f->config = bpf_map__fd(f->skel->maps.ks_config);
	f->listeners = bpf_map__fd(f->skel->maps.ks_listeners);
	f->routes[0] = bpf_map__fd(f->skel->maps.ks_routes0);
	f->routes[1] = bpf_map__fd(f->skel->maps.ks_routes1);
	f->shards = bpf_map__fd(f->skel->maps.ks_shards);
	f->reason_stats = bpf_map__fd(f->skel->maps.ks_reason_stats);
	f->shard_stats = bpf_map__fd(f->skel->maps.ks_shard_stats);
	f->key_stats = bpf_map__fd(f->skel->maps.ks_key_stats);
	f->tx_ports = bpf_map__fd(f->skel->maps.ks_tx_ports);
	f->flows4 = bpf_map__fd(f->skel->maps.ks_flows4);
	f->flows6 = bpf_map__fd(f->skel->maps.ks_flows6);
	f->nat_rev = bpf_map__fd(f->skel->maps.ks_nat_rev);
	f->nat_filter = bpf_map__fd(f->skel->maps.ks_nat_filter);
	f->ncpus = libbpf_num_possible_cpus();
	assert_true(f->ncpus > 0);
}

void fx_close(struct xdp_fx *f)
{
	ks_router_bpf__destroy(f->skel);
	f->skel = NULL;
}

void fx_run_on(struct xdp_fx *f, uint32_t ifindex, const uint8_t *in, size_t len, struct xdp_out *o)
{
	struct xdp_md ctx_in = {.data = 0, .data_end = (__u32)len, .ingress_ifindex = ifindex};
	struct xdp_md ctx_out = {0};
	uint8_t raw[PKT_MAX + 256];
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in, .data_size_in = (__u32)len,
		    .data_out = raw, .data_size_out = sizeof(raw), .ctx_in = &ctx_in,
		    .ctx_size_in = sizeof(ctx_in), .ctx_out = &ctx_out,
		    .ctx_size_out = sizeof(ctx_out), .repeat = 1);
	int err = bpf_prog_test_run_opts(f->prog, &opts);

	if (err)
		fail_msg("BPF_PROG_TEST_RUN(%zu bytes): %s", len, strerror(errno));
	memset(o, 0, sizeof(*o));
	o->ret = (int)opts.retval;
	/* data_out starts at the metadata; ctx_out.data is its length. */
	o->meta_len = ctx_out.data;
	assert_true(o->meta_len <= sizeof(o->meta));
	assert_true(opts.data_size_out >= o->meta_len);
	memcpy(o->meta, raw, o->meta_len);
	o->len = opts.data_size_out - o->meta_len;
	assert_true(o->len <= sizeof(o->data));
	memcpy(o->data, raw + o->meta_len, o->len);
}

void fx_run(struct xdp_fx *f, const uint8_t *in, size_t len, struct xdp_out *o)
{
	fx_run_on(f, 0, in, len, o);
}

void fx_set_active(struct xdp_fx *f, uint32_t gen)
{
	uint32_t zero = 0;
	struct ks_active a = {.gen = gen};

	assert_int_equal(bpf_map_update_elem(f->active, &zero, &a, BPF_ANY), 0);
}

void fx_set_config(struct xdp_fx *f, uint32_t gen, uint64_t version, uint8_t default_action,
		   uint16_t gue_port)
{
	struct ks_config c;

	memset(&c, 0, sizeof(c));
	c.version = version;
	c.default_action = default_action;
	c.gue_port = htons(gue_port);
	c.listener_seed = f->listener_seed[gen]; /* the placement of this generation's listeners */
	assert_int_equal(bpf_map_update_elem(f->config, &gen, &c, BPF_ANY), 0);
}

/* Place generation gen's listener list: all its buckets, then its config's seed. */
static void write_listeners(struct xdp_fx *f, uint32_t gen)
{
	struct ks_listener_bucket *img = calloc(KS_LISTENER_BUCKETS, sizeof(*img));
	uint32_t idx[KS_LISTENER_BUCKETS], count = KS_LISTENER_BUCKETS, seed = 0;
	struct ks_config c;

	assert_non_null(img);
	assert_true(gen < KS_GENERATIONS);
	assert_int_equal(
	    ks_listener_table_build(f->listener_keys[gen], f->n_listeners[gen], img, &seed), 0);
	for (uint32_t i = 0; i < KS_LISTENER_BUCKETS; i++)
		idx[i] = ks_listener_index(gen, i);
	assert_int_equal(bpf_map_update_batch(f->listeners, idx, img, &count, NULL), 0);
	assert_int_equal(count, KS_LISTENER_BUCKETS);
	free(img);
	f->listener_seed[gen] = seed;
	assert_int_equal(bpf_map_lookup_elem(f->config, &gen, &c), 0);
	c.listener_seed = seed;
	assert_int_equal(bpf_map_update_elem(f->config, &gen, &c, BPF_ANY), 0);
}

static long find_listener(const struct xdp_fx *f, uint32_t gen, const struct ks_listener_key *k)
{
	for (uint32_t i = 0; i < f->n_listeners[gen]; i++)
		if (memcmp(&f->listener_keys[gen][i], k, sizeof(*k)) == 0)
			return i;
	return -1;
}

void fx_set_listeners(struct xdp_fx *f, uint32_t gen, const struct ks_listener_key *keys,
		      uint32_t n)
{
	assert_true(gen < KS_GENERATIONS && n <= KS_MAX_LISTENERS);
	for (uint32_t i = 0; i < n; i++) {
		f->listener_keys[gen][i] = keys[i];
		f->listener_keys[gen][i].gen = 0;
	}
	f->n_listeners[gen] = n;
	write_listeners(f, gen);
}

static void listener_key(struct ks_listener_key *k, uint32_t gen, int family, const char *addr,
			 uint16_t port, uint8_t proto)
{
	memset(k, 0, sizeof(*k));
	pkt_addr(family, addr, (uint8_t *)k->addr.w);
	k->port = htons(port);
	k->proto = proto;
	k->family = (uint8_t)family;
	k->gen = 0; /* the list is per generation; gen is not part of a slot */
	assert_true(gen < KS_GENERATIONS);
}

void fx_add_listener(struct xdp_fx *f, uint32_t gen, int family, const char *addr, uint16_t port,
		     uint8_t proto)
{
	struct ks_listener_key k;

	listener_key(&k, gen, family, addr, port, proto);
	if (find_listener(f, gen, &k) >= 0)
		return;
	assert_true(f->n_listeners[gen] < KS_MAX_LISTENERS);
	f->listener_keys[gen][f->n_listeners[gen]++] = k;
	write_listeners(f, gen);
}

void fx_del_listener(struct xdp_fx *f, uint32_t gen, int family, const char *addr, uint16_t port,
		     uint8_t proto)
{
	struct ks_listener_key k;
	long at;

	listener_key(&k, gen, family, addr, port, proto);
	at = find_listener(f, gen, &k);
	assert_true(at >= 0);
	memmove(&f->listener_keys[gen][at], &f->listener_keys[gen][at + 1],
		(f->n_listeners[gen] - (uint32_t)at - 1) * sizeof(k));
	f->n_listeners[gen]--;
	write_listeners(f, gen);
}

void fx_set_route(struct xdp_fx *f, uint32_t gen, uint64_t key, const struct ks_route *r)
{
	assert_int_equal(bpf_map_update_elem(f->routes[gen & 1], &key, r, BPF_ANY), 0);
}

void fx_del_route(struct xdp_fx *f, uint32_t gen, uint64_t key)
{
	assert_int_equal(bpf_map_delete_elem(f->routes[gen & 1], &key), 0);
}

void fx_set_shard(struct xdp_fx *f, uint32_t gen, uint32_t id, const struct ks_shard *sh)
{
	uint32_t idx = gen * KS_MAX_SHARDS + id;

	assert_int_equal(bpf_map_update_elem(f->shards, &idx, sh, BPF_ANY), 0);
}

void fx_clear_shard(struct xdp_fx *f, uint32_t gen, uint32_t id)
{
	struct ks_shard zero;

	memset(&zero, 0, sizeof(zero));
	fx_set_shard(f, gen, id, &zero);
}

void fx_add_tx_port(struct xdp_fx *f, uint32_t key, uint32_t ifindex)
{
	assert_int_equal(bpf_map_update_elem(f->tx_ports, &key, &ifindex, BPF_ANY), 0);
}

struct ks_shard fx_shard(int family, const char *vip, uint16_t port, uint8_t steer,
			 uint32_t ifindex, const char *src)
{
	static const uint8_t smac[6] = {0x02, 0x70, 0x07, 0xe4, 0x00, 0x02};
	static const uint8_t dmac[6] = {0x02, 0x5a, 0xad, 0x00, 0x00, 0x07};
	struct ks_shard sh;

	memset(&sh, 0, sizeof(sh));
	pkt_addr(family, vip, (uint8_t *)sh.vip.w);
	sh.port = htons(port);
	sh.family = (uint8_t)family;
	sh.steer = steer;
	sh.ifindex = ifindex;
	memcpy(sh.smac, smac, 6);
	memcpy(sh.dmac, dmac, 6);
	if (src)
		pkt_addr(family, src, (uint8_t *)sh.src.w);
	sh.mtu = 1500;
	sh.nh_valid = 1;
	return sh;
}

struct ks_route fx_route1(uint16_t shard, uint32_t slot)
{
	struct ks_route r;

	memset(&r, 0, sizeof(r));
	r.stats_slot = slot;
	r.n_targets = 1;
	r.sticky = KS_STICKY_FLOW;
	r.shadow_shard = KS_NO_SHARD;
	r.t[0].shard = shard;
	r.t[0].last = 0xffff;
	return r;
}

struct ks_route fx_route2(uint16_t a, uint16_t b, uint16_t split, uint32_t slot)
{
	struct ks_route r = fx_route1(a, slot);

	r.n_targets = 2;
	r.t[0].last = split;
	r.t[1].shard = b;
	r.t[1].last = 0xffff;
	return r;
}

static void percpu_sum(int fd, uint32_t idx, size_t value_size, uint64_t *out, size_t n_u64,
		       int ncpus)
{
	size_t stride = (value_size + 7) / 8 * 8;
	uint8_t *buf = calloc((size_t)ncpus, stride);

	assert_non_null(buf);
	assert_int_equal(bpf_map_lookup_elem(fd, &idx, buf), 0);
	memset(out, 0, n_u64 * 8);
	for (int c = 0; c < ncpus; c++) {
		const uint64_t *v = (const uint64_t *)(buf + (size_t)c * stride);

		for (size_t i = 0; i < n_u64; i++)
			out[i] += v[i];
	}
	free(buf);
}

uint64_t fx_reason(struct xdp_fx *f, uint32_t reason)
{
	uint64_t v[2];

	percpu_sum(f->reason_stats, reason, sizeof(struct ks_counter), v, 2, f->ncpus);
	return v[0];
}

uint64_t fx_reason_bytes(struct xdp_fx *f, uint32_t reason)
{
	uint64_t v[2];

	percpu_sum(f->reason_stats, reason, sizeof(struct ks_counter), v, 2, f->ncpus);
	return v[1];
}

uint64_t fx_reason_total(struct xdp_fx *f)
{
	uint64_t t = 0;

	for (uint32_t r = 0; r < KS_R_MAX; r++)
		t += fx_reason(f, r);
	return t;
}

void fx_key_stats(struct xdp_fx *f, uint32_t slot, struct ks_key_stats *out)
{
	percpu_sum(f->key_stats, slot, sizeof(*out), (uint64_t *)out, sizeof(*out) / 8, f->ncpus);
}

void fx_shard_stats(struct xdp_fx *f, uint32_t shard, struct ks_counter *out)
{
	percpu_sum(f->shard_stats, shard, sizeof(*out), (uint64_t *)out, 2, f->ncpus);
}

static void zero_percpu(int fd, uint32_t n, size_t value_size, int ncpus)
{
	size_t stride = (value_size + 7) / 8 * 8;
	uint8_t *buf = calloc((size_t)ncpus, stride);

	assert_non_null(buf);
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(bpf_map_update_elem(fd, &i, buf, BPF_ANY), 0);
	free(buf);
}

void fx_reset_stats(struct xdp_fx *f)
{
	zero_percpu(f->reason_stats, KS_R_MAX, sizeof(struct ks_counter), f->ncpus);
	zero_percpu(f->shard_stats, 16, sizeof(struct ks_counter), f->ncpus);
	zero_percpu(f->key_stats, 16, sizeof(struct ks_key_stats), f->ncpus);
}

static void empty_map(int fd, size_t key_size)
{
	uint8_t key[64], next[64];

	assert_true(key_size <= sizeof(key));
	while (bpf_map_get_next_key(fd, NULL, next) == 0) {
		memcpy(key, next, key_size);
		assert_int_equal(bpf_map_delete_elem(fd, key), 0);
	}
}

void fx_reset_flows(struct xdp_fx *f)
{
	empty_map(f->flows4, sizeof(struct ks_flow4_key));
	empty_map(f->flows6, sizeof(struct ks_flow6_key));
	empty_map(f->nat_rev, sizeof(struct ks_nat_key));
}

void fx_basic_tables(struct xdp_fx *f)
{
	fx_set_active(f, 0);
	fx_set_config(f, 0, 1, KS_DEFAULT_DROP, KS_DEFAULT_GUE_PORT);
	fx_set_config(f, 1, 0, KS_DEFAULT_DROP, KS_DEFAULT_GUE_PORT);
}

void fx_reset_all(struct xdp_fx *f)
{
	uint64_t w = 0;

	for (uint32_t g = 0; g < KS_GENERATIONS; g++) {
		f->n_listeners[g] = 0;
		write_listeners(f, g);
	}
	empty_map(f->routes[0], sizeof(__u64));
	empty_map(f->routes[1], sizeof(__u64));
	for (uint32_t g = 0; g < KS_GENERATIONS; g++)
		for (uint32_t id = 0; id < 16; id++)
			fx_clear_shard(f, g, id);
	for (uint32_t i = 0; i < 1024; i++)
		assert_int_equal(bpf_map_update_elem(f->nat_filter, &i, &w, BPF_ANY), 0);
	fx_reset_flows(f);
	fx_reset_stats(f);
	fx_basic_tables(f);
}

struct xdp_fx fx;

int fx_group_setup(void **state)
{
	(void)state;
	fx_open(&fx);
	return 0;
}

int fx_group_teardown(void **state)
{
	(void)state;
	fx_close(&fx);
	return 0;
}
