/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place for differences between the kernels kvm-vsm builds on.
 *
 * KVM_VSM_HAVE_* come from scripts/compat-detect.sh, which looks at the
 * target kernel's headers and Module.symvers: a feature test, not a version
 * test, because RHEL and others backport KVM into older version numbers.
 */
#ifndef KVM_VSM_COMPAT_H
#define KVM_VSM_COMPAT_H

#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/kvm_host.h>
#include <linux/mm.h>

#ifndef KVM_VSM_HAVE_FILE_IS_KVM
#error "kvm.ko of the target kernel does not export file_is_kvm()"
#endif

/*
 * The kvm.ko functions kvm-vsm calls: src/kvm_fns.h, each listed once.
 * Each is declared from that list, so where the kernel headers still
 * declare it a different type is a build error; where the declaration
 * moved to arch/x86/kvm/ (which headers packages do not ship) the list is
 * the prototype.
 *
 * Kernels that export them to any module: called directly. Kernels that
 * export them only to kvm-amd and kvm-intel: called through the addresses
 * symbols.c finds in kvm.ko's symbol table at load, each checked for an
 * ENDBR there (exported functions keep theirs); the module does not load
 * if one is missing.
 */
struct x86_exception;
#define KVM_VSM_FN(name, ret, args)	ret name args;
#define KVM_VSM_FN_LOOKUP(name, ret, args)	ret name args;
#include "kvm_fns.h"

/*
 * The addresses resolved at load: every KVM_VSM_FN_LOOKUP (not exported
 * on this kernel), and on kernels with KVM-internal exports every
 * KVM_VSM_FN too.
 */
struct kvm_vsm_kvm_fns {
#ifdef KVM_VSM_HAVE_KVM_INTERNAL_EXPORTS
#define KVM_VSM_FN(name, ret, args)	typeof(name) *name;
#else
#define KVM_VSM_FN(name, ret, args)
#endif
#define KVM_VSM_FN_LOOKUP(name, ret, args)	ret (*name) args;
#include "kvm_fns.h"
};

extern struct kvm_vsm_kvm_fns kvm_vsm_kvm_fns;
#ifdef KVM_VSM_HAVE_KVM_INTERNAL_EXPORTS
#define kvm_vsm_call(name)	(kvm_vsm_kvm_fns.name)
#else
#define kvm_vsm_call(name)	(name)
#endif
/* A KVM_VSM_FN_LOOKUP function: always through its resolved address. */
#define kvm_vsm_call_lookup(name)	(kvm_vsm_kvm_fns.name)

/* Zap the SPTEs of [start, end) in every address space, remote TLB flush. */
static inline void kvm_vsm_zap_gfn_range(struct kvm *kvm, gfn_t start,
					 gfn_t end)
{
#ifdef KVM_VSM_HAVE_KVM_ZAP_GFN_RANGE
	kvm_vsm_call(kvm_zap_gfn_range)(kvm, start, end);
#else
	kvm_vsm_call_lookup(kvm_zap_gfn_range)(kvm, start, end);
#endif
}

/* A vCPU's MSR write as the guest's WRMSR makes it, minus the MSR filter. */
static inline int kvm_vsm_set_msr(struct kvm_vcpu *vcpu, u32 index, u64 data)
{
#ifdef KVM_VSM_HAVE_KVM_SET_MSR
	return kvm_vsm_call(kvm_set_msr)(vcpu, index, data);
#else
	return kvm_vsm_call(__kvm_emulate_msr_write)(vcpu, index, data);
#endif
}

static inline void kvm_vsm_vcpu_kick(struct kvm_vcpu *vcpu)
{
#ifdef KVM_VSM_HAVE___KVM_VCPU_KICK
	kvm_vsm_call(__kvm_vcpu_kick)(vcpu, false);
#else
	kvm_vsm_call(kvm_vcpu_kick)(vcpu);
#endif
}

/* The kick that ftrace hooks (hooks.c): the out-of-line one. */
#ifdef KVM_VSM_HAVE___KVM_VCPU_KICK
#define KVM_VSM_KICK_FN_NAME	"__kvm_vcpu_kick"
#else
#define KVM_VSM_KICK_FN_NAME	"kvm_vcpu_kick"
#endif

/*
 * CR4 bits reserved for the guest. Without the function, KVM's own check
 * is an inline reading cr4_guest_rsvd_bits, which then also holds the
 * bits KVM itself does not support (kvm_vcpu_after_set_cpuid()).
 */
#ifndef KVM_VSM_HAVE_KVM_IS_VALID_CR4_FN
extern const u64 *kvm_vsm_kvm_cr4_reserved_bits;	/* symbols.c */
#endif

static inline bool kvm_vsm_cr4_valid(struct kvm_vcpu *vcpu, unsigned long cr4)
{
#ifdef KVM_VSM_HAVE_KVM_IS_VALID_CR4_FN
	return kvm_vsm_call(__kvm_is_valid_cr4)(vcpu, cr4);
#else
	u64 host = kvm_vsm_kvm_cr4_reserved_bits ?
		   READ_ONCE(*kvm_vsm_kvm_cr4_reserved_bits) : 0;

	return !(cr4 & (vcpu->arch.cr4_guest_rsvd_bits | host));
#endif
}

/*
 * CPUID bits that follow CR4 and XCR0 (OSXSAVE, OSPKE, 0xD sizes) after
 * they changed; the caller has @vcpu loaded. Where KVM updates them
 * lazily, it is told the way its own CR4/XCR0 writes tell it.
 */
static inline void kvm_vsm_update_cpuid_runtime(struct kvm_vcpu *vcpu)
{
#ifdef KVM_VSM_HAVE_CPUID_DYNAMIC_BITS_DIRTY
	vcpu->arch.cpuid_dynamic_bits_dirty = true;
#else
	kvm_vsm_call(kvm_update_cpuid_runtime)(vcpu);
#endif
}

/* kvm_get_dr() returns the value since 6.10; it filled a pointer before. */
static inline unsigned long kvm_vsm_get_dr(struct kvm_vcpu *vcpu, int dr)
{
#ifdef KVM_VSM_HAVE_KVM_GET_DR_OUTPARAM
	unsigned long val;

	kvm_vsm_call(kvm_get_dr)(vcpu, dr, &val);
	return val;
#else
	return kvm_vsm_call(kvm_get_dr)(vcpu, dr);
#endif
}

/*
 * Register indices beyond the GPRs: VCPU_EXREG_* became VCPU_REG_*, and
 * RIP moved from regs[] to its own field.
 */
#ifdef KVM_VSM_HAVE_VCPU_REG_NAMES
#define KVM_VSM_REG_RIP		VCPU_REG_RIP
#define KVM_VSM_REG_CR3		VCPU_REG_CR3
#else
#define KVM_VSM_REG_RIP		VCPU_REGS_RIP
#define KVM_VSM_REG_CR3		VCPU_EXREG_CR3
#endif

/* kvm_register_mark_dirty(): regs_avail/regs_dirty became bitmaps. */
static inline void kvm_vsm_mark_reg_dirty(struct kvm_vcpu *vcpu, int reg)
{
#ifdef KVM_VSM_HAVE_REGS_BITMAP
	__set_bit(reg, vcpu->arch.regs_avail);
	__set_bit(reg, vcpu->arch.regs_dirty);
#else
	vcpu->arch.regs_avail |= BIT(reg);
	vcpu->arch.regs_dirty |= BIT(reg);
#endif
}

/* kvm_rip_write(), for a vCPU that is not running. */
static inline void kvm_vsm_set_rip(struct kvm_vcpu *vcpu, unsigned long rip)
{
#ifdef KVM_VSM_HAVE_ARCH_RIP
	vcpu->arch.rip = rip;
#else
	vcpu->arch.regs[VCPU_REGS_RIP] = rip;
#endif
	kvm_vsm_mark_reg_dirty(vcpu, KVM_VSM_REG_RIP);
}

/* kvm_rip_read() once RIP is cached (after kvm_get_linear_rip()). */
static inline unsigned long kvm_vsm_rip(struct kvm_vcpu *vcpu)
{
#ifdef KVM_VSM_HAVE_ARCH_RIP
	return vcpu->arch.rip;
#else
	return vcpu->arch.regs[VCPU_REGS_RIP];
#endif
}

#ifndef KVM_VSM_HAVE_FD_FILE
/* Before struct fd became opaque its file was a plain member. */
#define fd_file(f)	((f).file)
#endif

/* eventfd_signal() lost its count argument (6.8). */
static inline void kvm_vsm_eventfd_signal(struct eventfd_ctx *ctx)
{
#ifdef KVM_VSM_HAVE_EVENTFD_SIGNAL_1ARG
	eventfd_signal(ctx);
#else
	eventfd_signal(ctx, 1);
#endif
}

#ifndef KVM_VSM_HAVE_KVM_VCPU_HV
/*
 * arch/x86/kvm/hyperv.h: the leading members of struct kvm_vcpu_hv, the
 * same since 4.14 (with synic's first three: 6.1 to 7.3 alike) and the
 * only ones kvm-vsm reads there; kvm_vsm_hv() checks the back pointer before any use.
 */
struct kvm_vcpu_hv {
	struct kvm_vcpu *vcpu;
	u32 vp_index;
	u64 hv_vapic;
	s64 runtime_offset;
	struct {			/* struct kvm_vcpu_hv_synic's start */
		u64 version;
		u64 control;
		u64 msg_page;
	} synic;
};
#endif

/*
 * KVM's Hyper-V state of @vcpu, NULL when the guest has none, or when it
 * is not laid out as this build expects (KVM_VSM_ATTACH_VCPU refuses such
 * a vCPU; this only keeps a guest's hypercall from reading a wrong field).
 */
static inline struct kvm_vcpu_hv *kvm_vsm_hv(struct kvm_vcpu *vcpu)
{
	/* Pairs with the release that publishes it (kvm_hv_vcpu_init()). */
	struct kvm_vcpu_hv *hv = smp_load_acquire(&vcpu->arch.hyperv);

	if (hv && unlikely(READ_ONCE(hv->vcpu) != vcpu)) {
		pr_err_once("kvm-vsm: unknown struct kvm_vcpu_hv layout\n");
		return ERR_PTR(-EOPNOTSUPP);
	}
	return hv;
}

/* Does KVM's Hyper-V state of @vcpu, if any, match this build? */
static inline bool kvm_vsm_hv_layout_ok(struct kvm_vcpu *vcpu)
{
	return !IS_ERR(kvm_vsm_hv(vcpu));
}

/* The same, NULL when there is none or it is not laid out as expected. */
static inline struct kvm_vcpu_hv *kvm_vsm_hv_get(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_hv *hv = kvm_vsm_hv(vcpu);

	return IS_ERR(hv) ? NULL : hv;
}

/*
 * HYPERV_CPUID_FEATURES.EBX (partition privileges) as KVM caches it for
 * its own checks: from the guest's CPUID when Hyper-V is enabled in it
 * (kvm_hv_set_cpuid()). Caller: @vcpu's mutex (CPUID is read).
 */
static inline u32 kvm_vsm_hv_features_ebx(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_hv *hv = kvm_vsm_hv_get(vcpu);
#ifndef KVM_VSM_HAVE_KVM_VCPU_HV
	struct kvm_cpuid_entry2 *e;
	int i;

	if (!hv || !vcpu->arch.hyperv_enabled)
		return 0;
	for (i = 0; i < vcpu->arch.cpuid_nent; i++) {
		e = &vcpu->arch.cpuid_entries[i];
		if (e->function == HYPERV_CPUID_FEATURES)
			return e->ebx;
	}
	return 0;
#else
	return hv ? hv->cpuid_cache.features_ebx : 0;
#endif
}

/* vma->vm_flags is written through vm_flags_set() since 6.3. */
static inline void kvm_vsm_vm_flags_set(struct vm_area_struct *vma,
					vm_flags_t flags)
{
#ifdef KVM_VSM_HAVE_VM_FLAGS_SET
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

#endif /* KVM_VSM_COMPAT_H */
