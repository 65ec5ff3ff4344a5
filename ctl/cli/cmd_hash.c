/* SPDX-License-Identifier: BSD-3-Clause */
/* keysteer hash [-j] TEXT...: the 64-bit routing key of a rule key. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "rules/rules.h"

const char ks_help_hash[] =
    "Usage: keysteer hash [-j] [--] TEXT...\n"
    "\n"
    "Print the 64-bit routing key of each TEXT, one per line as 0x%016x: what a\n"
    "client puts in the routing header for a route whose \"key\" is TEXT.\n"
    "A textual key is hashed with FNV-1a 64 over its UTF-8 bytes; \"0x\" followed by\n"
    "1 to 16 hex digits is already a 64-bit key and is printed as such, exactly as\n"
    "the rule compiler reads it. Use -- before a TEXT that starts with '-'.\n"
    "\n"
    "Options:\n"
    "  -j, --json   JSON: {\"text\", \"key\", \"literal\"} for one TEXT, an array of them\n"
    "               for several\n";

static json_t *key_json(const char *text)
{
	char hex[19];
	__u64 key;
	int literal = ks_rules_key(text, strlen(text), &key);

	snprintf(hex, sizeof(hex), "0x%016llx", (unsigned long long)key);
	return json_pack("{s:s, s:s, s:b}", "text", text, "key", hex, "literal", literal);
}

int ks_cmd_hash(int argc, char **argv)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'}, {0}};
	bool json = false;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "j", opts, NULL)) != -1) {
		if (c != 'j')
			return ks_cli_bad_option(argv[0], argv);
		json = true;
	}
	if (optind >= argc)
		return ks_cli_usage_error(argv[0], "missing TEXT");

	if (!json) {
		for (int i = optind; i < argc; i++) {
			__u64 key;

			ks_rules_key(argv[i], strlen(argv[i]), &key);
			printf("0x%016llx\n", (unsigned long long)key);
		}
		return KS_EXIT_OK;
	}

	json_t *out = argc - optind == 1 ? key_json(argv[optind]) : json_array();
	bool ok = out != NULL;

	for (int i = optind; ok && argc - optind > 1 && i < argc; i++)
		ok = json_array_append_new(out, key_json(argv[i])) == 0;
	if (!ok || json_dumpf(out, stdout, JSON_INDENT(2)) != 0) {
		json_decref(out);
		ks_cli_error(argv[0], "cannot write JSON: TEXT is not valid UTF-8");
		return KS_EXIT_FAIL;
	}
	putchar('\n');
	json_decref(out);
	return KS_EXIT_OK;
}
