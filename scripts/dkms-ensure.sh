#!/bin/sh
# kvm-vsm DKMS-installed for one kernel, in the root it is built in (the
# package is built and installed there when it is not):
#   dkms-ensure.sh <abi> <root>
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
abi=$1 root=$2
if "$TOP/scripts/kernels.sh" in-root "$root" sh -c \
	"ls /lib/modules/'$abi'/updates/dkms/kvm-vsm.ko* > /dev/null 2>&1"; then
	exit 0
fi
make -s -C "$TOP" tools
"$TOP/scripts/kernels.sh" in-root "$root" dpkg -i "$("$TOP/scripts/mkdeb.sh")"
