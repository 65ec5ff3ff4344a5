/* SPDX-License-Identifier: BSD-3-Clause */
#include "backend/xdp_attach.h"
#include "backend/maps.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define MAX_RECORDS 64

__u32 ks_prog_id(int prog_fd)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return 0;
	return info.id;
}

static int pin_path(const struct ks_xdp_pins *p, const char *name, char *buf, size_t len)
{
	return ks_pin_path(buf, len, p->root, name);
}

int ks_xdp_pin_prog(const struct ks_xdp_pins *p, int prog_fd, char *msg, size_t msglen)
{
	char path[512], tmp[512], tmpname[128];
	int err;

	/* bpffs refuses dots in names. */
	snprintf(tmpname, sizeof(tmpname), "%s_new", p->prog_pin);
	if (pin_path(p, p->prog_pin, path, sizeof(path)) ||
	    pin_path(p, tmpname, tmp, sizeof(tmp))) {
		snprintf(msg, msglen, "%s: path too long", p->root);
		return -ENAMETOOLONG;
	}
	err = ks_pin_mkdir(p->root);
	if (err) {
		snprintf(msg, msglen, "%s: %s", p->root, strerror(-err));
		return err;
	}
	unlink(tmp);
	if (bpf_obj_pin(prog_fd, tmp)) {
		err = -errno;
		snprintf(msg, msglen, "pinning %s: %s", tmp, strerror(errno));
		return err;
	}
	/* rename() over the old pin: there is always a pinned program. */
	if (rename(tmp, path)) {
		err = -errno;
		snprintf(msg, msglen, "renaming %s to %s: %s", tmp, path, strerror(errno));
		unlink(tmp);
		return err;
	}
	return 0;
}

int ks_xdp_pinned_prog(const struct ks_xdp_pins *p)
{
	char path[512];
	int fd;

	if (pin_path(p, p->prog_pin, path, sizeof(path)))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

static int open_record(const struct ks_xdp_pins *p, bool create, char *msg, size_t msglen)
{
	char path[512];
	int fd;

	if (pin_path(p, p->record_pin, path, sizeof(path))) {
		snprintf(msg, msglen, "%s: path too long", p->root);
		return -ENAMETOOLONG;
	}
	fd = bpf_obj_get(path);
	if (fd >= 0 || !create || errno != ENOENT) {
		if (fd < 0)
			snprintf(msg, msglen, "%s: %s", path, strerror(errno));
		return fd < 0 ? -errno : fd;
	}
	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "ks_attached", sizeof(__u32),
			    sizeof(struct ks_attached), MAX_RECORDS, NULL);
	if (fd < 0) {
		snprintf(msg, msglen, "creating %s: %s", path, strerror(errno));
		return -errno;
	}
	if (ks_pin_mkdir(p->root) || bpf_obj_pin(fd, path)) {
		int err = errno ? -errno : -EIO;
		snprintf(msg, msglen, "pinning %s: %s", path, strerror(-err));
		close(fd);
		return err;
	}
	return fd;
}

static __u32 mode_flag(__u32 mode)
{
	return mode == KS_XDP_GENERIC ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
}

/* Program ids attached to ifindex in native and generic mode. */
static int query(int ifindex, __u32 *drv, __u32 *skb)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	*drv = 0;
	*skb = 0;
	if (bpf_xdp_query(ifindex, 0, &q))
		return -errno;
	*drv = q.drv_prog_id;
	*skb = q.skb_prog_id;
	return 0;
}

/* Is the program with this id one this pin root put there? */
static bool is_ours(const struct ks_xdp_pins *p, int rec_fd, __u32 ifindex, __u32 id)
{
	struct ks_attached rec;
	int fd;
	bool ours = false;

	if (id == 0)
		return false;
	if (bpf_map_lookup_elem(rec_fd, &ifindex, &rec) == 0 && rec.prog_id == id)
		return true;
	fd = ks_xdp_pinned_prog(p);
	if (fd >= 0) {
		ours = ks_prog_id(fd) == id;
		close(fd);
	}
	return ours;
}

int ks_xdp_attach(const struct ks_xdp_pins *p, int prog_fd, const char *ifname,
		  enum ks_xdp_mode mode, char *msg, size_t msglen)
{
	__u32 ifindex = if_nametoindex(ifname), drv, skb, cur, other, id = ks_prog_id(prog_fd);
	__u32 flag = mode_flag(mode);
	struct ks_attached rec;
	int rec_fd, err;

	if (!ifindex) {
		snprintf(msg, msglen, "%s: no such interface", ifname);
		return -ENODEV;
	}
	if (!id) {
		snprintf(msg, msglen, "bad program fd");
		return -EBADF;
	}
	rec_fd = open_record(p, true, msg, msglen);
	if (rec_fd < 0)
		return rec_fd;
	err = query(ifindex, &drv, &skb);
	if (err) {
		snprintf(msg, msglen, "%s: querying XDP: %s", ifname, strerror(-err));
		goto out;
	}
	cur = mode == KS_XDP_GENERIC ? skb : drv;
	other = mode == KS_XDP_GENERIC ? drv : skb;
	if (other) {
		err = -EBUSY;
		snprintf(msg, msglen,
			 "%s: XDP program %u is attached in %s mode%s; detach it first "
			 "(a mode change cannot be made without a gap)",
			 ifname, other, mode == KS_XDP_GENERIC ? "native" : "generic",
			 is_ours(p, rec_fd, ifindex, other) ? " (keysteer's)" : "");
		goto out;
	}
	if (cur == id) {
		err = 0; /* re-adopted: already running this program */
	} else if (cur == 0) {
		err = bpf_xdp_attach(ifindex, prog_fd, flag | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
		if (err)
			snprintf(msg, msglen, "%s: attaching %s in %s mode: %s", ifname, p->what,
				 ks_xdp_mode_name(mode), strerror(-err));
	} else if (is_ours(p, rec_fd, ifindex, cur)) {
		LIBBPF_OPTS(bpf_xdp_attach_opts, opts);
		int old_fd = bpf_prog_get_fd_by_id(cur);

		if (old_fd < 0) {
			err = -errno;
			snprintf(msg, msglen, "%s: program %u: %s", ifname, cur, strerror(errno));
			goto out;
		}
		/* The kernel swaps old for new only if old is still attached: no gap, no race. */
		opts.old_prog_fd = old_fd;
		err = bpf_xdp_attach(ifindex, prog_fd, flag | XDP_FLAGS_REPLACE, &opts);
		close(old_fd);
		if (err)
			snprintf(msg, msglen, "%s: replacing program %u: %s", ifname, cur,
				 strerror(-err));
	} else {
		err = -EBUSY;
		snprintf(msg, msglen,
			 "%s: XDP program %u is attached and is not %s's; detach it "
			 "first",
			 ifname, cur, p->what);
	}
	if (err)
		goto out;
	memset(&rec, 0, sizeof(rec));
	rec.ifindex = ifindex;
	rec.prog_id = id;
	rec.mode = mode;
	snprintf(rec.ifname, sizeof(rec.ifname), "%s", ifname);
	if (bpf_map_update_elem(rec_fd, &ifindex, &rec, BPF_ANY)) {
		err = -errno;
		snprintf(msg, msglen, "recording %s: %s", ifname, strerror(errno));
	}
out:
	close(rec_fd);
	return err;
}

static int find_record(int rec_fd, const char *ifname, struct ks_attached *rec)
{
	__u32 key, next, *prev = NULL;

	while (bpf_map_get_next_key(rec_fd, prev, &next) == 0) {
		if (bpf_map_lookup_elem(rec_fd, &next, rec) == 0 &&
		    strncmp(rec->ifname, ifname, sizeof(rec->ifname)) == 0)
			return 0;
		key = next;
		prev = &key;
	}
	return -ENOENT;
}

static int detach_record(const struct ks_xdp_pins *p, int rec_fd, const struct ks_attached *rec,
			 char *msg, size_t msglen)
{
	__u32 ifindex = rec->ifindex, drv, skb, cur;
	int err = 0;

	if (if_nametoindex(rec->ifname) != ifindex) {
		/* The interface is gone (its program went with it) or was renumbered. */
		bpf_map_delete_elem(rec_fd, &ifindex);
		return 0;
	}
	err = query(ifindex, &drv, &skb);
	if (err) {
		snprintf(msg, msglen, "%s: querying XDP: %s", rec->ifname, strerror(-err));
		return err;
	}
	cur = rec->mode == KS_XDP_GENERIC ? skb : drv;
	if (cur && cur == rec->prog_id) {
		LIBBPF_OPTS(bpf_xdp_attach_opts, opts);
		int old_fd = bpf_prog_get_fd_by_id(cur);

		if (old_fd < 0) {
			err = -errno;
			snprintf(msg, msglen, "%s: program %u: %s", rec->ifname, cur,
				 strerror(errno));
			return err;
		}
		opts.old_prog_fd = old_fd;
		err = bpf_xdp_detach(ifindex, mode_flag(rec->mode) | XDP_FLAGS_REPLACE, &opts);
		close(old_fd);
		if (err) {
			snprintf(msg, msglen, "%s: detaching: %s", rec->ifname, strerror(-err));
			return err;
		}
	} else if (cur) {
		snprintf(msg, msglen, "%s: program %u is attached, not %s's %u: left alone",
			 rec->ifname, cur, p->what, rec->prog_id);
	}
	bpf_map_delete_elem(rec_fd, &ifindex);
	return 0;
}

int ks_xdp_detach(const struct ks_xdp_pins *p, const char *ifname, char *msg, size_t msglen)
{
	struct ks_attached rec;
	int rec_fd = open_record(p, false, msg, msglen), err;

	if (rec_fd < 0) {
		if (rec_fd == -ENOENT)
			snprintf(msg, msglen, "%s: %s is not attached (nothing recorded under %s)",
				 ifname, p->what, p->root);
		return rec_fd;
	}
	err = find_record(rec_fd, ifname, &rec);
	if (err)
		snprintf(msg, msglen, "%s: %s is not attached there", ifname, p->what);
	else
		err = detach_record(p, rec_fd, &rec, msg, msglen);
	close(rec_fd);
	return err;
}

int ks_xdp_list(const struct ks_xdp_pins *p, struct ks_attached *out, size_t max, size_t *n)
{
	char msg[256];
	__u32 key, next, *prev = NULL;
	int rec_fd = open_record(p, false, msg, sizeof(msg));

	*n = 0;
	if (rec_fd == -ENOENT)
		return 0;
	if (rec_fd < 0)
		return rec_fd;
	while (*n < max && bpf_map_get_next_key(rec_fd, prev, &next) == 0) {
		if (bpf_map_lookup_elem(rec_fd, &next, &out[*n]) == 0)
			(*n)++;
		key = next;
		prev = &key;
	}
	close(rec_fd);
	return 0;
}

int ks_pin_purge(const char *root)
{
	DIR *d = opendir(root);
	struct dirent *e;
	char path[512];
	int err = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (ks_pin_path(path, sizeof(path), root, e->d_name) == 0 && unlink(path) &&
		    errno != ENOENT)
			err = -errno;
	}
	closedir(d);
	if (rmdir(root) && errno != ENOENT)
		err = -errno;
	return err;
}

int ks_xdp_detach_all(const struct ks_xdp_pins *p, bool purge, char *msg, size_t msglen)
{
	struct ks_attached recs[MAX_RECORDS];
	size_t n;
	int err = ks_xdp_list(p, recs, MAX_RECORDS, &n), rec_fd;

	if (err) {
		snprintf(msg, msglen, "%s: reading the attach record: %s", p->root, strerror(-err));
		return err;
	}
	rec_fd = n ? open_record(p, false, msg, msglen) : -1;
	for (size_t i = 0; i < n && rec_fd >= 0; i++) {
		int e = detach_record(p, rec_fd, &recs[i], msg, msglen);
		if (e && !err)
			err = e;
	}
	if (rec_fd >= 0)
		close(rec_fd);
	if (!err && purge) {
		err = ks_pin_purge(p->root);
		if (err)
			snprintf(msg, msglen, "%s: removing pins: %s", p->root, strerror(-err));
	}
	return err;
}

int ks_xdp_check(const struct ks_xdp_pins *p)
{
	struct ks_attached recs[MAX_RECORDS];
	size_t n;
	int fd = ks_xdp_pinned_prog(p), err;
	__u32 id;

	if (fd < 0)
		return fd == -ENOENT ? 0 : fd;
	id = ks_prog_id(fd);
	close(fd);
	err = ks_xdp_list(p, recs, MAX_RECORDS, &n);
	if (err)
		return err;
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		__u32 drv, skb;

		if (if_nametoindex(recs[i].ifname) != recs[i].ifindex ||
		    query(recs[i].ifindex, &drv, &skb))
			return 0;
		if ((recs[i].mode == KS_XDP_GENERIC ? skb : drv) != id)
			return 0;
	}
	return 1;
}
