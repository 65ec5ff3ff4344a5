/* SPDX-License-Identifier: BSD-3-Clause */
#include "daemon/stats.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reason labels come from the data plane, which owns the counters. */
static const char *(*reason_name_fn)(unsigned reason);

const char *ksd_reason_label(unsigned reason)
{
	static char buf[KS_R_MAX][16];
	const char *n = reason_name_fn ? reason_name_fn(reason) : NULL;
	if (n && strcmp(n, "?") != 0)
		return n;
	if (reason >= KS_R_MAX)
		return "unknown";
	snprintf(buf[reason], sizeof(buf[reason]), "reason_%u", reason);
	return buf[reason];
}

static int by_packets_desc(const void *a, const void *b)
{
	const struct ksd_stats_key *x = a, *y = b;
	if (x->st.packets != y->st.packets)
		return x->st.packets < y->st.packets ? 1 : -1;
	return x->key < y->key ? -1 : x->key > y->key;
}

static void add_key_stats(struct ks_key_stats *to, const struct ks_key_stats *from)
{
	to->packets += from->packets;
	to->bytes += from->bytes;
	for (int t = 0; t < KS_MAX_TARGETS; t++)
		to->target_packets[t] += from->target_packets[t];
	to->shadow_packets += from->shadow_packets;
}

int ksd_stats_collect(struct ks_applier *ap, struct ksd_stats_snapshot *s, uint32_t top_n)
{
	struct ks_dataplane *dp = ap->dp;
	const struct ks_compiled *c = ap->active;

	memset(s, 0, sizeof(*s));
	reason_name_fn = dp->ops->reason_name;
	s->have_counters = strcmp(dp->ops->name, "memory") != 0;
	int rc = dp->ops->read_reasons(dp, s->reasons);
	if (rc < 0)
		return rc;
	if (!c)
		return 0; /* adopted tables, no names yet: reasons only */

	s->n_shards = c->n_shards;
	s->shards = calloc(c->n_shards ? c->n_shards : 1, sizeof(*s->shards));
	struct ks_counter *sc = calloc(KS_MAX_SHARDS, sizeof(*sc));
	if (!s->shards || !sc) {
		free(sc);
		return -12;
	}
	rc = dp->ops->read_shards(dp, sc, KS_MAX_SHARDS);
	for (uint32_t i = 0; i < c->n_shards; i++) {
		s->shards[i].name = c->shards[i].name;
		s->shards[i].id = i;
		if (rc == 0)
			s->shards[i].c = sc[i];
	}
	free(sc);

	/* Per-key counters live at each key's slot, which the data plane assigns. */
	uint32_t max_slot = 0;
	long *slot = calloc(c->n_routes ? c->n_routes : 1, sizeof(*slot));
	if (!slot)
		return -12;
	for (uint32_t i = 0; i < c->n_routes; i++) {
		slot[i] = dp->ops->key_slot(dp, c->keys[i]);
		if (slot[i] >= 0 && (uint32_t)slot[i] + 1 > max_slot)
			max_slot = (uint32_t)slot[i] + 1;
	}
	struct ks_key_stats *ks = calloc(max_slot ? max_slot : 1, sizeof(*ks));
	struct ksd_stats_key *all = calloc(c->n_routes ? c->n_routes : 1, sizeof(*all));
	if (!ks || !all) {
		free(ks);
		free(all);
		free(slot);
		return -12;
	}
	rc = dp->ops->read_keys(dp, ks, max_slot);
	for (uint32_t i = 0; i < c->n_routes; i++) {
		all[i].key = c->keys[i];
		if (rc == 0 && slot[i] >= 0)
			all[i].st = ks[slot[i]];
	}
	free(ks);
	free(slot);
	qsort(all, c->n_routes, sizeof(*all), by_packets_desc);
	s->total_keys = c->n_routes;
	s->n_keys = c->n_routes < top_n ? c->n_routes : top_n;
	for (uint32_t i = s->n_keys; i < c->n_routes; i++) {
		add_key_stats(&s->other, &all[i].st);
		s->other_keys++;
	}
	for (uint32_t i = 0; i < s->n_keys; i++) {
		long idx = ks_compiled_find(c, all[i].key);
		const char *text = idx >= 0 && c->route_info ? c->route_info[idx].text : NULL;
		if (text) {
			all[i].name = strdup(text);
		} else {
			char hex[24];
			snprintf(hex, sizeof(hex), "0x%016" PRIx64, all[i].key);
			all[i].name = strdup(hex);
		}
	}
	s->keys = all;
	return 0;
}

void ksd_stats_free(struct ksd_stats_snapshot *s)
{
	for (uint32_t i = 0; i < s->n_keys; i++)
		free(s->keys[i].name);
	free(s->keys);
	free(s->shards);
	memset(s, 0, sizeof(*s));
}

static json_t *counter_json(uint64_t packets, uint64_t bytes)
{
	json_t *o = json_object();
	json_object_set_new(o, "packets", json_integer((json_int_t)packets));
	json_object_set_new(o, "bytes", json_integer((json_int_t)bytes));
	return o;
}

static json_t *key_json(const char *name, uint64_t key, const struct ks_key_stats *st)
{
	json_t *o = counter_json(st->packets, st->bytes);
	json_object_set_new(o, "key", json_string(name));
	if (key) {
		char hex[24];
		snprintf(hex, sizeof(hex), "0x%016" PRIx64, key);
		json_object_set_new(o, "hash", json_string(hex));
	}
	json_t *t = json_array();
	for (int i = 0; i < KS_MAX_TARGETS; i++)
		json_array_append_new(t, json_integer((json_int_t)st->target_packets[i]));
	json_object_set_new(o, "target_packets", t);
	json_object_set_new(o, "shadow_packets", json_integer((json_int_t)st->shadow_packets));
	return o;
}

json_t *ksd_stats_to_json(const struct ksd_stats_snapshot *s)
{
	json_t *o = json_object();
	json_object_set_new(o, "counters", json_boolean(s->have_counters));
	json_t *r = json_object();
	for (unsigned i = 0; i < KS_R_MAX; i++)
		json_object_set_new(r, ksd_reason_label(i),
				    counter_json(s->reasons[i].packets, s->reasons[i].bytes));
	json_object_set_new(o, "reasons", r);
	json_t *sh = json_array();
	for (uint32_t i = 0; i < s->n_shards; i++) {
		json_t *x = counter_json(s->shards[i].c.packets, s->shards[i].c.bytes);
		json_object_set_new(x, "shard", json_string(s->shards[i].name));
		json_array_append_new(sh, x);
	}
	json_object_set_new(o, "shards", sh);
	json_t *k = json_array();
	for (uint32_t i = 0; i < s->n_keys; i++)
		json_array_append_new(k, key_json(s->keys[i].name, s->keys[i].key, &s->keys[i].st));
	json_object_set_new(o, "keys", k);
	json_t *other = key_json("other", 0, &s->other);
	json_object_set_new(other, "keys", json_integer(s->other_keys));
	json_object_set_new(o, "other", other);
	json_object_set_new(o, "total_keys", json_integer(s->total_keys));
	return o;
}
