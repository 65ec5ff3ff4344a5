/* SPDX-License-Identifier: BSD-3-Clause */
#include "backend/tc_attach.h"
#include "backend/maps.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

static int pin_path(char *out, size_t len, const char *root)
{
	int n = snprintf(out, len, "%s/%s", root ? root : KS_DEFAULT_PIN_ROOT, KS_SHADOW_PIN_NAME);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Load the object against the router's pinned maps and pin its program. */
static int load_and_pin(const struct ks_tc_opts *o, const char *pin, char *msg, size_t msglen)
{
	const char *root = o && o->pin_root ? o->pin_root : KS_DEFAULT_PIN_ROOT;
	const char *path = o && o->obj_path ? o->obj_path : KS_DEFAULT_SHADOW_OBJ;
	LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = root);
	struct bpf_object *obj = bpf_object__open_file(path, &oo);
	struct bpf_program *prog;
	int err;

	if (!obj) {
		err = -errno;
		snprintf(msg, msglen, "%s: %s", path, strerror(errno));
		return err;
	}
	prog = bpf_object__find_program_by_name(obj, "ks_shadow_tc");
	err = prog ? ks_loader_adopt_pinned(obj) : -ENOENT;
	if (!err)
		err = bpf_object__load(obj);
	if (err) {
		snprintf(msg, msglen, "loading %s: %s", path, strerror(-err));
	} else {
		unlink(pin); /* an older program: replaced */
		err = bpf_program__pin(prog, pin);
		if (err)
			snprintf(msg, msglen, "pinning %s: %s", pin, strerror(-err));
	}
	bpf_object__close(obj);
	return err;
}

int ks_tc_attach(const struct ks_tc_opts *o, const char *ifname, char *msg, size_t msglen)
{
	unsigned ifindex = if_nametoindex(ifname);
	LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, to, .handle = KS_SHADOW_TC_HANDLE, .priority = KS_SHADOW_TC_PRIO,
		    .flags = BPF_TC_F_REPLACE);
	char pin[512];
	int fd, err;

	if (!ifindex) {
		snprintf(msg, msglen, "%s: no such interface", ifname);
		return -ENODEV;
	}
	err = pin_path(pin, sizeof(pin), o ? o->pin_root : NULL);
	if (err)
		return err;
	fd = bpf_obj_get(pin);
	if (fd < 0) {
		err = load_and_pin(o, pin, msg, msglen);
		if (err)
			return err;
		fd = bpf_obj_get(pin);
		if (fd < 0) {
			err = -errno;
			snprintf(msg, msglen, "%s: %s", pin, strerror(errno));
			return err;
		}
	}
	hook.ifindex = (int)ifindex;
	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST) {
		snprintf(msg, msglen, "%s: clsact: %s", ifname, strerror(-err));
		close(fd);
		return err;
	}
	to.prog_fd = fd;
	err = bpf_tc_attach(&hook, &to);
	if (err)
		snprintf(msg, msglen, "%s: tc ingress: %s", ifname, strerror(-err));
	close(fd);
	return err;
}

int ks_tc_detach(const char *ifname, char *msg, size_t msglen)
{
	unsigned ifindex = if_nametoindex(ifname);
	LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, to, .handle = KS_SHADOW_TC_HANDLE, .priority = KS_SHADOW_TC_PRIO);
	int err;

	if (!ifindex) {
		snprintf(msg, msglen, "%s: no such interface", ifname);
		return -ENODEV;
	}
	hook.ifindex = (int)ifindex;
	err = bpf_tc_detach(&hook, &to);
	if (err)
		snprintf(msg, msglen, "%s: tc ingress: %s", ifname, strerror(-err));
	return err;
}

int ks_tc_unpin(const char *pin_root)
{
	char pin[512];
	int err = pin_path(pin, sizeof(pin), pin_root);

	if (err)
		return err;
	return unlink(pin) && errno != ENOENT ? -errno : 0;
}

char *ks_shadow_obj_beside(const char *router_obj)
{
	const char *slash = strrchr(router_obj, '/');
	char *path = NULL;

	if (!slash)
		return strdup("ks_shadow.bpf.o");
	if (asprintf(&path, "%.*s/ks_shadow.bpf.o", (int)(slash - router_obj), router_obj) < 0)
		return NULL;
	return path;
}
