#!/bin/sh
# make bench, part four: the peer. hogan.js (npm), a compiled mustache renderer, renders
# the same customer templates over the same values for N customers and writes every
# file; stamp's cold render of the same customers runs alternately, in the same run.
# Both are compared per file written (stamp also writes the outputs over all customers
# and its manifest, parses back and hashes every file, and makes it all durable; hogan.js
# leaves its files to the page cache: a sync after it, timed apart, says what making them
# durable adds). Skipped, visibly, when npm
# cannot install hogan.js.
# Usage: bench/bench_hogan.sh STAMP BENCH_RENDER TEMPLATES N RUNS
set -eu
stamp=$1 generator=$2 templates=$3 n=$4 runs=$5
node_dir=build/bench/node
if ! command -v node >/dev/null 2>&1 || ! { [ -d "$node_dir/node_modules/hogan.js" ] ||
	(mkdir -p "$node_dir" && cd "$node_dir" && npm install --no-audit --no-fund --silent hogan.js@3 yaml@2 >/dev/null 2>&1); }; then
	echo "peer: hogan.js skipped (node or npm, or the npm registry, is not reachable)"
	exit 0
fi
# the benches before removed hundreds of thousands of files, and ext4 creates files
# several times slower for about a minute after that
sleep "${BENCH_SETTLE:-60}"
base=$(mktemp -d /tmp/stamp-bench-peer-XXXXXX)
trap 'rm -rf "$base"' EXIT
mkdir "$base/source"
"$generator" --generate "$base/source" "$n"
cp -R "$templates" "$base/source/templates"
mkdir "$base/values"
for id in $(ls "$base/source/customers" | head -n 3 | sed 's/\.yaml$//'); do
	"$stamp" -C "$base/source" show "$id" > "$base/values/$id.yaml"
done
now() { date +%s.%N; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
i=0
while [ $i -lt "$runs" ]; do
	mkdir "$base/cold$i"
	cp -R "$base/source/templates" "$base/source/customers" "$base/cold$i/"
	# stamp's cold render ends with one syncfs(), which would also flush what the other
	# renderer left dirty: each run starts with the disk clean
	sync
	start=$(now)
	"$stamp" -C "$base/cold$i" -q render
	end=$(now)
	files=$(grep -c '^file ' "$base/cold$i/out/.stamp-manifest")
	awk -v a="$start" -v b="$end" -v f="$files" 'BEGIN { printf "%.4f %d\n", b - a, f }' >> "$base/stamp"
	sync
	NODE_PATH="$node_dir/node_modules" node bench/hogan.js "$templates" "$base/values" "$n" "$base/hogan$i" >> "$base/hogan"
	# what making its files as durable as stamp's adds (stamp ends with a syncfs)
	start=$(now)
	sync
	end=$(now)
	awk -v a="$start" -v b="$end" 'BEGIN { printf "%.4f\n", b - a }' >> "$base/hogan-sync"
	i=$((i + 1))
done
sf=$(awk 'NR == 1 { print $2 }' "$base/stamp")
st=$(awk '{ print $1 }' "$base/stamp" | median)
hf=$(awk 'NR == 1 { print $1 }' "$base/hogan")
ht=$(awk '{ print $2 }' "$base/hogan" | median)
hd=$(paste -d ' ' "$base/hogan" "$base/hogan-sync" | awk '{ print $2 + $3 }' | median)
echo "peer: $n customers, median of $runs runs"
awk -v st="$st" -v sf="$sf" -v ht="$ht" -v hf="$hf" -v hd="$hd" 'BEGIN {
	printf "  stamp cold render    %8.3f s for %d files (%.1f us a file)\n", st, sf, st / sf * 1e6
	printf "  hogan.js, write all  %8.3f s for %d files (%.1f us a file)\n", ht, hf, ht / hf * 1e6
	printf "  hogan.js, then sync  %8.3f s (its files made durable, as stamp makes its own)\n", hd
	printf "  per file, stamp against hogan.js: %.2fx (target: below 1); against hogan.js made durable: %.2fx\n", (st / sf) / (ht / hf), (st / sf) / (hd / hf)
}'
