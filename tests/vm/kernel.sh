#!/bin/bash
# tests/vm/kernel.sh CACHE_DIR -- print the path of a Debian 6.1 amd64
# kernel image, downloading and unpacking linux-image-6.1.0-*-amd64 into
# CACHE_DIR once (apt-get download + dpkg -x, no installation).
set -euo pipefail
cache=${1:-/var/cache/hutch-tests/vm}
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
found=$(ls "$cache"/boot/vmlinuz-6.1.0-*-amd64 2>/dev/null | sort -V | tail -1 || true)
if [ -n "$found" ]; then
	echo "$found"
	exit 0
fi
pkg=$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64$' | awk '{print $1}' | sort -V | tail -1)
if [ -z "$pkg" ]; then
	apt-get update -q >&2
	pkg=$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64$' | awk '{print $1}' | sort -V | tail -1)
fi
[ -n "$pkg" ] || { echo "kernel.sh: no linux-image-6.1.0-*-amd64 package in apt's lists" >&2; exit 1; }
echo "kernel.sh: downloading $pkg into $cache" >&2
(cd "$cache" && rm -f ./*.deb && apt-get download -q "$pkg") >&2
dpkg -x "$cache"/"$pkg"_*.deb "$cache"
rm -rf "$cache/lib" "$cache/usr" "$cache"/*.deb # modules unneeded: everything used is built in
ls "$cache"/boot/vmlinuz-6.1.0-*-amd64 | sort -V | tail -1
