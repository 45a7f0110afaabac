// SPDX-License-Identifier: GPL-2.0
/*
 * The dispatcher: VSM hypercalls of attached VMs. hooks.c diverts
 * kvm_hv_hypercall() here for the codes kvm_vsm_is_vsm_hypercall() names;
 * everything else stays with KVM. Each code goes to its handler; what no
 * handler takes is the VMM's: it becomes a ring record and ends KVM_RUN
 * with KVM_VSM_EXIT_HYPERV_RECORD, the guest's RIP still on the call. The
 * VMM answers with KVM_VSM_COMPLETE, from any thread, and the answer is
 * applied when the vCPU next enters (entry.c) — KVM's complete_userspace_io
 * pattern: no vCPU mutex, SRCU section or lock is held while the VMM works.
 */
#include "kvm_vsm.h"

/*
 * Hand the hypercall to the VMM: publish the record (never waiting for
 * room) and end KVM_RUN. Returns 0 (exit to userspace) or 1 with *result.
 */
static int kvm_vsm_forward(struct kvm_vsm_hc *hc, u64 *result)
{
	struct kvm_vcpu *vcpu = hc->vcpu;
	struct kvm_vsm_vtl *vtl = hc->vtl;
	struct kvm_vsm_partition *part = vtl->part;
	struct kvm_vsm_ring_record rec = {
		.type	= KVM_VSM_RECORD_HYPERCALL,
		.flags	= KVM_VSM_RECORD_NEEDS_COMPLETION,
		.vtl	= vtl->vtl,
	};
	struct kvm_vsm_vp *vp;
	int r;

	vp = kvm_vsm_vp_get(vtl, vcpu);
	if (!vp) {
		*result = HV_STATUS_INSUFFICIENT_MEMORY;
		return 1;
	}
	/*
	 * Every record is resolved at the next entry (entry.c), before the
	 * guest runs again; one still outstanding here is stale: drop it.
	 */
	if (READ_ONCE(vp->state) != VSM_IDLE)
		kvm_vsm_ring_drop_waiter(&part->ring, vp);

	vp->control = hc->control;
	vp->rip = kvm_vsm_call(kvm_get_linear_rip)(vcpu);
	vp->longmode = hc->longmode;
	rec.vp = vp->index;
	rec.hypercall.control = hc->control;
	rec.hypercall.input = kvm_vsm_hc_in_gpa(hc);	/* or fast input */
	rec.hypercall.output = kvm_vsm_hc_out_gpa(hc);
	rec.hypercall.rip = vp->rip;
	rec.hypercall.longmode = hc->longmode;

	r = kvm_vsm_ring_publish(part, vtl, &rec, vp);
	if (r == -EAGAIN) {
		kvm_vsm_exit_ring_full(vcpu, vp->st, hc->control);
		return 0;
	}
	if (r) {	/* detached meanwhile: the answer stock KVM gives */
		*result = HV_STATUS_INVALID_HYPERCALL_CODE;
		return 1;
	}
	atomic64_inc(&part->hypercalls_forwarded);
	if (!kvm_vsm_arm_entry(vcpu)) {
		/* Cannot happen inside an exit handler; never strand the record. */
		kvm_vsm_ring_drop_waiter(&part->ring, vp);
		*result = HV_STATUS_INVALID_HYPERCALL_CODE;
		return 1;
	}
	/* The first exit for a record goes to the VMM: RUN_VP does not wait. */
	WRITE_ONCE(vp->st->answer_wait, false);
	kvm_vsm_exit_record(vcpu, vp);
	return 0;
}

/*
 * Runs in place of kvm_hv_hypercall() (same signature and return
 * convention: 1 resume the guest, 0 exit to userspace, <0 error) for a VSM
 * code of an attached VM, inside the VM's kvm->srcu read section like any
 * exit handler (what detach waits for before the module may go). Nothing
 * here sleeps on userspace.
 */
int kvm_vsm_hv_hypercall(struct kvm_vcpu *vcpu)
{
	struct kvm_vsm_hc hc = { .vcpu = vcpu };
	u64 result = HV_STATUS_INVALID_HYPERCALL_CODE;
	int idx = 0, r = -ENOTTY;

	/* TLFS: the hypercall instruction #UDs at CPL > 0 and in real mode. */
	if (!(vcpu->arch.cr0 & X86_CR0_PE) || kvm_vsm_guest_cpl(vcpu) != 0) {
		kvm_vsm_call(kvm_queue_exception)(vcpu, UD_VECTOR);
		return 1;
	}
	hc.control = kvm_vsm_hypercall_control(vcpu, &hc.longmode);

	hc.vtl = kvm_vsm_vtl_get(vcpu->kvm, &idx);
	if (hc.vtl) {
		switch (HV_HC_CODE(hc.control)) {
		case HVCALL_VTL_CALL:
		case HVCALL_VTL_RETURN:
			r = kvm_vsm_vtl_switch_request(&hc, &result);
			break;
		case HVCALL_ENABLE_PARTITION_VTL:
			r = kvm_vsm_enable_partition_vtl(&hc, &result);
			break;
		case HVCALL_ENABLE_VP_VTL:
			r = kvm_vsm_enable_vp_vtl(&hc, &result);
			break;
		case HVCALL_GET_VP_REGISTERS:
		case HVCALL_SET_VP_REGISTERS:
			r = kvm_vsm_vp_registers(&hc, &result);
			break;
		case HVCALL_MODIFY_VTL_PROTECTION_MASK:
			r = kvm_vsm_modify_vtl_protection(&hc, &result);
			break;
		}
	}
	/* Not the kernel's to handle: the VMM answers through the ring. */
	if (hc.vtl && r == -ENOTTY)
		r = kvm_vsm_forward(&hc, &result);
	kvm_vsm_vtl_put(hc.vtl, idx);

	switch (r) {
	case 0:		/* a VTL switch or a record: KVM_RUN ends */
		return 0;
	case KVM_VSM_HC_CONTINUE:	/* re-executed from the next rep */
		return 1;
	case -ENOTTY:	/* detached since the hook ran: stock answer */
	case -ENODEV:	/* partition released meanwhile: stock answer */
		result = HV_STATUS_INVALID_HYPERCALL_CODE;
		fallthrough;
	case 1:
		return kvm_vsm_hypercall_done(vcpu, hc.longmode, result);
	default:
		return r;
	}
}

/* KVM_VSM_COMPLETE: the answer waits in the VP for its vCPU's next entry. */
int kvm_vsm_complete(struct kvm_vsm_partition *part,
		     struct kvm_vsm_complete *arg)
{
	struct kvm_vsm_vp *vp;

	if (!kvm_vsm_arg_clean(arg))
		return -EINVAL;

	spin_lock(&part->ring.lock);
	vp = kvm_vsm_ring_take_waiter(&part->ring, arg->seq);
	if (vp) {
		vp->result = arg->result;
		WRITE_ONCE(vp->state, VSM_COMPLETED);
		/* A KVM_VSM_RUN_VP waiting to enter the vCPU again. */
		WRITE_ONCE(vp->st->answer_wait, false);
		wake_up_all(&vp->st->wq);
	}
	spin_unlock(&part->ring.lock);
	/* Completing implies consuming: producers may have room now. */
	kvm_vsm_ring_wake_producers(&part->ring);
	return vp ? 0 : -ENOENT;
}
