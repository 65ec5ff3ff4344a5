#!/bin/bash
# End to end over the lab (tests/lab/lab.sh) with keysteerd and the XDP
# router: shadow copies. XDP cannot clone, so the router hands each sampled
# datagram to its tc program (bpf/ks_shadow.bpf.c, docs/shadow.md), which
# sends a SHADOW-marked copy to the shadow shard and steers the original.
#  - every primary is answered by the route's own shard, byte for byte, none
#    lost, late or misrouted;
#  - copies arrive at the shadow shard marked SHADOW at the configured 10%
#    +- 2% of 20k flows, and the shadow shard answers none of them (a copy
#    without the flag would be answered);
#  - the router's counters agree: as many shadow_copy outcomes and key shadow
#    packets as copies the shard received.
BUILD=${1:-build}
source "$(dirname "$0")/lab.sh"
lab_init "$BUILD"

L4=$LAB_LISTEN:$LAB_UDP
FLOWS=20000

shadow_count() { lab_shard_stats | jq -rs --arg h "$1" --arg f "$2" '.[] | select(.host == $h) | .[$f]'; }
router_reason() { ks stats -j | jq -r --arg r "$1" '.stats.reasons[$r].packets // 0'; }
router_key_shadow() {
	ks stats -j | jq -r --arg k "$1" '[.stats.keys[]? | select(.key == $k) | .shadow_packets] | add // 0'
}

lab_up "$(lab_rules "$LAB_ROOT/rules/lab/shadow.json" 1)" lab/shadow

sh0=$(shadow_count s3 udp_shadow) an0=$(shadow_count s3 udp_answered)
rc0=$(router_reason shadow_copy) kc0=$(router_key_shadow lab/shadow)
lab_client c1 udp --to "$L4" --key lab/shadow --flows $FLOWS --concurrency 128 --base-port 20000 \
	--allow lab/shadow=cw-default --out "$LAB_DIR/shadow.json"
sleep 0.5
sh1=$(shadow_count s3 udp_shadow) an1=$(shadow_count s3 udp_answered)
rc1=$(router_reason shadow_copy) kc1=$(router_key_shadow lab/shadow)
copies=$((sh1 - sh0))
pct=$(awk -v a=$copies -v n=$FLOWS 'BEGIN { print a * 100 / n }')
echo "# shadow copies at fraud (s3): $copies of $FLOWS ($pct%, configured 10%)"
echo "# router: shadow_copy outcomes $((rc1 - rc0)), key shadow packets $((kc1 - kc0))"

check "primaries unaffected: $FLOWS answered by cw-default, none lost, late or misrouted" \
	lab_clean "$LAB_DIR/shadow.json" $FLOWS
check "shadow copies arrive marked SHADOW at 10% +- 2% ($pct%)" lab_within "$pct" 10 2
check "no copy arrived without the SHADOW flag (fraud answered none)" test "$an1" = "$an0"
check "the router sampled as many as arrived ($((rc1 - rc0)) shadow_copy, $copies received)" \
	test $((rc1 - rc0)) = $copies
check "the route's key counters say the same ($((kc1 - kc0)) shadow packets)" \
	test $((kc1 - kc0)) = $copies
lab_finish
