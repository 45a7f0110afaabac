#!/bin/sh
# Build kvm-vsm-dkms_<version>_all.deb: the module source for DKMS, the udev
# rule and the uapi header. dkms 3 dropped `dkms mkdeb`, so the package is
# assembled here and built with dpkg-deb.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
VER=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$TOP/dkms.conf")
OUT=${OUT:-$TOP/build}
root=$OUT/deb/root
deb=$OUT/kvm-vsm-dkms_${VER}_all.deb

rm -rf "$root"
mkdir -p "$root/DEBIAN" "$root/usr/include/linux" "$root/lib/udev/rules.d" \
	"$root/usr/share/doc/kvm-vsm-dkms"
"$TOP/scripts/stage-module.sh" "$root/usr/src/kvm-vsm-$VER"
install -m 0644 "$TOP/include/uapi/linux/kvm_vsm.h" "$root/usr/include/linux/"
install -m 0644 "$TOP/packaging/60-kvm-vsm.rules" "$root/lib/udev/rules.d/"
install -m 0644 "$TOP/README.md" "$root/usr/share/doc/kvm-vsm-dkms/"

cat > "$root/DEBIAN/control" <<CTL
Package: kvm-vsm-dkms
Version: $VER
Architecture: all
Section: kernel
Priority: optional
Depends: dkms (>= 3.0), kmod
Maintainer: kvm-vsm developers <kvm-vsm@localhost>
Description: Hyper-V Virtual Secure Mode for KVM (DKMS module source)
 kvm-vsm.ko gives KVM virtual machines Hyper-V Virtual Trust Levels on stock
 kernels. This package builds it with DKMS for every installed kernel that
 has headers, installs the /dev/kvm-vsm udev rule and the uapi header.
CTL

cat > "$root/DEBIAN/postinst" <<POST
#!/bin/sh
set -e
[ "\$1" = configure ] || exit 0
dkms status -m kvm-vsm -v $VER | grep -q . || dkms add -m kvm-vsm -v $VER
for b in /lib/modules/*/build; do
	[ -e "\$b/Makefile" ] || continue
	k=\${b#/lib/modules/}; k=\${k%/build}
	dkms install -m kvm-vsm -v $VER -k "\$k" ||
		echo "kvm-vsm-dkms: build for \$k failed; see /var/lib/dkms/kvm-vsm/$VER/build/make.log" >&2
done
if [ -d /run/udev ]; then udevadm control --reload-rules || true; fi
POST
cat > "$root/DEBIAN/prerm" <<PRERM
#!/bin/sh
set -e
dkms remove -m kvm-vsm -v $VER --all >/dev/null 2>&1 || true
PRERM
chmod 0755 "$root/DEBIAN/postinst" "$root/DEBIAN/prerm"

dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
