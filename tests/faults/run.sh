#!/bin/sh
# Fault injection, the way SQLite's and git's suites do it: every write, rename, open,
# mkdir and unlink of a render that writes over 40 files is made to fail (strace's
# -e inject=SYSCALL:error=ERRNO:when=N), or is where SIGKILL, SIGINT or SIGTERM arrives,
# for every N; then tiny and read-only filesystems (unshare -m), memory and file size
# limits (prlimit), thread creation failing, an unprivileged user where root would
# bypass a permission, hostile manifests and links in out/.
#
# After every injected run:
#  - the exit status is 0, 2 (one line naming the failure) or 128+signal;
#  - no file outside out/ changed (a canary tree beside the repository, and the
#    repository's own files);
#  - after a catchable failure no lock or temporary of stamp's is left;
#  - no file in out/ is half written: each is absent, as before, or as rendered;
#  - stamp check tells the truth: it passes exactly when out/ is what a fresh render
#    makes;
#  - the next stamp render succeeds and makes out/ byte-identical to a fresh render.
# Needs root (mounts, setpriv) and strace; says "skipped" for what it cannot run.
# Usage: tests/faults/run.sh STAMP_BINARY [STRIDE]  (STRIDE: try every STRIDE-th N)
set -u
stamp=$1
stride=${2:-1}
cd "$(dirname "$0")/../.."
root=$(pwd)
. tests/lib.sh
. tests/faults/lib.sh
fault_command=render
sanitized=0
case "$stamp" in */asan/*) sanitized=1 ;; esac

if ! command -v strace >/dev/null 2>&1; then
	echo "faults: skipped (strace is not installed)"
	echo "faults: 0 passed, 0 failed"
	exit 0
fi

# The canary: files beside the repositories that no run may touch.
chmod 755 "$scratch" # the unprivileged runs must reach it
canary=$scratch/canary
mkdir -p "$canary/dir"
echo keep > "$canary/file"
echo keep > "$canary/dir/deployment.yaml"
echo keep > "$canary/dir/configmap.yaml"
canary_state() { find "$canary" -exec stat -c '%n %s %Y %a %F' {} + | sort | md5sum; }
canary_before=$(canary_state)

# States: "cold" (no out/ yet: 73 new files), "update" (out/ rendered, then every
# template changed, a customer removed and one added: replaces, prunes and creates).
base=$scratch/base
mkdir -p "$base"
cp -a templates customers "$base/"
"$stamp" -C "$base" -q render
cold=$scratch/cold
mkdir -p "$cold"
cp -a templates customers "$cold/"
update=$scratch/update
cp -a "$base" "$update"
for f in "$update"/templates/customer/*.yaml "$update"/templates/*/*.tfvars; do
	[ -f "$f" ] && printf '# revised\n' >> "$f"
done
rm "$update/customers/corner-bikes.yaml"
cp "$update/customers/evergreen.yaml" "$update/customers/willow.yaml"
sed -i 's/evergreen-garden.com/willow-garden.com/; s/evergreen\//willow\//' "$update/customers/willow.yaml"
# the outcome a whole render reaches from each state
for s in base cold update; do
	cp -a "$scratch/$s" "$scratch/$s-ref"
	"$stamp" -C "$scratch/$s-ref" -q render
done
check "the update state replaces, prunes and creates" sh -c "\"$stamp\" -C '$scratch/update-ref' -q check"
# every replaced file shrinks: the update's out/ under the base's templates (each
# temporary is a longer file, written over and cut to length)
shrink=$scratch/shrink
cp -a "$scratch/update-ref" "$shrink"
rm -rf "$shrink/templates"
cp -a "$base/templates" "$shrink/"
cp -a "$shrink" "$scratch/shrink-ref"
"$stamp" -C "$scratch/shrink-ref" -q render

# stamp's own files, and anything else outside the rendered tree
leftovers() { find "$1/out" -maxdepth 1 -name '.stamp-manifest.lock' -o -maxdepth 1 -name '.stamp-tmp' 2>/dev/null; }
sources_state() { (cd "$1" && find customers templates -exec stat -c '%n %s %Y' {} + | sort | md5sum); }
# every file in out/ is whole: as the reference renders it, or as the state had it
# before, or (after SIGKILL only) a new file the journal names as in flight
whole_files() { # work, state
	(cd "$1/out" 2>/dev/null || exit 0
	find . -type f ! -path './.stamp-*' | while read -r f; do
		cmp -s "$f" "$scratch/$2-ref/out/$f" && continue
		cmp -s "$f" "$scratch/$2/out/$f" 2>/dev/null && continue
		[ "$catchable" = 0 ] && grep -qxF "${f#./}" .stamp-pending 2>/dev/null && continue
		echo "half or foreign: $f"
		exit 1
	done)
}

fails=0
# After one injected run in $work (started from state $2) with status $rc: all the
# promises above. $3 = 1 when the failure was catchable.
verify() { # label, state, catchable, rc
	label=$1 state=$2 catchable=$3 rc=$4
	ok=1 why=
	case "$rc" in
	0 | 2 | 130 | 143 | 129 | 141 | 137) ;;
	*) ok=0 why="exit $rc" ;;
	esac
	if [ "$rc" = 2 ] && [ "$(grep -c . "$work.err")" != 1 ]; then
		ok=0 why="$why; not one line: $(head -c 300 "$work.err")"
	fi
	[ "$(canary_state)" = "$canary_before" ] || { ok=0 why="$why; the canary changed"; }
	[ "$(sources_state "$work")" = "$(sources_state "$scratch/$state")" ] || { ok=0 why="$why; sources changed"; }
	if [ "$catchable" = 1 ] && [ -n "$(leftovers "$work")" ]; then
		ok=0 why="$why; left $(leftovers "$work" | tr '\n' ' ')"
	fi
	whole_files "$work" "$state" >"$work.whole" || { ok=0 why="$why; $(cat "$work.whole")"; }
	"$stamp" -C "$work" -q check >/dev/null 2>&1
	checked=$?
	if diff -r -x .stamp-pending -x .stamp-manifest.lock -x .stamp-tmp "$scratch/$state-ref/out" "$work/out" >/dev/null 2>&1; then
		same=0
	else
		same=1
	fi
	# a lock left behind (a killed stamp, or its own unlink failing) is reported too
	[ -e "$work/out/.stamp-manifest.lock" ] && same=1
	[ "$checked" = "$same" ] || { ok=0 why="$why; check said $checked, out/ same=$same"; }
	"$stamp" -C "$work" -q render >"$work.next" 2>&1 || { ok=0 why="$why; next render: $(head -c 300 "$work.next")"; }
	diff -r "$scratch/$state-ref/out" "$work/out" >/dev/null 2>&1 || { ok=0 why="$why; next render differs"; }
	[ -z "$(leftovers "$work")" ] && [ ! -e "$work/out/.stamp-pending" ] || { ok=0 why="$why; next render left files"; }
	verdict "$label"
}

if [ "$(id -u)" != 0 ]; then
	echo "faults: the sweeps need root (strace of a child is fine, the mounts are not); running them anyway"
fi

sweep cold write error=ENOSPC 1
sweep cold write error=EIO 1
sweep update write error=ENOSPC 1
sweep update renameat error=EIO 1
# a replaced file swaps names with the temporary (renameat2 RENAME_EXCHANGE), whose
# inode the next replacement reuses; EINVAL is a filesystem that cannot swap: the rest
# are renamed over
sweep update renameat2 error=EIO 1
# (every 8th: each takes the same fallback)
thinned 8 update renameat2 error=EINVAL 1
sweep shrink ftruncate error=EIO 1
thinned 4 shrink lseek error=EIO 1
# the stat that tells whether the file swapped out may be reused fails: it is swapped
# back and renamed over, as a filesystem that cannot swap does (each such stat in turn)
fresh_work update
traced -f -qq -o "$work.log" -e trace=newfstatat,renameat2 "$stamp" -C "$work" -j1 -q render >/dev/null 2>&1
after_swap=$(awk '/newfstatat\(/ { n++; if (swapped) print n } { swapped = /renameat2\(.*RENAME_EXCHANGE\) = 0/ }' "$work.log")
runs=0
for n in $after_swap; do
	[ $((runs % (stride * 4))) = 0 ] || { runs=$((runs + 1)); continue; }
	fresh_work update
	traced -f -qq -o /dev/null -e trace=newfstatat -e inject=newfstatat:error=EIO:when=$n \
		"$stamp" -C "$work" -j1 -q render >/dev/null 2>"$work.err"
	verify "update newfstatat:error=EIO:when=$n (after a swap)" update 1 $?
	runs=$((runs + 1))
done
check "the stat after each swap was found ($runs)" test "$runs" -gt 40
sweep cold openat error=EMFILE 1
# a file's open that runs out of descriptors closes the directories the writer keeps
# open beside the one it writes in (outdir.h), and tries once more: the render goes on
# as if nothing happened. Twice in a row, and it fails as any other open does
fresh_work cold
(cd "$work" && traced -f -qq -o /dev/null -P acme.yaml -e trace=openat -e inject=openat:error=EMFILE:when=1 \
	"$stamp" -C "$work" -j1 -q render >/dev/null 2>"$work.err")
rc=$?
check "out of descriptors once, the writer sheds its kept directories and renders all (exit $rc)" \
	sh -c "[ $rc = 0 ] && diff -r '$scratch/cold-ref/out' '$work/out'"
fresh_work cold
(cd "$work" && traced -f -qq -o /dev/null -P acme.yaml -e trace=openat -e inject=openat:error=EMFILE:when=1..2 \
	"$stamp" -C "$work" -j1 -q render >/dev/null 2>"$work.err")
rc=$?
check "twice, it says so in one line (exit $rc)" \
	grep -qx 'out/apps/acme.yaml: error: cannot write: Too many open files' "$work.err"
verify "openat of out/apps/acme.yaml:error=EMFILE twice" cold 1 $rc
sweep update openat error=ENOSPC 1
sweep cold mkdirat error=ENOSPC 1
# 0: the failing unlinkat may be the cleanup's own (the next render removes what it left)
sweep update unlinkat error=EIO 0
sweep update fsync error=EIO 1
sweep cold syncfs error=EIO 1
# Writeback in the background: past OUTDIR_WRITEBACK_BYTES written (here 8 KiB, so the
# cold state's 73 files ask for it) a thread of its own calls syncfs() on a descriptor
# of its own while the writer goes on; the closing syncfs() is the main thread's, on
# out/'s descriptor, and it alone vouches for the data. Unset, the cold state writes too
# little to ask for any.
fresh_work cold
traced -f -qq -o "$work.log" -e trace=syncfs "$stamp" -C "$work" -j1 -q render >/dev/null 2>&1
check "a small render makes one syncfs, the closing one" test "$(grep -c 'syncfs(' "$work.log")" = 1
export STAMP_TEST_WRITEBACK=8192
fresh_work cold
traced -f -qq -o "$work.log" -e trace=syncfs "$stamp" -C "$work" -j1 -q render >/dev/null 2>&1
closing=$(grep 'syncfs(' "$work.log" | tail -n 1)
closing_thread=$(echo "$closing" | awk '{ print $1 }')
closing_fd=$(echo "$closing" | sed 's/.*syncfs(\([0-9]*\).*/\1/')
background=$(grep 'syncfs(' "$work.log" | awk -v t="$closing_thread" '$1 != t' | grep -c 'syncfs(')
background_fds=$(grep 'syncfs(' "$work.log" | awk -v t="$closing_thread" '$1 != t' |
	sed 's/.*syncfs(\([0-9]*\).*/\1/' | sort -u | tr '\n' ' ')
check "writeback is asked in the background, on another thread ($background calls)" test "$background" -gt 10
check "... on a descriptor of its own (closing: $closing_fd, background: $background_fds)" \
	test -n "$closing_fd" -a "$background_fds" != "" -a "${background_fds% }" != "$closing_fd"
# EIO at the N-th syncfs of each thread: at the first, the closing call fails too (exit
# 2, one line, nothing named); past it only a background one does, which the render
# does not rely on: it ends as if nothing had happened
runs=0 n=1
while [ "$n" -le "$background" ]; do
	fresh_work cold
	traced -f -qq -o /dev/null -e trace=syncfs -e inject=syncfs:error=EIO:when=$n \
		"$stamp" -C "$work" -j1 -q render >/dev/null 2>"$work.err"
	rc=$?
	if [ "$n" -gt 1 ]; then
		ok=1 why=
		[ "$rc" = 0 ] || { ok=0 why=" exit $rc: $(head -c 300 "$work.err")"; }
		diff -r "$scratch/cold-ref/out" "$work/out" >/dev/null 2>&1 || { ok=0 why="$why; out/ differs"; }
		verdict "cold syncfs:error=EIO:when=$n (a background writeback fails): exit 0, out/ complete"
	else
		check "cold syncfs:error=EIO:when=1 fails the closing call" test "$rc" = 2
	fi
	verify "cold syncfs:error=EIO:when=$n (writeback in the background)" cold 1 $rc
	runs=$((runs + 1))
	n=$((n + stride * 2))
done
thinned 4 cold syncfs signal=KILL 0
thinned 4 cold syncfs signal=TERM 1
unset STAMP_TEST_WRITEBACK
# every stat stamp makes (after the dynamic loader's, which end in exit 127 before main):
# a file that cannot be looked at is the environment's failure (exit 2, one line), never
# a spec that is "not a regular file" or a partial "not found"
loader_stats=$(traced -f -qq -o /dev/stdout -e trace=newfstatat "$stamp" --version 2>/dev/null | grep -c 'newfstatat(')
thinned 2 cold newfstatat error=EIO 1 $((loader_stats + 1))
sweep cold write signal=KILL 0
sweep update renameat signal=KILL 0
sweep update renameat2 signal=KILL 0
thinned 4 update renameat2 signal=TERM 1
sweep update write signal=KILL 0
thinned 4 shrink ftruncate signal=KILL 0
sweep cold write signal=INT 1
sweep update renameat signal=TERM 1
sweep update write signal=HUP 1
sweep cold write signal=PIPE 1

# A signal ends stamp with 128+signal, its lock and temporaries gone.
fresh_work update
traced -f -qq -o /dev/null -e trace=renameat2 -e inject=renameat2:signal=INT:when=10 "$stamp" -C "$work" -j1 -q render 2>/dev/null
status=$?
check "SIGINT mid-render exits 130" test "$status" = 130
check "and leaves no lock or temporary" test -z "$(leftovers "$work")"

# Threads that cannot be created: from the first, from the second, all of them.
for when in 1 2 1+; do
	for state in cold update; do
		fresh_work "$state"
		traced -f -qq -o /dev/null -e trace=clone3,clone -e inject=clone3:error=EAGAIN:when=$when \
			-e inject=clone:error=EAGAIN:when=$when "$stamp" -C "$work" -j 4 -q render >"$work.out" 2>&1
		check "threads failing ($when, $state): the render still succeeds" test $? = 0
		check "threads failing ($when, $state): out/ as a whole render makes it" diff -r "$scratch/$state-ref/out" "$work/out"
		traced -f -qq -o /dev/null -e trace=clone3,clone -e inject=clone3:error=EAGAIN:when=$when \
			-e inject=clone:error=EAGAIN:when=$when "$stamp" -C "$work" -j 4 -q check >"$work.out" 2>&1
		check "threads failing ($when, $state): check passes" test $? = 0
	done
done

# Memory limits: an allocation failing is exit 2 and one line, never a diagnostic.
if [ $sanitized = 1 ]; then
	echo "faults: memory limits skipped under the sanitizers (they reserve terabytes of address space)"
else
	kib=12288
	mem_runs=0
	while [ $kib -le 20480 ]; do
		for cmd in render check; do
			fresh_work cold
			[ $cmd = check ] && "$stamp" -C "$work" -q render
			prlimit --as=$((kib * 1024)) "$stamp" -C "$work" -j1 -q $cmd >"$work.out" 2>"$work.err"
			rc=$?
			mem_runs=$((mem_runs + 1))
			# 127: the dynamic loader could not map a library; stamp never ran
			if [ $rc = 127 ]; then
				passed=$((passed + 1))
				continue
			fi
			if [ $rc = 0 ] || { [ $rc = 2 ] && grep -q '^stamp: error: out of memory; free some, or raise the process.s memory limit$\|: error: .*Cannot allocate memory$' "$work.err" && [ "$(grep -c . "$work.err")" = 1 ]; }; then
				if [ -z "$(leftovers "$work")" ] && "$stamp" -C "$work" -q render >/dev/null 2>&1 &&
					diff -r "$scratch/cold-ref/out" "$work/out" >/dev/null; then
					passed=$((passed + 1))
					continue
				fi
			fi
			failed=$((failed + 1))
			echo "FAIL $cmd under prlimit --as=${kib}KiB: exit $rc: $(head -c 300 "$work.err")"
		done
		kib=$((kib + 256))
	done
	echo "  memory: $mem_runs runs from 12 to 20 MiB of address space"
fi

# A file size limit: the write fails (SIGXFSZ is ignored), exit 2, nothing half written.
fresh_work cold
prlimit --fsize=2000 "$stamp" -C "$work" -q render >/dev/null 2>"$work.err"
verify "prlimit --fsize=2000" cold 1 $?
fresh_work cold
prlimit --fsize=2000 "$stamp" -C "$work" -q render >/dev/null 2>"$work.err"
check "past the file size limit: exit 2" test $? = 2
check "and one line naming the file" grep -q '^out/.*: error: cannot write: File too large$' "$work.err"

if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1 && unshare -m true 2>/dev/null; then
	# a filesystem too small for out/: ENOSPC where it really happens
	for size in 16k 64k 200k; do
		fresh_work cold
		mkdir "$work/out"
		unshare -m sh -c "mount -t tmpfs -o size=$size tmpfs '$work/out' && \"$stamp\" -C '$work' -q render; echo \$? > '$work.rc'; \
			cp -a '$work/out' '$work.out-copy'" >/dev/null 2>"$work.err"
		rm -rf "$work/out"
		mv "$work.out-copy" "$work/out"
		rc=$(cat "$work.rc")
		check "a $size filesystem: exit 2" test "$rc" = 2
		check "a $size filesystem: one line saying the disk is full" grep -q ': error: .*No space left on device$' "$work.err"
		verify "a $size filesystem" cold 1 "$rc"
	done
	# a read-only out/
	fresh_work update
	unshare -m sh -c "mount --bind '$work/out' '$work/out' && mount -o remount,bind,ro '$work/out' && \
		\"$stamp\" -C '$work' -q render" >/dev/null 2>"$work.err"
	rc=$?
	check "a read-only out/: exit 2" test "$rc" = 2
	check "a read-only out/: one line" grep -q '^out.*: error: .*Read-only file system$' "$work.err"
	verify "a read-only out/" update 1 "$rc"
else
	echo "faults: tiny and read-only filesystems skipped (need root and unshare -m)"
fi

if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1; then
	# a directory stamp may not write to, as a user root's bypass does not help
	fresh_work update
	chown -R 65534:65534 "$work"
	chmod 555 "$work/out/customers/acme"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$stamp" -C "$work" -q render >/dev/null 2>"$work.err"
	rc=$?
	check "an unwritable directory: exit 2" test "$rc" = 2
	check "an unwritable directory: one line naming the file" grep -q '^out/customers/acme/.*: error: cannot write: Permission denied$' "$work.err"
	chmod 755 "$work/out/customers/acme"
	verify "an unwritable directory (as nobody)" update 1 "$rc"
	# one process allowed: no thread can start, the work is done on one
	fresh_work cold
	chown -R 65534:65534 "$work"
	# (LeakSanitizer needs a thread of its own to look for leaks: not here)
	ASAN_OPTIONS=detect_leaks=0 setpriv --reuid=65534 --regid=65534 --clear-groups prlimit --nproc=1 \
		"$stamp" -C "$work" -q render >"$work.out" 2>&1
	check "no thread can be created (nproc=1 as nobody): the render succeeds" test $? = 0
	check "and out/ is complete" diff -r "$scratch/cold-ref/out" "$work/out"
else
	echo "faults: unprivileged runs skipped (need root and setpriv)"
fi

# Hostile manifests: each line is refused, the manifest rebuilt, nothing outside out/
# touched or deleted, and check reports it first.
for line in "file 00000000000000000000000000000000 acme ../../canary/file" \
	"file 00000000000000000000000000000000 acme /etc/hostname" \
	"file 00000000000000000000000000000000 acme customers/../../../canary/file" \
	"file 00000000000000000000000000000000 acme customers//acme/x.yaml" \
	"file 00000000000000000000000000000000 acme ./customers/acme/x.yaml" \
	"file 00000000000000000000000000000000 acme .stamp-manifest" \
	"file 00000000000000000000000000000000 acme customers/acme/" \
	"file 00000000000000000000000000000000 ac	me customers/acme/x.yaml" \
	"file 0000000000000000000000000000000g acme customers/acme/x.yaml" \
	"customer ../x 00000000000000000000000000000000" \
	"garbage"; do
	for force in "" --force; do
		fresh_work base
		printf '%s\n' "$line" >> "$work/out/.stamp-manifest"
		"$stamp" -C "$work" -q check >/dev/null 2>"$work.err"
		check "check reports a manifest with '$line'" grep -q '^out/.stamp-manifest:[0-9]*:1: error: .*the manifest is damaged: run stamp render, which rebuilds it$' "$work.err"
		"$stamp" -C "$work" -q render $force >/dev/null 2>"$work.err"
		verify "a manifest with '$line' $force" base 1 $?
	done
done
fresh_work base
head -c 100 "$work/out/.stamp-manifest" > "$work/out/.stamp-manifest.cut" && mv "$work/out/.stamp-manifest.cut" "$work/out/.stamp-manifest"
"$stamp" -C "$work" -q render 2>"$work.err" >/dev/null
verify "a truncated manifest" base 1 $?

# Links in out/: refused with one line (exit 2), replaced only with --force, never
# written or deleted through.
link_case() { # label, setup (in $work), then the checks
	fresh_work update
	(cd "$work" && eval "$2")
	"$stamp" -C "$work" -q render >/dev/null 2>"$work.err"
	rc=$?
	check "$1: refused (exit 2)" test "$rc" = 2
	check "$1: in one line" test "$(grep -c . "$work.err")" = 1
	check "$1: naming the link" grep -q "$3" "$work.err"
	check "$1: the canary is intact" test "$(canary_state)" = "$canary_before"
	"$stamp" -C "$work" -q render --force >/dev/null 2>"$work.err"
	check "$1: --force replaces the link" test $? = 0
	check "$1: the canary is still intact" test "$(canary_state)" = "$canary_before"
	check "$1: and out/ is a whole render" diff -r "$scratch/update-ref/out" "$work/out"
}
link_case "a file that is a link" "rm out/customers/acme/configmap.yaml && ln -s '$canary/file' out/customers/acme/configmap.yaml" \
	'^out/customers/acme/configmap.yaml: error: is a symbolic link'
link_case "a directory that is a link" "rm -r out/customers/acme && ln -s '$canary/dir' out/customers/acme" \
	'^out/customers/acme: error: is a symbolic link or a file where stamp needs a directory'
link_case "a pruned directory that is a link" "rm -r out/customers/corner-bikes && ln -s '$canary/dir' out/customers/corner-bikes" \
	'^out/customers/corner-bikes: error: is a symbolic link or a file where stamp needs a directory'
# A replaced file's inode is reused for the next replacement only when nothing else
# names it: a hard link elsewhere keeps its bytes, as a rename over it would leave them.
fresh_work update
ln "$work/out/customers/acme/configmap.yaml" "$scratch/hard-link"
cp "$scratch/hard-link" "$scratch/hard-link.before"
"$stamp" -C "$work" -q -j1 render >/dev/null 2>"$work.err"
check "a hard link to an output: the render succeeds" test $? = 0
check "a hard link to an output: out/ is a whole render" diff -r "$scratch/update-ref/out" "$work/out"
check "a hard link to an output: the other name keeps the old bytes" cmp "$scratch/hard-link" "$scratch/hard-link.before"
rm -f "$scratch/hard-link" "$scratch/hard-link.before"
# A directory where a file goes, with --force: swapped back, and refused as before (a
# rename does not go over a directory), with nothing of it moved or left behind.
fresh_work update
rm "$work/out/customers/acme/configmap.yaml"
mkdir "$work/out/customers/acme/configmap.yaml"
echo keep > "$work/out/customers/acme/configmap.yaml/x"
"$stamp" -C "$work" -q -j1 render --force >/dev/null 2>"$work.err"
check "a directory in a file's place, --force: exit 2" test $? = 2
check "a directory in a file's place, --force: in one line" \
	grep -qx 'out/customers/acme/configmap.yaml: error: cannot write: Is a directory' "$work.err"
check "a directory in a file's place, --force: the directory stays" grep -qx keep "$work/out/customers/acme/configmap.yaml/x"
check "a directory in a file's place, --force: nothing left in out/" test -z "$(leftovers "$work")"
fresh_work update
rm -r "$work/out"
ln -s "$canary/dir" "$work/out"
"$stamp" -C "$work" -q render >/dev/null 2>"$work.err"
check "out itself a link: refused (exit 2)" test $? = 2
check "out itself a link: one line" grep -q '^out: error: is a symbolic link; stamp writes only into a real directory' "$work.err"
"$stamp" -C "$work" -q render --force >/dev/null 2>&1
check "out itself a link: --force does not follow it either" test $? = 2
check "out itself a link: the canary is intact" test "$(canary_state)" = "$canary_before"

# check's advice always works: run the command each message recommends, then check passes.
advice_case() { # label, setup (in $work, from base)
	fresh_work base
	(cd "$work" && eval "$2") 2>/dev/null
	"$stamp" -C "$work" -q check >/dev/null 2>"$work.err"
	check "$1: check fails" test $? = 1
	grep ': error: ' "$work.err" | while IFS= read -r line; do
		file=${line%%: error: *}
		file=${file%%:[0-9]*}
		case "$line" in
		*"run stamp render --force"*) "$stamp" -C "$work" -q render --force ;;
		*"run stamp render"*) "$stamp" -C "$work" -q render ;;
		*"remove it"*) rm -rf "${work:?}/$file" ;;
		*) echo "no command in: $line" >&2; exit 1 ;;
		esac >/dev/null 2>&1
	done >"$work.fix" 2>&1
	check "$1: every message names a command ($(cat "$work.fix"))" test ! -s "$work.fix"
	check "$1: after running them, check passes" "$stamp" -C "$work" -q check
}
advice_case "a hand edit" "echo '# mine' >> out/customers/acme/service.yaml"
advice_case "a truncated file" "head -c 10 out/customers/acme/deployment.yaml > t && mv t out/customers/acme/deployment.yaml"
advice_case "a deleted file" "rm out/customers/acme/service.yaml"
advice_case "an extra file" "echo x > out/customers/acme/notes.txt"
advice_case "a changed spec" "sed -i 's/LOG_LEVEL: info/LOG_LEVEL: warn/' customers/acme.yaml"
advice_case "a removed customer" "rm customers/evergreen.yaml"
advice_case "a removed customer edited" "rm customers/evergreen.yaml && echo '# mine' >> out/customers/evergreen/service.yaml"
advice_case "a stale lock" "echo '999999 elsewhere' > out/.stamp-manifest.lock"
advice_case "a damaged manifest" "echo garbage >> out/.stamp-manifest"
advice_case "a manifest that is a link" "mv out/.stamp-manifest '$scratch/m' && ln -s '$scratch/m' out/.stamp-manifest"
advice_case "a deleted manifest and an edit" "rm out/.stamp-manifest && echo '# mine' >> out/customers/acme/service.yaml"
advice_case "a link in out/" "rm out/customers/acme/service.yaml && ln -s '$canary/file' out/customers/acme/service.yaml"
advice_case "a killed render" "sed -i 's/LOG_LEVEL: info/LOG_LEVEL: warn/' customers/acme.yaml && \
	(ASAN_OPTIONS=detect_leaks=0 strace -f -qq -o /dev/null -e trace=renameat2 -e inject=renameat2:signal=KILL:when=2 '$stamp' -j1 -q render) 2>/dev/null; true"
# A power loss after a replaced file's rename but before its data reached the disk leaves
# it empty: the journal names every path a render writes, so it is in flight, not a hand edit.
fresh_work update
( (ASAN_OPTIONS=detect_leaks=0 strace -f -qq -o /dev/null -e trace=renameat2 -e inject=renameat2:signal=KILL:when=30 \
	"$stamp" -C "$work" -j1 -q render) ) 2>/dev/null
victim=$(grep '^customers/acme/' "$work/out/.stamp-pending" | head -n 1)
: > "$work/out/$victim"
"$stamp" -C "$work" -q check >/dev/null 2>"$work.err"
check "an emptied file the journal names: check says it was being written" \
	grep -q "^out/$victim: error: was being written by a render that was interrupted; run stamp render$" "$work.err"
check "and the render it names repairs it" "$stamp" -C "$work" -q render
check "to a whole render" diff -r "$scratch/update-ref/out" "$work/out"

check "the advice never touched the canary" test "$(canary_state)" = "$canary_before"

report faults
