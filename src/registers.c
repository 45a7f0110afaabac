// SPDX-License-Identifier: GPL-2.0
/*
 * HvCallGetVpRegisters (0x0050) / HvCallSetVpRegisters (0x0051) for the
 * VSM registers (names 0x000D00xx), in the kernel: the state behind them
 * (enabled VTLs, active VTL) is the module's. Other registers belong to
 * the VMM, which gets the call through the ring.
 *
 * Rep semantics (TLFS 3.7): reps from the start index to the count; the
 * result carries the reps completed. A list whose first name is a VSM
 * register is handled here until its first non-VSM name; the guest then
 * re-executes the call from that rep (the start index in its control
 * value is advanced, RIP stays on the call) and the rest goes to the VMM.
 *
 * SetVpRegisters also comes in the XMM fast form (TLFS 3.6: RDX, R8, then
 * XMM0-5, 112 bytes, so up to three registers), which KVM advertises with
 * HV_X64_HYPERCALL_XMM_INPUT_AVAILABLE. GetVpRegisters' fast form needs
 * XMM output, which KVM does not offer: it goes to the VMM.
 */
#include "kvm_vsm.h"
#include "hcpage_code.h"

#define HV_XMM_INPUT_SIZE	(16 + HV_XMM_REGS_SIZE)	/* RDX, R8, XMM0-XMM5 */

#define HV_REG_SECURE_CONFIG_LAST	(HV_REG_VSM_VP_SECURE_CONFIG_VTL0 + 14)

static bool kvm_vsm_is_vsm_register(u32 name)
{
	return name >= HV_REG_VSM_FIRST && name <= HV_REG_VSM_LAST;
}

/* Whose registers a call reaches: VP @vp at VTL @vtl, asked from @caller. */
struct kvm_vsm_reg_target {
	struct kvm_vsm_partition *part;
	struct kvm_vsm_vpstate *st;
	struct kvm_vsm_vp *vp;
	u32 index;
	u8 vtl;
};

/* Under part->vsm_lock. */
static u64 kvm_vsm_get_register(struct kvm_vsm_reg_target *t, u32 name,
				u64 *val)
{
	struct kvm_vsm_partition *part = t->part;
	u32 n;

	switch (name) {
	case HV_REG_VSM_CODE_PAGE_OFFSETS:
		/*
		 * The VtlCall/VtlReturn entries overlay.c puts in every
		 * hypercall page (hcpage_code.h, docs/api.md).
		 */
		*val = KVM_VSM_HCPAGE_OFFSETS;
		return HV_STATUS_SUCCESS;
	case HV_REG_VSM_VP_STATUS:
		*val = READ_ONCE(t->st->active_vtl) |	/* the VP's thread moves it */
		       (u64)t->st->enabled_vtls << HV_VSM_VP_STATUS_ENABLED_SHIFT;
		return HV_STATUS_SUCCESS;
	case HV_REG_VSM_PARTITION_STATUS:
		*val = part->enabled_vtls |
		       (u64)kvm_vsm_max_vtl(part) << HV_VSM_PARTITION_STATUS_MAX_VTL_SHIFT;
		return HV_STATUS_SUCCESS;
	case HV_REG_VSM_VINA:
		*val = t->vp->vina;
		return HV_STATUS_SUCCESS;
	case HV_REG_VSM_CAPABILITIES:
		/* DR6 moves with the VP; intercepts reach the VP assist page. */
		*val = HV_VSM_CAP_DR6_SHARED | HV_VSM_CAP_INTERCEPT_PAGE;
		return HV_STATUS_SUCCESS;
	case HV_REG_VSM_PARTITION_CONFIG:
		if (!t->vtl)	/* VTL0 configures nothing below it */
			return HV_STATUS_INVALID_PARAMETER;
		*val = part->partition_config[t->vtl];
		return HV_STATUS_SUCCESS;
	case HV_REG_VSM_VP_SECURE_CONFIG_VTL0 ... HV_REG_SECURE_CONFIG_LAST:
		n = name - HV_REG_VSM_VP_SECURE_CONFIG_VTL0;
		if (n >= t->vtl)	/* a VTL configures the ones below it */
			return HV_STATUS_INVALID_PARAMETER;
		*val = t->vp->secure_config[n];
		return HV_STATUS_SUCCESS;
	default:
		return HV_STATUS_INVALID_PARAMETER;
	}
}

/* Under part->vsm_lock. Read-only registers refuse writes. */
static u64 kvm_vsm_set_register(struct kvm_vsm_reg_target *t, u32 name,
				const u64 val[2])
{
	u32 n;

	if (val[1])
		return HV_STATUS_INVALID_PARAMETER;
	switch (name) {
	case HV_REG_VSM_VINA:
		if (val[0] & ~HV_VSM_VINA_VALID)
			return HV_STATUS_INVALID_PARAMETER;
		t->vp->vina = val[0];
		return HV_STATUS_SUCCESS;
	case HV_REG_VSM_VP_SECURE_CONFIG_VTL0 ... HV_REG_SECURE_CONFIG_LAST:
		n = name - HV_REG_VSM_VP_SECURE_CONFIG_VTL0;
		/* MBEC is not implemented: its enable bit is refused. */
		if (n >= t->vtl || (val[0] & ~HV_VSM_SECURE_CONFIG_TLB_LOCKED))
			return HV_STATUS_INVALID_PARAMETER;
		t->vp->secure_config[n] = val[0];
		return HV_STATUS_SUCCESS;
	default:
		return HV_STATUS_INVALID_PARAMETER;
	}
}

/*
 * VsmPartitionConfig of VTL n: EnableVtlProtection (bit 0) and
 * DefaultVtlProtectionMask (bits 4:1) give the mask of every frame of
 * VTL n - 1 without one of its own. As Hyper-V does (openvmm
 * virt_mshv_vtl, set_vsm_partition_config): once protection is enabled it
 * cannot be disabled nor the default changed, and the default must be a
 * valid mask that grants read and write (InvalidRegisterValue otherwise);
 * rewriting the same value, or the other bits, is fine. A default that
 * restricts costs nothing per page: the whole VM is zapped once and every
 * frame faults in under it.
 */
static u64 kvm_vsm_set_partition_config(struct kvm_vsm_reg_target *t,
					const u64 val[2])
{
	struct kvm_vsm_partition *part = t->part;
	u64 new = val[0], old, status = HV_STATUS_SUCCESS;
	u8 mask = (new & HV_VSM_CONFIG_DEFAULT_MASK) >>
		  HV_VSM_CONFIG_DEFAULT_MASK_SHIFT;
	struct kvm_vsm_vtl *low;
	bool apply = false;

	if (val[1] || !t->vtl || (new & ~HV_VSM_PARTITION_CONFIG_VALID))
		return HV_STATUS_INVALID_PARAMETER;
	mutex_lock(&part->perm_lock);
	spin_lock(&part->vsm_lock);
	old = part->partition_config[t->vtl];
	/*
	 * Detached meanwhile (vtl.c reset the register under this lock): a
	 * value stored now would outlive it, locked write-once, for the next
	 * VM attached as this VTL.
	 */
	if (!(part->enabled_vtls & BIT(t->vtl))) {
		status = HV_STATUS_INVALID_VTL_STATE;
	} else if (old & HV_VSM_CONFIG_ENABLE_VTL_PROTECTION) {
		if (!(new & HV_VSM_CONFIG_ENABLE_VTL_PROTECTION) ||
		    (new ^ old) & HV_VSM_CONFIG_DEFAULT_MASK)
			status = HV_STATUS_INVALID_REGISTER_VALUE;
	} else if (new & HV_VSM_CONFIG_ENABLE_VTL_PROTECTION) {
		if (!kvm_vsm_hv_flags_valid(mask) ||
		    (mask & (KVM_VSM_PROT_READ | KVM_VSM_PROT_WRITE)) !=
		    (KVM_VSM_PROT_READ | KVM_VSM_PROT_WRITE))
			status = HV_STATUS_INVALID_REGISTER_VALUE;
		else
			apply = mask != KVM_VSM_PROT_ALL;
	}
	if (!status)
		part->partition_config[t->vtl] = new;
	spin_unlock(&part->vsm_lock);
	if (apply) {
		kvm_vsm_perm_set_default(part, t->vtl - 1, mask);
		/* Under part->srcu (the dispatcher's): stays attached. */
		low = READ_ONCE(part->vtls[t->vtl - 1]);
		if (low)
			kvm_vsm_mmu_zap(low, 0, KVM_VSM_GFN_LIMIT);
	}
	mutex_unlock(&part->perm_lock);
	return status;
}

/* The input header: which VP and VTL; a TLFS status if none. */
static u64 kvm_vsm_reg_target(struct kvm_vsm_hc *hc,
			      const struct tlfs_vp_registers_header *h,
			      struct kvm_vsm_reg_target *t)
{
	struct kvm_vsm_partition *part = hc->vtl->part;
	u8 caller = hc->vtl->vtl;

	if (h->partition_id != HV_PARTITION_ID_SELF)
		return HV_STATUS_INVALID_PARTITION_ID;
	if ((h->input_vtl & HV_INPUT_VTL_RSVD) ||
	    !kvm_vsm_zero(h->reserved, sizeof(h->reserved)))
		return HV_STATUS_INVALID_PARAMETER;
	t->part = part;
	t->vtl = h->input_vtl & HV_INPUT_VTL_USE_TARGET ?
		 HV_INPUT_VTL_TARGET(h->input_vtl) : caller;
	if (!kvm_vsm_vp_by_hv_index(part, hc->vcpu, h->vp_index, &t->index))
		return HV_STATUS_INVALID_VP_INDEX;
	t->st = xa_load(&part->vpstates, t->index);
	if (!t->st || !kvm_vsm_vp_at(part, 0, t->index))
		return HV_STATUS_INVALID_VP_INDEX;
	/* TLFS: a lower VTL cannot see a higher VTL's registers. */
	if (t->vtl > caller)
		return HV_STATUS_ACCESS_DENIED;
	t->vp = kvm_vsm_vp_at(part, t->vtl, t->index);
	if (!t->vp || !(READ_ONCE(t->st->enabled_vtls) & BIT(t->vtl)))
		return HV_STATUS_INVALID_PARAMETER;
	return HV_STATUS_SUCCESS;
}

/* Where the input block is: guest memory, or the fast-call registers. */
struct kvm_vsm_reg_input {
	struct kvm_vsm_hc *hc;
	gpa_t gpa;
	const u8 *fast;		/* HV_XMM_INPUT_SIZE bytes, or NULL */
};

/* @off + @len is within the input block (checked by the caller). */
static int kvm_vsm_reg_read(struct kvm_vsm_reg_input *in, u32 off, void *data,
			    u32 len)
{
	if (in->fast) {
		memcpy(data, in->fast + off, len);
		return 0;
	}
	return kvm_vsm_call(kvm_vcpu_read_guest)(in->hc->vcpu, in->gpa + off, data, len);
}

int kvm_vsm_vp_registers(struct kvm_vsm_hc *hc, u64 *result)
{
	bool set = HV_HC_CODE(hc->control) == HVCALL_SET_VP_REGISTERS;
	u32 count = HV_HC_REP_COUNT(hc->control), i;
	u32 start = HV_HC_REP_START(hc->control);
	size_t elem = set ? sizeof(struct tlfs_register_assoc) : sizeof(u32);
	struct kvm_vsm_reg_input in = { .hc = hc, .gpa = kvm_vsm_hc_in_gpa(hc) };
	bool fast = hc->control & HV_HC_FAST;
	struct kvm_vsm_partition *part = hc->vtl->part;
	gpa_t out = kvm_vsm_hc_out_gpa(hc);
	struct tlfs_vp_registers_header h;
	u8 xmm_input[HV_XMM_INPUT_SIZE];
	struct kvm_vsm_reg_target t;
	struct tlfs_register_assoc a;
	u64 status, val[2];
	u32 name;

	if (fast && !set)
		return -ENOTTY;
	*result = HV_STATUS_INVALID_HYPERCALL_INPUT;
	if ((hc->control & HV_HC_RSVD) || HV_HC_VARHEAD(hc->control) ||
	    (count && start >= count))
		return 1;
	*result = HV_STATUS_SUCCESS;
	if (!count)
		return 1;
	if (fast) {
		*result = HV_STATUS_INVALID_HYPERCALL_INPUT;
		if (sizeof(h) + count * elem > HV_XMM_INPUT_SIZE)
			return 1;
		memcpy(xmm_input, &in.gpa, sizeof(u64));	/* RDX, R8 */
		memcpy(xmm_input + sizeof(u64), &out, sizeof(u64));
		kvm_vsm_read_xmm(hc->vcpu, xmm_input + 2 * sizeof(u64));
		in.fast = xmm_input;
	} else {
		*result = HV_STATUS_INVALID_ALIGNMENT;
		if ((in.gpa & 7) || (!set && (out & 7)))
			return 1;
		/* Input (and output) lists stay within their page. */
		*result = HV_STATUS_INVALID_HYPERCALL_INPUT;
		if (offset_in_page(in.gpa) + sizeof(h) + count * elem > PAGE_SIZE ||
		    (!set && offset_in_page(out) + count * 16ull > PAGE_SIZE))
			return 1;
	}
	*result = HV_STATUS_INVALID_HYPERCALL_INPUT;
	if (kvm_vsm_reg_read(&in, 0, &h, sizeof(h)))
		return 1;
	/* The first name decides who handles the call. */
	if (kvm_vsm_reg_read(&in, sizeof(h) + start * elem, &name, sizeof(name)))
		return 1;
	if (!kvm_vsm_is_vsm_register(name))
		return -ENOTTY;

	/* Hyper-V checks the privilege before looking at the input. */
	status = kvm_vsm_hc_privileged(hc->vcpu, HV_PRIV_ACCESS_VP_REGISTERS) ?
		 kvm_vsm_reg_target(hc, &h, &t) : HV_STATUS_ACCESS_DENIED;
	for (i = start; !status && i < count; i++) {
		u32 at = sizeof(h) + i * elem;

		if (set ? kvm_vsm_reg_read(&in, at, &a, sizeof(a)) :
			  kvm_vsm_reg_read(&in, at, &name, sizeof(name))) {
			status = HV_STATUS_INVALID_HYPERCALL_INPUT;
			break;
		}
		if (set)
			name = a.name;
		if (!kvm_vsm_is_vsm_register(name)) {
			/* The rest is the VMM's: re-executed from rep i. */
			kvm_vsm_hc_set_rep_start(hc, i);
			return KVM_VSM_HC_CONTINUE;
		}
		if (set && (a.reserved1 || a.reserved2)) {
			status = HV_STATUS_INVALID_PARAMETER;
			break;
		}
		val[1] = 0;
		if (set && name == HV_REG_VSM_PARTITION_CONFIG) {
			/* Applying a default sleeps: not under vsm_lock. */
			status = kvm_vsm_set_partition_config(&t, a.value);
			if (status)
				break;
			continue;
		}
		spin_lock(&part->vsm_lock);
		status = set ? kvm_vsm_set_register(&t, name, a.value) :
			       kvm_vsm_get_register(&t, name, &val[0]);
		spin_unlock(&part->vsm_lock);
		if (status)
			break;
		if (!set &&
		    kvm_vsm_call(kvm_vcpu_write_guest)(hc->vcpu, out + i * 16ull,
						       val, sizeof(val)))
			status = HV_STATUS_INVALID_HYPERCALL_INPUT;
	}
	*result = status | ((u64)(status ? i : count) << HV_HC_RESULT_REPS_SHIFT);
	return 1;
}
