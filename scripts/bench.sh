#!/bin/sh
# make bench: the benchmarks of tests/bench_*.c in the guest of each kernel
# under test. Prints "BENCH ..." lines: ns figures and ratios against a
# baseline measured in the same run. Numbers, never pass/fail.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
scripts/setup-deps.sh
scripts/kernels.sh list | while read -r abi root rel; do
	scripts/kernels.sh prepare "$abi" "$root" "$rel" > /dev/null < /dev/null
	scripts/dkms-ensure.sh "$abi" "$root" > build/bench-dkms.log 2>&1 < /dev/null
	initrd=$(scripts/guest-image.sh "$abi" < /dev/null)
	echo "== $abi"
	scripts/run-guest.sh "$abi" "$initrd" kvmvsm.mode=bench < /dev/null |
		grep -E '^(BENCH|KVMVSM: bench)|Assertion|Oops|BUG'
done
