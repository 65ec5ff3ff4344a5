/* SPDX-License-Identifier: BSD-3-Clause */
/* `keysteer compile FILE`: the compiled table as text. */
#include <arpa/inet.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/compile_show.h"
#include "rules/rules.h"

static const char *addr_text(const struct ks_addr *a, __u8 family, char *buf, size_t size)
{
	if (!inet_ntop(family == KS_AF_INET ? AF_INET : AF_INET6, a->w, buf, (socklen_t)size))
		snprintf(buf, size, "?");
	return buf;
}

/* A key text as a JSON-style string literal: quotes, backslashes and controls escaped. */
static void print_quoted(const char *s, FILE *f)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static int shard_name_width(const struct ks_compiled *c)
{
	int w = 5;

	for (__u32 i = 0; i < c->n_shards; i++) {
		int n = (int)strlen(c->shards[i].name);

		if (n > w)
			w = n;
	}
	return w > 40 ? 40 : w;
}

static void show_route(const struct ks_compiled *c, __u32 i, int nw, FILE *f)
{
	const struct ks_route *r = &c->routes[i];
	const struct ks_compiled_route *info = &c->route_info[i];
	__u64 key;

	fprintf(f, "  0x%016llx", (unsigned long long)c->keys[i]);
	if (!ks_rules_key(info->text, strlen(info->text), &key)) {
		fputs("  ", f);
		print_quoted(info->text, f);
	}
	fprintf(f, "  sticky %s  (routes[%u])\n", ks_sticky_name(r->sticky), info->rule_index);
	for (unsigned k = 0; k < r->n_targets; k++) {
		__u32 lo, hi;
		char range[32];

		ks_compiled_target_range(r, k, &lo, &hi);
		snprintf(range, sizeof(range), "[%u..%u]", lo, hi);
		fprintf(f, "      -> %-*s  %-15s %7.3f%%\n", nw, c->shards[r->t[k].shard].name,
			range, ks_buckets_percent(hi - lo + 1));
	}
	if (r->shadow_shard != KS_NO_SHARD)
		fprintf(f, "      shadow %s  %.3f%% (bucket < %u of %u)\n",
			c->shards[r->shadow_shard].name, ks_buckets_percent(r->shadow_thresh),
			r->shadow_thresh, KS_WEIGHT_BUCKETS);
}

void ks_show_compiled_text(const struct ks_compiled *c, const char *source, FILE *f)
{
	char addr[INET6_ADDRSTRLEN];
	int nw = shard_name_width(c);

	fprintf(f, "%s: %s version %llu, default %s\n", source, KS_RULES_SCHEMA,
		(unsigned long long)c->version, ks_default_name(c->default_action));

	fprintf(f, "\nlisteners (%u):\n", c->n_listeners);
	if (c->n_listeners)
		fprintf(f, "  %3s  %-39s %5s  %s\n", "id", "vip", "port", "proto");
	for (__u32 i = 0; i < c->n_listeners; i++) {
		const struct ks_listener_key *l = &c->listeners[i];

		fprintf(f, "  %3u  %-39s %5u  %s\n", i,
			addr_text(&l->addr, l->family, addr, sizeof(addr)), ntohs(l->port),
			ks_proto_name(l->proto));
	}

	fprintf(f, "\nshards (%u), ids in name order:\n", c->n_shards);
	if (c->n_shards)
		fprintf(f, "  %4s  %-*s  %-39s %5s  %-5s %s\n", "id", nw, "name", "vip", "port",
			"steer", "capacity");
	for (__u32 i = 0; i < c->n_shards; i++) {
		const struct ks_compiled_shard *s = &c->shards[i];

		fprintf(f, "  %4u  %-*s  %-39s %5u  %-5s %u\n", i, nw, s->name,
			addr_text(&s->shard.vip, s->shard.family, addr, sizeof(addr)),
			ntohs(s->shard.port), ks_steer_name(s->shard.steer), s->capacity);
	}

	fprintf(f, "\nroutes (%u), sorted by key; targets own weight buckets [lo..hi] of %u:\n",
		c->n_routes, KS_WEIGHT_BUCKETS);
	for (__u32 i = 0; i < c->n_routes; i++)
		show_route(c, i, nw, f);

	fprintf(f,
		"\nsizes: table %zu bytes for %u key%s, %zu bytes per key (%zu key + %zu route);\n"
		"       shards %zu bytes, listeners %zu bytes\n",
		ks_compiled_table_bytes(c), c->n_routes, ks_plural(c->n_routes),
		(size_t)KS_COMPILED_BYTES_PER_ROUTE, sizeof(__u64), sizeof(struct ks_route),
		(size_t)c->n_shards * sizeof(struct ks_shard),
		(size_t)c->n_listeners * sizeof(struct ks_listener_key));
}
