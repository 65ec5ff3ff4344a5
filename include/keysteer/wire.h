/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keysteer wire format v1: the 16-byte routing header clients put at the start
 * of a UDP payload, and the 16-byte TCP option (kind 253, RFC 6994 ExID 0x4B53)
 * they put on a SYN. See docs/wire-format.md for the client-facing spec.
 *
 * Decoding works on a bounded byte range so that the same code passes the BPF
 * verifier (the caller proves [p, p + KS_HDR_LEN) is inside the packet) and is
 * safe in userspace.
 */
#ifndef KEYSTEER_WIRE_H
#define KEYSTEER_WIRE_H

#include <keysteer/compat.h>

#define KS_MAGIC   0x4B53 /* "KS" */
#define KS_VERSION 1
#define KS_HDR_LEN 16

#define KS_F_ENTITY    0x01 /* choose the target by entity, not by flow */
#define KS_F_SYNTHETIC 0x02 /* test or replayed traffic */
#define KS_F_SHADOW    0x04 /* set only by the router on shadow copies */
#define KS_F_KNOWN     (KS_F_ENTITY | KS_F_SYNTHETIC | KS_F_SHADOW)

#define KS_TCPOPT_KIND 253 /* RFC 6994 experimental option */
#define KS_TCPOPT_LEN  16  /* kind, len, ExID(2), key(8), entity(4) */
#define KS_TCPOPT_EXID KS_MAGIC

/*
 * The routing header as it sits on the wire; all fields network order. Not
 * packed: its fields fall on their natural offsets, and it starts 8 bytes
 * into the UDP header, so it is 4-byte aligned wherever the IP header is
 * (keysteer/proto.h: callers keep it so). A packed struct would make the BPF
 * backend read it a byte at a time (16 loads and the shifts to join them);
 * natural alignment gives three word loads.
 */
struct ks_hdr {
	__be16 magic;
	__u8 version;
	__u8 flags;
	__be32 key_hi; /* routing_key, most significant half */
	__be32 key_lo; /* routing_key, least significant half */
	__be32 entity;
};
KS_STATIC_ASSERT(sizeof(struct ks_hdr) == KS_HDR_LEN, "wire header is 16 bytes");
KS_STATIC_ASSERT(__builtin_offsetof(struct ks_hdr, key_hi) == 4 &&
		     __builtin_offsetof(struct ks_hdr, entity) == 12,
		 "wire header fields at their wire offsets");

/*
 * The TCP option form: kind, length, then ExID where the UDP form has magic.
 * Packed: an option may start at any byte of the options area.
 */
struct ks_tcpopt {
	__u8 kind;
	__u8 len;
	__be16 exid;
	__be32 key_hi;
	__be32 key_lo;
	__be32 entity;
} __attribute__((packed));
KS_STATIC_ASSERT(sizeof(struct ks_tcpopt) == KS_TCPOPT_LEN, "TCP option is 16 bytes");

/* A decoded header in host order, whichever form it arrived in. */
struct ks_header {
	__u64 routing_key;
	__u32 entity;
	__u8 flags;
};

enum ks_decode_result {
	KS_DECODE_OK = 0,
	KS_DECODE_BAD_MAGIC,
	KS_DECODE_BAD_VERSION,
	KS_DECODE_CLIENT_SHADOW, /* a client may never send SHADOW */
};

KS_INLINE __u64 ks_join_key(__be32 hi, __be32 lo)
{
	return ((__u64)ks_ntohl(hi) << 32) | ks_ntohl(lo);
}

/* Decode a UDP-form header. Unknown flag bits are ignored (kept in flags). */
KS_INLINE enum ks_decode_result ks_hdr_decode(const struct ks_hdr *h, struct ks_header *out)
{
	if (h->magic != ks_htons(KS_MAGIC))
		return KS_DECODE_BAD_MAGIC;
	if (h->version != KS_VERSION)
		return KS_DECODE_BAD_VERSION;
	out->flags = h->flags;
	out->routing_key = ks_join_key(h->key_hi, h->key_lo);
	out->entity = ks_ntohl(h->entity);
	if (h->flags & KS_F_SHADOW)
		return KS_DECODE_CLIENT_SHADOW;
	return KS_DECODE_OK;
}

KS_INLINE void ks_hdr_encode(struct ks_hdr *h, __u64 routing_key, __u32 entity, __u8 flags)
{
	h->magic = ks_htons(KS_MAGIC);
	h->version = KS_VERSION;
	h->flags = flags;
	h->key_hi = ks_htonl((__u32)(routing_key >> 32));
	h->key_lo = ks_htonl((__u32)routing_key);
	h->entity = ks_htonl(entity);
}

/*
 * Decode the TCP-option form. The caller has matched kind and length; the ExID
 * is checked here. The option has no flags byte: TCP routing always uses the
 * route's sticky mode, and SHADOW cannot be expressed.
 */
KS_INLINE enum ks_decode_result ks_tcpopt_decode(const struct ks_tcpopt *o, struct ks_header *out)
{
	if (o->exid != ks_htons(KS_TCPOPT_EXID))
		return KS_DECODE_BAD_MAGIC;
	out->flags = 0;
	out->routing_key = ks_join_key(o->key_hi, o->key_lo);
	out->entity = ks_ntohl(o->entity);
	return KS_DECODE_OK;
}

KS_INLINE void ks_tcpopt_encode(struct ks_tcpopt *o, __u64 routing_key, __u32 entity)
{
	o->kind = KS_TCPOPT_KIND;
	o->len = KS_TCPOPT_LEN;
	o->exid = ks_htons(KS_TCPOPT_EXID);
	o->key_hi = ks_htonl((__u32)(routing_key >> 32));
	o->key_lo = ks_htonl((__u32)routing_key);
	o->entity = ks_htonl(entity);
}

#endif /* KEYSTEER_WIRE_H */
