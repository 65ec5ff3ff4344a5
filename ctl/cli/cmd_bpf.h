/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Data-plane commands that work on the pinned BPF state directly, with no
 * daemon: attach/detach the XDP router, read its counters, and the shard-side
 * decapsulator. Each takes --pin-root DIR so instances in different network
 * namespaces stay apart, and prints its own --help (register with help NULL).
 *
 *   keysteer attach     --iface IF... [--xdp-mode M] [--obj PATH] [--reload]
 *   keysteer xdp-detach [--iface IF...] [--purge]        (ks_cmd_bpf_detach)
 *   keysteer stats      [-j] [--top N]                   (ks_cmd_bpf_stats)
 *   keysteer decap attach|detach|stats --iface IF [--gue-port N] [--xdp-mode M]
 *
 * keysteerd's control-socket commands (cmd_ctl.h) already use the names
 * ks_cmd_stats and ks_cmd_detach; these read the pins instead, e.g. when no
 * daemon runs, so they carry a bpf_ prefix. Exit codes: KS_EXIT_* (cli.h).
 */
#ifndef KS_CLI_CMD_BPF_H
#define KS_CLI_CMD_BPF_H

int ks_cmd_attach(int argc, char **argv);
int ks_cmd_bpf_detach(int argc, char **argv);
int ks_cmd_bpf_stats(int argc, char **argv);
int ks_cmd_decap(int argc, char **argv);

/* stats from keysteerd, or from the pinned maps with --pin-root (cmd_stats_any.c). */
int ks_cmd_stats_any(int argc, char **argv);

#endif
