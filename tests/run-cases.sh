#!/bin/sh
# Golden-file tests of the command line: run-cases.sh BINARY DIR...
#
# Each case is a directory holding
#   args     the arguments after torq-apply, as shell words (required)
#   env      optional lines NAME=VALUE added to a clean environment
#   stdout   expected standard output (absent: empty)
#   stderr   expected standard error (absent: empty)
#   exit     expected exit code (absent: 0)
# plus the files the command reads. The command runs inside the case
# directory with NO_COLOR=1. UPDATE=1 rewrites the expected files from what
# the binary does now (review the diff before committing). VALGRIND, when
# set, prefixes the command.
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
shift
pass=0
fail=0
failed=""
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for dir in $(find "$@" -name args -type f | sort); do
	case_dir=$(dirname "$dir")
	name=${case_dir#tests/cases/}
	want_exit=0
	[ -f "$case_dir/exit" ] && want_exit=$(cat "$case_dir/exit")
	(
		cd "$case_dir" || exit 125
		set -f
		# shellcheck disable=SC2046
		eval "set -- $(cat args)"
		envs=""
		[ -f env ] && envs=$(cat env)
		# shellcheck disable=SC2086
		env -i PATH="$PATH" HOME="$HOME" NO_COLOR=1 $envs \
			${VALGRIND:-} "$bin" "$@" >"$tmp/stdout" 2>"$tmp/stderr"
	)
	got_exit=$?
	if [ "${UPDATE:-}" = 1 ]; then
		for f in stdout stderr; do
			if [ -s "$tmp/$f" ]; then
				cp "$tmp/$f" "$case_dir/$f"
			else
				rm -f "$case_dir/$f"
			fi
		done
		if [ "$got_exit" = 0 ]; then
			rm -f "$case_dir/exit"
		else
			echo "$got_exit" >"$case_dir/exit"
		fi
		want_exit=$got_exit
	fi
	ok=1
	for f in stdout stderr; do
		want=/dev/null
		[ -f "$case_dir/$f" ] && want="$case_dir/$f"
		if ! diff -u "$want" "$tmp/$f" >"$tmp/diff" 2>&1; then
			ok=0
			echo "--- $name: $f differs"
			sed 's/^/    /' "$tmp/diff"
		fi
	done
	if [ "$got_exit" != "$want_exit" ]; then
		ok=0
		echo "--- $name: exit $got_exit, expected $want_exit"
	fi
	if [ $ok = 1 ]; then
		echo "PASS $name"
		pass=$((pass + 1))
	else
		echo "FAIL $name"
		fail=$((fail + 1))
		failed="$failed $name"
	fi
done

echo "cases: $pass passed, $fail failed"
[ -n "$failed" ] && echo "failed:$failed"
[ $fail = 0 ] && [ $pass -gt 0 ]
