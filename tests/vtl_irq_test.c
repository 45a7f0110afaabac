// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupts across VTLs, from guest code: a VTL1 APIC timer preempts a
 * VTL0 busy loop that runs with RFLAGS.IF clear (entry reason 2); a VTL0
 * interrupt never reaches VTL1 and is taken after the return; a VTL0
 * halted with IF clear is woken by a VTL1 interrupt; IPIs stay within
 * their VTL, and a VTL1 IPI preempts VTL0 on the target VP.
 *
 * VTL1 runs vtl1_gate() (vsm_vtl.h), which saves every shared GPR like a
 * secure kernel, so VTL0 code survives being preempted anywhere. The
 * timer checks also run in userspace mode, where the VMM switches. A kick
 * for VTL1 that lands while VTL1 runs is not lost when VTL1 exits to
 * userspace before it returns with the interrupt pending.
 */
#include <pthread.h>
#include <signal.h>
#include <time.h>

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

#define IRQ_TIMEOUT	300

#define VEC_BASE	0xe0
#define VEC_VTL1_TIMER	0xe0
#define VEC_VTL0_TIMER	0xe1
#define VEC_VTL0_IPI	0xe2
#define VEC_VTL1_IPI	0xe3
#define NR_VECS		4

#define SPIN_MAX	200000000ull
#define SPIN_MAX_EXITS	2000000ull	/* a loop that exits to KVM each time */

/* Local APIC timer registers (x2APIC MSR offsets; not in 6.1's apic.h). */
#define VSM_APIC_LVTT		0x320
#define VSM_APIC_TMICT		0x380
#define VSM_APIC_TDCR		0x3e0
#define VSM_APIC_IRR		0x200
#define VSM_RFLAGS_IF		BIT_ULL(9)

static inline u64 vsm_rflags(void)
{
	u64 f;

	asm volatile("pushf; pop %0" : "=r"(f));
	return f;
}

enum { CMD_NONE, CMD_ARM_TIMER, CMD_SPIN_ON_TIMER, CMD_IPI, CMD_RETURN_PENDING,
	CMD_RETURN_PENDING_EXIT, CMD_ARM_PERIODIC, CMD_STOP_TIMER };

/* VTL1 writes here to exit to userspace (KVM_EXIT_IO): no device there. */
#define VTL1_EXIT_PORT		0x5b

/* Per VTL, VP and vector: interrupts taken. Guest memory. */
static u64 g_cnt[2][VTL_MAX_VPS][NR_VECS];
static u64 g_reason[VTL_MAX_VPS][4];	/* VTL1 entries by reason */
static u64 g_cmd[VTL_MAX_VPS], g_arg[VTL_MAX_VPS];
static u64 g_seen_vtl0_in_vtl1[VTL_MAX_VPS];
static u64 g_ready[VTL_MAX_VPS];

/* Each VTL's FS base says which VTL and VP an interrupt came to. */
static void irq_handler(struct ex_regs *regs)
{
	u64 fs = rdmsr(MSR_FS_BASE);
	int vtl1 = fs >= VTL1_FS_BASE && fs < VTL1_FS_BASE + VTL_MAX_VPS;
	u64 vp = fs - (vtl1 ? VTL1_FS_BASE : VTL0_FS_BASE);

	if (vp < VTL_MAX_VPS)
		g_cnt[vtl1][vp][regs->vector - VEC_BASE]++;
	x2apic_write_reg(APIC_EOI, 0);
}

static void apic_setup(void)
{
	x2apic_enable();
	x2apic_write_reg(APIC_SPIV, APIC_SPIV_APIC_ENABLED | 0xff);
	x2apic_write_reg(VSM_APIC_TDCR, 0xb);	/* divide by 1 */
}

static void timer_arm(u8 vec, u32 count)
{
	x2apic_write_reg(VSM_APIC_LVTT, vec);	/* one-shot */
	x2apic_write_reg(VSM_APIC_TMICT, count);
}

#define VSM_APIC_LVT_TIMER_PERIODIC	BIT(17)

/* Each entry into VTL1 through vtl1_gate(). */
static void vtl1_gate_entry(u64 vp, u64 *regs)
{
	struct vp_assist *a = (void *)g_assist1_gva[vp];
	u32 reason = READ_ONCE(a->vtl_entry_reason);
	u64 before;

	g_reason[vp][reason & 3]++;
	if (reason == 2) {
		/* Our IF is clear (private): open a window for the interrupt. */
		asm volatile("sti; nop; nop; cli" ::: "memory");
	} else if (reason == 1) {
		switch (READ_ONCE(g_cmd[vp])) {
		case CMD_ARM_TIMER:
			timer_arm(VEC_VTL1_TIMER, g_arg[vp]);
			break;
		case CMD_ARM_PERIODIC:
			x2apic_write_reg(VSM_APIC_LVTT,
					 VEC_VTL1_TIMER | VSM_APIC_LVT_TIMER_PERIODIC);
			x2apic_write_reg(VSM_APIC_TMICT, g_arg[vp]);
			break;
		case CMD_STOP_TIMER:
			/* A tick still pending brings us back before VTL0 runs. */
			x2apic_write_reg(VSM_APIC_TMICT, 0);
			break;
		case CMD_SPIN_ON_TIMER:
			/* Run long enough for VTL0's timer to fire meanwhile. */
			before = READ_ONCE(g_cnt[1][vp][VEC_VTL1_TIMER - VEC_BASE]);
			timer_arm(VEC_VTL1_TIMER, g_arg[vp]);
			asm volatile("sti" ::: "memory");
			while (READ_ONCE(g_cnt[1][vp][VEC_VTL1_TIMER - VEC_BASE]) == before)
				asm volatile("pause" ::: "memory");
			asm volatile("cli" ::: "memory");
			g_seen_vtl0_in_vtl1[vp] =
				READ_ONCE(g_cnt[0][vp][VEC_VTL0_TIMER - VEC_BASE]);
			break;
		case CMD_IPI:
			x2apic_write_reg(APIC_ICR, g_arg[vp] << 32 | VEC_VTL1_IPI);
			break;
		case CMD_RETURN_PENDING:
		case CMD_RETURN_PENDING_EXIT:
			/* Return with our timer interrupt pending (IRR) and IF clear. */
			timer_arm(VEC_VTL1_TIMER, g_arg[vp]);
			while (!(x2apic_read_reg(VSM_APIC_IRR + 0x10 * (VEC_VTL1_TIMER / 32)) &
				 (1u << (VEC_VTL1_TIMER % 32))))
				asm volatile("pause" ::: "memory");
			/* The kick came while we ran; an exit to the VMM between. */
			if (g_cmd[vp] == CMD_RETURN_PENDING_EXIT)
				asm volatile("outb %%al, %w0" :: "Nd"(VTL1_EXIT_PORT), "a"(0));
			break;
		}
	}
	WRITE_ONCE(a->vtl_entry_reason, 0);
	a->vtl_ret_rax = regs[GATE_RAX];
	a->vtl_ret_rcx = regs[GATE_RCX];
}

static void vtl1_main(u64 vp)
{
	wrmsr(HV_X64_MSR_GUEST_OS_ID, HYPERV_LINUX_OS_ID);
	wrmsr(HV_X64_MSR_HYPERCALL, g_page1_gpa | 1);
	wrmsr(HV_X64_MSR_VP_ASSIST_PAGE_MSR, g_assist1_gpa[vp] | 1);
	wrmsr(MSR_FS_BASE, VTL1_FS_BASE + vp);
	apic_setup();
	vtl1_gate(vp, g_page1_gva, vtl1_gate_entry);
}

static void vtl1_main0(void) { vtl1_main(0); }
static void vtl1_main1(void) { vtl1_main(1); }

/* VtlCall with a command for VTL1's gate; VTL0's registers survive. */
static void vtl_cmd(u64 vp, u64 cmd, u64 arg)
{
	WRITE_ONCE(g_cmd[vp], cmd);
	WRITE_ONCE(g_arg[vp], arg);
	guest_hv_call(g_page0_gva, HVCALL_VTL_CALL, 0, 0);
}

static void vtl0_setup(u64 vp)
{
	guest_hv_enable(g_page0_gpa);
	wrmsr(MSR_FS_BASE, VTL0_FS_BASE + vp);
	apic_setup();
	vtl_cmd(vp, CMD_NONE, 0);	/* VTL1 sets itself up, returns */
}

static u64 spin_until(u64 *p, u64 want)
{
	u64 i;

	for (i = 0; i < SPIN_MAX && READ_ONCE(*p) < want; i++)
		asm volatile("" ::: "memory");
	return i;
}

static void timers_guest(u64 vp)
{
	u64 *vtl1_timer = &g_cnt[1][vp][VEC_VTL1_TIMER - VEC_BASE];
	u64 *vtl0_timer = &g_cnt[0][vp][VEC_VTL0_TIMER - VEC_BASE];
	u64 spins, checksum = 0, expect = 0, i, n;

	vtl0_setup(vp);
	GUEST_ASSERT_EQ(g_reason[vp][1], 0);	/* the first entry was vtl1_main */

	/*
	 * 1: IF clear in VTL0, VTL1's timer (1 ms) still preempts it. The
	 * loop also writes a Hyper-V MSR that KVM handles without an exit
	 * of its own: the preemption's exit must still stay in the kernel
	 * (it once reached the VMM as a bare KVM_EXIT_HYPERV).
	 */
	asm volatile("cli" ::: "memory");
	vtl_cmd(vp, CMD_ARM_TIMER, 1000000);
	for (i = 0; i < SPIN_MAX_EXITS && !READ_ONCE(*vtl1_timer); i++) {
		wrmsr(HV_X64_MSR_GUEST_OS_ID, HYPERV_LINUX_OS_ID);
		checksum += i ^ (checksum << 1);	/* live registers */
	}
	GUEST_ASSERT(i < SPIN_MAX_EXITS);
	GUEST_ASSERT_EQ(*vtl1_timer, 1);
	GUEST_ASSERT_EQ(g_reason[vp][2], 1);
	GUEST_ASSERT(!(vsm_rflags() & VSM_RFLAGS_IF));
	/* The preempted loop's registers came back: recompute its sum. */
	n = i;
	for (i = 0; i < n; i++)
		expect += i ^ (expect << 1);
	GUEST_ASSERT_EQ(expect, checksum);
	GUEST_ASSERT_EQ(g_cnt[0][vp][VEC_VTL1_TIMER - VEC_BASE], 0);

	/*
	 * 2: VTL0's timer fires while VTL1 runs (VTL1 spins 5 ms on its
	 * own timer): not taken by VTL1, taken by VTL0 once it returned and
	 * opened IF.
	 */
	timer_arm(VEC_VTL0_TIMER, 1000);
	vtl_cmd(vp, CMD_SPIN_ON_TIMER, 5000000);
	GUEST_ASSERT_EQ(*vtl1_timer, 2);
	GUEST_ASSERT_EQ(g_seen_vtl0_in_vtl1[vp], 0);
	GUEST_ASSERT_EQ(g_cnt[1][vp][VEC_VTL0_TIMER - VEC_BASE], 0);
	asm volatile("sti; nop; nop" ::: "memory");
	spins = spin_until(vtl0_timer, 1);
	GUEST_ASSERT(spins < SPIN_MAX);
	GUEST_ASSERT_EQ(*vtl0_timer, 1);

	/*
	 * 3: halted with IF clear, only VTL1's interrupt can end the HLT.
	 * Its timer is periodic: a tick may come before VTL0 reaches the
	 * HLT (it is taken by VTL1 on the way, and nothing would wake VTL0
	 * after it), the next one ends the HLT.
	 */
	asm volatile("cli" ::: "memory");
	vtl_cmd(vp, CMD_ARM_PERIODIC, 1000000);
	asm volatile("hlt" ::: "memory");
	vtl_cmd(vp, CMD_STOP_TIMER, 0);
	GUEST_ASSERT(*vtl1_timer >= 3);
	GUEST_ASSERT(g_reason[vp][2] >= 2);	/* test 2's was taken inside */
	GUEST_ASSERT_EQ(g_cnt[1][vp][VEC_VTL0_TIMER - VEC_BASE], 0);

	/*
	 * 4: VTL1 returns with its interrupt pending (its IF was clear):
	 * it comes straight back (entry reason 2) before VTL0 goes on.
	 */
	n = *vtl1_timer;
	i = g_reason[vp][2];
	vtl_cmd(vp, CMD_RETURN_PENDING, 1000);
	GUEST_ASSERT_EQ(*vtl1_timer, n + 1);
	GUEST_ASSERT_EQ(g_reason[vp][2], i + 1);
	GUEST_DONE();
}

/*
 * 5: as 4, but VTL1 exits to userspace (KVM_VSM_RUN_VP returns and is
 * called again) between its timer's kick and its return: it still comes
 * straight back, before VTL0 runs again. Bounded, so a lost kick fails
 * instead of hanging.
 */
static void exit_guest(u64 vp)
{
	u64 *vtl1_timer = &g_cnt[1][vp][VEC_VTL1_TIMER - VEC_BASE];
	u64 k;

	vtl0_setup(vp);
	asm volatile("cli" ::: "memory");
	for (k = 1; k <= 3; k++) {
		vtl_cmd(vp, CMD_RETURN_PENDING_EXIT, 1000);
		/* Before VTL0 runs again: not even one spin. */
		GUEST_ASSERT_EQ(spin_until(vtl1_timer, k), 0);
		GUEST_ASSERT_EQ(*vtl1_timer, k);
		GUEST_ASSERT_EQ(g_reason[vp][2], k);
	}
	GUEST_DONE();
}

/* One VP; VTL1 starts in vtl1_main0(); both timer vectors handled. */
static void timers_pair_create(struct vtl_pair *p, void *guest)
{
	vtl_pair_create(p, guest, 0, VTL1_HOST_ENABLED);
	vm_install_exception_handler(p->vm[0], VEC_VTL1_TIMER, irq_handler);
	vm_install_exception_handler(p->vm[0], VEC_VTL0_TIMER, irq_handler);
	vtl1_set_rip(p, 0, vtl1_main0);
}

FIXTURE(vtl_irq) {};
FIXTURE_SETUP(vtl_irq) {}
FIXTURE_TEARDOWN(vtl_irq) {}

TEST_F_TIMEOUT(vtl_irq, timers_preempt_wait_and_wake, IRQ_TIMEOUT)
{
	struct vp_runner r = {};
	struct vtl_pair p;

	timers_pair_create(&p, timers_guest);
	r.p = &p;
	run_vp_thread(&r);
	if (r.result == -1)
		REPORT_GUEST_ASSERT(r.uc);
	EXPECT_EQ(0, r.result);
	vtl_pair_destroy(&p);
}

/*
 * The same guest in userspace mode: every VTL event, interrupts included,
 * reaches the VMM as an exit and a ring record, and libkvmvsm switches.
 */
TEST_F_TIMEOUT(vtl_irq, timers_userspace_mode, IRQ_TIMEOUT)
{
	struct vtl_user_switches sw = {};
	struct kvmvsm_ring ring;
	struct vtl_pair p;

	timers_pair_create(&p, timers_guest);
	ASSERT_EQ(0, kvmvsm_set_run_mode(p.part, KVM_VSM_RUN_MODE_USERSPACE));
	ASSERT_EQ(0, kvmvsm_ring_map(p.part, &ring));
	ASSERT_EQ(UCALL_DONE, vtl_run_vp0(&p, &ring, &sw));
	/*
	 * Tests 1, 3 and 4 of the guest; test 2's interrupt stayed in VTL1.
	 * Test 3's periodic timer may add ticks that land before the HLT.
	 */
	EXPECT_LE(3, sw.irqs);
	EXPECT_EQ(NULL, kvmvsm_ring_peek(&ring));
	kvmvsm_ring_unmap(&ring);
	vtl_pair_destroy(&p);
}

TEST_F_TIMEOUT(vtl_irq, kick_survives_exit_to_userspace, IRQ_TIMEOUT)
{
	struct kvm_run *run;
	struct vtl_pair p;
	struct ucall uc;
	int exits = 0;
	u32 vtl;

	timers_pair_create(&p, exit_guest);
	for (;;) {
		ASSERT_EQ(0, kvmvsm_run_vp(p.part, 0, &vtl));
		run = p.vp[vtl][0]->run;
		if (vtl == 1) {
			ASSERT_EQ(KVM_EXIT_IO, run->exit_reason);
			ASSERT_EQ(VTL1_EXIT_PORT, run->io.port);
			exits++;
			continue;
		}
		if (get_ucall(p.vp[0][0], &uc) == UCALL_ABORT)
			REPORT_GUEST_ASSERT(uc);
		break;
	}
	EXPECT_EQ(UCALL_DONE, uc.cmd);
	EXPECT_EQ(3, exits);
	vtl_pair_destroy(&p);
}

/*
 * VP1 waits in VTL0 with IF set. VP0's VTL0 sends it a VTL0 IPI, then
 * VP0's VTL1 sends VP1 a VTL1 IPI: each arrives in its own VTL only, the
 * VTL1 one by preempting VP1's VTL0.
 */
static void ipi_guest(u64 vp)
{
	vtl0_setup(vp);
	if (vp == 1) {
		asm volatile("sti" ::: "memory");
		WRITE_ONCE(g_ready[1], 1);
		GUEST_ASSERT(spin_until(&g_cnt[0][1][VEC_VTL0_IPI - VEC_BASE], 1) < SPIN_MAX);
		GUEST_ASSERT(spin_until(&g_cnt[1][1][VEC_VTL1_IPI - VEC_BASE], 1) < SPIN_MAX);
		GUEST_ASSERT_EQ(g_reason[1][2], 1);
		GUEST_ASSERT_EQ(g_cnt[1][1][VEC_VTL0_IPI - VEC_BASE], 0);
		GUEST_ASSERT_EQ(g_cnt[0][1][VEC_VTL1_IPI - VEC_BASE], 0);
		GUEST_DONE();
	}
	GUEST_ASSERT(spin_until(&g_ready[1], 1) < SPIN_MAX);
	x2apic_write_reg(APIC_ICR, 1ull << 32 | VEC_VTL0_IPI);
	vtl_cmd(0, CMD_IPI, 1);
	GUEST_ASSERT_EQ(g_cnt[0][0][VEC_VTL0_IPI - VEC_BASE], 0);
	GUEST_ASSERT_EQ(g_cnt[1][0][VEC_VTL1_IPI - VEC_BASE], 0);
	GUEST_DONE();
}

TEST_F_TIMEOUT(vtl_irq, ipis_stay_in_their_vtl, IRQ_TIMEOUT)
{
	void (*entry[2])(void) = { vtl1_main0, vtl1_main1 };
	struct vp_runner r[2] = {};
	struct vtl_pair p;
	int i;

	vtl_pair_create_vps(&p, ipi_guest, 0, VTL1_HOST_ENABLED, 2);
	vm_install_exception_handler(p.vm[0], VEC_VTL0_IPI, irq_handler);
	vm_install_exception_handler(p.vm[0], VEC_VTL1_IPI, irq_handler);
	for (i = 0; i < 2; i++)
		vtl1_set_rip(&p, i, entry[i]);
	vtl_run_vps(&p, r, 2);
	for (i = 0; i < 2; i++)
		EXPECT_EQ(0, r[i].result) TH_LOG("VP %d", i);
	vtl_pair_destroy(&p);
}

/*
 * 6: a VMM that runs VTL0 with plain KVM_RUN for a while (it then gets no
 * VTL semantics) gets no exit it did not ask for when VTL1's timer fires
 * meanwhile; back under KVM_VSM_RUN_VP, VTL1 takes its interrupt first.
 */
static void plain_run_guest(u64 vp)
{
	u64 *vtl1_timer = &g_cnt[1][vp][VEC_VTL1_TIMER - VEC_BASE];
	u32 irr = VSM_APIC_IRR + 0x10 * (VEC_VTL0_TIMER / 32);

	vtl0_setup(vp);
	asm volatile("cli" ::: "memory");
	vtl_cmd(vp, CMD_ARM_TIMER, 100000000);	/* VTL1's timer: 100 ms */
	GUEST_SYNC(1);				/* the VMM: plain KVM_RUN now */
	/* Our own timer as a clock: 400 ms, polled in the IRR (IF clear). */
	timer_arm(VEC_VTL0_TIMER, 400000000);
	while (!(x2apic_read_reg(irr) & (1u << (VEC_VTL0_TIMER % 32))))
		asm volatile("pause" ::: "memory");
	GUEST_ASSERT_EQ(*vtl1_timer, 0);	/* nothing switched meanwhile */
	GUEST_SYNC(2);				/* the VMM: KVM_VSM_RUN_VP again */
	GUEST_ASSERT_EQ(spin_until(vtl1_timer, 1), 0);
	GUEST_ASSERT_EQ(g_reason[vp][2], 1);
	asm volatile("sti; nop; nop" ::: "memory");
	GUEST_ASSERT(spin_until(&g_cnt[0][vp][VEC_VTL0_TIMER - VEC_BASE], 1) < SPIN_MAX);
	GUEST_DONE();
}

TEST_F_TIMEOUT(vtl_irq, plain_kvm_run_gets_no_foreign_exit, IRQ_TIMEOUT)
{
	struct kvm_run *run;
	struct vtl_pair p;
	struct ucall uc;
	u32 vtl;

	timers_pair_create(&p, plain_run_guest);
	run = p.vp[0][0]->run;
	ASSERT_EQ(0, kvmvsm_run_vp(p.part, 0, &vtl));
	ASSERT_EQ(0, vtl);
	ASSERT_EQ(UCALL_SYNC, get_ucall(p.vp[0][0], &uc));
	ASSERT_EQ(1, uc.args[1]);

	vcpu_run(p.vp[0][0]);
	EXPECT_EQ(KVM_EXIT_IO, run->exit_reason)
		TH_LOG("exit %u (Hyper-V type %#x)", run->exit_reason,
		       run->exit_reason == KVM_EXIT_HYPERV ? run->hyperv.type : 0);
	if (run->exit_reason != KVM_EXIT_IO)
		vcpu_run(p.vp[0][0]);	/* the guest's own exit after it */
	ASSERT_EQ(UCALL_SYNC, get_ucall(p.vp[0][0], &uc));
	ASSERT_EQ(2, uc.args[1]);

	ASSERT_EQ(0, kvmvsm_run_vp(p.part, 0, &vtl));
	ASSERT_EQ(0, vtl);
	if (get_ucall(p.vp[0][0], &uc) == UCALL_ABORT)
		REPORT_GUEST_ASSERT(uc);
	EXPECT_EQ(UCALL_DONE, uc.cmd);
	vtl_pair_destroy(&p);
}

/*
 * 7: a VP whose VTL0 waits for its SIPI (INIT_RECEIVED) while VTL1 of
 * that VP gets an IPI: its KVM_VSM_RUN_VP keeps waiting, without spinning
 * (the VTL1 interrupt waits for VTL0's start). Measured as the CPU time of
 * the thread in KVM_VSM_RUN_VP over one second.
 */
static void init_guest(u64 vp)
{
	vtl0_setup(vp);
	if (vp == 1)
		GUEST_DONE();	/* VTL1 of VP1 set up; the VMM parks VTL0 */
	vtl_cmd(0, CMD_IPI, 1);	/* VP0's VTL1 -> VP1's VTL1 */
	GUEST_DONE();
}

static void sig_noop(int sig)
{
}

struct parked {
	int part;
	int r;
	pthread_t tid;
};

static void *run_parked(void *arg)
{
	struct parked *k = arg;

	k->r = kvmvsm_run_vp(k->part, 1, NULL);
	return NULL;
}

TEST_F_TIMEOUT(vtl_irq, init_received_vp_does_not_spin, IRQ_TIMEOUT)
{
	void (*entry[2])(void) = { vtl1_main0, vtl1_main1 };
	struct kvm_mp_state init = { .mp_state = KVM_MP_STATE_INIT_RECEIVED };
	struct sigaction sa = { .sa_handler = sig_noop };
	struct vp_runner r[2] = {};
	struct timespec t0, t1;
	struct parked k = {};
	struct vtl_pair p;
	clockid_t clk;
	double busy;
	int i;

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	vtl_pair_create_vps(&p, init_guest, 0, VTL1_HOST_ENABLED, 2);
	vm_install_exception_handler(p.vm[0], VEC_VTL1_IPI, irq_handler);
	for (i = 0; i < 2; i++) {
		vtl1_set_rip(&p, i, entry[i]);
		r[i].p = &p;
		r[i].vp = i;
	}
	/* VP1: VTL1 sets itself up, then VTL0 is parked waiting for a SIPI. */
	run_vp_thread(&r[1]);
	ASSERT_EQ(0, r[1].result);
	vcpu_mp_state_set(p.vp[0][1], &init);
	k.part = p.part;
	ASSERT_EQ(0, pthread_create(&k.tid, NULL, run_parked, &k));
	usleep(200000);

	/* VP0's VTL1 sends VP1's VTL1 an IPI: VP1's VTL0 is kicked. */
	run_vp_thread(&r[0]);
	if (r[0].result == -1)
		REPORT_GUEST_ASSERT(r[0].uc);
	ASSERT_EQ(0, r[0].result);

	ASSERT_EQ(0, pthread_getcpuclockid(k.tid, &clk));
	clock_gettime(clk, &t0);
	usleep(1000000);
	clock_gettime(clk, &t1);
	busy = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	TH_LOG("KVM_VSM_RUN_VP of the parked VP: %.3f s of CPU in 1 s", busy);
	EXPECT_GT(0.2, busy);

	pthread_kill(k.tid, SIGUSR1);
	pthread_join(k.tid, NULL);
	EXPECT_EQ(-EINTR, k.r);
	vtl_pair_destroy(&p);
}

TEST_HARNESS_MAIN
