/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Outcomes that are not a steer, counted: a reason for every one, and for
 * listener traffic without a usable header or key, the rule set's default
 * (counted too). Part of the decision flow (keysteer/decide.h); needs the
 * shell's functions (keysteer/shell.h).
 */
#ifndef KEYSTEER_VERDICT_H
#define KEYSTEER_VERDICT_H

#include <keysteer/shell.h>

KS_ALWAYS_INLINE int ks_pass(KS_SHELL_CTX ctx, const struct ks_rctx *r, __u32 reason)
{
	ks_sh_count(ctx, reason, r->len);
	return KS_V_PASS;
}

KS_ALWAYS_INLINE int ks_drop(KS_SHELL_CTX ctx, const struct ks_rctx *r, __u32 reason)
{
	ks_sh_count(ctx, reason, r->len);
	return KS_V_DROP;
}

KS_ALWAYS_INLINE int ks_default(KS_SHELL_CTX ctx, const struct ks_rctx *r, __u32 cause)
{
	const struct ks_config *cfg = ks_sh_config(ctx, &r->gen);

	ks_sh_count(ctx, cause, r->len);
	if (cfg && cfg->default_action == KS_DEFAULT_PASS) {
		ks_sh_count(ctx, KS_R_DEFAULT_PASS, r->len);
		return KS_V_PASS;
	}
	ks_sh_count(ctx, KS_R_DEFAULT_DROP, r->len);
	return KS_V_DROP;
}

/* A packet steered to shard `shard` for the route's key slot and target. */
KS_ALWAYS_INLINE void ks_count_steered(KS_SHELL_CTX ctx, __u32 shard, __u32 slot, __u32 target,
				       __u32 bytes)
{
	ks_sh_count(ctx, KS_R_STEERED, bytes);
	ks_sh_count_shard(ctx, shard & (KS_MAX_SHARDS - 1), bytes);
	ks_sh_count_key(ctx, slot, target, bytes, 0);
}

#endif /* KEYSTEER_VERDICT_H */
