// SPDX-License-Identifier: GPL-2.0
/*
 * VSM enablement and the VSM registers, driven by guest code in VTL0 and
 * VTL1: HvCallEnablePartitionVtl, HvCallEnableVpVtl with an initial VP
 * context, Get/SetVpRegisters with their access rules and rep semantics,
 * and a TLFS status for every bad input. The VMM (this test) only attaches
 * the VMs and vCPUs; the guest enables VTL1 itself.
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

#define ENABLE_TIMEOUT	300

#define HVCALL_ENABLE_VP_VTL		0x000f
#define HVCALL_SET_VP_REGISTERS		0x0051

#define ST_INVALID_HYPERCALL_INPUT	3
#define ST_INVALID_ALIGNMENT		4
#define ST_INVALID_PARAMETER		5
#define ST_ACCESS_DENIED		6
#define ST_INVALID_PARTITION_ID		0x0d
#define ST_INVALID_VP_INDEX		0x0e
#define ST_VTL_ALREADY_ENABLED		0x86

#define SELF			(~0ull)
#define REG_CODE_PAGE_OFFSETS	0x000d0002
#define REG_VP_STATUS		0x000d0003
#define REG_PARTITION_STATUS	0x000d0004
#define REG_VINA		0x000d0005
#define REG_CAPABILITIES	0x000d0006
#define REG_PARTITION_CONFIG	0x000d0007
#define REG_SECURE_CONFIG_VTL0	0x000d0010
#define REG_X64_RIP			0x00020000	/* not VSM: the VMM's */

#define VMM_ANSWER		0x1234ull	/* what the VMM thread answers */
#define VTL1_PAT		0x0007010600070106ull
#define VTL1_CTX_FS_BASE	0x5555000ull

/* Guest globals (shared memory), set up by the host. */
static u64 g_in_gva, g_in_gpa, g_out_gva, g_out_gpa, g_stack1_top;
static u64 g_ctx[28];	/* HV_INITIAL_VP_CONTEXT of VTL0 VP0, from the host */

enum {
	CTX_RIP, CTX_RSP, CTX_RFLAGS, CTX_CS, CTX_CS_ATTR, CTX_FS = CTX_CS + 6,
	CTX_SS_ATTR = CTX_CS + 11, CTX_TR_ATTR = CTX_CS + 13,
	CTX_EFER = 23, CTX_CR0, CTX_CR3, CTX_CR4, CTX_PAT
};

#define ATTR(bits)	((u64)(bits) << 48)	/* in a segment's second word */
static u64 g_pku;	/* KVM has PKU: the VTL1 VM's CPUID hides it */

static inline u64 control(u16 code, u32 count, u32 start)
{
	return code | (u64)count << 32 | (u64)start << 48;
}

/* GetVpRegisters (memory form): @count names from rep @start. */
static u64 get_regs(u64 page, u64 part, u32 vp, u8 input_vtl,
		    const u32 *names, u32 count, u32 start)
{
	u64 *in = (u64 *)g_in_gva;
	u32 i;

	in[0] = part;
	in[1] = vp | (u64)input_vtl << 32;
	for (i = 0; i < count; i++)
		((u32 *)&in[2])[i] = names[i];
	return guest_hv_call(page, control(HVCALL_GET_VP_REGISTERS, count, start),
			     g_in_gpa, g_out_gpa);
}

/* A one-rep call's status; success must report its one rep completed. */
static u64 one_rep_status(u64 r)
{
	if (!(r & 0xffff) && r != 1ull << 32)
		return 0xffff;
	return r & 0xffff;
}

static u64 get_reg(u64 page, u32 vp, u8 input_vtl, u32 name, u64 *val)
{
	u64 r = get_regs(page, SELF, vp, input_vtl, &name, 1, 0);

	*val = ((u64 *)g_out_gva)[0];
	return one_rep_status(r);
}

static u64 set_reg(u64 page, u32 vp, u8 input_vtl, u32 name, u64 val)
{
	u64 *in = (u64 *)g_in_gva;

	in[0] = SELF;
	in[1] = vp | (u64)input_vtl << 32;
	in[2] = name;
	in[3] = 0;
	in[4] = val;
	in[5] = 0;
	return one_rep_status(guest_hv_call(page, control(HVCALL_SET_VP_REGISTERS, 1, 0),
					    g_in_gpa, 0));
}

/* SetVpRegisters, XMM fast form: header in RDX/R8, HV_REGISTER_ASSOCs in XMM0-5. */
static u64 g_xmm[12];

static u64 fast_set_regs(u64 page, u32 count, u32 vp)
{
	return guest_hv_call_xmm(page, control(HVCALL_SET_VP_REGISTERS, count, 0) |
				 HV_HYPERCALL_FAST_BIT, SELF, vp, g_xmm);
}

static u64 enable_partition(u64 page, u64 part, u8 vtl, u8 flags, u8 rsvd)
{
	/* The fast form: 16 bytes in RDX and R8. */
	return guest_hv_call(page, HVCALL_ENABLE_PARTITION_VTL | HV_HYPERCALL_FAST_BIT,
			     part, vtl | (u64)flags << 8 | (u64)rsvd << 16);
}

/* HvCallEnableVpVtl with VTL0's context, starting VTL1 at vtl1_enabled(). */
static void vtl1_enabled(void);

static void vp_input(u64 part, u32 vp, u8 vtl, u8 rsvd)
{
	u64 *in = (u64 *)g_in_gva;
	int i;

	in[0] = part;
	in[1] = vp | (u64)vtl << 32 | (u64)rsvd << 40;
	for (i = 0; i < 28; i++)
		in[2 + i] = g_ctx[i];
	in[2 + CTX_RIP] = (u64)vtl1_enabled;
	in[2 + CTX_RSP] = g_stack1_top - 8;	/* as after a CALL */
	in[2 + CTX_FS] = VTL1_CTX_FS_BASE;	/* FS base */
	in[2 + CTX_PAT] = VTL1_PAT;
}

static u64 enable_vp(u64 page, u64 part, u32 vp, u8 vtl, u8 rsvd, u64 cr0)
{
	vp_input(part, vp, vtl, rsvd);
	if (cr0)
		((u64 *)g_in_gva)[2 + CTX_CR0] = cr0;
	return guest_hv_call(page, HVCALL_ENABLE_VP_VTL, g_in_gpa, 0);
}

/* VTL1 on this VP with one context field XORed with @flip (a bad context). */
static u64 enable_vp_flip(u64 page, int field, u64 flip)
{
	vp_input(SELF, ~1u, 1, 0);
	((u64 *)g_in_gva)[2 + field] ^= flip;
	return guest_hv_call(page, HVCALL_ENABLE_VP_VTL, g_in_gpa, 0);
}

/* VTL1 cannot ucall: each failed check records its line. */
#define VTL1_CHECK(cond) do { if (!(cond)) vtl1_error(0, __LINE__); } while (0)
#define VTL1_EQ(a, b) VTL1_CHECK((u64)(a) == (u64)(b))

/* VTL1 of VP0, entered first through the context VTL0 gave. */
static void vtl1_enabled(void)
{
	u64 page = g_page1_gva, v, *out = (u64 *)g_out_gva;
	u32 names[3];

	g_rep[0]->entries = 100;	/* not vtl1_body(), which counts from 1 */
	/* The initial context: RIP/RSP got us here; FS base and PAT too. */
	VTL1_EQ(rdmsr(MSR_FS_BASE), VTL1_CTX_FS_BASE);
	VTL1_EQ(rdmsr(MSR_IA32_CR_PAT), VTL1_PAT);
	VTL1_EQ(get_cr3(), g_ctx[CTX_CR3]);

	wrmsr(HV_X64_MSR_GUEST_OS_ID, HYPERV_LINUX_OS_ID);
	wrmsr(HV_X64_MSR_HYPERCALL, g_page1_gpa | 1);

	VTL1_EQ(get_reg(page, ~1u, 0, REG_VP_STATUS, &v), 0);
	VTL1_EQ(v, 1 | 3 << 16);		/* active VTL1, VTL0+1 enabled */

	/* VTL1 enables VTL1 on the other VP (VTL0 could not). */
	VTL1_EQ(enable_vp(page, SELF, 1, 1, 0, 0), 0);
	VTL1_EQ(enable_vp(page, SELF, 1, 1, 0, 0), ST_VTL_ALREADY_ENABLED);

	/*
	 * Its own registers. VsmPartitionConfig: enabling VTL protection
	 * needs a default mask that grants read and write (protection_test
	 * has the rules); 0x1f is enabled with everything allowed.
	 */
	VTL1_EQ(set_reg(page, ~1u, 0, REG_PARTITION_CONFIG, 0x3), 0x50);
	VTL1_EQ(set_reg(page, ~1u, 0, REG_PARTITION_CONFIG, 0x1f), 0);
	VTL1_EQ(get_reg(page, ~1u, 0, REG_PARTITION_CONFIG, &v), 0);
	VTL1_EQ(v, 0x1f);
	VTL1_EQ(set_reg(page, ~1u, 0, REG_PARTITION_CONFIG, 1ull << 20),
		ST_INVALID_PARAMETER);
	VTL1_EQ(set_reg(page, ~1u, 0, REG_SECURE_CONFIG_VTL0, 2), 0);
	VTL1_EQ(get_reg(page, ~1u, 0, REG_SECURE_CONFIG_VTL0, &v), 0);
	VTL1_EQ(v, 2);					/* tlb_locked */
	VTL1_EQ(set_reg(page, ~1u, 0, REG_SECURE_CONFIG_VTL0, 1),
		ST_INVALID_PARAMETER);			/* no MBEC */
	VTL1_EQ(get_reg(page, ~1u, 0, REG_SECURE_CONFIG_VTL0 + 1, &v),
		ST_INVALID_PARAMETER);			/* not below VTL1 */
	VTL1_EQ(set_reg(page, ~1u, 0, REG_VINA, 0x1f0), 0);
	VTL1_EQ(get_reg(page, ~1u, 0, REG_VINA, &v), 0);
	VTL1_EQ(v, 0x1f0);
	VTL1_EQ(set_reg(page, ~1u, 0, REG_VINA, 1ull << 11), ST_INVALID_PARAMETER);
	/* The XMM fast form: one register; four do not fit in 112 bytes. */
	memset(g_xmm, 0, sizeof(g_xmm));
	g_xmm[0] = REG_VINA;
	g_xmm[2] = 0x1e5;
	VTL1_EQ(fast_set_regs(page, 1, ~1u), 1ull << 32);
	VTL1_EQ(get_reg(page, ~1u, 0, REG_VINA, &v), 0);
	VTL1_EQ(v, 0x1e5);
	VTL1_EQ(fast_set_regs(page, 4, ~1u), ST_INVALID_HYPERCALL_INPUT);
	g_xmm[0] = REG_X64_RIP;				/* the VMM's, even fast */
	VTL1_EQ(fast_set_regs(page, 1, ~1u), VMM_ANSWER);
	VTL1_EQ(get_reg(page, ~1u, 0, REG_CAPABILITIES, &v), 0);
	VTL1_EQ(v, 1 | 1ull << 27);			/* Dr6Shared 0, intercept page 27 */
	VTL1_EQ(get_reg(page, ~1u, 0, REG_CODE_PAGE_OFFSETS, &v), 0);
	VTL1_EQ(v, 0x20 | 0x60 << 12);			/* the page's VtlCall, VtlReturn */
	VTL1_EQ(set_reg(page, ~1u, 0, REG_VP_STATUS, 0), ST_INVALID_PARAMETER);
	/* VTL1 may read VTL0's (lower) registers. */
	VTL1_EQ(get_reg(page, ~1u, 0x10 | 0, REG_VP_STATUS, &v), 0);
	VTL1_EQ(v, 1 | 3 << 16);
	/* Bad names. */
	VTL1_EQ(get_reg(page, ~1u, 0, 0x000d0001, &v), ST_INVALID_PARAMETER);
	VTL1_EQ(get_reg(page, ~1u, 0, 0x000d001f, &v), ST_INVALID_PARAMETER);

	/* Reps: the second fails, one completed. */
	names[0] = REG_VP_STATUS;
	names[1] = 0x000d0001;
	names[2] = REG_CAPABILITIES;
	VTL1_EQ(get_regs(page, SELF, ~1u, 0, names, 3, 0),
		ST_INVALID_PARAMETER | 1ull << 32);
	/* From rep 2: the output lands in its slot, all 3 reported. */
	out[4] = 0xdead;
	VTL1_EQ(get_regs(page, SELF, ~1u, 0, names, 3, 2), 3ull << 32);
	VTL1_EQ(out[4], 1 | 1ull << 27);		/* slot 2: 16 bytes each */
	VTL1_EQ(get_regs(page, SELF, ~1u, 0, names, 0, 0), 0);
	VTL1_EQ(get_regs(page, SELF, ~1u, 0, names, 2, 2), ST_INVALID_HYPERCALL_INPUT);

	for (;;) {	/* back to VTL0, and again whenever called */
		vtl_transition(page, HVCALL_VTL_RETURN, 1, vtl1_in[0], vtl1_out[0]);
		g_rep[0]->entries++;
	}
}

static void vtl0_guest(u64 vp)
{
	u64 page = g_page0_gva, v, *out = (u64 *)g_out_gva;
	u32 names[2];

	guest_hv_enable(g_page0_gpa);

	/* Initial state: only VTL0, which is active; VTL1 could exist. */
	GUEST_ASSERT_EQ(get_reg(page, ~1u, 0, REG_VP_STATUS, &v), 0);
	GUEST_ASSERT_EQ(v, 0 | 1 << 16);
	GUEST_ASSERT_EQ(get_reg(page, ~1u, 0, REG_PARTITION_STATUS, &v), 0);
	GUEST_ASSERT_EQ(v, 1 | 1 << 16);		/* enabled {0}, max 1 */

	/* Nothing to call into yet. */
	GUEST_ASSERT_EQ(guest_hv_call(page, HVCALL_VTL_CALL, 0, 0) & 0xffff,
			HV_STATUS_INVALID_VTL_STATE);

	/* HvCallEnablePartitionVtl: every bad input. */
	GUEST_ASSERT_EQ(enable_partition(page, 0x1234, 1, 0, 0), ST_INVALID_PARTITION_ID);
	GUEST_ASSERT_EQ(enable_partition(page, SELF, 0, 0, 0), ST_INVALID_PARAMETER);
	GUEST_ASSERT_EQ(enable_partition(page, SELF, 2, 0, 0), ST_INVALID_PARAMETER);
	GUEST_ASSERT_EQ(enable_partition(page, SELF, 16, 0, 0), ST_INVALID_PARAMETER);
	GUEST_ASSERT_EQ(enable_partition(page, SELF, 1, 1, 0), ST_INVALID_PARAMETER);
	GUEST_ASSERT_EQ(enable_partition(page, SELF, 1, 0x80, 0), ST_INVALID_PARAMETER);
	GUEST_ASSERT_EQ(enable_partition(page, SELF, 1, 0, 1), ST_INVALID_PARAMETER);
	GUEST_ASSERT_EQ(guest_hv_call(page, control(HVCALL_ENABLE_PARTITION_VTL, 1, 0) |
				      HV_HYPERCALL_FAST_BIT, SELF, 1),
			ST_INVALID_HYPERCALL_INPUT);
	GUEST_ASSERT_EQ(guest_hv_call(page, HVCALL_ENABLE_PARTITION_VTL,
				      g_in_gpa + 4, 0), ST_INVALID_ALIGNMENT);
	/* VP VTL before partition VTL. */
	GUEST_ASSERT_EQ(enable_vp(page, SELF, ~1u, 1, 0, 0), HV_STATUS_INVALID_VTL_STATE);

	GUEST_ASSERT_EQ(enable_partition(page, SELF, 1, 0, 0), 0);
	GUEST_ASSERT_EQ(enable_partition(page, SELF, 1, 0, 0), ST_VTL_ALREADY_ENABLED);
	GUEST_ASSERT_EQ(get_reg(page, ~1u, 0, REG_PARTITION_STATUS, &v), 0);
	GUEST_ASSERT_EQ(v, 3 | 1 << 16);
	/* Enabled for the partition, not yet on this VP. */
	GUEST_ASSERT_EQ(guest_hv_call(page, HVCALL_VTL_CALL, 0, 0) & 0xffff,
			HV_STATUS_INVALID_VTL_STATE);

	/* HvCallEnableVpVtl: every bad input. */
	GUEST_ASSERT_EQ(guest_hv_call(page, HVCALL_ENABLE_VP_VTL | HV_HYPERCALL_FAST_BIT,
				      SELF, 1ull << 32), ST_INVALID_HYPERCALL_INPUT);
	GUEST_ASSERT_EQ(enable_vp(page, 7, ~1u, 1, 0, 0), ST_INVALID_PARTITION_ID);
	GUEST_ASSERT_EQ(enable_vp(page, SELF, 7, 1, 0, 0), ST_INVALID_VP_INDEX);
	GUEST_ASSERT_EQ(enable_vp(page, SELF, ~1u, 0, 0, 0), ST_INVALID_PARAMETER);
	GUEST_ASSERT_EQ(enable_vp(page, SELF, ~1u, 2, 0, 0), ST_INVALID_PARAMETER);
	GUEST_ASSERT_EQ(enable_vp(page, SELF, ~1u, 1, 1, 0), ST_INVALID_PARAMETER);
	/* CR0.PG without CR0.PE: a context KVM_SET_SREGS would refuse. */
	GUEST_ASSERT_EQ(enable_vp(page, SELF, ~1u, 1, 0, X86_CR0_PG),
			ST_INVALID_PARAMETER);
	/*
	 * What KVM would not let the VTL1 VM's guest hold. Its CPUID has no
	 * SVM (and no PKU); VTL0's does.
	 */
	GUEST_ASSERT_EQ(enable_vp_flip(page, CTX_EFER, EFER_SVME), ST_INVALID_PARAMETER);
	GUEST_ASSERT_EQ(enable_vp_flip(page, CTX_CR4, BIT(15)), ST_INVALID_PARAMETER);
	if (g_pku)
		GUEST_ASSERT_EQ(enable_vp_flip(page, CTX_CR4, X86_CR4_PKE),
				ST_INVALID_PARAMETER);
	GUEST_ASSERT_EQ(enable_vp_flip(page, CTX_CR0, X86_CR0_NW), ST_INVALID_PARAMETER);
	GUEST_ASSERT_EQ(enable_vp_flip(page, CTX_CR3, BIT_ULL(52)), ST_INVALID_PARAMETER);
	/* Without EFER.LME/LMA: 32-bit paging, with CS.L still set. */
	GUEST_ASSERT_EQ(enable_vp_flip(page, CTX_EFER, EFER_LME | EFER_LMA),
			ST_INVALID_PARAMETER);
	GUEST_ASSERT_EQ(enable_vp_flip(page, CTX_RFLAGS, BIT(3)), ST_INVALID_PARAMETER);
	GUEST_ASSERT_EQ(enable_vp_flip(page, CTX_RFLAGS, BIT_ULL(22)), ST_INVALID_PARAMETER);
	/* CS.L with CS.D; TR an available, not busy, TSS; SS read-only. */
	GUEST_ASSERT_EQ(enable_vp_flip(page, CTX_CS_ATTR, ATTR(BIT(14))),
			ST_INVALID_PARAMETER);
	GUEST_ASSERT_EQ(enable_vp_flip(page, CTX_TR_ATTR, ATTR(2)), ST_INVALID_PARAMETER);
	GUEST_ASSERT_EQ(enable_vp_flip(page, CTX_SS_ATTR, ATTR(2)), ST_INVALID_PARAMETER);
	/*
	 * Non-canonical GDTR base, with 4- and 5-level paging alike (newer
	 * selftests libraries give the guest LA57 when the CPU has it).
	 */
	GUEST_ASSERT_EQ(enable_vp_flip(page, 22, BIT_ULL(60)), ST_INVALID_PARAMETER);
	/* VM entry's rules: CS limit with G (low 12 bits set), CS base, RFLAGS.VM. */
	GUEST_ASSERT_EQ(enable_vp_flip(page, CTX_CS_ATTR, 1), ST_INVALID_PARAMETER);
	GUEST_ASSERT_EQ(enable_vp_flip(page, CTX_CS, BIT_ULL(40)), ST_INVALID_PARAMETER);
	GUEST_ASSERT_EQ(enable_vp_flip(page, CTX_RFLAGS, BIT(17)), ST_INVALID_PARAMETER);

	GUEST_ASSERT_EQ(enable_vp(page, SELF, ~1u, 1, 0, 0), 0);
	GUEST_ASSERT_EQ(enable_vp(page, SELF, 0, 1, 0, 0), ST_VTL_ALREADY_ENABLED);
	/* Only the first VP gets VTL1 from VTL0; the rest from VTL1. */
	GUEST_ASSERT_EQ(enable_vp(page, SELF, 1, 1, 0, 0), ST_ACCESS_DENIED);
	GUEST_ASSERT_EQ(get_reg(page, ~1u, 0, REG_VP_STATUS, &v), 0);
	GUEST_ASSERT_EQ(v, 0 | 3 << 16);

	/* Into VTL1 at the context's RIP; it returns (fast). */
	vtl_transition(page, HVCALL_VTL_CALL, 0, vtl0_in[0], vtl0_out[0]);
	GUEST_ASSERT_EQ(g_rep[0]->errors, 0);
	GUEST_ASSERT_EQ(g_rep[0]->entries, 100);
	/* Active VTL back to 0 after the round trip; VP1 enabled by VTL1. */
	GUEST_ASSERT_EQ(get_reg(page, ~1u, 0, REG_VP_STATUS, &v), 0);
	GUEST_ASSERT_EQ(v, 0 | 3 << 16);
	GUEST_ASSERT_EQ(get_reg(page, 1, 0, REG_VP_STATUS, &v), 0);
	GUEST_ASSERT_EQ(v, 0 | 3 << 16);
	vtl_transition(page, HVCALL_VTL_CALL, 0, vtl0_in[0], vtl0_out[0]);
	GUEST_ASSERT_EQ(g_rep[0]->entries, 101);
	GUEST_ASSERT_EQ(g_rep[0]->errors, 0);

	/* A lower VTL cannot touch a higher VTL's registers. */
	GUEST_ASSERT_EQ(get_reg(page, ~1u, 0x11, REG_VP_STATUS, &v), ST_ACCESS_DENIED);
	GUEST_ASSERT_EQ(get_reg(page, ~1u, 0x11, REG_PARTITION_CONFIG, &v),
			ST_ACCESS_DENIED);
	GUEST_ASSERT_EQ(set_reg(page, ~1u, 0x11, REG_VINA, 0), ST_ACCESS_DENIED);
	GUEST_ASSERT_EQ(set_reg(page, ~1u, 0x11, REG_SECURE_CONFIG_VTL0, 0),
			ST_ACCESS_DENIED);
	/* VTL0 has no partition config or lower VTLs; bad VP, partition, input. */
	GUEST_ASSERT_EQ(get_reg(page, ~1u, 0, REG_PARTITION_CONFIG, &v), ST_INVALID_PARAMETER);
	GUEST_ASSERT_EQ(get_reg(page, ~1u, 0, REG_SECURE_CONFIG_VTL0, &v), ST_INVALID_PARAMETER);
	GUEST_ASSERT_EQ(get_reg(page, 7, 0, REG_VP_STATUS, &v), ST_INVALID_VP_INDEX);
	names[0] = REG_VP_STATUS;
	GUEST_ASSERT_EQ(get_regs(page, 5, ~1u, 0, names, 1, 0), ST_INVALID_PARTITION_ID);
	GUEST_ASSERT_EQ(get_reg(page, ~1u, 0x20, REG_VP_STATUS, &v), ST_INVALID_PARAMETER);
	GUEST_ASSERT_EQ(guest_hv_call(page, control(HVCALL_GET_VP_REGISTERS, 1, 0),
				      g_in_gpa + 4, g_out_gpa), ST_INVALID_ALIGNMENT);

	/* Not a VSM register: the VMM answers. */
	GUEST_ASSERT_EQ(get_reg(page, ~1u, 0, REG_X64_RIP, &v), VMM_ANSWER);
	/* Mixed: rep 0 here, rep 1 re-executed and answered by the VMM. */
	names[1] = REG_X64_RIP;
	out[0] = 0;
	GUEST_ASSERT_EQ(get_regs(page, SELF, ~1u, 0, names, 2, 0), 2ull << 32);
	GUEST_ASSERT_EQ(out[0], 0 | 3 << 16);

	/* VtlReturn from VTL0: nowhere to return to. */
	GUEST_ASSERT_EQ(guest_hv_call(page, HVCALL_VTL_RETURN, 0, 0) & 0xffff,
			HV_STATUS_INVALID_VTL_STATE);
	GUEST_DONE();
}

static int vmm_stop;

/* The VMM's side: non-VSM register calls, answered from the ring. */
static void *vmm_answers(void *arg)
{
	struct vtl_pair *p = arg;
	const struct kvm_vsm_ring_record *rec;
	struct kvmvsm_ring ring;
	u64 answer;

	TEST_ASSERT(!kvmvsm_ring_map(p->part, &ring), "ring map");
	while (!READ_ONCE(vmm_stop)) {
		if (kvmvsm_ring_wait(&ring, 100) <= 0)
			continue;
		rec = kvmvsm_ring_peek(&ring);
		if (!rec)
			continue;
		/* The mixed list comes from rep 1 with 2 reps: all done. */
		answer = (rec->hypercall.control >> 48 & 0xfff) == 1 ? 2ull << 32 :
								       VMM_ANSWER;
		if (rec->flags & KVM_VSM_RECORD_NEEDS_COMPLETION)
			kvmvsm_ring_complete(&ring, rec->seq, answer);
		kvmvsm_ring_advance(&ring);
	}
	kvmvsm_ring_unmap(&ring);
	return NULL;
}

FIXTURE(vtl_enable) {};
FIXTURE_SETUP(vtl_enable) {}
FIXTURE_TEARDOWN(vtl_enable) {}

TEST_F_TIMEOUT(vtl_enable, guest_enables_vtl1_and_vsm_registers, ENABLE_TIMEOUT)
{
	struct kvm_vsm_partition_info info;
	struct vtl_pair p;
	pthread_t vmm;
	struct ucall uc;

	vtl_pair_create_vps(&p, vtl0_guest, 0, VTL1_GUEST_ENABLES, 2);
	/* The VTL1 VM's guest has no SVM and no PKU: nested=1 alone is not enough. */
	g_pku = kvm_cpu_has(X86_FEATURE_PKU);
	sync_global_to_guest(p.vm[0], g_pku);
	for (int i = 0; i < 2; i++) {
		vcpu_clear_cpuid_feature(p.vp[1][i], X86_FEATURE_SVM);
		vcpu_clear_cpuid_feature(p.vp[1][i], X86_FEATURE_PKU);
	}
	g_in_gva = vm_vaddr_alloc_page(p.vm[0]);
	g_in_gpa = addr_gva2gpa(p.vm[0], g_in_gva);
	g_out_gva = vm_vaddr_alloc_page(p.vm[0]);
	g_out_gpa = addr_gva2gpa(p.vm[0], g_out_gva);
	g_stack1_top = vm_vaddr_alloc_pages(p.vm[0], 4) + 4 * 4096;
	vtl_initial_context(p.vp[0][0], g_ctx);
	sync_global_to_guest(p.vm[0], g_in_gva);
	sync_global_to_guest(p.vm[0], g_in_gpa);
	sync_global_to_guest(p.vm[0], g_out_gva);
	sync_global_to_guest(p.vm[0], g_out_gpa);
	sync_global_to_guest(p.vm[0], g_stack1_top);
	sync_global_to_guest(p.vm[0], g_ctx);

	ASSERT_EQ(0, kvmvsm_get_info(p.part, &info));
	EXPECT_EQ(1, info.enabled_vtl_mask);
	ASSERT_EQ(0, pthread_create(&vmm, NULL, vmm_answers, &p));
	for (;;) {
		u32 vtl;

		ASSERT_EQ(0, vsm_run_vp(p.part, 0, &vtl, p.vcpu));
		ASSERT_EQ(0, vtl);
		if (get_ucall(p.vp[0][0], &uc) != UCALL_ABORT)
			break;
		REPORT_GUEST_ASSERT(uc);
		break;
	}
	ASSERT_EQ(UCALL_DONE, uc.cmd) {
		struct vtl1_report *rep = addr_gva2hva(p.vm[0], (u64)g_rep[0]);

		TH_LOG("exit %u; VTL1 errors %llu, last at line %llu",
		       p.vp[0][0]->run->exit_reason, (unsigned long long)rep->errors,
		       (unsigned long long)rep->last_error);
	}
	ASSERT_EQ(0, kvmvsm_get_info(p.part, &info));
	EXPECT_EQ(3, info.enabled_vtl_mask);
	WRITE_ONCE(vmm_stop, 1);
	pthread_join(vmm, NULL);

	/* Detaching VTL1 disables it; attached again, it starts disabled. */
	ASSERT_EQ(0, kvmvsm_detach_vtl(p.part, 1));
	ASSERT_EQ(0, kvmvsm_get_info(p.part, &info));
	EXPECT_EQ(1, info.enabled_vtl_mask);
	vtl_pair_destroy(&p);
}

/* What the VMM grants, and the host-side enable flag. */
TEST_F_TIMEOUT(vtl_enable, host_side, ENABLE_TIMEOUT)
{
	struct kvm_vsm_partition_info info;
	struct vtl_pair p;

	struct kvm_vcpu *v;

	vtl_pair_create(&p, vtl0_guest, 0, VTL1_NONE);
	EXPECT_EQ(0x30000, ioctl(p.dev, KVM_VSM_CHECK_EXTENSION, KVM_VSM_CAP_HV_PRIVILEGES));
	p.vm[1] = vm_create_barebones();
	ASSERT_EQ(0, kvmvsm_attach_vtl(p.part, p.vm[1]->fd, 1));
	v = __vm_vcpu_add(p.vm[1], 0);
	/* An unknown flag; then VTL1 enabled by the VMM. */
	EXPECT_EQ(-EINVAL, kvmvsm_attach_vcpu_flags(p.part, v->fd, 1, 2, NULL));
	EXPECT_EQ(0, kvmvsm_attach_vcpu_flags(p.part, v->fd, 1,
					      KVM_VSM_ATTACH_VCPU_ENABLED, NULL));
	ASSERT_EQ(0, kvmvsm_get_info(p.part, &info));
	EXPECT_EQ(3, info.enabled_vtl_mask);
	vtl_pair_destroy(&p);
}

/* Without the privileges in its CPUID, the guest is refused (TLFS). */
static void unprivileged_guest(u64 page_gva, u64 page_gpa, u64 id, u64 arg)
{
	guest_hv_enable(page_gpa);
	GUEST_ASSERT_EQ(guest_hv_call(page_gva, HVCALL_VTL_CALL, 0, 0) & 0xffff,
			ST_ACCESS_DENIED);
	GUEST_ASSERT_EQ(guest_hv_call(page_gva, HVCALL_ENABLE_PARTITION_VTL |
				      HV_HYPERCALL_FAST_BIT, SELF, 1) & 0xffff,
			ST_ACCESS_DENIED);
	GUEST_DONE();
}

TEST_F_TIMEOUT(vtl_enable, no_privilege_access_denied, ENABLE_TIMEOUT)
{
	struct vsm_vm v;
	struct ucall uc;
	int dev, part;

	vsm_vm_create(&v, 1, unprivileged_guest, 0);
	dev = kvmvsm_open();
	ASSERT_LE(0, dev);
	part = kvmvsm_create_partition(dev, 0, 0);
	ASSERT_LE(0, part);
	ASSERT_EQ(0, kvmvsm_attach_vtl(part, v.vm->fd, 0));
	ASSERT_EQ(0, kvmvsm_attach_vcpu(part, v.vcpus[0]->fd, 0, NULL));
	ASSERT_EQ(0, kvmvsm_run_vp(part, 0, NULL));
	if (get_ucall(v.vcpus[0], &uc) == UCALL_ABORT)
		REPORT_GUEST_ASSERT(uc);
	EXPECT_EQ(UCALL_DONE, uc.cmd);
	close(part);
	close(dev);
	kvm_vm_free(v.vm);
}

TEST_HARNESS_MAIN
