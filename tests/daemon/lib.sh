#!/bin/bash
# Helpers for keysteerd's integration tests. Source it with the build dir in
# $BUILD. Every process a test starts is recorded and killed on exit; every
# wait is bounded.
set -euo pipefail

KSD=${KSD:-$BUILD/tests/keysteerd-san}
CTL=$BUILD/tests/ksctl
T=$(mktemp -d /tmp/ks-daemon-test.XXXXXX)
chmod 755 "$T"
PIDS=()
FAILS=0
PASSES=0

cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null || true
	done
	if [ "${KEEP_TMP:-}" = "" ]; then rm -rf "$T"; else echo "kept $T"; fi
}
trap cleanup EXIT

ok() { PASSES=$((PASSES + 1)); echo "ok - $*"; }
not_ok() {
	FAILS=$((FAILS + 1))
	echo "not ok - $*"
	if [ -n "${DLOG:-}" ] && [ -f "$DLOG" ]; then
		echo "--- daemon log (last 30 lines)"; tail -n 200 "$DLOG"; echo "---"
	fi
}
check() { # check DESCRIPTION COMMAND...
	local what=$1; shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}
finish() {
	echo "$PASSES passed, $FAILS failed"
	[ "$FAILS" -eq 0 ]
}

# A rule set: rules_doc VERSION [VIP_LAST_OCTET] [KEY]
rules_doc() {
	local v=$1 vip=${2:-10} key=${3:-k1}
	cat <<JSON
{"schema":"keysteer/v1","version":$v,
 "listeners":[{"vip":"10.0.0.1","port":7000,"proto":"udp"}],
 "shards":{"a":{"vip":"10.1.0.$vip","port":8080},"b":{"vip":"10.2.0.1","port":8080}},
 "routes":[{"key":"$key","to":[{"shard":"a","weight":3},{"shard":"b","weight":1}]},
           {"key":"k2","to":[{"shard":"b"}]}],
 "default":"drop"}
JSON
}
bad_doc() { # a rule set with two errors
	cat <<JSON
{"schema":"keysteer/v1","version":$1,"listeners":[],"shards":{},
 "routes":[{"key":"x","to":[{"shard":"nope"}]}],"default":"drop","colour":"red"}
JSON
}

# publish FILE VERSION...: atomic rename, the way a deploy tool should write.
publish() {
	local f=$1; shift
	rules_doc "$@" >"$f.tmp"
	mv "$f.tmp" "$f"
}

free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_daemon SOCKET LOG ARGS...: start keysteerd, wait for its socket.
start_daemon() {
	local sock=$1 log=$2; shift 2
	"$KSD" --socket "$sock" --log-level debug "$@" 2>"$log" &
	DPID=$!
	PIDS+=("$DPID")
	for _ in $(seq 100); do
		"$CTL" status --socket "$sock" >/dev/null 2>&1 && return 0
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.1
	done
	echo "keysteerd did not come up; log:"; cat "$log"
	return 1
}

stop_daemon() { # stop_daemon PID: SIGTERM and wait (bounded); exit code in $RC
	local p=$1
	RC=0
	kill -TERM "$p"
	for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	wait "$p" || RC=$?
}

# status_field SOCKET JQ_FILTER
status_field() {
	"$CTL" status -j --socket "$1" | jq -r "$2"
}

# wait_version SOCKET VERSION: until the active version is VERSION (10 s).
wait_version() {
	for _ in $(seq 100); do
		[ "$(status_field "$1" '.rules.active_version')" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# wait_attempts SOCKET N: until at least N attempts are recorded (10 s).
wait_attempts() {
	for _ in $(seq 100); do
		[ "$(status_field "$1" '[.rules.counts[]] | add')" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
attempts() { status_field "$1" '[.rules.counts[]] | add'; }
