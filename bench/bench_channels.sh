#!/bin/sh
# make bench, part five: channels at scale. N customers in two git repositories, rendered
# and committed: one without channels, one whose customers are split between stable
# (a tag of templates/, all but C of them) and canary (WORKTREE, C of them). Prints the
# medians of RUNS runs, the two repositories alternating in the same run, of
#  - a no-op render;
#  - a render after one customer's spec changed;
#  - a render after a template changed in the working tree: every customer without
#    channels, the C canary customers with them (what a canary rollout costs);
#  - a render after stable is promoted to a tag holding that change (all but C).
# Usage: bench/bench_channels.sh STAMP BENCH_RENDER TEMPLATES N C RUNS
set -eu
stamp=$1 generator=$2 templates=$3 n=$4 canary=$5 runs=$6
. "$(dirname "$0")/lib.sh"
bench_scratch channels

measured() { "$generator" --measure "$@" | awk '{ print $1 }'; }

one=$base/one two=$base/two
# n customers rendered and committed, templates/ tagged templates-v1
for dir in "$one" "$two"; do
	bench_setup "$dir" "$n"
	git -C "$dir" tag templates-v1
done
# the last C customers follow canary
cat >> "$two/templates/stamp.yaml" <<'YAML'
channels:
  stable: {revision: templates-v1}
  canary: {revision: WORKTREE}
default_channel: stable
YAML
ls "$two/customers" | tail -n "$canary" | while read -r f; do
	printf 'channel: canary\n' >> "$two/customers/$f"
done
"$stamp" -C "$two" -q render
git -C "$two" add -A && git -C "$two" commit -q -m "channels"
spec=$(ls "$one/customers" | sed -n "$((n / 3))p")
template=templates/customer/deployment.yaml

for r in one two; do
	for f in noop spec template promote; do : > "$base/$r.$f"; done
done
i=0
while [ $i -lt "$runs" ]; do
	for r in one two; do
		dir=$base/$r
		measured "$stamp" -C "$dir" -q render >> "$base/$r.noop"
		sed -i "s/LOG_LEVEL: .*/LOG_LEVEL: run$i/" "$dir/customers/$spec"
		measured "$stamp" -C "$dir" -q render >> "$base/$r.spec"
		# a template change in the working tree
		sed -i "s/^  revisionHistoryLimit: .*/  revisionHistoryLimit: $((i + 4))/" "$dir/$template"
		measured "$stamp" -C "$dir" -q render >> "$base/$r.template"
		if [ $r = two ]; then
			# promote stable to a tag of that change
			git -C "$dir" add -A && git -C "$dir" commit -q -m "template $i"
			git -C "$dir" tag -f "templates-run$i" >/dev/null
			sed -i "s/revision: templates-[a-z0-9]*}/revision: templates-run$i}/" "$dir/templates/stamp.yaml"
			measured "$stamp" -C "$dir" -q render >> "$base/$r.promote"
		fi
		git -C "$dir" add -A && git -C "$dir" commit -q -m "run $i"
	done
	i=$((i + 1))
done

echo "channels: $n customers, $canary on canary, median of $runs runs"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
for f in noop spec template; do
	a=$(median < "$base/one.$f") b=$(median < "$base/two.$f")
	case $f in
	noop) what="no-op render" ;;
	spec) what="one customer changed" ;;
	template) what="template changed (canary: $canary rendered)" ;;
	esac
	printf '  %-42s one channel %7.3f s   two channels %7.3f s   (ratio %sx)\n' "$what" "$a" "$b" "$(ratio "$b" "$a")"
done
printf '  %-42s                        two channels %7.3f s\n' "promote stable ($((n - canary)) rendered)" \
	"$(median < "$base/two.promote")"
