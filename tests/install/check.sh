#!/bin/sh
# make installcheck: tests/install/check.sh DEB
# make install into a temporary DESTDIR: every file with its mode, the
# installed programs run, both manual pages render without a warning and
# name every option the programs' --help prints, the bash completion
# completes commands, options and manifests; make uninstall leaves no
# file. Then the package DEB, unpacked with dpkg -x (never installed: this
# runs in make check): its programs and pages, its dependencies, and
# lintian without an error. Changes nothing outside a temporary directory.
set -u
deb=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
checks=0
fail() {
	echo "FAIL installcheck: $*"
	fails=$((fails + 1))
}
ok() {
	checks=$((checks + 1))
}

dest=$tmp/dest
make --no-print-directory -s install DESTDIR="$dest" PREFIX=/usr > "$tmp/log" 2>&1 ||
	{ cat "$tmp/log"; fail "make install failed"; }
for f in 0755:usr/bin/torq-apply 0755:usr/bin/torq-sim \
	0644:usr/share/man/man1/torq-apply.1 0644:usr/share/man/man1/torq-sim.1 \
	0644:usr/share/bash-completion/completions/torq-apply \
	0644:usr/share/torq-apply/manifest.schema.json; do
	mode=${f%%:*} path=$dest/${f#*:}
	if [ ! -f "$path" ]; then
		fail "make install did not install /${f#*:}"
	elif [ "$(stat -c %a "$path")" != "${mode#0}" ]; then
		fail "/${f#*:} has mode $(stat -c %a "$path"), not $mode"
	else
		ok
	fi
done
if [ "$(find "$dest" -type f | wc -l)" != 6 ]; then
	fail "make install put files it does not list:"
	find "$dest" -type f
fi

# The programs, as installed.
ta=$dest/usr/bin/torq-apply ts=$dest/usr/bin/torq-sim
version=$(sed -n 's/^#define TORQ_VERSION "\(.*\)"/\1/p' include/torq/cli.h)
case $("$ta" version 2>&1) in
"torq-apply $version "*) ok ;;
*) fail "installed torq-apply version prints '$("$ta" version 2>&1)'" ;;
esac
"$ts" --help > /dev/null 2>&1 && ok || fail "installed torq-sim --help fails"

# The pages render without a warning, and name every option of --help.
page() { # page FILE -> rendered text on stdout, warnings in $tmp/warn
	MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings -E UTF-8 -l "$1" \
		2> "$tmp/warn"
}
man_options() { # the options a page's source names
	sed 's/\\-/-/g; s/\\f[BIRP]//g' "$1" |
		grep -o -- '--[a-z][a-z-]*' | sort -u
}
help_options() { # the options a --help prints
	sed -n 's/^  \(-[a-zA-Z], \)\{0,1\}\(--[a-z][a-z-]*\).*/\2/p' | sort -u
}
for p in torq-apply torq-sim; do
	src=$dest/usr/share/man/man1/$p.1
	out=$(page "$src")
	if [ -s "$tmp/warn" ]; then
		fail "man -l $p.1 warns: $(cat "$tmp/warn")"
	elif ! printf '%s\n' "$out" | grep -q '^NAME'; then
		fail "man -l $p.1 renders no NAME section"
	else
		ok
	fi
done
man_options "$dest/usr/share/man/man1/torq-apply.1" > "$tmp/man-ta"
cmds=$("$ta" --help | sed -n '/^commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p')
[ -n "$cmds" ] || fail "torq-apply --help lists no command"
for c in $cmds; do
	grep -q "^\.B.* $c\b\|^\.B $c\$\|^\.B $c " \
		"$dest/usr/share/man/man1/torq-apply.1" && ok ||
		fail "torq-apply(1) does not describe the command '$c'"
	"$ta" "$c" --help 2>/dev/null | help_options > "$tmp/help"
	for o in $(comm -23 "$tmp/help" "$tmp/man-ta"); do
		fail "torq-apply(1) does not name '$c $o'"
	done
	ok
done
man_options "$dest/usr/share/man/man1/torq-sim.1" > "$tmp/man-ts"
"$ts" --help 2>&1 | help_options > "$tmp/help"
for o in $(comm -23 "$tmp/help" "$tmp/man-ts"); do
	fail "torq-sim(1) does not name '$o'"
done

# The completion, in bash, as a shell would call it.
mkdir "$tmp/wd" "$tmp/wd/dir"
touch "$tmp/wd/acme.yaml" "$tmp/wd/globex.yml" "$tmp/wd/notes.txt"
cat > "$tmp/complete.bash" <<EOS
. /usr/share/bash-completion/bash_completion
. "$dest/usr/share/bash-completion/completions/torq-apply"
PATH="$dest/usr/bin:\$PATH"
cd "$tmp/wd"
t() {
	COMP_WORDS=("\$@"); COMP_CWORD=\$((\${#COMP_WORDS[@]} - 1))
	COMP_LINE="\$*"; COMP_POINT=\${#COMP_LINE}; COMPREPLY=()
	_torq_apply
	printf '%s\n' "\${COMPREPLY[@]}" | sort | tr '\n' ' '; echo
}
EOS
comp() { # comp WANT WORDS...: COMPREPLY for WORDS must be WANT
	want=$1
	shift
	args=""
	for w in "$@"; do args="$args '$w'"; done
	got=$(bash -c ". '$tmp/complete.bash'; t $args" 2>&1)
	if [ "$got" = "$want" ]; then
		ok
	else
		fail "completion of '$*' gives '$got', not '$want'"
	fi
}
comp "$(printf '%s\n' $cmds | sort | tr '\n' ' ')" torq-apply ""
comp "plan " torq-apply pl
comp "--detailed-exitcode " torq-apply plan --detailed
comp "acme.yaml dir globex.yml " torq-apply plan ""
comp "acme.yaml dir globex.yml " torq-apply validate a.yaml ""
comp "apply plan summary " torq-apply fleet ""
comp "eu us " torq-apply plan --region ""
for c in $cmds; do
	want=$("$ta" "$c" --help 2>/dev/null | help_options | tr '\n' ' ')
	[ -n "$want" ] || continue
	comp "$want" torq-apply "$c" --
done

make --no-print-directory -s uninstall DESTDIR="$dest" PREFIX=/usr > "$tmp/log" 2>&1 ||
	{ cat "$tmp/log"; fail "make uninstall failed"; }
left=$(find "$dest" -type f)
[ -z "$left" ] && ok || fail "make uninstall left: $left"
[ ! -d "$dest/usr/share/torq-apply" ] && ok ||
	fail "make uninstall left /usr/share/torq-apply"

# The package, unpacked.
x=$tmp/deb
dpkg-deb -x "$deb" "$x" || fail "dpkg -x $deb failed"
case $("$x/usr/bin/torq-apply" version 2>&1) in
"torq-apply $version "*) ok ;;
*) fail "the package's torq-apply version prints something else" ;;
esac
"$x/usr/bin/torq-sim" --help > /dev/null 2>&1 && ok ||
	fail "the package's torq-sim --help fails"
for p in torq-apply torq-sim; do
	page "$x/usr/share/man/man1/$p.1.gz" > "$tmp/page"
	if [ -s "$tmp/warn" ] || ! grep -q '^NAME' "$tmp/page"; then
		fail "man -l of the package's $p.1.gz: $(cat "$tmp/warn")"
	else
		ok
	fi
done
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libyaml-0-2 libjansson4 'libcurl[34]' 'libmicrohttpd[0-9]*' libc6; do
	printf '%s\n' "$depends" | grep -q "\(^\|, \)$lib\b" && ok ||
		fail "the package does not depend on $lib: $depends"
done
if ! command -v lintian > /dev/null; then
	fail "lintian is not installed: run 'make deps'"
else
	lintian --fail-on error "$deb" > "$tmp/lintian" 2>&1
	rc=$?
	grep -v 'running with root privileges' "$tmp/lintian" > "$tmp/lint" || true
	if [ $rc != 0 ] || grep -q '^E:' "$tmp/lint"; then
		fail "lintian reports errors:"
		cat "$tmp/lint"
	else
		ok
	fi
fi

echo "installcheck: $checks checks passed, $fails failed ($(basename "$deb"))"
[ $fails = 0 ]
