/* SPDX-License-Identifier: BSD-3-Clause */
#include "backend/maps.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <keysteer/table.h>

int ks_pin_path(char *buf, size_t len, const char *root, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", root, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int ks_pin_map_open(const char *root, const char *name, struct bpf_map_info *info)
{
	char path[512];
	__u32 len = sizeof(*info);
	int fd, err = ks_pin_path(path, sizeof(path), root, name);

	if (err)
		return err;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	memset(info, 0, sizeof(*info));
	if (bpf_obj_get_info_by_fd(fd, info, &len)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int ks_pin_mkdir(const char *root)
{
	char path[512];
	size_t n = strlen(root);

	if (n == 0 || n >= sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, root, n + 1);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(path, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

int ks_maps_present(const char *pin_root)
{
	char path[512];

	if (ks_pin_path(path, sizeof(path), pin_root, "ks_active"))
		return 0;
	return access(path, F_OK) == 0;
}

struct map_spec {
	const char *name;
	size_t offset; /* of the fd in struct ks_maps */
	__u32 type;
	__u32 key_size;
	__u32 value_size;
};

static const struct map_spec specs[] = {
    {"ks_active", offsetof(struct ks_maps, active), BPF_MAP_TYPE_ARRAY, 4,
     sizeof(struct ks_active)},
    {"ks_config", offsetof(struct ks_maps, config), BPF_MAP_TYPE_ARRAY, 4,
     sizeof(struct ks_config)},
    {"ks_listeners", offsetof(struct ks_maps, listeners), BPF_MAP_TYPE_ARRAY, 4,
     sizeof(struct ks_listener_bucket)},
    {"ks_routes0", offsetof(struct ks_maps, routes[0]), BPF_MAP_TYPE_HASH, sizeof(__u64),
     sizeof(struct ks_route)},
    {"ks_routes1", offsetof(struct ks_maps, routes[1]), BPF_MAP_TYPE_HASH, sizeof(__u64),
     sizeof(struct ks_route)},
    {"ks_shards", offsetof(struct ks_maps, shards), BPF_MAP_TYPE_ARRAY, 4, sizeof(struct ks_shard)},
    {"ks_reason_stats", offsetof(struct ks_maps, reason_stats), BPF_MAP_TYPE_PERCPU_ARRAY, 4,
     sizeof(struct ks_counter)},
    {"ks_shard_stats", offsetof(struct ks_maps, shard_stats), BPF_MAP_TYPE_PERCPU_ARRAY, 4,
     sizeof(struct ks_counter)},
    {"ks_key_stats", offsetof(struct ks_maps, key_stats), BPF_MAP_TYPE_PERCPU_ARRAY, 4,
     sizeof(struct ks_key_stats)},
    {"ks_tx_ports", offsetof(struct ks_maps, tx_ports), BPF_MAP_TYPE_DEVMAP_HASH, 4, 4},
};

static int *fd_of(struct ks_maps *m, const struct map_spec *s)
{
	return (int *)((char *)m + s->offset);
}

void ks_maps_close(struct ks_maps *m)
{
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		int *fd = fd_of(m, &specs[i]);
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
	}
}

int ks_maps_open(struct ks_maps *m, const char *pin_root, char *msg, size_t msglen)
{
	char path[512];
	int err;

	memset(m, 0, sizeof(*m));
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
		*fd_of(m, &specs[i]) = -1;
	m->ncpus = libbpf_num_possible_cpus();
	if (m->ncpus <= 0) {
		snprintf(msg, msglen, "cannot count possible CPUs");
		return m->ncpus < 0 ? m->ncpus : -EINVAL;
	}

	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		const struct map_spec *s = &specs[i];
		struct bpf_map_info info;
		__u32 len = sizeof(info);
		int fd;

		err = ks_pin_path(path, sizeof(path), pin_root, s->name);
		if (err)
			goto fail_msg;
		fd = bpf_obj_get(path);
		if (fd < 0) {
			err = -errno;
			snprintf(msg, msglen, "%s: %s", path, strerror(errno));
			goto fail;
		}
		*fd_of(m, s) = fd;
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
			err = -errno;
			snprintf(msg, msglen, "%s: map info: %s", path, strerror(errno));
			goto fail;
		}
		if (info.type != s->type || info.key_size != s->key_size ||
		    info.value_size != s->value_size) {
			err = -EPROTO;
			snprintf(msg, msglen,
				 "%s: type %u key %u value %u, expected type %u key %u value %u "
				 "(pinned by an incompatible keysteer?)",
				 path, info.type, info.key_size, info.value_size, s->type,
				 s->key_size, s->value_size);
			goto fail;
		}
		/* A generation holds what the smaller of the two route maps holds. */
		if (s->offset == offsetof(struct ks_maps, routes[0]))
			m->routes_max = KS_GENERATIONS * info.max_entries;
		if (s->offset == offsetof(struct ks_maps, routes[1]) &&
		    KS_GENERATIONS * info.max_entries < m->routes_max)
			m->routes_max = KS_GENERATIONS * info.max_entries;
		if (s->offset == offsetof(struct ks_maps, key_stats))
			m->stats_slots = info.max_entries;
		if (s->offset == offsetof(struct ks_maps, shards) &&
		    info.max_entries < KS_GENERATIONS * KS_MAX_SHARDS) {
			err = -EPROTO;
			snprintf(msg, msglen, "%s: %u entries, need %u", path, info.max_entries,
				 KS_GENERATIONS * KS_MAX_SHARDS);
			goto fail;
		}
		if (s->offset == offsetof(struct ks_maps, listeners) &&
		    info.max_entries < KS_GENERATIONS * KS_LISTENER_BUCKETS) {
			err = -EPROTO;
			snprintf(msg, msglen, "%s: %u buckets, need %u", path, info.max_entries,
				 KS_GENERATIONS * KS_LISTENER_BUCKETS);
			goto fail;
		}
	}
	return 0;

fail_msg:
	snprintf(msg, msglen, "%s: path too long", pin_root);
fail:
	ks_maps_close(m);
	return err;
}
