/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The router's decisions recomputed from their written definitions
 * (include/keysteer/hash.h, docs/xdp.md), on packet bytes, without the
 * router's code: the tests check that both agree. The hashes are a contract
 * between fast paths, so a change there must show up here.
 */
#ifndef KS_TEST_REF_MODEL_H
#define KS_TEST_REF_MODEL_H

#include <stdint.h>
#include <keysteer/table.h>

uint64_t ref_mix64(uint64_t x);
/* Addresses as bytes (4 or 16), ports host order. */
uint32_t ref_flow_hash(int family, const uint8_t *saddr, const uint8_t *daddr, uint16_t sport,
		       uint16_t dport, uint8_t proto);
uint32_t ref_entity_hash(uint32_t entity);
/* l3_entropy: IPv4 ID, or the IPv6 first word; l4: UDP checksum or TCP sequence number. */
uint32_t ref_packet_hash(uint32_t flow_hash, uint32_t l3_entropy, uint32_t tcp_seq,
			 uint16_t udp_check);
uint16_t ref_outer_sport(uint32_t flow_hash);
uint32_t ref_flow_label(uint32_t flow_hash);
/* First target whose `last` is at or above the low 16 bits of hash. */
unsigned ref_target(const struct ks_route *r, uint32_t hash);

#endif
