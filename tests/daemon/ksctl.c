/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test driver for the CLI's control-socket commands (ctl/cli/cmd_ctl.c), so
 * the daemon's tests do not depend on how `keysteer` registers them:
 * ksctl COMMAND [ARGS] runs ks_cmd_COMMAND.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cmd_ctl.h"

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
	    {"apply", ks_cmd_apply},   {"status", ks_cmd_status},     {"stats", ks_cmd_stats},
	    {"lookup", ks_cmd_lookup}, {"rollback", ks_cmd_rollback}, {"detach", ks_cmd_detach},
	};
	if (argc < 2) {
		fprintf(stderr, "usage: ksctl apply|status|stats|lookup|rollback|detach ...\n");
		return 2;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "ksctl: unknown command '%s'\n", argv[1]);
	return 2;
}
