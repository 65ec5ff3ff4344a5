/* SPDX-License-Identifier: BSD-3-Clause */
#include "cli/cmd_ctl.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctlsock/ctlsock.h"

/* Large rule sets take a while to compile and write. */
#define CALL_TIMEOUT_MS 120000

struct ctl_args {
	bool json;
	const char *socket;
	int top;
	int argc; /* positional arguments left */
	char **argv;
};

static void usage(FILE *f, const char *cmd, const char *args, const char *what)
{
	fprintf(f,
		"usage: keysteer %s [-j] [--socket PATH]%s%s\n"
		"  %s\n"
		"  -j, --json       JSON output\n"
		"  --socket PATH    keysteerd's control socket [$KEYSTEER_SOCKET or %s]\n",
		cmd, args[0] ? " " : "", args, what, KS_CTLSOCK_DEFAULT_PATH);
	if (strcmp(cmd, "stats") == 0)
		fprintf(f, "  --top N          keys listed one by one (the rest as \"other\")\n");
}

/* -1 on usage error (printed), 1 when help was printed, 0 to go on. */
static int parse(int argc, char **argv, struct ctl_args *a, const char *args, const char *what)
{
	static const struct option longopts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"socket", required_argument, NULL, 's'},
	    {"top", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	memset(a, 0, sizeof(*a));
	a->socket = getenv("KEYSTEER_SOCKET");
	if (!a->socket || !*a->socket)
		a->socket = KS_CTLSOCK_DEFAULT_PATH;
	a->top = -1;
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "+jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			a->json = true;
			break;
		case 's':
			a->socket = optarg;
			break;
		case 't':
			a->top = atoi(optarg);
			break;
		case 'h':
			usage(stdout, argv[0], args, what);
			return 1;
		default:
			fprintf(stderr, "keysteer %s: unknown or incomplete option '%s'\n", argv[0],
				argv[optind - 1]);
			usage(stderr, argv[0], args, what);
			return -1;
		}
	}
	a->argc = argc - optind;
	a->argv = argv + optind;
	return 0;
}

/* Send req; on transport failure print why and return the exit code. */
static int call(const struct ctl_args *a, const char *cmd, json_t *req, json_t **resp)
{
	int rc = ks_ctlsock_call(a->socket, req, resp, CALL_TIMEOUT_MS);
	json_decref(req);
	if (rc < 0) {
		fprintf(stderr, "keysteer %s: %s: %s\n", cmd, a->socket, ks_ctlsock_strerror(rc));
		return KS_CTL_EXIT_UNREACHABLE;
	}
	return KS_CTL_EXIT_OK;
}

static void print_json(const json_t *o)
{
	char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (s) {
		puts(s);
		free(s);
	}
}

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "-";
}

static json_int_t num(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static void fmt_time(json_int_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}

static void print_errors(FILE *f, const json_t *attempt, const char *indent)
{
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(attempt, "errors"), i, e)
	    fprintf(f, "%s%s\n", indent, json_string_value(e));
}

/* Human answer of apply and rollback; exit code from the result. */
static int report_attempt(const char *cmd, const json_t *resp, bool json)
{
	const json_t *a = json_object_get(resp, "attempt");
	if (json)
		print_json(resp);
	if (!a) {
		if (!json)
			fprintf(stderr, "keysteer %s: %s\n", cmd, str(resp, "error"));
		return KS_CTL_EXIT_FAILED;
	}
	bool ok = json_is_true(json_object_get(resp, "ok"));
	if (!json) {
		if (ok) {
			printf("applied version %" JSON_INTEGER_FORMAT " (%" JSON_INTEGER_FORMAT
			       " routes, %" JSON_INTEGER_FORMAT " shards) in %.1f ms\n",
			       num(a, "version"), num(a, "routes"), num(a, "shards"),
			       json_real_value(json_object_get(a, "total_ms")));
		} else {
			fprintf(stderr, "keysteer %s: %s", cmd, str(a, "result"));
			if (json_is_integer(json_object_get(a, "version")))
				fprintf(stderr, " (version %" JSON_INTEGER_FORMAT ")",
					num(a, "version"));
			fprintf(stderr, "; the active rules are unchanged\n");
			print_errors(stderr, a, "  ");
		}
	}
	return ok ? KS_CTL_EXIT_OK : KS_CTL_EXIT_FAILED;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);
	while (buf) {
		if (n == cap) {
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		size_t r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	if (f != stdin)
		fclose(f);
	*len = n;
	return buf;
}

int ks_cmd_apply(int argc, char **argv)
{
	struct ctl_args a;
	int rc = parse(argc, argv, &a, "FILE", "send a rule set to keysteerd and apply it");
	if (rc)
		return rc > 0 ? KS_CTL_EXIT_OK : KS_CTL_EXIT_USAGE;
	if (a.argc != 1) {
		usage(stderr, argv[0], "FILE", "send a rule set to keysteerd and apply it");
		return KS_CTL_EXIT_USAGE;
	}
	size_t len;
	char *text = read_file(a.argv[0], &len);
	if (!text) {
		fprintf(stderr, "keysteer apply: %s: %s\n", a.argv[0], strerror(errno));
		return KS_CTL_EXIT_FAILED;
	}
	json_t *req = json_object();
	json_object_set_new(req, "cmd", json_string("apply"));
	json_object_set_new(req, "rules", json_stringn_nocheck(text, len));
	json_object_set_new(req, "source", json_string(a.argv[0]));
	free(text);
	json_t *resp = NULL;
	rc = call(&a, "apply", req, &resp);
	if (rc)
		return rc;
	rc = report_attempt("apply", resp, a.json);
	json_decref(resp);
	return rc;
}

int ks_cmd_rollback(int argc, char **argv)
{
	static const char what[] =
	    "go back to VERSION, or to the newest version older than the active one";
	struct ctl_args a;
	int rc = parse(argc, argv, &a, "[VERSION]", what);
	if (rc)
		return rc > 0 ? KS_CTL_EXIT_OK : KS_CTL_EXIT_USAGE;
	if (a.argc > 1) {
		usage(stderr, argv[0], "[VERSION]", what);
		return KS_CTL_EXIT_USAGE;
	}
	json_t *req = json_object();
	json_object_set_new(req, "cmd", json_string("rollback"));
	if (a.argc == 1) {
		char *end;
		errno = 0;
		unsigned long long v = strtoull(a.argv[0], &end, 10);
		if (errno || *end || v == 0 || a.argv[0][0] == '-') {
			fprintf(stderr, "keysteer rollback: not a version: '%s'\n", a.argv[0]);
			json_decref(req);
			return KS_CTL_EXIT_USAGE;
		}
		json_object_set_new(req, "version", json_integer((json_int_t)v));
	}
	json_t *resp = NULL;
	rc = call(&a, "rollback", req, &resp);
	if (rc)
		return rc;
	rc = report_attempt("rollback", resp, a.json);
	json_decref(resp);
	return rc;
}

static int simple(int argc, char **argv, const char *cmd, const char *what, json_t **resp,
		  struct ctl_args *a)
{
	int rc = parse(argc, argv, a, "", what);
	if (rc)
		return rc > 0 ? -1 : KS_CTL_EXIT_USAGE;
	if (a->argc) {
		usage(stderr, argv[0], "", what);
		return KS_CTL_EXIT_USAGE;
	}
	json_t *req = json_object();
	json_object_set_new(req, "cmd", json_string(cmd));
	if (a->top >= 0)
		json_object_set_new(req, "top", json_integer(a->top));
	rc = call(a, cmd, req, resp);
	if (rc)
		return rc;
	if (!json_is_true(json_object_get(*resp, "ok"))) {
		if (a->json)
			print_json(*resp);
		else
			fprintf(stderr, "keysteer %s: %s\n", cmd, str(*resp, "error"));
		json_decref(*resp);
		return KS_CTL_EXIT_FAILED;
	}
	return KS_CTL_EXIT_OK;
}

static void print_status(const json_t *r)
{
	const json_t *d = json_object_get(r, "daemon"), *f = json_object_get(r, "feed"),
		     *rules = json_object_get(r, "rules");
	char when[64];
	printf("keysteerd pid %" JSON_INTEGER_FORMAT " on %s, data plane %s", num(d, "pid"),
	       str(d, "host"), str(d, "dataplane"));
	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(d, "ifaces"), i, x)
	    printf("%s%s", i ? ", " : " on ", json_string_value(x));
	printf(" (xdp %s)\n", str(d, "xdp_mode"));
	if (json_is_object(f)) {
		printf("feed: %s: %s", str(f, "uri"), str(f, "state"));
		if (json_object_get(f, "detail"))
			printf(" (%s)", str(f, "detail"));
		putchar('\n');
	} else {
		printf("feed: none (keysteer apply only)\n");
	}
	if (json_is_integer(json_object_get(rules, "active_version"))) {
		fmt_time(num(rules, "active_since_ms"), when, sizeof(when));
		printf("active: version %" JSON_INTEGER_FORMAT " from %s since %s",
		       num(rules, "active_version"), str(rules, "active_source"), when);
		if (json_object_get(rules, "routes"))
			printf(", %" JSON_INTEGER_FORMAT " routes, %" JSON_INTEGER_FORMAT
			       " shards, %" JSON_INTEGER_FORMAT " listeners",
			       num(rules, "routes"), num(rules, "shards"), num(rules, "listeners"));
		putchar('\n');
	} else {
		printf("active: no rule set\n");
	}
	const json_t *c = json_object_get(rules, "counts");
	printf("attempts: %" JSON_INTEGER_FORMAT " applied, %" JSON_INTEGER_FORMAT
	       " rejected, %" JSON_INTEGER_FORMAT " refused, %" JSON_INTEGER_FORMAT " failed\n",
	       num(c, "applied"), num(c, "rejected"), num(c, "refused"), num(c, "failed"));
	json_array_foreach(json_object_get(rules, "attempts"), i, x)
	{
		fmt_time(num(x, "time_ms"), when, sizeof(when));
		char ver[32] = "-";
		if (json_is_integer(json_object_get(x, "version")))
			snprintf(ver, sizeof(ver), "%" JSON_INTEGER_FORMAT, num(x, "version"));
		printf("  %s  v%-8s %-8s %6.1f ms  %" JSON_INTEGER_FORMAT " routes  %s%s\n", when,
		       ver, str(x, "result"), json_real_value(json_object_get(x, "total_ms")),
		       num(x, "routes"), str(x, "source"),
		       json_is_true(json_object_get(x, "rollback")) ? " (rollback)" : "");
		print_errors(stdout, x, "      ");
	}
}

int ks_cmd_status(int argc, char **argv)
{
	struct ctl_args a;
	json_t *resp = NULL;
	int rc = simple(argc, argv, "status", "keysteerd's state: feed, active version, attempts",
			&resp, &a);
	if (rc)
		return rc < 0 ? KS_CTL_EXIT_OK : rc;
	if (a.json)
		print_json(resp);
	else
		print_status(resp);
	json_decref(resp);
	return KS_CTL_EXIT_OK;
}

static void print_counter_row(const char *name, const json_t *c)
{
	printf("  %-40s %14" JSON_INTEGER_FORMAT " %16" JSON_INTEGER_FORMAT "\n", name,
	       num(c, "packets"), num(c, "bytes"));
}

int ks_cmd_stats(int argc, char **argv)
{
	struct ctl_args a;
	json_t *resp = NULL;
	int rc = simple(argc, argv, "stats", "counters per reason, shard and key, from keysteerd",
			&resp, &a);
	if (rc)
		return rc < 0 ? KS_CTL_EXIT_OK : rc;
	if (a.json) {
		print_json(resp);
		json_decref(resp);
		return KS_CTL_EXIT_OK;
	}
	const json_t *s = json_object_get(resp, "stats");
	printf("version %" JSON_INTEGER_FORMAT "%s\n", num(resp, "version"),
	       json_is_true(json_object_get(s, "counters")) ? "" : " (no data plane: no counters)");
	printf("  %-40s %14s %16s\n", "reason", "packets", "bytes");
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(s, "reasons"), k, v) print_counter_row(k, v);
	printf("  %-40s %14s %16s\n", "shard", "packets", "bytes");
	size_t i;
	json_array_foreach(json_object_get(s, "shards"), i, v)
	    print_counter_row(str(v, "shard"), v);
	printf("  %-40s %14s %16s\n", "key (top by packets)", "packets", "bytes");
	json_array_foreach(json_object_get(s, "keys"), i, v) print_counter_row(str(v, "key"), v);
	const json_t *o = json_object_get(s, "other");
	char other[64];
	snprintf(other, sizeof(other), "other (%" JSON_INTEGER_FORMAT " keys)", num(o, "keys"));
	print_counter_row(other, o);
	json_decref(resp);
	return KS_CTL_EXIT_OK;
}

static void print_shard(const char *label, const json_t *t)
{
	printf("  %s %s: %s port %" JSON_INTEGER_FORMAT " via %s", label, str(t, "shard"),
	       str(t, "vip"), num(t, "port"), str(t, "steer"));
	if (json_object_get(t, "weight_percent"))
		printf(", %.2f%% (buckets %" JSON_INTEGER_FORMAT "..%" JSON_INTEGER_FORMAT ")",
		       json_real_value(json_object_get(t, "weight_percent")),
		       num(t, "buckets_first"), num(t, "buckets_last"));
	if (json_object_get(t, "percent"))
		printf(", %.2f%% of packets copied",
		       json_real_value(json_object_get(t, "percent")));
	const json_t *nh = json_object_get(t, "next_hop");
	if (json_is_true(json_object_get(nh, "resolved")))
		printf("\n      next hop: ifindex %" JSON_INTEGER_FORMAT
		       " %s -> %s, src %s, mtu %" JSON_INTEGER_FORMAT "\n",
		       num(nh, "ifindex"), str(nh, "smac"), str(nh, "dmac"), str(nh, "src"),
		       num(nh, "mtu"));
	else
		printf("\n      next hop: unresolved (passed to the kernel)\n");
}

int ks_cmd_lookup(int argc, char **argv)
{
	static const char what[] = "what the active tables decide for KEY, and why";
	struct ctl_args a;
	int rc = parse(argc, argv, &a, "KEY", what);
	if (rc)
		return rc > 0 ? KS_CTL_EXIT_OK : KS_CTL_EXIT_USAGE;
	if (a.argc != 1) {
		usage(stderr, argv[0], "KEY", what);
		return KS_CTL_EXIT_USAGE;
	}
	json_t *req = json_object();
	json_object_set_new(req, "cmd", json_string("lookup"));
	json_object_set_new(req, "key", json_string(a.argv[0]));
	json_t *resp = NULL;
	rc = call(&a, "lookup", req, &resp);
	if (rc)
		return rc;
	bool ok = json_is_true(json_object_get(resp, "ok"));
	if (a.json) {
		print_json(resp);
	} else if (!ok) {
		fprintf(stderr, "keysteer lookup: %s\n", str(resp, "error"));
	} else {
		printf("%s (%s): %s\n", str(resp, "key"), str(resp, "hash"), str(resp, "decision"));
		printf("  %s\n", str(resp, "why"));
		size_t i;
		json_t *t;
		if (json_is_true(json_object_get(resp, "found")))
			printf("  sticky: %s\n", str(resp, "sticky"));
		json_array_foreach(json_object_get(resp, "targets"), i, t) print_shard("target", t);
		if (json_object_get(resp, "shadow"))
			print_shard("shadow", json_object_get(resp, "shadow"));
	}
	json_decref(resp);
	return ok ? KS_CTL_EXIT_OK : KS_CTL_EXIT_FAILED;
}

int ks_cmd_detach(int argc, char **argv)
{
	struct ctl_args a;
	json_t *resp = NULL;
	int rc = simple(argc, argv, "detach",
			"remove the router from the interfaces and stop keysteerd", &resp, &a);
	if (rc)
		return rc < 0 ? KS_CTL_EXIT_OK : rc;
	if (a.json)
		print_json(resp);
	else
		printf("detached: the router is removed and keysteerd has stopped\n");
	json_decref(resp);
	return KS_CTL_EXIT_OK;
}
