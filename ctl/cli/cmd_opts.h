/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One table per command names every option, its argument, its default and
 * its help line; it drives getopt_long() and prints --help, so the two never
 * disagree. Used by the data-plane commands (cmd_bpf.h).
 */
#ifndef KS_CLI_CMD_OPTS_H
#define KS_CLI_CMD_OPTS_H

#include <stdbool.h>

#define KS_OPT_MAX_VALUES 16

struct ks_opt {
	const char *name; /* long name, without "--" */
	char short_name;  /* 0: none */
	const char *arg;  /* NULL: a flag; else its placeholder ("DIR") */
	const char *def;  /* default shown in --help, and returned when unset; may be NULL */
	const char *help;
	bool repeat; /* may be given several times */
};

struct ks_optval {
	int n;				  /* times given */
	const char *v[KS_OPT_MAX_VALUES]; /* values (flags: "1") */
};

struct ks_cmd_spec {
	const char *name;    /* "decap attach" */
	const char *usage;   /* after "Usage: keysteer NAME " */
	const char *summary; /* a paragraph */
	const struct ks_opt *opts;
	int n_opts;
};

/*
 * Parse argv (argv[0] is the command name). vals[i] is for opts[i]. *first
 * gets the index of the first operand. Returns 0; 1 after printing --help
 * (exit 0); or KS_EXIT_USAGE after printing the error.
 */
int ks_opts_parse(const struct ks_cmd_spec *spec, int argc, char **argv, struct ks_optval *vals,
		  int *first);

/* The value of option i: the last one given, else its default. */
const char *ks_opt_str(const struct ks_cmd_spec *spec, const struct ks_optval *vals, int i);
bool ks_opt_flag(const struct ks_optval *vals, int i);
/* Parse an unsigned option into *out; KS_EXIT_USAGE (printed) when invalid. */
int ks_opt_uint(const struct ks_cmd_spec *spec, const struct ks_optval *vals, int i,
		unsigned long max, unsigned long *out);

void ks_opts_help(const struct ks_cmd_spec *spec);
/* "keysteer NAME: MESSAGE" on stderr. */
void ks_opts_error(const struct ks_cmd_spec *spec, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* "keysteer NAME: MESSAGE" + a --help hint on stderr; returns KS_EXIT_USAGE. */
int ks_opts_usage_error(const struct ks_cmd_spec *spec, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
