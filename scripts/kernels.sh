#!/bin/sh
# Resolve the stock kernels under test from Debian's metapackages and make
# sure each has its headers installed and its image unpacked in the cache.
#
#   scripts/kernels.sh list            -> one ABI name per line
#   scripts/kernels.sh prepare <abi>   -> headers + unpacked image in $CACHE
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${CACHE:-$TOP/build/cache}
METAS=${KVM_VSM_KERNEL_METAS:-"linux-image-amd64 linux-image-6.12-amd64"}

resolve() {
	apt-cache depends "$1" 2>/dev/null |
		sed -n 's/^ *Depends: linux-image-\([0-9][^ ]*\)$/\1/p' | head -n 1
}

case "${1:-}" in
list)
	for m in $METAS; do
		abi=$(resolve "$m")
		if [ -z "$abi" ]; then
			echo "kernels: cannot resolve $m (run scripts/setup-deps.sh)" >&2
			exit 1
		fi
		echo "$abi"
	done
	;;
prepare)
	abi=$2
	if [ ! -e "/lib/modules/$abi/build/Makefile" ]; then
		echo "kernels: installing linux-headers-$abi"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends "linux-headers-$abi" >/dev/null
	fi
	dir=$CACHE/kernel/$abi
	if [ ! -e "$dir/.done" ]; then
		mkdir -p "$CACHE/debs" "$dir"
		deb=$(ls "$CACHE/debs/linux-image-${abi}_"*.deb 2>/dev/null | head -n 1 || true)
		if [ -z "$deb" ]; then
			(cd "$CACHE/debs" && apt-get download -qq "linux-image-$abi")
			deb=$(ls "$CACHE/debs/linux-image-${abi}_"*.deb | head -n 1)
		fi
		dpkg-deb -x "$deb" "$dir"
		touch "$dir/.done"
	fi
	echo "$dir"
	;;
*)
	echo "usage: $0 list | prepare <abi>" >&2
	exit 2
	;;
esac
