#!/bin/sh
# Every template set under examples/: the committed out/ is what render makes from the
# committed inputs (and stamp check agrees), every kustomization builds with kubectl
# kustomize, every object passes the schema validation, and the seed's own rules hold
# (tests/examples/<name>.py, reading the rendered objects with PyYAML).
# Usage: tests/examples/run.sh STAMP_BINARY [NODE_MODULES]
set -u
stamp=$1
modules=${2:-}
cd "$(dirname "$0")/../.."
root=$(pwd)
. tests/lib.sh

for dir in examples/*/; do
	name=$(basename "$dir")
	[ -f "$dir/templates/stamp.yaml" ] || continue
	check "$name: stamp check accepts the committed example" "$stamp" -C "$dir" -q check
	rm -rf "$scratch/$name" && mkdir -p "$scratch/$name"
	cp -R "$dir/templates" "$dir/customers" "$scratch/$name/"
	"$stamp" -C "$scratch/$name" -q render >/dev/null 2>&1
	check "$name: a fresh render equals the committed out/ byte for byte" diff -r "$dir/out" "$scratch/$name/out"
	check "$name: README paragraph" test -s "$dir/README.md"
	if command -v kubectl >/dev/null 2>&1; then
		for k in $(cd "$dir/out" && find . -name kustomization.yaml | sort); do
			check "$name: kubectl kustomize out/$(dirname "$k")" kubectl kustomize "$dir/out/$(dirname "$k")"
		done
	else
		echo "examples: kubectl kustomize skipped (kubectl is not installed)"
	fi
	if [ -n "$modules" ] && command -v node >/dev/null 2>&1; then
		check "$name: schema validation" node tests/golden/validate.mjs "$modules" "$dir/out"
	else
		echo "examples: $name schema validation skipped (node or the npm packages are missing)"
	fi
	if [ -f "tests/examples/$name.py" ]; then
		check "$name: the seed's rules" /usr/bin/python3 "tests/examples/$name.py" "$dir"
	fi
done
report examples
