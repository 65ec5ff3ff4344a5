#!/bin/bash
# keysteer-dpdk on real (virtual) links: a veth pair in a network namespace
# this test creates. k0 is the network (a client at 192.0.2.254, the gateway,
# and two shard VIPs with UDP sockets on the GUE port); keysteer-dpdk owns
# k1 through net_af_packet, then net_af_xdp. Checked:
#   - keyed datagrams to the listener come back GUE-encapsulated to the
#     shard the rule set names, inner packet intact (tests/dpdk/udp_probe.py)
#   - DPDK telemetry: dpdk-telemetry.py reads /keysteer/stats and /reasons
#   - another process (what keysteerd does: tests/dpdk/shm_apply.c) applies
#     a new rule set while keysteer-dpdk runs: the flip waits for the lcore's
#     quiescent state, and traffic follows the new rule set
#   - TCP: a SYN with the option pins its connection; later segments follow
#     the pin through a rule flip and through a restart
#   - SIGKILL, then a restart on the same table: rules, counters and pins survive
#   - two workers on two af_packet queues: connections pinned by either worker,
#     a flip that waits for both, pins kept through it
#   - ARP/ND: next hops given without a MAC are resolved by keysteer-dpdk
#     itself (the kernel on k0 answers its ARP request and solicitation), and
#     it answers the kernel's ARP request for the listener address and its
#     solicitation for keysteer-dpdk's IPv6 source address; a next hop that
#     falls silent is probed: a new MAC is learned, no answer unresolves it
# Usage: test_dpdk_net.sh BUILD
set -euo pipefail

build=${1:-build}
ks=$build/keysteer-dpdk
apply=$build/tests/shm_apply
probe=tests/dpdk/udp_probe.py
ns=ksdpdk$$
tag=ks-dpdknet-$$
dir=$(mktemp -d /tmp/ks-dpdk-net.XXXXXX)
table=$dir/table.tbl
pid=
run=

cleanup() {
	if [ -n "$pid" ]; then
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	if [ -n "${ksd:-}" ]; then
		kill -KILL "$ksd" 2>/dev/null || true
		wait "$ksd" 2>/dev/null || true
	fi
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$dir" /run/dpdk/"$tag"-*
	rm -f /dev/hugepages/"$tag"-*
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	for f in "$dir"/ks*.log; do
		[ -f "$f" ] && { echo "--- $f" >&2; tail -20 "$f" >&2; }
	done
	exit 1
}

nsx() { ip netns exec "$ns" "$@"; }

ip netns add "$ns"
ip -n "$ns" link add k0 type veth peer name k1
ip -n "$ns" link set lo up
ip -n "$ns" link set k0 up
ip -n "$ns" link set k1 up
nsx ethtool -K k0 tx off >/dev/null
nsx sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.k0.rp_filter=0
ip -n "$ns" addr add 192.0.2.254/24 dev k0
ip -n "$ns" addr add 10.1.0.10/32 dev k0
ip -n "$ns" addr add 10.1.0.11/32 dev k0
ip -n "$ns" route add 203.0.113.10/32 dev k0
k0mac=$(ip -n "$ns" -br link show k0 | awk '{ print $3 }')
k1mac=$(ip -n "$ns" -br link show k1 | awk '{ print $3 }')
ip -n "$ns" neigh replace 203.0.113.10 lladdr "$k1mac" dev k0 nud permanent

key=0x51e5ab1e00000001
rules() { # VERSION SHARD
	cat <<EOF
{"schema": "keysteer/v1", "version": $1,
 "listeners": [{"vip": "203.0.113.10", "port": 7000, "proto": "udp"},
               {"vip": "203.0.113.10", "port": 7443, "proto": "tcp"}],
 "shards": {"a": {"vip": "10.1.0.10", "port": 8080}, "b": {"vip": "10.1.0.11", "port": 8080}},
 "routes": [{"key": "$key", "to": [{"shard": "$2"}]}],
 "default": "drop"}
EOF
}
rules 1 a >"$dir/v1.json"
rules 2 b >"$dir/v2.json"

# Next hops of a run: by default given with their MACs.
nexthops=(--src 192.0.2.1 --gw 192.0.2.254 --neigh "192.0.2.254=$k0mac@0")

# EAL lcores of a run: the main lcore and one worker, unless a step says otherwise.
lcores=(-l 0-1)

start() { # N VDEV [--rules FILE]; N names the run
	local n=$1 vdev=$2
	shift 2
	run=$n
	# ip, sh and keysteer-dpdk are one process (exec), so $! is keysteer-dpdk.
	ip netns exec "$ns" sh -c 'mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
		exec "$@"' sh \
		"$ks" "${lcores[@]}" -n 1 --no-pci --file-prefix "$tag-$n" --huge-unlink -m 128 \
		--log-level lib.eal:warning --vdev "$vdev" -- --table "$table" --table-routes 1024 \
		--table-readers 4 "${nexthops[@]}" "$@" >"$dir/ks$n.log" 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$(readlink -f "$ks")" ] || {
			sleep 0.1
			continue
		}
		grep -q 'lcore 1 polls 0/0' "$dir/ks$n.log" 2>/dev/null && return 0
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null || fail "keysteer-dpdk run $n exited"
	fail "keysteer-dpdk run $n did not start"
}

stop() { # SIGNAL
	kill "-$1" "$pid"
	wait "$pid" 2>/dev/null || true
	pid=
}

expect() { # WHAT A-COUNT B-COUNT
	local got
	got=$(nsx /usr/bin/python3 "$probe" 192.0.2.254 203.0.113.10:7000 "$key" 40 \
		10.1.0.10,10.1.0.11)
	echo "$1: $got"
	[ "$got" = "10.1.0.10=$2 10.1.0.11=$3 bad=0" ] || {
		telemetry "$run" /keysteer/stats >&2 || true
		fail "$1: expected a=$2 b=$3, got $got"
	}
}

tcp() { # WHAT SPORT syn|ack EXPECTED-VIP
	local got
	got=$(nsx /usr/bin/python3 tests/dpdk/tcp_probe.py 192.0.2.254 203.0.113.10:7443 "$key" \
		"$2" "$3" 10.1.0.10,10.1.0.11)
	echo "$1: TCP $3 from port $2 -> $got"
	[ "$got" = "$4" ] || fail "$1: TCP $3 from port $2 went to $got, not $4"
}

telemetry() { # RUN COMMAND
	echo "$2" | /usr/bin/python3 /usr/bin/dpdk-telemetry.py -f "$tag-$1" 2>/dev/null |
		grep -o '{.*}' | tail -1
}

# 0. net_null (which has RSS: a queue per worker) and net_ring (no RSS; its
#    16 rings are its queues, all polled, dealt out to the two workers in
#    turn), two workers; runs a second, exits cleanly, every frame counted.
"$ks" --lcores 0@0,1@1,2@1 -n 1 --no-pci --file-prefix "$tag-0" --huge-unlink -m 128 \
	--log-level lib.eal:warning --vdev net_null0 --vdev net_ring0 -- --table "$dir/t0.tbl" \
	--table-routes 1024 --rules "$dir/v1.json" --duration 1 >"$dir/ks0.log" 2>&1 ||
	fail "net_null/net_ring run"
grep -q 'port 0 .* 2 rx / 2 tx queues, RSS' "$dir/ks0.log" &&
	grep -q 'port 1 .* 16 rx / 2 tx queues$' "$dir/ks0.log" &&
	grep -q 'lcore 1 polls 0/0 1/0 1/2 1/4 1/6 1/8 1/10 1/12 1/14$' "$dir/ks0.log" &&
	grep -q 'lcore 2 polls 0/1 1/1 1/3 1/5 1/7 1/9 1/11 1/13 1/15$' "$dir/ks0.log" ||
	fail "queues not dealt to the two workers"
awk '/keysteer-dpdk: rx / { rx = $3 } /not_listener/ { nl = $3 }
     END { exit !(rx > 1000 && nl == rx) }' "$dir/ks0.log" || fail "net_null frames not counted"
echo "net_null/net_ring, two workers: $(grep 'keysteer-dpdk: rx' "$dir/ks0.log")"

# 1. net_af_packet, rule set v1 loaded by keysteer-dpdk itself.
start 1 net_af_packet0,iface=k1 --rules "$dir/v1.json"
expect "af_packet, v1" 40 0
tcp "af_packet, v1" 40001 syn 10.1.0.10
tcp "af_packet, v1" 40001 ack 10.1.0.10
tcp "af_packet, v1" 40002 ack none
t=$(telemetry 1 /keysteer/stats)
echo "telemetry /keysteer/stats: $t"
echo "$t" | jq -e '."/keysteer/stats".version == 1 and ."/keysteer/stats".tx >= 40' >/dev/null ||
	fail "telemetry stats: $t"
t=$(telemetry 1 /keysteer/reasons)
echo "$t" | jq -e '."/keysteer/reasons".steered >= 40' >/dev/null || fail "telemetry reasons: $t"

# 2. Another process flips to v2 under the running lcore (waits for its quiescent state).
timeout 20 "$apply" "$table" "$dir/v2.json" || fail "shm_apply v2"
expect "af_packet, v2 applied by another process" 0 40
tcp "af_packet, v2" 40001 ack 10.1.0.10
tcp "af_packet, v2" 40003 syn 10.1.0.11

# 3. SIGKILL; a restart on the same table keeps v2, the counters and the pins.
stop KILL
start 2 net_af_packet0,iface=k1
grep -q 'connection and NAT tables resumed' "$dir/ks2.log" || fail "pins not resumed"
expect "af_packet, restarted" 0 40
tcp "af_packet, restarted" 40001 ack 10.1.0.10
tcp "af_packet, restarted" 40003 ack 10.1.0.11
steered=$("$apply" "$table" --stats | awk '$1 == "steered" { print $2 }')
[ "$steered" -ge 120 ] || fail "steered after restart: $steered"
stop TERM

# 4. net_af_xdp on the same veth (copy mode), flipped back to v1 while it runs.
start 3 net_af_xdp0,iface=k1,start_queue=0,queue_count=1
expect "af_xdp, v2" 0 40
rules 3 a >"$dir/v3.json"
timeout 20 "$apply" "$table" "$dir/v3.json" || fail "shm_apply v3"
expect "af_xdp, v3" 40 0
stop TERM
grep -q 'keysteer-dpdk: rx' "$dir/ks3.log" || fail "no counters at exit"

# 4b. Two workers on one veth: net_af_packet with two queue pairs (the
#     kernel's fanout spreads flows by hash; lcore 2 shares CPU 1 with lcore
#     1). Eight tagged connections are pinned, whichever worker sees their
#     SYN; a rule flip then waits for both workers' quiescent states, new
#     connections follow it and the pinned ones keep their shard.
lcores=(--lcores 0@0,1@1,2@1)
start 6 net_af_packet0,iface=k1,qpairs=2
grep -q 'lcore 1 polls 0/0$' "$dir/ks6.log" && grep -q 'lcore 2 polls 0/1$' "$dir/ks6.log" ||
	fail "two workers: queues not dealt one per worker"
expect "af_packet, two workers, v3" 40 0
for sp in $(seq 41001 41008); do
	tcp "two workers, v3" "$sp" syn 10.1.0.10
done
rules 4 b >"$dir/v4.json"
timeout 20 "$apply" "$table" "$dir/v4.json" || fail "shm_apply v4 under two workers"
expect "af_packet, two workers, v4" 0 40
for sp in $(seq 41001 41008); do
	tcp "two workers, v4, pinned" "$sp" ack 10.1.0.10
	tcp "two workers, v4, new" $((sp + 100)) syn 10.1.0.11
done
t=$(telemetry 6 /keysteer/lcores)
echo "telemetry /keysteer/lcores: $t"
echo "$t" | jq -e '."/keysteer/lcores" | (.lcore1.rx > 0 and .lcore2.rx > 0)' >/dev/null ||
	fail "two workers: not both received frames: $t"
stop TERM
lcores=(-l 0-1)
# Back to v3 for step 5, whose keysteerd publishes versions 4 and 5 (the
# shared table takes any version; the version policy is keysteerd's).
timeout 20 "$apply" "$table" "$dir/v3.json" || fail "shm_apply v3 again"

# 5. keysteerd drives keysteer-dpdk: one feed, the daemon publishes to the
#    shared table (--dpdk-table) while keysteer-dpdk forwards.
start 4 net_af_packet0,iface=k1
expect "af_packet, v3 before keysteerd" 40 0
rules 4 b >"$dir/feed.json"
mport=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
$build/keysteerd --dpdk-table "$table" --feed "file:$dir/feed.json" --socket "$dir/ksd.sock" \
	--metrics "127.0.0.1:$mport" >"$dir/ksd.log" 2>&1 &
ksd=$!
for _ in $(seq 100); do
	"$build/keysteer" status -j --socket "$dir/ksd.sock" 2>/dev/null |
		jq -e '.active.version == 4' >/dev/null 2>&1 && break
	sleep 0.1
done
"$build/keysteer" status --socket "$dir/ksd.sock" || fail "keysteerd status ($(tail -5 "$dir/ksd.log"))"
expect "af_packet, v4 from keysteerd's file feed" 0 40
rules 5 a >"$dir/feed.json.new" && mv "$dir/feed.json.new" "$dir/feed.json"
for _ in $(seq 100); do
	"$build/keysteer" status -j --socket "$dir/ksd.sock" 2>/dev/null |
		jq -e '.active.version == 5' >/dev/null 2>&1 && break
	sleep 0.1
done
expect "af_packet, v5 from keysteerd's file feed" 40 0
steered=$("$build/keysteer" stats -j --socket "$dir/ksd.sock" | jq '[.. | objects | .reasons? | objects | .steered.packets] | max // 0')
echo "keysteerd reads keysteer-dpdk's counters: steered=$steered"
[ "$steered" -ge 80 ] || fail "keysteerd stats over the DPDK table: steered=$steered"
# keysteerd's Prometheus endpoint reads the same table's counters.
metrics=$(curl -sf "http://127.0.0.1:$mport/metrics") || fail "keysteerd metrics over the DPDK table"
msteered=$(awk '$1 == "keysteer_packets_total{reason=\"steered\"}" { print $2 }' <<<"$metrics")
echo "keysteerd metrics over the DPDK table: steered=$msteered"
[ "${msteered:-0}" -ge "$steered" ] && grep -qx 'keysteer_rules_active_version 5' <<<"$metrics" ||
	fail "metrics over the DPDK table: steered=${msteered:-none}, $(grep active_version <<<"$metrics")"
kill -TERM "$ksd"; wait "$ksd" 2>/dev/null || true; ksd=
stop TERM

# 6. ARP and neighbour discovery. The gateways come without MACs: keysteer-dpdk
#    asks for them (the kernel on k0 answers). k0 loses its static entry for
#    the listener: the kernel asks, keysteer-dpdk answers; likewise the
#    kernel's solicitation for keysteer-dpdk's IPv6 source.
ip -n "$ns" addr add 2001:db8:2::254/64 dev k0 nodad
ip -n "$ns" neigh del 203.0.113.10 dev k0
nexthops=(--src 192.0.2.1 --src 2001:db8:2::1 --gw 192.0.2.254@0 --gw 2001:db8:2::254@0
	--neigh-refresh 1)
start 5 net_af_packet0,iface=k1
for gw in 192.0.2.254 2001:db8:2::254; do
	for _ in $(seq 100); do
		grep -q "next hop $gw is $k0mac on port 0" "$dir/ks5.log" && break
		sleep 0.1
	done
	grep "next hop $gw is" "$dir/ks5.log" || fail "next hop $gw not resolved"
	grep -q "next hop $gw is $k0mac on port 0" "$dir/ks5.log" ||
		fail "next hop $gw resolved to the wrong MAC (k0 is $k0mac)"
done
expect "af_packet, gateway resolved by ARP, listener answered by ARP" 40 0
got=$(ip -n "$ns" neigh show 203.0.113.10 dev k0)
echo "k0's neighbour entry for the listener: $got"
echo "$got" | grep -q "lladdr $k1mac" || fail "k0 did not learn the listener at $k1mac: $got"
# Any datagram to the IPv6 source makes the kernel solicit it.
for _ in $(seq 50); do
	nsx /usr/bin/python3 -c 'import socket; socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).sendto(b"x", ("2001:db8:2::1", 9))'
	got=$(ip -n "$ns" -6 neigh show 2001:db8:2::1 dev k0)
	echo "$got" | grep -q "lladdr $k1mac" && break
	sleep 0.1
done
echo "k0's neighbour entry for keysteer-dpdk's IPv6 source: $got"
echo "$got" | grep -q "lladdr $k1mac" || fail "k0 did not learn 2001:db8:2::1 at $k1mac: $got"

# 7. Refresh (--neigh-refresh 1). k0 changes its MAC without a word: the
#    probes of the silent next hops bring the new one. Then k0 gives up the
#    IPv4 gateway address: three probes go unanswered, and the gateway is
#    unresolved again.
newmac=02:00:5e:00:0b:0c
ip -n "$ns" link set dev k0 address "$newmac"
for gw in 192.0.2.254 2001:db8:2::254; do
	for _ in $(seq 100); do
		grep -q "next hop $gw is $newmac on port 0" "$dir/ks5.log" && break
		sleep 0.1
	done
	grep -q "next hop $gw is $newmac on port 0" "$dir/ks5.log" ||
		fail "next hop $gw: k0's new MAC $newmac not learned"
done
expect "af_packet, after k0's MAC changed" 40 0
gone="next hop 192.0.2.254 did not answer 3 probes: unresolved"
grep -q "$gone" "$dir/ks5.log" && fail "192.0.2.254 unresolved while it answered"
ip -n "$ns" addr del 192.0.2.254/24 dev k0
for _ in $(seq 150); do
	grep -q "$gone" "$dir/ks5.log" && break
	sleep 0.1
done
grep -q "$gone" "$dir/ks5.log" || fail "192.0.2.254 still resolved after it stopped answering"
grep -q "next hop 2001:db8:2::254 did not answer" "$dir/ks5.log" &&
	fail "2001:db8:2::254 unresolved while it answered"
echo "refresh: new MAC learned for both gateways; the silent one unresolved"
stop TERM
echo "dpdk-net: all checks passed"
