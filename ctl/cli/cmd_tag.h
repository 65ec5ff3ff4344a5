/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keysteer tag --cgroup PATH --key KEY [--entity N]: tag the TCP SYNs of
 * every process in a cgroup v2 directory with the keysteer option, so
 * unmodified clients are routed by key (ctl/client/ks_tag.h, bpf/ks_tag.bpf.c).
 * Also --remove, and with neither --key nor --remove: show the tag.
 *
 * For main.c's commands[]: {"tag", "...", ks_cmd_tag, ks_help_tag}; link
 * ctl/client/ks_tag.c and ctl/client/ks_client.c with -lbpf (and the
 * build/bpf/ks_tag.skel.h skeleton must exist: see mk/lab.mk).
 */
#ifndef KS_CLI_CMD_TAG_H
#define KS_CLI_CMD_TAG_H

int ks_cmd_tag(int argc, char **argv);
extern const char ks_help_tag[];

#endif
