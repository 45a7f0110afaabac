// SPDX-License-Identifier: GPL-2.0
/* /dev/kvm-vsm: the misc device and its system ioctls. */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>

#include <uapi/linux/kvm_vsm.h>

#include "kvm_vsm.h"

/*
 * misc_register() makes the node visible before module init has decided
 * whether the module can work; refuse opens until it has.
 */
static bool kvm_vsm_ready;

static long kvm_vsm_check_extension(unsigned long ext)
{
	switch (ext) {
	case KVM_VSM_CAP_VENDOR:
		return kvm_vsm_vendor();
	case KVM_VSM_CAP_PARTITION:
		return KVM_VSM_MAX_VTLS;
	case KVM_VSM_CAP_RING:
		return KVM_VSM_RING_MAX_ENTRIES;
	case KVM_VSM_CAP_HV_PRIVILEGES:
		return HV_PRIV_ACCESS_VSM | HV_PRIV_ACCESS_VP_REGISTERS;
	case KVM_VSM_CAP_PROTECTION:
		return kvm_vsm_protection_max();
	default:
		return 0;
	}
}

static long kvm_vsm_dev_ioctl(struct file *file, unsigned int cmd,
			      unsigned long arg)
{
	switch (cmd) {
	case KVM_VSM_GET_API_VERSION:
		/* As KVM_GET_API_VERSION: the argument must be 0. */
		if (arg)
			return -EINVAL;
		return KVM_VSM_API_VERSION;
	case KVM_VSM_CHECK_EXTENSION:
		return kvm_vsm_check_extension(arg);
	case KVM_VSM_CREATE_PARTITION:
		return kvm_vsm_create_partition((void __user *)arg);
	default:
		return -ENOTTY;
	}
}

static int kvm_vsm_dev_open(struct inode *inode, struct file *file)
{
	if (!READ_ONCE(kvm_vsm_ready))
		return -ENODEV;
	return nonseekable_open(inode, file);
}

static const struct file_operations kvm_vsm_dev_fops = {
	.owner		= THIS_MODULE,
	.open		= kvm_vsm_dev_open,
	.unlocked_ioctl	= kvm_vsm_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

/* Group "kvm" comes from the udev rule shipped with the package. */
static struct miscdevice kvm_vsm_dev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= KVM_VSM_NAME,
	.fops	= &kvm_vsm_dev_fops,
	.mode	= 0660,
};

int kvm_vsm_device_init(void)
{
	int r;

	r = misc_register(&kvm_vsm_dev);
	if (r) {
		pr_err("kvm-vsm: cannot register /dev/%s: %d\n",
		       KVM_VSM_NAME, r);
		return r;
	}

	if (!kvm_vsm_kvm_vendor_active(kvm_vsm_dev.this_device)) {
		misc_deregister(&kvm_vsm_dev);
		pr_err("kvm-vsm: no KVM vendor module is active (load kvm_amd or kvm_intel first)\n");
		return -ENODEV;
	}

	WRITE_ONCE(kvm_vsm_ready, true);
	return 0;
}

void kvm_vsm_device_exit(void)
{
	WRITE_ONCE(kvm_vsm_ready, false);
	misc_deregister(&kvm_vsm_dev);
}
