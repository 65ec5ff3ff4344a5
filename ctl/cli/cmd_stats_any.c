/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keysteer stats: counters from keysteerd (names, versions, top keys), or,
 * with --pin-root, straight from the pinned maps, for when no daemon runs
 * (the data plane keeps forwarding and counting without it).
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd_bpf.h"
#include "cli/cmd_ctl.h"

static int wants_maps(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--pin-root") == 0 ||
		    strncmp(argv[i], "--pin-root=", 11) == 0 || strcmp(argv[i], "-p") == 0)
			return 1;
	return 0;
}

int ks_cmd_stats_any(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			char *help[] = {argv[0], "--help", NULL};

			printf("keysteer stats asks keysteerd; with --pin-root it reads the pinned "
			       "maps.\n\n"
			       "From keysteerd:\n");
			ks_cmd_stats(2, help);
			printf("\nFrom the pinned maps (no daemon needed):\n");
			return ks_cmd_bpf_stats(2, help);
		}
	}
	return wants_maps(argc, argv) ? ks_cmd_bpf_stats(argc, argv) : ks_cmd_stats(argc, argv);
}
