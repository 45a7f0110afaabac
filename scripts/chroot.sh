#!/bin/sh
# Debian 13 (trixie) and unstable (sid) build roots for the newer kernels,
# made with debootstrap under the ignored build folder. The host's apt
# sources are never touched: each root has its own.
#
#   scripts/chroot.sh ensure <suite>        -> make it (cached), print its path
#   scripts/chroot.sh run <suite> cmd...    -> run cmd in it, as root
#
# `run` gives the command /proc, /sys, /dev and this tree at the same path
# as on the host, in a private mount namespace (nothing to undo, nothing
# left mounted if it is killed). <suite> is trixie or sid; sid's root also
# lists experimental (pinned low: only what is asked for by name comes
# from there).
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${CACHE:-$TOP/build/cache}
MIRROR=${KVM_VSM_MIRROR:-http://deb.debian.org/debian}

# What a Debian 13 / sid machine needs to build kvm-vsm with DKMS and our
# tests: the same list as scripts/setup-deps.sh minus QEMU.
PKGS="gcc make libc6-dev bc flex bison libelf-dev dkms kmod libkmod-dev
pkg-config cpio gzip xz-utils zstd busybox-static ca-certificates sparse
openssl"

suite=${2:-}
case "$suite" in
trixie|sid) ;;
*) echo "usage: $0 ensure|run trixie|sid [cmd...]" >&2; exit 2 ;;
esac
root=$CACHE/chroot/$suite

sources() {
	case $suite in
	trixie)
		cat <<SRC
deb $MIRROR trixie main
deb $MIRROR trixie-updates main
deb $MIRROR trixie-backports main
deb http://deb.debian.org/debian-security trixie-security main
SRC
		;;
	sid)
		cat <<SRC
deb $MIRROR sid main
deb $MIRROR experimental main
SRC
		;;
	esac
}

in_root() {	# run "$@" inside the root, with the mounts it needs
	cache_real=$(readlink -f "$CACHE")
	unshare --mount --propagation private sh -eu -c '
		root=$1 top=$2 cache=$3
		shift 3
		mount -t proc proc "$root/proc"
		mount --rbind /sys "$root/sys"
		mount --rbind /dev "$root/dev"
		mkdir -p "$root$top" "$root$cache" "$root/tmp"
		mount --bind "$top" "$root$top"
		[ "$cache" = "$top/build/cache" ] || mount --bind "$cache" "$root$cache"
		cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
		exec chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
			${KVM_VSM_KO:+KVM_VSM_KO=$KVM_VSM_KO} \
			KVM_VSM_ROOT='"$suite"' "$@"
	' chroot-run "$root" "$TOP" "$cache_real" "$@"
}

ensure() {
	if [ -e "$root/.done" ]; then
		# A root made from an older list gets what this one adds.
		[ "$(cat "$root/.pkgs" 2>/dev/null)" = "$(echo $PKGS)" ] && return 0
		# shellcheck disable=SC2086
		in_root apt-get install -y -qq --no-install-recommends $PKGS > /dev/null
		echo $PKGS > "$root/.pkgs"
		return 0
	fi
	echo "chroot: debootstrap $suite into $root" >&2
	rm -rf "$root.tmp"
	mkdir -p "$CACHE/chroot"
	debootstrap --variant=minbase "$suite" "$root.tmp" "$MIRROR" \
		> "$CACHE/chroot/$suite.log" 2>&1 || {
		tail -n 20 "$CACHE/chroot/$suite.log" >&2
		exit 1
	}
	sources > "$root.tmp/etc/apt/sources.list"
	rm -f "$root.tmp/etc/apt/sources.list.d/"*
	# The archive copy here can carry a sid Release file past its
	# Valid-Until date; accept that for this root only.
	if [ "$suite" = sid ]; then
		echo 'Acquire::Check-Valid-Until "false";' \
			> "$root.tmp/etc/apt/apt.conf.d/99kvm-vsm-valid-until"
		printf 'Package: *\nPin: release a=experimental\nPin-Priority: 1\n' \
			> "$root.tmp/etc/apt/preferences.d/experimental"
	fi
	# No daemons start inside the root (dkms, udev triggers).
	printf '#!/bin/sh\nexit 101\n' > "$root.tmp/usr/sbin/policy-rc.d"
	chmod 0755 "$root.tmp/usr/sbin/policy-rc.d"
	root=$root.tmp
	in_root apt-get update -qq
	# shellcheck disable=SC2086
	in_root apt-get install -y -qq --no-install-recommends $PKGS > /dev/null
	root=${root%.tmp}
	rm -rf "$root"
	mv "$root.tmp" "$root"
	echo $PKGS > "$root/.pkgs"
	touch "$root/.done"
}

case "$1" in
ensure)
	ensure
	echo "$root"
	;;
run)
	shift 2
	ensure
	in_root "$@"
	;;
*)
	echo "usage: $0 ensure|run trixie|sid [cmd...]" >&2
	exit 2
	;;
esac
