#!/bin/sh
# Makes sure the build dependencies are present. As root on Debian it installs what is
# missing with apt-get; otherwise it prints the one command to run and fails.
# Usage: scripts/deps.sh [--test]   (--test adds what the test suites use)
set -eu

need=""
check_pkg() { # pkg-config module, Debian package
	pkg-config --exists "$1" 2>/dev/null || need="$need $2"
}
check_cmd() { # command, Debian package
	command -v "$1" >/dev/null 2>&1 || need="$need $2"
}

check_cmd cc gcc
check_cmd pkg-config pkg-config
if command -v pkg-config >/dev/null 2>&1; then
	check_pkg yaml-0.1 libyaml-dev
	check_pkg libgit2 libgit2-dev
	check_pkg libxxhash libxxhash-dev
	check_pkg libpcre2-8 libpcre2-dev
else
	need="$need libyaml-dev libgit2-dev libxxhash-dev libpcre2-dev"
fi
if [ "${1:-}" = "--test" ]; then
	# PyYAML: the YAML 1.1 reader the escaping tests read rendered output back with.
	/usr/bin/python3 -c 'import yaml' 2>/dev/null || need="$need python3-yaml"
	# git: the git tests check what stamp commits against the git CLI.
	check_cmd git git
	# the hooks as shipped, run by the pre-commit framework itself
	check_cmd pre-commit pre-commit
	# the Gitea workflow's comment step, run as written
	check_cmd jq jq
	# the fault suite: strace injects the failures, util-linux mounts, limits and
	# drops privileges, flock holds a lock as a running stamp does
	check_cmd strace strace
	check_cmd unshare util-linux
	check_cmd setpriv util-linux
	check_cmd prlimit util-linux
	check_cmd flock util-linux
	# the fuzz targets: clang with its libFuzzer runtime
	check_cmd clang clang
	if command -v dpkg >/dev/null 2>&1 && ! dpkg -s libclang-rt-dev >/dev/null 2>&1; then
		need="$need libclang-rt-dev"
	fi
fi

[ -z "$need" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "installing:$need" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2
	apt-get install -y -qq --no-install-recommends $need >&2
	exit 0
fi
echo "missing build dependencies; run:" >&2
echo "  sudo apt-get install$need" >&2
exit 1
