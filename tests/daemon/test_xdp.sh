#!/bin/bash
# keysteerd owning the XDP router on veths in network namespaces the test
# creates (client -> router -> shard host; generic XDP):
#  - SIGKILL under traffic: forwarding goes on without the daemon; a restart
#    re-adopts the running program and tables; not one datagram lost;
#  - atomic flip: under continuous traffic, flip many times between two rule
#    sets that send the key to different shards; every datagram must reach a
#    target of exactly one version (a torn read would reach one of two
#    addresses that no version uses for the key).
BUILD=${1:-build}
source "$(dirname "$0")/lib.sh"

mountpoint -q /sys/fs/bpf || { echo "bpffs is not mounted at /sys/fs/bpf (make deps)"; exit 1; }
ID=$$
C=ksd-c-$ID R=ksd-r-$ID V=ksd-s-$ID
PIN=/sys/fs/bpf/ks-test-xdp-$ID
net_cleanup() {
	cleanup
	ip netns del "$C" 2>/dev/null || true
	ip netns del "$R" 2>/dev/null || true
	ip netns del "$V" 2>/dev/null || true
	rm -rf "$PIN"
}
trap net_cleanup EXIT
UDP="/usr/bin/python3 $(dirname "$0")/udp_tool.py"
inns() { local ns=$1; shift; nsenter --net="/run/netns/$ns" "$@"; }

ip netns add "$C"; ip netns add "$R"; ip netns add "$V"
ip link add c0 netns "$C" type veth peer name r0 netns "$R"
ip link add r1 netns "$R" type veth peer name s0 netns "$V"
ip -n "$C" addr add 10.211.1.2/24 dev c0
ip -n "$R" addr add 10.211.1.1/24 dev r0
ip -n "$R" addr add 10.211.2.1/24 dev r1
ip -n "$V" addr add 10.211.2.2/24 dev s0
for a in 10 20 30 40; do ip -n "$V" addr add 10.211.2.$a/32 dev s0; done
for ns in "$C" "$R" "$V"; do ip -n "$ns" link set lo up; done
ip -n "$C" link set c0 up; ip -n "$R" link set r0 up; ip -n "$R" link set r1 up
ip -n "$V" link set s0 up
ip -n "$V" route add 10.211.1.0/24 via 10.211.2.1
# The shard VIPs' neighbours, so the resolver has them before traffic starts.
for a in 10 20 30 40; do inns "$R" ping -c1 -W1 10.211.2.$a >/dev/null; done

S=$T/ks.sock
F=$T/rules.json
DLOG=$T/daemon.log
DARGS=(--iface r0 --xdp-mode generic --pin-root "$PIN" --max-routes 65536 --feed "file:$F"
	--metrics off)
KEY=0xa1
# rules VERSION SHARD X_VIP Y_VIP: the key goes to SHARD; shards x and y.
rules() {
	cat <<JSON
{"schema":"keysteer/v1","version":$1,
 "listeners":[{"vip":"10.211.1.1","port":7000,"proto":"udp"}],
 "shards":{"x":{"vip":"$3","port":8080},"y":{"vip":"$4","port":8080}},
 "routes":[{"key":"$KEY","to":[{"shard":"$2"}]}],"default":"drop"}
JSON
}
start_router() { # start keysteerd inside the router namespace
	local log=$1
	# nsenter execs keysteerd: $! is the daemon itself.
	nsenter --net="/run/netns/$R" "$KSD" --socket "$S" --log-level debug "${DARGS[@]}" \
		2>"$log" &
	DPID=$!
	PIDS+=("$DPID")
	for _ in $(seq 150); do
		"$CTL" status --socket "$S" >/dev/null 2>&1 && return 0
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.1
	done
	echo "keysteerd did not come up:"; grep -v '^[0-9]*: \|^;' "$log" | tail -20
	return 1
}
wait_resolved() { # every target of the key has a resolved next hop (10 s)
	for _ in $(seq 100); do
		"$CTL" lookup -j --socket "$S" "$KEY" |
			jq -e '[.targets[].next_hop.resolved] | all' >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}
start_recv() { # start_recv NAME: counts per VIP into $T/NAME.json
	rm -f "$T/$1.stop" "$T/$1.json.ready"
	nsenter --net="/run/netns/$V" $UDP recv "$T/$1.json" 60 "$T/$1.stop" \
		10.211.2.10 10.211.2.20 10.211.2.30 10.211.2.40 &
	RPID=$!
	PIDS+=("$RPID")
	for _ in $(seq 50); do [ -f "$T/$1.json.ready" ] && return 0; sleep 0.1; done
	return 1
}
stop_recv() { touch "$T/$1.stop"; wait "$RPID" || true; }
count() { jq -r ".\"$2\"" "$T/$1.json"; }

# ---- SIGKILL under traffic, restart re-adopts with no loss ----
rules 1 x 10.211.2.10 10.211.2.20 >"$F"
start_router "$DLOG"
check "router attached and version 1 applied" wait_version "$S" 1
check "XDP program on r0" bash -c "ip -n $R link show r0 | grep -q xdp"
check "next hops of the shards resolved" wait_resolved
start_recv kill
N=3000
nsenter --net="/run/netns/$C" $UDP send 10.211.1.1 7000 $KEY $N 1000 >/dev/null &
SPID=$!
PIDS+=("$SPID")
sleep 1
kill -KILL "$DPID"
wait "$DPID" 2>/dev/null || true
sleep 0.5
check "XDP program still attached after SIGKILL" bash -c "ip -n $R link show r0 | grep -q xdp"
rm -f "$S"
start_router "$DLOG.2"
DLOG=$DLOG.2
check "restart re-adopted the running router" grep -q "re-adopted the running router" "$DLOG"
check "restart adopted version 1" wait_version "$S" 1
wait "$SPID"
sleep 1
stop_recv kill
check "all $N datagrams steered to shard x across SIGKILL and restart (got $(count kill 10.211.2.10))" \
	test "$(count kill 10.211.2.10)" = "$N"
check "none elsewhere" test "$(count kill 10.211.2.20)" = 0

# ---- atomic flip under continuous traffic ----
# Version odd: key -> x; x = .10, y = .20.  Version even: key -> y; x = .30, y = .40.
# Legal targets: .10 (odd) and .40 (even). A packet that took its route
# from one version and its shard table from the other lands on .20 or .30.
start_recv flip
N=18000
nsenter --net="/run/netns/$C" $UDP send 10.211.1.1 7000 $KEY $N 3000 >/dev/null &
SPID=$!
PIDS+=("$SPID")
v=2
flips=0
while kill -0 "$SPID" 2>/dev/null && [ $flips -lt 2000 ]; do
	if [ $((v % 2)) = 0 ]; then
		rules $v y 10.211.2.30 10.211.2.40 >"$T/flip.json"
	else
		rules $v x 10.211.2.10 10.211.2.20 >"$T/flip.json"
	fi
	"$CTL" apply --socket "$S" "$T/flip.json" >/dev/null || break
	v=$((v + 1))
	flips=$((flips + 1))
done
wait "$SPID"
sleep 1
stop_recv flip
c10=$(count flip 10.211.2.10) c20=$(count flip 10.211.2.20)
c30=$(count flip 10.211.2.30) c40=$(count flip 10.211.2.40)
echo "# $flips flips under $N datagrams: .10=$c10 .40=$c40 (legal) .20=$c20 .30=$c30 (torn)"
check "flipped many times during the traffic ($flips)" test "$flips" -ge 20
check "both versions steered traffic" test "$c10" -gt 0 -a "$c40" -gt 0
check "no datagram steered by a mix of versions" test "$c20" = 0 -a "$c30" = 0
check "every datagram steered by one version" test $((c10 + c40)) = "$N"

stop_daemon "$DPID"
check "SIGTERM leaves the router attached" bash -c "ip -n $R link show r0 | grep -q xdp"
start_router "$DLOG.3"
DLOG=$DLOG.3
check "detach" "$CTL" detach --socket "$S"
for _ in $(seq 50); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
check "detach removed the XDP program" bash -c "! ip -n $R link show r0 | grep -q xdp"
check "detach removed the pins" test ! -e "$PIN/ks_active"
check "no sanitizer report" bash -c "! grep -q 'ERROR: AddressSanitizer\|runtime error' $T/daemon.log*"
finish
