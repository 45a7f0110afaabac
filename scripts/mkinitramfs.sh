#!/bin/sh
# Build the test guest's initramfs for one kernel:
#   mkinitramfs.sh <abi> <unpacked-image-dir> <kvm-vsm.ko> <tests-dir> <out.cpio.gz> <tools-dir> <kut-dir> [test...]
# Contents: busybox-static, /init (tests/guest-init.sh), the kernel's KVM
# modules and their dependencies, kvm-vsm under updates/dkms, a depmod'ed
# /lib/modules, the libkmod loader, the reference VMM kvm-vsm-run, the
# kvm-unit-tests images and our own guests under /kut (scripts/kut.sh), the
# test binaries and runners and their libraries.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
abi=$1 kdir=$2 vsm_ko=$3 tests=$4 out=$5 tools=$6 kut=$7
shift 7
test_list="$*"

root=$(mktemp -d "${TMPDIR:-/tmp}/kvm-vsm-initramfs.XXXXXX")
trap 'rm -rf "$root"' EXIT
mods=lib/modules/$abi
# Debian 13 packages modules under /usr/lib (merged /usr).
kmods=$kdir/$mods
[ -d "$kmods" ] || kmods=$kdir/usr/$mods

mkdir -p "$root/bin" "$root/sbin" "$root/proc" "$root/sys" "$root/dev" \
	"$root/tmp" "$root/tests" "$root/$mods/updates/dkms" "$root/etc" \
	"$root/kut"
cp /bin/busybox "$root/bin/busybox"
install -m 0755 "$TOP/tests/guest-init.sh" "$root/init"

# Kernel modules: kvm, kvm-amd, kvm-intel and whatever they depend on.
want="kvm kvm-amd kvm-intel"
done_mods=""
while [ -n "$want" ]; do
	set -- $want
	m=$1
	shift
	want="$*"
	case " $done_mods " in *" $m "*) continue ;; esac
	done_mods="$done_mods $m"
	f=$(find "$kmods/kernel" -name "$m.ko*" -o -name "$(echo "$m" | tr _ -).ko*" | head -n 1)
	[ -n "$f" ] || { echo "mkinitramfs: $m not found in $kdir" >&2; exit 1; }
	rel=$mods/${f#"$kmods"/}
	mkdir -p "$root/$(dirname "$rel")"
	cp "$f" "$root/$rel"
	deps=$(/sbin/modinfo -F depends "$f" | tr , ' ')
	want="$want $deps"
done
# 7.x packages ship no modules.builtin*: nothing is looked up as built in.
for f in modules.builtin modules.builtin.modinfo; do
	if [ -e "$kmods/$f" ]; then cp "$kmods/$f" "$root/$mods/"; else : > "$root/$mods/$f"; fi
done
cp "$vsm_ko" "$root/$mods/updates/dkms/"
(cd "$root/$mods" && find kernel updates -name '*.ko*' | sort > modules.order)
/sbin/depmod -b "$root" "$abi"

# Userspace: the loader, the VMM, the tests, and every shared library they
# need.
cp "$tools/kvm-vsm-load" "$tools/kvm-vsm-info" "$root/sbin/"
cp "$tools/kvm-vsm-run" "$root/bin/"
# The images kut.sh listed: the upstream tests, then our guests.
for n in $(cat "$kut/UPSTREAM" "$kut/GUESTS"); do
	cp "$kut/$n.flat" "$root/kut/"
done
for t in $test_list; do
	cp "$tests/$t" "$root/tests/"
done
echo "$test_list" > "$root/tests/LIST"
# Benchmarks, when built: run by kvmvsm.mode=bench, never by the tests.
benches=$(make -s -C "$TOP/tests" list-benches)
for b in $benches; do
	[ -e "$tests/$b" ] && cp "$tests/$b" "$root/tests/"
done
echo "$benches" > "$root/tests/BENCHES"
for bin in "$root/sbin/kvm-vsm-load" "$root/bin/kvm-vsm-run" "$root"/tests/*_test; do
	# The runners are shell scripts, run by busybox.
	head -c 4 "$bin" | grep -q ELF || continue
	ldd "$bin" | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p'
done | sort -u | while read -r lib; do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done

(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 > "$out"
