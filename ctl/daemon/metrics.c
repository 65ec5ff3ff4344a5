/* SPDX-License-Identifier: BSD-3-Clause */
#include "daemon/metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "daemon/daemon.h"
#include "daemon/log.h"
#include "daemon/stats.h"

struct ks_metrics {
	struct ks_daemon *d;
	struct MHD_Daemon *mhd;
	int tfd;
	struct ks_loop_watch *ew, *tw;
	unsigned port;
};

/* A growing text buffer. */
struct text {
	char *buf;
	size_t len, cap;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int n = vsnprintf(t->buf ? t->buf + t->len : NULL, t->buf ? t->cap - t->len : 0,
				  fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (t->buf && t->len + (size_t)n < t->cap) {
			t->len += (size_t)n;
			return;
		}
		size_t cap = t->cap ? t->cap * 2 : 16384;
		while (cap < t->len + (size_t)n + 1)
			cap *= 2;
		char *nb = realloc(t->buf, cap);
		if (!nb)
			return;
		t->buf = nb;
		t->cap = cap;
	}
}

/* Label values escape backslash, double quote and newline. */
static void put_label(struct text *t, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			put(t, "\\\\");
		else if (*s == '"')
			put(t, "\\\"");
		else if (*s == '\n')
			put(t, "\\n");
		else
			put(t, "%c", *s);
	}
}

static void help(struct text *t, const char *name, const char *type, const char *text)
{
	put(t, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

char *ks_metrics_render(struct ks_daemon *d, size_t *len)
{
	struct text t = {0};
	struct ks_applier *ap = &d->applier;

	help(&t, "keysteer_rules_active_version", "gauge",
	     "Version of the rule set the tables steer by (0: none).");
	put(&t, "keysteer_rules_active_version %" PRIu64 "\n", ap->active_version);
	help(&t, "keysteer_rules_routes", "gauge", "Routes (keys) in the active rule set.");
	put(&t, "keysteer_rules_routes %u\n", ap->active ? ap->active->n_routes : 0);
	help(&t, "keysteer_rules_apply_total", "counter", "Apply attempts by result.");
	for (int r = 0; r < 4; r++)
		put(&t, "keysteer_rules_apply_total{result=\"%s\"} %" PRIu64 "\n",
		    ks_apply_result_name((enum ks_apply_result)r), ap->count[r]);
	help(&t, "keysteer_rules_apply_latency_seconds", "histogram",
	     "Time from receiving a rule set to the flip (compile, write, flip), applied ones.");
	for (int i = 0; i < KS_LATENCY_BUCKETS; i++)
		put(&t, "keysteer_rules_apply_latency_seconds_bucket{le=\"%g\"} %" PRIu64 "\n",
		    ks_latency_bounds[i], ap->lat_buckets[i]);
	put(&t, "keysteer_rules_apply_latency_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n",
	    ap->lat_count);
	put(&t, "keysteer_rules_apply_latency_seconds_sum %.6f\n", ap->lat_sum);
	put(&t, "keysteer_rules_apply_latency_seconds_count %" PRIu64 "\n", ap->lat_count);

	struct ksd_stats_snapshot s;
	if (ksd_stats_collect(ap, &s, (uint32_t)d->opt.top_keys) == 0) {
		help(&t, "keysteer_packets_total", "counter",
		     "Packets by outcome (steered, or why not).");
		for (unsigned i = 0; i < KS_R_MAX; i++)
			put(&t, "keysteer_packets_total{reason=\"%s\"} %llu\n", ksd_reason_label(i),
			    (unsigned long long)s.reasons[i].packets);
		help(&t, "keysteer_bytes_total", "counter", "Bytes by outcome.");
		for (unsigned i = 0; i < KS_R_MAX; i++)
			put(&t, "keysteer_bytes_total{reason=\"%s\"} %llu\n", ksd_reason_label(i),
			    (unsigned long long)s.reasons[i].bytes);
		help(&t, "keysteer_shard_packets_total", "counter", "Packets steered per shard.");
		for (uint32_t i = 0; i < s.n_shards; i++) {
			put(&t, "keysteer_shard_packets_total{shard=\"");
			put_label(&t, s.shards[i].name ? s.shards[i].name : "?");
			put(&t, "\"} %llu\n", (unsigned long long)s.shards[i].c.packets);
		}
		help(&t, "keysteer_shard_bytes_total", "counter", "Bytes steered per shard.");
		for (uint32_t i = 0; i < s.n_shards; i++) {
			put(&t, "keysteer_shard_bytes_total{shard=\"");
			put_label(&t, s.shards[i].name ? s.shards[i].name : "?");
			put(&t, "\"} %llu\n", (unsigned long long)s.shards[i].c.bytes);
		}
		help(
		    &t, "keysteer_key_packets_total", "counter",
		    "Packets per routing key: the top keys by packets, the rest as key=\"other\".");
		for (uint32_t i = 0; i < s.n_keys; i++) {
			put(&t, "keysteer_key_packets_total{key=\"");
			put_label(&t, s.keys[i].name);
			put(&t, "\"} %llu\n", (unsigned long long)s.keys[i].st.packets);
		}
		put(&t, "keysteer_key_packets_total{key=\"other\"} %llu\n",
		    (unsigned long long)s.other.packets);
		help(&t, "keysteer_key_bytes_total", "counter",
		     "Bytes per routing key, same keys as keysteer_key_packets_total.");
		for (uint32_t i = 0; i < s.n_keys; i++) {
			put(&t, "keysteer_key_bytes_total{key=\"");
			put_label(&t, s.keys[i].name);
			put(&t, "\"} %llu\n", (unsigned long long)s.keys[i].st.bytes);
		}
		put(&t, "keysteer_key_bytes_total{key=\"other\"} %llu\n",
		    (unsigned long long)s.other.bytes);
	}
	ksd_stats_free(&s);
	help(&t, "keysteer_daemon_start_time_seconds", "gauge", "When keysteerd started.");
	put(&t, "keysteer_daemon_start_time_seconds %.3f\n", d->started_ms / 1000.0);
	*len = t.len;
	return t.buf;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct ks_metrics *m = cls;
	struct MHD_Response *resp;
	enum MHD_Result rc;
	(void)version;
	(void)upload;
	(void)upload_size;
	(void)con_cls;

	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		static const char msg[] = "method not allowed\n";
		resp = MHD_create_response_from_buffer(sizeof(msg) - 1, (void *)msg,
						       MHD_RESPMEM_PERSISTENT);
		rc = MHD_queue_response(conn, MHD_HTTP_METHOD_NOT_ALLOWED, resp);
		MHD_destroy_response(resp);
		return rc;
	}
	if (strcmp(url, "/metrics") != 0) {
		static const char msg[] = "keysteerd: metrics are at /metrics\n";
		resp = MHD_create_response_from_buffer(sizeof(msg) - 1, (void *)msg,
						       MHD_RESPMEM_PERSISTENT);
		rc = MHD_queue_response(conn, MHD_HTTP_NOT_FOUND, resp);
		MHD_destroy_response(resp);
		return rc;
	}
	size_t len = 0;
	char *body = ks_metrics_render(m->d, &len);
	if (!body)
		return MHD_NO;
	resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(resp, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	rc = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return rc;
}

/* After each run, arm the timer for MHD's own timeouts (idle connections). */
static void run_mhd(struct ks_metrics *m)
{
	MHD_run(m->mhd);
	MHD_UNSIGNED_LONG_LONG ms = 0;
	struct itimerspec its = {0};
	if (MHD_get_timeout(m->mhd, &ms) == MHD_YES) {
		if (ms == 0)
			ms = 1;
		its.it_value.tv_sec = (time_t)(ms / 1000);
		its.it_value.tv_nsec = (long)(ms % 1000) * 1000000L;
	}
	timerfd_settime(m->tfd, 0, &its, NULL);
}

static void on_epoll(struct ks_loop *loop, struct ks_loop_watch *w, int fd, uint32_t revents,
		     void *arg)
{
	(void)loop;
	(void)w;
	(void)fd;
	(void)revents;
	run_mhd(arg);
}

static void on_timer(struct ks_loop *loop, struct ks_loop_watch *w, int fd, uint32_t revents,
		     void *arg)
{
	uint64_t ticks;
	(void)loop;
	(void)w;
	(void)revents;
	if (read(fd, &ticks, sizeof(ticks)) < 0)
		return;
	run_mhd(arg);
}

struct ks_metrics *ks_metrics_open(struct ks_daemon *d, const char *addr, char *err, size_t errlen)
{
	char host[128];
	unsigned port;
	if (ks_parse_hostport(addr, host, sizeof(host), &port) < 0) {
		snprintf(err, errlen, "--metrics: expected ADDR:PORT, got '%s'", addr);
		return NULL;
	}
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		flags |= MHD_USE_IPv6;
	} else {
		snprintf(err, errlen, "--metrics: '%s' is not an IP address", host);
		return NULL;
	}
	struct ks_metrics *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->d = d;
	m->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	m->mhd =
	    MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, on_request, m, MHD_OPTION_SOCK_ADDR,
			     (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_TIMEOUT, 10u,
			     MHD_OPTION_CONNECTION_LIMIT, 32u, MHD_OPTION_END);
	if (!m->mhd || m->tfd < 0) {
		snprintf(err, errlen, "metrics endpoint %s: cannot listen (%s)", addr,
			 strerror(errno));
		ks_metrics_close(m);
		return NULL;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(m->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	const union MHD_DaemonInfo *pinfo = MHD_get_daemon_info(m->mhd, MHD_DAEMON_INFO_BIND_PORT);
	m->port = pinfo ? pinfo->port : port;
	m->ew = info ? ks_loop_add(d->loop, info->epoll_fd, POLLIN, on_epoll, m) : NULL;
	m->tw = ks_loop_add(d->loop, m->tfd, POLLIN, on_timer, m);
	if (!m->ew || !m->tw) {
		snprintf(err, errlen, "metrics endpoint: cannot watch its epoll fd");
		ks_metrics_close(m);
		return NULL;
	}
	ks_info("metrics on http://%s/metrics", addr);
	return m;
}

unsigned ks_metrics_port(const struct ks_metrics *m)
{
	return m->port;
}

void ks_metrics_close(struct ks_metrics *m)
{
	if (!m)
		return;
	ks_loop_del(m->d->loop, m->ew);
	ks_loop_del(m->d->loop, m->tw);
	if (m->mhd)
		MHD_stop_daemon(m->mhd);
	if (m->tfd >= 0)
		close(m->tfd);
	free(m);
}
