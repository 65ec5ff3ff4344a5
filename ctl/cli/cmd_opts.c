/* SPDX-License-Identifier: BSD-3-Clause */
#include "cli/cmd_opts.h"
#include "cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_OPTS 32

void ks_opts_help(const struct ks_cmd_spec *spec)
{
	printf("Usage: keysteer %s %s\n\n%s\n\nOptions:\n", spec->name, spec->usage, spec->summary);
	for (int i = 0; i < spec->n_opts; i++) {
		const struct ks_opt *o = &spec->opts[i];
		char left[64];

		snprintf(left, sizeof(left), "%s%c%s--%s%s%s", o->short_name ? "-" : "",
			 o->short_name ? o->short_name : ' ', o->short_name ? ", " : "  ", o->name,
			 o->arg ? " " : "", o->arg ? o->arg : "");
		printf("  %-28s %s", left, o->help);
		if (o->def)
			printf(" (default: %s)", o->def);
		if (o->repeat)
			printf(" [repeatable]");
		putchar('\n');
	}
	printf("  %-28s %s\n", "-h, --help", "this help");
}

void ks_opts_error(const struct ks_cmd_spec *spec, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "keysteer %s: ", spec->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int ks_opts_usage_error(const struct ks_cmd_spec *spec, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "keysteer %s: ", spec->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'keysteer %s --help'.\n", spec->name);
	return KS_EXIT_USAGE;
}

int ks_opts_parse(const struct ks_cmd_spec *spec, int argc, char **argv, struct ks_optval *vals,
		  int *first)
{
	struct option lopts[MAX_OPTS + 2];
	char shorts[3 * MAX_OPTS + 2] = "+:h";
	size_t sl = strlen(shorts);
	int c, idx;

	if (spec->n_opts > MAX_OPTS)
		return KS_EXIT_USAGE;
	memset(lopts, 0, sizeof(lopts));
	memset(vals, 0, sizeof(*vals) * (size_t)spec->n_opts);
	for (int i = 0; i < spec->n_opts; i++) {
		const struct ks_opt *o = &spec->opts[i];

		lopts[i].name = o->name;
		lopts[i].has_arg = o->arg ? required_argument : no_argument;
		lopts[i].val = 256 + i;
		if (o->short_name) {
			shorts[sl++] = o->short_name;
			if (o->arg)
				shorts[sl++] = ':';
		}
	}
	shorts[sl] = '\0';
	lopts[spec->n_opts].name = "help";
	lopts[spec->n_opts].val = 'h';

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, lopts, &idx)) != -1) {
		int i = -1;

		if (c == 'h') {
			ks_opts_help(spec);
			return 1;
		}
		if (c == '?')
			return optopt ? ks_opts_usage_error(spec, "unknown option '-%c'", optopt)
				      : ks_opts_usage_error(spec, "unknown option '%s'",
							    argv[optind - 1]);
		if (c == ':')
			return ks_opts_usage_error(spec, "option '%s' needs an argument",
						   argv[optind - 1]);
		if (c >= 256)
			i = c - 256;
		else
			for (int k = 0; k < spec->n_opts; k++)
				if (spec->opts[k].short_name == c)
					i = k;
		if (i < 0)
			return ks_opts_usage_error(spec, "unknown option");
		if (vals[i].n > 0 && !spec->opts[i].repeat && spec->opts[i].arg)
			return ks_opts_usage_error(spec, "--%s given twice", spec->opts[i].name);
		if (vals[i].n == KS_OPT_MAX_VALUES)
			return ks_opts_usage_error(spec, "--%s: too many", spec->opts[i].name);
		vals[i].v[vals[i].n++] = spec->opts[i].arg ? optarg : "1";
	}
	*first = optind;
	return 0;
}

const char *ks_opt_str(const struct ks_cmd_spec *spec, const struct ks_optval *vals, int i)
{
	return vals[i].n ? vals[i].v[vals[i].n - 1] : spec->opts[i].def;
}

bool ks_opt_flag(const struct ks_optval *vals, int i)
{
	return vals[i].n > 0;
}

int ks_opt_uint(const struct ks_cmd_spec *spec, const struct ks_optval *vals, int i,
		unsigned long max, unsigned long *out)
{
	const char *s = ks_opt_str(spec, vals, i);
	char *end;

	if (!s) {
		*out = 0;
		return 0;
	}
	errno = 0;
	*out = strtoul(s, &end, 0);
	if (errno || *s == '\0' || *end != '\0' || *s == '-' || *out > max)
		return ks_opts_usage_error(spec, "--%s: '%s' is not a number from 0 to %lu",
					   spec->opts[i].name, s, max);
	return 0;
}
