/* SPDX-License-Identifier: BSD-3-Clause */
/* keysteer tag: tag the TCP SYNs of a cgroup's processes (see cmd_tag.h). */
#include "cli/cmd_tag.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "client/ks_client.h"
#include "client/ks_tag.h"

const char ks_help_tag[] =
    "Usage: keysteer tag --cgroup PATH --key KEY [--entity N] [-j]\n"
    "       keysteer tag --cgroup PATH --remove [-j]\n"
    "       keysteer tag --cgroup PATH [-j]\n"
    "\n"
    "Make every TCP connection opened by a process in the cgroup v2 directory PATH\n"
    "(or below it) carry the keysteer option on its SYN: kind 253, ExID 0x4B53,\n"
    "the routing key of KEY and the entity N (default 0). Unmodified clients (curl,\n"
    "a gRPC client) are then routed by key. A sockops program is attached to the\n"
    "cgroup and stays after this command exits; tagging again replaces the key\n"
    "atomically, --remove takes it away. Without --key or --remove, show the tag.\n"
    "\n"
    "PATH is absolute (on a cgroup2 file system) or relative to the cgroup2 mount\n"
    "(found in /proc/mounts; one is mounted if there is none). With --key, missing\n"
    "directories are created. Put a process in it with\n"
    "  echo PID > PATH/cgroup.procs\n"
    "\n"
    "KEY is a textual key (hashed with FNV-1a 64) or 0x and 1 to 16 hex digits,\n"
    "as in rule sets. N is a 32-bit number (decimal or 0x hex).\n"
    "\n"
    "Options:\n"
    "  --cgroup PATH   the cgroup v2 directory\n"
    "  --key KEY       tag with this routing key\n"
    "  --entity N      the entity sent beside the key [0]\n"
    "  --remove        remove the tag\n"
    "  -j, --json      JSON output\n"
    "\n"
    "Exit status: 0 done, 1 the kernel refused (message says why), 2 usage error.\n";

struct tag_args {
	const char *cgroup, *key_text, *entity_text;
	bool remove, json;
};

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "keysteer tag: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'keysteer tag --help'.\n");
	return KS_EXIT_USAGE;
}

static int parse_entity(const char *s, uint32_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static int parse_args(int argc, char **argv, struct tag_args *a)
{
	static const struct option opts[] = {
	    {"cgroup", required_argument, NULL, 'c'},
	    {"key", required_argument, NULL, 'k'},
	    {"entity", required_argument, NULL, 'e'},
	    {"remove", no_argument, NULL, 'r'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	memset(a, 0, sizeof(*a));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			a->cgroup = optarg;
			break;
		case 'k':
			a->key_text = optarg;
			break;
		case 'e':
			a->entity_text = optarg;
			break;
		case 'r':
			a->remove = true;
			break;
		case 'j':
			a->json = true;
			break;
		case 'h':
			fputs(ks_help_tag, stdout);
			return -1;
		default:
			return usage_error("unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (!a->cgroup)
		return usage_error("%s", "missing --cgroup PATH");
	if (a->remove && (a->key_text || a->entity_text))
		return usage_error("%s", "--remove takes no --key or --entity");
	if (a->entity_text && !a->key_text)
		return usage_error("%s", "--entity needs --key");
	if (a->key_text && !*a->key_text)
		return usage_error("%s", "empty --key");
	return 0;
}

static void print_info(const char *dir, const struct ks_tag_info *t, bool json, json_t *arr)
{
	char key[19];

	snprintf(key, sizeof(key), "0x%016" PRIx64, t->key);
	if (json) {
		json_array_append_new(
		    arr, json_pack("{s:s, s:s, s:I, s:I, s:I, s:I}", "cgroup", dir, "key", key,
				   "entity", (json_int_t)t->entity, "program",
				   (json_int_t)t->prog_id, "syns_tagged", (json_int_t)t->syns,
				   "syns_no_room", (json_int_t)t->no_room));
		return;
	}
	printf("%s: key %s entity %" PRIu32 " (program %" PRIu32 "): %" PRIu64
	       " SYN%s tagged, %" PRIu64 " without option room\n",
	       dir, key, t->entity, t->prog_id, t->syns, ks_plural(t->syns), t->no_room);
}

static int do_show(const char *dir, bool json)
{
	struct ks_tag_info t[8];
	char msg[512];
	size_t n = 0;
	json_t *arr = json_array();
	int rc = ks_tag_show(dir, t, 8, &n, msg, sizeof(msg));

	if (rc) {
		fprintf(stderr, "keysteer tag: %s\n", msg);
		json_decref(arr);
		return KS_EXIT_FAIL;
	}
	for (size_t i = 0; i < n; i++)
		print_info(dir, &t[i], json, arr);
	if (json) {
		json_dumpf(arr, stdout, JSON_COMPACT);
		putchar('\n');
	} else if (n == 0)
		printf("%s: not tagged\n", dir);
	json_decref(arr);
	return KS_EXIT_OK;
}

static int do_remove(const char *dir, bool json)
{
	char msg[512];
	unsigned removed = 0;

	if (ks_tag_detach(dir, &removed, msg, sizeof(msg))) {
		fprintf(stderr, "keysteer tag: %s\n", msg);
		return KS_EXIT_FAIL;
	}
	if (json) {
		json_t *o = json_pack("{s:s, s:i}", "cgroup", dir, "removed", (int)removed);

		json_dumpf(o, stdout, JSON_COMPACT);
		putchar('\n');
		json_decref(o);
	} else if (removed)
		printf("%s: tag removed\n", dir);
	else
		printf("%s: was not tagged\n", dir);
	return KS_EXIT_OK;
}

static int do_tag(const char *dir, const struct tag_args *a)
{
	struct ks_tag_info t;
	char msg[512];
	uint64_t key;
	uint32_t entity = 0;
	json_t *arr;

	if (a->entity_text && parse_entity(a->entity_text, &entity))
		return usage_error("--entity: not a 32-bit number: '%s'", a->entity_text);
	ks_client_key(a->key_text, &key);
	if (ks_tag_attach(dir, key, entity, &t, msg, sizeof(msg))) {
		fprintf(stderr, "keysteer tag: %s\n", msg);
		return KS_EXIT_FAIL;
	}
	if (a->json) {
		arr = json_array();
		print_info(dir, &t, true, arr);
		json_dumpf(json_array_get(arr, 0), stdout, JSON_COMPACT);
		putchar('\n');
		json_decref(arr);
		return KS_EXIT_OK;
	}
	printf("tagged %s: key 0x%016" PRIx64 " (%s) entity %" PRIu32 ", program %" PRIu32 "\n",
	       dir, key, a->key_text, entity, t.prog_id);
	printf("TCP connections opened from this cgroup now carry the keysteer option on their "
	       "SYN;\nmove a process in with: echo PID > %s/cgroup.procs\n",
	       dir);
	return KS_EXIT_OK;
}

int ks_cmd_tag(int argc, char **argv)
{
	struct tag_args a;
	char dir[PATH_MAX], msg[512];
	int rc = parse_args(argc, argv, &a);

	if (rc)
		return rc < 0 ? KS_EXIT_OK : rc; /* help printed, or usage error */
	if (ks_tag_resolve(a.cgroup, a.key_text != NULL, dir, sizeof(dir), msg, sizeof(msg))) {
		fprintf(stderr, "keysteer tag: %s\n", msg);
		return KS_EXIT_FAIL;
	}
	if (a.remove)
		return do_remove(dir, a.json);
	if (a.key_text)
		return do_tag(dir, &a);
	return do_show(dir, a.json);
}
