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
	int r;

	r = kvm_vsm_symbols_init();
	if (r)
		return r;
	r = kvm_vsm_mmu_init();
	if (r)
		return r;
	r = kvm_vsm_perm_module_init();
	if (r)
		return r;
	r = init_srcu_struct(&kvm_vsm_srcu);
	if (r)
		goto err_perm;
	r = kvm_vsm_device_init();
	if (r)
		goto err_srcu;
	return 0;
err_srcu:
	cleanup_srcu_struct(&kvm_vsm_srcu);
err_perm:
	kvm_vsm_perm_module_exit();
	return r;
}

/*
 * Partitions pin the module, so none exists here and no hook is left; and
 * no vCPU runs our code any more: every detach waited for its VM's
 * kvm->srcu (vtl.c).
 */
static void __exit kvm_vsm_exit(void)
{
	kvm_vsm_device_exit();
	kvm_vsm_ovl_module_exit();	/* overlay pages freed after a grace period */
	cleanup_srcu_struct(&kvm_vsm_srcu);
	kvm_vsm_perm_module_exit();
}

module_init(kvm_vsm_init);
module_exit(kvm_vsm_exit);

MODULE_DESCRIPTION("Hyper-V Virtual Secure Mode (VTL) support for KVM");
MODULE_LICENSE("GPL");
MODULE_VERSION(KVM_VSM_VERSION);
