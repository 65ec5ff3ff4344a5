/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keysteer's client tagger: a sockops program attached to a cgroup v2
 * directory (`keysteer tag --cgroup PATH --key KEY [--entity N]`). Every TCP
 * connection a process in that cgroup opens carries the keysteer option
 * (kind 253, ExID 0x4B53, routing key, entity; include/keysteer/wire.h) on
 * its SYN, so an unmodified client (curl, a gRPC client) is routed by key.
 *
 * Only active opens are tagged (TCP_CONNECT_CB turns the header-option
 * callbacks on for that socket), only SYNs carry the option (the router pins
 * the connection on the SYN, later segments need nothing), and once the
 * connection is established the callbacks are turned off again so the rest
 * of its life costs nothing. Retransmitted SYNs are tagged too.
 *
 * The key and entity are constants of each loaded copy (.rodata, set by the
 * loader): one copy per tagged cgroup, replaced atomically on a re-tag.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <keysteer/wire.h>

#define TCPHDR_SYN 0x02
#define TCPHDR_ACK 0x10

const volatile __u64 ks_tag_key = 0;
const volatile __u32 ks_tag_entity = 0;

/* Read by `keysteer tag --cgroup PATH` (show) through the .bss map. */
__u64 ks_tag_syns = 0;	  /* SYNs that left with the option */
__u64 ks_tag_no_room = 0; /* SYNs whose option space was already full */

static __always_inline int is_syn(const struct bpf_sock_ops *skops)
{
	return (skops->skb_tcp_flags & (TCPHDR_SYN | TCPHDR_ACK)) == TCPHDR_SYN;
}

static __always_inline void write_option(struct bpf_sock_ops *skops)
{
	struct ks_tcpopt opt;

	ks_tcpopt_encode(&opt, ks_tag_key, ks_tag_entity);
	if (bpf_store_hdr_opt(skops, &opt, sizeof(opt), 0))
		__sync_fetch_and_add(&ks_tag_no_room, 1);
	else
		__sync_fetch_and_add(&ks_tag_syns, 1);
}

SEC("sockops")
int ks_tag(struct bpf_sock_ops *skops)
{
	switch (skops->op) {
	case BPF_SOCK_OPS_TCP_CONNECT_CB:
		bpf_sock_ops_cb_flags_set(skops, skops->bpf_sock_ops_cb_flags |
						     BPF_SOCK_OPS_WRITE_HDR_OPT_CB_FLAG);
		break;
	case BPF_SOCK_OPS_HDR_OPT_LEN_CB:
		/* Also called to size data segments (no skb, no flags): reserve nothing then. */
		if (is_syn(skops))
			bpf_reserve_hdr_opt(skops, KS_TCPOPT_LEN, 0);
		break;
	case BPF_SOCK_OPS_WRITE_HDR_OPT_CB:
		if (is_syn(skops))
			write_option(skops);
		break;
	case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
		bpf_sock_ops_cb_flags_set(skops, skops->bpf_sock_ops_cb_flags &
						     ~BPF_SOCK_OPS_WRITE_HDR_OPT_CB_FLAG);
		break;
	default:
		break;
	}
	return 1;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
