/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of keysteerd's parts that need no data plane: the io_uring
 * loop, options and config file, the control-socket framing and
 * permissions, the apply pipeline (with the in-memory data plane), and the
 * file feed driven by real inotify events.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctlsock/ctlsock.h"
#include "daemon/apply.h"
#include "daemon/ctl_server.h"
#include "daemon/feed.h"
#include "daemon/file_read.h"
#include "daemon/incremental.h"
#include "daemon/log.h"
#include "daemon/loop.h"
#include "daemon/options.h"
#include "daemon/rules_adapter.h"
#include "rules/layout.h"

/* ---------- helpers ---------- */

static char tmpdir[256];

static int make_tmpdir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ks-daemon-unit.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	ks_log_set_level(KS_LOG_ERROR);
	return 0;
}

static int remove_tmpdir(void **state)
{
	(void)state;
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A valid rule set: version v, key "k1" to shard a whose VIP ends in vip_last. */
static char *rules_doc(unsigned long v, int vip_last)
{
	char *s;
	int n = asprintf(
	    &s,
	    "{\"schema\":\"keysteer/v1\",\"version\":%lu,"
	    "\"listeners\":[{\"vip\":\"10.0.0.1\",\"port\":7000,\"proto\":\"udp\"}],"
	    "\"shards\":{\"a\":{\"vip\":\"10.1.0.%d\",\"port\":8080},"
	    "\"b\":{\"vip\":\"10.2.0.1\",\"port\":8080}},"
	    "\"routes\":[{\"key\":\"k1\",\"to\":[{\"shard\":\"a\",\"weight\":3},"
	    "{\"shard\":\"b\",\"weight\":1}]},{\"key\":\"k2\",\"to\":[{\"shard\":\"b\"}]}],"
	    "\"default\":\"drop\"}",
	    v, vip_last);
	assert_true(n > 0);
	return s;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* ---------- loop ---------- */

struct loop_probe {
	int calls;
	uint32_t revents;
	struct ks_loop_watch *self;
	bool delete_self;
};

static void probe_cb(struct ks_loop *loop, struct ks_loop_watch *w, int fd, uint32_t revents,
		     void *arg)
{
	struct loop_probe *p = arg;
	uint64_t v;
	p->calls++;
	p->revents = revents;
	if (read(fd, &v, sizeof(v)) < 0)
		fail();
	if (p->delete_self)
		ks_loop_del(loop, w);
}

static void test_loop_eventfd(void **state)
{
	(void)state;
	struct ks_loop *loop = ks_loop_new();
	assert_non_null(loop);
	int efd = eventfd(0, EFD_NONBLOCK);
	struct loop_probe p = {0};
	struct ks_loop_watch *w = ks_loop_add(loop, efd, POLLIN, probe_cb, &p);
	assert_non_null(w);

	/* Nothing ready: the loop sleeps through its timeout and calls nothing. */
	uint64_t wake0 = ks_loop_wakeups(loop);
	assert_int_equal(ks_loop_run_once(loop, 100), 0);
	assert_int_equal(p.calls, 0);
	assert_int_equal(ks_loop_wakeups(loop), wake0);

	uint64_t one = 1;
	assert_int_equal(write(efd, &one, sizeof(one)), sizeof(one));
	assert_true(ks_loop_run_once(loop, 1000) > 0);
	assert_int_equal(p.calls, 1);
	assert_true(p.revents & POLLIN);

	/* Re-armed: a second event is seen too. */
	assert_int_equal(write(efd, &one, sizeof(one)), sizeof(one));
	ks_loop_run_once(loop, 1000);
	assert_int_equal(p.calls, 2);

	/* Deleted: no more calls even when the fd is ready. */
	ks_loop_del(loop, w);
	assert_int_equal(write(efd, &one, sizeof(one)), sizeof(one));
	ks_loop_run_once(loop, 100);
	ks_loop_run_once(loop, 100);
	assert_int_equal(p.calls, 2);
	close(efd);
	ks_loop_free(loop);
}

static void test_loop_delete_in_callback(void **state)
{
	(void)state;
	struct ks_loop *loop = ks_loop_new();
	int efd = eventfd(0, EFD_NONBLOCK);
	struct loop_probe p = {.delete_self = true};
	assert_non_null(ks_loop_add(loop, efd, POLLIN, probe_cb, &p));
	uint64_t one = 1;
	assert_int_equal(write(efd, &one, sizeof(one)), sizeof(one));
	ks_loop_run_once(loop, 1000);
	assert_int_equal(write(efd, &one, sizeof(one)), sizeof(one));
	ks_loop_run_once(loop, 100);
	assert_int_equal(p.calls, 1);
	close(efd);
	ks_loop_free(loop);
}

static void count_cb(struct ks_loop *loop, struct ks_loop_watch *w, int fd, uint32_t revents,
		     void *arg)
{
	(void)loop;
	(void)w;
	(void)fd;
	int *n = arg;
	if (revents & POLLOUT)
		(*n)++;
}

static void test_loop_modify(void **state)
{
	(void)state;
	struct ks_loop *loop = ks_loop_new();
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	int outs = 0;
	/* Waiting for input on an idle socket: nothing happens. */
	struct ks_loop_watch *w = ks_loop_add(loop, sv[0], POLLIN, count_cb, &outs);
	ks_loop_run_once(loop, 100);
	assert_int_equal(outs, 0);
	/* Switched to output: writable at once. */
	ks_loop_modify(loop, w, POLLOUT);
	ks_loop_run_once(loop, 1000);
	ks_loop_run_once(loop, 100);
	assert_true(outs >= 1);
	ks_loop_del(loop, w);
	close(sv[0]);
	close(sv[1]);
	ks_loop_free(loop);
}

/* ---------- options ---------- */

static void test_options_defaults_and_flags(void **state)
{
	(void)state;
	struct ks_options o;
	char err[256];
	char *argv[] = {"keysteerd", "--iface",	   "eth0",    "--iface",  "eth1",	 "--feed",
			"file:/x",   "--xdp-mode", "generic", "--socket", "/tmp/s.sock", NULL};
	assert_int_equal(ks_options_parse(&o, 11, argv, err, sizeof(err)), 0);
	assert_int_equal(o.n_ifaces, 2);
	assert_string_equal(o.ifaces[1], "eth1");
	assert_string_equal(o.feed, "file:/x");
	assert_string_equal(o.xdp_mode, "generic");
	assert_string_equal(o.socket_path, "/tmp/s.sock");
	assert_string_equal(o.metrics, "127.0.0.1:9464");
	assert_string_equal(o.pin_root, "/sys/fs/bpf/keysteer");
	assert_int_equal(o.history, 32);
	assert_int_equal(o.compile_threads, 0); /* one per CPU */
	ks_options_free(&o);

	char *bad[] = {"keysteerd", "--xdp-mode", "turbo", NULL};
	assert_int_equal(ks_options_parse(&o, 3, bad, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "turbo"));
	ks_options_free(&o);
	char *unknown[] = {"keysteerd", "--frobnicate", NULL};
	assert_int_equal(ks_options_parse(&o, 2, unknown, err, sizeof(err)), -1);
	ks_options_free(&o);
}

static void test_options_config_file(void **state)
{
	(void)state;
	char path[300];
	snprintf(path, sizeof(path), "%s/keysteerd.conf", tmpdir);
	write_file(path, "# comment\n"
			 "iface = cfg0\n"
			 "iface=cfg1\n"
			 "feed = file:/etc/keysteer/rules.json\n"
			 "log-level = debug\n"
			 "history = 7\n"
			 "metrics = off\n");
	struct ks_options o;
	char err[256];
	char *argv[] = {"keysteerd", "--config", path, "--history", "9", NULL};
	assert_int_equal(ks_options_parse(&o, 5, argv, err, sizeof(err)), 0);
	assert_int_equal(o.n_ifaces, 2);
	assert_string_equal(o.ifaces[0], "cfg0");
	assert_string_equal(o.feed, "file:/etc/keysteer/rules.json");
	assert_string_equal(o.log_level, "debug");
	assert_string_equal(o.metrics, "off");
	assert_int_equal(o.history, 9); /* the flag wins */
	ks_options_free(&o);

	/* An --iface flag replaces the file's interfaces. */
	char *argv2[] = {"keysteerd", "--iface", "flag0", "--config", path, NULL};
	assert_int_equal(ks_options_parse(&o, 5, argv2, err, sizeof(err)), 0);
	assert_int_equal(o.n_ifaces, 1);
	assert_string_equal(o.ifaces[0], "flag0");
	ks_options_free(&o);

	write_file(path, "ifaec = eth0\n");
	char *argv3[] = {"keysteerd", "--config", path, NULL};
	assert_int_equal(ks_options_parse(&o, 3, argv3, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":1: unknown setting 'ifaec'"));
	ks_options_free(&o);
}

static void test_options_help_lists_all(void **state)
{
	(void)state;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ks_options_usage(f);
	fclose(f);
	const char *names[] = {"--iface",   "--feed",	 "--xdp-mode",	"--pin-root",
			       "--socket",  "--metrics", "--config",	"--log-level",
			       "--help",    "--bpf-obj", "--maps-only", "--no-dataplane",
			       "--top-keys"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_non_null(strstr(buf, names[i]));
	free(buf);
}

/* The packaged example config is valid and says what it shows. */
static void test_options_example_config(void **state)
{
	(void)state;
	struct ks_options o;
	char err[256];
	char *argv[] = {"keysteerd", "--config", "packaging/keysteerd.conf.example", NULL};
	assert_int_equal(ks_options_parse(&o, 3, argv, err, sizeof(err)), 0);
	assert_int_equal(o.n_ifaces, 1);
	assert_string_equal(o.ifaces[0], "eth0");
	assert_string_equal(o.feed, "file:/etc/keysteer/rules.json");
	assert_string_equal(o.bpf_obj, "/usr/lib/keysteer/ks_router.bpf.o");
	assert_int_equal(o.flows_per_cpu, 0);
	ks_options_free(&o);
}

/* argv (NULL-terminated) is refused, with `needle` in the message; returns the message. */
static const char *expect_refused(char **argv, const char *needle)
{
	static char err[512];
	struct ks_options o;
	int argc = 0;

	while (argv[argc])
		argc++;
	assert_int_equal(ks_options_parse(&o, argc, argv, err, sizeof(err)), -1);
	if (!strstr(err, needle))
		fail_msg("refused with \"%s\", expected it to say \"%s\"", err, needle);
	ks_options_free(&o);
	return err;
}

/* One data plane per keysteerd: interfaces with another mode, or two modes, are refused. */
static void test_options_one_dataplane(void **state)
{
	(void)state;
	struct ks_options o;
	char err[256];

	char *dpdk_iface[] = {"keysteerd", "--dpdk-table", "/run/t.tbl", "--iface", "eth0", NULL};
	expect_refused(dpdk_iface, "--iface eth0 and --dpdk-table");
	char *maps_iface[] = {"keysteerd", "--iface", "eth0", "--maps-only", NULL};
	expect_refused(maps_iface, "--maps-only");
	char *two[] = {"keysteerd", "--no-dataplane", "--dpdk-table", "/run/t.tbl", NULL};
	expect_refused(two, "exclude each other");
	char *dpdk_flows[] = {"keysteerd",	 "--dpdk-table", "/run/t.tbl",
			      "--flows-per-cpu", "4096",	 NULL};
	expect_refused(dpdk_flows, "keysteer-dpdk sizes its own");
	char *huge[] = {"keysteerd", "--maps-only", "--flows-per-cpu", "16777217", NULL};
	expect_refused(huge, "at most 16777216");

	char *maps[] = {"keysteerd", "--maps-only", "--flows-per-cpu", "4096", NULL};
	assert_int_equal(ks_options_parse(&o, 4, maps, err, sizeof(err)), 0);
	assert_true(o.maps_only);
	assert_int_equal(o.flows_per_cpu, 4096);
	ks_options_free(&o);

	/* An interface from the config file: the message says where it came from. */
	char conf[300];
	snprintf(conf, sizeof(conf), "%s/iface.conf", tmpdir);
	FILE *f = fopen(conf, "w");
	assert_non_null(f);
	fputs("iface = eth0\n", f);
	fclose(f);
	char *from_conf[] = {"keysteerd", "--config", conf, "--dpdk-table", "/run/t.tbl", NULL};
	assert_non_null(
	    strstr(expect_refused(from_conf, "remove iface from the config file"), conf));
}

/* What ks_log() writes to stderr while fn runs, into buf. */
static void capture_stderr(void (*fn)(void), char *buf, size_t len)
{
	char path[300];
	int fd, saved;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/stderr.txt", tmpdir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	/* Nothing may fail while stderr is the file. */
	if (dup2(fd, STDERR_FILENO) == STDERR_FILENO)
		fn();
	fflush(stderr);
	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	n = pread(fd, buf, len - 1, 0);
	assert_true(n >= 0);
	buf[n] = '\0';
	close(fd);
}

static void log_three(void)
{
	ks_log_set_level(KS_LOG_INFO);
	ks_warn("disk %s", "full");
	ks_info("applied %d", 7);
	ks_debug("not shown at info");
	ks_log_set_level(KS_LOG_ERROR);
}

/*
 * Under systemd (JOURNAL_STREAM set) each line starts with its sd-daemon
 * priority and has no timestamp (journald adds one); otherwise a timestamp
 * and the level name. Levels above the set one are not written.
 */
static void test_log_levels_and_journald(void **state)
{
	char out[1024];

	(void)state;
	assert_int_equal(setenv("JOURNAL_STREAM", "8:12345", 1), 0);
	capture_stderr(log_three, out, sizeof(out));
	assert_string_equal(out, "<4>disk full\n<6>applied 7\n");
	assert_int_equal(unsetenv("JOURNAL_STREAM"), 0);
	capture_stderr(log_three, out, sizeof(out));
	assert_non_null(strstr(out, " keysteerd warn: disk full\n"));
	assert_non_null(strstr(out, " keysteerd info: applied 7\n"));
	assert_null(strstr(out, "not shown"));
	assert_int_equal(out[4], '-'); /* 2026-11-27T03:... */
	assert_int_equal(out[10], 'T');
	assert_int_equal(ks_log_level_parse("warning"), KS_LOG_WARN);
	assert_int_equal(ks_log_level_parse("loud"), -1);
}

static void test_hostport(void **state)
{
	(void)state;
	char h[64];
	unsigned p;
	assert_int_equal(ks_parse_hostport("127.0.0.1:9464", h, sizeof(h), &p), 0);
	assert_string_equal(h, "127.0.0.1");
	assert_int_equal(p, 9464);
	assert_int_equal(ks_parse_hostport("[::1]:80", h, sizeof(h), &p), 0);
	assert_string_equal(h, "::1");
	assert_int_equal(ks_parse_hostport("nohost", h, sizeof(h), &p), -1);
	assert_int_equal(ks_parse_hostport("1.2.3.4:99999", h, sizeof(h), &p), -1);
}

/* ---------- control socket ---------- */

static void test_linebuf(void **state)
{
	(void)state;
	struct ks_linebuf lb;
	ks_linebuf_init(&lb, 16);
	assert_null(ks_linebuf_take(&lb));
	assert_int_equal(ks_linebuf_append(&lb, "ab\ncd", 5), 0);
	char *l = ks_linebuf_take(&lb);
	assert_string_equal(l, "ab");
	free(l);
	assert_null(ks_linebuf_take(&lb));
	assert_int_equal(ks_linebuf_append(&lb, "e\n", 2), 0);
	l = ks_linebuf_take(&lb);
	assert_string_equal(l, "cde");
	free(l);
	assert_int_equal(ks_linebuf_append(&lb, "0123456789abcdefXYZ", 19), -E2BIG);
	ks_linebuf_free(&lb);
}

static json_t *echo_handler(void *arg, json_t *req)
{
	int *n = arg;
	(*n)++;
	json_t *o = json_object();
	json_object_set_new(o, "ok", json_true());
	json_object_set(o, "echo", json_object_get(req, "cmd"));
	return o;
}

struct call_ctx {
	char path[300];
	int rc;
	json_t *resp;
	volatile int done;
};

static void *client_thread(void *arg)
{
	struct call_ctx *c = arg;
	json_t *req = json_pack("{s:s}", "cmd", "ping");
	c->rc = ks_ctlsock_call(c->path, req, &c->resp, 5000);
	json_decref(req);
	c->done = 1;
	return NULL;
}

static void test_ctlsock_roundtrip_and_mode(void **state)
{
	(void)state;
	struct ks_loop *loop = ks_loop_new();
	struct call_ctx c = {0};
	char err[256];
	int handled = 0;
	snprintf(c.path, sizeof(c.path), "%s/run/sub/ks.sock", tmpdir);
	struct ks_ctl_server *s =
	    ks_ctl_server_open(loop, c.path, 4242, echo_handler, &handled, err, sizeof(err));
	assert_non_null(s);

	struct stat st;
	assert_int_equal(stat(c.path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0660);
	assert_int_equal(st.st_uid, 0);
	assert_int_equal(st.st_gid, 4242);

	/* A second server on the same path is refused while the first answers. */
	assert_null(ks_ctl_server_open(loop, c.path, 0, echo_handler, &handled, err, sizeof(err)));
	assert_non_null(strstr(err, "another keysteerd"));

	pthread_t t;
	pthread_create(&t, NULL, client_thread, &c);
	for (int i = 0; i < 100 && !c.done; i++)
		ks_loop_run_once(loop, 50);
	pthread_join(t, NULL);
	assert_int_equal(c.rc, 0);
	assert_int_equal(handled, 1);
	assert_string_equal(json_string_value(json_object_get(c.resp, "echo")), "ping");
	json_decref(c.resp);

	ks_ctl_server_close(s);
	/* Closed: the socket file is gone and a client says the daemon is not running. */
	assert_int_equal(stat(c.path, &st), -1);
	json_t *req = json_pack("{s:s}", "cmd", "ping"), *resp = NULL;
	int rc = ks_ctlsock_call(c.path, req, &resp, 1000);
	json_decref(req);
	assert_int_equal(rc, -ENOENT);
	assert_non_null(strstr(ks_ctlsock_strerror(rc), "not running"));
	ks_loop_free(loop);
}

static void test_ctlsock_peer_check(void **state)
{
	(void)state;
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	uid_t uid;
	pid_t pid;
	/* We are root: allowed whatever the group. */
	assert_true(ks_ctlsock_peer_allowed(sv[0], 4242, &uid, &pid));
	assert_int_equal(uid, 0);
	assert_int_equal(pid, getpid());
	close(sv[0]);
	close(sv[1]);
}

/* ---------- apply pipeline (in-memory data plane) ---------- */

struct acks {
	int n;
	enum ks_apply_result last;
};

static void on_attempt(void *arg, const struct ks_attempt *a)
{
	struct acks *k = arg;
	k->n++;
	k->last = a->result;
}

static void apply_doc(struct ks_applier *ap, unsigned long v, int vip, unsigned flags,
		      enum ks_apply_result want)
{
	char *doc = rules_doc(v, vip);
	const struct ks_attempt *a = ks_applier_apply(ap, doc, strlen(doc), "test", flags, 0);
	free(doc);
	assert_int_equal(a->result, want);
}

static void test_apply_versions_and_rollback(void **state)
{
	(void)state;
	struct ks_dataplane *dp = ks_dp_memory_open();
	struct ks_applier ap;
	struct acks acks = {0};
	assert_int_equal(ks_applier_init(&ap, dp, 4, 3), 0);
	ap.on_attempt = on_attempt;
	ap.hook_arg = &acks;

	apply_doc(&ap, 5, 10, 0, KS_APPLY_APPLIED);
	assert_int_equal(ap.active_version, 5);
	assert_int_equal(dp->ops->active_version(dp), 5);
	apply_doc(&ap, 7, 11, 0, KS_APPLY_APPLIED);
	assert_int_equal(ap.active_version, 7);

	/* Older and equal versions are refused and change nothing. */
	apply_doc(&ap, 6, 12, 0, KS_APPLY_REFUSED);
	apply_doc(&ap, 7, 12, 0, KS_APPLY_REFUSED);
	assert_int_equal(ap.active_version, 7);
	const struct ks_attempt *last = ks_applier_last(&ap);
	assert_non_null(strstr(json_string_value(json_array_get(last->errors, 0)),
			       "not newer than the active version 7"));

	/* A broken rule set is rejected with every error; version 7 stays. */
	const char *bad =
	    "{\"schema\":\"keysteer/v1\",\"version\":9,\"listeners\":[],"
	    "\"shards\":{},\"routes\":[{\"key\":\"x\",\"to\":[{\"shard\":\"nope\"}]}],"
	    "\"default\":\"drop\",\"bogus\":1}";
	last = ks_applier_apply(&ap, bad, strlen(bad), "test", 0, 0);
	assert_int_equal(last->result, KS_APPLY_REJECTED);
	assert_true(json_array_size(last->errors) >= 2);
	assert_int_equal(ap.active_version, 7);
	struct ks_dp_lookup lk;
	assert_int_equal(dp->ops->lookup(dp, ks_rules_key_of("k1"), &lk), 0);
	assert_true(lk.found);
	assert_int_equal(lk.version, 7);

	/* Half a document (a writer caught mid-way) is rejected too. */
	char *doc = rules_doc(10, 1);
	last = ks_applier_apply(&ap, doc, strlen(doc) / 2, "test", 0, 0);
	free(doc);
	assert_int_equal(last->result, KS_APPLY_REJECTED);
	assert_int_equal(ap.active_version, 7);

	/* Rollback to the kept version 5. */
	const struct ks_kept_doc *k = ks_applier_find_kept(&ap, 0);
	assert_non_null(k);
	assert_int_equal(k->version, 5);
	last = ks_applier_apply_text(&ap, k->text, NULL, "rollback", KS_APPLY_ROLLBACK, 0);
	assert_int_equal(last->result, KS_APPLY_APPLIED);
	assert_int_equal(ap.active_version, 5);
	assert_true(last->rollback);

	/* After rolling back from 7, the feed must go above 7. */
	apply_doc(&ap, 6, 13, 0, KS_APPLY_REFUSED);
	apply_doc(&ap, 8, 13, 0, KS_APPLY_APPLIED);
	/* A "rollback" to a newer version is not one. */
	apply_doc(&ap, 9, 13, KS_APPLY_ROLLBACK, KS_APPLY_REFUSED);

	/* History keeps the last 4 attempts, newest first, and counts all. */
	json_t *st = ks_applier_status_json(&ap);
	assert_int_equal(json_array_size(json_object_get(st, "attempts")), 4);
	json_t *newest = json_array_get(json_object_get(st, "attempts"), 0);
	assert_string_equal(json_string_value(json_object_get(newest, "result")), "refused");
	assert_int_equal(json_integer_value(json_object_get(st, "active_version")), 8);
	json_t *counts = json_object_get(st, "counts");
	assert_int_equal(json_integer_value(json_object_get(counts, "applied")), 4);
	assert_int_equal(json_integer_value(json_object_get(counts, "rejected")), 2);
	assert_int_equal(json_integer_value(json_object_get(counts, "refused")), 4);
	json_decref(st);
	assert_int_equal(acks.n, 10);
	assert_int_equal(ap.lat_count, 4);
	assert_int_equal(ap.lat_buckets[KS_LATENCY_BUCKETS - 1], 4);

	ks_applier_free(&ap);
	dp->ops->close(dp);
}

/* ---------- incremental compile ---------- */

#define INC_ROUTES 300
#define INC_SHARDS 8

struct inc_doc {
	unsigned long version;
	unsigned n;
	int w1[INC_ROUTES + 1], t0[INC_ROUTES + 1], t1[INC_ROUTES + 1];
	char key[INC_ROUTES + 1][32];
	int vip_last; /* shard s0's VIP */
	bool bad_shard;
	unsigned
	    route_pad; /* a "$comment" this long in every route: a document of many read chunks */
};

static void inc_init(struct inc_doc *d)
{
	memset(d, 0, sizeof(*d));
	d->version = 10;
	d->n = INC_ROUTES;
	d->vip_last = 1;
	for (unsigned i = 0; i <= INC_ROUTES; i++) {
		d->w1[i] = 1 + (int)(i % 5);
		d->t0[i] = (int)(i % INC_SHARDS);
		d->t1[i] = (int)((i + 3) % INC_SHARDS);
		snprintf(d->key[i], sizeof(d->key[i]), i % 7 == 0 ? "0x%x" : "Svc/%u/cell", i + 1);
	}
}

/* The document, with a comment member and the version in the middle. */
static char *inc_text(const struct inc_doc *d)
{
	size_t cap = (1 << 20) + (size_t)d->n * (d->route_pad + 32), n = 0;
	char *b = malloc(cap);
	char *pad = malloc(d->route_pad + 1);
	memset(pad, 'x', d->route_pad);
	pad[d->route_pad] = '\0';
	n +=
	    (size_t)snprintf(b + n, cap - n,
			     "{\n  \"schema\": \"keysteer/v1\",\n  \"$comment\": \"unit\",\n"
			     "  \"listeners\": [{\"vip\": \"10.0.0.1\", \"port\": 7000, \"proto\": "
			     "\"udp\"}],\n  \"version\": %lu,\n  \"shards\": {",
			     d->version);
	for (int s = 0; s < INC_SHARDS; s++)
		n += (size_t)snprintf(b + n, cap - n,
				      "%s\"s%d\": {\"vip\": \"10.1.0.%d\", \"port\": 8080}",
				      s ? ", " : "", s, s == 0 ? d->vip_last : 10 + s);
	n += (size_t)snprintf(b + n, cap - n, "},\n  \"routes\": [\n");
	for (unsigned i = 0; i < d->n; i++)
		n += (size_t)snprintf(
		    b + n, cap - n,
		    "    {\"key\": \"%s\", %s%s%s\"to\": [{\"shard\": \"s%d\", \"weight\": 3}, "
		    "{\"shard\": \"%s%d\", \"weight\": %d}]%s}%s\n",
		    d->key[i], d->route_pad ? "\"$comment\": \"" : "", pad,
		    d->route_pad ? "\", " : "", d->t0[i], d->bad_shard && i == 42 ? "nope" : "s",
		    d->t1[i], d->w1[i], i % 11 == 0 ? ", \"sticky\": \"entity\"" : "",
		    i + 1 < d->n ? "," : "");
	snprintf(b + n, cap - n, "  ],\n  \"default\": \"drop\"\n}\n");
	free(pad);
	return b;
}

static struct ks_compiled *full_compile(const char *text)
{
	json_t *errs = json_array();
	struct ks_compiled *c = NULL;
	ks_rules_compile_text(text, strlen(text), &c, errs);
	json_decref(errs);
	return c;
}

static void assert_same_compiled(const struct ks_compiled *a, const struct ks_compiled *b)
{
	assert_int_equal(a->version, b->version);
	assert_int_equal(a->default_action, b->default_action);
	assert_int_equal(a->n_listeners, b->n_listeners);
	assert_memory_equal(a->listeners, b->listeners, sizeof(*a->listeners) * a->n_listeners);
	assert_int_equal(a->n_shards, b->n_shards);
	for (uint32_t i = 0; i < a->n_shards; i++) {
		assert_string_equal(a->shards[i].name, b->shards[i].name);
		assert_memory_equal(&a->shards[i].shard, &b->shards[i].shard,
				    sizeof(a->shards[i].shard));
	}
	assert_int_equal(a->n_routes, b->n_routes);
	assert_memory_equal(a->keys, b->keys, sizeof(*a->keys) * a->n_routes);
	assert_memory_equal(a->routes, b->routes, sizeof(*a->routes) * a->n_routes);
	for (uint32_t i = 0; i < a->n_routes; i++) {
		assert_string_equal(a->route_info[i].text, b->route_info[i].text);
		assert_int_equal(a->route_info[i].rule_index, b->route_info[i].rule_index);
	}
}

/* A full split compile of text and the index of it. */
static struct ks_compiled *full_with_index(const char *text, struct ksd_doc_index **idx)
{
	json_t *errs = json_array();
	struct ks_compiled *c = NULL;
	struct ks_rules_layout lay;
	struct ksd_text *t = ksd_text_copy(text, strlen(text));
	assert_int_equal(ks_rules_compile_text_opts(text, strlen(text), 2, &lay, &c, errs), 0);
	json_decref(errs);
	assert_true(lay.valid);
	*idx = ksd_index_new(t, &lay, c);
	assert_non_null(*idx);
	ksd_text_unref(t);
	return c;
}

/* What the file feed finds, computed the plain way: common prefix and tail. */
static struct ksd_text_diff reference_diff(const struct ksd_text *base, const struct ksd_text *t)
{
	struct ksd_text_diff d = {.base = base};
	size_t n = base->len < t->len ? base->len : t->len;
	while (d.prefix < n && base->data[d.prefix] == t->data[d.prefix])
		d.prefix++;
	while (d.suffix < n &&
	       base->data[base->len - 1 - d.suffix] == t->data[t->len - 1 - d.suffix])
		d.suffix++;
	return d;
}

/* The index's layout is what a fresh scan of its text finds. */
static void assert_index_fresh(const struct ksd_doc_index *idx, const char *text)
{
	struct ks_rules_layout fresh;
	const struct ks_rules_layout *l = ksd_index_layout(idx);
	assert_int_equal(ks_rules_scan(text, strlen(text), &fresh), 0);
	assert_int_equal(l->len, fresh.len);
	assert_int_equal(l->routes_open, fresh.routes_open);
	assert_int_equal(l->routes_close, fresh.routes_close);
	assert_int_equal(l->version.start, fresh.version.start);
	assert_int_equal(l->version.end, fresh.version.end);
	assert_int_equal(l->n_routes, fresh.n_routes);
	assert_memory_equal(l->routes, fresh.routes, fresh.n_routes * sizeof(*fresh.routes));
	ks_rules_layout_free(&fresh);
}

static struct ks_compiled *copy_routes(const struct ks_compiled *c)
{
	struct ks_compiled *k = calloc(1, sizeof(*k));
	k->version = c->version;
	k->n_routes = c->n_routes;
	k->routes = malloc(sizeof(*k->routes) * (c->n_routes + 1));
	memcpy(k->routes, c->routes, sizeof(*k->routes) * c->n_routes);
	return k;
}

/*
 * Try the incremental compile of d against (idx, prev). want_ok: it must
 * apply; swapped into prev, the result must equal a full compile byte for
 * byte, and swapped back, prev must be as it was. On success prev and idx
 * move on to the new document (the index as a fresh scan would find it).
 */
static void inc_step(struct ksd_doc_index *idx, struct ks_compiled *prev, const struct inc_doc *d,
		     bool want_ok, unsigned want_changed)
{
	char *text = inc_text(d);
	struct ksd_text *t = ksd_text_copy(text, strlen(text));
	struct ksd_patch *patch = NULL, *hinted = NULL, *stray = NULL;
	/* What a feed says comparing it with the indexed text; and the same about another text. */
	struct ksd_text_diff diff = reference_diff(ksd_index_text(idx), t);
	struct ksd_text_diff other = diff;
	other.base = t;
	int rc = ksd_compile_incremental(idx, prev, t, NULL, &patch);
	assert_int_equal(ksd_compile_incremental(idx, prev, t, &diff, &hinted), rc);
	assert_int_equal(ksd_compile_incremental(idx, prev, t, &other, &stray), rc);
	ksd_text_unref(t); /* the patch keeps its own reference */
	if (!want_ok) {
		assert_int_equal(rc, -1);
		assert_null(patch);
		free(text);
		return;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(ksd_patch_changed(patch), want_changed);
	/* With the feed's diff, the same patch (every step below uses that one). */
	assert_int_equal(ksd_patch_changed(hinted), want_changed);
	ksd_patch_free(stray);
	ksd_patch_free(patch);
	patch = hinted;
	struct ks_compiled *before = copy_routes(prev);
	/* Swapped in and out: prev unchanged (a refused or failed change). */
	ksd_patch_swap(patch, prev);
	ksd_patch_swap(patch, prev);
	assert_int_equal(prev->version, before->version);
	assert_memory_equal(prev->routes, before->routes, sizeof(*prev->routes) * prev->n_routes);
	ks_compiled_free(before);
	/* Swapped in: the full compile's table. */
	ksd_patch_swap(patch, prev);
	struct ks_compiled *full = full_compile(text);
	assert_non_null(full);
	assert_same_compiled(prev, full);
	ks_compiled_free(full);
	ksd_patch_commit_index(patch, idx);
	ksd_patch_free(patch);
	assert_int_equal(ksd_index_version(idx), d->version);
	assert_index_fresh(idx, text);
	free(text);
}

static void test_incremental_matches_full(void **state)
{
	(void)state;
	struct inc_doc d;
	inc_init(&d);
	char *text = inc_text(&d);
	struct ksd_doc_index *idx;
	struct ks_compiled *prev = full_with_index(text, &idx);
	free(text);
	assert_int_equal(ksd_index_version(idx), 10);

	/* One route's weight, with the version: one route compiled. */
	d.version = 11;
	d.w1[17] = 9;
	inc_step(idx, prev, &d, true, 1);
	/* Two routes' targets, one of them a hex key; a version of more digits. */
	d.version = 1000;
	d.t0[0] = 5;
	d.t1[150] = 2;
	inc_step(idx, prev, &d, true, 2);
	/* The last route and the first again, one longer, one shorter (spans move). */
	d.version = 1001;
	d.w1[INC_ROUTES - 1] = 17;
	d.w1[0] = 8;
	inc_step(idx, prev, &d, true, 2);
	d.version = 1002;
	d.w1[INC_ROUTES - 1] = 3;
	d.w1[5] = 123456;
	d.w1[6] = 12;
	inc_step(idx, prev, &d, true, 3);

	/* Declined: a key renamed, a route added or removed, a shard moved, an
	 * invalid route (the full compile must report it), the same version. */
	struct inc_doc e = d;
	e.version++;
	snprintf(e.key[5], sizeof(e.key[5]), "Renamed/5");
	inc_step(idx, prev, &e, false, 0);
	e = d;
	e.version++;
	e.n = INC_ROUTES - 1;
	inc_step(idx, prev, &e, false, 0);
	e = d;
	e.version++;
	e.vip_last = 99;
	inc_step(idx, prev, &e, false, 0);
	e = d;
	e.version++;
	e.bad_shard = true;
	inc_step(idx, prev, &e, false, 0);
	/* Every route changed: a full compile is cheaper, the path declines. */
	e = d;
	e.version++;
	for (unsigned i = 0; i < INC_ROUTES; i++)
		e.w1[i] = 6 + (int)(i % 3);
	inc_step(idx, prev, &e, false, 0);
	/* Half a document. */
	text = inc_text(&d);
	struct ksd_text *half = ksd_text_copy(text, strlen(text) / 2);
	struct ksd_patch *patch = NULL;
	assert_int_equal(ksd_compile_incremental(idx, prev, half, NULL, &patch), -1);
	assert_null(patch);
	ksd_text_unref(half);
	free(text);

	/* Only the version: no route compiled. */
	d.version = 1003;
	inc_step(idx, prev, &d, true, 0);
	/* Still in step after the declined ones. */
	d.version = 1503;
	d.w1[99] = 2;
	inc_step(idx, prev, &d, true, 1);
	ks_compiled_free(prev);
	ksd_index_free(idx);
}

/* Through the applier: incremental when it can, full otherwise; same tables. */
static void test_incremental_in_applier(void **state)
{
	(void)state;
	struct ks_dataplane *dp = ks_dp_memory_open();
	struct ks_applier ap;
	assert_int_equal(ks_applier_init(&ap, dp, 8, 2), 0);
	struct inc_doc d;
	inc_init(&d);
	char *text = inc_text(&d);
	const struct ks_attempt *a = ks_applier_apply(&ap, text, strlen(text), "t", 0, 0);
	free(text);
	assert_int_equal(a->result, KS_APPLY_APPLIED);
	assert_false(a->incremental);
	assert_non_null(ap.index); /* from the compile's layout, at once */

	d.version = 12;
	d.w1[3] = 9;
	text = inc_text(&d);
	a = ks_applier_apply(&ap, text, strlen(text), "t", 0, 0);
	assert_int_equal(a->result, KS_APPLY_APPLIED);
	assert_true(a->incremental);
	assert_int_equal(a->routes_compiled, 1);
	struct ks_compiled *full = full_compile(text);
	assert_same_compiled(ap.active, full);
	/* The same text again: refused (equal version), tables unchanged. */
	a = ks_applier_apply(&ap, text, strlen(text), "t", 0, 0);
	assert_int_equal(a->result, KS_APPLY_REFUSED);
	/* A route changed but the version not: refused, the patch swapped back out. */
	struct inc_doc same = d;
	same.w1[4] = 11;
	char *stale = inc_text(&same);
	a = ks_applier_apply(&ap, stale, strlen(stale), "t", 0, 0);
	free(stale);
	assert_int_equal(a->result, KS_APPLY_REFUSED);
	assert_true(a->incremental);
	assert_same_compiled(ap.active, full);
	ks_compiled_free(full);
	free(text);
	/* Still incremental from there. */
	d.version = 120;
	d.w1[200] = 4;
	text = inc_text(&d);
	a = ks_applier_apply(&ap, text, strlen(text), "t", 0, 0);
	assert_int_equal(a->result, KS_APPLY_APPLIED);
	assert_true(a->incremental);
	full = full_compile(text);
	assert_same_compiled(ap.active, full);
	ks_compiled_free(full);
	free(text);

	/* A bad route: the full compile reports it with its real path. */
	d.version = 13;
	d.bad_shard = true;
	text = inc_text(&d);
	a = ks_applier_apply(&ap, text, strlen(text), "t", 0, 0);
	free(text);
	assert_int_equal(a->result, KS_APPLY_REJECTED);
	assert_false(a->incremental);
	assert_non_null(strstr(json_string_value(json_array_get(a->errors, 0)), "routes[42]"));
	assert_int_equal(ap.active_version, 120);
	ks_applier_free(&ap);
	dp->ops->close(dp);
}

/* ---------- reading a feed file, compared with the last one ---------- */

static void write_bytes(const char *path, const char *b, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(b, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

/*
 * Files of 1 and 6 MB (the second read in two halves on two threads),
 * changed at the start, around the middle, at the end, made longer and
 * shorter: the text read is the file, and what the reader says is the same
 * as the last text is exactly the common prefix and tail.
 */
static void test_file_read_diff(void **state)
{
	(void)state;
	char path[300];
	snprintf(path, sizeof(path), "%s/read.json", tmpdir);
	static const size_t sizes[] = {1u << 20, 6u << 20};
	for (size_t z = 0; z < 2; z++) {
		size_t n = sizes[z], mid = n / 2;
		char *base = malloc(n), *m = malloc(n + 64);
		unsigned seed = 7;
		for (size_t i = 0; i < n; i++)
			base[i] = (char)('a' + rand_r(&seed) % 26);
		write_bytes(path, base, n);
		struct ksd_text *last = NULL;
		struct ksd_text_diff diff;
		struct ksd_file_id id;
		assert_int_equal(ksd_read_text(path, NULL, &last, &diff, &id), 0);
		assert_int_equal(last->len, n);
		assert_memory_equal(last->data, base, n);
		assert_null(diff.base);
		/* position, bytes removed, bytes inserted */
		const struct {
			size_t at, cut, add;
		} edits[] = {
		    {0, 1, 1},	   {5, 0, 3},	    {mid - 1, 1, 1}, {mid, 2, 0}, {mid + 1, 0, 9},
		    {n - 1, 1, 1}, {n - 10, 10, 0}, {n / 3, 0, 0},   {100, 1, 1}, {n - 100, 0, 40},
		};
		for (size_t e = 0; e < sizeof(edits) / sizeof(edits[0]); e++) {
			size_t at = edits[e].at, cut = edits[e].cut, add = edits[e].add;
			memcpy(m, base, at);
			for (size_t k = 0; k < add; k++)
				m[at + k] = (char)('A' + k % 26); /* never a letter of base */
			memcpy(m + at + add, base + at + cut, n - at - cut);
			size_t mn = n - cut + add;
			write_bytes(path, m, mn);
			struct ksd_text *t = NULL;
			assert_int_equal(ksd_read_text(path, last, &t, &diff, &id), 0);
			assert_int_equal(t->len, mn);
			assert_memory_equal(t->data, m, mn);
			struct ksd_text_diff want = reference_diff(last, t);
			assert_ptr_equal(diff.base, last);
			assert_int_equal(diff.prefix, want.prefix);
			assert_int_equal(diff.suffix, want.suffix);
			ksd_text_unref(t);
		}
		ksd_text_unref(last);
		free(base);
		free(m);
	}
	unlink(path);
}

/* ---------- file feed ---------- */

struct delivered {
	int n;
	char *last;
	struct ks_applier *ap;
};

static void on_deliver(void *arg, struct ksd_text *text, const struct ksd_text_diff *diff,
		       const char *source, uint64_t revision)
{
	struct delivered *d = arg;
	(void)revision;
	d->n++;
	free(d->last);
	d->last = strndup(text->data, text->len);
	if (d->ap)
		ks_applier_apply_text(d->ap, text, diff, source, 0, 0);
}

/* Run the loop until n deliveries happened or about 3 s passed. */
static void run_until(struct ks_loop *loop, struct delivered *d, int n)
{
	for (int i = 0; i < 60 && d->n < n; i++)
		ks_loop_run_once(loop, 50);
}

static const char *feed_state(struct ks_feed *f)
{
	static char buf[64];
	json_t *s = f->ops->status(f);
	snprintf(buf, sizeof(buf), "%s", json_string_value(json_object_get(s, "state")));
	json_decref(s);
	return buf;
}

static void test_file_feed(void **state)
{
	(void)state;
	struct ks_loop *loop = ks_loop_new();
	struct ks_dataplane *dp = ks_dp_memory_open();
	struct ks_applier ap;
	assert_int_equal(ks_applier_init(&ap, dp, 8, 2), 0);
	struct delivered d = {.ap = &ap};
	char path[300], tmp[320], err[256];
	snprintf(path, sizeof(path), "%s/feed/rules.json", tmpdir);
	snprintf(tmp, sizeof(tmp), "%s/feed/.rules.json.tmp", tmpdir);
	char dir[300];
	snprintf(dir, sizeof(dir), "%s/feed", tmpdir);
	mkdir(dir, 0755);

	/* Not there yet: the feed says so and waits. */
	struct ks_feed *f = ks_feed_file_open(path, loop, on_deliver, &d, err, sizeof(err));
	assert_non_null(f);
	assert_int_equal(d.n, 0);
	assert_string_equal(feed_state(f), "missing");

	/* Atomic rename publishes version 1. */
	char *doc = rules_doc(1, 1);
	write_file(tmp, doc);
	free(doc);
	assert_int_equal(rename(tmp, path), 0);
	run_until(loop, &d, 1);
	assert_int_equal(d.n, 1);
	assert_int_equal(ap.active_version, 1);
	assert_string_equal(feed_state(f), "ok");

	/* In-place rewrite publishes version 2. */
	doc = rules_doc(2, 2);
	write_file(path, doc);
	free(doc);
	run_until(loop, &d, 2);
	assert_int_equal(ap.active_version, 2);

	/* A writer that stops half-way: rejected, version 2 stays... */
	doc = rules_doc(3, 3);
	int fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(write(fd, doc, strlen(doc) / 2) > 0);
	close(fd);
	int before = d.n;
	run_until(loop, &d, before + 1);
	assert_int_equal(ap.active_version, 2);
	assert_int_equal(ks_applier_last(&ap)->result, KS_APPLY_REJECTED);
	/* ...and the next change, the finished file, is applied. */
	write_file(path, doc);
	free(doc);
	run_until(loop, &d, d.n + 1);
	assert_int_equal(ap.active_version, 3);

	/* Truncated to nothing: reported, nothing applied. */
	before = d.n;
	fd = open(path, O_WRONLY | O_TRUNC);
	close(fd);
	for (int i = 0; i < 10; i++)
		ks_loop_run_once(loop, 50);
	assert_int_equal(d.n, before);
	assert_string_equal(feed_state(f), "empty");
	assert_int_equal(ap.active_version, 3);

	/* Deleted: reported, version 3 stays. */
	unlink(path);
	for (int i = 0; i < 10; i++)
		ks_loop_run_once(loop, 50);
	assert_int_equal(d.n, before);
	assert_string_equal(feed_state(f), "missing");
	assert_int_equal(ap.active_version, 3);

	/* Back again with version 4. */
	doc = rules_doc(4, 4);
	write_file(tmp, doc);
	free(doc);
	rename(tmp, path);
	run_until(loop, &d, before + 1);
	assert_int_equal(ap.active_version, 4);
	assert_string_equal(feed_state(f), "ok");

	/*
	 * Large documents (many read chunks), changed near the end, at both
	 * ends, and to other lengths: the feed's comparison while reading lets
	 * the applier compare less, and the tables still equal a full compile.
	 */
	struct inc_doc g;
	inc_init(&g);
	g.route_pad = 3000; /* about 1 MB */
	static const struct {
		unsigned long version;
		int route, weight, route2, weight2;
		bool in_place;
	} steps[] = {
	    {10, -1, 0, -1, 0, false}, {11, 250, 123456, -1, 0, false}, {12, 2, 7, 299, 1, false},
	    {13, 150, 2, -1, 0, true}, {14, 250, 4, 251, 99, true},	{15, 0, 5, -1, 0, false},
	};
	for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
		g.version = steps[s].version;
		if (steps[s].route >= 0)
			g.w1[steps[s].route] = steps[s].weight;
		if (steps[s].route2 >= 0)
			g.w1[steps[s].route2] = steps[s].weight2;
		doc = inc_text(&g);
		before = d.n;
		write_file(steps[s].in_place ? path : tmp, doc);
		if (!steps[s].in_place)
			assert_int_equal(rename(tmp, path), 0);
		run_until(loop, &d, before + 1);
		const struct ks_attempt *at = ks_applier_last(&ap);
		assert_int_equal(at->result, KS_APPLY_APPLIED);
		assert_int_equal(ap.active_version, steps[s].version);
		assert_int_equal(at->incremental, s > 0);
		struct ks_compiled *full = full_compile(doc);
		assert_same_compiled(ap.active, full);
		ks_compiled_free(full);
		free(doc);
	}

	f->ops->close(f);
	free(d.last);
	ks_applier_free(&ap);
	dp->ops->close(dp);
	ks_loop_free(loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_loop_eventfd),
	    cmocka_unit_test(test_loop_delete_in_callback),
	    cmocka_unit_test(test_loop_modify),
	    cmocka_unit_test(test_options_defaults_and_flags),
	    cmocka_unit_test(test_options_config_file),
	    cmocka_unit_test(test_options_help_lists_all),
	    cmocka_unit_test(test_options_example_config),
	    cmocka_unit_test_setup_teardown(test_options_one_dataplane, make_tmpdir, remove_tmpdir),
	    cmocka_unit_test_setup_teardown(test_log_levels_and_journald, make_tmpdir,
					    remove_tmpdir),
	    cmocka_unit_test(test_hostport),
	    cmocka_unit_test(test_linebuf),
	    cmocka_unit_test(test_ctlsock_roundtrip_and_mode),
	    cmocka_unit_test(test_ctlsock_peer_check),
	    cmocka_unit_test(test_apply_versions_and_rollback),
	    cmocka_unit_test(test_incremental_matches_full),
	    cmocka_unit_test(test_incremental_in_applier),
	    cmocka_unit_test(test_file_read_diff),
	    cmocka_unit_test(test_file_feed),
	};
	return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
