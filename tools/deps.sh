#!/bin/sh
# Install what torq-apply builds and tests with, from Debian's packages.
# Quiet and quick when everything is already there.
set -eu
pkgs="gcc make pkg-config libyaml-dev libjansson-dev libcurl4-openssl-dev
libcmocka-dev libmicrohttpd-dev json-schema-test-suite python3
python3-jsonschema python3-yaml valgrind clang libclang-rt-dev curl jq
dpkg-dev lintian man-db groff-base bash-completion pass gnupg chromium tidy"
missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0
echo "make deps: installing$missing"
sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
