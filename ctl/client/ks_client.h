/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keysteer client library: what a UDP client needs to be steered by key, and
 * what a shard needs to read what it receives. The wire format is
 * docs/wire-format.md (include/keysteer/wire.h); this is its application
 * side, with plain C types and errno-style results.
 *
 *   uint64_t key;
 *   ks_client_key("ContinueWatchingRanking/demo/home", &key);
 *   ks_client_sendto(fd, key, user_hash, KS_CLIENT_ENTITY, req, req_len,
 *                    (struct sockaddr *)&listener, sizeof(listener));
 *
 * The header and the payload leave in one datagram without being copied
 * together (sendmsg with two iovecs).
 */
#ifndef KS_CLIENT_H
#define KS_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#define KS_CLIENT_HDR_LEN    16
#define KS_CLIENT_TCPOPT_LEN 16

/* Flags a client may set (wire.h KS_F_*). SHADOW is the router's alone. */
#define KS_CLIENT_ENTITY    0x01 /* pick the target by entity, not by flow */
#define KS_CLIENT_SYNTHETIC 0x02 /* test or replayed traffic */
#define KS_CLIENT_SHADOW    0x04 /* only ever seen on receive (shadow copies) */

/*
 * The 64-bit routing key of a key as written in a rule set: "0x" and 1 to 16
 * hex digits is the key itself, anything else is hashed (FNV-1a 64 over its
 * bytes). Returns 1 for a literal, 0 for a hashed text, -EINVAL for NULL.
 */
int ks_client_key(const char *text, uint64_t *key);

/*
 * Write the 16-byte routing header into out. flags may combine ENTITY and
 * SYNTHETIC; SHADOW or reserved bits give -EINVAL (the router would drop a
 * client packet with SHADOW). 0 on success.
 */
int ks_client_header(uint8_t out[KS_CLIENT_HDR_LEN], uint64_t key, uint32_t entity, uint8_t flags);

/* Write the 16-byte TCP option (kind 253, length 16, ExID 0x4B53, key, entity). */
void ks_client_tcpopt(uint8_t out[KS_CLIENT_TCPOPT_LEN], uint64_t key, uint32_t entity);

/*
 * Send one keyed datagram: header then payload (len may be 0). `to` may be
 * NULL on a connected socket. Returns the payload bytes sent (header not
 * counted), or -errno (-EINVAL for bad flags, -EMSGSIZE if the kernel sent
 * only part).
 */
ssize_t ks_client_sendto(int fd, uint64_t key, uint32_t entity, uint8_t flags, const void *payload,
			 size_t len, const struct sockaddr *to, socklen_t tolen);

/* A received datagram's routing header, decoded. */
struct ks_client_hdr {
	uint64_t key;
	uint32_t entity;
	uint8_t flags;
};

/*
 * Shard side: decode the header at the start of a received datagram and point
 * *payload past it. -EBADMSG when the datagram is shorter than 16 bytes or
 * its magic or version is wrong. SHADOW is reported in flags, not refused:
 * a shard processes shadow copies but does not answer them.
 */
int ks_client_parse(const void *dgram, size_t len, struct ks_client_hdr *h, const void **payload,
		    size_t *payload_len);

#endif
