/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place for differences between the kernels kvm-vsm builds on.
 *
 * KVM_VSM_HAVE_* come from scripts/compat-detect.sh, which looks at the
 * target kernel's headers and Module.symvers: a feature test, not a version
 * test, because RHEL and others backport KVM into older version numbers.
 */
#ifndef KVM_VSM_COMPAT_H
#define KVM_VSM_COMPAT_H

#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/kvm_host.h>
#include <linux/mm.h>

#ifndef KVM_VSM_HAVE_FILE_IS_KVM
#error "kvm.ko of the target kernel does not export file_is_kvm()"
#endif

#ifndef KVM_VSM_HAVE_FD_FILE
/* Before struct fd became opaque its file was a plain member. */
#define fd_file(f)	((f).file)
#endif

/* eventfd_signal() lost its count argument (6.8). */
static inline void kvm_vsm_eventfd_signal(struct eventfd_ctx *ctx)
{
#ifdef KVM_VSM_HAVE_EVENTFD_SIGNAL_1ARG
	eventfd_signal(ctx);
#else
	eventfd_signal(ctx, 1);
#endif
}

/* kvm_get_dr() returns the value since 6.10; it filled a pointer before. */
static inline unsigned long kvm_vsm_get_dr(struct kvm_vcpu *vcpu, int dr)
{
#ifdef KVM_VSM_HAVE_KVM_GET_DR_RETURNS
	return kvm_get_dr(vcpu, dr);
#else
	unsigned long val;

	kvm_get_dr(vcpu, dr, &val);
	return val;
#endif
}

/* vma->vm_flags is written through vm_flags_set() since 6.3. */
static inline void kvm_vsm_vm_flags_set(struct vm_area_struct *vma,
					vm_flags_t flags)
{
#ifdef KVM_VSM_HAVE_VM_FLAGS_SET
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

#endif /* KVM_VSM_COMPAT_H */
