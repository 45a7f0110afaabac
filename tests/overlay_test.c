// SPDX-License-Identifier: GPL-2.0
/*
 * Overlay pages per VTL (issue 11), from guest code in both VTLs:
 *  - vtl1_overlays_leave_ram: RAM patterns at X0..X5 and under VTL1's
 *    hypercall and VP assist pages; VTL1 enables its hypercall page, VP
 *    assist page, SIMP (X0), SIEFP (X1) and reference TSC page (X2) and
 *    sees the overlays (the vendor instruction, no pattern); moving the
 *    SIMP to X3 takes its contents along and shows X0's RAM again;
 *    disabling the SIEFP shows X1's RAM again; a synthetic timer's message
 *    (KVM's own SynIC write) lands in VTL1's SIMP. VTL0 (and the VMM through
 *    its mapping) still reads every pattern, VTL entry reasons included.
 *    VTL0 puts its own SIMP on X3 too: each VTL sees its own page there.
 *    Bad input from VTL0 (#GP, nothing placed): a SIEFP or VP assist page
 *    on its SIMP, a GPA without memory, the APIC page. partition_info
 *    counts the overlays; KVM_VSM_OVERLAY_ACCESS reads and writes what
 *    each VTL sees, and every bad argument gets its errno; detaching VTL1
 *    frees its overlays.
 *  - reference_tsc_per_vtl: both VTLs enable a reference TSC page at the
 *    same GPA; each reads a page of its own (a sequence KVM wrote, or 0
 *    where the host TSC is not stable, never the RAM pattern), and the
 *    time it gives agrees with HV_X64_MSR_TIME_REF_COUNT.
 *  - killed_mid_overlay: a VMM killed while its VTL1 holds overlays
 *    leaves no VM, partition or module reference behind.
 */
#include <signal.h>
#include <sys/wait.h>

#include "kvm_util.h"
#include "processor.h"
#include "hyperv.h"

#undef ASSERT_EQ	/* 6.1's test_util.h has its own */
#include "kselftest_harness.h"
#include "vsm_test.h"
#include "vsm_guest.h"
#include "kvmvsm.h"
#include "vsm_vtl.h"

#define OVL_TIMEOUT	300
#define NX		6
#define PAT(i)		(0x10 + (i))	/* RAM pattern of page Xi */
#define PAT_HC1		0x20		/* under VTL1's hypercall page */
#define PAT_AS1		0x21		/* under VTL1's VP assist page */

#ifndef HV_X64_MSR_REFERENCE_TSC
#define HV_X64_MSR_REFERENCE_TSC	0x40000021
#endif
#ifndef HV_X64_MSR_TIME_REF_COUNT
#define HV_X64_MSR_TIME_REF_COUNT	0x40000020
#endif

static u64 g_x_gva[NX], g_x_gpa[NX];
static u64 g_r[32];	/* what VTL1 saw (it cannot ucall) */
static u64 g_gp[4];

enum { R_HC, R_HC_TAIL, R_AS_TAIL, R_SIMP, R_SIEFP, R_TSC_TAIL, R_X0_AFTER,
	R_X3_MOVED, R_X1_AFTER, R_DONE, R_MSG, R_GATE_X3 = 20 };

#define HVMSG_TIMER_EXPIRED	0x80000010
#define SINT_MASKED		BIT_ULL(16)

static inline u8 *xp(int i)
{
	return (u8 *)g_x_gva[i];
}

/* VTL1 on every later VtlCall: its view of X3, VTL0's RAX/RCX back. */
static void ovl_gate_entry(u64 vp, u64 *regs)
{
	struct vp_assist *a = (void *)g_assist1_gva[vp];

	g_r[R_GATE_X3] = xp(3)[100];
	WRITE_ONCE(a->vtl_ret_rax, regs[GATE_RAX]);
	WRITE_ONCE(a->vtl_ret_rcx, regs[GATE_RCX]);
}

static void ovl_vtl1(void)
{
	const u8 *hc = (const u8 *)g_page1_gva;
	u64 i;

	wrmsr(HV_X64_MSR_GUEST_OS_ID, HYPERV_LINUX_OS_ID);
	wrmsr(HV_X64_MSR_HYPERCALL, g_page1_gpa | 1);
	wrmsr(HV_X64_MSR_VP_ASSIST_PAGE_MSR, g_assist1_gpa[0] | 1);
	wrmsr(HV_X64_MSR_SIMP, g_x_gpa[0] | 1);
	wrmsr(HV_X64_MSR_SIEFP, g_x_gpa[1] | 1);
	wrmsr(HV_X64_MSR_REFERENCE_TSC, g_x_gpa[2] | 1);
	g_r[R_HC] = hc[0] | hc[1] << 8 | hc[2] << 16 | (u64)hc[3] << 24;
	g_r[R_HC_TAIL] = hc[0x800];
	g_r[R_AS_TAIL] = ((u8 *)g_assist1_gva[0])[0x800];
	g_r[R_SIMP] = xp(0)[0x800];
	g_r[R_SIEFP] = xp(1)[0x800];
	g_r[R_TSC_TAIL] = xp(2)[0x800];
	xp(0)[100] = 0xa1;
	xp(1)[100] = 0xa2;
	/* Moved: the contents go along, X0 is RAM again. */
	wrmsr(HV_X64_MSR_SIMP, g_x_gpa[3] | 1);
	g_r[R_X0_AFTER] = xp(0)[100];
	g_r[R_X3_MOVED] = xp(3)[100];
	/* Disabled: X1 is RAM again. */
	wrmsr(HV_X64_MSR_SIEFP, 0);
	g_r[R_X1_AFTER] = xp(1)[100];
	/*
	 * A message KVM writes itself: synthetic timer 0, one-shot, already
	 * expired, to SINT2 (masked: no interrupt, the message is written
	 * all the same) lands in slot 2 of VTL1's SIMP overlay.
	 */
	wrmsr(HV_X64_MSR_SCONTROL, 1);
	wrmsr(HV_X64_MSR_SINT2, 0x40 | SINT_MASKED);
	wrmsr(HV_X64_MSR_STIMER0_CONFIG, 1 | (2ull << 16));
	wrmsr(HV_X64_MSR_STIMER0_COUNT, 1);
	for (i = 0; i < 100000000 && !READ_ONCE(*(u32 *)(xp(3) + 2 * 256)); i++)
		asm volatile("pause");
	g_r[R_MSG] = *(u32 *)(xp(3) + 2 * 256);
	g_r[R_DONE] = 1;
	vtl1_gate(0, g_page1_gva, ovl_gate_entry);
}

static void ovl_vtl0(u64 vp)
{
	u64 *in = vtl0_in[vp], *out = vtl0_out[vp];
	int i;

	guest_hv_enable(g_page0_gpa);
	GUEST_ASSERT_EQ(vtl_switch_setup(g_page0_gva, vp), 1ull << 32);
	vtl_switch(g_page0_gva, HVCALL_VTL_CALL, 0, in, out);	/* VTL1 runs */
	GUEST_ASSERT_EQ(g_r[R_DONE], 1);
	/* VTL0 reads the RAM beneath every overlay of VTL1, untouched. */
	for (i = 0; i < NX; i++) {
		GUEST_ASSERT_EQ(xp(i)[100], PAT(i));
		GUEST_ASSERT_EQ(xp(i)[0x800], PAT(i));
	}
	GUEST_ASSERT_EQ(((u8 *)g_page1_gva)[0], PAT_HC1);
	/* The entry reason (offset 8) went to VTL1's overlay, not here. */
	GUEST_ASSERT_EQ(((u8 *)g_assist1_gva[0])[8], PAT_AS1);

	/* VTL0's own SIMP where VTL1 has its own. */
	wrmsr(HV_X64_MSR_SIMP, g_x_gpa[3] | 1);
	GUEST_ASSERT_EQ(xp(3)[100], 0);
	xp(3)[100] = 0xb0;
	/* Refused, nothing placed: onto the SIMP, no memory, the APIC page. */
	g_gp[0] = wrmsr_safe(HV_X64_MSR_SIEFP, g_x_gpa[3] | 1);
	g_gp[1] = wrmsr_safe(HV_X64_MSR_SIEFP, (1ull << 40) | 1);
	g_gp[2] = wrmsr_safe(HV_X64_MSR_SIEFP, 0xfee00000ull | 1);
	g_gp[3] = wrmsr_safe(HV_X64_MSR_VP_ASSIST_PAGE_MSR, g_x_gpa[3] | 1);
	GUEST_ASSERT_EQ(rdmsr(HV_X64_MSR_SIEFP), 0);
	GUEST_ASSERT_EQ(rdmsr(HV_X64_MSR_VP_ASSIST_PAGE_MSR), 0);
	GUEST_ASSERT_EQ(xp(3)[100], 0xb0);
	GUEST_SYNC(1);

	/* Each VTL still sees its own page at X3. */
	vtl_switch(g_page0_gva, HVCALL_VTL_CALL, 0, in, out);
	GUEST_ASSERT_EQ(g_r[R_GATE_X3], 0xa1);
	GUEST_ASSERT_EQ(xp(3)[100], 0xb0);
	GUEST_DONE();
}

/* KVM_VSM_RUN_VP of VP0 until VTL0 makes a ucall; SynIC exits entered again. */
static int ovl_run(struct vtl_pair *p, struct ucall *uc)
{
	struct kvm_run *run;
	u32 vtl;

	for (;;) {
		if (kvmvsm_run_vp(p->part, 0, &vtl))
			return -1;
		run = p->vcpu[vtl]->run;
		if (run->exit_reason == KVM_EXIT_HYPERV &&
		    run->hyperv.type == KVM_EXIT_HYPERV_SYNIC)
			continue;
		if (vtl)
			return -2;
		return get_ucall(p->vcpu[0], uc);
	}
}

static int ovl_access(int part, u32 vtl, u32 flags, u64 gpa, void *buf,
		      u32 len, u32 reserved)
{
	struct kvm_vsm_overlay_access a = {
		.vtl = vtl, .flags = flags, .gpa = gpa, .addr = (u64)buf,
		.len = len, .reserved = reserved,
	};

	return ioctl(part, KVM_VSM_OVERLAY_ACCESS, &a) ? -errno : 0;
}

static void ovl_pair_create(struct vtl_pair *p, void *vtl0, void *vtl1)
{
	int i;

	vtl_pair_create(p, vtl0, 0, VTL1_HOST_ENABLED);
	vtl1_set_rip(p, 0, vtl1);
	vcpu_enable_cap(p->vcpu[0], KVM_CAP_HYPERV_SYNIC2, 0);
	vcpu_enable_cap(p->vcpu[1], KVM_CAP_HYPERV_SYNIC2, 0);
	for (i = 0; i < NX; i++) {
		g_x_gva[i] = vm_vaddr_alloc_page(p->vm[0]);
		g_x_gpa[i] = addr_gva2gpa(p->vm[0], g_x_gva[i]);
		memset(addr_gva2hva(p->vm[0], g_x_gva[i]), PAT(i), 4096);
	}
	memset(g_r, 0, sizeof(g_r));
	sync_global_to_guest(p->vm[0], g_x_gva);
	sync_global_to_guest(p->vm[0], g_x_gpa);
	sync_global_to_guest(p->vm[0], g_r);
}

FIXTURE(ovl) {};
FIXTURE_SETUP(ovl) {}
FIXTURE_TEARDOWN(ovl) {}

TEST_F_TIMEOUT(ovl, vtl1_overlays_leave_ram, OVL_TIMEOUT)
{
	struct kvm_vsm_partition_info info;
	u8 *hc_ram, *as_ram, buf[256];
	struct vtl_pair p;
	struct ucall uc;
	int i, r, vendor;

	ASSERT_EQ(0, vsm_ensure_loaded());
	ovl_pair_create(&p, ovl_vtl0, ovl_vtl1);
	hc_ram = addr_gva2hva(p.vm[0], g_page1_gva);
	as_ram = addr_gva2hva(p.vm[0], g_assist1_gva[0]);
	memset(hc_ram, PAT_HC1, 4096);
	memset(as_ram, PAT_AS1, 4096);
	vendor = ioctl(p.dev, KVM_VSM_CHECK_EXTENSION, KVM_VSM_CAP_VENDOR);

	r = ovl_run(&p, &uc);
	if (r == UCALL_ABORT)
		REPORT_GUEST_ASSERT(uc);
	ASSERT_EQ(UCALL_SYNC, r);
	sync_global_from_guest(p.vm[0], g_r);
	sync_global_from_guest(p.vm[0], g_gp);
	/* VTL1's views. */
	EXPECT_EQ(vendor == KVM_VSM_VENDOR_INTEL ? 0xc3c1010f : 0xc3d9010f,
		  g_r[R_HC]);
	EXPECT_EQ(0, g_r[R_HC_TAIL]);
	EXPECT_EQ(0, g_r[R_AS_TAIL]);
	EXPECT_EQ(0, g_r[R_SIMP]);
	EXPECT_EQ(0, g_r[R_SIEFP]);
	EXPECT_EQ(0, g_r[R_TSC_TAIL]);
	EXPECT_EQ(PAT(0), g_r[R_X0_AFTER]);
	EXPECT_EQ(0xa1, g_r[R_X3_MOVED]);
	EXPECT_EQ(PAT(1), g_r[R_X1_AFTER]);
	EXPECT_EQ(HVMSG_TIMER_EXPIRED, g_r[R_MSG]);
	for (i = 0; i < 4; i++)
		EXPECT_EQ(GP_VECTOR, g_gp[i]) TH_LOG("bad write %d", i);

	/* The VMM's mapping: every pattern intact. */
	for (i = 0; i < 4096; i++) {
		u8 *x3 = addr_gva2hva(p.vm[0], g_x_gva[3]);

		if (hc_ram[i] != PAT_HC1 || as_ram[i] != PAT_AS1 || x3[i] != PAT(3))
			break;
	}
	EXPECT_EQ(4096, i) TH_LOG("RAM changed at byte %d", i);

	/*
	 * In place: VTL1's hypercall, VP assist, SIMP (X3), TSC page; VTL0's
	 * hypercall page and SIMP (X3).
	 */
	ASSERT_EQ(0, kvmvsm_get_info(p.part, &info));
	EXPECT_EQ(6, info.overlays);

	/* KVM_VSM_OVERLAY_ACCESS (libkvmvsm): each VTL's page at X3. */
	EXPECT_EQ(0, kvmvsm_overlay_read(p.part, 1, g_x_gpa[3] + 100, buf, 1));
	EXPECT_EQ(0xa1, buf[0]);
	EXPECT_EQ(0, kvmvsm_overlay_read(p.part, 0, g_x_gpa[3] + 100, buf, 1));
	EXPECT_EQ(0xb0, buf[0]);
	buf[0] = 0x77;
	EXPECT_EQ(0, kvmvsm_overlay_write(p.part, 1, g_x_gpa[3] + 200, buf, 1));
	buf[0] = 0;
	EXPECT_EQ(0, kvmvsm_overlay_read(p.part, 1, g_x_gpa[3] + 200, buf, 1));
	EXPECT_EQ(0x77, buf[0]);
	EXPECT_EQ(PAT(3), ((u8 *)addr_gva2hva(p.vm[0], g_x_gva[3]))[200]);
	/* Its bad arguments. */
	EXPECT_EQ(-EINVAL, ovl_access(p.part, 1, 2, g_x_gpa[3], buf, 1, 0));
	EXPECT_EQ(-EINVAL, ovl_access(p.part, 1, 0, g_x_gpa[3], buf, 1, 1));
	EXPECT_EQ(-EINVAL, ovl_access(p.part, 1, 0, g_x_gpa[3], buf, 0, 0));
	EXPECT_EQ(-EINVAL, ovl_access(p.part, 1, 0, g_x_gpa[3] + 4000, buf,
				      sizeof(buf), 0));
	EXPECT_EQ(-EINVAL, ovl_access(p.part, 16, 0, g_x_gpa[3], buf, 1, 0));
	EXPECT_EQ(-ENOENT, ovl_access(p.part, 1, 0, g_x_gpa[0], buf, 1, 0));
	EXPECT_EQ(-ENOENT, ovl_access(p.part, 2, 0, g_x_gpa[3], buf, 1, 0));
	EXPECT_EQ(-EFAULT, ovl_access(p.part, 1, 0, g_x_gpa[3], (void *)8, 1, 0));
	EXPECT_EQ(-EFAULT, ovl_access(p.part, 1, KVM_VSM_OVERLAY_ACCESS_WRITE,
				      g_x_gpa[3], (void *)8, 1, 0));

	r = ovl_run(&p, &uc);
	if (r == UCALL_ABORT)
		REPORT_GUEST_ASSERT(uc);
	EXPECT_EQ(UCALL_DONE, r);

	/* Detaching VTL1 frees its four. */
	ASSERT_EQ(0, kvmvsm_detach_vtl(p.part, 1));
	ASSERT_EQ(0, kvmvsm_get_info(p.part, &info));
	EXPECT_EQ(2, info.overlays);
	vtl_pair_destroy(&p);
}

/* ---- Reference TSC pages, one per VTL at one GPA ---- */

struct tsc_page {
	u32 seq;
	u32 reserved;
	u64 scale;
	s64 offset;
};

static u64 g_tsc[2][3];	/* per VTL: sequence, byte 0x800, |ref - MSR| */

static void tsc_read(int vtl)
{
	struct tsc_page *t = (void *)g_x_gva[0];
	u64 ref, msr;

	g_tsc[vtl][0] = READ_ONCE(t->seq);
	g_tsc[vtl][1] = xp(0)[0x800];
	if (!g_tsc[vtl][0])
		return;
	ref = (u64)(((__uint128_t)rdtsc() * READ_ONCE(t->scale)) >> 64) +
	      READ_ONCE(t->offset);
	msr = rdmsr(HV_X64_MSR_TIME_REF_COUNT);
	g_tsc[vtl][2] = msr > ref ? msr - ref : ref - msr;
}

static void tsc_vtl1(void)
{
	wrmsr(HV_X64_MSR_GUEST_OS_ID, HYPERV_LINUX_OS_ID);
	wrmsr(HV_X64_MSR_HYPERCALL, g_page1_gpa | 1);
	wrmsr(HV_X64_MSR_VP_ASSIST_PAGE_MSR, g_assist1_gpa[0] | 1);
	wrmsr(HV_X64_MSR_REFERENCE_TSC, g_x_gpa[0] | 1);
	tsc_read(1);
	vtl1_gate(0, g_page1_gva, ovl_gate_entry);
}

static void tsc_vtl0(u64 vp)
{
	guest_hv_enable(g_page0_gpa);
	GUEST_ASSERT_EQ(vtl_switch_setup(g_page0_gva, vp), 1ull << 32);
	wrmsr(HV_X64_MSR_REFERENCE_TSC, g_x_gpa[0] | 1);
	tsc_read(0);
	vtl_switch(g_page0_gva, HVCALL_VTL_CALL, 0, vtl0_in[vp], vtl0_out[vp]);
	GUEST_DONE();
}

TEST_F_TIMEOUT(ovl, reference_tsc_per_vtl, OVL_TIMEOUT)
{
	struct kvm_vsm_partition_info info;
	struct tsc_page t[2];
	struct vtl_pair p;
	struct ucall uc;
	int r, v;

	ASSERT_EQ(0, vsm_ensure_loaded());
	ovl_pair_create(&p, tsc_vtl0, tsc_vtl1);
	r = ovl_run(&p, &uc);
	if (r == UCALL_ABORT)
		REPORT_GUEST_ASSERT(uc);
	ASSERT_EQ(UCALL_DONE, r);
	sync_global_from_guest(p.vm[0], g_tsc);
	ASSERT_EQ(0, kvmvsm_get_info(p.part, &info));
	EXPECT_EQ(5, info.overlays);	/* each VTL: hypercall, TSC; VTL1: assist */
	for (v = 0; v < 2; v++) {
		ASSERT_EQ(0, ovl_access(p.part, v, 0, g_x_gpa[0], &t[v],
					sizeof(t[v]), 0));
		/* KVM's page, never the RAM beneath. */
		EXPECT_EQ(0, g_tsc[v][1]) TH_LOG("VTL%d", v);
		/* Valid: the time agrees with the MSR within 10 ms. */
		if (g_tsc[v][0])
			EXPECT_GT(100000, g_tsc[v][2])
				TH_LOG("VTL%d off by %llu", v,
				       (unsigned long long)g_tsc[v][2]);
		ksft_print_msg("VTL%d TSC page: sequence %llu, scale %llx\n", v,
			       (unsigned long long)g_tsc[v][0],
			       (unsigned long long)t[v].scale);
	}
	EXPECT_EQ(PAT(0), *(u8 *)addr_gva2hva(p.vm[0], g_x_gva[0]));
	vtl_pair_destroy(&p);
}

/* ---- A VMM killed while its VTL1 holds overlays ---- */

static void kill_vtl0(u64 vp)
{
	guest_hv_enable(g_page0_gpa);
	GUEST_ASSERT_EQ(vtl_switch_setup(g_page0_gva, vp), 1ull << 32);
	vtl_switch(g_page0_gva, HVCALL_VTL_CALL, 0, vtl0_in[vp], vtl0_out[vp]);
	GUEST_SYNC(1);
	for (;;)
		cpu_relax();
}

TEST_F_TIMEOUT(ovl, killed_mid_overlay, OVL_TIMEOUT)
{
	long vms0 = vsm_live_vms(), ref0 = vsm_mod_refcnt(VSM_MODNAME);
	int fds[2], status;
	char c = 0;
	pid_t pid;

	ASSERT_EQ(0, vsm_ensure_loaded());
	ASSERT_EQ(0, pipe(fds));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct kvm_vsm_partition_info info;
		struct vtl_pair p;
		struct ucall uc;

		ovl_pair_create(&p, kill_vtl0, ovl_vtl1);
		if (ovl_run(&p, &uc) != UCALL_SYNC ||
		    kvmvsm_get_info(p.part, &info) || info.overlays < 4)
			_exit(1);
		c = 1;
		if (write(fds[1], &c, 1) != 1)
			_exit(1);
		ovl_run(&p, &uc);	/* spins in VTL0 until killed */
		_exit(1);
	}
	close(fds[1]);
	ASSERT_EQ(1, read(fds[0], &c, 1));
	EXPECT_EQ(1, c);
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
	close(fds[0]);
	EXPECT_EQ(vms0, vsm_live_vms());
	EXPECT_EQ(ref0, vsm_mod_refcnt(VSM_MODNAME));
}

TEST_HARNESS_MAIN
