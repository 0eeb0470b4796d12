#!/bin/sh
# packaging/deb.sh ROOT VERSION ARCH OUT: build the Debian package OUT
# from ROOT, a `make install DESTDIR=ROOT PREFIX=/usr` tree, with the
# archive's own tools: binaries stripped, manual pages and changelog
# compressed, the runtime libraries' packages found by dpkg-shlibdeps,
# files owned by root.
set -eu
root=$(cd "$1" && pwd) version=$2 arch=$3 out=$4
here=$(cd "$(dirname "$0")" && pwd)
work=$(dirname "$out")/src
rm -rf "$work" "$root/DEBIAN"
mkdir -p "$work/debian" "$root/DEBIAN"

for b in "$root"/usr/bin/*; do
	strip --strip-unneeded --remove-section=.comment \
		--remove-section=.note "$b"
done
gzip -9n "$root"/usr/share/man/man1/*.1
doc=$root/usr/share/doc/torq-apply
install -d "$doc"
install -m 0644 "$here/debian/copyright" "$doc/copyright"
gzip -9nc "$here/debian/changelog" > "$doc/changelog.gz"
chmod 0644 "$doc/changelog.gz"

# dpkg-shlibdeps reads debian/control from where it runs
printf 'Source: torq-apply\n\nPackage: torq-apply\nArchitecture: any\n' \
	> "$work/debian/control"
deps=$(cd "$work" && dpkg-shlibdeps -O -e"$root/usr/bin/torq-apply" \
	-e"$root/usr/bin/torq-sim" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$deps" ] || { echo "deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
size=$(du -k -s --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" \
	-e "s/@DEPENDS@/$deps/" "$here/debian/control.in" > "$root/DEBIAN/control"
(cd "$root" && find usr -type f | LC_ALL=C sort | xargs md5sum) \
	> "$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"
find "$root" -type d -exec chmod 0755 {} +
dpkg-deb --root-owner-group -Zxz --build "$root" "$out" > /dev/null
echo "Wrote $out"
