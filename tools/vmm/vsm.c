// SPDX-License-Identifier: GPL-2.0
/*
 * kvm-vsm-run: the partition. One KVM VM per VTL over the same memory,
 * attached to a kvm-vsm partition; a vCPU per VP per VTL; every VP entered
 * with KVM_VSM_RUN_VP, which runs whichever VTL is active on it.
 *
 * What the module leaves to us arrives as ring records:
 *   - HvCallGetVpRegisters/HvCallSetVpRegisters (0x50/0x51) naming
 *     architectural registers: answered here, on the target VP's own
 *     thread (its vCPU fds are busy in KVM_RUN on any other thread);
 *   - any other VSM hypercall code: HV_STATUS_INVALID_HYPERCALL_CODE;
 *   - userspace run mode: VTL switches (libkvmvsm's reference switch) and
 *     memory intercepts.
 * The guest's inputs are checked as Hyper-V checks them; the VMM's own
 * accesses to guest memory on the guest's behalf obey the calling VTL's
 * protections and see its overlay pages (docs/api.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm.h"

#define HV_STATUS_SUCCESS			0x0
#define HV_STATUS_INVALID_HYPERCALL_CODE	0x2
#define HV_STATUS_INVALID_HYPERCALL_INPUT	0x3
#define HV_STATUS_INVALID_ALIGNMENT		0x4
#define HV_STATUS_INVALID_PARAMETER		0x5
#define HV_STATUS_ACCESS_DENIED			0x6
#define HV_STATUS_INVALID_PARTITION_ID		0xd
#define HV_STATUS_INVALID_VP_INDEX		0xe

#define HVCALL_GET_VP_REGISTERS		0x0050
#define HVCALL_SET_VP_REGISTERS		0x0051

#define HV_PARTITION_ID_SELF		(~0ull)
#define HV_VP_INDEX_SELF		0xfffffffeu

/* Hypercall input value (TLFS 3.7) */
#define HC_CODE(c)		((c) & 0xffff)
#define HC_FAST			BIT_ULL(16)
#define HC_VARHDR(c)		(((c) >> 17) & 0x3ff)
#define HC_REP_COUNT(c)		(((c) >> 32) & 0xfff)
#define HC_REP_START(c)		(((c) >> 48) & 0xfff)
#define HC_RSVD			(0xfull << 27 | 0xfull << 44 | 0xfull << 60)

struct hv_vp_registers_input {
	uint64_t partition_id;
	uint32_t vp_index;
	uint8_t input_vtl;	/* target 3:0, use target 4 */
	uint8_t rsvd[3];
} __packed;

struct hv_register_assoc {
	uint32_t name;
	uint32_t rsvd1;
	uint64_t rsvd2;
	uint64_t value[2];
} __packed;

struct hv_segment {
	uint64_t base;
	uint32_t limit;
	uint16_t selector;
	uint16_t attributes;
} __packed;

struct hv_table {
	uint16_t pad[3];
	uint16_t limit;
	uint64_t base;
} __packed;

int vsm_init(struct vmm *vmm)
{
	uint32_t v;
	int r;

	r = kvmvsm_open();
	if (r == -ENOENT)
		vmm_die("/dev/kvm-vsm: No such file or directory (modprobe kvm-vsm, or --no-vsm)");
	if (r == -EPROTO)
		vmm_die("/dev/kvm-vsm: API version is not %d (%s)",
			KVM_VSM_API_VERSION, "another kvm-vsm is loaded");
	if (r < 0)
		vmm_die("/dev/kvm-vsm: %s", strerror(-r));
	vmm->vsm_fd = r;

	r = kvmvsm_create_partition(vmm->vsm_fd, 0, KVM_VSM_CREATE_CLOEXEC);
	if (r < 0)
		vmm_die("KVM_VSM_CREATE_PARTITION: %s", strerror(-r));
	vmm->part_fd = r;
	for (v = 0; v < vmm->nr_vtls; v++) {
		r = kvmvsm_attach_vtl(vmm->part_fd, vmm->vm_fd[v], v);
		if (r < 0)
			vmm_die("KVM_VSM_ATTACH_VTL %u: %s", v, strerror(-r));
	}
	r = kvmvsm_ring_map(vmm->part_fd, &vmm->ring);
	if (r < 0)
		vmm_die("mapping the exit ring: %s", strerror(-r));
	pthread_mutex_init(&vmm->ring_lock, NULL);
	r = kvmvsm_set_run_mode(vmm->part_fd, vmm->run_mode);
	if (r < 0)
		vmm_die("KVM_VSM_SET_RUN_MODE: %s", strerror(-r));
	return 0;
}

int vsm_vcpu_init(struct vmm *vmm, struct vcpu *vcpu)
{
	uint32_t v, vp;
	int r;

	for (v = 0; v < vmm->nr_vtls; v++) {
		/* VTL0 runs from the start; the guest enables the others. */
		r = kvmvsm_attach_vcpu_flags(vmm->part_fd, vcpu->fd[v], v,
					     v ? 0 : KVM_VSM_ATTACH_VCPU_ENABLED,
					     &vp);
		if (r < 0)
			vmm_die("KVM_VSM_ATTACH_VCPU %u VTL%u: %s", vcpu->index,
				v, strerror(-r));
		if (vp != vcpu->index)
			vmm_die("KVM_VSM_ATTACH_VCPU %u VTL%u: got VP %u",
				vcpu->index, v, vp);
	}
	return 0;
}

int vsm_run(struct vmm *vmm, struct vcpu *vcpu, uint32_t *vtl)
{
	if (!vmm->nr_vtls) {
		*vtl = 0;
		return ioctl(vcpu->fd[0], KVM_RUN, 0) < 0 ? -errno : 0;
	}
	return kvmvsm_run_vp(vmm->part_fd, vcpu->index, vtl);
}

/* One Get/SetVpRegisters call, run on the target VP's thread. */
struct regs_call {
	struct kvm_vsm_ring_record rec;
	uint32_t target_vtl;
	uint32_t count, start;
	bool set;
	union {
		uint32_t names[4096 / 4];
		struct hv_register_assoc assoc[4096 / 32];
	};
};

/* The TLFS attribute word of a KVM segment, and back. */
static uint16_t seg_attr(const struct kvm_segment *s)
{
	return s->type | s->s << 4 | s->dpl << 5 | s->present << 7 |
	       s->avl << 12 | s->l << 13 | s->db << 14 | s->g << 15;
}

static void seg_from(struct kvm_segment *s, const struct hv_segment *h)
{
	s->base = h->base;
	s->limit = h->limit;
	s->selector = h->selector;
	s->type = h->attributes & 0xf;
	s->s = h->attributes >> 4 & 1;
	s->dpl = h->attributes >> 5 & 3;
	s->present = h->attributes >> 7 & 1;
	s->avl = h->attributes >> 12 & 1;
	s->l = h->attributes >> 13 & 1;
	s->db = h->attributes >> 14 & 1;
	s->g = h->attributes >> 15 & 1;
	s->unusable = !s->present;
}

static const uint32_t msr_of_name[] = {	/* 0x0008000n */
	[0x1] = 0xc0000080,	/* EFER */
	[0x2] = 0xc0000102,	/* KernelGsBase */
	[0x3] = 0x0000001b,	/* ApicBase */
	[0x4] = 0x00000277,	/* Pat */
	[0x5] = 0x00000174,	/* SysenterCs */
	[0x6] = 0x00000176,	/* SysenterEip */
	[0x7] = 0x00000175,	/* SysenterEsp */
	[0x8] = 0xc0000081,	/* Star */
	[0x9] = 0xc0000082,	/* Lstar */
	[0xa] = 0xc0000083,	/* Cstar */
	[0xb] = 0xc0000084,	/* Sfmask */
};

static int msr_io(int fd, uint32_t index, uint64_t *val, bool set)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e.index = index, .e.data = *val };

	if (ioctl(fd, set ? KVM_SET_MSRS : KVM_GET_MSRS, &m) != 1)
		return -1;
	*val = m.e.data;
	return 0;
}

/*
 * Read (or write) register @name of vCPU @fd. Returns an HV status:
 * INVALID_PARAMETER for a name this VMM does not know and for a value
 * KVM refuses (as it refuses the guest's own write).
 */
static uint16_t reg_access(int fd, uint32_t name, uint64_t v[2], bool set)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_debugregs dregs;
	struct kvm_segment *segs[8];
	uint32_t group = name >> 16, n = name & 0xffff;
	__u64 *r64 = NULL;
	int kind;	/* 0 regs, 1 sregs, 2 dregs */

	if (ioctl(fd, KVM_GET_REGS, &regs) < 0 ||
	    ioctl(fd, KVM_GET_SREGS, &sregs) < 0 ||
	    ioctl(fd, KVM_GET_DEBUGREGS, &dregs) < 0)
		return HV_STATUS_INVALID_PARAMETER;
	segs[0] = &sregs.es; segs[1] = &sregs.cs; segs[2] = &sregs.ss;
	segs[3] = &sregs.ds; segs[4] = &sregs.fs; segs[5] = &sregs.gs;
	segs[6] = &sregs.ldt; segs[7] = &sregs.tr;

	switch (group) {
	case 0x2: {		/* RAX..R15, RIP, RFLAGS */
		__u64 *gpr[18] = {
			&regs.rax, &regs.rcx, &regs.rdx, &regs.rbx, &regs.rsp,
			&regs.rbp, &regs.rsi, &regs.rdi, &regs.r8, &regs.r9,
			&regs.r10, &regs.r11, &regs.r12, &regs.r13, &regs.r14,
			&regs.r15, &regs.rip, &regs.rflags,
		};

		if (n >= 18)
			return HV_STATUS_INVALID_PARAMETER;
		r64 = gpr[n];
		kind = 0;
		break;
	}
	case 0x4: {		/* CR0, CR2, CR3, CR4, CR8 */
		__u64 *cr[5] = { &sregs.cr0, &sregs.cr2, &sregs.cr3,
				    &sregs.cr4, &sregs.cr8 };

		if (n >= 5)
			return HV_STATUS_INVALID_PARAMETER;
		r64 = cr[n];
		kind = 1;
		break;
	}
	case 0x5: {		/* DR0-3, DR6, DR7 */
		__u64 *dr[6] = { &dregs.db[0], &dregs.db[1], &dregs.db[2],
				    &dregs.db[3], &dregs.dr6, &dregs.dr7 };

		if (n >= 6)
			return HV_STATUS_INVALID_PARAMETER;
		r64 = dr[n];
		kind = 2;
		break;
	}
	case 0x6: {		/* ES, CS, SS, DS, FS, GS, LDTR, TR */
		struct hv_segment h;

		if (n >= 8)
			return HV_STATUS_INVALID_PARAMETER;
		if (!set) {
			h.base = segs[n]->base;
			h.limit = segs[n]->limit;
			h.selector = segs[n]->selector;
			h.attributes = seg_attr(segs[n]);
			memcpy(v, &h, sizeof(h));
			return HV_STATUS_SUCCESS;
		}
		memcpy(&h, v, sizeof(h));
		seg_from(segs[n], &h);
		return ioctl(fd, KVM_SET_SREGS, &sregs) < 0 ?
		       HV_STATUS_INVALID_PARAMETER : HV_STATUS_SUCCESS;
	}
	case 0x7: {		/* IDTR, GDTR */
		struct kvm_dtable *t = n == 0 ? &sregs.idt : &sregs.gdt;
		struct hv_table h = { .pad = { 0 } };

		if (n >= 2)
			return HV_STATUS_INVALID_PARAMETER;
		if (!set) {
			h.limit = t->limit;
			h.base = t->base;
			memcpy(v, &h, sizeof(h));
			return HV_STATUS_SUCCESS;
		}
		memcpy(&h, v, sizeof(h));
		t->limit = h.limit;
		t->base = h.base;
		return ioctl(fd, KVM_SET_SREGS, &sregs) < 0 ?
		       HV_STATUS_INVALID_PARAMETER : HV_STATUS_SUCCESS;
	}
	case 0x8:		/* the virtual MSRs */
		if (n >= ARRAY_SIZE(msr_of_name) ||
		    !msr_of_name[n])
			return HV_STATUS_INVALID_PARAMETER;
		if (!set)
			v[1] = 0;
		/*
		 * KVM_SET_MSRS from the VMM is host-initiated: EFER goes
		 * through KVM_SET_SREGS, which checks it as a guest write.
		 */
		if (set && n == 1) {
			sregs.efer = v[0];
			return ioctl(fd, KVM_SET_SREGS, &sregs) < 0 ?
			       HV_STATUS_INVALID_PARAMETER : HV_STATUS_SUCCESS;
		}
		return msr_io(fd, msr_of_name[n], &v[0], set) ?
		       HV_STATUS_INVALID_PARAMETER : HV_STATUS_SUCCESS;
	default:
		return HV_STATUS_INVALID_PARAMETER;
	}

	if (!set) {
		v[0] = *r64;
		v[1] = 0;
		return HV_STATUS_SUCCESS;
	}
	*r64 = v[0];
	if (kind == 0)
		return ioctl(fd, KVM_SET_REGS, &regs) < 0 ?
		       HV_STATUS_INVALID_PARAMETER : HV_STATUS_SUCCESS;
	if (kind == 1)
		return ioctl(fd, KVM_SET_SREGS, &sregs) < 0 ?
		       HV_STATUS_INVALID_PARAMETER : HV_STATUS_SUCCESS;
	return ioctl(fd, KVM_SET_DEBUGREGS, &dregs) < 0 ?
	       HV_STATUS_INVALID_PARAMETER : HV_STATUS_SUCCESS;
}

/* The Hyper-V status for a failed vmm_guest_rw(). */
static uint16_t rw_status(int r)
{
	return !r ? HV_STATUS_SUCCESS : r == -EACCES ? HV_STATUS_ACCESS_DENIED :
	       HV_STATUS_INVALID_HYPERCALL_INPUT;
}

static void complete(struct vmm *vmm, const struct kvm_vsm_ring_record *rec,
		     uint16_t status, uint32_t reps)
{
	int r;

	vmm_trace_at(vmm, rec->vp, rec->vtl,
		     "hypercall=0x%04llx answered status=0x%x reps=%u",
		  (unsigned long long)HC_CODE(rec->hypercall.control), status,
		  reps);
	r = kvmvsm_ring_complete(&vmm->ring, rec->seq,
				 status | (uint64_t)reps << 32);
	/* ENOENT: the VMM moved the caller's RIP meanwhile (cancelled). */
	if (r < 0 && r != -ENOENT)
		vmm_die("KVM_VSM_COMPLETE: %s", strerror(-r));
}

/* On the target VP's thread: do the reps, write the output, answer. */
static void regs_call_run(struct vcpu *target, void *arg)
{
	struct regs_call *c = arg;
	struct vmm *vmm = target->vmm;
	const struct kvm_vsm_hypercall_record *h = &c->rec.hypercall;
	int fd = target->fd[c->target_vtl];
	uint16_t status = HV_STATUS_SUCCESS;
	uint32_t i;

	for (i = c->start; i < c->count; i++) {
		uint64_t v[2];

		if (c->set) {
			struct hv_register_assoc *a = &c->assoc[i];

			if (a->rsvd1 || a->rsvd2) {
				status = HV_STATUS_INVALID_PARAMETER;
				break;
			}
			v[0] = a->value[0];
			v[1] = a->value[1];
			status = reg_access(fd, a->name, v, true);
			vmm_trace_at(vmm, c->rec.vp, c->rec.vtl,
				     "set-vp-register vp=%u vtl=%u name=0x%08x value=0x%llx status=0x%x",
				     target->index,
				  c->target_vtl, a->name,
				  (unsigned long long)v[0], status);
		} else {
			status = reg_access(fd, c->names[i], v, false);
			if (!status)
				status = rw_status(vmm_guest_rw(vmm, c->rec.vtl,
								h->output + 16ull * i,
								v, 16, true));
			vmm_trace_at(vmm, c->rec.vp, c->rec.vtl,
				     "get-vp-register vp=%u vtl=%u name=0x%08x value=0x%llx status=0x%x",
				     target->index,
				  c->target_vtl, c->names[i],
				  (unsigned long long)v[0], status);
		}
		if (status)
			break;
	}
	complete(vmm, &c->rec, status, i - c->start);
	free(c);
}

/*
 * HvCallGetVpRegisters/HvCallSetVpRegisters (memory form) for names the
 * module left to us. The module has checked the privilege and handled
 * leading VSM names; the rest of the input is ours to check.
 */
static void regs_call(struct vmm *vmm, const struct kvm_vsm_ring_record *rec)
{
	const struct kvm_vsm_hypercall_record *h = &rec->hypercall;
	struct hv_vp_registers_input hdr;
	uint64_t ctl = h->control;
	bool set = HC_CODE(ctl) == HVCALL_SET_VP_REGISTERS;
	uint32_t count = HC_REP_COUNT(ctl), start = HC_REP_START(ctl);
	uint32_t esize = set ? 32 : 4, vp, vtl;
	struct regs_call *c;
	uint16_t st;

	/* Fast forms would need the XMM registers KVM does not give us. */
	if (ctl & (HC_FAST | HC_RSVD) || HC_VARHDR(ctl) || start >= count)
		st = HV_STATUS_INVALID_HYPERCALL_INPUT;
	else if (h->input & 7 || (!set && h->output & 7))
		st = HV_STATUS_INVALID_ALIGNMENT;
	else if ((h->input & 4095) + sizeof(hdr) + (uint64_t)count * esize > 4096 ||
		 (!set && (h->output & 4095) + 16ull * count > 4096))
		st = HV_STATUS_INVALID_HYPERCALL_INPUT;
	else
		st = HV_STATUS_SUCCESS;
	if (st) {
		complete(vmm, rec, st, 0);
		return;
	}

	c = calloc(1, sizeof(*c));
	if (!c)
		vmm_die("out of memory");
	c->rec = *rec;
	c->count = count;
	c->start = start;
	c->set = set;
	st = rw_status(vmm_guest_rw(vmm, rec->vtl, h->input, &hdr,
				    sizeof(hdr), false));
	if (!st)
		st = rw_status(vmm_guest_rw(vmm, rec->vtl,
					    h->input + sizeof(hdr), c->names,
					    count * esize, false));
	if (st)
		goto fail;
	if (hdr.partition_id != HV_PARTITION_ID_SELF) {
		st = HV_STATUS_INVALID_PARTITION_ID;
		goto fail;
	}
	if (hdr.input_vtl & 0xe0 || hdr.rsvd[0] || hdr.rsvd[1] || hdr.rsvd[2]) {
		st = HV_STATUS_INVALID_PARAMETER;
		goto fail;
	}
	/* Hyper-V VP index = our VP index (the VMM never sets VP_INDEX). */
	vp = hdr.vp_index == HV_VP_INDEX_SELF ? rec->vp : hdr.vp_index;
	if (vp >= vmm->nr_cpus) {
		st = HV_STATUS_INVALID_VP_INDEX;
		goto fail;
	}
	vtl = hdr.input_vtl & 0x10 ? hdr.input_vtl & 0xf : rec->vtl;
	if (vtl > rec->vtl) {		/* a lower VTL never reaches up */
		st = HV_STATUS_ACCESS_DENIED;
		goto fail;
	}
	if (vtl >= vmm->nr_vtls) {
		st = HV_STATUS_INVALID_PARAMETER;
		goto fail;
	}
	/* The caller's own vCPU is mid-hypercall: its state is not ours. */
	if (set && vp == rec->vp && vtl == rec->vtl) {
		st = HV_STATUS_INVALID_PARAMETER;
		goto fail;
	}
	c->target_vtl = vtl;
	vcpu_request(&vmm->vcpus[vp], regs_call_run, c);
	return;
fail:
	complete(vmm, rec, st, 0);
	free(c);
}

static void hypercall_record(struct vmm *vmm,
			     const struct kvm_vsm_ring_record *rec)
{
	uint64_t ctl = rec->hypercall.control;

	vmm_trace_at(vmm, rec->vp, rec->vtl,
		     "record seq=%llu hypercall=0x%04llx control=0x%llx in=0x%llx out=0x%llx",
		     (unsigned long long)rec->seq,
		  (unsigned long long)HC_CODE(ctl), (unsigned long long)ctl,
		  (unsigned long long)rec->hypercall.input,
		  (unsigned long long)rec->hypercall.output);
	switch (HC_CODE(ctl)) {
	case HVCALL_GET_VP_REGISTERS:
	case HVCALL_SET_VP_REGISTERS:
		regs_call(vmm, rec);
		break;
	default:
		complete(vmm, rec, HV_STATUS_INVALID_HYPERCALL_CODE, 0);
	}
}

/* Take every published record; the ring has one consumer at a time. */
static void drain_ring(struct vmm *vmm)
{
	const struct kvm_vsm_ring_record *p;
	struct kvm_vsm_ring_record rec;

	for (;;) {
		pthread_mutex_lock(&vmm->ring_lock);
		p = kvmvsm_ring_peek(&vmm->ring);
		if (p) {
			rec = *p;
			kvmvsm_ring_advance(&vmm->ring);
		}
		pthread_mutex_unlock(&vmm->ring_lock);
		if (!p)
			return;

		switch (rec.type) {
		case KVM_VSM_RECORD_HYPERCALL:
			hypercall_record(vmm, &rec);
			break;
		case KVM_VSM_RECORD_VTL_SWITCH:	/* acted on at its exit */
			vmm_trace_at(vmm, rec.vp, rec.vtl,
				     "record seq=%llu vtl-switch code=0x%x to=%u",
				     (unsigned long long)rec.seq,
				  rec.vtl_switch.code, rec.vtl_switch.to_vtl);
			break;
		case KVM_VSM_RECORD_MEMORY_INTERCEPT:
			vmm_trace_at(vmm, rec.vp, rec.vtl,
				     "record seq=%llu memory-intercept gpa=0x%llx access=%u rip=0x%llx prot=0x%x",
				     (unsigned long long)rec.seq,
				  (unsigned long long)rec.memory.gpa,
				  rec.memory.access,
				  (unsigned long long)rec.memory.rip,
				  rec.memory.prot);
			break;
		default:
			vmm_trace(vmm, NULL, "record seq=%llu of unknown type %u",
				  (unsigned long long)rec.seq, rec.type);
		}
	}
}

/* Userspace run mode: make the VTL switch the exit asks for. */
static int vtl_switch(struct vmm *vmm, struct vcpu *vcpu, uint32_t vtl,
		      struct kvm_run *run)
{
	uint64_t code = run->hyperv.u.hcall.input;
	uint32_t to = run->hyperv.u.hcall.params[0];
	int fast = run->hyperv.u.hcall.params[1] & 1, call, r;

	call = code == KVM_VSM_VTL_SWITCH_INTERRUPT ? KVMVSM_SWITCH_INTERRUPT :
	       code == 0x11 ? KVMVSM_SWITCH_CALL : KVMVSM_SWITCH_RETURN;
	if (to >= vmm->nr_vtls)
		return -1;
	vmm_trace(vmm, vcpu, "vtl-switch %s to=%u%s",
		  call == KVMVSM_SWITCH_INTERRUPT ? "interrupt" :
		  call == KVMVSM_SWITCH_CALL ? "call" : "return", to,
		  fast ? " fast" : "");
	r = kvmvsm_vtl_switch(vmm->part_fd, vcpu->index, vcpu->fd[vtl], vtl,
			      vcpu->fd[to], to, call, fast);
	if (r < 0) {
		fprintf(stderr, "kvm-vsm-run: vp %u: VTL%u -> VTL%u switch failed: %s\n",
			vcpu->index, vtl, to, strerror(-r));
		return -1;
	}
	return 0;
}

int vsm_exit(struct vmm *vmm, struct vcpu *vcpu, uint32_t vtl,
	     struct kvm_run *run)
{
	uint64_t input = run->hyperv.u.hcall.input;

	switch (kvmvsm_exit(run)) {
	case KVM_VSM_EXIT_HYPERV_RECORD:
		vmm_trace(vmm, vcpu, "exit record hypercall=0x%04llx seq=%llu",
			  (unsigned long long)HC_CODE(input),
			  (unsigned long long)run->hyperv.u.hcall.params[0]);
		drain_ring(vmm);
		return 0;
	case KVM_VSM_EXIT_HYPERV_RING_FULL:
		vmm_trace(vmm, vcpu, "exit ring-full");
		drain_ring(vmm);
		return 0;
	case KVM_VSM_EXIT_HYPERV_VTL:
		drain_ring(vmm);
		return vtl_switch(vmm, vcpu, vtl, run);
	case KVM_VSM_EXIT_HYPERV_MEMORY_INTERCEPT:
		drain_ring(vmm);
		/*
		 * Entered again, the access faults again: the module gives
		 * no way to enter VTL n+1 with an intercept from userspace,
		 * so a VMM that gets one has no TLFS answer to give.
		 */
		fprintf(stderr, "kvm-vsm-run: vp %u: VTL%u %s at GPA 0x%llx %s\n",
			vcpu->index, vtl,
			run->hyperv.u.hcall.params[1] == KVM_VSM_ACCESS_WRITE ?
			"write" : run->hyperv.u.hcall.params[1] ==
			KVM_VSM_ACCESS_EXECUTE ? "execute" : "read",
			(unsigned long long)input,
			"denied: intercepts reach a higher VTL in kernel mode only");
		return -1;
	}
	return -1;
}
