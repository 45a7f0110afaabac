// SPDX-License-Identifier: GPL-2.0
/*
 * More than two VTLs, and VPs as the guest names them.
 *
 * Three VTLs (three VMs over one memory, one VP): VTL0 -> VTL1 -> VTL2
 * VtlCalls and their returns carry registers both ways and land where
 * they left; VTL2's APIC timer preempts VTL0 directly (VTL2 returns to
 * VTL0, not to VTL1) and preempts VTL1 while VTL1 was called from VTL0
 * (VTL2 returns to VTL1, VTL1 to VTL0). Each preempted loop proves by its
 * checksum that it resumed where it was with its registers.
 *
 * VP index: the VMM numbers its vCPUs' Hyper-V VP indices (7 and 3)
 * unlike their positions (0 and 1); HvCallEnableVpVtl and GetVpRegisters
 * take the Hyper-V index, and an index no vCPU has is INVALID_VP_INDEX.
 */
#include <pthread.h>

#include "kvm_util.h"
#include "processor.h"
#include "hyperv.h"
#include "apic.h"

#undef ASSERT_EQ	/* 6.1's test_util.h has its own */
#include "kselftest_harness.h"
#include "vsm_test.h"
#include "vsm_guest.h"
#include "kvmvsm.h"
#include "vsm_vtl.h"

#define VTL3_TIMEOUT	300
#define SPIN_MAX	200000000ull
#define ROUNDS		20

#define VEC_VTL2_TIMER	0xe0
#define TIMER2_TICKS	100000000	/* 100 ms at KVM's 1 GHz APIC bus */
#define VTL2_FS_BASE	0x8888000ull

/* Local APIC timer (x2APIC MSR offsets; not in 6.1's apic.h). */
#define VSM_APIC_LVTT	0x320
#define VSM_APIC_TMICT	0x380
#define VSM_APIC_TDCR	0x3e0

/* vtl1_gate()'s saved registers (vsm_vtl.h): R15 first, RAX last. */
enum { GATE_R13 = 2, GATE_R12 = 3 };

/* ---- three VTLs ---- */

enum { CMD1_NONE, CMD1_CALL2, CMD1_ARM2, CMD1_SPIN };
enum { CMD2_NONE, CMD2_ARM };

/* Guest memory all three VTLs share. */
static u64 g_page2_gva, g_page2_gpa, g_assist2_gva, g_assist2_gpa;
static u64 g_k, g_cmd1, g_cmd2;
static u64 g_timer2;			/* VTL2 timer interrupts taken */
static u64 g_stray;			/* interrupts taken outside VTL2 */
static u64 g_reason[3][4];		/* entries of VTL1/VTL2 by reason */
static u64 g_err[3], g_err_line[3];	/* per VTL: failed checks */
static u64 g_sum1_ok;			/* VTL1's preempted loop checked out */

static void vtl_fail(int vtl, u64 line)
{
	g_err[vtl]++;
	g_err_line[vtl] = line;
}

#define VTL_CHECK(vtl, cond) do { if (!(cond)) vtl_fail(vtl, __LINE__); } while (0)

static void irq_handler(struct ex_regs *regs)
{
	if (rdmsr(MSR_FS_BASE) == VTL2_FS_BASE)
		g_timer2++;
	else
		g_stray++;
	x2apic_write_reg(APIC_EOI, 0);
}

static void apic_setup(void)
{
	x2apic_enable();
	x2apic_write_reg(APIC_SPIV, APIC_SPIV_APIC_ENABLED | 0xff);
	x2apic_write_reg(VSM_APIC_TDCR, 0xb);	/* divide by 1 */
}

/* A loop whose every register is live; its sum tells if it was disturbed. */
static u64 busy_sum(u64 n)
{
	u64 i, sum = 0;

	for (i = 0; i < n; i++)
		sum += i ^ (sum << 1);
	return sum;
}

/* Spin with IF clear until *@p reaches @want; returns the iterations. */
static u64 spin_sum(const u64 *p, u64 want, u64 *sum)
{
	u64 i, s = 0;

	for (i = 0; i < SPIN_MAX && READ_ONCE(*p) < want; i++)
		s += i ^ (s << 1);
	*sum = s;
	return i;
}

/* VTL2: entered by VTL1's calls and by its own timer. */
static void vtl2_entry(u64 vp, u64 *regs)
{
	struct vp_assist *a = (void *)g_assist2_gva;
	u32 reason = READ_ONCE(a->vtl_entry_reason);
	u64 k = READ_ONCE(g_k);

	g_reason[2][reason & 3]++;
	VTL_CHECK(2, rdmsr(MSR_FS_BASE) == VTL2_FS_BASE);
	if (reason == 2) {
		/* Our IF is clear (private): open a window for the interrupt. */
		asm volatile("sti; nop; nop; cli" ::: "memory");
	} else if (reason == 1) {
		VTL_CHECK(2, regs[GATE_R12] == 0x1212 + k);
		VTL_CHECK(2, regs[GATE_R13] == 0x1213 + k);
		if (READ_ONCE(g_cmd2) == CMD2_ARM) {
			x2apic_write_reg(VSM_APIC_LVTT, VEC_VTL2_TIMER);
			/* Long enough to fire only once VTL0/VTL1 spin. */
			x2apic_write_reg(VSM_APIC_TMICT, TIMER2_TICKS);
		}
		regs[GATE_R12] = 0x2112 + k;
		regs[GATE_R13] = 0x2113 + k;
	} else {
		VTL_CHECK(2, 0);	/* entered without a reason */
	}
	WRITE_ONCE(a->vtl_entry_reason, 0);
	a->vtl_ret_rax = regs[GATE_RAX];
	a->vtl_ret_rcx = regs[GATE_RCX];
}

static void vtl2_main(void)
{
	wrmsr(HV_X64_MSR_GUEST_OS_ID, HYPERV_LINUX_OS_ID);
	wrmsr(HV_X64_MSR_HYPERCALL, g_page2_gpa | 1);
	wrmsr(HV_X64_MSR_VP_ASSIST_PAGE_MSR, g_assist2_gpa | 1);
	wrmsr(MSR_FS_BASE, VTL2_FS_BASE);
	apic_setup();
	/* Nothing above VTL2. */
	VTL_CHECK(2, (guest_hv_call(g_page2_gva, HVCALL_VTL_CALL, 0, 0) & 0xffff) ==
		  HV_STATUS_INVALID_VTL_STATE);
	vtl1_gate(0, g_page2_gva, vtl2_entry);
}

/* VTL1 calls VTL2: registers go up and come back, VTL1's own state stays. */
static void vtl1_call2(u64 k, u64 cmd)
{
	u64 *in = vtl1_in[0], *out = vtl1_out[0];

	WRITE_ONCE(g_cmd2, cmd);
	in[0] = 0x1212 + k;
	in[1] = 0x1213 + k;
	in[2] = 0;
	in[3] = 0;
	in[4] = 0;
	vtl_transition(g_page1_gva, HVCALL_VTL_CALL, 0, in, out);
	VTL_CHECK(1, out[OUT_R12] == 0x2112 + k);
	VTL_CHECK(1, out[OUT_R13] == 0x2113 + k);
	VTL_CHECK(1, rdmsr(MSR_FS_BASE) == VTL1_FS_BASE);
}

/* VTL1: entered only by VTL0's calls; a VTL2 return never lands here. */
static void vtl1_entry(u64 vp, u64 *regs)
{
	struct vp_assist *a = (void *)g_assist1_gva[0];
	u32 reason = READ_ONCE(a->vtl_entry_reason);
	u64 k = READ_ONCE(g_k), n, sum;

	g_reason[1][reason & 3]++;
	VTL_CHECK(1, reason == 1);
	VTL_CHECK(1, rdmsr(MSR_FS_BASE) == VTL1_FS_BASE);
	VTL_CHECK(1, regs[GATE_R12] == 0x0112 + k);
	VTL_CHECK(1, regs[GATE_R13] == 0x0113 + k);
	switch (READ_ONCE(g_cmd1)) {
	case CMD1_CALL2:
		vtl1_call2(k, CMD2_NONE);
		break;
	case CMD1_ARM2:
		vtl1_call2(k, CMD2_ARM);
		break;
	case CMD1_SPIN:
		/* VTL2's timer preempts this loop (IF clear), then returns here. */
		vtl1_call2(k, CMD2_ARM);
		n = spin_sum(&g_timer2, READ_ONCE(g_timer2) + 1, &sum);
		VTL_CHECK(1, n > 0 && n < SPIN_MAX);	/* preempted in the loop */
		g_sum1_ok = sum == busy_sum(n);
		VTL_CHECK(1, rdmsr(MSR_FS_BASE) == VTL1_FS_BASE);
		break;
	}
	regs[GATE_R12] = 0x1012 + k;
	regs[GATE_R13] = 0x1013 + k;
	WRITE_ONCE(a->vtl_entry_reason, 0);
	a->vtl_ret_rax = regs[GATE_RAX];
	a->vtl_ret_rcx = regs[GATE_RCX];
}

static void vtl1_main(void)
{
	u64 *in = vtl1_in[0], *out = vtl1_out[0];

	wrmsr(HV_X64_MSR_GUEST_OS_ID, HYPERV_LINUX_OS_ID);
	wrmsr(HV_X64_MSR_HYPERCALL, g_page1_gpa | 1);
	wrmsr(HV_X64_MSR_VP_ASSIST_PAGE_MSR, g_assist1_gpa[0] | 1);
	wrmsr(MSR_FS_BASE, VTL1_FS_BASE);
	/* VTL2 sets itself up and returns (fast). */
	memset(in, 0, 5 * sizeof(u64));
	vtl_transition(g_page1_gva, HVCALL_VTL_CALL, 0, in, out);
	VTL_CHECK(1, g_reason[2][0] + g_reason[2][1] + g_reason[2][2] == 0);
	vtl1_gate(0, g_page1_gva, vtl1_entry);
}

/* VTL0 calls VTL1 with @cmd, round @k: VTL1's answer comes back in R12/R13. */
static void vtl0_call1(u64 k, u64 cmd)
{
	u64 *in = vtl0_in[0], *out = vtl0_out[0];

	WRITE_ONCE(g_k, k);
	WRITE_ONCE(g_cmd1, cmd);
	in[0] = 0x0112 + k;
	in[1] = 0x0113 + k;
	in[2] = 0;
	in[3] = 0;
	in[4] = 0;
	vtl_transition(g_page0_gva, HVCALL_VTL_CALL, 0, in, out);
	GUEST_ASSERT_EQ(out[OUT_R12], 0x1012 + k);
	GUEST_ASSERT_EQ(out[OUT_R13], 0x1013 + k);
	GUEST_ASSERT_EQ(rdmsr(MSR_FS_BASE), VTL0_FS_BASE);
}

static void vtl3_guest(u64 vp)
{
	u64 k, n, sum, calls = 0, calls2 = 0;

	guest_hv_enable(g_page0_gpa);
	wrmsr(MSR_FS_BASE, VTL0_FS_BASE);
	/* VTL1 sets itself and VTL2 up and returns (fast). */
	memset(vtl0_in[0], 0, sizeof(vtl0_in[0]));
	vtl_transition(g_page0_gva, HVCALL_VTL_CALL, 0, vtl0_in[0], vtl0_out[0]);

	/* 1: calls up to VTL1, and through it to VTL2, returns in order. */
	for (k = 0; k < ROUNDS; k++) {
		vtl0_call1(k, k & 1 ? CMD1_CALL2 : CMD1_NONE);
		calls++;
		calls2 += k & 1;
	}
	GUEST_ASSERT_EQ(g_err[1], 0);
	GUEST_ASSERT_EQ(g_err[2], 0);
	GUEST_ASSERT_EQ(g_reason[1][1], calls);
	GUEST_ASSERT_EQ(g_reason[2][1], calls2);

	/*
	 * 2: VTL2's timer preempts VTL0 (IF clear) directly; VTL2's return
	 * goes back to VTL0's loop, not into VTL1.
	 */
	asm volatile("cli" ::: "memory");
	vtl0_call1(k++, CMD1_ARM2);
	calls++;
	calls2++;
	n = spin_sum(&g_timer2, 1, &sum);
	GUEST_ASSERT(n > 0 && n < SPIN_MAX);	/* VTL0, not VTL1, was preempted */
	GUEST_ASSERT_EQ(sum, busy_sum(n));
	GUEST_ASSERT_EQ(g_timer2, 1);
	GUEST_ASSERT_EQ(g_reason[2][2], 1);
	GUEST_ASSERT_EQ(g_reason[1][0] + g_reason[1][2], 0);
	GUEST_ASSERT_EQ(g_reason[1][1], calls);
	GUEST_ASSERT_EQ(g_err[1], 0);
	GUEST_ASSERT_EQ(g_err[2], 0);

	/*
	 * 3: VTL2's timer preempts VTL1, which VTL0 called: VTL2 returns to
	 * VTL1's loop, VTL1 then returns to VTL0.
	 */
	vtl0_call1(k++, CMD1_SPIN);
	calls++;
	calls2++;
	GUEST_ASSERT_EQ(g_timer2, 2);
	GUEST_ASSERT_EQ(g_reason[2][2], 2);
	GUEST_ASSERT_EQ(g_sum1_ok, 1);
	GUEST_ASSERT_EQ(g_reason[1][0] + g_reason[1][2], 0);
	GUEST_ASSERT_EQ(g_reason[1][1], calls);
	GUEST_ASSERT_EQ(g_reason[2][1], calls2);
	GUEST_ASSERT_EQ(g_err[1], 0);
	GUEST_ASSERT_EQ(g_err[2], 0);

	/* 4: and the plain chain still works afterwards. */
	vtl0_call1(k++, CMD1_CALL2);
	GUEST_ASSERT_EQ(g_reason[2][1], calls2 + 1);
	GUEST_ASSERT_EQ(g_stray, 0);
	GUEST_ASSERT_EQ(g_err[1], 0);
	GUEST_ASSERT_EQ(g_err[2], 0);
	GUEST_DONE();
}

/* VTL @n of VP0 in a VM of its own over VM0's memory, enabled by the VMM. */
static struct kvm_vcpu *vtl_add(struct vtl_pair *p, struct kvm_vm **vm, int n,
				void *entry)
{
	struct kvm_mp_state runnable = { .mp_state = KVM_MP_STATE_RUNNABLE };
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_vcpu *v;
	vm_vaddr_t stack;

	*vm = vm_create_barebones();
	vm_ioctl(*vm, KVM_CREATE_IRQCHIP, NULL);
	vtl_mirror_memory(*vm, p->vm[0]);
	TEST_ASSERT(!kvmvsm_attach_vtl(p->part, (*vm)->fd, n), "attach VTL%d", n);
	v = __vm_vcpu_add(*vm, 0);
	vcpu_ioctl(v, KVM_SET_MP_STATE, &runnable);
	vcpu_init_cpuid(v, kvm_get_supported_cpuid());
	vsm_set_hv_cpuid(p->dev, v);
	vcpu_sregs_get(p->vp[0][0], &sregs);
	vcpu_sregs_set(v, &sregs);
	stack = vm_vaddr_alloc_pages(p->vm[0], 4);
	memset(&regs, 0, sizeof(regs));
	regs.rip = (u64)entry;
	regs.rsp = stack + 4 * 4096 - 8;
	regs.rflags = 2;
	vcpu_regs_set(v, &regs);
	TEST_ASSERT(!kvmvsm_attach_vcpu_flags(p->part, v->fd, n,
					      KVM_VSM_ATTACH_VCPU_ENABLED, NULL),
		    "VP0 VTL%d", n);
	return v;
}

FIXTURE(vtl3) {};
FIXTURE_SETUP(vtl3) {}
FIXTURE_TEARDOWN(vtl3) {}

TEST_F_TIMEOUT(vtl3, three_vtls_return_where_they_left, VTL3_TIMEOUT)
{
	struct kvm_vcpu *v2;
	struct kvm_vm *vm2;
	struct vtl_pair p;
	struct ucall uc;
	u64 *err;
	u32 vtl;

	vtl_pair_create(&p, vtl3_guest, 0, VTL1_HOST_ENABLED);
	vtl1_set_rip(&p, 0, vtl1_main);
	vm_install_exception_handler(p.vm[0], VEC_VTL2_TIMER, irq_handler);
	g_page2_gva = vm_vaddr_alloc_page(p.vm[0]);
	g_page2_gpa = addr_gva2gpa(p.vm[0], g_page2_gva);
	g_assist2_gva = vm_vaddr_alloc_page(p.vm[0]);
	g_assist2_gpa = addr_gva2gpa(p.vm[0], g_assist2_gva);
	sync_global_to_guest(p.vm[0], g_page2_gva);
	sync_global_to_guest(p.vm[0], g_page2_gpa);
	sync_global_to_guest(p.vm[0], g_assist2_gva);
	sync_global_to_guest(p.vm[0], g_assist2_gpa);
	v2 = vtl_add(&p, &vm2, 2, vtl2_main);

	for (;;) {
		ASSERT_EQ(0, kvmvsm_run_vp(p.part, 0, &vtl));
		/* Only VTL0 exits to userspace; VTL1 and VTL2 report in memory. */
		ASSERT_EQ(0, vtl) TH_LOG("VTL%u exit %u", vtl,
					 (vtl == 2 ? v2 : p.vp[vtl][0])->run->exit_reason);
		if (get_ucall(p.vp[0][0], &uc) != UCALL_SYNC)
			break;
	}
	err = addr_gva2hva(p.vm[0], (u64)&g_err);
	if (uc.cmd == UCALL_ABORT) {
		u64 *line = addr_gva2hva(p.vm[0], (u64)&g_err_line);

		TH_LOG("VTL1 errors %llu (line %llu), VTL2 errors %llu (line %llu)",
		       (unsigned long long)err[1], (unsigned long long)line[1],
		       (unsigned long long)err[2], (unsigned long long)line[2]);
		REPORT_GUEST_ASSERT(uc);
	}
	EXPECT_EQ(UCALL_DONE, uc.cmd);
	vtl_pair_destroy(&p);
	kvm_vm_free(vm2);
}

/* ---- VP index: the VMM's Hyper-V numbering ---- */

#define HVCALL_ENABLE_PARTITION_VTL	0x000d
#define HVCALL_ENABLE_VP_VTL		0x000f
#define REG_VP_STATUS			0x000d0003
#define ST_ACCESS_DENIED		6
#define ST_INVALID_VP_INDEX		0x0e
#define SELF				(~0ull)
#define SELF_VP				0xfffffffeu

/* Hyper-V VP index of VP0 and VP1, as the VMM sets them. */
static const u32 hv_index[2] = { 7, 3 };

static u64 g_in_gva, g_in_gpa, g_out_gva, g_out_gpa, g_stack1_top;
static u64 g_ctx[VTL_CTX_WORDS];
static u64 g_go, g_vtl1_index, g_vp1_done;

static u64 enable_vp(u32 vp)
{
	u64 *in = (u64 *)g_in_gva;
	int i;

	in[0] = SELF;
	in[1] = vp | 1ull << 32;	/* target VTL1 */
	for (i = 0; i < VTL_CTX_WORDS; i++)
		in[2 + i] = g_ctx[i];
	return guest_hv_call(g_page0_gva, HVCALL_ENABLE_VP_VTL, g_in_gpa, 0) & 0xffff;
}

/* VsmVpStatus of VP @vp (memory form); the status. */
static u64 vp_status(u32 vp, u64 *val)
{
	u64 *in = (u64 *)g_in_gva, r;

	in[0] = SELF;
	in[1] = vp;
	in[2] = REG_VP_STATUS;
	r = guest_hv_call(g_page0_gva, HVCALL_GET_VP_REGISTERS | 1ull << 32,
			  g_in_gpa, g_out_gpa);
	*val = ((u64 *)g_out_gva)[0];
	return r & 0xffff;
}

/* VTL1 of the VP whose VTL1 was enabled: started by the initial context. */
static void vtl1_started(void)
{
	wrmsr(HV_X64_MSR_GUEST_OS_ID, HYPERV_LINUX_OS_ID);
	wrmsr(HV_X64_MSR_HYPERCALL, g_page1_gpa | 1);
	WRITE_ONCE(g_vtl1_index, rdmsr(HV_X64_MSR_VP_INDEX));
	for (;;)
		guest_hv_call(g_page1_gva, HVCALL_VTL_RETURN, 0, 0);
}

static void vpidx_guest(u64 vp)
{
	u64 v, i;

	guest_hv_enable(g_page0_gpa);
	GUEST_ASSERT_EQ(rdmsr(HV_X64_MSR_VP_INDEX), hv_index[vp]);
	if (vp == 1) {
		for (i = 0; i < SPIN_MAX && !READ_ONCE(g_go); i++)
			asm volatile("pause" ::: "memory");
		GUEST_ASSERT(i < SPIN_MAX);
		/* VTL1 was enabled on this VP: it starts at the context's RIP. */
		vtl_transition(g_page0_gva, HVCALL_VTL_CALL, 0, vtl0_in[1], vtl0_out[1]);
		GUEST_ASSERT_EQ(READ_ONCE(g_vtl1_index), hv_index[1]);
		WRITE_ONCE(g_vp1_done, 1);
		GUEST_DONE();
	}
	GUEST_ASSERT_EQ(guest_hv_call(g_page0_gva, HVCALL_ENABLE_PARTITION_VTL |
				      HV_HYPERCALL_FAST_BIT, SELF, 1), 0);
	/* Positions 0 and 1 are no Hyper-V VP index here. */
	GUEST_ASSERT_EQ(enable_vp(1), ST_INVALID_VP_INDEX);
	GUEST_ASSERT_EQ(enable_vp(0), ST_INVALID_VP_INDEX);
	GUEST_ASSERT_EQ(vp_status(1, &v), ST_INVALID_VP_INDEX);
	GUEST_ASSERT_EQ(vp_status(0, &v), ST_INVALID_VP_INDEX);
	/* The other VP by its Hyper-V index: the first VP to get VTL1. */
	GUEST_ASSERT_EQ(enable_vp(hv_index[1]), 0);
	GUEST_ASSERT_EQ(vp_status(hv_index[1], &v), 0);
	GUEST_ASSERT_EQ(v, 0 | 3 << 16);
	/* Ours is not enabled, by index or as self; and VTL0 may not now. */
	GUEST_ASSERT_EQ(vp_status(hv_index[0], &v), 0);
	GUEST_ASSERT_EQ(v, 0 | 1 << 16);
	GUEST_ASSERT_EQ(vp_status(SELF_VP, &v), 0);
	GUEST_ASSERT_EQ(v, 0 | 1 << 16);
	GUEST_ASSERT_EQ(enable_vp(hv_index[0]), ST_ACCESS_DENIED);
	GUEST_ASSERT_EQ(guest_hv_call(g_page0_gva, HVCALL_VTL_CALL, 0, 0) & 0xffff,
			HV_STATUS_INVALID_VTL_STATE);
	WRITE_ONCE(g_go, 1);
	for (i = 0; i < SPIN_MAX && !READ_ONCE(g_vp1_done); i++)
		asm volatile("pause" ::: "memory");
	GUEST_ASSERT(i < SPIN_MAX);
	GUEST_DONE();
}

TEST_F_TIMEOUT(vtl3, vp_index_is_the_hyperv_index, VTL3_TIMEOUT)
{
	struct vp_runner r[2] = {};
	struct vtl_pair p;
	int i, n;

	vtl_pair_create_vps(&p, vpidx_guest, 0, VTL1_GUEST_ENABLES, 2);
	for (n = 0; n < 2; n++)
		for (i = 0; i < 2; i++)
			vcpu_set_msr(p.vp[n][i], HV_X64_MSR_VP_INDEX, hv_index[i]);
	g_in_gva = vm_vaddr_alloc_page(p.vm[0]);
	g_in_gpa = addr_gva2gpa(p.vm[0], g_in_gva);
	g_out_gva = vm_vaddr_alloc_page(p.vm[0]);
	g_out_gpa = addr_gva2gpa(p.vm[0], g_out_gva);
	g_stack1_top = vm_vaddr_alloc_pages(p.vm[0], 4) + 4 * 4096;
	vtl_initial_context(p.vp[0][1], g_ctx);
	g_ctx[VTL_CTX_RIP] = (u64)vtl1_started;
	g_ctx[VTL_CTX_RSP] = g_stack1_top - 8;	/* as after a CALL */
	sync_global_to_guest(p.vm[0], g_in_gva);
	sync_global_to_guest(p.vm[0], g_in_gpa);
	sync_global_to_guest(p.vm[0], g_out_gva);
	sync_global_to_guest(p.vm[0], g_out_gpa);
	sync_global_to_guest(p.vm[0], g_ctx);

	vtl_run_vps(&p, r, 2);
	for (i = 0; i < 2; i++)
		EXPECT_EQ(0, r[i].result) TH_LOG("VP %d", i);
	vtl_pair_destroy(&p);
}

TEST_HARNESS_MAIN
