// SPDX-License-Identifier: GPL-2.0
/*
 * VSM hypercalls of attached VMs. hooks.c diverts kvm_hv_hypercall() here
 * for the codes below; everything else stays with KVM. Hypercalls the
 * module does not handle in-kernel go to the VMM as ring records; the vCPU
 * waits (interruptibly) for KVM_VSM_COMPLETE and the result lands in RAX.
 */
#include "kvm_vsm.h"

static bool kvm_vsm_answered(struct kvm_vsm_vtl *vtl, struct kvm_vsm_vp *vp)
{
	return READ_ONCE(vp->state) == VSM_COMPLETED || READ_ONCE(vtl->gone);
}

/*
 * Hand the hypercall to the VMM and wait for its answer. Called, like any
 * exit handler, inside vcpu_run()'s kvm->srcu read section.
 */
static int kvm_vsm_forward(struct kvm_vsm_hc *hc, u64 *result)
	__must_hold(&hc->vcpu->kvm->srcu)
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
	bool publish;
	int r;

	vp = kvm_vsm_vp_get(vtl, vcpu);
	if (!vp)
		return -ENOMEM;

	/*
	 * A record published before a signal is still outstanding when the
	 * guest re-executes the hypercall: wait for it, never publish twice.
	 */
	publish = READ_ONCE(vp->state) == VSM_IDLE;
	if (publish) {
		rec.vp = vp->index;
		rec.hypercall.control = hc->control;
		rec.hypercall.input = kvm_vsm_hc_in_gpa(hc);	/* or fast input */
		rec.hypercall.output = kvm_vsm_hc_out_gpa(hc);
		rec.hypercall.rip = kvm_get_linear_rip(vcpu);
		rec.hypercall.longmode = hc->longmode;
	}

	/* Sleeping (ring full, or the answer): let memslot updates proceed. */
	kvm_vcpu_srcu_read_unlock(vcpu);
	r = 0;
	if (publish) {
		r = kvm_vsm_ring_publish(part, vtl, &rec, vp);
		if (!r)
			atomic64_inc(&part->hypercalls_forwarded);
	}
	if (!r && wait_event_interruptible(vp->wq, kvm_vsm_answered(vtl, vp)))
		r = -EINTR;
	kvm_vcpu_srcu_read_lock(vcpu);
	if (r)
		return r;

	if (READ_ONCE(vp->state) == VSM_COMPLETED) {
		*result = vp->result;
		WRITE_ONCE(vp->state, VSM_IDLE);
	} else {
		/* Detached: the answer stock KVM gives. */
		kvm_vsm_ring_drop_waiter(&part->ring, vp);
		*result = HV_STATUS_INVALID_HYPERCALL_CODE;
	}
	return 0;
}

/*
 * Runs in place of kvm_hv_hypercall() (same signature and return
 * convention: 1 resume the guest, 0 exit to userspace, <0 error) for a VSM
 * code of an attached VM.
 */
int kvm_vsm_hv_hypercall(struct kvm_vcpu *vcpu)
{
	struct kvm_vsm_hc hc = { .vcpu = vcpu };
	u64 result = HV_STATUS_INVALID_HYPERCALL_CODE;
	int idx, r = -ENOTTY;

	/* TLFS: the hypercall instruction #UDs at CPL > 0 and in real mode. */
	if (!(vcpu->arch.cr0 & X86_CR0_PE) || kvm_vsm_guest_cpl(vcpu) != 0) {
		kvm_queue_exception(vcpu, UD_VECTOR);
		return 1;
	}
	hc.control = kvm_vsm_hypercall_control(vcpu, &hc.longmode);

	idx = srcu_read_lock(&kvm_vsm_srcu);
	hc.vtl = kvm_vsm_vtl_of(vcpu->kvm);
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
		}
	}
	/* Not the kernel's to handle: the VMM answers through the ring. */
	if (hc.vtl && r == -ENOTTY)
		r = kvm_vsm_forward(&hc, &result) ?: 1;
	srcu_read_unlock(&kvm_vsm_srcu, idx);

	switch (r) {
	case 0:		/* VTL switch: KVM_VSM_RUN_VP takes over */
		return 0;
	case KVM_VSM_HC_CONTINUE:	/* re-executed from the next rep */
		return 1;
	case -EINTR:
		/* As KVM_RUN with a signal pending; RIP stays on the VMCALL. */
		vcpu->run->exit_reason = KVM_EXIT_INTR;
		++vcpu->stat.signal_exits;
		return -EINTR;
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
		wake_up(&vp->wq);
	}
	spin_unlock(&part->ring.lock);
	/* Completing implies consuming: producers may have room now. */
	kvm_vsm_ring_wake_producers(&part->ring);
	return vp ? 0 : -ENOENT;
}
