#!/bin/sh
# stamp check, diff and commit on real, temporary git repositories, checked against the
# git CLI: what stamp says it did is what git status, git log and git fsck see.
# Usage: tests/git/run.sh STAMP_BINARY
set -u
stamp=$1
cd "$(dirname "$0")/../.."
root=$(pwd)
. tests/lib.sh

# a git repository holding the project's templates and customers, rendered and committed
repo() {
	dir=$scratch/$1
	mkdir -p "$dir"
	git -C "$dir" init -q -b main
	cp -R "$root/templates" "$root/customers" "$dir/"
	"$stamp" -C "$dir" -q render
	git -C "$dir" add .
	git -C "$dir" commit -q -m "sources and out/"
	echo "$dir"
}

head_of() { git -C "$1" rev-parse HEAD; }

# points the template set of the stamp repository $1 at the root of branch $2, as a
# hydrated branch written by stamp commit --branch $2 (templates/stamp.yaml's deploy:)
deploy_to() {
	sed -i "s/^  branch: main\$/  branch: $2/; s/^  path: out\$/  path: ./" "$1/templates/stamp.yaml"
}
walk() { /usr/bin/python3 tests/git/argocd_paths.py "$@"; }

# --- check: fails, then passes, around a spec change ---
r=$(repo check)
check "check passes on a freshly rendered repository" "$stamp" -C "$r" check
git clone -q "$r" "$scratch/clone"
check "check passes on a fresh clone (every file read, no timestamps to trust)" "$stamp" -C "$scratch/clone" check
sed -i 's/LOG_LEVEL: info/LOG_LEVEL: debug/' "$r/customers/acme.yaml"
"$stamp" -C "$r" check >/dev/null 2>"$scratch/err"
check "check fails after a spec change (exit 1)" test $? = 1
check "check names acme's configmap as out of date" \
	grep -q '^out/customers/acme/configmap.yaml: error: is out of date' "$scratch/err"
check "check names no other customer" sh -c "! grep -v '/acme/\|^stamp:' '$scratch/err'"
"$stamp" -C "$r" -q render
check "check passes after stamp render" "$stamp" -C "$r" check
# --- commit: one commit, only out/, fsck clean, a second commit does nothing ---
r=$(repo commit)
before=$(head_of "$r")
sed -i 's/LOG_LEVEL: info/LOG_LEVEL: debug/' "$r/customers/acme.yaml"
git -C "$r" add customers/acme.yaml
git -C "$r" commit -q -m "acme: debug logging"
source=$(head_of "$r")
# the user's own staged work in customers/, not committed by stamp
printf '\n# contact: ops@evergreen.example\n' >> "$r/customers/evergreen.yaml"
git -C "$r" add customers/evergreen.yaml
"$stamp" -C "$r" commit >"$scratch/out" 2>&1
check "commit succeeds" test $? = 0
check "exactly one new commit" test "$(git -C "$r" rev-list --count "$source..HEAD")" = 1
check "the commit's parent is the source commit" test "$(git -C "$r" rev-parse HEAD~1)" = "$source"
git -C "$r" show --name-only --format= HEAD > "$scratch/paths"
check "the commit touches only out/ paths" sh -c "! grep -v '^out/' '$scratch/paths'"
check "the commit holds acme's configmap" grep -qx 'out/customers/acme/configmap.yaml' "$scratch/paths"
check "the commit holds no other customer's files" sh -c "! grep '^out/customers/' '$scratch/paths' | grep -v '/acme/'"
check "the message names acme" sh -c "git -C '$r' log -1 --format=%s | grep -q acme"
check "commit warns that customers/ holds uncommitted work" grep -q '^stamp: warning: 1 path in customers/ or templates/ differs from HEAD' "$scratch/out"
check "and the message says so" sh -c "git -C '$r' log -1 --format=%B | grep -q '^Rendered from 1 uncommitted change to customers/ or templates/'"
check "the message carries the source commit as a trailer" \
	sh -c "git -C '$r' log -1 --format=%B | grep -qx 'Rendered-from: $source'"
check "git log -p shows the new LOG_LEVEL" sh -c "git -C '$r' log -p -1 | grep -q '^+  LOG_LEVEL: \"debug\"'"
check "stamp's summary names the commit git has" grep -q "\[main $(git -C "$r" rev-parse --short=12 HEAD)\]" "$scratch/out"
check "git fsck is clean" git -C "$r" fsck --strict
check "git status shows nothing under out/" test -z "$(git -C "$r" status --porcelain out)"
check "the staged change in customers/ is still staged" \
	test "$(git -C "$r" diff --cached --name-only)" = "customers/evergreen.yaml"
check "and is not in the commit" sh -c "! git -C '$r' show HEAD -- customers | grep -q ."
after=$(head_of "$r")
"$stamp" -C "$r" commit >"$scratch/out" 2>&1
check "a second commit succeeds" test $? = 0
check "a second commit is a no-op" test "$(head_of "$r")" = "$after"
check "and says so" grep -q "nothing to commit" "$scratch/out"
check "check agrees with the commit" "$stamp" -C "$r" check

# removed customer: its files leave the tree
git -C "$r" reset -q customers/evergreen.yaml
git -C "$r" checkout -q customers/evergreen.yaml
git -C "$r" rm -q customers/corner-bikes.yaml
git -C "$r" commit -q -m "corner-bikes leaves"
"$stamp" -C "$r" -q commit
check "a removed customer's files leave the committed tree" test -z "$(git -C "$r" ls-tree -r HEAD out/customers/corner-bikes)"
check "its app-of-apps entry too" test -z "$(git -C "$r" ls-tree HEAD out/apps/corner-bikes.yaml)"
check "the commit's subject says it removes a customer, first" test "$(git -C "$r" log -1 --format=%s)" = "Remove customer corner-bikes"
check "a Removed-customers trailer names it" test "$(git -C "$r" log -1 --format='%(trailers:key=Removed-customers,valueonly)' | grep .)" = "corner-bikes"
check "the body names the removal and what it takes down" sh -c "git -C '$r' log -1 --format=%B | grep -A1 '^Removed customers: corner-bikes$' | grep -q '^(their namespaces, databases and DNS names go when this is deployed)$'"
check "the trailer naming the source is still there" sh -c "git -C '$r' log -1 --format='%(trailers:key=Rendered-from,valueonly)' | grep -q '^[0-9a-f]\{40\}$'"
check "git fsck is clean after a removal" git -C "$r" fsck --strict
# a rename is a removal and a new customer: the removal comes first
git -C "$r" mv customers/delta-repairs.yaml customers/delta2.yaml
sed -i 's|delta-repairs/|delta2/|' "$r/customers/delta2.yaml"
git -C "$r" commit -q -am "delta-repairs is now delta2"
"$stamp" -C "$r" commit >"$scratch/out" 2>&1
check "a rename's subject names the removal first, then the render" \
	test "$(git -C "$r" log -1 --format=%s)" = "Remove customer delta-repairs, render 1: delta2"
check "the summary counts the removal apart" grep -q '^ [0-9]* files changed under out/, 1 customer rendered, 1 removed$' "$scratch/out"
check "the working tree matches HEAD under out/" test -z "$(git -C "$r" status --porcelain out)"

# --- a stale index.lock: a clear error and no damage ---
sed -i 's/LOG_LEVEL: debug/LOG_LEVEL: warn/' "$r/customers/acme.yaml"
head=$(head_of "$r")
touch "$r/.git/index.lock"
"$stamp" -C "$r" commit >/dev/null 2>"$scratch/err"
check "a stale index.lock stops commit (exit 2)" test $? = 2
check "the error names index.lock and the fix" grep -q 'index.lock: error: exists: another git process seems to be running in this repository' "$scratch/err"
check "the branch did not move" test "$(head_of "$r")" = "$head"
rm -f "$r/.git/index.lock"
check "git fsck is clean after the refusal" git -C "$r" fsck --strict

# --- an index that cannot be read (EIO at its open, under strace -P): the status of the
# sources fails before anything is committed, and says so (the commit below, --expect
# with the right commit, then goes through) ---
if command -v strace >/dev/null 2>&1; then
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -f -qq -o /dev/null -P "$r/.git/index" \
		-e trace=openat -e inject=openat:error=EIO "$stamp" -C "$r" commit >/dev/null 2>"$scratch/err"
	check "an unreadable index stops commit (exit 2)" test $? = 2
	check "in one line naming the status and the fix" sh -c "test \$(wc -l < '$scratch/err') = 1 &&
		grep -q '^customers/: error: cannot read the status: .*; nothing was committed: run git status' '$scratch/err'"
	check "the branch did not move" test "$(head_of "$r")" = "$head"
	check "and git status shows nothing staged" test -z "$(git -C "$r" diff --cached --name-only)"
else
	echo "git: the unreadable index skipped (strace is not installed)"
fi

# --- a branch that moved: a clear error and no damage ---
git -C "$r" commit -q --allow-empty -m "someone else's commit"
moved=$(head_of "$r")
"$stamp" -C "$r" commit --expect "$head" >/dev/null 2>"$scratch/err"
check "a moved branch stops commit (exit 2)" test $? = 2
check "the error says the branch moved" grep -q 'refs/heads/main moved' "$scratch/err"
check "the other commit is still the tip" test "$(head_of "$r")" = "$moved"
check "--expect with the right commit commits" "$stamp" -C "$r" -q commit --expect "$moved"
check "on top of the other commit" test "$(git -C "$r" rev-parse HEAD~1)" = "$moved"

# --- --branch: the hydrated branch holds only the rendered tree ---
"$stamp" -C "$r" commit --branch deploy >/dev/null 2>"$scratch/err"
check "--branch refuses a branch the Applications do not name (exit 1)" test $? = 1
deploy_line=$(grep -n '^  path: out$' "$r/templates/stamp.yaml" | cut -d: -f1)
check "at templates/stamp.yaml's deploy:, with the fix" grep -q "^templates/stamp.yaml:$deploy_line:9: error: deploy: says Argo CD reads out/ on main, but --branch deploy puts the files at that branch's root; set deploy: {branch: deploy, path: .}, or commit without --branch$" "$scratch/err"
check "and creates no branch" sh -c "! git -C '$r' rev-parse -q --verify refs/heads/deploy"
deploy_to "$r" deploy
git -C "$r" commit -q -m "deploy from the deploy branch" templates/stamp.yaml
"$stamp" -C "$r" -q commit 2>/dev/null
main_before=$(head_of "$r")
"$stamp" -C "$r" commit --branch deploy >"$scratch/out" 2>/dev/null
check "--branch creates the branch" git -C "$r" rev-parse -q --verify refs/heads/deploy
check "--branch's summary says where the files are" grep -q "^ [0-9]* files changed at the branch's root, " "$scratch/out"
check "its root is out/'s content" sh -c "git -C '$r' ls-tree --name-only deploy | tr '\n' ' ' | grep -qx '.stamp-manifest apps argocd customers terraform '"
check "its files are out/'s files" sh -c "git -C '$r' show deploy:customers/acme/configmap.yaml | cmp - '$r/out/customers/acme/configmap.yaml'"
check "the checked-out branch did not move" test "$(head_of "$r")" = "$main_before"
deploy=$(git -C "$r" rev-parse deploy)
"$stamp" -C "$r" -q commit --branch deploy 2>/dev/null
check "a second --branch commit is a no-op" test "$(git -C "$r" rev-parse deploy)" = "$deploy"
sed -i 's/LOG_LEVEL: warn/LOG_LEVEL: error/' "$r/customers/acme.yaml"
"$stamp" -C "$r" -q commit --branch deploy 2>/dev/null
check "a change adds one commit on the branch" test "$(git -C "$r" rev-parse deploy~1)" = "$deploy"
check "touching only acme" sh -c "test \"\$(git -C '$r' show --name-only --format= deploy | grep -v '^customers/acme/\|^.stamp-manifest$')\" = ''"
"$stamp" -C "$r" commit --branch main >/dev/null 2>"$scratch/err"
check "--branch refuses the checked-out branch" grep -q 'is the branch checked out here' "$scratch/err"
check "git fsck is clean with the hydrated branch" git -C "$r" fsck --strict

# --- every Application points where its files are, on main and on the hydrated branch ---
r=$(repo argocd)
check "on main, every Application and kustomization reads what main holds" walk "$r" main out main
deploy_to "$r" hydrated
git -C "$r" commit -q -m "deploy from the hydrated branch" templates/stamp.yaml
"$stamp" -C "$r" -q commit
walk "$r" main out hydrated >"$scratch/walk"
check "the walk fails while main's Applications name a hydrated branch that does not exist yet" test $? = 1
check "and names the missing directory" grep -q "^main:out/apps/acme.yaml: customer-acme reads hydrated:customers/acme, which is not a directory$" "$scratch/walk"
"$stamp" -C "$r" -q commit --branch hydrated 2>/dev/null
check "once committed, main's Applications read directories of the hydrated branch" walk "$r" main out hydrated
check "and so do the hydrated branch's own" walk "$r" hydrated "" hydrated
check "whose Applications name the hydrated branch at its root" sh -c "git -C '$r' show hydrated:argocd/root-application.yaml | grep -q '^    targetRevision: hydrated\$' && git -C '$r' show hydrated:argocd/root-application.yaml | grep -q '^    path: apps\$'"
# the Applications as they were, hard-wired to out/ on main: the walk catches them
sed -i 's/{{deploy.branch}}/main/; s/{{deploy.prefix}}/out\//' "$r/templates/customer/application.yaml"
"$stamp" -C "$r" -q commit --branch hydrated 2>/dev/null
walk "$r" hydrated "" hydrated >"$scratch/walk"
check "Applications hard-wired to main's out/ fail the walk on the hydrated branch" test $? = 1
check "naming the path the branch does not hold" grep -q "^hydrated:apps/acme.yaml: customer-acme reads main, not hydrated$" "$scratch/walk"
# the hybrid example: one Application per cluster, in a kind: List
hy=$scratch/hybrid
mkdir -p "$hy" && git -C "$hy" init -q -b main
cp -R "$root/examples/hybrid/templates" "$root/examples/hybrid/customers" "$hy/"
"$stamp" -C "$hy" -q commit 2>/dev/null
check "the hybrid example's Applications read what main holds" walk "$hy" main out main

# --- a stamp repository in a subdirectory of the git repository ---
sub=$scratch/mono
mkdir -p "$sub/platform"
git -C "$sub" init -q -b main
cp -R "$root/templates" "$root/customers" "$sub/platform/"
deploy_to "$sub/platform" deploy
echo "unrelated" > "$sub/README"
git -C "$sub" add . && git -C "$sub" commit -q -m sources
"$stamp" -C "$sub/platform" -q commit
check "in a subdirectory, out/ is committed under it" git -C "$sub" cat-file -e HEAD:platform/out/.stamp-manifest
check "and nothing else" sh -c "! git -C '$sub' show --name-only --format= HEAD | grep -v '^platform/out/'"
check "git status is clean" test -z "$(git -C "$sub" status --porcelain)"
check "--branch works in a subdirectory" "$stamp" -C "$sub/platform" -q commit --branch deploy
check "and puts the subdirectory's out/ at the branch's root" sh -c "git -C '$sub' ls-tree --name-only deploy | tr '\n' ' ' | grep -qx '.stamp-manifest apps argocd customers terraform '"
sed -i 's/LOG_LEVEL: info/LOG_LEVEL: debug/' "$sub/platform/customers/acme.yaml"
check "diff works in a subdirectory" sh -c "'$stamp' -C '$sub/platform' diff | grep -q '^+++ b/out/customers/acme/configmap.yaml'"

# --- the warning about uncommitted sources counts customers/ and templates/, taken as
# literal paths: a directory named with glob characters is not a pattern ---
glob=$scratch/globs
mkdir -p "$glob/plat[f]orm" "$glob/platform/customers"
git -C "$glob" init -q -b main
cp -R "$root/templates" "$root/customers" "$glob/plat[f]orm/"
git -C "$glob" add . && git -C "$glob" commit -q -m sources
"$stamp" -C "$glob/plat[f]orm" -q commit
# what the pattern plat[f]orm/customers/ would match: three untracked files
for n in 1 2 3; do echo "a: b" > "$glob/platform/customers/decoy$n.yaml"; done
sed -i 's/LOG_LEVEL: info/LOG_LEVEL: debug/' "$glob/plat[f]orm/customers/acme.yaml"
printf '{{! a note }}\n' >> "$glob/plat[f]orm/templates/customer/configmap.yaml"
"$stamp" -C "$glob/plat[f]orm" commit >"$scratch/out" 2>&1
check "commit in a directory named plat[f]orm succeeds" test $? = 0
check "and counts the changed spec and the changed template, not the files the pattern would match" \
	grep -q '^stamp: warning: 2 paths in customers/ or templates/ differ from HEAD' "$scratch/out"

# --- every lock the commit takes is looked at before rendering, and never removed ---
r=$(repo locks)
sed -i 's/LOG_LEVEL: info/LOG_LEVEL: debug/' "$r/customers/acme.yaml"
before=$(cat "$r/out/customers/acme/configmap.yaml")
head=$(head_of "$r")
for lock in index.lock HEAD.lock refs/heads/main.lock packed-refs.lock; do
	: > "$r/.git/$lock"
	"$stamp" -C "$r" commit >"$scratch/out" 2>"$scratch/err"
	check "a held $lock stops commit (exit 2)" test $? = 2
	check "the error is one line naming $lock and git's advice" sh -c "test \$(wc -l < '$scratch/err') = 1 &&
		grep -q '^$r/.git/$lock: error: exists: another git process seems to be running.*remove the file by hand' '$scratch/err'"
	check "with $lock held nothing was rendered" test "$(cat "$r/out/customers/acme/configmap.yaml")" = "$before"
	check "$lock is still there" test -e "$r/.git/$lock"
	check "the branch did not move ($lock)" test "$(head_of "$r")" = "$head"
	rm -f "$r/.git/$lock"
done
check "with every lock free the commit goes through" "$stamp" -C "$r" -q commit
check "git fsck --full is clean after the lock refusals" git -C "$r" fsck --full --strict
# a lock of a branch not involved does not matter
: > "$r/.git/refs/heads/other.lock"
sed -i 's/LOG_LEVEL: debug/LOG_LEVEL: warn/' "$r/customers/acme.yaml"
check "another branch's lock does not stop the commit" "$stamp" -C "$r" -q commit
rm -f "$r/.git/refs/heads/other.lock"
# the reflogs say what moved the branch, as git's commit does
check "the branch's reflog names stamp commit" sh -c "git -C '$r' reflog -1 --format=%gs main | grep -q '^stamp commit: Render 1 customer: acme'"
check "and so does HEAD's" sh -c "git -C '$r' reflog -1 --format=%gs HEAD | grep -q '^stamp commit: '"
check "git status knows the committed files without hashing them: nothing to refresh" \
	sh -c "git -C '$r' diff-files --quiet -- out"

# --- detached HEAD, an unborn branch ---
git -C "$r" checkout -q --detach
sed -i 's/LOG_LEVEL: warn/LOG_LEVEL: error/' "$r/customers/acme.yaml"
"$stamp" -C "$r" commit >/dev/null 2>"$scratch/err"
check "on a detached HEAD, commit without --branch exits 2" test $? = 2
check "and says what to do" grep -q 'HEAD is detached; check out a branch first (git switch NAME), or commit the rendered tree to a branch of its own with --branch NAME' "$scratch/err"
deploy_to "$r" hydrated
"$stamp" -C "$r" -q commit --branch hydrated 2>"$scratch/err"
check "--branch works from a detached HEAD" test $? = 0
check "the hydrated branch holds out/'s content" sh -c "git -C '$r' show hydrated:customers/acme/configmap.yaml | cmp - '$r/out/customers/acme/configmap.yaml'"
git -C "$r" checkout -q main
git -C "$r" checkout -q customers templates
unborn=$scratch/unborn
mkdir -p "$unborn" && git -C "$unborn" init -q -b main
cp -R "$root/templates" "$root/customers" "$unborn/"
"$stamp" -C "$unborn" commit >"$scratch/out" 2>&1
check "commit works on an unborn branch" test $? = 0
check "its commit has no parent" test "$(git -C "$unborn" rev-list --count HEAD)" = 1
check "and holds only out/" sh -c "! git -C '$unborn' ls-tree --name-only HEAD | grep -vx out"
check "the trailer says there was no commit yet" sh -c "git -C '$unborn' log -1 --format=%B | grep -qx 'Rendered-from: (no commit yet)'"
check "git status shows nothing under out/ on the new branch" test -z "$(git -C "$unborn" status --porcelain out)"
unborn2=$scratch/unborn2
mkdir -p "$unborn2" && git -C "$unborn2" init -q -b main
cp -R "$root/templates" "$root/customers" "$unborn2/"
deploy_to "$unborn2" deploy
check "--branch works from an unborn HEAD" "$stamp" -C "$unborn2" -q commit --branch deploy
check "and leaves HEAD unborn" sh -c "! git -C '$unborn2' rev-parse -q --verify HEAD"

# --- a branch checked out in another worktree is refused, as git refuses it ---
git -C "$r" branch -q deploy
git -C "$r" worktree add -q "$scratch/wt" deploy
deploy=$(git -C "$r" rev-parse deploy)
"$stamp" -C "$r" commit --branch deploy >/dev/null 2>"$scratch/err"
check "--branch of a branch checked out in a worktree exits 2" test $? = 2
check "and names the worktree" grep -q "^stamp: error: --branch deploy is checked out in the worktree at $scratch/wt" "$scratch/err"
check "the branch did not move" test "$(git -C "$r" rev-parse deploy)" = "$deploy"
check "the worktree shows nothing changed" test -z "$(git -C "$scratch/wt" status --porcelain)"
"$stamp" -C "$scratch/wt" commit --branch main >/dev/null 2>"$scratch/err"
check "from the worktree, the main worktree's branch is refused too" grep -q "^stamp: error: --branch main is checked out in the worktree at $r" "$scratch/err"
git -C "$r" worktree remove --force "$scratch/wt"

# --- the compare-and-swap: a commit lands while stamp renders ---
r=$(repo race)
sed -i 's/LOG_LEVEL: info/LOG_LEVEL: debug/' "$r/customers/acme.yaml"
start=$(head_of "$r")
if command -v strace >/dev/null 2>&1; then
	# stamp is held for 3 seconds as it locks out/ (its first flock): it has read the
	# tip, it has not rendered; the second committer moves the branch meanwhile
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -qq -o /dev/null \
		-e trace=flock -e inject=flock:delay_exit=3000000:when=1 \
		"$stamp" -C "$r" commit >"$scratch/out" 2>"$scratch/err" &
	racer=$!
	i=0
	while [ ! -e "$r/out/.stamp-manifest.lock" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	git -C "$r" commit -q --allow-empty -m "the other committer"
	other=$(head_of "$r")
	wait $racer
	status=$?
	check "a commit that landed meanwhile stops stamp (exit 2)" test $status = 2
	check "stamp says the branch moved, from where to where" \
		grep -q "^stamp: error: refs/heads/main moved while stamp was committing (from $(echo "$start" | cut -c1-12) to $(echo "$other" | cut -c1-12): another commit landed); nothing was committed" "$scratch/err"
	check "the other commit is the tip" test "$(head_of "$r")" = "$other"
	check "both histories are reachable: the other commit's parent is the old tip" test "$(git -C "$r" rev-parse HEAD~1)" = "$start"
	check "stamp committed nothing: the index and the branch agree under out/" test -z "$(git -C "$r" diff --cached --name-only)"
	check "git fsck --full is clean after the race" git -C "$r" fsck --full --strict
	check "the next commit lands on top of the other one" "$stamp" -C "$r" -q commit
	check "as its child" test "$(git -C "$r" rev-parse HEAD~1)" = "$other"
else
	echo "git: the compare-and-swap race: skipped (strace is not installed)"
fi

# --- an index an interrupted commit left is repaired by the next stamp run ---
# A full disk as the index is written: the branch has moved, the index holds the old out/.
cut_commit() { # repository: a stamp commit whose index write fails with ENOSPC
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -qq -o /dev/null -P "$1/.git/index.lock" \
		-e trace=write -e inject=write:error=ENOSPC:when=1 "$stamp" -C "$1" -q commit >/dev/null 2>"$scratch/cut"
}
if command -v strace >/dev/null 2>&1; then
	r=$(repo repair)
	for cmd in check render commit; do
		sed -i "s/LOG_LEVEL: [a-z]*/LOG_LEVEL: $cmd/" "$r/customers/acme.yaml"
		git -C "$r" commit -q -am "acme: $cmd"
		echo "notes of $cmd" > "$r/NOTES"
		git -C "$r" add NOTES
		cut_commit "$r"
		check "($cmd) a commit whose index write fails exits 2" test $? = 2
		committed=$(head_of "$r")
		check "($cmd) in one line that says the commit landed and how the index gets repaired" \
			sh -c "test \$(grep -c . '$scratch/cut') = 1 && grep -q 'cannot write the index: .*No space left on device; .*($(echo "$committed" | cut -c1-12) is committed; until the index is written, git status shows out/ reverted: any stamp command repairs it)' '$scratch/cut'"
		check "($cmd) the branch moved to stamp's commit" sh -c "git -C '$r' log -1 --format=%s | grep -q '^Render 1 customer: acme'"
		check "($cmd) the index holds the old out/: the cut commit shows as reverted" \
			sh -c "git -C '$r' status --porcelain out | grep -q '^M. out/.stamp-manifest'"
		"$stamp" -C "$r" $cmd >"$scratch/out" 2>"$scratch/err"
		check "stamp $cmd succeeds on the cut commit's index" test $? = 0
		check "stamp $cmd says in one line that it repaired the index" \
			sh -c "test \"\$(grep -c 'index held out/ as before' '$scratch/err')\" = 1 && grep -q '^stamp: note: the index held out/ as before $(echo "$committed" | cut -c1-12), a stamp commit that was interrupted before it wrote the index; repaired: 4 entries now match the commit$' '$scratch/err'"
		check "($cmd) git status shows nothing under out/" test -z "$(git -C "$r" status --porcelain out)"
		check "($cmd) the user's staged change outside out/ is still staged" test "$(git -C "$r" diff --cached --name-only)" = "NOTES"
		check "($cmd) the branch did not move" test "$(head_of "$r")" = "$committed"
		check "($cmd) the note is gone" test ! -e "$r/.git/STAMP_INDEX_PENDING"
		"$stamp" -C "$r" $cmd >/dev/null 2>"$scratch/err"
		check "($cmd) the next run has nothing to repair" sh -c "! grep -q 'index held' '$scratch/err'"
		git -C "$r" reset -q NOTES
		rm "$r/NOTES"
	done
	# a state of the user's own is not "repaired": a staged removal in out/
	git -C "$r" rm -q --cached out/apps/acme.yaml
	"$stamp" -C "$r" check >/dev/null 2>"$scratch/err"
	check "an out/ change the user staged is not taken for a cut commit" sh -c "! grep -q 'index held' '$scratch/err'"
	check "and stays staged" sh -c "git -C '$r' status --porcelain out | grep -q '^D  out/apps/acme.yaml'"
	git -C "$r" reset -q out
	# a held index.lock (git's pre-commit hook runs so): check says the index is wrong, fails
	sed -i "s/LOG_LEVEL: [a-z]*/LOG_LEVEL: locked/" "$r/customers/acme.yaml"
	git -C "$r" commit -q -am "acme: locked"
	cut_commit "$r"
	: > "$r/.git/index.lock"
	"$stamp" -C "$r" check >/dev/null 2>"$scratch/err"
	check "a cut commit's index under a held index.lock fails check (exit 1)" test $? = 1
	check "and says why, in one line" sh -c "grep -q 'index.lock: error: exists: .*(and the index holds out/ as before stamp.s commit [0-9a-f]*, which was interrupted: a git commit now would revert it' '$scratch/err'"
	check "index.lock is left alone" test -e "$r/.git/index.lock"
	rm -f "$r/.git/index.lock"
	check "once the lock is gone, the next check repairs" sh -c "'$stamp' -C '$r' check 2>&1 | grep -q 'repaired'"
	check "git fsck --full is clean after the repairs" git -C "$r" fsck --full --strict
	# cut before the branch moved (the note written, the ref not): nothing to repair
	sed -i "s/LOG_LEVEL: [a-z]*/LOG_LEVEL: early/" "$r/customers/acme.yaml"
	git -C "$r" commit -q -am "acme: early"
	early=$(head_of "$r")
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -qq -o /dev/null -e trace=rename \
		-e inject=rename:error=EIO:when=1 "$stamp" -C "$r" -q commit >/dev/null 2>&1
	check "a branch that could not move stays" test "$(head_of "$r")" = "$early"
	"$stamp" -C "$r" check >/dev/null 2>"$scratch/err"
	check "and the next run repairs nothing" sh -c "! grep -q 'index held' '$scratch/err'"
	check "and drops the note" test ! -e "$r/.git/STAMP_INDEX_PENDING"
else
	echo "git: the index repair: skipped (strace is not installed)"
fi

# --- diff: the rendered difference against a base revision ---
r=$(repo diff)
base=$(head_of "$r")
check "diff against HEAD of a rendered repository is empty" test -z "$("$stamp" -C "$r" diff)"
check "--exit-code is 0 when nothing differs" "$stamp" -C "$r" diff --exit-code
sed -i 's/LOG_LEVEL: info/LOG_LEVEL: debug/' "$r/customers/acme.yaml"
git -C "$r" status --porcelain > "$scratch/status-before"
"$stamp" -C "$r" diff --format json > "$scratch/diff.json"
check "diff shows exactly the changed customer" sh -c "python3 -c \"import json,sys; d=json.load(open('$scratch/diff.json')); sys.exit(0 if [g['customer'] for g in d['groups']] == ['acme'] else 1)\""
check "and exactly its three files" sh -c "python3 -c \"import json,sys; d=json.load(open('$scratch/diff.json')); sys.exit(0 if [f['path'] for f in d['groups'][0]['files']] == ['out/customers/acme/configmap.yaml','out/customers/acme/deployment.yaml','out/customers/acme/values.yaml'] else 1)\""
"$stamp" -C "$r" diff --exit-code > "$scratch/diff.txt"
check "--exit-code is 1 when the output differs" test $? = 1
check "diff wrote nothing and checked nothing out" sh -c "git -C '$r' status --porcelain | cmp -s - '$scratch/status-before'"
check "the text diff applies to the base's out/ with git apply" git -C "$r" apply --check "$scratch/diff.txt"
git -C "$r" apply "$scratch/diff.txt"
rm -rf "$scratch/diff-render" && mkdir "$scratch/diff-render" && cp -R "$r/templates" "$r/customers" "$scratch/diff-render/"
"$stamp" -C "$scratch/diff-render" -q render
check "and turns it into the working tree's rendering" diff -r -x .stamp-manifest "$r/out" "$scratch/diff-render/out"
git -C "$r" checkout -q out
# The revision's side reads from the object store only the specs that differ from the
# working tree's: the others have the blob ids of bytes the working tree's side hashed.
# The repository's objects are loose (one file each), so every object read is an open.
if command -v strace >/dev/null 2>&1; then
	git -C "$r" ls-tree HEAD customers/ | awk '{ print substr($3, 1, 2) "/" substr($3, 3) " " $4 }' > "$scratch/spec-blobs"
	strace_log "$scratch/diff.trace" -e trace=openat "$stamp" -C "$r" diff --format json > "$scratch/traced.json"
	check "traced, the diff is the same" cmp "$scratch/diff.json" "$scratch/traced.json"
	opened=$(grep -v ENOENT "$scratch/diff.trace" | grep -o '\.git/objects/[0-9a-f]*/[0-9a-f]*' | sed 's|^\.git/objects/||' | sort -u)
	read_specs=$(echo "$opened" | while read -r id; do grep "^$id " "$scratch/spec-blobs"; done | awk '{ print $2 }')
	check "of $(wc -l < "$scratch/spec-blobs") specs in the revision, only the changed one is read from it" \
		test "$read_specs" = "customers/acme.yaml"
	manifest_blob=$(git -C "$r" rev-parse HEAD:out/.stamp-manifest)
	check "and not the revision's out/.stamp-manifest (the working tree's serves)" \
		sh -c "! echo '$opened' | grep -q '^$(echo "$manifest_blob" | cut -c1-2)/$(echo "$manifest_blob" | cut -c3-)\$'"
else
	echo "git: what diff reads from the object store: skipped (strace is not installed)"
fi
"$stamp" -C "$r" diff --format markdown > "$scratch/diff.md"
check "markdown has a summary row for acme" grep -q '^| `acme` | 0 | 3 | 0 | +3 -3 |$' "$scratch/diff.md"
check "markdown has a collapsible diff per file" test "$(grep -c '^<details>' "$scratch/diff.md")" = 3
check "markdown says nothing was cut when nothing was" sh -c "! grep -q 'Cut to fit' '$scratch/diff.md'"
# a removed customer is named first and apart in every format
rm "$r/customers/evergreen.yaml"
"$stamp" -C "$r" diff > "$scratch/removed.txt"
check "text: a warning line names the removed customer first" \
	test "$(head -n 1 "$scratch/removed.txt")" = "# WARNING: customer evergreen is removed: its namespace, database and DNS name go when this is deployed"
check "text: its group says so" grep -q '^# evergreen (customer removed): 0 added, 0 changed, 14 removed' "$scratch/removed.txt"
"$stamp" -C "$r" diff --format markdown > "$scratch/removed.md"
check "markdown: a warning block above the table" sh -c "grep -A1 '^> \[!WARNING\]$' '$scratch/removed.md' | grep -q '^> \*\*Removes 1 customer: \`evergreen\`\*\*: its namespace'"
check "markdown: the row is marked" grep -q '^| `evergreen` \*\*removed\*\* | 0 | 0 | 14 |' "$scratch/removed.md"
"$stamp" -C "$r" diff --format json > "$scratch/removed.json"
check "json: removed_customers lists it" python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d['removed_customers'] == ['evergreen'] and [g['customer_removed'] for g in d['groups'] if g['customer'] == 'evergreen'] == [True] else 1)" "$scratch/removed.json"
git -C "$r" checkout -q customers/evergreen.yaml
"$stamp" -C "$r" diff --format json > "$scratch/none.json"
check "json: an empty removed_customers when none is" python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d['removed_customers'] == [] else 1)" "$scratch/none.json"
# a template change over 300 customers: far more than a comment holds
i=0
while [ $i -lt 300 ]; do
	printf 'plan: starter\nimage: {tag: "1.0.%d"}\n' $i > "$r/customers/bulk$i.yaml"
	i=$((i + 1))
done
"$stamp" -C "$r" -q render && git -C "$r" add . && git -C "$r" commit -q -m "300 more"
echo '# a comment on every service' >> "$r/templates/customer/service.yaml"
"$stamp" -C "$r" diff --format markdown > "$scratch/big.md"
check "a big markdown diff stays under 65,536 characters" test "$(wc -m < "$scratch/big.md")" -le 65536
check "and says what was cut" grep -q 'Cut to fit a pull-request comment (65536 characters):\*\* the table shows' "$scratch/big.md"
check "its collapsible blocks are all closed" test "$(grep -c '^<details>' "$scratch/big.md")" = "$(grep -c '^</details>' "$scratch/big.md")"
"$stamp" -C "$r" diff --format json > "$scratch/big.json"
check "json is never cut: all 305 service files changed" sh -c "python3 -c \"import json,sys; d=json.load(open('$scratch/big.json')); sys.exit(0 if d['totals']['changed'] == 305 else 1)\""
git -C "$r" checkout -q templates
# invalid input in the base revision is reported with the revision's name
printf 'plan: nope\nimage: {tag: "1"}\n' > "$r/customers/broken.yaml"
git -C "$r" add customers/broken.yaml && git -C "$r" commit -q -m broken
rm "$r/customers/broken.yaml"
"$stamp" -C "$r" diff >/dev/null 2>"$scratch/err"
check "a base with an invalid spec fails (exit 1)" test $? = 1
check "the diagnostic names the revision and the file" grep -q '^HEAD:customers/broken.yaml:1:7: error: plan' "$scratch/err"
"$stamp" -C "$r" diff --base no-such-rev >/dev/null 2>"$scratch/err"
check "an unknown revision exits 2" test $? = 2
check "and says so" grep -q "unknown revision 'no-such-rev'" "$scratch/err"
# links in a revision follow the working tree's rules
rm -rf "$r/customers/broken.yaml"
git -C "$r" rm -q customers/broken.yaml && git -C "$r" commit -q -m "broken leaves"
mkdir -p "$r/specs" && printf 'plan: starter\nimage: {tag: "7"}\n' > "$r/specs/linked.yaml"
ln -s ../specs/linked.yaml "$r/customers/linked.yaml"
git -C "$r" add specs customers/linked.yaml && git -C "$r" commit -q -m "a linked spec"
check "a spec linked inside the repository renders the same from the revision" "$stamp" -C "$r" diff --exit-code
sed -i 's/tag: "7"/tag: "8"/' "$r/specs/linked.yaml"
check "and a change behind the link shows as that customer's" sh -c "'$stamp' -C '$r' diff | grep -q '^# linked: 0 added, 3 changed'"
git -C "$r" checkout -q specs
ln -s /etc/hostname "$r/customers/outside.yaml"
git -C "$r" add customers/outside.yaml && git -C "$r" commit -q -m "a link outside"
"$stamp" -C "$r" diff >/dev/null 2>"$scratch/err"
check "a spec linked outside the repository is refused in the revision too" \
	grep -q '^HEAD:customers/outside.yaml: error: is a symlink to /etc/hostname, outside the repository' "$scratch/err"
git -C "$r" rm -q customers/outside.yaml && git -C "$r" commit -q -m "no link outside"

# a base without any stamp repository: everything is added
fresh=$scratch/fresh
mkdir -p "$fresh" && git -C "$fresh" init -q -b main && echo hi > "$fresh/README"
git -C "$fresh" add README && git -C "$fresh" commit -q -m readme
cp -R "$root/templates" "$root/customers" "$fresh/"
"$stamp" -C "$fresh" diff --format json 2>/dev/null > "$scratch/fresh.json"
check "against a base without stamp, every file is added" sh -c "python3 -c \"import json,sys; d=json.load(open('$scratch/fresh.json')); t=d['totals']; sys.exit(0 if t['added'] == 73 and t['changed'] == 0 and t['removed'] == 0 else 1)\""

# --- the pre-commit hook (scripts/pre-commit, installed by make install-hooks) ---
r=$(repo hook)
mkdir -p "$scratch/bin" && ln -sf "$stamp" "$scratch/bin/stamp"
cp "$root/scripts/pre-commit" "$r/.git/hooks/pre-commit"
sed -i 's/LOG_LEVEL: info/LOG_LEVEL: debug/' "$r/customers/acme.yaml"
git -C "$r" add customers/acme.yaml
PATH="$scratch/bin:$PATH" git -C "$r" commit -q -m "spec only" >/dev/null 2>"$scratch/err"
check "the hook refuses a commit whose out/ is stale" test $? != 0
check "and shows stamp check's diagnostics" grep -q 'out/customers/acme/configmap.yaml: error: is out of date' "$scratch/err"
"$stamp" -C "$r" -q render && git -C "$r" add out
check "the hook lets the commit through once rendered" env PATH="$scratch/bin:$PATH" git -C "$r" commit -q -m "spec and out/"

# --- the pre-commit framework, with .pre-commit-hooks.yaml as shipped ---
if command -v pre-commit >/dev/null 2>&1; then
	hooks=$scratch/hooks-repo
	mkdir -p "$hooks" && git -C "$hooks" init -q -b main
	cp "$root/.pre-commit-hooks.yaml" "$hooks/"
	git -C "$hooks" add . && git -C "$hooks" commit -q -m hooks
	export PRE_COMMIT_HOME="$scratch/pre-commit-home"
	framework() { # repository, hook ids...: a config pinning the hooks repository by sha,
		# the README's when no id is given (as a user copies it: only repo: and rev: differ)
		dir=$1
		shift
		sha=$(git -C "$hooks" rev-parse HEAD)
		if [ $# = 0 ]; then
			sed -n '/^Hooks: /,/^```$/p' README.md | sed -n '/^```yaml$/,/^```$/p' | sed '1d;$d' |
				sed "s|^\(  - repo: \).*|\1$hooks|; s|^\(    rev: \)[0-9a-f]\{40\}|\1$sha|" > "$dir/.pre-commit-config.yaml"
		else
			printf 'repos:\n  - repo: %s\n    rev: %s\n    hooks:\n' "$hooks" "$sha" > "$dir/.pre-commit-config.yaml"
			for id in "$@"; do printf '      - id: %s\n' "$id" >> "$dir/.pre-commit-config.yaml"; done
		fi
		git -C "$dir" add .pre-commit-config.yaml && git -C "$dir" commit -q --no-verify -m "pre-commit config"
		(cd "$dir" && pre-commit install >/dev/null)
	}
	hooked_commit() { # message: git commit in $r, its hooks run; the output in $scratch/out
		PATH="$scratch/bin:$PATH" git -C "$r" commit -q -m "$1" >"$scratch/out" 2>&1
	}
	refused() { # description, message: the commit is tried and the branch stays at $before
		before=$(head_of "$r")
		hooked_commit "$2"
		check "pre-commit: $1" test "$(head_of "$r")" = "$before"
	}
	lands() { # description, message: the commit lands on top of $before
		hooked_commit "$2"
		check "pre-commit: $1" test "$(git -C "$r" rev-parse HEAD~1)" = "$before"
	}
	r=$(repo framework)
	framework "$r"
	check "pre-commit: the README's config is the one in use, pinned by sha" sh -c "grep -q '^    rev: $(git -C "$hooks" rev-parse HEAD)' '$r/.pre-commit-config.yaml' && grep -c '^      - id: stamp-' '$r/.pre-commit-config.yaml' | grep -qx 2"
	# a spec change staged without out/: refused, and out/ rendered for the user to add
	sed -i 's/LOG_LEVEL: info/LOG_LEVEL: debug/' "$r/customers/acme.yaml"
	git -C "$r" add customers/acme.yaml
	refused "a spec staged without out/ is refused" "spec only"
	check "pre-commit: stamp-render ran and says it changed files" grep -q 'files were modified by this hook' "$scratch/out"
	check "pre-commit: the render is in the work tree, to add" sh -c "git -C '$r' status --porcelain out | grep -q '^ M out/customers/acme/configmap.yaml'"
	git -C "$r" add out
	lands "rendered and added, the commit goes through" "spec and out/"
	# a commit that only deletes a customer runs the hooks too
	git -C "$r" rm -q customers/evergreen.yaml
	refused "a deletion alone runs the hooks and is refused until out/ follows" "evergreen leaves"
	check "pre-commit: the hooks were not skipped" sh -c "! grep -q 'no files to check' '$scratch/out'"
	git -C "$r" add -A out
	lands "with out/ pruned and staged, the deletion commits" "evergreen leaves"
	check "pre-commit: and took evergreen's files with it" test -z "$(git -C "$r" ls-tree -r HEAD out/customers/evergreen)"
	# stamp-check alone: rendered but not added, pre-commit stashes the render away
	r=$(repo framework-check)
	framework "$r" stamp-check
	sed -i 's/LOG_LEVEL: info/LOG_LEVEL: warn/' "$r/customers/acme.yaml"
	"$stamp" -C "$r" -q render
	git -C "$r" add customers/acme.yaml
	refused "stamp-check refuses a render that was not added" "spec, out/ not added"
	check "pre-commit: and names both fixes" grep -q 'out/customers/acme/configmap.yaml: error: is out of date .*; run stamp render, or git add out/ if you already did' "$scratch/out"
	check "pre-commit: the stashed render is back in the work tree" sh -c "git -C '$r' status --porcelain out | grep -q '^ M out/customers/acme/configmap.yaml'"
	git -C "$r" add out
	lands "once added, stamp-check lets it through" "spec and out/"
	unset PRE_COMMIT_HOME
else
	echo "git: the pre-commit framework: skipped (pre-commit is not installed)"
fi

# --- the CI examples: valid YAML, and they run what they claim ---
for wf in "$root/.github/workflows/stamp.yaml" "$root/.gitea/workflows/stamp.yaml"; do
	check "$(basename "$(dirname "$(dirname "$wf")")") workflow: render + commit on main, markdown diff on PRs" \
		python3 -c "
import sys, yaml
w = yaml.safe_load(open(sys.argv[1]))
render = ' '.join(s.get('run', '') for s in w['jobs']['render']['steps'])
preview = ' '.join(s.get('run', '') for s in w['jobs']['preview']['steps'])
assert 'make render' in render and 'stamp commit' in render and 'git push' in render
assert 'stamp diff --base' in preview and '--format markdown' in preview
assert 'stamp render --format github' in preview
assert w[True]['push']['branches'] == ['main'] and 'pull_request' in w[True]
" "$wf"
done

# both workflows against the Actions workflow schema (Gitea Actions reads the same syntax)
validator="$root/build/node/node_modules/.bin/action-validator"
if [ -x "$validator" ]; then
	for wf in "$root/.github/workflows/stamp.yaml" "$root/.gitea/workflows/stamp.yaml"; do
		check "$(basename "$(dirname "$(dirname "$wf")")") workflow: valid by the workflow schema" "$validator" "$wf"
	done
	printf 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz: [{run: echo}]\n' > "$scratch/bad-workflow.yaml"
	check "the schema check refuses a broken workflow" sh -c "! '$validator' '$scratch/bad-workflow.yaml' >/dev/null 2>&1"
else
	echo "git: the workflows against the workflow schema: skipped (npm's @action-validator/cli is not installed)"
fi

# the Gitea workflow's comment step, run with a stand-in for curl: it edits the comment
# stamp posted before, and posts one only when there is none
if command -v jq >/dev/null 2>&1 && command -v python3 >/dev/null 2>&1; then
	python3 -c "
import sys, yaml
w = yaml.safe_load(open(sys.argv[1]))
step = [s for s in w['jobs']['preview']['steps'] if s.get('name') == 'comment on the pull request'][0]
open(sys.argv[2], 'w').write(step['run'])
" "$root/.gitea/workflows/stamp.yaml" "$scratch/comment-step.sh"
	mkdir -p "$scratch/fake"
	cat > "$scratch/fake/curl" <<'FAKE'
#!/bin/sh
# records its arguments; a GET answers with the comments of $FAKE_COMMENTS
printf '%s\n' "$*" >> "$FAKE_LOG"
case " $* " in *" -X "*) ;; *) cat "$FAKE_COMMENTS" ;; esac
FAKE
	chmod +x "$scratch/fake/curl"
	printf '### stamp diff: <code>HEAD</code> → working tree\n' > "$scratch/stamp-diff.md"
	run_comment_step() { # comments json
		printf '%s' "$1" > "$scratch/comments.json"
		: > "$scratch/curl.log"
		(cd "$scratch" && FAKE_LOG="$scratch/curl.log" FAKE_COMMENTS="$scratch/comments.json" TOKEN=t \
			REPO_API=https://gitea.example/api/v1/repos/o/r PR=12 PATH="$scratch/fake:$PATH" sh -e comment-step.sh)
	}
	run_comment_step '[{"id": 3, "body": "### stamp diff: <code>HEAD</code> old"}, {"id": 5, "body": "looks good"}, {"id": 8, "body": "### stamp diff: <code>HEAD</code> older"}]'
	check "gitea workflow: edits stamp's last comment" grep -q -- '-X PATCH .*https://gitea.example/api/v1/repos/o/r/issues/comments/8$' "$scratch/curl.log"
	check "gitea workflow: and posts none" sh -c "! grep -q -- '-X POST' '$scratch/curl.log'"
	run_comment_step '[{"id": 5, "body": "looks good"}]'
	check "gitea workflow: posts one when stamp has none yet" grep -q -- '-X POST .*https://gitea.example/api/v1/repos/o/r/issues/12/comments$' "$scratch/curl.log"
	check "the markdown starts with the heading the step looks for" sh -c "'$stamp' -C '$r' diff --format markdown | head -n 1 | grep -q '^### stamp diff:'"
else
	echo "git: the Gitea comment step: skipped (jq or python3 is not installed)"
fi

# --- libgit2 is initialised only where it is used ---
# Its initialisation reads the system's CA certificates (Debian's libgit2, built with
# mbedTLS): a render, and a check, at the top of a plain repository with no note to repair
# and a deploy.branch of plain characters never initialise it; stamp diff does
r=$(repo lazy)
if command -v strace >/dev/null 2>&1; then
	trace_opens() { # file, stamp arguments...
		out=$1
		shift
		strace_log "$out" -e trace=open,openat "$stamp" -C "$r" "$@" >/dev/null 2>&1
	}
	trace_opens "$scratch/lazy-diff.trace" diff
	if grep -q 'ca-certificates' "$scratch/lazy-diff.trace"; then
		trace_opens "$scratch/lazy-render.trace" -q render
		trace_opens "$scratch/lazy-check.trace" -q check
		check "a render does not initialise libgit2" sh -c "! grep -q ca-certificates '$scratch/lazy-render.trace'"
		check "nor does a check" sh -c "! grep -q ca-certificates '$scratch/lazy-check.trace'"
		: > "$r/.git/STAMP_INDEX_PENDING"
		trace_opens "$scratch/lazy-note.trace" -q render
		check "a note to look at makes a render open the repository" grep -q ca-certificates "$scratch/lazy-note.trace"
		check "which removes the note (nothing to repair)" test ! -e "$r/.git/STAMP_INDEX_PENDING"
		# git finds the repository from a subdirectory through the parents' .git: the note
		# is looked for there, and a render in a directory no repository holds has none
		trace_sub() { # file, stamp arguments...
			out=$1
			shift
			strace_log "$out" -e trace=open,openat "$stamp" -C "$sub/platform" "$@" >/dev/null 2>&1
		}
		trace_sub "$scratch/lazy-sub.trace" -q render
		check "a render in a subdirectory of a repository does not initialise libgit2" \
			sh -c "! grep -q ca-certificates '$scratch/lazy-sub.trace'"
		: > "$sub/.git/STAMP_INDEX_PENDING"
		trace_sub "$scratch/lazy-sub-note.trace" -q render
		check "a note in the parent's .git makes a render in the subdirectory open the repository" \
			grep -q ca-certificates "$scratch/lazy-sub-note.trace"
		check "which removes that note" test ! -e "$sub/.git/STAMP_INDEX_PENDING"
		plain=$scratch/no-repository
		mkdir -p "$plain"
		cp -R "$root/templates" "$root/customers" "$plain/"
		above=$(cd "$plain" && pwd -P)
		while [ "$above" != / ] && [ ! -e "$above/.git" ]; do above=$(dirname "$above"); done
		if [ ! -e "$above/.git" ]; then
			strace_log "$scratch/lazy-plain.trace" -e trace=open,openat "$stamp" -C "$plain" -q render >/dev/null 2>&1
			check "a render outside any repository succeeds" test -s "$plain/out/.stamp-manifest"
			check "and does not initialise libgit2" sh -c "! grep -q ca-certificates '$scratch/lazy-plain.trace'"
		else
			echo "git: a render outside any repository: skipped ($above/.git is above the scratch directory)"
		fi
	else
		echo "git: libgit2's lazy initialisation: skipped (this libgit2 reads no CA certificates)"
	fi
else
	echo "git: libgit2's lazy initialisation: skipped (strace is not installed)"
fi

# --- channels: customers pinned to revisions of templates/ ---
r=$(repo channels)
git -C "$r" tag templates-v1
# the canary change: a label on every namespace
sed -i 's|^    pod-security.kubernetes.io/audit: restricted$|&\n    rollout.example/wave: "2"|' "$r/templates/customer/namespace.yaml"
git -C "$r" commit -q -am "namespaces: wave label" && git -C "$r" tag templates-v2
cat >> "$r/templates/stamp.yaml" <<'YAML'
channels:
  stable: {revision: templates-v1}
  canary: {revision: WORKTREE}
default_channel: stable
YAML
printf 'channel: canary\n' >> "$r/customers/evergreen.yaml"
"$stamp" -C "$r" render > "$scratch/out" 2>&1
check "channels: the first render re-renders only the canary customer" grep -q '^5 customers (1 rendered)' "$scratch/out"
check "which gets the working tree's templates" grep -q 'rollout.example/wave' "$r/out/customers/evergreen/namespace.yaml"
check "the stable ones keep templates-v1's" sh -c "! grep -l 'rollout.example/wave' '$r'/out/customers/*/namespace.yaml | grep -v evergreen"
check "the manifest records each customer's channel" grep -q '^customer acme [0-9a-f]* ^stable ' "$r/out/.stamp-manifest"
check "and each channel's commit" grep -q "^channel stable [0-9a-f]* $(git -C "$r" rev-parse templates-v1)\$" "$r/out/.stamp-manifest"
check "check agrees" "$stamp" -C "$r" check
"$stamp" -C "$r" channels > "$scratch/channels.txt"
check "stamp channels lists stable as the default, at templates-v1, with 4 customers" \
	grep -q "^stable \*  templates-v1  $(git -C "$r" rev-parse --short=7 templates-v1)  4\$" "$scratch/channels.txt"
check "and canary at WORKTREE with 1" grep -q '^canary    WORKTREE      -        1$' "$scratch/channels.txt"
"$stamp" -C "$r" show evergreen > "$scratch/show"
check "show names the customer's channel" test "$(head -n 1 "$scratch/show")" = "# channel canary: WORKTREE"
"$stamp" -C "$r" show acme > "$scratch/show"
check "and the resolved commit of a revision" \
	test "$(head -n 1 "$scratch/show")" = "# channel stable: templates-v1 ($(git -C "$r" rev-parse --short=7 templates-v1))"
# the outputs over all customers use the default channel's set and see every customer
sed -i '1s/^/# canary-only comment\n/' "$r/templates/aggregate/apps-kustomization.yaml"
"$stamp" -C "$r" -q render
check "the app-of-apps renders with the default channel's set, not the working tree's" \
	sh -c "! grep -q 'canary-only' '$r/out/apps/kustomization.yaml'"
check "and lists the canary customer with the others" grep -qx -- '- evergreen.yaml' "$r/out/apps/kustomization.yaml"
check "the DNS tfvars name the canary customer's host" grep -q '"evergreen.app.lunarfront.tech"' "$r/out/terraform/customers.auto.tfvars"
git -C "$r" checkout -q templates/aggregate
# unique: values hold across channels
printf 'plan: starter\nimage: {tag: "1.0"}\nchannel: canary\ndomains: [shop.acme-outdoor.com]\n' > "$r/customers/zulu.yaml"
"$stamp" -C "$r" check > /dev/null 2> "$scratch/err"
check "a canary customer cannot claim a stable customer's host" \
	grep -q '^customers/zulu.yaml:4:11: error: hosts: "shop.acme-outdoor.com" is already claimed by customers/acme.yaml:5:11 (customer acme)' "$scratch/err"
rm "$r/customers/zulu.yaml"
"$stamp" -C "$r" -q render
git -C "$r" add . && git -C "$r" commit -q -m "channels"
# promoting stable: its 4 customers, nothing else
sed -i 's/revision: templates-v1/revision: templates-v2/' "$r/templates/stamp.yaml"
"$stamp" -C "$r" check > /dev/null 2> "$scratch/err"
check "check after a promotion fails" test $? = 1
check "and says which channel moved, where, and how many customers it leaves out of date" \
	grep -qx "stamp: channel stable moved to $(git -C "$r" rev-parse --short=7 templates-v2): 4 customers out of date" "$scratch/err"
"$stamp" -C "$r" diff --format json > "$scratch/promote.json"
check "diff of the promotion names exactly the promoted customers" python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if sorted(g['customer'] for g in d['groups']) == ['acme','bluebird-music','corner-bikes','delta-repairs'] else 1)" "$scratch/promote.json"
v2=$(git -C "$r" rev-parse --short=7 templates-v2)
"$stamp" -C "$r" diff > "$scratch/promote.txt"
check "the text diff says what is promoted first" test "$(head -n 1 "$scratch/promote.txt")" = "# Promote stable to $v2 (templates-v2): 4 customers"
check "and each group names its channel" grep -q '^# acme \[stable\]: 0 added, 1 changed, 0 removed' "$scratch/promote.txt"
"$stamp" -C "$r" diff --format markdown > "$scratch/promote.md"
check "so does the markdown" grep -qx "\*\*Promote stable to $v2 (templates-v2): 4 customers\*\*" "$scratch/promote.md"
check "json lists the channels, stable moved" python3 -c "import json,sys; d=json.load(open(sys.argv[1])); c={x['name']: (x['moved'], x['customers'], x['revision']) for x in d['channels']}; sys.exit(0 if c == {'stable': (True, 4, 'templates-v2'), 'canary': (False, 0, 'WORKTREE')} else 1)" "$scratch/promote.json"
"$stamp" -C "$r" render > "$scratch/out" 2>&1
check "the render renders the 4 stable customers" grep -q '^5 customers (4 rendered): 4 files written' "$scratch/out"
check "only their namespaces changed" test "$(git -C "$r" status --porcelain out | grep -v stamp-manifest | sort | tr '\n' ' ')" = " M out/customers/acme/namespace.yaml  M out/customers/bluebird-music/namespace.yaml  M out/customers/corner-bikes/namespace.yaml  M out/customers/delta-repairs/namespace.yaml "
"$stamp" -C "$r" commit > "$scratch/out" 2>&1
check "stamp commit names the promotion" test "$(git -C "$r" log -1 --format=%s)" = "Promote stable to $v2: 4 customers"
git -C "$r" add . && git -C "$r" commit -q -m "promote stable"
# a customer that switches channel re-renders alone
sed -i 's/revision: templates-v2/revision: templates-v1/' "$r/templates/stamp.yaml"
"$stamp" -C "$r" -q render
git -C "$r" add . && git -C "$r" commit -q -m "stable back to v1"
printf 'channel: stable\n' >> "$r/customers/corner-bikes.yaml"
"$stamp" -C "$r" render > "$scratch/out" 2>&1
check "writing the default channel out is no change at all" grep -q '(1 rendered): 0 files written' "$scratch/out"
printf 'channel: canary\n' >> "$r/customers/delta-repairs.yaml"
"$stamp" -C "$r" render > "$scratch/out" 2>&1
check "a customer moved to canary re-renders alone" grep -q '^5 customers (1 rendered): 1 file written' "$scratch/out"
check "and gets canary's templates" grep -q 'rollout.example/wave' "$r/out/customers/delta-repairs/namespace.yaml"
# a spec naming no channel, and a stamp.yaml naming none
printf 'channel: canry\n' >> "$r/customers/acme.yaml"
cp "$r/out/.stamp-manifest" "$scratch/manifest-before"
"$stamp" -C "$r" render > /dev/null 2> "$scratch/err"
check "an unknown channel fails (exit 1)" test $? = 1
check "at the spec's line, with the channel meant" \
	grep -q "^customers/acme.yaml:$(grep -c '' "$r/customers/acme.yaml"):10: error: channel: 'canry' is not a channel of templates/stamp.yaml; did you mean 'canary'?" "$scratch/err"
sed -i '$d' "$r/customers/acme.yaml"
sed -i 's/^default_channel: stable$/default_channel: stabel/' "$r/templates/stamp.yaml"
"$stamp" -C "$r" check > /dev/null 2> "$scratch/err"
check "an unknown default channel is refused with a hint" \
	grep -q "^templates/stamp.yaml:[0-9]*:18: error: default_channel: 'stabel' is not one of the channels; did you mean 'stable'?" "$scratch/err"
sed -i 's/^default_channel: stabel$/default_channel: stable/' "$r/templates/stamp.yaml"
# a revision that is not in the clone: refused, nothing written
sed -i 's/revision: templates-v1/revision: templates-v9/' "$r/templates/stamp.yaml"
"$stamp" -C "$r" render > /dev/null 2> "$scratch/err"
check "a missing revision fails (exit 1)" test $? = 1
check "naming the channel, the revision and the fetch" \
	grep -q "^templates/stamp.yaml:[0-9]*:22: error: channels.stable.revision: 'templates-v9' is not in this clone; fetch it (git fetch --tags origin; in CI, check out with fetch-depth: 0)" "$scratch/err"
check "and nothing was written" cmp "$r/out/.stamp-manifest" "$scratch/manifest-before"
sed -i 's/revision: templates-v9/revision: templates-v1/' "$r/templates/stamp.yaml"
# a revision's template set is checked as the working tree's, under the revision's name
git -C "$r" worktree add -q "$scratch/broken-set" templates-v1
sed -i 's/^plans:$/plans: 3\nplanz:/' "$scratch/broken-set/templates/stamp.yaml"
git -C "$scratch/broken-set" commit -q -am "a broken set"
git -C "$r" tag templates-broken "$(git -C "$scratch/broken-set" rev-parse HEAD)"
sed -i 's/revision: templates-v1/revision: templates-broken/' "$r/templates/stamp.yaml"
# a third channel naming the same commit by its sha shares the set loaded for the tag
sed -i "s/^default_channel: stable\$/  beta: {revision: $(git -C "$r" rev-parse templates-broken)}\n&/" "$r/templates/stamp.yaml"
"$stamp" -C "$r" check > /dev/null 2> "$scratch/err"
check "a channel's broken set is reported under its revision's name" grep -q '^templates-broken:templates/stamp.yaml:[0-9]*:[0-9]*: error: ' "$scratch/err"
check "a commit two channels name is loaded once: its problems are said once" \
	sh -c "! grep -q '^$(git -C "$r" rev-parse templates-broken):' '$scratch/err'"
sed -i '/^  beta: {revision: /d' "$r/templates/stamp.yaml"
sed -i 's/revision: templates-broken/revision: templates-v1/' "$r/templates/stamp.yaml"
"$stamp" -C "$r" -q render && git -C "$r" add . && git -C "$r" commit -q -m "canary: delta-repairs"
# a shallow clone lacks the tag's commit: the documented error, not a crash
git clone -q --depth 1 --no-tags "file://$r" "$scratch/shallow"
"$stamp" -C "$scratch/shallow" check > /dev/null 2> "$scratch/err"
check "a shallow clone without the revision fails (exit 1)" test $? = 1
check "and says it is shallow and how to fetch" \
	grep -q "error: channels.stable.revision: 'templates-v1' is not in this clone (a shallow clone: its history was not fetched); fetch it (git fetch --tags origin" "$scratch/err"
git -C "$scratch/shallow" fetch -q --tags --unshallow
check "after the fetch it names, check passes" "$stamp" -C "$scratch/shallow" check
# no channels: declared: default_channel alone is refused
rm -rf "$scratch/nochan" && mkdir "$scratch/nochan" && cp -R "$root/templates" "$root/customers" "$scratch/nochan/"
printf 'default_channel: stable\n' >> "$scratch/nochan/templates/stamp.yaml"
"$stamp" -C "$scratch/nochan" check > /dev/null 2> "$scratch/err"
check "default_channel without channels: is refused" grep -q 'error: default_channel: there are no channels: to choose from' "$scratch/err"

# --- no git repository ---
mkdir -p "$scratch/nogit"
cp -R "$root/templates" "$root/customers" "$scratch/nogit/"
GIT_CEILING_DIRECTORIES=$scratch "$stamp" -C "$scratch/nogit" commit >/dev/null 2>"$scratch/err"
check "commit outside a git repository exits 2" test $? = 2
check "and says why" grep -q 'not a git repository' "$scratch/err"
# channels at revisions need the history; outside a clone they are refused once, at the first
printf 'channels:\n  stable: {revision: v1}\n  beta: {revision: v2}\ndefault_channel: stable\n' >> "$scratch/nogit/templates/stamp.yaml"
GIT_CEILING_DIRECTORIES=$scratch "$stamp" -C "$scratch/nogit" check >/dev/null 2>"$scratch/err"
check "channels outside a git repository: exit 1" test $? = 1
check "one error, at the first revision, with the way out" test "$(grep -c 'error: channels: a revision is read from git.s history, but not a git repository.*; render in a clone, or pin every channel to WORKTREE$' "$scratch/err")" = 1

report git
