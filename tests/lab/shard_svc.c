/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ks-shard: the service a lab shard host runs. It answers every request
 * with the name of its shard and host, so a client can tell who served it.
 *
 *   ks-shard --shard NAME --host HOST --udp ADDR:PORT... --tcp ADDR:PORT...
 *            [--stats FILE] [--ready FILE]
 *
 * UDP: a datagram starts with the keysteer routing header (the router leaves
 * it in place). The answer is "SHARD HOST\n" followed by the whole datagram
 * as received, so the client can check that header and payload arrived
 * byte for byte. A datagram without a valid header is answered
 * "SHARD HOST bad-header\n" (the router should never deliver one); a shadow
 * copy (SHADOW flag) is counted and not answered, as docs/wire-format.md
 * asks of shards.
 *
 * TCP: a line protocol. Each line received is answered "SHARD HOST LINE\n",
 * so `echo hi | nc ADDR PORT` (or bash's /dev/tcp) shows who served it.
 *
 * HTTP (--http, for the benchmarks' wrk): keep-alive, every request answered
 * 200 with the body "SHARD HOST".
 *
 * --corrupt-every N damages the last byte of every Nth UDP echo: the tests'
 * control that the client's byte-for-byte check can fail.
 *
 * With gue/ipip steering the shard receives the client's packet addressed to
 * the listener (direct server return): serve on the listener's address and
 * port, which the lab puts on the shard's loopback. With nat, serve on the
 * shard's own VIP and port. The counters go to --stats as JSON on SIGUSR1
 * and at exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>

#include "client/ks_client.h"
#include "lab_addr.h"

#define MAX_LISTEN 16
#define MAX_CONNS  2048
#define LINE_MAX_  512

struct conn {
	int fd;
	bool http;
	size_t used;
	char buf[LINE_MAX_];
};

static struct {
	const char *shard, *host, *stats_path;
	int udp[MAX_LISTEN], n_udp;
	int tcp[MAX_LISTEN], n_tcp;
	int http[MAX_LISTEN], n_http;
	struct conn *conns[MAX_CONNS];
	uint64_t udp_answered, udp_shadow, udp_bad, tcp_conns, tcp_lines, http_requests,
	    send_errors;
	uint64_t corrupt_every; /* the tests' control: damage every Nth UDP echo */
} S;

static volatile sig_atomic_t stop, dump;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		dump = 1;
	else
		stop = 1;
}

static int open_listener(const char *spec, int type)
{
	struct lab_addr a;
	int one = 1, fd;

	if (lab_addr_parse(spec, &a))
		return -1;
	fd = socket(a.family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (a.family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a.ss, a.len) ||
	    (type == SOCK_STREAM && listen(fd, 1024))) {
		fprintf(stderr, "ks-shard %s: %s %s: %s\n", S.shard,
			type == SOCK_STREAM ? "tcp" : "udp", spec, strerror(errno));
		close(fd);
		return -1;
	}
	if (type == SOCK_DGRAM) {
		int sz = 4 << 20;

		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	}
	return fd;
}

static void write_stats(void)
{
	json_t *o;
	char *text;

	if (!S.stats_path)
		return;
	o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "shard", S.shard, "host", S.host,
		      "udp_answered", (json_int_t)S.udp_answered, "udp_shadow",
		      (json_int_t)S.udp_shadow, "udp_bad_header", (json_int_t)S.udp_bad,
		      "tcp_connections", (json_int_t)S.tcp_conns, "tcp_lines",
		      (json_int_t)S.tcp_lines, "send_errors", (json_int_t)S.send_errors);
	json_object_set_new(o, "http_requests", json_integer((json_int_t)S.http_requests));
	text = json_dumps(o, JSON_COMPACT);
	if (text) {
		lab_write_atomic(S.stats_path, text);
		free(text);
	}
	json_decref(o);
}

static void serve_udp(int fd)
{
	static char prefix[256];
	static size_t plen;
	uint8_t buf[2048];

	if (!plen)
		plen = (size_t)snprintf(prefix, sizeof(prefix), "%s %s\n", S.shard, S.host);
	for (int i = 0; i < 256; i++) {
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);
		struct ks_client_hdr h;
		struct iovec iov[2];
		struct msghdr msg = {.msg_name = &from, .msg_iov = iov};
		ssize_t n =
		    recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &flen);

		if (n < 0)
			return;
		msg.msg_namelen = flen;
		if (ks_client_parse(buf, (size_t)n, &h, NULL, NULL)) {
			char bad[300];
			int bl = snprintf(bad, sizeof(bad), "%s %s bad-header\n", S.shard, S.host);

			S.udp_bad++;
			iov[0] = (struct iovec){bad, (size_t)bl};
			msg.msg_iovlen = 1;
		} else if (h.flags & KS_CLIENT_SHADOW) {
			S.udp_shadow++; /* a shadow copy: the primary answers */
			continue;
		} else {
			S.udp_answered++;
			if (S.corrupt_every && S.udp_answered % S.corrupt_every == 0)
				buf[n - 1] ^= 0x5a;
			iov[0] = (struct iovec){prefix, plen};
			iov[1] = (struct iovec){buf, (size_t)n};
			msg.msg_iovlen = 2;
		}
		if (sendmsg(fd, &msg, MSG_DONTWAIT) < 0)
			S.send_errors++;
	}
}

static void close_conn(int i)
{
	close(S.conns[i]->fd);
	free(S.conns[i]);
	S.conns[i] = NULL;
}

static void accept_tcp(int lfd, bool http)
{
	for (int k = 0; k < 64; k++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), i;

		if (fd < 0)
			return;
		for (i = 0; i < MAX_CONNS && S.conns[i]; i++)
			;
		if (i == MAX_CONNS) {
			close(fd);
			continue;
		}
		S.conns[i] = calloc(1, sizeof(struct conn));
		if (!S.conns[i]) {
			close(fd);
			continue;
		}
		S.conns[i]->fd = fd;
		S.conns[i]->http = http;
		S.tcp_conns++;
	}
}

/* HTTP/1.1 keep-alive: every request (headers, no body) gets "SHARD HOST". */
static void serve_http(int i)
{
	struct conn *c = S.conns[i];
	char out[512], body[200];
	int bl = snprintf(body, sizeof(body), "%s %s\n", S.shard, S.host);
	int ol = snprintf(out, sizeof(out),
			  "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
			  "\r\n%s",
			  bl, body);
	char *end;

	while ((end = memmem(c->buf, c->used, "\r\n\r\n", 4))) {
		size_t rl = (size_t)(end - c->buf) + 4;

		S.http_requests++;
		if (write(c->fd, out, (size_t)ol) != ol)
			S.send_errors++;
		memmove(c->buf, c->buf + rl, c->used - rl);
		c->used -= rl;
	}
	if (c->used == sizeof(c->buf))
		close_conn(i);
}

static void serve_conn(int i)
{
	struct conn *c = S.conns[i];
	ssize_t n = read(c->fd, c->buf + c->used, sizeof(c->buf) - c->used);
	char *nl;

	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			close_conn(i);
		return;
	}
	c->used += (size_t)n;
	if (c->http) {
		serve_http(i);
		return;
	}
	while ((nl = memchr(c->buf, '\n', c->used))) {
		char out[LINE_MAX_ + 256];
		size_t ll = (size_t)(nl - c->buf);
		int ol =
		    snprintf(out, sizeof(out), "%s %s %.*s\n", S.shard, S.host, (int)ll, c->buf);

		S.tcp_lines++;
		/* Answers are small and the client reads each before sending more. */
		if (write(c->fd, out, (size_t)ol) != ol)
			S.send_errors++;
		memmove(c->buf, nl + 1, c->used - ll - 1);
		c->used -= ll + 1;
	}
	if (c->used == sizeof(c->buf))
		close_conn(i); /* a line too long: not our protocol */
}

static int run(const char *ready)
{
	struct pollfd pfd[3 * MAX_LISTEN + MAX_CONNS];
	int idx[3 * MAX_LISTEN + MAX_CONNS];

	if (ready && lab_write_atomic(ready, "ready\n"))
		return 1;
	while (!stop) {
		int n = 0;

		for (int i = 0; i < S.n_udp; i++)
			pfd[n] = (struct pollfd){S.udp[i], POLLIN, 0}, idx[n++] = -1;
		for (int i = 0; i < S.n_tcp; i++)
			pfd[n] = (struct pollfd){S.tcp[i], POLLIN, 0}, idx[n++] = -2;
		for (int i = 0; i < S.n_http; i++)
			pfd[n] = (struct pollfd){S.http[i], POLLIN, 0}, idx[n++] = -3;
		for (int i = 0; i < MAX_CONNS; i++)
			if (S.conns[i])
				pfd[n] = (struct pollfd){S.conns[i]->fd, POLLIN, 0}, idx[n++] = i;
		if (poll(pfd, (nfds_t)n, 200) < 0 && errno != EINTR)
			return 1;
		if (dump) {
			dump = 0;
			write_stats();
		}
		for (int k = 0; k < n; k++) {
			if (!(pfd[k].revents & (POLLIN | POLLERR | POLLHUP)))
				continue;
			if (idx[k] == -1)
				serve_udp(pfd[k].fd);
			else if (idx[k] == -2)
				accept_tcp(pfd[k].fd, false);
			else if (idx[k] == -3)
				accept_tcp(pfd[k].fd, true);
			else if (S.conns[idx[k]])
				serve_conn(idx[k]);
		}
	}
	write_stats();
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"shard", required_argument, NULL, 's'},
	    {"host", required_argument, NULL, 'H'},
	    {"udp", required_argument, NULL, 'u'},
	    {"tcp", required_argument, NULL, 't'},
	    {"stats", required_argument, NULL, 'S'},
	    {"ready", required_argument, NULL, 'r'},
	    {"http", required_argument, NULL, 'h'},
	    {"corrupt-every", required_argument, NULL, 'c'},
	    {NULL, 0, NULL, 0},
	};
	const char *ready = NULL;
	struct sigaction sa = {.sa_handler = on_signal};
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			S.shard = optarg;
			break;
		case 'H':
			S.host = optarg;
			break;
		case 'S':
			S.stats_path = optarg;
			break;
		case 'r':
			ready = optarg;
			break;
		case 'c':
			S.corrupt_every = strtoull(optarg, NULL, 0);
			break;
		case 'h':
			if (S.n_http == MAX_LISTEN)
				return 2;
			S.http[S.n_http] = open_listener(optarg, SOCK_STREAM);
			if (S.http[S.n_http++] < 0)
				return 1;
			break;
		case 'u':
		case 't':
			if ((c == 'u' ? S.n_udp : S.n_tcp) == MAX_LISTEN)
				return 2;
			if (c == 'u')
				S.udp[S.n_udp++] = open_listener(optarg, SOCK_DGRAM);
			else
				S.tcp[S.n_tcp++] = open_listener(optarg, SOCK_STREAM);
			if ((c == 'u' ? S.udp[S.n_udp - 1] : S.tcp[S.n_tcp - 1]) < 0)
				return 1;
			break;
		default:
			fprintf(stderr,
				"usage: ks-shard --shard NAME --host HOST --udp ADDR:PORT... "
				"--tcp ADDR:PORT... [--stats FILE] [--ready FILE]\n");
			return 2;
		}
	}
	if (!S.shard || !S.host || S.n_udp + S.n_tcp + S.n_http == 0) {
		fprintf(stderr, "ks-shard: --shard, --host and a listener are required\n");
		return 2;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return run(ready);
}
