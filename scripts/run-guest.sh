#!/bin/sh
# Boot one stock kernel under QEMU TCG with nested SVM (-cpu max) and the
# given initramfs; the serial console goes to stdout.
#   run-guest.sh <abi> <initrd> [extra kernel args]
# Bounded by KVM_VSM_GUEST_TIMEOUT seconds (default 900): a hung guest is
# killed and its missing "KVMVSM: done" marker fails the run.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
abi=$1 initrd=$2
shift 2
vmlinuz=$("$TOP/scripts/kernels.sh" vmlinuz "$abi")
exec timeout --foreground -k 10 "${KVM_VSM_GUEST_TIMEOUT:-900}" \
	qemu-system-x86_64 -accel tcg,thread=${KVM_VSM_TCG_THREAD:-single} -cpu max -smp 2 -m 2G \
	-nodefaults -display none -no-reboot -serial stdio -monitor none \
	-kernel "$vmlinuz" -initrd "$initrd" \
	-append "console=ttyS0 panic=-1 oops=panic quiet loglevel=4 $*"
