/* SPDX-License-Identifier: BSD-3-Clause */
#include "lab_tally.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tally_init(struct lab_tally *t, uint32_t n_entities)
{
	memset(t, 0, sizeof(*t));
	for (int k = 0; k < T_MAX_KEYS; k++)
		t->n_allow[k] = -1;
	t->n_entities = n_entities;
	if (n_entities) {
		t->entity_shard = malloc(n_entities);
		if (t->entity_shard)
			memset(t->entity_shard, -1, n_entities);
		else
			t->n_entities = 0;
	}
}

void tally_free(struct lab_tally *t)
{
	free(t->entity_shard);
	t->entity_shard = NULL;
}

int tally_add_key(struct lab_tally *t, const char *key)
{
	for (int k = 0; k < t->n_keys; k++)
		if (strcmp(t->key[k], key) == 0)
			return k;
	if (t->n_keys == T_MAX_KEYS || strlen(key) >= sizeof(t->key[0]))
		return -1;
	snprintf(t->key[t->n_keys], sizeof(t->key[0]), "%s", key);
	return t->n_keys++;
}

int tally_allow(struct lab_tally *t, const char *spec)
{
	const char *eq = strrchr(spec, '=');
	char key[128], list[512], *save = NULL, *tok;
	int k;

	if (!eq || (size_t)(eq - spec) >= sizeof(key) || strlen(eq + 1) >= sizeof(list))
		return -1;
	memcpy(key, spec, (size_t)(eq - spec));
	key[eq - spec] = '\0';
	k = tally_add_key(t, key);
	if (k < 0)
		return -1;
	t->n_allow[k] = 0;
	snprintf(list, sizeof(list), "%s", eq + 1);
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (t->n_allow[k] == T_MAX_SHARDS || strlen(tok) >= T_NAME)
			return -1;
		snprintf(t->allow[k][t->n_allow[k]++], T_NAME, "%s", tok);
	}
	return 0;
}

static int find_or_add(char (*names)[T_NAME], int *n, const char *name)
{
	for (int i = 0; i < *n; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	if (*n == T_MAX_SHARDS)
		return -1;
	snprintf(names[*n], T_NAME, "%s", name);
	return (*n)++;
}

int tally_answer(struct lab_tally *t, int k, const char *shard, const char *host)
{
	char server[2 * T_NAME];
	int s, v, allowed = 1;

	s = find_or_add(t->shard, &t->n_shards, shard);
	if (s < 0)
		return -1;
	t->answered++;
	t->per_shard[s]++;
	snprintf(server, sizeof(server), "%s@%s", shard, host);
	for (v = 0; v < t->n_servers && strcmp(t->server[v], server) != 0; v++)
		;
	if (v == t->n_servers && v < T_MAX_SHARDS)
		snprintf(t->server[t->n_servers++], sizeof(server), "%s", server);
	if (v < t->n_servers)
		t->per_server[v]++;
	if (k >= 0 && k < t->n_keys) {
		if (v < t->n_servers)
			t->per_key_server[k][v]++;
		if (t->n_allow[k] >= 0) {
			allowed = 0;
			for (int a = 0; a < t->n_allow[k]; a++)
				if (strcmp(t->allow[k][a], shard) == 0)
					allowed = 1;
		}
	}
	if (!allowed)
		t->misrouted++;
	return s;
}

void tally_entity(struct lab_tally *t, uint32_t entity, int s)
{
	if (entity >= t->n_entities || s < 0)
		return;
	if (t->entity_shard[entity] < 0)
		t->entity_shard[entity] = (int8_t)s;
	else if (t->entity_shard[entity] != s && t->entity_shard[entity] != T_MAX_SHARDS) {
		t->entities_split++;
		t->entity_shard[entity] = T_MAX_SHARDS; /* counted once */
	}
}

json_t *tally_json(const struct lab_tally *t, double elapsed_s, bool running)
{
	json_t *o = json_object(), *ps = json_object(), *pv = json_object(), *pk = json_object();
	uint64_t seen = 0;

	for (int s = 0; s < t->n_shards; s++)
		json_object_set_new(ps, t->shard[s], json_integer((json_int_t)t->per_shard[s]));
	for (int v = 0; v < t->n_servers; v++)
		json_object_set_new(pv, t->server[v], json_integer((json_int_t)t->per_server[v]));
	for (int k = 0; k < t->n_keys; k++) {
		json_t *m = json_object();

		for (int v = 0; v < t->n_servers; v++)
			if (t->per_key_server[k][v])
				json_object_set_new(
				    m, t->server[v],
				    json_integer((json_int_t)t->per_key_server[k][v]));
		json_object_set_new(pk, t->key[k], m);
	}
	for (uint32_t e = 0; e < t->n_entities; e++)
		seen += t->entity_shard[e] >= 0;
	json_object_set_new(o, "running", json_boolean(running));
	json_object_set_new(o, "elapsed_s", json_real(elapsed_s));
#define N(f) json_object_set_new(o, #f, json_integer((json_int_t)t->f))
	N(sent);
	N(answered);
	N(lost);
	N(misrouted);
	N(corrupt);
	N(late);
	N(send_errors);
	N(flows_started);
	N(flows_done);
	N(flows_moved);
	N(conns_failed);
	N(entities_split);
#undef N
	json_object_set_new(o, "entities_seen", json_integer((json_int_t)seen));
	json_object_set_new(o, "per_shard", ps);
	json_object_set_new(o, "per_server", pv);
	json_object_set_new(o, "per_key", pk);
	return o;
}
