#!/bin/bash
# The client: a route to the listener through the router, a cgroup tagged
# with the demo key for unmodified TCP clients, and ks-demo-client.
# Vagrant uploads this script alone; the rest of the tree is synced at /keysteer.
source /keysteer/vagrant/provision/common.sh
ip route replace 10.99.0.0/16 via 10.98.1.1
"$KS" tag --cgroup keysteer-clients --key ContinueWatchingRanking/demo/home ||
	"$KS" tag --cgroup keysteer-clients --key ContinueWatchingRanking/demo/home
cat >/usr/local/bin/ks-demo-client <<SH
#!/bin/bash
# Keyed UDP (ks_client library) and tagged kernel TCP through the router.
set -e
K=ContinueWatchingRanking/demo/home
$LAB_BIN/ks-lab-client udp --to 10.99.0.1:7000 --key \$K --flows 2000 --reqs 5 \\
	--allow \$K=cw-default,cw-canary | jq '{sent, answered, lost, misrouted, per_server}'
cg=\$(awk '\$3 == "cgroup2" { print \$2; exit }' /proc/mounts)/keysteer-clients
$LAB_BIN/ks-lab-client tcp --to 10.99.0.1:7443 --key \$K --flows 100 --reqs 3 \\
	--cgroup "\$cg" --allow \$K=cw-default,cw-canary | jq '{flows_done, answered, conns_failed, per_server}'
SH
chmod 755 /usr/local/bin/ks-demo-client
echo "client: try sudo ks-demo-client"
