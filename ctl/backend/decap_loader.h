/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Loading and attaching the shard-side decapsulator (bpf/ks_decap.bpf.o).
 * One program per pin root serves every interface it is attached to; its
 * config (the GUE port) and counters are pinned maps beside it. The last
 * detach removes the pins.
 */
#ifndef KS_BACKEND_DECAP_LOADER_H
#define KS_BACKEND_DECAP_LOADER_H

#include <stddef.h>
#include <linux/types.h>
#include "backend/loader.h"
#include "../../bpf/decap_abi.h"

#define KS_DEFAULT_DECAP_PIN_ROOT "/sys/fs/bpf/keysteer-decap"
#define KS_DEFAULT_DECAP_OBJ	  KS_BPF_DIR "/ks_decap.bpf.o"

struct ks_decap_opts {
	const char *pin_root; /* NULL: KS_DEFAULT_DECAP_PIN_ROOT */
	const char *obj_path; /* NULL: KS_DEFAULT_DECAP_OBJ */
	__u16 gue_port;	      /* host order; 0: keep the current one (default 6080) */
};

/*
 * Attach to ifname: the pinned program if there is one, else load the object
 * and pin it. Sets the GUE port when given. 0 or -errno with a message.
 */
int ks_decap_attach(const struct ks_decap_opts *o, const char *ifname, enum ks_xdp_mode mode,
		    char *msg, size_t msglen);
/* Detach from ifname; the last one removes the pins. */
int ks_decap_detach(const char *pin_root, const char *ifname, char *msg, size_t msglen);

/* Counters summed over CPUs, and the configured port (host order). */
int ks_decap_read(const char *pin_root, struct ks_decap_counter out[KS_DECAP_MAX], __u16 *gue_port);
int ks_decap_attached(const char *pin_root, struct ks_attached *out, size_t max, size_t *n);

const char *ks_decap_outcome_name(unsigned o);

#endif
