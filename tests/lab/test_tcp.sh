#!/bin/bash
# End to end over the lab: real kernel TCP connections, tagged with
# `keysteer tag` (the client sets no option itself), through the XDP router:
#  - connections from the tagged cgroup complete, on IPv4 and IPv6, answered
#    by the shards the key's route allows; from an untagged cgroup they do
#    not get through (no option: the rule set's default, drop);
#  - connections stay on their shard across a weight change (the router
#    pins them on the SYN), while new connections follow the new weights;
#  - an unmodified client (bash's /dev/tcp) in the tagged cgroup is served.
BUILD=${1:-build}
source "$(dirname "$0")/lab.sh"
lab_init "$BUILD"

T4=$LAB_LISTEN:$LAB_TCP
T6="[$LAB_LISTEN6]:$LAB_TCP"
ALLOW=(--allow lab/tcp=cw-default,cw-canary)

lab_up "$(lab_rules "$LAB_ROOT/rules/lab/spread.json" 1)" lab/tcp
TAGGED=$(lab_cgroup tagged)
PLAIN=$(lab_cgroup plain)
check "keysteer tag --cgroup $TAGGED --key lab/tcp" ks tag --cgroup "$TAGGED" --key lab/tcp

lab_client c1 tcp --to "$T4" --key lab/tcp --flows 300 --reqs 3 --concurrency 32 \
	--cgroup "$TAGGED" "${ALLOW[@]}" --out "$LAB_DIR/t4.json"
check "300 tagged IPv4 connections x 3 requests: all complete, answered by allowed shards" \
	jqe "$LAB_DIR/t4.json" '.flows_done == 300 and .answered == 900 and .conns_failed == 0 and
		.misrouted == 0 and .corrupt == 0 and .flows_moved == 0'
check "both shards served connections" \
	jqe "$LAB_DIR/t4.json" '(.per_shard | length) == 2 and ([.per_shard[]] | min) >= 150'
lab_client c2 tcp --to "$T6" --key lab/tcp --flows 100 --reqs 3 --concurrency 16 \
	--cgroup "$TAGGED" "${ALLOW[@]}" --out "$LAB_DIR/t6.json"
check "100 tagged IPv6 connections: all complete, answered by allowed shards" \
	jqe "$LAB_DIR/t6.json" '.flows_done == 100 and .answered == 300 and .conns_failed == 0 and
		.misrouted == 0 and .flows_moved == 0'
lab_client c1 tcp --to "$T4" --key lab/tcp --flows 10 --reqs 1 --concurrency 10 --timeout-ms 700 \
	--cgroup "$PLAIN" --out "$LAB_DIR/plain.json"
check "untagged connections are not steered (no option: default drop)" \
	jqe "$LAB_DIR/plain.json" '.conns_failed == 10 and .answered == 0'
syns=$(ks tag --cgroup "$TAGGED" -j | jq -r '.[0].syns_tagged')
check "the tagger counted at least 400 SYNs ($syns)" test "$syns" -ge 400

# An unmodified client: bash's /dev/tcp, moved into the tagged cgroup.
answer=$(inns c1 bash -c "echo \$\$ > $TAGGED/cgroup.procs
	exec 3<>/dev/tcp/$LAB_LISTEN/$LAB_TCP && echo hello >&3 && timeout 3 head -n1 <&3")
echo "# bash /dev/tcp got: $answer"
check "bash's /dev/tcp in the tagged cgroup is answered by a shard" \
	bash -c "[[ '$answer' =~ ^cw-(default|canary)\ s[12]\ hello$ ]]"

# ---- connections stay on their shard across a weight change ----
# 40 long connections (20 requests, 100 ms apart: about 2 s) start under
# 50/50; at 0.8 s the weights become 0/100. Those on cw-default must go on
# being answered by cw-default to their last request.
lab_client c1 tcp --to "$T4" --key lab/tcp --flows 40 --reqs 20 --interval-ms 100 \
	--concurrency 40 --timeout-ms 2000 --cgroup "$TAGGED" "${ALLOW[@]}" \
	--out "$LAB_DIR/long.json" &
LONG=$!
sleep 0.8
jq '.version = 2 | (.routes[] | select(.key == "lab/tcp") | .to) =
	[{"shard": "cw-default", "weight": 0}, {"shard": "cw-canary", "weight": 100}]' \
	"$LAB_ROOT/rules/lab/spread.json" >"$LAB_DIR/w2.json"
lab_feed "$LAB_DIR/w2.json"
check "weights changed to cw-default 0, cw-canary 100 (version 2)" lab_wait_version 2
lab_client c2 tcp --to "$T4" --key lab/tcp --flows 100 --reqs 2 --concurrency 16 \
	--cgroup "$TAGGED" --allow lab/tcp=cw-canary --out "$LAB_DIR/after.json"
check "new connections after the change all go to cw-canary" \
	jqe "$LAB_DIR/after.json" '.flows_done == 100 and .answered == 200 and .misrouted == 0'
wait $LONG
check "all 40 long connections completed, none moved shard" \
	jqe "$LAB_DIR/long.json" '.flows_done == 40 and .answered == 800 and .conns_failed == 0 and
		.flows_moved == 0 and .misrouted == 0 and .corrupt == 0'
d=$(jq -r '.per_shard["cw-default"] // 0' "$LAB_DIR/long.json")
echo "# long connections: $(jq -c .per_shard "$LAB_DIR/long.json")"
check "cw-default kept serving its pinned connections after its weight went to 0 ($d answers, 20 per connection)" \
	test "$d" -gt 0 -a $((d % 20)) = 0
check "keysteer tag --remove" ks tag --cgroup "$TAGGED" --remove
lab_client c1 tcp --to "$T4" --key lab/tcp --flows 5 --reqs 1 --concurrency 5 --timeout-ms 700 \
	--cgroup "$TAGGED" --out "$LAB_DIR/removed.json"
check "after --remove the cgroup's connections are no longer steered" \
	jqe "$LAB_DIR/removed.json" '.conns_failed == 5 and .answered == 0'
lab_finish
