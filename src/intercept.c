// SPDX-License-Identifier: GPL-2.0
/*
 * Secure memory intercepts: an access by VTL n that the protections a
 * higher VTL set deny (the mmu.c enforcement diverts KVM's page fault to
 * kvm_vsm_mem_intercept()). The access never completes and the faulting
 * instruction is not retired; who hears about it (docs/api.md, "Memory
 * intercepts"; docs/design.md, "Secure memory intercepts"):
 *  - the VMM, as a KVM_VSM_RECORD_MEMORY_INTERCEPT ring record that ends
 *    KVM_RUN, in userspace run mode, with KVM_VSM_RUN_MODE_F_INTERCEPTS_TO_VMM,
 *    for a vCPU not run by KVM_VSM_RUN_VP, or when VTL n+1 is not enabled
 *    on the VP;
 *  - otherwise VTL n+1, the TLFS way: the VP enters it with entry reason 3
 *    and a HvMessageTypeGpaIntercept message in its SynIC SINT0 slot (and
 *    in its VP assist page's intercept area when it asked for that).
 */
#include "compat.h"
#include "kvm_vsm.h"

/* What an intercept reports about the faulting access. */
struct kvm_vsm_mi {
	gpa_t gpa;
	unsigned long rip;		/* linear */
	u8 access;			/* KVM_VSM_ACCESS_* */
	u8 prot;
	u8 insn_len;			/* 0: not known */
	u8 insn_count;			/* instruction bytes read */
	u8 insn[16];
	bool page_walk;			/* the CPU's own guest page-table walk */
	bool event;			/* during event delivery, no instruction */
};

/* EMULTYPE_SKIP, the same bit on every kernel (x86.h since 7.x). */
#define KVM_VSM_EMULTYPE_SKIP	BIT(2)

/*
 * The length of the instruction at RIP, decoded by KVM's own emulator
 * with EMULTYPE_SKIP (decode, step RIP over it, clear RF; nothing is
 * executed, no breakpoint is checked, interruptibility is not touched);
 * RIP and RFLAGS are put back. A decode failure leaves an emulation
 * failure exit in kvm_run, which our exit overwrites. 0 if not decodable.
 */
static u8 kvm_vsm_insn_length(struct kvm_vcpu *vcpu)
{
	unsigned long (*get_rflags)(struct kvm_vcpu *vcpu);
	void (*set_rflags)(struct kvm_vcpu *vcpu, unsigned long rflags);
	unsigned long rip, rflags, next;
	int r;

	get_rflags = READ_ONCE(kvm_vsm_kvm_x86_ops->get_rflags);
	set_rflags = READ_ONCE(kvm_vsm_kvm_x86_ops->set_rflags);
	/* Without a way to put RFLAGS.RF back, do not decode. */
	if (!kvm_vsm_callable(get_rflags) || !kvm_vsm_callable(set_rflags))
		return 0;
	rip = kvm_vsm_rip(vcpu);	/* cached: the caller read the linear RIP */
	rflags = get_rflags(vcpu);
	r = kvm_vsm_call(kvm_emulate_instruction)(vcpu, KVM_VSM_EMULTYPE_SKIP);
	next = kvm_vsm_rip(vcpu);
	if (next != rip)
		kvm_vsm_set_rip(vcpu, rip);
	if (get_rflags(vcpu) != rflags)
		set_rflags(vcpu, rflags);
	if (r != 1)
		return 0;
	/* Outside 64-bit mode RIP wraps at 4 GiB; inside, it cannot wrap. */
	next = (u32)(next - rip);
	return next >= 1 && next <= 15 ? next : 0;
}

/*
 * Fill @mi for the access of @vcpu. KVM's walk of the guest page tables
 * (decoding, reading the bytes) sets accessed bits through the host
 * mapping: for a fault in the CPU's own walk it could set the very bit
 * the protection denies, so nothing is decoded then, nor when the fault
 * came while delivering an event (RIP is not the accessing instruction),
 * nor for an execute violation (nothing was fetched).
 */
static void kvm_vsm_mi_fill(struct kvm_vcpu *vcpu, struct kvm_vsm_vtl *vtl,
			    struct kvm_vsm_mi *mi, gpa_t gpa, u64 error_code,
			    u8 access, void *insn, int insn_len)
{
	u64 exception[16] = {};	/* struct x86_exception is KVM's own */

	memset(mi, 0, sizeof(*mi));
	mi->gpa = gpa;
	mi->access = access;
	mi->prot = kvm_vsm_perm_get(vtl->part, vtl->vtl, gpa_to_gfn(gpa));
	mi->rip = kvm_vsm_call(kvm_get_linear_rip)(vcpu);
	mi->page_walk = error_code & PFERR_GUEST_PAGE_MASK;
	mi->event = vcpu->arch.exception.injected ||
		    vcpu->arch.exception.pending || vcpu->arch.nmi_injected ||
		    vcpu->arch.interrupt.injected;
	if (access == KVM_VSM_ACCESS_EXECUTE || mi->page_walk || mi->event)
		return;
	mi->insn_len = kvm_vsm_insn_length(vcpu);
	if (!mi->insn_len)
		return;
	/* AMD decode assists fetched them for us. */
	if (insn && insn_len >= mi->insn_len) {
		memcpy(mi->insn, insn, mi->insn_len);
		mi->insn_count = mi->insn_len;
		return;
	}
	if (!kvm_vsm_call(kvm_read_guest_virt)(vcpu, mi->rip, mi->insn,
					       mi->insn_len,
					       (void *)exception))
		mi->insn_count = mi->insn_len;
	else
		memset(mi->insn, 0, sizeof(mi->insn));
}

/*
 * To the VMM: a record, and KVM_RUN ends (docs/api.md). A full ring ends
 * it too, with nothing published: the guest faults again when it next
 * runs and KVM_VSM_RUN_VP first waits for room.
 */
static int kvm_vsm_mi_to_vmm(struct kvm_vcpu *vcpu, struct kvm_vsm_vtl *vtl,
			     struct kvm_vsm_vpstate *st,
			     const struct kvm_vsm_mi *mi)
{
	struct kvm_vsm_partition *part = vtl->part;
	struct kvm_vsm_ring_record rec = {
		.type = KVM_VSM_RECORD_MEMORY_INTERCEPT,
		.vp = vcpu->vcpu_idx,
		.vtl = vtl->vtl,
		.memory = {
			.gpa = mi->gpa,
			.rip = mi->rip,
			.access = mi->access,
			.insn_len = mi->insn_len,
			.prot = mi->prot,
			.flags = mi->page_walk ? KVM_VSM_MI_PAGE_WALK : 0,
		},
	};
	struct kvm_run *run = vcpu->run;
	int r;

	r = kvm_vsm_ring_publish(part, vtl, &rec, NULL);
	if (r == -EAGAIN) {
		if (st) {
			kvm_vsm_exit_ring_full(vcpu, st, mi->gpa);
		} else {
			/* Not a VP (never attached): nobody waits for room. */
			run->exit_reason = KVM_EXIT_HYPERV;
			memset(&run->hyperv, 0, sizeof(run->hyperv));
			run->hyperv.type = KVM_VSM_EXIT_HYPERV_RING_FULL;
			run->hyperv.u.hcall.input = mi->gpa;
		}
		return 0;
	}
	/*
	 * -ENODEV: the partition or this VTL is going away, and with it the
	 * protections; the guest faults again and finds them gone.
	 */
	if (r)
		return 1;
	atomic64_inc(&part->memory_intercepts);
	run->exit_reason = KVM_EXIT_HYPERV;
	memset(&run->hyperv, 0, sizeof(run->hyperv));
	run->hyperv.type = KVM_VSM_EXIT_HYPERV_MEMORY_INTERCEPT;
	run->hyperv.u.hcall.input = mi->gpa;
	run->hyperv.u.hcall.params[0] = rec.seq;
	run->hyperv.u.hcall.params[1] = mi->access;
	return 0;
}

/* HV_X64_SEGMENT_REGISTER of a struct kvm_segment. */
static void kvm_vsm_hv_seg(struct tlfs_seg *out, const struct kvm_segment *s)
{
	out->base = s->base;
	out->limit = s->limit;
	out->selector = s->selector;
	out->attributes = s->type | s->s << 4 | s->dpl << 5 | s->present << 7 |
			  s->avl << 12 | s->l << 13 | s->db << 14 | s->g << 15;
}

/*
 * The HvMessageTypeGpaIntercept message for @mi, as Hyper-V writes it
 * (docs/design.md, "Secure memory intercepts"), from the state of @vcpu
 * (VTL n, loaded, in its exit handler).
 */
static void kvm_vsm_mi_message(struct kvm_vcpu *vcpu, struct kvm_vsm_vtl *vtl,
			       const struct kvm_vsm_mi *mi,
			       struct tlfs_message *msg)
{
	struct tlfs_x64_memory_intercept *m = (void *)msg->payload;
	void (*get_segment)(struct kvm_vcpu *vcpu, struct kvm_segment *var,
			    int seg);
	unsigned long (*get_rflags)(struct kvm_vcpu *vcpu);
	u32 (*get_shadow)(struct kvm_vcpu *vcpu);
	struct kvm_segment cs = {};
	u16 state;

	static_assert(sizeof(*m) <= sizeof(msg->payload));
	memset(msg, 0, sizeof(*msg));
	msg->header.message_type = HVMSG_GPA_INTERCEPT;
	msg->header.payload_size = sizeof(*m);

	get_segment = READ_ONCE(kvm_vsm_kvm_x86_ops->get_segment);
	get_rflags = READ_ONCE(kvm_vsm_kvm_x86_ops->get_rflags);
	get_shadow = READ_ONCE(kvm_vsm_kvm_x86_ops->get_interrupt_shadow);
	state = (kvm_vsm_guest_cpl(vcpu) & HV_EXEC_STATE_CPL) |
		vtl->vtl << HV_EXEC_STATE_VTL_SHIFT;
	if (vcpu->arch.cr0 & X86_CR0_PE)
		state |= HV_EXEC_STATE_CR0_PE;
	if (vcpu->arch.cr0 & X86_CR0_AM)
		state |= HV_EXEC_STATE_CR0_AM;
	if (vcpu->arch.efer & EFER_LMA)
		state |= HV_EXEC_STATE_EFER_LMA;
	if (vcpu->arch.dr7 & 0xff)	/* a breakpoint enabled */
		state |= HV_EXEC_STATE_DEBUG_ACTIVE;
	if (mi->event)
		state |= HV_EXEC_STATE_INTR_PENDING;
	if (kvm_vsm_callable(get_shadow) && get_shadow(vcpu))
		state |= HV_EXEC_STATE_INTR_SHADOW;
	if (kvm_vsm_callable(get_segment))
		get_segment(vcpu, &cs, VCPU_SREG_CS);

	m->header.vp_index = kvm_vsm_hv_vp_index(vcpu);
	m->header.instruction_length = mi->insn_len & 0xf;
	m->header.access_type = mi->access;
	m->header.execution_state = state;
	kvm_vsm_hv_seg(&m->header.cs, &cs);
	m->header.rip = kvm_vsm_rip(vcpu);
	if (kvm_vsm_callable(get_rflags))
		m->header.rflags = get_rflags(vcpu);
	/* KVM maps guest memory write-back; the guest's MTRRs/PAT are not looked at. */
	m->cache_type = HV_CACHE_TYPE_WRITEBACK;
	m->instruction_byte_count = mi->insn_count;
	m->memory_access_info = 0;	/* no GVA: NPF does not give one */
	m->gpa = mi->gpa;
	memcpy(m->instruction_bytes, mi->insn, sizeof(m->instruction_bytes));
}

/*
 * The TLFS way: VTL n+1 of this VP is entered as by a VtlCall, with
 * entry reason 3 and the message (entry.c writes both at its entry); its
 * VtlReturn comes back to VTL n, which re-executes the access. False
 * when that way is not open: not kernel mode, the VMM asked for the
 * intercepts, not run by KVM_VSM_RUN_VP, or no VTL n+1 on the VP.
 * Under kvm_vsm_srcu, as the fault hook runs.
 */
static bool kvm_vsm_mi_to_vtl_above(struct kvm_vcpu *vcpu,
				    struct kvm_vsm_vtl *vtl,
				    struct kvm_vsm_vpstate *st,
				    const struct kvm_vsm_mi *mi)
{
	struct kvm_vsm_partition *part = vtl->part;
	u32 above = vtl->vtl + 1;
	struct kvm_run *run = vcpu->run;
	struct tlfs_message msg;
	struct kvm_vsm_vp *vp;

	if (READ_ONCE(part->run_mode) != KVM_VSM_RUN_MODE_KERNEL ||
	    (READ_ONCE(part->run_flags) & KVM_VSM_RUN_MODE_F_INTERCEPTS_TO_VMM) ||
	    !st || !READ_ONCE(st->in_run) || st->active_vtl != vtl->vtl ||
	    above >= KVM_VSM_MAX_VTLS ||
	    !(READ_ONCE(st->enabled_vtls) & BIT(above)))
		return false;
	vp = kvm_vsm_vp_at(part, above, vcpu->vcpu_idx);
	if (!vp)
		return false;

	kvm_vsm_mi_message(vcpu, vtl, mi, &msg);
	spin_lock(&part->vsm_lock);
	vp->msg = msg;
	vp->msg_new = true;
	vp->msg_queued = true;
	vp->msg_gen++;
	spin_unlock(&part->vsm_lock);

	/* KVM_VSM_RUN_VP makes the switch (switch.c), as for a VtlCall. */
	st->switch_to = above;
	st->entry_reason = HV_VTL_ENTRY_INTERCEPT;
	run->exit_reason = KVM_EXIT_HYPERV;
	memset(&run->hyperv, 0, sizeof(run->hyperv));
	run->hyperv.type = KVM_VSM_EXIT_HYPERV_VTL;
	atomic64_inc(&part->memory_intercepts);
	return true;
}

int kvm_vsm_mem_intercept(struct kvm_vcpu *vcpu, struct kvm_vsm_vtl *vtl,
			  gpa_t gpa, u64 error_code, u8 access, void *insn,
			  int insn_len)
{
	struct kvm_vsm_partition *part = vtl->part;
	struct kvm_vsm_vpstate *st = xa_load(&part->vpstates, vcpu->vcpu_idx);
	struct kvm_vsm_mi mi;

	kvm_vsm_mi_fill(vcpu, vtl, &mi, gpa, error_code, access, insn, insn_len);
	if (kvm_vsm_mi_to_vtl_above(vcpu, vtl, st, &mi))
		return 0;
	return kvm_vsm_mi_to_vmm(vcpu, vtl, st, &mi);
}

/*
 * VTL @vtl's vCPU wrote EOM: a message of ours waiting for its SINT0 slot
 * is tried again at the vCPU's next entry (KVM_VSM_RUN_VP arms it), which
 * comes at once: this KVM_RUN ends as for a kick (interrupt.c), and
 * KVM_VSM_RUN_VP swallows the exit. Lock-free (ftrace context).
 */
void kvm_vsm_intercept_eom(struct kvm_vsm_vtl *vtl, struct kvm_vcpu *vcpu)
{
	struct kvm_vsm_vp *vp = xa_load(&vtl->vps, vcpu->vcpu_idx);
	struct kvm_vsm_vpstate *st = vp ? vp->st : NULL;

	if (!st || !READ_ONCE(vp->msg_queued) || !READ_ONCE(st->in_run) ||
	    READ_ONCE(st->active_vtl) != vtl->vtl || !vcpu->arch.hyperv)
		return;
	/* A request KVM made itself (a SynIC exit still due) stays KVM's. */
	if (kvm_test_request(KVM_REQ_HV_EXIT, vcpu))
		return;
	WRITE_ONCE(st->kick_vtl, vtl->vtl);
	WRITE_ONCE(st->kick_exit, true);
	kvm_make_request(KVM_REQ_HV_EXIT, vcpu);
}
