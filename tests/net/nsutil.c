/* SPDX-License-Identifier: BSD-3-Clause */
#include "nsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>

int ks_ns_enter_private(char *msg, size_t msglen)
{
	if (unshare(CLONE_NEWNET | CLONE_NEWNS)) {
		snprintf(msg, msglen, "unshare(CLONE_NEWNET|CLONE_NEWNS): %s (run as root)",
			 strerror(errno));
		return -1;
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
		snprintf(msg, msglen, "making / private: %s", strerror(errno));
		return -1;
	}
	if (mount("sysfs", "/sys", "sysfs", 0, NULL)) {
		snprintf(msg, msglen, "mounting sysfs: %s", strerror(errno));
		return -1;
	}
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, NULL)) {
		snprintf(msg, msglen, "mounting bpffs: %s", strerror(errno));
		return -1;
	}
	if (ks_sh("ip link set lo up")) {
		snprintf(msg, msglen, "ip link set lo up failed (is iproute2 installed?)");
		return -1;
	}
	return 0;
}

static int vsh(const char *prefix, const char *fmt, va_list ap)
{
	char cmd[4096];
	int n = snprintf(cmd, sizeof(cmd), "%s", prefix), st;

	vsnprintf(cmd + n, sizeof(cmd) - n, fmt, ap);
	st = system(cmd);
	if (st == -1)
		return -1;
	st = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	if (st)
		fprintf(stderr, "# command failed (%d): %s\n", st, cmd);
	return st;
}

int ks_sh(const char *fmt, ...)
{
	va_list ap;
	int st;

	va_start(ap, fmt);
	st = vsh("", fmt, ap);
	va_end(ap);
	return st;
}

int ks_sh_out(char *out, size_t outlen, const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	FILE *f;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	out[0] = '\0';
	f = popen(cmd, "r");
	if (!f)
		return -1;
	if (fgets(out, (int)outlen, f))
		out[strcspn(out, "\n")] = '\0';
	while (fgetc(f) != EOF)
		;
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int ks_peer_start(struct ks_peer *p)
{
	int ready[2], stop[2];
	char c;

	if (pipe(ready) || pipe(stop))
		return -1;
	p->pid = fork();
	if (p->pid < 0)
		return -1;
	if (p->pid == 0) {
		close(ready[0]);
		close(stop[1]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		c = unshare(CLONE_NEWNET) == 0 ? 1 : 0;
		if (write(ready[1], &c, 1) != 1)
			_exit(1);
		/* Wait for the parent to close its end (or die). */
		while (read(stop[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(ready[1]);
	close(stop[0]);
	p->stop_fd = stop[1];
	if (read(ready[0], &c, 1) != 1 || c != 1) {
		close(ready[0]);
		ks_peer_stop(p);
		return -1;
	}
	close(ready[0]);
	return ks_sh("nsenter -t %d -n ip link set lo up", (int)p->pid);
}

int ks_peer_sh(const struct ks_peer *p, const char *fmt, ...)
{
	char prefix[64];
	va_list ap;
	int st;

	snprintf(prefix, sizeof(prefix), "nsenter -t %d -n ", (int)p->pid);
	va_start(ap, fmt);
	st = vsh(prefix, fmt, ap);
	va_end(ap);
	return st;
}

void ks_peer_stop(struct ks_peer *p)
{
	if (p->pid <= 0)
		return;
	close(p->stop_fd);
	kill(p->pid, SIGKILL);
	waitpid(p->pid, NULL, 0);
	p->pid = 0;
}
