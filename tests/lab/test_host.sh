#!/bin/bash
# End to end over the lab: traffic that is not for a listener reaches the
# router's own stack, untouched, while the XDP router is attached to every
# interface and steering keyed traffic at the same time:
#  - ARP and IPv6 neighbour discovery (the clients' neighbour entries for
#    the router are flushed, then must resolve again);
#  - ping to the router's addresses, IPv4 and IPv6;
#  - a TCP connection and UDP datagrams to a service on the router itself,
#    including UDP to the listener's port on another of its addresses.
BUILD=${1:-build}
source "$(dirname "$0")/lab.sh"
lab_init "$BUILD"

lab_up "$(lab_rules "$LAB_ROOT/rules/lab/spread.json" 1)" lab/spread
# A service on the router itself, answering as "router".
lab_bg rt "$LAB_BUILD/lab/ks-shard" --shard router --host rt --tcp 10.98.1.1:2222 \
	--tcp "[fd98:1::1]:2222" --udp "10.98.1.1:$LAB_UDP" --udp "[fd98:1::1]:$LAB_UDP" \
	--ready "$LAB_DIR/rt.ready"
for _ in $(seq 50); do [ -e "$LAB_DIR/rt.ready" ] && break; sleep 0.1; done

quiet() { "$@" >/dev/null; }

# Keyed traffic through the router the whole time.
lab_client c2 udp --to "$LAB_LISTEN:$LAB_UDP" --key lab/spread --flows 0 --duration 4 \
	--rate 2000 --reqs 5 --concurrency 32 --allow lab/spread=cw-default,cw-canary,fraud \
	--out "$LAB_DIR/bg.json" &
BG=$!

ip -n "$(ns c1)" neigh flush dev eth0
ip -n "$(ns c1)" -6 neigh flush dev eth0
check "ARP: ping 10.98.1.1 after flushing the neighbour table" \
	quiet inns c1 ping -c 2 -i 0.2 -W 2 -q 10.98.1.1
check "the client learned the router's MAC by ARP" \
	bash -c "ip -n $(ns c1) neigh show 10.98.1.1 dev eth0 | grep -Eq 'REACHABLE|STALE|DELAY'"
check "ND: ping fd98:1::1 after flushing the neighbour table" \
	quiet inns c1 ping -6 -c 2 -i 0.2 -W 2 -q fd98:1::1
check "the client learned the router's MAC by neighbour discovery" \
	bash -c "ip -n $(ns c1) -6 neigh show fd98:1::1 dev eth0 | grep -Eq 'REACHABLE|STALE|DELAY'"
check "ping to the router's shard-side address (routed by its own stack)" \
	quiet inns c1 ping -c 1 -W 2 -q 10.97.1.1

lab_client c1 tcp --to 10.98.1.1:2222 --key none --flows 20 --reqs 3 --concurrency 5 \
	--allow none=router --out "$LAB_DIR/rt_tcp.json"
check "TCP connections to the router itself complete (20 x 3 answered by its own stack)" \
	jqe "$LAB_DIR/rt_tcp.json" '.flows_done == 20 and .answered == 60 and .misrouted == 0'
lab_client c1 tcp --to "[fd98:1::1]:2222" --key none --flows 10 --reqs 2 --concurrency 5 \
	--allow none=router --out "$LAB_DIR/rt_tcp6.json"
check "TCP over IPv6 to the router itself" \
	jqe "$LAB_DIR/rt_tcp6.json" '.flows_done == 10 and .answered == 20 and .misrouted == 0'
lab_client c1 udp --to "10.98.1.1:$LAB_UDP" --key lab/spread --flows 50 --reqs 2 \
	--allow lab/spread=router --out "$LAB_DIR/rt_udp.json"
check "keyed UDP to the router's own address, listener port: its own stack answers" \
	jqe "$LAB_DIR/rt_udp.json" '.answered == 100 and .misrouted == 0 and .corrupt == 0'
lab_client c1 udp --to "[fd98:1::1]:$LAB_UDP" --key lab/spread --flows 20 --reqs 2 \
	--allow lab/spread=router --out "$LAB_DIR/rt_udp6.json"
check "the same over IPv6" jqe "$LAB_DIR/rt_udp6.json" '.answered == 40 and .misrouted == 0'
wait $BG
check "keyed traffic meanwhile: all answered, none misrouted" \
	jqe "$LAB_DIR/bg.json" '.sent > 4000 and .answered == .sent and .misrouted == 0 and
		.corrupt == 0'
lab_finish
