#!/bin/sh
# Install what the build and the QEMU test rig need, from Debian's archive only.
# bookworm-backports is added for the 6.12 kernel; never trixie or sid (the
# newer kernels are built in debootstrap roots: scripts/chroot.sh).
set -eu

PKGS="qemu-system-x86 busybox-static kmod libkmod-dev pkg-config dkms sparse
cpio xz-utils zstd gcc make libc6-dev bc flex bison libelf-dev debootstrap
linux-headers-amd64 linux-source-6.1"
# 6.12: first from bookworm-backports, now also in bookworm-security.
BPO_PKGS="linux-headers-6.12-amd64 linux-source-6.12"

if [ "$(id -u)" != 0 ]; then
	echo "setup-deps: must run as root (apt-get)" >&2
	exit 1
fi

bpo_listed() {
	grep -rqsE '(^|[[:space:]])bookworm-backports([[:space:]]|$)' \
		/etc/apt/sources.list /etc/apt/sources.list.d/
}

missing=""
for p in $PKGS $BPO_PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

export DEBIAN_FRONTEND=noninteractive
if ! bpo_listed; then
	echo "setup-deps: adding bookworm-backports to apt sources"
	cat > /etc/apt/sources.list.d/kvm-vsm-backports.sources <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi
apt-get update -qq
# No -t: 6.12 kernels also reach bookworm through bookworm-security, and
# pinning backports would pick its older build over the security update.
apt-get install -y -qq --no-install-recommends $PKGS $BPO_PKGS >/dev/null
echo "setup-deps: installed$missing"
