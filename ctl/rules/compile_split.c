/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * "routes" compiled from the document's text spans (layout.h) on several
 * threads. jansson parses one route object at a time into the thread's own
 * arena, which is reset for the next one, so the parsed JSON stays in cache
 * and is never a tree of the whole table; ks_cc_route() compiles it at once.
 *
 * Threads take batches of consecutive routes from a shared counter. Each
 * thread has its own copy of the compile state (walk, diagnostics, key text
 * pool, unknown-shard log); the merge puts the batches back in rule order,
 * so the key text pool, the diagnostics (with their report order) and the
 * did-you-mean budget come out exactly as one thread walking every route in
 * order would have made them. A route that jansson refuses fails the split:
 * the caller parses the whole document, which reports the syntax error with
 * its line and column.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/compile_int.h"
#include "rules/diag.h"
#include "rules/json_arena.h"

#define BATCH_ROUTES 512
#define MAX_WORKERS  64

struct batch {
	unsigned worker;
	size_t diag_lo, diag_hi; /* in the worker's diagnostics */
	size_t text_lo, text_hi; /* in the worker's key text pool */
	size_t hint_lo, hint_hi; /* in the worker's unknown-shard log */
};

struct job;

struct worker {
	struct job *job;
	unsigned id;
	struct ks_cc cc;
	struct ks_diags diags;
	struct ks_hint_log hints;
	struct ks_json_arena *arena;
	size_t *taken; /* the batches it compiled, in order */
	size_t n_taken;
	struct ks_key_ref *refs; /* keys of its routes, sorted by key then rule order */
	size_t n_refs;
	pthread_t thread;
	bool started;
} __attribute__((aligned(64))); /* workers write their own state all the time: no shared lines */

struct job {
	const char *buf;
	const struct ks_rules_layout *layout;
	size_t n_batches;
	struct batch *batches;
	atomic_size_t next_batch;
	atomic_bool failed;
};

/* Route strings never stand for big integers: jansson refuses those in a span. */
static const struct ks_rules_doc no_bignums;

static void run_batches(struct worker *wk)
{
	struct job *job = wk->job;
	const struct ks_rules_layout *lay = job->layout;
	bool arena = wk->arena && ks_json_arena_begin(wk->arena);

	for (;;) {
		size_t b = atomic_fetch_add(&job->next_batch, 1);

		if (b >= job->n_batches || atomic_load(&job->failed))
			break;
		struct batch *bt = &job->batches[b];

		wk->taken[wk->n_taken++] = b;
		size_t lo = b * BATCH_ROUTES;
		size_t hi = lo + BATCH_ROUTES < lay->n_routes ? lo + BATCH_ROUTES : lay->n_routes;

		bt->worker = wk->id;
		bt->diag_lo = wk->diags.n;
		bt->text_lo = wk->cc.text_len;
		bt->hint_lo = wk->hints.n;
		for (size_t i = lo; i < hi; i++) {
			const struct ks_text_span *s = &lay->routes[i];
			json_error_t e;
			json_t *v;

			if (arena)
				ks_json_arena_reset(wk->arena);
			/* DECODE_ANY: a route that is not an object is the compiler's to report. */
			v = json_loadb(job->buf + s->start, s->end - s->start,
				       JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &e);
			if (!v) {
				atomic_store(&job->failed, true);
				goto out;
			}
			ks_walk_index(&wk->cc.w, i);
			ks_cc_route(&wk->cc, &wk->cc.routes[i], v);
			ks_walk_pop(&wk->cc.w);
			if (!arena)
				json_decref(v);
		}
		bt->diag_hi = wk->diags.n;
		bt->text_hi = wk->cc.text_len;
		bt->hint_hi = wk->hints.n;
	}
out:
	if (arena)
		ks_json_arena_end();
}

/*
 * The keys of the worker's routes, sorted while the other threads still
 * work: the merge of the sorted lists is then linear. Routes whose key text
 * was not kept (out of memory, reported) take no part, as after the merge.
 */
static void sort_keys(struct worker *wk)
{
	const struct ks_cc *cc = &wk->cc;
	size_t n = 0;
	struct ks_key_ref *tmp;

	for (size_t t = 0; t < wk->n_taken; t++) {
		size_t lo = wk->taken[t] * BATCH_ROUTES;

		n += lo + BATCH_ROUTES < cc->n_routes ? BATCH_ROUTES : cc->n_routes - lo;
	}
	wk->refs = malloc((n ? n : 1) * sizeof(*wk->refs));
	tmp = malloc((n ? n : 1) * sizeof(*tmp));
	if (!wk->refs || !tmp) {
		free(tmp);
		atomic_store(&wk->job->failed, true);
		return;
	}
	n = 0;
	for (size_t t = 0; t < wk->n_taken; t++) {
		size_t lo = wk->taken[t] * BATCH_ROUTES;
		size_t hi = lo + BATCH_ROUTES < cc->n_routes ? lo + BATCH_ROUTES : cc->n_routes;

		for (size_t i = lo; i < hi; i++) {
			const struct ks_route_def *d = &cc->routes[i];

			if (d->has_key && d->text_kept)
				wk->refs[n++] = (struct ks_key_ref){.key = d->key, .idx = i};
		}
	}
	wk->n_refs = n;
	if (n > 1)
		ks_key_refs_sort(wk->refs, tmp, n);
	free(tmp);
}

static void work(struct worker *wk)
{
	run_batches(wk);
	if (!atomic_load(&wk->job->failed))
		sort_keys(wk);
}

static void *thread_main(void *arg)
{
	work(arg);
	return NULL;
}

/* The workers' sorted keys merged: by key, then rule order (as one stable sort gives). */
static bool merge_keys(struct ks_cc *cc, struct worker *wk, unsigned n_workers)
{
	size_t total = 0, at[64] = {0};

	for (unsigned i = 0; i < n_workers; i++)
		total += wk[i].n_refs;
	cc->sorted = malloc((total ? total : 1) * sizeof(*cc->sorted));
	if (!cc->sorted)
		return false;
	for (size_t o = 0; o < total; o++) {
		int best = -1;

		for (unsigned i = 0; i < n_workers; i++) {
			const struct ks_key_ref *r;

			if (at[i] == wk[i].n_refs)
				continue;
			r = &wk[i].refs[at[i]];
			if (best < 0 || r->key < wk[best].refs[at[best]].key ||
			    (r->key == wk[best].refs[at[best]].key &&
			     r->idx < wk[best].refs[at[best]].idx))
				best = (int)i;
		}
		cc->sorted[o] = wk[best].refs[at[best]++];
	}
	cc->n_sorted = total;
	return true;
}

/* The batches' key texts in rule order; the routes' offsets follow them. */
static bool merge_texts(struct ks_cc *cc, struct worker *wk, const struct job *job)
{
	size_t total = 0, base = 0;
	char *pool;

	for (size_t b = 0; b < job->n_batches; b++)
		total += job->batches[b].text_hi - job->batches[b].text_lo;
	pool = malloc(total ? total : 1);
	if (!pool)
		return false;
	for (size_t b = 0; b < job->n_batches; b++) {
		const struct batch *bt = &job->batches[b];
		size_t lo = b * BATCH_ROUTES, n = bt->text_hi - bt->text_lo;
		size_t hi = lo + BATCH_ROUTES < cc->n_routes ? lo + BATCH_ROUTES : cc->n_routes;

		if (n)
			memcpy(pool + base, wk[bt->worker].cc.text_pool + bt->text_lo, n);
		for (size_t i = lo; i < hi; i++) {
			struct ks_route_def *d = &cc->routes[i];

			if (!d->has_key)
				continue;
			if (!d->text_kept) {
				d->has_key = false; /* out of memory, already reported */
				continue;
			}
			d->text_off = d->text_off - bt->text_lo + base;
			d->text = pool + d->text_off;
		}
		base += n;
	}
	cc->text_pool = pool;
	cc->text_len = total;
	cc->text_cap = total;
	return true;
}

/*
 * The batches' errors in rule order. Sequentially, only the first
 * suggestions_left unknown shards get a did-you-mean; a thread spent its own
 * budget, so later ones lose theirs here.
 */
static void merge_diags(struct ks_cc *cc, struct worker *wk, const struct job *job)
{
	struct ks_diags *out = cc->w.diags;
	unsigned budget = cc->suggestions_left;

	for (size_t b = 0; b < job->n_batches; b++) {
		const struct batch *bt = &job->batches[b];
		struct worker *w = &wk[bt->worker];
		size_t first = out->n;

		for (size_t k = bt->diag_lo; k < bt->diag_hi; k++) {
			struct ks_diag *g = &w->diags.v[k];

			ks_diags_add(out, g->path, g->message, g->order);
			g->path = g->message = NULL;
		}
		bool complete = out->n - first == bt->diag_hi - bt->diag_lo;

		for (size_t h = bt->hint_lo; h < bt->hint_hi; h++) {
			const struct ks_hint *hint = &w->hints.v[h];
			char *plain;

			if (budget > 0) {
				budget--;
				continue;
			}
			if (!hint->quoted || hint->diag == SIZE_MAX || !complete)
				continue;
			if (asprintf(&plain, "unknown shard %s", hint->quoted) < 0)
				continue;
			struct ks_diag *g = &out->v[first + (hint->diag - bt->diag_lo)];

			free(g->message);
			g->message = plain;
		}
	}
	cc->suggestions_left = budget;
}

static void worker_free(struct worker *w)
{
	ks_diags_free(&w->diags);
	for (size_t i = 0; i < w->hints.n; i++)
		free(w->hints.v[i].quoted);
	free(w->hints.v);
	free(w->cc.text_pool);
	free(w->taken);
	free(w->refs);
	ks_json_arena_free(w->arena);
}

void ks_cc_routes_split(struct ks_cc *cc)
{
	const struct ks_split *sp = cc->split;
	const struct ks_rules_layout *lay = sp->layout;
	size_t n_batches = (lay->n_routes + BATCH_ROUTES - 1) / BATCH_ROUTES;
	unsigned n_workers = sp->threads ? sp->threads : 1;
	struct job job = {.buf = sp->buf, .layout = lay, .n_batches = n_batches};
	struct worker *wk = NULL;

	if (n_workers > n_batches)
		n_workers = n_batches ? (unsigned)n_batches : 1;
	if (n_workers > MAX_WORKERS)
		n_workers = MAX_WORKERS;
	cc->n_routes = lay->n_routes;
	cc->routes = calloc(cc->n_routes ? cc->n_routes : 1, sizeof(*cc->routes));
	job.batches = calloc(n_batches ? n_batches : 1, sizeof(*job.batches));
	wk = aligned_alloc(64, n_workers * sizeof(*wk));
	if (wk)
		memset(wk, 0, n_workers * sizeof(*wk));
	if (!cc->routes || !job.batches || !wk) {
		free(job.batches);
		free(wk);
		cc->n_routes = 0;
		ks_walk_error(&cc->w, "out of memory");
		return;
	}
	for (unsigned i = 0; i < n_workers; i++) {
		struct worker *w = &wk[i];

		w->job = &job;
		w->id = i;
		w->cc = *cc;
		w->cc.w.diags = &w->diags;
		w->cc.w.doc = &no_bignums;
		w->cc.w.errors = 0;
		w->cc.text_pool = NULL;
		w->cc.text_len = w->cc.text_cap = 0;
		w->cc.split = NULL;
		w->cc.hints = &w->hints;
		w->arena = ks_json_arena_new();
		w->taken = malloc((n_batches ? n_batches : 1) * sizeof(*w->taken));
		if (!w->taken)
			atomic_store(&job.failed, true);
	}
	/* The calling thread is worker 0. */
	for (unsigned i = 1; i < n_workers; i++)
		wk[i].started = pthread_create(&wk[i].thread, NULL, thread_main, &wk[i]) == 0;
	work(&wk[0]);
	for (unsigned i = 1; i < n_workers; i++)
		if (wk[i].started)
			pthread_join(wk[i].thread, NULL);

	if (atomic_load(&job.failed)) {
		cc->split_failed = true;
	} else {
		if (!merge_texts(cc, wk, &job) || !merge_keys(cc, wk, n_workers))
			cc->split_failed = true;
		else
			merge_diags(cc, wk, &job);
		for (unsigned i = 0; i < n_workers; i++)
			cc->w.errors += wk[i].cc.w.errors;
	}
	for (unsigned i = 0; i < n_workers; i++)
		worker_free(&wk[i]);
	free(wk);
	free(job.batches);
	if (!cc->split_failed)
		ks_cc_report_duplicates(cc);
}

struct rows {
	const struct ks_cc *cc;
	struct ks_compiled *c;
	size_t lo, hi;
	pthread_t thread;
	bool started;
};

static void *rows_main(void *arg)
{
	struct rows *r = arg;

	ks_cc_build_rows(r->cc, r->c, r->lo, r->hi);
	return NULL;
}

/* Below this many routes, one thread fills the table. */
#define PARALLEL_ROWS_MIN 65536

void ks_cc_build_rows_split(const struct ks_cc *cc, struct ks_compiled *c)
{
	unsigned n = cc->split->threads ? cc->split->threads : 1;
	size_t rows = cc->n_sorted;
	struct rows part[MAX_WORKERS];

	if (n > MAX_WORKERS)
		n = MAX_WORKERS;
	if (n == 1 || rows < PARALLEL_ROWS_MIN) {
		ks_cc_build_rows(cc, c, 0, rows);
		return;
	}
	for (unsigned i = 0; i < n; i++)
		part[i] = (struct rows){cc, c, rows * i / n, rows * (i + 1) / n, 0, false};
	for (unsigned i = 1; i < n; i++)
		part[i].started = pthread_create(&part[i].thread, NULL, rows_main, &part[i]) == 0;
	ks_cc_build_rows(cc, c, part[0].lo, part[0].hi);
	for (unsigned i = 1; i < n; i++) {
		if (part[i].started)
			pthread_join(part[i].thread, NULL);
		else
			ks_cc_build_rows(cc, c, part[i].lo, part[i].hi);
	}
}
