/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Names of enum ks_reason (table.h) as counters, metrics and `keysteer stats`
 * show them: one table for every reader of the counters (BPF maps, the DPDK
 * shared table). Userspace only.
 */
#ifndef KEYSTEER_REASON_NAMES_H
#define KEYSTEER_REASON_NAMES_H

#include <keysteer/table.h>

KS_INLINE const char *ks_reason_str(unsigned reason)
{
	static const char *const reason_names[KS_R_MAX] = {
	    [KS_R_STEERED] = "steered",
	    [KS_R_NOT_LISTENER] = "not_listener",
	    [KS_R_NO_HEADER] = "no_header",
	    [KS_R_BAD_MAGIC] = "bad_magic",
	    [KS_R_BAD_VERSION] = "bad_version",
	    [KS_R_CLIENT_SHADOW] = "client_shadow",
	    [KS_R_UNKNOWN_KEY] = "unknown_key",
	    [KS_R_FRAGMENT] = "fragment",
	    [KS_R_V6_EXTHDR] = "v6_exthdr",
	    [KS_R_TTL] = "ttl",
	    [KS_R_MTU] = "mtu",
	    [KS_R_NO_NEXTHOP] = "no_nexthop",
	    [KS_R_MALFORMED] = "malformed",
	    [KS_R_TCP_NO_FLOW] = "tcp_no_flow",
	    [KS_R_SHADOW_COPY] = "shadow_copy",
	    [KS_R_NAT_REPLY] = "nat_reply",
	    [KS_R_NO_SHARD] = "no_shard",
	    [KS_R_DEFAULT_DROP] = "default_drop",
	    [KS_R_DEFAULT_PASS] = "default_pass",
	    [KS_R_NAT_FAMILY] = "nat_family",
	    [KS_R_NO_ROOM] = "no_room",
	};

	if (reason >= KS_R_MAX || !reason_names[reason])
		return "?";
	return reason_names[reason];
}

#endif /* KEYSTEER_REASON_NAMES_H */
