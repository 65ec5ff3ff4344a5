/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The keysteer command-line tool. Each command lives in cmd_NAME.c and has
 * one row in commands[] (main.c): name, one-line summary, handler, help.
 *
 *   int ks_cmd_NAME(int argc, char **argv);   argv[0] is "NAME"; returns the exit code
 *   extern const char ks_help_NAME[];         full help, starting with "Usage: "
 *
 * main() answers --help, -h and "help NAME" for every command with its help
 * text, so handlers never see those; a row with help NULL instead gets
 * "NAME --help" passed to its handler.
 */
#ifndef KEYSTEER_CLI_H
#define KEYSTEER_CLI_H

#include <stdbool.h>

struct ks_cli_cmd {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
	const char *help;
};

/* The rule-set commands (cmd_validate.c, cmd_compile.c, cmd_hash.c). */
int ks_cmd_validate(int argc, char **argv);
int ks_cmd_compile(int argc, char **argv);
int ks_cmd_hash(int argc, char **argv);
extern const char ks_help_validate[], ks_help_compile[], ks_help_hash[];

/* Exit codes shared by every command. */
enum {
	KS_EXIT_OK = 0,
	KS_EXIT_FAIL = 1,  /* the command ran and the answer is "no" (invalid rule set, ...) */
	KS_EXIT_USAGE = 2, /* bad arguments, unreadable file */
};

/* "keysteer CMD: MESSAGE" and a pointer to --help on stderr; returns KS_EXIT_USAGE. */
int ks_cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Report the option getopt_long() just rejected ('?'); returns KS_EXIT_USAGE. */
int ks_cli_bad_option(const char *cmd, char **argv);

/* How a FILE argument is shown in messages ("-" is standard input). */
const char *ks_cli_file_name(const char *path);

/* "s" unless n is 1: "1 route", "2 routes". */
static inline const char *ks_plural(unsigned long long n)
{
	return n == 1 ? "" : "s";
}

/* "keysteer CMD: MESSAGE" on stderr. */
void ks_cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
