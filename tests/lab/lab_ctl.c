/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ks-lab-ctl: the keysteer commands the lab needs, behind one driver, for as
 * long as `keysteer` does not register them all (tests/lab/lab.sh prefers
 * `keysteer CMD` whenever `keysteer help CMD` knows it):
 *
 *   ks-lab-ctl apply|status|stats|lookup|rollback|detach ...   ctl/cli/cmd_ctl.c
 *   ks-lab-ctl tag --cgroup PATH --key KEY [--entity N]         ctl/cli/cmd_tag.c
 *   ks-lab-ctl decap attach|detach|stats --iface IF --pin-root DIR [--xdp-mode M]
 *
 * decap drives ctl/backend/decap_loader.h directly; each lab shard host has
 * its own pin root (the shards share the host's bpffs, and one pinned
 * decapsulator per pin root records interfaces by ifindex, which repeat
 * across network namespaces).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "backend/decap_loader.h"
#include "cli/cmd_ctl.h"
#include "cli/cmd_tag.h"

static int decap(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"iface", required_argument, NULL, 'i'},
	    {"pin-root", required_argument, NULL, 'p'},
	    {"xdp-mode", required_argument, NULL, 'm'},
	    {"obj", required_argument, NULL, 'o'},
	    {NULL, 0, NULL, 0},
	};
	struct ks_decap_opts o = {0};
	enum ks_xdp_mode mode = KS_XDP_NATIVE;
	const char *iface = NULL, *what = argc > 1 ? argv[1] : "";
	char msg[512] = "";
	int c, rc;

	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			iface = optarg;
			break;
		case 'p':
			o.pin_root = optarg;
			break;
		case 'm':
			mode = strcmp(optarg, "generic") == 0 ? KS_XDP_GENERIC : KS_XDP_NATIVE;
			break;
		case 'o':
			o.obj_path = optarg;
			break;
		default:
			return 2;
		}
	}
	if (strcmp(what, "stats") == 0) {
		struct ks_decap_counter ctr[KS_DECAP_MAX];
		__u16 port = 0;

		rc = ks_decap_read(o.pin_root, ctr, &port);
		if (rc) {
			fprintf(stderr, "decap stats: %s\n", strerror(-rc));
			return 1;
		}
		printf("{\"gue_port\":%u", port);
		for (unsigned k = 0; k < KS_DECAP_MAX; k++)
			printf(",\"%s\":%llu", ks_decap_outcome_name(k),
			       (unsigned long long)ctr[k].packets);
		printf("}\n");
		return 0;
	}
	if (!iface || (strcmp(what, "attach") && strcmp(what, "detach"))) {
		fprintf(stderr, "usage: ks-lab-ctl decap attach|detach|stats --iface IF "
				"[--pin-root DIR] [--xdp-mode native|generic] [--obj FILE]\n");
		return 2;
	}
	if (strcmp(what, "attach") == 0)
		rc = ks_decap_attach(&o, iface, mode, msg, sizeof(msg));
	else
		rc = ks_decap_detach(o.pin_root, iface, msg, sizeof(msg));
	if (rc) {
		fprintf(stderr, "decap %s %s: %s\n", what, iface, msg);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
	    {"apply", ks_cmd_apply},	   {"status", ks_cmd_status},
	    {"stats", ks_cmd_stats},	   {"lookup", ks_cmd_lookup},
	    {"rollback", ks_cmd_rollback}, {"detach", ks_cmd_detach},
	    {"tag", ks_cmd_tag},	   {"decap", decap},
	};

	if (argc < 2) {
		fprintf(stderr, "usage: ks-lab-ctl COMMAND [ARGS...]\n");
		return 2;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "ks-lab-ctl: unknown command '%s'\n", argv[1]);
	return 2;
}
