#!/bin/bash
# Shared by the role scripts: where things are, and finding an interface by address.
set -euo pipefail
SRC=/keysteer
# Installed by `make install`; the build tree otherwise.
KS=$(command -v keysteer || echo "$SRC/build/keysteer")
KSD=$(command -v keysteerd || echo "$SRC/build/keysteerd")
BPF_DIR=/usr/lib/keysteer
[ -e "$BPF_DIR/ks_router.bpf.o" ] || BPF_DIR=$SRC/build/bpf
LAB_BIN=$SRC/build/lab

# iface_of ADDR: the interface that has ADDR.
iface_of() {
	ip -o -4 addr show | awk -v a="$1" '{ split($4, p, "/") } p[1] == a { print $2; exit }'
}

# A oneshot-or-simple systemd unit: unit NAME DESCRIPTION COMMAND...
unit() {
	local name=$1 desc=$2
	shift 2
	cat >"/etc/systemd/system/$name.service" <<UNIT
[Unit]
Description=$desc
After=network-online.target
Wants=network-online.target

[Service]
ExecStart=$*
Restart=on-failure

[Install]
WantedBy=multi-user.target
UNIT
	systemctl daemon-reload
	systemctl enable --now "$name.service"
}
