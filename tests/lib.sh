# Shared by the shell suites (sourced from the project root): a scratch directory removed
# on exit, pass/fail counters, and check, which runs a command that must succeed and, when
# it does not, prints FAIL with the description and the first lines of its output.
passed=0
failed=0
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# strace_log LOG COMMAND...: traces COMMAND and its threads into LOG, each call on one
# line: strace -f splits a call that another thread interrupts into "<unfinished ...>"
# and "<... resumed>" lines, so a pattern over a call and its result would miss it; one
# file per thread (-ff), joined after, never splits. LeakSanitizer cannot run under
# ptrace: a sanitized build leaves it out here. Returns COMMAND's status.
strace_log() {
	strace_out=$1
	shift
	rm -f "$strace_out".part.*
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -ff -qq -o "$strace_out.part" "$@"
	strace_status=$?
	cat "$strace_out".part.* > "$strace_out"
	rm -f "$strace_out".part.*
	return $strace_status
}

check() { # description, then a command that must succeed
	what=$1
	shift
	if "$@" >"$scratch/.check-log" 2>&1; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL $what"
		sed 's/^/    /' "$scratch/.check-log" | head -20
	fi
}

# The suite's last line: "<name>: N passed, N failed"; the exit status says whether all passed.
report() {
	echo "$1: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}
