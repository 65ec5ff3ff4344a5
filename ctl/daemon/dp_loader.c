/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The router loader (ctl/backend/loader.h) as keysteerd uses it: re-adopt a
 * running data plane when every recorded interface still runs the pinned
 * program (a restart: no reload, no gap), otherwise load the object (maps
 * pinned and reused) and attach it to each interface, with the tc program
 * that makes shadow copies (ctl/backend/tc_attach.h) beside it: both or
 * neither, since XDP alone would leave sampled packets to the host stack.
 */
#include "daemon/dp_loader.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "backend/loader.h"
#include "backend/maps.h"
#include "backend/tc_attach.h"
#include "daemon/log.h"

struct ksd_loader {
	struct ks_router *r;
	char *pin_root;
	char *shadow_obj;
	int n_ifaces;
	char **ifaces; /* where the shadow program was attached */
};

/*
 * Pinned tables keep their size: --flows-per-cpu only sizes maps it creates.
 * Say so when the pinned connection table was made with another size, so an
 * operator who raised it is not left believing it took effect.
 */
static void warn_flows_size(const char *pin_root, uint32_t flows_per_cpu)
{
	struct bpf_map_info info;
	int ncpus = libbpf_num_possible_cpus(), fd;
	uint64_t want;

	if (!flows_per_cpu || ncpus <= 0)
		return;
	fd = ks_pin_map_open(pin_root, "ks_flows4", &info);
	if (fd < 0)
		return;
	close(fd);
	want = (uint64_t)flows_per_cpu * (uint64_t)ncpus;
	if (info.max_entries != want)
		ks_warn(
		    "--flows-per-cpu %u: the pinned connection tables under %s hold %u entries, "
		    "not %llu; pinned tables keep their size (keysteer detach, then start "
		    "keysteerd, to make them anew)",
		    flows_per_cpu, pin_root, info.max_entries, (unsigned long long)want);
}

struct ksd_loader *ksd_loader_open(const struct ks_dp_config *cfg, char *err, size_t errlen)
{
	struct ksd_loader *l = calloc(1, sizeof(*l));
	char msg[512] = "";
	enum ks_xdp_mode mode;
	int rc;

	if (!l) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->pin_root = strdup(cfg->pin_root);
	l->shadow_obj = ks_shadow_obj_beside(cfg->bpf_obj);
	l->ifaces = calloc((size_t)cfg->n_ifaces + 1, sizeof(*l->ifaces));
	if (!l->pin_root || !l->shadow_obj || !l->ifaces) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (ks_xdp_mode_parse(cfg->xdp_mode, &mode) < 0) {
		snprintf(err, errlen, "unknown XDP mode '%s'", cfg->xdp_mode);
		goto fail;
	}
	if (cfg->maps_only) {
		/* Tables only: the program is someone else's (or absent, for benches). */
		struct ks_loader_opts o = {
		    .pin_root = cfg->pin_root,
		    .route_capacity = cfg->max_routes / 2,
		    .flows_per_cpu = cfg->flows_per_cpu,
		};
		if (ks_router_create_maps(&o, msg, sizeof(msg)) < 0) {
			snprintf(err, errlen, "creating the router's maps: %s", msg);
			goto fail;
		}
		ks_info("maps only (--maps-only): tables under %s, no program loaded or attached",
			cfg->pin_root);
		warn_flows_size(cfg->pin_root, cfg->flows_per_cpu);
		return l;
	}
	if (ks_router_check_attached(cfg->pin_root) == 1 &&
	    ks_router_adopt(&l->r, cfg->pin_root, msg, sizeof(msg)) == 0) {
		ks_info("re-adopted the running router (program id %u) under %s",
			ks_router_prog_id(l->r), cfg->pin_root);
	} else {
		struct ks_loader_opts o = {
		    .pin_root = cfg->pin_root,
		    .obj_path = cfg->bpf_obj,
		    .route_capacity = cfg->max_routes / 2,
		    .flows_per_cpu = cfg->flows_per_cpu,
		};
		rc = ks_router_load(&l->r, &o, msg, sizeof(msg));
		if (rc < 0) {
			snprintf(err, errlen, "loading the router: %s", msg);
			goto fail;
		}
		ks_info("loaded the router (program id %u), maps under %s", ks_router_prog_id(l->r),
			cfg->pin_root);
	}
	warn_flows_size(cfg->pin_root, cfg->flows_per_cpu);
	/* Attaching is idempotent: interfaces already running it are left alone. */
	for (int i = 0; i < cfg->n_ifaces; i++) {
		rc = ks_router_attach(l->r, cfg->ifaces[i], mode, msg, sizeof(msg));
		if (rc < 0) {
			snprintf(err, errlen, "attaching to %s: %s", cfg->ifaces[i], msg);
			goto fail;
		}
		ks_info("router attached to %s (%s)", cfg->ifaces[i], ks_xdp_mode_name(mode));
		rc = ks_tc_attach(
		    &(struct ks_tc_opts){.pin_root = cfg->pin_root, .obj_path = l->shadow_obj},
		    cfg->ifaces[i], msg, sizeof(msg));
		if (rc < 0) {
			snprintf(err, errlen, "attaching shadow copies (tc) to %s: %s",
				 cfg->ifaces[i], msg);
			goto fail;
		}
		ks_info("shadow copies (tc ingress) attached to %s", cfg->ifaces[i]);
		l->ifaces[l->n_ifaces++] = strdup(cfg->ifaces[i]);
	}
	return l;
fail:
	ksd_loader_close(l);
	return NULL;
}

int ksd_loader_detach(struct ksd_loader *l, char *err, size_t errlen)
{
	char msg[512] = "";
	int rc;

	for (int i = 0; i < l->n_ifaces; i++)
		if (ks_tc_detach(l->ifaces[i], msg, sizeof(msg)) < 0)
			ks_warn("detaching shadow copies (tc) from %s: %s", l->ifaces[i], msg);
	rc = ks_router_detach_all(l->pin_root, true, msg, sizeof(msg));
	if (rc < 0) {
		snprintf(err, errlen, "%s", msg);
		return rc;
	}
	if (ks_tc_unpin(l->pin_root) < 0)
		ks_warn("removing the pinned shadow program under %s", l->pin_root);
	return 0;
}

void ksd_loader_close(struct ksd_loader *l)
{
	if (!l)
		return;
	if (l->r)
		ks_router_close(l->r);
	for (int i = 0; i < l->n_ifaces; i++)
		free(l->ifaces[i]);
	free(l->ifaces);
	free(l->shadow_obj);
	free(l->pin_root);
	free(l);
}
