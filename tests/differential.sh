#!/bin/sh
# Run tests/differential.py over every manifest in the tree: the examples
# and each validate case (with that case's --var arguments).
set -eu
tool=$1
py=/usr/bin/python3
if ! $py -c 'import jsonschema' 2>/dev/null; then
	echo "differential: python3-jsonschema is missing; run 'make deps'" >&2
	exit 1
fi
abs=$(cd "$(dirname "$tool")" && pwd)/$(basename "$tool")
jobs=$(mktemp)
trap 'rm -f "$jobs"' EXIT
{
	# The shipped examples, not a user's own files beside them.
	$py -c 'import sys; sys.path.insert(0, "tests/lib"); import shipped
for p in shipped.files(".", "manifests/examples"):
	if p.endswith(".yaml") and p.count("/") == 2: print(p)'
	for a in $(find tests/cases -name args -type f | sort); do
		d=$(dirname "$a")
		set -f
		eval "set -- $(cat "$a")"
		set +f
		[ "${1:-}" = validate ] || continue
		shift
		files=""
		vars=""
		while [ $# -gt 0 ]; do
			case $1 in
			--var) vars="$vars	${2:-}"; [ $# -gt 1 ] && shift ;;
			--var=*) vars="$vars	${1#--var=}" ;;
			-*) ;;
			*) files="$files $1" ;;
			esac
			shift
		done
		for f in $files; do
			[ -f "$d/$f" ] && printf '%s%s\n' "$d/$f" "$vars"
		done
	done
} >"$jobs"
echo "differential: $(wc -l <"$jobs") manifests to judge"
$py tests/differential.py "$abs" schema/manifest.schema.json <"$jobs"
