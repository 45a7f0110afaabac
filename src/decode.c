// SPDX-License-Identifier: GPL-2.0
/*
 * Shared lower layer: decoding a guest's hypercall (control value, input
 * and output GPAs or fast registers, the partition privileges its CPUID
 * grants) and completing it. Used by the dispatcher and every handler;
 * calls nothing above it.
 */
#include <asm/fpu/api.h>

#include "kvm_vsm.h"

bool kvm_vsm_is_vsm_hypercall(u16 code)
{
	switch (code) {
	case HVCALL_MODIFY_VTL_PROTECTION_MASK ... HVCALL_VTL_RETURN:
	case HVCALL_GET_VP_REGISTERS ... HVCALL_TRANSLATE_VIRTUAL_ADDRESS:
		return true;
	default:
		return false;
	}
}

/* As KVM's is_64_bit_hypercall(): long mode with CS.L set. */
static bool kvm_vsm_is_64bit(struct kvm_vcpu *vcpu)
{
	int cs_db, cs_l;

	if (!(vcpu->arch.efer & EFER_LMA))
		return false;
	static_call(kvm_x86_get_cs_db_l_bits)(vcpu, &cs_db, &cs_l);
	return cs_l;
}

/* The hypercall input value: RCX in 64-bit mode, EDX:EAX otherwise. */
u64 kvm_vsm_hypercall_control(struct kvm_vcpu *vcpu, bool *longmode)
{
	unsigned long *regs = vcpu->arch.regs;

	*longmode = kvm_vsm_is_64bit(vcpu);
	if (*longmode)
		return regs[VCPU_REGS_RCX];
	return (regs[VCPU_REGS_RDX] << 32) | (u32)regs[VCPU_REGS_RAX];
}

/* The input/output GPAs of a memory-based call: RDX/R8, EBX:ECX/EDI:ESI. */
u64 kvm_vsm_hc_in_gpa(struct kvm_vsm_hc *hc)
{
	unsigned long *regs = hc->vcpu->arch.regs;

	return hc->longmode ? regs[VCPU_REGS_RDX] :
	       (regs[VCPU_REGS_RBX] << 32) | (u32)regs[VCPU_REGS_RCX];
}

u64 kvm_vsm_hc_out_gpa(struct kvm_vsm_hc *hc)
{
	unsigned long *regs = hc->vcpu->arch.regs;

	return hc->longmode ? regs[VCPU_REGS_R8] :
	       (regs[VCPU_REGS_RDI] << 32) | (u32)regs[VCPU_REGS_RSI];
}

/*
 * The partition privilege the guest's Hyper-V CPUID grants (0x40000003
 * EBX): Hyper-V refuses a VSM hypercall without it, and so do we, so the
 * VMM decides by what it advertises (KVM_VSM_CAP_HV_PRIVILEGES).
 */
bool kvm_vsm_hc_privileged(struct kvm_vcpu *vcpu, u32 privilege)
{
	return (kvm_vsm_hv_features_ebx(vcpu) & privilege) == privilege;
}

/*
 * The input block of a simple call, @len bytes: from RDX/R8 (EBX:ECX,
 * EDI:ESI) when fast, which fits 16 bytes; else from guest memory.
 */
u64 kvm_vsm_hc_input(struct kvm_vsm_hc *hc, void *data, size_t len)
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
	    kvm_vsm_call(kvm_vcpu_read_guest)(hc->vcpu, gpa, data, len))
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	return HV_STATUS_SUCCESS;
}

/* Rewrite the rep start index in the guest's control register. */
void kvm_vsm_hc_set_rep_start(struct kvm_vsm_hc *hc, u32 rep)
{
	u64 control = (hc->control & ~HV_HC_REP_START_MASK) | ((u64)rep << 48);

	if (hc->longmode)
		kvm_vsm_set_reg(hc->vcpu, VCPU_REGS_RCX, control);
	else
		kvm_vsm_set_reg(hc->vcpu, VCPU_REGS_RDX, control >> 32);
}

/*
 * The guest's XMM0-5, the values KVM's kvm_hv_hypercall_read_xmm() reads:
 * inside KVM_RUN the guest's FPU state is the task's, in the registers,
 * or in guest_fpu's buffer when TIF_NEED_FPU_LOAD says they were saved.
 * KVM reloads them before it enters the guest; read from the buffer, no
 * reload here (switch_fpu_return() is not for modules on newer kernels).
 */
void kvm_vsm_read_xmm(struct kvm_vcpu *vcpu, u8 *buf)
{
	struct fpstate *fps = vcpu->arch.guest_fpu.fpstate;

	fpregs_lock();
	if (!test_thread_flag(TIF_NEED_FPU_LOAD)) {
		asm volatile("movdqu %%xmm0, 0(%0)\n\t"
			     "movdqu %%xmm1, 16(%0)\n\t"
			     "movdqu %%xmm2, 32(%0)\n\t"
			     "movdqu %%xmm3, 48(%0)\n\t"
			     "movdqu %%xmm4, 64(%0)\n\t"
			     "movdqu %%xmm5, 80(%0)"
			     : : "r"(buf) : "memory");
	} else if (cpu_feature_enabled(X86_FEATURE_XSAVE) &&
		   !(fps->regs.xsave.header.xfeatures & XFEATURE_MASK_SSE)) {
		/* SSE in its init state: XSAVE* left the area as it was. */
		memset(buf, 0, HV_XMM_REGS_SIZE);
	} else {
		/* The legacy area has the same layout in every XSAVE format. */
		memcpy(buf, fps->regs.fxsave.xmm_space,
		       HV_XMM_REGS_SIZE);
	}
	fpregs_unlock();
}

/* As kvm_hv_hypercall_complete(): result to RAX (EDX:EAX), skip VMCALL. */
int kvm_vsm_hypercall_done(struct kvm_vcpu *vcpu, bool longmode, u64 result)
{
	if (longmode) {
		kvm_vsm_set_reg(vcpu, VCPU_REGS_RAX, result);
	} else {
		kvm_vsm_set_reg(vcpu, VCPU_REGS_RDX, result >> 32);
		kvm_vsm_set_reg(vcpu, VCPU_REGS_RAX, (u32)result);
	}
	++vcpu->stat.hypercalls;
	return kvm_vsm_call(kvm_skip_emulated_instruction)(vcpu);
}
