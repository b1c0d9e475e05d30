#!/bin/sh
# stamp render on the repository's own template set and customers, in scratch copies:
# the committed out/ is exactly what render produces, a second render writes nothing,
# -j 1 and -j 8 agree, a change touches only its customer, hand edits are refused, the
# lock is honoured, removed customers are pruned, invalid input writes nothing, and the
# rendered manifests pass kubectl kustomize.
# Usage: tests/golden/run.sh STAMP_BINARY [NODE_MODULES]
set -u
stamp=$1
modules=${2:-}
cd "$(dirname "$0")/../.."
root=$(pwd)
. tests/lib.sh

fresh() { # a scratch repository: templates/ and customers/, no out/
	rm -rf "$scratch/$1"
	mkdir -p "$scratch/$1"
	cp -R "$root/templates" "$root/customers" "$scratch/$1/"
	echo "$scratch/$1"
}

tree_state() { (cd "$1" && find out -type f -exec stat -c '%n %s %Y.%y' {} + | sort); }
tree_hashes() { (cd "$1" && find out -type f ! -name .stamp-manifest -exec md5sum {} + | sort -k 2); }

# golden: the committed out/ is what render makes from the committed inputs
repo=$(fresh golden)
check "render succeeds" "$stamp" -C "$repo" -q render
check "out/ matches the committed out/ byte for byte" diff -r "$root/out" "$repo/out"

# a second render changes nothing on disk, not even an mtime
before=$(tree_state "$repo")
out=$("$stamp" -C "$repo" render)
check "second render writes nothing" test "$before" = "$(tree_state "$repo")"
check "second render says so" sh -c "echo '$out' | grep -q ' 0 files written'"

# thread count does not change a byte
one=$(fresh j1)
eight=$(fresh j8)
"$stamp" -C "$one" -q -j 1 render
"$stamp" -C "$eight" -q -j 8 render
check "-j 1 and -j 8 give identical trees" diff -r "$one/out" "$eight/out"

# one env value changes that customer's config, values and deployment annotation only
tree_hashes "$repo" > "$scratch/before"
old_annotation=$(grep 'checksum/config' "$repo/out/customers/acme/deployment.yaml")
sed -i 's/LOG_LEVEL: info/LOG_LEVEL: debug/' "$repo/customers/acme.yaml"
"$stamp" -C "$repo" -q render
tree_hashes "$repo" > "$scratch/after"
changed=$(diff "$scratch/before" "$scratch/after" | grep '^>' | awk '{print $3}' | sort | tr '\n' ' ')
check "only acme's configmap, deployment and values changed (got: $changed)" \
	test "$changed" = "out/customers/acme/configmap.yaml out/customers/acme/deployment.yaml out/customers/acme/values.yaml "
check "the deployment's checksum/config annotation changed" \
	sh -c "! grep -qF '$old_annotation' '$repo/out/customers/acme/deployment.yaml'"
check "the annotation is the configmap's XXH3-128" \
	grep -q "checksum/config: \"$(grep 'customers/acme/configmap.yaml' "$repo/out/.stamp-manifest" | awk '{print $2}')\"" \
	"$repo/out/customers/acme/deployment.yaml"

# a hand-edited output is reported and left alone; --force overwrites it
echo "# edited by hand" >> "$repo/out/customers/acme/configmap.yaml"
sed -i 's/LOG_LEVEL: debug/LOG_LEVEL: warn/' "$repo/customers/acme.yaml"
"$stamp" -C "$repo" render 2>"$scratch/err" >/dev/null
status=$?
check "render refuses a hand-edited file (exit 1)" test "$status" = 1
check "the diagnostic names the file" grep -q '^out/customers/acme/configmap.yaml: error: was edited by hand' "$scratch/err"
check "the hand edit is still there" grep -q "edited by hand" "$repo/out/customers/acme/configmap.yaml"
check "nothing else was written either" grep -q "LOG_LEVEL: \"debug\"" "$repo/out/customers/acme/configmap.yaml"
check "--force overwrites it" "$stamp" -C "$repo" -q render --force
check "the forced render wrote the new value" grep -q 'LOG_LEVEL: "warn"' "$repo/out/customers/acme/configmap.yaml"

# the lock: a second render refuses to run while the first holds it (flock(1) holds it
# here as a running stamp does); a lock nobody holds is reclaimed, with a notice
printf '4242 elsewhere\n' > "$repo/out/.stamp-manifest.lock"
flock -x "$repo/out/.stamp-manifest.lock" "$stamp" -C "$repo" render 2>"$scratch/err"
status=$?
check "a held lock stops render (exit 2)" test "$status" = 2
check "and names its holder" grep -q '^out/.stamp-manifest.lock: error: is held by another stamp (pid 4242 on host elsewhere); wait for it to finish' "$scratch/err"
check "and leaves the holder's lock alone" test -e "$repo/out/.stamp-manifest.lock"
"$stamp" -C "$repo" render 2>"$scratch/err" >/dev/null
check "a lock whose holder is gone is reclaimed" grep -q '^stamp: note: removed a stale lock, out/.stamp-manifest.lock, left by pid 4242 on host elsewhere, which is no longer running$' "$scratch/err"
check "and released again" test ! -e "$repo/out/.stamp-manifest.lock"

# a render killed after writing some files is repaired, not taken for hand edits
sed -i 's/LOG_LEVEL: warn/LOG_LEVEL: error/' "$repo/customers/acme.yaml"
half=$(fresh half)
cp -R "$repo/out" "$half/"
cp "$repo/customers/acme.yaml" "$half/customers/"
"$stamp" -C "$repo" -q render
cp "$repo/out/customers/acme/configmap.yaml" "$half/out/customers/acme/configmap.yaml"
check "the next render finishes the job" "$stamp" -C "$half" -q render
check "and ends where a whole render ends" diff -r "$repo/out" "$half/out"

# a cold render killed while creating files: the journal says which files are stamp's
dead=$(fresh dead)
mkdir -p "$dead/out/customers/acme"
printf 'apiVersion: v1\nkind: Confi' > "$dead/out/customers/acme/configmap.yaml"
printf 'customers/acme/configmap.yaml\n' > "$dead/out/.stamp-pending"
check "a render after a killed cold render succeeds" "$stamp" -C "$dead" -q render
check "and repairs the half-written file" diff "$root/out/customers/acme/configmap.yaml" "$dead/out/customers/acme/configmap.yaml"
check "and clears the journal" test ! -e "$dead/out/.stamp-pending"
stray=$(fresh stray)
mkdir -p "$stray/out/customers/acme"
printf 'mine\n' > "$stray/out/customers/acme/configmap.yaml"
"$stamp" -C "$stray" -q render 2>"$scratch/err"
check "without a manifest, a differing file is restored" diff "$root/out/customers/acme/configmap.yaml" "$stray/out/customers/acme/configmap.yaml"
check "and the render says so" grep -q '^stamp: note: out/ had no manifest; 1 file that differed from its rendering was restored$' "$scratch/err"
mkdir -p "$stray/out/customers/zed"
printf 'mine\n' > "$stray/out/customers/zed/configmap.yaml"
printf 'plan: starter\nimage:\n  tag: "0.1.42"\n' > "$stray/customers/zed.yaml"
"$stamp" -C "$stray" -q render 2>"$scratch/err"
check "with a manifest, a file nobody journaled is not overwritten" grep -q '^mine$' "$stray/out/customers/zed/configmap.yaml"
check "and is reported" grep -q '^out/customers/zed/configmap.yaml: error: is not a file stamp wrote; move it out of out/, or run stamp render --force to overwrite it$' "$scratch/err"

# removing a customer prunes its files and its records
rm "$repo/customers/corner-bikes.yaml"
"$stamp" -C "$repo" -q render
check "its directory is gone" test ! -e "$repo/out/customers/corner-bikes"
check "its application is gone" test ! -e "$repo/out/apps/corner-bikes.yaml"
check "the app-of-apps no longer lists it" sh -c "! grep -q corner-bikes '$repo/out/apps/kustomization.yaml'"
check "the DNS records no longer list it" sh -c "! grep -q corner-bikes '$repo/out/terraform/customers.auto.tfvars'"
check "the manifest no longer lists it" sh -c "! grep -q corner-bikes '$repo/out/.stamp-manifest'"

# invalid input writes nothing at all
before=$(tree_state "$repo")
printf 'plan: gold\n' > "$repo/customers/zulu.yaml"
"$stamp" -C "$repo" render >/dev/null 2>&1
status=$?
check "render of an invalid spec fails (exit 1)" test "$status" = 1
check "and leaves out/ untouched" test "$before" = "$(tree_state "$repo")"
rm "$repo/customers/zulu.yaml"

# a changed template re-renders everyone
echo "# template changed" >> "$repo/templates/customer/service.yaml"
out=$("$stamp" -C "$repo" render)
check "a template change re-renders every customer ($out)" sh -c "echo '$out' | grep -q '^4 customers (4 rendered)'"

# the engine on a small set: a partial in a file of no escaping after a YAML output, and
# an output over all customers that uses each one's hashes, rendered from scratch and
# again after one customer changed
e=$scratch/engine
mkdir -p "$e/templates/partials" "$e/customers"
cat > "$e/templates/stamp.yaml" <<'EOF'
platform: {name: engine}
plans: {basic: {replicas: 1}}
schema:
  plan: {type: string, required: true, enum_from: plans}
  note: {type: string, default: "first"}
outputs:
  - {name: config, template: config.yaml, path: "{{id}}/config.yaml"}
  - {name: readme, template: readme.txt, path: "{{id}}/README.txt"}
  - {name: index, template: index.txt, path: index.txt, over: all}
EOF
printf 'note: {{note}}\n' > "$e/templates/config.yaml"
printf '{{>banner}}\n{{id}}: {{note}}\n' > "$e/templates/readme.txt"
printf 'rendered by stamp\n' > "$e/templates/partials/banner.txt"
printf '{{#customers}}{{id}} {{hashes.config}} {{hashes.readme}}\n{{/customers}}' > "$e/templates/index.txt"
printf 'plan: basic\n' > "$e/customers/a.yaml"
printf 'plan: basic\n' > "$e/customers/b.yaml"
"$stamp" -C "$e" -q render 2>"$scratch/err"
check "a partial in a .txt output after a YAML output is found" grep -qx 'rendered by stamp' "$e/out/a/README.txt"
check "the output over all customers sees each one's hashes" \
	test "$(cut -d' ' -f2 "$e/out/index.txt" | grep -c '^[0-9a-f]\{32\}$')" = 2
hash_a=$(sed -n 's/^a \([0-9a-f]*\) .*/\1/p' "$e/out/index.txt")
hash_b=$(sed -n 's/^b \([0-9a-f]*\) .*/\1/p' "$e/out/index.txt")
printf 'plan: basic\nnote: second\n' > "$e/customers/b.yaml"
"$stamp" -C "$e" -q render 2>"$scratch/err"
check "after one customer changed, the incremental render succeeds" test $? = 0
check "and keeps the unchanged customer's hash" grep -q "^a $hash_a " "$e/out/index.txt"
check "and gives the changed one its new hash" sh -c "grep '^b ' '$e/out/index.txt' | grep -qv ' $hash_b '"
cp "$e/out/index.txt" "$scratch/index-incremental"
rm -rf "$e/out"
"$stamp" -C "$e" -q render
check "which is what a render from scratch gives" cmp "$scratch/index-incremental" "$e/out/index.txt"
git -C "$e" init -q -b main && git -C "$e" add . && git -C "$e" -c user.name=t -c user.email=t@t commit -q -m engine
printf 'plan: basic\nnote: third\n' > "$e/customers/a.yaml"
"$stamp" -C "$e" diff >"$scratch/diff" 2>&1
check "stamp diff shows the output over all customers with the changed customer's new hashes" \
	sh -c "grep -q '^# all customers: 0 added, 1 changed' '$scratch/diff' && grep -q '^+a [0-9a-f]\{32\} ' '$scratch/diff' && ! grep -q '^[-+]b ' '$scratch/diff'"

# reuse: a customer whose spec is as the last render saw it is not parsed again; the
# outputs over all customers and the unique: rules read its summary in the manifest
repo=$(fresh reuse)
"$stamp" -C "$repo" -q render
check "the manifest records a summary per customer: its id and its hosts, nothing else read" \
	grep -q '^customer acme [0-9a-f]\{32\} @1:1m4 sid @1:1sacme splatform P sdeploy D shosts ' "$repo/out/.stamp-manifest"
check "a summary leaves out what no output over all customers reads (env)" \
	sh -c "! grep '^customer acme ' '$repo/out/.stamp-manifest' | grep -q LOG_LEVEL"
sed -i 's/^subdomain: .*/subdomain: acme-shop/' "$repo/customers/acme.yaml"
grep -q '^subdomain: acme-shop' "$repo/customers/acme.yaml" || printf 'subdomain: acme-shop\n' >> "$repo/customers/acme.yaml"
"$stamp" -C "$repo" -q render
cp -R "$repo/out" "$scratch/reuse-incremental"
"$stamp" -C "$repo" -q render --force
check "an incremental render, with the others read from summaries, equals a full render byte for byte" \
	diff -r "$scratch/reuse-incremental" "$repo/out"
check "the DNS records name acme's new host and every other customer's" \
	sh -c "grep -q '\"acme-shop.app.lunarfront.tech\"' '$repo/out/terraform/customers.auto.tfvars' && grep -q '\"evergreen.app.lunarfront.tech\"' '$repo/out/terraform/customers.auto.tfvars'"
# a changed spec that claims an unchanged customer's host: the same message as a full check
sed -i "s/^domains: .*/domains: [repairs.delta.io]/" "$repo/customers/evergreen.yaml"
status=0; "$stamp" -C "$repo" -q render 2>"$scratch/reuse-err" || status=$?
check "a changed spec claiming a reused customer's host is refused (exit 1)" test "$status" = 1
rm -f "$repo/out/.stamp-manifest"
status=0; "$stamp" -C "$repo" -q render 2>"$scratch/reuse-full-err" || status=$?
check "naming the reused customer's claim ($(head -1 "$scratch/reuse-err"))" \
	grep -q '^customers/evergreen.yaml:4:11: error: hosts: "repairs.delta.io" is already claimed by customers/delta-repairs.yaml:6:11 (customer delta-repairs)' "$scratch/reuse-err"
check "with the same message as when every spec is parsed" cmp "$scratch/reuse-err" "$scratch/reuse-full-err"
# a summary that does not decode sends its customer back to its spec
repo=$(fresh reuse-damaged)
"$stamp" -C "$repo" -q render
sed -i 's/^\(customer bluebird-music [0-9a-f]*\) .*/\1 m99 sgarbage/' "$repo/out/.stamp-manifest"
# a change that leaves acme's summary as it was: what the outputs over all customers and
# the unique: rules read is unchanged, so no other summary is read, and the damaged one
# is carried over as it is
printf '# touched\n' >> "$repo/customers/acme.yaml"
tree_hashes "$repo" > "$scratch/reuse-damaged-before"
check "a change that keeps acme's summary renders" "$stamp" -C "$repo" -q render
check "without reading the other summaries (the damaged one is left as it was)" \
	grep -qx 'customer bluebird-music [0-9a-f]\{32\} m99 sgarbage' "$repo/out/.stamp-manifest"
tree_hashes "$repo" > "$scratch/reuse-damaged-after"
check "and without writing a file: the outputs over all customers stay" \
	cmp "$scratch/reuse-damaged-before" "$scratch/reuse-damaged-after"
# one that changes acme's hosts: every summary is read, the damaged one from its spec
sed -i 's/^subdomain: .*/subdomain: acme-shop/' "$repo/customers/acme.yaml"
grep -q '^subdomain: acme-shop' "$repo/customers/acme.yaml" || printf 'subdomain: acme-shop\n' >> "$repo/customers/acme.yaml"
check "a render over a summary that does not decode succeeds" "$stamp" -C "$repo" -q render
check "the DNS records name acme's new host" \
	grep -q '"acme-shop.app.lunarfront.tech"' "$repo/out/terraform/customers.auto.tfvars"
check "and the manifest has a good summary again" \
	grep -q '^customer bluebird-music [0-9a-f]\{32\} @1:1m4 sid' "$repo/out/.stamp-manifest"
cp -R "$repo/out" "$scratch/reuse-damaged-incremental"
"$stamp" -C "$repo" -q render --force
check "and it rendered what a full render does" diff -r "$scratch/reuse-damaged-incremental" "$repo/out"
# a manifest of format 1 (no summaries) is read, and the next render adds them, writing no file
repo=$(fresh reuse-format1)
"$stamp" -C "$repo" -q render
sed -i -e '1s/.*/stamp-manifest 1/' -e 's/^\(customer [^ ]* [0-9a-f]\{32\}\) .*/\1/' "$repo/out/.stamp-manifest"
before=$(tree_hashes "$repo")
check "stamp check accepts a manifest of format 1" "$stamp" -C "$repo" -q check
out=$("$stamp" -C "$repo" render 2>&1)
check "a render over it writes no file ($out)" sh -c "echo '$out' | grep -q ' 0 files written' && test \"\$(echo '$before')\" = '$(tree_hashes "$repo")'"
check "and records the summaries" sh -c "head -1 '$repo/out/.stamp-manifest' | grep -qx 'stamp-manifest 2' && grep -q '^customer acme [0-9a-f]\{32\} @1:1m4 ' '$repo/out/.stamp-manifest'"

# a template change reads no file of out/: those it replaces are older than the manifest
# the last render wrote after them, so they hold what it recorded (the last files written
# can share the manifest's clock tick, and are then read: here they are made older); each
# replaced file's name is swapped with the temporary's, whose inode the next replacement
# reuses
repo=$(fresh template-change)
"$stamp" -C "$repo" -q render
find "$repo/out" -type f ! -name .stamp-manifest -exec touch -d '@1700000000' {} +
printf '# changed\n' >> "$repo/templates/customer/service.yaml"
files=$(ls "$repo/customers" | grep -c '\.yaml$')
inodes() { stat -c %i "$repo"/out/customers/*/service.yaml | sort; }
inodes > "$scratch/template-change.before"
if command -v strace >/dev/null 2>&1; then
	strace_log "$scratch/template-change.trace" -e trace=openat,read,close,fadvise64,renameat,renameat2 \
		"$stamp" -C "$repo" -j1 -q render >/dev/null 2>&1
	# reads from a descriptor opened on out/'s service.yaml (a name under its directory's)
	read_service=$(awk '
		/^openat\([0-9]+, "service.yaml", O_RDONLY/ { sub(/.*= /, ""); open[$0] = 1; next }
		/^read\(/ { fd = $0; sub(/^read\(/, "", fd); sub(/,.*/, "", fd); if (fd in open) n++ }
		/^close\(/ { fd = $0; sub(/^close\(/, "", fd); sub(/\).*/, "", fd); delete open[fd] }
		END { print n + 0 }' "$scratch/template-change.trace")
	ahead=$(grep -c '^fadvise64([0-9]*, 0, 0, POSIX_FADV_WILLNEED) = 0' "$scratch/template-change.trace" || true)
	read_others=$(grep 'openat([0-9]*, "[a-z-]*\.yaml", O_RDONLY' "$scratch/template-change.trace" | grep -vc '"service.yaml"' || true)
	swapped=$(grep -c 'renameat2(.*"service.yaml", RENAME_EXCHANGE) = 0' "$scratch/template-change.trace" || true)
	created=$(grep -c 'openat([0-9]*, "w", O_WRONLY|O_CREAT|O_NOFOLLOW|O_CLOEXEC, 0666) = ' "$scratch/template-change.trace" || true)
	truncated=$(grep -c 'openat([0-9]*, "w", [A-Z_|]*O_TRUNC' "$scratch/template-change.trace" || true)
	check "a template change reads none of the $files service.yaml files it replaces (read $read_service)" test "$read_service" = 0
	check "but asks for each to be read ahead, as it writes over their inodes ($ahead)" test "$ahead" = "$files"
	check "and opens no other file of out/ (opened $read_others)" test "$read_others" = 0
	check "each is swapped into place ($swapped of $files)" test "$swapped" = "$files"
	check "through a temporary opened $files times ($created)" test "$created" = "$files"
	check "written over, never truncated to nothing first ($truncated)" test "$truncated" = 0
else
	"$stamp" -C "$repo" -j1 -q render
	echo "golden: the template change's trace skipped (strace is not installed)"
fi
check "where no temporary is left" test ! -e "$repo/out/.stamp-tmp"
reused=$(inodes | comm -12 - "$scratch/template-change.before" | wc -l)
check "all but one of the new files took a replaced file's inode ($reused of $files)" test "$reused" = "$((files - 1))"
cp -R "$repo/out" "$scratch/template-change-out"
"$stamp" -C "$repo" -q render --force
check "the template change wrote what a full render writes" diff -r "$scratch/template-change-out" "$repo/out"
# the age rule: a file edited by hand since the last render is newer than the manifest,
# and a template change that would replace it refuses to; one whose edit put its mtime
# back before the manifest's is taken for what the render wrote (git trusts its index the
# same way), and --force reads every file again
edited=$(fresh edit-age)
"$stamp" -C "$edited" -q render
echo '# by hand' >> "$edited/out/customers/acme/service.yaml"
printf '# changed\n' >> "$edited/templates/customer/service.yaml"
"$stamp" -C "$edited" render > "$scratch/edit-age.out" 2>&1
check "a hand edit newer than the manifest stops a template change" \
	grep -q '^out/customers/acme/service.yaml: error: was edited by hand since the last render' "$scratch/edit-age.out"
check "and stays" grep -qx '# by hand' "$edited/out/customers/acme/service.yaml"
touch -d '@1700000000' "$edited/out/customers/acme/service.yaml"
"$stamp" -C "$edited" check > "$scratch/edit-age.out" 2>&1
check "put back before the manifest, it is out of date" \
	grep -q '^out/customers/acme/service.yaml: error: is out of date' "$scratch/edit-age.out"
check "not edited" sh -c "! grep -q 'edited by hand' '$scratch/edit-age.out'"
if command -v strace >/dev/null 2>&1; then
	strace_log "$scratch/edit-age.trace" -e trace=openat "$stamp" -C "$edited" -j1 -q render --force
	read_service=$(grep -c 'openat([0-9]*, "service.yaml", O_RDONLY' "$scratch/edit-age.trace" || true)
	check "render --force reads each of the $files files it replaces ($read_service reads)" test "$read_service" -ge "$files"
else
	echo "golden: the age rule's trace skipped (strace is not installed)"
fi

# replaced files that shrink: each temporary is the inode of a longer file, written over
# and cut to its new length
awk 'BEGIN { for (i = 0; i < 60; i++) printf "# a long comment line, to be removed again: %d\n", i }' \
	>> "$repo/templates/customer/service.yaml"
"$stamp" -C "$repo" -q render
sed -i '/^# a long comment line/d' "$repo/templates/customer/service.yaml"
if command -v strace >/dev/null 2>&1; then
	strace_log "$scratch/template-shrink.trace" -e trace=ftruncate "$stamp" -C "$repo" -j1 -q render
	cut=$(grep -c '^ftruncate([0-9]*, [1-9][0-9]*) *= 0' "$scratch/template-shrink.trace" || true)
	check "each shorter file over a longer one is cut to its length ($cut of $((files - 1)))" test "$cut" = "$((files - 1))"
else
	"$stamp" -C "$repo" -q render
	echo "golden: the shrinking replacements' trace skipped (strace is not installed)"
fi
shrunk=$(fresh template-shrink)
rm -rf "$shrunk/templates" && cp -R "$repo/templates" "$shrunk/templates"
"$stamp" -C "$shrunk" -q render
check "and out/ is what a cold render of the same templates writes" diff -r "$shrunk/out" "$repo/out"
# the check pass keeps the bytes of the files it will write (in what the hold of values
# leaves; STAMP_TEST_KEEP sets it for the tests), so the writer does not render their
# customers again: with no values kept (STAMP_TEST_HOLD=1, each spec parsed again where
# it is rendered), a spec is read twice (load, check pass), and three times when no
# bytes are kept
if command -v strace >/dev/null 2>&1; then
	for keep in 100000000 1; do
		printf '# again %s\n' "$keep" >> "$repo/templates/customer/service.yaml"
		env STAMP_TEST_HOLD=1 STAMP_TEST_KEEP=$keep \
			ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
			strace -f -qq -o "$scratch/template-keep-$keep.trace" -e trace=openat "$stamp" -C "$repo" -q render
		reads=$(grep -c 'openat([0-9]*, "customers/evergreen.yaml", O_RDONLY' "$scratch/template-keep-$keep.trace" || true)
		expected=2
		[ "$keep" = 1 ] && expected=3
		check "a template change with the writer's bytes kept: $keep: evergreen's spec is read $expected times ($reads)" \
			test "$reads" = "$expected"
		cp -R "$repo/out" "$scratch/template-keep-$keep"
		"$stamp" -C "$repo" -q render --force
		check "and out/ is what a full render writes ($keep)" diff -r "$scratch/template-keep-$keep" "$repo/out"
	done
	# a template change keeps no values: the hold goes to the bytes that change, so with
	# a hold of twice their size beside the summaries' first arena block (4 KiB, one
	# worker), far less than every customer's values, each customer is rendered once:
	# every spec read twice, none a third time by the writer
	bytes=$(cat "$repo"/out/customers/*/service.yaml | wc -c)
	hold=$((2 * bytes + 8192))
	printf '# once more\n' >> "$repo/templates/customer/service.yaml"
	env STAMP_TEST_HOLD=$hold ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -qq -o "$scratch/template-hold.trace" -e trace=openat "$stamp" -C "$repo" -j1 -q render
	reads=$(for spec in "$repo"/customers/*.yaml; do
		grep -c "openat([0-9]*, \"customers/${spec##*/}\", O_RDONLY" "$scratch/template-hold.trace"
	done | sort -u | tr '\n' ' ')
	check "a template change under a hold of $hold bytes reads every spec twice ($reads)" test "$reads" = "2 "
	cp -R "$repo/out" "$scratch/template-hold"
	"$stamp" -C "$repo" -q render --force
	check "and out/ is what a full render writes" diff -r "$scratch/template-hold" "$repo/out"
else
	echo "golden: the template change's kept bytes skipped (strace is not installed)"
fi

# stamp diff reads the summaries of each side's manifest: the same patches as without them
strip_summaries() { sed -i -e '1s/.*/stamp-manifest 1/' -e 's/^\(customer [^ ]* [0-9a-f]\{32\}\) .*/\1/' "$1/out/.stamp-manifest"; }
for kind in with without; do
	repo=$(fresh "diff-$kind")
	"$stamp" -C "$repo" -q render
	[ "$kind" = without ] && strip_summaries "$repo"
	git -C "$repo" init -q -b main && git -C "$repo" add -A &&
		git -C "$repo" -c user.name=t -c user.email=t@t commit -q -m rendered
	sed -i 's/^domains: .*/domains: [garden.evergreen.example]/' "$repo/customers/evergreen.yaml"
	sed -i 's/LOG_LEVEL: .*/LOG_LEVEL: warn/' "$repo/customers/acme.yaml"
	"$stamp" -C "$repo" diff > "$scratch/diff-$kind.txt" 2>&1
done
check "stamp diff over summaries names acme, evergreen and the DNS records" \
	sh -c "grep -q '^# acme: ' '$scratch/diff-with.txt' && grep -q '^# evergreen: ' '$scratch/diff-with.txt' && grep -q '^+    name     = \"garden.evergreen.example\"' '$scratch/diff-with.txt'"
check "and is the diff made from the specs alone" cmp "$scratch/diff-with.txt" "$scratch/diff-without.txt"

# a cold render finds each directory of out/ missing once before it creates it, not once
# for every file that goes in it: a cursor remembers the missing directory. The writer
# opens each directory once, however often it goes back and forth between apps/ and
# customers/<id>/ (its cursor keeps them open), and does not look for a directory in
# one it made before making it: the failed lookups are out/ and each directory at the
# top of out/ (once by the looks, once by the writer)
repo=$(fresh cold-lookups)
if command -v strace >/dev/null 2>&1; then
	strace_log "$scratch/cold-lookups.trace" -e trace=openat "$stamp" -C "$repo" -j1 -q render >/dev/null 2>&1
	missing=$(grep 'O_DIRECTORY' "$scratch/cold-lookups.trace" | grep -c 'ENOENT' || true)
	opened=$(grep 'O_NOFOLLOW|O_CLOEXEC|O_DIRECTORY' "$scratch/cold-lookups.trace" | grep -vc 'ENOENT' || true)
	dirs=$(find "$repo/out" -mindepth 1 -type d | wc -l)
	top=$(find "$repo/out" -mindepth 1 -maxdepth 1 -type d | wc -l)
	files=$(find "$repo/out" -type f | wc -l)
	check "a cold render of $files files looks up only out/ and its $top top directories in vain ($missing failed lookups)" \
		test "$missing" -le $((1 + 2 * top))
	check "and opens each of its $dirs directories once, with out/ and out/.stamp-tmp ($opened opened)" \
		test "$opened" -le $((dirs + 2))
else
	echo "golden: the cold render's lookups skipped (strace is not installed)"
fi

# the looks of a render go in batches of 4,096 paths, on the workers, decided in order:
# 300 customers without a manifest make 4,200 looks, and a file that differs on each side
# of the first batch's end is restored
repo=$(fresh batches)
i=100
while [ $i -lt 400 ]; do
	sed "s/acme/c$i/g" "$repo/customers/acme.yaml" > "$repo/customers/c$i.yaml"
	i=$((i + 1))
done
"$stamp" -C "$repo" -q render
cp -R "$repo/out" "$scratch/batches-out"
echo '# by hand' >> "$repo/out/customers/c100/service.yaml"
echo '# by hand' >> "$repo/out/customers/c399/service.yaml"
rm "$repo/out/.stamp-manifest"
out=$("$stamp" -C "$repo" -j2 render 2>&1)
check "without a manifest, both files that differ are restored ($out)" \
	sh -c "echo '$out' | grep -q '2 files that differed from their rendering were restored'"
check "and out/ is as rendered before" diff -r "$scratch/batches-out" "$repo/out"

# the writing pipeline wakes a sleeping thread only when it has work: the writer when the
# customer it waits for is rendered, the workers when half the window ahead is free; a
# wakeup at every customer hands the writer's core to a worker thousands of times
if grep -q __asan_init "$stamp"; then
	echo "golden: the pipeline's wakeups skipped (a sanitized build: its allocator's own locks wait too)"
elif command -v strace >/dev/null 2>&1; then
	rm -rf "$repo/out"
	strace_log "$scratch/pipeline.trace" -e trace=futex "$stamp" -C "$repo" -j2 -q render >/dev/null 2>&1
	# not counted: glibc's arena locks (the first lock of a heap, 64 MiB aligned, at
	# +0x30), which the writer takes to free what a worker rendered, and waits for when
	# the worker is allocating: how often is up to the scheduler, not the pipeline
	futexes=$(grep 'futex(' "$scratch/pipeline.trace" | grep -vc 'futex(0x[0-9a-f]*[048c]000030,' || true)
	check "a cold render of 300 customers on two workers waits or wakes fewer times than it has customers ($futexes)" \
		test "$futexes" -lt 300
	check "and out/ is as rendered before" diff -r "$scratch/batches-out" "$repo/out"
else
	echo "golden: the pipeline's wakeups skipped (strace is not installed)"
fi

# one pass: a cold render renders each customer once, as it writes; a customer found
# invalid after others were written undoes them, and out/ is as it was (here: absent)
repo=$(fresh one-pass)
sed -i '/^    reserved:$/,/^      VALKEY_URL: externalsecret$/d; /^disjoint:/d' "$repo/templates/stamp.yaml"
printf 'plan: starter\nimage:\n  tag: "1.0.0"\nenv:\n  PORT: "9"\n' > "$repo/customers/zz-late.yaml"
status=0
if command -v strace >/dev/null 2>&1; then
	strace_log "$scratch/one-pass.trace" -e trace=openat,unlinkat "$stamp" -C "$repo" -j2 render \
		>/dev/null 2>"$scratch/one-pass.err" || status=$?
	# the five customers before it, 14 files each, created in place and removed again
	created=$(grep 'O_CREAT|O_EXCL' "$scratch/one-pass.trace" | grep -c '"[a-z-]*\.yaml"' || true)
	removed=$(grep -c 'unlinkat([0-9]*, "[a-z-]*\.yaml", 0) *= 0$' "$scratch/one-pass.trace" || true)
	check "files were written before the late customer's problem was found ($created created, $removed removed)" \
		sh -c "test '$created' -ge 70 && test '$removed' = '$created'"
else
	"$stamp" -C "$repo" -j2 render >/dev/null 2>"$scratch/one-pass.err" || status=$?
	echo "golden: one-pass write trace skipped (strace is not installed)"
fi
check "a customer invalid after others were written: exit 1" test "$status" = 1
check "the problem is at the late customer's spec" grep -q '^customers/zz-late.yaml:5:3: error: this value' "$scratch/one-pass.err"
check "and the summary says nothing was changed" sh -c "tail -1 '$scratch/one-pass.err' | grep -qx 'stamp: 1 error; nothing was changed'"
check "out/ is as it was: not there" test ! -e "$repo/out"
rm "$repo/customers/zz-late.yaml"
"$stamp" -C "$repo" -q render
cp -R "$repo/out" "$scratch/one-pass-out"
rm -rf "$repo/out/.stamp-manifest"
"$stamp" -C "$repo" -q render --force
check "a cold render (one pass) writes what a render that checks first writes" diff -r "$scratch/one-pass-out" "$repo/out"

# past the values a render keeps (STAMP_TEST_HOLD=1: every customer but the first), a
# customer is parsed again as it is rendered for writing, and its spec must be the one
# checked: one edited meanwhile is refused, and out/ is as it was. Every open of the
# spec waits 2 s: the check's, and then its second read, during which the journal is
# written (the writer does not wait for it) and the spec is edited
if command -v strace >/dev/null 2>&1; then
	repo=$(fresh lean-race)
	(cd "$repo" && ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" STAMP_TEST_HOLD=1 \
		strace -f -qq -o /dev/null -P customers/evergreen.yaml -e trace=openat \
		-e inject=openat:delay_enter=2000000 \
		"$stamp" -C "$repo" -j2 render >/dev/null 2>"$scratch/lean-race.err") &
	racer=$!
	i=0
	while [ ! -e "$repo/out/.stamp-pending" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	echo '# edited' >> "$repo/customers/evergreen.yaml"
	status=0
	wait $racer || status=$?
	check "a spec edited between the check and the write: exit 1" test "$status" = 1
	check "names it" grep -qx 'customers/evergreen.yaml: error: changed while stamp ran; run stamp again' "$scratch/lean-race.err"
	check "and nothing was changed" sh -c "tail -1 '$scratch/lean-race.err' | grep -qx 'stamp: 1 error; nothing was changed'"
	check "out/ is as it was: not there" test ! -e "$repo/out"
else
	echo "golden: a spec edited while a lean render writes: skipped (strace is not installed)"
fi

# the committed out/ passes kubectl kustomize, customer by customer
if command -v kubectl >/dev/null 2>&1; then
	for dir in "$root"/out/customers/*/ "$root/out/apps/"; do
		check "kubectl kustomize $dir" kubectl kustomize "$dir"
	done
else
	echo "kubectl kustomize: skipped (kubectl is not installed)"
fi

# --- platform.delivery: helm: the chart makes the workload, out/ holds its values ---
helm=$(fresh helm)
"$stamp" -C "$helm" -q render
sed -i 's/^  delivery: manifests$/  delivery: helm/' "$helm/templates/stamp.yaml"
"$stamp" -C "$helm" render > "$scratch/out" 2>&1
check "helm: switching delivery prunes the 7 manifests the chart makes, per customer" \
	grep -q '^5 customers (5 rendered): [0-9]* files written, [0-9]* unchanged, 35 removed$' "$scratch/out"
check "helm: each customer keeps its values and what surrounds the release" \
	test "$(cd "$helm/out/customers/acme" && ls | tr '\n' ' ')" = "kustomization.yaml limitrange.yaml namespace.yaml networkpolicy.yaml resourcequota.yaml values.yaml "
check "helm: the values say Argo CD installs the chart with them" \
	grep -q '^# installs the chart with this file (platform.delivery: helm; apps/acme.yaml)' "$helm/out/customers/acme/values.yaml"
python3 - "$helm/out/apps/acme.yaml" > "$scratch/sources" <<'PY'
import sys, yaml
app = yaml.safe_load(open(sys.argv[1]))
for s in app["spec"]["sources"]:
    print(s.get("repoURL"), s.get("chart"), s.get("targetRevision"), s.get("ref"), s.get("path"),
          (s.get("helm") or {}).get("valueFiles"))
PY
check "helm: the Application installs the chart from the OCI registry at the platform's version" \
	grep -qx "registry.digitalocean.com/lunarfront lunarfront-app 0.1.42 None None \['\$values/out/customers/acme/values.yaml'\]" "$scratch/sources"
check "helm: with the values from this repository, and its manifests from there" \
	test "$(sed -n '2,3p' "$scratch/sources" | tr '\n' '|')" = "https://git.lunarfront.tech/lunarfront/lunarfront-charts.git None main values None None|https://git.lunarfront.tech/lunarfront/lunarfront-charts.git None main None out/customers/acme None|"
if command -v kubectl >/dev/null 2>&1; then
	check "helm: the kustomization builds what surrounds the release" \
		test "$(kubectl kustomize "$helm/out/customers/acme" | grep '^kind:' | sort | tr '\n' ' ')" = "kind: LimitRange kind: Namespace kind: NetworkPolicy kind: ResourceQuota "
fi
if [ -n "$modules" ] && command -v node >/dev/null 2>&1; then
	check "helm: every object, the multi-source Applications too, passes the schema validation" \
		node tests/golden/validate.mjs "$modules" "$helm/out"
else
	echo "golden: helm schema validation skipped (node or the npm packages are missing)"
fi
# a customer pinned to another chart version: the "upgrade this customer" flow
printf 'chart_version: 0.1.40\n' >> "$helm/customers/acme.yaml"
"$stamp" -C "$helm" render > "$scratch/out" 2>&1
check "helm: a pinned chart_version re-renders that customer's Application and values" \
	grep -q '^5 customers (1 rendered): 2 files written' "$scratch/out"
check "helm: its Application installs that version" grep -q '^    targetRevision: "0.1.40"$' "$helm/out/apps/acme.yaml"
check "helm: its values say so" grep -q '^chartVersion: "0.1.40"$' "$helm/out/customers/acme/values.yaml"
printf 'chart_version: v2\n' >> "$helm/customers/bluebird-music.yaml"
"$stamp" -C "$helm" render > /dev/null 2> "$scratch/err"
check "helm: a chart_version that is not a version is refused at its line" \
	grep -q "^customers/bluebird-music.yaml:$(grep -c '' "$helm/customers/bluebird-music.yaml"):16: error: chart_version: \"v2\" is not a chart version" "$scratch/err"
sed -i '$d' "$helm/customers/bluebird-music.yaml"
# a typo in the setting would leave out every workload: refused
sed -i 's/^  delivery: helm$/  delivery: helmm/' "$helm/templates/stamp.yaml"
"$stamp" -C "$helm" check > /dev/null 2> "$scratch/err"
check "helm: a delivery no output names is refused, with the one meant" \
	grep -q "^templates/stamp.yaml:[0-9]*:13: error: platform.delivery: 'helmm' is not one of manifests, helm (the values the outputs' when: name); did you mean 'helm'?" "$scratch/err"
sed -i 's/^  delivery: helmm$/  delivery: manifests/' "$helm/templates/stamp.yaml"
"$stamp" -C "$helm" render > "$scratch/out" 2>&1
check "helm: back to manifests, the 35 files come back" grep -q ' 0 removed$' "$scratch/out"
check "helm: and the pinned version shows in the manifests' values" grep -q '^chartVersion: "0.1.40"$' "$helm/out/customers/acme/values.yaml"
check "manifests: values.yaml says what it is for" \
	grep -q "manifests), for comparing them with \`helm template\`" "$helm/out/customers/acme/values.yaml"
# when: is for per-customer outputs, and names scalars
sed -i 's|path: terraform/customers.auto.tfvars, over: all}|path: terraform/customers.auto.tfvars, over: all, when: {plan: x}}|' "$helm/templates/stamp.yaml"
"$stamp" -C "$helm" check > /dev/null 2> "$scratch/err"
check "when: on an output over all customers is refused" grep -q 'error: outputs.dns.when: an output over all customers is rendered once' "$scratch/err"

report golden
