/* SPDX-License-Identifier: BSD-3-Clause */
#include "lab_addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int lab_addr_parse(const char *s, struct lab_addr *a)
{
	char host[128];
	const char *colon, *port_s;
	unsigned long port;
	char *end;
	size_t hl;

	memset(a, 0, sizeof(*a));
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (!rb || rb[1] != ':')
			goto bad;
		hl = (size_t)(rb - s - 1);
		if (hl >= sizeof(host))
			goto bad;
		memcpy(host, s + 1, hl);
		port_s = rb + 2;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			goto bad;
		hl = (size_t)(colon - s);
		if (hl >= sizeof(host))
			goto bad;
		memcpy(host, s, hl);
		port_s = colon + 1;
		if (memchr(host, ':', hl))
			goto bad; /* an IPv6 address needs its brackets */
	}
	host[hl] = '\0';
	port = strtoul(port_s, &end, 10);
	if (!*port_s || *end || port > 65535)
		goto bad;
	if (strchr(host, ':')) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&a->ss;

		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
			goto bad;
		a->len = sizeof(*a6);
		a->family = AF_INET6;
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&a->ss;

		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
			goto bad;
		a->len = sizeof(*a4);
		a->family = AF_INET;
	}
	return 0;
bad:
	fprintf(stderr, "not an ADDR:PORT or [ADDR6]:PORT: '%s'\n", s);
	return -1;
}

void lab_addr_set_port(struct lab_addr *a, uint16_t port)
{
	if (a->family == AF_INET6)
		((struct sockaddr_in6 *)&a->ss)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)&a->ss)->sin_port = htons(port);
}

uint64_t lab_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

int lab_write_atomic(const char *path, const char *text)
{
	char tmp[4096];
	FILE *f;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -1;
	f = fopen(tmp, "w");
	if (!f)
		return -1;
	fputs(text, f);
	if (fclose(f))
		return -1;
	return rename(tmp, path);
}
