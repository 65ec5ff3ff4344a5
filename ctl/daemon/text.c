/* SPDX-License-Identifier: BSD-3-Clause */
#include "daemon/text.h"

#include <stdlib.h>
#include <string.h>

struct ksd_text *ksd_text_new(size_t len)
{
	struct ksd_text *t = malloc(sizeof(*t) + len + 1);

	if (!t)
		return NULL;
	atomic_init(&t->refs, 1);
	t->len = len;
	t->data[len] = '\0';
	return t;
}

struct ksd_text *ksd_text_copy(const char *s, size_t len)
{
	struct ksd_text *t = ksd_text_new(len);

	if (t)
		memcpy(t->data, s, len);
	return t;
}

struct ksd_text *ksd_text_ref(struct ksd_text *t)
{
	if (t)
		atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
	return t;
}

void ksd_text_unref(struct ksd_text *t)
{
	if (t && atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) == 1)
		free(t);
}

size_t ksd_common_prefix(const char *a, const char *b, size_t n)
{
	size_t i = 0;

	while (n - i >= 4096 && memcmp(a + i, b + i, 4096) == 0)
		i += 4096;
	while (n - i >= 64 && memcmp(a + i, b + i, 64) == 0)
		i += 64;
	while (i < n && a[i] == b[i])
		i++;
	return i;
}
