/* SPDX-License-Identifier: BSD-3-Clause */
#include "ctlsock/ctlsock.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int fill_addr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

/* mkdir -p of the socket's directory, 0755. */
static int make_parent(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int ks_ctlsock_listen(const char *path, gid_t gid)
{
	struct sockaddr_un sa;
	int rc = fill_addr(&sa, path);
	if (rc < 0)
		return rc;
	rc = make_parent(path);
	if (rc < 0)
		return rc;

	/* A socket file left by a daemon that died: replace it, unless one answers. */
	int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0) {
		if (connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(probe);
			return -EADDRINUSE;
		}
		close(probe);
	}
	unlink(path);

	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Bind with a tight umask so there is no window with a wider mode. */
	mode_t old = umask(0177);
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0)
		goto fail;
	if (chown(path, 0, gid) < 0 || chmod(path, 0660) < 0)
		goto fail;
	if (listen(fd, 64) < 0)
		goto fail;
	return fd;
fail:
	rc = -errno;
	close(fd);
	return rc;
}

bool ks_ctlsock_peer_allowed(int fd, gid_t gid, uid_t *uid_out, pid_t *pid_out)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return false;
	if (uid_out)
		*uid_out = cred.uid;
	if (pid_out)
		*pid_out = cred.pid;
	if (cred.uid == 0 || cred.gid == gid)
		return true;
	/* Supplementary groups of the peer at connect time (Linux 4.13+). */
	gid_t groups[256];
	len = sizeof(groups);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
		return false;
	for (size_t i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == gid)
			return true;
	return false;
}

void ks_linebuf_init(struct ks_linebuf *lb, size_t max)
{
	memset(lb, 0, sizeof(*lb));
	lb->max = max;
}

void ks_linebuf_free(struct ks_linebuf *lb)
{
	free(lb->buf);
	memset(lb, 0, sizeof(*lb));
}

int ks_linebuf_append(struct ks_linebuf *lb, const void *data, size_t n)
{
	if (lb->len + n > lb->max + 1)
		return -E2BIG;
	if (lb->len + n + 1 > lb->cap) {
		size_t cap = lb->cap ? lb->cap : 4096;
		while (cap < lb->len + n + 1)
			cap *= 2;
		char *nb = realloc(lb->buf, cap);
		if (!nb)
			return -ENOMEM;
		lb->buf = nb;
		lb->cap = cap;
	}
	memcpy(lb->buf + lb->len, data, n);
	lb->len += n;
	return 0;
}

char *ks_linebuf_take(struct ks_linebuf *lb)
{
	if (!lb->len)
		return NULL;
	char *nl = memchr(lb->buf, '\n', lb->len);
	if (!nl)
		return NULL;
	size_t line_len = (size_t)(nl - lb->buf);
	char *line = malloc(line_len + 1);
	if (!line)
		return NULL;
	memcpy(line, lb->buf, line_len);
	line[line_len] = '\0';
	lb->len -= line_len + 1;
	memmove(lb->buf, nl + 1, lb->len);
	return line;
}

char *ks_ctlsock_encode(const json_t *msg, size_t *len)
{
	char *s = json_dumps(msg, JSON_COMPACT);
	if (!s)
		return NULL;
	size_t n = strlen(s);
	char *line = realloc(s, n + 2);
	if (!line) {
		free(s);
		return NULL;
	}
	line[n] = '\n';
	line[n + 1] = '\0';
	if (len)
		*len = n + 1;
	return line;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int wait_fd(int fd, short events, long long deadline)
{
	for (;;) {
		long long left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd p = {.fd = fd, .events = events};
		int rc = poll(&p, 1, (int)left);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return -errno;
		if (rc > 0)
			return 0;
	}
}

int ks_ctlsock_call(const char *path, const json_t *req, json_t **resp, int timeout_ms)
{
	struct sockaddr_un sa;
	long long deadline = now_ms() + timeout_ms;
	int rc = fill_addr(&sa, path);
	if (rc < 0)
		return rc;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);

	size_t len;
	char *line = ks_ctlsock_encode(req, &len);
	if (!line) {
		close(fd);
		return -ENOMEM;
	}
	size_t off = 0;
	rc = 0;
	while (off < len && rc == 0) {
		ssize_t n = send(fd, line + off, len - off, MSG_NOSIGNAL);
		if (n > 0)
			off += (size_t)n;
		else if (n < 0 && errno == EAGAIN)
			rc = wait_fd(fd, POLLOUT, deadline);
		else if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
			rc = -EACCES; /* closed on us before we could ask: refused */
		else
			rc = n < 0 ? -errno : -EPIPE;
	}
	free(line);

	struct ks_linebuf lb;
	ks_linebuf_init(&lb, KS_CTLSOCK_MAX_LINE);
	char *answer = NULL;
	while (rc == 0 && !answer) {
		char chunk[65536];
		ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
		if (n > 0) {
			rc = ks_linebuf_append(&lb, chunk, (size_t)n);
			if (rc == 0)
				answer = ks_linebuf_take(&lb);
		} else if (n == 0) {
			/* Closed without an answer: the daemon refused us. */
			rc = -EACCES;
		} else if (errno == EAGAIN) {
			rc = wait_fd(fd, POLLIN, deadline);
		} else if (errno == ECONNRESET) {
			rc = -EACCES;
		} else {
			rc = -errno;
		}
	}
	ks_linebuf_free(&lb);
	close(fd);
	if (rc < 0) {
		free(answer);
		return rc;
	}
	json_error_t jerr;
	*resp = json_loads(answer, 0, &jerr);
	free(answer);
	if (!*resp || !json_is_object(*resp)) {
		json_decref(*resp);
		*resp = NULL;
		return -EPROTO;
	}
	return 0;
}

const char *ks_ctlsock_strerror(int err)
{
	switch (err) {
	case -ENOENT:
	case -ECONNREFUSED:
		return "keysteerd is not running (no control socket answers)";
	case -EACCES:
	case -EPERM:
		return "permission denied by keysteerd (need root or the socket's group)";
	case -ETIMEDOUT:
		return "keysteerd did not answer in time";
	case -EPROTO:
		return "keysteerd sent an unreadable answer";
	case -ENAMETOOLONG:
		return "control socket path too long";
	default:
		return strerror(-err);
	}
}
