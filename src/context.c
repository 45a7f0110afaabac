// SPDX-License-Identifier: GPL-2.0
/*
 * Shared lower layer: a register state the guest hands us for a vCPU
 * (HvCallEnableVpVtl's initial VP context), checked and loaded. enable.c
 * checks it when the guest asks; switch.c loads it at the VTL's first
 * entry.
 */
#include "kvm_vsm.h"

/* What KVM_SET_SREGS would refuse (kvm_is_valid_sregs()), and PAT. */
bool kvm_vsm_initial_context_valid(const struct tlfs_initial_vp_context *c)
{
	bool lma = c->efer & EFER_LMA, pg = c->cr0 & X86_CR0_PG;
	int i;

	if (pg && !(c->cr0 & X86_CR0_PE))
		return false;
	if (lma != (pg && (c->efer & EFER_LME)))
		return false;
	if (lma && !(c->cr4 & X86_CR4_PAE))
		return false;
	if (c->cr0 >> 32 || c->cr4 >> 32)
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
 * __set_sregs() does: vendor ops for what lives in the VMCB/VMCS, then an
 * MMU reset. The ops are KVM's own, reached through kvm_x86_ops, each
 * checked for an ENDBR first.
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
	int i;

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

	dt = (struct desc_ptr) { .size = ctx->idtr.limit, .address = ctx->idtr.base };
	set_idt(vcpu, &dt);
	dt = (struct desc_ptr) { .size = ctx->gdtr.limit, .address = ctx->gdtr.base };
	set_gdt(vcpu, &dt);

	/* Not a GPR (no slot in arch.regs[]): only the dirty bit, as KVM does. */
	vcpu->arch.cr3 = ctx->cr3;
	vcpu->arch.regs_avail |= BIT(VCPU_EXREG_CR3);
	vcpu->arch.regs_dirty |= BIT(VCPU_EXREG_CR3);
	if (set_efer(vcpu, ctx->efer))
		return -EINVAL;
	set_cr0(vcpu, ctx->cr0);
	vcpu->arch.cr0 = ctx->cr0;
	set_cr4(vcpu, ctx->cr4);
	for (i = 0; i < ARRAY_SIZE(segs); i++) {
		kvm_vsm_seg(&var, hs[i]);
		set_segment(vcpu, &var, segs[i]);
	}
	set_rflags(vcpu, ctx->rflags | X86_EFLAGS_FIXED);
	kvm_vsm_set_reg(vcpu, VCPU_REGS_RIP, ctx->rip);
	kvm_vsm_set_reg(vcpu, VCPU_REGS_RSP, ctx->rsp);
	if (kvm_set_msr(vcpu, MSR_IA32_CR_PAT, ctx->msr_cr_pat))
		pr_warn_ratelimited("kvm-vsm: initial PAT refused (MSR filter?)\n");
	kvm_mmu_reset_context(vcpu);
	kvm_make_request(KVM_REQ_EVENT, vcpu);
	return 0;
}
