// SPDX-License-Identifier: GPL-2.0
/*
 * VtlCall/VtlReturn switched in the kernel, seen from guest code running
 * in VTL0 and VTL1 (two VMs sharing memory): shared GPRs and XMM carry
 * across, RAX/RCX come back from the VP assist page unless the return is
 * fast, entry reason 1, private MSRs stay per VTL; and the TLFS status
 * for calls that have nowhere to go. In userspace mode the same events
 * reach the VMM as exits and ring records, and libkvmvsm switches.
 * Every test runs twice: switching by hypercall code (variant direct) and
 * through the hypercall page's VtlCall/VtlReturn entries with the flags
 * in RCX (variant page), as Hyper-V guests do.
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
	GUEST_ASSERT_EQ(vtl_switch_setup(g_page0_gva, vp), 1ull << 32);
	wrmsr(MSR_FS_BASE, VTL0_FS_BASE);
	wrmsr(MSR_KERNEL_GS_BASE, VTL0_KGS_BASE);
	vtl_private_set(0, vp);
	/* The first call starts VTL1, which returns with its values for j=0. */
	vtl_switch(g_page0_gva, HVCALL_VTL_CALL, 0, in, out);
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
	GUEST_ASSERT_EQ(vtl_switch_status(g_page0_gva, HVCALL_VTL_RETURN) & 0xffff,
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

/*
 * Every test twice: the guest switches by hypercall code (direct), or
 * through the hypercall page's VtlCall/VtlReturn entries (page).
 */
FIXTURE(vtl) {};

FIXTURE_VARIANT(vtl) {
	bool page;
};

FIXTURE_VARIANT_ADD(vtl, direct) {
	.page = false,
};

FIXTURE_VARIANT_ADD(vtl, page) {
	.page = true,
};

FIXTURE_SETUP(vtl)
{
	g_vtl_via_page = variant->page;	/* vtl_pair_create*() passes it on */
}

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
		EXPECT_EQ(0, r[i].result) TH_LOG("VP %d: VTL%u exit, hyperv type %u",
						 i, r[i].vtl, r[i].hv_type);
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
	GUEST_ASSERT_EQ(vtl_switch_setup(g_page0_gva, vp), 1ull << 32);
	GUEST_SYNC(vtl_switch_status(g_page0_gva, HVCALL_VTL_CALL));
	GUEST_SYNC(vtl_switch_status(g_page0_gva, HVCALL_VTL_RETURN));
	/* Run by plain KVM_RUN: the kernel cannot switch, the VMM answers. */
	GUEST_SYNC(vtl_switch_status(g_page0_gva, HVCALL_VTL_CALL));
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

TEST_F(vtl, no_higher_vtl_and_plain_kvm_run)
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

/*
 * XCR0 and PKRU are shared state (TLFS 15.11.1): they move with the VP.
 * An XCR0 the destination VM's guest CPUID does not allow (YMM, with AVX
 * hidden from the VTL1 VM) is not carried over: the VtlCall answers
 * HV_STATUS_INVALID_VTL_STATE and the VP stays in VTL0. QEMU TCG's SVM
 * does not intercept XSETBV, so the host sets VTL0's XCR0 (KVM_SET_XCRS).
 */
#ifndef X86_FEATURE_AVX
#define X86_FEATURE_AVX		KVM_X86_CPU_FEATURE(0x1, 0, ECX, 28)
#endif
#define XCR0_X87_SSE		3ull
#define XCR0_X87_SSE_AVX	7ull
#define VTL0_PKRU		0x55555554u
#define VTL1_PKRU		0x5555555cu

static u64 g_pku, g_seen_xcr0, g_seen_pkru;

static inline u64 vsm_xgetbv0(void)
{
	u32 lo, hi;

	asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return lo | (u64)hi << 32;
}

static inline u32 vsm_rdpkru(void)
{
	u32 pkru, edx;

	asm volatile(".byte 0x0f,0x01,0xee" : "=a"(pkru), "=d"(edx) : "c"(0));
	return pkru;
}

static inline void vsm_wrpkru(u32 pkru)
{
	asm volatile(".byte 0x0f,0x01,0xef" :: "a"(pkru), "c"(0), "d"(0));
}

static void xstate_vtl1(void)
{
	wrmsr(HV_X64_MSR_GUEST_OS_ID, HYPERV_LINUX_OS_ID);
	wrmsr(HV_X64_MSR_HYPERCALL, g_page1_gpa | 1);
	/* CR4 is private: XGETBV and RDPKRU need it in each VTL. */
	set_cr4(get_cr4() | X86_CR4_OSXSAVE | (g_pku ? X86_CR4_PKE : 0));
	for (;;) {
		vtl_switch(g_page1_gva, HVCALL_VTL_RETURN, 1, vtl1_in[0], vtl1_out[0]);
		g_seen_xcr0 = vsm_xgetbv0();
		if (g_pku) {
			g_seen_pkru = vsm_rdpkru();
			vsm_wrpkru(VTL1_PKRU);
		}
	}
}

static void xstate_vtl0(u64 vp)
{
	guest_hv_enable(g_page0_gpa);
	GUEST_ASSERT_EQ(vtl_switch_setup(g_page0_gva, vp), 1ull << 32);
	set_cr4(get_cr4() | X86_CR4_OSXSAVE | (g_pku ? X86_CR4_PKE : 0));
	if (g_pku)
		vsm_wrpkru(VTL0_PKRU);
	vtl_switch(g_page0_gva, HVCALL_VTL_CALL, 0, vtl0_in[0], vtl0_out[0]);
	vtl_switch(g_page0_gva, HVCALL_VTL_CALL, 0, vtl0_in[0], vtl0_out[0]);
	GUEST_ASSERT_EQ(g_seen_xcr0, XCR0_X87_SSE);
	if (g_pku) {
		GUEST_ASSERT_EQ(g_seen_pkru, VTL0_PKRU);
		GUEST_ASSERT_EQ(vsm_rdpkru(), VTL1_PKRU);
	}
	GUEST_SYNC(XCR0_X87_SSE_AVX);
	GUEST_ASSERT_EQ(vsm_xgetbv0(), XCR0_X87_SSE_AVX);
	GUEST_ASSERT_EQ(vtl_switch_status(g_page0_gva, HVCALL_VTL_CALL) & 0xffff,
			HV_STATUS_INVALID_VTL_STATE);
	GUEST_ASSERT_EQ(vsm_xgetbv0(), XCR0_X87_SSE_AVX);
	GUEST_SYNC(XCR0_X87_SSE);
	g_seen_xcr0 = 0;
	vtl_switch(g_page0_gva, HVCALL_VTL_CALL, 0, vtl0_in[0], vtl0_out[0]);
	GUEST_ASSERT_EQ(g_seen_xcr0, XCR0_X87_SSE);
	GUEST_DONE();
}

static void set_xcr0(struct kvm_vcpu *v, u64 xcr0)
{
	struct kvm_xcrs x = { .nr_xcrs = 1, .xcrs[0] = { .xcr = 0, .value = xcr0 } };

	vcpu_ioctl(v, KVM_SET_XCRS, &x);
}

TEST_F_TIMEOUT(vtl, xcr0_pkru_shared_and_checked, VTL_TIMEOUT)
{
	struct kvm_cpuid_entry2 *xsave;
	struct kvm_regs regs;
	struct vtl_pair p;
	struct ucall uc;
	u32 vtl;

	ASSERT_EQ(0, vsm_ensure_loaded());
	TEST_REQUIRE(kvm_cpu_has(X86_FEATURE_XSAVE) && kvm_cpu_has(X86_FEATURE_AVX));
	vtl_pair_create(&p, xstate_vtl0, 0, VTL1_HOST_ENABLED);
	g_pku = kvm_cpu_has(X86_FEATURE_PKU);
	TH_LOG("PKRU %s", g_pku ? "checked" : "not checked: KVM has no PKU");
	sync_global_to_guest(p.vm[0], g_pku);
	vcpu_regs_get(p.vcpu[1], &regs);
	regs.rip = (u64)xstate_vtl1;
	vcpu_regs_set(p.vcpu[1], &regs);
	/* The VTL1 VM's guest has no AVX: YMM is not in its XCR0. */
	vcpu_clear_cpuid_feature(p.vcpu[1], X86_FEATURE_AVX);
	xsave = vcpu_get_cpuid_entry(p.vcpu[1], 0xd);
	xsave->eax &= ~4u;
	vcpu_set_cpuid(p.vcpu[1]);
	set_xcr0(p.vcpu[1], 1);
	set_xcr0(p.vcpu[0], XCR0_X87_SSE);
	for (;;) {
		ASSERT_EQ(0, kvmvsm_run_vp(p.part, 0, &vtl));
		ASSERT_EQ(0, vtl) {
			struct kvm_sregs sr;

			vcpu_regs_get(p.vcpu[1], &regs);
			vcpu_sregs_get(p.vcpu[1], &sr);
			TH_LOG("VTL1 exit %u rip %llx cr4 %llx", p.vcpu[1]->run->exit_reason,
			       regs.rip, sr.cr4);
		}
		switch (get_ucall(p.vcpu[0], &uc)) {
		case UCALL_SYNC:
			set_xcr0(p.vcpu[0], uc.args[1]);
			continue;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
			break;
		default:
			break;
		}
		break;
	}
	EXPECT_EQ(UCALL_DONE, uc.cmd);
	vtl_pair_destroy(&p);
}

TEST_HARNESS_MAIN
