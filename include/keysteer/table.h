/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Table layouts shared by the controller (which writes them), the XDP program
 * and the DPDK fast path (which read them). Plain fixed-size structs, no
 * pointers: the same bytes go into BPF maps and into the DPDK shared table.
 *
 * Generations. Every table the fast path reads for one decision carries a
 * generation number (0 or 1) in its key or index. The fast path reads the
 * active generation once per packet (struct ks_active) and uses it for every
 * lookup, so a packet is steered entirely by one rule version. The controller
 * writes the inactive generation, flips ks_active in one store, then brings the
 * old generation up to date.
 */
#ifndef KEYSTEER_TABLE_H
#define KEYSTEER_TABLE_H

#include <keysteer/compat.h>

#define KS_GENERATIONS	  2
#define KS_MAX_TARGETS	  8	 /* targets per route; a route with more is rejected */
#define KS_MAX_SHARDS	  4096	 /* shards per rule set */
#define KS_MAX_LISTENERS  256	 /* listeners per rule set */
#define KS_WEIGHT_BUCKETS 65536u /* weights are normalised to 2^16 buckets */
#define KS_NO_SHARD	  0xffff

#define KS_DEFAULT_GUE_PORT 6080 /* outer UDP destination port of GUE */

enum ks_family {
	KS_AF_INET = 4,
	KS_AF_INET6 = 6,
};

enum ks_steer {
	KS_STEER_GUE = 0,  /* UDP/GUE encapsulation to the shard VIP (default) */
	KS_STEER_IPIP = 1, /* IPIP, IP6IP6, 4-in-6, 6-in-4 */
	KS_STEER_NAT = 2,  /* destination rewrite */
};

enum ks_sticky {
	KS_STICKY_FLOW = 0,   /* the 5-tuple (default) */
	KS_STICKY_ENTITY = 1, /* the header's entity */
	KS_STICKY_NONE = 2,   /* no stickiness: every packet chosen afresh */
};

enum ks_default_action {
	KS_DEFAULT_DROP = 0,
	KS_DEFAULT_PASS = 1,
};

/*
 * An address of either family. IPv4 lives in w[0] (network order) with w[1..3]
 * zero; the family says which.
 */
struct ks_addr {
	__u32 w[4];
};

/* ks_active, a one-entry array: which generation the fast path reads. */
struct ks_active {
	__u32 gen;
};

/* ks_config, indexed by generation. */
struct ks_config {
	__u64 version;	     /* rule-set version of this generation */
	__u8 default_action; /* enum ks_default_action */
	__u8 pad[3];
	__u32 n_routes;
	__be16 gue_port; /* outer UDP destination port for GUE */
	__u16 pad2;
	__u32 listener_seed; /* placement seed of this generation's ks_listeners */
};

/*
 * A listener as the fast path asks about it: (address, port, protocol,
 * family) in generation gen. The XDP router looks it up in ks_listeners, the
 * DPDK fast path in its shared table (ctl/shmtable).
 */
struct ks_listener_key {
	struct ks_addr addr;
	__be16 port;
	__u8 proto;  /* IPPROTO_UDP or IPPROTO_TCP */
	__u8 family; /* enum ks_family */
	__u32 gen;
};

/*
 * ks_listeners, an array of KS_GENERATIONS * KS_LISTENER_BUCKETS buckets:
 * generation gen's bucket b is entry gen * KS_LISTENER_BUCKETS + b. The
 * controller places every listener in bucket ks_listener_bucket(..., seed)
 * (keysteer/listener_table.h) with the seed it stores in that generation's
 * ks_config.listener_seed, filling the ways in order; an array lookup is
 * inlined by the JIT where a hash lookup costs a jhash and a memcmp.
 */
#define KS_LISTENER_BUCKETS 1024 /* per generation; a power of two */
#define KS_LISTENER_WAYS    4

struct ks_listener_slot {
	struct ks_addr addr;
	__be16 port;
	__u8 proto;
	__u8 family; /* enum ks_family; 0: empty, and so is every later way */
	__u32 id;    /* index of the listener in the rule set */
};
KS_STATIC_ASSERT(sizeof(struct ks_listener_slot) == 24, "listener slot layout");

struct ks_listener_bucket {
	struct ks_listener_slot s[KS_LISTENER_WAYS];
};

/*
 * ks_routes0 and ks_routes1, one hash per generation: routing_key (__u64,
 * host order) -> route. One map per generation keeps the key at 8 bytes: the
 * kernel hashes and compares half as much as with the generation in the key
 * (about 5 ns a packet here, make bench-xdp).
 */

/*
 * One weighted target: it owns the weight buckets (previous target's last, last].
 * The first target owns [0, last]. Targets are ordered; the last one's `last`
 * is always KS_WEIGHT_BUCKETS - 1. Zero-weight targets are not compiled in.
 */
struct ks_target {
	__u16 shard; /* shard id in the same generation */
	__u16 last;
};

struct ks_route {
	__u32 stats_slot;    /* index into ks_key_stats; stable across versions */
	__u8 n_targets;	     /* 1..KS_MAX_TARGETS */
	__u8 sticky;	     /* enum ks_sticky */
	__u16 shadow_shard;  /* KS_NO_SHARD when the route has no shadow */
	__u32 shadow_thresh; /* copy when shadow bucket < thresh, out of 2^16 */
	struct ks_target t[KS_MAX_TARGETS];
};
KS_STATIC_ASSERT(sizeof(struct ks_route) == 44, "route value layout");

/*
 * ks_shards, array indexed by gen * KS_MAX_SHARDS + shard id. The first block
 * comes from the rule set; the next-hop block is filled by the controller
 * from rtnetlink (routes and neighbours) and kept current as they change.
 */
struct ks_shard {
	struct ks_addr vip;
	__be16 port; /* service port; NAT rewrites the destination port to it */
	__u8 family; /* enum ks_family, 0 = slot unused */
	__u8 steer;  /* enum ks_steer */
	/* next hop towards vip */
	__u32 ifindex; /* egress interface, 0 = unresolved */
	__u8 smac[6];
	__u8 dmac[6];
	struct ks_addr src; /* outer source address for encapsulation, family of vip */
	__u16 mtu;	    /* egress MTU */
	__u8 nh_valid;	    /* 1 when ifindex/MACs/src are resolved */
	__u8 pad;
};

/* Per-CPU counters. */
struct ks_counter {
	__u64 packets;
	__u64 bytes;
};

/* ks_key_stats, per-CPU array indexed by ks_route.stats_slot. */
struct ks_key_stats {
	__u64 packets;
	__u64 bytes;
	__u64 target_packets[KS_MAX_TARGETS];
	__u64 shadow_packets;
};

/*
 * Why a packet was not steered (or what else happened to it). Indexes the
 * per-CPU ks_reason_stats array. Keep keysteer/reason_names.h in step.
 */
enum ks_reason {
	KS_R_STEERED = 0,  /* steered to a shard (not an error) */
	KS_R_NOT_LISTENER, /* not addressed to a listener: passed untouched */
	KS_R_NO_HEADER,	   /* listener traffic without a routing header */
	KS_R_BAD_MAGIC,
	KS_R_BAD_VERSION,
	KS_R_CLIENT_SHADOW, /* client packet carried SHADOW: dropped */
	KS_R_UNKNOWN_KEY,
	KS_R_FRAGMENT,	   /* IPv4 fragment: passed */
	KS_R_V6_EXTHDR,	   /* IPv6 extension header: passed */
	KS_R_TTL,	   /* TTL / hop limit <= 1: passed to the kernel */
	KS_R_MTU,	   /* too big after encapsulation: passed */
	KS_R_NO_NEXTHOP,   /* shard next hop unresolved: passed */
	KS_R_MALFORMED,	   /* truncated or inconsistent headers */
	KS_R_TCP_NO_FLOW,  /* TCP non-SYN with no pinned connection */
	KS_R_SHADOW_COPY,  /* a shadow copy was requested */
	KS_R_NAT_REPLY,	   /* a NAT reply translated back */
	KS_R_NO_SHARD,	   /* route named a shard that is not in the table */
	KS_R_DEFAULT_DROP, /* dropped by the rule set's default */
	KS_R_DEFAULT_PASS, /* passed by the rule set's default */
	KS_R_NAT_FAMILY,   /* NAT to a shard of the other family: passed */
	KS_R_NO_ROOM,	   /* no headroom for outer headers or metadata: passed */
	KS_R_MAX
};

/*
 * The TCP connection table (ks_flows4, ks_flows6: LRU hashes with per-CPU LRU
 * lists, written only by the fast path). A SYN that is steered pins its
 * connection here; every later segment of the connection follows the entry,
 * whatever weights, rule versions or shard VIPs say by then. The entry holds
 * the destination itself (VIP, port, family, steer), not just a shard id,
 * because shard ids are per generation and a shard may move to another VIP
 * while the connection still lives on the old one. `shard` and `gen` say where
 * the next hop for `vip` was found; if neither generation's slot still holds
 * that VIP, the fast path asks the FIB. Keys are as the client sends:
 * (client address, listener address, client port, listener port).
 */
struct ks_flow4_key {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
};

struct ks_flow6_key {
	__u32 saddr[4];
	__u32 daddr[4];
	__be16 sport;
	__be16 dport;
};

enum ks_flow_state {
	KS_FLOW_OPEN = 0,
	KS_FLOW_CLOSING = 1, /* FIN or RST seen: a new SYN on this 4-tuple chooses afresh */
};

struct ks_flow {
	struct ks_addr vip; /* pinned destination: the shard VIP chosen on the SYN */
	__be16 port;	    /* the shard's port (what NAT rewrites to) */
	__u8 family;	    /* of vip */
	__u8 steer;	    /* enum ks_steer */
	__u16 shard;	    /* shard id in generation gen: where the next hop was */
	__u8 gen;
	__u8 state;	  /* enum ks_flow_state */
	__u32 stats_slot; /* the route's ks_key_stats slot */
	__u8 target;	  /* index of the chosen target within the route */
	__u8 pad[3];
	__u32 flow_hash; /* the connection's flow hash (outer source port) */
};
KS_STATIC_ASSERT(sizeof(struct ks_flow) == 36, "flow entry layout");

/*
 * The NAT reverse table (ks_nat_rev, an LRU hash seen by every CPU, written
 * only by the fast path): a NAT'd packet records how to translate its replies
 * back, keyed as the reply arrives (source = shard VIP:port, destination =
 * client:port). The reply is sent back the way the client's packet came: its
 * ingress interface, to the MAC it came from, from the MAC it was sent to.
 */
struct ks_nat_key {
	struct ks_addr shard_addr;  /* reply source: the shard VIP */
	struct ks_addr client_addr; /* reply destination: the client */
	__be16 shard_port;
	__be16 client_port;
	__u8 proto;
	__u8 family;
	__u16 pad;
};

struct ks_nat_rev {
	struct ks_addr listener_addr; /* restored as the reply's source */
	__be16 listener_port;
	__u8 family;
	__u8 pad;
	__u32 ifindex;	    /* the client's packets came in here */
	__u8 client_mac[6]; /* ...from this MAC (the next hop back) */
	__u8 router_mac[6]; /* ...sent to this one (ours) */
};
KS_STATIC_ASSERT(sizeof(struct ks_nat_key) == 40, "NAT key layout");
KS_STATIC_ASSERT(sizeof(struct ks_nat_rev) == 36, "NAT reverse value layout");

/*
 * XDP -> tc hand-off for shadow copies. XDP cannot clone a packet, so for a
 * sampled packet the XDP program leaves the packet unmodified, puts this in
 * the XDP metadata area (bpf_xdp_adjust_meta) and returns XDP_PASS; the tc
 * ingress program (bpf/ks_shadow.bpf.c) finds it, sends a SHADOW-marked copy
 * to shadow_shard with bpf_clone_redirect, and steers the original to
 * primary_shard. Everything names shards in generation `gen`, so the copy and
 * the original are decided by the same rule version.
 */
#define KS_META_MAGIC 0x4b534d31 /* "KSM1" */
struct ks_xdp_meta {
	__u32 magic;
	__u32 gen;
	__u16 primary_shard;
	__u16 shadow_shard;
	__u32 stats_slot;
	__u32 flow_hash; /* outer source port entropy, as XDP would have used */
	__u32 pad;
};

#endif /* KEYSTEER_TABLE_H */
