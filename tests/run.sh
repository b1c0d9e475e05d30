#!/bin/sh
# Runs every suite against each build directory given (build, build/asan, ...) and ends
# with the total: "N passed, N failed". Each suite prints its own "name: N passed, N
# failed" line; a suite that crashes counts as one failure.
# Usage: tests/run.sh BUILD_DIR...
set -u
cd "$(dirname "$0")/.."
root=$(pwd)
log=$(mktemp)
trap 'rm -f "$log" "$log".*' EXIT

# The independent readers of tests/package.json (HashiCorp's HCL parser, the Kubernetes
# and CRD schemas, a YAML 1.2 reader), installed once per machine into build/node.
node_dir="$root/build/node"
if command -v node >/dev/null 2>&1 && ! cmp -s tests/package.json "$node_dir/package.json"; then
	mkdir -p "$node_dir"
	cp tests/package.json "$node_dir/package.json"
	(cd "$node_dir" && npm install --silent --no-audit --no-fund >/dev/null 2>&1) ||
		{ rm -f "$node_dir/package.json"; echo "note: npm install failed; HCL and schema checks are skipped"; }
fi

suite() { # name, command...
	name=$1
	shift
	started=$(date +%s)
	out=$("$@" 2>&1)
	status=$?
	took=$(($(date +%s) - started))
	printf '%s\n' "$out" | grep -v ': [0-9]* passed, [0-9]* failed$' | sed 's/^/  /' | tail -n 40
	line=$(printf '%s\n' "$out" | grep -E ': [0-9]+ passed, [0-9]+ failed$' | tail -n 1)
	if [ -z "$line" ]; then
		echo "[$build] $name: 0 passed, 1 failed (exit $status, no result line)"
		echo "0 1" >>"$log"
		return
	fi
	echo "[$build] $line"
	echo "  (${took} s)"
	p=$(printf '%s' "$line" | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed$/\1/')
	f=$(printf '%s' "$line" | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed$/\2/')
	if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "  (exit status $status)"
	fi
	echo "$p $f" >>"$log"
}

# Every suite against one build.
run_build() { # build
	build=$1
	for t in "$build"/tests/test_*; do
		case "$t" in *.o|*.d) continue ;; esac
		[ -x "$t" ] || continue
		if [ "$(basename "$t")" = test_escape ]; then
			suite escaping "$t" "$build/tests/escape-cases.txt"
		else
			suite "$(basename "$t")" "$t"
		fi
	done
	suite "mustache spec" "$build/tests/spec_runner"
	suite errors sh tests/errors/run.sh "$root/$build/stamp"
	suite cli sh tests/cli/run.sh "$root/$build/stamp"
	suite golden sh tests/golden/run.sh "$root/$build/stamp" "$node_dir/node_modules"
	suite git sh tests/git/run.sh "$root/$build/stamp"
	suite examples sh tests/examples/run.sh "$root/$build/stamp" "$node_dir/node_modules"
	# again when a render keeps the values of no customer but the first (plan.c's
	# STAMP_TEST_HOLD): each is parsed again where it is rendered, which must change no
	# byte of out/ and no diagnostic
	case "$build" in */asan) lean="golden" ;; *) lean="errors golden" ;; esac
	for s in $lean; do
		suite "$s, values not kept" env STAMP_TEST_HOLD=1 sh tests/$s/run.sh "$root/$build/stamp"
	done
	# the fuzz targets are built with their own sanitizers: once, beside the plain build
	case "$build" in */asan) ;; *) suite fuzz sh tests/fuzz/run.sh 5 ;; esac
	# the sanitized build tries every 3rd N of each sweep: the same fault points, a
	# third of the runs, each three times as slow
	case "$build" in */asan) stride=3 ;; *) stride=1 ;; esac
	# on a tmpfs when there is one: the sweeps make a million fsyncs, whose cost on a
	# disk says nothing about what they test (every fault is injected at the syscall)
	fault_tmp=${TMPDIR:-/tmp}
	[ -d /dev/shm ] && [ -w /dev/shm ] && fault_tmp=/dev/shm
	suite faults env TMPDIR="$fault_tmp" sh tests/faults/run.sh "$root/$build/stamp" "$stride"
	case "$build" in */asan) stride=4 ;; esac
	suite "commit faults" env TMPDIR="$fault_tmp" sh tests/faults/commit.sh "$root/$build/stamp" "$stride"
	if [ -f "$build/tests/escape-cases.txt" ]; then
		suite "escape read-back yaml/json" /usr/bin/python3 tests/escape/readback.py "$build/tests/escape-cases.txt"
		if command -v node >/dev/null 2>&1; then
			NODE_PATH="$node_dir/node_modules" suite "escape read-back hcl" node tests/escape/readback.js "$build/tests/escape-cases.txt"
		else
			echo "[$build] escape read-back (HCL): skipped (node is not installed)"
		fi
	fi
}

# The builds' suites run side by side (on two cores, the sanitized build's beside the
# plain one's); each build's output is printed whole, in order, once both are done.
for build in "$@"; do
	run_build "$build" >"$log.$(printf '%s' "$build" | tr / _)" 2>&1 &
done
wait
for build in "$@"; do
	cat "$log.$(printf '%s' "$build" | tr / _)"
	rm -f "$log.$(printf '%s' "$build" | tr / _)"
done

build=out
if command -v node >/dev/null 2>&1; then
	suite "schema validation" node tests/golden/validate.mjs "$node_dir/node_modules" out
else
	echo "schema validation: skipped (node is not installed)"
fi

awk '{ p += $1; f += $2 } END { printf "%d passed, %d failed\n", p, f; exit (f > 0) }' "$log"
