/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What our kvm-unit-tests-style guests share: Hyper-V hypercalls through
 * the hypercall page, VTL1's enablement with an initial context copied
 * from VTL0's own state, and a VTL0-side VTL switch. The guests run on the
 * boot page tables (an identity map), so a pointer is its GPA.
 */
#ifndef VSM_GUEST_H
#define VSM_GUEST_H

#include "libcflat.h"
#include "processor.h"
#include "desc.h"
#include "hyperv.h"

/* The kernel's spellings, which kvm-unit-tests' headers lack. */
#ifndef __packed
#define __packed	__attribute__((packed))
#endif
#ifndef __aligned
#define __aligned(n)	__attribute__((aligned(n)))
#endif

/* Each guest's VTL1 entry (asm, RIP of VTL1's initial context) and body. */
void vtl1_entry(void);
void vtl1_main(void);
/* vsm_demo's way from VTL1 back to VTL0, keeping VTL0's GPRs (asm). */
void vtl1_switch_back(void);

#define GUEST_OS_ID_OPEN_SOURCE	(0x8100ull << 48)
#define HV_X64_MSR_VP_ASSIST	0x40000073

#define HVCALL_MODIFY_VTL_PROTECTION_MASK	0x000c
#define HVCALL_ENABLE_PARTITION_VTL		0x000d
#define HVCALL_ENABLE_VP_VTL			0x000f
#define HVCALL_GET_VP_REGISTERS			0x0050
#define HVCALL_SET_VP_REGISTERS			0x0051

#define HV_PARTITION_SELF	(~0ull)
#define HV_VP_SELF		0xfffffffeu
#define HV_INPUT_VTL(v)		(0x10 | (v))	/* use-target bit + VTL */
#define HC_REP(n)		((u64)(n) << 32)
#define STATUS(r)		((r) & 0xffff)	/* without reps completed */

#define ST_SUCCESS		0x0
#define ST_INVALID_INPUT	0x3
#define ST_INVALID_ALIGNMENT	0x4
#define ST_INVALID_PARAMETER	0x5
#define ST_ACCESS_DENIED	0x6
#define ST_INVALID_PARTITION	0xd
#define ST_INVALID_VP_INDEX	0xe

#define REG_RIP				0x00020010
#define REG_CR3				0x00040002
#define REG_CS				0x00060001
#define REG_GDTR			0x00070001
#define REG_EFER			0x00080001
#define REG_KERNEL_GS_BASE		0x00080002
#define REG_SYSENTER_ESP		0x00080007
#define REG_VSM_CODE_PAGE_OFFSETS	0x000d0002
#define REG_VSM_PARTITION_STATUS	0x000d0004
#define REG_VSM_PARTITION_CONFIG	0x000d0007

#define VTL_ENTRY_CALL		1	/* VP assist page entry reasons */
#define VTL_ENTRY_INTERRUPT	2
#define VTL_ENTRY_INTERCEPT	3
#define HVMSG_GPA_INTERCEPT	0x80000001

#define PROT_READ		0x1	/* HvCallModifyVtlProtectionMask */
#define PROT_ALL		0xf

struct hv_vp_regs_hdr {
	u64 partition_id;
	u32 vp_index;
	u8 input_vtl;
	u8 rsvd[3];
} __packed;

struct hv_reg_assoc {
	u32 name;
	u32 rsvd1;
	u64 rsvd2;
	u64 value[2];
} __packed;

struct hv_segment {
	u64 base;
	u32 limit;
	u16 selector;
	u16 attributes;
} __packed;

struct hv_table {
	u16 pad[3];
	u16 limit;
	u64 base;
} __packed;

struct hv_vp_context {
	u64 rip, rsp, rflags;
	struct hv_segment cs, ds, es, fs, gs, ss, tr, ldtr;
	struct hv_table idtr, gdtr;
	u64 efer, cr0, cr3, cr4, pat;
} __packed;

struct hv_enable_vp_vtl {
	u64 partition_id;
	u32 vp_index;
	u8 target_vtl;
	u8 rsvd[3];
	struct hv_vp_context ctx;
} __packed;

struct hv_protect_input {
	u64 partition_id;
	u32 map_flags;
	u8 input_vtl;
	u8 rsvd[3];
	u64 gpfn[];
} __packed;

/* The VTL control area of the VP assist page. */
struct hv_vp_assist {
	u32 apic_assist;
	u32 reserved;
	u32 vtl_entry_reason;
	u32 vtl_reserved;
	u64 vtl_ret_rax;
	u64 vtl_ret_rcx;
};

/* HvMessageTypeGpaIntercept as it lands in a SIMP slot (docs/design.md). */
struct hv_intercept_msg {
	u32 type;
	u8 payload_size, flags, rsvd[2];
	u64 sender;
	u32 vp_index;
	u8 insn_len;
	u8 access;		/* 0 read, 1 write, 2 execute */
	u16 exec_state;
	struct hv_segment cs;
	u64 rip, rflags;
	u32 cache_type;
	u8 insn_byte_count, access_info, tpr, rsvd2;
	u64 gva, gpa;
	u8 insn[16];
} __packed;

static inline u64 hypercall(void *page, u64 control, void *in, void *out)
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
 * Into the other VTL through a hypercall page entry, RCX = flags. Every
 * GPR may come back changed (they are the VP's, shared between VTLs):
 * the callee-saved ones wait on this VTL's own stack. Returns RAX, which a
 * normal (not fast) VtlReturn sets from the VP assist page.
 */
static inline u64 vtl_switch(void *entry, u64 flags)
{
	u64 rax = (u64)entry;

	asm volatile("push %%rbp; push %%rbx; push %%r12; push %%r13;"
		     "push %%r14; push %%r15; call *%%rax;"
		     "pop %%r15; pop %%r14; pop %%r13; pop %%r12;"
		     "pop %%rbx; pop %%rbp"
		     : "+a"(rax), "+c"(flags)
		     :
		     : "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11",
		       "memory", "cc");
	return rax;
}

/* A GetVpRegisters/SetVpRegisters call: header, then the list. */
static inline u64 vp_regs(void *page, u16 code, u8 *in, void *out, u32 vp,
			  u8 vtl, const u32 *names, const u64 *values, int n)
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

/* One register of this VP at @vtl (0: the caller's): status, *val. */
static inline u64 get_reg(void *page, u8 *in, u8 *out, u8 vtl, u32 name,
			  u64 *val)
{
	u64 r = vp_regs(page, HVCALL_GET_VP_REGISTERS, in, out, HV_VP_SELF,
			vtl, &name, NULL, 1);

	if (val)
		*val = *(u64 *)out;
	return r;
}

static inline u64 set_reg(void *page, u8 *in, u8 vtl, u32 name, u64 val)
{
	return vp_regs(page, HVCALL_SET_VP_REGISTERS, in, NULL, HV_VP_SELF,
		       vtl, &name, &val, 1);
}

/* @n pages from @gpfn get @flags for the VTL below the caller. */
static inline u64 protect(void *page, u8 *in, u64 gpfn, u32 flags)
{
	struct hv_protect_input *p = (void *)in;

	memset(in, 0, 4096);
	p->partition_id = HV_PARTITION_SELF;
	p->map_flags = flags;
	p->gpfn[0] = gpfn;
	return hypercall(page, HVCALL_MODIFY_VTL_PROTECTION_MASK | HC_REP(1),
			 in, NULL);
}

/* A segment register's hidden state, from its GDT descriptor. */
static inline struct hv_segment gdt_segment(u16 sel)
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

/*
 * HvCallEnablePartitionVtl(1), then HvCallEnableVpVtl(VP 0, VTL1) with
 * VTL0's own state but RIP @rip and RSP @rsp: the same image, page tables
 * and descriptor tables. Returns the first failing status, or 0.
 */
static inline u64 enable_vtl1(void *page, u8 *in, void *rip, void *rsp)
{
	struct hv_enable_vp_vtl *e = (void *)in;
	struct descriptor_table_ptr gdt, idt;
	u64 r;

	memset(in, 0, 4096);
	*(u64 *)in = HV_PARTITION_SELF;
	in[8] = 1;					/* target VTL */
	r = hypercall(page, HVCALL_ENABLE_PARTITION_VTL, in, NULL);
	if (STATUS(r))
		return r;

	memset(in, 0, 4096);
	sgdt(&gdt);
	sidt(&idt);
	e->partition_id = HV_PARTITION_SELF;
	e->vp_index = 0;	/* a VP index: HV_VP_SELF is none here */
	e->target_vtl = 1;
	e->ctx.rip = (u64)rip;
	e->ctx.rsp = (u64)rsp;
	e->ctx.rflags = 0x2;
	e->ctx.cs = gdt_segment(read_cs());
	e->ctx.ss = gdt_segment(read_ss());
	e->ctx.ds = gdt_segment(read_ds());
	e->ctx.es = e->ctx.ds;
	e->ctx.fs = e->ctx.ds;
	e->ctx.gs = gdt_segment(read_gs());
	e->ctx.gs.base = rdmsr(MSR_GS_BASE);	/* the per-CPU area */
	e->ctx.tr = gdt_segment(str());
	e->ctx.idtr.base = idt.base;
	e->ctx.idtr.limit = idt.limit;
	e->ctx.gdtr.base = gdt.base;
	e->ctx.gdtr.limit = gdt.limit;
	e->ctx.efer = rdmsr(MSR_EFER);
	e->ctx.cr0 = read_cr0();
	e->ctx.cr3 = read_cr3();
	e->ctx.cr4 = read_cr4();
	e->ctx.pat = rdmsr(MSR_IA32_CR_PAT);
	return hypercall(page, HVCALL_ENABLE_VP_VTL, in, NULL);
}

#endif
