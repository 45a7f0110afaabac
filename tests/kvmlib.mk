# SPDX-License-Identifier: GPL-2.0
#
# Read by make together with the KVM selftests' own Makefile:
#   make -C <linux-source>/tools/testing/selftests/kvm \
#        -f Makefile -f <this file> VSM_TESTS=... VSM_OUT=... targets
# so that libkvm and our tests are compiled with exactly the flags and
# include paths that kernel release uses for its own KVM selftests.

# Before 6.12 the library sets up guest IDTs only when asked to.
VSM_CFLAGS_COMPAT := $(shell grep -q '^void vm_init_descriptor_tables' \
	include/x86_64/processor.h include/x86/processor.h 2>/dev/null && \
	echo -DVSM_LIB_IDT_ON_REQUEST)

# Later, generic_svm_setup() gives L2 a stack of its own (no rsp argument).
VSM_CFLAGS_COMPAT += $(shell grep -q 'generic_svm_setup(struct svm_test_data \*svm, void \*guest_rip);' \
	include/x86_64/svm_util.h include/x86/svm_util.h 2>/dev/null && \
	echo -DVSM_LIB_SVM_OWN_STACK)

# Later, vm_vaddr_t became gva_t and vm_vaddr_alloc_page() vm_alloc_page().
VSM_CFLAGS_COMPAT += $(shell grep -q '^gva_t vm_alloc_page' \
	include/kvm_util.h 2>/dev/null && echo -DVSM_LIB_GVA_T)

VSM_CFLAGS := $(VSM_CFLAGS_COMPAT) -Werror -DVSM_VERSION='"$(VSM_VERSION)"' -I$(VSM_TESTS) -I$(VSM_TESTS)/../include/uapi -I$(VSM_TESTS)/../tools/lib -U_GNU_SOURCE -D_GNU_SOURCE

# Newer libraries bundle the VFIO selftests library (and -luuid): no test
# of ours drives a device, so it is left out.
VSM_LIBKVM_OBJS := $(filter-out $(LIBVFIO_O),$(LIBKVM_OBJS))
VSM_LDLIBS_KVM := $(filter-out -luuid,$(LDLIBS))

$(VSM_OUT)/libkvm.a: $(VSM_LIBKVM_OBJS)
	$(AR) crs $@ $^

# A test is rebuilt when anything it compiles or links against changes:
# the uapi (an ABI version bump), libkvmvsm and its header included.
VSM_DEPS := $(VSM_TESTS)/vsm_test.h $(VSM_TESTS)/vsm_guest.h $(VSM_TESTS)/vsm_vtl.h \
	$(VSM_TESTS)/../include/uapi/linux/kvm_vsm.h $(VSM_TESTS)/../tools/lib/kvmvsm.h \
	$(filter %.a,$(VSM_LDLIBS))

$(VSM_OUT)/%: $(VSM_TESTS)/%.c $(VSM_DEPS) $(VSM_OUT)/libkvm.a
	$(CC) $(CFLAGS) $(VSM_CFLAGS) $(CPPFLAGS) $(LDFLAGS) $(TARGET_ARCH) \
		$< $(VSM_OUT)/libkvm.a $(VSM_LDLIBS_KVM) $(VSM_LDLIBS) -o $@
