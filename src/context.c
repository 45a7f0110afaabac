// SPDX-License-Identifier: GPL-2.0
/*
 * Shared lower layer: register state the guest hands us for a vCPU
 * (HvCallEnableVpVtl's initial VP context, the shared state a VTL switch
 * moves), checked against what KVM lets that vCPU's guest hold, and
 * loaded. enable.c checks a context when the guest asks; switch.c checks
 * it again and loads it at the VTL's first entry, and checks the shared
 * state at every switch.
 *
 * The bar is KVM's own for the *guest*, not KVM_SET_SREGS's for the VMM:
 * kvm_valid_efer() without host_initiated (SVME only with nested=1 and
 * SVM in the guest's CPUID), CR4 reserved bits including the ones the
 * guest's CPUID reserves, and what VM entry would refuse.
 */
#include <asm/page.h>

#include "kvm_vsm.h"

#define KVM_VSM_RFLAGS_VALID	0x3f7fd7ull	/* CF..ID, no 1/3/5/15, 63:22 */
#define KVM_VSM_SEG_TYPE_CODE	BIT(3)
#define KVM_VSM_SEG_TYPE_RW	BIT(1)	/* readable code, writable data */
#define KVM_VSM_SEG_P		BIT(7)
#define KVM_VSM_SEG_S		BIT(4)
#define KVM_VSM_SEG_L		BIT(13)
#define KVM_VSM_SEG_DB		BIT(14)
#define KVM_VSM_SEG_G		BIT(15)
#define KVM_VSM_TSS_BUSY_16	3
#define KVM_VSM_TSS_BUSY	11
#define KVM_VSM_LDT		2

static bool kvm_vsm_seg_usable(const struct tlfs_seg *s)
{
	return s->attributes & KVM_VSM_SEG_P;
}

/* A vendor check of kvm_x86_ops (VMX: CR4.VMXE, CR0 without URG). */
static bool kvm_vsm_vendor_cr_ok(bool (*fn)(struct kvm_vcpu *, unsigned long),
				 struct kvm_vcpu *vcpu, unsigned long val)
{
	return kvm_vsm_callable(fn) && fn(vcpu, val);
}

/*
 * VM entry's limit rule for a usable segment: with G, limit[11:0] all
 * ones; without, limit[31:20] zero. And CS/SS/DS/ES bases fit 32 bits.
 */
static bool kvm_vsm_seg_shape_valid(const struct tlfs_seg *s, bool base32)
{
	if (!kvm_vsm_seg_usable(s))
		return true;
	if (base32 && s->base >> 32)
		return false;
	if (s->attributes & KVM_VSM_SEG_G)
		return (s->limit & 0xfff) == 0xfff;
	return !(s->limit >> 20);
}

/* What VM entry needs of the segments once CR0.PE is set. */
static bool kvm_vsm_segs_valid(const struct tlfs_initial_vp_context *c,
			       bool lma)
{
	const struct tlfs_seg *all[] = { &c->cs, &c->ss, &c->ds, &c->es,
		&c->fs, &c->gs, &c->tr, &c->ldtr };
	const struct tlfs_seg *data[] = { &c->ds, &c->es, &c->fs, &c->gs };
	u16 a = c->cs.attributes;
	u8 type;
	int i;

	for (i = 0; i < ARRAY_SIZE(all); i++)
		if (!kvm_vsm_seg_shape_valid(all[i], i < 4))
			return false;
	if (!kvm_vsm_seg_usable(&c->cs) || !(a & KVM_VSM_SEG_S) ||
	    !(a & KVM_VSM_SEG_TYPE_CODE))
		return false;
	if (lma && (a & KVM_VSM_SEG_L) && (a & KVM_VSM_SEG_DB))
		return false;
	a = c->ss.attributes;
	if (kvm_vsm_seg_usable(&c->ss) &&
	    (!(a & KVM_VSM_SEG_S) || (a & KVM_VSM_SEG_TYPE_CODE) ||
	     !(a & KVM_VSM_SEG_TYPE_RW)))
		return false;
	for (i = 0; i < ARRAY_SIZE(data); i++) {
		a = data[i]->attributes;
		if (!kvm_vsm_seg_usable(data[i]))
			continue;
		if (!(a & KVM_VSM_SEG_S) ||
		    ((a & KVM_VSM_SEG_TYPE_CODE) && !(a & KVM_VSM_SEG_TYPE_RW)))
			return false;
	}
	a = c->tr.attributes;
	type = a & 0xf;
	if (!kvm_vsm_seg_usable(&c->tr) || (a & KVM_VSM_SEG_S) ||
	    (type != KVM_VSM_TSS_BUSY && (lma || type != KVM_VSM_TSS_BUSY_16)))
		return false;
	a = c->ldtr.attributes;
	if (kvm_vsm_seg_usable(&c->ldtr) &&
	    ((a & KVM_VSM_SEG_S) || (a & 0xf) != KVM_VSM_LDT))
		return false;
	return true;
}

/* Long mode: addresses VM entry requires canonical. */
static bool kvm_vsm_bases_canonical(const struct tlfs_initial_vp_context *c)
{
	u8 bits = c->cr4 & X86_CR4_LA57 ? 57 : 48;
	u64 a[] = { c->rip, c->fs.base, c->gs.base, c->tr.base, c->ldtr.base,
		    c->idtr.base, c->gdtr.base };
	int i;

	for (i = 0; i < ARRAY_SIZE(a); i++)
		if (__canonical_address(a[i], bits) != a[i])
			return false;
	return true;
}

/*
 * Whether @vcpu's guest may hold @c: KVM_SET_SREGS's checks
 * (kvm_is_valid_sregs()) with the guest's, not the host's, EFER rule, and
 * what VM entry checks. Caller: @vcpu's mutex (its CPUID is read).
 */
bool kvm_vsm_initial_context_valid(struct kvm_vcpu *vcpu,
				   const struct tlfs_initial_vp_context *c)
{
	struct kvm_x86_ops *ops = kvm_vsm_kvm_x86_ops;
	bool lma = c->efer & EFER_LMA, pg = c->cr0 & X86_CR0_PG;
	int i;

	if (c->cr0 >> 32 || c->cr4 >> 32)
		return false;
	if (pg && !(c->cr0 & X86_CR0_PE))
		return false;
	if ((c->cr0 & X86_CR0_NW) && !(c->cr0 & X86_CR0_CD))
		return false;
	if (lma != (pg && (c->efer & EFER_LME)))
		return false;
	if (lma && !(c->cr4 & X86_CR4_PAE))
		return false;
	/* Long mode: MAXPHYADDR (LAM bits too: refused); else 32 bits. */
	if (lma ? c->cr3 & vcpu->arch.reserved_gpa_bits : c->cr3 >> 32)
		return false;
	if (!kvm_vsm_call(kvm_valid_efer)(vcpu, c->efer) ||
	    !kvm_vsm_cr4_valid(vcpu, c->cr4) ||
	    !kvm_vsm_vendor_cr_ok(READ_ONCE(ops->is_valid_cr4), vcpu, c->cr4) ||
	    !kvm_vsm_vendor_cr_ok(READ_ONCE(ops->is_valid_cr0), vcpu, c->cr0))
		return false;
	/*
	 * No VTL starts in real or virtual-8086 mode (Hyper-V's secure
	 * kernels start in long mode), and VMX with unrestricted guest
	 * would take either with only VM entry's checks: refused.
	 */
	if (!(c->cr0 & X86_CR0_PE) || (c->rflags & X86_EFLAGS_VM))
		return false;
	if (c->rflags & ~KVM_VSM_RFLAGS_VALID)
		return false;
	/* kvm_set_cr4(): PCIDE needs long mode and CR3[11:0] clear. */
	if ((c->cr4 & X86_CR4_PCIDE) && (!lma || (c->cr3 & 0xfff)))
		return false;
	/* The guest's L1 state is not what a nested guest runs on. */
	if (vcpu->arch.hflags & HF_GUEST_MASK)
		return false;
	if (!lma && ((c->cs.attributes & KVM_VSM_SEG_L) || c->rip >> 32))
		return false;
	if (lma && !kvm_vsm_bases_canonical(c))
		return false;
	if (!kvm_vsm_segs_valid(c, lma))
		return false;
	for (i = 0; i < 8; i++) {
		u8 type = c->msr_cr_pat >> (8 * i);

		if (type > 7 || type == 2 || type == 3)
			return false;
	}
	return true;
}

static void kvm_vsm_seg(struct kvm_segment *var, const struct tlfs_seg *s)
{
	u16 a = s->attributes;

	*var = (struct kvm_segment) {
		.base = s->base, .limit = s->limit, .selector = s->selector,
		.type = a & 0xf, .s = (a >> 4) & 1, .dpl = (a >> 5) & 3,
		.present = (a >> 7) & 1, .avl = (a >> 12) & 1,
		.l = (a >> 13) & 1, .db = (a >> 14) & 1, .g = (a >> 15) & 1,
		.unusable = !((a >> 7) & 1),
	};
}

/*
 * Load @ctx into @vcpu, which the caller has loaded (vcpu_load), the way
 * __set_sregs() does: checked again against @vcpu as it is now (the VMM
 * may have changed its CPUID since the hypercall), vendor ops for what
 * lives in the VMCB/VMCS, the runtime CPUID bits and PDPTRs, then an MMU
 * reset. -EINVAL: refused, @vcpu untouched. The ops are KVM's own,
 * reached through kvm_x86_ops, each checked for an ENDBR first.
 */
int kvm_vsm_apply_initial_context(struct kvm_vcpu *vcpu,
				  const struct tlfs_initial_vp_context *ctx)
{
	void (*set_segment)(struct kvm_vcpu *v, struct kvm_segment *s, int seg);
	void (*set_idt)(struct kvm_vcpu *v, struct desc_ptr *dt);
	void (*set_gdt)(struct kvm_vcpu *v, struct desc_ptr *dt);
	void (*set_cr0)(struct kvm_vcpu *v, unsigned long cr0);
	void (*set_cr4)(struct kvm_vcpu *v, unsigned long cr4);
	void (*set_rflags)(struct kvm_vcpu *v, unsigned long rflags);
	int (*set_efer)(struct kvm_vcpu *v, u64 efer);
	static const int segs[] = { VCPU_SREG_CS, VCPU_SREG_DS, VCPU_SREG_ES,
		VCPU_SREG_FS, VCPU_SREG_GS, VCPU_SREG_SS, VCPU_SREG_TR,
		VCPU_SREG_LDTR };
	const struct tlfs_seg *hs[] = { &ctx->cs, &ctx->ds, &ctx->es, &ctx->fs,
		&ctx->gs, &ctx->ss, &ctx->tr, &ctx->ldtr };
	struct kvm_x86_ops *ops = kvm_vsm_kvm_x86_ops;
	struct kvm_segment var;
	struct desc_ptr dt;
	int i, idx;

	set_segment = READ_ONCE(ops->set_segment);
	set_idt = READ_ONCE(ops->set_idt);
	set_gdt = READ_ONCE(ops->set_gdt);
	set_cr0 = READ_ONCE(ops->set_cr0);
	set_cr4 = READ_ONCE(ops->set_cr4);
	set_rflags = READ_ONCE(ops->set_rflags);
	set_efer = READ_ONCE(ops->set_efer);
	if (!kvm_vsm_callable(set_segment) || !kvm_vsm_callable(set_idt) ||
	    !kvm_vsm_callable(set_gdt) || !kvm_vsm_callable(set_cr0) ||
	    !kvm_vsm_callable(set_cr4) || !kvm_vsm_callable(set_rflags) ||
	    !kvm_vsm_callable(set_efer))
		return -EOPNOTSUPP;
	if (!kvm_vsm_initial_context_valid(vcpu, ctx))
		return -EINVAL;
	/* The one step that can fail comes first: nothing is half set. */
	if (set_efer(vcpu, ctx->efer))
		return -EINVAL;

	dt = (struct desc_ptr) { .size = ctx->idtr.limit, .address = ctx->idtr.base };
	set_idt(vcpu, &dt);
	dt = (struct desc_ptr) { .size = ctx->gdtr.limit, .address = ctx->gdtr.base };
	set_gdt(vcpu, &dt);

	/* Not a GPR (no slot in arch.regs[]): only the dirty bit, as KVM does. */
	vcpu->arch.cr3 = ctx->cr3;
	kvm_vsm_mark_reg_dirty(vcpu, KVM_VSM_REG_CR3);
	set_cr0(vcpu, ctx->cr0);
	vcpu->arch.cr0 = ctx->cr0;
	set_cr4(vcpu, ctx->cr4);
	/*
	 * CPUID.1:ECX.OSXSAVE and CPUID.7:ECX.OSPKE follow CR4: vendor
	 * set_cr4 updates them on a change; idempotent, so made sure of here.
	 */
	kvm_vsm_update_cpuid_runtime(vcpu);
	/* PAE paging: the PDPTRs come from guest memory, as in __set_sregs(). */
	if ((ctx->cr0 & X86_CR0_PG) && (ctx->cr4 & X86_CR4_PAE) &&
	    !(ctx->efer & EFER_LMA)) {
		idx = srcu_read_lock(&vcpu->kvm->srcu);
		kvm_vsm_call(load_pdptrs)(vcpu, ctx->cr3);
		srcu_read_unlock(&vcpu->kvm->srcu, idx);
	}
	for (i = 0; i < ARRAY_SIZE(segs); i++) {
		kvm_vsm_seg(&var, hs[i]);
		set_segment(vcpu, &var, segs[i]);
	}
	set_rflags(vcpu, ctx->rflags | X86_EFLAGS_FIXED);
	kvm_vsm_set_rip(vcpu, ctx->rip);
	kvm_vsm_set_reg(vcpu, VCPU_REGS_RSP, ctx->rsp);
	if (kvm_vsm_set_msr(vcpu, MSR_IA32_CR_PAT, ctx->msr_cr_pat))
		pr_warn_ratelimited("kvm-vsm: initial PAT refused (MSR filter?)\n");
	kvm_vsm_call(kvm_mmu_reset_context)(vcpu);
	kvm_make_request(KVM_REQ_TLB_FLUSH_GUEST, vcpu);
	kvm_make_request(KVM_REQ_EVENT, vcpu);
	return 0;
}

/*
 * Whether two vCPUs of one VP keep their x87/SSE/AVX/... state in the same
 * XSAVE layout, so the shared part can be copied buffer to buffer. Differing
 * guest CPUID (e.g. AMX permitted in one VTL's VM only) gives different
 * sizes or features. Caller: both vCPUs' mutexes, or neither can run yet.
 */
bool kvm_vsm_fpu_compatible(struct kvm_vcpu *a, struct kvm_vcpu *b)
{
	struct fpstate *fa = a->arch.guest_fpu.fpstate;
	struct fpstate *fb = b->arch.guest_fpu.fpstate;

	return fa->size == fb->size && fa->xfeatures == fb->xfeatures;
}

/*
 * Whether the state a VTL switch shares can go from @src to @dst: the same
 * XSAVE layout, and @src's XCR0 one that @dst's guest could have set with
 * XSETBV (__kvm_set_xcr(): within guest_supported_xcr0; the other rules
 * held when @src set it). Caller: both vCPUs' mutexes.
 */
bool kvm_vsm_shared_state_valid(struct kvm_vcpu *dst, struct kvm_vcpu *src)
{
	u64 valid = dst->arch.guest_supported_xcr0 | XFEATURE_MASK_FP;

	return kvm_vsm_fpu_compatible(dst, src) && !(src->arch.xcr0 & ~valid);
}
