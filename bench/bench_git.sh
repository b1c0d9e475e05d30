#!/bin/sh
# make bench, part three: the git workflow at scale. Prints medians of RUNS runs of
#  - stamp check on N1 and N2 customers, rendered and in sync (the pre-commit hook), next
#    to `git status --porcelain` on the same tree, the two alternating in the same run;
#  - stamp diff of one changed customer against HEAD, N2 customers;
#  - stamp commit after 1,000 customers changed in a repository holding N2 rendered
#    customers, next to `git add out && git commit` on the same change, in the same run
#    (the two commits are checked to hold the same tree).
# Usage: bench/bench_git.sh STAMP BENCH_RENDER TEMPLATES N1 N2 RUNS
set -eu
stamp=$1 generator=$2 templates=$3 small=$4 large=$5 runs=$6
base=$(mktemp -d /tmp/stamp-bench-git-XXXXXX)
trap 'rm -rf "$base"' EXIT
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com

now() { date +%s.%N; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
timed() { # command...; prints seconds
	start=$(now)
	"$@" >/dev/null
	end=$(now)
	awk -v a="$start" -v b="$end" 'BEGIN { printf "%.4f\n", b - a }'
}

setup() { # dir n: a git repository with n customers rendered and committed
	mkdir -p "$1"
	"$generator" --generate "$1" "$2"
	cp -R "$templates" "$1/templates"
	git -C "$1" init -q -b main
	# no automatic gc: a commit of 140,000 new objects starts one in the background,
	# which would take a core from every figure measured after it
	git -C "$1" config gc.auto 0
	"$stamp" -C "$1" -q render
	git -C "$1" add -A
	git -C "$1" commit -q -m "rendered"
}

for n in $small $large; do
	setup "$base/r$n" "$n"
	: > "$base/check$n.all"
	: > "$base/status$n.all"
	i=0
	while [ $i -lt "$runs" ]; do
		timed "$stamp" -C "$base/r$n" -q check >> "$base/check$n.all"
		timed git -C "$base/r$n" status --porcelain >> "$base/status$n.all"
		i=$((i + 1))
	done
	median < "$base/check$n.all" > "$base/check$n"
	median < "$base/status$n.all" > "$base/status$n"
done

repo=$base/r$large
one=$(ls "$repo/customers" | sed -n "$((large / 2))p")
i=0
while [ $i -lt "$runs" ]; do
	sed -i "s/LOG_LEVEL: .*/LOG_LEVEL: diff$i/" "$repo/customers/$one"
	timed "$stamp" -C "$repo" diff
	i=$((i + 1))
done | median > "$base/diff"
git -C "$repo" checkout -q customers

: > "$base/commit-git"
: > "$base/commit-stamp"
i=0
while [ $i -lt "$runs" ]; do
	ls "$repo/customers" | head -n 1000 | while read -r f; do
		sed -i "s/LOG_LEVEL: .*/LOG_LEVEL: commit$i/" "$repo/customers/$f"
	done
	git -C "$repo" add customers && git -C "$repo" commit -q -m "1,000 specs change"
	"$stamp" -C "$repo" -q render
	timed sh -c "git -C '$repo' add out && git -C '$repo' commit -q -m 'rendered by git'" >> "$base/commit-git"
	by_git=$(git -C "$repo" rev-parse HEAD^{tree})
	git -C "$repo" reset -q HEAD~1
	timed "$stamp" -C "$repo" -q commit >> "$base/commit-stamp"
	if [ "$(git -C "$repo" rev-parse HEAD^{tree})" != "$by_git" ]; then
		echo "bench: stamp commit and git commit made different trees" >&2
		exit 1
	fi
	i=$((i + 1))
done
g=$(median < "$base/commit-git")
s=$(median < "$base/commit-stamp")

echo "git workflow: median of $runs runs"
for n in $small $large; do
	printf '  check, %6d customers      %8.3f s   (git status --porcelain, same tree: %.3f s; ratio %.2fx)\n' \
		"$n" "$(cat "$base/check$n")" "$(cat "$base/status$n")" \
		"$(awk -v a="$(cat "$base/check$n")" -v b="$(cat "$base/status$n")" 'BEGIN { print a / b }')"
done
printf '  diff, 1 of %d changed     %8.3f s\n' "$large" "$(cat "$base/diff")"
printf '  commit, 1,000 of %d changed: stamp commit %.3f s, git add out && git commit %.3f s (ratio %.2fx)\n' \
	"$large" "$s" "$g" "$(awk -v a="$s" -v b="$g" 'BEGIN { print a / b }')"
