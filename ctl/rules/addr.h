/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal: IP addresses in rule sets. */
#ifndef KEYSTEER_CTL_RULES_ADDR_H
#define KEYSTEER_CTL_RULES_ADDR_H

#include "rules/walk.h"

/* An IPv4 or IPv6 address string (inet_pton); reports `invalid IP address "x"`. */
bool ks_want_addr(struct ks_walk *w, const json_t *v, struct ks_addr *addr, __u8 *family);

/* Canonical text of an address (inet_ntop). */
const char *ks_addr_format(const struct ks_addr *addr, __u8 family, char *buf, size_t size);

#endif
