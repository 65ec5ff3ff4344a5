/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reading a feed file into a shared text, comparing it with the text read
 * before while the new bytes are still in cache (ksd_text_diff): how long the
 * common prefix is, and how long the common tail with both aligned at their
 * ends. The file feed tells an unchanged file from it, and the incremental
 * compile skips those bytes.
 */
#ifndef KS_DAEMON_FILE_READ_H
#define KS_DAEMON_FILE_READ_H

#include <stdbool.h>
#include <sys/stat.h>

#include "daemon/text.h"

/* Which file a path named when it was read: to tell cheaply whether it names another now. */
struct ksd_file_id {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
};

/*
 * Read path (following symbolic links) to its end. 0 with *out and *id; when
 * last is not NULL, *diff compares the text with it. -errno otherwise
 * (-EINVAL: not a regular file).
 */
int ksd_read_text(const char *path, const struct ksd_text *last, struct ksd_text **out,
		  struct ksd_text_diff *diff, struct ksd_file_id *id);

/* The identity of the file path names now; -errno. */
int ksd_file_id_of(const char *path, struct ksd_file_id *id);
bool ksd_file_id_same(const struct ksd_file_id *a, const struct ksd_file_id *b);

#endif
