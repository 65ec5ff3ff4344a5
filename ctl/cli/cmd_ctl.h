/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `keysteer` commands that talk to a running keysteerd over its control
 * socket (ctl/ctlsock): apply, status, stats, lookup, rollback, detach.
 * argv[0] is the command's name. Each takes -j (JSON output), --socket PATH
 * (default $KEYSTEER_SOCKET or /run/keysteer/keysteerd.sock) and --help.
 *
 * Exit codes: 0 done; 1 the daemon refused or failed (a rejected rule set,
 * an unknown version, ...); 2 usage; 3 the daemon cannot be reached (not
 * running, or permission denied).
 */
#ifndef KS_CLI_CMD_CTL_H
#define KS_CLI_CMD_CTL_H

#define KS_CTL_EXIT_OK		0
#define KS_CTL_EXIT_FAILED	1
#define KS_CTL_EXIT_USAGE	2
#define KS_CTL_EXIT_UNREACHABLE 3

int ks_cmd_apply(int argc, char **argv);
int ks_cmd_status(int argc, char **argv);
int ks_cmd_stats(int argc, char **argv);
int ks_cmd_lookup(int argc, char **argv);
int ks_cmd_rollback(int argc, char **argv);
int ks_cmd_detach(int argc, char **argv);

#endif
