// SPDX-License-Identifier: GPL-2.0
/*
 * Which KVM vendor module drives the hardware.
 *
 * kvm.ko alone cannot run a VM: kvm_amd or kvm_intel registers /dev/kvm
 * (a misc device named "kvm") from kvm_init() and removes it again in
 * kvm_exit(). Its presence in the misc class is therefore the exact test
 * for "a vendor module is active", without touching the vendor module's
 * memory or any unexported symbol.
 */
#include <linux/device.h>
#include <asm/cpufeature.h>

#include <uapi/linux/kvm_vsm.h>

#include "kvm_vsm.h"

/* @misc_dev: any device of the misc class, used to reach the class. */
bool kvm_vsm_kvm_vendor_active(const struct device *misc_dev)
{
	struct device *kvm_dev;

	kvm_dev = class_find_device_by_name(misc_dev->class, "kvm");
	if (!kvm_dev)
		return false;
	put_device(kvm_dev);
	return true;
}

/*
 * The vendor decides the hypercall instruction (seeds/001: VMCALL on Intel,
 * VMMCALL on AMD). A CPU has at most one of SVM and VMX, and kvm_amd and
 * kvm_intel each refuse to load without theirs.
 */
int kvm_vsm_vendor(void)
{
	if (boot_cpu_has(X86_FEATURE_SVM))
		return KVM_VSM_VENDOR_AMD;
	if (boot_cpu_has(X86_FEATURE_VMX))
		return KVM_VSM_VENDOR_INTEL;
	return 0;
}
