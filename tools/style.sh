#!/bin/sh
# The house style rules a script can check (STYLE.md): tabs for indent,
# no trailing white space, lines of at most 100 columns (80 is the soft
# limit), and banned.h included last in every C file.
set -u
bad=0
files=$(git ls-files 'src/*.c' 'include/*.h' 'tests/*.c' 'tools/*.c' 2>/dev/null ||
	find src include tests tools -name '*.[ch]')
for f in $files; do
	if grep -n '[[:space:]]$' "$f" >/dev/null; then
		grep -n '[[:space:]]$' "$f" | sed "s|^|$f:|;s|$| (trailing white space)|"
		bad=1
	fi
	if grep -n '^  *[^ *]' "$f" | grep -v '^[0-9]*: \*' >/dev/null; then
		grep -n '^  *[^ *]' "$f" | sed "s|^|$f:|;s|$| (indent with tabs)|" | head -5
		bad=1
	fi
	awk -v f="$f" '{ gsub(/\t/, "        "); if (length($0) > 100) { printf "%s:%d: line longer than 100 columns\n", f, NR; bad = 1 } } END { exit bad }' "$f" || bad=1
	case $f in
	src/*.c|tests/*.c)
		last=$(grep '^#include' "$f" | tail -n 1)
		if [ "$last" != '#include "torq/banned.h"' ]; then
			echo "$f: the last #include must be \"torq/banned.h\""
			bad=1
		fi ;;
	esac
done
[ $bad = 0 ] && echo "style: ok"
exit $bad
