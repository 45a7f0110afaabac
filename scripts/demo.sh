#!/bin/sh
# make demo: boot a stock Debian kernel under QEMU (TCG, nested SVM), load
# kvm_amd and kvm-vsm through libkmod, show the module answering, then the
# reference VMM kvm-vsm-run booting the two-VTL demo guest
# (tools/vmm/guests/vsm_demo.c): VTL1 enabled, VTL calls and returns, a
# register read through the VMM, a protection and its intercept. KVM_VSM_DEMO_KERNEL picks the kernel (default: the
# newest under test). Installs what it needs, like make check.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
scripts/setup-deps.sh
# The newest kernel under test, or the one KVM_VSM_DEMO_KERNEL names.
set -- $(scripts/kernels.sh list | if [ -n "${KVM_VSM_DEMO_KERNEL:-}" ]; then
	awk -v k="$KVM_VSM_DEMO_KERNEL" '$1 == k'; else tail -n 1; fi)
if [ $# -ne 3 ]; then
	echo "demo: ${KVM_VSM_DEMO_KERNEL:-no kernel} is not a kernel under test (scripts/kernels.sh list)" >&2
	exit 1
fi
abi=$1
scripts/kernels.sh prepare "$abi" "$2" "$3" > /dev/null
scripts/dkms-ensure.sh "$abi" "$2" > build/demo-dkms.log 2>&1 ||
	{ cat build/demo-dkms.log; exit 1; }
initrd=$(scripts/guest-image.sh "$abi")
echo "== booting $abi under QEMU TCG (-cpu max: nested SVM + NPT)"
scripts/run-guest.sh "$abi" "$initrd" kvmvsm.mode=demo |
	sed -n '/^KVMVSM: dmesg-begin/,/^KVMVSM: dmesg-end/!p'
