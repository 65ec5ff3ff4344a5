/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a lab client saw: requests sent and answered, who answered (per shard,
 * per shard host, per key), and every way an answer can be wrong (lost, from
 * a shard the key's route does not allow, corrupted), as JSON. Per key, the
 * answers are counted by server ("shard@host"), which shows a shard moving.
 */
#ifndef KS_LAB_TALLY_H
#define KS_LAB_TALLY_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#define T_MAX_SHARDS 16
#define T_MAX_KEYS   8
#define T_NAME	     48

struct lab_tally {
	uint64_t sent, answered, lost, misrouted, corrupt, late, send_errors;
	uint64_t flows_started, flows_done, flows_moved;
	uint64_t conns_failed; /* TCP: connections that broke (refused, reset, timed out) */
	int n_shards;
	char shard[T_MAX_SHARDS][T_NAME];
	uint64_t per_shard[T_MAX_SHARDS];
	int n_servers; /* shard + host: shows a shard moving to another host */
	char server[T_MAX_SHARDS][2 * T_NAME];
	uint64_t per_server[T_MAX_SHARDS];
	int n_keys;
	char key[T_MAX_KEYS][128];
	uint64_t per_key_server[T_MAX_KEYS][T_MAX_SHARDS];
	int n_allow[T_MAX_KEYS]; /* -1: not checked */
	char allow[T_MAX_KEYS][T_MAX_SHARDS][T_NAME];
	uint32_t n_entities; /* entity stickiness: first shard seen per entity */
	int8_t *entity_shard;
	uint64_t entities_split;
};

void tally_init(struct lab_tally *t, uint32_t n_entities);
void tally_free(struct lab_tally *t);

/* Register a key (index returned, or -1 when full). */
int tally_add_key(struct lab_tally *t, const char *key);
/* "KEY=shard1,shard2": answers for KEY from other shards are misrouted. 0 or -1. */
int tally_allow(struct lab_tally *t, const char *spec);

/*
 * Record one answer for key index k from (shard, host). Returns the shard's
 * index (for per-flow stickiness checks), or -1 when the table is full.
 */
int tally_answer(struct lab_tally *t, int k, const char *shard, const char *host);

/* Entity stickiness: the entity was answered by shard index s. */
void tally_entity(struct lab_tally *t, uint32_t entity, int s);

json_t *tally_json(const struct lab_tally *t, double elapsed_s, bool running);

#endif
