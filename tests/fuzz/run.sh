#!/bin/sh
# The libFuzzer targets (tests/fuzz/fuzz_*.c), each seeded from the files of tests/
# and the repository that its parser reads: specs for the loader and the schema,
# templates (one byte in front picks the format) for the compiler and renderer, out/
# manifests for the manifest parser. The corpus each run grows is kept in build/fuzz.
# Usage: tests/fuzz/run.sh SECONDS [TARGET...]   (make fuzz; make test runs it briefly)
# Prints each target's executions and ends with "fuzz: N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
seconds=$1
shift
targets=${*:-document schema template outmanifest}
passed=0
failed=0

if ! command -v clang >/dev/null 2>&1; then
	echo "fuzz: skipped (clang is not installed)"
	echo "fuzz: 0 passed, 0 failed"
	exit 0
fi
if ! make --no-print-directory -s fuzz-build >build/fuzz-build.log 2>&1; then
	sed 's/^/    /' build/fuzz-build.log | tail -20
	echo "fuzz: 0 passed, 1 failed"
	exit 1
fi

seeds() { # target, directory to fill
	case "$1" in
	document|schema)
		for f in customers/*.yaml examples/*/customers/*.yaml tests/errors/*/customers/*.yaml; do
			[ -f "$f" ] && cp "$f" "$2/$(echo "$f" | tr / _)"
		done
		[ "$1" = document ] && cp templates/stamp.yaml "$2/manifest.yaml" ;;
	template)
		# the first byte picks the format: 0 none, 1 html, 2 yaml, 3 json, 4 hcl
		for f in templates/*/* examples/*/templates/*/* tests/errors/*/t.* tests/errors/*/*.mustache; do
			[ -f "$f" ] || continue
			case "$f" in
			*.yaml) b=2 ;; *.json) b=3 ;; *.tfvars|*.tf|*.hcl) b=4 ;; *.html) b=1 ;; *) b=0 ;;
			esac
			{ printf "\\00$b"; cat "$f"; } > "$2/$(echo "$f" | tr / _)"
		done ;;
	outmanifest)
		cp tests/fuzz/corpus-outmanifest/* "$2/"
		for f in out/.stamp-manifest examples/*/out/.stamp-manifest; do
			cp "$f" "$2/$(echo "$f" | tr / _)"
		done ;;
	esac
}

for t in $targets; do
	corpus=build/fuzz/corpus-$t
	seed=build/fuzz/seeds-$t
	rm -rf "$seed"
	mkdir -p "$corpus" "$seed"
	seeds "$t" "$seed"
	log=build/fuzz/$t.log
	# the schema target reads the default template set from the directory it runs in
	if STAMP_FUZZ_ROOT=. build/fuzz/fuzz_$t -max_total_time="$seconds" -max_len=65536 -timeout=10 -artifact_prefix=build/fuzz/ \
		-rss_limit_mb=2048 -print_final_stats=1 "$corpus" "$seed" >"$log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		echo "  fuzz: $t: $runs executions in ${seconds}s from $(ls "$seed" | wc -l) seeds, no finding"
		passed=$((passed + 1))
	else
		echo "FAIL fuzz $t (the input is in build/fuzz; the log follows)"
		grep -v '^#' "$log" | tail -30 | sed 's/^/    /'
		failed=$((failed + 1))
	fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
