/* SPDX-License-Identifier: BSD-3-Clause */
/* keysteer compile [-j] FILE: the compiled table, offline. */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/compile_show.h"
#include "rules/rules.h"

const char ks_help_compile[] =
    "Usage: keysteer compile [-j] FILE\n"
    "\n"
    "Compile a keysteer/v1 rule set and show the table the fast paths would read,\n"
    "without applying it: the listeners, the shards with their ids (ids follow the\n"
    "byte order of shard names), and every route sorted by 64-bit key with its\n"
    "targets, the weight buckets [lo..hi] each target owns out of 65536 and the\n"
    "share that gives, the shadow copy if any, and the sizes in bytes (table bytes\n"
    "and bytes per key). FILE may be - for standard input.\n"
    "\n"
    "An invalid rule set prints every error as \"FILE: PATH: MESSAGE\" on standard\n"
    "error, like 'keysteer validate'.\n"
    "\n"
    "Options:\n"
    "  -j, --json   the same as one JSON document\n"
    "\n"
    "Exit status: 0 compiled, 1 invalid rule set, 2 usage error or unreadable file.\n";

int ks_cmd_compile(int argc, char **argv)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'}, {0}};
	struct ks_diags diags = {0};
	struct ks_compiled *cr;
	const char *name;
	bool json = false;
	int c, rc = KS_EXIT_OK;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "j", opts, NULL)) != -1) {
		if (c != 'j')
			return ks_cli_bad_option(argv[0], argv);
		json = true;
	}
	if (optind >= argc)
		return ks_cli_usage_error(argv[0], "missing FILE");
	if (argc - optind > 1)
		return ks_cli_usage_error(argv[0], "one FILE at a time");

	name = ks_cli_file_name(argv[optind]);
	switch (ks_rules_compile_file(argv[optind], &cr, &diags)) {
	case KS_RULES_OK:
		if (json) {
			if (ks_show_compiled_json(cr, stdout) < 0) {
				ks_cli_error(argv[0], "cannot write JSON");
				rc = KS_EXIT_FAIL;
			}
		} else {
			ks_show_compiled_text(cr, name, stdout);
		}
		break;
	case KS_RULES_INVALID:
		ks_diags_print(&diags, name, stderr);
		rc = KS_EXIT_FAIL;
		break;
	case KS_RULES_IO_ERROR:
		ks_cli_error(argv[0], "%s: %s", name, diags.n ? diags.v[0].message : "cannot read");
		rc = KS_EXIT_USAGE;
		break;
	}
	ks_compiled_free(cr);
	ks_diags_free(&diags);
	if (fflush(stdout) != 0 && rc == KS_EXIT_OK) {
		ks_cli_error(argv[0], "cannot write output");
		rc = KS_EXIT_FAIL;
	}
	return rc;
}
