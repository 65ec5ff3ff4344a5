/* SPDX-License-Identifier: BSD-3-Clause */
/* "listeners": [{vip, port, proto}] -> struct ks_listener_key, in rule order. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "rules/addr.h"
#include "rules/compile_int.h"

static const char *const listener_fields[] = {"vip", "port", "proto", NULL};
enum { L_VIP, L_PORT, L_PROTO };
#define L_REQUIRED ((1u << L_VIP) | (1u << L_PORT) | (1u << L_PROTO))

static const char *const proto_names[] = {"udp", "tcp", NULL};
static const __u8 proto_values[] = {IPPROTO_UDP, IPPROTO_TCP};

static bool same_listener(const struct ks_listener_key *a, const struct ks_listener_key *b)
{
	return a->family == b->family && a->port == b->port && a->proto == b->proto &&
	       memcmp(&a->addr, &b->addr, sizeof(a->addr)) == 0;
}

/* Walk listeners[i]; fill *l and return true when it is fully valid. */
static bool listener(struct ks_cc *cc, const json_t *obj, struct ks_listener_key *l)
{
	struct ks_walk *w = &cc->w;
	unsigned seen = 0, ok = 0;
	const char *name;
	json_t *v;
	__u32 ord = 0;
	__u64 port;
	int proto;

	if (!ks_want_object(w, obj))
		return false;
	json_object_foreach((json_t *)obj, name, v)
	{
		int f;

		ks_walk_member(w, name, ord++);
		f = ks_walk_field(w, name, v, listener_fields);
		if (f >= 0)
			seen |= 1u << f;
		switch (f) {
		case L_VIP:
			if (ks_want_addr(w, v, &l->addr, &l->family))
				ok |= 1u << f;
			break;
		case L_PORT:
			if (ks_want_uint(w, v, 1, 65535, true, &port)) {
				l->port = htons((__u16)port);
				ok |= 1u << f;
			}
			break;
		case L_PROTO:
			proto = ks_want_enum(w, v, "protocol", proto_names);
			if (proto >= 0) {
				l->proto = proto_values[proto];
				ok |= 1u << f;
			}
			break;
		}
		ks_walk_pop(w);
	}
	ks_walk_missing(w, listener_fields, L_REQUIRED, seen, ord);
	return ok == L_REQUIRED;
}

void ks_cc_listeners(struct ks_cc *cc, const json_t *arr)
{
	struct ks_walk *w = &cc->w;
	size_t n;

	if (!ks_want_array(w, arr))
		return;
	n = json_array_size(arr);
	if (n > KS_MAX_LISTENERS)
		ks_walk_error(w, "%zu listeners, more than the limit of %d", n, KS_MAX_LISTENERS);
	cc->listeners = calloc(n ? n : 1, sizeof(*cc->listeners));
	if (!cc->listeners) {
		ks_walk_error(w, "out of memory");
		return;
	}
	cc->n_listeners = (__u32)n;

	bool *valid = calloc(n ? n : 1, sizeof(*valid));

	if (!valid) {
		ks_walk_error(w, "out of memory");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct ks_listener_key *l = &cc->listeners[i];

		ks_walk_index(w, i);
		valid[i] = listener(cc, json_array_get(arr, i), l);
		if (valid[i]) {
			/* Quadratic, so only within the limit (beyond it is an error anyway). */
			for (size_t j = 0; n <= KS_MAX_LISTENERS && j < i; j++) {
				char addr[INET6_ADDRSTRLEN];

				if (!valid[j] || !same_listener(&cc->listeners[j], l))
					continue;
				ks_addr_format(&l->addr, l->family, addr, sizeof(addr));
				ks_walk_tail(w);
				ks_walk_error(w, "duplicate of listeners[%zu] (%s %s port %u)", j,
					      ks_proto_name(l->proto), addr, ntohs(l->port));
				ks_walk_pop(w);
				break;
			}
			if (l->family == KS_AF_INET && cc->first_listener_v4 < 0)
				cc->first_listener_v4 = (long)i;
			if (l->family == KS_AF_INET6 && cc->first_listener_v6 < 0)
				cc->first_listener_v6 = (long)i;
		}
		ks_walk_pop(w);
	}
	free(valid);
}
