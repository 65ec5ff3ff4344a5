/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `keysteer tag` (ctl/cli/cmd_tag.c, ctl/client/ks_tag.c, bpf/ks_tag.bpf.c)
 * with real kernel TCP connections. The test runs in a network namespace of
 * its own (loopback only) and in two cgroup v2 directories it creates:
 * connections from a process in the tagged one must carry the keysteer
 * option on their SYN, byte for byte, at a 4-byte boundary; their SYN-ACKs
 * and later segments, and every segment of connections from the other
 * directory, must not. Segments are captured with an AF_PACKET socket.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/cmd_tag.h"
#include "client/ks_client.h"
#include "client/ks_tag.h"

#define KEY1 "ContinueWatchingRanking/demo/home"
#define KEY2 "FraudScore/demo/checkout"

static char base[PATH_MAX], tagged[PATH_MAX + 16], sub[PATH_MAX + 16], plain[PATH_MAX + 16];
static int cap_fd = -1, srv_fd = -1;
static uint16_t srv_port;

/* What the capture saw of one connection. */
struct conn_seen {
	int syns;	    /* client SYNs */
	int syn_opts;	    /* ... that carried a kind-253 option */
	uint8_t opt[16];    /* the first such option */
	int opt_offset;	    /* its offset from the start of the TCP header */
	int other_segments; /* SYN-ACKs and later segments, both directions */
	int other_with_opt; /* ... that carried kind 253 */
};

static int run(const char *a0, const char *a1, const char *a2, const char *a3, const char *a4,
	       const char *a5, const char *a6)
{
	char *argv[] = {(char *)a0, (char *)a1, (char *)a2, (char *)a3,
			(char *)a4, (char *)a5, (char *)a6, NULL};
	int argc = 0;

	while (argv[argc])
		argc++;
	return ks_cmd_tag(argc, argv);
}

static int lo_up(void)
{
	struct ifreq ifr = {0};
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	int rc;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	rc = ioctl(fd, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP;
	rc = rc ? rc : ioctl(fd, SIOCSIFFLAGS, &ifr);
	close(fd);
	return rc;
}

static int setup(void **state)
{
	char mnt[PATH_MAX - 64], msg[256];
	struct sockaddr_ll ll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL)};
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);

	(void)state;
	if (unshare(CLONE_NEWNET) || lo_up()) {
		fprintf(stderr, "test_tag: cannot make a network namespace: %s\n", strerror(errno));
		return -1;
	}
	if (ks_cgroup2_ensure(mnt, sizeof(mnt), msg, sizeof(msg))) {
		fprintf(stderr, "test_tag: no cgroup2: %s\n", msg);
		return -1;
	}
	snprintf(base, sizeof(base), "%s/ks-tag-test-%d", mnt, (int)getpid());
	snprintf(tagged, sizeof(tagged), "%s/tagged", base);
	snprintf(sub, sizeof(sub), "%s/tagged/child", base);
	snprintf(plain, sizeof(plain), "%s/plain", base);
	if (mkdir(base, 0755) || mkdir(tagged, 0755) || mkdir(sub, 0755) || mkdir(plain, 0755)) {
		fprintf(stderr, "test_tag: mkdir under %s: %s\n", mnt, strerror(errno));
		return -1;
	}
	srv_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (bind(srv_fd, (struct sockaddr *)&a, sizeof(a)) || listen(srv_fd, 16) ||
	    getsockname(srv_fd, (struct sockaddr *)&a, &alen))
		return -1;
	srv_port = ntohs(a.sin_port);
	cap_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	ll.sll_ifindex = (int)if_nametoindex("lo");
	if (cap_fd < 0 || bind(cap_fd, (struct sockaddr *)&ll, sizeof(ll))) {
		fprintf(stderr, "test_tag: AF_PACKET capture: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	unsigned removed;
	char msg[256];

	(void)state;
	if (cap_fd >= 0)
		close(cap_fd);
	if (srv_fd >= 0)
		close(srv_fd);
	if (base[0]) {
		ks_tag_detach(tagged, &removed, msg, sizeof(msg));
		rmdir(sub);
		rmdir(tagged);
		rmdir(plain);
		rmdir(base);
	}
	return 0;
}

static void drain_capture(void)
{
	char buf[2048];

	while (recv(cap_fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

/*
 * A child process joins cgroup dir, connects to the server, sends 4 bytes,
 * reads the answer and exits. Returns the client's port (0 on failure).
 */
static uint16_t connect_from(const char *dir)
{
	char procs[PATH_MAX + 16], buf[8];
	struct sockaddr_in peer;
	socklen_t plen = sizeof(peer);
	int status = -1, c;
	pid_t pid;

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
	pid = fork();
	if (pid == 0) {
		struct sockaddr_in a = {.sin_family = AF_INET,
					.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
					.sin_port = htons(srv_port)};
		int fd = open(procs, O_WRONLY), s;

		if (fd < 0 || write(fd, "0", 1) != 1)
			_exit(10);
		close(fd);
		s = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(s, (struct sockaddr *)&a, sizeof(a)) || write(s, "ping", 4) != 4 ||
		    read(s, buf, 4) != 4)
			_exit(11);
		close(s);
		_exit(0);
	}
	c = accept(srv_fd, (struct sockaddr *)&peer, &plen);
	if (c >= 0) {
		if (read(c, buf, 4) == 4 && write(c, "pong", 4) == 4) {
			/* the child closes first */
		}
		close(c);
	}
	waitpid(pid, &status, 0);
	if (c < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return 0;
	return ntohs(peer.sin_port);
}

/* Offset of a kind-253 option in a TCP header's options, or -1. */
static int find_opt(const uint8_t *tcp, size_t doff)
{
	size_t i = 20;

	while (i < doff) {
		uint8_t kind = tcp[i];

		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= doff || tcp[i + 1] < 2)
			break;
		if (kind == 253)
			return (int)i;
		i += tcp[i + 1];
	}
	return -1;
}

/* Read the capture for up to 300 ms after the connection and classify. */
static void collect(uint16_t cport, struct conn_seen *s)
{
	struct timespec t0, t;
	uint8_t buf[2048];

	memset(s, 0, sizeof(*s));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 1000; i++) {
		struct sockaddr_ll from;
		socklen_t flen = sizeof(from);
		struct pollfd pfd = {.fd = cap_fd, .events = POLLIN};
		ssize_t n;

		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 > 300)
			break;
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		n = recvfrom(cap_fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
		if (n < 14 + 20 + 20 || from.sll_pkttype == PACKET_OUTGOING)
			continue;
		const uint8_t *ip = buf + 14;
		size_t ihl = (size_t)(ip[0] & 0xf) * 4;
		if ((ip[0] >> 4) != 4 || ip[9] != IPPROTO_TCP || (size_t)n < 14 + ihl + 20)
			continue;
		const uint8_t *tcp = ip + ihl;
		uint16_t sport = (uint16_t)(tcp[0] << 8 | tcp[1]);
		uint16_t dport = (uint16_t)(tcp[2] << 8 | tcp[3]);
		size_t doff = (size_t)(tcp[12] >> 4) * 4;
		uint8_t flags = tcp[13];
		int off;

		if ((size_t)n < 14 + ihl + doff)
			continue;
		if (!((sport == cport && dport == srv_port) ||
		      (sport == srv_port && dport == cport)))
			continue;
		off = find_opt(tcp, doff);
		if (sport == cport && (flags & 0x12) == 0x02) {
			s->syns++;
			if (off >= 0) {
				if (s->syn_opts++ == 0 && off + 16 <= (int)doff) {
					memcpy(s->opt, tcp + off, 16);
					s->opt_offset = off;
				}
			}
		} else {
			s->other_segments++;
			if (off >= 0)
				s->other_with_opt++;
		}
	}
}

static void expect_tagged(const char *dir, const char *key, uint32_t entity)
{
	struct conn_seen s;
	uint8_t want[16];
	uint64_t k;
	uint16_t port;

	drain_capture();
	port = connect_from(dir);
	assert_int_not_equal(port, 0);
	collect(port, &s);
	ks_client_key(key, &k);
	ks_client_tcpopt(want, k, entity);
	assert_int_equal(s.syns, 1);
	assert_int_equal(s.syn_opts, 1);
	assert_memory_equal(s.opt, want, 16);
	assert_int_equal(s.opt_offset % 4, 0);
	assert_true(s.other_segments >= 5); /* SYN-ACK, ACK, data both ways, FINs */
	assert_int_equal(s.other_with_opt, 0);
}

static void expect_untagged(const char *dir)
{
	struct conn_seen s;
	uint16_t port;

	drain_capture();
	port = connect_from(dir);
	assert_int_not_equal(port, 0);
	collect(port, &s);
	assert_int_equal(s.syns, 1);
	assert_int_equal(s.syn_opts, 0);
	assert_true(s.other_segments >= 5);
	assert_int_equal(s.other_with_opt, 0);
}

static void test_untagged_before(void **state)
{
	(void)state;
	expect_untagged(tagged);
	expect_untagged(plain);
}

static void test_tag_and_show(void **state)
{
	struct ks_tag_info t[4];
	char msg[256];
	size_t n;

	(void)state;
	assert_int_equal(run("tag", "--cgroup", tagged, "--key", KEY1, "--entity", "12345"), 0);
	expect_tagged(tagged, KEY1, 12345);
	expect_tagged(tagged, KEY1, 12345);
	/* Descendants are tagged too; the sibling is not. */
	expect_tagged(sub, KEY1, 12345);
	expect_untagged(plain);
	assert_int_equal(ks_tag_show(tagged, t, 4, &n, msg, sizeof(msg)), 0);
	assert_int_equal(n, 1);
	assert_true(t[0].key == 0x323b4c6d4e5288adULL);
	assert_int_equal(t[0].entity, 12345);
	assert_int_equal(t[0].syns, 3);
	assert_int_equal(t[0].no_room, 0);
	assert_int_equal(ks_tag_show(plain, t, 4, &n, msg, sizeof(msg)), 0);
	assert_int_equal(n, 0);
	assert_int_equal(run("tag", "--cgroup", tagged, NULL, NULL, NULL, NULL), 0);
}

static void test_retag_replaces(void **state)
{
	struct ks_tag_info t[4];
	char msg[256];
	size_t n;

	(void)state;
	assert_int_equal(run("tag", "--cgroup", tagged, "--key", KEY2, "--entity", "0x7"), 0);
	assert_int_equal(ks_tag_show(tagged, t, 4, &n, msg, sizeof(msg)), 0);
	assert_int_equal(n, 1); /* replaced, not stacked */
	assert_true(t[0].key == 0x90d7585040eec842ULL);
	expect_tagged(tagged, KEY2, 7);
	/* A literal key, default entity. */
	assert_int_equal(run("tag", "--cgroup", tagged, "--key", "0x9f3a00c2d41e7b05", NULL, NULL),
			 0);
	expect_tagged(tagged, "0x9f3a00c2d41e7b05", 0);
}

static void test_remove(void **state)
{
	struct ks_tag_info t[4];
	char msg[256];
	size_t n;

	(void)state;
	assert_int_equal(run("tag", "--cgroup", tagged, "--remove", NULL, NULL, NULL), 0);
	assert_int_equal(ks_tag_show(tagged, t, 4, &n, msg, sizeof(msg)), 0);
	assert_int_equal(n, 0);
	expect_untagged(tagged);
	expect_untagged(sub);
	/* Removing again is not an error. */
	assert_int_equal(run("tag", "--cgroup", tagged, "--remove", NULL, NULL, NULL), 0);
}

static void test_usage(void **state)
{
	(void)state;
	assert_int_equal(run("tag", "--key", KEY1, NULL, NULL, NULL, NULL), 2);
	assert_int_equal(run("tag", "--cgroup", tagged, "--key", KEY1, "--entity", "4294967296"),
			 2);
	assert_int_equal(run("tag", "--cgroup", tagged, "--key", KEY1, "--entity", "-1"), 2);
	assert_int_equal(run("tag", "--cgroup", tagged, "--entity", "1", NULL, NULL), 2);
	assert_int_equal(run("tag", "--cgroup", tagged, "--remove", "--key", KEY1, NULL), 2);
	assert_int_equal(run("tag", "--cgroup", tagged, "--bogus", NULL, NULL, NULL), 2);
	assert_int_equal(run("tag", "--cgroup", tagged, "extra", NULL, NULL, NULL), 2);
	/* Not a cgroup v2 directory: the kernel is never asked. */
	assert_int_equal(run("tag", "--cgroup", "/tmp", "--key", KEY1, NULL, NULL), 1);
	assert_int_equal(run("tag", "--cgroup", "/proc/self", NULL, NULL, NULL, NULL), 1);
	/* Show and remove do not create directories. */
	assert_int_equal(run("tag", "--cgroup", "ks-tag-test-no-such-dir", NULL, NULL, NULL, NULL),
			 1);
	assert_int_equal(run("tag", "--help", NULL, NULL, NULL, NULL, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_untagged_before), cmocka_unit_test(test_tag_and_show),
	    cmocka_unit_test(test_retag_replaces),  cmocka_unit_test(test_remove),
	    cmocka_unit_test(test_usage),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
