#!/bin/sh
# Run cmocka test programs (under $VALGRIND when set) and total them.
set -u
pass=0
fail=0
bad=""
for t in "$@"; do
	out=$(${VALGRIND:-} "$t" 2>&1)
	rc=$?
	printf '%s\n' "$out" | grep -E '^\[  (FAILED|ERROR)|^\[ +FAILED|^\[  PASSED' || true
	p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p')
	f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p')
	pass=$((pass + ${p:-0}))
	fail=$((fail + ${f:-0}))
	if [ $rc != 0 ]; then
		printf '%s\n' "$out" | tail -n 30
		echo "FAIL $(basename "$t") (exit $rc)"
		bad="$bad $(basename "$t")"
		[ -z "$f" ] && fail=$((fail + 1))
	else
		echo "PASS $(basename "$t")"
	fi
done
echo "unit: $pass passed, $fail failed"
[ -z "$bad" ]
