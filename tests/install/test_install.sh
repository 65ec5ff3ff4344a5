#!/bin/bash
# make install into a scratch DESTDIR: every file in place, and the installed
# programs look for BPF objects where make install put them.
set -euo pipefail
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
make --no-print-directory install DESTDIR="$dest" >/dev/null
fail=0
for f in usr/bin/keysteer usr/sbin/keysteerd usr/lib/keysteer/ks_router.bpf.o \
	usr/lib/keysteer/ks_decap.bpf.o usr/lib/keysteer/ks_shadow.bpf.o lib/systemd/system/keysteerd.service \
	etc/keysteer/keysteerd.conf etc/keysteer/keysteerd.conf.example \
	usr/share/keysteer/keysteer-v1.schema.json usr/share/doc/keysteer/README.md; do
	if [ -e "$dest/$f" ]; then echo "ok: /$f"; else echo "MISSING: /$f"; fail=1; fi
done
ls "$dest"/usr/share/keysteer/examples/*.json >/dev/null || { echo "MISSING: examples"; fail=1; }
# The installed binaries name the installed object path, not the build tree's.
for b in usr/bin/keysteer usr/sbin/keysteerd; do
	if strings "$dest/$b" | grep -c '^/usr/lib/keysteer/ks_router.bpf.o$' >/dev/null; then
		echo "ok: $b looks in /usr/lib/keysteer"
	else
		echo "WRONG: $b does not default to /usr/lib/keysteer/ks_router.bpf.o"; fail=1
	fi
done
"$dest/usr/bin/keysteer" validate "$dest"/usr/share/keysteer/examples/canary-by-capacity.json
exit $fail
