// SPDX-License-Identifier: GPL-2.0
/*
 * Guest code under nested KVM with Hyper-V enlightenments, with kvm-vsm
 * loaded: the guest sets its OS ID and hypercall page, and real Hyper-V
 * hypercalls through that page get KVM's answers. The proof that the rig
 * can test guest-visible behaviour; also that kvm-vsm's vendor answer
 * matches the instruction KVM writes into the hypercall page (seeds/001).
 */
#include <sys/ioctl.h>

#include "kvm_util.h"
#include "processor.h"
#include "hyperv.h"

/* 6.1's test_util.h has its own ASSERT_EQ; the harness's is used here. */
#undef ASSERT_EQ
#include "kselftest_harness.h"
#include "vsm_test.h"

#define HVCALL_VTL_CALL		0x0011
#ifndef HYPERV_LINUX_OS_ID	/* not in 6.1's selftests: TLFS 3.6 encoding */
#define HYPERV_LINUX_OS_ID	((u64)0x8100 << 48)
#endif

enum { STAGE_PAGE_READY = 1, STAGE_RESULTS };

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

static void guest_code(u64 page_gva, u64 page_gpa)
{
	u64 spin, vtl;

	wrmsr(HV_X64_MSR_GUEST_OS_ID, HYPERV_LINUX_OS_ID);
	wrmsr(HV_X64_MSR_HYPERCALL, page_gpa | 1);
	GUEST_SYNC(STAGE_PAGE_READY);

	spin = guest_hv_call(page_gva, HVCALL_NOTIFY_LONG_SPIN_WAIT |
					  HV_HYPERCALL_FAST_BIT, 1, 0);
	/* No VTLs on an unattached VM: KVM's stock answer, unchanged. */
	vtl = guest_hv_call(page_gva, HVCALL_VTL_CALL | HV_HYPERCALL_FAST_BIT,
			    0, 0);
	GUEST_SYNC_ARGS(STAGE_RESULTS, spin & 0xffff, vtl & 0xffff, 0, 0);
	GUEST_DONE();
}

static void run_to(struct __test_metadata *_metadata, struct kvm_vcpu *vcpu,
		   struct ucall *uc, u64 want)
{
	vcpu_run(vcpu);
	ASSERT_EQ(KVM_EXIT_IO, vcpu->run->exit_reason);
	if (get_ucall(vcpu, uc) == UCALL_ABORT)
		REPORT_GUEST_ASSERT(*uc);
	ASSERT_EQ(want, uc->cmd);
}

TEST(hyperv_hypercall_page)
{
	static const u8 vmmcall[] = { 0x0f, 0x01, 0xd9 }, vmcall[] = { 0x0f, 0x01, 0xc1 };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	vm_vaddr_t page;
	const u8 *insn;
	u8 *hva;
	int fd, vendor;

	ASSERT_EQ(0, vsm_ensure_loaded());
	fd = open(VSM_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	vendor = ioctl(fd, KVM_VSM_CHECK_EXTENSION, KVM_VSM_CAP_VENDOR);
	close(fd);
	ASSERT_TRUE(vendor == KVM_VSM_VENDOR_AMD || vendor == KVM_VSM_VENDOR_INTEL);
	insn = vendor == KVM_VSM_VENDOR_AMD ? vmmcall : vmcall;

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	vcpu_set_hv_cpuid(vcpu);
	page = vm_vaddr_alloc_page(vm);
	vcpu_args_set(vcpu, 2, page, addr_gva2gpa(vm, page));

	run_to(_metadata, vcpu, &uc, UCALL_SYNC);
	ASSERT_EQ(STAGE_PAGE_READY, uc.args[1]);
	hva = addr_gva2hva(vm, page);
	EXPECT_EQ(0, memcmp(hva, insn, 3))
		TH_LOG("page: %02x %02x %02x", hva[0], hva[1], hva[2]);
	EXPECT_EQ(0xc3, hva[3]);	/* ret */

	run_to(_metadata, vcpu, &uc, UCALL_SYNC);
	ASSERT_EQ(STAGE_RESULTS, uc.args[1]);
	EXPECT_EQ(HV_STATUS_SUCCESS, uc.args[2]);
	EXPECT_EQ(HV_STATUS_INVALID_HYPERCALL_CODE, uc.args[3]);

	run_to(_metadata, vcpu, &uc, UCALL_DONE);
	kvm_vm_free(vm);
}

TEST_HARNESS_MAIN
