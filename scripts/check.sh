#!/bin/sh
# make check: the whole suite on a fresh Debian 12 machine.
#  1. install what is needed from Debian's archive (scripts/setup-deps.sh)
#  2. static checks (scripts/lint.sh)
#  3. build the Debian package and install it: DKMS builds kvm-vsm for
#     every kernel under test
#  4. per stock kernel: build the tests against its linux-source, make the
#     initramfs, boot it under QEMU TCG (nested SVM), collect the results
# Ends with "N passed, N failed"; exits non-zero if anything failed.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
LOGS=$TOP/build/logs
mkdir -p "$LOGS"
t0=$(date +%s)
pass=0
fail=0

tally() {	# count the ok/not ok lines of a results file
	p=$(grep -c '^ok ' "$1" || true)
	f=$(grep -c '^not ok ' "$1" || true)
	pass=$((pass + p))
	fail=$((fail + f))
}

scripts/setup-deps.sh
t_setup=$(($(date +%s) - t0))

scripts/lint.sh > "$LOGS/lint.txt" 2>&1 || true
cat "$LOGS/lint.txt"
tally "$LOGS/lint.txt"

# DKMS, as a user installs it: our package, then dkms builds per kernel.
kernels=$(scripts/kernels.sh list)
for abi in $kernels; do
	scripts/kernels.sh prepare "$abi" > /dev/null
done
make -s tools
deb=$(scripts/mkdeb.sh)
: > "$LOGS/dkms.txt"
if dpkg -i "$deb" > "$LOGS/dkms-install.log" 2>&1; then st=0; else st=1; fi
for abi in $kernels; do
	if [ $st = 0 ] && dkms status -m kvm-vsm -k "$abi" 2>/dev/null | grep -q ': installed' &&
		ls /lib/modules/"$abi"/updates/dkms/kvm-vsm.ko* > /dev/null 2>&1; then
		echo "ok - dkms: built and installed for $abi" >> "$LOGS/dkms.txt"
	else
		echo "not ok - dkms: built and installed for $abi" >> "$LOGS/dkms.txt"
		sed 's/^/#   /' "$LOGS/dkms-install.log" | tail -n 30 >> "$LOGS/dkms.txt"
	fi
done
cat "$LOGS/dkms.txt"
tally "$LOGS/dkms.txt"
t_prep=$(($(date +%s) - t0))

summary=""
for abi in $kernels; do
	res=$LOGS/results-$abi.txt
	log=$LOGS/guest-$abi.log
	echo "== $abi"
	tb=$(date +%s)
	if initrd=$(scripts/guest-image.sh "$abi" 2> "$LOGS/build-$abi.log"); then
		tg=$(date +%s)
		scripts/run-guest.sh "$abi" "$initrd" > "$log" 2>&1 || true
		te=$(date +%s)
		awk -v kernel="$abi" -v tests="$(make -s -C tests list)" \
			-f scripts/parse-guest-log.awk "$log" > "$res"
	else
		tg=$(date +%s)
		te=$tg
		{ echo "not ok - $abi: build tests and initramfs"
		  sed 's/^/#   /' "$LOGS/build-$abi.log" | tail -n 30
		  echo "SUMMARY 0 1 0 0 0"; } > "$res"
	fi
	grep -v '^SUMMARY' "$res"
	tally "$res"
	set -- $(sed -n 's/^SUMMARY //p' "$res")
	line=$(printf '%-24s %3d passed, %d failed, %d skipped; build %ss, guest %ss (boot %ss, tests %ss)' \
		"$abi" "$1" "$2" "$3" $((tg - tb)) $((te - tg)) "$5" "$4")
	echo "$line"
	summary="$summary$line
"
done

echo
echo "== summary (guest log: build/logs/guest-<kernel>.log)"
printf '%s' "$summary"
echo "set-up ${t_setup}s, lint+dkms ${t_prep}s, total $(($(date +%s) - t0))s"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
