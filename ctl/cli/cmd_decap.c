/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keysteer decap attach|detach|stats: the shard-side decapsulator
 * (bpf/ks_decap.bpf.c) for hosts without fou/ipip modules.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "backend/decap_loader.h"
#include "cli/cli.h"
#include "cli/cmd_bpf.h"
#include "cli/cmd_opts.h"

enum { O_IFACE, O_PORT, O_MODE, O_ROOT, O_OBJ, O_JSON, O_N };
static const struct ks_opt decap_opts[O_N] = {
    [O_IFACE] = {"iface", 'i', "IF", NULL, "interface (attach, detach)", false},
    [O_PORT] = {"gue-port", 'g', "N", "6080",
		"outer UDP port of GUE (attach; applies to every interface)", false},
    [O_MODE] = {"xdp-mode", 'm', "MODE", "native", "native or generic (attach)", false},
    [O_ROOT] = {"pin-root", 'p', "DIR", KS_DEFAULT_DECAP_PIN_ROOT,
		"where the decapsulator is pinned", false},
    [O_OBJ] = {"obj", 'o', "PATH", KS_DEFAULT_DECAP_OBJ, "the decapsulator's BPF object", false},
    [O_JSON] = {"json", 'j', NULL, NULL, "JSON output (stats)", false},
};
static const struct ks_cmd_spec decap_spec = {
    "decap", "attach|detach|stats [--iface IF] [options]",
    "The shard-side decapsulator: an XDP program that strips what keysteer puts\n"
    "around a steered packet (outer IP + UDP + GUE, or outer IP of IPIP, IP6IP6,\n"
    "4-in-6, 6-in-4) and passes the inner packet to the stack, for shard hosts\n"
    "whose kernel has no fou/ipip modules. Other traffic passes untouched.\n"
    "  attach --iface IF   load (once) and attach\n"
    "  detach --iface IF   detach; the last one removes the pins\n"
    "  stats               interfaces, GUE port and counters",
    decap_opts, O_N};

static int do_stats(const char *root, bool json)
{
	struct ks_decap_counter c[KS_DECAP_MAX];
	struct ks_attached at[64];
	size_t n = 0;
	__u16 port;
	int err = ks_decap_read(root, c, &port);

	if (!err)
		err = ks_decap_attached(root, at, 64, &n);
	if (err) {
		ks_opts_error(&decap_spec, "%s: %s (is the decapsulator attached?)", root,
			      strerror(-err));
		return KS_EXIT_FAIL;
	}
	if (json) {
		json_t *o = json_pack("{s:s, s:i}", "pin_root", root, "gue_port", port);
		json_t *ifs = json_array(), *ctr = json_object();

		for (size_t i = 0; i < n; i++)
			json_array_append_new(ifs, json_pack("{s:s, s:i, s:s, s:i}", "iface",
							     at[i].ifname, "ifindex", at[i].ifindex,
							     "mode", ks_xdp_mode_name(at[i].mode),
							     "prog_id", at[i].prog_id));
		for (int k = 0; k < KS_DECAP_MAX; k++)
			json_object_set_new(ctr, ks_decap_outcome_name(k),
					    json_pack("{s:I, s:I}", "packets",
						      (json_int_t)c[k].packets, "bytes",
						      (json_int_t)c[k].bytes));
		json_object_set_new(o, "interfaces", ifs);
		json_object_set_new(o, "counters", ctr);
		json_dumpf(o, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(o);
		return KS_EXIT_OK;
	}
	printf("decapsulator under %s, GUE port %u\n", root, port);
	for (size_t i = 0; i < n; i++)
		printf("  %s (ifindex %u): program %u, %s\n", at[i].ifname, at[i].ifindex,
		       at[i].prog_id, ks_xdp_mode_name(at[i].mode));
	printf("%-12s %14s %16s\n", "outcome", "packets", "bytes");
	for (int k = 0; k < KS_DECAP_MAX; k++)
		printf("%-12s %14llu %16llu\n", ks_decap_outcome_name(k),
		       (unsigned long long)c[k].packets, (unsigned long long)c[k].bytes);
	return KS_EXIT_OK;
}

int ks_cmd_decap(int argc, char **argv)
{
	struct ks_optval v[O_N];
	const char *verb, *iface, *root;
	char msg[512] = "";
	int first, rc, err;

	rc = ks_opts_parse(&decap_spec, argc, argv, v, &first);
	if (rc)
		return rc == 1 ? KS_EXIT_OK : rc;
	if (first >= argc)
		return ks_opts_usage_error(&decap_spec, "attach, detach or stats?");
	verb = argv[first];
	/* Options may also follow the verb. */
	if (first + 1 < argc) {
		struct ks_optval more[O_N];
		int first2;

		rc = ks_opts_parse(&decap_spec, argc - first, argv + first, more, &first2);
		if (rc)
			return rc == 1 ? KS_EXIT_OK : rc;
		if (first + first2 < argc)
			return ks_opts_usage_error(&decap_spec, "unexpected argument '%s'",
						   argv[first + first2]);
		for (int i = 0; i < O_N; i++)
			if (more[i].n)
				v[i] = more[i];
	}
	iface = ks_opt_str(&decap_spec, v, O_IFACE);
	root = ks_opt_str(&decap_spec, v, O_ROOT);

	if (!strcmp(verb, "attach")) {
		struct ks_decap_opts o = {.pin_root = root,
					  .obj_path = ks_opt_str(&decap_spec, v, O_OBJ)};
		enum ks_xdp_mode mode;
		unsigned long port;

		if (!iface)
			return ks_opts_usage_error(&decap_spec, "attach needs --iface");
		if (ks_xdp_mode_parse(ks_opt_str(&decap_spec, v, O_MODE), &mode))
			return ks_opts_usage_error(&decap_spec, "--xdp-mode: native or generic");
		rc = ks_opt_uint(&decap_spec, v, O_PORT, 65535, &port);
		if (rc)
			return rc;
		if (port == 0)
			return ks_opts_usage_error(&decap_spec, "--gue-port: 1 to 65535");
		/* An explicit port always applies; the default only on first load. */
		o.gue_port = v[O_PORT].n ? (__u16)port : 0;
		err = ks_decap_attach(&o, iface, mode, msg, sizeof(msg));
		if (err) {
			ks_opts_error(&decap_spec, "%s", msg);
			return KS_EXIT_FAIL;
		}
		printf("%s: decapsulator attached (%s)\n", iface, ks_xdp_mode_name(mode));
		return KS_EXIT_OK;
	}
	if (!strcmp(verb, "detach")) {
		if (!iface)
			return ks_opts_usage_error(&decap_spec, "detach needs --iface");
		err = ks_decap_detach(root, iface, msg, sizeof(msg));
		if (msg[0])
			ks_opts_error(&decap_spec, "%s", msg);
		if (err)
			return KS_EXIT_FAIL;
		printf("%s: decapsulator detached\n", iface);
		return KS_EXIT_OK;
	}
	if (!strcmp(verb, "stats"))
		return do_stats(root, ks_opt_flag(v, O_JSON));
	return ks_opts_usage_error(&decap_spec, "unknown action '%s': attach, detach or stats",
				   verb);
}
