#!/bin/sh
# make check: the whole suite on a fresh Debian 12 machine.
#  1. install what is needed from Debian's archive (scripts/setup-deps.sh);
#     debootstrap the trixie and sid build roots (scripts/chroot.sh)
#  2. static checks (scripts/lint.sh)
#  3. build the Debian package and install it on the host and in each build
#     root: DKMS builds kvm-vsm for every kernel under test there
#  4. build-only kernels (sid, experimental): the package installed in the
#     sid root, DKMS builds it there (W=1, -Werror)
#  5. per stock kernel: build the tests against its linux-source, make the
#     initramfs, boot it under QEMU TCG (nested SVM), collect the results;
#     the next kernel's image is built while this one's guest runs
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

report() {	# report <status> <what> [log]: one ok/not ok line
	if [ "$1" = 0 ]; then
		echo "ok - $2"
	else
		echo "not ok - $2"
		[ -n "${3:-}" ] && sed 's/^/#   /' "$3" | tail -n 30
	fi
	return 0
}

scripts/setup-deps.sh
# The build roots, both at once (network and disk bound).
pids=""
for r in $(scripts/kernels.sh list-roots); do
	scripts/chroot.sh ensure "$r" > "$LOGS/chroot-$r.log" 2>&1 &
	pids="$pids $!"
done
for p in $pids; do
	wait "$p" || { cat "$LOGS"/chroot-*.log >&2; exit 1; }
done
scripts/kernels.sh update > "$LOGS/apt-update.log" 2>&1
t_setup=$(($(date +%s) - t0))

kernels=$(scripts/kernels.sh list)
builds=$(scripts/kernels.sh list-build)
echo "== kernels under test"
echo "$kernels" | sed 's/^/   /'
echo "== build only"
echo "$builds" | sed 's/^/   /'

scripts/lint.sh > "$LOGS/lint.txt" 2>&1 || true
cat "$LOGS/lint.txt"
tally "$LOGS/lint.txt"

# DKMS, as a user installs it: our package, then dkms builds per kernel,
# on the host and in each build root alike.
echo "$kernels" | while read -r abi r rel; do
	scripts/kernels.sh prepare "$abi" "$r" "$rel" > /dev/null < /dev/null
done
make -s tools
deb=$(scripts/mkdeb.sh)
: > "$LOGS/dkms.txt"
for r in host $(echo "$kernels" | awk '$2 != "host" { print $2 }' | sort -u); do
	if scripts/kernels.sh in-root "$r" dpkg -i "$deb" > "$LOGS/dkms-install-$r.log" 2>&1 < /dev/null; then
		st=0
	else
		st=1
	fi
	echo "$kernels" | awk -v r="$r" '$2 == r { print $1 }' | while read -r abi; do
		if [ $st = 0 ] && scripts/kernels.sh in-root "$r" sh -c \
			"dkms status -m kvm-vsm -k '$abi' | grep -q ': installed' &&
			 ls /lib/modules/'$abi'/updates/dkms/kvm-vsm.ko*" > /dev/null 2>&1 < /dev/null; then
			report 0 "dkms: built and installed for $abi ($r)"
		else
			report 1 "dkms: built and installed for $abi ($r)" "$LOGS/dkms-install-$r.log"
		fi
	done >> "$LOGS/dkms.txt"
done
cat "$LOGS/dkms.txt"
tally "$LOGS/dkms.txt"
t_prep=$(($(date +%s) - t0))

# Build-only kernels, in the background while the first guest runs: the
# package installed in their root as on a sid machine, where DKMS builds
# it (W=1 from dkms.conf, -Werror from Kbuild) for each kernel with headers.
(
	rroots=$(echo "$builds" | awk 'NF { print $2 }' | sort -u)
	echo "$builds" | while read -r abi r rel; do
		[ -n "$abi" ] || continue
		scripts/kernels.sh headers "$abi" "$r" "$rel" \
			> "$LOGS/build-only-$abi.log" 2>&1 < /dev/null || true
	done
	for r in $rroots; do
		scripts/kernels.sh in-root "$r" dpkg -i "$deb" \
			> "$LOGS/dkms-install-$r.log" 2>&1 < /dev/null || true
	done
	echo "$builds" | while read -r abi r rel; do
		[ -n "$abi" ] || continue
		[ "$rel" = - ] && rel=""
		what="build: $abi ($r${rel:+ $rel}), DKMS, W=1 -Werror"
		if scripts/kernels.sh in-root "$r" sh -c \
			"dkms status -m kvm-vsm -k '$abi' | grep -q ': installed'" \
			> /dev/null 2>&1 < /dev/null; then
			report 0 "$what"
		else
			cat "$LOGS/dkms-install-$r.log" >> "$LOGS/build-only-$abi.log"
			report 1 "$what" "$LOGS/build-only-$abi.log"
		fi
	done
) > "$LOGS/build-only.txt" &
build_only=$!

image() {	# image <abi>: build its initramfs; the status goes to a file
	if scripts/guest-image.sh "$1" > "$LOGS/initrd-$1" 2> "$LOGS/build-$1.log"; then
		echo 0 > "$LOGS/build-$1.rc"
	else
		echo 1 > "$LOGS/build-$1.rc"
	fi
	date +%s > "$LOGS/build-$1.end"
}

summary=""
abis=$(echo "$kernels" | awk '{ print $1 }')
set -- $abis
tb=$(date +%s)
image "$1"
while [ $# -gt 0 ]; do
	abi=$1
	shift
	res=$LOGS/results-$abi.txt
	log=$LOGS/guest-$abi.log
	echo "== $abi"
	tbuild=$(($(cat "$LOGS/build-$abi.end") - tb))
	next=""
	if [ $# -gt 0 ]; then
		tb=$(date +%s)
		image "$1" &
		next=$!
	fi
	tg=$(date +%s)
	if [ "$(cat "$LOGS/build-$abi.rc")" = 0 ]; then
		scripts/run-guest.sh "$abi" "$(cat "$LOGS/initrd-$abi")" > "$log" 2>&1 || true
		awk -v kernel="$abi" -v tests="$(make -s -C tests list)" \
			-f scripts/parse-guest-log.awk "$log" > "$res"
	else
		{ report 1 "$abi: build tests and initramfs" "$LOGS/build-$abi.log"
		  echo "SUMMARY 0 1 0 0 0"; } > "$res"
	fi
	te=$(date +%s)
	grep -v '^SUMMARY' "$res"
	tally "$res"
	set -- $(sed -n 's/^SUMMARY //p' "$res") "$@"
	line=$(printf '%-24s %3d passed, %d failed, %d skipped; build %ss, guest %ss (boot %ss, tests %ss)' \
		"$abi" "$1" "$2" "$3" "$tbuild" $((te - tg)) "$5" "$4")
	shift 5
	echo "$line"
	summary="$summary$line
"
	[ -z "$next" ] || wait "$next"
done

wait "$build_only" || true
cat "$LOGS/build-only.txt"
tally "$LOGS/build-only.txt"

echo
echo "== summary (guest log: build/logs/guest-<kernel>.log)"
printf '%s' "$summary"
echo "set-up ${t_setup}s, lint+dkms ${t_prep}s, total $(($(date +%s) - t0))s"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
