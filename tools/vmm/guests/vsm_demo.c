// SPDX-License-Identifier: GPL-2.0
/*
 * vsm_demo: two Virtual Trust Levels in one small guest, told as it
 * happens. VTL0 (this test's main) enables VTL1, calls into it a few
 * times through the hypercall page, lets VTL1 read one of its registers
 * (a record kvm-vsm leaves to the VMM), then writes a page VTL1 has made
 * read-only: the module stops the write and enters VTL1 with the
 * intercept, VTL1 lifts the protection, and VTL0's write goes through.
 *
 *   kvm-vsm-run --vtls 2 vsm_demo.flat [-- no-intercept]
 *
 * "no-intercept" leaves the intercept out (kvm-vsm-run --run-mode user
 * cannot deliver one to VTL1).
 */
#include "vsm_guest.h"

#define PAGE __aligned(4096)
static u8 hcpage0[4096] PAGE, in0[4096] PAGE, out0[4096] PAGE;
static u8 hcpage1[4096] PAGE, in1[4096] PAGE, out1[4096] PAGE;
static u8 assist1[4096] PAGE, simp1[4096] PAGE;	/* VTL1's own pages */
static u8 secret[4096] PAGE;			/* the page VTL1 guards */
static u8 vtl1_stack[16384] __aligned(16);

/* Entry offsets in the hypercall page, from HvRegisterVsmCodePageOffsets. */
void *vtl1_return_entry;
static u32 call_off;

/* VTL0 -> VTL1 requests, and VTL1's answers. */
enum { REQ_HELLO = 1, REQ_READ_CR3, REQ_PROTECT };
static int req, round_trips;	/* plain: a VTL switch clobbers memory */
static u64 vtl0_cr3_seen, vtl1_status, intercept_gpa;
static u32 intercept_access;

/*
 * VTL1's way out and back in. The GPRs are the VP's, shared: entered by
 * an intercept, VTL1 holds VTL0's registers from the middle of whatever
 * VTL0 was doing, and must give every one back. So VTL1 keeps them in
 * vtl0_gprs from the moment it is entered, and a VtlReturn loads them
 * again — RAX and RCX through the VP assist page (a normal, not fast,
 * VtlReturn restores those two from vtl_ret_x64rax/rcx; RCX itself
 * carries the return's flags).
 */
u64 vtl0_gprs[16];	/* rax rcx rdx rbx - rbp rsi rdi r8..r15 */
u64 vtl1_return_flags;

#define SAVE_VTL0_GPRS						\
	"mov %rax, vtl0_gprs+0(%rip)\n"				\
	"mov %rcx, vtl0_gprs+8(%rip)\n"				\
	"mov %rdx, vtl0_gprs+16(%rip)\n"			\
	"mov %rbx, vtl0_gprs+24(%rip)\n"			\
	"mov %rbp, vtl0_gprs+40(%rip)\n"			\
	"mov %rsi, vtl0_gprs+48(%rip)\n"			\
	"mov %rdi, vtl0_gprs+56(%rip)\n"			\
	"mov %r8, vtl0_gprs+64(%rip)\n"				\
	"mov %r9, vtl0_gprs+72(%rip)\n"				\
	"mov %r10, vtl0_gprs+80(%rip)\n"			\
	"mov %r11, vtl0_gprs+88(%rip)\n"			\
	"mov %r12, vtl0_gprs+96(%rip)\n"			\
	"mov %r13, vtl0_gprs+104(%rip)\n"			\
	"mov %r14, vtl0_gprs+112(%rip)\n"			\
	"mov %r15, vtl0_gprs+120(%rip)\n"

asm(".globl vtl1_entry\n"
	"vtl1_entry:\n"
	SAVE_VTL0_GPRS
	"	call vtl1_main\n"
	"1:	hlt\n"
	"	jmp 1b\n"
	".globl vtl1_switch_back\n"
	"vtl1_switch_back:\n"
	"	push %rbp; push %rbx; push %r12; push %r13; push %r14; push %r15\n"
	"	mov vtl0_gprs+16(%rip), %rdx\n"
	"	mov vtl0_gprs+24(%rip), %rbx\n"
	"	mov vtl0_gprs+40(%rip), %rbp\n"
	"	mov vtl0_gprs+48(%rip), %rsi\n"
	"	mov vtl0_gprs+56(%rip), %rdi\n"
	"	mov vtl0_gprs+64(%rip), %r8\n"
	"	mov vtl0_gprs+72(%rip), %r9\n"
	"	mov vtl0_gprs+80(%rip), %r10\n"
	"	mov vtl0_gprs+88(%rip), %r11\n"
	"	mov vtl0_gprs+96(%rip), %r12\n"
	"	mov vtl0_gprs+104(%rip), %r13\n"
	"	mov vtl0_gprs+112(%rip), %r14\n"
	"	mov vtl0_gprs+120(%rip), %r15\n"
	"	mov vtl1_return_flags(%rip), %rcx\n"
	"	call *vtl1_return_entry(%rip)\n"
	SAVE_VTL0_GPRS
	"	pop %r15; pop %r14; pop %r13; pop %r12; pop %rbx; pop %rbp\n"
	"	ret\n");

/* VtlReturn; @fast: RAX/RCX stay as VTL1 leaves them. */
static void vtl1_return(bool fast, u64 rax)
{
	struct hv_vp_assist *a = (void *)assist1;

	if (!fast) {
		a->vtl_ret_rax = rax;
		a->vtl_ret_rcx = vtl0_gprs[1];
	}
	vtl1_return_flags = fast;
	vtl1_switch_back();
}

static const char *reason_name(u32 r)
{
	return r == VTL_ENTRY_CALL ? "VtlCall" :
	       r == VTL_ENTRY_INTERRUPT ? "interrupt" :
	       r == VTL_ENTRY_INTERCEPT ? "intercept" : "unknown";
}

/* Entry reason 3: the message in SINT0's slot says what VTL0 did. */
static void vtl1_intercept(void)
{
	struct hv_intercept_msg *m = (void *)simp1;
	static const char *const access[] = { "read", "write", "execute" };

	intercept_gpa = m->gpa;
	intercept_access = m->access;
	printf("VTL1: intercept: VTL0 %s of GPA %#lx at RIP %#lx (message type %#x)\n",
	       m->access < 3 ? access[m->access] : "access", m->gpa, m->rip,
	       m->type);
	printf("VTL1: lifting the protection and returning to VTL0\n");
	vtl1_status = protect(hcpage1, in1, m->gpa >> 12, PROT_ALL);
	m->type = 0;			/* free the slot for the next one */
	wrmsr(HV_X64_MSR_EOM, 0);
}

void vtl1_main(void)
{
	struct hv_vp_assist *a = (void *)assist1;
	u32 reason = VTL_ENTRY_CALL;	/* the first entry is our VtlCall */
	u64 v;

	/* VTL1's own hypercall page, VP assist page and SynIC. */
	wrmsr(HV_X64_MSR_GUEST_OS_ID, GUEST_OS_ID_OPEN_SOURCE);
	wrmsr(HV_X64_MSR_HYPERCALL, (u64)hcpage1 | HV_X64_MSR_HYPERCALL_ENABLE);
	wrmsr(HV_X64_MSR_VP_ASSIST, (u64)assist1 | 1);
	wrmsr(HV_X64_MSR_SIMP, (u64)simp1 | HV_SYNIC_SIMP_ENABLE);
	wrmsr(HV_X64_MSR_SCONTROL, HV_SYNIC_CONTROL_ENABLE);

	for (;;) {
		if (reason == VTL_ENTRY_INTERCEPT) {
			vtl1_intercept();
			vtl1_return(false, vtl0_gprs[0]); /* all of VTL0's back */
		} else if (req == REQ_HELLO) {
			round_trips++;
			printf("VTL1: hello from VTL1 (entry reason: %s), round trip %d\n",
			       reason_name(reason), round_trips);
			/* Odd trips return fast, even ones hand RAX back. */
			vtl1_return(round_trips & 1, 0x1000 + round_trips);
		} else if (req == REQ_READ_CR3) {
			vtl1_status = get_reg(hcpage1, in1, out1,
					      HV_INPUT_VTL(0), REG_CR3, &v);
			vtl0_cr3_seen = v;
			printf("VTL1: VTL0's CR3 is %#lx (%s)\n", v,
			       "HvCallGetVpRegisters, answered by the VMM");
			vtl1_return(true, 0);
		} else if (req == REQ_PROTECT) {
			printf("VTL1: protecting GPA %#lx from VTL0 writes (%s)\n",
			       (u64)secret, "HvCallModifyVtlProtectionMask");
			vtl1_status = set_reg(hcpage1, in1, 0,
					      REG_VSM_PARTITION_CONFIG, 0x1f);
			if (!STATUS(vtl1_status))
				vtl1_status = protect(hcpage1, in1,
						      (u64)secret >> 12,
						      PROT_READ);
			vtl1_return(true, 0);
		} else {
			vtl1_return(true, 0);
		}
		reason = a->vtl_entry_reason;
	}
}

static u64 vtl_call(int what)
{
	req = what;
	return vtl_switch(hcpage0 + call_off, 0);
}

int main(int ac, char **av)
{
	bool intercept = !(ac > 1 && !strcmp(av[1], "no-intercept"));
	u64 r, offsets, status, rax;
	int i;

	printf("VTL0: hello from VTL0, the normal world\n");
	wrmsr(HV_X64_MSR_GUEST_OS_ID, GUEST_OS_ID_OPEN_SOURCE);
	wrmsr(HV_X64_MSR_HYPERCALL, (u64)hcpage0 | HV_X64_MSR_HYPERCALL_ENABLE);

	r = get_reg(hcpage0, in0, out0, 0, REG_VSM_CODE_PAGE_OFFSETS, &offsets);
	if (STATUS(r) || !offsets) {
		report_skip("no VSM here (status %#lx): run under kvm-vsm-run --vtls 2",
			    r);
		return report_summary();
	}
	call_off = offsets & 0xfff;
	vtl1_return_entry = hcpage1 + (offsets >> 12 & 0xfff);
	printf("VTL0: the hypercall page has VtlCall at +%#x and VtlReturn at +%#lx\n",
	       call_off, offsets >> 12 & 0xfff);
	get_reg(hcpage0, in0, out0, 0, REG_VSM_PARTITION_STATUS, &status);
	printf("VTL0: VSM partition status: enabled VTLs %#lx, highest VTL %lu\n",
	       status & 0xffff, status >> 16 & 0xf);

	printf("VTL0: enabling VTL1 for the partition and for VP 0\n");
	r = enable_vtl1(hcpage0, in0, vtl1_entry,
			vtl1_stack + sizeof(vtl1_stack));
	report(!STATUS(r), "VTL1 enabled (status %#lx)", r);
	if (STATUS(r))
		return report_summary();

	for (i = 1; i <= 3; i++) {
		printf("VTL0: VtlCall %d\n", i);
		rax = vtl_call(REQ_HELLO);
		if (i & 1)
			printf("VTL0: back in VTL0 (fast VtlReturn)\n");
		else
			printf("VTL0: back in VTL0 (VtlReturn, RAX %#lx %s)\n",
			       rax, "from VTL1's VP assist page");
		if (!(i & 1))
			report(rax == 0x1000u + i, "normal VtlReturn hands RAX back");
	}
	report(round_trips == 3, "3 round trips to VTL1 and back");

	printf("VTL0: asking VTL1 to read VTL0's CR3\n");
	vtl_call(REQ_READ_CR3);
	report(!STATUS(vtl1_status) && vtl0_cr3_seen == read_cr3(),
	       "VTL1 read VTL0's CR3 through the VMM");

	if (intercept) {
		secret[0] = 1;
		printf("VTL0: asking VTL1 to guard a page of VTL0's memory\n");
		vtl_call(REQ_PROTECT);
		report(!STATUS(vtl1_status), "VTL1 protected the page (status %#lx)",
		       vtl1_status);
		printf("VTL0: writing to GPA %#lx, which VTL1 made read-only\n",
		       (u64)secret);
		WRITE_ONCE(secret[0], 0x42);	/* VTL1 runs inside this write */
		printf("VTL0: the write went through after VTL1 %s (value %#x)\n",
		       "lifted the protection", READ_ONCE(secret[0]));
		report(READ_ONCE(secret[0]) == 0x42 &&
		       READ_ONCE(intercept_gpa) == (u64)secret &&
		       READ_ONCE(intercept_access) == 1 &&
		       !STATUS(READ_ONCE(vtl1_status)),
		       "VTL1 took the intercept of VTL0's write and let it go on");
	}
	printf("VTL0: done\n");
	return report_summary();
}
