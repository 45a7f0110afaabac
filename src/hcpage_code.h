/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The code of an attached VM's hypercall page, plain C: built into the
 * module (overlay.c) and, for the unit test (tests/unit/hcpage_code_test.c),
 * into a userspace program. The includer provides u8 and memcpy().
 *
 * 0x00  the hypercall instruction and RET, as KVM writes them (KVM writes
 *       them again, with its Xen prefix when Xen hypercalls are on).
 * 0x20  VtlCall entry, 0x60 VtlReturn entry: what HvRegisterVsmCodePageOffsets
 *       reports (call offset bits 11:0, return offset bits 23:12). A guest
 *       calls them with its flags in RCX (64-bit) or EAX (32-bit); bit 0
 *       of VtlReturn's is a fast return. Each entry is one sequence that
 *       runs in both modes, so the page serves a guest whatever mode it was
 *       in when it enabled the page:
 *
 *   +0   51             push %rcx / push %ecx
 *   +1   31 c9          xor  %ecx,%ecx
 *   +3   41 e2 0e       64-bit: loop +0x14 (RCX 0 -> ~0: taken; 0x41 is a REX
 *                       prefix).  32-bit: inc %ecx; loop (1 -> 0: not taken)
 *   32-bit:
 *   +6   59             pop  %ecx
 *   +7   89 c1          mov  %eax,%ecx        flags to ECX
 *   +9   b8 CC 00 00 00 mov  $code,%eax       control, low half
 *   +14  31 d2          xor  %edx,%edx        control, high half
 *   +16  0f 01 d9/c1    vmmcall (AMD) / vmcall (Intel)
 *   +19  c3             ret
 *   64-bit:
 *   +20  59             pop  %rcx
 *   +21  48 89 c8       mov  %rcx,%rax        flags to RAX
 *   +24  b9 CC 00 00 00 mov  $code,%ecx       control
 *   +29  0f 01 d9/c1    vmmcall / vmcall
 *   +32  c3             ret
 *
 * The stack holds one slot only between +0 and the POP. The 64-bit form
 * is the convention of Hyper-V's own page (Linux hv_vtl, the 2023 KVM RFC,
 * seeds/003): flags in RAX, the code in RCX. kvm-vsm reads a VtlReturn's
 * fast bit from RAX in 64-bit mode and from ECX otherwise (switch.c).
 */
#ifndef KVM_VSM_HCPAGE_CODE_H
#define KVM_VSM_HCPAGE_CODE_H

#define KVM_VSM_HCPAGE_VTL_CALL		0x20
#define KVM_VSM_HCPAGE_VTL_RETURN	0x60
#define KVM_VSM_HCPAGE_ENTRY_LEN	33
/* HvRegisterVsmCodePageOffsets */
#define KVM_VSM_HCPAGE_OFFSETS \
	(KVM_VSM_HCPAGE_VTL_CALL | (KVM_VSM_HCPAGE_VTL_RETURN << 12))

#define KVM_VSM_HCPAGE_CODE_VTL_CALL	0x11	/* HvCallVtlCall */
#define KVM_VSM_HCPAGE_CODE_VTL_RETURN	0x12	/* HvCallVtlReturn */

/* The vendor's hypercall instruction (seeds/001). */
static inline void kvm_vsm_hcpage_insn(u8 *p, bool intel)
{
	p[0] = 0x0f;
	p[1] = 0x01;
	p[2] = intel ? 0xc1 : 0xd9;
}

static inline void kvm_vsm_hcpage_entry(u8 *p, u8 code, bool intel)
{
	static const u8 head[] = { 0x51, 0x31, 0xc9, 0x41, 0xe2, 0x0e };
	static const u8 in32[] = { 0x59, 0x89, 0xc1, 0xb8, 0, 0, 0, 0, 0x31, 0xd2 };
	static const u8 in64[] = { 0x59, 0x48, 0x89, 0xc8, 0xb9, 0, 0, 0, 0 };

	memcpy(p, head, sizeof(head));
	memcpy(p + 6, in32, sizeof(in32));
	p[10] = code;
	kvm_vsm_hcpage_insn(p + 16, intel);
	p[19] = 0xc3;
	memcpy(p + 20, in64, sizeof(in64));
	p[25] = code;
	kvm_vsm_hcpage_insn(p + 29, intel);
	p[32] = 0xc3;
}

/* Fill a zeroed page: the hypercall at 0, both VTL entries. */
static inline void kvm_vsm_hcpage_fill(u8 *page, bool intel)
{
	kvm_vsm_hcpage_insn(page, intel);
	page[3] = 0xc3;
	kvm_vsm_hcpage_entry(page + KVM_VSM_HCPAGE_VTL_CALL,
			     KVM_VSM_HCPAGE_CODE_VTL_CALL, intel);
	kvm_vsm_hcpage_entry(page + KVM_VSM_HCPAGE_VTL_RETURN,
			     KVM_VSM_HCPAGE_CODE_VTL_RETURN, intel);
}

#endif /* KVM_VSM_HCPAGE_CODE_H */
