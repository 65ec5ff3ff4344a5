/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Wiring the next-hop resolver to the table backend. The two know nothing of
 * each other: the resolver reports next hops per address, the backend wants
 * them per shard. The glue tracks the VIPs of the rule set being applied,
 * answers the backend's next-hop questions from the resolver, and hands the
 * resolver's changes to the backend in one batch per event burst (one flip).
 *
 *   g = ks_nh_glue_new();
 *   ks_nh_open(ks_nh_glue_changed, g, ...) -> r;  ks_nh_glue_set_resolver(g, r)
 *   ks_backend_open(.nh_lookup = ks_nh_glue_lookup, .nh_ctx = g) -> b;  ks_nh_glue_set_backend(g,
 * b) before each apply: ks_nh_glue_track(g, compiled) on POLLIN of ks_nh_fd(r):
 * ks_nh_glue_process(g); on a timer: ks_nh_glue_refresh(g)
 */
#ifndef KS_BACKEND_NH_GLUE_H
#define KS_BACKEND_NH_GLUE_H

#include "backend/backend.h"
#include "nexthop/nexthop.h"
#include "rules/compiled.h"

struct ks_nh_glue;

struct ks_nh_glue *ks_nh_glue_new(void);
void ks_nh_glue_free(struct ks_nh_glue *g);
void ks_nh_glue_set_resolver(struct ks_nh_glue *g, struct ks_nh_resolver *r);
void ks_nh_glue_set_backend(struct ks_nh_glue *g, struct ks_backend *b);

/* ks_nh_change_fn for ks_nh_open (ctx = the glue): queues the change. */
void ks_nh_glue_changed(void *ctx, const struct ks_nh_target *t, const struct ks_nexthop *nh);
/* ks_backend_nh_fn for the backend (ctx = the glue). */
int ks_nh_glue_lookup(void *ctx, const struct ks_nh_target *t, struct ks_nexthop *out);

/* Track exactly the VIPs of c's shards (resolving new ones now). 0 or -errno. */
int ks_nh_glue_track(struct ks_nh_glue *g, const struct ks_compiled *c);
/* Read resolver events and write the resulting changes to the backend. */
int ks_nh_glue_process(struct ks_nh_glue *g, unsigned *changed);
/* Re-resolve everything (retries unresolved neighbours) and write changes. */
int ks_nh_glue_refresh(struct ks_nh_glue *g, unsigned *changed);

#endif
