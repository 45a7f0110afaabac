// SPDX-License-Identifier: GPL-2.0
/*
 * Guest code under nested KVM with Hyper-V enlightenments, with kvm-vsm
 * loaded: the guest sets its OS ID and hypercall page, and real Hyper-V
 * hypercalls through that page get KVM's answers. The proof that the rig
 * can test guest-visible behaviour; also that kvm-vsm's vendor answer
 * matches the instruction KVM writes into the hypercall page (seeds/001).
 */
#include <sys/ioctl.h>

#include "kvmvsm.h"

#include "kvm_util.h"
#include "processor.h"
#include "hyperv.h"

/* 6.1's test_util.h has its own ASSERT_EQ; the harness's is used here. */
#undef ASSERT_EQ
#include "kselftest_harness.h"
#include "vsm_test.h"

#include "vsm_guest.h"

enum { STAGE_PAGE_READY = 1, STAGE_RESULTS };

static void guest_code(u64 page_gva, u64 page_gpa, u64 id, u64 arg)
{
	u64 spin, vtl;

	guest_hv_enable(page_gpa);
	GUEST_SYNC(STAGE_PAGE_READY);

	spin = guest_hv_call(page_gva, HVCALL_NOTIFY_LONG_SPIN_WAIT |
					  HV_HYPERCALL_FAST_BIT, 1, 0);
	/* No VTLs on an unattached VM: KVM's stock answer, unchanged. */
	vtl = guest_hv_call(page_gva, HVCALL_VTL_CALL | HV_HYPERCALL_FAST_BIT,
			    0, 0);
	GUEST_SYNC_ARGS(STAGE_RESULTS, spin & 0xffff, vtl & 0xffff, 0, 0);
	GUEST_DONE();
}

/* What the guest and the host saw, compared between runs. */
struct observed {
	u32 exit_reasons[3];
	u64 ucalls[3];
	u8 page[4];
	u64 spin_status, vtl_status;
};

static void run_guest(struct __test_metadata *_metadata, struct observed *o)
{
	struct vsm_vm v;
	struct ucall uc;
	int i;

	memset(o, 0, sizeof(*o));
	vsm_vm_create(&v, 1, guest_code, 0);
	for (i = 0; i < 3; i++) {
		vcpu_run(v.vcpus[0]);
		o->exit_reasons[i] = v.vcpus[0]->run->exit_reason;
		ASSERT_EQ(KVM_EXIT_IO, o->exit_reasons[i]);
		o->ucalls[i] = get_ucall(v.vcpus[0], &uc);
		if (o->ucalls[i] == UCALL_ABORT)
			REPORT_GUEST_ASSERT(uc);
		if (i == 0)
			memcpy(o->page, addr_gva2hva(v.vm, v.page), 4);
		if (i == 1) {
			o->spin_status = uc.args[2];
			o->vtl_status = uc.args[3];
		}
	}
	kvm_vm_free(v.vm);
}

TEST(hyperv_hypercall_page)
{
	static const u8 vmmcall[] = { 0x0f, 0x01, 0xd9 }, vmcall[] = { 0x0f, 0x01, 0xc1 };
	struct observed o;
	const u8 *insn;
	int fd, vendor;

	ASSERT_EQ(0, vsm_ensure_loaded());
	fd = open(VSM_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	vendor = ioctl(fd, KVM_VSM_CHECK_EXTENSION, KVM_VSM_CAP_VENDOR);
	close(fd);
	ASSERT_TRUE(vendor == KVM_VSM_VENDOR_AMD || vendor == KVM_VSM_VENDOR_INTEL);
	insn = vendor == KVM_VSM_VENDOR_AMD ? vmmcall : vmcall;

	run_guest(_metadata, &o);
	EXPECT_EQ(UCALL_SYNC, o.ucalls[0]);
	EXPECT_EQ(0, memcmp(o.page, insn, 3))
		TH_LOG("page: %02x %02x %02x", o.page[0], o.page[1], o.page[2]);
	EXPECT_EQ(0xc3, o.page[3]);	/* ret */
	EXPECT_EQ(UCALL_SYNC, o.ucalls[1]);
	EXPECT_EQ(HV_STATUS_SUCCESS, o.spin_status);
	EXPECT_EQ(HV_STATUS_INVALID_HYPERCALL_CODE, o.vtl_status);
	EXPECT_EQ(UCALL_DONE, o.ucalls[2]);
}

/*
 * With hooks installed (a partition exists, another VM attached), a VM
 * that is not attached sees exactly what it sees without kvm-vsm: same
 * exits, same hypercall results, VSM codes included. The attached VM's
 * counters see none of its activity.
 */
TEST(unattached_vm_unchanged)
{
	struct kvm_vsm_partition_info info = {};
	struct observed plain, hooked;
	struct kvm_vm *other;
	int dev, part;

	ASSERT_EQ(0, vsm_ensure_loaded());
	run_guest(_metadata, &plain);

	dev = kvmvsm_open();
	ASSERT_LE(0, dev);
	part = kvmvsm_create_partition(dev, 0, 0);
	ASSERT_LE(0, part);
	other = vm_create_barebones();
	ASSERT_EQ(0, kvmvsm_attach_vtl(part, other->fd, 0));

	run_guest(_metadata, &hooked);
	EXPECT_EQ(0, memcmp(&plain, &hooked, sizeof(plain)));

	ASSERT_EQ(0, kvmvsm_get_info(part, &info));
	EXPECT_EQ(1, info.vtl_mask);
	EXPECT_EQ(0, info.hypercalls_forwarded);
	EXPECT_EQ(0, info.page_faults);
	EXPECT_EQ(0, info.hv_msr_writes);
	close(part);
	kvm_vm_free(other);
	close(dev);
}

TEST_HARNESS_MAIN
