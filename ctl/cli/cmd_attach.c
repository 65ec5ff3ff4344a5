/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keysteer attach / xdp-detach: put the XDP router on interfaces and take it
 * off, straight on the pinned state (keysteerd does the same on its own).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "backend/loader.h"
#include "backend/maps.h"
#include "backend/tc_attach.h"
#include "cli/cli.h"
#include "cli/cmd_bpf.h"
#include "cli/cmd_opts.h"

enum { A_IFACE, A_MODE, A_OBJ, A_ROOT, A_CAP, A_FLOWS, A_RELOAD, A_N };
static const struct ks_opt attach_opts[A_N] = {
    [A_IFACE] = {"iface", 'i', "IF", NULL, "interface to attach to", true},
    [A_MODE] = {"xdp-mode", 'm', "MODE", "native", "native or generic", false},
    [A_OBJ] = {"obj", 'o', "PATH", KS_DEFAULT_ROUTER_OBJ, "the router's BPF object", false},
    [A_ROOT] = {"pin-root", 'p', "DIR", KS_DEFAULT_PIN_ROOT, "where maps and program are pinned",
		false},
    [A_CAP] = {"route-capacity", 'c', "N", NULL,
	       "routes per generation when the maps are created (default: the object's)", false},
    [A_FLOWS] = {"flows-per-cpu", 'f', "N", NULL,
		 "TCP connection and NAT table entries per CPU when created", false},
    [A_RELOAD] = {"reload", 'r', NULL, NULL,
		  "load the object even if a program is pinned, and swap it in atomically", false},
};
static const struct ks_cmd_spec attach_spec = {
    "attach", "--iface IF [--iface IF2...] [options]",
    "Attach the keysteer XDP router to interfaces. Its maps are pinned under the\n"
    "pin root and reused when already there (tables and counters survive). When a\n"
    "program is pinned and --reload is not given, that program is re-adopted:\n"
    "interfaces already running it are left as they are (no forwarding gap). With\n"
    "--reload the object is loaded again and replaces the running program on each\n"
    "interface in one atomic step. A program that is not keysteer's is never replaced.",
    attach_opts, A_N};

/*
 * The tc half of shadow copies, from ks_shadow.bpf.o beside the router's
 * object. A router object without one (a test stand-in) gets a warning:
 * sampled packets would then go up the host stack unsteered.
 */
static int attach_shadow(const char *root, const char *router_obj, const char *ifname)
{
	char *obj = ks_shadow_obj_beside(router_obj);
	char msg[512] = "";
	int err = 0;

	if (!obj) {
		ks_opts_error(&attach_spec, "out of memory");
		return -ENOMEM;
	}
	if (access(obj, R_OK) != 0) {
		fprintf(stderr, "keysteer attach: warning: %s: %s; no shadow copies on %s\n", obj,
			strerror(errno), ifname);
	} else if ((err = ks_tc_attach(&(struct ks_tc_opts){.pin_root = root, .obj_path = obj},
				       ifname, msg, sizeof(msg)))) {
		ks_opts_error(&attach_spec, "shadow copies (tc) on %s: %s", ifname, msg);
	} else {
		printf("%s: shadow copies attached (tc ingress)\n", ifname);
	}
	free(obj);
	return err;
}

int ks_cmd_attach(int argc, char **argv)
{
	struct ks_optval v[A_N];
	struct ks_router *r = NULL;
	struct ks_loader_opts lo;
	enum ks_xdp_mode mode;
	unsigned long cap, flows;
	char msg[512];
	int first, rc, err;

	rc = ks_opts_parse(&attach_spec, argc, argv, v, &first);
	if (rc)
		return rc == 1 ? KS_EXIT_OK : rc;
	if (first < argc)
		return ks_opts_usage_error(&attach_spec, "unexpected argument '%s'", argv[first]);
	if (v[A_IFACE].n == 0)
		return ks_opts_usage_error(&attach_spec, "--iface is required");
	if (ks_xdp_mode_parse(ks_opt_str(&attach_spec, v, A_MODE), &mode))
		return ks_opts_usage_error(&attach_spec, "--xdp-mode: native or generic");
	rc = ks_opt_uint(&attach_spec, v, A_CAP, 1ul << 26, &cap);
	if (!rc)
		rc = ks_opt_uint(&attach_spec, v, A_FLOWS, KS_MAX_FLOWS_PER_CPU, &flows);
	if (rc)
		return rc;

	memset(&lo, 0, sizeof(lo));
	lo.pin_root = ks_opt_str(&attach_spec, v, A_ROOT);
	lo.obj_path = ks_opt_str(&attach_spec, v, A_OBJ);
	lo.route_capacity = (__u32)cap;
	lo.flows_per_cpu = (__u32)flows;
	err = -ENOENT;
	if (!ks_opt_flag(v, A_RELOAD)) {
		err = ks_router_adopt(&r, lo.pin_root, msg, sizeof(msg));
		if (!err)
			printf("re-adopted program %u pinned under %s\n", ks_router_prog_id(r),
			       lo.pin_root);
	}
	if (err == -ENOENT) {
		err = ks_router_load(&r, &lo, msg, sizeof(msg));
		if (!err)
			printf("loaded %s as program %u, maps under %s\n", lo.obj_path,
			       ks_router_prog_id(r), lo.pin_root);
	}
	if (err) {
		ks_opts_error(&attach_spec, "%s", msg);
		return KS_EXIT_FAIL;
	}
	if (ks_opt_flag(v, A_RELOAD)) {
		unsigned n;

		/* Interfaces attached earlier get the new program too. */
		err = ks_router_reattach_all(r, &n, msg, sizeof(msg));
		if (err) {
			ks_opts_error(&attach_spec, "%s", msg);
			ks_router_close(r);
			return KS_EXIT_FAIL;
		}
		if (n)
			printf("swapped the new program in on %u interface%s attached before\n", n,
			       ks_plural(n));
	}
	for (int i = 0; i < v[A_IFACE].n; i++) {
		err = ks_router_attach(r, v[A_IFACE].v[i], mode, msg, sizeof(msg));
		if (err) {
			ks_opts_error(&attach_spec, "%s", msg);
			break;
		}
		printf("%s: program %u attached (%s)\n", v[A_IFACE].v[i], ks_router_prog_id(r),
		       ks_xdp_mode_name(mode));
		err = attach_shadow(ks_opt_str(&attach_spec, v, A_ROOT),
				    ks_opt_str(&attach_spec, v, A_OBJ), v[A_IFACE].v[i]);
		if (err)
			break;
	}
	ks_router_close(r);
	return err ? KS_EXIT_FAIL : KS_EXIT_OK;
}

enum { D_IFACE, D_ROOT, D_PURGE, D_N };
static const struct ks_opt detach_opts[D_N] = {
    [D_IFACE] = {"iface", 'i', "IF", NULL, "interface to detach from (default: all)", true},
    [D_ROOT] = {"pin-root", 'p', "DIR", KS_DEFAULT_PIN_ROOT, "where the router is pinned", false},
    [D_PURGE] = {"purge", 0, NULL, NULL,
		 "also remove every pin (tables, counters, program) under the pin root", false},
};
static const struct ks_cmd_spec detach_spec = {
    "xdp-detach", "[--iface IF...] [--purge] [--pin-root DIR]",
    "Detach the keysteer XDP router from interfaces (only where it is still the\n"
    "program keysteer attached). Without --purge the pinned tables and counters\n"
    "stay, so a later attach carries on with them.",
    detach_opts, D_N};

int ks_cmd_bpf_detach(int argc, char **argv)
{
	struct ks_optval v[D_N];
	const char *root;
	char msg[512] = "";
	int first, rc, err = 0;

	rc = ks_opts_parse(&detach_spec, argc, argv, v, &first);
	if (rc)
		return rc == 1 ? KS_EXIT_OK : rc;
	if (first < argc)
		return ks_opts_usage_error(&detach_spec, "unexpected argument '%s'", argv[first]);
	root = ks_opt_str(&detach_spec, v, D_ROOT);
	if (v[D_IFACE].n && ks_opt_flag(v, D_PURGE))
		return ks_opts_usage_error(&detach_spec, "--purge detaches everything: no --iface");
	for (int i = 0; i < v[D_IFACE].n && !err; i++) {
		ks_tc_detach(v[D_IFACE].v[i], msg, sizeof(msg)); /* none there is fine */
		msg[0] = 0;
		err = ks_router_detach(root, v[D_IFACE].v[i], msg, sizeof(msg));
		if (!err)
			printf("%s: detached\n", v[D_IFACE].v[i]);
	}
	if (!v[D_IFACE].n) {
		err = ks_router_detach_all(root, ks_opt_flag(v, D_PURGE), msg, sizeof(msg));
		if (!err)
			printf("detached from every interface%s\n",
			       ks_opt_flag(v, D_PURGE) ? "; pins removed" : "");
	}
	if (msg[0])
		ks_opts_error(&detach_spec, "%s", msg);
	return err ? KS_EXIT_FAIL : KS_EXIT_OK;
}
