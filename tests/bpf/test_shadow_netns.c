/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shadow copies end to end, on veths in the test's own network namespace
 * (tests/net/nsutil.h: they vanish with the process on every exit path):
 *
 *   c0 --veth-- r0 [XDP router, native + tc ks_shadow]   r1 --veth-- s1
 *   AF_PACKET frames in on c0; both shards' next hops are r1, so everything
 *   steered arrives on s1, where an AF_PACKET socket reads it.
 *
 * The real router (build/bpf/ks_router.bpf.o) and the tc program are loaded
 * through ctl/backend; the tables are written straight into the pinned maps.
 * BPF_PROG_TEST_RUN cannot be used: it takes no XDP metadata into a tc
 * program's skb, and the hand-off through metadata is what is under test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <keysteer/table.h>
#include <keysteer/wire.h>
#include "backend/listener_table.h"
#include "backend/loader.h"
#include "backend/tc_attach.h"
#include "rfc1071.h"
#include "../net/nsutil.h"

#ifndef KS_BUILD
#define KS_BUILD "build"
#endif
#define ROUTER_OBJ KS_BUILD "/bpf/ks_router.bpf.o"
#define SHADOW_OBJ KS_BUILD "/bpf/ks_shadow.bpf.o"
#define ROOT	   "/sys/fs/bpf/ks-shadow-test"

#define CLIENT_IP  "10.61.0.2"
#define LISTEN_IP  "10.61.0.1"
#define LISTEN_PT  7000
#define PRIMARY_IP "10.62.0.1"
#define SHADOW_IP  "10.62.0.2"
#define OUTER_SRC  "10.62.0.254"
#define CLIENT6	   "fd00:61::2"
#define LISTEN6	   "fd00:61::1"
#define PRIMARY6   "fd00:62::1"
#define SHADOW6	   "fd00:62::2"
#define OUTER6	   "fd00:62::fe"
#define KEY	   0x1122334455667788ULL
#define SLOT	   3
#define GUE_PORT   6080
#define PAYLOAD	   40 /* bytes after the routing header */
#define FRAME_MAX  2048

static char if_c0[IF_NAMESIZE], if_r0[IF_NAMESIZE], if_r1[IF_NAMESIZE], if_s1[IF_NAMESIZE];
static __u8 mac_c0[6], mac_r0[6], mac_r1[6], mac_s1[6];
static int tx_fd = -1, rx_fd = -1;

static void read_mac(const char *ifname, __u8 *mac)
{
	char s[32];
	unsigned m[6];

	assert_int_equal(ks_sh_out(s, sizeof(s), "cat /sys/class/net/%s/address", ifname), 0);
	assert_int_equal(sscanf(s, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]),
			 6);
	for (int i = 0; i < 6; i++)
		mac[i] = (__u8)m[i];
}

static int packet_socket(const char *ifname, int rcvbuf)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL)};
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));

	if (fd < 0)
		return -1;
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (rcvbuf)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Run time of a pinned program per run, from the kernel's BPF stats (0 when off). */
static double ns_per_run(const char *pin, __u64 *runs)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	char path[256];
	int fd;

	snprintf(path, sizeof(path), ROOT "/%s", pin);
	fd = bpf_obj_get(path);
	memset(&info, 0, sizeof(info));
	*runs = 0;
	if (fd < 0)
		return 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
		*runs = info.run_cnt;
	close(fd);
	return info.run_cnt ? (double)info.run_time_ns / (double)info.run_cnt : 0;
}

/* Sizes of the loaded tc program, for docs/shadow.md. */
static void print_prog_figures(void)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	int fd = bpf_obj_get(ROOT "/" KS_SHADOW_PIN_NAME);

	memset(&info, 0, sizeof(info));
	if (fd >= 0 && bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
		printf("# ks_shadow_tc: %u insns verified, %u bytes xlated, %u bytes JITed\n",
		       info.verified_insns, info.xlated_prog_len, info.jited_prog_len);
	if (fd >= 0)
		close(fd);
}

static int group_setup(void **state)
{
	struct ks_loader_opts lo = {
	    .pin_root = ROOT, .obj_path = ROUTER_OBJ, .route_capacity = 1024};
	struct ks_tc_opts to = {.pin_root = ROOT, .obj_path = SHADOW_OBJ};
	struct ks_router *r = NULL;
	char msg[512];
	int pid = (int)getpid() % 100000;

	(void)state;
	if (ks_ns_enter_private(msg, sizeof(msg))) {
		fprintf(stderr, "%s\n", msg);
		return -1;
	}
	snprintf(if_c0, sizeof(if_c0), "shc%d", pid);
	snprintf(if_r0, sizeof(if_r0), "shr%d", pid);
	snprintf(if_r1, sizeof(if_r1), "sho%d", pid);
	snprintf(if_s1, sizeof(if_s1), "shs%d", pid);
	if (ks_sh("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
		  "net.ipv6.conf.default.disable_ipv6=1") ||
	    ks_sh("ip link add %s type veth peer name %s", if_c0, if_r0) ||
	    ks_sh("ip link add %s type veth peer name %s", if_r1, if_s1) ||
	    ks_sh("for i in %s %s %s %s; do ip link set $i up || exit 1; done", if_c0, if_r0, if_r1,
		  if_s1) ||
	    /* s1 receives XDP redirects (the unsampled primaries): it needs NAPI. */
	    ks_sh("ethtool -K %s gro on >/dev/null", if_s1))
		return -1;
	read_mac(if_c0, mac_c0);
	read_mac(if_r0, mac_r0);
	read_mac(if_r1, mac_r1);
	read_mac(if_s1, mac_s1);
	if (ks_router_load(&r, &lo, msg, sizeof(msg)) ||
	    ks_router_attach(r, if_r0, KS_XDP_NATIVE, msg, sizeof(msg)) ||
	    ks_router_add_tx_port(ROOT, if_nametoindex(if_r1)) ||
	    ks_tc_attach(&to, if_r0, msg, sizeof(msg))) {
		fprintf(stderr, "loading: %s\n", msg);
		ks_router_close(r);
		return -1;
	}
	ks_router_close(r);
	print_prog_figures();
	tx_fd = packet_socket(if_c0, 0);
	rx_fd = packet_socket(if_s1, 64 << 20);
	if (tx_fd < 0 || rx_fd < 0) {
		fprintf(stderr, "AF_PACKET: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	char msg[256];

	(void)state;
	if (tx_fd >= 0)
		close(tx_fd);
	if (rx_fd >= 0)
		close(rx_fd);
	ks_tc_detach(if_r0, msg, sizeof(msg));
	ks_tc_unpin(ROOT);
	ks_router_detach_all(ROOT, true, msg, sizeof(msg));
	/* The namespace goes with the process: veths and pins with it. */
	return 0;
}

static int map_fd(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), ROOT "/%s", name);
	return bpf_obj_get(path);
}

static void put(const char *map, const void *key, const void *val)
{
	int fd = map_fd(map);

	assert_true(fd >= 0);
	assert_int_equal(bpf_map_update_elem(fd, key, val, BPF_ANY), 0);
	close(fd);
}

static struct ks_shard shard(const char *vip, enum ks_steer steer)
{
	struct ks_shard s;

	memset(&s, 0, sizeof(s));
	inet_pton(AF_INET, vip, &s.vip.w[0]);
	inet_pton(AF_INET, OUTER_SRC, &s.src.w[0]);
	s.port = htons(8080);
	s.family = KS_AF_INET;
	s.steer = (__u8)steer;
	s.ifindex = if_nametoindex(if_r1);
	memcpy(s.smac, mac_r1, 6);
	memcpy(s.dmac, mac_s1, 6);
	s.mtu = 1500;
	s.nh_valid = 1;
	return s;
}

static struct ks_listener_key listener(int af, const char *addr)
{
	struct ks_listener_key lk;

	memset(&lk, 0, sizeof(lk));
	inet_pton(af, addr, lk.addr.w);
	lk.port = htons(LISTEN_PT);
	lk.proto = IPPROTO_UDP;
	lk.family = af == AF_INET ? KS_AF_INET : KS_AF_INET6;
	return lk;
}

/* Generation 0's listeners become keys[0..n): its buckets, then its config's seed. */
static void put_listeners(const struct ks_listener_key *keys, __u32 n)
{
	struct ks_listener_bucket *img = calloc(KS_LISTENER_BUCKETS, sizeof(*img));
	struct ks_config cfg;
	__u32 seed = 0, zero = 0;
	int fd;

	assert_non_null(img);
	assert_int_equal(ks_listener_table_build(keys, n, img, &seed), 0);
	fd = map_fd("ks_listeners");
	assert_true(fd >= 0);
	for (__u32 b = 0; b < KS_LISTENER_BUCKETS; b++) {
		__u32 idx = ks_listener_index(0, b);

		assert_int_equal(bpf_map_update_elem(fd, &idx, &img[b], BPF_ANY), 0);
	}
	close(fd);
	free(img);
	fd = map_fd("ks_config");
	assert_true(fd >= 0);
	assert_int_equal(bpf_map_lookup_elem(fd, &zero, &cfg), 0);
	close(fd);
	cfg.listener_seed = seed;
	put("ks_config", &zero, &cfg);
}

/* Generation 0: one listener, one route to shard 0 with shard 1 as its shadow. */
static void write_tables(__u32 shadow_thresh, enum ks_steer primary, enum ks_steer shadow)
{
	__u32 zero = 0, one = 1;
	struct ks_active act = {.gen = 0};
	struct ks_config cfg;
	struct ks_listener_key lk = listener(AF_INET, LISTEN_IP);
	__u64 rk = KEY;
	struct ks_route rt;
	struct ks_shard s0 = shard(PRIMARY_IP, primary), s1 = shard(SHADOW_IP, shadow);

	memset(&cfg, 0, sizeof(cfg));
	cfg.version = 1;
	cfg.default_action = KS_DEFAULT_DROP;
	cfg.n_routes = 1;
	cfg.gue_port = htons(GUE_PORT);
	memset(&rt, 0, sizeof(rt));
	rt.stats_slot = SLOT;
	rt.n_targets = 1;
	rt.sticky = KS_STICKY_FLOW;
	rt.shadow_shard = 1;
	rt.shadow_thresh = shadow_thresh;
	rt.t[0].shard = 0;
	rt.t[0].last = KS_WEIGHT_BUCKETS - 1;
	put("ks_config", &zero, &cfg);
	put_listeners(&lk, 1);
	put("ks_routes0", &rk, &rt);
	put("ks_shards", &zero, &s0);
	put("ks_shards", &one, &s1);
	put("ks_active", &zero, &act);
}

/* IPv6: a v6 listener beside the v4 one; shards 0 and 1 become IPv6 GUE shards. */
static void write_tables6(void)
{
	__u32 zero = 0, one = 1;
	struct ks_listener_key lk[2] = {listener(AF_INET, LISTEN_IP), listener(AF_INET6, LISTEN6)};
	struct ks_shard s0 = shard(PRIMARY_IP, KS_STEER_GUE), s1 = shard(SHADOW_IP, KS_STEER_GUE);

	write_tables(KS_WEIGHT_BUCKETS, KS_STEER_GUE, KS_STEER_GUE);
	put_listeners(lk, 2);
	s0.family = s1.family = KS_AF_INET6;
	inet_pton(AF_INET6, PRIMARY6, s0.vip.w);
	inet_pton(AF_INET6, SHADOW6, s1.vip.w);
	inet_pton(AF_INET6, OUTER6, s0.src.w);
	inet_pton(AF_INET6, OUTER6, s1.src.w);
	put("ks_shards", &zero, &s0);
	put("ks_shards", &one, &s1);
}

/* A client frame: Ethernet, IPv4, UDP (checksummed), routing header, payload. */
static size_t client_frame(__u8 *f, __u16 sport, __u8 seed)
{
	__u8 *ip = f + 14, *udp = ip + 20, *hdr = udp + 8;
	size_t udp_len = 8 + KS_HDR_LEN + PAYLOAD;
	__u64 key_be = __builtin_bswap64(KEY);
	__u16 v;

	memcpy(f, mac_r0, 6);
	memcpy(f + 6, mac_c0, 6);
	f[12] = 0x08, f[13] = 0x00;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	v = htons((__u16)(20 + udp_len));
	memcpy(ip + 2, &v, 2);
	ip[8] = 64;
	ip[9] = IPPROTO_UDP;
	inet_pton(AF_INET, CLIENT_IP, ip + 12);
	inet_pton(AF_INET, LISTEN_IP, ip + 16);
	v = htons(rfc1071(ip, 20));
	memcpy(ip + 10, &v, 2);
	v = htons(sport);
	memcpy(udp, &v, 2);
	v = htons(LISTEN_PT);
	memcpy(udp + 2, &v, 2);
	v = htons((__u16)udp_len);
	memcpy(udp + 4, &v, 2);
	memset(udp + 6, 0, 2);
	hdr[0] = 0x4b, hdr[1] = 0x53, hdr[2] = 1, hdr[3] = 0;
	memcpy(hdr + 4, &key_be, 8);
	memset(hdr + 12, 0, 4);
	for (int i = 0; i < PAYLOAD; i++)
		hdr[KS_HDR_LEN + i] = (__u8)(seed + i * 7);
	v = htons(rfc1071_finish(rfc1071_add(
	    rfc1071_pseudo(4, ip + 12, ip + 16, IPPROTO_UDP, (uint32_t)udp_len), udp, udp_len)));
	memcpy(udp + 6, &v, 2);
	return 14 + 20 + udp_len;
}

/* The same over IPv6. */
static size_t client_frame6(__u8 *f, __u16 sport, __u8 seed)
{
	__u8 *ip = f + 14, *udp = ip + 40, *hdr = udp + 8;
	size_t udp_len = 8 + KS_HDR_LEN + PAYLOAD;
	__u64 key_be = __builtin_bswap64(KEY);
	__u16 v;

	memcpy(f, mac_r0, 6);
	memcpy(f + 6, mac_c0, 6);
	f[12] = 0x86, f[13] = 0xdd;
	memset(ip, 0, 40);
	ip[0] = 0x60;
	ip[1] = 0x0a; /* some traffic class and flow label bits */
	ip[3] = seed;
	v = htons((__u16)udp_len);
	memcpy(ip + 4, &v, 2);
	ip[6] = IPPROTO_UDP;
	ip[7] = 64;
	inet_pton(AF_INET6, CLIENT6, ip + 8);
	inet_pton(AF_INET6, LISTEN6, ip + 24);
	v = htons(sport);
	memcpy(udp, &v, 2);
	v = htons(LISTEN_PT);
	memcpy(udp + 2, &v, 2);
	v = htons((__u16)udp_len);
	memcpy(udp + 4, &v, 2);
	memset(udp + 6, 0, 2);
	hdr[0] = 0x4b, hdr[1] = 0x53, hdr[2] = 1, hdr[3] = 0;
	memcpy(hdr + 4, &key_be, 8);
	memset(hdr + 12, 0, 4);
	for (int i = 0; i < PAYLOAD; i++)
		hdr[KS_HDR_LEN + i] = (__u8)(seed + i * 5);
	v = htons(rfc1071_finish(rfc1071_add(
	    rfc1071_pseudo(6, ip + 8, ip + 24, IPPROTO_UDP, (uint32_t)udp_len), udp, udp_len)));
	memcpy(udp + 6, &v, 2);
	return 14 + 40 + udp_len;
}

static void send_frame(const __u8 *f, size_t len)
{
	assert_int_equal(send(tx_fd, f, len, 0), (ssize_t)len);
}

/* A frame seen on s1, sorted by its outer destination. */
struct seen {
	__u8 frame[FRAME_MAX];
	size_t len;
};

struct tally {
	unsigned primary, shadow, other;
	struct seen last_primary, last_shadow;
};

static void classify(struct tally *t, const __u8 *f, size_t len)
{
	char dst[INET6_ADDRSTRLEN];
	struct seen *s = NULL;

	if (len >= 54 && f[12] == 0x86 && f[13] == 0xdd)
		inet_ntop(AF_INET6, f + 38, dst, sizeof(dst));
	else if (len >= 34 && f[12] == 0x08 && f[13] == 0x00)
		inet_ntop(AF_INET, f + 30, dst, sizeof(dst));
	else
		dst[0] = 0;
	if (!strcmp(dst, PRIMARY_IP) || !strcmp(dst, PRIMARY6)) {
		t->primary++;
		s = &t->last_primary;
	} else if (!strcmp(dst, SHADOW_IP) || !strcmp(dst, SHADOW6)) {
		t->shadow++;
		s = &t->last_shadow;
	} else {
		t->other++;
	}
	if (s && len <= sizeof(s->frame)) {
		memcpy(s->frame, f, len);
		s->len = len;
	}
}

/* Read s1 until it has been quiet for idle_ms (bounded by max_frames reads). */
static void drain(struct tally *t, int idle_ms, unsigned max_frames)
{
	__u8 buf[FRAME_MAX];
	struct pollfd p = {.fd = rx_fd, .events = POLLIN};

	for (unsigned i = 0; i < max_frames; i++) {
		ssize_t n;

		if (poll(&p, 1, idle_ms) <= 0)
			return;
		n = recv(rx_fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0)
			classify(t, buf, (size_t)n);
	}
}

static __u64 key_shadow_packets(void)
{
	int ncpu = libbpf_num_possible_cpus(), fd = map_fd("ks_key_stats");
	struct ks_key_stats *v = calloc((size_t)ncpu, sizeof(*v));
	__u32 slot = SLOT;
	__u64 sum = 0;

	assert_non_null(v);
	assert_true(fd >= 0);
	assert_int_equal(bpf_map_lookup_elem(fd, &slot, v), 0);
	for (int i = 0; i < ncpu; i++)
		sum += v[i].shadow_packets;
	free(v);
	close(fd);
	return sum;
}

static __u64 shard_packets(__u32 id)
{
	int ncpu = libbpf_num_possible_cpus(), fd = map_fd("ks_shard_stats");
	struct ks_counter *v = calloc((size_t)ncpu, sizeof(*v));
	__u64 sum = 0;

	assert_non_null(v);
	assert_true(fd >= 0);
	assert_int_equal(bpf_map_lookup_elem(fd, &id, v), 0);
	for (int i = 0; i < ncpu; i++)
		sum += v[i].packets;
	free(v);
	close(fd);
	return sum;
}

static __u64 reason_packets(__u32 reason)
{
	int ncpu = libbpf_num_possible_cpus(), fd = map_fd("ks_reason_stats");
	struct ks_counter *v = calloc((size_t)ncpu, sizeof(*v));
	__u64 sum = 0;

	assert_non_null(v);
	assert_true(fd >= 0);
	assert_int_equal(bpf_map_lookup_elem(fd, &reason, v), 0);
	for (int i = 0; i < ncpu; i++)
		sum += v[i].packets;
	free(v);
	close(fd);
	return sum;
}

/* Every non-zero outcome counter, to tell a failure's story. */
static void print_reasons(const char *when)
{
	for (__u32 r = 0; r < KS_R_MAX; r++) {
		__u64 n = reason_packets(r);

		if (n)
			printf("# %s: reason %u: %llu\n", when, r, (unsigned long long)n);
	}
}

/* The inner packet of a received GUE (outer UDP) or IPIP frame. */
static const __u8 *inner_of(const struct seen *s, size_t *len)
{
	const __u8 *ip = s->frame + 14;
	size_t off = 14 + 20;

	if (ip[9] == IPPROTO_UDP) {
		assert_int_equal((ip[20 + 2] << 8) | ip[20 + 3], GUE_PORT);
		assert_int_equal(ip[20 + 8 + 1], 4); /* GUE proto_ctype: IPv4 */
		off += 8 + 4;
	} else {
		assert_int_equal(ip[9], 4); /* IPIP */
	}
	assert_int_equal(rfc1071(ip, 20), 0); /* outer header checksum verifies */
	*len = s->len - off;
	return s->frame + off;
}

static void test_every_packet_copied_to_shadow(void **state)
{
	__u8 f[256];
	size_t len, ilen_p, ilen_s;
	struct tally t;
	const __u8 *in_p, *in_s;
	__u64 shadow_before = key_shadow_packets(), s0_before = shard_packets(0),
	      s1_before = shard_packets(1);
	enum { N = 20 };

	(void)state;
	write_tables(KS_WEIGHT_BUCKETS, KS_STEER_GUE, KS_STEER_IPIP);
	memset(&t, 0, sizeof(t));
	drain(&t, 50, 1000);
	memset(&t, 0, sizeof(t));
	for (int i = 0; i < N; i++) {
		len = client_frame(f, (__u16)(20000 + i), (__u8)i);
		send_frame(f, len);
		drain(&t, 20, 8);
	}
	drain(&t, 200, 1000);
	print_reasons("copied to shadow");
	printf("# primaries %u, copies %u\n", t.primary, t.shadow);
	assert_int_equal(t.primary, N);
	assert_int_equal(t.shadow, N);
	assert_int_equal(key_shadow_packets() - shadow_before, N);
	assert_int_equal(shard_packets(0) - s0_before, N);
	assert_int_equal(shard_packets(1) - s1_before, N);

	/* The last frame sent, as each shard got it. */
	in_p = inner_of(&t.last_primary, &ilen_p);
	in_s = inner_of(&t.last_shadow, &ilen_s);
	assert_int_equal(ilen_p, len - 14);
	assert_int_equal(ilen_s, len - 14);
	/* Outer Ethernet from the shard's next-hop block. */
	assert_memory_equal(t.last_primary.frame, mac_s1, 6);
	assert_memory_equal(t.last_primary.frame + 6, mac_r1, 6);
	assert_memory_equal(t.last_shadow.frame, mac_s1, 6);
	/* The primary is the client's packet, byte for byte: unmarked. */
	assert_memory_equal(in_p, f + 14, len - 14);
	/* The copy: SHADOW set, the UDP checksum still verifies, the rest identical. */
	assert_int_equal(in_s[20 + 8 + 3], KS_F_SHADOW);
	assert_true(rfc1071_l4_ok(4, in_s + 12, in_s + 16, IPPROTO_UDP, in_s + 20, ilen_s - 20));
	assert_memory_equal(in_s, f + 14, 20 + 6);		/* IP + UDP up to its check */
	assert_memory_equal(in_s + 20 + 8, f + 14 + 20 + 8, 3); /* magic, version */
	assert_memory_equal(in_s + 20 + 8 + 4, f + 14 + 20 + 8 + 4, KS_HDR_LEN - 4 + PAYLOAD);
}

static void test_nat_primary_and_copy(void **state)
{
	__u8 f[256];
	size_t len;
	struct tally t;
	const __u8 *p, *s;

	(void)state;
	write_tables(KS_WEIGHT_BUCKETS, KS_STEER_NAT, KS_STEER_NAT);
	memset(&t, 0, sizeof(t));
	len = client_frame(f, 30000, 9);
	send_frame(f, len);
	drain(&t, 200, 100);
	assert_int_equal(t.primary, 1);
	assert_int_equal(t.shadow, 1);
	p = t.last_primary.frame;
	s = t.last_shadow.frame;
	assert_int_equal(t.last_primary.len, len);
	assert_int_equal(t.last_shadow.len, len);
	/* Rewritten to the shard's port, TTL decremented, every checksum verifying. */
	assert_int_equal((p[36] << 8) | p[37], 8080);
	assert_int_equal(p[22], 63);
	assert_int_equal(rfc1071(p + 14, 20), 0);
	assert_int_equal(rfc1071(s + 14, 20), 0);
	assert_true(rfc1071_l4_ok(4, p + 26, p + 30, IPPROTO_UDP, p + 34, len - 34));
	assert_true(rfc1071_l4_ok(4, s + 26, s + 30, IPPROTO_UDP, s + 34, len - 34));
	assert_int_equal(p[34 + 8 + 3], 0);
	assert_int_equal(s[34 + 8 + 3], KS_F_SHADOW);
	assert_memory_equal(p + 34 + 8 + 4, f + 34 + 8 + 4, len - 34 - 8 - 4);
	assert_memory_equal(s + 34 + 8 + 4, f + 34 + 8 + 4, len - 34 - 8 - 4);
}

/* Next hop unresolved: the copy is not sent, the primary goes to the kernel. */
static void test_unresolved_next_hop(void **state)
{
	__u8 f[256];
	size_t len;
	struct tally t;
	__u32 one = 1;
	struct ks_shard s1;
	__u64 no_nh = reason_packets(KS_R_NO_NEXTHOP);

	(void)state;
	write_tables(KS_WEIGHT_BUCKETS, KS_STEER_GUE, KS_STEER_GUE);
	s1 = shard(SHADOW_IP, KS_STEER_GUE);
	s1.nh_valid = 0;
	put("ks_shards", &one, &s1);
	memset(&t, 0, sizeof(t));
	len = client_frame(f, 30001, 3);
	send_frame(f, len);
	drain(&t, 200, 100);
	assert_int_equal(t.shadow, 0);
	assert_int_equal(t.primary, 1);
	assert_int_equal(reason_packets(KS_R_NO_NEXTHOP) - no_nh, 1);
	assert_memory_equal(t.last_primary.frame + 14 + 20 + 8 + 4, f + 14, len - 14);
}

/* The primary's next hop unresolved: it is left to the kernel, counted. */
static void test_unresolved_primary(void **state)
{
	__u8 f[256];
	size_t len;
	struct tally t;
	__u32 zero = 0;
	struct ks_shard s0;
	__u64 no_nh = reason_packets(KS_R_NO_NEXTHOP), s0_before = shard_packets(0);

	(void)state;
	write_tables(KS_WEIGHT_BUCKETS, KS_STEER_GUE, KS_STEER_GUE);
	s0 = shard(PRIMARY_IP, KS_STEER_GUE);
	s0.nh_valid = 0;
	put("ks_shards", &zero, &s0);
	memset(&t, 0, sizeof(t));
	len = client_frame(f, 30002, 4);
	send_frame(f, len);
	drain(&t, 200, 100);
	assert_int_equal(t.shadow, 1);
	assert_int_equal(t.primary, 0);
	assert_int_equal(reason_packets(KS_R_NO_NEXTHOP) - no_nh, 1);
	assert_int_equal(shard_packets(0) - s0_before, 0);
}

/* IPv6 over IPv6 GUE: the outer UDP checksum (built from the inner one) verifies. */
static void test_ipv6_gue(void **state)
{
	__u8 f[256];
	size_t len;
	struct tally t;
	const __u8 *o, *in;
	enum { OUTER = 14 + 40 + 8 + 4 };

	(void)state;
	write_tables6();
	memset(&t, 0, sizeof(t));
	len = client_frame6(f, 30003, 5);
	send_frame(f, len);
	drain(&t, 200, 100);
	assert_int_equal(t.primary, 1);
	assert_int_equal(t.shadow, 1);
	for (int leg = 0; leg < 2; leg++) {
		const struct seen *s = leg ? &t.last_shadow : &t.last_primary;

		assert_int_equal(s->len, OUTER + len - 14);
		o = s->frame + 14;
		in = s->frame + OUTER;
		assert_int_equal(o[6], IPPROTO_UDP);
		assert_int_equal((o[40 + 2] << 8) | o[40 + 3], GUE_PORT);
		assert_int_equal(o[40 + 8 + 1], 41); /* GUE proto_ctype: IPv6 */
		assert_true(rfc1071_l4_ok(6, o + 8, o + 24, IPPROTO_UDP, o + 40, s->len - 14 - 40));
		assert_true(rfc1071_l4_ok(6, in + 8, in + 24, IPPROTO_UDP, in + 40, len - 14 - 40));
		assert_int_equal(in[40 + 8 + 3], leg ? KS_F_SHADOW : 0);
		assert_memory_equal(in + 40 + 8 + 4, f + 14 + 40 + 8 + 4, KS_HDR_LEN - 4 + PAYLOAD);
	}
	assert_memory_equal(t.last_primary.frame + OUTER, f + 14, len - 14);
}

/* Sampled per flow: about `percent` of distinct flows are copied. */
static void test_percent_sampled(void **state)
{
	__u8 f[256];
	size_t len;
	struct tally t;
	enum { FLOWS = 4000, PERCENT = 10 };
	double rate;
	__u64 asked = reason_packets(KS_R_SHADOW_COPY), s1_before = shard_packets(1), runs;
	/* Run-time statistics while the fd is open (figures only, not asserted). */
	int stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	double tc_ns, xdp_ns;

	(void)state;
	write_tables(PERCENT * KS_WEIGHT_BUCKETS / 100, KS_STEER_GUE, KS_STEER_GUE);
	memset(&t, 0, sizeof(t));
	for (int i = 0; i < FLOWS; i++) {
		len = client_frame(f, (__u16)(1024 + i), (__u8)i);
		send_frame(f, len);
		if (i % 32 == 31)
			drain(&t, 1, 64);
	}
	drain(&t, 300, 4 * FLOWS);
	tc_ns = ns_per_run(KS_SHADOW_PIN_NAME, &runs);
	printf("# tc ks_shadow_tc: %.0f ns per run over %llu runs (each a copy + a primary)\n",
	       tc_ns, (unsigned long long)runs);
	xdp_ns = ns_per_run(KS_PROG_PIN_NAME, &runs);
	printf("# xdp router: %.0f ns per run over %llu runs\n", xdp_ns, (unsigned long long)runs);
	if (stats_fd >= 0)
		close(stats_fd);
	print_reasons("percent");
	printf("# primaries %u, copies %u, other %u\n", t.primary, t.shadow, t.other);
	assert_int_equal(t.primary, FLOWS);
	/* Every copy the router asked for went out, and arrived. */
	assert_int_equal(reason_packets(KS_R_SHADOW_COPY) - asked, t.shadow);
	assert_int_equal(shard_packets(1) - s1_before, t.shadow);
	rate = 100.0 * t.shadow / FLOWS;
	printf("# shadow rate %.2f%% of %d flows (configured %d%%)\n", rate, FLOWS, PERCENT);
	assert_true(rate >= PERCENT - 2 && rate <= PERCENT + 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_packet_copied_to_shadow),
	    cmocka_unit_test(test_nat_primary_and_copy),
	    cmocka_unit_test(test_unresolved_next_hop),
	    cmocka_unit_test(test_unresolved_primary),
	    cmocka_unit_test(test_ipv6_gue),
	    cmocka_unit_test(test_percent_sampled),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
