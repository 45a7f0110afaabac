// SPDX-License-Identifier: GPL-2.0
/*
 * Unit test of the hypercall page's code (src/hcpage_code.h), built and
 * run on the build machine by `make unit`. For both vendors:
 *  - the page is byte for byte an expectation written out here by hand
 *    (vendor instruction and RET at 0, the two entries, zeroes elsewhere);
 *  - the entries are executed: a copy of the page, mapped executable in
 *    this process, with each hypercall instruction replaced by INT3 NOP NOP,
 *    is called like a guest calls it. At the trap the registers must be
 *    what the hypervisor reads: 64-bit, RAX = the caller's RCX (flags),
 *    RCX = 0x11/0x12, RDX kept, RSP as at entry; 32-bit (run in Linux's
 *    own compatibility-mode segment, __USER32_CS, with code and stack
 *    below 4 GiB), EAX = 0x11/0x12, EDX = 0, ECX = the caller's EAX,
 *    ESP as at entry. Each entry then returns to its caller with the stack
 *    balanced.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#include <linux/types.h>

typedef __u8 u8;
typedef __u32 u32;
typedef __u64 u64;

#include "hcpage_code.h"
#include "hcpage_code_test.h"

#define PAGE_SIZE	4096
#define USER32_CS	0x23	/* Linux x86-64: GDT_ENTRY_DEFAULT_USER32_CS */
#define USER_CS		0x33

static int failed, n;

static void check(int ok, const char *what)
{
	n++;
	printf("%s %d - %s\n", ok ? "ok" : "not ok", n, what);
	failed |= !ok;
}

/*
 * The AMD VtlCall entry, written out; VtlReturn differs in its code (0x12
 * at CODE32 and CODE64), Intel in the instruction's last byte (0xc1).
 */
static const u8 amd_call[] = {
	0x51,				/* push %rcx */
	0x31, 0xc9,			/* xor %ecx,%ecx */
	0x41, 0xe2, 0x0e,		/* loop (64-bit) / inc %ecx; loop (32) */
	0x59,				/* 32-bit: pop %ecx */
	0x89, 0xc1,			/* mov %eax,%ecx */
	0xb8, 0x11, 0x00, 0x00, 0x00,	/* mov $0x11,%eax */
	0x31, 0xd2,			/* xor %edx,%edx */
	0x0f, 0x01, 0xd9,		/* vmmcall */
	0xc3,				/* ret */
	0x59,				/* 64-bit: pop %rcx */
	0x48, 0x89, 0xc8,		/* mov %rcx,%rax */
	0xb9, 0x11, 0x00, 0x00, 0x00,	/* mov $0x11,%ecx */
	0x0f, 0x01, 0xd9,		/* vmmcall */
	0xc3,				/* ret */
};

#define CODE32	10
#define CODE64	25

/* Where each entry's two hypercall instructions are, and its length. */
#define INSN32	16
#define INSN64	29
#define ENTRY_LEN	33

static bool layout_ok(const u8 *page, bool intel)
{
	u8 want[PAGE_SIZE] = { 0 };

	want[0] = 0x0f;
	want[1] = 0x01;
	want[2] = intel ? 0xc1 : 0xd9;
	want[3] = 0xc3;
	memcpy(want + 0x20, amd_call, ENTRY_LEN);
	memcpy(want + 0x60, amd_call, ENTRY_LEN);
	want[0x60 + CODE32] = 0x12;
	want[0x60 + CODE64] = 0x12;
	if (intel) {
		want[0x20 + INSN32 + 2] = 0xc1;
		want[0x20 + INSN64 + 2] = 0xc1;
		want[0x60 + INSN32 + 2] = 0xc1;
		want[0x60 + INSN64 + 2] = 0xc1;
	}
	return !memcmp(page, want, PAGE_SIZE);
}

/* What the trap saw. */
static struct {
	int hits;
	u64 rax, rcx, rdx, rsp, rip, cs;
} trap;
static sigjmp_buf trap_fault;

static void on_trap(int sig, siginfo_t *si, void *ctx)
{
	greg_t *g = ((ucontext_t *)ctx)->uc_mcontext.gregs;

	(void)sig;
	(void)si;
	trap.hits++;
	trap.rax = g[REG_RAX];
	trap.rcx = g[REG_RCX];
	trap.rdx = g[REG_RDX];
	trap.rsp = g[REG_RSP];
	trap.rip = g[REG_RIP];
	trap.cs = g[REG_CSGSFS] & 0xffff;
}

static void on_fault(int sig)
{
	siglongjmp(trap_fault, sig);
}

static void patch(u8 *page, unsigned int off)
{
	page[off] = 0xcc;	/* int3 */
	page[off + 1] = 0x90;
	page[off + 2] = 0x90;
}

static bool exec64_ok(u8 *x, unsigned int entry, u8 code, u64 flags)
{
	u64 out[3] = { 0 };
	u64 rdx = 0x0123456789abcdefull;

	memset(&trap, 0, sizeof(trap));
	if (sigsetjmp(trap_fault, 1))
		return false;	/* the entry faulted */
	run64((u64)x + entry, flags, rdx, out);
	return trap.hits == 1 && trap.rip == (u64)x + entry + INSN64 + 1 &&
	       trap.rax == flags && trap.rcx == code && trap.rdx == rdx &&
	       trap.rsp == out[0] && out[1] == out[0] + 8 && out[2] == rdx;
}

/* Whether the entry at @x + @entry, called in 32-bit mode, did it right. */
static bool exec32_ok(u8 *x, u8 *low, u8 *stack, unsigned int entry, u8 code,
		      u32 flags)
{
	u32 *frame = (u32 *)(stack + PAGE_SIZE - 64);
	u32 esp_at_entry = (u32)(uintptr_t)frame - 4;

	frame[0] = (u32)(uintptr_t)(x + entry);
	frame[1] = flags;
	frame[2] = 0x0badf00d;
	frame[3] = (u32)(uintptr_t)(low + (landing64 - tramp32));
	frame[4] = USER_CS;
	frame[7] = 0;
	memset(&trap, 0, sizeof(trap));
	if (sigsetjmp(trap_fault, 1))
		return false;
	run32((u64)low, (u64)frame);
	return trap.hits == 1 && trap.cs == USER32_CS &&
	       (u32)trap.rip == (u32)(uintptr_t)x + entry + INSN32 + 1 &&
	       (u32)trap.rax == code && (u32)trap.rcx == flags &&
	       (u32)trap.rdx == 0 && (u32)trap.rsp == esp_at_entry &&
	       frame[7] == esp_at_entry + 4;
}

static void *map32(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE | PROT_EXEC,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	return p;
}

static void vendor(bool intel)
{
	const char *v = intel ? "Intel VMCALL" : "AMD VMMCALL";
	u8 page[PAGE_SIZE] = { 0 };
	char what[128];
	u8 *x, *low, *stack;
	u32 flags32[] = { 0, 1, 0xfffffffe, 0xffffffff };
	u64 flags64[] = { 0, 1, 0xfffffffffffffffeull, 0x8000000000000001ull };
	bool ok64 = true, ok32 = true, skip32;
	unsigned int i, e;

	kvm_vsm_hcpage_fill(page, intel);
	snprintf(what, sizeof(what), "%s: page layout byte for byte", v);
	check(layout_ok(page, intel), what);
	snprintf(what, sizeof(what), "%s: offsets 0x20/0x60, register value 0x60020",
		 v);
	check(KVM_VSM_HCPAGE_VTL_CALL == 0x20 && KVM_VSM_HCPAGE_VTL_RETURN == 0x60 &&
	      KVM_VSM_HCPAGE_OFFSETS == 0x60020 &&
	      KVM_VSM_HCPAGE_ENTRY_LEN == ENTRY_LEN, what);

	/* The copy that runs here, traps instead of hypercalls. */
	x = map32(PAGE_SIZE);
	memcpy(x, page, PAGE_SIZE);
	for (e = KVM_VSM_HCPAGE_VTL_CALL; e <= KVM_VSM_HCPAGE_VTL_RETURN;
	     e += KVM_VSM_HCPAGE_VTL_RETURN - KVM_VSM_HCPAGE_VTL_CALL) {
		patch(x, e + INSN32);
		patch(x, e + INSN64);
	}
	low = map32(PAGE_SIZE);
	memcpy(low, tramp32, tramp32_end - tramp32);
	stack = map32(PAGE_SIZE);
	/*
	 * Can this process run 32-bit code at all? The page's RET at 3, called
	 * in 32-bit mode, faults only when the kernel has no IA32 emulation.
	 */
	exec32_ok(x, low, stack, 3, 0, 0);
	skip32 = ((u32 *)(stack + PAGE_SIZE - 64))[7] == 0;

	for (i = 0; i < 4; i++) {
		ok64 &= exec64_ok(x, KVM_VSM_HCPAGE_VTL_CALL, 0x11, flags64[i]);
		ok64 &= exec64_ok(x, KVM_VSM_HCPAGE_VTL_RETURN, 0x12, flags64[i]);
		ok32 &= exec32_ok(x, low, stack, KVM_VSM_HCPAGE_VTL_CALL, 0x11,
				  flags32[i]);
		ok32 &= exec32_ok(x, low, stack, KVM_VSM_HCPAGE_VTL_RETURN, 0x12,
				  flags32[i]);
	}
	snprintf(what, sizeof(what),
		 "%s: 64-bit entries: RAX = flags, RCX = 0x11/0x12, RDX kept, RSP as at entry, return",
		 v);
	check(ok64, what);
	if (skip32) {
		n++;
		printf("ok %d # SKIP %s: 32-bit entries: %s\n", n, v,
		       "no compatibility-mode segment (IA32 emulation off)");
	} else {
		snprintf(what, sizeof(what),
			 "%s: 32-bit entries: EAX = 0x11/0x12, EDX = 0, ECX = flags, ESP as at entry, return",
			 v);
		check(ok32, what);
	}
	munmap(x, PAGE_SIZE);
	munmap(low, PAGE_SIZE);
	munmap(stack, PAGE_SIZE);
}

int main(void)
{
	struct sigaction sa = { .sa_sigaction = on_trap,
				.sa_flags = SA_SIGINFO | SA_ONSTACK };
	struct sigaction sf = { .sa_handler = on_fault, .sa_flags = SA_ONSTACK };
	/* The handlers do not run on the entries' one-page stack. */
	stack_t alt = { .ss_sp = malloc(1 << 16), .ss_size = 1 << 16 };

	sigaltstack(&alt, NULL);
	sigaction(SIGTRAP, &sa, NULL);
	sigaction(SIGSEGV, &sf, NULL);
	sigaction(SIGBUS, &sf, NULL);
	printf("TAP version 13\n1..8\n");
	vendor(false);
	vendor(true);
	return failed;
}
