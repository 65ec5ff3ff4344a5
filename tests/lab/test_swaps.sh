#!/bin/bash
# End to end over the lab: 100 rule swaps through the file feed while keyed
# UDP (flow- and entity-sticky keys, two clients) and tagged TCP connections
# flow, cycling the demo feed's changes (canary 5% <-> 50%, canary VIP
# 10.99.2.10 on s2 <-> 10.99.2.20 on s4). Not one request may be lost,
# answered by a shard its key's route does not allow, or corrupted, and no
# TCP connection may fail or change shard. With LAB_ROUTER=dpdk (make
# check-lab-dpdk-swaps) keysteerd publishes each version into keysteer-dpdk's
# shared table and keysteer-dpdk is the router.
BUILD=${1:-build}
SWAPS=${SWAPS:-100}
source "$(dirname "$0")/lab.sh"
lab_init "$BUILD"

HOME_K=ContinueWatchingRanking/demo/home
KIDS_K=ContinueWatchingRanking/demo/kids
FRAUD_K=FraudScore/demo/checkout
CW=cw-default,cw-canary

lab_up "$LAB_ROOT/rules/demo/rules.json" "$HOME_K" "$KIDS_K" "$FRAUD_K"
TAGGED=$(lab_cgroup tagged)
ks tag --cgroup "$TAGGED" --key "$HOME_K" >/dev/null || not_ok "keysteer tag"

lab_client_bg c1 udp --to "$LAB_LISTEN:$LAB_UDP" --key "$HOME_K" --key "$KIDS_K" --flows 0 \
	--reqs 5 --entities 64 --rate 2500 --concurrency 64 --allow "$HOME_K=$CW" \
	--allow "$KIDS_K=$CW" --out "$LAB_DIR/u1.json"
U1=$LAB_CLIENT_PID
lab_client_bg c2 udp --to "$LAB_LISTEN:$LAB_UDP" --key "$FRAUD_K" --key "$HOME_K" --flows 0 \
	--reqs 5 --rate 1500 --concurrency 64 --allow "$HOME_K=$CW" --allow "$FRAUD_K=fraud" \
	--out "$LAB_DIR/u2.json"
U2=$LAB_CLIENT_PID
lab_client_bg c2 tcp --to "$LAB_LISTEN:$LAB_TCP" --key "$HOME_K" --flows 0 --reqs 30 \
	--interval-ms 100 --concurrency 24 --timeout-ms 2000 --cgroup "$TAGGED" \
	--allow "$HOME_K=$CW" --out "$LAB_DIR/t.json"
T=$LAB_CLIENT_PID
sleep 1

start=$(date +%s.%N)
applied=0
for i in $(seq 1 "$SWAPS"); do
	lab_demo_variant "$i" $((i + 1))
	lab_wait_version $((i + 1)) || break
	applied=$((applied + 1))
	sleep 0.05
done
secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
echo "# $applied swaps in $secs s"
check "$SWAPS rule swaps applied one by one under load" test "$applied" = "$SWAPS"
sleep 1
lab_stop_wait "$U1"
lab_stop_wait "$U2"
lab_stop_wait "$T" 5
for f in u1 u2; do
	echo "# $f: $(jq -c '{sent, answered, lost, misrouted, corrupt, late, per_server}' "$LAB_DIR/$f.json")"
	check "UDP client $f: every request answered, none misrouted or corrupted" \
		jqe "$LAB_DIR/$f.json" '.sent > 5000 and .answered == .sent and .lost == 0 and
			.misrouted == 0 and .corrupt == 0 and .send_errors == 0'
done
check "the canary served from both of its VIPs (s2 and s4)" \
	jqe "$LAB_DIR/u1.json" '.per_server["cw-canary@s2"] > 0 and .per_server["cw-canary@s4"] > 0'
echo "# tcp: $(jq -c '{flows_started, flows_done, answered, conns_failed, flows_moved, per_server}' "$LAB_DIR/t.json")"
check "TCP: no connection failed or changed shard across the swaps" \
	jqe "$LAB_DIR/t.json" '.flows_done > 24 and .conns_failed == 0 and .flows_moved == 0 and
		.misrouted == 0 and .corrupt == 0 and .answered > 500'
ks status -j >"$LAB_DIR/status.json"
echo "# keysteerd attempts: $(jq -c .rules.counts "$LAB_DIR/status.json")"
check "keysteerd: all $((SWAPS + 1)) versions applied, none rejected or failed" \
	jqe "$LAB_DIR/status.json" ".rules.active_version == $((SWAPS + 1)) and
		.rules.counts.applied == $((SWAPS + 1)) and ([.rules.counts[]] | add) == $((SWAPS + 1))"
lab_finish
