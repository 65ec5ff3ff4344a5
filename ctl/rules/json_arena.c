/* SPDX-License-Identifier: BSD-3-Clause */
/* Bump allocator behind jansson (json_arena.h). */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rules/json_arena.h"

#define ARENA_ALIGN	 16
#define ARENA_FIRST_SIZE (256u << 10)
#define ARENA_MAX_CHUNK	 (64u << 20)
#define CACHE_LINE	 64

/*
 * Each chunk's header is in the chunk itself, and the arena is a cache line
 * of its own: arenas of threads parsing side by side (the split compile)
 * never write to the same cache line, as they did when the headers were
 * small mallocs next to each other.
 */
struct arena_chunk {
	struct arena_chunk *next;
	char *base;
	size_t size;
	size_t used;
};

struct ks_json_arena {
	struct arena_chunk *head; /* the chunk being filled */
	size_t next_size;
} __attribute__((aligned(CACHE_LINE)));

static __thread struct ks_json_arena *active_arena;
static pthread_once_t hooks_once = PTHREAD_ONCE_INIT;

static bool arena_owns(const struct ks_json_arena *a, const void *p)
{
	for (const struct arena_chunk *c = a->head; c; c = c->next)
		if ((const char *)p >= c->base && (const char *)p < c->base + c->size)
			return true;
	return false;
}

/* A new chunk of at least n bytes in front (kept out of line: jansson calls the fast path a lot).
 */
static __attribute__((noinline)) struct arena_chunk *arena_grow(struct ks_json_arena *a, size_t n)
{
	struct arena_chunk *c;
	size_t size = a->next_size;

	while (size < n)
		size *= 2;
	c = aligned_alloc(CACHE_LINE, size + CACHE_LINE);
	if (!c)
		return NULL;
	c->base = (char *)c + CACHE_LINE;
	c->size = size;
	c->used = 0;
	c->next = a->head;
	a->head = c;
	if (a->next_size < ARENA_MAX_CHUNK)
		a->next_size *= 2;
	return c;
}

static inline void *arena_alloc(struct ks_json_arena *a, size_t n)
{
	struct arena_chunk *c = a->head;

	n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (__builtin_expect(!c || c->size - c->used < n, 0) && !(c = arena_grow(a, n)))
		return NULL;
	void *p = c->base + c->used;

	c->used += n;
	return p;
}

static void *hook_malloc(size_t n)
{
	if (active_arena)
		return arena_alloc(active_arena, n);
	return malloc(n);
}

static void hook_free(void *p)
{
	/*
	 * Memory of the active arena goes with the arena. Anything else came
	 * from malloc (before the hooks, outside an arena, or on another thread).
	 * Chunks are few (they double in size), so the ownership test is cheap.
	 */
	if (active_arena && arena_owns(active_arena, p))
		return;
	free(p);
}

static void install_hooks(void)
{
	json_malloc_t m;
	json_free_t f;

	/* Only if nobody else has: replacing a foreign allocator would mismatch frees. */
	json_get_alloc_funcs(&m, &f);
	if (m == malloc && f == free)
		json_set_alloc_funcs(hook_malloc, hook_free);
}

struct ks_json_arena *ks_json_arena_new(void)
{
	struct ks_json_arena *a = aligned_alloc(CACHE_LINE, sizeof(*a));

	if (a) {
		memset(a, 0, sizeof(*a));
		a->next_size = ARENA_FIRST_SIZE;
	}
	return a;
}

bool ks_json_arena_begin(struct ks_json_arena *arena)
{
	json_malloc_t m;
	json_free_t f;

	pthread_once(&hooks_once, install_hooks);
	json_get_alloc_funcs(&m, &f);
	if (m != hook_malloc || f != hook_free)
		return false;
	active_arena = arena;
	return true;
}

void ks_json_arena_end(void)
{
	active_arena = NULL;
}

void ks_json_arena_reset(struct ks_json_arena *arena)
{
	struct arena_chunk *keep = arena->head;

	if (!keep)
		return;
	/* The newest chunk is the largest: keep it, release the older ones. */
	for (struct arena_chunk *c = keep->next, *next; c; c = next) {
		next = c->next;
		free(c);
	}
	keep->next = NULL;
	keep->used = 0;
}

size_t ks_json_arena_used(const struct ks_json_arena *arena)
{
	size_t used = 0;

	for (const struct arena_chunk *c = arena->head; c; c = c->next)
		used += c->used;
	return used;
}

void ks_json_arena_free(struct ks_json_arena *arena)
{
	if (!arena)
		return;
	for (struct arena_chunk *c = arena->head, *next; c; c = next) {
		next = c->next;
		free(c);
	}
	free(arena);
}
