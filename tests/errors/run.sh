#!/bin/sh
# Error-message tests: each directory under tests/errors/ is one case. `cmd` holds the
# arguments given to stamp (run inside the case directory), `expected` the exact exit
# status and standard error. Standard output is ignored, and nothing may be written into
# the case directory.
# Usage: tests/errors/run.sh STAMP_BINARY
set -u
stamp=$1
cd "$(dirname "$0")"
passed=0
failed=0
for dir in */; do
	dir=${dir%/}
	[ -f "$dir/cmd" ] || continue
	before=$(ls -la "$dir" | md5sum)
	actual=$(cd "$dir" && eval "set -- $(cat cmd)" && NO_COLOR=1 "$stamp" "$@" 2>&1 >/dev/null; echo "exit $?")
	after=$(ls -la "$dir" | md5sum)
	expected=$(cat "$dir/expected")
	# the exit line comes last in the capture, first in the file
	actual="$(printf '%s\n' "$actual" | tail -n 1)
$(printf '%s\n' "$actual" | sed '$d')"
	if [ "$actual" = "$expected" ] && [ "$before" = "$after" ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL $dir"
		printf '%s\n' "$actual" | diff -u "$dir/expected" - | sed 's/^/    /'
	fi
done
echo "errors: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
