#!/bin/bash
# keysteerd end to end with a file feed and no data plane (--no-dataplane):
# apply, reject, refuse, rollback, atomic rename and in-place rewrite,
# truncation and deletion, SIGHUP, lookup, stats, metrics, SIGTERM; a
# ConfigMap-style link chain swapped by renaming a new ..data link.
BUILD=${1:-build}
source "$(dirname "$0")/lib.sh"

S=$T/ks.sock
F=$T/feed/rules.json
DLOG=$T/daemon.log
mkdir -p "$T/feed"
publish "$F" 1
PORT=$(free_port)
start_daemon "$S" "$DLOG" --no-dataplane --feed "file:$F" --metrics "127.0.0.1:$PORT" \
	--history 8 --host-id edge-test
check "version 1 from the feed file at start" wait_version "$S" 1
check "feed state ok" test "$(status_field "$S" .feed.state)" = ok
# The attempt record: when, what and how big (rules_doc: 2 routes, 2 shards, 1 listener).
A=$("$CTL" status -j --socket "$S" | jq -c '.rules.attempts[0]')
check "attempt: applied version 1 from the feed file" \
	test "$(jq -r '"\(.version) \(.result) \(.source)"' <<<"$A")" = "1 applied file:$F"
check "attempt: sizes of the rule set" \
	test "$(jq -r '"\(.routes) \(.shards) \(.listeners) \(.doc_bytes == ('"$(stat -c %s "$F")"'))"' <<<"$A")" = "2 2 1 true"
check "attempt: table bytes and entries written" \
	jq -e '.table_bytes > 0 and .entries_written > 0 and .total_ms >= .compile_ms' <<<"$A"
check "attempt: its time is now (within a minute)" \
	jq -e --argjson now "$(date +%s%3N)" '(.time_ms - $now) | fabs < 60000' <<<"$A"

# A bad rule set through the feed: rejected with every error, old stays.
n=$(attempts "$S")
bad_doc 2 >"$F.tmp" && mv "$F.tmp" "$F"
wait_attempts "$S" $((n + 1))
check "bad rule set rejected" test "$(status_field "$S" '.rules.attempts[0].result')" = rejected
check "its errors name JSON paths" \
	bash -c "$CTL status -j --socket $S | jq -e '.rules.attempts[0].errors | length >= 2 and any(.[]; startswith(\"routes[0]\"))' >/dev/null"
check "version 1 stays active after the rejection" wait_version "$S" 1
check "status (text) shows the errors" bash -c "$CTL status --socket $S | grep -q 'routes\\[0\\]'"

# An older/equal version through the feed is refused.
n=$(attempts "$S")
publish "$F" 1 20
wait_attempts "$S" $((n + 1))
check "equal version refused" test "$(status_field "$S" '.rules.attempts[0].result')" = refused

# In-place rewrite (no rename).
rules_doc 3 >"$F"
check "in-place rewrite applied (version 3)" wait_version "$S" 3

# A writer that stops half-way: rejected; the completed file then applies.
n=$(attempts "$S")
rules_doc 4 | head -c 120 >"$F"
wait_attempts "$S" $((n + 1))
check "half-written file rejected" test "$(status_field "$S" '.rules.attempts[0].result')" = rejected
check "version 3 kept" wait_version "$S" 3
rules_doc 4 >"$F"
check "finished file applied (version 4)" wait_version "$S" 4

# Truncated, then deleted: reported, last good kept, nothing applied.
n=$(attempts "$S")
: >"$F"
sleep 0.5
check "truncation reported" test "$(status_field "$S" .feed.state)" = empty
rm -f "$F"
sleep 0.5
check "deletion reported" test "$(status_field "$S" .feed.state)" = missing
check "no attempt on truncation or deletion" test "$(attempts "$S")" = "$n"
check "version 4 still active" wait_version "$S" 4
publish "$F" 5
check "feed back with version 5" wait_version "$S" 5

# SIGHUP re-reads the feed: the same file again is an attempt (refused: equal).
n=$(attempts "$S")
kill -HUP "$DPID"
check "SIGHUP re-read the feed" wait_attempts "$S" $((n + 1))
check "version 5 still active after SIGHUP" wait_version "$S" 5

# keysteer apply: good, older (exit 1 with the reason), invalid (exit 1, every error).
rules_doc 6 >"$T/v6.json"
check "apply FILE (version 6) exits 0" "$CTL" apply --socket "$S" "$T/v6.json"
rules_doc 2 >"$T/v2.json"
out=$("$CTL" apply --socket "$S" "$T/v2.json" 2>&1) && rc=0 || rc=$?
check "apply of an older version exits 1" test "$rc" = 1
check "and says why" grep -q "not newer than the active version 6" <<<"$out"
bad_doc 7 >"$T/bad.json"
out=$("$CTL" apply --socket "$S" "$T/bad.json" 2>&1) && rc=0 || rc=$?
check "apply of an invalid rule set exits 1" test "$rc" = 1
check "and lists its errors" grep -q "routes\[0\]" <<<"$out"
check "apply -j answers JSON" bash -c "$CTL apply -j --socket $S $T/v2.json | jq -e '.attempt.result == \"refused\"' >/dev/null"

# Rollback: to the previous version, then to an explicit one; unknown refused.
check "rollback (no version) exits 0" "$CTL" rollback --socket "$S"
check "rolled back to 5" wait_version "$S" 5
check "rollback 3" "$CTL" rollback --socket "$S" 3
check "rolled back to 3" wait_version "$S" 3
out=$("$CTL" rollback --socket "$S" 99 2>&1) && rc=0 || rc=$?
check "rollback to an unknown version exits 1" test "$rc" = 1
check "and says it is not kept" grep -q "99" <<<"$out"
# After rolling back from 6, the feed must go above 6.
n=$(attempts "$S")
publish "$F" 6 30
wait_attempts "$S" $((n + 1))
check "feed version 6 refused after a rollback from 6" test "$(status_field "$S" '.rules.attempts[0].result')" = refused
publish "$F" 7
check "feed version 7 applied" wait_version "$S" 7

# lookup: a known key (weights 75/25, why), an unknown key (default drop).
L=$("$CTL" lookup -j --socket "$S" k1)
check "lookup k1 steers" test "$(jq -r .decision <<<"$L")" = steer
check "lookup k1 targets a 75% and b 25%" \
	test "$(jq -c '[.targets[] | [.shard, .weight_percent]]' <<<"$L")" = '[["a",75],["b",25]]'
check "lookup k1 names the VIP" test "$(jq -r '.targets[0].vip' <<<"$L")" = 10.1.0.10
check "lookup explains why" grep -q "generation" <<<"$(jq -r .why <<<"$L")"
L=$("$CTL" lookup -j --socket "$S" nope)
check "lookup of an unknown key: default drop" test "$(jq -r .decision <<<"$L")" = drop
check "lookup text output" bash -c "$CTL lookup --socket $S k1 | grep -q 'target a: 10.1.0.10'"

# stats through the daemon.
check "stats -j" bash -c "$CTL stats -j --socket $S | jq -e '.stats.total_keys == 2 and (.stats.reasons | has(\"reason_0\") or has(\"steered\"))' >/dev/null"
check "stats text" bash -c "$CTL stats --socket $S | grep -q 'other'"

# Metrics.
M=$(curl -sf "http://127.0.0.1:$PORT/metrics")
check "metrics: active version" grep -qx "keysteer_rules_active_version 7" <<<"$M"
check "metrics: apply latency histogram" grep -q 'keysteer_rules_apply_latency_seconds_bucket{le="+Inf"}' <<<"$M"
check "metrics: applied count" grep -q 'keysteer_rules_apply_total{result="applied"}' <<<"$M"
check "metrics: keys bounded with other" grep -q 'keysteer_key_packets_total{key="other"}' <<<"$M"
check "metrics: per key" grep -q 'keysteer_key_packets_total{key="k1"}' <<<"$M"
check "metrics: per shard" grep -q 'keysteer_shard_packets_total{shard="a"}' <<<"$M"
check "metrics: 404 elsewhere" test "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/")" = 404

# Idle: the daemon sleeps (no busy polling): under 2% of a CPU over 2 s.
t0=$(awk '{print $14+$15}' "/proc/$DPID/stat")
sleep 2
t1=$(awk '{print $14+$15}' "/proc/$DPID/stat")
check "idle CPU below 2% ($((t1 - t0)) ticks in 2 s)" test $((t1 - t0)) -le 4

# SIGTERM: exits 0, removes its socket; the client then says it is not running.
stop_daemon "$DPID"
check "SIGTERM exits 0" test "$RC" = 0
check "socket removed" test ! -e "$S"
out=$("$CTL" status --socket "$S" 2>&1) && rc=0 || rc=$?
check "status without a daemon exits 3" test "$rc" = 3
check "and says keysteerd is not running" grep -q "not running" <<<"$out"
check "no sanitizer report" bash -c "! grep -q 'ERROR: AddressSanitizer\|runtime error' $DLOG"

# A Kubernetes ConfigMap volume: rules.json -> ..data/rules.json and
# ..data -> ..TIMESTAMP. kubelet updates it the way cm_swap does: a new
# timestamped directory, a new link ..data_tmp renamed over ..data (one
# atomic rename), then the old directory removed. Nothing named rules.json
# changes; keysteerd must still see each new version.
K=$T/configmap
S2=$T/ks2.sock
DLOG=$T/daemon-configmap.log
mkdir -p "$K/..2026_11_26_14_00_00.000000001"
rules_doc 1 >"$K/..2026_11_26_14_00_00.000000001/rules.json"
ln -s ..2026_11_26_14_00_00.000000001 "$K/..data"
ln -s ..data/rules.json "$K/rules.json"
CM_CUR=..2026_11_26_14_00_00.000000001
cm_seq=1
cm_swap() { # cm_swap DOC-COMMAND...: publish its output as kubelet would
	cm_seq=$((cm_seq + 1))
	local d
	d=..2026_11_26_14_00_0${cm_seq}.00000000${cm_seq}
	mkdir "$K/$d"
	"$@" >"$K/$d/rules.json"
	ln -s "$d" "$K/..data_tmp"
	mv -T "$K/..data_tmp" "$K/..data"
	rm -rf "${K:?}/$CM_CUR"
	CM_CUR=$d
}
start_daemon "$S2" "$DLOG" --no-dataplane --feed "file:$K/rules.json" --metrics off
check "configmap: version 1 through the link chain" wait_version "$S2" 1
cm_swap rules_doc 2
check "configmap: ..data swapped, version 2 applied" wait_version "$S2" 2
check "configmap: status says where the link chain leads" \
	bash -c "$CTL status -j --socket $S2 | jq -e '.feed.leads_to | endswith(\"/..2026_11_26_14_00_02.000000002/rules.json\")' >/dev/null"
n=$(attempts "$S2")
cm_swap bad_doc 3
wait_attempts "$S2" $((n + 1))
check "configmap: a bad version is rejected" \
	test "$(status_field "$S2" '.rules.attempts[0].result')" = rejected
check "configmap: version 2 stays" wait_version "$S2" 2
cm_swap rules_doc 4 11
check "configmap: the next swap applies (version 4)" wait_version "$S2" 4
check "configmap: feed state ok" test "$(status_field "$S2" .feed.state)" = ok
check "configmap: old data directories are gone" \
	test "$(find "$K" -maxdepth 1 -name '..2026_*' | wc -l)" = 1
# Entries that do not change where rules.json leads: no read, no attempt.
n=$(attempts "$S2")
reads=$(status_field "$S2" .feed.reads)
mkdir "$K/unrelated" && touch "$K/unrelated-file" && rm -rf "$K/unrelated" "$K/unrelated-file"
sleep 0.5
check "configmap: unrelated entries make no attempt" test "$(attempts "$S2")" = "$n"
check "configmap: and no read" test "$(status_field "$S2" .feed.reads)" = "$reads"
# The target rewritten in place (a hand edit inside the data directory) is seen too.
rules_doc 5 >"$K/$CM_CUR/rules.json"
check "configmap: the target rewritten in place applies (version 5)" wait_version "$S2" 5
stop_daemon "$DPID"
check "configmap: SIGTERM exits 0" test "$RC" = 0
check "configmap: no sanitizer report" \
	bash -c "! grep -q 'ERROR: AddressSanitizer\|runtime error' $DLOG"
finish
