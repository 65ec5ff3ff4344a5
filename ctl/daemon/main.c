/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keysteerd: parse options, build the context, run the loop.
 */
#include <errno.h>
#include <grp.h>
#include <malloc.h>
#include <nats/nats.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "daemon/ctl_server.h"
#include "daemon/daemon.h"
#include "daemon/log.h"
#include "daemon/metrics.h"

static void on_signal(struct ks_loop *loop, struct ks_loop_watch *w, int fd, uint32_t revents,
		      void *arg)
{
	struct ks_daemon *d = arg;
	struct signalfd_siginfo si;
	(void)w;
	(void)revents;
	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			ks_info("SIGHUP: reading the feed again");
			if (d->feed)
				d->feed->ops->reread(d->feed);
			break;
		case SIGTERM:
		case SIGINT:
			ks_info("%s: exiting; the data plane keeps forwarding on version %llu",
				strsignal((int)si.ssi_signo),
				(unsigned long long)d->applier.active_version);
			ks_loop_stop(loop);
			break;
		}
	}
}

static void deliver(void *arg, struct ksd_text *text, const struct ksd_text_diff *diff,
		    const char *source, uint64_t revision)
{
	struct ks_daemon *d = arg;
	ks_applier_apply_text(&d->applier, text, diff, source, 0, revision);
}

static void on_attempt(void *arg, const struct ks_attempt *a)
{
	struct ks_daemon *d = arg;
	if (d->feed)
		d->feed->ops->ack(d->feed, a);
}

static json_t *handle(void *arg, json_t *req)
{
	return ks_daemon_handle(arg, req);
}

static int parse_group(const char *s, gid_t *gid)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (*s && !*end) {
		*gid = (gid_t)v;
		return 0;
	}
	struct group *g = getgrnam(s);
	if (!g)
		return -1;
	*gid = g->gr_gid;
	return 0;
}

/* One compile thread per CPU this process may run on. */
static unsigned online_cpus(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		return (unsigned)CPU_COUNT(&set);
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	struct ks_daemon d;
	char err[1024] = "";
	unsigned compile_threads;
	int rc = 1;

	/*
	 * Rule-set texts and tables are large (MBs) and allocated per change:
	 * keep freed memory in the heap instead of fresh mmaps, whose page
	 * faults would cost milliseconds on every apply.
	 */
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
	memset(&d, 0, sizeof(d));
	d.sigfd = -1;
	if (ks_options_parse(&d.opt, argc, argv, err, sizeof(err)) < 0) {
		fprintf(stderr, "keysteerd: %s\n(try --help)\n", err);
		ks_options_free(&d.opt);
		return 2;
	}
	if (d.opt.help) {
		ks_options_usage(stdout);
		ks_options_free(&d.opt);
		return 0;
	}
	int lvl = ks_log_level_parse(d.opt.log_level);
	if (lvl < 0) {
		fprintf(stderr, "keysteerd: --log-level: unknown level '%s'\n", d.opt.log_level);
		return 2;
	}
	ks_log_set_level((enum ks_log_level)lvl);
	if (d.opt.n_ifaces == 0 && !d.opt.no_dataplane && !d.opt.maps_only && !d.opt.dpdk_table) {
		fprintf(stderr, "keysteerd: --iface is required (or --no-dataplane for a dry run, "
				"--maps-only for "
				"tables without a program)\n");
		return 2;
	}
	gid_t gid;
	if (parse_group(d.opt.socket_group, &gid) < 0) {
		fprintf(stderr, "keysteerd: --socket-group: unknown group '%s'\n",
			d.opt.socket_group);
		return 2;
	}
	if (d.opt.host_id)
		snprintf(d.host_id, sizeof(d.host_id), "%s", d.opt.host_id);
	else if (gethostname(d.host_id, sizeof(d.host_id) - 1) < 0)
		snprintf(d.host_id, sizeof(d.host_id), "unknown");
	d.started_ms = wall_ms();

	/* Signals arrive through signalfd; block them before any thread starts. */
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);

	d.loop = ks_loop_new();
	if (!d.loop) {
		ks_err("io_uring: %s", strerror(errno));
		goto out;
	}
	d.sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d.sigfd < 0 || !(d.sigwatch = ks_loop_add(d.loop, d.sigfd, POLLIN, on_signal, &d))) {
		ks_err("signalfd: %s", strerror(errno));
		goto out;
	}

	compile_threads = d.opt.compile_threads ? (unsigned)d.opt.compile_threads : online_cpus();
	if (d.opt.dpdk_table) {
		d.dp =
		    ks_dp_shm_open(d.opt.dpdk_table, (uint32_t)d.opt.max_routes, err, sizeof(err));
	} else if (d.opt.no_dataplane) {
		d.dp = ks_dp_memory_open();
		ks_info(
		    "no data plane (--no-dataplane): rule sets are compiled and kept in memory");
	} else {
		struct ks_dp_config cfg = {
		    .loop = d.loop,
		    .ifaces = d.opt.ifaces,
		    .n_ifaces = d.opt.n_ifaces,
		    .xdp_mode = d.opt.xdp_mode,
		    .pin_root = d.opt.pin_root,
		    .bpf_obj = d.opt.bpf_obj,
		    .max_routes = (uint32_t)d.opt.max_routes,
		    .flows_per_cpu = (uint32_t)d.opt.flows_per_cpu,
		    .maps_only = d.opt.maps_only,
		    .write_threads = compile_threads,
		};
		d.dp = ks_dp_bpf_open(&cfg, err, sizeof(err));
	}
	if (!d.dp) {
		ks_err("data plane: %s", err);
		goto out;
	}
	if (ks_applier_init(&d.applier, d.dp, d.opt.history, d.opt.rollback_keep) < 0) {
		ks_err("out of memory");
		goto out;
	}
	d.applier.incremental = !d.opt.full_compile;
	d.applier.compile_threads = compile_threads;
	d.applier.on_attempt = on_attempt;
	d.applier.hook_arg = &d;
	if (d.applier.active_version)
		ks_info("adopted the running data plane at version %llu",
			(unsigned long long)d.applier.active_version);

	d.ctl = ks_ctl_server_open(d.loop, d.opt.socket_path, gid, handle, &d, err, sizeof(err));
	if (!d.ctl) {
		ks_err("%s", err);
		goto out;
	}
	if (strcmp(d.opt.metrics, "off") != 0) {
		d.metrics = ks_metrics_open(&d, d.opt.metrics, err, sizeof(err));
		if (!d.metrics) {
			ks_err("%s", err);
			goto out;
		}
	}
	if (d.opt.feed) {
		d.feed = ks_feed_open(d.opt.feed, d.loop, deliver, &d, d.host_id, err, sizeof(err));
		if (!d.feed) {
			ks_err("%s", err);
			goto out;
		}
	} else {
		ks_info("no --feed: rule sets come only through `keysteer apply`");
	}

	ks_info("keysteerd running (pid %d, host %s)", (int)getpid(), d.host_id);
	rc = ks_loop_run(d.loop);
	if (rc < 0)
		ks_err("event loop: %s", strerror(-rc));
	rc = rc < 0 ? 1 : 0;

out:
	if (d.feed)
		d.feed->ops->close(d.feed);
	ks_metrics_close(d.metrics);
	ks_ctl_server_close(d.ctl);
	if (d.dp) {
		/* The tables and the program stay: closing is not detaching. */
		d.dp->ops->close(d.dp);
	}
	ks_applier_free(&d.applier);
	ks_loop_del(d.loop, d.sigwatch);
	if (d.sigfd >= 0)
		close(d.sigfd);
	ks_loop_free(d.loop);
	ks_options_free(&d.opt);
	nats_Close();
	return rc;
}
