#!/bin/sh
# Everything one kernel's guest needs, built and cached; prints the initrd.
#   guest-image.sh <abi>
# The module comes from the DKMS install (/lib/modules/<abi>/updates/dkms)
# of the root the kernel is built in, i.e. exactly what `dkms install` put
# there for that kernel. Kernels of a build root (trixie, sid) have their
# tests, tools and initramfs built inside it, against its libraries.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
abi=$1
out=$TOP/build/out/$abi
series=$(echo "$abi" | sed 's/^\([0-9]*\.[0-9]*\).*/\1/')

# kvm-unit-tests and our guests: freestanding images, built once on the
# host for every kernel and root.
kut=$TOP/build/kut
[ -n "${KVM_VSM_ROOT:-}" ] || "$TOP/scripts/kut.sh" "$kut" > /dev/null

set -- $("$TOP/scripts/kernels.sh" root "$abi")
root=$1 rel=$2
if [ "$root" != host ] && [ -z "${KVM_VSM_ROOT:-}" ]; then
	exec "$TOP/scripts/chroot.sh" run "$root" "$TOP/scripts/guest-image.sh" "$abi"
fi
# Each root links the tools against its own libc and libkmod.
tools=$TOP/build/tools${KVM_VSM_ROOT:+-$KVM_VSM_ROOT}

kdir=$("$TOP/scripts/kernels.sh" prepare "$abi" "$root" "$rel")
src=$("$TOP/scripts/linux-source.sh" "$series")
# KVM_VSM_KO: a module built by hand (make module), for quick iterations.
ko=${KVM_VSM_KO:-$(ls /lib/modules/"$abi"/updates/dkms/kvm-vsm.ko* 2>/dev/null | head -n 1)}
if [ -z "$ko" ]; then
	echo "guest-image: kvm-vsm is not DKMS-installed for $abi (make deb; dpkg -i)" >&2
	exit 1
fi
make -s -C "$TOP/tools" OUT="$tools" >/dev/null
make -s -C "$TOP/tests" LINUX_SRC="$src" OUT="$out/tests" TOOLS_OUT="$tools" >&2
tests=$(make -s -C "$TOP/tests" list)
"$TOP/scripts/mkinitramfs.sh" "$abi" "$kdir" "$ko" "$out/tests" \
	"$out/initrd.gz" "$tools" "$kut" $tests
echo "$out/initrd.gz"
