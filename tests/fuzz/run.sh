#!/bin/sh
# Run the libFuzzer harnesses built in build/fuzz: first every regression
# input of tests/fuzz/regressions-NAME (each once, as a test), then
# coverage-guided fuzzing for SECONDS per harness from the seed corpus kept
# under tests/ (plus what earlier runs found, in build/fuzz/corpus-NAME).
# A crash, leak, timeout or sanitizer report fails the run; the input is
# saved in build/fuzz/crashes/ and belongs in tests/fuzz/regressions-NAME
# once the bug is fixed.
#
# usage: tests/fuzz/run.sh SECONDS [HARNESS...]    (default: all three)
set -eu
seconds=$1
shift
[ $# -gt 0 ] || set -- manifest api sim
top=$(pwd)
fz=$top/build/fuzz
mkdir -p "$fz/crashes"

# The manifest harness starts from every manifest of the tests and examples.
seeds_manifest() {
	mkdir -p "$fz/seeds-manifest"
	find tests/cases tests/plan/cases manifests -name '*.yaml' |
	while read -r f; do
		cp "$f" "$fz/seeds-manifest/$(printf '%s' "$f" | cksum |
			cut -d' ' -f1).yaml"
	done
	echo "$fz/seeds-manifest"
}

for h in "$@"; do
	bin=$fz/fuzz_$h
	case $h in
	manifest) seeds=$(seeds_manifest); len=4096 ;;
	api) seeds=$top/tests/fuzz/seeds-api; len=8192 ;;
	sim) seeds=$top/tests/fuzz/seeds-sim; len=2048 ;;
	*) echo "run.sh: no harness '$h'" >&2; exit 2 ;;
	esac
	dict=
	[ -f "tests/fuzz/$h.dict" ] && dict=-dict=$top/tests/fuzz/$h.dict
	flags="-rss_limit_mb=2048 -timeout=20 -max_len=$len
		-artifact_prefix=$fz/crashes/$h- -print_final_stats=1"

	reg=tests/fuzz/regressions-$h
	if [ -d "$reg" ] && [ -n "$(ls "$reg")" ]; then
		n=$(ls "$reg" | wc -l)
		if ! "$bin" $flags "$reg"/* >"$fz/$h-regressions.log" 2>&1; then
			tail -40 "$fz/$h-regressions.log"
			echo "fuzz $h: a regression input fails again" >&2
			exit 1
		fi
		echo "fuzz $h: $n regression inputs pass"
	fi

	mkdir -p "$fz/corpus-$h"
	log=$fz/$h.log
	if ! (cd "$fz" && "$bin" $flags $dict -max_total_time="$seconds" \
		"corpus-$h" "$seeds") >"$log" 2>&1; then
		grep -v '^#[0-9]' "$log" | tail -60
		echo "fuzz $h: FAILED; the input is in $fz/crashes/" >&2
		exit 1
	fi
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
	echo "fuzz $h: $runs inputs in ${seconds} s ($speed/s), $cov edges," \
		"corpus $(ls "$fz/corpus-$h" | wc -l), no crash"
done
