#!/bin/busybox sh
# /init of the test guest. Loads kvm_amd (or kvm_intel) and kvm-vsm through
# libkmod, runs every test in /tests/LIST, then prints the kernel log
# between markers for the host to scan, and powers off.
# Markers start with "KVMVSM:" so the host can tell them from test output.
/bin/busybox --install -s /bin
export PATH=/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug

mode=test
tests=$(cat /tests/LIST)
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	kvmvsm.mode=*) mode=${arg#kvmvsm.mode=} ;;
	kvmvsm.only=*) tests=$(echo "${arg#kvmvsm.only=}" | tr , ' ') ;;
	esac
done

echo "KVMVSM: booted $(uname -r) in $(cut -d' ' -f1 /proc/uptime)s"
if grep -qw svm /proc/cpuinfo; then vendor=kvm_amd; else vendor=kvm_intel; fi
kvm-vsm-load "$vendor" && echo "KVMVSM: loaded $vendor"
kvm-vsm-load kvm-vsm && echo "KVMVSM: loaded kvm-vsm"

if [ "$mode" = bench ]; then
	for b in $(cat /tests/BENCHES); do
		echo "KVMVSM: bench $b"
		/tests/$b
	done
elif [ "$mode" = demo ]; then
	echo "KVMVSM: lsmod:"
	cat /proc/modules | grep -E '^(kvm|kvm_vsm|kvm_amd|kvm_intel) '
	ls -l /dev/kvm /dev/kvm-vsm
	echo "KVMVSM: kvm-vsm-info:"
	kvm-vsm-info
	# The reference VMM boots a two-VTL guest (tools/vmm/guests/vsm_demo.c).
	echo "KVMVSM: kvm-vsm-run --vtls 2 /kut/vsm_demo.flat"
	kvm-vsm-run --vtls 2 /kut/vsm_demo.flat 2>&1 | tr -d '\r' |
		grep -v '^enabling apic\|^smp: '
	echo "KVMVSM: the same with --trace (what the VMM saw), first lines:"
	kvm-vsm-run --vtls 2 --trace /kut/vsm_demo.flat 2>&1 | tr -d '\r' |
		grep '^kvm-vsm-run: trace' | head -n 12
else
	for t in $tests; do
		echo "KVMVSM: begin $t"
		start=$(cut -d' ' -f1 /proc/uptime)
		/tests/$t
		rc=$?
		echo "KVMVSM: end $t rc=$rc start=$start end=$(cut -d' ' -f1 /proc/uptime)"
	done
fi

echo "KVMVSM: dmesg-begin"
dmesg
echo "KVMVSM: dmesg-end"
echo "KVMVSM: done"
poweroff -f
