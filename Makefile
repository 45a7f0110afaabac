# SPDX-License-Identifier: GPL-2.0
# kvm-vsm: user-facing targets. The module itself is described in Kbuild.

KVER	?= $(shell uname -r)
KDIR	?= /lib/modules/$(KVER)/build
PREFIX	?= /usr/local
VERSION	:= $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"$$/\1/p' dkms.conf)

.PHONY: all module clean lint check bench demo deb tools install help unit

all: module tools

# Kbuild writes objects beside the sources and `make clean` with M= deletes
# every *.ko below M, so the module is built in a copy under build/.
MODDIR	:= $(CURDIR)/build/module/$(KVER)

# W=1 with -Werror (Kbuild): warnings are errors.
module:
	scripts/stage-module.sh $(MODDIR)
	$(MAKE) -C $(KDIR) M=$(MODDIR) W=1 modules
	@echo "built $(MODDIR)/kvm-vsm.ko"

tools:
	$(MAKE) -C tools

# Unit tests of plain-C logic (perm.c's chunk encoding, the hypercall
# page's code) and of make install (PREFIX, pkg-config), on the build
# machine.
UNITDIR	:= $(CURDIR)/build/unit
unit:
	@mkdir -p $(UNITDIR)
	$(CC) -O2 -Wall -Wextra -Werror -Iinclude/uapi -Isrc \
		-o $(UNITDIR)/perm_codec_test tests/unit/perm_codec_test.c
	$(UNITDIR)/perm_codec_test
	$(CC) -O2 -Wall -Wextra -Werror -Isrc \
		-o $(UNITDIR)/hcpage_code_test tests/unit/hcpage_code_test.c
	$(UNITDIR)/hcpage_code_test
	tests/unit/install_test.sh $(UNITDIR)/install

# sparse (C=2) and checkpatch --strict against every kernel under test.
lint:
	scripts/lint.sh

# The whole test suite: static checks, then both stock kernels in QEMU.
check:
	scripts/check.sh

# Benchmarks in the guest of each kernel: ratios, no pass/fail.
bench:
	scripts/bench.sh

# Boot the stock-kernel guest, load the module, show it answering.
demo:
	scripts/demo.sh

# Debian package: DKMS source, udev rule, uapi header.
deb:
	scripts/mkdeb.sh

install: tools
	$(MAKE) -C tools install PREFIX=$(PREFIX)

clean:
	$(MAKE) -C tools clean
	rm -rf build/module build/out build/tools build/unit

help:
	@echo "make [module|tools|unit|lint|check|bench|demo|deb|install|clean]  (KVER=$(KVER))"
