/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internal: a bump allocator for jansson. A rule set of 100k routes is
 * millions of small jansson allocations; with malloc, freeing the tree costs
 * about as much as parsing it. While an arena is active on a thread, jansson
 * allocates from it and frees into it do nothing; the whole tree goes at once
 * with the arena. Other threads, and this thread outside an arena, get plain
 * malloc/free, so jansson values made elsewhere in the process are unaffected.
 *
 * The hooks are installed once, with json_set_alloc_funcs(). A program that
 * installs its own jansson allocator first simply gets no arena (ks_json_arena_begin
 * fails and the caller uses malloc'd trees).
 */
#ifndef KEYSTEER_CTL_RULES_JSON_ARENA_H
#define KEYSTEER_CTL_RULES_JSON_ARENA_H

#include <stdbool.h>
#include <stddef.h>

struct ks_json_arena;

struct ks_json_arena *ks_json_arena_new(void);

/* Route this thread's jansson allocations to arena; false if the hooks are not ours. */
bool ks_json_arena_begin(struct ks_json_arena *arena);
void ks_json_arena_end(void);

/*
 * Forget everything allocated in arena but keep (one of) its memory for the
 * next values: a thread that parses many small documents one after the other
 * reuses the same cache-warm bytes.
 */
void ks_json_arena_reset(struct ks_json_arena *arena);

/* Bytes handed out so far. */
size_t ks_json_arena_used(const struct ks_json_arena *arena);

/* Release the arena and every value allocated in it. */
void ks_json_arena_free(struct ks_json_arena *arena);

#endif
