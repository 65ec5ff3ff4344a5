#!/bin/bash
# make bench-dpdk: Mpps per lcore of keysteer-dpdk beside dpdk-testpmd, on the
# same virtual devices in the same run.
#
# Devices: net_pcap replays a capture of pre-built keyed frames from memory
# (infinite_rx=1) into the forwarding lcore; net_null (no-rx) swallows what
# it sends. net_null alone only makes zeroed frames and net_ring only passes
# the same pointers round, so neither can carry keyed traffic; every run
# below pays the same replay cost, which is part of testpmd's ceiling too.
#
# Traffic: 1M routes loaded (two GUE targets, weights 3:1); 64-byte UDP
# frames with routing headers, keys drawn Zipf (s = 1) or uniformly over the
# 1M keys (tests/dpdk/gen_bench.c); and, as a reference, uniformly from 64
# of them ("hot64": the same work with the tables' lines in cache and their
# pages in the TLB, so its ratio is the decision's own cost, without the
# page walks that random keys over 1M routes cost on this host). One forwarding lcore everywhere
# (-l 0-1: lcore 0 is the main lcore).
#
# The machine is shared: each tool runs ROUNDS (5) times, interleaved with the
# others (io, macswap, keysteer, io, ...); a run's rate is the median of its
# per-second rates after two seconds of warm-up, and each tool's figure is
# its best run, so a neighbour's burst of work does not decide a ratio. The
# ratios of each round (keysteer over the testpmd runs just before it) are
# printed too, their minimum and median.
#
# Usage: bench_dpdk.sh BUILD [SECONDS]
set -euo pipefail

build=${1:-build}
secs=${2:-${BENCH_DPDK_SECONDS:-8}}
rounds=${BENCH_DPDK_ROUNDS:-5}
keys=${BENCH_DPDK_KEYS:-1048576}
frames=${BENCH_DPDK_FRAMES:-262144}
dir=$build/bench/dpdk
tag=ks-bench-$$
table=/dev/hugepages/$tag.tbl
eal=(-l 0-1 -n 1 --no-pci --huge-unlink --log-level lib.eal:warning)
mbufs=$((frames + 32768))

cleanup() {
	rm -f "$table" "$table.flows"
	rm -rf /run/dpdk/"$tag"-*
	rm -f /dev/hugepages/"$tag"-*map_*
}
trap cleanup EXIT

mkdir -p "$dir"
if [ ! -s "$dir/hot64.pcap" ] || [ "$(cat "$dir/params" 2>/dev/null)" != "$keys $frames" ]; then
	echo "bench-dpdk: generating $keys keys, $frames frames per distribution"
	"$build/tests/gen_bench" "$dir" "$keys" "$frames"
	echo "$keys $frames" >"$dir/params"
fi

# Median of per-second rates (Mpps), skipping the first two seconds (warm-up).
median() {
	awk 'NR > 2 { print $1 }' | sort -n |
		awk '{ v[NR] = $1 } END { if (!NR) { print "nan"; exit }
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%.2f", m / 1e6 }'
}
best() { sort -g | tail -1; }

testpmd_rate() { # MODE PCAP
	timeout -s INT $((secs + 5)) dpdk-testpmd "${eal[@]}" --file-prefix "$tag-tp" -m 512 \
		--vdev "net_pcap0,rx_pcap=$2,infinite_rx=1" --vdev net_null0,no-rx=1 -- \
		--forward-mode="$1" --nb-cores=1 --stats-period 1 --mbuf-size=512 \
		--total-num-mbufs=$mbufs --no-flush-rx 2>&1 |
		awk '/NIC statistics for port 0/ { p0 = 1; next }
		     /NIC statistics for port/ { p0 = 0 }
		     p0 && /Rx-pps:/ { print $2 }' | head -n "$secs" | median
	rm -rf /run/dpdk/"$tag-tp"
}

keysteer_rate() { # PCAP
	local log=$dir/keysteer.log
	rm -f "$table" "$table.flows"
	"$build/keysteer-dpdk" "${eal[@]}" --file-prefix "$tag-ks" -m 384 \
		--vdev "net_pcap0,rx_pcap=$1,infinite_rx=1" --vdev net_null0,no-rx=1 -- \
		--table "$table" --table-routes "$keys" --table-readers 1 --rules "$dir/rules.json" \
		--src 192.0.2.1 --gw 192.0.2.254 --neigh 192.0.2.254=02:00:5e:00:01:fe@1 \
		--mbufs $mbufs --mbuf-size 512 --duration $((secs + 1)) --stats-interval 1 >"$log" 2>&1
	rm -rf /run/dpdk/"$tag-ks"
	grep -q 'rule set version 1: '"$keys"' routes' "$log" || { cat "$log" >&2; return 1; }
	# Cumulative rx once a second -> per-second deltas.
	awk '/keysteer-dpdk: rx / { if (seen) print $3 - last; last = $3; seen = 1 }' "$log" |
		head -n "$((secs - 1))" | median
	# Everything steered: the rate is of real work, not of drops.
	awk '/keysteer-dpdk: rx / { rx = $3; tx = $5 } END { exit !(tx > 0.99 * rx) }' "$log" ||
		{ echo "bench-dpdk: keysteer-dpdk did not steer its input" >&2; return 1; }
}

echo "bench-dpdk: $secs s per run, $rounds interleaved rounds, one forwarding lcore," \
	"$keys keys, $frames frames"
# Ratios of one round (keysteer beside the testpmd runs just before it):
# their minimum and median over the rounds, beside the ratio of the bests.
ratio_stats() { # A[] B[] (space-separated lists of equal length)
	paste <(tr ' ' '\n' <<<"$1") <(tr ' ' '\n' <<<"$2") |
		awk '{ print $1 / $2 }' | sort -g |
		awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%.2f %.2f", v[1], m }'
}
printf "%-9s %12s %12s %12s %10s %10s %16s %16s\n" traffic "testpmd-io" "testpmd-mac" keysteer \
	"ks/macswap" "ks/io" "ks/mac min,med" "ks/io min,med"
for traffic in zipf uniform hot64; do
	pcap=$dir/$traffic.pcap
	ios=() macs=() kss=()
	for _ in $(seq "$rounds"); do
		ios+=("$(testpmd_rate io "$pcap")")
		macs+=("$(testpmd_rate macswap "$pcap")")
		kss+=("$(keysteer_rate "$pcap")")
	done
	echo "  $traffic runs (Mpps): io ${ios[*]}; macswap ${macs[*]}; keysteer ${kss[*]}"
	io=$(printf '%s\n' "${ios[@]}" | best)
	mac=$(printf '%s\n' "${macs[@]}" | best)
	ks=$(printf '%s\n' "${kss[@]}" | best)
	read -r mac_min mac_med <<<"$(ratio_stats "${kss[*]}" "${macs[*]}")"
	read -r io_min io_med <<<"$(ratio_stats "${kss[*]}" "${ios[*]}")"
	printf "%-9s %10s M %10s M %10s M %10s %10s %16s %16s\n" "$traffic" "$io" "$mac" "$ks" \
		"$(awk -v a="$ks" -v b="$mac" 'BEGIN { printf "%.2f", a / b }')" \
		"$(awk -v a="$ks" -v b="$io" 'BEGIN { printf "%.2f", a / b }')" \
		"$mac_min,$mac_med" "$io_min,$io_med"
done
