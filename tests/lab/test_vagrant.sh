#!/bin/bash
# vagrant/: the Vagrantfile validates (provider options ignored: no
# hypervisor here), a broken copy does not (so the check can fail), and the
# provisioning scripts parse.
set -uo pipefail
BUILD=$(cd "${1:-build}" && pwd)
SRC=$(cd "$(dirname "$0")/../.." && pwd)
command -v vagrant >/dev/null || { echo "vagrant is not installed (make deps)"; exit 1; }
T=$(mktemp -d /tmp/ks-vagrant.XXXXXX)
trap 'rm -rf "$T"' EXIT
export VAGRANT_HOME=$BUILD/vagrant-home VAGRANT_DOTFILE_PATH=$T/dot VAGRANT_CHECKPOINT_DISABLE=1
fails=0
check() {
	local what=$1
	shift
	if "$@"; then echo "ok - $what"; else echo "not ok - $what"; fails=$((fails + 1)); fi
}
validate() { (cd "$1" && vagrant validate --ignore-provider >"$T/out" 2>&1) || { cat "$T/out"; return 1; }; }
check "vagrant validate: vagrant/Vagrantfile" validate "$SRC/vagrant"
# validate names each machine it checks ("==> NAME: Ignoring provider config").
check "the Vagrantfile defines client, router, shard1..3" \
	bash -c "awk '/Ignoring provider config/ { sub(/:\$/, \"\", \$2); print \$2 }' '$T/out' |
		sort | tr '\n' ' ' | grep -qx 'client router shard1 shard2 shard3 '"
mkdir -p "$T/broken"
sed 's/^  config.vm.box = BOX$/  config.vm.box = nil/' "$SRC/vagrant/Vagrantfile" >"$T/broken/Vagrantfile"
cp -r "$SRC/vagrant/provision" "$T/broken/"
check "a Vagrantfile without a box does not validate" bash -c "! (cd '$T/broken' && vagrant validate --ignore-provider >/dev/null 2>&1)"
for f in "$SRC"/vagrant/provision/*.sh; do
	check "bash -n ${f#"$SRC"/}" bash -n "$f"
done
echo "$fails failed"
[ "$fails" = 0 ]
