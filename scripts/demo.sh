#!/bin/sh
# make demo: boot a stock Debian kernel under QEMU (TCG, nested SVM), load
# kvm_amd and kvm-vsm through libkmod, and show the module answering its
# API-version ioctl. KVM_VSM_DEMO_KERNEL picks the kernel (default: the
# newest under test). Installs what it needs, like make check.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
scripts/setup-deps.sh
abi=${KVM_VSM_DEMO_KERNEL:-$(scripts/kernels.sh list | tail -n 1)}
scripts/kernels.sh prepare "$abi" > /dev/null
if ! ls /lib/modules/"$abi"/updates/dkms/kvm-vsm.ko* > /dev/null 2>&1; then
	make -s tools
	dpkg -i "$(scripts/mkdeb.sh)" > build/demo-dkms.log 2>&1 ||
		{ cat build/demo-dkms.log; exit 1; }
fi
initrd=$(scripts/guest-image.sh "$abi")
echo "== booting $abi under QEMU TCG (-cpu max: nested SVM + NPT)"
scripts/run-guest.sh "$abi" "$initrd" kvmvsm.mode=demo |
	sed -n '/^KVMVSM: dmesg-begin/,/^KVMVSM: dmesg-end/!p'
