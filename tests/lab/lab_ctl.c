/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ks-lab-ctl: the keysteer commands the lab needs, behind one driver, for as
 * long as `keysteer` does not register them all (tests/lab/lab.sh prefers
 * `keysteer CMD` whenever `keysteer help CMD` knows it):
 *
 *   ks-lab-ctl apply|status|stats|lookup|rollback|detach ...   ctl/cli/cmd_ctl.c
 *   ks-lab-ctl tag --cgroup PATH --key KEY [--entity N]         ctl/cli/cmd_tag.c
 *   ks-lab-ctl decap attach|detach|stats --iface IF --pin-root DIR ...  ctl/cli/cmd_decap.c
 *
 * Each lab shard host gives decap its own pin root: the shards share the
 * host's bpffs, and a pinned decapsulator records its interfaces by ifindex,
 * which repeat across network namespaces.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cmd_bpf.h"
#include "cli/cmd_ctl.h"
#include "cli/cmd_tag.h"

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
	    {"apply", ks_cmd_apply},   {"status", ks_cmd_status},     {"stats", ks_cmd_stats},
	    {"lookup", ks_cmd_lookup}, {"rollback", ks_cmd_rollback}, {"detach", ks_cmd_detach},
	    {"tag", ks_cmd_tag},       {"decap", ks_cmd_decap},
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
