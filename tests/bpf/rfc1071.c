/* SPDX-License-Identifier: BSD-3-Clause */
#include "rfc1071.h"

uint32_t rfc1071_add(uint32_t sum, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
		sum = (sum & 0xffff) + (sum >> 16);
	}
	if (i < len) {
		sum += (uint32_t)p[i] << 8;
		sum = (sum & 0xffff) + (sum >> 16);
	}
	return sum;
}

uint16_t rfc1071_finish(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint16_t rfc1071(const void *buf, size_t len)
{
	return rfc1071_finish(rfc1071_add(0, buf, len));
}

uint32_t rfc1071_pseudo(int family, const uint8_t *saddr, const uint8_t *daddr, uint8_t proto,
			uint32_t len)
{
	uint8_t tail[8] = {0};
	size_t alen = family == 6 ? 16 : 4;
	uint32_t sum = 0;

	sum = rfc1071_add(sum, saddr, alen);
	sum = rfc1071_add(sum, daddr, alen);
	if (family == 6) {
		tail[0] = (uint8_t)(len >> 24);
		tail[1] = (uint8_t)(len >> 16);
		tail[2] = (uint8_t)(len >> 8);
		tail[3] = (uint8_t)len;
		tail[7] = proto;
		return rfc1071_add(sum, tail, 8);
	}
	tail[1] = proto;
	tail[2] = (uint8_t)(len >> 8);
	tail[3] = (uint8_t)len;
	return rfc1071_add(sum, tail, 4);
}

int rfc1071_l4_ok(int family, const uint8_t *saddr, const uint8_t *daddr, uint8_t proto,
		  const uint8_t *seg, size_t len)
{
	uint32_t sum = rfc1071_pseudo(family, saddr, daddr, proto, (uint32_t)len);

	return rfc1071_finish(rfc1071_add(sum, seg, len)) == 0;
}
