# Shared by the shell suites (sourced from the project root): a scratch directory removed
# on exit, pass/fail counters, and check, which runs a command that must succeed and, when
# it does not, prints FAIL with the description and the first lines of its output.
passed=0
failed=0
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

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
