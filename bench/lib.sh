# Shared by the benchmark scripts (sourced; $stamp, $generator and $templates set).

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
