#!/bin/bash
# Install what keysteer needs on Debian 12 and prepare the machine for tests.
# Idempotent and quiet when everything is already there.
set -euo pipefail

PACKAGES=(
	build-essential clang llvm libclang-rt-14-dev pkg-config clang-format
	libbpf-dev bpftool libxdp-dev xdp-tools libelf-dev zlib1g-dev
	libjansson-dev libcmocka-dev liburing-dev libnats-dev nats-server
	libmicrohttpd-dev libpcap-dev libnl-3-dev libnl-route-3-dev
	iproute2 ethtool iputils-ping tcpdump procps util-linux python3
	python3-jsonschema
	jq curl
	nftables haproxy wrk gnuplot-nox vagrant
	dpdk dpdk-dev libdpdk-dev
)

if [ "$(id -u)" != 0 ]; then
	echo "make deps: must run as root (apt-get, bpffs, hugepages)" >&2
	exit 1
fi

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "make deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# bpffs: pinned maps live under /sys/fs/bpf/keysteer.
if ! mountpoint -q /sys/fs/bpf; then
	mount -t bpf bpf /sys/fs/bpf
fi

# Hugepages for the DPDK fast path (2 MiB pages; 512 = 1 GiB).
hp=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
if [ -w "$hp" ] && [ "$(cat "$hp")" -lt 512 ]; then
	echo 512 >"$hp" || true
	[ "$(cat "$hp")" -ge 256 ] || { echo "make deps: could not reserve hugepages" >&2; exit 1; }
fi
if ! mountpoint -q /dev/hugepages 2>/dev/null; then
	mkdir -p /dev/hugepages && mount -t hugetlbfs nodev /dev/hugepages
fi
