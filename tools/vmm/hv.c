// SPDX-License-Identifier: GPL-2.0
/*
 * kvm-vsm-run: Hyper-V. The CPUID leaves are KVM's supported set, as
 * QEMU's hv_passthrough takes them, plus the VSM privileges kvm-vsm
 * implements when the VM has VTLs; SynIC (KVM_CAP_HYPERV_SYNIC2) on every
 * vCPU of every VTL.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm.h"

#define HV_LEAF_FIRST	0x40000000u
#define HV_LEAF_LAST	0x400000ffu

#define HV_STATUS_INVALID_HYPERCALL_CODE	0x2

int hv_init(struct vmm *vmm)
{
	(void)vmm;
	return 0;
}

int hv_cpuid(struct vmm *vmm)
{
	struct kvm_cpuid2 *hv, *c = vmm->cpuid;
	uint32_t i, n = 0;
	int r;

	hv = calloc(1, sizeof(*hv) + 64 * sizeof(hv->entries[0]));
	if (!hv)
		vmm_die("out of memory");
	hv->nent = 64;
	if (ioctl(vmm->kvm_fd, KVM_GET_SUPPORTED_HV_CPUID, hv) < 0)
		vmm_die("KVM_GET_SUPPORTED_HV_CPUID: %s", strerror(errno));

	/* KVM's own paravirt leaves live where Hyper-V's go: drop them. */
	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function < HV_LEAF_FIRST ||
		    c->entries[i].function > HV_LEAF_LAST)
			c->entries[n++] = c->entries[i];
	c = realloc(c, sizeof(*c) + (n + hv->nent) * sizeof(c->entries[0]));
	if (!c)
		vmm_die("out of memory");
	memcpy(&c->entries[n], hv->entries, hv->nent * sizeof(hv->entries[0]));
	c->nent = n + hv->nent;
	vmm->cpuid = c;
	free(hv);

	if (vmm->nr_vtls) {
		r = kvmvsm_hv_cpuid_grant(vmm->vsm_fd, vmm->cpuid);
		if (r < 0)
			vmm_die("granting the VSM privileges: %s", strerror(-r));
		vmm_trace(vmm, NULL, "cpuid hyper-v privileges granted=0x%x", r);
	}
	return 0;
}

int hv_vcpu_init(struct vmm *vmm, struct vcpu *vcpu, uint32_t vtl)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_HYPERV_SYNIC2 };

	if (ioctl(vcpu->fd[vtl], KVM_ENABLE_CAP, &cap) < 0)
		vmm_die("KVM_CAP_HYPERV_SYNIC2: %s", strerror(errno));
	(void)vmm;
	return 0;
}

int hv_exit(struct vmm *vmm, struct vcpu *vcpu, uint32_t vtl,
	    struct kvm_run *run)
{
	(void)vtl;
	switch (run->hyperv.type) {
	case KVM_EXIT_HYPERV_SYNIC:
		vmm_trace(vmm, vcpu, "synic msr=0x%x control=0x%llx simp=0x%llx siefp=0x%llx",
			  run->hyperv.u.synic.msr,
			  (unsigned long long)run->hyperv.u.synic.control,
			  (unsigned long long)run->hyperv.u.synic.msg_page,
			  (unsigned long long)run->hyperv.u.synic.evt_page);
		return 0;
	case KVM_EXIT_HYPERV_HCALL:
		vmm_trace(vmm, vcpu, "hypercall input=0x%llx not implemented",
			  (unsigned long long)run->hyperv.u.hcall.input);
		run->hyperv.u.hcall.result = HV_STATUS_INVALID_HYPERCALL_CODE;
		return 0;
	}
	return -1;
}

void hv_testdev_out(struct vmm *vmm, struct vcpu *vcpu, uint32_t vtl,
		    uint32_t val)
{
	(void)vtl;
	vmm_trace(vmm, vcpu, "testdev 0x%x not implemented", val);
}
