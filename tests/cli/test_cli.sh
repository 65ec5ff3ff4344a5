#!/bin/bash
# The keysteer CLI: exit codes, messages, --help on every command, hash
# vectors, compile -j output. Usage: tests/cli/test_cli.sh PATH/TO/keysteer
# (run from the repository root; make check runs it on build/keysteer and on
# the ASan+UBSan build build/keysteer-san).
set -u
ks=${1:?usage: $0 PATH/TO/keysteer}
py=/usr/bin/python3
good=tests/rules/good
bad=tests/rules/bad
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

[ -x "$ks" ] || { echo "FAIL: $ks is not an executable"; exit 1; }
[ -x "$py" ] || { echo "FAIL: $py is needed to check JSON output"; exit 1; }

fails=0 checks=0
ok() { checks=$((checks + 1)); }
fail() { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL: $*"; }

# run ARGS...: sets rc, out (stdout), err (stderr)
run() {
	"$ks" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}
expect_rc() { # WANT DESCRIPTION
	if [ "$rc" = "$1" ]; then ok; else fail "$2: exit $rc, want $1 (stderr: ${err:0:300})"; fi
}
expect_in() { # HAYSTACK NEEDLE DESCRIPTION
	if [[ "$1" == *"$2"* ]]; then ok; else fail "$3: '${1:0:300}' lacks '$2'"; fi
}
expect_eq() { # GOT WANT DESCRIPTION
	if [ "$1" = "$2" ]; then ok; else fail "$3: got '$1', want '$2'"; fi
}

# --- usage and help ---------------------------------------------------------
run
expect_rc 2 "no arguments"
expect_in "$err" "Usage: keysteer COMMAND" "no arguments prints usage on stderr"
run --help
expect_rc 0 "--help"
expect_in "$out" "Commands:" "--help lists commands"
run -h
expect_rc 0 "-h"
run help
expect_rc 0 "help"
run --bogus
expect_rc 2 "unknown global option"
run frobnicate
expect_rc 2 "unknown command"
expect_in "$err" "unknown command 'frobnicate'" "unknown command message"
run valdate x.json
expect_rc 2 "misspelt command"
expect_in "$err" "did you mean 'validate'?" "misspelt command suggestion"
run help frobnicate
expect_rc 2 "help on an unknown command"

# Every command --help lists, whoever added it: CMD --help, CMD -h, help CMD.
"$ks" --help | sed -n '/^Commands:/,/^$/p' | awk 'NR > 1 && NF { print $1 }' >"$tmp/cmds"
for want in validate compile hash; do
	grep -qx "$want" "$tmp/cmds" && ok || fail "--help does not list $want"
done
while read -r cmd; do
	run "$cmd" --help
	expect_rc 0 "$cmd --help"
	expect_in "$out" "$cmd" "$cmd --help names the command"
	help_text=$out
	[ -n "$help_text" ] && ok || fail "$cmd --help printed nothing"
	run "$cmd" -h
	expect_rc 0 "$cmd -h"
	expect_eq "$out" "$help_text" "$cmd -h is $cmd --help"
	run help "$cmd"
	expect_rc 0 "help $cmd"
	expect_eq "$out" "$help_text" "help $cmd is $cmd --help"
done <"$tmp/cmds"
[ "$(wc -l <"$tmp/cmds")" -ge 3 ] && ok || fail "fewer than 3 commands listed"
run validate --help
expect_in "$out" "Usage: keysteer validate FILE" "validate help usage line"
expect_in "$out" "Exit status: 0" "validate help explains exit status"

# --- validate -----------------------------------------------------------------
n_good=0
for f in "$good"/*.json rules/examples/*.json rules/demo/*.json; do
	run validate "$f"
	expect_rc 0 "validate $f"
	expect_in "$out" "$f: valid: version " "validate $f says valid"
	expect_eq "$err" "" "validate $f stderr"
	n_good=$((n_good + 1))
done
[ "$n_good" -ge 10 ] && ok || fail "only $n_good good files"

n_bad=0
for f in "$bad"/*.json; do
	run validate "$f"
	expect_rc 1 "validate $f"
	expect_eq "$out" "" "validate $f stdout"
	want=$(sed "s|^|$f: |" "${f%.json}.errors")
	expect_eq "$err" "$want" "validate $f: every error as FILE: PATH: MESSAGE"
	n_bad=$((n_bad + 1))
done
[ "$n_bad" -ge 25 ] && ok || fail "only $n_bad bad files"

run validate
expect_rc 2 "validate without FILE"
expect_in "$err" "missing FILE" "validate without FILE message"
run validate -x "$good/minimal.json"
expect_rc 2 "validate -x"
expect_in "$err" "unknown option '-x'" "validate -x message"
run validate "$tmp/nonexistent.json"
expect_rc 2 "validate a missing file"
expect_in "$err" "$tmp/nonexistent.json: No such file or directory" "missing file message"
run validate "$tmp"
expect_rc 2 "validate a directory"
expect_in "$err" "Is a directory" "directory message"
run validate "$good/minimal.json" "$bad/weights.json"
expect_rc 1 "validate good + bad"
expect_in "$out" "$good/minimal.json: valid" "good file still reported"
run validate "$bad/weights.json" "$tmp/nonexistent.json"
expect_rc 2 "validate bad + unreadable"
"$ks" validate - <"$good/minimal.json" >"$tmp/out" 2>"$tmp/err"
rc=$? out=$(cat "$tmp/out")
expect_rc 0 "validate - (stdin)"
expect_in "$out" "<stdin>: valid: version 1, 1 listener, 1 shard, 1 route" "stdin name and counts"
"$ks" validate - <"$bad/enums.json" >"$tmp/out" 2>"$tmp/err"
rc=$? err=$(cat "$tmp/err")
expect_rc 1 "validate - (stdin, invalid)"
expect_in "$err" "<stdin>: default: unknown default action \"reject\"" "stdin errors"

# --- hash -----------------------------------------------------------------------
hash_is() { # TEXT WANT
	run hash -- "$1"
	expect_rc 0 "hash '$1'"
	expect_eq "$out" "$2" "hash '$1'"
}
hash_is "" 0xcbf29ce484222325 # FNV-1a 64 published vectors
hash_is a 0xaf63dc4c8601ec8c
hash_is foobar 0x85944171f73967e8
hash_is 0x1 0x0000000000000001 # a literal key is the key itself
hash_is 0x9f3a00c2d41e7b05 0x9f3a00c2d41e7b05
hash_is 0x 0x07fc5007b4bd8155 # not a literal: hashed
hash_is c-l5qfaLpLCCG 0x7ab3d428307201f7 # two texts, one hash
hash_is c-OfPk-dr0ySK 0x7ab3d428307201f7
want=$($py -c 'import sys
h = 0xcbf29ce484222325
for b in "-x".encode():
    h = ((h ^ b) * 0x100000001b3) % 2**64
print("0x%016x" % h)')
hash_is -x "$want"
run hash a foobar
expect_rc 0 "hash two texts"
expect_eq "$out" $'0xaf63dc4c8601ec8c\n0x85944171f73967e8' "hash two texts, one per line"
run hash
expect_rc 2 "hash without TEXT"
run hash -x
expect_rc 2 "hash -x (an option, not a text)"
run hash -j foobar
expect_rc 0 "hash -j"
got=$(printf '%s' "$out" | $py -c 'import json, sys
d = json.load(sys.stdin)
print(d["text"], d["key"], d["literal"])')
expect_eq "$got" "foobar 0x85944171f73967e8 False" "hash -j fields"
run hash --json a 0x2
got=$(printf '%s' "$out" | $py -c 'import json, sys
d = json.load(sys.stdin)
print(len(d), d[0]["key"], d[1]["key"], d[1]["literal"])')
expect_eq "$got" "2 0xaf63dc4c8601ec8c 0x0000000000000002 True" "hash -j of two texts is an array"

# --- compile ------------------------------------------------------------------
run compile "$good/design-fixed.json"
expect_rc 0 "compile design-fixed"
expect_in "$out" "version 42, default drop" "compile header"
expect_in "$out" "0x5813802a60ac793c  \"ContinueWatchingRanking/ab12345/cell1\"  sticky entity" "compile route line"
expect_in "$out" "-> cw-default  [0..62258]" "compile bucket range"
expect_in "$out" "95.000%" "compile percent"
expect_in "$out" "shadow cw-cell-3  10.001% (bucket < 6554 of 65536)" "compile shadow"
expect_in "$out" "fraud-v7    2001:db8::7" "compile IPv6 shard"
expect_in "$out" "table 104 bytes for 2 keys, 52 bytes per key (8 key + 44 route)" "compile sizes"
run compile "$good/canary-capacity.json"
expect_in "$out" "-> canary  [52429..65535]   20.000%" "compile: capacity 1 beside 4 is 20%"

for f in "$good"/*.json rules/examples/*.json; do
	run compile -j "$f"
	expect_rc 0 "compile -j $f"
	printf '%s' "$out" | $py -m json.tool >/dev/null 2>&1 && ok || fail "compile -j $f: not JSON"
done
run compile --json "$good/canary-capacity.json"
got=$(printf '%s' "$out" | $py -c 'import json, sys
d = json.load(sys.stdin)
r = [r for r in d["routes"] if r["text"] == "ContinueWatchingRanking/default"][0]
t = {t["shard"]: t for t in r["targets"]}
s = d["sizes"]
print(d["version"], d["default"], t["canary"]["buckets"], t["canary"]["count"],
      round(t["canary"]["percent"], 4), s["bytes_per_key"], s["table_bytes"], len(d["routes"]),
      [x["name"] for x in d["shards"]])')
expect_eq "$got" "7 pass [52429, 65535] 13107 19.9997 52 104 2 ['canary', 'svc']" "compile -j content"
run compile -j "$good/version-max.json"
got=$(printf '%s' "$out" | $py -c 'import json, sys; print(json.load(sys.stdin)["version"])')
expect_eq "$got" "18446744073709551615" "compile -j version above 2^63"
run compile -j "$good/shadows.json"
got=$(printf '%s' "$out" | $py -c 'import json, sys
d = json.load(sys.stdin)
print(sorted((r["text"], r["shadow"] and r["shadow"]["threshold"]) for r in d["routes"]))')
expect_eq "$got" "[('all', 65536), ('none', None), ('tenth', 6554), ('third', 21823), ('tiny', 1)]" "compile -j shadows"

run compile "$bad/many-errors.json"
expect_rc 1 "compile an invalid file"
expect_eq "$err" "$(sed "s|^|$bad/many-errors.json: |" "$bad/many-errors.errors")" "compile reports every error"
expect_eq "$out" "" "compile of an invalid file prints no table"
run compile
expect_rc 2 "compile without FILE"
run compile "$good/minimal.json" "$good/keys.json"
expect_rc 2 "compile two files"
run compile "$tmp/nonexistent.json"
expect_rc 2 "compile a missing file"
run compile -q "$good/minimal.json"
expect_rc 2 "compile -q"

echo "$checks checks, $fails failed ($ks)"
[ "$fails" = 0 ]
