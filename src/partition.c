// SPDX-License-Identifier: GPL-2.0
/*
 * Partitions: the anon-inode fd returned by KVM_VSM_CREATE_PARTITION, its
 * ioctls, the ring mmap and poll, and the run path.
 *
 * A partition belongs to the process that created it, as a KVM VM does:
 * every ioctl and mmap from another mm (a forked child, a process that
 * received the fd) fails with EPERM, so no other process can attach its
 * VMs or reach this one's guests.
 *
 * Lifetime: the fd pins the module (fops owner) and, through the partition,
 * a reference on every attached VM and registered vCPU file. Closing it in
 * any order relative to those fds, or the process dying, releases
 * everything in kvm_vsm_partition_release(); nothing else frees it.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/poll.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "kvm_vsm.h"

static int kvm_vsm_partition_release(struct inode *inode, struct file *file)
{
	struct kvm_vsm_partition *part = file->private_data;
	struct kvm_vsm_ring *ring = &part->ring;
	struct kvm_vsm_vpstate *st;
	unsigned long i;

	/* Release producers waiting for room, then detach (waits for hooks). */
	spin_lock(&ring->lock);
	WRITE_ONCE(part->dead, true);
	spin_unlock(&ring->lock);
	wake_up_all(&ring->space_wq);
	kvm_vsm_detach_all(part);
	xa_for_each(&part->vpstates, i, st)
		kfree(st);
	xa_destroy(&part->vpstates);
	kvm_vsm_ring_free(ring);
	kvm_vsm_perm_free(part);
	kvm_vsm_hooks_put();
	mmdrop(part->mm);
	cleanup_srcu_struct(&part->srcu);	/* detach_all waited for it */
	kfree(part);
	return 0;
}

static int kvm_vsm_get_info(struct kvm_vsm_partition *part,
			    struct kvm_vsm_partition_info *info)
{
	int n;

	memset(info, 0, sizeof(*info));
	info->api_version = KVM_VSM_API_VERSION;
	mutex_lock(&part->lock);
	info->run_mode = part->run_mode;
	for (n = 0; n < KVM_VSM_MAX_VTLS; n++)
		if (part->vtls[n])
			info->vtl_mask |= BIT(n);
	mutex_unlock(&part->lock);
	spin_lock(&part->vsm_lock);
	info->enabled_vtl_mask = part->enabled_vtls;
	spin_unlock(&part->vsm_lock);
	info->ring_entries = part->ring.entries;
	info->ring_record_size = sizeof(struct kvm_vsm_ring_record);
	info->ring_mmap_size = part->ring.mmap_size;
	info->hypercalls_forwarded = atomic64_read(&part->hypercalls_forwarded);
	info->page_faults = atomic64_read(&part->page_faults);
	info->spte_builds = atomic64_read(&part->spte_builds);
	info->hv_msr_writes = atomic64_read(&part->hv_msr_writes);
	info->memory_intercepts = atomic64_read(&part->memory_intercepts);
	kvm_vsm_perm_usage(part, &info->protection_bytes, &info->protected_pages);
	mutex_lock(&part->lock);
	for (n = 0; n < KVM_VSM_MAX_VTLS; n++)
		if (part->vtls[n])
			info->overlays += READ_ONCE(part->vtls[n]->nr_overlays);
	mutex_unlock(&part->lock);
	return 0;
}

/*
 * Userspace mode: an interrupt for VTL @to preempts the VP; the VMM
 * switches (KVM_VSM_SET_ACTIVE_VTL with ENTRY_INTERRUPT). The exit is in
 * the running VTL's struct kvm_run, as for a VtlCall.
 */
static int kvm_vsm_irq_exit_to_user(struct kvm_vsm_partition *part,
				    struct kvm_vsm_vpstate *st, u32 vp)
{
	struct kvm_vsm_ring_record rec = {
		.type = KVM_VSM_RECORD_VTL_SWITCH,
		.vp = vp,
		.vtl = st->active_vtl,
		.vtl_switch = {
			.code = KVM_VSM_VTL_SWITCH_INTERRUPT,
			.from_vtl = st->active_vtl, .to_vtl = st->switch_to,
		},
	};
	struct kvm_vsm_vtl *vtl;
	struct kvm_vcpu *vcpu;
	int r = -ENOENT, idx;

	idx = srcu_read_lock(&kvm_vsm_srcu);
	vtl = READ_ONCE(part->vtls[st->active_vtl]);
	vcpu = kvm_vsm_vp_vcpu(part, st->active_vtl, vp);
	if (vtl && vcpu)
		r = kvm_vsm_ring_publish(part, vtl, &rec, NULL);
	if (!r) {
		vcpu->run->exit_reason = KVM_EXIT_HYPERV;
		vcpu->run->hyperv.type = KVM_VSM_EXIT_HYPERV_VTL;
		vcpu->run->hyperv.u.hcall.input = KVM_VSM_VTL_SWITCH_INTERRUPT;
		vcpu->run->hyperv.u.hcall.params[0] = st->switch_to;
		vcpu->run->hyperv.u.hcall.params[1] = 0;
	} else if (r == -EAGAIN) {
		/* No room: the VMM makes some; the interrupt is looked at again. */
		kvm_vsm_exit_ring_full(vcpu, st, 0);
	}
	srcu_read_unlock(&kvm_vsm_srcu, idx);
	if (r)
		set_bit(st->switch_to, &st->irq_kicked);
	st->switch_to = KVM_VSM_NO_SWITCH;
	return r == -EAGAIN ? 0 : r;
}

/*
 * After a KVM_RUN of @vcpu: did it end (r == 0) only for
 * kvm_vsm_vcpu_kicked()'s KVM_REQ_HV_EXIT? KVM copies the vCPU's last
 * SynIC/SynDbg exit (or an empty one, type 0) into the kvm_run for that
 * request, and makes such requests itself only on a guest write to one of
 * the SynIC/SynDbg MSRs that exit: with none during this KVM_RUN (@writes,
 * their count, unchanged) or none ever (type 0) the exit is ours alone and
 * the VMM never sees it; otherwise it may be KVM's too, and goes to the
 * VMM, which asked for SynIC exits. A request of ours that KVM_RUN left
 * pending (it ended for a signal first) is taken back, so no later
 * KVM_RUN ends for it.
 */
static bool kvm_vsm_kick_exit(struct kvm_vsm_partition *part,
			      struct kvm_vsm_vpstate *st, u32 vp, u32 ran,
			      struct kvm_vcpu *vcpu, long r, int writes)
{
	struct kvm_run *run = vcpu->run;
	struct kvm_vcpu *other;
	bool kvm_wrote;

	if (!xchg(&st->kick_exit, false))
		return false;
	/* The hook read the active VTL before a switch: another vCPU got it. */
	if (READ_ONCE(st->kick_vtl) != ran) {
		mutex_lock(&part->lock);
		other = kvm_vsm_vp_vcpu(part, READ_ONCE(st->kick_vtl), vp);
		if (other)
			kvm_clear_request(KVM_REQ_HV_EXIT, other);
		mutex_unlock(&part->lock);
		return false;
	}
	/*
	 * What KVM_REQ_HV_EXIT copies: hv->exit, which KVM fills only for a
	 * SynIC or SynDbg MSR write and never clears. Type 0: KVM never made
	 * one of its own on this vCPU, the exit is ours. A type it set once
	 * is ours unless such a write happened in this KVM_RUN: then both
	 * wanted the exit, and the VMM gets KVM's.
	 */
	kvm_wrote = atomic_read(&st->hv_exit_msr_writes) != writes;
	if (!r && run->exit_reason == KVM_EXIT_HYPERV &&
	    (!run->hyperv.type ||
	     (!kvm_wrote && (run->hyperv.type == KVM_EXIT_HYPERV_SYNIC ||
			     run->hyperv.type == KVM_EXIT_HYPERV_SYNDBG))))
		return true;
	if (kvm_wrote)	/* KVM's own request may still be due */
		return false;
	/* Ended for something else first (a VtlCall, a signal, an exit). */
	kvm_clear_request(KVM_REQ_HV_EXIT, vcpu);
	return false;
}

/*
 * KVM_RUN on the vCPU of VP @vp's active VTL, through its own file, so
 * signals, immediate_exit and KVM_EXIT_INTR behave as with plain KVM_RUN.
 * kvm_vcpu_ioctl is address-taken (it keeps its ENDBR); checked anyway.
 * A VTL switch the guest asked for, or an interrupt for a higher VTL
 * (interrupt.c), ends that KVM_RUN internally; the loop switches and runs
 * the other VTL's vCPU without going to userspace.
 */
static long kvm_vsm_run_vp_owned(struct kvm_vsm_partition *part,
				 struct kvm_vsm_vpstate *st,
				 struct kvm_vsm_run_vp *arg)
{
	long (*ioctl)(struct file *file, unsigned int cmd, unsigned long arg);
	struct kvm_vsm_vtl *vtl;
	struct kvm_vcpu *vcpu;
	struct kvm_vsm_vp *vp;
	struct file *file;
	int writes;
	bool user;
	long r;

	for (;;) {
		/* The last exit was a record that did not fit: wait for room. */
		if (READ_ONCE(st->ring_full)) {
			r = kvm_vsm_ring_wait_space(part);
			if (r)
				return r;
			WRITE_ONCE(st->ring_full, false);
		}
		/* Also a switch that a signal interrupted last time. */
		if (st->switch_to != KVM_VSM_NO_SWITCH) {
			r = kvm_vsm_vtl_switch(part, st, arg->vp);
			if (r)
				return r;
		}
		/* A higher VTL's interrupt, also one left pending at its return. */
		user = READ_ONCE(part->run_mode) == KVM_VSM_RUN_MODE_USERSPACE;
		/* Only kicks above the running VTL can preempt it. */
		if (kvm_vsm_irq_kicked_above(st) && kvm_vsm_irq_preempt(part, st, arg->vp)) {
			if (user) {
				arg->vtl = st->active_vtl;
				return kvm_vsm_irq_exit_to_user(part, st, arg->vp);
			}
			r = kvm_vsm_vtl_switch(part, st, arg->vp);
			if (r)
				return r;
		}
		file = NULL;
		mutex_lock(&part->lock);
		arg->vtl = st->active_vtl;
		vtl = part->vtls[arg->vtl];
		vp = vtl ? xa_load(&vtl->vps, arg->vp) : NULL;
		if (vp && vp->vcpu_file) {
			file = get_file(vp->vcpu_file);
			/* A memory intercept message waits for its SINT0 slot. */
			if (READ_ONCE(vp->msg_queued))
				kvm_vsm_arm_entry(vp->vcpu);
		}
		mutex_unlock(&part->lock);
		if (!file)
			return -ENOENT;

		ioctl = file->f_op->unlocked_ioctl;
		if (!kvm_vsm_callable(ioctl)) {
			fput(file);
			return -EOPNOTSUPP;
		}
		/* The kick hook ends a KVM_RUN only while in_run is set. */
		WRITE_ONCE(st->in_run, true);
		smp_mb();	/* pairs with kvm_vsm_vcpu_kicked()'s, after its set_bit */
		if (kvm_vsm_irq_kicked_above(st)) {
			WRITE_ONCE(st->in_run, false);
			fput(file);
			/* Left set only when a dying task could not look. */
			if (fatal_signal_pending(current))
				return -EINTR;
			continue;
		}
		writes = atomic_read(&st->hv_exit_msr_writes);
		r = ioctl(file, KVM_RUN, 0);
		WRITE_ONCE(st->in_run, false);
		/* The file pins the vCPU; @vp may be detached meanwhile. */
		vcpu = file->private_data;
		if (kvm_vsm_kick_exit(part, st, arg->vp, arg->vtl, vcpu, r, writes) &&
		    st->switch_to == KVM_VSM_NO_SWITCH)
			r = 1;	/* ours: look at the interrupt, run again */
		/*
		 * Entered again before the VMM answered the vCPU's record
		 * (entry.c): wait for the answer here, holding nothing but
		 * the file, so any thread of the VMM can use the vCPU.
		 */
		if (!r && READ_ONCE(st->answer_wait) &&
		    vcpu->run->exit_reason == KVM_EXIT_HYPERV &&
		    vcpu->run->hyperv.type == KVM_VSM_EXIT_HYPERV_RECORD) {
			if (wait_event_interruptible(st->wq, !READ_ONCE(st->answer_wait))) {
				vcpu->run->exit_reason = KVM_EXIT_INTR;
				r = -EINTR;
			} else {
				r = 1;
			}
		}
		fput(file);
		if (r == 1)
			continue;
		if (r || st->switch_to == KVM_VSM_NO_SWITCH)
			return r;
	}
}

/*
 * One thread at a time runs a VP: its VTL state (active VTL, a pending
 * switch) is that thread's. A second KVM_VSM_RUN_VP, or a
 * KVM_VSM_SET_ACTIVE_VTL, on the same VP meanwhile gets EBUSY.
 */
static long kvm_vsm_run_vp(struct kvm_vsm_partition *part,
			   struct kvm_vsm_run_vp *arg)
{
	struct kvm_vsm_vpstate *st;
	long r;

	if (!kvm_vsm_arg_clean(arg))
		return -EINVAL;
	/* vpstates live as long as the partition, which this ioctl pins. */
	mutex_lock(&part->lock);
	st = xa_load(&part->vpstates, arg->vp);
	mutex_unlock(&part->lock);
	if (!st)
		return -ENOENT;
	if (test_and_set_bit_lock(0, &st->owned))
		return -EBUSY;
	r = kvm_vsm_run_vp_owned(part, st, arg);
	clear_bit_unlock(0, &st->owned);
	return r;
}

static int kvm_vsm_set_run_mode(struct kvm_vsm_partition *part,
				struct kvm_vsm_run_mode *arg)
{
	if ((arg->flags & ~KVM_VSM_RUN_MODE_F_INTERCEPTS_TO_VMM) ||
	    !kvm_vsm_zero(arg->reserved, sizeof(arg->reserved)))
		return -EINVAL;
	if (arg->mode != KVM_VSM_RUN_MODE_KERNEL &&
	    arg->mode != KVM_VSM_RUN_MODE_USERSPACE)
		return -EINVAL;
	/* Userspace mode sends every intercept to the VMM: no choice to make. */
	if (arg->mode == KVM_VSM_RUN_MODE_USERSPACE && arg->flags)
		return -EINVAL;
	mutex_lock(&part->lock);
	WRITE_ONCE(part->run_flags, arg->flags);
	WRITE_ONCE(part->run_mode, arg->mode);
	mutex_unlock(&part->lock);
	return 0;
}

/* Copy in an ioctl argument whose size the ioctl number encodes. */
#define VSM_COPY_IN(arg, argp) \
	(copy_from_user(&(arg), (argp), sizeof(arg)) ? -EFAULT : 0)

static long kvm_vsm_partition_ioctl(struct file *file, unsigned int cmd,
				    unsigned long uarg)
{
	struct kvm_vsm_partition *part = file->private_data;
	void __user *argp = (void __user *)uarg;
	union {
		struct kvm_vsm_attach_vtl attach;
		struct kvm_vsm_detach_vtl detach;
		struct kvm_vsm_attach_vcpu vcpu;
		struct kvm_vsm_partition_info info;
		struct kvm_vsm_run_mode mode;
		struct kvm_vsm_run_vp run;
		struct kvm_vsm_complete complete;
		struct kvm_vsm_ring_eventfd efd;
		struct kvm_vsm_active_vtl active;
		struct kvm_vsm_protection prot;
		struct kvm_vsm_overlay_access ovl;
	} a;
	long r;

	if (part->mm != current->mm)
		return -EPERM;
	switch (cmd) {
	case KVM_VSM_ATTACH_VTL:
		return VSM_COPY_IN(a.attach, argp) ?:
		       kvm_vsm_attach_vtl(part, &a.attach);
	case KVM_VSM_DETACH_VTL:
		r = VSM_COPY_IN(a.detach, argp);
		if (r)
			return r;
		if (!kvm_vsm_arg_clean(&a.detach))
			return -EINVAL;
		return kvm_vsm_detach_vtl(part, a.detach.vtl);
	case KVM_VSM_ATTACH_VCPU:
		r = VSM_COPY_IN(a.vcpu, argp) ?: kvm_vsm_attach_vcpu(part, &a.vcpu);
		if (!r && copy_to_user(argp, &a.vcpu, sizeof(a.vcpu)))
			r = -EFAULT;
		return r;
	case KVM_VSM_GET_PARTITION_INFO:
		kvm_vsm_get_info(part, &a.info);
		return copy_to_user(argp, &a.info, sizeof(a.info)) ? -EFAULT : 0;
	case KVM_VSM_SET_RUN_MODE:
		return VSM_COPY_IN(a.mode, argp) ?:
		       kvm_vsm_set_run_mode(part, &a.mode);
	case KVM_VSM_RUN_VP:
		r = VSM_COPY_IN(a.run, argp) ?: kvm_vsm_run_vp(part, &a.run);
		/* Report the VTL even when KVM_RUN failed (-EINTR and co). */
		if (r != -EFAULT && r != -EINVAL && r != -ENOENT &&
		    copy_to_user(argp, &a.run, sizeof(a.run)))
			r = -EFAULT;
		return r;
	case KVM_VSM_COMPLETE:
		return VSM_COPY_IN(a.complete, argp) ?:
		       kvm_vsm_complete(part, &a.complete);
	case KVM_VSM_SET_RING_EVENTFD:
		r = VSM_COPY_IN(a.efd, argp);
		if (r)
			return r;
		if (!kvm_vsm_arg_clean(&a.efd))
			return -EINVAL;
		return kvm_vsm_ring_set_eventfd(&part->ring, a.efd.fd);
	case KVM_VSM_SET_ACTIVE_VTL:
		return VSM_COPY_IN(a.active, argp) ?:
		       kvm_vsm_set_active_vtl(part, &a.active);
	case KVM_VSM_SET_PROTECTION:
		return VSM_COPY_IN(a.prot, argp) ?:
		       kvm_vsm_set_protection(part, &a.prot);
	case KVM_VSM_GET_PROTECTION:
		return VSM_COPY_IN(a.prot, argp) ?:
		       kvm_vsm_get_protection(part, &a.prot);
	case KVM_VSM_OVERLAY_ACCESS:
		return VSM_COPY_IN(a.ovl, argp) ?:
		       kvm_vsm_overlay_access(part, &a.ovl);
	case KVM_VSM_RING_WAKE:
		if (uarg)
			return -EINVAL;
		kvm_vsm_ring_wake_producers(&part->ring);
		return 0;
	default:
		return -ENOTTY;
	}
}

/* The ring, shared and writable (the VMM writes `consumer`), offset 0. */
static int kvm_vsm_partition_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct kvm_vsm_partition *part = file->private_data;

	if (part->mm != current->mm)
		return -EPERM;
	return kvm_vsm_ring_mmap(&part->ring, vma);
}

static __poll_t kvm_vsm_partition_poll(struct file *file, poll_table *wait)
{
	struct kvm_vsm_partition *part = file->private_data;

	poll_wait(file, &part->ring.poll_wq, wait);
	return kvm_vsm_ring_readable(&part->ring) ? EPOLLIN | EPOLLRDNORM : 0;
}

static const struct file_operations kvm_vsm_partition_fops = {
	.owner		= THIS_MODULE,
	.release	= kvm_vsm_partition_release,
	.unlocked_ioctl	= kvm_vsm_partition_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= kvm_vsm_partition_mmap,
	.poll		= kvm_vsm_partition_poll,
};

int kvm_vsm_create_partition(struct kvm_vsm_create_partition __user *argp)
{
	struct kvm_vsm_create_partition arg;
	struct kvm_vsm_partition *part;
	int r, fd;

	if (copy_from_user(&arg, argp, sizeof(arg)))
		return -EFAULT;
	if ((arg.flags & ~KVM_VSM_CREATE_CLOEXEC) ||
	    !kvm_vsm_zero(arg.reserved, sizeof(arg.reserved)))
		return -EINVAL;

	part = kzalloc(sizeof(*part), GFP_KERNEL_ACCOUNT);
	if (!part)
		return -ENOMEM;
	mutex_init(&part->lock);
	xa_init(&part->vpstates);
	spin_lock_init(&part->vsm_lock);
	part->enabled_vtls = BIT(0);
	part->run_mode = KVM_VSM_RUN_MODE_KERNEL;
	r = kvm_vsm_perm_init(part);
	if (r)
		goto err_free;
	r = init_srcu_struct(&part->srcu);
	if (r)
		goto err_free;
	r = kvm_vsm_ring_init(&part->ring, arg.ring_entries);
	if (r)
		goto err_srcu;
	r = kvm_vsm_hooks_get();
	if (r)
		goto err_ring;
	part->mm = current->mm;
	mmgrab(part->mm);

	fd = anon_inode_getfd("kvm-vsm-partition", &kvm_vsm_partition_fops,
			      part, O_RDWR |
			      (arg.flags & KVM_VSM_CREATE_CLOEXEC ? O_CLOEXEC : 0));
	if (fd < 0) {
		r = fd;
		goto err_hooks;
	}
	return fd;

err_hooks:
	mmdrop(part->mm);
	kvm_vsm_hooks_put();
err_ring:
	kvm_vsm_ring_free(&part->ring);
err_srcu:
	cleanup_srcu_struct(&part->srcu);
err_free:
	kfree(part);
	return r;
}
