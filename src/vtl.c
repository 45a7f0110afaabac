// SPDX-License-Identifier: GPL-2.0
/*
 * Attaching KVM VMs as VTLs and their vCPUs as VPs, and detaching them
 * (the partition ioctls' side; lookup.c publishes them to the hooks).
 * One VM per VTL is the model KVM's maintainers
 * converged on (seeds/003: "represent each VTL with a separate struct
 * kvm"); it gives each VTL its own SPTEs, memslots and local APIC.
 */
#include <linux/file.h>
#include <linux/slab.h>

#include "compat.h"
#include "kvm_vsm.h"

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
	if (!kvm_vsm_call(file_is_kvm)(fd_file(f)))
		goto out_fdput;
	kvm = fd_file(f)->private_data;
	r = -EPERM;
	if (kvm->mm != current->mm)
		goto out_fdput;

	mutex_lock(&part->lock);
	r = -EEXIST;
	if (part->vtls[arg->vtl])
		goto out_unlock;
	r = -EINVAL;	/* VTLs are enabled in order: VTL n needs VTL n-1 */
	if (arg->vtl && !part->vtls[arg->vtl - 1])
		goto out_unlock;
	r = -ENOMEM;
	vtl = kzalloc(sizeof(*vtl), GFP_KERNEL_ACCOUNT);
	if (!vtl)
		goto out_unlock;
	vtl->kvm = kvm;
	vtl->part = part;
	vtl->vtl = arg->vtl;
	xa_init(&vtl->vps);
	xa_init(&vtl->lpage);
	kvm_vsm_ovl_init(vtl);
	r = kvm_vsm_vtl_publish(vtl);
	if (r)
		kfree(vtl);
out_unlock:
	mutex_unlock(&part->lock);
out_fdput:
	fdput(f);
	return r;
}

/*
 * A VTL switch copies the x87/SSE/AVX/... state buffer to buffer: the VP's
 * vCPUs at all VTLs need one XSAVE layout (guest CPUID decides, e.g. AMX
 * in one VM only). -EXDEV if @vcpu's differs. Each vCPU's mutex while its
 * fpstate is read: KVM reallocates it under that mutex. Under part->lock,
 * so never waited for (a vCPU in KVM_RUN may hold it indefinitely): a
 * vCPU in use right then gives -EBUSY.
 */
static int kvm_vsm_vp_fpu_check(struct kvm_vsm_partition *part, u32 vtl,
				struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu *other;
	int n, r = 0;

	if (!mutex_trylock(&vcpu->mutex))
		return -EBUSY;
	for (n = 0; n < KVM_VSM_MAX_VTLS && !r; n++) {
		other = n == vtl ? NULL : kvm_vsm_vp_vcpu(part, n, vcpu->vcpu_idx);
		if (!other || other == vcpu)
			continue;
		if (!mutex_trylock(&other->mutex)) {
			r = -EBUSY;
			break;
		}
		if (!kvm_vsm_fpu_compatible(vcpu, other))
			r = -EXDEV;
		mutex_unlock(&other->mutex);
	}
	mutex_unlock(&vcpu->mutex);
	return r;
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
	r = -EOPNOTSUPP;	/* kernels where that struct is private */
	if (!kvm_vsm_hv_layout_ok(vcpu))
		goto out_unlock;
	r = kvm_vsm_vp_fpu_check(part, arg->vtl, vcpu);
	if (r)
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

	xa_for_each(&vtl->vps, i, vp)
		kvm_vsm_vp_forget_entry(vp);
	/*
	 * KVM calls our code (a diverted hypercall, a completion callback
	 * it read before we took it back) only inside this VM's kvm->srcu
	 * read sections: after this, none runs, so neither the VM's last
	 * reference nor the module (once the partition is gone) is let go
	 * under a vCPU still in our code. Bounded like a memslot update.
	 */
	synchronize_srcu(&vtl->kvm->srcu);
	kvm_vsm_mmu_detached(vtl);	/* the VM's SPTEs back to stock KVM's */
	kvm_vsm_overlay_detached(vtl);
	xa_for_each(&vtl->vps, i, vp) {
		kfree(vp->initial_ctx);
		if (vp->vcpu_file)
			fput(vp->vcpu_file);
		kfree(vp);
	}
	xa_destroy(&vtl->vps);
	xa_destroy(&vtl->lpage);
	kvm_put_kvm(vtl->kvm);
	kfree(vtl);
}

/* Unpublish @vtl and release anyone waiting on its vCPUs. */
static void kvm_vsm_vtl_unhash(struct kvm_vsm_partition *part,
			       struct kvm_vsm_vtl *vtl)
{
	struct kvm_vsm_vpstate *st;
	unsigned long i;

	/*
	 * A VTL attached again starts disabled, with fresh registers. Gone
	 * from part->vtls first: HvCallEnablePartitionVtl checks it under
	 * vsm_lock, so no enable can land after the bits are cleared.
	 */
	kvm_vsm_overlay_detach(vtl);	/* while KVM still sees them */
	kvm_vsm_vtl_unpublish(vtl);
	spin_lock(&part->vsm_lock);
	if (vtl->vtl) {
		part->enabled_vtls &= ~BIT(vtl->vtl);
		part->vp_enabled_once &= ~BIT(vtl->vtl);
		part->partition_config[vtl->vtl] = 0;
		xa_for_each(&part->vpstates, i, st)
			st->enabled_vtls &= ~BIT(vtl->vtl);
	}
	spin_unlock(&part->vsm_lock);

	WRITE_ONCE(vtl->gone, true);
	/* KVM_VSM_RUN_VP waiting for ring room looks again. */
	WRITE_ONCE(part->detach_gen, part->detach_gen + 1);
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
	kvm_vsm_vtl_sync(part);
	/*
	 * Its VsmPartitionConfig was reset: the default it gave VTL n - 1
	 * goes too (after the sync, no hypercall of it can set one again).
	 * A looser default needs no zap.
	 */
	if (n) {
		mutex_lock(&part->perm_lock);
		kvm_vsm_perm_set_default(part, n - 1, KVM_VSM_PROT_ALL);
		mutex_unlock(&part->perm_lock);
	}
	kvm_vsm_ring_forget_vtl(part, vtl);
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
	kvm_vsm_vtl_sync(part);
	for (n = 0; n < KVM_VSM_MAX_VTLS; n++) {
		if (gone[n]) {
			kvm_vsm_ring_forget_vtl(part, gone[n]);
			kvm_vsm_vtl_free(part, gone[n]);
		}
	}
}
