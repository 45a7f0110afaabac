// SPDX-License-Identifier: GPL-2.0
/*
 * VTL switches in the kernel: HvCallVtlCall (0x0011) and HvCallVtlReturn
 * (0x0012) for VPs run through KVM_VSM_RUN_VP in KVM_VSM_RUN_MODE_KERNEL.
 *
 * Each VTL is its own VM, so each VTL of a VP has its own vCPU and the
 * TLFS private state (control registers, RIP, RSP, RFLAGS, segments,
 * descriptor tables, DR7, EFER, PAT, SYSCALL/SYSENTER MSRs, FS/GS/kernel
 * GS base, TSC_AUX, Hyper-V MSRs, local APIC) simply stays where it is. A
 * switch moves only the shared state (TLFS 15.11.1; seeds/003 quotes the
 * list): GPRs but RSP, CR2, DR0-3 and DR6, the x87/SSE/AVX state and XCR0.
 * Nothing is proportional to guest size, and nothing goes to userspace.
 *
 * The request comes from the hypercall handler inside KVM_RUN of the
 * calling VTL's vCPU: it records the target and ends that KVM_RUN with an
 * internal exit. KVM_VSM_RUN_VP sees it and calls kvm_vsm_vtl_switch(),
 * where neither vCPU is loaded (their FPU state is in memory), then runs
 * the target's vCPU. The VMM never sees the internal exit.
 */
#include "compat.h"
#include "kvm_vsm.h"

/*
 * VtlCall/VtlReturn from @vcpu at @vtl. Returns 1 with *result set when
 * the guest gets a status instead (no higher VTL, VtlReturn from VTL0),
 * 0 to end KVM_RUN for the switch (kernel mode: KVM_VSM_RUN_VP makes it;
 * userspace mode: the VMM gets the exit and a ring record), a negative
 * errno to fail KVM_RUN, or -ENOTTY when the vCPU was never registered or,
 * in kernel mode, not run through KVM_VSM_RUN_VP: the caller then forwards
 * the hypercall to the VMM as a record that waits for its answer.
 */
int kvm_vsm_vtl_switch_request(struct kvm_vsm_hc *hc, u64 *result)
{
	struct kvm_vcpu *vcpu = hc->vcpu;
	struct kvm_vsm_vtl *vtl = hc->vtl;
	u16 code = HV_HC_CODE(hc->control);
	struct kvm_vsm_partition *part = vtl->part;
	struct kvm_vsm_vpstate *st = xa_load(&part->vpstates, vcpu->vcpu_idx);
	bool user = READ_ONCE(part->run_mode) == KVM_VSM_RUN_MODE_USERSPACE;
	/*
	 * VtlReturn's flags: RAX in 64-bit mode; otherwise the hypercall
	 * page's 32-bit entry has moved the caller's EAX to ECX (EDX:EAX is
	 * the control there).
	 */
	bool fast = vcpu->arch.regs[hc->longmode ? VCPU_REGS_RAX : VCPU_REGS_RCX] &
		    HV_VTL_RETURN_FAST;
	u32 target;
	int r;

	if (!st || st->active_vtl != vtl->vtl || (!user && !st->in_run))
		return -ENOTTY;

	if (!kvm_vsm_hc_privileged(vcpu, HV_PRIV_ACCESS_VSM)) {
		*result = HV_STATUS_ACCESS_DENIED;
		return 1;
	}
	/*
	 * Enable order makes enabled VTLs contiguous: a call goes to n+1; a
	 * return to whoever entered n (called it, or was preempted by its
	 * interrupt), which is below n.
	 */
	if (code == HVCALL_VTL_CALL) {
		target = vtl->vtl + 1;
	} else {
		if (!vtl->vtl) {
			*result = HV_STATUS_INVALID_VTL_STATE;
			return 1;
		}
		target = st->return_to[vtl->vtl];
	}
	/*
	 * kvm_vsm_srcu, not part->lock: this runs under @vcpu's mutex, and
	 * kvm_vsm_vtl_switch() takes vCPU mutexes under part->lock.
	 */
	if (target >= KVM_VSM_MAX_VTLS ||
	    !(READ_ONCE(st->enabled_vtls) & BIT(target)) ||
	    !kvm_vsm_vp_vcpu(part, target, vcpu->vcpu_idx)) {
		*result = HV_STATUS_INVALID_VTL_STATE;
		return 1;
	}

	if (user) {
		struct kvm_vsm_ring_record rec = {
			.type = KVM_VSM_RECORD_VTL_SWITCH,
			.vp = vcpu->vcpu_idx,
			.vtl = vtl->vtl,
			.vtl_switch = {
				.code = code, .from_vtl = vtl->vtl,
				.to_vtl = target, .fast = fast,
			},
		};

		/* A full ring: the guest makes the call again (entry.c). */
		r = kvm_vsm_ring_publish(part, vtl, &rec, NULL);
		if (r == -EAGAIN) {
			kvm_vsm_exit_ring_full(vcpu, st, hc->control);
			return 0;
		}
		if (r)
			return r;
		vcpu->run->hyperv.u.hcall.input = code;
		vcpu->run->hyperv.u.hcall.params[0] = target;
		vcpu->run->hyperv.u.hcall.params[1] = fast;
	} else {
		st->switch_to = target;
		st->entry_reason = HV_VTL_ENTRY_VTL_CALL;
		st->fast_return = fast;
		st->call_longmode = hc->longmode;
	}
	/* The caller resumes after its hypercall when it is switched back to. */
	kvm_vsm_call(kvm_skip_emulated_instruction)(vcpu);
	vcpu->run->exit_reason = KVM_EXIT_HYPERV;
	vcpu->run->hyperv.type = KVM_VSM_EXIT_HYPERV_VTL;
	return 0;
}

/* TLFS shared state, @src to @dst; neither vCPU is loaded. */
static void kvm_vsm_copy_shared(struct kvm_vcpu *dst, struct kvm_vcpu *src)
{
	struct fpstate *sfp = src->arch.guest_fpu.fpstate;
	struct fpstate *dfp = dst->arch.guest_fpu.fpstate;
	int reg, dr;

	for (reg = VCPU_REGS_RAX; reg <= VCPU_REGS_R15; reg++)
		if (reg != VCPU_REGS_RSP)
			kvm_vsm_set_reg(dst, reg, src->arch.regs[reg]);
	dst->arch.cr2 = src->arch.cr2;
	for (dr = 0; dr < 4; dr++)
		kvm_vsm_call(kvm_set_dr)(dst, dr, kvm_vsm_get_dr(src, dr));
	kvm_vsm_call(kvm_set_dr)(dst, 6, kvm_vsm_get_dr(src, 6));
	/* kvm_vsm_shared_state_valid(): a valid XCR0, the same XSAVE layout. */
	if (dst->arch.xcr0 != src->arch.xcr0) {
		dst->arch.xcr0 = src->arch.xcr0;
		/* CPUID.0xD.0 EBX follows XCR0; it reads CR4 (VMCS: loaded). */
		kvm_vsm_call(vcpu_load)(dst);
		kvm_vsm_update_cpuid_runtime(dst);
		kvm_vsm_call(vcpu_put)(dst);
	}
	/* XSAVE component 9 (shared): KVM keeps it out of the buffer. */
	dst->arch.pkru = src->arch.pkru;
	memcpy(&dfp->regs, &sfp->regs, sfp->size);
}

/*
 * The VP assist page part of entering @dst (VTL control area, TLFS
 * 15.6.1): entering upwards, the entry reason (1 call, 2 interrupt) in
 * @dst's page; on a return that is not fast, RAX/RCX from @src's page
 * (the returning VTL put them there).
 */
static void kvm_vsm_assist_side(struct kvm_vcpu *dst, struct kvm_vsm_vp *dst_vp,
				struct kvm_vcpu *src, u32 entry_reason,
				bool restore)
{
	u64 ret_regs[2];

	if (entry_reason) {
		/* Written when @dst's KVM_RUN starts (entry.c). */
		WRITE_ONCE(dst_vp->pending_entry_reason, entry_reason);
		if (!kvm_vsm_arm_entry(dst))
			pr_warn_ratelimited("kvm-vsm: VTL entry reason not delivered: completion pending\n");
	} else if (restore && !kvm_vsm_assist_ret_regs(src, ret_regs)) {
		kvm_vsm_set_reg(dst, VCPU_REGS_RAX, ret_regs[0]);
		kvm_vsm_set_reg(dst, VCPU_REGS_RCX, ret_regs[1]);
	}
}

/*
 * First entry into a VTL enabled by HvCallEnableVpVtl: its initial
 * context, set the way KVM_SET_SREGS sets it, with @dst loaded (vendor
 * state lives in the VMCS/VMCB); and it is runnable from now on, like
 * an AP after its SIPI.
 */
static int kvm_vsm_first_entry(struct kvm_vcpu *dst, struct kvm_vsm_vp *dst_vp)
{
	/* Under part->lock, as are EnableVpVtl's effect and detach. */
	struct tlfs_initial_vp_context *ctx = READ_ONCE(dst_vp->initial_ctx);
	int r;

	if (!ctx)
		return 0;
	kvm_vsm_call(vcpu_load)(dst);
	r = kvm_vsm_apply_initial_context(dst, ctx);
	kvm_vsm_call(vcpu_put)(dst);
	if (r) {
		/*
		 * Valid at the hypercall, not for @dst now (its CPUID changed):
		 * the VTL is not entered, the context stays for a later try.
		 */
		pr_warn_ratelimited("kvm-vsm: initial VP context refused (%d): VTL%u of VP %u not entered\n",
				    r, dst_vp->vtl, dst_vp->index);
		return r;
	}
	dst->arch.mp_state = KVM_MP_STATE_RUNNABLE;
	kfree(xchg(&dst_vp->initial_ctx, NULL));
	return 0;
}

/* KVM_VSM_SET_ACTIVE_VTL's work, with the VP owned and part->lock held. */
static int kvm_vsm_set_active_vtl_owned(struct kvm_vsm_partition *part,
					struct kvm_vsm_vpstate *st,
					struct kvm_vsm_active_vtl *arg,
					struct kvm_vcpu *src, struct kvm_vcpu *dst,
					u32 reason, bool restore)
{
	struct kvm_vsm_vp *dst_vp = kvm_vsm_vp_at(part, arg->vtl, arg->vp);
	int r;

	/* Killable: another thread may be running a vCPU of this VP (a VMM bug). */
	if (mutex_lock_killable(&dst->mutex))
		return -EINTR;
	if (src && mutex_lock_killable_nested(&src->mutex, 1)) {
		mutex_unlock(&dst->mutex);
		return -EINTR;
	}
	r = kvm_vsm_first_entry(dst, dst_vp);
	if (!r)
		kvm_vsm_assist_side(dst, dst_vp, src, reason, restore);
	if (src)
		mutex_unlock(&src->mutex);
	mutex_unlock(&dst->mutex);
	if (r)
		return r;	/* -EINVAL: the guest's initial context, refused */
	/* The VMM's choice replaces a switch a signal left pending. */
	st->switch_to = KVM_VSM_NO_SWITCH;
	if (arg->vtl > st->active_vtl)	/* entered from below */
		st->return_to[arg->vtl] = st->active_vtl;
	st->active_vtl = arg->vtl;
	return 0;
}

/* KVM_VSM_SET_ACTIVE_VTL: the VMM switched the VP itself (userspace mode). */
int kvm_vsm_set_active_vtl(struct kvm_vsm_partition *part,
			   struct kvm_vsm_active_vtl *arg)
{
	u32 known = KVM_VSM_ACTIVE_VTL_ENTRY_CALL | KVM_VSM_ACTIVE_VTL_RESTORE_RAX_RCX |
		    KVM_VSM_ACTIVE_VTL_ENTRY_INTERRUPT;
	u32 reason = 0;
	struct kvm_vcpu *src = NULL, *dst;
	struct kvm_vsm_vpstate *st;
	bool restore = arg->flags & KVM_VSM_ACTIVE_VTL_RESTORE_RAX_RCX;
	int r = 0;

	/* A return comes from another VTL (and its vCPU mutex is another). */
	if ((arg->flags & ~known) || arg->vtl >= KVM_VSM_MAX_VTLS ||
	    (restore && (arg->from >= KVM_VSM_MAX_VTLS || arg->from == arg->vtl)))
		return -EINVAL;
	if (arg->flags & KVM_VSM_ACTIVE_VTL_ENTRY_CALL)
		reason = HV_VTL_ENTRY_VTL_CALL;
	if (arg->flags & KVM_VSM_ACTIVE_VTL_ENTRY_INTERRUPT)
		reason = reason ? U32_MAX : HV_VTL_ENTRY_INTERRUPT;
	if (reason == U32_MAX)
		return -EINVAL;	/* one entry reason at a time */
	if (!kvm_vsm_zero(arg->reserved, sizeof(arg->reserved)))
		return -EINVAL;

	mutex_lock(&part->lock);
	st = xa_load(&part->vpstates, arg->vp);
	dst = kvm_vsm_vp_vcpu(part, arg->vtl, arg->vp);
	if (restore)
		src = kvm_vsm_vp_vcpu(part, arg->from, arg->vp);
	if (!st || !dst || (restore && !src)) {
		r = -ENOENT;
		goto out;
	}
	/* A KVM_VSM_RUN_VP owns the VP (partition.c). */
	if (test_and_set_bit_lock(0, &st->owned)) {
		r = -EBUSY;
		goto out;
	}
	r = kvm_vsm_set_active_vtl_owned(part, st, arg, src, dst, reason, restore);
	clear_bit_unlock(0, &st->owned);
out:
	mutex_unlock(&part->lock);
	return r;
}

/*
 * The switch cannot be made: the target's initial context or the shared
 * state (XCR0, XSAVE layout) is not valid for its vCPU any more. The VP
 * stays where it is; a VtlCall/VtlReturn (already stepped over) returns
 * HV_STATUS_INVALID_VTL_STATE, an interrupt entry is dropped (the
 * interrupt stays pending in the higher VTL's APIC).
 */
static void kvm_vsm_switch_refused(struct kvm_vsm_vpstate *st,
				   struct kvm_vcpu *src, struct kvm_vsm_vp *dst_vp)
{
	bool hypercall = st->switch_to < st->active_vtl ||
			 st->entry_reason == HV_VTL_ENTRY_VTL_CALL;

	pr_warn_ratelimited("kvm-vsm: VP %u: VTL%u state not valid for VTL%u's VM: no switch\n",
			    dst_vp->index, st->active_vtl, st->switch_to);
	st->switch_to = KVM_VSM_NO_SWITCH;
	if (!hypercall)
		return;
	if (st->call_longmode) {
		kvm_vsm_set_reg(src, VCPU_REGS_RAX, HV_STATUS_INVALID_VTL_STATE);
	} else {
		kvm_vsm_set_reg(src, VCPU_REGS_RDX, 0);
		kvm_vsm_set_reg(src, VCPU_REGS_RAX, HV_STATUS_INVALID_VTL_STATE);
	}
}

/*
 * Make the switch st->switch_to asks for (a VtlCall/VtlReturn, or an
 * interrupt for a higher VTL when st->entry_reason says so).
 */
int kvm_vsm_vtl_switch(struct kvm_vsm_partition *part,
		       struct kvm_vsm_vpstate *st, u32 vp)
{
	struct kvm_vcpu *src, *dst;
	struct kvm_vsm_vp *dst_vp;
	bool call = st->switch_to > st->active_vtl;

	if (st->switch_to >= KVM_VSM_MAX_VTLS) {	/* cannot be: the VP is owned */
		st->switch_to = KVM_VSM_NO_SWITCH;
		return 0;
	}
	mutex_lock(&part->lock);
	src = kvm_vsm_vp_vcpu(part, st->active_vtl, vp);
	dst_vp = kvm_vsm_vp_at(part, st->switch_to, vp);
	dst = dst_vp ? dst_vp->vcpu : NULL;
	if (!src || !dst) {
		/* Detached meanwhile: the caller stays where it is. */
		st->switch_to = KVM_VSM_NO_SWITCH;
		mutex_unlock(&part->lock);
		return 0;
	}
	/*
	 * Lower VTL first. Killable: only a VMM running a vCPU of this VP
	 * from another thread meanwhile (a bug) makes us wait here.
	 */
	if (mutex_lock_killable(call ? &src->mutex : &dst->mutex)) {
		mutex_unlock(&part->lock);
		return -EINTR;
	}
	if (mutex_lock_killable_nested(call ? &dst->mutex : &src->mutex, 1)) {
		mutex_unlock(call ? &src->mutex : &dst->mutex);
		mutex_unlock(&part->lock);
		return -EINTR;
	}

	/* Nothing of a switch that cannot be completed is made. */
	if (!kvm_vsm_shared_state_valid(dst, src) ||
	    (call && kvm_vsm_first_entry(dst, dst_vp))) {
		kvm_vsm_switch_refused(st, src, dst_vp);
		goto out;
	}
	/* Upwards: a VtlCall or an interrupt; the return comes back here. */
	if (call)
		st->return_to[st->switch_to] = st->active_vtl;
	kvm_vsm_copy_shared(dst, src);
	kvm_vsm_assist_side(dst, dst_vp, src, call ? st->entry_reason : 0,
			    !call && !st->fast_return);
	st->active_vtl = st->switch_to;
	st->switch_to = KVM_VSM_NO_SWITCH;
out:
	mutex_unlock(&src->mutex);
	mutex_unlock(&dst->mutex);
	mutex_unlock(&part->lock);
	return 0;
}
