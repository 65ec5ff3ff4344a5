#!/bin/bash
# The control socket: mode and owner, SO_PEERCRED checks, the group option,
# two daemons side by side, usage errors and the no-daemon message.
BUILD=${1:-build}
source "$(dirname "$0")/lib.sh"

S1=$T/a/ks.sock
S2=$T/b/ks.sock
DLOG=$T/d1.log
GID=$(getent group nogroup | cut -d: -f3)
start_daemon "$S1" "$T/d1.log" --no-dataplane --metrics off --socket-group "$GID"
P1=$DPID
start_daemon "$S2" "$T/d2.log" --no-dataplane --metrics off
P2=$DPID

check "socket mode 0660 owned by root:nogroup" test "$(stat -c '%a %u %g' "$S1")" = "660 0 $GID"
check "second socket owned by root:root" test "$(stat -c '%a %u %g' "$S2")" = "660 0 0"

rules_doc 1 >"$T/r1.json"
rules_doc 2 >"$T/r2.json"
chmod 644 "$T"/r*.json
check "apply to daemon 1" "$CTL" apply --socket "$S1" "$T/r1.json"
check "apply to daemon 2" "$CTL" apply --socket "$S2" "$T/r2.json"
check "daemons are independent (1)" wait_version "$S1" 1
check "daemons are independent (2)" wait_version "$S2" 2

# nobody, with no group: the socket's mode keeps it out.
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$CTL" status --socket "$S2" 2>&1) && rc=0 || rc=$?
check "nobody on a root:root socket: exit 3" test "$rc" = 3
check "nobody on a root:root socket: permission denied" grep -q "permission denied" <<<"$out"

# nobody in the socket's group: allowed (mode and SO_PEERCRED).
check "a member of the socket group is served" \
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$CTL" status --socket "$S1"
check "... and by supplementary group too" \
	setpriv --reuid=nobody --regid=1 --groups "$GID" "$CTL" status --socket "$S1"

# Even when the file mode lets someone in, SO_PEERCRED refuses strangers.
chmod 666 "$S2"
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$CTL" status --socket "$S2" 2>&1) && rc=0 || rc=$?
check "SO_PEERCRED refuses a stranger: exit 3" test "$rc" = 3
check "SO_PEERCRED refusal says permission denied" grep -q "permission denied" <<<"$out"
check "the daemon logged the refused peer" grep -q "refused peer uid 65534" "$T/d2.log"

# A second daemon on a socket already served is refused.
"$KSD" --no-dataplane --metrics off --socket "$S1" 2>"$T/d3.log" && rc=0 || rc=$?
check "second daemon on a live socket exits 1" test "$rc" = 1
check "and says another keysteerd answers there" grep -q "another keysteerd" "$T/d3.log"

# Usage errors: exit 2.
"$CTL" lookup --socket "$S1" >/dev/null 2>&1 && rc=0 || rc=$?
check "lookup without a key: exit 2" test "$rc" = 2
"$CTL" rollback --socket "$S1" abc >/dev/null 2>&1 && rc=0 || rc=$?
check "rollback with a bad version: exit 2" test "$rc" = 2
"$CTL" status --bogus >/dev/null 2>&1 && rc=0 || rc=$?
check "unknown option: exit 2" test "$rc" = 2
check "--help exits 0" "$CTL" apply --help
"$KSD" --help | grep -q -- "--xdp-mode" && rc=0 || rc=$?
check "keysteerd --help lists the options" test "$rc" = 0
"$KSD" --no-dataplane --bogus 2>/dev/null && rc=0 || rc=$?
check "keysteerd with an unknown option exits 2" test "$rc" = 2

# Config file with flags overriding it.
cat >"$T/ks.conf" <<CONF
# test config
no-dataplane = yes
metrics = off
socket = $T/c/wrong.sock
history = 3
CONF
start_daemon "$T/c/ks.sock" "$T/d4.log" --config "$T/ks.conf"
P4=$DPID
check "config file read, --socket flag wins" test -S "$T/c/ks.sock" -a ! -e "$T/c/wrong.sock"
for v in 1 2 3 4 5; do rules_doc $v >"$T/v.json"; "$CTL" apply --socket "$T/c/ks.sock" "$T/v.json" >/dev/null; done
check "history from the config file (3 attempts kept)" \
	test "$(status_field "$T/c/ks.sock" '.rules.attempts | length')" = 3

# detach stops the daemon (no data plane here: nothing to remove).
check "detach exits 0" "$CTL" detach --socket "$T/c/ks.sock"
for _ in $(seq 50); do kill -0 "$P4" 2>/dev/null || break; sleep 0.1; done
check "daemon stopped after detach" bash -c "! kill -0 $P4 2>/dev/null"

# The same commands through the real `keysteer` binary.
KS=$BUILD/keysteer
check "keysteer status (the CLI binary) talks to keysteerd" \
	bash -c "$KS status -j --socket $S1 | jq -e '.rules.active_version == 1' >/dev/null"
check "keysteer lookup (the CLI binary)" \
	bash -c "$KS lookup --socket $S1 k1 | grep -q 'target a'"

# No daemon at all.
out=$("$CTL" status --socket "$T/none/ks.sock" 2>&1) && rc=0 || rc=$?
check "no daemon: exit 3" test "$rc" = 3
check "no daemon: clear message" grep -q "keysteerd is not running" <<<"$out"
out=$(KEYSTEER_SOCKET="$T/none/ks.sock" "$CTL" stats 2>&1) && rc=0 || rc=$?
check "KEYSTEER_SOCKET is honoured" grep -q "$T/none/ks.sock" <<<"$out"

stop_daemon "$P1"; check "daemon 1 exits 0 on SIGTERM" test "$RC" = 0
stop_daemon "$P2"; check "daemon 2 exits 0 on SIGTERM" test "$RC" = 0
check "no sanitizer report" bash -c "! grep -q 'ERROR: AddressSanitizer\|runtime error' $T/d*.log"
finish
