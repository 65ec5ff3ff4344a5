#!/bin/bash
# Run one test suite: mk/run-test.sh NAME COMMAND [ARGS...]
# Output goes to the terminal and to build/results/NAME.log; the verdict to
# build/results/NAME.result, which mk/summary.sh counts.
name=$1
shift
dir=${RESULTS_DIR:-build/results}
mkdir -p "$dir"
echo "=== $name: $*"
start=$SECONDS
set -o pipefail
if "$@" 2>&1 | tee "$dir/$name.log"; then
	echo passed >"$dir/$name.result"
	echo "=== $name: passed ($((SECONDS - start)) s)"
else
	rc=$?
	echo "failed rc=$rc" >"$dir/$name.result"
	echo "=== $name: FAILED (rc=$rc, $((SECONDS - start)) s)"
	exit "$rc"
fi
