#!/bin/sh
# The stock kernels under test, resolved from Debian's metapackages at run
# time, and what each needs: headers in the root it is built in, its image
# unpacked in the cache. A kernel is "<root>:<release>:<metapackage>":
# root is the host (Debian 12) or a debootstrap'd build root (scripts/chroot.sh)
# whose compiler matches the one the kernel was built with; release is the
# apt target release (-t), empty for the suite's default.
#
#   kernels.sh list           -> "<abi> <root> <release>" per booted kernel
#   kernels.sh list-build     -> the same for the build-only kernels
#   kernels.sh list-roots     -> the build roots the kernels above need
#   kernels.sh update         -> refresh the build roots' package lists
#   kernels.sh in-root <root> cmd...  -> run cmd on the host or in that root
#   kernels.sh prepare <abi> <root> <release>
#                             -> headers, linux-source, unpacked image; prints its dir
#   kernels.sh headers <abi> <root> <release>  -> headers only (build-only kernels)
#   kernels.sh root <abi>     -> "<root> <release>" of a prepared kernel
#   kernels.sh vmlinuz <abi>  -> path of a prepared kernel's image
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${CACHE:-$TOP/build/cache}
# Booted with the full suite: Debian 12, bookworm-backports, Debian 13 and
# trixie-backports (the newest stable series Debian ships).
KERNELS=${KVM_VSM_KERNELS:-"host::linux-image-amd64 host::linux-image-6.12-amd64
trixie::linux-image-amd64 trixie:trixie-backports:linux-image-amd64"}
# Built only (W=1, warnings are errors): the next releases. experimental
# counts only when it is ahead of sid.
BUILD_ONLY=${KVM_VSM_BUILD_ONLY:-"sid::linux-headers-amd64 sid:experimental:linux-headers-amd64"}
APT="apt-get -qq -o APT::Sandbox::User=root"

in_root() {	# in_root <root> cmd...: run cmd where <root>'s packages are
	r=$1
	shift
	if [ "$r" = host ] || [ "${KVM_VSM_ROOT:-}" = "$r" ]; then
		"$@"
	else
		"$TOP/scripts/chroot.sh" run "$r" "$@"
	fi
}

resolve() {	# resolve <release> <meta>: the ABI the metapackage points at
	apt-cache ${1:+-t "$1"} depends "$2" 2>/dev/null |
		sed -n 's/^ *Depends: linux-\(image\|headers\)-\([0-9][^ ]*\)$/\2/p' | head -n 1
}

version_of() {	# version_of <release> <meta>: its candidate version
	apt-cache ${1:+-t "$1"} policy "$2" 2>/dev/null | sed -n 's/^ *Candidate: //p'
}

list() {	# list <specs>
	seen=""
	for spec in $1; do
		r=${spec%%:*}
		rest=${spec#*:}
		rel=${rest%%:*}
		meta=${rest#*:}
		if [ -z "${KVM_VSM_ROOT:-}" ] && [ "$r" != host ]; then
			"$TOP/scripts/chroot.sh" ensure "$r" > /dev/null
		fi
		abi=$(in_root "$r" "$TOP/scripts/kernels.sh" resolve "$rel" "$meta")
		if [ -z "$abi" ]; then
			echo "kernels: cannot resolve $spec (run scripts/setup-deps.sh)" >&2
			exit 1
		fi
		if [ "$rel" = experimental ]; then
			# Only when experimental is ahead of the suite's own.
			newer=$(in_root "$r" "$TOP/scripts/kernels.sh" ahead "$meta")
			[ "$newer" = yes ] || continue
		fi
		case " $seen " in *" $abi "*) continue ;; esac
		seen="$seen $abi"
		echo "$abi $r ${rel:--}"
	done
}

image_debs() {	# the packages of one kernel image: 7.x splits it in three
	echo "linux-image-$1"
	apt-cache ${2:+-t "$2"} depends "linux-image-$1" 2>/dev/null |
		sed -n "s/^ *Depends: \(linux-[a-z]*-$1\)\$/\1/p"
}

case "${1:-}" in
list)
	list "$KERNELS"
	;;
list-build)
	list "$BUILD_ONLY"
	;;
resolve)	# inside the root
	resolve "$2" "$3"
	;;
ahead)		# inside the root: experimental's candidate newer than the default?
	exp=$(version_of experimental "$2")
	def=$(version_of "" "$2")
	if [ -n "$exp" ] && dpkg --compare-versions "$exp" gt "$def"; then
		echo yes
	fi
	;;
list-roots)
	for s in $KERNELS $BUILD_ONLY; do echo "${s%%:*}"; done | sort -u | grep -vx host || true
	;;
in-root)
	shift
	in_root "$@"
	;;
update)
	for r in $("$TOP/scripts/kernels.sh" list-roots); do
		"$TOP/scripts/chroot.sh" ensure "$r" > /dev/null
		"$TOP/scripts/chroot.sh" run "$r" $APT update
	done
	;;
headers|prepare)
	what=$1 abi=$2 r=$3 rel=$4
	[ "$rel" = - ] && rel=""
	if [ "$r" != host ] && [ -z "${KVM_VSM_ROOT:-}" ]; then
		exec "$TOP/scripts/chroot.sh" run "$r" "$TOP/scripts/kernels.sh" "$@"
	fi
	if [ ! -e "/lib/modules/$abi/build/Makefile" ]; then
		echo "kernels: installing linux-headers-$abi" >&2
		DEBIAN_FRONTEND=noninteractive $APT install -y --no-install-recommends \
			${rel:+-t "$rel"} "linux-headers-$abi" > /dev/null
	fi
	[ "$what" = headers ] && exit 0
	# The tests are built against the kernel's own linux-source.
	series=$(echo "$abi" | sed 's/^\([0-9]*\.[0-9]*\).*/\1/')
	if [ ! -e "/usr/src/linux-source-$series.tar.xz" ]; then
		echo "kernels: installing linux-source-$series" >&2
		DEBIAN_FRONTEND=noninteractive $APT install -y --no-install-recommends \
			${rel:+-t "$rel"} "linux-source-$series" > /dev/null
	fi
	dir=$CACHE/kernel/$abi
	if [ ! -e "$dir/.done" ]; then
		rm -rf "$dir"
		mkdir -p "$CACHE/debs" "$dir"
		for p in $(image_debs "$abi" "$rel"); do
			deb=$(ls "$CACHE/debs/${p}_"*.deb 2>/dev/null | head -n 1 || true)
			if [ -z "$deb" ]; then
				(cd "$CACHE/debs" && $APT download ${rel:+-t "$rel"} "$p")
				deb=$(ls "$CACHE/debs/${p}_"*.deb | head -n 1)
			fi
			dpkg-deb -x "$deb" "$dir"
		done
		touch "$dir/.done"
	fi
	echo "$r ${rel:--}" > "$dir/.root"
	echo "$dir"
	;;
root)
	cat "$CACHE/kernel/$2/.root" 2>/dev/null || echo "host -"
	;;
vmlinuz)
	dir=$CACHE/kernel/$2
	for f in "$dir/boot/vmlinuz-$2" "$dir/usr/lib/modules/$2/vmlinuz" \
		"$dir/lib/modules/$2/vmlinuz"; do
		[ -e "$f" ] && { echo "$f"; exit 0; }
	done
	echo "kernels: no prepared image for $2 (scripts/kernels.sh prepare)" >&2
	exit 1
	;;
*)
	echo "usage: $0 list | list-build | list-roots | update | in-root <root> cmd... | prepare|headers <abi> <root> <release> | root <abi> | vmlinuz <abi>" >&2
	exit 2
	;;
esac
