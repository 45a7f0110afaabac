#!/bin/sh
# make bench: the benchmarks of tests/bench_*.c in the guest of each kernel
# under test. Prints "BENCH ..." lines: ns figures and ratios against a
# baseline measured in the same run. Numbers, never pass/fail.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
scripts/setup-deps.sh
for abi in $(scripts/kernels.sh list); do
	scripts/kernels.sh prepare "$abi" > /dev/null
	if ! ls /lib/modules/"$abi"/updates/dkms/kvm-vsm.ko* > /dev/null 2>&1; then
		make -s tools
		dpkg -i "$(scripts/mkdeb.sh)" > build/bench-dkms.log 2>&1
	fi
	initrd=$(scripts/guest-image.sh "$abi")
	echo "== $abi"
	scripts/run-guest.sh "$abi" "$initrd" kvmvsm.mode=bench |
		grep -E '^(BENCH|KVMVSM: bench)|Assertion|Oops|BUG'
done
