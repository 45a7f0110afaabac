// SPDX-License-Identifier: GPL-2.0
/*
 * vp_registers: HvCallGetVpRegisters / HvCallSetVpRegisters of
 * architectural registers, which kvm-vsm leaves to the VMM and
 * kvm-vsm-run answers (docs/api.md "Writing a VMM"), from guest code:
 * VTL1 reads and writes VTL0's registers of the same VP, and every bad
 * input gets its Hyper-V status. Run with --vtls 2 (kernel or user mode).
 *
 * Both VTLs run this image on the boot page tables (identity map). GPRs
 * are shared between VTLs, RSP is not: a switch keeps our registers on
 * our own stack.
 */
#include "vsm_guest.h"

#define MSR_SYSENTER_ESP	0x175
#define MSR_KERNEL_GS_BASE	0xc0000102

#define PAGE __aligned(4096)
static u8 hcpage0[4096] PAGE, hcpage1[4096] PAGE;
static u8 in0[4096] PAGE, out0[4096] PAGE;	/* VTL0's hypercall pages */
static u8 in1[4096] PAGE, out1[4096] PAGE;	/* VTL1's */
static u8 ro_page[4096] PAGE, na_page[4096] PAGE; /* VTL1 protects these */
static u8 vtl1_stack[16384] __aligned(16);
static u32 call_off, return_off;

/* What VTL0 asks of VTL1 on each VtlCall, and what VTL1 found. */
enum { CMD_GET_SET = 1, CMD_PROTECT };
static int cmd;	/* READ_ONCE/WRITE_ONCE: the other VTL writes it */
static u64 got[8], st[16];

static u64 get1(u8 *page, u8 *in, u8 *out, u8 vtl, u32 name)
{
	return vp_regs(page, HVCALL_GET_VP_REGISTERS, in, out, HV_VP_SELF,
			 vtl, &name, NULL, 1);
}

/* VTL1's side of CMD_GET_SET: VTL0's registers of this VP. */
static void vtl1_get_set(void)
{
	static const u32 names[] = { REG_CR3, REG_KERNEL_GS_BASE,
				     REG_SYSENTER_ESP, REG_EFER };
	static const u32 bad_second[] = { REG_CR3, 0x00021234 };
	static const u32 set_names[] = { REG_KERNEL_GS_BASE, REG_SYSENTER_ESP };
	static const u64 set_vals[] = { 0x00002abbccddeef0ull, 0x5a5a5000 };
	struct hv_vp_regs_hdr *h = (void *)in1;
	int i;

	st[0] = vp_regs(hcpage1, HVCALL_GET_VP_REGISTERS, in1, out1,
			HV_VP_SELF, HV_INPUT_VTL(0), names, NULL, 4);
	for (i = 0; i < 4; i++)
		got[i] = ((u64 *)out1)[2 * i];
	st[1] = get1(hcpage1, in1, out1, HV_INPUT_VTL(0), REG_GDTR);
	got[4] = ((struct hv_table *)out1)->base;
	got[5] = ((struct hv_table *)out1)->limit;
	st[2] = get1(hcpage1, in1, out1, HV_INPUT_VTL(0), REG_CS);
	got[6] = ((struct hv_segment *)out1)->selector |
		 (u64)((struct hv_segment *)out1)->attributes << 16;

	/* Bad inputs, each with its Hyper-V status. */
	st[3] = hypercall(hcpage1, HVCALL_GET_VP_REGISTERS | HC_REP(1),
			  in1 + 4, out1);			/* misaligned */
	get1(hcpage1, in1, out1, HV_INPUT_VTL(0), REG_CR3);
	h->partition_id = 5;
	st[4] = hypercall(hcpage1, HVCALL_GET_VP_REGISTERS | HC_REP(1),
			  in1, out1);				/* partition */
	st[5] = vp_regs(hcpage1, HVCALL_GET_VP_REGISTERS, in1, out1, 7,
			HV_INPUT_VTL(0), names, NULL, 1);	/* no VP 7 */
	st[6] = get1(hcpage1, in1, out1, 0x20 | HV_INPUT_VTL(0), REG_CR3);
	st[7] = get1(hcpage1, in1, out1, HV_INPUT_VTL(0), 0x00021234);
	st[8] = vp_regs(hcpage1, HVCALL_GET_VP_REGISTERS, in1, out1,
			HV_VP_SELF, HV_INPUT_VTL(0), bad_second, NULL, 2);
	st[9] = get1(hcpage1, in1, out1, HV_INPUT_VTL(5), REG_CR3);

	/* Writes: VTL0's MSRs, then our own (refused: we are mid-call). */
	st[10] = vp_regs(hcpage1, HVCALL_SET_VP_REGISTERS, in1, NULL,
			 HV_VP_SELF, HV_INPUT_VTL(0), set_names, set_vals, 2);
	st[11] = vp_regs(hcpage1, HVCALL_SET_VP_REGISTERS, in1, NULL,
			 HV_VP_SELF, 0, set_names, set_vals, 1);
}

/* VTL1's side of CMD_PROTECT: ro_page read-only, na_page no access. */
static void vtl1_protect(void)
{
	/* Protections of our own need EnableVtlProtection (default: all). */
	st[14] = set_reg(hcpage1, in1, 0, REG_VSM_PARTITION_CONFIG, 0x1f);
	st[12] = protect(hcpage1, in1, (u64)ro_page >> 12, PROT_READ);
	st[13] = protect(hcpage1, in1, (u64)na_page >> 12, 0);
}

/* VTL1: entered by VtlCall, leaves by a fast VtlReturn, forever. */
void vtl1_main(void)
{
	wrmsr(HV_X64_MSR_GUEST_OS_ID, GUEST_OS_ID_OPEN_SOURCE);
	wrmsr(HV_X64_MSR_HYPERCALL, (u64)hcpage1 | HV_X64_MSR_HYPERCALL_ENABLE);
	for (;;) {
		if (READ_ONCE(cmd) == CMD_GET_SET)
			vtl1_get_set();
		else if (READ_ONCE(cmd) == CMD_PROTECT)
			vtl1_protect();
		vtl_switch(hcpage1 + return_off, 1);
	}
}

asm(".globl vtl1_entry\n"
	"vtl1_entry:\n"
	"	call vtl1_main\n"
	"1:	hlt\n"
	"	jmp 1b\n");

int main(int ac, char **av)
{
	struct descriptor_table_ptr gdt;
	u64 r, offsets;

	wrmsr(HV_X64_MSR_GUEST_OS_ID, GUEST_OS_ID_OPEN_SOURCE);
	wrmsr(HV_X64_MSR_HYPERCALL, (u64)hcpage0 | HV_X64_MSR_HYPERCALL_ENABLE);

	r = get1(hcpage0, in0, out0, 0, REG_VSM_CODE_PAGE_OFFSETS);
	offsets = *(u64 *)out0;
	if (STATUS(r) || !offsets) {
		report_skip("no VSM (status %#lx): run under kvm-vsm-run --vtls 2",
			    r);
		return report_summary();
	}
	call_off = offsets & 0xfff;
	return_off = offsets >> 12 & 0xfff;
	r = enable_vtl1(hcpage0, in0, vtl1_entry,
			vtl1_stack + sizeof(vtl1_stack));
	report(STATUS(r) == ST_SUCCESS, "VTL1 enabled for the partition and VP 0");

	/* Values VTL1 will read from VTL0 through the VMM. */
	wrmsr(MSR_KERNEL_GS_BASE, 0x0000112233445560ull);
	wrmsr(MSR_SYSENTER_ESP, 0x00c0ffee);
	WRITE_ONCE(cmd, CMD_GET_SET);
	vtl_switch(hcpage0 + call_off, 0);

	sgdt(&gdt);
	report(st[0] == (ST_SUCCESS | HC_REP(4)) && got[0] == read_cr3() &&
	       got[1] == 0x0000112233445560ull && got[2] == 0x00c0ffee &&
	       got[3] == rdmsr(MSR_EFER),
	       "VTL1 reads VTL0's CR3, KernelGsBase, SysenterEsp, EFER (status %#lx)",
	       st[0]);
	report(STATUS(st[1]) == ST_SUCCESS && got[4] == gdt.base && got[5] == gdt.limit,
	       "VTL1 reads VTL0's GDTR");
	report(STATUS(st[2]) == ST_SUCCESS && (got[6] & 0xffff) == read_cs() &&
	       (got[6] >> 16 & 0xa09b) == 0xa09b,
	       "VTL1 reads VTL0's CS (selector %#lx, attributes %#lx)",
	       got[6] & 0xffff, got[6] >> 16);
	report(STATUS(st[3]) == ST_INVALID_ALIGNMENT, "misaligned input: status %#lx",
	       st[3]);
	report(STATUS(st[4]) == ST_INVALID_PARTITION, "other partition: status %#lx",
	       st[4]);
	report(STATUS(st[5]) == ST_INVALID_VP_INDEX, "no such VP: status %#lx", st[5]);
	report(STATUS(st[6]) == ST_INVALID_PARAMETER,
	       "reserved bits in the input VTL: status %#lx", st[6]);
	report(STATUS(st[7]) == ST_INVALID_PARAMETER, "unknown register: status %#lx",
	       st[7]);
	report(st[8] == (ST_INVALID_PARAMETER | HC_REP(1)),
	       "an unknown second register: 1 rep done, then status 5 (%#lx)",
	       st[8]);
	report(STATUS(st[9]) == ST_ACCESS_DENIED, "VTL5, above the caller: status %#lx",
	       st[9]);
	report(st[10] == (ST_SUCCESS | HC_REP(2)) &&
	       rdmsr(MSR_KERNEL_GS_BASE) == 0x00002abbccddeef0ull &&
	       rdmsr(MSR_SYSENTER_ESP) == 0x5a5a5000,
	       "VTL1 writes VTL0's KernelGsBase and SysenterEsp (status %#lx)",
	       st[10]);
	report(STATUS(st[11]) == ST_INVALID_PARAMETER,
	       "VTL1 writing its own registers mid-call: status %#lx", st[11]);

	/* From VTL0: its own registers yes, VTL1's never. */
	r = get1(hcpage0, in0, out0, 0, REG_CR3);
	report(STATUS(r) == ST_SUCCESS && *(u64 *)out0 == read_cr3(),
	       "VTL0 reads its own CR3");
	r = get1(hcpage0, in0, out0, HV_INPUT_VTL(1), REG_CR3);
	report(STATUS(r) == ST_ACCESS_DENIED, "VTL0 reading VTL1's CR3: status %#lx", r);
	r = set_reg(hcpage0, in0, HV_INPUT_VTL(1), REG_RIP, 0);
	report(STATUS(r) == ST_ACCESS_DENIED, "VTL0 writing VTL1's RIP: status %#lx", r);
	r = hypercall(hcpage0, HVCALL_GET_VP_REGISTERS | HC_REP(1) |
		      HV_HYPERCALL_FAST, (void *)HV_PARTITION_SELF, NULL);
	report(STATUS(r) == ST_INVALID_INPUT, "fast GetVpRegisters: status %#lx", r);

	/* The VMM obeys VTL0's protections when it works for VTL0. */
	WRITE_ONCE(cmd, CMD_PROTECT);
	memset(na_page, 0, sizeof(na_page));
	((struct hv_vp_regs_hdr *)na_page)->partition_id = HV_PARTITION_SELF;
	((struct hv_vp_regs_hdr *)na_page)->vp_index = HV_VP_SELF;
	((u32 *)(na_page + 16))[0] = REG_CR3;
	vtl_switch(hcpage0 + call_off, 0);
	report(STATUS(st[14]) == ST_SUCCESS &&
	       st[12] == (ST_SUCCESS | HC_REP(1)) &&
	       st[13] == (ST_SUCCESS | HC_REP(1)),
	       "VTL1 protects two VTL0 pages (status %#lx %#lx %#lx)", st[14],
	       st[12], st[13]);
	memset(in0, 0, 4096);
	r = get1(hcpage0, in0, ro_page, 0, REG_CR3);
	report(STATUS(r) == ST_ACCESS_DENIED && !*(u64 *)ro_page,
	       "output to a page VTL1 made read-only: status %#lx, page untouched",
	       r);
	/* The module reads the first name itself: it refuses (3) first. */
	r = hypercall(hcpage0, HVCALL_GET_VP_REGISTERS | HC_REP(1), na_page,
		      out0);
	report(STATUS(r) == ST_INVALID_INPUT,
	       "input on a page VTL1 made inaccessible: status %#lx", r);

	return report_summary();
}
