#!/bin/sh
# Everything one kernel's guest needs, built and cached; prints the initrd.
#   guest-image.sh <abi>
# The module comes from the DKMS install (/lib/modules/<abi>/updates/dkms),
# i.e. exactly what `dkms install` put there for that kernel.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
abi=$1
out=$TOP/build/out/$abi
series=$(echo "$abi" | sed 's/^\([0-9]*\.[0-9]*\).*/\1/')

kdir=$("$TOP/scripts/kernels.sh" prepare "$abi")
src=$("$TOP/scripts/linux-source.sh" "$series")
# KVM_VSM_KO: a module built by hand (make module), for quick iterations.
ko=${KVM_VSM_KO:-$(ls /lib/modules/"$abi"/updates/dkms/kvm-vsm.ko* 2>/dev/null | head -n 1)}
if [ -z "$ko" ]; then
	echo "guest-image: kvm-vsm is not DKMS-installed for $abi (make deb; dpkg -i)" >&2
	exit 1
fi
make -s -C "$TOP/tools" >/dev/null
make -s -C "$TOP/tests" LINUX_SRC="$src" OUT="$out/tests" >&2
tests=$(make -s -C "$TOP/tests" list)
"$TOP/scripts/mkinitramfs.sh" "$abi" "$kdir" "$ko" "$out/tests" \
	"$out/initrd.gz" $tests
echo "$out/initrd.gz"
