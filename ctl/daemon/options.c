/* SPDX-License-Identifier: BSD-3-Clause */
#include "daemon/options.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "backend/loader.h"
#include "ctlsock/ctlsock.h"

/* KS_BPF_DIR: /usr/lib/keysteer when built by `make install`, else the build tree. */
#ifndef KS_BPF_DIR
#define KS_BPF_DIR "build/bpf"
#endif
#define KSD_DEFAULT_ROUTER_OBJ KS_BPF_DIR "/ks_router.bpf.o"

enum opt_kind { OPT_STRING, OPT_INT, OPT_FLAG, OPT_IFACE };

struct opt_def {
	const char *name;
	enum opt_kind kind;
	size_t offset; /* into struct ks_options */
	const char *def;
	const char *arg;
	const char *help;
};

#define OFF(f) offsetof(struct ks_options, f)

/* The one table of options: flags, config keys, defaults and help. */
static const struct opt_def opts[] = {
    {"iface", OPT_IFACE, 0, NULL, "IF", "attach the router to IF (repeat for more)"},
    {"feed", OPT_STRING, OFF(feed), NULL, "URI",
     "rule feed: file:PATH or nats://HOST:PORT/BUCKET/KEY"},
    {"xdp-mode", OPT_STRING, OFF(xdp_mode), "native", "MODE", "XDP attach mode: native|generic"},
    {"pin-root", OPT_STRING, OFF(pin_root), "/sys/fs/bpf/keysteer", "DIR",
     "where the router's maps are pinned"},
    {"bpf-obj", OPT_STRING, OFF(bpf_obj), KSD_DEFAULT_ROUTER_OBJ, "FILE",
     "the XDP router's BPF object"},
    {"socket", OPT_STRING, OFF(socket_path), KS_CTLSOCK_DEFAULT_PATH, "PATH", "control socket"},
    {"socket-group", OPT_STRING, OFF(socket_group), "0", "GROUP",
     "group (name or number) allowed on the control socket besides root"},
    {"metrics", OPT_STRING, OFF(metrics), "127.0.0.1:9464", "ADDR:PORT",
     "Prometheus endpoint, or \"off\""},
    {"config", OPT_STRING, OFF(config), NULL, "FILE", "key=value config file; flags override it"},
    {"log-level", OPT_STRING, OFF(log_level), "info", "LEVEL", "error|warn|info|debug"},
    {"host-id", OPT_STRING, OFF(host_id), NULL, "NAME",
     "this host's name in feed acks (default: the host name)"},
    {"history", OPT_INT, OFF(history), "32", "N", "apply attempts kept for status"},
    {"rollback-keep", OPT_INT, OFF(rollback_keep), "4", "N",
     "applied rule sets kept in memory for rollback (file feed and apply)"},
    {"top-keys", OPT_INT, OFF(top_keys), "20", "N",
     "keys exported one by one in metrics; the rest sum into key=\"other\""},
    {"max-routes", OPT_INT, OFF(max_routes), "2097152", "N",
     "route table capacity, both generations together"},
    {"flows-per-cpu", OPT_INT, OFF(flows_per_cpu), "0", "N",
     "TCP connection and NAT table entries per CPU when the maps are created; 0: 65536 in all"},
    {"dpdk-table", OPT_STRING, OFF(dpdk_table), NULL, "PATH",
     "drive keysteer-dpdk: publish to its shared table (created if absent) instead of XDP"},
    {"no-dataplane", OPT_FLAG, OFF(no_dataplane), NULL, NULL,
     "follow the feed and compile, but load and touch no BPF state (dry run)"},
    {"compile-threads", OPT_INT, OFF(compile_threads), "0", "N",
     "threads that parse and compile a whole rule set and write its large tables; 0: one per CPU"},
    {"full-compile", OPT_FLAG, OFF(full_compile), NULL, NULL,
     "always compile whole rule sets (no incremental compile of changed routes)"},
    {"maps-only", OPT_FLAG, OFF(maps_only), NULL, NULL,
     "own the pinned tables but load and attach no program (benchmarks, external loader)"},
    {"help", OPT_FLAG, OFF(help), NULL, NULL, "show this help"},
};
#define N_OPTS (sizeof(opts) / sizeof(opts[0]))

static const struct opt_def *find_opt(const char *name)
{
	for (size_t i = 0; i < N_OPTS; i++)
		if (strcmp(opts[i].name, name) == 0)
			return &opts[i];
	return NULL;
}

static int set_opt(struct ks_options *o, const struct opt_def *d, const char *val, char *err,
		   size_t errlen)
{
	void *field = (char *)o + d->offset;
	switch (d->kind) {
	case OPT_STRING:
		free(*(char **)field);
		*(char **)field = strdup(val);
		return 0;
	case OPT_INT: {
		char *end;
		errno = 0;
		long v = strtol(val, &end, 10);
		if (errno || *end || end == val || v < 0 || v > INT_MAX) {
			snprintf(err, errlen, "--%s: not a non-negative integer: '%s'", d->name,
				 val);
			return -1;
		}
		*(int *)field = (int)v;
		return 0;
	}
	case OPT_FLAG:
		if (!val || strcmp(val, "1") == 0 || strcmp(val, "yes") == 0 ||
		    strcmp(val, "true") == 0) {
			*(bool *)field = true;
		} else if (strcmp(val, "0") == 0 || strcmp(val, "no") == 0 ||
			   strcmp(val, "false") == 0) {
			*(bool *)field = false;
		} else {
			snprintf(err, errlen, "%s: expected yes or no, got '%s'", d->name, val);
			return -1;
		}
		return 0;
	case OPT_IFACE:
		if (o->n_ifaces >= KS_MAX_IFACES) {
			snprintf(err, errlen, "too many interfaces (at most %d)", KS_MAX_IFACES);
			return -1;
		}
		o->ifaces[o->n_ifaces++] = strdup(val);
		return 0;
	}
	return -1;
}

static void set_defaults(struct ks_options *o)
{
	char err[8];
	memset(o, 0, sizeof(*o));
	for (size_t i = 0; i < N_OPTS; i++)
		if (opts[i].def)
			set_opt(o, &opts[i], opts[i].def, err, sizeof(err));
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int ks_options_load_file(struct ks_options *o, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "config %s: %s", path, strerror(errno));
		return -1;
	}
	char line[4096];
	int lineno = 0, rc = 0;
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		lineno++;
		char *s = trim(line);
		if (!*s || *s == '#')
			continue;
		char *eq = strchr(s, '=');
		if (!eq) {
			snprintf(err, errlen, "%s:%d: expected key=value", path, lineno);
			rc = -1;
			break;
		}
		*eq = '\0';
		char *key = trim(s), *val = trim(eq + 1);
		const struct opt_def *d = find_opt(key);
		if (!d || strcmp(key, "config") == 0 || strcmp(key, "help") == 0) {
			snprintf(err, errlen, "%s:%d: unknown setting '%s'", path, lineno, key);
			rc = -1;
			break;
		}
		char sub[512];
		if (set_opt(o, d, val, sub, sizeof(sub)) < 0) {
			snprintf(err, errlen, "%s:%d: %s", path, lineno, sub);
			rc = -1;
		}
	}
	fclose(f);
	return rc;
}

/*
 * One keysteerd drives one data plane: the XDP router on --iface, or
 * keysteer-dpdk's shared table, or tables only, or none. Interfaces given with
 * another mode would be silently left without a router: refused instead.
 */
static int check_dataplane_mode(struct ks_options *o, bool ifaces_from_config, char *err,
				size_t errlen)
{
	const char *mode = o->dpdk_table     ? "--dpdk-table"
			   : o->maps_only    ? "--maps-only"
			   : o->no_dataplane ? "--no-dataplane"
					     : NULL;
	int modes = (o->dpdk_table != NULL) + o->maps_only + o->no_dataplane;

	if (modes > 1) {
		snprintf(err, errlen,
			 "--dpdk-table, --maps-only and --no-dataplane exclude each other: one "
			 "keysteerd drives one data plane");
		return -1;
	}
	if (mode && o->n_ifaces && ifaces_from_config) {
		snprintf(
		    err, errlen,
		    "iface %s (in %s) and %s: with %s keysteerd attaches nothing to interfaces; "
		    "remove iface from the config file (and run a second keysteerd, with its own "
		    "--socket, for the XDP router)",
		    o->ifaces[0], o->config, mode, mode);
		return -1;
	}
	if (mode && o->n_ifaces) {
		snprintf(
		    err, errlen,
		    "--iface %s and %s: with %s keysteerd attaches nothing to interfaces (run a "
		    "second keysteerd, with its own --socket, for the XDP router)",
		    o->ifaces[0], mode, mode);
		return -1;
	}
	if ((unsigned)o->flows_per_cpu > KS_MAX_FLOWS_PER_CPU) {
		snprintf(err, errlen, "--flows-per-cpu: at most %u", KS_MAX_FLOWS_PER_CPU);
		return -1;
	}
	if (o->flows_per_cpu && (o->dpdk_table || o->no_dataplane)) {
		snprintf(
		    err, errlen,
		    "--flows-per-cpu sizes the XDP router's tables: not with %s (keysteer-dpdk "
		    "sizes its own)",
		    mode);
		return -1;
	}
	return 0;
}

int ks_options_parse(struct ks_options *o, int argc, char **argv, char *err, size_t errlen)
{
	struct option longopts[N_OPTS + 1];
	memset(longopts, 0, sizeof(longopts));
	for (size_t i = 0; i < N_OPTS; i++) {
		longopts[i].name = opts[i].name;
		longopts[i].has_arg = opts[i].kind == OPT_FLAG ? no_argument : required_argument;
		longopts[i].val = 0x100 + (int)i;
	}
	set_defaults(o);

	/* First pass: only --config, so the flags can override the file. */
	optind = 1;
	opterr = 0;
	int c, idx;
	while ((c = getopt_long(argc, argv, "h", longopts, &idx)) != -1) {
		if (c >= 0x100 && strcmp(opts[c - 0x100].name, "config") == 0)
			set_opt(o, &opts[c - 0x100], optarg, err, errlen);
	}
	if (o->config && ks_options_load_file(o, o->config, err, errlen) < 0)
		return -1;

	bool iface_flag_seen = false;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, &idx)) != -1) {
		if (c == 'h') {
			o->help = true;
			continue;
		}
		if (c < 0x100) {
			snprintf(err, errlen, "unknown or incomplete option '%s'",
				 argv[optind - 1]);
			return -1;
		}
		const struct opt_def *d = &opts[c - 0x100];
		if (d->kind == OPT_IFACE && !iface_flag_seen) {
			/* Interfaces on the command line replace the config file's. */
			for (int i = 0; i < o->n_ifaces; i++)
				free(o->ifaces[i]);
			o->n_ifaces = 0;
			iface_flag_seen = true;
		}
		if (strcmp(d->name, "config") == 0)
			continue;
		if (set_opt(o, d, optarg, err, errlen) < 0)
			return -1;
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s'", argv[optind]);
		return -1;
	}
	if (strcmp(o->xdp_mode, "native") != 0 && strcmp(o->xdp_mode, "generic") != 0) {
		snprintf(err, errlen, "--xdp-mode: expected native or generic, got '%s'",
			 o->xdp_mode);
		return -1;
	}
	if (o->history < 1)
		o->history = 1;
	return check_dataplane_mode(o, o->n_ifaces && !iface_flag_seen, err, errlen);
}

void ks_options_usage(FILE *out)
{
	fprintf(out, "usage: keysteerd --iface IF [--iface IF2] [--feed URI] [options]\n\n"
		     "Follows a keysteer rule feed and keeps the XDP router's tables in step.\n"
		     "Every option can also be set in the --config file as name=value.\n\n");
	for (size_t i = 0; i < N_OPTS; i++) {
		char left[64];
		snprintf(left, sizeof(left), "--%s%s%s", opts[i].name, opts[i].arg ? " " : "",
			 opts[i].arg ? opts[i].arg : "");
		fprintf(out, "  %-26s %s", left, opts[i].help);
		if (opts[i].def)
			fprintf(out, " [%s]", opts[i].def);
		fputc('\n', out);
	}
}

void ks_options_free(struct ks_options *o)
{
	for (int i = 0; i < o->n_ifaces; i++)
		free(o->ifaces[i]);
	for (size_t i = 0; i < N_OPTS; i++)
		if (opts[i].kind == OPT_STRING)
			free(*(char **)((char *)o + opts[i].offset));
	memset(o, 0, sizeof(*o));
}

int ks_parse_hostport(const char *s, char *host, size_t hostlen, unsigned *port)
{
	const char *colon;
	if (*s == '[') {
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':')
			return -1;
		if ((size_t)(close - s - 1) >= hostlen)
			return -1;
		memcpy(host, s + 1, (size_t)(close - s - 1));
		host[close - s - 1] = '\0';
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || (size_t)(colon - s) >= hostlen)
			return -1;
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = '\0';
	}
	char *end;
	long p = strtol(colon + 1, &end, 10);
	if (*end || end == colon + 1 || p < 0 || p > 65535)
		return -1;
	*port = (unsigned)p;
	return 0;
}
