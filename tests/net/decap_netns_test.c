/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The decapsulator on a real interface: encapsulated frames (built byte by
 * byte, sent with an AF_PACKET socket on one end of a veth) arrive at the
 * other end, where `keysteer decap attach` put the program; the inner UDP
 * datagrams must reach ordinary UDP sockets. This kernel has no fou/ipip
 * modules, so without the decapsulator nothing arrives (checked too).
 * Everything lives in the test's own network namespace.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>
#include <bpf/libbpf.h>

#include "backend/decap_loader.h"
#include "cli/cmd_bpf.h"
#include "../bpf/decap_pkt.h"
#include "nsutil.h"

#ifndef KS_BUILD
#define KS_BUILD "build"
#endif
#define DECAP_OBJ KS_BUILD "/bpf/ks_decap.bpf.o"
#define ROOT	  "/sys/fs/bpf/ks-decap-netns"

static char ifa[IF_NAMESIZE], ifb[IF_NAMESIZE];
static int tx_fd, rx4_fd, rx6_fd, gue_fd;
static struct ks_pkt_addrs addrs;

static int udp_bind(int family, const char *addr, uint16_t port)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (family == AF_INET) {
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
		inet_pton(AF_INET, addr, &sa.sin_addr);
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
			return -1;
	} else {
		struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
		inet_pton(AF_INET6, addr, &sa.sin6_addr);
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
			return -1;
	}
	return fd;
}

static int mac_of(const char *ifname, uint8_t *mac)
{
	char out[64];
	unsigned v[6];

	if (ks_sh_out(out, sizeof(out), "cat /sys/class/net/%s/address", ifname) ||
	    sscanf(out, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

static int group_setup(void **state)
{
	char msg[256];
	int pid = (int)getpid() % 100000;

	(void)state;
	if (ks_ns_enter_private(msg, sizeof(msg))) {
		fprintf(stderr, "%s\n", msg);
		return -1;
	}
	snprintf(ifa, sizeof(ifa), "kda%d", pid);
	snprintf(ifb, sizeof(ifb), "kdb%d", pid);
	if (ks_sh("ip link add %s type veth peer name %s", ifa, ifb) ||
	    ks_sh("ip link set %s up && ip link set %s up", ifa, ifb) ||
	    ks_sh("ip addr add 10.77.0.2/24 dev %s", ifb) ||
	    ks_sh("ip -6 addr add fd77::2/64 dev %s nodad", ifb) ||
	    /* The inner destinations: a shard's VIP lives on lo (direct server return). */
	    ks_sh("ip addr add 203.0.113.10/32 dev lo") ||
	    ks_sh("ip -6 addr add 2001:db8:ee00::a/128 dev lo nodad") ||
	    /* Inner sources are remote clients with no route back: no reverse-path check. */
	    ks_sh("for c in all default %s; do echo 0 >/proc/sys/net/ipv4/conf/$c/rp_filter; done",
		  ifb))
		return -1;

	addrs = ks_pkt_default_addrs;
	if (mac_of(ifb, addrs.dmac) || mac_of(ifa, addrs.smac))
		return -1;
	inet_pton(AF_INET, "10.77.0.2", addrs.outer_dst4);
	inet_pton(AF_INET6, "fd77::2", addrs.outer_dst6);

	tx_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	rx4_fd = udp_bind(AF_INET, "203.0.113.10", 7000);
	rx6_fd = udp_bind(AF_INET6, "2001:db8:ee00::a", 7000);
	gue_fd = udp_bind(AF_INET, "10.77.0.2", 6081);
	if (tx_fd < 0 || rx4_fd < 0 || rx6_fd < 0 || gue_fd < 0) {
		fprintf(stderr, "sockets: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	close(tx_fd);
	close(rx4_fd);
	close(rx6_fd);
	close(gue_fd);
	return 0;
}

static void send_frame(const uint8_t *frame, size_t len)
{
	struct sockaddr_ll sll = {
	    .sll_family = AF_PACKET,
	    .sll_ifindex = (int)if_nametoindex(ifa),
	    .sll_halen = 6,
	};

	memcpy(sll.sll_addr, addrs.dmac, 6);
	assert_int_equal(sendto(tx_fd, frame, len, 0, (struct sockaddr *)&sll, sizeof(sll)),
			 (ssize_t)len);
}

/* A datagram on fd within timeout_ms: its length (payload into buf, source into src), or -1. */
static ssize_t recv_within(int fd, uint8_t *buf, size_t len, int timeout_ms,
			   struct sockaddr_storage *src)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	socklen_t sl = sizeof(*src);

	if (poll(&p, 1, timeout_ms) != 1)
		return -1;
	return recvfrom(fd, buf, len, 0, (struct sockaddr *)src, &sl);
}

static int decap_cmd(const char *verb, const char *mode)
{
	char root[] = ROOT, obj[] = DECAP_OBJ;
	char *argv[] = {"decap", (char *)verb, "--iface",    ifb,	   "--pin-root", root,
			"--obj", obj,	       "--xdp-mode", (char *)mode, NULL};

	return ks_cmd_decap(mode ? 10 : 6, argv);
}

static void deliveries(const char *mode)
{
	static uint8_t frame[2048], buf[2048];
	struct ks_decap_counter c[KS_DECAP_MAX];
	int n = 0;
	__u16 port;

	assert_int_equal(decap_cmd("attach", mode), 0);
	for (int outer = 4; outer <= 6; outer += 2)
		for (int e = KS_ENC_GUE; e <= KS_ENC_IPIP; e++)
			for (int inner = 4; inner <= 6; inner += 2) {
				char payload[96];
				struct ks_pkt_spec s = {
				    .outer = outer,
				    .encap = e,
				    .inner = inner,
				    .gue_port = 6080,
				    .sport = 5555,
				    .dport = 7000,
				    .a = &addrs,
				};
				struct sockaddr_storage src;
				size_t len;
				ssize_t got;
				char from[64];

				snprintf(payload, sizeof(payload), "%s outer v%d %s inner v%d",
					 mode, outer, e == KS_ENC_GUE ? "GUE" : "IPIP", inner);
				s.payload = (const uint8_t *)payload;
				s.payload_len = strlen(payload);
				len = ks_pkt_frame(frame, &s, NULL);
				send_frame(frame, len);
				got = recv_within(inner == 4 ? rx4_fd : rx6_fd, buf, sizeof(buf),
						  3000, &src);
				if (got < 0)
					fail_msg("%s: not delivered", payload);
				assert_int_equal(got, (ssize_t)s.payload_len);
				assert_memory_equal(buf, payload, s.payload_len);
				/* The client's address, as the shard must see it to reply directly.
				 */
				if (inner == 4) {
					struct sockaddr_in *sa = (struct sockaddr_in *)&src;
					inet_ntop(AF_INET, &sa->sin_addr, from, sizeof(from));
					assert_string_equal(from, "198.51.100.7");
					assert_int_equal(ntohs(sa->sin_port), 5555);
				} else {
					struct sockaddr_in6 *sa = (struct sockaddr_in6 *)&src;
					inet_ntop(AF_INET6, &sa->sin6_addr, from, sizeof(from));
					assert_string_equal(from, "2001:db8:c100::7");
					assert_int_equal(ntohs(sa->sin6_port), 5555);
				}
				n++;
			}
	assert_int_equal(n, 8);
	assert_int_equal(ks_decap_read(ROOT, c, &port), 0);
	assert_int_equal(port, 6080);
	assert_int_equal(c[KS_DECAP_GUE].packets, 4);
	assert_int_equal(c[KS_DECAP_IPIP].packets, 4);
	assert_int_equal(c[KS_DECAP_MALFORMED].packets, 0);
}

/* GUE to a port that is not ours reaches the UDP socket as it was sent. */
static void others_untouched(void)
{
	static uint8_t frame[2048], buf[2048];
	struct ks_pkt_spec s = {.outer = 4,
				.encap = KS_ENC_GUE,
				.inner = 4,
				.gue_port = 6081,
				.sport = 1,
				.dport = 7000,
				.payload = (const uint8_t *)"x",
				.payload_len = 1,
				.a = &addrs};
	struct sockaddr_storage src;
	size_t inner_off, len = ks_pkt_frame(frame, &s, &inner_off);
	ssize_t got;

	send_frame(frame, len);
	got = recv_within(gue_fd, buf, sizeof(buf), 3000, &src);
	assert_int_equal(got, (ssize_t)(len - (inner_off - 4)));
	assert_memory_equal(buf, frame + inner_off - 4, (size_t)got);
}

static void nothing_arrives(void)
{
	static uint8_t frame[2048], buf[2048];
	struct ks_pkt_spec s = {.outer = 4,
				.encap = KS_ENC_IPIP,
				.inner = 4,
				.gue_port = 6080,
				.sport = 5555,
				.dport = 7000,
				.payload = (const uint8_t *)"none",
				.payload_len = 4,
				.a = &addrs};
	struct sockaddr_storage src;
	size_t len = ks_pkt_frame(frame, &s, NULL);

	send_frame(frame, len);
	s.encap = KS_ENC_GUE;
	len = ks_pkt_frame(frame, &s, NULL);
	send_frame(frame, len);
	assert_int_equal(recv_within(rx4_fd, buf, sizeof(buf), 500, &src), -1);
}

/* A failed test must not leave the program attached for the next one. */
static int teardown(void **state)
{
	char msg[256];

	(void)state;
	ks_decap_detach(ROOT, ifb, msg, sizeof(msg));
	ks_sh("ip link set %s xdp off; ip link set %s xdpgeneric off", ifb, ifb);
	return 0;
}

static void test_without_decapsulator_nothing_arrives(void **state)
{
	(void)state;
	nothing_arrives();
}

static void test_native(void **state)
{
	__u32 id = 0;

	(void)state;
	deliveries("native");
	assert_int_equal(bpf_xdp_query_id((int)if_nametoindex(ifb), XDP_FLAGS_DRV_MODE, &id), 0);
	assert_true(id != 0);
	others_untouched();
	assert_int_equal(decap_cmd("detach", NULL), 0);
	assert_int_equal(bpf_xdp_query_id((int)if_nametoindex(ifb), XDP_FLAGS_DRV_MODE, &id), 0);
	assert_int_equal(id, 0);
	/* The last detach removed the pins. */
	assert_int_equal(access(ROOT, F_OK), -1);
	nothing_arrives();
}

static void test_generic(void **state)
{
	__u32 id = 0;

	(void)state;
	deliveries("generic");
	assert_int_equal(bpf_xdp_query_id((int)if_nametoindex(ifb), XDP_FLAGS_SKB_MODE, &id), 0);
	assert_true(id != 0);
	others_untouched();
	assert_int_equal(decap_cmd("detach", NULL), 0);
	nothing_arrives();
}

static void test_cli_errors(void **state)
{
	char root[] = ROOT;
	char *noiface[] = {"decap", "attach", "--pin-root", root, NULL};
	char *badport[] = {"decap", "attach", "--iface", ifb, "--gue-port", "70000", NULL};
	char *noverb[] = {"decap", NULL};
	char *nodev[] = {"decap", "attach", "--iface", "nosuchdev0", "--pin-root", root, NULL};
	char *notattached[] = {"decap", "detach", "--iface", ifb, "--pin-root", root, NULL};

	(void)state;
	assert_int_equal(ks_cmd_decap(4, noiface), 2);
	assert_int_equal(ks_cmd_decap(6, badport), 2);
	assert_int_equal(ks_cmd_decap(1, noverb), 2);
	assert_int_equal(ks_cmd_decap(6, nodev), 1);
	assert_int_equal(access(ROOT, F_OK), -1); /* a failed first attach leaves no pins */
	assert_int_equal(ks_cmd_decap(6, notattached), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_without_decapsulator_nothing_arrives),
	    cmocka_unit_test_teardown(test_native, teardown),
	    cmocka_unit_test_teardown(test_generic, teardown),
	    cmocka_unit_test_teardown(test_cli_errors, teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
