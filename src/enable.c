// SPDX-License-Identifier: GPL-2.0
/*
 * VSM enablement from the guest: HvCallEnablePartitionVtl (0x000D) and
 * HvCallEnableVpVtl (0x000F), for attached VMs, in the kernel.
 *
 * The VMM decides which VTLs can exist by attaching a VM per VTL
 * (VsmPartitionStatus.MaximumVtl is the highest attached); the guest
 * decides which of them are enabled, in order, as on Hyper-V. Every bad
 * input is a TLFS status in RAX; none is a host error.
 */
#include <linux/slab.h>

#include "kvm_vsm.h"

/*
 * What both calls refuse first: no AccessVsm privilege, or a control value
 * that is not a simple call's (rep, variable header, reserved bits).
 */
static bool kvm_vsm_enable_refused(struct kvm_vsm_hc *hc, u64 *result)
{
	u64 c = hc->control;

	*result = HV_STATUS_ACCESS_DENIED;
	if (!kvm_vsm_hc_privileged(hc->vcpu, HV_PRIV_ACCESS_VSM))
		return true;
	*result = HV_STATUS_INVALID_HYPERCALL_INPUT;
	return (c & HV_HC_RSVD) || HV_HC_VARHEAD(c) || HV_HC_REP_COUNT(c) ||
	       HV_HC_REP_START(c);
}

/*
 * The input block of a simple call, @len bytes: from RDX/R8 (EBX:ECX,
 * EDI:ESI) when fast, which fits 16 bytes; else from guest memory.
 */
static u64 kvm_vsm_hc_input(struct kvm_vsm_hc *hc, void *data, size_t len)
{
	gpa_t gpa;

	if (hc->control & HV_HC_FAST) {
		u64 regs[2] = { kvm_vsm_hc_in_gpa(hc), kvm_vsm_hc_out_gpa(hc) };

		if (len > sizeof(regs))
			return HV_STATUS_INVALID_HYPERCALL_INPUT;
		memcpy(data, regs, len);
		return HV_STATUS_SUCCESS;
	}
	gpa = kvm_vsm_hc_in_gpa(hc);
	if (gpa & 7)
		return HV_STATUS_INVALID_ALIGNMENT;
	if (offset_in_page(gpa) + len > PAGE_SIZE ||
	    kvm_vcpu_read_guest(hc->vcpu, gpa, data, len))
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	return HV_STATUS_SUCCESS;
}

int kvm_vsm_enable_partition_vtl(struct kvm_vsm_hc *hc, u64 *result)
{
	struct kvm_vsm_partition *part = hc->vtl->part;
	struct tlfs_enable_partition_vtl in;
	u8 caller = hc->vtl->vtl, highest;

	if (kvm_vsm_enable_refused(hc, result))
		return 1;
	*result = kvm_vsm_hc_input(hc, &in, sizeof(in));
	if (*result)
		return 1;
	*result = HV_STATUS_INVALID_PARTITION_ID;
	if (in.partition_id != HV_PARTITION_ID_SELF)
		return 1;
	/* MBEC (mode-based execute control) is not implemented: refused. */
	*result = HV_STATUS_INVALID_PARAMETER;
	if (in.flags || !kvm_vsm_zero(in.reserved, sizeof(in.reserved)))
		return 1;
	if (!in.target_vtl || in.target_vtl > kvm_vsm_max_vtl(part))
		return 1;

	spin_lock(&part->vsm_lock);
	highest = fls(part->enabled_vtls) - 1;
	if (part->enabled_vtls & BIT(in.target_vtl))
		*result = HV_STATUS_VTL_ALREADY_ENABLED;
	else if (in.target_vtl != highest + 1)
		*result = HV_STATUS_INVALID_VTL_STATE;	/* one at a time */
	else if (caller != highest)
		/* TLFS: only the highest enabled VTL enables a higher one. */
		*result = HV_STATUS_ACCESS_DENIED;
	else
		*result = HV_STATUS_SUCCESS;
	if (!*result)
		part->enabled_vtls |= BIT(in.target_vtl);
	spin_unlock(&part->vsm_lock);
	return 1;
}

/* What KVM_SET_SREGS would refuse (kvm_is_valid_sregs()), and PAT. */
static bool kvm_vsm_initial_context_valid(const struct tlfs_initial_vp_context *c)
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

int kvm_vsm_enable_vp_vtl(struct kvm_vsm_hc *hc, u64 *result)
{
	struct kvm_vsm_partition *part = hc->vtl->part;
	struct tlfs_initial_vp_context *ctx, *old = NULL;
	struct kvm_vsm_vpstate *st;
	struct kvm_vsm_vp *target;
	struct tlfs_enable_vp_vtl *in;
	u8 caller = hc->vtl->vtl, t;
	u32 vp;

	if (kvm_vsm_enable_refused(hc, result))
		return 1;
	in = kmalloc(sizeof(*in), GFP_KERNEL_ACCOUNT);
	*result = HV_STATUS_INSUFFICIENT_MEMORY;
	if (!in)
		return 1;
	/* 240 bytes: never fast. */
	*result = kvm_vsm_hc_input(hc, in, sizeof(*in));
	if (*result)
		goto out;
	*result = HV_STATUS_INVALID_PARTITION_ID;
	if (in->partition_id != HV_PARTITION_ID_SELF)
		goto out;
	t = in->target_vtl;
	*result = HV_STATUS_INVALID_PARAMETER;
	if (!kvm_vsm_zero(in->reserved, sizeof(in->reserved)) ||
	    !t || t > kvm_vsm_max_vtl(part) ||
	    !kvm_vsm_initial_context_valid(&in->ctx))
		goto out;
	vp = in->vp_index == HV_VP_INDEX_SELF ? hc->vcpu->vcpu_idx : in->vp_index;
	st = xa_load(&part->vpstates, vp);
	target = kvm_vsm_vp_at(part, t, vp);
	/* A VP exists at VTL t once the VMM registered its vCPU there. */
	*result = HV_STATUS_INVALID_VP_INDEX;
	if (!st || !kvm_vsm_vp_at(part, 0, vp) || !target)
		goto out;

	ctx = kmemdup(&in->ctx, sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	*result = HV_STATUS_INSUFFICIENT_MEMORY;
	if (!ctx)
		goto out;
	spin_lock(&part->vsm_lock);
	if (!(part->enabled_vtls & BIT(t)) || !(st->enabled_vtls & BIT(t - 1)))
		*result = HV_STATUS_INVALID_VTL_STATE;
	else if (st->enabled_vtls & BIT(t))
		*result = HV_STATUS_VTL_ALREADY_ENABLED;
	else if (caller < t && (caller != t - 1 || (part->vp_enabled_once & BIT(t))))
		/*
		 * TLFS: a VTL is enabled by a higher one, except that the
		 * first VP to get VTL t gets it from VTL t-1.
		 */
		*result = HV_STATUS_ACCESS_DENIED;
	else
		*result = HV_STATUS_SUCCESS;
	if (!*result) {
		old = xchg(&target->initial_ctx, ctx);
		ctx = NULL;
		st->enabled_vtls |= BIT(t);
		part->vp_enabled_once |= BIT(t);
	}
	spin_unlock(&part->vsm_lock);
	kfree(old);
	kfree(ctx);
out:
	kfree(in);
	return 1;
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
