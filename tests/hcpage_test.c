// SPDX-License-Identifier: GPL-2.0
/*
 * The VTL-aware hypercall page of an attached VM, from guest code:
 *  - contents: the vendor's hypercall instruction (KVM_VSM_CAP_VENDOR) at
 *    0 and the VtlCall/VtlReturn entries at the offsets
 *    HvRegisterVsmCodePageOffsets reports, as the guest reads its page and
 *    as KVM_VSM_OVERLAY_ACCESS shows it to the VMM; the VMM's own mapping
 *    of that GPA still holds the RAM beneath, untouched;
 *  - the entries' 32-bit path: the guest switches to a compatibility-mode
 *    code segment and calls VtlCall (VTL0) and VtlReturn (VTL1, fast and
 *    not) there, mixed with 64-bit calls; what arrives on the other side
 *    is the 32-bit convention (EDX:EAX control, flags moved to ECX), and a
 *    fast return is taken from ECX. VtlReturn from VTL0 in 32-bit mode
 *    answers HV_STATUS_INVALID_VTL_STATE in EDX:EAX;
 *  - the harness's VTL1 gate (vsm_vtl.h) switching through the page.
 */
#include "kvm_util.h"
#include "processor.h"
#include "hyperv.h"

#undef ASSERT_EQ	/* 6.1's test_util.h has its own */
#include "kselftest_harness.h"
#include "vsm_test.h"
#include "vsm_guest.h"
#include "kvmvsm.h"
#include "vsm_vtl.h"

#include "../src/hcpage_code.h"

#define HC_TIMEOUT	300
#define RAM_PATTERN	0x5a

/* What the page must hold, built by the host for the guest to compare. */
static u8 g_expect[4096];
static u64 g_intel;

FIXTURE(hc) {};
FIXTURE_SETUP(hc) {}
FIXTURE_TEARDOWN(hc) {}

static void contents_guest(u64 vp)
{
	const u8 *page = (const u8 *)g_page0_gva;
	u64 call, ret, i;

	guest_hv_enable(g_page0_gpa);
	GUEST_ASSERT_EQ(vtl_switch_setup(g_page0_gva, vp), 1ull << 32);
	call = g_vtl_offsets & 0xfff;
	ret = (g_vtl_offsets >> 12) & 0xfff;
	GUEST_ASSERT_EQ(g_vtl_offsets >> 24, 0);
	/* The vendor's instruction, then RET. */
	GUEST_ASSERT_EQ(page[0], 0x0f);
	GUEST_ASSERT_EQ(page[1], 0x01);
	GUEST_ASSERT_EQ(page[2], g_intel ? 0xc1 : 0xd9);
	GUEST_ASSERT_EQ(page[3], 0xc3);
	/* The entries where the register says, and nothing else. */
	for (i = 0; i < KVM_VSM_HCPAGE_ENTRY_LEN; i++) {
		GUEST_ASSERT_EQ(page[call + i], g_expect[KVM_VSM_HCPAGE_VTL_CALL + i]);
		GUEST_ASSERT_EQ(page[ret + i], g_expect[KVM_VSM_HCPAGE_VTL_RETURN + i]);
	}
	for (i = 0; i < 4096; i++)
		GUEST_ASSERT_EQ(page[i], g_expect[i]);
	GUEST_DONE();
}

TEST_F_TIMEOUT(hc, contents, HC_TIMEOUT)
{
	struct kvm_vsm_overlay_access acc = {};
	u8 ovl[4096], *ram;
	struct vtl_pair p;
	struct ucall uc;
	int vendor, i;

	ASSERT_EQ(0, vsm_ensure_loaded());
	g_vtl_via_page = 1;
	vtl_pair_create(&p, contents_guest, 0, VTL1_HOST_ENABLED);
	vendor = ioctl(p.dev, KVM_VSM_CHECK_EXTENSION, KVM_VSM_CAP_VENDOR);
	ASSERT_TRUE(vendor == KVM_VSM_VENDOR_AMD || vendor == KVM_VSM_VENDOR_INTEL);
	g_intel = vendor == KVM_VSM_VENDOR_INTEL;
	memset(g_expect, 0, sizeof(g_expect));
	kvm_vsm_hcpage_fill(g_expect, g_intel);
	sync_global_to_guest(p.vm[0], g_expect);
	sync_global_to_guest(p.vm[0], g_intel);
	ram = addr_gpa2hva(p.vm[0], g_page0_gpa);
	memset(ram, RAM_PATTERN, 4096);

	ASSERT_EQ(0, kvmvsm_run_vp(p.part, 0, NULL));
	i = get_ucall(p.vcpu[0], &uc);
	if (i == UCALL_ABORT)
		REPORT_GUEST_ASSERT(uc);
	ASSERT_EQ(UCALL_DONE, i);

	/* The VMM sees the page through KVM_VSM_OVERLAY_ACCESS ... */
	acc.vtl = 0;
	acc.gpa = g_page0_gpa;
	acc.addr = (u64)ovl;
	acc.len = sizeof(ovl);
	ASSERT_EQ(0, ioctl(p.part, KVM_VSM_OVERLAY_ACCESS, &acc));
	EXPECT_EQ(0, memcmp(ovl, g_expect, sizeof(ovl)));
	/* ... and the RAM beneath through its own mapping, unchanged. */
	for (i = 0; i < 4096; i++)
		if (ram[i] != RAM_PATTERN)
			break;
	EXPECT_EQ(4096, i) TH_LOG("RAM byte %d is %#x", i, ram[i]);
	/* VTL1 has no overlay there. */
	acc.vtl = 1;
	EXPECT_EQ(-1, ioctl(p.part, KVM_VSM_OVERLAY_ACCESS, &acc));
	EXPECT_EQ(ENOENT, errno);
	vtl_pair_destroy(&p);
	g_vtl_via_page = 0;
}

enum { O_EAX, O_ECX, O_EDX, O_EBX };

static u32 g_o0[4], g_o1[4];

static void vtl1_check(u64 what, bool ok)
{
	if (!ok)
		vtl1_error(0, what);
}

/*
 * VTL1: returns 1 (32-bit, fast) and 2 (32-bit, not fast) to VTL0's
 * 32-bit calls 1 and 2; return 3 (64-bit, fast) to VTL0's 64-bit call 3;
 * then 64-bit fast returns to VTL0's 32-bit call 4 and on.
 */
static void compat_vtl1(void)
{
	struct vp_assist *a = (void *)g_assist1_gva[0];
	u64 ret = g_page1_gva + ((g_vtl_offsets >> 12) & 0xfff);

	wrmsr(HV_X64_MSR_GUEST_OS_ID, HYPERV_LINUX_OS_ID);
	wrmsr(HV_X64_MSR_HYPERCALL, g_page1_gpa | 1);
	wrmsr(HV_X64_MSR_VP_ASSIST_PAGE_MSR, g_assist1_gpa[0] | 1);
	g_rep[0]->entries = 1;
	WRITE_ONCE(a->vtl_ret_rax, 0xaaaa00);
	WRITE_ONCE(a->vtl_ret_rcx, 0xcccc00);
	vtl32_call(ret, 1, 0x200, g_o1);
	/* VTL0's 32-bit VtlCall 2: EDX:EAX the code, ECX its flags (0). */
	g_rep[0]->entries++;
	vtl1_check(1, g_o1[O_EAX] == HVCALL_VTL_CALL && g_o1[O_ECX] == 0 &&
		   g_o1[O_EDX] == 0 && g_o1[O_EBX] == 0x101);
	WRITE_ONCE(a->vtl_ret_rax, 0xaaaa01);
	WRITE_ONCE(a->vtl_ret_rcx, 0xcccc01);
	vtl32_call(ret, 0, 0x201, g_o1);
	/* VTL0's 64-bit VtlCall 3 through the page: RAX flags, RCX code. */
	g_rep[0]->entries++;
	vtl1_check(2, g_o1[O_EAX] == 0 && g_o1[O_ECX] == HVCALL_VTL_CALL);
	for (;;) {
		vtl_switch(g_page1_gva, HVCALL_VTL_RETURN, 1, vtl1_in[0], vtl1_out[0]);
		/* VTL0's 32-bit VtlCall 4 and on, seen in 64-bit mode. */
		g_rep[0]->entries++;
		vtl1_check(3, (u32)vtl1_out[0][OUT_RAX] == HVCALL_VTL_CALL &&
			   (u32)vtl1_out[0][OUT_RCX] == 0);
	}
}

static void compat_vtl0(u64 vp)
{
	u64 call, ret;

	guest_hv_enable(g_page0_gpa);
	GUEST_ASSERT_EQ(vtl_switch_setup(g_page0_gva, vp), 1ull << 32);
	call = g_page0_gva + (g_vtl_offsets & 0xfff);
	ret = g_page0_gva + ((g_vtl_offsets >> 12) & 0xfff);
	GUEST_ASSERT(vtl32_setup());
	/* Code, stack and buffers where 32-bit code can reach them. */
	GUEST_ASSERT((u64)compat_vtl0 < (1ull << 32) && (u64)g_o0 < (1ull << 32) &&
		     (u64)g_o1 < (1ull << 32));

	/* 1: starts VTL1, which returns fast from 32-bit mode: its EAX/ECX. */
	vtl32_call(call, 0, 0x100, g_o0);
	GUEST_ASSERT_EQ(g_o0[O_EAX], HVCALL_VTL_RETURN);
	GUEST_ASSERT_EQ(g_o0[O_ECX], 1);
	GUEST_ASSERT_EQ(g_o0[O_EDX], 0);
	GUEST_ASSERT_EQ(g_o0[O_EBX], 0x200);
	/* 2: a 32-bit return that is not fast: RAX/RCX from the VP assist page. */
	vtl32_call(call, 0, 0x101, g_o0);
	GUEST_ASSERT_EQ(g_o0[O_EAX], 0xaaaa01);
	GUEST_ASSERT_EQ(g_o0[O_ECX], 0xcccc01);
	GUEST_ASSERT_EQ(g_o0[O_EDX], 0);
	GUEST_ASSERT_EQ(g_o0[O_EBX], 0x201);
	/* 3: 64-bit, through the page, to VTL1 in 32-bit mode, back fast. */
	vtl_switch(g_page0_gva, HVCALL_VTL_CALL, 0, vtl0_in[0], vtl0_out[0]);
	GUEST_ASSERT_EQ(vtl0_out[0][OUT_RAX], 1);
	GUEST_ASSERT_EQ(vtl0_out[0][OUT_RCX], HVCALL_VTL_RETURN);
	/* 4: 32-bit again, to VTL1 in 64-bit mode, its 64-bit fast return. */
	vtl32_call(call, 0, 0x103, g_o0);
	GUEST_ASSERT_EQ(g_o0[O_EAX], 1);
	GUEST_ASSERT_EQ(g_o0[O_ECX], HVCALL_VTL_RETURN);
	GUEST_ASSERT_EQ(g_rep[0]->errors, 0);
	GUEST_ASSERT_EQ(g_rep[0]->entries, 4);
	/* VtlReturn from VTL0, in 32-bit mode: the status in EDX:EAX. */
	vtl32_call(ret, 0, 0, g_o0);
	GUEST_ASSERT_EQ(g_o0[O_EAX], HV_STATUS_INVALID_VTL_STATE);
	GUEST_ASSERT_EQ(g_o0[O_EDX], 0);
	GUEST_DONE();
}

/*
 * A VTL pair switching through the page, VTL1 starting at @vtl1; VP0 run
 * until VTL0's ucall, which is returned (a guest assertion reported).
 */
static int hc_run_pair(struct __test_metadata *_metadata, struct vtl_pair *p,
		       void *vtl0, void *vtl1)
{
	struct ucall uc;
	u32 vtl;
	int r;

	ASSERT_EQ(0, vsm_ensure_loaded());
	g_vtl_via_page = 1;
	vtl_pair_create(p, vtl0, 0, VTL1_HOST_ENABLED);
	vtl1_set_rip(p, 0, vtl1);
	ASSERT_EQ(0, kvmvsm_run_vp(p->part, 0, &vtl));
	ASSERT_EQ(0, vtl) TH_LOG("VTL1 exit %u", p->vcpu[1]->run->exit_reason);
	r = get_ucall(p->vcpu[0], &uc);
	if (r == UCALL_ABORT)
		REPORT_GUEST_ASSERT(uc);
	return r;
}

TEST_F_TIMEOUT(hc, compat_mode_entries, HC_TIMEOUT)
{
	struct vtl1_report *rep;
	struct vtl_pair p;
	int r;

	r = hc_run_pair(_metadata, &p, compat_vtl0, compat_vtl1);
	rep = addr_gva2hva(p.vm[0], (u64)g_rep[0]);
	EXPECT_EQ(UCALL_DONE, r) TH_LOG("exit %u; VTL1 entries %llu errors %llu (last %llu)",
					p.vcpu[0]->run->exit_reason,
					(unsigned long long)rep->entries,
					(unsigned long long)rep->errors,
					(unsigned long long)rep->last_error);
	vtl_pair_destroy(&p);
	g_vtl_via_page = 0;
}

/*
 * vtl1_gate() (vsm_vtl.h) with g_vtl_via_page: its first VtlReturn (fast)
 * and every later one (not fast, RAX/RCX from the VP assist page) through
 * the page's VtlReturn entry.
 */
static u64 g_gate_calls, g_gate_r12;

static void gate_entry(u64 vp, u64 *regs)
{
	struct vp_assist *a = (void *)g_assist1_gva[vp];

	g_gate_calls++;
	g_gate_r12 = regs[GATE_R15 + 3];
	WRITE_ONCE(a->vtl_ret_rax, regs[GATE_RAX]);
	WRITE_ONCE(a->vtl_ret_rcx, regs[GATE_RCX]);
}

static void gate_vtl1(void)
{
	wrmsr(HV_X64_MSR_GUEST_OS_ID, HYPERV_LINUX_OS_ID);
	wrmsr(HV_X64_MSR_HYPERCALL, g_page1_gpa | 1);
	wrmsr(HV_X64_MSR_VP_ASSIST_PAGE_MSR, g_assist1_gpa[0] | 1);
	vtl1_gate(0, g_page1_gva, gate_entry);
}

static void gate_vtl0(u64 vp)
{
	u64 *in = vtl0_in[vp], *out = vtl0_out[vp], i;

	guest_hv_enable(g_page0_gpa);
	GUEST_ASSERT_EQ(vtl_switch_setup(g_page0_gva, vp), 1ull << 32);
	/* Starts VTL1: the gate's fast return, RCX = 1 into the entry. */
	vtl_switch(g_page0_gva, HVCALL_VTL_CALL, 0, in, out);
	GUEST_ASSERT_EQ(out[OUT_RAX], 1);
	GUEST_ASSERT_EQ(out[OUT_RCX], HVCALL_VTL_RETURN);
	for (i = 0; i < 10; i++) {
		in[0] = 0x1200 + i;
		vtl_switch(g_page0_gva, HVCALL_VTL_CALL, 0, in, out);
		GUEST_ASSERT_EQ(g_gate_calls, i + 1);
		GUEST_ASSERT_EQ(g_gate_r12, 0x1200 + i);
		/* Not fast: what VTL0 had at its VMMCALL, via the assist page. */
		GUEST_ASSERT_EQ(out[OUT_RAX], 0);
		GUEST_ASSERT_EQ(out[OUT_RCX], HVCALL_VTL_CALL);
		GUEST_ASSERT_EQ(out[OUT_R12], 0x1200 + i);
	}
	GUEST_DONE();
}

TEST_F_TIMEOUT(hc, gate_through_page, HC_TIMEOUT)
{
	struct vtl_pair p;
	int r;

	r = hc_run_pair(_metadata, &p, gate_vtl0, gate_vtl1);
	EXPECT_EQ(UCALL_DONE, r);
	vtl_pair_destroy(&p);
	g_vtl_via_page = 0;
}

TEST_HARNESS_MAIN
