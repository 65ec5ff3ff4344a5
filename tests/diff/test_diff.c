/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Differential test: the same frames through the XDP router (BPF_PROG_TEST_RUN,
 * one frame at a time, its maps loaded with the rule set) and through
 * keysteer-dpdk (net_pcap in and out, the same rule set, --rules), for three
 * scenarios of a few thousand frames each (tests/diff/traffic.c).
 *
 * How the verdicts line up: keysteer-dpdk runs one worker lcore, so frames
 * leave in the order they came. Port 0 reads the input capture and writes
 * what is steered (XDP_TX) to out.pcap; passed frames (XDP_PASS) go to the
 * exception port, port 1, whose capture is pass.pcap; drops leave nothing.
 * For every input frame in order, the XDP verdict says which capture holds
 * the next frame, and that frame must be byte-identical to XDP's output.
 *
 * Shadow copies: XDP hands a sampled frame to tc (XDP_PASS with metadata);
 * keysteer-dpdk sends the SHADOW-marked copy itself, then steers the
 * original. For those frames the original is compared with the XDP router
 * run on the same tables without shadows (a second instance), and the copy
 * is checked for what it must be: the original's inner packet with SHADOW
 * set and a valid UDP checksum, encapsulated to the shadow shard.
 *
 * Counters: per reason, identical, after accounting for the shadow frames
 * (the copy's SHADOW_COPY, the original's own outcome); per key slot,
 * identical for every route without a shadow.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <cmocka.h>

#include "../bpf/pkt.h"
#include "../bpf/rfc1071.h"
#include "../bpf/xdp_fixture.h"
#include "rules/rules.h"
#include "shmtable/shm_read.h"
#include "shmtable/shm_writer.h"
#include "traffic.h"

#ifndef KS_BUILD
#define KS_BUILD "build"
#endif
#define XDP_ABORTED_ 0
#define XDP_DROP_    1
#define XDP_PASS_    2
#define XDP_TX_	     3

static char dir[64];

static void path_of(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", dir, name);
}

static void write_file(const char *name, const char *text)
{
	char p[128];
	FILE *f;

	path_of(p, sizeof(p), name);
	f = fopen(p, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	fclose(f);
}

static void rm_rf_run_dpdk(const char *prefix)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf /run/dpdk/%s /dev/hugepages/%smap_*", prefix, prefix);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", prefix);
}

/* Run keysteer-dpdk over in.pcap: 0 when it exited 0 within the time limit. */
static int run_dpdk(size_t n_frames, enum diff_scenario s)
{
	char prefix[64], vdev0[512], vdev1[512], table[128], rules[128], stop[32], in[128],
	    out[128], pass[128], empty[128], neigh4[96], neigh6[96], log[128];
	pid_t pid;
	int status = 0;

	snprintf(prefix, sizeof(prefix), "ks-diff-%d-%d", (int)getpid(), (int)s);
	path_of(in, sizeof(in), "in.pcap");
	path_of(out, sizeof(out), "out.pcap");
	path_of(pass, sizeof(pass), "pass.pcap");
	path_of(empty, sizeof(empty), "empty.pcap");
	path_of(table, sizeof(table), "table.tbl");
	path_of(rules, sizeof(rules), "rules.json");
	path_of(log, sizeof(log), "dpdk.log");
	snprintf(vdev0, sizeof(vdev0), "net_pcap0,rx_pcap=%s,tx_pcap=%s", in, out);
	snprintf(vdev1, sizeof(vdev1), "net_pcap1,rx_pcap=%s,tx_pcap=%s", empty, pass);
	snprintf(stop, sizeof(stop), "%zu", n_frames);
	snprintf(neigh4, sizeof(neigh4), "%s=%s@0", DIFF_GW4, DIFF_GW_MAC);
	snprintf(neigh6, sizeof(neigh6), "%s=%s@0", DIFF_GW6, DIFF_GW_MAC);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		alarm(120);
		execl(KS_BUILD "/keysteer-dpdk", "keysteer-dpdk", "-l", "0-1", "-n", "1",
		      "--no-pci", "--file-prefix", prefix, "--huge-unlink", "-m", "128",
		      "--log-level", "lib.eal:warning", "--vdev", vdev0, "--vdev", vdev1, "--",
		      "--table", table, "--table-routes", "1024", "--table-readers", "2", "--rules",
		      rules, "--src", DIFF_SRC4, "--src", DIFF_SRC6, "--gw", DIFF_GW4, "--gw",
		      DIFF_GW6, "--neigh", neigh4, "--neigh", neigh6, "--exception-port", "1",
		      "--stop-after", stop, (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	rm_rf_run_dpdk(prefix);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		char cmd[160];

		snprintf(cmd, sizeof(cmd), "cat %s >&2", log);
		if (system(cmd) != 0)
			fprintf(stderr, "(no log)\n");
		return -1;
	}
	return 0;
}

/* The XDP router's maps: exactly the records keysteer-dpdk read (generation 0). */
static void load_xdp(struct xdp_fx *f, const struct ks_shm_view *v, __u32 gen,
		     const struct ks_compiled *c, int with_shadow)
{
	__u32 zero = 0, g0 = 0;
	struct ks_active a = {.gen = 0};
	struct ks_config cfg = *v->config[gen];

	assert_int_equal(bpf_map_update_elem(f->active, &zero, &a, BPF_ANY), 0);
	assert_int_equal(bpf_map_update_elem(f->config, &g0, &cfg, BPF_ANY), 0);
	for (__u32 i = 0; i < c->n_listeners; i++) {
		struct ks_listener_key k = c->listeners[i];

		k.gen = 0;
		assert_non_null(ks_shm_listener_lookup(v, gen, &k));
	}
	/* Placed in buckets as the BPF backend places them; the seed goes into cfg. */
	fx_set_listeners(f, 0, c->listeners, c->n_listeners);
	for (__u32 i = 0; i < c->n_routes; i++) {
		const struct ks_route *r = ks_shm_route_lookup(v, gen, c->keys[i]);
		__u64 k = c->keys[i];
		struct ks_route val, want;

		assert_non_null(r);
		val = *r;
		want = c->routes[i];
		want.stats_slot = val.stats_slot;
		assert_memory_equal(&val, &want, sizeof(val));
		if (!with_shadow) {
			val.shadow_shard = KS_NO_SHARD;
			val.shadow_thresh = 0;
		}
		assert_int_equal(bpf_map_update_elem(f->routes[0], &k, &val, BPF_ANY), 0);
	}
	for (__u32 i = 0; i < c->n_shards; i++) {
		const struct ks_shard *sh = ks_shm_shard(v, gen, i);
		__u32 idx = i;

		assert_non_null(sh);
		assert_memory_equal(sh, &c->shards[i].shard, 20);
		assert_int_equal(sh->nh_valid, 1);
		assert_int_equal(sh->ifindex, 1); /* port 0: the ingress, XDP_TX in BPF */
		assert_int_equal(bpf_map_update_elem(f->shards, &idx, sh, BPF_ANY), 0);
	}
}

static int frames_equal(const uint8_t *a, size_t al, const struct diff_frame *b)
{
	return al == b->len && !memcmp(a, b->data, al);
}

static void dump_mismatch(size_t i, const char *what, const uint8_t *want, size_t wl,
			  const struct diff_frame *got)
{
	fprintf(stderr, "frame %zu: %s: XDP %zu bytes, DPDK %zu bytes\n", i, what, wl,
		got ? got->len : 0);
	for (size_t k = 0; got && k < wl && k < got->len; k++)
		if (want[k] != got->data[k]) {
			fprintf(stderr, "  first difference at byte %zu: %02x vs %02x\n", k,
				want[k], got->data[k]);
			break;
		}
}

/* Where the IP header of a frame starts (after up to two tags). */
static size_t l3_of(const uint8_t *f)
{
	size_t l3 = 14;

	for (int i = 0; i < 2 && (get16(f + l3 - 2) == 0x8100 || get16(f + l3 - 2) == 0x88a8); i++)
		l3 += 4;
	return l3;
}

/*
 * The copy of a shadow-sampled frame: encapsulated to the shadow shard, and
 * inside, the input's IP packet with SHADOW set in the routing header and a
 * UDP checksum that is still valid (or still zero).
 */
static void check_shadow_copy(const struct diff_frame *copy, const uint8_t *in, size_t in_len,
			      const struct ks_shard *shadow)
{
	size_t in_l3 = l3_of(in), inner, ilen = in_len - in_l3, ihl;
	uint8_t tmp[PKT_MAX], *udp;
	int fam;

	assert_int_equal(get16(copy->data + 12), shadow->family == KS_AF_INET6 ? 0x86dd : 0x0800);
	if (shadow->family == KS_AF_INET) {
		assert_memory_equal(copy->data + 14 + 16, &shadow->vip.w[0], 4);
		inner = 14 + 20;
	} else {
		assert_memory_equal(copy->data + 14 + 24, shadow->vip.w, 16);
		inner = 14 + 40;
	}
	inner += shadow->steer == KS_STEER_GUE ? 12 : 0;
	assert_int_equal(copy->len - inner, ilen);
	memcpy(tmp, in + in_l3, ilen);
	fam = tmp[0] >> 4;
	ihl = fam == 4 ? (size_t)(tmp[0] & 15) * 4 : 40;
	udp = tmp + ihl;
	assert_int_equal(get16(udp + 8), 0x4b53);
	assert_int_equal(udp[8 + 3] & 0x04, 0);
	udp[8 + 3] |= 0x04;
	/* Everything but the UDP checksum as expected; the checksum valid on its own. */
	memcpy(udp + 6, copy->data + inner + ihl + 6, 2);
	assert_memory_equal(copy->data + inner, tmp, ilen);
	if (get16(udp + 6) != 0 || fam == 6)
		assert_true(rfc1071_l4_ok(fam, fam == 4 ? tmp + 12 : tmp + 8,
					  fam == 4 ? tmp + 16 : tmp + 24, 17, udp, ilen - ihl));
	else
		assert_int_equal(get16(in + in_l3 + ihl + 6), 0);
}

struct tally {
	size_t tx, pass, drop, shadow, copies;
};

static void run_scenario(enum diff_scenario s)
{
	char p_in[128], p_out[128], p_pass[128], p_empty[128], p_table[128], err[256];
	struct diff_traffic t;
	struct ks_compiled *c = NULL;
	struct ks_diags d = {0};
	struct diff_frame *out = NULL, *pass = NULL;
	size_t n_out = 0, n_pass = 0, io = 0, ip = 0;
	struct ks_shm_map map;
	struct ks_shm_view v;
	struct xdp_fx fx, fx2;
	struct xdp_out *o = malloc(sizeof(*o)), *o2 = malloc(sizeof(*o2));
	struct ks_counter dr[KS_R_MAX];
	uint8_t *no_shadow_slot;
	struct tally ty = {0};
	__u32 gen;

	assert_non_null(o);
	assert_non_null(o2);
	snprintf(dir, sizeof(dir), "/tmp/ks-diff.XXXXXX");
	assert_non_null(mkdtemp(dir));
	diff_traffic_make(&t, s, 1234 + (unsigned)s);
	print_message("scenario %d: %zu frames\n", (int)s, t.n);
	write_file("rules.json", t.rules);
	assert_int_equal(ks_rules_compile_buf(t.rules, strlen(t.rules), &c, &d), KS_RULES_OK);
	ks_diags_free(&d);
	path_of(p_in, sizeof(p_in), "in.pcap");
	path_of(p_empty, sizeof(p_empty), "empty.pcap");
	path_of(p_out, sizeof(p_out), "out.pcap");
	path_of(p_pass, sizeof(p_pass), "pass.pcap");
	path_of(p_table, sizeof(p_table), "table.tbl");
	assert_int_equal(diff_write_pcap(p_in, t.f, t.n), 0);
	assert_int_equal(diff_write_pcap(p_empty, NULL, 0), 0);

	assert_int_equal(run_dpdk(t.n, s), 0);
	assert_int_equal(diff_read_pcap(p_out, &out, &n_out), 0);
	assert_int_equal(diff_read_pcap(p_pass, &pass, &n_pass), 0);
	if (ks_shm_map_open(p_table, NULL, &map, err, sizeof(err)))
		fail_msg("%s", err);
	ks_shm_view_init(&v, map.base);
	gen = ks_shm_view_gen(&v);
	assert_int_equal(v.config[gen]->version, c->version);
	assert_int_equal(v.config[gen]->gue_port, htons(KS_DEFAULT_GUE_PORT));

	fx_open(&fx);
	fx_open(&fx2);
	load_xdp(&fx, &v, gen, c, 1);
	load_xdp(&fx2, &v, gen, c, 0);

	for (size_t i = 0; i < t.n; i++) {
		const struct diff_frame *in = &t.f[i];
		struct ks_xdp_meta meta;

		fx_run(&fx, in->data, in->len, o);
		if (o->ret == XDP_PASS_ && o->meta_len >= sizeof(meta)) {
			const struct ks_shard *sh;

			memcpy(&meta, o->meta + o->meta_len - sizeof(meta), sizeof(meta));
			assert_int_equal(meta.magic, KS_META_MAGIC);
			ty.shadow++;
			/* DPDK: the copy first (if it could be steered), then the original. */
			sh = ks_shm_shard(&v, gen, meta.shadow_shard);
			assert_non_null(sh);
			fx_run(&fx2, in->data, in->len, o2);
			{
				size_t l3 = l3_of(in->data);
				uint32_t l3_len, ttl;

				if ((in->data[l3] >> 4) == 4) {
					l3_len = get16(in->data + l3 + 2);
					ttl = in->data[l3 + 8];
				} else {
					l3_len = 40 + get16(in->data + l3 + 4);
					ttl = in->data[l3 + 7];
				}
				/* The copy goes out when it can be steered: TTL, MTU. */
				if (ttl > 1 && l3_len + (sh->family == KS_AF_INET6 ? 40 : 20) +
						       (sh->steer == KS_STEER_GUE ? 12 : 0) <=
						   sh->mtu) {
					assert_true(io < n_out);
					check_shadow_copy(&out[io], in->data, in->len, sh);
					io++;
					ty.copies++;
				}
			}
			*o = *o2;
		}
		switch (o->ret) {
		case XDP_TX_:
			if (io >= n_out || !frames_equal(o->data, o->len, &out[io])) {
				dump_mismatch(i, "steered frame", o->data, o->len,
					      io < n_out ? &out[io] : NULL);
				fail_msg("frame %zu differs (XDP_TX)", i);
			}
			io++;
			ty.tx++;
			break;
		case XDP_PASS_:
			if (ip >= n_pass || !frames_equal(o->data, o->len, &pass[ip])) {
				dump_mismatch(i, "passed frame", o->data, o->len,
					      ip < n_pass ? &pass[ip] : NULL);
				fail_msg("frame %zu differs (XDP_PASS)", i);
			}
			ip++;
			ty.pass++;
			break;
		case XDP_DROP_:
			ty.drop++;
			break;
		default:
			fail_msg("frame %zu: XDP verdict %d", i, o->ret);
		}
	}
	print_message("  tx %zu pass %zu drop %zu shadow-sampled %zu (copies %zu)\n", ty.tx,
		      ty.pass, ty.drop, ty.shadow, ty.copies);
	assert_int_equal(io, n_out);
	assert_int_equal(ip, n_pass);
	assert_true(ty.tx > 500 && ty.pass > 200 && ty.drop > 100);
	if (s == DIFF_MIXED)
		assert_true(ty.copies > 10);

	/*
	 * Reasons: XDP's, with the shadow-sampled frames as DPDK counts them:
	 * the original's own outcome (fx2), SHADOW_COPY for each copy sent.
	 */
	assert_int_equal(fx_reason(&fx, KS_R_SHADOW_COPY), ty.shadow);
	ks_shm_read_reasons(map.h, dr);
	for (unsigned r = 0; r < KS_R_MAX; r++)
		if (dr[r].packets)
			print_message("  %-14s %llu\n", ks_shm_reason_name(r),
				      (unsigned long long)dr[r].packets);
	for (unsigned r = 0; r < KS_R_MAX; r++) {
		uint64_t want =
		    r == KS_R_SHADOW_COPY ? ty.copies : fx_reason(&fx, r) + fx_reason(&fx2, r);

		if (dr[r].packets != want)
			fail_msg("reason %s: XDP %llu, DPDK %llu", ks_shm_reason_name(r),
				 (unsigned long long)want, (unsigned long long)dr[r].packets);
	}

	/* Every outcome the scenario is built to produce did happen. */
	{
		static const unsigned common[] = {
		    KS_R_STEERED,     KS_R_NOT_LISTENER,  KS_R_NO_HEADER,   KS_R_BAD_MAGIC,
		    KS_R_BAD_VERSION, KS_R_CLIENT_SHADOW, KS_R_UNKNOWN_KEY, KS_R_TTL,
		    KS_R_MTU,	      KS_R_MALFORMED,	  KS_R_TCP_NO_FLOW,
		};

		for (size_t k = 0; k < sizeof(common) / sizeof(common[0]); k++)
			if (!dr[common[k]].packets)
				fail_msg("no frame counted as %s", ks_shm_reason_name(common[k]));
		/* IPv4 fragments; IPv6 ones count as extension headers. */
		if (s != DIFF_NAT4)
			assert_true(dr[KS_R_V6_EXTHDR].packets > 0);
		if (s != DIFF_NAT6)
			assert_true(dr[KS_R_FRAGMENT].packets > 0);
		if (s == DIFF_MIXED)
			assert_true(dr[KS_R_DEFAULT_PASS].packets > 0 &&
				    dr[KS_R_SHADOW_COPY].packets > 0);
		else
			assert_true(dr[KS_R_DEFAULT_DROP].packets > 0 &&
				    dr[KS_R_NAT_REPLY].packets > 0);
	}

	/* Keys without a shadow: identical counters, slot by slot. */
	no_shadow_slot = calloc(map.h->stats_slots, 1);
	assert_non_null(no_shadow_slot);
	for (__u32 i = 0; i < c->n_routes; i++) {
		const struct ks_route *r = ks_shm_route_lookup(&v, gen, c->keys[i]);

		if (r->shadow_shard == KS_NO_SHARD)
			no_shadow_slot[r->stats_slot] = 1;
	}
	{
		struct ks_key_stats *dk = calloc(map.h->stats_slots, sizeof(*dk));
		unsigned compared = 0;

		assert_non_null(dk);
		ks_shm_read_keys(map.h, dk, map.h->stats_slots);
		for (__u32 slot = 0; slot < map.h->stats_slots && slot < 1024; slot++) {
			struct ks_key_stats xk;

			if (!no_shadow_slot[slot])
				continue;
			fx_key_stats(&fx, slot, &xk);
			if (memcmp(&xk, &dk[slot], sizeof(xk)))
				fail_msg("key slot %u: XDP %llu packets, DPDK %llu", slot,
					 (unsigned long long)xk.packets,
					 (unsigned long long)dk[slot].packets);
			compared += xk.packets > 0;
		}
		assert_true(compared > 20);
		free(dk);
	}
	/* Shards: identical (the copies count on the shadow shard in DPDK). */
	{
		struct ks_counter ds[KS_MAX_SHARDS / 256];

		ks_shm_read_shards(map.h, ds, c->n_shards);
		for (__u32 i = 0; i < c->n_shards; i++) {
			struct ks_counter a, b;

			fx_shard_stats(&fx, i, &a);
			fx_shard_stats(&fx2, i, &b);
			if (s == DIFF_MIXED && !strcmp(c->shards[i].name, "sh4"))
				assert_int_equal(ds[i].packets, ty.copies);
			else
				assert_int_equal(ds[i].packets, a.packets + b.packets);
		}
	}

	free(no_shadow_slot);
	fx_close(&fx);
	fx_close(&fx2);
	ks_shm_unmap(&map);
	diff_frames_free(out, n_out);
	diff_frames_free(pass, n_pass);
	ks_compiled_free(c);
	diff_traffic_free(&t);
	free(o);
	free(o2);
}

/* The scenario's files, whether it passed or not. */
static int remove_dir(void **state)
{
	char cmd[128];

	(void)state;
	if (!dir[0])
		return 0;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	dir[0] = 0;
	return system(cmd) ? -1 : 0;
}

static void test_mixed(void **state)
{
	(void)state;
	run_scenario(DIFF_MIXED);
}

static void test_nat4(void **state)
{
	(void)state;
	run_scenario(DIFF_NAT4);
}

static void test_nat6(void **state)
{
	(void)state;
	run_scenario(DIFF_NAT6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_mixed, remove_dir),
	    cmocka_unit_test_teardown(test_nat4, remove_dir),
	    cmocka_unit_test_teardown(test_nat6, remove_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
