/* SPDX-License-Identifier: BSD-3-Clause */
#include "client/ks_tag.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mntent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/magic.h>

#include "ks_tag.skel.h"

#define TAG_PROG_NAME "ks_tag"
#define MAX_ATTACHED  64

static int fail(char *msg, size_t msglen, int err, const char *fmt, ...)
{
	va_list ap;

	if (msg && msglen) {
		va_start(ap, fmt);
		vsnprintf(msg, msglen, fmt, ap);
		va_end(ap);
	}
	return err < 0 ? err : -err;
}

static bool on_cgroup2(const char *path)
{
	struct statfs sf;

	return statfs(path, &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC;
}

int ks_cgroup2_find(char *out, size_t len)
{
	FILE *f = setmntent("/proc/mounts", "r");
	struct mntent *m;
	int rc = -ENOENT;

	if (!f)
		return -errno;
	while ((m = getmntent(f))) {
		if (strcmp(m->mnt_type, "cgroup2") == 0 && on_cgroup2(m->mnt_dir)) {
			rc = snprintf(out, len, "%s", m->mnt_dir) < (int)len ? 0 : -ENAMETOOLONG;
			break;
		}
	}
	endmntent(f);
	return rc;
}

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	if (n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

int ks_cgroup2_ensure(char *out, size_t len, char *msg, size_t msglen)
{
	struct stat st;
	const char *at = KS_CGROUP2_FALLBACK;
	int rc = ks_cgroup2_find(out, len);

	if (rc != -ENOENT)
		return rc ? fail(msg, msglen, rc, "reading /proc/mounts: %s", strerror(-rc)) : 0;
	/* Beside a v1 hierarchy, systemd's place for the unified one. */
	if (stat(KS_CGROUP2_FALLBACK_V1, &st) == 0 && S_ISDIR(st.st_mode))
		at = KS_CGROUP2_FALLBACK_V1;
	else if ((rc = mkdir_p(at, 0755)))
		return fail(msg, msglen, rc, "mkdir %s: %s", at, strerror(-rc));
	if (mount("cgroup2", at, "cgroup2", 0, NULL))
		return fail(msg, msglen, errno, "no cgroup2 mounted, and mounting one at %s: %s",
			    at, strerror(errno));
	if (snprintf(out, len, "%s", at) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

/* The deepest existing ancestor of path (path itself if it exists). */
static void existing_ancestor(const char *path, char *out, size_t len)
{
	struct stat st;
	char *slash;

	snprintf(out, len, "%s", path);
	while (stat(out, &st) != 0 && (slash = strrchr(out, '/')) && slash != out)
		*slash = '\0';
	if (stat(out, &st) != 0)
		snprintf(out, len, "/");
}

int ks_tag_resolve(const char *path, bool create, char *out, size_t len, char *msg, size_t msglen)
{
	char mnt[PATH_MAX], anc[PATH_MAX];
	struct stat st;
	int rc;

	if (!path || !*path)
		return fail(msg, msglen, EINVAL, "empty cgroup path");
	if (path[0] == '/') {
		if (snprintf(out, len, "%s", path) >= (int)len)
			return fail(msg, msglen, ENAMETOOLONG, "cgroup path too long");
	} else {
		rc = ks_cgroup2_ensure(mnt, sizeof(mnt), msg, msglen);
		if (rc)
			return rc;
		if (snprintf(out, len, "%s/%s", mnt, path) >= (int)len)
			return fail(msg, msglen, ENAMETOOLONG, "cgroup path too long");
	}
	existing_ancestor(out, anc, sizeof(anc));
	if (!on_cgroup2(anc))
		return fail(msg, msglen, ENOTDIR, "%s is not on a cgroup v2 file system%s", anc,
			    path[0] == '/'
				? " (give a path under the cgroup2 mount, or a relative one)"
				: "");
	if (stat(out, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			return fail(msg, msglen, ENOTDIR, "%s is not a directory", out);
		return 0;
	}
	if (!create)
		return fail(msg, msglen, ENOENT, "%s: no such cgroup", out);
	rc = mkdir_p(out, 0755);
	if (rc)
		return fail(msg, msglen, rc, "mkdir %s: %s", out, strerror(-rc));
	return 0;
}

static int open_cgroup(const char *dir, char *msg, size_t msglen)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return fail(msg, msglen, errno, "open %s: %s", dir, strerror(errno));
	if (!on_cgroup2(dir)) {
		close(fd);
		return fail(msg, msglen, ENOTDIR, "%s is not a cgroup v2 directory", dir);
	}
	return fd;
}

/* Ids of our taggers attached directly to the cgroup. */
static int our_progs(int cg, __u32 *ids, size_t max, size_t *n, char *msg, size_t msglen)
{
	__u32 all[MAX_ATTACHED], cnt = MAX_ATTACHED, flags = 0;

	*n = 0;
	if (bpf_prog_query(cg, BPF_CGROUP_SOCK_OPS, 0, &flags, all, &cnt))
		return fail(msg, msglen, errno, "querying the cgroup's sockops programs: %s",
			    strerror(errno));
	for (__u32 i = 0; i < cnt && *n < max; i++) {
		struct bpf_prog_info info = {};
		__u32 ilen = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(all[i]);

		if (fd < 0)
			continue; /* detached meanwhile */
		if (bpf_obj_get_info_by_fd(fd, &info, &ilen) == 0 &&
		    strcmp(info.name, TAG_PROG_NAME) == 0)
			ids[(*n)++] = all[i];
		close(fd);
	}
	return 0;
}

/* Read a program's .rodata (key, entity) and .bss (counters) back. */
static int read_info(__u32 id, struct ks_tag_info *out)
{
	__u32 map_ids[8];
	struct bpf_prog_info info = {.nr_map_ids = 8, .map_ids = (__u64)(unsigned long)map_ids};
	__u32 ilen = sizeof(info), zero = 0;
	int fd = bpf_prog_get_fd_by_id(id);

	memset(out, 0, sizeof(*out));
	out->prog_id = id;
	if (fd < 0)
		return -errno;
	if (bpf_obj_get_info_by_fd(fd, &info, &ilen)) {
		close(fd);
		return -errno;
	}
	close(fd);
	for (__u32 i = 0; i < info.nr_map_ids && i < 8; i++) {
		struct bpf_map_info mi = {};
		__u32 mlen = sizeof(mi);
		int mfd = bpf_map_get_fd_by_id(map_ids[i]);
		__u8 val[64];
		size_t nl;

		if (mfd < 0)
			continue;
		if (bpf_obj_get_info_by_fd(mfd, &mi, &mlen) == 0 && mi.value_size <= sizeof(val)) {
			/* The section may be shorter than the skeleton's padded struct. */
			memset(val, 0, sizeof(val));
			nl = strlen(mi.name);
			if (bpf_map_lookup_elem(mfd, &zero, val) != 0) {
				/* unreadable: leave zeros */
			} else if (nl >= 7 && strcmp(mi.name + nl - 7, ".rodata") == 0) {
				struct ks_tag_bpf__rodata ro;

				memcpy(&ro, val, sizeof(ro));
				out->key = ro.ks_tag_key;
				out->entity = ro.ks_tag_entity;
			} else if (nl >= 4 && strcmp(mi.name + nl - 4, ".bss") == 0) {
				struct ks_tag_bpf__bss bss;

				memcpy(&bss, val, sizeof(bss));
				out->syns = bss.ks_tag_syns;
				out->no_room = bss.ks_tag_no_room;
			}
		}
		close(mfd);
	}
	return 0;
}

int ks_tag_attach(const char *dir, uint64_t key, uint32_t entity, struct ks_tag_info *out,
		  char *msg, size_t msglen)
{
	LIBBPF_OPTS(bpf_prog_attach_opts, opts, .flags = BPF_F_ALLOW_MULTI);
	struct ks_tag_bpf *skel;
	struct bpf_prog_info info = {};
	__u32 ids[MAX_ATTACHED], ilen = sizeof(info);
	size_t n = 0;
	int cg, old_fd = -1, prog_fd, rc;

	cg = open_cgroup(dir, msg, msglen);
	if (cg < 0)
		return cg;
	rc = our_progs(cg, ids, MAX_ATTACHED, &n, msg, msglen);
	if (rc)
		goto out_cg;
	skel = ks_tag_bpf__open();
	if (!skel) {
		rc = fail(msg, msglen, errno, "opening the tagger: %s", strerror(errno));
		goto out_cg;
	}
	skel->rodata->ks_tag_key = key;
	skel->rodata->ks_tag_entity = entity;
	rc = ks_tag_bpf__load(skel);
	if (rc) {
		rc = fail(msg, msglen, rc, "loading the sockops program: %s", strerror(-rc));
		goto out_skel;
	}
	prog_fd = bpf_program__fd(skel->progs.ks_tag);
	if (n > 0) {
		old_fd = bpf_prog_get_fd_by_id(ids[0]);
		if (old_fd >= 0) {
			opts.flags |= BPF_F_REPLACE;
			opts.replace_prog_fd = old_fd;
		}
	}
	if (bpf_prog_attach_opts(prog_fd, cg, BPF_CGROUP_SOCK_OPS, &opts)) {
		rc = fail(msg, msglen, errno, "attaching to %s: %s%s", dir, strerror(errno),
			  errno == EPERM ? " (another program holds this cgroup in exclusive mode?)"
					 : "");
		goto out_skel;
	}
	/* Leftovers (two concurrent tag commands): keep only the copy just attached. */
	for (size_t i = 1; i < n; i++) {
		int fd = bpf_prog_get_fd_by_id(ids[i]);

		if (fd >= 0) {
			bpf_prog_detach2(fd, cg, BPF_CGROUP_SOCK_OPS);
			close(fd);
		}
	}
	if (out) {
		memset(out, 0, sizeof(*out));
		if (bpf_obj_get_info_by_fd(prog_fd, &info, &ilen) == 0)
			out->prog_id = info.id;
		out->key = key;
		out->entity = entity;
	}
	rc = 0;
out_skel:
	if (old_fd >= 0)
		close(old_fd);
	/* The attachment keeps the program (and its maps) alive without us. */
	ks_tag_bpf__destroy(skel);
out_cg:
	close(cg);
	return rc;
}

int ks_tag_detach(const char *dir, unsigned *removed, char *msg, size_t msglen)
{
	__u32 ids[MAX_ATTACHED];
	size_t n = 0;
	int cg, rc;

	*removed = 0;
	cg = open_cgroup(dir, msg, msglen);
	if (cg < 0)
		return cg;
	rc = our_progs(cg, ids, MAX_ATTACHED, &n, msg, msglen);
	for (size_t i = 0; !rc && i < n; i++) {
		int fd = bpf_prog_get_fd_by_id(ids[i]);

		if (fd < 0)
			continue;
		if (bpf_prog_detach2(fd, cg, BPF_CGROUP_SOCK_OPS) == 0)
			(*removed)++;
		else if (errno != ENOENT)
			rc = fail(msg, msglen, errno, "detaching program %u: %s", ids[i],
				  strerror(errno));
		close(fd);
	}
	close(cg);
	return rc;
}

int ks_tag_show(const char *dir, struct ks_tag_info *out, size_t max, size_t *n, char *msg,
		size_t msglen)
{
	__u32 ids[MAX_ATTACHED];
	size_t found = 0;
	int cg, rc;

	*n = 0;
	cg = open_cgroup(dir, msg, msglen);
	if (cg < 0)
		return cg;
	rc = our_progs(cg, ids, MAX_ATTACHED, &found, msg, msglen);
	close(cg);
	for (size_t i = 0; !rc && i < found && *n < max; i++)
		if (read_info(ids[i], &out[*n]) == 0)
			(*n)++;
	return rc;
}
