/* SPDX-License-Identifier: BSD-3-Clause */
#include "backend/decap_loader.h"
#include "backend/map_io.h"
#include "backend/maps.h"
#include "backend/xdp_attach.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <keysteer/compat.h>
#include <keysteer/table.h>

#define DECAP_PROG_PIN "prog_decap"
#define DECAP_RECORD   "ks_decap_attached"

static struct ks_xdp_pins decap_pins(const char *root)
{
	return (struct ks_xdp_pins){
	    .root = root ? root : KS_DEFAULT_DECAP_PIN_ROOT,
	    .prog_pin = DECAP_PROG_PIN,
	    .record_pin = DECAP_RECORD,
	    .what = "keysteer decapsulator",
	};
}

const char *ks_decap_outcome_name(unsigned o)
{
	static const char *const names[KS_DECAP_MAX] = {
	    [KS_DECAP_GUE] = "gue",	      [KS_DECAP_IPIP] = "ipip",
	    [KS_DECAP_PASS] = "pass",	      [KS_DECAP_UNSUPPORTED] = "unsupported",
	    [KS_DECAP_FRAGMENT] = "fragment", [KS_DECAP_MALFORMED] = "malformed",
	};
	return o < KS_DECAP_MAX && names[o] ? names[o] : "?";
}

static int open_config(const char *root)
{
	char path[512];
	int fd;

	if (ks_pin_path(path, sizeof(path), root, "ks_decap_config"))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

/* Load the object with its maps pinned under root; pin the program. */
static int load(const struct ks_xdp_pins *pins, const char *obj_path, char *msg, size_t msglen)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = pins->root);
	struct bpf_object *obj;
	struct bpf_program *prog;
	int err;

	err = ks_pin_mkdir(pins->root);
	if (err) {
		snprintf(msg, msglen, "%s: %s (is bpffs mounted?)", pins->root, strerror(-err));
		return err;
	}
	obj = bpf_object__open_file(obj_path, &oo);
	if (!obj) {
		err = -errno;
		snprintf(msg, msglen, "%s: %s", obj_path, strerror(errno));
		return err;
	}
	prog = bpf_object__find_program_by_name(obj, "ks_decap");
	err = prog ? bpf_object__load(obj) : -ENOENT;
	if (err)
		snprintf(msg, msglen, "loading %s: %s", obj_path, strerror(-err));
	else
		err = ks_xdp_pin_prog(pins, bpf_program__fd(prog), msg, msglen);
	bpf_object__close(obj);
	return err;
}

int ks_decap_attach(const struct ks_decap_opts *o, const char *ifname, enum ks_xdp_mode mode,
		    char *msg, size_t msglen)
{
	struct ks_xdp_pins pins = decap_pins(o->pin_root);
	struct ks_decap_config cfg;
	__u32 zero = 0;
	int prog_fd, cfg_fd, err;
	bool fresh = false;

	msg[0] = '\0';
	prog_fd = ks_xdp_pinned_prog(&pins);
	if (prog_fd == -ENOENT) {
		err = load(&pins, o->obj_path ? o->obj_path : KS_DEFAULT_DECAP_OBJ, msg, msglen);
		if (err)
			return err;
		fresh = true;
		prog_fd = ks_xdp_pinned_prog(&pins);
	}
	if (prog_fd < 0) {
		snprintf(msg, msglen, "%s/%s: %s", pins.root, pins.prog_pin, strerror(-prog_fd));
		return prog_fd;
	}
	cfg_fd = open_config(pins.root);
	if (cfg_fd < 0) {
		err = cfg_fd;
		snprintf(msg, msglen, "%s/ks_decap_config: %s", pins.root, strerror(-err));
		goto out;
	}
	/* Set the port before the program sees traffic on a new interface. */
	if (o->gue_port || fresh) {
		memset(&cfg, 0, sizeof(cfg));
		cfg.gue_port = ks_htons(o->gue_port ? o->gue_port : KS_DEFAULT_GUE_PORT);
		if (bpf_map_update_elem(cfg_fd, &zero, &cfg, BPF_ANY)) {
			err = -errno;
			snprintf(msg, msglen, "setting the GUE port: %s", strerror(errno));
			close(cfg_fd);
			goto out;
		}
	}
	close(cfg_fd);
	err = ks_xdp_attach(&pins, prog_fd, ifname, mode, msg, msglen);
out:
	close(prog_fd);
	if (err && fresh) {
		size_t n = 0;
		struct ks_attached rec;

		/* Nothing attached: leave no pins behind. */
		if (ks_xdp_list(&pins, &rec, 1, &n) == 0 && n == 0)
			ks_pin_purge(pins.root);
	}
	return err;
}

int ks_decap_detach(const char *pin_root, const char *ifname, char *msg, size_t msglen)
{
	struct ks_xdp_pins pins = decap_pins(pin_root);
	struct ks_attached rec;
	size_t n = 0;
	int err;

	msg[0] = '\0';
	err = ks_xdp_detach(&pins, ifname, msg, msglen);
	if (err)
		return err;
	if (ks_xdp_list(&pins, &rec, 1, &n) == 0 && n == 0) {
		err = ks_pin_purge(pins.root);
		if (err)
			snprintf(msg, msglen, "%s: removing pins: %s", pins.root, strerror(-err));
	}
	return err;
}

int ks_decap_read(const char *pin_root, struct ks_decap_counter out[KS_DECAP_MAX], __u16 *gue_port)
{
	const char *root = pin_root ? pin_root : KS_DEFAULT_DECAP_PIN_ROOT;
	int ncpus = libbpf_num_possible_cpus();
	size_t stride = ks_percpu_stride(sizeof(struct ks_decap_counter));
	struct ks_decap_config cfg;
	char path[512];
	__u32 zero = 0;
	char *raw;
	int fd, err = 0;

	if (ncpus <= 0)
		return -EINVAL;
	fd = open_config(root);
	if (fd < 0)
		return fd;
	if (bpf_map_lookup_elem(fd, &zero, &cfg))
		err = -errno;
	close(fd);
	if (err)
		return err;
	*gue_port = ks_ntohs(cfg.gue_port);
	if (ks_pin_path(path, sizeof(path), root, "ks_decap_stats"))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	raw = malloc(KS_DECAP_MAX * stride * ncpus);
	if (!raw) {
		close(fd);
		return -ENOMEM;
	}
	err = ks_array_read(fd, 0, KS_DECAP_MAX, raw, stride * ncpus);
	close(fd);
	for (int o = 0; !err && o < KS_DECAP_MAX; o++) {
		memset(&out[o], 0, sizeof(out[o]));
		for (int c = 0; c < ncpus; c++) {
			const struct ks_decap_counter *v =
			    (const void *)(raw + ((size_t)o * ncpus + c) * stride);
			out[o].packets += v->packets;
			out[o].bytes += v->bytes;
		}
	}
	free(raw);
	return err;
}

int ks_decap_attached(const char *pin_root, struct ks_attached *out, size_t max, size_t *n)
{
	struct ks_xdp_pins pins = decap_pins(pin_root);

	return ks_xdp_list(&pins, out, max, n);
}
