#!/bin/bash
# keysteerd following a NATS JetStream key-value feed, against a real
# nats-server on loopback (free port, temp store): apply, reject with an ack
# that says why, acks per host, server killed and restarted (last good kept,
# resubscribed, newer version applied), catch-up after a daemon restart,
# rollback from the bucket's history.
BUILD=${1:-build}
source "$(dirname "$0")/lib.sh"

NT=$BUILD/tests/nats_tool
command -v nats-server >/dev/null || { echo "nats-server is not installed (make deps)"; exit 1; }
NPORT=$(free_port)
URL=nats://127.0.0.1:$NPORT
FEED=$URL/ksrules/edge
S=$T/ks.sock
DLOG=$T/daemon.log
ACKS=$T/acks.jsonl

start_nats() {
	nats-server -js -a 127.0.0.1 -p "$NPORT" -sd "$T/js" >"$T/nats.log" 2>&1 &
	NPID=$!
	PIDS+=("$NPID")
	for _ in $(seq 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$NPORT") 2>/dev/null && return 0
		sleep 0.1
	done
	echo "nats-server did not start"; cat "$T/nats.log"; return 1
}
put() { # put VERSION [VIP] | put-file FILE
	rules_doc "$@" >"$T/put.json"
	"$NT" put "$URL" ksrules edge "$T/put.json" >/dev/null
}
put_bad() {
	bad_doc "$1" >"$T/put.json"
	"$NT" put "$URL" ksrules edge "$T/put.json" >/dev/null
}
# wait_ack JQ_FILTER: until an ack line matches (10 s).
wait_ack() {
	for _ in $(seq 100); do
		[ -f "$ACKS" ] && jq -e -s "map(select($1)) | length > 0" "$ACKS" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

start_nats
put 1
# The ack subscriber, for the whole test (bounded: 120 s).
"$NT" sub "$URL" "keysteer.ack.edge-7" "$ACKS" 120 &
PIDS+=($!)
for _ in $(seq 50); do [ -f "$ACKS.ready" ] && break; sleep 0.1; done

start_daemon "$S" "$DLOG" --no-dataplane --metrics off --feed "$FEED" --host-id edge-7
check "version 1 from the bucket" wait_version "$S" 1
check "ack for version 1: applied, from host edge-7" \
	wait_ack '.host == "edge-7" and .version == 1 and .result == "applied" and .errors == []'

put 2 20
check "version 2 applied from a new revision" wait_version "$S" 2
check "ack for version 2" wait_ack '.version == 2 and .result == "applied"'

put_bad 3
check "bad rule set: ack says rejected, with its errors" \
	wait_ack '.version == 3 and .result == "rejected" and (.errors | length >= 2) and any(.errors[]; startswith("routes[0]"))'
check "version 2 stays active after the rejection" wait_version "$S" 2
put 2 30
check "older version: ack says refused" wait_ack '.version == 2 and .result == "refused"'

# The server dies: the daemon keeps the last good rules and reports it.
kill -KILL "$NPID"
wait "$NPID" 2>/dev/null || true
sleep 1.5
check "server down: version 2 still active" wait_version "$S" 2
check "server down: feed state says so" \
	bash -c "$CTL status -j --socket $S | jq -e '.feed.state | test(\"disconnected|reconnecting|cannot\")' >/dev/null"
start_nats
# Resubscribed: a newer version published after the restart is applied.
for _ in $(seq 100); do
	[ "$(status_field "$S" .feed.reconnects)" -ge 1 ] && break
	sleep 0.1
done
check "reconnected to the restarted server" test "$(status_field "$S" .feed.reconnects)" -ge 1
put 4 40
check "after the restart, version 4 applied" wait_version "$S" 4
check "ack for version 4 after the restart" wait_ack '.version == 4 and .result == "applied"'

# Catch-up: the daemon is down while two versions are published; it starts
# on the latest.
stop_daemon "$DPID"
check "daemon stops cleanly" test "$RC" = 0
put 5 50
put 6 60
start_daemon "$S" "$DLOG.2" --no-dataplane --metrics off --feed "$FEED" --host-id edge-7
DLOG=$DLOG.2
check "restarted daemon catches up to version 6" wait_version "$S" 6
check "it skipped version 5 (superseded), one attempt" test "$(attempts "$S")" = 1

# Rollback from the bucket's history (this daemon never applied version 2).
check "rollback 2 from the bucket history" "$CTL" rollback --socket "$S" 2
check "version 2 active after rollback" wait_version "$S" 2
check "rollback source names the history revision" \
	bash -c "$CTL status -j --socket $S | jq -e '.rules.attempts[0].source | test(\"history\")' >/dev/null"
check "ack for the rollback" wait_ack '.version == 2 and .rollback == true and .result == "applied"'
check "rollback (previous: newest below 2 is 1)" "$CTL" rollback --socket "$S"
check "version 1 active" wait_version "$S" 1
out=$("$CTL" rollback --socket "$S" 42 2>&1) && rc=0 || rc=$?
check "rollback to a version not in the history: exit 1" test "$rc" = 1

# The key deleted: reported, last good kept.
"$NT" del "$URL" ksrules edge
sleep 1
check "key deleted: version 1 stays" wait_version "$S" 1
check "key deletion logged" grep -q "key deleted or purged" "$DLOG"
put 7 70
check "a new version after deletion applies" wait_version "$S" 7

stop_daemon "$DPID"
check "SIGTERM exits 0 (NATS threads joined)" test "$RC" = 0
check "no sanitizer report" bash -c "! grep -q 'ERROR: AddressSanitizer\|runtime error' $T/daemon.log*"
finish
