/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A test driver for the data-plane commands (ctl/cli/cmd_bpf.h), so their
 * tests do not depend on the keysteer binary's command table:
 *   ks-dataplane attach|xdp-detach|stats|decap ARGS...
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd_bpf.h"

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(int, char **);
	} cmds[] = {
	    {"attach", ks_cmd_attach},
	    {"xdp-detach", ks_cmd_bpf_detach},
	    {"stats", ks_cmd_bpf_stats},
	    {"decap", ks_cmd_decap},
	};

	if (argc < 2) {
		fprintf(stderr, "usage: ks-dataplane attach|xdp-detach|stats|decap ARGS...\n");
		return KS_EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].run(argc - 1, argv + 1);
	fprintf(stderr, "ks-dataplane: unknown command '%s'\n", argv[1]);
	return KS_EXIT_USAGE;
}
