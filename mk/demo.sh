#!/bin/bash
# What `make demo` shows today: the rule compiler on the demo feed.
set -euo pipefail
ks=${1:-build/keysteer}
rules=rules/demo/rules.json
bold=$(tput bold 2>/dev/null || true) norm=$(tput sgr0 2>/dev/null || true)

step() { printf '\n%s== %s ==%s\n' "$bold" "$*" "$norm"; }

step "keysteer demo: the rule compiler on $rules"
echo "The network-namespace lab (clients, XDP edge router, shards) is not built yet;"
echo "this demo shows the part every fast path depends on: rule set -> compiled table."

step "1. validate"
"$ks" validate "$rules"

step "2. a textual key becomes a 64-bit routing key (FNV-1a 64)"
"$ks" hash "ContinueWatchingRanking/ab12345/cell1"

step "3. the compiled table the XDP and DPDK fast paths read"
"$ks" compile "$rules"

for f in rules/demo/step-*.json; do
	[ -e "$f" ] || continue
	step "4. next feed step: $f"
	"$ks" compile "$f" | head -40
done

step "5. a broken rule set: every error, each with its JSON path"
bad=$(mktemp --suffix=.json)
trap 'rm -f "$bad"' EXIT
cat >"$bad" <<'JSON'
{"schema": "keysteer/v1", "version": 0,
 "listeners": [{"vip": "10.99.0.1", "port": 70000, "proto": "udp"}],
 "shards": {"a": {"vip": "10.1.0.300", "port": 8080, "stear": "gue"}},
 "routes": [{"key": "k", "to": [{"shard": "b", "weight": -1}]}],
 "default": "drop"}
JSON
cat "$bad"
"$ks" validate "$bad" || echo "(exit $? : rejected, nothing applied)"
