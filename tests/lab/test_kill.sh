#!/bin/bash
# End to end over the lab: keysteerd SIGKILL'd under load. The XDP router and
# its tables stay in the kernel, so keyed UDP and tagged TCP keep flowing
# with nobody in control; a restarted keysteerd re-adopts the running router
# (no reload), keeps the active version, and follows the feed again. Not one
# request lost; no TCP connection broken or moved, including connections
# opened while the daemon was dead.
# With LAB_ROUTER=dpdk (make check-lab-dpdk-kill) the router is keysteer-dpdk
# on the shared table keysteerd publishes into: the table outlives the daemon
# the same way.
BUILD=${1:-build}
source "$(dirname "$0")/lab.sh"
lab_init "$BUILD"

HOME_K=ContinueWatchingRanking/demo/home
FRAUD_K=FraudScore/demo/checkout
CW=cw-default,cw-canary
xdp_on_all() {
	local i
	for i in "${LAB_CLIENTS[@]}" "${LAB_HOSTS[@]}"; do
		ip -n "$(ns rt)" link show "$i" | grep -q 'xdp' || return 1
	done
}
steered() { ks stats -j | jq -r '.stats.reasons.steered.packets'; }
if [ "${LAB_ROUTER:-xdp}" = dpdk ]; then
	ROUTER_UP="keysteer-dpdk is still running"
	router_up() { kill -0 "$LAB_DPDK_PID" 2>/dev/null; }
else
	ROUTER_UP="the XDP router is still attached to every interface"
	router_up() { xdp_on_all; }
fi

lab_up "$LAB_ROOT/rules/demo/rules.json" "$HOME_K" "$FRAUD_K"
TAGGED=$(lab_cgroup tagged)
ks tag --cgroup "$TAGGED" --key "$HOME_K" >/dev/null || not_ok "keysteer tag"

lab_client_bg c1 udp --to "$LAB_LISTEN:$LAB_UDP" --key "$HOME_K" --key "$FRAUD_K" --flows 0 \
	--reqs 5 --rate 3000 --concurrency 64 --allow "$HOME_K=$CW" --allow "$FRAUD_K=fraud" \
	--progress "$LAB_DIR/u.progress" --out "$LAB_DIR/u.json"
U=$LAB_CLIENT_PID
lab_client_bg c2 tcp --to "$LAB_LISTEN:$LAB_TCP" --key "$HOME_K" --flows 0 --reqs 25 \
	--interval-ms 100 --concurrency 20 --timeout-ms 2000 --cgroup "$TAGGED" \
	--allow "$HOME_K=$CW" --out "$LAB_DIR/t.json"
T=$LAB_CLIENT_PID
sleep 1.5

answered() { jq -r .answered "$LAB_DIR/u.progress"; }
kill -KILL "$LAB_DPID"
wait "$LAB_DPID" 2>/dev/null || true
check "keysteerd is gone" bash -c "! kill -0 $LAB_DPID 2>/dev/null"
check "$ROUTER_UP" router_up
a0=$(answered)
sleep 2
a1=$(answered)
check "traffic kept flowing for 2 s without keysteerd ($((a1 - a0)) answers, 3000/s offered)" test $((a1 - a0)) -gt 1000

lab_router_start
[ "${LAB_ROUTER:-xdp}" = dpdk ] ||
	check "restart re-adopted the running router" grep -q "re-adopted the running router" "$LAB_DLOG"
check "restart kept version 1 active" lab_wait_version 1
# The feed moves on: the restarted daemon follows it.
jq '.version = 2' "$LAB_ROOT/rules/demo/step-1-canary-50.json" >"$LAB_DIR/v2.json"
lab_feed "$LAB_DIR/v2.json"
check "after the restart the feed's next version (2) is applied" lab_wait_version 2
sleep 1.5
lab_stop_wait "$U"
lab_stop_wait "$T" 5
echo "# udp: $(jq -c '{sent, answered, lost, misrouted, corrupt, late}' "$LAB_DIR/u.json")"
check "UDP: every request answered across the kill and the restart" \
	jqe "$LAB_DIR/u.json" '.sent > 10000 and .answered == .sent and .lost == 0 and
		.misrouted == 0 and .corrupt == 0'
echo "# tcp: $(jq -c '{flows_started, flows_done, answered, conns_failed, flows_moved}' "$LAB_DIR/t.json")"
check "TCP: no connection failed or moved (pins survived the daemon)" \
	jqe "$LAB_DIR/t.json" '.flows_done >= 20 and .conns_failed == 0 and .flows_moved == 0 and
		.misrouted == 0 and .corrupt == 0'
check "the restarted daemon counts steered packets from the same tables" test "$(steered)" -gt 10000
if [ "${LAB_ROUTER:-xdp}" = dpdk ]; then
	check "keysteer-dpdk ran throughout (never restarted)" router_up
else
	check "exactly one router program loaded in the lab's pins (no reload)" \
		test "$(grep -c 'loaded the router' "$LAB_DLOG")" = 1
fi
lab_finish
