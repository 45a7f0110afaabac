#!/bin/sh
# Print -D flags for src/compat.h, from what the target kernel provides:
# its headers ($1 = srctree) and its exports ($2 = objtree/Module.symvers).
# Version numbers are never used: distributions backport KVM changes.
srctree=$1
objtree=$2

has_export() {
	grep -qE "^0x[0-9a-f]+[[:space:]]+$1[[:space:]]" "$objtree/Module.symvers" 2>/dev/null
}
has_text() {
	grep -qE "$2" "$srctree/$1" 2>/dev/null
}

# struct fd became opaque, read through fd_file() (6.12).
has_text include/linux/file.h 'define fd_file\(' && printf ' -DKVM_VSM_HAVE_FD_FILE'
# eventfd_signal(ctx) without a count (6.8).
has_text include/linux/eventfd.h 'void eventfd_signal\(struct eventfd_ctx \*ctx\)' &&
	printf ' -DKVM_VSM_HAVE_EVENTFD_SIGNAL_1ARG'
# kvm_get_dr() returns the value instead of filling a pointer (6.10).
has_text arch/x86/include/asm/kvm_host.h 'unsigned long kvm_get_dr\(' &&
	printf ' -DKVM_VSM_HAVE_KVM_GET_DR_RETURNS'
# vma->vm_flags became read-only, written through vm_flags_set() (6.3).
has_text include/linux/mm.h 'static inline void vm_flags_set\(' &&
	printf ' -DKVM_VSM_HAVE_VM_FLAGS_SET'
# kvm.ko sanity: the one symbol every kvm-vsm feature relies on.
has_export file_is_kvm && printf ' -DKVM_VSM_HAVE_FILE_IS_KVM'
echo
