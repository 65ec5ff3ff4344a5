/* SPDX-License-Identifier: BSD-3-Clause */
/* IPv4/IPv6 addresses of listeners and shards (addr.h). */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "rules/addr.h"

bool ks_want_addr(struct ks_walk *w, const json_t *v, struct ks_addr *addr, __u8 *family)
{
	char q[KS_QUOTE_SIZE];
	const char *s;

	if (!ks_want_string(w, v))
		return false;
	s = json_string_value(v);
	memset(addr, 0, sizeof(*addr));
	/* inet_pton needs a C string: a string with a NUL inside is not an address. */
	if (strlen(s) == json_string_length(v)) {
		if (inet_pton(AF_INET, s, &addr->w[0]) == 1) {
			*family = KS_AF_INET;
			return true;
		}
		if (inet_pton(AF_INET6, s, addr->w) == 1) {
			*family = KS_AF_INET6;
			return true;
		}
	}
	ks_walk_error(w, "invalid IP address %s", ks_quote(s, json_string_length(v), q, sizeof(q)));
	return false;
}

const char *ks_addr_format(const struct ks_addr *addr, __u8 family, char *buf, size_t size)
{
	if (!inet_ntop(family == KS_AF_INET ? AF_INET : AF_INET6, addr->w, buf, (socklen_t)size))
		snprintf(buf, size, "?");
	return buf;
}
