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
#include "libcflat.h"
#include "processor.h"
#include "desc.h"
#include "hyperv.h"

#define HV_X64_MSR_GUEST_OS_ID_VAL	(0x8100ull << 48)	/* open source */

#define HVCALL_MODIFY_VTL_PROTECTION_MASK	0x000c
#define HVCALL_ENABLE_PARTITION_VTL		0x000d
#define HVCALL_ENABLE_VP_VTL			0x000f
#define HVCALL_GET_VP_REGISTERS			0x0050
#define HVCALL_SET_VP_REGISTERS			0x0051

#define HV_PARTITION_SELF	(~0ull)
#define HV_VP_SELF		0xfffffffeu
#define HV_INPUT_VTL(v)		(0x10 | (v))
#define HC_REP(n)		((u64)(n) << 32)
#define STATUS(r)		((r) & 0xffff)	/* without reps completed */

#define ST_SUCCESS		0x0
#define ST_INVALID_INPUT	0x3
#define ST_INVALID_ALIGNMENT	0x4
#define ST_INVALID_PARAMETER	0x5
#define ST_ACCESS_DENIED	0x6
#define ST_INVALID_PARTITION	0xd
#define ST_INVALID_VP_INDEX	0xe

#define REG_VSM_CODE_PAGE_OFFSETS	0x000d0002
#define REG_VSM_PARTITION_CONFIG	0x000d0007
#define REG_RIP				0x00020010
#define REG_CR3				0x00040002
#define REG_CS				0x00060001
#define REG_GDTR			0x00070001
#define REG_EFER			0x00080001
#define REG_KERNEL_GS_BASE		0x00080002
#define REG_SYSENTER_ESP		0x00080007

#define MSR_SYSENTER_ESP	0x175
#define MSR_KERNEL_GS_BASE	0xc0000102

struct hv_vp_regs_hdr {
	u64 partition_id;
	u32 vp_index;
	u8 input_vtl;
	u8 rsvd[3];
} __attribute__((packed));

struct hv_reg_assoc {
	u32 name;
	u32 rsvd1;
	u64 rsvd2;
	u64 value[2];
} __attribute__((packed));

struct hv_segment {
	u64 base;
	u32 limit;
	u16 selector;
	u16 attributes;
} __attribute__((packed));

struct hv_table {
	u16 pad[3];
	u16 limit;
	u64 base;
} __attribute__((packed));

struct hv_vp_context {
	u64 rip, rsp, rflags;
	struct hv_segment cs, ds, es, fs, gs, ss, tr, ldtr;
	struct hv_table idtr, gdtr;
	u64 efer, cr0, cr3, cr4, pat;
} __attribute__((packed));

struct hv_enable_vp_vtl {
	u64 partition_id;
	u32 vp_index;
	u8 target_vtl;
	u8 rsvd[3];
	struct hv_vp_context ctx;
} __attribute__((packed));

#define PAGE __attribute__((aligned(4096)))
static u8 hcpage0[4096] PAGE, hcpage1[4096] PAGE;
static u8 in0[4096] PAGE, out0[4096] PAGE;	/* VTL0's hypercall pages */
static u8 in1[4096] PAGE, out1[4096] PAGE;	/* VTL1's */
static u8 ro_page[4096] PAGE, na_page[4096] PAGE; /* VTL1 protects these */
static u8 vtl1_stack[16384] __attribute__((aligned(16)));
static u32 call_off, return_off;

/* What VTL0 asks of VTL1 on each VtlCall, and what VTL1 found. */
enum { CMD_GET_SET = 1, CMD_PROTECT };
static volatile int cmd;
static u64 got[8], st[16];

static u64 hypercall(u8 *page, u64 control, void *in, void *out)
{
	register u64 r8 asm("r8") = (u64)out;
	u64 rdx = (u64)in, ret;

	asm volatile("call *%[page]"
		     : "=a"(ret), "+c"(control), "+d"(rdx), "+r"(r8)
		     : [page] "r"(page)
		     : "memory", "cc");
	return ret;
}

/*
 * Into the other VTL through a hypercall page entry, RCX = flags: every
 * GPR may come back changed (they are the VP's, shared), so the
 * callee-saved ones wait on this VTL's own stack.
 */
static void vtl_switch(u8 *entry, u64 flags)
{
	asm volatile("push %%rbp; push %%rbx; push %%r12; push %%r13;"
		     "push %%r14; push %%r15; call *%%rax;"
		     "pop %%r15; pop %%r14; pop %%r13; pop %%r12;"
		     "pop %%rbx; pop %%rbp"
		     : "+a"(entry), "+c"(flags)
		     :
		     : "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11",
		       "memory", "cc");
}

/* A GetVpRegisters/SetVpRegisters input page: header, then the list. */
static u64 regs_call(u8 *page, u16 code, u8 *in, u8 *out, u32 vp, u8 vtl,
		     const u32 *names, const u64 *values, int n)
{
	struct hv_vp_regs_hdr *h = (void *)in;
	int i;

	memset(in, 0, 4096);
	h->partition_id = HV_PARTITION_SELF;
	h->vp_index = vp;
	h->input_vtl = vtl;
	for (i = 0; i < n; i++) {
		if (code == HVCALL_GET_VP_REGISTERS) {
			((u32 *)(h + 1))[i] = names[i];
		} else {
			struct hv_reg_assoc *a = (void *)(h + 1);

			a[i].name = names[i];
			a[i].value[0] = values[i];
		}
	}
	return hypercall(page, code | HC_REP(n), in, out);
}

static u64 get1(u8 *page, u8 *in, u8 *out, u8 vtl, u32 name)
{
	return regs_call(page, HVCALL_GET_VP_REGISTERS, in, out, HV_VP_SELF,
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

	st[0] = regs_call(hcpage1, HVCALL_GET_VP_REGISTERS, in1, out1,
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
	st[5] = regs_call(hcpage1, HVCALL_GET_VP_REGISTERS, in1, out1, 7,
			  HV_INPUT_VTL(0), names, NULL, 1);	/* no VP 7 */
	st[6] = get1(hcpage1, in1, out1, 0x20 | HV_INPUT_VTL(0), REG_CR3);
	st[7] = get1(hcpage1, in1, out1, HV_INPUT_VTL(0), 0x00021234);
	st[8] = regs_call(hcpage1, HVCALL_GET_VP_REGISTERS, in1, out1,
			  HV_VP_SELF, HV_INPUT_VTL(0), bad_second, NULL, 2);
	st[9] = get1(hcpage1, in1, out1, HV_INPUT_VTL(5), REG_CR3);

	/* Writes: VTL0's MSRs, then our own (refused: we are mid-call). */
	st[10] = regs_call(hcpage1, HVCALL_SET_VP_REGISTERS, in1, NULL,
			   HV_VP_SELF, HV_INPUT_VTL(0), set_names, set_vals, 2);
	st[11] = regs_call(hcpage1, HVCALL_SET_VP_REGISTERS, in1, NULL,
			   HV_VP_SELF, 0, set_names, set_vals, 1);
}

/* VTL1's side of CMD_PROTECT: ro_page read-only, na_page no access. */
static void vtl1_protect(void)
{
	struct {
		u64 partition_id;
		u32 map_flags;
		u8 input_vtl;
		u8 rsvd[3];
		u64 gpfn;
	} __attribute__((packed)) *p = (void *)in1;

	/* Protections of our own need EnableVtlProtection (default: all). */
	st[14] = regs_call(hcpage1, HVCALL_SET_VP_REGISTERS, in1, NULL,
			   HV_VP_SELF, 0, (u32[]){ REG_VSM_PARTITION_CONFIG },
			   (u64[]){ 0x1f }, 1);
	memset(in1, 0, 4096);
	p->partition_id = HV_PARTITION_SELF;
	p->map_flags = 0x1;		/* read only */
	p->gpfn = (u64)ro_page >> 12;
	st[12] = hypercall(hcpage1, HVCALL_MODIFY_VTL_PROTECTION_MASK |
			   HC_REP(1), in1, NULL);
	p->map_flags = 0;		/* no access */
	p->gpfn = (u64)na_page >> 12;
	st[13] = hypercall(hcpage1, HVCALL_MODIFY_VTL_PROTECTION_MASK |
			   HC_REP(1), in1, NULL);
}

/* VTL1: entered by VtlCall, leaves by a fast VtlReturn, forever. */
void vtl1_main(void);
void vtl1_main(void)
{
	wrmsr(HV_X64_MSR_GUEST_OS_ID, HV_X64_MSR_GUEST_OS_ID_VAL);
	wrmsr(HV_X64_MSR_HYPERCALL, (u64)hcpage1 | HV_X64_MSR_HYPERCALL_ENABLE);
	for (;;) {
		if (cmd == CMD_GET_SET)
			vtl1_get_set();
		else if (cmd == CMD_PROTECT)
			vtl1_protect();
		vtl_switch(hcpage1 + return_off, 1);
	}
}

asm(".globl vtl1_entry\n"
    "vtl1_entry:\n"
    "	call vtl1_main\n"
    "1:	hlt\n"
    "	jmp 1b\n");
void vtl1_entry(void);

/* A segment register's hidden state, from its GDT descriptor. */
static struct hv_segment segment(u16 sel)
{
	struct descriptor_table_ptr gdt;
	struct hv_segment s = { .selector = sel };
	u8 *d;

	sgdt(&gdt);
	d = (u8 *)gdt.base + (sel & ~7);
	s.base = d[2] | d[3] << 8 | d[4] << 16 | (u64)d[7] << 24;
	s.limit = d[0] | d[1] << 8 | (d[6] & 0xf) << 16;
	if (d[6] & 0x80)
		s.limit = s.limit << 12 | 0xfff;
	s.attributes = d[5] | (d[6] & 0xf0) << 8;
	if (!(d[5] & 0x10))	/* a system descriptor: 16 bytes */
		s.base |= (u64)*(u32 *)(d + 8) << 32;
	return s;
}

static u64 enable_vtl1(void)
{
	struct hv_enable_vp_vtl *e = (void *)in0;
	struct descriptor_table_ptr gdt, idt;
	u64 r;

	memset(in0, 0, 4096);
	*(u64 *)in0 = HV_PARTITION_SELF;
	in0[8] = 1;				/* target VTL1 */
	r = hypercall(hcpage0, HVCALL_ENABLE_PARTITION_VTL, in0, NULL);
	if (r)
		return r;

	memset(in0, 0, 4096);
	sgdt(&gdt);
	sidt(&idt);
	e->partition_id = HV_PARTITION_SELF;
	e->vp_index = 0;	/* EnableVpVtl takes a VP index, not "self" */
	e->target_vtl = 1;
	e->ctx.rip = (u64)vtl1_entry;
	e->ctx.rsp = (u64)vtl1_stack + sizeof(vtl1_stack);
	e->ctx.rflags = 0x2;
	e->ctx.cs = segment(read_cs());
	e->ctx.ss = segment(read_ss());
	e->ctx.ds = segment(read_ds());
	e->ctx.es = e->ctx.ds;
	e->ctx.fs = e->ctx.ds;
	e->ctx.gs = segment(read_gs());
	e->ctx.gs.base = rdmsr(MSR_GS_BASE);	/* the per-CPU area */
	e->ctx.tr = segment(str());
	e->ctx.idtr.base = idt.base;
	e->ctx.idtr.limit = idt.limit;
	e->ctx.gdtr.base = gdt.base;
	e->ctx.gdtr.limit = gdt.limit;
	e->ctx.efer = rdmsr(MSR_EFER);
	e->ctx.cr0 = read_cr0();
	e->ctx.cr3 = read_cr3();
	e->ctx.cr4 = read_cr4();
	e->ctx.pat = rdmsr(MSR_IA32_CR_PAT);
	return hypercall(hcpage0, HVCALL_ENABLE_VP_VTL, in0, NULL);
}

int main(int ac, char **av)
{
	struct descriptor_table_ptr gdt;
	u64 r, offsets;

	wrmsr(HV_X64_MSR_GUEST_OS_ID, HV_X64_MSR_GUEST_OS_ID_VAL);
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
	report(STATUS(enable_vtl1()) == ST_SUCCESS, "VTL1 enabled for the partition and VP 0");

	/* Values VTL1 will read from VTL0 through the VMM. */
	wrmsr(MSR_KERNEL_GS_BASE, 0x0000112233445560ull);
	wrmsr(MSR_SYSENTER_ESP, 0x00c0ffee);
	cmd = CMD_GET_SET;
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
	r = regs_call(hcpage0, HVCALL_SET_VP_REGISTERS, in0, NULL, HV_VP_SELF,
		      HV_INPUT_VTL(1), (u32[]){ REG_RIP }, (u64[]){ 0 }, 1);
	report(STATUS(r) == ST_ACCESS_DENIED, "VTL0 writing VTL1's RIP: status %#lx", r);
	r = hypercall(hcpage0, HVCALL_GET_VP_REGISTERS | HC_REP(1) |
		      HV_HYPERCALL_FAST, (void *)HV_PARTITION_SELF, NULL);
	report(STATUS(r) == ST_INVALID_INPUT, "fast GetVpRegisters: status %#lx", r);

	/* The VMM obeys VTL0's protections when it works for VTL0. */
	cmd = CMD_PROTECT;
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
