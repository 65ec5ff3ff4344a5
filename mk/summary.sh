#!/bin/bash
# Print the closing line of `make check`: every test suite writes one line
# "NAME passed|failed" into $1 (build/results); this counts them.
dir=${1:-build/results}
passed=0 failed=0
for f in "$dir"/*.result; do
	[ -e "$f" ] || continue
	if grep -q '^passed' "$f"; then passed=$((passed + 1)); else
		failed=$((failed + 1)); echo "FAILED: $(basename "$f" .result)"; fi
done
echo "check: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
