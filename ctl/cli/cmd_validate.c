/* SPDX-License-Identifier: BSD-3-Clause */
/* keysteer validate FILE...: compile without applying; report every error. */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "rules/rules.h"

const char ks_help_validate[] =
    "Usage: keysteer validate FILE...\n"
    "\n"
    "Check keysteer/v1 rule sets without applying them: the same compiler\n"
    "keysteerd runs before every apply. FILE may be - for standard input.\n"
    "\n"
    "A valid file prints \"FILE: valid: ...\" on standard output. An invalid one\n"
    "prints every error it has, one per line on standard error, as\n"
    "  FILE: PATH: MESSAGE       e.g. rules.json: routes[3].to[1].weight: must not be negative, "
    "got -5\n"
    "  FILE: LINE:COLUMN: MESSAGE  for JSON syntax errors\n"
    "\n"
    "Exit status: 0 every file is valid, 1 a file is invalid, 2 usage error or a\n"
    "file could not be read.\n";

int ks_cmd_validate(int argc, char **argv)
{
	static const struct option opts[] = {{0}};
	int rc = KS_EXIT_OK, c;

	optind = 1;
	opterr = 0;
	c = getopt_long(argc, argv, "", opts, NULL);
	if (c != -1)
		return ks_cli_bad_option(argv[0], argv);
	if (optind >= argc)
		return ks_cli_usage_error(argv[0], "missing FILE");

	for (int i = optind; i < argc; i++) {
		const char *name = ks_cli_file_name(argv[i]);
		struct ks_diags diags = {0};
		struct ks_compiled *cr;

		switch (ks_rules_compile_file(argv[i], &cr, &diags)) {
		case KS_RULES_OK:
			printf("%s: valid: version %llu, %u listener%s, %u shard%s, %u route%s\n",
			       name, (unsigned long long)cr->version, cr->n_listeners,
			       ks_plural(cr->n_listeners), cr->n_shards, ks_plural(cr->n_shards),
			       cr->n_routes, ks_plural(cr->n_routes));
			break;
		case KS_RULES_INVALID:
			ks_diags_print(&diags, name, stderr);
			if (rc < KS_EXIT_FAIL)
				rc = KS_EXIT_FAIL;
			break;
		case KS_RULES_IO_ERROR:
			ks_cli_error(argv[0], "%s: %s", name,
				     diags.n ? diags.v[0].message : "cannot read");
			rc = KS_EXIT_USAGE;
			break;
		}
		ks_compiled_free(cr);
		ks_diags_free(&diags);
	}
	return rc;
}
