// SPDX-License-Identifier: GPL-2.0
/*
 * Secure memory intercepts, from guest code in both VTLs.
 *
 * The TLFS way (kernel mode): VTL1 makes VTL0 pages read-only, no-access
 * or non-executable with HvCallModifyVtlProtectionMask (memory and fast
 * forms); VTL0's write, read and execute each enter VTL1 with entry reason
 * 3 and a HvMessageTypeGpaIntercept message in VTL1's SINT0 slot (and in
 * its VP assist page, which it asked for); VTL1 checks nothing itself but
 * copies the message, restores access and returns; VTL0 then finds its
 * instruction completed and byte-compares the message with what it knows
 * (type, VP, access, GPA, RIP, RFLAGS, CS, instruction length and bytes).
 * A busy slot gets MessagePending and the message after VTL1's EOM. A
 * page-table page VTL1 made read-only: the CPU's accessed-bit update in
 * VTL0's walk is a write intercept.
 *
 * To the VMM: userspace mode, kernel mode with
 * KVM_VSM_RUN_MODE_F_INTERCEPTS_TO_VMM, and kernel mode without VTL1 give
 * the same violations as ring records and exits; the VMM unprotects with
 * KVM_VSM_SET_PROTECTION and runs again: each access lands once.
 */
#include <stddef.h>
#include <sys/ioctl.h>

#include "kvm_util.h"
#include "processor.h"
#include "hyperv.h"

#undef ASSERT_EQ	/* 6.1's test_util.h has its own */
#include "kselftest_harness.h"
#include "vsm_test.h"
#include "vsm_guest.h"
#include "kvmvsm.h"
#include "vsm_vtl.h"

#ifdef VSM_LIB_GVA_T
#define vm_vaddr_alloc(vm, sz, min)	vm_alloc(vm, sz, min)
#endif

#define IC_TIMEOUT	120

#define HVCALL_MODIFY_VTL_PROTECTION_MASK	0x000c
#define HVCALL_SET_VP_REGISTERS			0x0051
#define HV_REG_VSM_PARTITION_CONFIG		0x000d0007
#define HV_VSM_CONFIG_ENABLE_VTL_PROTECTION	BIT_ULL(0)
#define HV_VSM_CONFIG_DEFAULT_MASK_SHIFT	1
#define HV_VSM_CONFIG_INTERCEPT_PAGE		BIT_ULL(12)
#define HVMSG_GPA_INTERCEPT			0x80000001
#define HV_MSG_PENDING				BIT(0)
#define HV_PARTITION_SELF			(~0ull)
#define HV_VP_SELF				0xfffffffeu
#define VP_ASSIST_INTERCEPT_MESSAGE		0x70

#define PROT_R		KVM_VSM_PROT_READ
#define PROT_W		KVM_VSM_PROT_WRITE
#define PROT_X		(KVM_VSM_PROT_KX | KVM_VSM_PROT_UX)
#define PROT_RWX	KVM_VSM_PROT_ALL

/* The SynIC message slot as Hyper-V fills it for a memory intercept. */
struct ic_msg {
	u32 type;
	u8 payload_size;
	u8 flags;
	u8 rsvd[2];
	u64 sender;
	/* HV_X64_INTERCEPT_MESSAGE_HEADER */
	u32 vp_index;
	u8 insn_len;		/* 3:0 */
	u8 access;
	u16 exec_state;
	u64 cs_base;
	u32 cs_limit;
	u16 cs_sel;
	u16 cs_attr;
	u64 rip;
	u64 rflags;
	/* HV_X64_MEMORY_INTERCEPT_MESSAGE */
	u32 cache_type;
	u8 byte_count;
	u8 access_info;
	u8 tpr;
	u8 rsvd2;
	u64 gva;
	u64 gpa;
	u8 bytes[16];
	u8 rest[256 - 16 - 0x50];
} __packed;

_Static_assert(offsetof(struct ic_msg, vp_index) == 16 + 0x00, "vp_index");
_Static_assert(offsetof(struct ic_msg, insn_len) == 16 + 0x04, "insn_len");
_Static_assert(offsetof(struct ic_msg, access) == 16 + 0x05, "access");
_Static_assert(offsetof(struct ic_msg, exec_state) == 16 + 0x06, "exec_state");
_Static_assert(offsetof(struct ic_msg, cs_base) == 16 + 0x08, "cs");
_Static_assert(offsetof(struct ic_msg, rip) == 16 + 0x18, "rip");
_Static_assert(offsetof(struct ic_msg, rflags) == 16 + 0x20, "rflags");
_Static_assert(offsetof(struct ic_msg, cache_type) == 16 + 0x28, "cache_type");
_Static_assert(offsetof(struct ic_msg, byte_count) == 16 + 0x2c, "byte_count");
_Static_assert(offsetof(struct ic_msg, gva) == 16 + 0x30, "gva");
_Static_assert(offsetof(struct ic_msg, gpa) == 16 + 0x38, "gpa");
_Static_assert(offsetof(struct ic_msg, bytes) == 16 + 0x40, "bytes");
_Static_assert(sizeof(struct ic_msg) == 256, "one slot");

/*
 * The faulting instructions, at known addresses (global labels, read
 * back with LEA) and with known bytes; RBX holds the pointer in each.
 * noipa: a clone would define the label twice.
 */
#define IC_NOIPA	__attribute__((noipa))

/* Returns the RFLAGS the store ran with. */
static IC_NOIPA u64 ic_write(u64 *p, u64 v)
{
	u64 flags;

	asm volatile("pushf\n\tpop %[f]\n"
		     ".global ic_write_insn\n"
		     "ic_write_insn:\n\t"
		     "mov %%rax, (%%rbx)"	/* 48 89 03 */
		     : [f] "=&c"(flags) : "a"(v), "b"(p) : "memory");
	return flags;
}

static IC_NOIPA u64 ic_read(u64 *p, u64 *rflags)
{
	u64 v, flags;

	asm volatile("pushf\n\tpop %[f]\n"
		     ".global ic_read_insn\n"
		     "ic_read_insn:\n\t"
		     "mov (%%rbx), %%rax"	/* 48 8b 03 */
		     : [f] "=&c"(flags), "=a"(v) : "b"(p) : "memory");
	*rflags = flags;
	return v;
}

static IC_NOIPA void ic_inc(u64 *p)
{
	asm volatile(".global ic_inc_insn\n"
		     "ic_inc_insn:\n\t"
		     "incq (%%rbx)"		/* 48 ff 03 */
		     : : "b"(p) : "cc", "memory");
}

/* Calls @code (which returns in RAX) with the RFLAGS it stores. */
static IC_NOIPA u64 ic_exec(void *code, u64 *rflags)
{
	u64 v, flags;

	/* The CALL's return address must not land in the red zone. */
	asm volatile("sub $128, %%rsp\n\t"
		     "pushf\n\tpop %[f]\n\t"
		     "call *%%rbx\n\t"
		     "add $128, %%rsp"
		     : [f] "=&c"(flags), "=a"(v) : "b"(code)
		     : "cc", "memory", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11");
	*rflags = flags;
	return v;
}

#define IC_LABEL(name) ({						\
	u64 __a;							\
	asm("lea " #name "(%%rip), %0" : "=r"(__a));			\
	__a;								\
})

static const u8 ic_write_bytes[] = { 0x48, 0x89, 0x03 };
static const u8 ic_read_bytes[] = { 0x48, 0x8b, 0x03 };

/* What the code page holds: mov $0x77, %eax; ret. */
static const u8 ic_code[] = { 0xb8, 0x77, 0x00, 0x00, 0x00, 0xc3 };

#define IC_MAX_MSGS	8

/* Guest memory, set by the host or written by one VTL for the other. */
static u64 g_data_gva, g_data_gpa, g_data2_gva, g_data2_gpa;
static u64 g_code_gva, g_code_gpa, g_walk_gva, g_pte_gpa;
static u64 g_simp_gva, g_simp_gpa, g_in_gva, g_in_gpa;
static struct ic_msg g_msg[IC_MAX_MSGS];	/* VTL1's copies of its SINT0 slot */
static struct ic_msg g_amsg[IC_MAX_MSGS];	/* ... of its VP assist page's */
static u64 g_nmsg, g_reasons[4], g_errors, g_cfg_status, g_unprot_status;
/* VsmPartitionConfig's default mask for VTL0 (default_no_execute: R|W). */
static u64 g_default = PROT_RWX;
static u64 g_cmd, g_arg[3], g_status;
/* Busy-slot test: 1 keep the next message, 2 kept it, 3 EOM delivered. */
static u64 g_busy, g_busy_flags, g_busy_gpa, g_busy_spins;

enum { CMD_NONE, CMD_PROTECT_MEM, CMD_PROTECT_FAST };

/* ---- VTL1 ---- */

static u64 vtl1_protect_mem(const u64 *gfns, u64 n, u32 flags)
{
	u64 *in = (u64 *)g_in_gva, i;

	in[0] = HV_PARTITION_SELF;
	in[1] = flags;		/* map flags; HV_INPUT_VTL 0: the caller */
	for (i = 0; i < n; i++)
		in[2 + i] = gfns[i];
	return guest_hv_call(g_page1_gva, HVCALL_MODIFY_VTL_PROTECTION_MASK | n << 32,
			     g_in_gpa, 0);
}

/* The fast form: header in RDX/R8, the GPA page number in XMM0. */
/* VTL1's XMM input (guest memory for guest_hv_call_xmm()). */
static u64 g_xmm1[12];

static u64 vtl1_protect_fast(u64 gfn, u32 flags)
{
	g_xmm1[0] = gfn;
	return guest_hv_call_xmm(g_page1_gva, HVCALL_MODIFY_VTL_PROTECTION_MASK |
				 HV_HYPERCALL_FAST_BIT | 1ull << 32,
				 HV_PARTITION_SELF, flags, g_xmm1);
}

/*
 * VsmPartitionConfig: VTL protection on (everything allowed by default,
 * as a secure kernel starts), and InterceptPage: intercepts in the VP
 * assist page too.
 */
static u64 vtl1_config(void)
{
	u64 *in = (u64 *)g_in_gva;

	in[0] = HV_PARTITION_SELF;
	in[1] = HV_VP_SELF;	/* HV_INPUT_VTL 0: the caller */
	in[2] = HV_REG_VSM_PARTITION_CONFIG;
	in[3] = 0;
	in[4] = HV_VSM_CONFIG_ENABLE_VTL_PROTECTION |
		READ_ONCE(g_default) << HV_VSM_CONFIG_DEFAULT_MASK_SHIFT |
		HV_VSM_CONFIG_INTERCEPT_PAGE;
	in[5] = 0;
	return guest_hv_call(g_page1_gva, HVCALL_SET_VP_REGISTERS | 1ull << 32, g_in_gpa, 0);
}

static void ic_copy(void *dst, const void *src)
{
	const u8 *s = src;
	u8 *d = dst;
	int i;

	for (i = 0; i < 256; i++)
		d[i] = READ_ONCE(s[i]);
}

/* Entry reason 3: take the message, give the page back, free the slot. */
static void vtl1_intercept(void)
{
	struct ic_msg *slot = (void *)g_simp_gva;
	u64 n = g_nmsg, gfn;

	if (!READ_ONCE(slot->type))
		g_errors++;
	if (g_busy == 2) {
		/* Ours waits: the slot still has the last one, flagged. */
		g_busy_flags = READ_ONCE(slot->flags);
		g_busy_gpa = READ_ONCE(slot->gpa);
		WRITE_ONCE(slot->type, 0);
		wrmsr(HV_X64_MSR_EOM, 0);
		for (g_busy_spins = 0; g_busy_spins < 100000000 && !READ_ONCE(slot->type);
		     g_busy_spins++)
			asm volatile("pause" ::: "memory");
		g_busy = 3;
	}
	if (n < IC_MAX_MSGS) {
		ic_copy(&g_msg[n], slot);
		ic_copy(&g_amsg[n], (u8 *)g_assist1_gva[0] + VP_ASSIST_INTERCEPT_MESSAGE);
	}
	gfn = READ_ONCE(slot->gpa) >> 12;
	g_unprot_status = vtl1_protect_mem(&gfn, 1, PROT_RWX);
	if (g_busy == 1) {
		g_busy = 2;	/* leave it there: the next one finds it busy */
	} else {
		WRITE_ONCE(slot->type, 0);
		if (READ_ONCE(slot->flags) & HV_MSG_PENDING)
			wrmsr(HV_X64_MSR_EOM, 0);
	}
	WRITE_ONCE(g_nmsg, n + 1);
}

static void vtl1_entry(u64 vp, u64 *regs)
{
	struct vp_assist *a = (void *)g_assist1_gva[0];
	u32 reason = READ_ONCE(a->vtl_entry_reason);

	g_reasons[reason & 3]++;
	if (reason == 3) {
		vtl1_intercept();
	} else if (reason == 1) {
		switch (READ_ONCE(g_cmd)) {
		case CMD_PROTECT_MEM:
			g_status = vtl1_protect_mem(g_arg, g_arg[2], PROT_R | PROT_X);
			break;
		case CMD_PROTECT_FAST:
			g_status = vtl1_protect_fast(g_arg[0], g_arg[1]);
			break;
		}
	} else {
		g_errors++;
	}
	WRITE_ONCE(a->vtl_entry_reason, 0);
	a->vtl_ret_rax = regs[GATE_RAX];
	a->vtl_ret_rcx = regs[GATE_RCX];
}

static void vtl1_main0(void)
{
	wrmsr(HV_X64_MSR_GUEST_OS_ID, HYPERV_LINUX_OS_ID);
	wrmsr(HV_X64_MSR_HYPERCALL, g_page1_gpa | 1);
	wrmsr(HV_X64_MSR_VP_ASSIST_PAGE_MSR, g_assist1_gpa[0] | 1);
	wrmsr(HV_X64_MSR_SIMP, g_simp_gpa | 1);
	g_cfg_status = vtl1_config();
	vtl1_gate(0, g_page1_gva, vtl1_entry);
}

/* ---- VTL0 ---- */

static void vtl0_cmd(u64 cmd, u64 a0, u64 a1, u64 a2)
{
	WRITE_ONCE(g_cmd, cmd);
	g_arg[0] = a0;
	g_arg[1] = a1;
	g_arg[2] = a2;
	guest_hv_call(g_page0_gva, HVCALL_VTL_CALL, 0, 0);
}

static u16 vtl0_cs(void)
{
	u16 cs;

	asm volatile("mov %%cs, %0" : "=r"(cs));
	return cs;
}

/*
 * Message @n as Hyper-V writes it for VTL0's @access to @gpa by the
 * instruction at @rip (@len bytes, @bytes) with @rflags; the VP assist
 * page's copy is the same.
 */
static void vtl0_check_msg(u64 n, u8 access, u64 gpa, u64 rip, u8 len,
			   const u8 *bytes, u64 rflags)
{
	struct ic_msg *m = &g_msg[n];
	u16 state = 1 << 2 | 1 << 4;	/* CPL 0, CR0.PE, EFER.LMA, VTL 0 */
	int i;

	if (get_cr0() & X86_CR0_AM)
		state |= 1 << 3;
	GUEST_ASSERT(n < IC_MAX_MSGS);
	GUEST_ASSERT_EQ(m->type, HVMSG_GPA_INTERCEPT);
	GUEST_ASSERT_EQ(m->payload_size, 0x50);
	GUEST_ASSERT_EQ(m->vp_index, 0);
	GUEST_ASSERT_EQ(m->access, access);
	GUEST_ASSERT_EQ(m->insn_len & 0xf, len);
	GUEST_ASSERT_EQ(m->exec_state, state);
	GUEST_ASSERT_EQ(m->cs_sel, vtl0_cs());
	GUEST_ASSERT_EQ(m->cs_base, 0);
	GUEST_ASSERT(m->cs_attr & BIT(13));	/* 64-bit code */
	GUEST_ASSERT_EQ(m->rip, rip);
	GUEST_ASSERT_EQ(m->rflags, rflags);
	GUEST_ASSERT_EQ(m->cache_type, 6);	/* write-back */
	GUEST_ASSERT_EQ(m->access_info, 0);	/* no GVA on AMD NPF */
	GUEST_ASSERT_EQ(m->gpa, gpa);
	GUEST_ASSERT_EQ(m->byte_count, len);
	for (i = 0; i < len; i++)
		GUEST_ASSERT_EQ(m->bytes[i], bytes[i]);
	for (i = 0; i < 256; i++)
		GUEST_ASSERT_EQ(((u8 *)m)[i], ((u8 *)&g_amsg[n])[i]);
}

static void tlfs_guest(u64 vp)
{
	u64 *data = (u64 *)g_data_gva, *data2 = (u64 *)g_data2_gva;
	u64 n, flags, v, rf;

	guest_hv_enable(g_page0_gpa);
	vtl0_cmd(CMD_NONE, 0, 0, 0);		/* VTL1 sets itself up */
	GUEST_ASSERT_EQ(g_cfg_status, 1ull << 32);

	/* 1: write to a page VTL1 made read-only (memory form). */
	*data = 1;
	vtl0_cmd(CMD_PROTECT_MEM, g_data_gpa >> 12, 0, 1);
	GUEST_ASSERT_EQ(g_status, 1ull << 32);
	n = g_nmsg;
	flags = ic_write(data, 0x1234);
	GUEST_ASSERT_EQ(g_nmsg, n + 1);
	GUEST_ASSERT_EQ(g_reasons[3], 1);
	GUEST_ASSERT_EQ(*data, 0x1234);
	GUEST_ASSERT_EQ(g_unprot_status, 1ull << 32);
	vtl0_check_msg(n, 1, g_data_gpa, IC_LABEL(ic_write_insn), 3, ic_write_bytes, flags);

	/* 2: read of a page VTL1 made no-access (fast form). */
	vtl0_cmd(CMD_PROTECT_FAST, g_data_gpa >> 12, 0, 0);
	GUEST_ASSERT_EQ(g_status, 1ull << 32);
	v = ic_read(data, &rf);
	GUEST_ASSERT_EQ(v, 0x1234);
	GUEST_ASSERT_EQ(g_nmsg, n + 2);
	vtl0_check_msg(n + 1, 0, g_data_gpa, IC_LABEL(ic_read_insn), 3, ic_read_bytes, rf);

	/* 3: execute from a page VTL1 made non-executable: nothing fetched. */
	vtl0_cmd(CMD_PROTECT_FAST, g_code_gpa >> 12, PROT_R | PROT_W, 0);
	GUEST_ASSERT_EQ(g_status, 1ull << 32);
	v = ic_exec((void *)g_code_gva, &rf);
	GUEST_ASSERT_EQ(v, 0x77);
	GUEST_ASSERT_EQ(g_nmsg, n + 3);
	vtl0_check_msg(n + 2, 2, g_code_gpa, g_code_gva, 0, NULL, rf);

	/*
	 * 4: SINT0's slot still full (VTL1 kept the first message): the
	 * second gets MessagePending, and arrives after VTL1's EOM.
	 */
	g_busy = 1;
	vtl0_cmd(CMD_PROTECT_MEM, g_data_gpa >> 12, g_data2_gpa >> 12, 2);
	GUEST_ASSERT_EQ(g_status, 2ull << 32);
	flags = ic_write(data, 0x5678);
	GUEST_ASSERT_EQ(g_busy, 2);
	v = ic_write(data2, 0x9abc);
	GUEST_ASSERT_EQ(g_busy, 3);
	GUEST_ASSERT_EQ(g_busy_flags & HV_MSG_PENDING, HV_MSG_PENDING);
	GUEST_ASSERT_EQ(g_busy_gpa, g_data_gpa);
	GUEST_ASSERT(g_busy_spins < 100000000);
	GUEST_ASSERT_EQ(*data, 0x5678);
	GUEST_ASSERT_EQ(*data2, 0x9abc);
	GUEST_ASSERT_EQ(g_nmsg, n + 5);
	vtl0_check_msg(n + 3, 1, g_data_gpa, IC_LABEL(ic_write_insn), 3, ic_write_bytes, flags);
	vtl0_check_msg(n + 4, 1, g_data2_gpa, IC_LABEL(ic_write_insn), 3, ic_write_bytes, v);

	/*
	 * 5: VTL1 made the page-table page of a page VTL0 never touched
	 * read-only: the CPU's accessed-bit update in VTL0's walk for a read
	 * is a write intercept on that page (the instruction is not decoded:
	 * docs/design.md).
	 */
	vtl0_cmd(CMD_PROTECT_MEM, g_pte_gpa >> 12, 0, 1);
	GUEST_ASSERT_EQ(g_status, 1ull << 32);
	v = ic_read((u64 *)g_walk_gva, &rf);
	GUEST_ASSERT_EQ(v, 0x42);
	GUEST_ASSERT_EQ(g_nmsg, n + 6);
	GUEST_ASSERT_EQ(g_msg[n + 5].gpa >> 12, g_pte_gpa >> 12);
	vtl0_check_msg(n + 5, 1, g_msg[n + 5].gpa, IC_LABEL(ic_read_insn), 0, NULL, rf);

	GUEST_ASSERT_EQ(g_reasons[3], 6);
	GUEST_ASSERT_EQ(g_errors, 0);
	GUEST_DONE();
}

/*
 * The default mask denies execute everywhere VTL1 gave no mask of its
 * own (the VMM gave one to the pages VTL0 runs from): executing a fresh
 * page enters VTL1, which gives that page a mask of its own and returns;
 * the call then completes.
 */
static void default_nx_guest(u64 vp)
{
	u64 rf;

	guest_hv_enable(g_page0_gpa);
	vtl0_cmd(CMD_NONE, 0, 0, 0);		/* VTL1 sets itself up */
	GUEST_ASSERT_EQ(g_cfg_status, 1ull << 32);
	GUEST_ASSERT_EQ(ic_exec((void *)g_code_gva, &rf), 0x77);
	GUEST_ASSERT_EQ(g_nmsg, 1);
	GUEST_ASSERT_EQ(g_msg[0].type, HVMSG_GPA_INTERCEPT);
	GUEST_ASSERT_EQ(g_msg[0].access, 2);
	GUEST_ASSERT_EQ(g_msg[0].gpa, g_code_gpa);
	GUEST_ASSERT_EQ(g_unprot_status, 1ull << 32);
	/* Data elsewhere stays readable and writable under the default. */
	GUEST_ASSERT_EQ(ic_read((u64 *)g_data2_gva, &rf), 0x77);
	ic_inc((u64 *)g_data_gva);
	GUEST_ASSERT_EQ(g_nmsg, 1);
	GUEST_ASSERT_EQ(g_reasons[3], 1);
	GUEST_ASSERT_EQ(g_errors, 0);
	GUEST_DONE();
}

/* VTL0 alone: the three violations, each handled by the VMM. */
static void vmm_guest(u64 vp)
{
	u64 rf;

	ic_inc((u64 *)g_data_gva);
	GUEST_ASSERT_EQ(ic_read((u64 *)g_data2_gva, &rf), 0x77);
	GUEST_ASSERT_EQ(ic_exec((void *)g_code_gva, &rf), 0x77);
	GUEST_ASSERT_EQ(*(u64 *)g_data_gva, 1);
	GUEST_DONE();
}

/* ---- host ---- */

/* The GPA of the PTE mapping @gva (4 KiB pages); clears its A bit. */
static u64 ic_pte_gpa(struct kvm_vm *vm, struct kvm_vcpu *v, u64 gva)
{
	struct kvm_sregs sr;
	u64 table, *e;
	int level;

	vcpu_sregs_get(v, &sr);
	table = sr.cr3 & 0x000ffffffffff000ull;
	/* Newer libraries use 5-level paging where the CPU has it. */
	for (level = sr.cr4 & X86_CR4_LA57 ? 4 : 3; level > 0; level--) {
		e = addr_gpa2hva(vm, table + ((gva >> (12 + 9 * level)) & 511) * 8);
		TEST_ASSERT(*e & 1, "PTE level %d not present", level);
		table = *e & 0x000ffffffffff000ull;
	}
	table += ((gva >> 12) & 511) * 8;
	e = addr_gpa2hva(vm, table);
	*e &= ~BIT_ULL(5);	/* accessed */
	return table;
}

/* Guest pages for the tests; VTL1 (if any) starts in vtl1_main0(). */
static void ic_pair_create(struct vtl_pair *p, void *guest, int vtl1)
{
	struct kvm_vm *vm;

	vtl_pair_create(p, guest, 0, vtl1);
	vm = p->vm[0];
	g_data_gva = vm_vaddr_alloc_page(vm);
	g_data_gpa = addr_gva2gpa(vm, g_data_gva);
	g_data2_gva = vm_vaddr_alloc_page(vm);
	g_data2_gpa = addr_gva2gpa(vm, g_data2_gva);
	g_code_gva = vm_vaddr_alloc_page(vm);
	g_code_gpa = addr_gva2gpa(vm, g_code_gva);
	memcpy(addr_gva2hva(vm, g_code_gva), ic_code, sizeof(ic_code));
	*(u64 *)addr_gva2hva(vm, g_data2_gva) = 0x77;
	g_simp_gva = vm_vaddr_alloc_page(vm);
	g_simp_gpa = addr_gva2gpa(vm, g_simp_gva);
	g_in_gva = vm_vaddr_alloc_page(vm);
	g_in_gpa = addr_gva2gpa(vm, g_in_gva);
	/* Its own page-table page: nothing else VTL0 touches is mapped there. */
	g_walk_gva = vm_vaddr_alloc(vm, 4096, 0x40000000);
	*(u64 *)addr_gva2hva(vm, g_walk_gva) = 0x42;
	g_pte_gpa = ic_pte_gpa(vm, p->vcpu[0], g_walk_gva);
	sync_global_to_guest(vm, g_data_gva);
	sync_global_to_guest(vm, g_data_gpa);
	sync_global_to_guest(vm, g_data2_gva);
	sync_global_to_guest(vm, g_data2_gpa);
	sync_global_to_guest(vm, g_code_gva);
	sync_global_to_guest(vm, g_code_gpa);
	sync_global_to_guest(vm, g_simp_gva);
	sync_global_to_guest(vm, g_simp_gpa);
	sync_global_to_guest(vm, g_in_gva);
	sync_global_to_guest(vm, g_in_gpa);
	sync_global_to_guest(vm, g_walk_gva);
	sync_global_to_guest(vm, g_pte_gpa);
	if (vtl1 == VTL1_NONE)
		return;
	vtl1_set_rip(p, 0, vtl1_main0);
	/* VTL1 uses its SynIC: SIMP and EOM. */
	vcpu_enable_cap(p->vp[1][0], KVM_CAP_HYPERV_SYNIC2, 0);
}

static struct kvm_vsm_partition_info ic_info(int part)
{
	struct kvm_vsm_partition_info info;

	TEST_ASSERT(!kvmvsm_get_info(part, &info), "partition info");
	return info;
}

static int ic_set_run_mode(int part, u32 mode, u32 flags)
{
	struct kvm_vsm_run_mode m = { .mode = mode, .flags = flags };

	return ioctl(part, KVM_VSM_SET_RUN_MODE, &m) ? -errno : 0;
}

FIXTURE(intercept) {};
FIXTURE_SETUP(intercept) {}
FIXTURE_TEARDOWN(intercept) {}

/*
 * Run VP0 of @p until VTL0's guest is done. VTL1 handles everything; the
 * VMM only sees KVM's own SynIC exit for VTL1's SIMP write, and VTL0's
 * ucalls.
 */
static void ic_run_tlfs(struct __test_metadata *_metadata, struct vtl_pair *p)
{
	struct kvm_run *run;
	struct ucall uc;
	u32 vtl;
	int r;

	for (;;) {
		r = vsm_run_vp(p->part, 0, &vtl, p->vcpu);
		ASSERT_EQ(0, r);
		run = p->vcpu[vtl]->run;
		if (vtl == 1) {
			ASSERT_EQ(KVM_EXIT_HYPERV, run->exit_reason);
			ASSERT_EQ(KVM_EXIT_HYPERV_SYNIC, run->hyperv.type);
			continue;
		}
		r = get_ucall(p->vcpu[0], &uc);
		if (r == UCALL_ABORT)
			REPORT_GUEST_ASSERT(uc);
		ASSERT_EQ(UCALL_DONE, r);
		break;
	}
}

/* The TLFS way, every violation and the SynIC protocol. */
TEST_F_TIMEOUT(intercept, tlfs_way, IC_TIMEOUT)
{
	struct vtl_pair p;

	ic_pair_create(&p, tlfs_guest, VTL1_HOST_ENABLED);
	ic_run_tlfs(_metadata, &p);
	EXPECT_EQ(6, ic_info(p.part).memory_intercepts);
	/* The walk finished: the PTE has its accessed bit. */
	EXPECT_TRUE(*(u64 *)addr_gpa2hva(p.vm[0], g_pte_gpa) & BIT_ULL(5));
	vtl_pair_destroy(&p);
}

TEST_F_TIMEOUT(intercept, default_no_execute, IC_TIMEOUT)
{
	struct userspace_mem_region *slot0;
	struct kvm_vsm_prot_entry e = {};
	struct vtl_pair p;
	u8 got;

	g_default = PROT_R | PROT_W;
	ic_pair_create(&p, default_nx_guest, VTL1_HOST_ENABLED);
	sync_global_to_guest(p.vm[0], g_default);
	/*
	 * VTL0's code, stack and tables run under masks of their own (all
	 * access); the page it is to execute keeps the default.
	 */
	slot0 = memslot2region(p.vm[0], 0);
	e.gfn = slot0->region.guest_phys_addr >> 12;
	e.count = slot0->region.memory_size >> 12;
	e.prot = PROT_RWX;
	ASSERT_EQ(0, kvmvsm_set_protection(p.part, 0, &e, 1));
	e.gfn = g_code_gpa >> 12;
	e.count = 1;
	e.prot = KVM_VSM_PROT_DEFAULT;
	ASSERT_EQ(0, kvmvsm_set_protection(p.part, 0, &e, 1));
	ic_run_tlfs(_metadata, &p);
	EXPECT_EQ(1, ic_info(p.part).memory_intercepts);
	/* What VTL1 gave the page is its own now; the rest shows the default. */
	ASSERT_EQ(0, kvmvsm_get_protection(p.part, 0, g_code_gpa >> 12, &got, 1));
	EXPECT_EQ(PROT_RWX, got);
	ASSERT_EQ(0, kvmvsm_get_protection(p.part, 0, g_data_gpa >> 12, &got, 1));
	EXPECT_EQ(PROT_RWX, got);
	vtl_pair_destroy(&p);
	g_default = PROT_RWX;
}

/*
 * The VMM's side: run VP0 of @p (whose VTL0 runs vmm_guest()) and handle
 * each intercept as a VMM does: the exit and its ring record agree, the
 * page is unprotected with KVM_VSM_SET_PROTECTION, the VP runs again.
 */
static void ic_vmm_run(struct __test_metadata *_metadata, struct vtl_pair *p)
{
	const struct {
		u64 gpa, rip;
		u8 access, len, prot;
	} want[] = {
		{ g_data_gpa, IC_LABEL(ic_inc_insn), KVM_VSM_ACCESS_WRITE, 3, PROT_R | PROT_X },
		{ g_data2_gpa, IC_LABEL(ic_read_insn), KVM_VSM_ACCESS_READ, 3, 0 },
		{ g_code_gpa, g_code_gva, KVM_VSM_ACCESS_EXECUTE, 0, PROT_R | PROT_W },
	};
	const struct kvm_vsm_ring_record *rec;
	struct kvm_vsm_prot_entry e = { .count = 1 };
	struct kvmvsm_ring ring;
	struct kvm_run *run;
	u64 seq = 0;
	struct ucall uc;
	u32 vtl, n = 0, i;
	int r;

	for (i = 0; i < 3; i++) {
		e.gfn = want[i].gpa >> 12;
		e.prot = want[i].prot;
		ASSERT_EQ(0, kvmvsm_set_protection(p->part, 0, &e, 1));
	}
	ASSERT_EQ(0, kvmvsm_ring_map(p->part, &ring));
	for (;;) {
		r = vsm_run_vp(p->part, 0, &vtl, p->vcpu);
		ASSERT_EQ(0, r);
		ASSERT_EQ(0, vtl);
		run = p->vcpu[0]->run;
		if (run->exit_reason == KVM_EXIT_HYPERV &&
		    run->hyperv.type == KVM_VSM_EXIT_HYPERV_MEMORY_INTERCEPT) {
			ASSERT_LT(n, 3);
			rec = kvmvsm_ring_peek(&ring);
			ASSERT_NE(NULL, rec);
			ASSERT_EQ(KVM_VSM_RECORD_MEMORY_INTERCEPT, rec->type);
			EXPECT_EQ(0, rec->flags);
			if (seq)
				EXPECT_EQ(seq + 1, rec->seq);
			seq = rec->seq;
			EXPECT_EQ(rec->seq, run->hyperv.u.hcall.params[0]);
			EXPECT_EQ(want[n].gpa, run->hyperv.u.hcall.input);
			EXPECT_EQ(want[n].access, run->hyperv.u.hcall.params[1]);
			EXPECT_EQ(0, rec->vp);
			EXPECT_EQ(0, rec->vtl);
			EXPECT_EQ(want[n].gpa, rec->memory.gpa);
			EXPECT_EQ(want[n].access, rec->memory.access);
			EXPECT_EQ(want[n].rip, rec->memory.rip);
			EXPECT_EQ(want[n].len, rec->memory.insn_len);
			EXPECT_EQ(want[n].prot, rec->memory.prot);
			EXPECT_EQ(0, rec->memory.flags);
			kvmvsm_ring_advance(&ring);
			e.gfn = want[n].gpa >> 12;
			e.prot = PROT_RWX;
			ASSERT_EQ(0, kvmvsm_set_protection(p->part, 0, &e, 1));
			n++;
			continue;
		}
		r = get_ucall(p->vcpu[0], &uc);
		if (r == UCALL_ABORT)
			REPORT_GUEST_ASSERT(uc);
		ASSERT_EQ(UCALL_DONE, r);
		break;
	}
	EXPECT_EQ(3, n);
	EXPECT_EQ(NULL, kvmvsm_ring_peek(&ring));
	EXPECT_EQ(3, ic_info(p->part).memory_intercepts);
	/* The increment landed once. */
	EXPECT_EQ(1, *(u64 *)addr_gpa2hva(p->vm[0], g_data_gpa));
	kvmvsm_ring_unmap(&ring);
}

TEST_F_TIMEOUT(intercept, userspace_mode_to_vmm, IC_TIMEOUT)
{
	struct vtl_pair p;

	ic_pair_create(&p, vmm_guest, VTL1_HOST_ENABLED);
	ASSERT_EQ(0, kvmvsm_set_run_mode(p.part, KVM_VSM_RUN_MODE_USERSPACE));
	ic_vmm_run(_metadata, &p);
	vtl_pair_destroy(&p);
}

TEST_F_TIMEOUT(intercept, kernel_mode_flag_to_vmm, IC_TIMEOUT)
{
	struct vtl_pair p;

	ic_pair_create(&p, vmm_guest, VTL1_HOST_ENABLED);
	ASSERT_EQ(0, ic_set_run_mode(p.part, KVM_VSM_RUN_MODE_KERNEL,
				     KVM_VSM_RUN_MODE_F_INTERCEPTS_TO_VMM));
	ic_vmm_run(_metadata, &p);
	vtl_pair_destroy(&p);
}

/* No VTL above VTL0 on the VP: only the VMM can hear about it. */
TEST_F_TIMEOUT(intercept, kernel_mode_no_vtl1_to_vmm, IC_TIMEOUT)
{
	struct vtl_pair p;

	ic_pair_create(&p, vmm_guest, VTL1_NONE);
	ic_vmm_run(_metadata, &p);
	vtl_pair_destroy(&p);
}

/* VTL0: one increment of a page the VMM keeps read-only for a while. */
static void refault_guest(u64 vp)
{
	ic_inc((u64 *)g_data_gva);
	GUEST_DONE();
}

/*
 * The VMM leaves the page protected and does not consume: each run makes
 * the same intercept again (nothing retired), one record each, until the
 * ring is full: then the RING_FULL exit, nothing published. Drained and
 * unprotected, the increment lands once.
 */
TEST_F_TIMEOUT(intercept, ring_full_refaults, IC_TIMEOUT)
{
	struct kvm_vsm_prot_entry e = { .count = 1, .prot = PROT_R | PROT_X };
	struct kvm_vsm_partition_info info;
	struct kvmvsm_ring ring;
	struct kvm_run *run;
	struct vtl_pair p;
	struct ucall uc;
	u32 vtl, i;

	ic_pair_create(&p, refault_guest, VTL1_NONE);
	info = ic_info(p.part);
	e.gfn = g_data_gpa >> 12;
	ASSERT_EQ(0, kvmvsm_set_protection(p.part, 0, &e, 1));
	ASSERT_EQ(0, kvmvsm_ring_map(p.part, &ring));
	run = p.vcpu[0]->run;
	for (i = 0; i < info.ring_entries; i++) {
		ASSERT_EQ(0, kvmvsm_run_vp(p.part, 0, &vtl));
		ASSERT_EQ(KVM_EXIT_HYPERV, run->exit_reason);
		ASSERT_EQ(KVM_VSM_EXIT_HYPERV_MEMORY_INTERCEPT, run->hyperv.type);
		ASSERT_EQ(i + 1, run->hyperv.u.hcall.params[0]);	/* seq */
	}
	ASSERT_EQ(0, kvmvsm_run_vp(p.part, 0, &vtl));
	ASSERT_EQ(KVM_EXIT_HYPERV, run->exit_reason);
	ASSERT_EQ(KVM_VSM_EXIT_HYPERV_RING_FULL, run->hyperv.type);
	EXPECT_EQ(g_data_gpa, run->hyperv.u.hcall.input);
	EXPECT_EQ(info.ring_entries, ic_info(p.part).memory_intercepts);
	EXPECT_EQ(0, *(u64 *)addr_gpa2hva(p.vm[0], g_data_gpa));
	for (i = 0; i < info.ring_entries; i++) {
		ASSERT_NE(NULL, kvmvsm_ring_peek(&ring));
		ASSERT_EQ(0, kvmvsm_ring_advance(&ring));
	}
	e.prot = PROT_RWX;
	ASSERT_EQ(0, kvmvsm_set_protection(p.part, 0, &e, 1));
	ASSERT_EQ(0, kvmvsm_run_vp(p.part, 0, &vtl));
	if (get_ucall(p.vcpu[0], &uc) == UCALL_ABORT)
		REPORT_GUEST_ASSERT(uc);
	ASSERT_EQ(UCALL_DONE, get_ucall(p.vcpu[0], &uc));
	EXPECT_EQ(1, *(u64 *)addr_gpa2hva(p.vm[0], g_data_gpa));
	EXPECT_EQ(NULL, kvmvsm_ring_peek(&ring));
	kvmvsm_ring_unmap(&ring);
	vtl_pair_destroy(&p);
}

TEST_F(intercept, run_mode_flags)
{
	struct vtl_pair p;

	vtl_pair_create(&p, vmm_guest, 0, VTL1_NONE);
	/* Userspace mode sends every intercept to the VMM: no choice there. */
	EXPECT_EQ(-EINVAL, ic_set_run_mode(p.part, KVM_VSM_RUN_MODE_USERSPACE,
					   KVM_VSM_RUN_MODE_F_INTERCEPTS_TO_VMM));
	EXPECT_EQ(-EINVAL, ic_set_run_mode(p.part, KVM_VSM_RUN_MODE_KERNEL, 1u << 1));
	EXPECT_EQ(0, ic_set_run_mode(p.part, KVM_VSM_RUN_MODE_KERNEL,
				     KVM_VSM_RUN_MODE_F_INTERCEPTS_TO_VMM));
	EXPECT_EQ(KVM_VSM_RUN_MODE_KERNEL, ic_info(p.part).run_mode);
	EXPECT_EQ(0, ic_set_run_mode(p.part, KVM_VSM_RUN_MODE_USERSPACE, 0));
	EXPECT_EQ(0, ic_info(p.part).memory_intercepts);
	vtl_pair_destroy(&p);
}

TEST_HARNESS_MAIN
