/* SPDX-License-Identifier: BSD-3-Clause */
/* Enum values as they are written in rule sets, for output. */
#include <netinet/in.h>

#include "rules/rules.h"

const char *ks_steer_name(unsigned steer)
{
	switch (steer) {
	case KS_STEER_GUE:
		return "gue";
	case KS_STEER_IPIP:
		return "ipip";
	case KS_STEER_NAT:
		return "nat";
	}
	return "?";
}

const char *ks_sticky_name(unsigned sticky)
{
	switch (sticky) {
	case KS_STICKY_FLOW:
		return "flow";
	case KS_STICKY_ENTITY:
		return "entity";
	case KS_STICKY_NONE:
		return "none";
	}
	return "?";
}

const char *ks_default_name(unsigned action)
{
	switch (action) {
	case KS_DEFAULT_DROP:
		return "drop";
	case KS_DEFAULT_PASS:
		return "pass";
	}
	return "?";
}

const char *ks_proto_name(unsigned ipproto)
{
	switch (ipproto) {
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_TCP:
		return "tcp";
	}
	return "?";
}
