/* SPDX-License-Identifier: BSD-3-Clause */
/* Address helpers shared by the lab's tools: "10.99.0.1:7000", "[fd99::1]:7000". */
#ifndef KS_LAB_ADDR_H
#define KS_LAB_ADDR_H

#include <stdint.h>
#include <sys/socket.h>

struct lab_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	int family;
};

/* Parse ADDR:PORT or [ADDR6]:PORT. 0, or -1 with a message on stderr. */
int lab_addr_parse(const char *s, struct lab_addr *a);

/* The same address with another port (0 for an ephemeral one). */
void lab_addr_set_port(struct lab_addr *a, uint16_t port);

/* Monotonic time in nanoseconds. */
uint64_t lab_now_ns(void);

/* Write text to path atomically (path.tmp, then rename). 0 or -1. */
int lab_write_atomic(const char *path, const char *text);

#endif
