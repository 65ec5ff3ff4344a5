/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hand-built test packets: Ethernet (+ tags), IPv4 (+ options) or IPv6
 * (+ one extension header), UDP or TCP (+ options), payload. Every length and
 * checksum is filled in correctly (tests/bpf/rfc1071.c) unless the test
 * spoils it afterwards. Written byte by byte, independently of the router's
 * own header structs.
 */
#ifndef KS_TEST_PKT_H
#define KS_TEST_PKT_H

#include <stddef.h>
#include <stdint.h>

#define PKT_MAX 2048
/* The builder puts the frame at this offset of aligned buffers (NET_IP_ALIGN). */
#define PKT_ALIGN_PAD 2

struct pkt_spec {
	int family;    /* 4 or 6 */
	uint8_t proto; /* 17, 6, or anything else (then no L4 header is built) */
	uint8_t smac[6], dmac[6];
	int n_vlans; /* up to 3 */
	uint16_t vlan_tpid[3];
	uint16_t vlan_tci[3];
	uint16_t ethertype; /* 0: from family */
	uint8_t saddr[16], daddr[16];
	uint16_t sport, dport;
	uint8_t ttl, tos;
	uint16_t ip_id;
	uint16_t frag_off; /* flags + offset, host order */
	uint8_t ip_opts[40];
	int ip_opts_len; /* multiple of 4 */
	uint32_t flow_label;
	int v6_ext; /* nonzero: an 8-byte extension header first, of type: */
	uint8_t v6_exthdr;
	uint8_t tcp_flags;
	uint32_t seq, ack;
	uint8_t tcp_opts[40];
	int tcp_opts_len; /* multiple of 4 */
	const uint8_t *payload;
	size_t payload_len;
	int udp_zero_csum;
};

/* Offsets of the headers in a built frame. */
struct pkt_layout {
	size_t len;
	size_t l3; /* IP header */
	size_t l4; /* UDP/TCP header */
	size_t payload;
};

/* Defaults: MACs, TTL 64, addresses from strings ("10.0.0.1", "2001:db8::1"). */
void pkt_init(struct pkt_spec *s, int family, uint8_t proto, const char *src, const char *dst,
	      uint16_t sport, uint16_t dport);
void pkt_addr(int family, const char *text, uint8_t out[16]);

/* Build into buf; returns the frame length (0 if it does not fit). */
size_t pkt_build(const struct pkt_spec *s, uint8_t *buf, size_t cap, struct pkt_layout *lay);

/* A keysteer routing header (UDP payload form), 16 bytes. */
void pkt_ks_header(uint8_t out[16], uint64_t key, uint32_t entity, uint8_t flags);
/*
 * Linux-like SYN options with the keysteer option appended: MSS, SACK-OK,
 * timestamps, NOP, window scale, then kind 253 (36 bytes). Returns length.
 */
int pkt_syn_options(uint8_t out[40], uint64_t key, uint32_t entity);

uint16_t get16(const uint8_t *p);
uint32_t get32(const uint8_t *p);
void put16(uint8_t *p, uint16_t v);
void put32(uint8_t *p, uint32_t v);

#endif
