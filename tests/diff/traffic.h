/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The differential test's inputs: a rule set and a capture of thousands of
 * frames that exercise every branch of the decision flow (tests/diff/
 * traffic.c). Three scenarios, because NAT shards are only valid in a rule
 * set whose listeners all have the shard's family:
 *   DIFF_MIXED  IPv4 and IPv6 listeners, GUE and IP-in-IP shards of both
 *               families, weights, every sticky mode, shadow routes;
 *               default pass
 *   DIFF_NAT4   IPv4 listeners, NAT and GUE shards, replies; default drop
 *   DIFF_NAT6   the same over IPv6
 * Every frame is built byte by byte by tests/bpf/pkt.c, with a random mix of
 * 0, 1 or 2 VLAN tags, flows, entities and TTLs, plus every malformed kind
 * (truncation at every header, bad lengths, fragments, extension headers).
 */
#ifndef KS_TEST_DIFF_TRAFFIC_H
#define KS_TEST_DIFF_TRAFFIC_H

#include <stddef.h>
#include <stdint.h>

enum diff_scenario { DIFF_MIXED, DIFF_NAT4, DIFF_NAT6, DIFF_N };

/* Next hops both fast paths are given (keysteer-dpdk options; XDP shard blocks). */
#define DIFF_SRC4   "192.0.2.1"
#define DIFF_SRC6   "2001:db8:ffff::1"
#define DIFF_GW4    "192.0.2.254"
#define DIFF_GW6    "2001:db8:ffff::fe"
#define DIFF_GW_MAC "02:00:5e:00:01:fe"
#define DIFF_MTU    1500

struct diff_frame {
	uint8_t *data;
	size_t len;
};

struct diff_traffic {
	char *rules; /* JSON */
	size_t n;
	struct diff_frame *f;
};

/* Build a scenario's rule set and frames (deterministic for a seed). */
void diff_traffic_make(struct diff_traffic *t, enum diff_scenario s, unsigned seed);
void diff_traffic_free(struct diff_traffic *t);

/* Write frames as a pcap file (Ethernet). 0 or -1. */
int diff_write_pcap(const char *path, const struct diff_frame *f, size_t n);
/* Read a pcap file written by a fast path. Frames allocated; 0 or -1. */
int diff_read_pcap(const char *path, struct diff_frame **f, size_t *n);
void diff_frames_free(struct diff_frame *f, size_t n);

#endif
