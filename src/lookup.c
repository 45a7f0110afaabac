// SPDX-License-Identifier: GPL-2.0
/*
 * Shared lower layer: from a struct kvm to its VTL (what every hook asks
 * first), and from a partition to its VPs and their vCPUs. Attach and
 * detach (vtl.c) publish and unpublish here; handlers only look up.
 */
#include <linux/hashtable.h>
#include <linux/slab.h>

#include "kvm_vsm.h"

struct srcu_struct kvm_vsm_srcu;

/* Attached VMs, keyed by struct kvm *; writers hold kvm_vsm_vms_lock. */
static DEFINE_HASHTABLE(kvm_vsm_vms, 7);
static DEFINE_MUTEX(kvm_vsm_vms_lock);

/*
 * Make @vtl (initialised, under part->lock) visible to the hooks and the
 * partition's lookups, with a reference on its VM. -EBUSY: that VM is
 * attached already, here or to another partition.
 */
int kvm_vsm_vtl_publish(struct kvm_vsm_vtl *vtl)
{
	struct kvm_vsm_vtl *other;

	mutex_lock(&kvm_vsm_vms_lock);
	hash_for_each_possible(kvm_vsm_vms, other, hnode, (unsigned long)vtl->kvm) {
		if (other->kvm == vtl->kvm) {
			mutex_unlock(&kvm_vsm_vms_lock);
			return -EBUSY;
		}
	}
	kvm_get_kvm(vtl->kvm);
	/* Published initialised: kvm_vsm_vp_vcpu() reads it under SRCU. */
	smp_store_release(&vtl->part->vtls[vtl->vtl], vtl);
	hash_add_rcu(kvm_vsm_vms, &vtl->hnode, (unsigned long)vtl->kvm);
	static_branch_inc(&kvm_vsm_attached);
	mutex_unlock(&kvm_vsm_vms_lock);
	return 0;
}

/*
 * The VTL of @kvm with its partition's SRCU held (*idx) instead of the
 * global one: what a handler does next (guest memory, which a VMM's
 * userfaultfd or FUSE mapping can stall) can hold up only this
 * partition's detach and release, never another's. NULL: not attached.
 */
struct kvm_vsm_vtl *kvm_vsm_vtl_get(struct kvm *kvm, int *idx)
	__acquires(part_srcu)
{
	struct kvm_vsm_vtl *vtl;
	int g = srcu_read_lock(&kvm_vsm_srcu);

	vtl = kvm_vsm_vtl_of(kvm);
	if (vtl)
		*idx = srcu_read_lock(&vtl->part->srcu);
	else
		__acquire(part_srcu);	/* for sparse: put() always follows */
	srcu_read_unlock(&kvm_vsm_srcu, g);
	return vtl;
}

/* After every kvm_vsm_vtl_get(), whatever it returned. */
void kvm_vsm_vtl_put(struct kvm_vsm_vtl *vtl, int idx)
	__releases(part_srcu)
{
	if (vtl)
		srcu_read_unlock(&vtl->part->srcu, idx);
	else
		__release(part_srcu);
}

/*
 * After kvm_vsm_vtl_unpublish(): wait until no hook (global SRCU) and no
 * handler of @part (its SRCU) can still use what was unpublished.
 */
void kvm_vsm_vtl_sync(struct kvm_vsm_partition *part)
{
	synchronize_srcu(&kvm_vsm_srcu);
	synchronize_srcu(&part->srcu);
}

/* Undo kvm_vsm_vtl_publish(); lookups may still see @vtl until a grace period. */
void kvm_vsm_vtl_unpublish(struct kvm_vsm_vtl *vtl)
{
	mutex_lock(&kvm_vsm_vms_lock);
	hash_del_rcu(&vtl->hnode);
	mutex_unlock(&kvm_vsm_vms_lock);
	WRITE_ONCE(vtl->part->vtls[vtl->vtl], NULL);
	static_branch_dec(&kvm_vsm_attached);
}

struct kvm_vsm_vtl *kvm_vsm_vtl_of(struct kvm *kvm)
{
	struct kvm_vsm_vtl *vtl;

	hash_for_each_possible_rcu(kvm_vsm_vms, vtl, hnode, (unsigned long)kvm,
				   srcu_read_lock_held(&kvm_vsm_srcu))
		if (vtl->kvm == kvm)
			return vtl;
	return NULL;
}

/*
 * The VP state of @vcpu, created on first use: a VMM may run an attached
 * vCPU with plain KVM_RUN, without KVM_VSM_ATTACH_VCPU. NULL: no memory.
 */
struct kvm_vsm_vp *kvm_vsm_vp_get(struct kvm_vsm_vtl *vtl,
				  struct kvm_vcpu *vcpu)
{
	struct kvm_vsm_vp *vp = xa_load(&vtl->vps, vcpu->vcpu_idx);
	struct kvm_vsm_vpstate *st;

	if (vp)
		return vp;
	st = kvm_vsm_vpstate_get(vtl->part, vcpu->vcpu_idx);
	if (!st)
		return NULL;
	vp = kzalloc(sizeof(*vp), GFP_KERNEL_ACCOUNT);
	if (vp) {
		vp->vcpu = vcpu;
		vp->st = st;
		vp->index = vcpu->vcpu_idx;
		vp->vtl = vtl->vtl;
	}
	return kvm_vsm_xa_insert_once(&vtl->vps, vcpu->vcpu_idx, vp);
}

struct kvm_vsm_vpstate *kvm_vsm_vpstate_get(struct kvm_vsm_partition *part,
					    u32 vp)
{
	struct kvm_vsm_vpstate *st = xa_load(&part->vpstates, vp);
	int n;

	if (st)
		return st;
	st = kzalloc(sizeof(*st), GFP_KERNEL_ACCOUNT);
	if (st) {
		st->switch_to = KVM_VSM_NO_SWITCH;
		st->enabled_vtls = BIT(0);
		init_waitqueue_head(&st->wq);
		for (n = 1; n < KVM_VSM_MAX_VTLS; n++)
			st->return_to[n] = n - 1;
	}
	return kvm_vsm_xa_insert_once(&part->vpstates, vp, st);
}

/*
 * VP @vp at VTL @n, if that VTL is attached and the vCPU registered; and
 * its vCPU. Under part->lock, or kvm_vsm_srcu (VTLs are freed after a
 * grace period).
 */
struct kvm_vsm_vp *kvm_vsm_vp_at(struct kvm_vsm_partition *part, u32 n, u32 vp)
{
	struct kvm_vsm_vtl *vtl = n < KVM_VSM_MAX_VTLS ? READ_ONCE(part->vtls[n]) : NULL;
	struct kvm_vsm_vp *p = vtl ? xa_load(&vtl->vps, vp) : NULL;

	return p && p->vcpu_file ? p : NULL;
}

struct kvm_vcpu *kvm_vsm_vp_vcpu(struct kvm_vsm_partition *part, u32 n, u32 vp)
{
	struct kvm_vsm_vp *p = kvm_vsm_vp_at(part, n, vp);

	return p ? p->vcpu : NULL;
}

/* KVM's kvm_hv_get_vpindex(): the VMM sets it with HV_X64_MSR_VP_INDEX. */
u32 kvm_vsm_hv_vp_index(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_hv *hv = kvm_vsm_hv_get(vcpu);

	return hv ? READ_ONCE(hv->vp_index) : vcpu->vcpu_idx;
}

/*
 * The VP a guest names by its TLFS VP index: the Hyper-V VP index KVM
 * keeps per vCPU, not the vCPU's position in its VM. VTL0's vCPU of each
 * VP is the reference (every VP exists at VTL0); the self index is the
 * caller's own VP. Returns false when no vCPU has that index. Under
 * kvm_vsm_srcu or part->lock, like kvm_vsm_vp_at().
 */
bool kvm_vsm_vp_by_hv_index(struct kvm_vsm_partition *part,
			    struct kvm_vcpu *caller, u32 vp_index, u32 *vp)
{
	struct kvm_vsm_vtl *vtl0 = READ_ONCE(part->vtls[0]);
	struct kvm_vcpu *vcpu;
	unsigned long i;

	if (vp_index == HV_VP_INDEX_SELF) {
		*vp = caller->vcpu_idx;
		return true;
	}
	if (!vtl0 || vp_index >= KVM_MAX_VCPUS)
		return false;
	/* KVM's get_vcpu_by_vpidx(): usually the same position. */
	vcpu = kvm_get_vcpu(vtl0->kvm, vp_index);
	if (vcpu && kvm_vsm_hv_vp_index(vcpu) == vp_index) {
		*vp = vcpu->vcpu_idx;
		return true;
	}
	kvm_for_each_vcpu(i, vcpu, vtl0->kvm) {
		if (kvm_vsm_hv_vp_index(vcpu) == vp_index) {
			*vp = vcpu->vcpu_idx;
			return true;
		}
	}
	return false;
}

/* The highest VTL the VMM attached: VsmPartitionStatus.MaximumVtl. */
u8 kvm_vsm_max_vtl(struct kvm_vsm_partition *part)
{
	u8 n = 0;

	while (n + 1 < KVM_VSM_MAX_VTLS && READ_ONCE(part->vtls[n + 1]))
		n++;
	return n;
}
