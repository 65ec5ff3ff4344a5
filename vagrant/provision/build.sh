#!/bin/bash
# Every VM: keysteer's own dependencies, build and install, from the synced tree.
set -euo pipefail
cd /keysteer
make deps
make -j"$(nproc)"
if make -n install >/dev/null 2>&1; then
	make install
else
	echo "keysteer: no 'make install' in this tree; the roles run from /keysteer/build"
fi
