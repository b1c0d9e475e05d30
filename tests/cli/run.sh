#!/bin/sh
# The command line as git, kubectl and helm users type it: global options (-C, -j, -q,
# --color) anywhere, --opt value and --opt=value, bundled short flags, -- ending the
# options, stamp version, stamp diff REV. (Refusals and their "did you mean" are cases
# in tests/errors/.)
# Usage: tests/cli/run.sh STAMP_BINARY
set -u
stamp=$1
cd "$(dirname "$0")/../.."
root=$(pwd)
. tests/lib.sh

r=$scratch/repo
mkdir -p "$r"
cp -R "$root/templates" "$root/customers" "$r/"

quiet_ok() { # description, args...: exit 0 and nothing on stdout or stderr
	what=$1
	shift
	"$stamp" "$@" >"$scratch/out" 2>&1
	check "$what (exit 0)" test $? = 0
	check "$what (quiet: no output)" test ! -s "$scratch/out"
}
quiet_ok "-q after the command" -C "$r" render -q
quiet_ok "-C after the command" check -q -C "$r"
quiet_ok "a bundle of global flags before the command" -qj2 -C "$r" check
quiet_ok "a bundle of global flags after the command" -C "$r" check -qj2
quiet_ok "-j N and --jobs=N" -C "$r" -j 2 check --jobs=1 -q
quiet_ok "--quiet" --quiet -C "$r" check
quiet_ok "-CDIR" "-C$r" check -q
"$stamp" --color never -C "$r" check >"$scratch/out" 2>&1
check "--color WHEN takes the next word as its value" grep -q '^5 customers valid; out/ is up to date' "$scratch/out"
"$stamp" -C "$r" check --color=always -q -- >"$scratch/out" 2>&1
check "--color=WHEN after the command, and -- with nothing after it" test $? = 0
# --color alone means always; the word after it stays the command's
printf 'plan: nope\nimage: {tag: "1"}\n' > "$r/customers/zz.yaml"
"$stamp" -C "$r" --color check 2>"$scratch/err" >/dev/null
check "--color alone colours the diagnostics" grep -q "$(printf '\033')\[" "$scratch/err"
"$stamp" -C "$r" check --color=never 2>"$scratch/err" >/dev/null
check "--color=never after the command leaves them plain" sh -c "! grep -q '$(printf '\033')' '$scratch/err'"
rm "$r/customers/zz.yaml"

# --format json|github: the diagnostics for tools, on stdout
f=$scratch/formats
mkdir -p "$f"
cp -R "$root/templates" "$f/"
cp -R tests/errors/spec-host-conflict/customers "$f/"
echo 'subdomain: acme' >> "$f/customers/acme.yaml"
printf 'plan: standrd\nimage: {tag: "1"}\n' > "$f/customers/zz.yaml"
"$stamp" -C "$f" check --format json >"$scratch/json" 2>"$scratch/err"
check "json: check fails as in text (exit 1)" test $? = 1
check "json: stdout holds one JSON object per diagnostic and nothing else" python3 -c "
import json, sys
lines = open(sys.argv[1]).read().splitlines()
objs = [json.loads(l) for l in lines]
assert len(objs) == 2, objs
host, plan = objs
assert host == {'file': 'customers/bravo.yaml', 'line': 1, 'column': 12, 'severity': 'error',
    'message': 'hosts: \"acme.app.lunarfront.tech\" is already claimed by customers/acme.yaml:3:12 (customer acme)',
    'fix': 'each must belong to one customer, change one of them',
    'related': {'file': 'customers/acme.yaml', 'line': 3, 'column': 12}}, host
assert plan['file'] == 'customers/zz.yaml' and plan['line'] == 1 and plan['column'] == 7, plan
assert plan['fix'] == \"did you mean 'standard'?\" and plan['related'] is None, plan
" "$scratch/json"
check "json: the summary stays on stderr, for people" grep -qx 'stamp: 2 errors in 2 files' "$scratch/err"
"$stamp" -C "$f" check --format github >"$scratch/github" 2>/dev/null
check "github: one workflow command per diagnostic, at its line" grep -qx "::error file=customers/bravo.yaml,line=1,col=12::hosts: \"acme.app.lunarfront.tech\" is already claimed by customers/acme.yaml:3:12 (customer acme); each must belong to one customer, change one of them" "$scratch/github"
check "github: the second one too" test "$(grep -c '^::error ' "$scratch/github")" = 2
"$stamp" -C "$f" render --format=json >"$scratch/json" 2>/dev/null
check "json: render's diagnostics too" test "$(grep -c '^{"file":' "$scratch/json")" = 2
"$stamp" -C "$f" show zz --format github >"$scratch/github" 2>/dev/null
check "github: show's errors too" grep -q '^::error file=customers/zz.yaml,line=1,col=7::plan: ' "$scratch/github"
"$stamp" -C "$f" check --format xml >/dev/null 2>"$scratch/err"
check "--format with another value is refused with the choices" grep -qx "stamp: error: --format takes text, json or github, not 'xml'" "$scratch/err"
# a file name with a line break and a percent sign cannot break the one-line forms
printf 'plan: nope\nimage: {tag: "1"}\n' > "$f/customers/$(printf 'a%%b\nc').yaml"
"$stamp" -C "$f" check --format github >"$scratch/github" 2>/dev/null
check "github: escapes what would end the command" sh -c "grep -c '^::error' '$scratch/github' | grep -qx 3 && test \$(grep -c . '$scratch/github') = 3"
"$stamp" -C "$f" check --format json >"$scratch/json" 2>/dev/null
check "json: still one object per line" python3 -c "import json,sys; [json.loads(l) for l in open(sys.argv[1]).read().splitlines()]" "$scratch/json"

# stamp version: stamp's own and the libraries' it runs with
"$stamp" version >"$scratch/version"
check "version: stamp's version first" test "$(sed -n 1p "$scratch/version")" = "stamp $(cat VERSION)"
if command -v pkg-config >/dev/null 2>&1; then
	check "version: libyaml" test "$(sed -n 2p "$scratch/version")" = "libyaml $(pkg-config --modversion yaml-0.1)"
	check "version: libgit2" test "$(sed -n 3p "$scratch/version")" = "libgit2 $(pkg-config --modversion libgit2)"
	check "version: PCRE2" sh -c "sed -n 4p '$scratch/version' | grep -q '^PCRE2 $(pkg-config --modversion libpcre2-8)'"
	check "version: xxHash" test "$(sed -n 5p "$scratch/version")" = "xxHash $(pkg-config --modversion libxxhash)"
else
	echo "cli: the libraries' versions against pkg-config: skipped (pkg-config is not installed)"
fi
"$stamp" --version >"$scratch/v2"
check "--version prints the same" cmp -s "$scratch/version" "$scratch/v2"
"$stamp" -C "$r" check --version >"$scratch/v3"
check "and so does --version after a command" cmp -s "$scratch/version" "$scratch/v3"
check "help version explains it" sh -c "'$stamp' help version | grep -q '^usage: stamp version'"

# -mVALUE, and the revision as diff's word
if command -v git >/dev/null 2>&1; then
	git -C "$r" init -q -b main
	"$stamp" -C "$r" -q render
	git -C "$r" add . && git -C "$r" commit -q -m sources
	sed -i 's/LOG_LEVEL: info/LOG_LEVEL: debug/' "$r/customers/acme.yaml"
	"$stamp" -C "$r" diff HEAD >"$scratch/d1"
	"$stamp" -C "$r" diff --base HEAD >"$scratch/d2"
	check "stamp diff REV is stamp diff --base REV" cmp -s "$scratch/d1" "$scratch/d2"
	check "and shows the change" grep -q '^+++ b/out/customers/acme/configmap.yaml' "$scratch/d1"
	"$stamp" -C "$r" diff HEAD --base HEAD >/dev/null 2>"$scratch/err"
	check "a revision given twice is refused (exit 2)" test $? = 2
	check "and says so" grep -q "^stamp: error: a revision is given twice ('HEAD' and --base HEAD); give one" "$scratch/err"
	# the pager: only on a terminal (script(1) gives the run one), as git pages
	STAMP_PAGER="cat > '$scratch/paged3'" "$stamp" -C "$r" diff >/dev/null
	check "not a terminal: no pager" test ! -e "$scratch/paged3"
	if command -v script >/dev/null 2>&1; then
		STAMP_PAGER="cat > '$scratch/paged'" script -qec "'$stamp' -C '$r' diff" /dev/null >/dev/null 2>&1
		check "on a terminal, diff goes through STAMP_PAGER" grep -q '+++ b/out/customers/acme/configmap.yaml' "$scratch/paged"
		check "in colour, as the terminal would show it" grep -q "$(printf '\033')\[32m+" "$scratch/paged"
		STAMP_PAGER="cat > '$scratch/paged1'" script -qec "'$stamp' -C '$r' diff --no-pager" /dev/null >/dev/null 2>&1
		check "--no-pager does not page" test ! -e "$scratch/paged1"
		env -u STAMP_PAGER PAGER="cat > '$scratch/paged2'" script -qec "'$stamp' -C '$r' diff" /dev/null >/dev/null 2>&1
		check "PAGER when STAMP_PAGER is not set" grep -q '+++ b/out/customers/acme/configmap.yaml' "$scratch/paged2"
		STAMP_PAGER= PAGER="cat > '$scratch/paged4'" script -qec "'$stamp' -C '$r' diff" /dev/null >/dev/null 2>&1
		check "an empty STAMP_PAGER pages nothing" test ! -e "$scratch/paged4"
	else
		echo "cli: the pager on a terminal: skipped (script is not installed)"
	fi
	"$stamp" -C "$r" -q commit "-macme: debug logs" 2>/dev/null
	check "-mMESSAGE sets the subject" test "$(git -C "$r" log -1 --format=%s)" = "acme: debug logs"
else
	echo "cli: diff REV and commit -mMESSAGE: skipped (git is not installed)"
fi

# completion: the bash script, sourced in bash and asked as bash asks
if command -v bash >/dev/null 2>&1; then
	"$stamp" completion bash > "$scratch/completion.bash"
	complete_words() { # words..., the last one the word being completed: the candidates, sorted
		(cd "$r" && bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _stamp
			printf "%s\n" "${COMPREPLY[@]}"' bash "$scratch/completion.bash" "$@") | sort | tr '\n' ' '
	}
	check "completion: a command" test "$(complete_words stamp di)" = "diff "
	check "completion: the commands stamp has beyond the table" test "$(complete_words stamp ver)" = "version "
	check "completion: a command's options" test "$(complete_words stamp diff --)" = "--base --color --exit-code --format --help --jobs --no-pager --quiet --version "
	check "completion: an option's values" test "$(complete_words stamp diff --format "")" = "json markdown text "
	check "completion: --escape's modes" test "$(complete_words stamp mustache --escape j)" = "json "
	check "completion: --color's values, anywhere" test "$(complete_words stamp render --color n)" = "never "
	check "completion: customer ids after show" test "$(complete_words stamp show "")" = "acme bluebird-music corner-bikes delta-repairs evergreen "
	check "completion: ids from the repository -C names" test "$(cd / && bash -c 'source "$1"; COMP_WORDS=(stamp -C "$2" show ac); COMP_CWORD=4; _stamp; echo "${COMPREPLY[*]}"' bash "$scratch/completion.bash" "$r")" = "acme"
	check "completion: after a global option, still the command" test "$(complete_words stamp -q -j 2 ren)" = "render "
	check "completion: help completes commands" test "$(complete_words stamp help com)" = "commit completion "
	check "completion: completion completes shells" test "$(complete_words stamp completion "")" = "bash fish zsh "
else
	echo "cli: bash completion: skipped (bash is not installed)"
fi
"$stamp" completion zsh > "$scratch/completion.zsh"
check "completion: zsh's is bash's through bashcompinit" sh -c "head -n 1 '$scratch/completion.zsh' | grep -qx '#compdef stamp' && grep -q '^complete -F _stamp stamp$' '$scratch/completion.zsh'"
if command -v zsh >/dev/null 2>&1; then
	check "completion: zsh reads it" zsh -n "$scratch/completion.zsh"
else
	echo "cli: zsh completion syntax: skipped (zsh is not installed)"
fi
"$stamp" completion fish > "$scratch/completion.fish"
check "completion: fish gets diff's formats" grep -q "^complete -c stamp -n '__fish_seen_subcommand_from diff' -l format -xa 'text markdown json'$" "$scratch/completion.fish"
if command -v fish >/dev/null 2>&1; then
	check "completion: fish reads it" fish --no-execute "$scratch/completion.fish"
else
	echo "cli: fish completion syntax: skipped (fish is not installed)"
fi
# the man page: renders without a warning, names stamp's version, and holds exactly the
# options each command's help names (and the help every option the page names)
check "man: names this version" grep -q "^\.TH STAMP 1 .* \"stamp $(cat VERSION)\"" man/stamp.1
if command -v groff >/dev/null 2>&1; then
	check "man: groff -ww renders it without a warning" sh -c "test -z \"\$(groff -ww -z -man man/stamp.1 2>&1)\""
else
	echo "cli: the man page's rendering: skipped (groff is not installed)"
fi
for cmd in check commit diff mustache render show; do
	"$stamp" help "$cmd" > "$scratch/help-$cmd"
	check "man: the options of '$cmd' agree with its help" python3 -c "
import re, sys
cmd, help_file, page = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(page).read()
section = re.search(r'^\.SS \"stamp ' + cmd + r'\b.*?(?=^\.S[SH] )', text, re.S | re.M).group(0)
words = r'(?:^|(?<=[\s\[,(]))(--?[a-zA-Z][a-zA-Z-]*)(?=[\s\]=,)]|$)'
in_page = set(re.findall(words, re.sub(r'\\\\f[BIR]', '', section.replace('\\\\-', '-'))))
in_help = set(re.findall(r'(?:^|(?<=[\s\[,(]))(--?[a-zA-Z][a-zA-Z-]*)(?=[\s\]=,)]|$)', open(help_file).read()))
missing, extra = in_help - in_page, in_page - in_help
if missing or extra:
    sys.exit('help only: %s; page only: %s' % (sorted(missing), sorted(extra)))
" "$cmd" "$scratch/help-$cmd" man/stamp.1
done
"$stamp" --help > "$scratch/help-overview"
check "man: the global options agree with the overview" python3 -c "
import re, sys
text = open(sys.argv[2]).read()
section = re.search(r'^\.SH GLOBAL OPTIONS.*?(?=^\.SH )', text, re.S | re.M).group(0)
words = r'(?:^|(?<=[\s\[,(]))(--?[a-zA-Z][a-zA-Z-]*)(?=[\s\]=,)]|$)'
in_page = set(re.findall(words, re.sub(r'\\\\f[BIR]', '', section.replace('\\\\-', '-'))))
overview = open(sys.argv[1]).read().split('options', 1)[1]
in_help = set(re.findall(r'(?:^|(?<=[\s\[,(]))(--?[a-zA-Z][a-zA-Z-]*)(?=[\s\]=,)]|$)', overview))
if in_help != in_page:
    sys.exit('overview only: %s; page only: %s' % (sorted(in_help - in_page), sorted(in_page - in_help)))
" "$scratch/help-overview" man/stamp.1

"$stamp" completion tcsh >/dev/null 2>"$scratch/err"
check "completion: another shell is refused (exit 2)" test $? = 2
check "completion: naming the shells there are" grep -q "^stamp: error: no completion for 'tcsh'; there is one for bash, zsh and fish$" "$scratch/err"

# --- make builds in parallel by default, one job per core; -j1 still builds serially ---
# A compiler that logs when each compilation starts and ends shows whether two overlap.
cat > "$scratch/cc" <<EOF
#!/bin/sh
echo "+" >> "$scratch/cc.log"
sleep 0.3
${CC:-cc} "\$@"
rc=\$?
echo "-" >> "$scratch/cc.log"
exit \$rc
EOF
chmod +x "$scratch/cc"
most_at_once() { awk '$1 == "+" { n++; if (n > m) m = n } $1 == "-" { n-- } END { print m + 0 }' "$scratch/cc.log"; }
objects() { for o in alloc arena array buf; do echo "$1/obj/$o.o"; done; }
if [ "$(nproc)" -ge 2 ]; then
	: > "$scratch/cc.log"
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s CC="$scratch/cc" BUILD="$scratch/pbuild" $(objects "$scratch/pbuild") >/dev/null 2>&1
	check "make: without -j, compilations run side by side" test "$(most_at_once)" -ge 2
	: > "$scratch/cc.log"
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -j1 CC="$scratch/cc" BUILD="$scratch/sbuild" $(objects "$scratch/sbuild") >/dev/null 2>&1
	check "make: with -j1, one at a time" test "$(most_at_once)" = 1
	check "make: and the objects were built" test -s "$scratch/sbuild/obj/buf.o"
else
	echo "  cli: make's parallel build: skipped (one core)"
fi

# --- one form for every message: "path:line:col: error: ..." or "stamp: error: ..." (also
# warning and note), and a summary line "stamp: <counts>" ---
styled() { # file: every line is a diagnostic of one form, or a summary
	! grep -Ev '^(stamp|[^ :][^:]*(:[0-9]+:[0-9]+)?): (error|warning|note): |^stamp: ([0-9]+ errors?[ ;]|the template set has [0-9]+ errors?$|out/ is not in sync )' "$1"
}
m=$scratch/messages
mkdir -p "$m/nogit" && cp -R "$root/templates" "$root/customers" "$m/nogit/"
"$stamp" -C "$m/nogit" diff >/dev/null 2>"$m/1"
check "style: outside a git repository" grep -q '^stamp: error: not a git repository' "$m/1"
git -C "$m/nogit" init -q -b main && git -C "$m/nogit" add . && git -C "$m/nogit" -c user.name=t -c user.email=t@t commit -q -m sources
"$stamp" -C "$m/nogit" diff nosuchrev >/dev/null 2>"$m/2"
check "style: an unknown revision" grep -q "^stamp: error: unknown revision 'nosuchrev'" "$m/2"
git -C "$m/nogit" checkout -q --detach
GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@t GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@t "$stamp" -C "$m/nogit" commit >/dev/null 2>"$m/3"
check "style: a detached HEAD" grep -q '^stamp: error: HEAD is detached' "$m/3"
"$stamp" -C "$m/absent" check >/dev/null 2>"$m/4"
"$stamp" -C "$m/nogit" show nobody >/dev/null 2>"$m/5"
"$stamp" -C "$m/nogit" check --format xml >/dev/null 2>"$m/6"
"$stamp" -C "$m/nogit" frobnicate >/dev/null 2>"$m/7"
printf 'plan: nope\n' > "$m/nogit/customers/zz.yaml"
"$stamp" -C "$m/nogit" render >/dev/null 2>"$m/8"
: > "$m/nogit/.git/index.lock"
"$stamp" -C "$m/nogit" commit --branch x >/dev/null 2>"$m/9"
for f in "$m"/[0-9]; do
	check "style: every line of $(basename "$f") has the one form" styled "$f"
	check "style: $(basename "$f") says something" test -s "$f"
done
for f in tests/errors/*/expected; do
	sed '1d;/^$/d' "$f" > "$m/expected"
	check "style: every message of the case $(basename "$(dirname "$f")")" styled "$m/expected"
done
(cd / && "$stamp" -C "$r" show acm) >/dev/null 2>"$m/show"
check "show's hint looks in the repository of -C, not the current directory" grep -q "did you mean 'acme'?$" "$m/show"
printf 'error: HEAD is detached\nstamp: unknown option\n' > "$m/bad"
unstyled() { if styled "$1" >/dev/null; then return 1; fi; }
check "style: the check refuses the forms this replaced" unstyled "$m/bad"

# the write pass says how far it is, on a terminal only, once it has run for a second
p=$scratch/progress
mkdir -p "$p/customers"
cp -R "$root/templates" "$p/"
i=0
while [ $i -lt 3000 ]; do
	printf 'plan: starter\nimage:\n  tag: "1.0.%d"\n' $((i % 50)) > "$p/customers/c$i.yaml"
	i=$((i + 1))
done
if command -v script >/dev/null 2>&1; then
	start=$(date +%s%N)
	script -qec "'$stamp' -C '$p' render" "$p.tty" >/dev/null 2>&1
	took=$(( ($(date +%s%N) - start) / 1000000 ))
	tr '\r' '\n' < "$p.tty" > "$p.lines"
	if [ "$took" -gt 1500 ]; then
		check "a cold render of 3000 customers on a terminal ($took ms) says how far the writing is" \
			grep -q '^stamp: writing [0-9]*/3000 customers$' "$p.lines"
		check "and clears the line before its summary" \
			grep -q "$(printf '\033')\[K3000 customers (3000 rendered): 42003 files written" "$p.lines"
	else
		echo "cli: progress on a terminal: skipped (the render took $took ms, under the second before it shows)"
	fi
else
	echo "cli: progress on a terminal: skipped (script is not installed)"
fi
rm -rf "$p/out"
"$stamp" -C "$p" render >/dev/null 2>"$p.err"
check "with stderr not a terminal, no progress is written" test ! -s "$p.err"
rm -rf "$p" "$p.tty" "$p.lines" "$p.err"

report cli
