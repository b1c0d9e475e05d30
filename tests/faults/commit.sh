#!/bin/sh
# Fault injection for stamp commit: every write, rename (libgit2's objects, ref and index;
# stamp's own out/ files) and fsync of a commit of 20 changed customers fails (ENOSPC, EIO)
# or is where SIGKILL or SIGINT arrives; then held locks of each kind and a read-only
# object store.
#
# After every injected run:
#  - the exit status is 0, 2 (one line) or 128+signal;
#  - git fsck --full is clean: no branch points at a missing object;
#  - the branch is the old tip, or the new commit (the expected tree, the old tip as its
#    parent), and exit 0 means it is the new commit;
#  - after a catchable failure no lock of git's or stamp's is left;
#  - a rerun of stamp commit commits exactly once in all (none when the branch moved)
#    and repairs an index the run left behind (and drops the note that said so); a lock
#    a SIGKILL stranded is refused by name, and the rerun after removing it (the
#    advice) commits;
#  - then git status shows nothing under out/, the index agrees with the tip, and out/
#    is what a commit that was not interrupted leaves.
# Usage: tests/faults/commit.sh STAMP_BINARY [STRIDE]  (STRIDE: try every STRIDE-th N)
set -u
stamp=$1
stride=${2:-1}
cd "$(dirname "$0")/../.."
root=$(pwd)
. tests/lib.sh
. tests/faults/lib.sh
fault_command=commit

if ! command -v strace >/dev/null 2>&1 || ! command -v git >/dev/null 2>&1; then
	echo "commit faults: skipped (strace or git is not installed)"
	echo "commit faults: 0 passed, 0 failed"
	exit 0
fi
export GIT_AUTHOR_NAME="${GIT_AUTHOR_NAME:-stamp faults}" GIT_AUTHOR_EMAIL="${GIT_AUTHOR_EMAIL:-faults@stamp.invalid}"
export GIT_COMMITTER_NAME="${GIT_COMMITTER_NAME:-stamp faults}" GIT_COMMITTER_EMAIL="${GIT_COMMITTER_EMAIL:-faults@stamp.invalid}"

# The state: 20 customers rendered and committed by stamp, then a template change that
# changes each one's configmap, committed by git. "big" changes every file of each.
make_state() { # name, template to change
	dir=$scratch/$1
	mkdir -p "$dir"
	git -C "$dir" init -q -b main
	cp -R "$root/templates" "$root/customers" "$dir/"
	i=0
	while [ $i -lt 15 ]; do
		printf 'plan: starter\nimage: {tag: "1.0.%d"}\n' $i > "$dir/customers/bulk$i.yaml"
		i=$((i + 1))
	done
	git -C "$dir" add . && git -C "$dir" commit -q -m sources
	"$stamp" -C "$dir" -q commit
	for t in $2; do printf '# revised\n' >> "$dir/templates/$t"; done
	git -C "$dir" commit -q -am "templates revised"
	cp -a "$dir" "$dir-ref"
	"$stamp" -C "$dir-ref" -q commit
}
make_state small customer/configmap.yaml
make_state big "customer/configmap.yaml customer/deployment.yaml customer/service.yaml customer/values.yaml"
check "the small commit changes 20 customers' files" \
	test "$(git -C "$scratch/small-ref" show --name-only --format= HEAD | grep -c '^out/customers/.*/configmap.yaml$')" = 20
check "the big commit writes more objects than are fsynced one by one" \
	test "$(git -C "$scratch/big-ref" show --name-only --format= HEAD | grep -c .)" -gt 64

git_locks() { find "$1/.git" -name '*.lock' 2>/dev/null; }

# the tip, its parent and its tree, in one call
tip_of() { git -C "$1" rev-parse HEAD 'HEAD~1^{commit}' 'HEAD^{tree}' 2>/dev/null | tr '\n' ' '; }
for s in small big; do
	eval "old_$s=\$(git -C '$scratch/$s' rev-parse HEAD)"
	eval "new_tree_$s=\$(git -C '$scratch/$s-ref' rev-parse 'HEAD^{tree}')"
done

verify() { # label, state, catchable, rc
	label=$1 state=$2 catchable=$3 rc=$4
	eval "old_tip=\$old_$state new_tree=\$new_tree_$state"
	ok=1 why=
	case "$rc" in
	0 | 2 | 130 | 137) ;;
	*) ok=0 why="exit $rc" ;;
	esac
	if [ "$rc" = 2 ] && [ "$(grep -c . "$work.err")" != 1 ]; then
		ok=0 why="$why; not one line: $(head -c 300 "$work.err")"
	fi
	git -C "$work" fsck --full --no-dangling >"$work.fsck" 2>&1 || { ok=0 why="$why; fsck: $(head -c 300 "$work.fsck")"; }
	set -- $(tip_of "$work")
	tip=$1
	moved=0
	if [ "$tip" != "$old_tip" ]; then
		moved=1
		[ "${2:-}" = "$old_tip" ] && [ "${3:-}" = "$new_tree" ] || { ok=0 why="$why; the branch is at an unexpected commit"; }
	fi
	[ "$rc" = 0 ] && [ $moved = 0 ] && { ok=0 why="$why; exit 0 without a commit"; }
	if [ "$catchable" = 1 ] && [ -n "$(git_locks "$work")" ]; then
		ok=0 why="$why; left $(git_locks "$work" | tr '\n' ' ')"
	fi
	[ "$catchable" = 1 ] && [ -e "$work/out/.stamp-manifest.lock" ] && { ok=0 why="$why; left stamp's lock"; }
	# the rerun; after SIGKILL a stranded lock is refused by name, then removed as advised
	"$stamp" -C "$work" -q commit >"$work.next" 2>&1
	next=$?
	tries=0
	while [ $next != 0 ] && [ "$catchable" = 0 ] && [ $tries -lt 4 ]; do
		lock=$(sed -n 's/^\(.*\.lock\): error: exists: another git process seems to be running.*/\1/p' "$work.next")
		[ -n "$lock" ] || break
		rm -f "$lock"
		"$stamp" -C "$work" -q commit >"$work.next" 2>&1
		next=$?
		tries=$((tries + 1))
	done
	[ $next = 0 ] || { ok=0 why="$why; the rerun: $(head -c 300 "$work.next")"; }
	set -- $(tip_of "$work")
	[ "${2:-}" = "$old_tip" ] && [ "${3:-}" = "$new_tree" ] || { ok=0 why="$why; after the rerun the branch is not one commit past the old tip"; }
	[ $moved = 1 ] && [ "$1" != "$tip" ] && { ok=0 why="$why; the rerun committed again"; }
	[ -z "$(git -C "$work" status --porcelain out)" ] || { ok=0 why="$why; git status: $(git -C "$work" status --porcelain out | head -n 3 | tr '\n' ' ')"; }
	git -C "$work" diff-index --cached --quiet HEAD || { ok=0 why="$why; the index differs from the tip"; }
	[ ! -e "$work/.git/STAMP_INDEX_PENDING" ] || { ok=0 why="$why; the rerun left the index note"; }
	diff -r "$scratch/$state-ref/out" "$work/out" >/dev/null 2>&1 || { ok=0 why="$why; out/ differs"; }
	verdict "$label"
}

# link: libgit2 moves each object into place with link() and unlink(); rename: the
# branch and the index; renameat: stamp's out/ manifest; renameat2: its replaced files
sweep small link signal=KILL 0
sweep small link signal=INT 1
sweep small link error=EIO 1
sweep small rename signal=KILL 0
sweep small rename signal=INT 1
sweep small rename error=EIO 1
sweep small renameat signal=KILL 0
sweep small renameat2 signal=KILL 0
sweep small write signal=KILL 0
sweep small write signal=INT 1
sweep small write error=ENOSPC 1
sweep small write error=EIO 1
# fsync: every third call (objects, the ref, the reflogs and out/'s files interleave,
# so each kind is hit)
thinned 3 small fsync error=EIO 1
sweep big syncfs error=EIO 1

# Held locks: refused before anything is rendered, left in place; the commit goes
# through once the lock is gone.
for lock in index.lock HEAD.lock refs/heads/main.lock packed-refs.lock; do
	fresh_work small
	: > "$work/.git/$lock"
	before=$(cat "$work/out/customers/acme/configmap.yaml")
	"$stamp" -C "$work" -q commit >/dev/null 2>"$work.err"
	check "a held $lock: exit 2" test $? = 2
	check "a held $lock: one line naming it" sh -c "test \$(grep -c . '$work.err') = 1 && grep -q '^$work/.git/$lock: error: exists' '$work.err'"
	check "a held $lock: nothing rendered" test "$(cat "$work/out/customers/acme/configmap.yaml")" = "$before"
	check "a held $lock: still there" test -e "$work/.git/$lock"
	check "a held $lock: the branch did not move" test "$(git -C "$work" rev-parse HEAD)" = "$old_small"
	rm -f "$work/.git/$lock"
	"$stamp" -C "$work" -q commit >/dev/null 2>"$work.err"
	verify "after a held $lock" small 1 $?
done

# A read-only object store: the blob write fails, one line, the branch stays.
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1 && unshare -m true 2>/dev/null; then
	fresh_work small
	unshare -m sh -c "mount --bind '$work/.git/objects' '$work/.git/objects' && \
		mount -o remount,bind,ro '$work/.git/objects' && \"$stamp\" -C '$work' -q commit" >/dev/null 2>"$work.err"
	rc=$?
	check "a read-only object store: exit 2" test $rc = 2
	check "a read-only object store: one line saying what and how to fix it" \
		grep -q ': error: cannot write the blob: .*Read-only file system; free space or fix the permissions of .git/objects, then run stamp commit again$' "$work.err"
	verify "a read-only object store" small 1 $rc
else
	echo "commit faults: the read-only object store skipped (needs root and unshare -m)"
fi

report "commit faults"
