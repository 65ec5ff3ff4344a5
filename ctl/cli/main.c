/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keysteer: one binary, many commands. To add a command, write
 * ctl/cli/cmd_NAME.c (see cli.h) and add one row to commands[].
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd_bpf.h"
#include "cli/cmd_ctl.h"
#include "cli/cmd_tag.h"
#include "rules/suggest.h"

/*
 * One row per command: name, one-line summary, handler, help. A command whose
 * help is NULL prints its own (main passes --help on to it).
 */
static const struct ks_cli_cmd commands[] = {
    {"validate", "check rule files; exit 0 valid, 1 invalid (every error), 2 usage",
     ks_cmd_validate, ks_help_validate},
    {"compile", "show the table a rule file compiles to, offline (-j: JSON)", ks_cmd_compile,
     ks_help_compile},
    {"hash", "print the 64-bit routing key of a textual key", ks_cmd_hash, ks_help_hash},
    {"apply", "send a rule file to keysteerd and apply it", ks_cmd_apply, NULL},
    {"rollback", "make keysteerd go back to an earlier rule version", ks_cmd_rollback, NULL},
    {"status", "keysteerd's active version, data plane and recent applies", ks_cmd_status, NULL},
    {"stats", "counters per reason, shard and key (keysteerd, or --pin-root)", ks_cmd_stats_any,
     NULL},
    {"lookup", "what the active tables decide for a key, and why", ks_cmd_lookup, NULL},
    {"detach", "have keysteerd take the XDP router off its interfaces", ks_cmd_detach, NULL},
    {"attach", "attach the XDP router to interfaces without keysteerd", ks_cmd_attach, NULL},
    {"xdp-detach", "take the XDP router off interfaces without keysteerd", ks_cmd_bpf_detach, NULL},
    {"decap", "the shard-side GUE/IPIP decapsulator: attach, detach, stats", ks_cmd_decap, NULL},
    {"tag", "add the routing option to TCP SYNs of a cgroup's sockets", ks_cmd_tag, ks_help_tag},
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

int ks_cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "keysteer %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'keysteer %s --help'.\n", cmd);
	return KS_EXIT_USAGE;
}

int ks_cli_bad_option(const char *cmd, char **argv)
{
	if (optopt)
		return ks_cli_usage_error(cmd, "unknown option '-%c'", optopt);
	return ks_cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
}

const char *ks_cli_file_name(const char *path)
{
	return strcmp(path, "-") == 0 ? "<stdin>" : path;
}

void ks_cli_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "keysteer %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: keysteer COMMAND [ARGS...]\n"
		   "\n"
		   "keysteer steers keyed traffic to shard VIPs; this tool checks and\n"
		   "compiles rule sets and talks to keysteerd.\n"
		   "\n"
		   "Commands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f,
		"\n"
		"'keysteer help COMMAND' or 'keysteer COMMAND --help' describes one.\n"
		"Exit status: 0 success, 1 failure (e.g. an invalid rule set), 2 usage error.\n");
}

static const struct ks_cli_cmd *find(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static int unknown_command(const char *name)
{
	const char *names[N_COMMANDS];
	const char *hint;

	for (size_t i = 0; i < N_COMMANDS; i++)
		names[i] = commands[i].name;
	hint = ks_suggest(name, names, N_COMMANDS);
	fprintf(stderr, "keysteer: unknown command '%s'", name);
	if (hint)
		fprintf(stderr, " (did you mean '%s'?)", hint);
	fprintf(stderr, "\nTry 'keysteer --help'.\n");
	return KS_EXIT_USAGE;
}

static bool is_help(const char *arg)
{
	return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

static int show_help(const struct ks_cli_cmd *cmd)
{
	char *argv[] = {(char *)cmd->name, "--help", NULL};

	if (!cmd->help)
		return cmd->run(2, argv);
	fputs(cmd->help, stdout);
	return KS_EXIT_OK;
}

int main(int argc, char **argv)
{
	const struct ks_cli_cmd *cmd;

	if (argc < 2) {
		usage(stderr);
		return KS_EXIT_USAGE;
	}
	if (is_help(argv[1])) {
		usage(stdout);
		return KS_EXIT_OK;
	}
	if (strcmp(argv[1], "help") == 0) {
		if (argc == 2) {
			usage(stdout);
			return KS_EXIT_OK;
		}
		if (argc > 3)
			return ks_cli_usage_error("help", "one COMMAND at most");
		cmd = find(argv[2]);
		if (!cmd)
			return unknown_command(argv[2]);
		return show_help(cmd);
	}
	if (argv[1][0] == '-') {
		fprintf(stderr, "keysteer: unknown option '%s'\nTry 'keysteer --help'.\n", argv[1]);
		return KS_EXIT_USAGE;
	}
	cmd = find(argv[1]);
	if (!cmd)
		return unknown_command(argv[1]);
	/* --help anywhere before "--" wins, for every command alike. */
	for (int i = 2; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (is_help(argv[i]))
			return show_help(cmd);
	}
	return cmd->run(argc - 1, argv + 1);
}
