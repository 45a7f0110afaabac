/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kvm.ko functions kvm-vsm calls (compat.h), in the pattern of
 * asm/kvm-x86-ops.h: KVM_VSM_FN(name, return type, parameters), defined by
 * each includer. Where a declaration left the headers packages ship, the
 * comment says where it went. KVM_VSM_FN_LOOKUP: not exported on this
 * kernel, always resolved from kvm.ko's symbol table (symbols.c).
 */
#if !defined(KVM_VSM_FN) || !defined(KVM_VSM_FN_LOOKUP)
#error "define KVM_VSM_FN and KVM_VSM_FN_LOOKUP before including kvm_fns.h"
#endif

/* include/linux/kvm_host.h */
KVM_VSM_FN(file_is_kvm, bool, (struct file *file))
KVM_VSM_FN(kvm_vcpu_read_guest, int,
	   (struct kvm_vcpu *vcpu, gpa_t gpa, void *data, unsigned long len))
KVM_VSM_FN(kvm_vcpu_write_guest, int,
	   (struct kvm_vcpu *vcpu, gpa_t gpa, const void *data, unsigned long len))
KVM_VSM_FN(vcpu_load, void, (struct kvm_vcpu *vcpu))
KVM_VSM_FN(vcpu_put, void, (struct kvm_vcpu *vcpu))
#ifdef KVM_VSM_HAVE___KVM_VCPU_KICK
KVM_VSM_FN(__kvm_vcpu_kick, void, (struct kvm_vcpu *vcpu, bool wait))
#else
KVM_VSM_FN(kvm_vcpu_kick, void, (struct kvm_vcpu *vcpu))
#endif

/* asm/kvm_host.h, later arch/x86/kvm/irq.h */
KVM_VSM_FN(kvm_cpu_has_interrupt, int, (struct kvm_vcpu *vcpu))

/* asm/kvm_host.h, later arch/x86/kvm/regs.h */
KVM_VSM_FN(kvm_get_linear_rip, unsigned long, (struct kvm_vcpu *vcpu))
KVM_VSM_FN(load_pdptrs, int, (struct kvm_vcpu *vcpu, unsigned long cr3))
KVM_VSM_FN(kvm_set_dr, int, (struct kvm_vcpu *vcpu, int dr, unsigned long val))
#ifdef KVM_VSM_HAVE_KVM_GET_DR_OUTPARAM
KVM_VSM_FN(kvm_get_dr, void,
	   (struct kvm_vcpu *vcpu, int dr, unsigned long *val))
#else
KVM_VSM_FN(kvm_get_dr, unsigned long, (struct kvm_vcpu *vcpu, int dr))
#endif

/* asm/kvm_host.h, later arch/x86/kvm/mmu.h */
KVM_VSM_FN(kvm_mmu_reset_context, void, (struct kvm_vcpu *vcpu))

/* asm/kvm_host.h, later arch/x86/kvm/x86.h */
KVM_VSM_FN(kvm_queue_exception, void, (struct kvm_vcpu *vcpu, unsigned int nr))
KVM_VSM_FN(kvm_skip_emulated_instruction, int, (struct kvm_vcpu *vcpu))
KVM_VSM_FN(kvm_emulate_instruction, int,
	   (struct kvm_vcpu *vcpu, int emulation_type))

/* arch/x86/kvm/x86.h; struct x86_exception is in arch/x86/kvm/kvm_emulate.h */
KVM_VSM_FN(kvm_read_guest_virt, int,
	   (struct kvm_vcpu *vcpu, gva_t addr, void *val, unsigned int bytes,
	    struct x86_exception *exception))

/* include/linux/kvm_host.h: the overlay page in place of the RAM page */
KVM_VSM_FN(kvm_get_running_vcpu, struct kvm_vcpu *, (void))
#ifdef KVM_VSM_HAVE_KVM_FAULTIN_PFN
KVM_VSM_FN(__kvm_faultin_pfn, kvm_pfn_t,
	   (const struct kvm_memory_slot *slot, gfn_t gfn, unsigned int foll,
	    bool *writable, struct page **refcounted_page))
#endif

/* include/linux/kvm_host.h: KVM's accesses the overlay hooks split */
KVM_VSM_FN(kvm_read_guest, int,
	   (struct kvm *kvm, gpa_t gpa, void *data, unsigned long len))
KVM_VSM_FN(kvm_write_guest, int,
	   (struct kvm *kvm, gpa_t gpa, const void *data, unsigned long len))
KVM_VSM_FN(kvm_vcpu_read_guest_page, int,
	   (struct kvm_vcpu *vcpu, gfn_t gfn, void *data, int offset, int len))
KVM_VSM_FN(kvm_vcpu_write_guest_page, int,
	   (struct kvm_vcpu *vcpu, gfn_t gfn, const void *data, int offset,
	    int len))
KVM_VSM_FN(kvm_clear_guest, int, (struct kvm *kvm, gpa_t gpa, unsigned long len))
KVM_VSM_FN(kvm_gfn_to_hva_cache_init, int,
	   (struct kvm *kvm, struct gfn_to_hva_cache *ghc, gpa_t gpa,
	    unsigned long len))
KVM_VSM_FN(kvm_read_guest_offset_cached, int,
	   (struct kvm *kvm, struct gfn_to_hva_cache *ghc, void *data,
	    unsigned int offset, unsigned long len))
KVM_VSM_FN(kvm_write_guest_offset_cached, int,
	   (struct kvm *kvm, struct gfn_to_hva_cache *ghc, void *data,
	    unsigned int offset, unsigned long len))

/* asm/kvm_host.h, later arch/x86/kvm/x86.h, then arch/x86/kvm/msrs.h */
KVM_VSM_FN(kvm_set_msr_common, int,
	   (struct kvm_vcpu *vcpu, struct msr_data *msr))
KVM_VSM_FN(kvm_get_msr_common, int,
	   (struct kvm_vcpu *vcpu, struct msr_data *msr))

/* asm/kvm_host.h (6.1) or arch/x86/kvm/x86.h, later arch/x86/kvm/msrs.h */
KVM_VSM_FN(kvm_valid_efer, bool, (struct kvm_vcpu *vcpu, u64 efer))
#ifdef KVM_VSM_HAVE_KVM_SET_MSR
KVM_VSM_FN(kvm_set_msr, int, (struct kvm_vcpu *vcpu, u32 index, u64 data))
#else
KVM_VSM_FN(__kvm_emulate_msr_write, int,
	   (struct kvm_vcpu *vcpu, u32 index, u64 data))
#endif

/* arch/x86/kvm/x86.h; later an inline in arch/x86/kvm/regs.h */
#ifdef KVM_VSM_HAVE_KVM_IS_VALID_CR4_FN
KVM_VSM_FN(__kvm_is_valid_cr4, bool, (struct kvm_vcpu *vcpu, unsigned long cr4))
#endif

/* arch/x86/kvm/cpuid.h; later static, with a lazy update */
#ifndef KVM_VSM_HAVE_CPUID_DYNAMIC_BITS_DIRTY
KVM_VSM_FN(kvm_update_cpuid_runtime, void, (struct kvm_vcpu *vcpu))
#endif

/* asm/kvm_host.h since 6.2 (exported); arch/x86/kvm/mmu.h before */
#ifdef KVM_VSM_HAVE_KVM_ZAP_GFN_RANGE
KVM_VSM_FN(kvm_zap_gfn_range, void,
	   (struct kvm *kvm, gfn_t gfn_start, gfn_t gfn_end))
#else
KVM_VSM_FN_LOOKUP(kvm_zap_gfn_range, void,
		  (struct kvm *kvm, gfn_t gfn_start, gfn_t gfn_end))
#endif

#undef KVM_VSM_FN
#undef KVM_VSM_FN_LOOKUP
