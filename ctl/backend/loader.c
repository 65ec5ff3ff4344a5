/* SPDX-License-Identifier: BSD-3-Clause */
#include "backend/loader.h"
#include "backend/maps.h"
#include "backend/xdp_attach.h"
#include <keysteer/table.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

struct ks_router {
	struct bpf_object *obj; /* NULL when adopted from the pin */
	int prog_fd;
	__u32 prog_id;
	char pin_root[256];
};

static struct ks_xdp_pins router_pins(const char *root)
{
	return (struct ks_xdp_pins){
	    .root = root ? root : KS_DEFAULT_PIN_ROOT,
	    .prog_pin = KS_PROG_PIN_NAME,
	    .record_pin = KS_ATTACHED_PIN_NAME,
	    .what = "keysteer router",
	};
}

const char *ks_xdp_mode_name(enum ks_xdp_mode m)
{
	return m == KS_XDP_GENERIC ? "generic" : "native";
}

int ks_xdp_mode_parse(const char *s, enum ks_xdp_mode *m)
{
	if (!strcmp(s, "native") || !strcmp(s, "drv")) {
		*m = KS_XDP_NATIVE;
		return 0;
	}
	if (!strcmp(s, "generic") || !strcmp(s, "skb")) {
		*m = KS_XDP_GENERIC;
		return 0;
	}
	return -EINVAL;
}

static __u32 wanted_size(const struct ks_loader_opts *o, const char *name)
{
	__u32 cap = o->route_capacity;

	if (cap && (!strcmp(name, "ks_routes0") || !strcmp(name, "ks_routes1")))
		return cap;
	if (!strcmp(name, "ks_key_stats")) {
		if (o->stats_slots)
			return o->stats_slots;
		/* Headroom so keys replacing others find free slots before reclaim. */
		if (cap)
			return cap + cap / 8 + 1;
	}
	/* Per-CPU LRU lists split max_entries between the possible CPUs. */
	if (o->flows_per_cpu && (!strcmp(name, "ks_flows4") || !strcmp(name, "ks_flows6") ||
				 !strcmp(name, "ks_nat_rev"))) {
		int ncpus = libbpf_num_possible_cpus();
		__u64 n = (__u64)o->flows_per_cpu * (__u32)(ncpus > 0 ? ncpus : 1);

		/* Beyond what a map can hold: the kernel refuses it at load, loudly. */
		return n > 0xffffffffULL ? 0xffffffffU : (__u32)n;
	}
	for (size_t i = 0; i < o->n_sizes; i++)
		if (!strcmp(o->sizes[i].name, name))
			return o->sizes[i].max_entries;
	return 0;
}

/*
 * A pinned map is reused only if its size matches, so pinned sizes win over
 * the configured ones: the tables survive; resizing needs a purge.
 */
static int size_maps(struct bpf_object *obj, const struct ks_loader_opts *o, char *msg,
		     size_t msglen)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, obj)
	{
		__u32 want = wanted_size(o, bpf_map__name(map));

		if (want && bpf_map__set_max_entries(map, want)) {
			snprintf(msg, msglen, "map %s: cannot size to %u", bpf_map__name(map),
				 want);
			return -EINVAL;
		}
	}
	return ks_loader_adopt_pinned(obj);
}

int ks_loader_adopt_pinned(struct bpf_object *obj)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, obj)
	{
		const char *path = bpf_map__pin_path(map);
		struct bpf_map_info info;
		__u32 len = sizeof(info);
		int fd = path ? bpf_obj_get(path) : -1, err = 0;

		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0) {
			err = bpf_map__set_max_entries(map, info.max_entries);
			/*
			 * The kernel adds BPF_F_RDONLY_PROG to every devmap, and
			 * libbpf 1.1 then finds its own flags "incompatible".
			 */
			if (!err && (info.type == BPF_MAP_TYPE_DEVMAP ||
				     info.type == BPF_MAP_TYPE_DEVMAP_HASH))
				err = bpf_map__set_map_flags(map, info.map_flags);
		}
		close(fd);
		if (err)
			return err;
	}
	return 0;
}

static struct bpf_program *pick_prog(struct bpf_object *obj, const char *name)
{
	struct bpf_program *p;

	if (name)
		return bpf_object__find_program_by_name(obj, name);
	bpf_object__for_each_program(p,
				     obj) if (bpf_program__type(p) == BPF_PROG_TYPE_XDP) return p;
	return NULL;
}

static int open_object(struct bpf_object **out, const struct ks_loader_opts *o, char *msg,
		       size_t msglen)
{
	const char *root = o->pin_root ? o->pin_root : KS_DEFAULT_PIN_ROOT;
	const char *path = o->obj_path ? o->obj_path : KS_DEFAULT_ROUTER_OBJ;
	LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = root);
	struct bpf_object *obj;
	int err;

	err = ks_pin_mkdir(root);
	if (err) {
		snprintf(msg, msglen, "%s: %s (is bpffs mounted?)", root, strerror(-err));
		return err;
	}
	obj = bpf_object__open_file(path, &oo);
	if (!obj) {
		err = -errno;
		snprintf(msg, msglen, "%s: %s", path, strerror(errno));
		return err;
	}
	err = size_maps(obj, o, msg, msglen);
	if (!err && o->before_load)
		err = o->before_load(obj, o->ctx);
	if (err) {
		if (!msg[0])
			snprintf(msg, msglen, "%s: preparing: %s", path, strerror(-err));
		bpf_object__close(obj);
		return err;
	}
	*out = obj;
	return 0;
}

int ks_router_create_maps(const struct ks_loader_opts *o, char *msg, size_t msglen)
{
	struct bpf_object *obj;
	struct bpf_program *p;
	int err;

	msg[0] = '\0';
	err = open_object(&obj, o, msg, msglen);
	if (err)
		return err;
	bpf_object__for_each_program(p, obj) bpf_program__set_autoload(p, false);
	err = bpf_object__load(obj);
	if (err)
		snprintf(msg, msglen, "creating maps from %s: %s",
			 o->obj_path ? o->obj_path : KS_DEFAULT_ROUTER_OBJ, strerror(-err));
	bpf_object__close(obj);
	return err;
}

int ks_router_load(struct ks_router **out, const struct ks_loader_opts *o, char *msg, size_t msglen)
{
	struct ks_xdp_pins pins = router_pins(o->pin_root);
	struct ks_router *r;
	struct bpf_program *prog;
	int err;

	*out = NULL;
	msg[0] = '\0';
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	snprintf(r->pin_root, sizeof(r->pin_root), "%s", pins.root);
	err = open_object(&r->obj, o, msg, msglen);
	if (err) {
		free(r);
		return err;
	}
	prog = pick_prog(r->obj, o->prog_name);
	if (!prog) {
		snprintf(msg, msglen, "%s: no XDP program%s%s",
			 o->obj_path ? o->obj_path : KS_DEFAULT_ROUTER_OBJ,
			 o->prog_name ? " named " : "", o->prog_name ? o->prog_name : "");
		ks_router_close(r);
		return -ENOENT;
	}
	err = bpf_object__load(r->obj);
	if (err) {
		snprintf(msg, msglen, "loading %s: %s (libbpf printed the details)",
			 o->obj_path ? o->obj_path : KS_DEFAULT_ROUTER_OBJ, strerror(-err));
		ks_router_close(r);
		return err;
	}
	r->prog_fd = bpf_program__fd(prog);
	r->prog_id = ks_prog_id(r->prog_fd);
	err = ks_xdp_pin_prog(&pins, r->prog_fd, msg, msglen);
	if (err) {
		ks_router_close(r);
		return err;
	}
	*out = r;
	return 0;
}

int ks_router_adopt(struct ks_router **out, const char *pin_root, char *msg, size_t msglen)
{
	struct ks_xdp_pins pins = router_pins(pin_root);
	struct ks_router *r;
	int fd;

	*out = NULL;
	fd = ks_xdp_pinned_prog(&pins);
	if (fd < 0) {
		snprintf(msg, msglen, "%s/%s: %s", pins.root, pins.prog_pin, strerror(-fd));
		return fd;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		close(fd);
		return -ENOMEM;
	}
	snprintf(r->pin_root, sizeof(r->pin_root), "%s", pins.root);
	r->prog_fd = fd;
	r->prog_id = ks_prog_id(fd);
	*out = r;
	return 0;
}

void ks_router_close(struct ks_router *r)
{
	if (!r)
		return;
	if (r->obj)
		bpf_object__close(r->obj); /* closes prog_fd */
	else if (r->prog_fd > 0)
		close(r->prog_fd);
	free(r);
}

int ks_router_prog_fd(const struct ks_router *r)
{
	return r->prog_fd;
}

__u32 ks_router_prog_id(const struct ks_router *r)
{
	return r->prog_id;
}

int ks_router_add_tx_port(const char *pin_root, __u32 ifindex)
{
	char path[512];
	int fd, err = 0;

	if (ks_pin_path(path, sizeof(path), pin_root ? pin_root : KS_DEFAULT_PIN_ROOT,
			"ks_tx_ports"))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	if (bpf_map_update_elem(fd, &ifindex, &ifindex, BPF_ANY))
		err = -errno;
	close(fd);
	return err;
}

int ks_router_attach(struct ks_router *r, const char *ifname, enum ks_xdp_mode mode, char *msg,
		     size_t msglen)
{
	struct ks_xdp_pins pins = router_pins(r->pin_root);
	int err = ks_xdp_attach(&pins, r->prog_fd, ifname, mode, msg, msglen);

	if (err)
		return err;
	err = ks_router_add_tx_port(r->pin_root, if_nametoindex(ifname));
	if (err)
		snprintf(msg, msglen, "%s: adding to ks_tx_ports: %s", ifname, strerror(-err));
	return err;
}

int ks_router_reattach_all(struct ks_router *r, unsigned *n, char *msg, size_t msglen)
{
	struct ks_attached recs[64];
	size_t cnt;
	int err = ks_router_attached(r->pin_root, recs, 64, &cnt);

	*n = 0;
	if (err) {
		snprintf(msg, msglen, "%s: reading the attach record: %s", r->pin_root,
			 strerror(-err));
		return err;
	}
	for (size_t i = 0; i < cnt; i++) {
		if (recs[i].prog_id == r->prog_id)
			continue;
		err = ks_router_attach(r, recs[i].ifname, recs[i].mode, msg, msglen);
		if (err)
			return err;
		(*n)++;
	}
	return 0;
}

int ks_router_detach(const char *pin_root, const char *ifname, char *msg, size_t msglen)
{
	struct ks_xdp_pins pins = router_pins(pin_root);

	return ks_xdp_detach(&pins, ifname, msg, msglen);
}

int ks_router_detach_all(const char *pin_root, bool purge, char *msg, size_t msglen)
{
	struct ks_xdp_pins pins = router_pins(pin_root);

	return ks_xdp_detach_all(&pins, purge, msg, msglen);
}

int ks_router_attached(const char *pin_root, struct ks_attached *out, size_t max, size_t *n)
{
	struct ks_xdp_pins pins = router_pins(pin_root);

	return ks_xdp_list(&pins, out, max, n);
}

int ks_router_check_attached(const char *pin_root)
{
	struct ks_xdp_pins pins = router_pins(pin_root);

	return ks_xdp_check(&pins);
}
