/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tagging unmodified TCP clients by cgroup: the loader of bpf/ks_tag.bpf.c.
 * A tagged cgroup v2 directory has one copy of the sockops program attached
 * (multi-attach mode, so it coexists with other sockops programs), holding
 * that cgroup's key and entity; every process in the directory or below it
 * sends the keysteer TCP option on its SYNs.
 *
 * The attachment outlives the process that made it (the kernel keeps the
 * program while it is attached) and goes away with the cgroup or with
 * ks_tag_detach(). Re-tagging replaces the copy atomically (BPF_F_REPLACE):
 * no connection is opened untagged in between.
 *
 * Every function returns 0 or -errno and writes a reason into msg on error.
 */
#ifndef KS_CLIENT_TAG_H
#define KS_CLIENT_TAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where cgroup2 is mounted when nothing is: beside a v1 hierarchy, else here. */
#define KS_CGROUP2_FALLBACK_V1 "/sys/fs/cgroup/unified"
#define KS_CGROUP2_FALLBACK    "/run/keysteer/cgroup2"

/* The first cgroup2 mount in /proc/mounts. -ENOENT when there is none. */
int ks_cgroup2_find(char *out, size_t len);

/* ks_cgroup2_find, or mount cgroup2 at a fallback when none is mounted. */
int ks_cgroup2_ensure(char *out, size_t len, char *msg, size_t msglen);

/*
 * The cgroup v2 directory PATH names: an absolute path must lie on a cgroup2
 * file system; a relative one is taken under the cgroup2 mount (mounted if
 * need be). With create, missing directories are made (mkdir -p).
 */
int ks_tag_resolve(const char *path, bool create, char *out, size_t len, char *msg, size_t msglen);

/* One attached tagger, as read back from the kernel. */
struct ks_tag_info {
	uint32_t prog_id;
	uint64_t key;
	uint32_t entity;
	uint64_t syns;	  /* SYNs sent with the option */
	uint64_t no_room; /* SYNs whose option space was full */
};

/* Tag dir: attach a new copy for (key, entity), replacing ours if present. */
int ks_tag_attach(const char *dir, uint64_t key, uint32_t entity, struct ks_tag_info *out,
		  char *msg, size_t msglen);

/* Remove every keysteer tagger attached directly to dir; *removed counts them. */
int ks_tag_detach(const char *dir, unsigned *removed, char *msg, size_t msglen);

/* The keysteer taggers attached directly to dir (at most max; *n is how many). */
int ks_tag_show(const char *dir, struct ks_tag_info *out, size_t max, size_t *n, char *msg,
		size_t msglen);

#endif
