// SPDX-License-Identifier: GPL-2.0
/*
 * Attaching KVM VMs as VTLs, and the lookup from struct kvm to its VTL
 * that every hook does. One VM per VTL is the model KVM's maintainers
 * converged on (seeds/003: "represent each VTL with a separate struct
 * kvm"); it gives each VTL its own SPTEs, memslots and local APIC.
 */
#include <linux/file.h>
#include <linux/hashtable.h>
#include <linux/slab.h>

#include "compat.h"
#include "kvm_vsm.h"

struct srcu_struct kvm_vsm_srcu;

/* Attached VMs, keyed by struct kvm *; writers hold kvm_vsm_vms_lock. */
static DEFINE_HASHTABLE(kvm_vsm_vms, 7);
static DEFINE_MUTEX(kvm_vsm_vms_lock);

struct kvm_vsm_vtl *kvm_vsm_vtl_of(struct kvm *kvm)
{
	struct kvm_vsm_vtl *vtl;

	hash_for_each_possible_rcu(kvm_vsm_vms, vtl, hnode, (unsigned long)kvm,
				   srcu_read_lock_held(&kvm_vsm_srcu))
		if (vtl->kvm == kvm)
			return vtl;
	return NULL;
}

int kvm_vsm_attach_vtl(struct kvm_vsm_partition *part,
		       struct kvm_vsm_attach_vtl *arg)
{
	struct kvm_vsm_vtl *vtl;
	struct kvm *kvm;
	struct fd f;
	int r;

	if (!kvm_vsm_arg_clean(arg) || arg->vtl >= KVM_VSM_MAX_VTLS)
		return -EINVAL;

	f = fdget(arg->vm_fd);
	if (!fd_file(f))
		return -EBADF;
	r = -EINVAL;
	if (!file_is_kvm(fd_file(f)))
		goto out_fdput;
	kvm = fd_file(f)->private_data;
	r = -EPERM;
	if (kvm->mm != current->mm)
		goto out_fdput;

	mutex_lock(&part->lock);
	mutex_lock(&kvm_vsm_vms_lock);
	r = -EEXIST;
	if (part->vtls[arg->vtl])
		goto out_unlock;
	r = -EINVAL;	/* VTLs are enabled in order: VTL n needs VTL n-1 */
	if (arg->vtl && !part->vtls[arg->vtl - 1])
		goto out_unlock;
	r = -EBUSY;
	hash_for_each_possible(kvm_vsm_vms, vtl, hnode, (unsigned long)kvm)
		if (vtl->kvm == kvm)
			goto out_unlock;
	r = -ENOMEM;
	vtl = kzalloc(sizeof(*vtl), GFP_KERNEL_ACCOUNT);
	if (!vtl)
		goto out_unlock;

	kvm_get_kvm(kvm);
	vtl->kvm = kvm;
	vtl->part = part;
	vtl->vtl = arg->vtl;
	xa_init(&vtl->vps);
	/* Published initialised: kvm_vsm_vp_vcpu() reads it under SRCU. */
	smp_store_release(&part->vtls[arg->vtl], vtl);
	hash_add_rcu(kvm_vsm_vms, &vtl->hnode, (unsigned long)kvm);
	static_branch_inc(&kvm_vsm_attached);
	r = 0;
out_unlock:
	mutex_unlock(&kvm_vsm_vms_lock);
	mutex_unlock(&part->lock);
out_fdput:
	fdput(f);
	return r;
}

/*
 * The VP state of @vcpu, created on first use: a VMM may run an attached
 * vCPU with plain KVM_RUN, without KVM_VSM_ATTACH_VCPU. NULL: no memory.
 */
struct kvm_vsm_vp *kvm_vsm_vp_get(struct kvm_vsm_vtl *vtl,
				  struct kvm_vcpu *vcpu)
{
	struct kvm_vsm_vp *vp = xa_load(&vtl->vps, vcpu->vcpu_idx);

	if (vp)
		return vp;
	vp = kzalloc(sizeof(*vp), GFP_KERNEL_ACCOUNT);
	if (vp) {
		vp->vcpu = vcpu;
		vp->index = vcpu->vcpu_idx;
		vp->vtl = vtl->vtl;
		init_waitqueue_head(&vp->wq);
	}
	return kvm_vsm_xa_insert_once(&vtl->vps, vcpu->vcpu_idx, vp);
}

int kvm_vsm_attach_vcpu(struct kvm_vsm_partition *part,
			struct kvm_vsm_attach_vcpu *arg)
{
	bool enable = arg->flags & KVM_VSM_ATTACH_VCPU_ENABLED;
	struct kvm_vsm_vpstate *st;
	struct kvm_vsm_vtl *vtl;
	struct kvm_vsm_vp *vp;
	struct kvm_vcpu *vcpu;
	struct file *file;
	int r;

	if ((arg->flags & ~KVM_VSM_ATTACH_VCPU_ENABLED) ||
	    arg->vtl >= KVM_VSM_MAX_VTLS)
		return -EINVAL;
	if (!kvm_vsm_zero(arg->reserved, sizeof(arg->reserved)))
		return -EINVAL;
	file = fget(arg->vcpu_fd);
	if (!file)
		return -EBADF;
	r = -EINVAL;
	if (file->f_op != kvm_vsm_kvm_vcpu_fops)
		goto out_fput;
	vcpu = file->private_data;

	mutex_lock(&part->lock);
	vtl = part->vtls[arg->vtl];
	r = -ENOENT;
	if (!vtl)
		goto out_unlock;
	r = -EINVAL;
	if (vcpu->kvm != vtl->kvm)
		goto out_unlock;
	r = -ENOMEM;
	vp = kvm_vsm_vp_get(vtl, vcpu);
	if (!vp)
		goto out_unlock;
	r = -EEXIST;
	if (vp->vcpu_file)
		goto out_unlock;
	r = -ENOMEM;	/* the VP's VTL state: VTL0 active until a switch */
	st = kvm_vsm_vpstate_get(part, vp->index);
	if (!st)
		goto out_unlock;
	if (enable) {
		/* Enabled VTLs stay contiguous, for the partition and the VP. */
		spin_lock(&part->vsm_lock);
		r = -EINVAL;
		if (arg->vtl && (!(part->enabled_vtls & BIT(arg->vtl - 1)) ||
				 !(st->enabled_vtls & BIT(arg->vtl - 1)))) {
			spin_unlock(&part->vsm_lock);
			goto out_unlock;
		}
		part->enabled_vtls |= BIT(arg->vtl);
		part->vp_enabled_once |= BIT(arg->vtl);
		st->enabled_vtls |= BIT(arg->vtl);
		spin_unlock(&part->vsm_lock);
	}
	vp->vcpu_file = file;
	file = NULL;	/* the VP keeps the reference */
	arg->vp = vp->index;
	r = 0;
out_unlock:
	mutex_unlock(&part->lock);
out_fput:
	if (file)
		fput(file);
	return r;
}

/* Free a VTL no hook can see any more (after synchronize_srcu). */
static void kvm_vsm_vtl_free(struct kvm_vsm_partition *part,
			     struct kvm_vsm_vtl *vtl)
{
	struct kvm_vsm_vp *vp;
	unsigned long i;

	xa_for_each(&vtl->vps, i, vp) {
		kvm_vsm_vp_forget_entry(vp);
		kfree(vp->initial_ctx);
		if (vp->vcpu_file)
			fput(vp->vcpu_file);
		kfree(vp);
	}
	xa_destroy(&vtl->vps);
	kvm_put_kvm(vtl->kvm);
	kfree(vtl);
}

/* Unpublish @vtl and release anyone waiting on its vCPUs. */
static void kvm_vsm_vtl_unhash(struct kvm_vsm_partition *part,
			       struct kvm_vsm_vtl *vtl)
{
	struct kvm_vsm_vpstate *st;
	struct kvm_vsm_vp *vp;
	unsigned long i;

	/* A VTL attached again starts disabled, with fresh registers. */
	spin_lock(&part->vsm_lock);
	if (vtl->vtl) {
		part->enabled_vtls &= ~BIT(vtl->vtl);
		part->vp_enabled_once &= ~BIT(vtl->vtl);
		part->partition_config[vtl->vtl] = 0;
		xa_for_each(&part->vpstates, i, st)
			st->enabled_vtls &= ~BIT(vtl->vtl);
	}
	spin_unlock(&part->vsm_lock);

	mutex_lock(&kvm_vsm_vms_lock);
	hash_del_rcu(&vtl->hnode);
	mutex_unlock(&kvm_vsm_vms_lock);
	WRITE_ONCE(part->vtls[vtl->vtl], NULL);
	static_branch_dec(&kvm_vsm_attached);
	WRITE_ONCE(vtl->gone, true);
	xa_for_each(&vtl->vps, i, vp)
		wake_up_all(&vp->wq);
	/* And its producers waiting for ring room: detach waits for them. */
	wake_up_all(&part->ring.space_wq);
}

int kvm_vsm_detach_vtl(struct kvm_vsm_partition *part, u32 n)
{
	struct kvm_vsm_vtl *vtl;

	if (n >= KVM_VSM_MAX_VTLS)
		return -EINVAL;
	mutex_lock(&part->lock);
	vtl = part->vtls[n];
	if (!vtl) {
		mutex_unlock(&part->lock);
		return -ENOENT;
	}
	/* Only the highest VTL goes: VTL n+1 relies on VTL n. */
	if (n + 1 < KVM_VSM_MAX_VTLS && part->vtls[n + 1]) {
		mutex_unlock(&part->lock);
		return -EBUSY;
	}
	kvm_vsm_vtl_unhash(part, vtl);
	mutex_unlock(&part->lock);
	synchronize_srcu(&kvm_vsm_srcu);
	kvm_vsm_hypercall_forget(part, vtl);
	kvm_vsm_vtl_free(part, vtl);
	return 0;
}

void kvm_vsm_detach_all(struct kvm_vsm_partition *part)
{
	struct kvm_vsm_vtl *gone[KVM_VSM_MAX_VTLS] = {};
	int n;

	mutex_lock(&part->lock);
	for (n = KVM_VSM_MAX_VTLS - 1; n >= 0; n--) {
		gone[n] = part->vtls[n];
		if (gone[n])
			kvm_vsm_vtl_unhash(part, gone[n]);
	}
	mutex_unlock(&part->lock);
	synchronize_srcu(&kvm_vsm_srcu);
	for (n = 0; n < KVM_VSM_MAX_VTLS; n++) {
		if (gone[n]) {
			kvm_vsm_hypercall_forget(part, gone[n]);
			kvm_vsm_vtl_free(part, gone[n]);
		}
	}
}
