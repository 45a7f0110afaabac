// SPDX-License-Identifier: GPL-2.0
/*
 * Shared layer: what an exit leaves for the vCPU's next entry. KVM calls
 * a vCPU's complete_userspace_io first thing in its next KVM_RUN, with
 * the vCPU loaded and kvm->srcu held (KVM's own pattern for answers from
 * userspace); ours finishes
 *  - a hypercall forwarded to the VMM: its answer to RAX and the call
 *    retired; or the record cancelled, when the VMM moved the guest's RIP
 *    meanwhile; or, not answered yet, the same exit again;
 *  - a VTL entry: the entry reason in the VP assist page (guest memory is
 *    written with a running vCPU only; KVM's dirty tracking WARNs
 *    otherwise: the seeds/004 "defer to the first run").
 * Nothing here waits for userspace.
 */
#include "kvm_vsm.h"

static int kvm_vsm_vcpu_entry(struct kvm_vcpu *vcpu);

/* The VP assist page of @vcpu's VTL, or 0 when the guest has none. */
static gpa_t kvm_vsm_assist_gpa(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_hv *hv = kvm_vsm_hv_get(vcpu);

	if (!hv || !(hv->hv_vapic & HV_VP_ASSIST_ENABLE))
		return 0;
	return hv->hv_vapic & PAGE_MASK;
}

int kvm_vsm_guest_rw(struct kvm_vcpu *vcpu, gpa_t gpa, void *data,
		     unsigned long len, bool write)
{
	int idx, r;

	idx = srcu_read_lock(&vcpu->kvm->srcu);
	r = write ? kvm_vsm_call(kvm_vcpu_write_guest)(vcpu, gpa, data, len) :
		    kvm_vsm_call(kvm_vcpu_read_guest)(vcpu, gpa, data, len);
	srcu_read_unlock(&vcpu->kvm->srcu, idx);
	return r;
}

/* The guest's RAX/RCX the returning VTL left in its VP assist page. */
int kvm_vsm_assist_ret_regs(struct kvm_vcpu *vcpu, u64 regs[2])
{
	gpa_t assist = kvm_vsm_assist_gpa(vcpu);

	if (!assist)
		return -ENOENT;
	return kvm_vsm_guest_rw(vcpu, assist + HV_VP_ASSIST_VTL_RET_RAX, regs,
				2 * sizeof(u64), false);
}

/*
 * The memory intercept message intercept.c left for @vp (this VTL), at
 * its vCPU's entry: into the VP assist page's intercept_message once, if
 * this VTL's VsmPartitionConfig asks for it; into SINT0's slot of its
 * SIMP page (only while the SIMP is enabled, else it is dropped) with
 * the SynIC protocol: a busy slot (message_type != 0) gets
 * MessagePending, and ours waits for the guest's EOM. Guest memory of
 * this VTL's own VM, at GPAs it chose: what it cannot take (no memory
 * there, a page a higher VTL made read-only to it: kvm_vsm_guest_rw()
 * goes through kvm_vcpu_write_guest(), which the hooks refuse for a
 * denied frame) is its loss, never a host error.
 */
void kvm_vsm_intercept_msg_deliver(struct kvm_vcpu *vcpu,
				   struct kvm_vsm_vtl *vtl,
				   struct kvm_vsm_vp *vp)
{
	struct kvm_vsm_partition *part = vtl->part;
	struct kvm_vcpu_hv *hv = kvm_vsm_hv_get(vcpu);
	struct tlfs_message m, *msg = &m;
	bool new, queued;
	gpa_t assist, simp;
	u64 config;
	u32 gen, type;
	u8 flags;

	if (!READ_ONCE(vp->msg_queued) && !READ_ONCE(vp->msg_new))
		return;
	spin_lock(&part->vsm_lock);
	new = vp->msg_new;
	queued = vp->msg_queued;
	gen = vp->msg_gen;
	*msg = vp->msg;
	vp->msg_new = false;
	config = part->partition_config[vtl->vtl];
	spin_unlock(&part->vsm_lock);

	assist = kvm_vsm_assist_gpa(vcpu);
	if (new && assist && (config & HV_VSM_CONFIG_INTERCEPT_PAGE))
		kvm_vsm_guest_rw(vcpu, assist + HV_VP_ASSIST_INTERCEPT_MESSAGE,
				 msg, sizeof(*msg), true);
	if (!queued)
		return;
	simp = hv ? READ_ONCE(hv->synic.msg_page) : 0;
	if (simp & HV_SIMP_ENABLE) {
		simp &= PAGE_MASK;	/* SINT0's slot */
		if (kvm_vsm_guest_rw(vcpu, simp, &type, sizeof(type), false))
			goto done;
		if (type) {
			/* Busy: the guest EOMs when it has consumed that one. */
			if (!kvm_vsm_guest_rw(vcpu, simp + 5, &flags, 1, false) &&
			    !(flags & HV_MESSAGE_FLAG_PENDING)) {
				flags |= HV_MESSAGE_FLAG_PENDING;
				kvm_vsm_guest_rw(vcpu, simp + 5, &flags, 1, true);
			}
			return;
		}
		/* The type last: it is what makes the slot full. */
		kvm_vsm_guest_rw(vcpu, simp + sizeof(type), (u8 *)msg + sizeof(type),
				 sizeof(*msg) - sizeof(type), true);
		kvm_vsm_guest_rw(vcpu, simp, msg, sizeof(type), true);
	}
done:
	spin_lock(&part->vsm_lock);
	if (vp->msg_gen == gen)
		vp->msg_queued = false;
	spin_unlock(&part->vsm_lock);
}

/* KVM_RUN ends with a record for the VMM to answer (docs/api.md). */
void kvm_vsm_exit_record(struct kvm_vcpu *vcpu, struct kvm_vsm_vp *vp)
{
	struct kvm_run *run = vcpu->run;

	run->exit_reason = KVM_EXIT_HYPERV;
	memset(&run->hyperv, 0, sizeof(run->hyperv));
	run->hyperv.type = KVM_VSM_EXIT_HYPERV_RECORD;
	run->hyperv.u.hcall.input = vp->control;
	run->hyperv.u.hcall.params[0] = vp->seq;
}

/*
 * KVM_RUN ends because a record did not fit in the ring; nothing was
 * published and the instruction was not retired: the guest makes its
 * call again when it next runs. KVM_VSM_RUN_VP first waits for room.
 */
void kvm_vsm_exit_ring_full(struct kvm_vcpu *vcpu, struct kvm_vsm_vpstate *st,
			    u64 control)
{
	struct kvm_run *run = vcpu->run;

	run->exit_reason = KVM_EXIT_HYPERV;
	memset(&run->hyperv, 0, sizeof(run->hyperv));
	run->hyperv.type = KVM_VSM_EXIT_HYPERV_RING_FULL;
	run->hyperv.u.hcall.input = control;
	WRITE_ONCE(st->ring_full, true);
}

/*
 * At @vcpu's next KVM_RUN, call kvm_vsm_vcpu_entry(). False if KVM has a
 * completion of its own pending there (then nothing is armed).
 */
bool kvm_vsm_arm_entry(struct kvm_vcpu *vcpu)
{
	void *old = cmpxchg(&vcpu->arch.complete_userspace_io, NULL,
			    kvm_vsm_vcpu_entry);

	return !old || old == kvm_vsm_vcpu_entry;
}

/* The forwarded hypercall of @vp, at its vCPU's next entry. */
static int kvm_vsm_forward_resume(struct kvm_vcpu *vcpu,
				  struct kvm_vsm_vtl *vtl,
				  struct kvm_vsm_vp *vp)
{
	struct kvm_vsm_ring *ring = &vtl->part->ring;
	/* The VMM moved the guest (KVM_SET_REGS, a reset): not this call any more. */
	bool moved = kvm_vsm_call(kvm_get_linear_rip)(vcpu) != vp->rip;
	u64 result = 0;

	spin_lock(&ring->lock);
	switch (vp->state) {
	case VSM_IDLE:		/* dropped: the VTL was detached */
		spin_unlock(&ring->lock);
		return 1;
	case VSM_PUBLISHED:
		if (!moved) {
			/* Re-entered unanswered: the same exit, nothing runs. */
			WRITE_ONCE(vp->st->answer_wait, true);
			spin_unlock(&ring->lock);
			kvm_vsm_arm_entry(vcpu);
			kvm_vsm_exit_record(vcpu, vp);
			return 0;
		}
		/* Cancelled: its slot is free, KVM_VSM_COMPLETE gets ENOENT. */
		kvm_vsm_ring_take_waiter(ring, vp->seq);
		break;
	case VSM_COMPLETED:
		result = vp->result;
		break;
	}
	vp->state = VSM_IDLE;
	WRITE_ONCE(vp->st->answer_wait, false);
	spin_unlock(&ring->lock);
	kvm_vsm_ring_wake_producers(ring);
	if (moved)
		return 1;
	return kvm_vsm_hypercall_done(vcpu, vp->longmode, result);
}

/* complete_userspace_io of our vCPUs (kvm_vsm_arm_entry()). */
static int kvm_vsm_vcpu_entry(struct kvm_vcpu *vcpu)
{
	struct kvm_vsm_vtl *vtl;
	struct kvm_vsm_vp *vp;
	u32 reason;
	gpa_t assist;
	int idx = 0, r = 1;

	vtl = kvm_vsm_vtl_get(vcpu->kvm, &idx);
	vp = vtl ? xa_load(&vtl->vps, vcpu->vcpu_idx) : NULL;
	if (vp) {
		reason = xchg(&vp->pending_entry_reason, 0);
		assist = kvm_vsm_assist_gpa(vcpu);
		if (reason && assist)
			kvm_vsm_guest_rw(vcpu, assist + HV_VP_ASSIST_VTL_ENTRY_REASON,
					 &reason, sizeof(reason), true);
		kvm_vsm_intercept_msg_deliver(vcpu, vtl, vp);
		r = kvm_vsm_forward_resume(vcpu, vtl, vp);
	}
	kvm_vsm_vtl_put(vtl, idx);
	return r;
}

/*
 * @vp is being freed: take our callback back out of its vCPU. KVM may have
 * read the pointer just before (KVM_RUN reads it, then clears it, under
 * its vCPU mutex and inside kvm->srcu): vtl.c waits for kvm->srcu after,
 * so such a call has finished, and found the VP gone, before the VM is let
 * go and before the module can be unloaded.
 */
void kvm_vsm_vp_forget_entry(struct kvm_vsm_vp *vp)
{
	cmpxchg(&vp->vcpu->arch.complete_userspace_io, kvm_vsm_vcpu_entry, NULL);
}
