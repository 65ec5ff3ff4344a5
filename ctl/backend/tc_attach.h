/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The tc half of shadow copies: bpf/ks_shadow.bpf.o on an interface's clsact
 * ingress, beside the XDP router. It shares the router's pinned maps (the
 * same pin root; maps pinned by name are reused, sized as pinned) and its
 * program is pinned there too (PIN_ROOT/prog_shadow), so every interface
 * runs one loaded copy.
 */
#ifndef KS_BACKEND_TC_ATTACH_H
#define KS_BACKEND_TC_ATTACH_H

#include <stddef.h>
#include "backend/loader.h"

#define KS_DEFAULT_SHADOW_OBJ KS_BPF_DIR "/ks_shadow.bpf.o"
#define KS_SHADOW_PIN_NAME    "prog_shadow"
/* The filter's place on clsact ingress, so that detach finds it again. */
#define KS_SHADOW_TC_HANDLE 0x4b53
#define KS_SHADOW_TC_PRIO   1

struct ks_tc_opts {
	const char *pin_root; /* NULL: KS_DEFAULT_PIN_ROOT (the router's) */
	const char *obj_path; /* NULL: KS_DEFAULT_SHADOW_OBJ */
};

/*
 * Attach the shadow program to ifname's tc ingress (creating the clsact
 * qdisc when missing; replacing keysteer's filter when there). Loads the
 * object the first time and pins the program; later calls reuse the pin.
 * 0 or -errno with a message.
 */
int ks_tc_attach(const struct ks_tc_opts *o, const char *ifname, char *msg, size_t msglen);

/* Remove keysteer's filter from ifname's ingress (the qdisc stays). 0 or -errno. */
int ks_tc_detach(const char *ifname, char *msg, size_t msglen);

/* DIR/ks_shadow.bpf.o for a router object DIR/ks_router.bpf.o (malloc'd; NULL on ENOMEM). */
char *ks_shadow_obj_beside(const char *router_obj);

/* Remove the pinned program (after detaching everywhere). 0 or -errno. */
int ks_tc_unpin(const char *pin_root);

#endif
