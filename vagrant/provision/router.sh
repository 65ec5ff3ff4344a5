#!/bin/bash
# The edge router: forwarding, routes to the shard VIPs, keysteerd with the
# XDP router on the client and shard links, following the demo feed.
# Vagrant uploads this script alone; the rest of the tree is synced at /keysteer.
source /keysteer/vagrant/provision/common.sh
sysctl -qw net.ipv4.ip_forward=1
ifs=()
for a in 10.98.1.1 10.97.1.1 10.97.2.1 10.97.3.1; do
	i=$(iface_of "$a")
	[ -n "$i" ] || { echo "no interface with $a" >&2; exit 1; }
	ifs+=("$i")
done
for n in 1 2 3; do
	ip route replace "10.99.$n.0/24" via "10.97.$n.2"
done
install -d /etc/keysteer
[ -e /etc/keysteer/rules.json ] || cp "$SRC/rules/demo/rules.json" /etc/keysteer/rules.json
{
	for i in "${ifs[@]}"; do echo "iface = $i"; done
	# Generic XDP works on any NIC; virtio-net also takes native XDP once its
	# guest offloads are off (ethtool -K IF gro off lro off).
	echo "xdp-mode = generic"
	echo "feed = file:/etc/keysteer/rules.json"
	echo "bpf-obj = $BPF_DIR/ks_router.bpf.o"
	echo "max-routes = 65536"
} >/etc/keysteer/keysteerd.conf
if [ -e /lib/systemd/system/keysteerd.service ] || [ -e /etc/systemd/system/keysteerd.service ]; then
	systemctl daemon-reload
	systemctl enable --now keysteerd
	systemctl restart keysteerd
else
	unit keysteerd "keysteer controller" "$KSD" --config /etc/keysteer/keysteerd.conf
fi
echo "router: keysteerd on ${ifs[*]}; publish rule sets by replacing /etc/keysteer/rules.json"
