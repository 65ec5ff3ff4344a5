/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Isolation for tests that touch the kernel: the test process moves into its
 * own network and mount namespaces, with a private bpffs on /sys/fs/bpf and
 * a sysfs of its own. Interfaces, pins and attached programs it creates
 * disappear with the process, on every exit path. A "peer" is a child in a
 * further network namespace, playing the host at the other end of a veth.
 */
#ifndef KS_TESTS_NSUTIL_H
#define KS_TESTS_NSUTIL_H

#include <stddef.h>
#include <sys/types.h>

/* 0, or -1 with the reason in msg (e.g. missing CAP_SYS_ADMIN). */
int ks_ns_enter_private(char *msg, size_t msglen);

/* Run a shell command; its exit status (-1 if it could not run). */
int ks_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Its first line of output into out (newline stripped). Exit status. */
int ks_sh_out(char *out, size_t outlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

struct ks_peer {
	pid_t pid;
	int stop_fd;
};

/* A child process in a new network namespace (killed if we die). 0 or -1. */
int ks_peer_start(struct ks_peer *p);
/* Run a shell command inside the peer's network namespace. Exit status. */
int ks_peer_sh(const struct ks_peer *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ks_peer_stop(struct ks_peer *p);

#endif
