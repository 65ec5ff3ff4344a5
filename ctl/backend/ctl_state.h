/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keysteerd's own state, kept beside the router's tables under the pin root
 * so that it lives exactly as long as they do (a daemon restart keeps it,
 * `keysteer detach` and a reboot clear it): a one-entry array pinned as
 * ks_ctl_state. The router never reads it. It holds the rollback floor, the
 * newest version applied before a rollback, which the feed must go above.
 */
#ifndef KS_BACKEND_CTL_STATE_H
#define KS_BACKEND_CTL_STATE_H

#include <stddef.h>
#include <linux/types.h>

struct ks_ctl_state {
	__u64 rollback_floor; /* 0: none */
	__u64 reserved[7];    /* zero; room to grow without a new map */
};

/* *out from the pinned state, or zeroed when none is pinned. 0 or -errno (msg). */
int ks_ctl_state_read(const char *pin_root, struct ks_ctl_state *out, char *msg, size_t msglen);
/* Write the state, creating and pinning the map when absent. 0 or -errno (msg). */
int ks_ctl_state_write(const char *pin_root, const struct ks_ctl_state *st, char *msg,
		       size_t msglen);

#endif
