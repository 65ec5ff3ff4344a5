#!/bin/bash
# The keysteer network-namespace lab, as a library for `make demo` (mk/demo.sh)
# and the end-to-end tests (tests/lab/test_*.sh). docs/lab.md draws it.
#
#   source tests/lab/lab.sh
#   lab_init BUILD            names, paths and traps (cleanup on every exit path)
#   lab_up RULES.json         namespaces, veths, decapsulators, services, keysteerd
#   ...                       lab_client, lab_feed, ks stats, lab_shard_stats, ...
#
#  client c1 (10.98.1.2) ─┐                  ┌─ s1 cw-default  VIP 10.99.1.10
#                         ├─ router (XDP, ───┼─ s2 cw-canary   VIP 10.99.2.10
#  client c2 (10.98.2.2) ─┘   keysteerd)     ├─ s3 fraud       VIP 10.99.3.10
#                                            └─ s4 cw-canary   VIP 10.99.2.20 (its new home)
#
# The listener is 10.99.0.1 / fd99::1 (UDP 7000, TCP 7443). Shards are reached
# by direct server return (gue, ipip): each shard host has the listener
# address on its loopback and serves on it; answers go straight back to the
# client through the router's kernel forwarding. With nat, shards serve on
# their own VIP, port 8080, and answers come back through the router's XDP.
#
# Every name is unique to this shell ($$), so labs can run side by side.
# Commands run inside a namespace through `nsenter --net` (not `ip netns
# exec`, which remounts /sys and hides the host's bpffs); every pin lives
# under a per-lab directory of the host's bpffs.

LAB_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_ROOT=$(cd "$LAB_SRC/../.." && pwd)

# Shard hosts: name, shard it serves, IPv4 VIP, IPv6 VIP (index = link number).
LAB_HOSTS=(s1 s2 s3 s4)
declare -A LAB_SHARD=([s1]=cw-default [s2]=cw-canary [s3]=fraud [s4]=cw-canary)
declare -A LAB_VIP=([s1]=10.99.1.10 [s2]=10.99.2.10 [s3]=10.99.3.10 [s4]=10.99.2.20)
declare -A LAB_VIP6=([s1]=fd99:1::10 [s2]=fd99:2::10 [s3]=fd99:3::10 [s4]=fd99:2::20)
LAB_CLIENTS=(c1 c2)
LAB_LISTEN=10.99.0.1
LAB_LISTEN6=fd99::1
LAB_UDP=7000
LAB_TCP=7443

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
	C_B=$'\e[1m' C_D=$'\e[2m' C_R=$'\e[31m' C_G=$'\e[32m' C_Y=$'\e[33m' C_C=$'\e[36m' C_0=$'\e[0m'
else
	C_B='' C_D='' C_R='' C_G='' C_Y='' C_C='' C_0=''
fi

lab_log() { [ -n "${LAB_QUIET:-}" ] || printf '%s# %s%s\n' "$C_D" "$*" "$C_0"; }
lab_die() {
	printf '%slab: %s%s\n' "$C_R" "$*" "$C_0" >&2
	exit 1
}

# lab_init BUILD: names and paths for this lab, and the cleanup trap.
lab_init() {
	local t
	LAB_BUILD=$(cd "${1:-build}" && pwd) || lab_die "no build directory ${1:-build}"
	LAB_ID=$$
	LAB_P=kslab$LAB_ID
	LAB_PIDS=()
	LAB_SHARD_PIDS=()
	LAB_NS=()
	LAB_CG=
	LAB_DPID=
	LAB_PIN=/sys/fs/bpf/$LAB_P
	LAB_DIR=$(mktemp -d "/tmp/kslab.$LAB_ID.XXXXXX") || lab_die "mktemp"
	trap lab_down EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	chmod 755 "$LAB_DIR"
	LAB_SOCK=$LAB_DIR/keysteerd.sock
	LAB_FEED=$LAB_DIR/feed/rules.json
	LAB_DLOG=$LAB_DIR/keysteerd.log
	export KEYSTEER_SOCKET=$LAB_SOCK
	LAB_KS=$LAB_BUILD/keysteer
	LAB_CLIENT=$LAB_BUILD/lab/ks-lab-client
	LAB_KSD=${LAB_KSD:-$LAB_BUILD/keysteerd}
	for t in "$LAB_KS" "$LAB_CLIENT" "$LAB_BUILD/lab/ks-shard" "$LAB_KSD" \
		"$LAB_BUILD/bpf/ks_router.bpf.o" "$LAB_BUILD/bpf/ks_decap.bpf.o"; do
		[ -e "$t" ] || lab_die "missing $t (make $t)"
	done
	[ "$(id -u)" = 0 ] || lab_die "must run as root (network namespaces, XDP)"
	mountpoint -q /sys/fs/bpf || lab_die "bpffs is not mounted at /sys/fs/bpf (make deps)"
	# The lab's cgroups (for keysteer tag) live under the cgroup2 mount,
	# made on first use. With none mounted, keysteer tag mounts one (even
	# when it then finds no such cgroup to show).
	t=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	if [ -z "$t" ]; then
		ks tag --cgroup "$LAB_P" >/dev/null 2>&1
		t=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	fi
	[ -n "$t" ] || lab_die "no cgroup2 mount, and none could be mounted"
	LAB_CG=$t/$LAB_P
}

ns() { echo "$LAB_P-$1"; }
# inns HOST CMD...: run CMD in HOST's network namespace (not its mount namespace).
inns() {
	local h=$1
	shift
	nsenter --net="/run/netns/$LAB_P-$h" "$@"
}

# ks CMD ARGS...: the keysteer CLI.
ks() { "$LAB_KS" "$@"; }

# lab_bg HOST CMD...: start CMD in HOST's namespace in the background and
# remember it. nsenter execs CMD, so $! is CMD itself (not a subshell).
lab_bg() {
	local h=$1
	shift
	nsenter --net="/run/netns/$LAB_P-$h" "$@" &
	LAB_PIDS+=($!)
}

lab_down() {
	local rc=$? p h i
	trap - EXIT INT TERM
	for p in "${LAB_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${LAB_PIDS[@]}"; do
		for i in $(seq 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	for h in "${LAB_NS[@]}"; do ip netns del "$LAB_P-$h" 2>/dev/null || true; done
	[ -n "${LAB_PIN:-}" ] && rm -rf "$LAB_PIN"
	# Processes just killed can take a moment to leave their cgroup.
	for i in $(seq 20); do
		[ -n "${LAB_CG:-}" ] && [ -d "$LAB_CG" ] || break
		find "$LAB_CG" -depth -type d -exec rmdir {} \; 2>/dev/null
		sleep 0.1
	done
	if [ -n "${LAB_DIR:-}" ]; then
		if [ -n "${LAB_KEEP:-}" ]; then echo "lab: kept $LAB_DIR"; else rm -rf "$LAB_DIR"; fi
	fi
	exit "$rc"
}

# mac_of HOST IF (sysfs is the host's under nsenter --net: ask rtnetlink)
mac_of() { ip -n "$(ns "$1")" -br link show dev "$2" | awk '{ print $3 }'; }

# lab_link HOST IF_IN_HOST ROUTER_IF: a veth between a host and the router.
lab_link() {
	ip link add "$2" netns "$(ns "$1")" type veth peer name "$3" netns "$(ns rt)" ||
		lab_die "veth $1/$2 <-> rt/$3"
}

lab_sysctl() { # lab_sysctl HOST KEY=VALUE...
	local h=$1
	shift
	inns "$h" sysctl -qw "$@" >/dev/null || lab_die "sysctl $* in $h"
}

# lab_net: namespaces, veths, addresses, routes, neighbours, offloads.
lab_net() {
	local h n k mac
	LAB_NS=(rt "${LAB_CLIENTS[@]}" "${LAB_HOSTS[@]}")
	for h in "${LAB_NS[@]}"; do ip netns add "$(ns "$h")" || lab_die "netns $(ns "$h")"; done
	for h in "${LAB_NS[@]}"; do ip -n "$(ns "$h")" link set lo up; done
	lab_sysctl rt net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	# Clients: c1 on 10.98.1.0/24, c2 on 10.98.2.0/24, default route via the router.
	n=0
	for h in "${LAB_CLIENTS[@]}"; do
		n=$((n + 1))
		lab_link "$h" eth0 "$h"
		ip -n "$(ns rt)" addr add "10.98.$n.1/24" dev "$h"
		ip -n "$(ns rt)" addr add "fd98:$n::1/64" dev "$h" nodad
		ip -n "$(ns "$h")" addr add "10.98.$n.2/24" dev eth0
		ip -n "$(ns "$h")" addr add "fd98:$n::2/64" dev eth0 nodad
		ip -n "$(ns "$h")" link set eth0 up
		ip -n "$(ns rt)" link set "$h" up
		ip -n "$(ns "$h")" route add default via "10.98.$n.1"
		ip -n "$(ns "$h")" -6 route add default via "fd98:$n::1"
	done
	# Shard hosts: link N is 10.97.N.0/24; the VIP and the listener on lo.
	n=0
	for h in "${LAB_HOSTS[@]}"; do
		n=$((n + 1))
		lab_link "$h" eth0 "$h"
		# Room for the tunnel headers (GUE adds 32 bytes) on the shard links.
		ip -n "$(ns rt)" link set "$h" mtu 1600
		ip -n "$(ns "$h")" link set eth0 mtu 1600
		ip -n "$(ns rt)" addr add "10.97.$n.1/24" dev "$h"
		ip -n "$(ns rt)" addr add "fd97:$n::1/64" dev "$h" nodad
		ip -n "$(ns "$h")" addr add "10.97.$n.2/24" dev eth0
		ip -n "$(ns "$h")" addr add "fd97:$n::2/64" dev eth0 nodad
		ip -n "$(ns "$h")" addr add "${LAB_VIP[$h]}/32" dev lo
		ip -n "$(ns "$h")" addr add "${LAB_VIP6[$h]}/128" dev lo nodad
		ip -n "$(ns "$h")" addr add "$LAB_LISTEN/32" dev lo
		ip -n "$(ns "$h")" addr add "$LAB_LISTEN6/128" dev lo nodad
		ip -n "$(ns "$h")" link set eth0 up
		ip -n "$(ns rt)" link set "$h" up
		ip -n "$(ns "$h")" route add default via "10.97.$n.1"
		ip -n "$(ns "$h")" -6 route add default via "fd97:$n::1"
		ip -n "$(ns rt)" route add "${LAB_VIP[$h]}/32" via "10.97.$n.2"
		ip -n "$(ns rt)" -6 route add "${LAB_VIP6[$h]}/128" via "fd97:$n::2"
		# Decapsulated packets arrive on eth0 addressed to lo's listener address.
		lab_sysctl "$h" net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
			net.ipv4.conf.eth0.rp_filter=0
	done
	# Neighbours the router's fast path needs from the first packet on: the
	# shard gateways, and the clients (NAT answers go back through XDP).
	n=0
	for h in "${LAB_HOSTS[@]}"; do
		n=$((n + 1))
		mac=$(mac_of "$h" eth0)
		ip -n "$(ns rt)" neigh replace "10.97.$n.2" lladdr "$mac" dev "$h" nud permanent
		ip -n "$(ns rt)" neigh replace "fd97:$n::2" lladdr "$mac" dev "$h" nud permanent
		mac=$(mac_of rt "$h")
		ip -n "$(ns "$h")" neigh replace "10.97.$n.1" lladdr "$mac" dev eth0 nud permanent
		ip -n "$(ns "$h")" neigh replace "fd97:$n::1" lladdr "$mac" dev eth0 nud permanent
	done
	n=0
	for h in "${LAB_CLIENTS[@]}"; do
		n=$((n + 1))
		mac=$(mac_of "$h" eth0)
		ip -n "$(ns rt)" neigh replace "10.98.$n.2" lladdr "$mac" dev "$h" nud permanent
		ip -n "$(ns rt)" neigh replace "fd98:$n::2" lladdr "$mac" dev "$h" nud permanent
	done
	# PLATFORM.md: native XDP redirect loses the checksum state, so the
	# endpoints compute checksums themselves; the clients' veths need NAPI
	# (GRO) to take frames the router redirects to them (NAT answers). The
	# shards get NAPI from their decapsulator's XDP program.
	for h in "${LAB_CLIENTS[@]}" "${LAB_HOSTS[@]}"; do
		inns "$h" ethtool -K eth0 tx off >/dev/null 2>&1 || lab_die "ethtool tx off in $h"
	done
	for h in "${LAB_CLIENTS[@]}"; do
		inns "$h" ethtool -K eth0 gro on >/dev/null 2>&1 || lab_die "ethtool gro on in $h"
	done
}

# lab_shards: the decapsulator and the service on every shard host.
lab_shards() {
	local h i
	ks decap --help >/dev/null # resolves which binary has it
	for h in "${LAB_HOSTS[@]}"; do
		inns "$h" "$LAB_KS" decap attach --iface eth0 \
			--pin-root "$LAB_PIN/decap-$h" --obj "$LAB_BUILD/bpf/ks_decap.bpf.o" \
			>/dev/null || lab_die "decapsulator on $h"
		lab_bg "$h" "$LAB_BUILD/lab/ks-shard" --shard "${LAB_SHARD[$h]}" --host "$h" \
			--udp "$LAB_LISTEN:$LAB_UDP" --udp "[$LAB_LISTEN6]:$LAB_UDP" \
			--tcp "$LAB_LISTEN:$LAB_TCP" --tcp "[$LAB_LISTEN6]:$LAB_TCP" \
			--udp "${LAB_VIP[$h]}:8080" --tcp "${LAB_VIP[$h]}:8080" \
			--udp "[${LAB_VIP6[$h]}]:8080" --tcp "[${LAB_VIP6[$h]}]:8080" \
			--stats "$LAB_DIR/$h.stats" --ready "$LAB_DIR/$h.ready"
		LAB_SHARD_PIDS+=($!)
	done
	for h in "${LAB_HOSTS[@]}"; do
		for i in $(seq 50); do [ -e "$LAB_DIR/$h.ready" ] && break; sleep 0.1; done
		[ -e "$LAB_DIR/$h.ready" ] || lab_die "service on $h did not start"
	done
}

# lab_router_start [ARGS...]: keysteerd in the router namespace, on the feed:
# with XDP on the router's veths, or, with LAB_ROUTER=dpdk, publishing into
# keysteer-dpdk's shared table (lab_dpdk_start -) instead.
lab_router_start() {
	local i dp=()
	if [ "${LAB_ROUTER:-xdp}" = dpdk ]; then
		dp=(--dpdk-table "$LAB_DIR/dpdk.tbl")
	else
		for i in "${LAB_CLIENTS[@]}" "${LAB_HOSTS[@]}"; do dp+=(--iface "$i"); done
		dp+=(--xdp-mode "${LAB_XDP_MODE:-native}" --pin-root "$LAB_PIN/router"
			--bpf-obj "$LAB_BUILD/bpf/ks_router.bpf.o" --max-routes 4096)
	fi
	rm -f "$LAB_SOCK"
	nsenter --net="/run/netns/$LAB_P-rt" "$LAB_KSD" "${dp[@]}" --feed "file:$LAB_FEED" \
		--socket "$LAB_SOCK" --metrics 127.0.0.1:9464 --host-id "$LAB_P" --log-level info \
		"$@" 2>>"$LAB_DLOG" &
	LAB_DPID=$!
	LAB_PIDS+=("$LAB_DPID")
	for i in $(seq 100); do
		ks status --socket "$LAB_SOCK" >/dev/null 2>&1 && return 0
		kill -0 "$LAB_DPID" 2>/dev/null || break
		sleep 0.1
	done
	tail -n 20 "$LAB_DLOG" >&2
	lab_die "keysteerd did not come up"
}

# lab_dpdk_start RULES: keysteer-dpdk as the router instead of keysteerd and
# XDP, on net_af_packet ports over the router's veths (c1 c2 s1..s4 are
# ports 0..5), standalone on RULES (a rule change restarts it; the
# connection table survives in a file), or with RULES "-" on whatever
# keysteerd publishes into the shared table (LAB_ROUTER=dpdk). The kernel still sees every frame
# (AF_PACKET does not take them), which is what keeps ARP, answers and the
# router's own traffic working; blackhole routes keep it from answering
# listener traffic itself. One lcore busy-polls. LAB_DPDK_PID.
lab_dpdk_start() {
	local i p=0 n=2 h vdevs=() neighs=() rules=()
	[ "$1" = - ] || rules=(--rules "$1")
	lab_dpdk_stop
	[ -x "$LAB_BUILD/keysteer-dpdk" ] || lab_die "missing $LAB_BUILD/keysteer-dpdk (make $LAB_BUILD/keysteer-dpdk)"
	[ "$(awk '/HugePages_Free/ { print $2 }' /proc/meminfo)" -ge 64 ] ||
		lab_die "fewer than 64 free 2 MiB hugepages (make deps)"
	if [ -z "${LAB_DPDK_ROUTES:-}" ]; then
		ip -n "$(ns rt)" route add blackhole "$LAB_LISTEN/32"
		ip -n "$(ns rt)" -6 route add blackhole "$LAB_LISTEN6/128"
		# NAT answers (from a VIP's port 8080) are keysteer-dpdk's to
		# translate; forwarded untranslated by the kernel as well, they
		# would also come back to keysteer-dpdk as outgoing frames on the
		# client port and be translated twice.
		inns rt nft -f - <<-NFT || lab_die "nft in rt"
			table inet kslab_dpdk {
				chain forward {
					type filter hook forward priority 0; policy accept;
					ip saddr 10.99.0.0/16 th sport 8080 drop
					ip6 saddr fd99::/16 th sport 8080 drop
				}
			}
		NFT
		LAB_DPDK_ROUTES=1
	fi
	for i in "${LAB_CLIENTS[@]}" "${LAB_HOSTS[@]}"; do
		vdevs+=(--vdev "net_af_packet$p,iface=$i")
		p=$((p + 1))
	done
	for h in "${LAB_HOSTS[@]}"; do
		neighs+=(--neigh "${LAB_VIP[$h]}=$(mac_of "$h" eth0)@$n")
		neighs+=(--neigh "${LAB_VIP6[$h]}=$(mac_of "$h" eth0)@$n")
		n=$((n + 1))
	done
	n=0
	for h in "${LAB_CLIENTS[@]}"; do
		neighs+=(--neigh "10.98.$((n + 1)).2=$(mac_of "$h" eth0)@$n")
		neighs+=(--neigh "fd98:$((n + 1))::2=$(mac_of "$h" eth0)@$n")
		n=$((n + 1))
	done
	nsenter --net="/run/netns/$LAB_P-rt" "$LAB_BUILD/keysteer-dpdk" -l 0-1 -n 1 --no-pci \
		--file-prefix "$LAB_P" --huge-unlink -m 128 "${vdevs[@]}" -- "${rules[@]}" \
		--table "$LAB_DIR/dpdk.tbl" --flows-file "$LAB_DIR/dpdk.flows" --src 10.97.1.1 \
		--src fd97:1::1 "${neighs[@]}" >>"$LAB_DIR/dpdk.log" 2>&1 &
	LAB_DPDK_PID=$!
	LAB_PIDS+=("$LAB_DPDK_PID")
	for i in $(seq 100); do
		grep -q "polls" "$LAB_DIR/dpdk.log" 2>/dev/null && return 0
		kill -0 "$LAB_DPDK_PID" 2>/dev/null || break
		sleep 0.1
	done
	tail -n 20 "$LAB_DIR/dpdk.log" >&2
	lab_die "keysteer-dpdk did not come up"
}
lab_dpdk_stop() {
	[ -n "${LAB_DPDK_PID:-}" ] || return 0
	lab_stop_wait "$LAB_DPDK_PID" 10
	cat "$LAB_DIR/dpdk.log" >>"$LAB_DIR/dpdk.log.all"
	: >"$LAB_DIR/dpdk.log"
	LAB_DPDK_PID=
}

# lab_feed FILE: publish a rule set on the feed (atomic rename).
lab_feed() {
	mkdir -p "$(dirname "$LAB_FEED")"
	cp "$1" "$LAB_FEED.tmp" && mv "$LAB_FEED.tmp" "$LAB_FEED"
}

# lab_rules TEMPLATE VERSION [OUT]: a rule set from a template with the version set.
lab_rules() {
	local out=${3:-$LAB_DIR/rules-$2.json}
	jq --argjson v "$2" '.version = $v' "$1" >"$out" || lab_die "rules from $1"
	echo "$out"
}

lab_version() { ks status -j 2>/dev/null | jq -r '.rules.active_version // 0'; }

# lab_wait_version V: until the tables steer by version V (10 s).
lab_wait_version() {
	local i
	for i in $(seq 100); do
		[ "$(lab_version)" = "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# lab_wait_resolved KEY...: until every target of every KEY has its next hop (10 s).
lab_wait_resolved() {
	local i k ok
	for i in $(seq 100); do
		ok=1
		for k in "$@"; do
			ks lookup -j "$k" 2>/dev/null |
				jq -e '[.targets[].next_hop.resolved] | all' >/dev/null 2>&1 || ok=
		done
		[ -n "$ok" ] && return 0
		sleep 0.1
	done
	return 1
}

# lab_up RULES [KEY...]: the whole lab, following RULES; waits for the keys' next hops.
lab_up() {
	local rules=$1 v
	shift
	lab_log "lab $LAB_P: namespaces and veths"
	lab_net
	lab_log "lab $LAB_P: decapsulators and services on ${LAB_HOSTS[*]}"
	lab_shards
	if [ "${LAB_ROUTER:-xdp}" = dpdk ]; then
		lab_log "lab $LAB_P: keysteerd publishing to keysteer-dpdk's shared table"
	else
		lab_log "lab $LAB_P: keysteerd on the router (XDP ${LAB_XDP_MODE:-native})"
	fi
	lab_feed "$rules"
	lab_router_start
	v=$(jq -r .version "$rules")
	lab_wait_version "$v" || {
		tail -n 20 "$LAB_DLOG" >&2
		lab_die "rule set version $v was not applied"
	}
	if [ "${LAB_ROUTER:-xdp}" = dpdk ]; then
		# Next hops are keysteer-dpdk's own (--neigh): nothing to resolve.
		lab_log "lab $LAB_P: keysteer-dpdk on the router's veths, on that table"
		lab_dpdk_start -
		return 0
	fi
	if [ $# -gt 0 ]; then lab_wait_resolved "$@" || lab_die "next hops of $* not resolved"; fi
	return 0
}

# lab_demo_variant N VERSION: publish the demo rule set as VERSION with the
# canary's weight and VIP by N % 4 (5% or 50%; 10.99.2.10 on s2 or
# 10.99.2.20 on s4): the changes the swap tests cycle through.
lab_demo_variant() {
	local w vip
	case $(($1 % 4)) in
	0) w=5 vip=10.99.2.10 ;;
	1) w=50 vip=10.99.2.10 ;;
	2) w=50 vip=10.99.2.20 ;;
	3) w=5 vip=10.99.2.20 ;;
	esac
	jq --argjson v "$2" --argjson w $w --arg vip $vip '.version = $v |
		.shards["cw-canary"].vip = $vip |
		(.routes[] | select(.to | length == 2) | .to) =
			[{"shard": "cw-default", "weight": (100 - $w)}, {"shard": "cw-canary", "weight": $w}]' \
		"$LAB_ROOT/rules/demo/rules.json" >"$LAB_DIR/variant.json"
	lab_feed "$LAB_DIR/variant.json"
}

# lab_cgroup NAME: a cgroup v2 directory for this lab (created), printed.
# (Called in $(...): everything it needs is set by lab_init.)
lab_cgroup() {
	mkdir -p "$LAB_CG/$1" || lab_die "mkdir $LAB_CG/$1"
	echo "$LAB_CG/$1"
}

# lab_client HOST udp|tcp ARGS...: the lab client in a client namespace.
lab_client() {
	local h=$1
	shift
	inns "$h" "$LAB_CLIENT" "$@"
}

# lab_client_bg HOST udp|tcp ARGS...: the same in the background; its pid
# (the client itself, so a signal reaches it) in LAB_CLIENT_PID.
lab_client_bg() {
	local h=$1
	shift
	nsenter --net="/run/netns/$LAB_P-$h" "$LAB_CLIENT" "$@" &
	LAB_CLIENT_PID=$!
	LAB_PIDS+=("$LAB_CLIENT_PID")
}

# lab_stop_wait PID [SECONDS]: SIGTERM, then wait for it (bounded, 10 s).
lab_stop_wait() {
	local i
	kill -TERM "$1" 2>/dev/null || true
	for i in $(seq $((${2:-10} * 10))); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	wait "$1" 2>/dev/null || true
}

# lab_decap_count HOST OUTCOME: packets the host's decapsulator counted (gue, ipip, pass, ...).
lab_decap_count() {
	inns "$1" "$LAB_KS" decap stats -j --pin-root "$LAB_PIN/decap-$1" |
		jq -r ".counters.$2.packets"
}

# lab_shard_stats: the shards' own counters, one JSON object per host.
lab_shard_stats() {
	local h p
	for p in "${LAB_SHARD_PIDS[@]}"; do kill -USR1 "$p" 2>/dev/null || true; done
	sleep 0.3
	for h in "${LAB_HOSTS[@]}"; do cat "$LAB_DIR/$h.stats" 2>/dev/null; echo; done
}

# Test helpers: ok/not_ok/check and a verdict.
LAB_PASSES=0
LAB_FAILS=0
ok() {
	LAB_PASSES=$((LAB_PASSES + 1))
	echo "${C_G}ok${C_0} - $*"
}
not_ok() {
	LAB_FAILS=$((LAB_FAILS + 1))
	echo "${C_R}not ok${C_0} - $*"
}
check() { # check DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}
lab_finish() {
	echo "$LAB_PASSES passed, $LAB_FAILS failed"
	if [ "$LAB_FAILS" -ne 0 ]; then
		echo "--- keysteerd log (last 30 lines)"
		tail -n 30 "$LAB_DLOG" 2>/dev/null || true
	fi
	[ "$LAB_FAILS" -eq 0 ]
}
# jq_of FILE FILTER: one value from a JSON file.
jq_of() { jq -r "$2" "$1"; }
# jqe FILE FILTER: the filter holds for the client's JSON (shown when not).
jqe() { jq -e "$2" "$1" >/dev/null || { echo "# $(jq -c 'del(.per_key)' "$1")"; return 1; }; }
# lab_clean FILE N: N sent, all answered, none lost, misrouted, corrupt or late.
lab_clean() {
	jqe "$1" ".sent == $2 and .answered == $2 and .lost == 0 and .misrouted == 0 and
		.corrupt == 0 and .late == 0 and .send_errors == 0"
}
# lab_within A B PCT: |A - B| <= PCT (floats).
lab_within() { awk -v a="$1" -v b="$2" -v p="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= p) }'; }
# lab_share FILE SHARD: the shard's share of the answers, in percent.
lab_share() { jq -r --arg s "$2" '(.per_shard[$s] // 0) * 100 / .answered' "$1"; }
