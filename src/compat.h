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

#endif /* KVM_VSM_COMPAT_H */
