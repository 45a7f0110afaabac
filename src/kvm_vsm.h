/* SPDX-License-Identifier: GPL-2.0 */
/* Internal interfaces between the files of kvm-vsm.ko. */
#ifndef KVM_VSM_INTERNAL_H
#define KVM_VSM_INTERNAL_H

#include <linux/types.h>

#define KVM_VSM_NAME	"kvm-vsm"

/* device.c */
int kvm_vsm_device_init(void);
void kvm_vsm_device_exit(void);

/* vendor.c */
bool kvm_vsm_kvm_vendor_active(const struct device *dev);
int kvm_vsm_vendor(void);

#endif /* KVM_VSM_INTERNAL_H */
