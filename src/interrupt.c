// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupts across VTLs of a VP (TLFS 15.9: "RFLAGS.IF does not block
 * secure interrupts").
 *
 * Each VTL is its own VM, so each has its own local APIC: an IPI or a
 * timer of VTL n lands in VTL n's vCPU and nowhere else, and an interrupt
 * for a lower VTL simply waits in that VTL's APIC while a higher one runs.
 * What needs the module is the other direction: VTL n's vCPU of a VP is
 * kicked (kvm_vcpu_kick/kvm_vcpu_wake_up, which KVM calls after making an
 * interrupt or timer pending) while a lower VTL of that VP runs. The hook
 * marks the VP and ends the lower VTL's KVM_RUN, waking it if it halted;
 * KVM_VSM_RUN_VP then checks that the higher vCPU really has an interrupt
 * and enters it with entry reason 2, whatever the lower VTL's RFLAGS.IF.
 * An interrupt a VTL left pending (IF clear) when it returned is found
 * the same way before the lower VTL runs again.
 */
#include "kvm_vsm.h"

/*
 * From the kick hooks, in any context (the APIC timer fires in hardirq),
 * under kvm_vsm_srcu. Lock-free: a bit and a KVM request.
 */
void kvm_vsm_vcpu_kicked(struct kvm_vcpu *vcpu)
{
	struct kvm_vsm_vtl *vtl = kvm_vsm_vtl_of(vcpu->kvm);
	struct kvm_vsm_partition *part;
	struct kvm_vsm_vpstate *st;
	struct kvm_vcpu *lower;
	u8 active;

	if (!vtl || !vtl->vtl)
		return;
	part = vtl->part;
	st = xa_load(&part->vpstates, vcpu->vcpu_idx);
	if (!st || !(READ_ONCE(st->enabled_vtls) & BIT(vtl->vtl)))
		return;
	/*
	 * The bit first, then the active VTL. RUN_VP switches (active_vtl)
	 * before it sets in_run and looks at the bits: a switch to a lower
	 * VTL that this read misses finds the bit there. Read the other way
	 * round, a kick that raced a return left the bit set under a running
	 * lower VTL, and every later kick of this VTL stopped here (a VTL0 in
	 * cli; hlt then slept for good).
	 *
	 * Already set: a kick before this one either ends the lower VTL's
	 * run or is seen by RUN_VP before its next KVM_RUN.
	 */
	if (test_and_set_bit(vtl->vtl, &st->irq_kicked))
		return;
	smp_mb__after_atomic();	/* the bit, then active_vtl; RUN_VP's smp_mb() */
	active = READ_ONCE(st->active_vtl);
	/*
	 * It runs (KVM delivers, unless it returns first with IF clear:
	 * then the bit brings it straight back), or a higher VTL does (the
	 * bit is looked at when that one returns).
	 */
	if (active >= vtl->vtl)
		return;
	/*
	 * Only a lower VTL that KVM_VSM_RUN_VP runs is ended for this: a VMM
	 * running it with plain KVM_RUN gets no exit it did not ask for (and
	 * no VTL semantics). RUN_VP sets in_run, then looks at irq_kicked
	 * again before KVM_RUN, so a kick between the two is not missed.
	 */
	if (!READ_ONCE(st->in_run))
		return;
	lower = kvm_vsm_vp_vcpu(part, active, vcpu->vcpu_idx);
	/* KVM_REQ_HV_EXIT reads the Hyper-V vCPU state: it must exist. */
	if (!lower || !lower->arch.hyperv)
		return;
	/*
	 * End the lower VTL's KVM_RUN at its next entry with a Hyper-V exit
	 * that KVM_VSM_RUN_VP recognises and swallows (kvm_vsm_kick_exit()).
	 * A halted vCPU (or one about to halt: the request alone does not
	 * wake it) is woken the way KVM's PV unhalt does it; not one waiting
	 * for INIT/SIPI, whose KVM_RUN pv_unhalted would make spin until the
	 * SIPI (docs/design.md).
	 */
	switch (READ_ONCE(lower->arch.mp_state)) {
	case KVM_MP_STATE_RUNNABLE:
	case KVM_MP_STATE_HALTED:
		WRITE_ONCE(lower->arch.pv.pv_unhalted, true);
		break;
	default:
		break;
	}
	/* A request KVM made itself (a SynIC exit still due) stays KVM's. */
	if (!kvm_test_request(KVM_REQ_HV_EXIT, lower)) {
		WRITE_ONCE(st->kick_vtl, active);
		WRITE_ONCE(st->kick_exit, true);
		kvm_make_request(KVM_REQ_HV_EXIT, lower);
	}
	kvm_vsm_vcpu_kick(lower);
}

/* A kick for a VTL above the running one, not looked at yet? */
bool kvm_vsm_irq_kicked_above(struct kvm_vsm_vpstate *st)
{
	return READ_ONCE(st->irq_kicked) & ~GENMASK(READ_ONCE(st->active_vtl), 0);
}

/* Does @vcpu (of a VTL that is not running) have an interrupt to take? */
static bool kvm_vsm_vcpu_has_interrupt(struct kvm_vcpu *vcpu)
{
	bool pending;

	/* A timer that fired is made pending only when the vCPU runs. */
	if (kvm_test_request(KVM_REQ_UNBLOCK, vcpu) ||
	    kvm_test_request(KVM_REQ_HV_STIMER, vcpu) ||
	    kvm_test_request(KVM_REQ_NMI, vcpu))
		return true;
	kvm_vsm_call(vcpu_load)(vcpu);	/* APICv keeps its state in the VMCS */
	pending = kvm_vsm_call(kvm_cpu_has_interrupt)(vcpu);
	kvm_vsm_call(vcpu_put)(vcpu);
	return pending;
}

/*
 * In KVM_VSM_RUN_VP, between two KVM_RUNs of VP @vp: if a higher VTL was
 * kicked and has an interrupt, ask for the switch to it (entry reason 2)
 * and return true. Spurious kicks (requests that were not interrupts)
 * only cost this check.
 *
 * Only the bits looked at are cleared: a kick for the running VTL or one
 * below it (what brings a VTL back after it returned with IF clear) stays
 * until that VTL is no longer running, across any exit to userspace; so
 * do the bits below a VTL that is entered, and one whose vCPU mutex we
 * could not take.
 */
bool kvm_vsm_irq_preempt(struct kvm_vsm_partition *part,
			 struct kvm_vsm_vpstate *st, u32 vp)
{
	unsigned long kicked = READ_ONCE(st->irq_kicked);
	struct kvm_vcpu *lower, *vcpu;
	bool found = false;
	int n;

	if (!kicked)
		return false;
	mutex_lock(&part->lock);
	lower = kvm_vsm_vp_vcpu(part, st->active_vtl, vp);
	if (lower)	/* our wake-up, if it was not consumed by a halt */
		WRITE_ONCE(lower->arch.pv.pv_unhalted, false);
	for (n = KVM_VSM_MAX_VTLS - 1; n > st->active_vtl && !found; n--) {
		if (!(kicked & BIT(n)))
			continue;
		vcpu = kvm_vsm_vp_vcpu(part, n, vp);
		if (!vcpu || !(st->enabled_vtls & BIT(n))) {
			clear_bit(n, &st->irq_kicked);	/* nobody to enter */
			continue;
		}
		if (mutex_lock_killable(&vcpu->mutex))
			break;	/* dying: KVM_RUN ends at once, the bit stays */
		/* Cleared before the check: a kick after it sets it again. */
		clear_bit(n, &st->irq_kicked);
		found = kvm_vsm_vcpu_has_interrupt(vcpu);
		mutex_unlock(&vcpu->mutex);
		if (found) {
			st->switch_to = n;
			st->entry_reason = HV_VTL_ENTRY_INTERRUPT;
		}
	}
	mutex_unlock(&part->lock);
	return found;
}
