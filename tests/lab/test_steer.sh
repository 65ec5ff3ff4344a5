#!/bin/bash
# End to end over the lab (tests/lab/lab.sh), UDP through the XDP router:
#  - per-shard delivery within +-2% of the weights over 24k flows (two
#    clients), and the router's own per-shard counters agree with the shards;
#  - a flow stays on its shard; entity stickiness, by the route's sticky mode
#    and by the ENTITY flag;
#  - GUE, IPIP and NAT each deliver header and payload byte for byte (small
#    and near-MTU datagrams), through the shard's decapsulator for GUE/IPIP
#    and back through the router's NAT for NAT;
#  - the IPv6 listener, IPv6 shards, 4-in-6 and 6-in-4.
# Every answer is checked by the client: from a shard the route allows,
# with the echo equal to what was sent.
BUILD=${1:-build}
source "$(dirname "$0")/lab.sh"
lab_init "$BUILD"

L4=$LAB_LISTEN:$LAB_UDP
L6="[$LAB_LISTEN6]:$LAB_UDP"
V=1

clean() { lab_clean "$@"; }
within() { lab_within "$@"; }
share() { lab_share "$@"; }
apply() { # apply TEMPLATE KEY...: next version of TEMPLATE on the feed, next hops resolved
	V=$((V + 1))
	lab_feed "$(lab_rules "$1" $V)"
	shift
	lab_wait_version $V && lab_wait_resolved "$@"
}
router_shard() { ks stats -j | jq -r --arg s "$1" '[.stats.shards[] | select(.shard == $s) | .packets] | add // 0'; }
decap_count() { lab_decap_count "$@"; }

lab_up "$(lab_rules "$LAB_ROOT/rules/lab/spread.json" $V)" lab/spread lab/entity lab/flag lab/tcp

# ---- per-shard delivery over >= 20k flows ----
ALLOW=(--allow lab/spread=cw-default,cw-canary,fraud)
r0=(0 "$(router_shard cw-default)" "$(router_shard cw-canary)" "$(router_shard fraud)")
lab_client c1 udp --to "$L4" --key lab/spread --flows 12000 --concurrency 128 --base-port 20000 \
	"${ALLOW[@]}" --out "$LAB_DIR/spread1.json" &
p1=$!
lab_client c2 udp --to "$L4" --key lab/spread --flows 12000 --concurrency 128 --base-port 20000 \
	"${ALLOW[@]}" --out "$LAB_DIR/spread2.json"
wait $p1
jq -s '{sent: (map(.sent) | add), answered: (map(.answered) | add), lost: (map(.lost) | add),
	misrouted: (map(.misrouted) | add), corrupt: (map(.corrupt) | add), late: (map(.late) | add),
	send_errors: (map(.send_errors) | add),
	per_shard: (map(.per_shard | to_entries) | add | group_by(.key)
		| map({key: .[0].key, value: (map(.value) | add)}) | from_entries)}' \
	"$LAB_DIR/spread1.json" "$LAB_DIR/spread2.json" >"$LAB_DIR/spread.json"
check "24000 flows from two clients: every request answered, none misrouted or corrupted" \
	clean "$LAB_DIR/spread.json" 24000
d=$(share "$LAB_DIR/spread.json" cw-default) c=$(share "$LAB_DIR/spread.json" cw-canary)
f=$(share "$LAB_DIR/spread.json" fraud)
echo "# per-shard share: cw-default $d% (50), cw-canary $c% (30), fraud $f% (20)"
check "cw-default within 2% of 50%" within "$d" 50 2
check "cw-canary within 2% of 30%" within "$c" 30 2
check "fraud within 2% of 20%" within "$f" 20 2
for s in cw-default cw-canary fraud; do
	i=1
	[ $s = cw-canary ] && i=2
	[ $s = fraud ] && i=3
	got=$(($(router_shard $s) - r0[i]))
	want=$(jq -r --arg s $s '.per_shard[$s]' "$LAB_DIR/spread.json")
	check "router counted $want datagrams to $s, as the shard answered ($got)" test "$got" = "$want"
done

# ---- controls: the client's checks can fail ----
lab_client c1 udp --to "$L4" --key lab/spread --flows 500 --allow lab/spread=cw-default \
	--out "$LAB_DIR/ctl_allow.json"
check "control: answers from shards left out of --allow are counted as misrouted" \
	jqe "$LAB_DIR/ctl_allow.json" '.answered == 500 and .misrouted > 100 and .misrouted < 400'
lab_client c1 udp --to "$L4" --key lab/no-such-key --flows 50 --timeout-ms 300 \
	--out "$LAB_DIR/ctl_unknown.json"
check "control: an unknown key is dropped (default drop): all 50 requests counted lost" \
	jqe "$LAB_DIR/ctl_unknown.json" '.sent == 50 and .lost == 50 and .answered == 0'

# A shard service that damages every 4th echo, reached without the router.
lab_bg c1 "$LAB_BUILD/lab/ks-shard" --shard damaged --host c1 --udp 127.0.0.1:9999 \
	--corrupt-every 4 --ready "$LAB_DIR/damaged.ready"
for _ in $(seq 50); do [ -e "$LAB_DIR/damaged.ready" ] && break; sleep 0.1; done
lab_client c1 udp --to 127.0.0.1:9999 --key lab/spread --flows 100 --reqs 4 --timeout-ms 300 \
	--out "$LAB_DIR/ctl_corrupt.json"
check "control: damaged echoes are counted as corrupt, not answered" \
	jqe "$LAB_DIR/ctl_corrupt.json" '.corrupt == 100 and .answered == 300'

# ---- flow stickiness ----
lab_client c1 udp --to "$L4" --key lab/spread --flows 600 --reqs 10 --concurrency 64 \
	"${ALLOW[@]}" --out "$LAB_DIR/sticky.json"
check "600 flows x 10 requests answered" clean "$LAB_DIR/sticky.json" 6000
check "every flow stayed on one shard" jqe "$LAB_DIR/sticky.json" '.flows_moved == 0 and .flows_done == 600'

# ---- entity stickiness ----
lab_client c2 udp --to "$L4" --key lab/entity --flows 4000 --entities 100 --concurrency 128 \
	--allow lab/entity=cw-default,cw-canary --out "$LAB_DIR/entity.json"
check "4000 flows of 100 entities (sticky entity) answered" clean "$LAB_DIR/entity.json" 4000
check "each entity on one shard, over 40 flows each" \
	jqe "$LAB_DIR/entity.json" '.entities_split == 0 and .entities_seen == 100'
check "the entities spread over both shards" \
	jqe "$LAB_DIR/entity.json" '(.per_shard | length) == 2 and ([.per_shard[]] | min) >= 400'
lab_client c1 udp --to "$L4" --key lab/flag --flows 4000 --entities 100 --entity-flag \
	--concurrency 128 --allow lab/flag=cw-default,cw-canary --out "$LAB_DIR/flag.json"
check "ENTITY flag on a flow-sticky route: each entity on one shard" \
	jqe "$LAB_DIR/flag.json" '.entities_split == 0 and .entities_seen == 100 and .answered == 4000 and
		.misrouted == 0 and (.per_shard | length) == 2'
lab_client c1 udp --to "$L4" --key lab/flag --flows 4000 --entities 100 --concurrency 128 \
	--allow lab/flag=cw-default,cw-canary --out "$LAB_DIR/noflag.json"
check "without the flag the same flows split entities (the check can fail)" \
	jqe "$LAB_DIR/noflag.json" '.entities_split > 50 and .answered == 4000'

# ---- IPv6 listener, same rule set ----
lab_client c1 udp --to "$L6" --key lab/spread --flows 3000 --concurrency 64 "${ALLOW[@]}" \
	--out "$LAB_DIR/v6spread.json"
check "IPv6 listener: 3000 flows answered by the IPv4 shards (6-in-4 GUE)" \
	clean "$LAB_DIR/v6spread.json" 3000

# ---- steering modes and families: header and payload byte for byte ----
apply "$LAB_ROOT/rules/lab/steer.json" lab/gue lab/ipip lab/gue6 lab/ipip6 ||
	not_ok "steer.json applied and resolved"
# mode LISTENER KEY SHARD HOST OUTCOME WHAT
mode() {
	local to=$1 key=$2 shard=$3 host=$4 outcome=$5 what=$6 size n0 n1
	n0=$(decap_count "$host" "$outcome")
	for size in 48 1200; do
		lab_client c1 udp --to "$to" --key "$key" --flows 100 --reqs 2 --size "$size" \
			--allow "$key=$shard" --out "$LAB_DIR/mode.json"
		check "$what, $size-byte payload: 200 answered by $shard, echo identical" \
			clean "$LAB_DIR/mode.json" 200
	done
	n1=$(decap_count "$host" "$outcome")
	check "$what: $host's decapsulator stripped $outcome from 400 packets ($((n1 - n0)))" \
		test $((n1 - n0)) = 400
}
mode "$L4" lab/gue cw-default s1 gue "GUE IPv4 in IPv4"
mode "$L4" lab/ipip cw-canary s2 ipip "IPIP IPv4 in IPv4"
mode "$L4" lab/gue6 cw-default s1 gue "GUE IPv4 in IPv6 (4-in-6)"
mode "$L4" lab/ipip6 cw-canary s2 ipip "IPIP IPv4 in IPv6 (4-in-6)"
mode "$L6" lab/gue cw-default s1 gue "GUE IPv6 in IPv4 (6-in-4)"
mode "$L6" lab/ipip cw-canary s2 ipip "IPIP IPv6 in IPv4 (6-in-4)"
mode "$L6" lab/gue6 cw-default s1 gue "GUE IPv6 in IPv6"
mode "$L6" lab/ipip6 cw-canary s2 ipip "IPIP IPv6 in IPv6"

for fam in 4 6; do
	key=lab/nat
	to=$L4
	[ $fam = 6 ] && key=lab/nat6 && to=$L6
	apply "$LAB_ROOT/rules/lab/nat$fam.json" $key || not_ok "nat$fam.json applied and resolved"
	n0=$(decap_count s3 pass) g0=$(decap_count s3 gue) i0=$(decap_count s3 ipip)
	for size in 48 1200; do
		lab_client c2 udp --to "$to" --key $key --flows 100 --reqs 2 --size $size \
			--allow "$key=fraud" --out "$LAB_DIR/nat.json"
		check "NAT IPv$fam, $size-byte payload: 200 answered by fraud through the router, echo identical" \
			clean "$LAB_DIR/nat.json" 200
	done
	n1=$(decap_count s3 pass)
	check "NAT IPv$fam: s3 got them bare (no tunnel): $((n1 - n0)) passed >= 400" \
		test $((n1 - n0)) -ge 400
	check "NAT IPv$fam: s3 decapsulated nothing" test "$(decap_count s3 gue)" = "$g0" -a \
		"$(decap_count s3 ipip)" = "$i0"
done
router_clean() {
	ks stats -j | jq -c .stats.reasons >"$LAB_DIR/reasons.json"
	jq -e '.mtu.packets == 0 and .no_nexthop.packets == 0 and .malformed.packets == 0' "$LAB_DIR/reasons.json" >/dev/null ||
		{ echo "# $(cat "$LAB_DIR/reasons.json")"; return 1; }
}
check "no unexpected outcome at the router (mtu, no_nexthop, malformed)" router_clean
lab_finish
