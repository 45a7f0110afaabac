#!/bin/sh
# Unpack what the tests and lint need from Debian's linux-source-<series>
# package into the cache and print the tree's path:
#   scripts/linux-source.sh 6.1|6.12
# The kselftest harness, the KVM selftests library, checkpatch.pl and the
# ioctl number registry all come from here; nothing of them is in our repo.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${CACHE:-$TOP/build/cache}
series=$1
pkg=linux-source-$series
tarball=/usr/src/$pkg.tar.xz

ver=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null || true)
if [ -z "$ver" ] || [ ! -e "$tarball" ]; then
	echo "linux-source: $pkg is not installed (run scripts/setup-deps.sh)" >&2
	exit 1
fi
dir=$CACHE/src/$pkg-$ver
if [ ! -e "$dir/.done" ]; then
	rm -rf "$dir"
	mkdir -p "$dir"
	tar -xJf "$tarball" -C "$dir" --strip-components=1 \
		"$pkg/Makefile" "$pkg/Kbuild" "$pkg/Kconfig" "$pkg/tools" \
		"$pkg/include" "$pkg/arch/x86" "$pkg/scripts" "$pkg/usr" \
		"$pkg/Documentation/userspace-api/ioctl"
	# Sanitised uapi headers in usr/include, where the selftests look.
	make -s -C "$dir" headers >/dev/null
	touch "$dir/.done"
fi
echo "$dir"
