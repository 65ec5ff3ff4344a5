/* SPDX-License-Identifier: BSD-3-Clause */
#include "backend/ctl_state.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "backend/maps.h"

#define CTL_STATE_PIN "ks_ctl_state"

/* The pinned map, checked to be ours; -ENOENT when none is pinned (msg untouched). */
static int open_pinned(const char *pin_root, char *msg, size_t msglen)
{
	struct bpf_map_info info;
	int fd = ks_pin_map_open(pin_root, CTL_STATE_PIN, &info);

	if (fd == -ENOENT)
		return fd;
	if (fd < 0) {
		snprintf(msg, msglen, "%s/%s: %s", pin_root, CTL_STATE_PIN, strerror(-fd));
		return fd;
	}
	if (info.type != BPF_MAP_TYPE_ARRAY || info.key_size != 4 ||
	    info.value_size != sizeof(struct ks_ctl_state) || info.max_entries != 1) {
		snprintf(msg, msglen, "%s/%s: not keysteerd's state (type %u, value %u bytes)",
			 pin_root, CTL_STATE_PIN, info.type, info.value_size);
		close(fd);
		return -EPROTO;
	}
	return fd;
}

int ks_ctl_state_read(const char *pin_root, struct ks_ctl_state *out, char *msg, size_t msglen)
{
	__u32 zero = 0;
	int fd = open_pinned(pin_root, msg, msglen), err;

	memset(out, 0, sizeof(*out));
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	err = bpf_map_lookup_elem(fd, &zero, out) ? -errno : 0;
	if (err)
		snprintf(msg, msglen, "%s/%s: %s", pin_root, CTL_STATE_PIN, strerror(-err));
	close(fd);
	return err;
}

int ks_ctl_state_write(const char *pin_root, const struct ks_ctl_state *st, char *msg,
		       size_t msglen)
{
	char path[512];
	__u32 zero = 0;
	int fd = open_pinned(pin_root, msg, msglen), err;

	if (fd == -ENOENT) {
		err = ks_pin_path(path, sizeof(path), pin_root, CTL_STATE_PIN);
		fd = err ? err
			 : bpf_map_create(BPF_MAP_TYPE_ARRAY, CTL_STATE_PIN, 4, sizeof(*st), 1,
					  NULL);
		if (fd < 0 || bpf_obj_pin(fd, path)) {
			err = fd < 0 ? (err ? err : -errno) : -errno;
			snprintf(msg, msglen, "%s/%s: %s", pin_root, CTL_STATE_PIN, strerror(-err));
			if (fd >= 0)
				close(fd);
			return err;
		}
	} else if (fd < 0) {
		return fd;
	}
	err = bpf_map_update_elem(fd, &zero, st, BPF_ANY) ? -errno : 0;
	if (err)
		snprintf(msg, msglen, "%s/%s: %s", pin_root, CTL_STATE_PIN, strerror(-err));
	close(fd);
	return err;
}
