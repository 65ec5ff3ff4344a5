#!/bin/bash
# make demo: the keysteer lab, narrated (tests/lab/lab.sh builds it).
#
# Two clients send keyed UDP and tagged kernel TCP through an edge router
# running keysteerd with native XDP; three shards (plus the canary's next
# home) answer with their names. While traffic flows the demo follows the
# demo feed (rules/demo): the canary goes from 5% to 50%, moves to a new VIP,
# and is rolled back. Every request is checked by the client: answered, by a
# shard the key's route allows, byte for byte. Cleans up on exit and Ctrl-C.
#
#   bash mk/demo.sh [BUILD]        PHASE=SECONDS sets each phase's length (6)
set -uo pipefail
BUILD=${1:-build}
PHASE=${PHASE:-6}
cd "$(dirname "$0")/.." || exit 1
source tests/lab/lab.sh
LAB_QUIET=1
lab_init "$BUILD"

HOME_K=ContinueWatchingRanking/demo/home
KIDS_K=ContinueWatchingRanking/demo/kids
FRAUD_K=FraudScore/demo/checkout
KEYS=("$HOME_K" "$KIDS_K" "$FRAUD_K")
CW=cw-default,cw-canary
TTY=
[ -t 1 ] && TTY=1
W=78

# ---- presentation ----
rule() { printf '%s%*s%s\n' "$C_D" "$W" '' "$C_0" | tr ' ' '-'; }
section() {
	echo
	printf '%s%s %s%s\n' "$C_B$C_C" "$1" "$2" "$C_0"
	rule
}
say() { printf '  %s\n' "$*"; }
done_() { printf '  %s✓%s %s\n' "$C_G" "$C_0" "$*"; }
cmd() { printf '  %s$ %s%s\n' "$C_Y" "$*" "$C_0"; }
indent() { sed 's/^/    /'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%5.1f%%", 100 * a / b; else printf "    -" }'; }
ms() { awk -v x="$1" 'BEGIN { printf "%.1f ms", x }'; }

# ---- the lab ----
banner() {
	printf '\n%s  keysteer demo%s: routing by key at the edge, in XDP\n' "$C_B" "$C_0"
	cat <<EOF

   client c1 ─┐                                  ┌─ s1  cw-default  VIP 10.99.1.10
              ├── router: XDP on every port ─────┼─ s2  cw-canary   VIP 10.99.2.10
   client c2 ─┘   keysteerd follows the feed     ├─ s3  fraud       VIP 10.99.3.10
                  listener 10.99.0.1             └─ s4  (cw-canary's next home, 10.99.2.20)
                  UDP 7000, TCP 7443

  Clients never see a VIP, only keys. The router reads the 16-byte routing
  header (UDP) or the SYN's TCP option, picks the shard by weight, and sends
  the packet on in GUE; the shard's decapsulator unwraps it and the service
  answers the client directly with its own name.
EOF
}

# lookup_line KEY: "shard VIP weight" for each target of KEY, from the router's tables.
route_table() {
	local k
	printf '  %s%-36s %-7s %s%s\n' "$C_D" "key" "sticky" "targets (shard, VIP, share of buckets)" "$C_0"
	for k in "${KEYS[@]}"; do
		ks lookup -j "$k" | jq -r '[.key_text, .sticky,
			([.targets[] | "\(.shard) \(.vip) \(.weight_percent * 10 | round / 10)%"] | join("  |  "))]
			| @tsv' | awk -F'\t' '{ printf "  %-36s %-7s %s\n", $1, $2, $3 }'
	done
}

# ---- traffic ----
start_traffic() {
	lab_client_bg c1 udp --to "$LAB_LISTEN:$LAB_UDP" --key "$HOME_K" --flows 0 --reqs 10 \
		--rate 1200 --concurrency 48 --allow "$HOME_K=$CW" \
		--progress "$LAB_DIR/u1.prog" --out "$LAB_DIR/u1.json"
	U1=$LAB_CLIENT_PID
	lab_client_bg c2 udp --to "$LAB_LISTEN:$LAB_UDP" --key "$KIDS_K" --key "$FRAUD_K" \
		--entities 64 --flows 0 --reqs 10 --rate 800 --concurrency 48 \
		--allow "$KIDS_K=$CW" --allow "$FRAUD_K=fraud" \
		--progress "$LAB_DIR/u2.prog" --out "$LAB_DIR/u2.json"
	U2=$LAB_CLIENT_PID
	lab_client_bg c2 tcp --to "$LAB_LISTEN:$LAB_TCP" --key "$HOME_K" --flows 0 --reqs 16 \
		--interval-ms 150 --concurrency 12 --timeout-ms 3000 --cgroup "$TAGGED" \
		--allow "$HOME_K=$CW" --progress "$LAB_DIR/t.prog" --out "$LAB_DIR/t.json"
	T=$LAB_CLIENT_PID
}

# snap NAME: keep the clients' current counts as NAME (SIGUSR1: they write
# them at once).
snap() {
	local f
	kill -USR1 "$U1" "$U2" "$T" 2>/dev/null
	sleep 0.05
	for f in u1 u2 t; do cp "$LAB_DIR/$f.prog" "$LAB_DIR/$f.$1" 2>/dev/null || echo '{}' >"$LAB_DIR/$f.$1"; done
}

# totals: sent answered lost misrouted corrupt (both UDP clients) and TCP open/done/failed/moved.
totals() {
	jq -rs '{s: (map(.sent // 0) | add), a: (map(.answered // 0) | add), l: (map(.lost // 0) | add),
		m: (map(.misrouted // 0) | add), c: (map(.corrupt // 0) | add)}
		| "\(.s) \(.a) \(.l) \(.m) \(.c)"' "$LAB_DIR/u1.$1" "$LAB_DIR/u2.$1"
}
tcp_totals() {
	jq -r '"\((.flows_started // 0) - (.flows_done // 0) - (.conns_failed // 0)) \(.flows_done // 0) \(.conns_failed // 0) \(.flows_moved // 0) \(.answered // 0)"' "$LAB_DIR/t.$1"
}

# live_line LABEL: one line, under 80 columns (it is redrawn in place on a tty).
live_line() {
	local s a l m c o d f mv ta bad ok
	read -r s a l m c <<<"$(totals now)"
	read -r o d f mv ta <<<"$(tcp_totals now)"
	ok=$C_G bad=$C_G
	[ "$l$m$c" = 000 ] || ok=$C_R
	[ "$mv$f" = 00 ] || bad=$C_R
	printf '  %s%-6s%s UDP %5d sent %5d answers %s%d lost %d misrouted%s | TCP %3d done %s%d moved%s' \
		"$C_B" "$1" "$C_0" "$s" "$a" "$ok" "$l" "$m" "$C_0" "$d" "$bad" "$mv" "$C_0"
}

# run_phase SECONDS: let traffic flow, with a live line.
run_phase() {
	local i n=$(($1 * 2))
	for i in $(seq "$n"); do
		sleep 0.5
		snap now
		if [ -n "$TTY" ]; then
			printf '\r'
			live_line "t+$((i / 2)).$((i % 2 * 5))s"
			printf '\e[K'
		elif [ $((i % 4)) = 0 ] || [ "$i" = "$n" ]; then
			live_line "t+$((i / 2))s"
			echo
		fi
	done
	[ -n "$TTY" ] && echo
}

# phase_table FROM TO: answers between two snapshots, per key and server.
phase_table() {
	jq -rs '
		def delta(a; b): (b.per_key // {}) as $B | (a.per_key // {}) as $A
			| [$B | to_entries[] | .key as $k | .value | to_entries[]
			   | {key: $k, server: .key, n: (.value - ($A[$k][.key] // 0))}];
		(delta(.[0]; .[1]) + delta(.[2]; .[3]) + (delta(.[4]; .[5]) | map(.key = "TCP " + .key)))
		| map(select(.n > 0)) | group_by(.key)
		| .[] | sort_by(.server) | (map(.n) | add) as $tot | .[]
		| [.key, (.server | split("@")[0]), (.server | split("@")[1]), .n, $tot] | @tsv' \
		"$LAB_DIR/u1.$1" "$LAB_DIR/u1.$2" "$LAB_DIR/u2.$1" "$LAB_DIR/u2.$2" \
		"$LAB_DIR/t.$1" "$LAB_DIR/t.$2" >"$LAB_DIR/table.tsv"
	printf '  %s%-40s %-11s %-5s %8s %7s%s\n' "$C_D" "answers in this phase, by key" "shard" "host" \
		"answers" "share" "$C_0"
	local prev='' k s h n tot label
	while IFS=$'\t' read -r k s h n tot; do
		label=$k
		[ "$k" = "$prev" ] && label=''
		prev=$k
		printf '  %-40s %-11s %-5s %8d %7s\n' "$label" "$s" "$h" "$n" "$(pct "$n" "$tot")"
	done <"$LAB_DIR/table.tsv"
}

# publish FILE SNAP: put a rule set on the feed, report the apply, and
# snapshot the clients' counts as SNAP the moment it is active.
publish() {
	local v ver tot ent comp
	v=$(jq -r .version "$1")
	cmd "mv ${1#"$LAB_ROOT"/}  \$feed   # the file keysteerd --feed file:\$feed watches"
	lab_feed "$1"
	if lab_wait_version "$v"; then
		snap "$2"
		read -r ver tot ent comp <<<"$(ks status -j |
			jq -r '.rules.attempts[0] | "\(.version) \(.total_ms) \(.entries_written) \(.compile)"')"
		done_ "version $ver applied: $comp compile, $ent table entr$([ "$ent" = 1 ] && echo y || echo ies) written, $(ms "$tot") from file to flip"
	else
		snap "$2"
		printf '  %s✗ version %s was not applied%s\n' "$C_R" "$v" "$C_0"
		FAILED=1
	fi
}

verdict() {
	local s a l m c o d f mv ta ok=1
	read -r s a l m c <<<"$(totals end)"
	read -r o d f mv ta <<<"$(tcp_totals end)"
	section "7." "The verdict (client side: every request checked)"
	printf '  %-48s %10s\n' "UDP requests sent" "$s"
	printf '  %-48s %10s\n' "  answered" "$a"
	printf '  %-48s %10s\n' "  lost (no answer within 1 s)" "$l"
	printf '  %-48s %10s\n' "  misrouted (shard not in the key's route)" "$m"
	printf '  %-48s %10s\n' "  corrupted (echo differs from what was sent)" "$c"
	printf '  %-48s %10s\n' "TCP connections (tagged, kernel TCP) completed" "$d"
	printf '  %-48s %10s\n' "  requests answered on them" "$ta"
	printf '  %-48s %10s\n' "  failed" "$f"
	printf '  %-48s %10s\n' "  moved to another shard mid-connection" "$mv"
	[ "$s" -gt 0 ] && [ "$s" = "$a" ] && [ "$l$m$c" = 000 ] && [ "$f$mv" = 00 ] && [ "$d" -gt 0 ] || ok=
	[ -z "${FAILED:-}" ] || ok=
	echo
	if [ -n "$ok" ]; then
		printf '  %s✓ nothing lost, nothing misrouted, no connection moved — across 3 rule changes%s\n' "$C_B$C_G" "$C_0"
	else
		printf '  %s✗ something went wrong: see above%s\n' "$C_B$C_R" "$C_0"
	fi
	[ -n "$ok" ]
}

# ============================================================================
T0=$(date +%s)
banner

section "1." "Building the lab"
lab_net
done_ "7 network namespaces, veths with native XDP on the router (ip_forward on)"
lab_shards
done_ "keysteer decap attached on s1..s4; services answer on the listener address"
lab_feed "$LAB_ROOT/rules/demo/rules.json"
lab_router_start
lab_wait_version 1 && lab_wait_resolved "${KEYS[@]}" || lab_die "keysteerd did not apply rules/demo/rules.json"
done_ "keysteerd: XDP router on c1 c2 s1 s2 s3 s4, following rules/demo/rules.json (version 1)"

section "2." "The rule set the router steers by (keysteer lookup KEY)"
route_table

section "3." "Clients"
TAGGED=$(lab_cgroup tcp-clients)
cmd "keysteer tag --cgroup $TAGGED --key $HOME_K"
ks tag --cgroup "$TAGGED" --key "$HOME_K" >/dev/null && done_ "TCP SYNs from that cgroup now carry the key (sockops, TCP option 253)"
answer=$(inns c1 bash -c "echo \$\$ > $TAGGED/cgroup.procs
	exec 3<>/dev/tcp/$LAB_LISTEN/$LAB_TCP && echo hello >&3 && timeout 3 head -n1 <&3" 2>&1)
cmd "echo hello > /dev/tcp/$LAB_LISTEN/$LAB_TCP   # plain bash, in the tagged cgroup, on c1"
say "answer: $C_B$answer$C_0"
start_traffic
say "c1  UDP  $HOME_K   1200 req/s (sticky: flow)"
say "c2  UDP  $KIDS_K   + $FRAUD_K   800 req/s (64 users; sticky: entity)"
say "c2  TCP  $HOME_K   12 kernel TCP connections at a time, 16 requests each"
sleep 1
snap p0

section "4." "Version 1: canary at 5%"
run_phase "$PHASE"
snap p1
phase_table p0 p1

section "5." "Change 1 (rules/demo/step-1-canary-50.json): the canary takes 50%"
publish "$LAB_ROOT/rules/demo/step-1-canary-50.json" a1
route_table
run_phase "$PHASE"
snap p2
phase_table a1 p2
say "TCP connections opened before the change stay where they were pinned;"
say "new ones follow the new weights."

section "6." "Change 2 (rules/demo/step-2-move-canary.json): cw-canary moves to 10.99.2.20"
publish "$LAB_ROOT/rules/demo/step-2-move-canary.json" a2
say "Only the shard's VIP changed: both keys follow it in one swap (host s4 now answers)."
run_phase "$PHASE"
snap p3
phase_table a2 p3
say "TCP connections pinned to 10.99.2.10 before the move finish on s2."
echo
cmd "keysteer rollback 2"
ks rollback 2 >/dev/null && lab_wait_version 2 && done_ "rolled back to version 2: cw-canary is on 10.99.2.10 (s2) again" ||
	{ printf '  %s✗ rollback failed%s\n' "$C_R" "$C_0"; FAILED=1; }
snap a3
run_phase "$PHASE"
snap p4
phase_table a3 p4

lab_stop_wait "$U1"
lab_stop_wait "$U2"
lab_stop_wait "$T" 5
for f in u1 u2 t; do cp "$LAB_DIR/$f.json" "$LAB_DIR/$f.end"; done
echo
cmd "keysteer stats   # the router's own counters (non-zero rows)"
ks stats | awk 'NR == 1 || !($(NF - 1) == "0" && $NF == "0")' | indent
cmd "keysteer status"
ks status | head -n 9 | indent
verdict
rc=$?
echo
say "$(($(date +%s) - T0)) s; cleaning up the lab (namespaces, XDP, pins, cgroups)."
exit $rc
