/* SPDX-License-Identifier: BSD-3-Clause */
#include "ref_model.h"

#include "pkt.h"

uint64_t ref_mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static uint64_t fold(const uint8_t *a)
{
	return (uint64_t)get32(a) ^ (uint64_t)get32(a + 4) * 0x9e3779b97f4a7c15ULL ^
	       (uint64_t)get32(a + 8) * 0xc2b2ae3d27d4eb4fULL ^
	       (uint64_t)get32(a + 12) * 0x165667b19e3779f9ULL;
}

uint32_t ref_flow_hash(int family, const uint8_t *saddr, const uint8_t *daddr, uint16_t sport,
		       uint16_t dport, uint8_t proto)
{
	uint64_t ports =
	    (uint64_t)sport << 32 | (uint64_t)dport << 16 | (uint64_t)proto << 8 | (uint64_t)family;
	uint64_t addrs;

	if (family == 4) {
		addrs = (uint64_t)get32(saddr) | (uint64_t)get32(daddr) << 32;
	} else {
		uint64_t d = fold(daddr);

		addrs = fold(saddr) ^ (d << 32 | d >> 32);
	}
	return (uint32_t)ref_mix64(addrs ^ ports * 0xd6e8feb86659fd93ULL ^ 0x6b65797374656572ULL);
}

uint32_t ref_entity_hash(uint32_t entity)
{
	return (uint32_t)ref_mix64(entity ^ 0x656e746974792121ULL);
}

uint32_t ref_packet_hash(uint32_t flow_hash, uint32_t l3_entropy, uint32_t tcp_seq,
			 uint16_t udp_check)
{
	uint64_t e = (uint64_t)l3_entropy << 32 | (tcp_seq ^ udp_check);

	return (uint32_t)ref_mix64(flow_hash ^ e ^ 0x7061636b65742121ULL);
}

uint16_t ref_outer_sport(uint32_t h)
{
	return (uint16_t)(0xc000 | ((h ^ (h >> 16)) & 0x3fff));
}

uint32_t ref_flow_label(uint32_t h)
{
	uint32_t fl = (h ^ (h >> 12)) & 0xfffff;

	return fl ? fl : 1;
}

unsigned ref_target(const struct ks_route *r, uint32_t hash)
{
	unsigned bucket = hash & 0xffff;

	for (unsigned i = 0; i < r->n_targets; i++)
		if (r->t[i].last >= bucket)
			return i;
	return r->n_targets - 1;
}
