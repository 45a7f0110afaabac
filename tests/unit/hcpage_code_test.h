/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hcpage_code_test.c's callers of the page's entries: 64-bit, and 32-bit
 * through a trampoline copied below 4 GiB. Include after u8/u64.
 */
#ifndef HCPAGE_CODE_TEST_H
#define HCPAGE_CODE_TEST_H

/*
 * run64(entry, rcx, rdx, out): call @entry with RCX = @rcx, RDX = @rdx,
 * RAX poisoned; out[0] = RSP at entry (after the CALL), out[1] = RSP
 * after it returned, out[2] = RDX after it returned.
 */
asm(".pushsection .text\n"
	"run64:\n"
	"	push %rbx\n"
	"	mov %rdi, %rbx\n"
	"	mov %rcx, %r8\n"
	"	mov %rsi, %rcx\n"
	"	movabs $0x5a5a5a5a5a5a5a5a, %rax\n"
	"	push %r8\n"
	"	lea -8(%rsp), %r9\n"
	"	mov %r9, 0(%r8)\n"
	"	call *%rbx\n"
	"	mov %rsp, %r9\n"
	"	pop %r8\n"
	"	mov %r9, 8(%r8)\n"
	"	mov %rdx, 16(%r8)\n"
	"	pop %rbx\n"
	"	ret\n"
	".popsection\n");
void run64(u64 entry, u64 rcx, u64 rdx, u64 *out);

/*
 * 32-bit: run32(tramp, esp) switches to the low stack @esp, far-returns
 * to @tramp (copied below 4 GiB) in __USER32_CS, which calls the entry
 * with the frame the caller laid out at @esp:
 *   +0 entry, +4 EAX, +8 EDX, +12 landing pad (64-bit RET, below 4 GiB),
 *   +16 USER_CS, +20 the 64-bit return address run32 stores.
 * After the entry returns, the trampoline records ESP at +28 and
 * far-returns to the landing pad in 64-bit mode, whose RET comes back here.
 */
asm(".pushsection .text\n"
	"run32:\n"
	"	push %rbx\n	push %rbp\n	push %r12\n	push %r13\n"
	"	push %r14\n	push %r15\n"
	"	mov %rsp, run32_saved_rsp(%rip)\n"
	"	lea 1f(%rip), %rax\n"
	"	mov %rax, 20(%rsi)\n"
	"	mov %rsi, %rsp\n"
	"	pushq $0x23\n"
	"	push %rdi\n"
	"	lretq\n"
	"1:	mov run32_saved_rsp(%rip), %rsp\n"
	"	pop %r15\n	pop %r14\n	pop %r13\n	pop %r12\n	pop %rbp\n	pop %rbx\n"
	"	ret\n"
	".code32\n"
	"tramp32:\n"
	"	mov 4(%esp), %eax\n"
	"	mov 8(%esp), %edx\n"
	"	mov $0x77777777, %ecx\n"
	"	call *(%esp)\n"
	"	mov %esp, 28(%esp)\n"
	"	add $12, %esp\n"
	"	lret\n"
	".code64\n"
	"landing64:\n"
	"	ret\n"
	"tramp32_end:\n"
	".popsection\n"
	".pushsection .bss\n"
	"run32_saved_rsp: .quad 0\n"
	".popsection\n");
void run32(u64 tramp, u64 esp);
extern const u8 tramp32[], landing64[], tramp32_end[];

#endif /* HCPAGE_CODE_TEST_H */
