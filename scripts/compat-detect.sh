#!/bin/sh
# Print -D flags for src/compat.h, from what the target kernel provides:
# its headers ($1 = srctree) and its exports ($2 = objtree/Module.symvers).
# Version numbers are never used: distributions backport KVM changes.
srctree=$1
objtree=$2
kvm_host=arch/x86/include/asm/kvm_host.h

# Exported, to any module or to a namespace (column 5).
has_export() {
	grep -qE "^0x[0-9a-f]+[[:space:]]+$1[[:space:]]" "$objtree/Module.symvers" 2>/dev/null
}
# Exported to named modules only: EXPORT_SYMBOL_FOR_MODULES() files the
# symbol under the namespace "module:<list>".
is_export_restricted() {
	awk -F '\t' -v s="$1" '$2 == s && $5 ~ /^module:/ { f = 1 } END { exit !f }' \
		"$objtree/Module.symvers" 2>/dev/null
}
has_text() {
	grep -qE "$2" "$srctree/$1" 2>/dev/null
}

# struct fd became opaque, read through fd_file() (6.12).
has_text include/linux/file.h 'define fd_file\(' && printf ' -DKVM_VSM_HAVE_FD_FILE'
# eventfd_signal(ctx) without a count (6.8).
has_text include/linux/eventfd.h 'void eventfd_signal\(struct eventfd_ctx \*ctx\)' &&
	printf ' -DKVM_VSM_HAVE_EVENTFD_SIGNAL_1ARG'
# kvm_get_dr() filling a pointer (before 6.10). Later kernels return the
# value, and some no longer declare it in the headers at all.
has_text $kvm_host 'void kvm_get_dr\(' && printf ' -DKVM_VSM_HAVE_KVM_GET_DR_OUTPARAM'
# vma->vm_flags became read-only, written through vm_flags_set() (6.3).
has_text include/linux/mm.h 'static inline void vm_flags_set\(' &&
	printf ' -DKVM_VSM_HAVE_VM_FLAGS_SET'
# kvm.ko sanity: the one symbol every kvm-vsm feature relies on.
has_export file_is_kvm && printf ' -DKVM_VSM_HAVE_FILE_IS_KVM'
# kvm.ko exports its internals to kvm-amd/kvm-intel only: kvm-vsm calls
# them through addresses from kvm.ko's symbol table (symbols.c).
is_export_restricted file_is_kvm && printf ' -DKVM_VSM_HAVE_KVM_INTERNAL_EXPORTS'
# regs_avail/regs_dirty became bitmaps, RIP left regs[] for its own field,
# and the non-GPR register names lost "EX" (VCPU_REG_RIP, VCPU_REG_CR3).
has_text $kvm_host 'DECLARE_BITMAP\(regs_avail' && printf ' -DKVM_VSM_HAVE_REGS_BITMAP'
has_text $kvm_host '^[[:space:]]unsigned long rip;' && printf ' -DKVM_VSM_HAVE_ARCH_RIP'
has_text $kvm_host 'VCPU_REG_CR3,' && printf ' -DKVM_VSM_HAVE_VCPU_REG_NAMES'
# Dynamic CPUID bits (OSXSAVE, OSPKE, XSAVE sizes) updated lazily, on the
# next CPUID read, after KVM sets this flag; kvm_update_cpuid_runtime()
# became static.
has_text $kvm_host 'bool cpuid_dynamic_bits_dirty;' &&
	printf ' -DKVM_VSM_HAVE_CPUID_DYNAMIC_BITS_DIRTY'
# __kvm_is_valid_cr4() is a function of kvm.ko (else an inline over
# cr4_guest_rsvd_bits, which then holds KVM's own reserved bits too).
has_export __kvm_is_valid_cr4 && printf ' -DKVM_VSM_HAVE_KVM_IS_VALID_CR4_FN'
# kvm_set_msr() (guest semantics, no MSR filter) is exported; later
# kernels call the same thing __kvm_emulate_msr_write().
has_export kvm_set_msr && printf ' -DKVM_VSM_HAVE_KVM_SET_MSR'
# struct kvm_vcpu_hv, KVM's per-vCPU Hyper-V state, is in the headers
# (later private to arch/x86/kvm/hyperv.h).
has_text $kvm_host '^struct kvm_vcpu_hv \{' && printf ' -DKVM_VSM_HAVE_KVM_VCPU_HV'
# kvm_vcpu_kick() became an inline around __kvm_vcpu_kick(vcpu, wait):
# every kick enters the latter, which is what is hooked then.
# kvm_zap_gfn_range() is exported (6.2; to kvm-amd/kvm-intel only on
# 7.x, see KVM_INTERNAL_EXPORTS); before, resolved from kvm.ko's symbols.
has_export kvm_zap_gfn_range && printf ' -DKVM_VSM_HAVE_KVM_ZAP_GFN_RANGE'
# The MMU's ACC_* bits gained ACC_READ_MASK (bit 0) and moved exec to bit
# 3 (private arch/x86/kvm/mmu.h); the page role's access field grew with it.
has_text $kvm_host 'unsigned access:4;' && printf ' -DKVM_VSM_HAVE_ACC_READ'
# kvm_vcpu_map() became an inline around __kvm_vcpu_map(.., writable) (6.13).
has_text include/linux/kvm_host.h 'int __kvm_vcpu_map\(' &&
	printf ' -DKVM_VSM_HAVE___KVM_VCPU_MAP'
# The MMU's faults resolve their pfn through __kvm_faultin_pfn(), and the
# TDP MMU WARNs when a present SPTE has another pfn than the fault (6.13).
has_text include/linux/kvm_host.h 'kvm_pfn_t __kvm_faultin_pfn\(const struct kvm_memory_slot' &&
	printf ' -DKVM_VSM_HAVE_KVM_FAULTIN_PFN'
# KVM_PRE_FAULT_MEMORY maps guest memory without a page fault (6.11).
has_text include/linux/kvm_host.h 'kvm_arch_vcpu_pre_fault_memory\(' &&
	printf ' -DKVM_VSM_HAVE_PRE_FAULT_MEMORY'
has_text include/linux/kvm_host.h 'void __kvm_vcpu_kick\(' &&
	has_text include/linux/kvm_host.h 'static inline void kvm_vcpu_kick\(' &&
	printf ' -DKVM_VSM_HAVE___KVM_VCPU_KICK'
echo
