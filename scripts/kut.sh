#!/bin/sh
# kvm-unit-tests for the test guest, built on the host; prints the directory
# holding the .flat images:
#   kut.sh [out-dir]                     (default build/kut)
# The upstream tree is unpacked from the shared tarball, configured and built
# once under build/cache/kut/<tarball sha256>/ (only the tests we run). Our
# own guests, tools/vmm/guests/*.c (and *.h), are copied into its x86/ at
# build time, built there with its library exactly like an upstream test,
# then removed again, so the cached tree stays upstream's. The images are
# freestanding: one build serves every kernel and build root. A lock makes
# two builds at once (two guest images, two worktrees sharing the cache)
# wait for each other.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$TOP/build/kut}

# The upstream tests kut_test runs (x86/<name>.flat).
KUT_TESTS="hyperv_synic hyperv_connections hyperv_stimer hyperv_clock
	smptest msr apic"

tar=${KVM_VSM_KUT_TARBALL:-}
if [ -z "$tar" ]; then
	set -- "$TOP"/../shared/third_party/kvm-unit-tests-*.tar.gz
	if [ $# -ne 1 ] || [ ! -f "$1" ]; then
		echo "kut: want exactly one ../shared/third_party/kvm-unit-tests-*.tar.gz (or KVM_VSM_KUT_TARBALL)" >&2
		exit 1
	fi
	tar=$1
fi
hash=$(sha256sum "$tar" | cut -c1-16)
cache=$TOP/build/cache/kut
tree=$cache/$hash/kvm-unit-tests
guests=$TOP/tools/vmm/guests
mkdir -p "$cache" "$out"

exec 9> "$cache/lock"
flock 9

if [ ! -e "$cache/$hash/configured" ]; then
	rm -rf "$cache/$hash"
	mkdir -p "$cache/$hash"
	tar -xzf "$tar" -C "$cache/$hash"
	(cd "$tree" && ./configure --arch=x86_64) > "$cache/$hash/configure.log" 2>&1 ||
		{ cat "$cache/$hash/configure.log" >&2; exit 1; }
	touch "$cache/$hash/configured"
fi

# Our guests: never over an upstream file, never under an upstream name.
names=""
placed=""
cleanup() {
	for f in $placed; do
		b=${f%.*}
		rm -f "$tree/x86/$f" "$tree/x86/$b.o" "$tree/x86/$b.elf" \
			"$tree/x86/$b.flat" "$tree/x86/.$b.d"
	done
}
trap cleanup EXIT
for f in "$guests"/*.c "$guests"/*.h; do
	[ -e "$f" ] || continue
	b=$(basename "$f")
	if [ -e "$tree/x86/$b" ]; then
		echo "kut: $f: kvm-unit-tests has an x86/$b of its own; rename it" >&2
		exit 1
	fi
	case $b in *.c)
		n=${b%.c}
		case " $(echo $KUT_TESTS) " in *" $n "*)
			echo "kut: $f: $n is an upstream test's name; rename it" >&2
			exit 1 ;;
		esac
		names="$names $n" ;;
	esac
	cp "$f" "$tree/x86/$b"
	placed="$placed $b"
done

# Our guests link hyperv.o, the library's Hyper-V helpers, as the upstream
# hyperv_* tests do, and their warnings are errors (upstream's are not);
# the rules come in on stdin beside upstream's Makefile.
targets=""
for n in $KUT_TESTS $names; do
	targets="$targets x86/$n.flat"
done
for n in $names; do
	echo "x86/$n.elf: x86/hyperv.o"
	echo "x86/$n.o: CFLAGS += -Werror"
done | make -s -C "$tree" -f Makefile -f - -j"$(nproc)" $targets \
	> "$cache/$hash/make.log" 2>&1 ||
	{ cat "$cache/$hash/make.log" >&2; exit 1; }

# Each image replaced by a rename: a guest image being packed from out/
# at the same time sees the old file or the new, never half of one.
for n in $KUT_TESTS $names; do
	cp "$tree/x86/$n.flat" "$out/.$n.flat.$$"
	mv -f "$out/.$n.flat.$$" "$out/$n.flat"
done
echo $KUT_TESTS > "$out/.upstream.$$"
mv -f "$out/.upstream.$$" "$out/UPSTREAM"
echo $names > "$out/.guests.$$"
mv -f "$out/.guests.$$" "$out/GUESTS"
echo "$out"
