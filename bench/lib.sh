# Shared by the benchmark scripts (sourced; $stamp, $generator and $templates set).

# bench_scratch NAME: $base, a scratch directory removed on exit, and a git identity
bench_scratch() {
	base=$(mktemp -d "/tmp/stamp-bench-$1-XXXXXX")
	trap 'rm -rf "$base"' EXIT
	export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com
	export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
}

# the median of the numbers on stdin, one a line
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# bench_setup DIR N: a git repository with N generated customers, rendered and committed
bench_setup() {
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
