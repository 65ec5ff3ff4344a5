/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Loading the router's BPF object and attaching it to interfaces.
 *
 * The object file is opened with libbpf's bpf_object API (no skeleton), so an
 * installed object can be replaced without rebuilding the controller. Its
 * maps are pinned by name under the pin root and reused when already there:
 * a new program picks up the tables and counters of the old one. The program
 * is pinned too (PIN_ROOT/prog_router), and a small map pinned beside it
 * (PIN_ROOT/ks_attached) records which interfaces it is attached to and how,
 * so a restarted controller re-adopts the running data plane instead of
 * reloading it, and an upgrade swaps programs atomically (XDP_FLAGS_REPLACE)
 * with no gap in forwarding.
 */
#ifndef KS_BACKEND_LOADER_H
#define KS_BACKEND_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <net/if.h>

/* Where BPF objects are: the build tree, or /usr/lib/keysteer once installed (make install). */
#ifndef KS_BPF_DIR
#define KS_BPF_DIR "build/bpf"
#endif
#define KS_DEFAULT_ROUTER_OBJ KS_BPF_DIR "/ks_router.bpf.o"
#define KS_PROG_PIN_NAME      "prog_router"
#define KS_ATTACHED_PIN_NAME  "ks_attached"

enum ks_xdp_mode {
	KS_XDP_NATIVE = 0,
	KS_XDP_GENERIC = 1,
};

struct bpf_object;

/* A map size to set before load (maps already pinned keep theirs). */
struct ks_map_size {
	const char *name;
	__u32 max_entries;
};

/* The most --flows-per-cpu may ask for (keysteer attach, keysteerd). */
#define KS_MAX_FLOWS_PER_CPU (1u << 24)

struct ks_loader_opts {
	const char *pin_root;  /* NULL: KS_DEFAULT_PIN_ROOT */
	const char *obj_path;  /* NULL: KS_DEFAULT_ROUTER_OBJ */
	const char *prog_name; /* NULL: the object's first XDP program */
	__u32 route_capacity;  /* routes per generation (ks_routes0/1 each); 0: object default */
	__u32 stats_slots;     /* ks_key_stats entries; 0: route_capacity * 9/8 + 1 */
	__u32 flows_per_cpu;   /* TCP connection / NAT tables (per-CPU LRU): entries per CPU */
	const struct ks_map_size *sizes; /* other maps (e.g. the connection table) */
	size_t n_sizes;
	/* Called after open, before load (e.g. to set .rodata constants). */
	int (*before_load)(struct bpf_object *obj, void *ctx);
	void *ctx;
};

/* One interface the program is attached to, as recorded under the pin root. */
struct ks_attached {
	__u32 ifindex;
	__u32 prog_id; /* program attached by keysteer */
	__u32 mode;    /* enum ks_xdp_mode */
	char ifname[IF_NAMESIZE];
};

struct ks_router;

/*
 * Load the object: reuse pinned maps, create and pin missing ones, load the
 * programs and pin the XDP program (replacing an older pin). Nothing is
 * attached yet. 0 or -errno with a message.
 */
int ks_router_load(struct ks_router **out, const struct ks_loader_opts *o, char *msg,
		   size_t msglen);

/* Create and pin the maps only (no program). 0 or -errno. */
int ks_router_create_maps(const struct ks_loader_opts *o, char *msg, size_t msglen);

/*
 * Re-adopt: open the pinned program of a running data plane without loading
 * anything. -ENOENT when nothing is pinned.
 */
int ks_router_adopt(struct ks_router **out, const char *pin_root, char *msg, size_t msglen);

void ks_router_close(struct ks_router *r);
int ks_router_prog_fd(const struct ks_router *r);
__u32 ks_router_prog_id(const struct ks_router *r);

/*
 * Attach to an interface. Nothing attached: attach (XDP_FLAGS_UPDATE_IF_NOEXIST).
 * keysteer's program (recorded, or the pinned one) attached in the same mode:
 * replace it atomically (XDP_FLAGS_REPLACE with its fd). Already this program:
 * nothing to do. Someone else's program: -EBUSY. The interface is recorded
 * and added to ks_tx_ports. 0 or -errno with a message.
 */
int ks_router_attach(struct ks_router *r, const char *ifname, enum ks_xdp_mode mode, char *msg,
		     size_t msglen);

/*
 * Swap every recorded interface over to r's program (atomically, in the mode
 * it was attached in): after loading a new version. *n counts the swaps.
 */
int ks_router_reattach_all(struct ks_router *r, unsigned *n, char *msg, size_t msglen);

/*
 * Detach keysteer's program from an interface (only if it is still the one
 * attached) and forget the interface. -ENOENT when it was not recorded.
 */
int ks_router_detach(const char *pin_root, const char *ifname, char *msg, size_t msglen);

/* Detach from every recorded interface; purge: also remove every pin under the root. */
int ks_router_detach_all(const char *pin_root, bool purge, char *msg, size_t msglen);

/* Recorded interfaces. *n gets the count (up to max). 0 or -errno. */
int ks_router_attached(const char *pin_root, struct ks_attached *out, size_t max, size_t *n);

/*
 * Is every recorded interface still running the pinned program? 1 yes, 0 no
 * (something else or nothing attached somewhere), -errno on error. This is
 * what a restarted controller checks before deciding not to reload.
 */
int ks_router_check_attached(const char *pin_root);

/*
 * Make an opened (not yet loaded) object reuse the maps pinned at its maps'
 * pin paths: their sizes (and the flags the kernel gives devmaps) are
 * copied. ks_router_load does this; tests that load objects themselves too.
 */
int ks_loader_adopt_pinned(struct bpf_object *obj);

/* Add an egress interface to ks_tx_ports. 0 or -errno. */
int ks_router_add_tx_port(const char *pin_root, __u32 ifindex);

const char *ks_xdp_mode_name(enum ks_xdp_mode m);
int ks_xdp_mode_parse(const char *s, enum ks_xdp_mode *m);

#endif
