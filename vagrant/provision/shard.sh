#!/bin/bash
# A shard host: SHARD VIP N. The VIP and the listener address on lo, the
# decapsulator on the router link, and the lab's shard service answering
# with the shard's name (tests/lab/shard_svc.c).
# Vagrant uploads this script alone; the rest of the tree is synced at /keysteer.
source /keysteer/vagrant/provision/common.sh
shard=$1 vip=$2 n=$3
i=$(iface_of "10.97.$n.2")
[ -n "$i" ] || { echo "no interface with 10.97.$n.2" >&2; exit 1; }
ip addr replace "$vip/32" dev lo
ip addr replace 10.99.0.1/32 dev lo
ip route replace 10.98.0.0/16 via "10.97.$n.1"
sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 "net.ipv4.conf.$i.rp_filter=0"
"$KS" decap attach --iface "$i" --xdp-mode generic --obj "$BPF_DIR/ks_decap.bpf.o" ||
	"$KS" decap attach --iface "$i" --xdp-mode generic --obj "$BPF_DIR/ks_decap.bpf.o"
unit ks-shard "keysteer lab shard service ($shard)" "$LAB_BIN/ks-shard" --shard "$shard" \
	--host "$(hostname)" --udp 10.99.0.1:7000 --tcp 10.99.0.1:7443 --udp "$vip:8080" --tcp "$vip:8080"
echo "$(hostname): $shard on $vip, decapsulator on $i"
