#!/bin/bash
# keysteerd with the real BPF tables (the table backend on pinned maps,
# --maps-only: no XDP program needed): apply and flip, lookup read from the
# maps, counters summed over CPUs, SIGKILL and restart re-adopting the
# tables, a rollback's floor surviving a restart, SIGTERM leaving the tables
# in place, detach removing them.
BUILD=${1:-build}
source "$(dirname "$0")/lib.sh"

mountpoint -q /sys/fs/bpf || { echo "bpffs is not mounted at /sys/fs/bpf (make deps)"; exit 1; }
PIN=/sys/fs/bpf/ks-test-tables-$$
trap 'cleanup; rm -rf "$PIN"' EXIT
S=$T/ks.sock
F=$T/rules.json
DLOG=$T/daemon.log
PORT=$(free_port)
DARGS=(--maps-only --pin-root "$PIN" --max-routes 65536 --flows-per-cpu 1024 --feed "file:$F"
	--metrics "127.0.0.1:$PORT")

publish "$F" 1
start_daemon "$S" "$DLOG" "${DARGS[@]}"
check "version 1 written to the maps" wait_version "$S" 1
check "maps pinned under the pin root" test -e "$PIN/ks_active" -a -e "$PIN/ks_routes0" -a -e "$PIN/ks_routes1"
# --flows-per-cpu sizes the connection and NAT tables: N entries per possible CPU.
possible_cpus() {
	local n=0 r a b
	IFS=, read -ra rs </sys/devices/system/cpu/possible
	for r in "${rs[@]}"; do
		a=${r%-*} b=${r#*-}
		n=$((n + b - a + 1))
	done
	echo "$n"
}
FLOWS=$((1024 * $(possible_cpus)))
for m in ks_flows4 ks_flows6 ks_nat_rev; do
	check "--flows-per-cpu 1024: $m holds $FLOWS entries" \
		test "$(bpftool -j map show pinned "$PIN/$m" | jq -r .max_entries)" = "$FLOWS"
done
check "status names the bpf data plane" test "$(status_field "$S" .daemon.dataplane)" = bpf
G1=$("$CTL" lookup -j --socket "$S" k1 | jq -r .generation)
check "lookup reads the config of the active generation" \
	test "$("$CTL" lookup -j --socket "$S" k1 | jq -r .version)" = 1

publish "$F" 2 20
check "version 2 applied" wait_version "$S" 2
L=$("$CTL" lookup -j --socket "$S" k1)
check "the flip changed the active generation" test "$(jq -r .generation <<<"$L")" != "$G1"
check "lookup from the maps: new VIP of shard a" test "$(jq -r '.targets[0].vip' <<<"$L")" = 10.1.0.20
check "lookup from the maps: 75/25 buckets" \
	test "$(jq -c '[.targets[] | .buckets_last]' <<<"$L")" = '[49151,65535]'
check "ks_active holds the generation" \
	test "$(bpftool -j map lookup pinned "$PIN/ks_active" key 0 0 0 0 | jq -r '.formatted.value.gen // .value.gen')" = "$(jq -r .generation <<<"$L")"

# Counters: set per-CPU values in the maps, read the sums through the daemon.
NCPU=$(bpftool -j map lookup pinned "$PIN/ks_reason_stats" key 0 0 0 0 | jq '.values | length')
bpftool map update pinned "$PIN/ks_reason_stats" key 0 0 0 0 value 5 0 0 0 0 0 0 0 100 0 0 0 0 0 0 0
SLOT=$(jq -r .stats_slot <<<"$L")
sl=$(printf '%d %d %d %d' $((SLOT & 255)) $(((SLOT >> 8) & 255)) $(((SLOT >> 16) & 255)) $((SLOT >> 24)))
# struct ks_key_stats: packets, bytes, target_packets[8], shadow_packets.
bpftool map update pinned "$PIN/ks_key_stats" key $sl value 7 0 0 0 0 0 0 0 64 0 0 0 0 0 0 0 $(printf '0 %.0s' $(seq 72))
ST=$("$CTL" stats -j --socket "$S" --top 1)
check "reason counter summed over $NCPU CPUs" \
	test "$(jq -r .stats.reasons.steered.packets <<<"$ST")" = $((5 * NCPU))
check "top key is k1 with its packets summed" \
	test "$(jq -c '.stats.keys[0] | [.key, .packets]' <<<"$ST")" = "[\"k1\",$((7 * NCPU))]"
check "the other key is counted under other" test "$(jq -r .stats.other.keys <<<"$ST")" = 1
M=$(curl -sf "http://127.0.0.1:$PORT/metrics")
check "metrics: steered packets" grep -qx "keysteer_packets_total{reason=\"steered\"} $((5 * NCPU))" <<<"$M"
check "metrics: key k1" grep -qx "keysteer_key_packets_total{key=\"k1\"} $((7 * NCPU))" <<<"$M"

# SIGKILL: the tables stay; a restart re-adopts version 2 and goes on.
kill -KILL "$DPID"
wait "$DPID" 2>/dev/null || true
check "tables survive SIGKILL" test -e "$PIN/ks_active"
check "the last flip survives SIGKILL" \
	test "$(bpftool -j map lookup pinned "$PIN/ks_active" key 0 0 0 0 | jq -r '.formatted.value.gen // .value.gen')" = "$(jq -r .generation <<<"$L")"
rm -f "$S"
start_daemon "$S" "$DLOG.2" "${DARGS[@]}"
DLOG=$DLOG.2
check "restart adopts version 2 from the maps" wait_version "$S" 2
check "restart logged the adoption" grep -q "adopted the running data plane at version 2" "$DLOG"
check "the feed's version 2 is not re-applied (refused as equal)" \
	test "$(status_field "$S" '.rules.counts.applied')" = 0
check "after the restart, stats name the keys again (from the feed's version 2)" \
	test "$("$CTL" stats -j --socket "$S" | jq -r '.stats.total_keys')" = 2
check "after the restart, lookup names the route" \
	test "$("$CTL" lookup -j --socket "$S" k1 | jq -r '.key_text')" = k1
publish "$F" 3 30
check "version 3 applied after the restart" wait_version "$S" 3
check "lookup after restart sees version 3" \
	test "$("$CTL" lookup -j --socket "$S" k1 | jq -r '.targets[0].vip')" = 10.1.0.30

# A change of one route's weights in place: compiled incrementally once the
# index of version 3 is built (in the background), same tables as a full compile.
for _ in $(seq 100); do
	[ "$(status_field "$S" .rules.incremental_ready)" = true ] && break
	sleep 0.1
done
check "incremental index ready" test "$(status_field "$S" .rules.incremental_ready)" = true
sed 's/"version":3,/"version":4,/; s/"weight":3/"weight":1/' "$F" >"$F.tmp" && mv "$F.tmp" "$F"
check "version 4 applied" wait_version "$S" 4
check "compiled incrementally, one route" \
	test "$(status_field "$S" '.rules.attempts[0] | "\(.compile) \(.routes_compiled)"')" = "incremental 1"
check "the incremental result in the maps: k1 now 50/50" \
	test "$("$CTL" lookup -j --socket "$S" k1 | jq -c '[.targets[] | .buckets_last]')" = '[32767,65535]'

# A rollback outlives the daemon: its floor is pinned with the tables, so
# a restart does not re-apply the rolled-back version the feed still holds.
check "rollback to 3" "$CTL" rollback --socket "$S" 3
check "version 3 active after the rollback" wait_version "$S" 3
check "the floor is pinned beside the tables" test -e "$PIN/ks_ctl_state"
kill -KILL "$DPID"
wait "$DPID" 2>/dev/null || true
rm -f "$S"
start_daemon "$S" "$DLOG.r" "${DARGS[@]}"
DLOG=$DLOG.r
check "restart after the rollback adopts version 3" wait_version "$S" 3
check "the restart takes the pinned floor" grep -q "rollback floor 4 kept with the tables" "$DLOG"
check "the same --flows-per-cpu on the pinned tables: no warning" \
	bash -c "! grep -q 'pinned connection tables' '$DLOG'"
check "status shows the floor" test "$(status_field "$S" .rules.high_water)" = 4
check "the feed's version 4 is refused, not re-applied" wait_attempts "$S" 1
check "refused because it is not above the floor" \
	test "$(status_field "$S" '.rules.attempts[0] | "\(.version) \(.result)"')" = "4 refused"
check "version 3 is still active" test "$(status_field "$S" .rules.active_version)" = 3
sed 's/"version":4,/"version":5,/' "$F" >"$F.tmp" && mv "$F.tmp" "$F"
check "version 5, above the floor, is applied" wait_version "$S" 5

# SIGTERM leaves the tables; detach removes them.
stop_daemon "$DPID"
check "SIGTERM exits 0" test "$RC" = 0
check "tables stay after SIGTERM" test -e "$PIN/ks_active"
start_daemon "$S" "$DLOG.3" "${DARGS[@]}" --flows-per-cpu 2048
DLOG=$DLOG.3
check "adopted again (version 5)" wait_version "$S" 5
check "a new --flows-per-cpu on pinned tables is said not to apply" \
	grep -q -- "--flows-per-cpu 2048: the pinned connection tables under $PIN hold $FLOWS entries" "$DLOG"
check "the pinned tables kept their size" \
	test "$(bpftool -j map show pinned "$PIN/ks_flows4" | jq -r .max_entries)" = "$FLOWS"
check "detach" "$CTL" detach --socket "$S"
for _ in $(seq 50); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
check "daemon gone after detach" bash -c "! kill -0 $DPID 2>/dev/null"
check "pinned tables removed by detach" test ! -e "$PIN/ks_active"
check "the rollback floor removed by detach" test ! -e "$PIN/ks_ctl_state"
check "no sanitizer report" bash -c "! grep -q 'ERROR: AddressSanitizer\|runtime error' $T/daemon.log*"
finish
