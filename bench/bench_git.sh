#!/bin/sh
# make bench, part three: the git workflow at scale. Prints medians of RUNS runs of
#  - stamp check on N1 and N2 customers, rendered and in sync (the pre-commit hook), next
#    to `git status --porcelain` on the same tree, the two alternating in the same run;
#  - a no-op stamp render on the same trees, against the same git status (target: at most
#    0.25x), and a render after one customer changed, against the no-op (target: at most
#    50 ms more);
#  - stamp diff of one changed customer against HEAD, N1 and N2 customers, against the
#    no-op render (target: at most 2x);
#  - stamp commit after 1,000 customers changed (all of them, when fewer) in a repository
#    holding N1 and N2 rendered customers, next to `git add out && git commit` on the
#    same change, in the same run (the two commits are checked to hold the same tree);
#  - each figure at N2 against the same at N1 (make bench BENCH_SCALE=full runs it at
#    10,000 and 100,000 customers, where the target is at most 11x).
# Usage: bench/bench_git.sh STAMP BENCH_RENDER TEMPLATES N1 N2 RUNS
set -eu
stamp=$1 generator=$2 templates=$3 small=$4 large=$5 runs=$6
. "$(dirname "$0")/lib.sh"
bench_scratch git

now() { date +%s.%N; }
timed() { # command...; prints seconds
	start=$(now)
	"$@" >/dev/null
	end=$(now)
	awk -v a="$start" -v b="$end" 'BEGIN { printf "%.4f\n", b - a }'
}
# stamp's commands: seconds on stdout, the peak RSS (KiB) appended to $base/rss.<scenario>
measured() { # scenario, command...
	what=$1
	shift
	"$generator" --measure "$@" > "$base/measure" || exit 1
	awk '{ print $2 }' "$base/measure" >> "$base/rss.$what"
	awk '{ print $1 }' "$base/measure"
}
peak() { sort -n "$base/rss.$1" | tail -n 1 | awk '{ printf "%.1f MiB", $1 / 1024 }'; }

for n in $small $large; do
	bench_setup "$base/r$n" "$n"
	: > "$base/check$n.all"
	: > "$base/status$n.all"
	: > "$base/noop$n.all"
	: > "$base/one$n.all"
	one=$(ls "$base/r$n/customers" | sed -n "$((n / 3))p")
	# the commit of the whole tree pushed much of it out of the page cache: one untimed
	# run of each reads it back, so that the first timed one (check) is not alone in
	# paying for that
	"$stamp" -C "$base/r$n" -q check >/dev/null
	git -C "$base/r$n" status --porcelain >/dev/null
	i=0
	while [ $i -lt "$runs" ]; do
		measured check$n "$stamp" -C "$base/r$n" -q check >> "$base/check$n.all"
		timed git -C "$base/r$n" status --porcelain >> "$base/status$n.all"
		measured noop$n "$stamp" -C "$base/r$n" -q render >> "$base/noop$n.all"
		sed -i "s/LOG_LEVEL: .*/LOG_LEVEL: one$i/" "$base/r$n/customers/$one"
		measured one$n "$stamp" -C "$base/r$n" -q render >> "$base/one$n.all"
		i=$((i + 1))
	done
	git -C "$base/r$n" checkout -q customers
	"$stamp" -C "$base/r$n" -q render
	for f in check status noop one; do
		median < "$base/$f$n.all" > "$base/$f$n"
	done
done

for n in $small $large; do
	repo=$base/r$n
	one=$(ls "$repo/customers" | sed -n "$((n / 2))p")
	: > "$base/rss.diff$n"
	i=0
	while [ $i -lt "$runs" ]; do
		sed -i "s/LOG_LEVEL: .*/LOG_LEVEL: diff$i/" "$repo/customers/$one"
		measured diff$n "$stamp" -C "$repo" diff
		i=$((i + 1))
	done | median > "$base/diff$n"
	git -C "$repo" checkout -q customers

	: > "$base/commit-git$n"
	: > "$base/commit-stamp$n"
	i=0
	while [ $i -lt "$runs" ]; do
		ls "$repo/customers" | head -n 1000 | while read -r f; do
			sed -i "s/LOG_LEVEL: .*/LOG_LEVEL: commit$i/" "$repo/customers/$f"
		done
		git -C "$repo" add customers && git -C "$repo" commit -q -m "1,000 specs change"
		"$stamp" -C "$repo" -q render
		timed sh -c "git -C '$repo' add out && git -C '$repo' commit -q -m 'rendered by git'" >> "$base/commit-git$n"
		by_git=$(git -C "$repo" rev-parse HEAD^{tree})
		git -C "$repo" reset -q HEAD~1
		measured commit$n "$stamp" -C "$repo" -q commit >> "$base/commit-stamp$n"
		if [ "$(git -C "$repo" rev-parse HEAD^{tree})" != "$by_git" ]; then
			echo "bench: stamp commit and git commit made different trees" >&2
			exit 1
		fi
		i=$((i + 1))
	done
	median < "$base/commit-git$n" > "$base/gitcommit$n"
	median < "$base/commit-stamp$n" > "$base/commit$n"
done

echo "git workflow: median of $runs runs"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
for n in $small $large; do
	c=$(cat "$base/check$n") st=$(cat "$base/status$n") no=$(cat "$base/noop$n") on=$(cat "$base/one$n")
	printf '  %6d customers: git status --porcelain on the same tree %.3f s\n' "$n" "$st"
	printf '    check, in sync       %8.3f s   (ratio to git status %sx; target 1.0x)   peak RSS %s\n' "$c" \
		"$(ratio "$c" "$st")" "$(peak check$n)"
	printf '    no-op render         %8.3f s   (ratio to git status %sx; target 0.25x)   peak RSS %s\n' "$no" \
		"$(ratio "$no" "$st")" "$(peak noop$n)"
	printf '    one customer changed %8.3f s   (%+.0f ms over the no-op; target +50 ms)   peak RSS %s\n' "$on" \
		"$(awk -v a="$on" -v b="$no" 'BEGIN { print (a - b) * 1000 }')" "$(peak one$n)"
done
for n in $small $large; do
	d=$(cat "$base/diff$n") no=$(cat "$base/noop$n") g=$(cat "$base/gitcommit$n") c=$(cat "$base/commit$n")
	printf '  %6d customers: diff, 1 changed %8.3f s   (ratio to the no-op render %sx; target 2x)   peak RSS %s\n' \
		"$n" "$d" "$(ratio "$d" "$no")" "$(peak diff$n)"
	printf '    commit, %d changed: stamp commit %.3f s, git add out && git commit %.3f s (ratio %sx; target 1.0x)   peak RSS %s\n' \
		"$(( n < 1000 ? n : 1000 ))" "$c" "$g" "$(ratio "$c" "$g")" "$(peak commit$n)"
done
# each figure at N2 against the same figure at N1, in this run (at 100,000 against
# 10,000 the target is at most 11x)
printf '  %d customers against %d:' "$large" "$small"
for f in check noop one diff commit; do
	printf ' %s %sx' "$f" "$(ratio "$(cat "$base/$f$large")" "$(cat "$base/$f$small")")"
done
printf '\n'
