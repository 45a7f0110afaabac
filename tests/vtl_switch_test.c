// SPDX-License-Identifier: GPL-2.0
/*
 * VtlCall/VtlReturn switched in the kernel, seen from guest code running
 * in VTL0 and VTL1 (two VMs sharing memory): shared GPRs and XMM carry
 * across, RAX/RCX come back from the VP assist page unless the return is
 * fast, entry reason 1, private MSRs stay per VTL; and the TLFS status
 * for calls that have nowhere to go. In userspace mode the same events
 * reach the VMM as exits and ring records, and libkvmvsm switches.
 */
#include <pthread.h>

#include "kvm_util.h"
#include "processor.h"
#include "hyperv.h"

#undef ASSERT_EQ	/* 6.1's test_util.h has its own */
#include "kselftest_harness.h"
#include "vsm_test.h"
#include "vsm_guest.h"
#include "kvmvsm.h"
#include "vsm_vtl.h"

#define VTL_TIMEOUT	600

static void vtl0_guest(u64 vp)
{
	u64 *in = vtl0_in[vp], *out = vtl0_out[vp], i, j;

	guest_hv_enable(g_page0_gpa);
	wrmsr(MSR_FS_BASE, VTL0_FS_BASE);
	wrmsr(MSR_KERNEL_GS_BASE, VTL0_KGS_BASE);
	vtl_private_set(0, vp);
	/* The first call starts VTL1, which returns with its values for j=0. */
	vtl_transition(g_page0_gva, HVCALL_VTL_CALL, 0, in, out);
	for (i = 0; i < g_iters; i++) {
		vtl0_call(vp, i);
		j = i + 1;
		GUEST_ASSERT_EQ(out[OUT_R12], 0x5100 + j);
		GUEST_ASSERT_EQ(out[OUT_R15], 0x5400 + j);
		GUEST_ASSERT_EQ(out[OUT_XMM7], 0x5500 + j);
		if (j & 1) {	/* fast: VTL1's own RAX (the flag) and RCX */
			GUEST_ASSERT_EQ(out[OUT_RAX], 1);
			GUEST_ASSERT_EQ(out[OUT_RCX], HVCALL_VTL_RETURN);
		} else {
			GUEST_ASSERT_EQ(out[OUT_RAX], 0xaaaa00 + j);
			GUEST_ASSERT_EQ(out[OUT_RCX], 0xcccc00 + j);
		}
		GUEST_ASSERT_EQ(rdmsr(MSR_FS_BASE), VTL0_FS_BASE);
		GUEST_ASSERT_EQ(rdmsr(MSR_KERNEL_GS_BASE), VTL0_KGS_BASE);
		GUEST_ASSERT(vtl_private_ok(0, vp));
	}
	GUEST_ASSERT_EQ(g_rep[vp]->errors, 0);
	GUEST_ASSERT_EQ(g_rep[vp]->entries, g_iters + 1);
	/* VtlReturn from VTL0: nowhere to return to. */
	GUEST_ASSERT_EQ(guest_hv_call(g_page0_gva, HVCALL_VTL_RETURN, 0, 0) & 0xffff,
			HV_STATUS_INVALID_VTL_STATE);
	GUEST_DONE();
}

static void run_vp0(struct __test_metadata *_metadata, struct vtl_pair *p)
{
	struct ucall uc;
	u32 vtl;

	for (;;) {
		ASSERT_EQ(0, kvmvsm_run_vp(p->part, 0, &vtl));
		/* Only VTL0 exits to userspace; VTL1 reports in memory. */
		ASSERT_EQ(0, vtl) TH_LOG("VTL1 exit %u", p->vcpu[1]->run->exit_reason);
		switch (get_ucall(p->vcpu[0], &uc)) {
		case UCALL_DONE:
			return;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
			return;
		default: {
			struct vtl1_report *rep = addr_gva2hva(p->vm[0], (u64)g_rep[0]);
			struct kvm_regs r0, r1;

			vcpu_regs_get(p->vcpu[0], &r0);
			vcpu_regs_get(p->vcpu[1], &r1);
			TH_LOG("exit %u: VTL0 rip %llx rsp %llx", p->vcpu[0]->run->exit_reason,
			       r0.rip, r0.rsp);
			TH_LOG("VTL1 rip %llx rsp %llx, entries %llu errors %llu",
			       r1.rip, r1.rsp, (unsigned long long)rep->entries,
			       (unsigned long long)rep->errors);
			ASSERT_TRUE(0);
		}
		}
	}
}

FIXTURE(vtl) {};
FIXTURE_SETUP(vtl) {}
FIXTURE_TEARDOWN(vtl) {}

/* 1000 call/return round trips with every check on both sides. */
TEST_F_TIMEOUT(vtl, call_return_1000, VTL_TIMEOUT)
{
	struct kvm_vsm_partition_info info = {};
	struct vtl_pair p;

	struct kvm_sregs sregs;
	vm_vaddr_t pml4;

	ASSERT_EQ(0, vsm_ensure_loaded());
	vtl_pair_create(&p, vtl0_guest, 1000, VTL1_HOST_ENABLED);
	/* VTL1 gets a CR3 of its own: a copy of VTL0's top-level table. */
	pml4 = vm_vaddr_alloc_page(p.vm[0]);
	vcpu_sregs_get(p.vcpu[1], &sregs);
	memcpy(addr_gva2hva(p.vm[0], pml4), addr_gpa2hva(p.vm[0], sregs.cr3 & ~0xfffull),
	       4096);
	sregs.cr3 = addr_gva2gpa(p.vm[0], pml4);
	vcpu_sregs_set(p.vcpu[1], &sregs);
	run_vp0(_metadata, &p);
	sync_global_from_guest(p.vm[0], g_cr3);
	EXPECT_EQ(sregs.cr3, g_cr3[1][0]);
	EXPECT_NE(g_cr3[0][0], g_cr3[1][0]);
	ASSERT_EQ(0, kvmvsm_get_info(p.part, &info));
	EXPECT_EQ(3, info.vtl_mask);
	EXPECT_EQ(0, info.hypercalls_forwarded);	/* no trip to the VMM */
	vtl_pair_destroy(&p);
}

/*
 * Userspace mode: every VtlCall/VtlReturn comes to the VMM as an exit and
 * a ring record, and libkvmvsm's reference switch moves the shared state;
 * the guest checks are the same as in kernel mode.
 */
TEST_F_TIMEOUT(vtl, userspace_mode_switch, VTL_TIMEOUT)
{
	struct vtl_user_switches sw = {};
	struct kvmvsm_ring ring;
	struct vtl_pair p;

	ASSERT_EQ(0, vsm_ensure_loaded());
	vtl_pair_create(&p, vtl0_guest, 20, VTL1_HOST_ENABLED);
	ASSERT_EQ(0, kvmvsm_set_run_mode(p.part, KVM_VSM_RUN_MODE_USERSPACE));
	ASSERT_EQ(0, kvmvsm_ring_map(p.part, &ring));
	ASSERT_EQ(UCALL_DONE, vtl_run_vp0(&p, &ring, &sw));
	EXPECT_EQ(2 * 21, sw.all);
	EXPECT_EQ(0, sw.irqs);
	EXPECT_EQ(NULL, kvmvsm_ring_peek(&ring));
	kvmvsm_ring_unmap(&ring);
	vtl_pair_destroy(&p);
}

/* VPs switching at the same time, each with its own VTL0 and VTL1 vCPU. */
static void smp_switch(struct __test_metadata *_metadata, int nr, u64 iters)
{
	struct vp_runner r[VTL_MAX_VPS] = {};
	struct vtl_pair p;
	int i;

	ASSERT_EQ(0, vsm_ensure_loaded());
	vtl_pair_create_vps(&p, vtl0_guest, iters, VTL1_HOST_ENABLED, nr);
	for (i = 0; i < nr; i++) {
		r[i].p = &p;
		r[i].vp = i;
		ASSERT_EQ(0, pthread_create(&r[i].tid, NULL, run_vp_thread, &r[i]));
	}
	for (i = 0; i < nr; i++) {
		pthread_join(r[i].tid, NULL);
		if (r[i].result == -1)
			REPORT_GUEST_ASSERT(r[i].uc);
		EXPECT_EQ(0, r[i].result) TH_LOG("VP %d", i);
	}
	vtl_pair_destroy(&p);
}

TEST_F_TIMEOUT(vtl, smp_2_vps, VTL_TIMEOUT)
{
	smp_switch(_metadata, 2, 20000);
}

TEST_F_TIMEOUT(vtl, smp_4_vps, VTL_TIMEOUT)
{
	smp_switch(_metadata, 4, 10000);
}

/* No VTL1: VtlCall and VtlReturn answer HV_STATUS_INVALID_VTL_STATE. */
static void lone_guest(u64 vp)
{
	guest_hv_enable(g_page0_gpa);
	GUEST_SYNC(guest_hv_call(g_page0_gva, HVCALL_VTL_CALL, 0, 0));
	GUEST_SYNC(guest_hv_call(g_page0_gva, HVCALL_VTL_RETURN, 0, 0));
	/* Run by plain KVM_RUN: the kernel cannot switch, the VMM answers. */
	GUEST_SYNC(guest_hv_call(g_page0_gva, HVCALL_VTL_CALL, 0, 0));
	GUEST_DONE();
}

static void *answer_vtl_call(void *arg)
{
	struct kvmvsm_ring ring;
	const struct kvm_vsm_ring_record *rec;
	int part = (long)arg;

	if (kvmvsm_ring_map(part, &ring))
		return NULL;
	while (kvmvsm_ring_wait(&ring, 30000) > 0) {
		rec = kvmvsm_ring_peek(&ring);
		if (!rec)
			continue;
		kvmvsm_ring_complete(&ring, rec->seq,
				     (rec->hypercall.control & 0xffff) == HVCALL_VTL_CALL ?
				     0x5678 : 0xbad);
		kvmvsm_ring_advance(&ring);
		break;
	}
	kvmvsm_ring_unmap(&ring);
	return NULL;
}

TEST(no_higher_vtl_and_plain_kvm_run)
{
	struct vtl_pair p;
	struct ucall uc;
	pthread_t t;
	int i;
	const u64 want[] = { HV_STATUS_INVALID_VTL_STATE, HV_STATUS_INVALID_VTL_STATE };

	ASSERT_EQ(0, vsm_ensure_loaded());
	vtl_pair_create(&p, lone_guest, 0, VTL1_NONE);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, kvmvsm_run_vp(p.part, 0, NULL));
		ASSERT_EQ(UCALL_SYNC, get_ucall(p.vcpu[0], &uc));
		EXPECT_EQ(want[i], uc.args[1] & 0xffff);
	}
	ASSERT_EQ(0, pthread_create(&t, NULL, answer_vtl_call, (void *)(long)p.part));
	vsm_vcpu_run(p.vcpu[0]);
	pthread_join(t, NULL);
	ASSERT_EQ(UCALL_SYNC, get_ucall(p.vcpu[0], &uc));
	EXPECT_EQ(0x5678, uc.args[1]);
	ASSERT_EQ(0, kvmvsm_run_vp(p.part, 0, NULL));
	EXPECT_EQ(UCALL_DONE, get_ucall(p.vcpu[0], &uc));
	vtl_pair_destroy(&p);
}

TEST_HARNESS_MAIN
