#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# make install PREFIX=... DESTDIR=...: kvmvsm.pc names that prefix, the
# unversioned libkvmvsm.so links to the versioned library, kvm-vsm-run is in
# PREFIX/bin; a program built with `pkg-config --cflags --libs kvmvsm`
# against the installed copy alone links the shared library and runs. TAP.
#   install_test.sh <work-dir>
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
work=$1
prefix=/opt/kvmvsm-install-test
dest=$work/dest
rm -rf "$work"
mkdir -p "$work"

i=0
fails=0
tap() {		# tap <ok> <name>
	i=$((i + 1))
	if [ "$1" = 0 ]; then
		echo "ok $i $2"
	else
		echo "not ok $i $2"
		fails=$((fails + 1))
	fi
}
echo "1..7"

# A plain build first (default PREFIX), as a user runs make then make
# install: the .pc must still name the install's prefix.
make -s -C "$TOP/tools" OUT="$work/out" > "$work/make.log" 2>&1 &&
make -s -C "$TOP/tools" OUT="$work/out" install PREFIX="$prefix" \
	DESTDIR="$dest" >> "$work/make.log" 2>&1
st=$?
[ $st = 0 ] || sed 's/^/# /' "$work/make.log"
tap $st "make install PREFIX=$prefix DESTDIR=..."

lib=$dest$prefix/lib
export PKG_CONFIG_PATH="$lib/pkgconfig" PKG_CONFIG_LIBDIR="$lib/pkgconfig"
export PKG_CONFIG_SYSROOT_DIR="$dest"
# (Read without the sysroot, which pkg-config puts before the prefix.)
got=$(PKG_CONFIG_SYSROOT_DIR= pkg-config --variable=prefix kvmvsm 2>&1)
[ "$got" = "$prefix" ]
st=$?
[ $st = 0 ] || echo "# prefix=$got"
tap $st "kvmvsm.pc: prefix=$prefix"

[ -L "$lib/libkvmvsm.so" ] && [ "$(readlink "$lib/libkvmvsm.so")" = libkvmvsm.so.0 ] &&
	[ -f "$lib/libkvmvsm.so.0" ]
tap $? "libkvmvsm.so -> libkvmvsm.so.0 installed"

: > "$work/version"
[ -x "$dest$prefix/bin/kvm-vsm-run" ] &&
	"$dest$prefix/bin/kvm-vsm-run" --version > "$work/version" 2>&1
st=$?
[ $st = 0 ] || sed 's/^/# /' "$work/version"
tap $st "kvm-vsm-run in PREFIX/bin, --version runs"

flags=$(pkg-config --cflags --libs kvmvsm 2>&1)
echo "# pkg-config --cflags --libs kvmvsm: $flags" | head -n 1
# Only the installed copy: no -I or -L into the source tree.
${CC:-cc} -O2 -Wall -Wextra -Werror -o "$work/prog" \
	"$TOP/tests/unit/install_prog.c" $flags > "$work/cc.log" 2>&1
st=$?
[ $st = 0 ] || sed 's/^/# /' "$work/cc.log"
tap $st "a program builds with pkg-config --cflags --libs kvmvsm"

# Linked against the shared library (the unversioned link), not the .a.
readelf -d "$work/prog" 2> /dev/null | grep -q 'NEEDED.*\[libkvmvsm\.so\.0\]'
tap $? "it needs libkvmvsm.so.0 (linked through libkvmvsm.so)"

LD_LIBRARY_PATH=$lib "$work/prog" > "$work/run.log" 2>&1
st=$?
sed 's/^/# /' "$work/run.log"
tap $st "it runs against the installed libkvmvsm.so.0"

exit $((fails != 0))
