/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A two-VTL VP for tests and benchmarks: VM0 is VTL0 and runs the test's
 * guest code; VM1 is VTL1, maps the same guest memory (same userspace
 * backing, its own memslots: the one-VM-per-VTL model); VTL1 of VP i
 * starts at vtl1_entries[i] with VTL0's initial page tables and segments.
 *
 * VTL1 cannot make ucalls (the library knows only VM0's address space):
 * it reports through struct vtl1_report in shared guest memory.
 * Include after vsm_guest.h.
 */
#ifndef VSM_VTL_H
#define VSM_VTL_H

#include <pthread.h>

#define HVCALL_VTL_RETURN		0x0012
#define HV_STATUS_INVALID_VTL_STATE	0x0051
#define HV_X64_MSR_VP_ASSIST_PAGE_MSR	0x40000073

/* TLFS VP assist page, VTL control area. */
struct vp_assist {
	u32 apic_assist;
	u32 reserved;
	u32 vtl_entry_reason;
	u32 vtl_reserved;
	u64 vtl_ret_rax;
	u64 vtl_ret_rcx;
};

struct vtl1_report {
	u64 entries;
	u64 errors;
	u64 last_error;
};

#define VTL_MAX_VPS	4

/* Guest globals, in guest memory both VTLs share; set by the host. */
static u64 g_page0_gva, g_page0_gpa, g_page1_gva, g_page1_gpa, g_iters;
static u64 g_assist1_gva[VTL_MAX_VPS], g_assist1_gpa[VTL_MAX_VPS];
static struct vtl1_report *g_rep[VTL_MAX_VPS];
/*
 * Transition buffers as globals, not locals: 6.1's selftests start guest
 * code with an RSP 8 bytes off the ABI's alignment, and GCC initialises
 * local arrays with aligned SSE stores.
 */
static u64 vtl0_in[VTL_MAX_VPS][5], vtl0_out[VTL_MAX_VPS][7];
static u64 vtl1_in[VTL_MAX_VPS][5], vtl1_out[VTL_MAX_VPS][7];

/*
 * vtl_transition(page, control, rax, in[5], out[7]): a hypercall through
 * @page that may switch VTL. Sets R12-R15 and XMM7 from @in, RCX =
 * @control, RAX = @rax; afterwards stores R12-R15, XMM7, RAX, RCX into
 * @out. Callee-saved registers are kept on this VTL's own stack (RSP is
 * private), since the other VTL's values arrive in every shared GPR.
 */
asm(".pushsection .text\n"
	".global vtl_transition\n"
	"vtl_transition:\n"
	"	push %rbx\n	push %rbp\n	push %r12\n	push %r13\n	push %r14\n	push %r15\n"
	"	push %r8\n"
	"	mov 0(%rcx), %r12\n	mov 8(%rcx), %r13\n	mov 16(%rcx), %r14\n"
	"	mov 24(%rcx), %r15\n	movq 32(%rcx), %xmm7\n"
	"	mov %rdi, %rbx\n	mov %rsi, %rcx\n	mov %rdx, %rax\n"
	"	call *%rbx\n"
	"	pop %rbx\n"
	"	mov %r12, 0(%rbx)\n	mov %r13, 8(%rbx)\n	mov %r14, 16(%rbx)\n"
	"	mov %r15, 24(%rbx)\n	movq %xmm7, 32(%rbx)\n	mov %rax, 40(%rbx)\n"
	"	mov %rcx, 48(%rbx)\n"
	"	pop %r15\n	pop %r14\n	pop %r13\n	pop %r12\n	pop %rbp\n	pop %rbx\n"
	"	ret\n"
	".popsection\n");
void vtl_transition(u64 page, u64 control, u64 rax, const u64 *in, u64 *out);

enum { OUT_R12, OUT_R13, OUT_R14, OUT_R15, OUT_XMM7, OUT_RAX, OUT_RCX };

#define HV_REG_VSM_CODE_PAGE_OFFSETS	0x000d0002

/*
 * How the harness's guest code switches VTL (set by the host before
 * vtl_pair_create*(), which gives it to the guest): 0 by hypercall code
 * through the page's hypercall instruction at offset 0 (RCX = 0x11/0x12,
 * RAX = the flags); 1 as Hyper-V guests do, by calling the page's
 * VtlCall/VtlReturn entries at the offsets HvRegisterVsmCodePageOffsets
 * reports (RCX = the flags). vtl_switch_setup() reads the offsets.
 */
static u64 g_vtl_via_page;
static u64 g_vtl_offsets;	/* HvRegisterVsmCodePageOffsets, as read */
/* A page per VP for hypercall input (first half) and output. */
static u64 g_io_gva[VTL_MAX_VPS], g_io_gpa[VTL_MAX_VPS];

/* The address to call in hypercall page @page for VtlCall/VtlReturn @code. */
static inline u64 vtl_switch_target(u64 page, u64 code)
{
	if (!g_vtl_via_page)
		return page;
	return page + (code == HVCALL_VTL_CALL ? g_vtl_offsets & 0xfff :
		       (g_vtl_offsets >> 12) & 0xfff);
}

/* RCX for it: the code, or through the page's entry the flags. */
static inline u64 vtl_switch_rcx(u64 code, u64 flags)
{
	return g_vtl_via_page ? flags : code;
}

/*
 * VTL @vp's first step, after enabling its hypercall page @page: with
 * g_vtl_via_page, GetVpRegisters(HvRegisterVsmCodePageOffsets) through the
 * page's hypercall instruction, into g_vtl_offsets. Returns its status.
 */
static inline u64 vtl_switch_setup(u64 page, u64 vp)
{
	u64 *io = (u64 *)g_io_gva[vp], st;

	if (!g_vtl_via_page)
		return 1ull << 32;
	io[0] = ~0ull;				/* HV_PARTITION_ID_SELF */
	io[1] = 0xfffffffe;			/* HV_VP_INDEX_SELF, own VTL */
	io[2] = HV_REG_VSM_CODE_PAGE_OFFSETS;
	io[256] = 0;
	st = guest_hv_call(page, HVCALL_GET_VP_REGISTERS | 1ull << 32,
			   g_io_gpa[vp], g_io_gpa[vp] + 2048);
	if (st == 1ull << 32)
		WRITE_ONCE(g_vtl_offsets, io[256]);
	return st;
}

/* vtl_transition() for VtlCall/VtlReturn @code, the way g_vtl_via_page says. */
static inline void vtl_switch(u64 page, u64 code, u64 flags, const u64 *in,
			      u64 *out)
{
	vtl_transition(vtl_switch_target(page, code), vtl_switch_rcx(code, flags),
		       flags, in, out);
}

/* The status of a VtlCall/VtlReturn @code that cannot switch, the same way. */
static inline u64 vtl_switch_status(u64 page, u64 code)
{
	return guest_hv_call(vtl_switch_target(page, code),
			     vtl_switch_rcx(code, 0), 0, 0);
}

/*
 * vtl1_gate(vp, page, entry): VTL1's side as a secure kernel does it.
 * VtlReturn (fast) to VTL0, then forever: on each entry save the 15
 * shared GPRs on VTL1's own stack (RSP is private), call entry(vp, regs),
 * restore them and VtlReturn restoring RAX/RCX from the VP assist page,
 * where entry() must put VTL0's (regs[GATE_RAX], regs[GATE_RCX]). So VTL0
 * code survives being preempted anywhere. The VtlReturns go the way
 * g_vtl_via_page says: vtl1_gate_asm() calls @ret with RAX = the flags and
 * RCX = @code, or the flags when @code is 0 (the page's entry).
 */
asm(".pushsection .text\n"
	".global vtl1_gate_asm\n"
	"vtl1_gate_asm:\n"
	"	push %rcx\n	push %rdi\n	push %rsi\n	push %rdx\n"
	"	mov $1, %eax\n	mov 24(%rsp), %rcx\n"
	"	test %rcx, %rcx\n	cmovz %rax, %rcx\n"
	"	call *8(%rsp)\n"
	"1:\n"
	"	push %rax\n	push %rbx\n	push %rcx\n	push %rdx\n"
	"	push %rsi\n	push %rdi\n	push %rbp\n	push %r8\n"
	"	push %r9\n	push %r10\n	push %r11\n	push %r12\n"
	"	push %r13\n	push %r14\n	push %r15\n"
	"	mov %rsp, %rsi\n	mov 136(%rsp), %rdi\n"
	"	call *120(%rsp)\n"	/* 4 + 15 slots: the ABI's alignment */
	"	pop %r15\n	pop %r14\n	pop %r13\n	pop %r12\n"
	"	pop %r11\n	pop %r10\n	pop %r9\n	pop %r8\n"
	"	pop %rbp\n	pop %rdi\n	pop %rsi\n	pop %rdx\n"
	"	pop %rcx\n	pop %rbx\n	pop %rax\n"
	"	xor %eax, %eax\n	mov 24(%rsp), %rcx\n"
	"	test %rcx, %rcx\n	cmovz %rax, %rcx\n"
	"	call *8(%rsp)\n"
	"	jmp 1b\n"
	".popsection\n");
void __noreturn vtl1_gate_asm(u64 vp, u64 ret, void (*entry)(u64 vp, u64 *regs),
			      u64 code);

enum { GATE_R15, GATE_RCX = 12, GATE_RAX = 14 };

static inline void __noreturn vtl1_gate(u64 vp, u64 page,
					void (*entry)(u64 vp, u64 *regs))
{
	vtl1_gate_asm(vp, vtl_switch_target(page, HVCALL_VTL_RETURN), entry,
		      g_vtl_via_page ? 0 : HVCALL_VTL_RETURN);
}

/*
 * 32-bit compatibility mode for guest code: a code and a stack segment
 * vtl32_setup() adds to the guest's GDT (one page both VTLs' GDTR point
 * to: VTL1 starts with VTL0's).
 */
#define SEL_CODE32	0x100
#define SEL_DATA32	0x108
#define DESC_CODE32	0x00cf9b000000ffffull	/* base 0, 4 GiB, D, exec/read */
#define DESC_DATA32	0x00cf93000000ffffull	/* base 0, 4 GiB, B, read/write */

/*
 * vtl32_call(target, eax, ebx, out): in compatibility mode (CS SEL_CODE32,
 * SS SEL_DATA32), call @target with EAX = @eax, EBX = @ebx, ECX and EDX
 * poisoned; afterwards store EAX, ECX, EDX, EBX at @out (4 u32) and come
 * back to 64-bit mode and the caller's SS. Code, stack and @out lie below
 * 4 GiB. What it needs after the call is on its stack: every GPR but RSP
 * may come back from another VTL.
 */
asm(".pushsection .text\n"
	".global vtl32_call\n"
	"vtl32_call:\n"
	"	push %rbx\n	push %rbp\n	push %r12\n	push %r13\n"
	"	push %r14\n	push %r15\n"
	"	mov %ss, %eax\n	push %rax\n"
	"	push %rcx\n	push %rdi\n"
	"	sub $8, %rsp\n"
	"	mov %cs, %eax\n	mov %eax, 4(%rsp)\n"
	"	lea 2f(%rip), %rax\n	mov %eax, 0(%rsp)\n"
	"	mov $0x108, %eax\n	mov %ax, %ss\n"	/* SEL_DATA32 */
	"	mov %rsi, %rax\n	mov %rdx, %rbx\n"
	"	mov $0x77777777, %ecx\n	mov $0x66666666, %edx\n"
	"	pushq $0x100\n"			/* SEL_CODE32 */
	"	lea 1f(%rip), %rbp\n	push %rbp\n"
	"	lretq\n"
	".code32\n"
	"1:	call *8(%esp)\n"
	"	mov 16(%esp), %ebp\n"
	"	mov %eax, 0(%ebp)\n	mov %ecx, 4(%ebp)\n"
	"	mov %edx, 8(%ebp)\n	mov %ebx, 12(%ebp)\n"
	"	lret\n"
	".code64\n"
	"2:	add $16, %rsp\n"
	"	pop %rax\n	mov %ax, %ss\n"
	"	pop %r15\n	pop %r14\n	pop %r13\n	pop %r12\n	pop %rbp\n	pop %rbx\n"
	"	ret\n"
	".popsection\n");
void vtl32_call(u64 target, u64 eax, u64 ebx, u32 *out);

/* Guest: add the two segments to the GDT; false if it is too small. */
static inline bool vtl32_setup(void)
{
	struct desc_ptr gdt = get_gdt();

	if (gdt.size < SEL_DATA32 + 7)
		return false;
	((u64 *)gdt.address)[SEL_CODE32 >> 3] = DESC_CODE32;
	((u64 *)gdt.address)[SEL_DATA32 >> 3] = DESC_DATA32;
	return true;
}

#define VTL0_FS_BASE	0x2222000ull
#define VTL0_KGS_BASE	0x3333000ull
#define VTL1_FS_BASE	0x1111000ull
#define VTL1_KGS_BASE	0x4444000ull
/* More TLFS private state, different in each VTL (CR3 too, see g_cr3). */
#define VTL0_LSTAR	0x6666000ull
#define VTL1_LSTAR	0x7777000ull
#define VTL0_CR8	3
#define VTL1_CR8	9
#define RFLAGS_AC	BIT_ULL(18)	/* VTL1 runs with it, VTL0 without */

static u64 g_cr3[2][VTL_MAX_VPS];	/* each VTL's CR3, recorded at start */

static inline u64 vtl_cr8(void)
{
	u64 v;

	asm volatile("mov %%cr8, %0" : "=r"(v));
	return v;
}

static inline void vtl_set_cr8(u64 v)
{
	asm volatile("mov %0, %%cr8" :: "r"(v) : "memory");
}

static inline u64 vtl_rflags(void)
{
	u64 f;

	asm volatile("pushf; pop %0" : "=r"(f));
	return f;
}

/* The private state VTL @vtl of VP @vp set for itself is still there. */
static inline bool vtl_private_ok(int vtl, u64 vp)
{
	return rdmsr(MSR_LSTAR) == (vtl ? VTL1_LSTAR : VTL0_LSTAR) + vp &&
	       vtl_cr8() == (vtl ? VTL1_CR8 : VTL0_CR8) &&
	       !!(vtl_rflags() & RFLAGS_AC) == vtl &&
	       get_cr3() == g_cr3[vtl][vp];
}

static inline void vtl_private_set(int vtl, u64 vp)
{
	wrmsr(MSR_LSTAR, (vtl ? VTL1_LSTAR : VTL0_LSTAR) + vp);
	vtl_set_cr8(vtl ? VTL1_CR8 : VTL0_CR8);
	if (vtl)
		asm volatile("pushf; orq %0, (%%rsp); popf" :: "i"(RFLAGS_AC) : "cc");
	g_cr3[vtl][vp] = get_cr3();
}

static inline void vtl1_error(u64 vp, u64 what)
{
	g_rep[vp]->errors++;
	g_rep[vp]->last_error = what;
}

/*
 * VTL1: set up its own Hyper-V state (private per VTL), then serve VTL
 * calls forever. Return j hands VTL0 R12..XMM7 = 0x5100+j..0x5500+j; even
 * returns restore VTL0's RAX/RCX from the VP assist page, odd ones are
 * fast. Each call must bring VTL0's 0x1200+j.. values, entry reason 1 and
 * VTL1's own FS/kernel GS base, LSTAR, CR8, RFLAGS.AC and CR3.
 */
static void vtl1_body(u64 vp)
{
	struct vp_assist *a = (void *)g_assist1_gva[vp];
	u64 *in = vtl1_in[vp], *out = vtl1_out[vp], j;

	wrmsr(HV_X64_MSR_GUEST_OS_ID, HYPERV_LINUX_OS_ID);
	wrmsr(HV_X64_MSR_HYPERCALL, g_page1_gpa | 1);
	wrmsr(HV_X64_MSR_VP_ASSIST_PAGE_MSR, g_assist1_gpa[vp] | 1);
	wrmsr(MSR_FS_BASE, VTL1_FS_BASE + vp);
	wrmsr(MSR_KERNEL_GS_BASE, VTL1_KGS_BASE + vp);
	vtl_private_set(1, vp);
	g_rep[vp]->entries = 1;
	for (j = 0;; j++) {
		in[0] = 0x5100 + j;
		in[1] = 0x5200 + j;
		in[2] = 0x5300 + j;
		in[3] = 0x5400 + j;
		in[4] = 0x5500 + j;
		WRITE_ONCE(a->vtl_ret_rax, 0xaaaa00 + j);
		WRITE_ONCE(a->vtl_ret_rcx, 0xcccc00 + j);
		WRITE_ONCE(a->vtl_entry_reason, 0);
		vtl_switch(g_page1_gva, HVCALL_VTL_RETURN, j & 1, in, out);
		/* Entered again by VtlCall number j. */
		g_rep[vp]->entries++;
		if (out[OUT_R12] != 0x1200 + j || out[OUT_R13] != 0x1300 + j ||
		    out[OUT_R14] != 0x1400 + j || out[OUT_R15] != 0x1500 + j)
			vtl1_error(vp, 1);
		if (out[OUT_XMM7] != 0x7700 + j)
			vtl1_error(vp, 2);
		if (out[OUT_RCX] != HVCALL_VTL_CALL)
			vtl1_error(vp, 3);
		if (READ_ONCE(a->vtl_entry_reason) != 1)
			vtl1_error(vp, 4);
		if (rdmsr(MSR_FS_BASE) != VTL1_FS_BASE + vp ||
		    rdmsr(MSR_KERNEL_GS_BASE) != VTL1_KGS_BASE + vp)
			vtl1_error(vp, 5);
		if (!vtl_private_ok(1, vp))
			vtl1_error(vp, 6);
	}
}

/* VTL1's entry points: its registers arrive from VTL0, so the VP is in RIP. */
static void vtl1_entry0(void) { vtl1_body(0); }
static void vtl1_entry1(void) { vtl1_body(1); }
static void vtl1_entry2(void) { vtl1_body(2); }
static void vtl1_entry3(void) { vtl1_body(3); }

static void (*const vtl1_entries[VTL_MAX_VPS])(void) = {
	vtl1_entry0, vtl1_entry1, vtl1_entry2, vtl1_entry3,
};

/* VTL0 of VP @vp: VtlCall number @i with the values vtl1_body() checks. */
static inline void vtl0_call(u64 vp, u64 i)
{
	u64 *in = vtl0_in[vp];

	in[0] = 0x1200 + i;
	in[1] = 0x1300 + i;
	in[2] = 0x1400 + i;
	in[3] = 0x1500 + i;
	in[4] = 0x7700 + i;
	vtl_switch(g_page0_gva, HVCALL_VTL_CALL, 0, in, vtl0_out[vp]);
}

struct vtl_pair {
	struct kvm_vm *vm[2];
	struct kvm_vcpu *vcpu[2];		/* VP0 at VTL0, VTL1 */
	struct kvm_vcpu *vp[2][VTL_MAX_VPS];	/* [vtl][vp] */
	int nr_vps;
	int dev, part;
};

/*
 * Hyper-V CPUID with the VSM privileges the module grants (AccessVsm,
 * AccessVpRegisters): as a VMM does it, through libkvmvsm.
 */
static inline void vsm_set_hv_cpuid(int dev, struct kvm_vcpu *v)
{
	vcpu_set_hv_cpuid(v);
	TEST_ASSERT(kvmvsm_hv_cpuid_grant(dev, v->cpuid) > 0, "grant VSM privileges");
	vcpu_set_cpuid(v);
}

/* VM1 maps every memslot of VM0 at the same GPA, same host memory. */
static inline void vtl_mirror_memory(struct kvm_vm *dst, struct kvm_vm *src)
{
	struct userspace_mem_region *region;
	int bkt;

	hash_for_each(src->regions.slot_hash, bkt, region, slot_node) {
		struct kvm_userspace_memory_region r = {
			.slot = region->region.slot,
			.guest_phys_addr = region->region.guest_phys_addr,
			.memory_size = region->region.memory_size,
			.userspace_addr = region->region.userspace_addr,
		};

		vm_ioctl(dst, KVM_SET_USER_MEMORY_REGION, &r);
	}
}

/* How VTL1 is set up: not at all, enabled by the VMM, or by the guest. */
enum { VTL1_NONE, VTL1_HOST_ENABLED, VTL1_GUEST_ENABLES };

/*
 * VTL0 guest code gets its VP number as its argument; VTL1 of each VP
 * starts at vtl1_entries[vp] on its own stack (VTL1_HOST_ENABLED), or
 * where the guest's HvCallEnableVpVtl says (VTL1_GUEST_ENABLES). Both
 * VTLs share an IDT (vm_install_exception_handler() serves both).
 */
static inline void vtl_pair_create_vps(struct vtl_pair *p, void *vtl0_code,
				       u64 iters, int vtl1, int nr_vps)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	vm_vaddr_t stack1;
	int i;

	p->nr_vps = nr_vps;
	p->dev = kvmvsm_open();
	TEST_ASSERT(p->dev >= 0, "open /dev/kvm-vsm: %d", p->dev);
	p->vm[0] = vm_create_with_vcpus(nr_vps, vtl0_code, p->vp[0]);
#ifdef VSM_LIB_IDT_ON_REQUEST
	vm_init_descriptor_tables(p->vm[0]);
#endif
	g_page0_gva = vm_vaddr_alloc_page(p->vm[0]);
	g_page0_gpa = addr_gva2gpa(p->vm[0], g_page0_gva);
	g_page1_gva = vm_vaddr_alloc_page(p->vm[0]);
	g_page1_gpa = addr_gva2gpa(p->vm[0], g_page1_gva);
	for (i = 0; i < nr_vps; i++) {
#ifdef VSM_LIB_IDT_ON_REQUEST
		vcpu_init_descriptor_tables(p->vp[0][i]);
#endif
		vsm_set_hv_cpuid(p->dev, p->vp[0][i]);
		vcpu_args_set(p->vp[0][i], 1, (u64)i);
		g_assist1_gva[i] = vm_vaddr_alloc_page(p->vm[0]);
		g_assist1_gpa[i] = addr_gva2gpa(p->vm[0], g_assist1_gva[i]);
		g_rep[i] = (void *)vm_vaddr_alloc_page(p->vm[0]);
		g_io_gva[i] = vm_vaddr_alloc_page(p->vm[0]);
		g_io_gpa[i] = addr_gva2gpa(p->vm[0], g_io_gva[i]);
	}
	g_iters = iters;
	sync_global_to_guest(p->vm[0], g_page0_gva);
	sync_global_to_guest(p->vm[0], g_page0_gpa);
	sync_global_to_guest(p->vm[0], g_page1_gva);
	sync_global_to_guest(p->vm[0], g_page1_gpa);
	sync_global_to_guest(p->vm[0], g_assist1_gva);
	sync_global_to_guest(p->vm[0], g_assist1_gpa);
	sync_global_to_guest(p->vm[0], g_rep);
	sync_global_to_guest(p->vm[0], g_iters);
	sync_global_to_guest(p->vm[0], g_io_gva);
	sync_global_to_guest(p->vm[0], g_io_gpa);
	sync_global_to_guest(p->vm[0], g_vtl_via_page);

	p->part = kvmvsm_create_partition(p->dev, 0, KVM_VSM_CREATE_CLOEXEC);
	TEST_ASSERT(p->part >= 0, "create partition: %d", p->part);
	TEST_ASSERT(!kvmvsm_attach_vtl(p->part, p->vm[0]->fd, 0), "attach VTL0");
	for (i = 0; i < nr_vps; i++)
		TEST_ASSERT(!kvmvsm_attach_vcpu(p->part, p->vp[0][i]->fd, 0, NULL),
			    "VP%d VTL0", i);
	p->vcpu[0] = p->vp[0][0];
	p->vm[1] = NULL;
	if (vtl1 == VTL1_NONE)
		return;

	p->vm[1] = vm_create_barebones();
	vm_ioctl(p->vm[1], KVM_CREATE_IRQCHIP, NULL);
	vtl_mirror_memory(p->vm[1], p->vm[0]);
	TEST_ASSERT(!kvmvsm_attach_vtl(p->part, p->vm[1]->fd, 1), "attach VTL1");
	for (i = 0; i < nr_vps; i++) {
		struct kvm_mp_state runnable = { .mp_state = KVM_MP_STATE_RUNNABLE };
		struct kvm_vcpu *v = __vm_vcpu_add(p->vm[1], i);

		p->vp[1][i] = v;
		/* APs start in wait-for-SIPI; VTL1 of any VP starts running. */
		vcpu_ioctl(v, KVM_SET_MP_STATE, &runnable);
		vcpu_init_cpuid(v, kvm_get_supported_cpuid());
		vsm_set_hv_cpuid(p->dev, v);
		vcpu_sregs_get(p->vp[0][i], &sregs);
		vcpu_sregs_set(v, &sregs);
		stack1 = vm_vaddr_alloc_pages(p->vm[0], 4);
		memset(&regs, 0, sizeof(regs));
		regs.rip = (u64)vtl1_entries[i];
		regs.rsp = stack1 + 4 * 4096 - 8;
		regs.rflags = 2;
		vcpu_regs_set(v, &regs);
		TEST_ASSERT(!kvmvsm_attach_vcpu_flags(p->part, v->fd, 1,
						      vtl1 == VTL1_HOST_ENABLED ?
						      KVM_VSM_ATTACH_VCPU_ENABLED : 0,
						      NULL), "VP%d VTL1", i);
	}
	p->vcpu[1] = p->vp[1][0];
}

static inline void vtl_pair_create(struct vtl_pair *p, void *vtl0_code,
				   u64 iters, int vtl1)
{
	vtl_pair_create_vps(p, vtl0_code, iters, vtl1, 1);
}

static inline void vtl_pair_destroy(struct vtl_pair *p)
{
	close(p->part);
	close(p->dev);
	if (p->vm[1])
		kvm_vm_free(p->vm[1]);
	kvm_vm_free(p->vm[0]);
}

/* HV_INITIAL_VP_CONTEXT as 28 u64s (HvCallEnableVpVtl), and some slots. */
enum {
	VTL_CTX_RIP, VTL_CTX_RSP, VTL_CTX_RFLAGS, VTL_CTX_CS,
	VTL_CTX_FS = VTL_CTX_CS + 6, VTL_CTX_EFER = 23, VTL_CTX_CR0,
	VTL_CTX_CR3, VTL_CTX_CR4, VTL_CTX_PAT, VTL_CTX_WORDS
};

static inline void vtl_hv_seg(u64 *out, const struct kvm_segment *s)
{
	u16 attr = s->type | s->s << 4 | s->dpl << 5 | s->present << 7 |
		   s->avl << 12 | s->l << 13 | s->db << 14 | s->g << 15;

	out[0] = s->base;
	out[1] = s->limit | (u64)s->selector << 32 | (u64)attr << 48;
}

/* @v's state as an initial VP context, for a guest to start a VTL from. */
static inline void vtl_initial_context(struct kvm_vcpu *v, u64 ctx[VTL_CTX_WORDS])
{
	const struct kvm_segment *segs[8];
	struct kvm_sregs sr;
	int i;

	vcpu_sregs_get(v, &sr);
	segs[0] = &sr.cs; segs[1] = &sr.ds; segs[2] = &sr.es; segs[3] = &sr.fs;
	segs[4] = &sr.gs; segs[5] = &sr.ss; segs[6] = &sr.tr; segs[7] = &sr.ldt;
	memset(ctx, 0, VTL_CTX_WORDS * sizeof(u64));
	ctx[VTL_CTX_RFLAGS] = 2;
	for (i = 0; i < 8; i++)
		vtl_hv_seg(&ctx[VTL_CTX_CS + 2 * i], segs[i]);
	ctx[19] = (u64)sr.idt.limit << 48;
	ctx[20] = sr.idt.base;
	ctx[21] = (u64)sr.gdt.limit << 48;
	ctx[22] = sr.gdt.base;
	ctx[VTL_CTX_EFER] = sr.efer;
	ctx[VTL_CTX_CR0] = sr.cr0;
	ctx[VTL_CTX_CR3] = sr.cr3;
	ctx[VTL_CTX_CR4] = sr.cr4;
	ctx[VTL_CTX_PAT] = 0x0007040600070406ull;
}

/* VTL switches a VMM made in userspace mode. */
struct vtl_user_switches {
	u32 all;
	u32 irqs;	/* entries for an interrupt (entry reason 2) */
};

/*
 * Run VP0 until VTL0's guest code makes a ucall, which is returned
 * (UCALL_ABORT is reported). With @ring (userspace mode), each VTL exit
 * is checked against its ring record and switched with libkvmvsm, as a
 * VMM does; @sw counts them. Without, no VTL may exit to userspace.
 */
static inline u64 vtl_run_vp0(struct vtl_pair *p, struct kvmvsm_ring *ring,
			      struct vtl_user_switches *sw)
{
	const struct kvm_vsm_ring_record *rec;
	struct kvm_run *run;
	u32 vtl, to, code, how;
	struct ucall uc;
	int r;

	for (;;) {
		r = vsm_run_vp(p->part, 0, &vtl, p->vcpu);
		TEST_ASSERT(!r, "KVM_VSM_RUN_VP: %d", r);
		run = p->vcpu[vtl]->run;
		if (ring && run->exit_reason == KVM_EXIT_HYPERV &&
		    run->hyperv.type == KVM_VSM_EXIT_HYPERV_VTL) {
			code = run->hyperv.u.hcall.input;
			to = run->hyperv.u.hcall.params[0];
			rec = kvmvsm_ring_peek(ring);
			TEST_ASSERT(rec && rec->type == KVM_VSM_RECORD_VTL_SWITCH &&
				    rec->vtl_switch.from_vtl == vtl &&
				    rec->vtl_switch.to_vtl == to &&
				    rec->vtl_switch.code == code,
				    "no ring record for the switch %u -> %u", vtl, to);
			kvmvsm_ring_advance(ring);
			how = code == KVM_VSM_VTL_SWITCH_INTERRUPT ? KVMVSM_SWITCH_INTERRUPT :
			      code == HVCALL_VTL_CALL ? KVMVSM_SWITCH_CALL :
			      KVMVSM_SWITCH_RETURN;
			r = kvmvsm_vtl_switch(p->part, 0, p->vcpu[vtl]->fd, vtl,
					      p->vcpu[to]->fd, to, how,
					      run->hyperv.u.hcall.params[1]);
			TEST_ASSERT(!r, "kvmvsm_vtl_switch: %d", r);
			sw->all++;
			sw->irqs += how == KVMVSM_SWITCH_INTERRUPT;
			continue;
		}
		TEST_ASSERT(vtl == 0, "exit %u from VTL1", run->exit_reason);
		r = get_ucall(p->vcpu[0], &uc);
		if (r == UCALL_ABORT)
			REPORT_GUEST_ASSERT(uc);
		return r;
	}
}

/*
 * One thread per VP: KVM_VSM_RUN_VP until VTL0's guest code is done. Only
 * VTL0 exits to userspace; VTL1 reports in memory.
 */
struct vp_runner {
	pthread_t tid;
	struct vtl_pair *p;
	u32 vp;
	int result;	/* 0 done; <0 errno; >0 exit reason + 1000 */
	u32 vtl;	/* the VTL whose exit ended the run */
	u32 hv_type;	/* its run->hyperv.type, for KVM_EXIT_HYPERV */
	struct ucall uc;
};

static inline void *run_vp_thread(void *arg)
{
	struct vp_runner *r = arg;
	struct kvm_vcpu *vcpus[] = { r->p->vp[0][r->vp], r->p->vp[1][r->vp] };
	u32 vtl;
	int e;

	for (;;) {
		e = vsm_run_vp(r->p->part, r->vp, &vtl, vcpus);
		if (e) {
			r->result = e;
			return NULL;
		}
		r->vtl = vtl;
		r->hv_type = vcpus[vtl]->run->hyperv.type;
		if (vtl) {
			r->result = 1000 + r->p->vp[1][r->vp]->run->exit_reason;
			return NULL;
		}
		switch (get_ucall(r->p->vp[0][r->vp], &r->uc)) {
		case UCALL_DONE:
			r->result = 0;
			return NULL;
		case UCALL_ABORT:
			r->result = -1;
			return NULL;
		default:
			r->result = 1000 + r->p->vp[0][r->vp]->run->exit_reason;
			return NULL;
		}
	}
}

/* VTL1 of VP @vp starts at @entry (a VTL the VMM enabled itself). */
static inline void vtl1_set_rip(struct vtl_pair *p, u32 vp, void *entry)
{
	struct kvm_regs regs;

	vcpu_regs_get(p->vp[1][vp], &regs);
	regs.rip = (u64)entry;
	vcpu_regs_set(p->vp[1][vp], &regs);
}

/*
 * Run VPs 0..@n-1 each on its own thread until VTL0's guest code is done;
 * a guest assert is reported. The results are in @r[i].result.
 */
static inline void vtl_run_vps(struct vtl_pair *p, struct vp_runner *r, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		r[i].p = p;
		r[i].vp = i;
		TEST_ASSERT(!pthread_create(&r[i].tid, NULL, run_vp_thread, &r[i]),
			    "VP thread");
	}
	for (i = 0; i < n; i++) {
		pthread_join(r[i].tid, NULL);
		if (r[i].result == -1)
			REPORT_GUEST_ASSERT(r[i].uc);
	}
}

#endif /* VSM_VTL_H */
