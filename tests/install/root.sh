#!/bin/sh
# make debcheck-root: tests/install/root.sh DEB
# The package installed for real (dpkg -i, as root): the programs on
# PATH, `man torq-apply` and `man torq-sim`, the completion loaded the way
# bash-completion loads it; then dpkg -r removes every file. CI runs it;
# it changes the machine, so make check does not.
set -eu
deb=$1
if [ "$(id -u)" != 0 ]; then
	echo "debcheck-root: needs root (dpkg -i); run it as root or with sudo" >&2
	exit 1
fi
if dpkg-query -W -f='${Status}' torq-apply 2>/dev/null | grep -q 'ok installed'; then
	echo "debcheck-root: torq-apply is already installed; remove it first" >&2
	exit 1
fi
fail() {
	echo "FAIL debcheck-root: $*" >&2
	dpkg -r torq-apply > /dev/null 2>&1 || true
	exit 1
}
dpkg -i "$deb" > /dev/null || fail "dpkg -i $deb"
files=$(dpkg -L torq-apply | while read -r f; do [ -f "$f" ] && echo "$f"; done)
[ "$(command -v torq-apply)" = /usr/bin/torq-apply ] || fail "torq-apply is not on PATH"
torq-apply version | grep -q '^torq-apply ' || fail "torq-apply version"
torq-sim --help > /dev/null 2>&1 || fail "torq-sim --help"
for p in torq-apply torq-sim; do
	MANWIDTH=80 man -P cat "$p" 2> /dev/null | grep -q '^NAME' ||
		fail "man $p does not render"
done
bash -c '. /usr/share/bash-completion/bash_completion
	_completion_loader torq-apply 2>/dev/null || __load_completion torq-apply
	complete -p torq-apply' | grep -q _torq_apply ||
	fail "bash-completion does not load the completion for torq-apply"
dpkg -r torq-apply > /dev/null || fail "dpkg -r torq-apply"
for f in $files; do
	case $f in /usr/share/doc/*) ;; *) [ ! -e "$f" ] || fail "dpkg -r left $f" ;; esac
done
echo "debcheck-root: installed, used (version, man pages, completion) and removed"
