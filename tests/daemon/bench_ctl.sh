#!/bin/bash
# make bench-ctl: feed change -> flip latency of keysteerd on the real BPF
# tables (--maps-only: the table backend on pinned maps; the XDP program does
# not change what the controller writes). One-key change on a 100k-key table
# (p50/p99), full rewrite of 100k and 1M keys. Prints figures, and how many
# CPUs were idle before each run (the VM is shared); asserts nothing about
# time. Method and figures: docs/controller-performance.md.
BUILD=${1:-build}
KSD=$BUILD/keysteerd
source "$(dirname "$0")/lib.sh"
PIN=/sys/fs/bpf/ks-bench-ctl-$$
trap 'cleanup; rm -rf "$PIN"' EXIT
mountpoint -q /sys/fs/bpf || { echo "bpffs is not mounted (make deps)"; exit 1; }
B=$BUILD/tests/bench_ctl
S=$T/ks.sock
F=$T/rules.json
echo '{}' >"$F"

# CPUs idle over one second (the VM is shared: figures depend on it).
idle_cpus() {
	local a b
	read -ra a < <(head -1 /proc/stat)
	sleep 1
	read -ra b < <(head -1 /proc/stat)
	local tot=0 i
	for i in 1 2 3 4 5 6 7 8; do tot=$((tot + b[i] - a[i])); done
	awk -v i=$((b[4] - a[4])) -v t=$tot -v n="$(nproc)" 'BEGIN { printf "%.1f", i * n / t }'
}

run() { # run KEYS MODE N MAX_ROUTES STAT TARGET_MS
	local keys=$1 mode=$2 n=$3 max=$4 stat=$5 target=$6
	rm -rf "$PIN"
	echo '{}' >"$F" # each run starts from an empty feed, not the previous run's table
	echo "$keys keys, $mode: $(idle_cpus) of $(nproc) CPUs idle just before"
	start_daemon "$S" "$T/d.log" --maps-only --pin-root "$PIN" --max-routes "$max" \
		--feed "file:$F" --metrics off --log-level info --history 256 >/dev/null
	"$B" "$PIN" "$F" "$keys" init 0
	if [ "$mode" = one-key ]; then
		# Steady state: the incremental compile's index comes with the
		# full compile (its layout); check it is there.
		local t0=$SECONDS
		for _ in $(seq 600); do
			[ "$(status_field "$S" .rules.incremental_ready)" = true ] && break
			sleep 0.1
		done
		echo "  incremental index ready: $(status_field "$S" .rules.incremental_ready) (after about $((SECONDS - t0)) s)"
	fi
	"$B" "$PIN" "$F" "$keys" "$mode" "$n" "$stat" "$target"
	# The daemon's own breakdown of the counted attempts: compile (JSON parse
	# and compile) against write+flip (diff, map writes, the flip).
	"$CTL" status -j --socket "$S" | jq -r --argjson n "$n" '
		def pct(p): sort | .[((length - 1) * p) | floor];
		[.rules.attempts[] | select(.result == "applied")][:$n] as $a
		| "  in keysteerd: compile p50 \($a | map(.compile_ms) | pct(0.5) | . * 10 | round / 10) ms"
		+ " p99 \($a | map(.compile_ms) | pct(0.99) | . * 10 | round / 10) ms;"
		+ " write+flip p50 \($a | map(.write_ms) | pct(0.5) | . * 100 | round / 100) ms"
		+ " p99 \($a | map(.write_ms) | pct(0.99) | . * 100 | round / 100) ms;"
		+ " map entries written per change \($a[0].entries_written)"'
	stop_daemon "$DPID"
	rm -f "$S"
}

echo "keysteerd feed change -> flip (file feed, atomic rename; $(nproc) CPUs)"
# Issue #4's targets: one-key change p99 <= 10 ms; full apply of 100k keys
# <= 200 ms and of 1M keys <= 2 s (the typical change: p50).
run 100000 one-key 200 262144 p99 10
run 100000 full 10 262144 p50 200
run 1000000 full 3 2097152 p50 2000
