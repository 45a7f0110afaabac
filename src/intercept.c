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
	struct kvm_x86_ops *ops = kvm_vsm_kvm_x86_ops;
	unsigned long rip, rflags, next;
	int r;

	kvm_vsm_call(kvm_get_linear_rip)(vcpu);	/* RIP now cached */
	rip = kvm_vsm_rip(vcpu);
	rflags = ops->get_rflags(vcpu);
	r = kvm_vsm_call(kvm_emulate_instruction)(vcpu, KVM_VSM_EMULTYPE_SKIP);
	next = kvm_vsm_rip(vcpu);
	if (next != rip)
		kvm_vsm_set_rip(vcpu, rip);
	if (ops->get_rflags(vcpu) != rflags)
		ops->set_rflags(vcpu, rflags);
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
	mi->rip = kvm_vsm_call(kvm_get_linear_rip)(vcpu);
	mi->page_walk = error_code & PFERR_GUEST_PAGE_MASK;
	mi->event = vcpu->arch.exception.injected || vcpu->arch.nmi_injected ||
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

int kvm_vsm_mem_intercept(struct kvm_vcpu *vcpu, struct kvm_vsm_vtl *vtl,
			  gpa_t gpa, u64 error_code, u8 access, void *insn,
			  int insn_len)
{
	struct kvm_vsm_partition *part = vtl->part;
	struct kvm_vsm_vpstate *st = xa_load(&part->vpstates, vcpu->vcpu_idx);
	struct kvm_vsm_mi mi;

	kvm_vsm_mi_fill(vcpu, vtl, &mi, gpa, error_code, access, insn, insn_len);
	return kvm_vsm_mi_to_vmm(vcpu, vtl, st, &mi);
}
