// SPDX-License-Identifier: GPL-2.0
/*
 * kvm-vsm: Hyper-V Virtual Secure Mode for stock KVM, as a loadable module.
 * See docs/design.md for the architecture.
 */
#include <linux/module.h>

#include "compat.h"
#include "kvm_vsm.h"

static int __init kvm_vsm_init(void)
{
	return kvm_vsm_device_init();
}

static void __exit kvm_vsm_exit(void)
{
	kvm_vsm_device_exit();
}

module_init(kvm_vsm_init);
module_exit(kvm_vsm_exit);

MODULE_DESCRIPTION("Hyper-V Virtual Secure Mode (VTL) support for KVM");
MODULE_LICENSE("GPL");
MODULE_VERSION(KVM_VSM_VERSION);
/* kvm.ko exports only GPL symbols; this also makes modprobe load it first. */
MODULE_SOFTDEP("pre: kvm");
