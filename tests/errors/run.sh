#!/bin/sh
# Error-message tests: each directory under tests/errors/ is one case, and `expected`
# holds the exact exit status and standard error ("exit N" first). Two kinds:
#  - template cases: `cmd` holds the arguments given to stamp, run inside the case
#    directory;
#  - repository cases (the directory has customers/, stamp.yaml or setup): a scratch
#    repository is made from the project's templates/ (or the case's stamp.yaml as its
#    manifest) and the case's customers/, `setup` (if any) runs in it (with $STAMP set,
#    so that a case can render first), then stamp runs there with `cmd` (default: check).
# Optional `expected-stdout` is compared too. Optional `memory-limit` (KiB) caps the
# run's address space with ulimit -v, to prove bounded memory (skipped under the
# sanitizers, which reserve terabytes of address space up front). Nothing may be written: the case directory
# (and the scratch repository) must be unchanged afterwards.
# Usage: tests/errors/run.sh STAMP_BINARY
set -u
stamp=$1
cd "$(dirname "$0")"
here=$(pwd)
templates="$here/../../templates"
passed=0
failed=0

# every entry with its mode, every file with its size and mtime; a directory's own mtime
# is left out: a render that finds a template bug only while rendering has taken out/'s
# lock (creating out/ when there was none) and removes both again, which touches the
# directory above but writes nothing
snapshot() { find "$1" \( -type d -printf '%p %m\n' \) -o -printf '%p %s %T@ %m\n' 2>/dev/null | sort | md5sum; }

for dir in */; do
	dir=${dir%/}
	[ -f "$dir/expected" ] || continue
	args=$( [ -f "$dir/cmd" ] && cat "$dir/cmd" || echo check )
	if [ -d "$dir/customers" ] || [ -f "$dir/stamp.yaml" ] || [ -f "$dir/setup" ]; then
		work=$(mktemp -d)
		mkdir -p "$work/templates" "$work/customers"
		if [ -f "$dir/stamp.yaml" ]; then
			cp "$dir/stamp.yaml" "$work/templates/stamp.yaml"
		else
			cp -R "$templates/." "$work/templates/"
		fi
		[ -d "$dir/customers" ] && cp -R "$dir/customers/." "$work/customers/"
		[ -f "$dir/setup" ] && (cd "$work" && STAMP=$stamp sh "$here/$dir/setup")
		run_in=$work
	else
		work=
		run_in=$here/$dir
	fi
	before=$(snapshot "$run_in")
	out=$(mktemp)
	limit=unlimited
	case "$stamp" in
	*/asan/*) ;;
	*) [ -f "$dir/memory-limit" ] && limit=$(cat "$dir/memory-limit") ;;
	esac
	actual=$(cd "$run_in" && eval "set -- $args" && ulimit -v "$limit" && NO_COLOR=1 "$stamp" "$@" 2>&1 >"$out"; echo "exit $?")
	after=$(snapshot "$run_in")
	actual=$(printf '%s\n' "$actual" | tail -n 1; printf '%s\n' "$actual" | sed '$d')
	ok=1
	[ "$actual" = "$(cat "$dir/expected")" ] || ok=0
	[ "$before" = "$after" ] || ok=0
	if [ -f "$dir/expected-stdout" ] && ! cmp -s "$out" "$dir/expected-stdout"; then
		ok=0
	fi
	if [ $ok = 1 ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL $dir"
		printf '%s\n' "$actual" | diff -u "$dir/expected" - | sed 's/^/    /'
		[ -f "$dir/expected-stdout" ] && diff -u "$dir/expected-stdout" "$out" | sed 's/^/    /'
		[ "$before" = "$after" ] || echo "    the run changed files on disk"
	fi
	rm -f "$out"
	[ -n "$work" ] && rm -rf "$work"
done

# every field of every schema, and every rule and section of every manifest, given empty,
# null, missing and wrong-typed values: no "(null)", one form, exit 1 (empty_values.py);
# the sanitizer build takes the default set only, for time
case "$stamp" in
*/asan/*) sets="." ;;
*) sets=". examples/hybrid examples/hobby-k3s examples/mcpdeploy" ;;
esac
out=$(mktemp)
if (cd ../.. && /usr/bin/python3 tests/errors/empty_values.py "$stamp" $sets) >"$out" 2>&1; then
	passed=$((passed + 1))
	sed -n '$s/^/  /p' "$out"
else
	failed=$((failed + 1))
	echo "FAIL empty and wrong-typed values"
	sed 's/^/    /' "$out" | head -40
fi
rm -f "$out"
echo "errors: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
