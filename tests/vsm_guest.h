/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest code helpers (KVM selftests library) for Hyper-V enlightened test
 * VMs, and host helpers to build them. Include after kvm_util.h,
 * processor.h and hyperv.h.
 */
#ifndef VSM_GUEST_H
#define VSM_GUEST_H

#include <sched.h>

#include "kvmvsm.h"

#ifdef VSM_LIB_GVA_T
/* Newer selftests libraries renamed guest virtual addresses (kvmlib.mk). */
#define vm_vaddr_t			gva_t
#define vm_vaddr_alloc_page(vm)		vm_alloc_page(vm)
#define vm_vaddr_alloc_pages(vm, n)	vm_alloc_pages(vm, n)
#endif

#ifndef HYPERV_LINUX_OS_ID	/* not in 6.1's selftests: TLFS 3.6 encoding */
#define HYPERV_LINUX_OS_ID	((u64)0x8100 << 48)
#endif

#define HVCALL_ENABLE_PARTITION_VTL	0x000d
#define HVCALL_VTL_CALL			0x0011
#define HVCALL_GET_VP_REGISTERS		0x0050

#define VSM_MAX_VCPUS	8

/*
 * Call through the hypercall page: RCX = control, RDX/R8 = input/output.
 * The 128-byte step over the red zone keeps the CALL's return address from
 * landing on locals of a leaf function.
 */
static inline u64 guest_hv_call(u64 page, u64 control, u64 in, u64 out)
{
	register u64 r8 asm("r8") = out;
	u64 status;

	asm volatile("sub $128, %%rsp\n\t"
		     "call *%[page]\n\t"
		     "add $128, %%rsp"
		     : "=a"(status), "+c"(control), "+d"(in), "+r"(r8)
		     : [page] "r"(page)
		     : "cc", "memory", "r9", "r10", "r11");
	return status;
}

/*
 * A fast hypercall with XMM input (TLFS 3.6): RDX, R8, then @xmm (12 u64s,
 * XMM0-XMM5). @xmm must be guest memory (a global).
 */
static inline u64 guest_hv_call_xmm(u64 page, u64 control, u64 rdx, u64 r8_in,
				    const u64 *xmm)
{
	register u64 r8 asm("r8") = r8_in;
	u64 status;

	asm volatile("movdqu 0(%[x]), %%xmm0\n\t"
		     "movdqu 16(%[x]), %%xmm1\n\t"
		     "movdqu 32(%[x]), %%xmm2\n\t"
		     "movdqu 48(%[x]), %%xmm3\n\t"
		     "movdqu 64(%[x]), %%xmm4\n\t"
		     "movdqu 80(%[x]), %%xmm5\n\t"
		     "sub $128, %%rsp\n\t"
		     "call *%[page]\n\t"
		     "add $128, %%rsp"
		     : "=a"(status), "+c"(control), "+d"(rdx), "+r"(r8)
		     : [page] "r"(page), [x] "r"(xmm)
		     : "cc", "memory", "r9", "r10", "r11",
		       "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5");
	return status;
}

static inline void guest_hv_enable(u64 page_gpa)
{
	wrmsr(HV_X64_MSR_GUEST_OS_ID, HYPERV_LINUX_OS_ID);
	wrmsr(HV_X64_MSR_HYPERCALL, page_gpa | 1);
}

/* A VM with @nr Hyper-V enlightened vCPUs and a page for hypercalls. */
struct vsm_vm {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpus[VSM_MAX_VCPUS];
	int nr;
	vm_vaddr_t page;
};

/* Guest entry point: (page gva, page gpa, vCPU number, @arg). */
static inline void vsm_vm_create(struct vsm_vm *v, int nr, void *guest_code,
				 u64 arg)
{
	int i;

	v->nr = nr;
	v->vm = vm_create_with_vcpus(nr, guest_code, v->vcpus);
	v->page = vm_vaddr_alloc_page(v->vm);
	for (i = 0; i < nr; i++) {
		vcpu_set_hv_cpuid(v->vcpus[i]);
		vcpu_args_set(v->vcpus[i], 4, v->page,
			      addr_gva2gpa(v->vm, v->page), (u64)i, arg);
	}
}

/*
 * An exit a VMM with a ring consumer thread enters again after: a record
 * the consumer answers, or a full ring it drains (libkvmvsm kvmvsm_exit()).
 */
static inline bool vsm_reenter_exit(struct kvm_run *run)
{
	u32 e = kvmvsm_exit(run);

	return e == KVM_VSM_EXIT_HYPERV_RECORD || e == KVM_VSM_EXIT_HYPERV_RING_FULL;
}

/*
 * KVM_VSM_RUN_VP of VP @vp until an exit the test handles itself: a
 * record or full-ring exit is entered again (the module waits for the
 * test's consumer thread). @vcpus: the VP's vCPU per VTL.
 */
static inline int vsm_run_vp(int part, u32 vp, u32 *vtl,
			     struct kvm_vcpu *const *vcpus)
{
	u32 v = 0;
	int r;

	do {
		r = kvmvsm_run_vp(part, vp, &v);
	} while (!r && vsm_reenter_exit(vcpus[v]->run));
	if (vtl)
		*vtl = v;
	return r;
}

/*
 * Plain KVM_RUN the same way: until the record is answered, KVM_RUN
 * returns its exit again at once.
 */
static inline void vsm_vcpu_run(struct kvm_vcpu *vcpu)
{
	for (;;) {
		vcpu_run(vcpu);
		if (!vsm_reenter_exit(vcpu->run))
			return;
		sched_yield();
	}
}

#endif /* VSM_GUEST_H */
