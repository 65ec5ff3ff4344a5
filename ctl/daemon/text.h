/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A rule-set document's text, shared instead of copied. A 100k-route
 * document is megabytes; the feed's last read, the applier's kept copies for
 * rollback and the incremental index all hold the same bytes, so they hold
 * references to one immutable buffer. The count is atomic: a reference may
 * be dropped on another thread.
 */
#ifndef KS_DAEMON_TEXT_H
#define KS_DAEMON_TEXT_H

#include <stdatomic.h>
#include <stddef.h>

struct ksd_text {
	atomic_uint refs;
	size_t len;
	char data[]; /* len bytes, then a NUL */
};

/*
 * How a text compares with an earlier one, base, as its reader found while
 * reading it: the first prefix bytes of both are the same, and so are their
 * last suffix bytes (the two may overlap). Valid while base is alive.
 */
struct ksd_text_diff {
	const struct ksd_text *base;
	size_t prefix, suffix;
};

/* A text of len bytes to fill (data[len] is NUL); one reference. NULL when out of memory. */
struct ksd_text *ksd_text_new(size_t len);
/* A copy of s. */
struct ksd_text *ksd_text_copy(const char *s, size_t len);
struct ksd_text *ksd_text_ref(struct ksd_text *t);
/* Drop a reference (NULL is fine); the last one frees the text. */
void ksd_text_unref(struct ksd_text *t);

/* Length of the common prefix of a and b, n bytes each: memcmp by blocks, then bytes. */
size_t ksd_common_prefix(const char *a, const char *b, size_t n);

#endif
