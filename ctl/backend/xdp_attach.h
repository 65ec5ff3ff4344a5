/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Attaching a pinned XDP program to interfaces and remembering where, shared
 * by the router (ctl/backend/loader.c) and the shard-side decapsulator
 * (ctl/backend/decap_loader.c). The record is a small hash map pinned beside
 * the program (ifindex -> struct ks_attached), so the state lives with the
 * pins: per pin root, per network namespace, across controller restarts.
 */
#ifndef KS_BACKEND_XDP_ATTACH_H
#define KS_BACKEND_XDP_ATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include "backend/loader.h"

struct ks_xdp_pins {
	const char *root;	/* pin root directory on bpffs */
	const char *prog_pin;	/* the program's pin name under root */
	const char *record_pin; /* the record map's pin name under root */
	const char *what;	/* for messages: "keysteer router", ... */
};

/* Pin prog_fd as root/prog_pin, atomically replacing an older pin. */
int ks_xdp_pin_prog(const struct ks_xdp_pins *p, int prog_fd, char *msg, size_t msglen);
/* The pinned program's fd (caller closes), or -errno. */
int ks_xdp_pinned_prog(const struct ks_xdp_pins *p);

int ks_xdp_attach(const struct ks_xdp_pins *p, int prog_fd, const char *ifname,
		  enum ks_xdp_mode mode, char *msg, size_t msglen);
int ks_xdp_detach(const struct ks_xdp_pins *p, const char *ifname, char *msg, size_t msglen);
int ks_xdp_detach_all(const struct ks_xdp_pins *p, bool purge, char *msg, size_t msglen);
int ks_xdp_list(const struct ks_xdp_pins *p, struct ks_attached *out, size_t max, size_t *n);
int ks_xdp_check(const struct ks_xdp_pins *p);

/* The id of the program behind fd, 0 on error. */
__u32 ks_prog_id(int prog_fd);

/* Remove every pin under root and the directory itself. */
int ks_pin_purge(const char *root);

#endif
