/* SPDX-License-Identifier: BSD-3-Clause */
/* The list of errors a compilation reports (rules.h: struct ks_diags). */
#include <stdlib.h>
#include <string.h>

#include "rules/diag.h"

void ks_diags_reset(struct ks_diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].path);
		free(d->v[i].message);
	}
	d->n = 0;
}

void ks_diags_free(struct ks_diags *d)
{
	if (!d)
		return;
	ks_diags_reset(d);
	free(d->v);
	d->v = NULL;
	d->cap = 0;
}

bool ks_diags_add(struct ks_diags *d, char *path, char *message, const __u32 *order)
{
	struct ks_diag *e;

	if (!path || !message)
		goto oom;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct ks_diag *v = realloc(d->v, cap * sizeof(*v));

		if (!v)
			goto oom;
		d->v = v;
		d->cap = cap;
	}
	e = &d->v[d->n];
	memset(e, 0, sizeof(*e));
	e->path = path;
	e->message = message;
	if (order)
		memcpy(e->order, order, sizeof(e->order));
	e->seq = (__u32)d->n;
	d->n++;
	return true;
oom:
	/* Out of memory while reporting: the error is lost, the caller still fails. */
	free(path);
	free(message);
	return false;
}

static int diag_cmp(const void *a, const void *b)
{
	const struct ks_diag *x = a, *y = b;

	for (int i = 0; i < KS_DIAG_DEPTH; i++)
		if (x->order[i] != y->order[i])
			return x->order[i] < y->order[i] ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void ks_diags_sort(struct ks_diags *d)
{
	if (d->n > 1)
		qsort(d->v, d->n, sizeof(d->v[0]), diag_cmp);
}

void ks_diags_print(const struct ks_diags *d, const char *prefix, FILE *f)
{
	for (size_t i = 0; i < d->n; i++) {
		if (prefix)
			fprintf(f, "%s: ", prefix);
		if (d->v[i].path[0])
			fprintf(f, "%s: ", d->v[i].path);
		fprintf(f, "%s\n", d->v[i].message);
	}
}
