# Shared by the fault suites (sourced after tests/lib.sh): running stamp under strace,
# a fresh copy of a state per run, and the sweep that injects a fault at every N-th
# call of a syscall. The suite sets $stamp, $stride and $fault_command (the stamp
# command injected into) and defines verify LABEL STATE CATCHABLE STATUS.

# LeakSanitizer cannot run under ptrace: the traced runs leave leak checking to the
# untraced ones (every other run here and in the other suites). With a seccomp filter
# only the traced syscall stops the process: a run costs what it costs untraced, not
# twenty times more. strace delivers no injected signal under the filter, so runs that
# inject one go without it (and the sweep below checks that the signal came).
strace_filter=
strace --seccomp-bpf -f -qq -o /dev/null -e trace=write true 2>/dev/null && strace_filter=--seccomp-bpf
traced() {
	case "$*" in
	*inject=*:signal=*) filter= ;;
	*) filter=$strace_filter ;;
	esac
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace $filter "$@"
}

# Counts one run that verify looked at: passed when it found nothing wrong ($ok is
# 1), else one FAIL line with what it found ($why).
verdict() { # label
	if [ "$ok" = 1 ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL $1:$why"
	fi
}

fresh_work() { # state
	work=$scratch/w
	rm -rf "$work"
	cp -a "$scratch/$1" "$work"
}

# How many times the command, from state, calls a syscall (its busiest thread).
count_calls() { # state, syscall
	fresh_work "$1"
	traced -f -qq -o "$work.log" -e trace="$2" "$stamp" -C "$work" -j1 -q "$fault_command" >/dev/null 2>&1
	awk '{ n[$1]++ } END { m = 0; for (t in n) if (n[t] > m) m = n[t]; print m }' "$work.log"
}

# sweep STATE SYSCALL INJECTION CATCHABLE [FIRST]: every STRIDE-th N from FIRST (1) to
# the count
sweep() {
	state=$1 call=$2 what=$3 catchable=$4
	total=$(count_calls "$state" "$call")
	runs=0 n=${5:-1}
	while [ "$n" -le "$total" ]; do
		fresh_work "$state"
		traced -f -qq -o /dev/null -e trace="$call" -e inject="$call:$what:when=$n" \
			"$stamp" -C "$work" -j1 -q "$fault_command" >/dev/null 2>"$work.err"
		rc=$?
		# a signal at a call the run makes always ends it: exit 0 would mean it never came
		case "$what" in
		signal=*) [ $rc != 0 ] || { failed=$((failed + 1)); echo "FAIL $state $call:$what:when=$n: exit 0, no signal"; } ;;
		esac
		verify "$state $call:$what:when=$n" "$state" "$catchable" $rc
		runs=$((runs + 1))
		n=$((n + stride))
	done
	echo "  $state: $call:$what at each of $total calls: $runs runs"
}

# thinned K SWEEP-ARGUMENTS...: a sweep that tries every K-th of the N it would try,
# where the runs take the same path or a kind of call repeats (the budget of make test
# is 15 minutes)
thinned() {
	every=$stride
	stride=$((every * $1))
	shift
	sweep "$@"
	stride=$every
}
