// SPDX-License-Identifier: GPL-2.0
/*
 * VSM enablement from the guest: HvCallEnablePartitionVtl (0x000D) and
 * HvCallEnableVpVtl (0x000F), for attached VMs, in the kernel.
 *
 * The VMM decides which VTLs can exist by attaching a VM per VTL
 * (VsmPartitionStatus.MaximumVtl is the highest attached); the guest
 * decides which of them are enabled, in order, as on Hyper-V. Every bad
 * input is a TLFS status in RAX; none is a host error.
 */
#include <linux/slab.h>

#include "kvm_vsm.h"

/*
 * What both calls refuse first: no AccessVsm privilege, or a control value
 * that is not a simple call's (rep, variable header, reserved bits).
 */
static bool kvm_vsm_enable_refused(struct kvm_vsm_hc *hc, u64 *result)
{
	u64 c = hc->control;

	*result = HV_STATUS_ACCESS_DENIED;
	if (!kvm_vsm_hc_privileged(hc->vcpu, HV_PRIV_ACCESS_VSM))
		return true;
	*result = HV_STATUS_INVALID_HYPERCALL_INPUT;
	return (c & HV_HC_RSVD) || HV_HC_VARHEAD(c) || HV_HC_REP_COUNT(c) ||
	       HV_HC_REP_START(c);
}

int kvm_vsm_enable_partition_vtl(struct kvm_vsm_hc *hc, u64 *result)
{
	struct kvm_vsm_partition *part = hc->vtl->part;
	struct tlfs_enable_partition_vtl in;
	u8 caller = hc->vtl->vtl, highest;

	if (kvm_vsm_enable_refused(hc, result))
		return 1;
	*result = kvm_vsm_hc_input(hc, &in, sizeof(in));
	if (*result)
		return 1;
	*result = HV_STATUS_INVALID_PARTITION_ID;
	if (in.partition_id != HV_PARTITION_ID_SELF)
		return 1;
	/* MBEC (mode-based execute control) is not implemented: refused. */
	*result = HV_STATUS_INVALID_PARAMETER;
	if (in.flags || !kvm_vsm_zero(in.reserved, sizeof(in.reserved)))
		return 1;
	if (!in.target_vtl)
		return 1;

	/*
	 * The target is attached, checked under vsm_lock: a detach removes
	 * it from part->vtls before it clears its enabled bit under the same
	 * lock, so a detached VTL can never be left enabled.
	 */
	spin_lock(&part->vsm_lock);
	highest = fls(part->enabled_vtls) - 1;
	if (in.target_vtl > kvm_vsm_max_vtl(part))
		*result = HV_STATUS_INVALID_PARAMETER;
	else if (part->enabled_vtls & BIT(in.target_vtl))
		*result = HV_STATUS_VTL_ALREADY_ENABLED;
	else if (in.target_vtl != highest + 1)
		*result = HV_STATUS_INVALID_VTL_STATE;	/* one at a time */
	else if (caller != highest)
		/* TLFS: only the highest enabled VTL enables a higher one. */
		*result = HV_STATUS_ACCESS_DENIED;
	else
		*result = HV_STATUS_SUCCESS;
	if (!*result)
		part->enabled_vtls |= BIT(in.target_vtl);
	spin_unlock(&part->vsm_lock);
	return 1;
}

/*
 * The initial context, checked against the vCPU that will hold it (its
 * guest CPUID, MAXPHYADDR), under that vCPU's mutex. Inside KVM_RUN we do
 * not wait for it: a vCPU the VMM is using right then (an ioctl on it)
 * gives HV_STATUS_INVALID_VTL_STATE, and the guest may retry.
 */
static u64 kvm_vsm_check_context(struct kvm_vcpu *caller, struct kvm_vcpu *vcpu,
				 const struct tlfs_initial_vp_context *ctx)
{
	bool valid;

	if (vcpu == caller)
		return kvm_vsm_initial_context_valid(vcpu, ctx) ?
		       HV_STATUS_SUCCESS : HV_STATUS_INVALID_PARAMETER;
	if (!mutex_trylock(&vcpu->mutex))
		return HV_STATUS_INVALID_VTL_STATE;
	valid = kvm_vsm_initial_context_valid(vcpu, ctx);
	mutex_unlock(&vcpu->mutex);
	return valid ? HV_STATUS_SUCCESS : HV_STATUS_INVALID_PARAMETER;
}

int kvm_vsm_enable_vp_vtl(struct kvm_vsm_hc *hc, u64 *result)
{
	struct kvm_vsm_partition *part = hc->vtl->part;
	struct tlfs_initial_vp_context *ctx, *old = NULL;
	struct kvm_vsm_vpstate *st;
	struct kvm_vsm_vp *target;
	struct tlfs_enable_vp_vtl *in;
	u8 caller = hc->vtl->vtl, t;
	u32 vp;

	if (kvm_vsm_enable_refused(hc, result))
		return 1;
	in = kmalloc(sizeof(*in), GFP_KERNEL_ACCOUNT);
	*result = HV_STATUS_INSUFFICIENT_MEMORY;
	if (!in)
		return 1;
	/* 240 bytes: never fast. */
	*result = kvm_vsm_hc_input(hc, in, sizeof(*in));
	if (*result)
		goto out;
	*result = HV_STATUS_INVALID_PARTITION_ID;
	if (in->partition_id != HV_PARTITION_ID_SELF)
		goto out;
	t = in->target_vtl;
	*result = HV_STATUS_INVALID_PARAMETER;
	if (!kvm_vsm_zero(in->reserved, sizeof(in->reserved)) ||
	    !t || t > kvm_vsm_max_vtl(part))
		goto out;
	/* A VP exists at VTL t once the VMM registered its vCPU there. */
	*result = HV_STATUS_INVALID_VP_INDEX;
	if (!kvm_vsm_vp_by_hv_index(part, hc->vcpu, in->vp_index, &vp))
		goto out;
	st = xa_load(&part->vpstates, vp);
	target = kvm_vsm_vp_at(part, t, vp);
	if (!st || !kvm_vsm_vp_at(part, 0, vp) || !target)
		goto out;
	/* Invalid for the target VTL's VM: HV_STATUS_INVALID_PARAMETER. */
	*result = kvm_vsm_check_context(hc->vcpu, target->vcpu, &in->ctx);
	if (*result)
		goto out;

	ctx = kmemdup(&in->ctx, sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	*result = HV_STATUS_INSUFFICIENT_MEMORY;
	if (!ctx)
		goto out;
	spin_lock(&part->vsm_lock);
	if (!(part->enabled_vtls & BIT(t)) || !(st->enabled_vtls & BIT(t - 1)))
		*result = HV_STATUS_INVALID_VTL_STATE;
	else if (st->enabled_vtls & BIT(t))
		*result = HV_STATUS_VTL_ALREADY_ENABLED;
	else if (caller < t && (caller != t - 1 || (part->vp_enabled_once & BIT(t))))
		/*
		 * TLFS: a VTL is enabled by a higher one, except that the
		 * first VP to get VTL t gets it from VTL t-1.
		 */
		*result = HV_STATUS_ACCESS_DENIED;
	else
		*result = HV_STATUS_SUCCESS;
	if (!*result) {
		old = xchg(&target->initial_ctx, ctx);
		ctx = NULL;
		st->enabled_vtls |= BIT(t);
		part->vp_enabled_once |= BIT(t);
	}
	spin_unlock(&part->vsm_lock);
	kfree(old);
	kfree(ctx);
out:
	kfree(in);
	return 1;
}
