#!/bin/sh
# Copy the module sources (what DKMS ships) into a build directory, so that
# Kbuild's objects and its `clean` stay out of the source tree.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
dst=$1
mkdir -p "$dst/scripts"
cp -a "$TOP/Kbuild" "$TOP/dkms.conf" "$dst/"
cp -a "$TOP/scripts/compat-detect.sh" "$dst/scripts/"
# Refresh the source trees; stale files of removed sources must not linger.
rm -rf "$dst/src" "$dst/include"
cp -a "$TOP/src" "$TOP/include" "$dst/"
