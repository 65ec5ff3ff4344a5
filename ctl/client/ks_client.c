/* SPDX-License-Identifier: BSD-3-Clause */
#include "client/ks_client.h"

#include <errno.h>
#include <string.h>
#include <sys/uio.h>

#include <keysteer/fnv.h>
#include <keysteer/wire.h>

_Static_assert(KS_CLIENT_HDR_LEN == KS_HDR_LEN, "header length");
_Static_assert(KS_CLIENT_TCPOPT_LEN == KS_TCPOPT_LEN, "option length");
_Static_assert(KS_CLIENT_ENTITY == KS_F_ENTITY && KS_CLIENT_SYNTHETIC == KS_F_SYNTHETIC &&
		   KS_CLIENT_SHADOW == KS_F_SHADOW,
	       "flag values");

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int ks_client_key(const char *text, uint64_t *key)
{
	size_t len;

	if (!text || !key)
		return -EINVAL;
	len = strlen(text);
	/* The rule compiler's reading (ctl/rules/route_keys.c): 0x + 1..16 hex digits. */
	if (len >= 3 && len <= 18 && text[0] == '0' && text[1] == 'x') {
		uint64_t k = 0;
		size_t i;

		for (i = 2; i < len && hex_digit(text[i]) >= 0; i++)
			k = k << 4 | (uint64_t)hex_digit(text[i]);
		if (i == len) {
			*key = k;
			return 1;
		}
	}
	*key = ks_fnv1a64(text, len);
	return 0;
}

int ks_client_header(uint8_t out[KS_CLIENT_HDR_LEN], uint64_t key, uint32_t entity, uint8_t flags)
{
	struct ks_hdr h;

	if (flags & ~(KS_F_ENTITY | KS_F_SYNTHETIC))
		return -EINVAL;
	ks_hdr_encode(&h, key, entity, flags);
	memcpy(out, &h, sizeof(h));
	return 0;
}

void ks_client_tcpopt(uint8_t out[KS_CLIENT_TCPOPT_LEN], uint64_t key, uint32_t entity)
{
	struct ks_tcpopt o;

	ks_tcpopt_encode(&o, key, entity);
	memcpy(out, &o, sizeof(o));
}

ssize_t ks_client_sendto(int fd, uint64_t key, uint32_t entity, uint8_t flags, const void *payload,
			 size_t len, const struct sockaddr *to, socklen_t tolen)
{
	uint8_t hdr[KS_CLIENT_HDR_LEN];
	struct iovec iov[2] = {
	    {.iov_base = hdr, .iov_len = sizeof(hdr)},
	    {.iov_base = (void *)payload, .iov_len = len},
	};
	struct msghdr msg = {
	    .msg_name = (void *)to,
	    .msg_namelen = to ? tolen : 0,
	    .msg_iov = iov,
	    .msg_iovlen = len ? 2 : 1,
	};
	ssize_t n;
	int rc = ks_client_header(hdr, key, entity, flags);

	if (rc)
		return rc;
	n = sendmsg(fd, &msg, 0);
	if (n < 0)
		return -errno;
	if ((size_t)n != sizeof(hdr) + len)
		return -EMSGSIZE;
	return (ssize_t)len;
}

int ks_client_parse(const void *dgram, size_t len, struct ks_client_hdr *h, const void **payload,
		    size_t *payload_len)
{
	struct ks_header d;
	struct ks_hdr w;
	enum ks_decode_result r;

	if (!dgram || len < KS_HDR_LEN)
		return -EBADMSG;
	memcpy(&w, dgram, sizeof(w));
	r = ks_hdr_decode(&w, &d);
	if (r != KS_DECODE_OK && r != KS_DECODE_CLIENT_SHADOW)
		return -EBADMSG;
	h->key = d.routing_key;
	h->entity = d.entity;
	h->flags = d.flags;
	if (payload)
		*payload = (const uint8_t *)dgram + KS_HDR_LEN;
	if (payload_len)
		*payload_len = len - KS_HDR_LEN;
	return 0;
}
