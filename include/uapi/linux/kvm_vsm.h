/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kvm-vsm: Hyper-V Virtual Secure Mode (VTL) semantics for stock KVM.
 *
 * ioctls on /dev/kvm-vsm. Documented one by one in docs/api.md.
 * Every struct has an explicit size and padding; flags and reserved fields
 * must be zero. The ABI is versioned by KVM_VSM_API_VERSION and grows by
 * extensions, queried with KVM_VSM_CHECK_EXTENSION (KVM's own pattern).
 */
#ifndef _UAPI_LINUX_KVM_VSM_H
#define _UAPI_LINUX_KVM_VSM_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define KVM_VSM_API_VERSION	1

/* 0xB9 is unassigned in Documentation/userspace-api/ioctl/ioctl-number.rst. */
#define KVMVSMIO		0xB9

/* System ioctls, on /dev/kvm-vsm. */
#define KVM_VSM_GET_API_VERSION	_IO(KVMVSMIO, 0x00)
#define KVM_VSM_CHECK_EXTENSION	_IO(KVMVSMIO, 0x01)

/*
 * Extensions for KVM_VSM_CHECK_EXTENSION. An unknown extension returns 0,
 * so a VMM built against a newer header runs on an older module.
 */
/* Which hardware virtualization KVM drives: a KVM_VSM_VENDOR_* value. */
#define KVM_VSM_CAP_VENDOR	1

#define KVM_VSM_VENDOR_AMD	1	/* SVM: hypercall is VMMCALL 0f 01 d9 */
#define KVM_VSM_VENDOR_INTEL	2	/* VMX: hypercall is VMCALL 0f 01 c1 */

#endif /* _UAPI_LINUX_KVM_VSM_H */
