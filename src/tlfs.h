/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Hyper-V TLFS definitions the module needs (research/vsm-anchors.md §5).
 * The kernel's own hyperv-tlfs headers moved between 6.1 and 6.12 and do
 * not carry the VSM parts, so they are spelled out here, guarded against
 * the names the kernel does define.
 */
#ifndef KVM_VSM_TLFS_H
#define KVM_VSM_TLFS_H

#include <linux/build_bug.h>
#include <linux/stddef.h>
#include <linux/types.h>

/* Hypercall codes. */
#define HVCALL_MODIFY_VTL_PROTECTION_MASK	0x000c
#define HVCALL_ENABLE_PARTITION_VTL		0x000d
#define HVCALL_DISABLE_PARTITION_VTL		0x000e
#define HVCALL_ENABLE_VP_VTL			0x000f
#define HVCALL_DISABLE_VP_VTL			0x0010
#define HVCALL_VTL_CALL				0x0011
#define HVCALL_VTL_RETURN			0x0012
#define HVCALL_GET_VP_REGISTERS			0x0050
#define HVCALL_SET_VP_REGISTERS			0x0051
#define HVCALL_TRANSLATE_VIRTUAL_ADDRESS	0x0052

/*
 * Synthetic debugger MSRs (TLFS "Synthetic Debugging"): KVM keeps their
 * names in its private hyperv.h, so they are spelled out here.
 */
#define KVM_VSM_HV_MSR_SYNDBG_CONTROL		0x400000F1
#define KVM_VSM_HV_MSR_SYNDBG_PENDING_BUFFER	0x400000F5

/* Status codes (TLFS appendix). */
#ifndef HV_STATUS_SUCCESS
#define HV_STATUS_SUCCESS			0
#endif
#ifndef HV_STATUS_INVALID_HYPERCALL_CODE
#define HV_STATUS_INVALID_HYPERCALL_CODE	2
#endif
#ifndef HV_STATUS_INVALID_HYPERCALL_INPUT
#define HV_STATUS_INVALID_HYPERCALL_INPUT	3
#endif
#ifndef HV_STATUS_INVALID_ALIGNMENT
#define HV_STATUS_INVALID_ALIGNMENT		4
#endif
#ifndef HV_STATUS_INVALID_PARAMETER
#define HV_STATUS_INVALID_PARAMETER		5
#endif
#ifndef HV_STATUS_ACCESS_DENIED
#define HV_STATUS_ACCESS_DENIED			6
#endif
#ifndef HV_STATUS_INSUFFICIENT_MEMORY
#define HV_STATUS_INSUFFICIENT_MEMORY		11
#endif
#ifndef HV_STATUS_INVALID_PARTITION_ID
#define HV_STATUS_INVALID_PARTITION_ID		0x000d
#endif
#ifndef HV_STATUS_INVALID_VP_INDEX
#define HV_STATUS_INVALID_VP_INDEX		0x000e
#endif
#ifndef HV_STATUS_INVALID_REGISTER_VALUE
#define HV_STATUS_INVALID_REGISTER_VALUE	0x0050
#endif
#define HV_STATUS_INVALID_VTL_STATE		0x0051
#ifndef HV_STATUS_VTL_ALREADY_ENABLED
#define HV_STATUS_VTL_ALREADY_ENABLED		0x0086
#endif

/* The hypercall input value (control). */
#define HV_HC_CODE(c)		((u16)(c))
#define HV_HC_FAST		BIT_ULL(16)
#define HV_HC_VARHEAD(c)	(((c) >> 17) & 0x3ff)
#define HV_HC_REP_COUNT(c)	(((c) >> 32) & 0xfff)
#define HV_HC_REP_START(c)	(((c) >> 48) & 0xfff)
#define HV_HC_REP_START_MASK	GENMASK_ULL(59, 48)
/* Bits 31:27, 47:44, 63:60 are reserved (bit 15 is the nested flag). */
#define HV_HC_RSVD		(GENMASK_ULL(31, 27) | GENMASK_ULL(47, 44) | \
				 GENMASK_ULL(63, 60))
#define HV_HC_RESULT_REPS_SHIFT	32

#ifndef HV_PARTITION_ID_SELF
#define HV_PARTITION_ID_SELF	((u64)-1)
#endif
#ifndef HV_VP_INDEX_SELF
#define HV_VP_INDEX_SELF	((u32)-2)
#endif

/* CPUID 0x40000003 EBX partition privileges (TLFS 2.4.2). */
#define HV_PRIV_ACCESS_VSM		BIT(16)
#define HV_PRIV_ACCESS_VP_REGISTERS	BIT(17)

/* HvCallEnablePartitionVtl flags. */
#define HV_ENABLE_PARTITION_VTL_MBEC	BIT(0)

struct tlfs_enable_partition_vtl {
	u64 partition_id;
	u8 target_vtl;
	u8 flags;
	u8 reserved[6];
} __packed;

/* HV_X64_SEGMENT_REGISTER and HV_X64_TABLE_REGISTER. */
struct tlfs_seg {
	u64 base;
	u32 limit;
	u16 selector;
	u16 attributes;	/* type 3:0, s 4, dpl 6:5, p 7, avl 12, l 13, db 14, g 15 */
} __packed;

struct tlfs_table {
	u16 pad[3];
	u16 limit;
	u64 base;
} __packed;

/* HV_INITIAL_VP_CONTEXT: where a VTL starts on its first entry. */
struct tlfs_initial_vp_context {
	u64 rip;
	u64 rsp;
	u64 rflags;
	struct tlfs_seg cs, ds, es, fs, gs, ss, tr, ldtr;
	struct tlfs_table idtr, gdtr;
	u64 efer;
	u64 cr0;
	u64 cr3;
	u64 cr4;
	u64 msr_cr_pat;
} __packed;

struct tlfs_enable_vp_vtl {
	u64 partition_id;
	u32 vp_index;
	u8 target_vtl;
	u8 reserved[3];
	struct tlfs_initial_vp_context ctx;
} __packed;

static_assert(sizeof(struct tlfs_initial_vp_context) == 224);
static_assert(sizeof(struct tlfs_enable_vp_vtl) == 240);

/* Get/SetVpRegisters input header; HV_INPUT_VTL in input_vtl. */
#define HV_INPUT_VTL_TARGET(v)	((v) & 0xf)
#define HV_INPUT_VTL_USE_TARGET	BIT(4)
#define HV_INPUT_VTL_RSVD	GENMASK(7, 5)

struct tlfs_vp_registers_header {
	u64 partition_id;
	u32 vp_index;
	u8 input_vtl;
	u8 reserved[3];
} __packed;

/* SetVpRegisters rep element: HV_REGISTER_ASSOC. */
struct tlfs_register_assoc {
	u32 name;
	u32 reserved1;
	u64 reserved2;
	u64 value[2];
} __packed;

/* VSM register names. */
#define HV_REG_VSM_CODE_PAGE_OFFSETS	0x000d0002
#define HV_REG_VSM_VP_STATUS		0x000d0003
#define HV_REG_VSM_PARTITION_STATUS	0x000d0004
#define HV_REG_VSM_VINA			0x000d0005
#define HV_REG_VSM_CAPABILITIES		0x000d0006
#define HV_REG_VSM_PARTITION_CONFIG	0x000d0007
#define HV_REG_VSM_VP_SECURE_CONFIG_VTL0 0x000d0010	/* ..VTL14 0x000d001e */
#define HV_REG_VSM_FIRST		0x000d0000
#define HV_REG_VSM_LAST			0x000d00ff

/* VsmVpStatus / VsmPartitionStatus fields. */
#define HV_VSM_VP_STATUS_ENABLED_SHIFT		16
#define HV_VSM_PARTITION_STATUS_MAX_VTL_SHIFT	16

/*
 * VsmCapabilities: Microsoft's code layout (openvmm hvdef, Linux mshv_vtl
 * hv_register_vsm_capabilities), not the tlfs/vsm.md table, which puts
 * Dr6Shared at bit 63 (docs/design.md says why).
 */
#define HV_VSM_CAP_DR6_SHARED		BIT_ULL(0)
#define HV_VSM_CAP_INTERCEPT_PAGE	BIT_ULL(27)	/* intercept_page_available */

/* VsmVina. */
#define HV_VSM_VINA_VALID		(GENMASK_ULL(7, 0) | BIT_ULL(8) | \
					 BIT_ULL(9) | BIT_ULL(10))

/* VsmPartitionConfig bits 12:0 (openvmm's list; bits 0-9 in the TLFS). */
#define HV_VSM_PARTITION_CONFIG_VALID	GENMASK_ULL(12, 0)

/* VsmPartitionConfig: protection of the VTLs below. */
#define HV_VSM_CONFIG_ENABLE_VTL_PROTECTION	BIT_ULL(0)
#define HV_VSM_CONFIG_DEFAULT_MASK_SHIFT	1
#define HV_VSM_CONFIG_DEFAULT_MASK		GENMASK_ULL(4, 1)
/* Intercepts also land in the VP assist page's intercept_message. */
#define HV_VSM_CONFIG_INTERCEPT_PAGE		BIT_ULL(12)

/* HvCallModifyVtlProtectionMask (0x000C, rep): header, then u64 GPA numbers. */
#ifndef HV_MAP_GPA_READABLE	/* include/hyperv/hvhdk_mini.h has them (7.x) */
#define HV_MAP_GPA_READABLE		BIT(0)
#define HV_MAP_GPA_WRITABLE		BIT(1)
#define HV_MAP_GPA_KERNEL_EXECUTABLE	BIT(2)
#define HV_MAP_GPA_USER_EXECUTABLE	BIT(3)
#define HV_MAP_GPA_PERMISSIONS_MASK	0xfu
#endif

struct tlfs_modify_vtl_protection_mask {
	u64 partition_id;
	u32 map_flags;
	u8 input_vtl;		/* HV_INPUT_VTL */
	u8 reserved[3];
} __packed;

/* SynIC message carrying a secure memory intercept, on SINT0. */
#define HVMSG_GPA_INTERCEPT		0x80000001

/*
 * SynIC message (HV_MESSAGE, struct hv_message): a 16-byte header and a
 * 240-byte payload; SINT n's slot is at n * 256 in the SIMP page.
 */
#define HV_SIMP_ENABLE			BIT_ULL(0)
#define HV_MESSAGE_FLAG_PENDING		BIT(0)

struct tlfs_message_header {
	u32 message_type;
	u8 payload_size;
	u8 message_flags;	/* HV_MESSAGE_FLAG_PENDING */
	u8 reserved[2];
	u64 sender;		/* port id or originator */
} __packed;

struct tlfs_message {
	struct tlfs_message_header header;
	u8 payload[240];
} __packed;

static_assert(offsetof(struct tlfs_message, header.payload_size) == 4);
static_assert(offsetof(struct tlfs_message, header.message_flags) == 5);
static_assert(offsetof(struct tlfs_message, payload) == 16);
static_assert(sizeof(struct tlfs_message) == 256);

/*
 * HV_X64_INTERCEPT_MESSAGE_HEADER and HV_X64_MEMORY_INTERCEPT_MESSAGE as
 * Microsoft defines them (Linux include/hyperv/hvhdk.h, openvmm hvdef):
 * 0x50 bytes; no segment or GPR state beyond CS (docs/design.md).
 */
#define HV_EXEC_STATE_CPL		GENMASK(1, 0)
#define HV_EXEC_STATE_CR0_PE		BIT(2)
#define HV_EXEC_STATE_CR0_AM		BIT(3)
#define HV_EXEC_STATE_EFER_LMA		BIT(4)
#define HV_EXEC_STATE_DEBUG_ACTIVE	BIT(5)
#define HV_EXEC_STATE_INTR_PENDING	BIT(6)
#define HV_EXEC_STATE_VTL_SHIFT		7	/* 4 bits */
#define HV_EXEC_STATE_INTR_SHADOW	BIT(12)

struct tlfs_x64_intercept_header {
	u32 vp_index;
	u8 instruction_length;	/* 3:0; 7:4 CR8, exo partitions only */
	u8 access_type;		/* 0 read, 1 write, 2 execute */
	u16 execution_state;	/* HV_EXEC_STATE_* */
	struct tlfs_seg cs;
	u64 rip;
	u64 rflags;
} __packed;

#define HV_MEMORY_ACCESS_GVA_VALID	BIT(0)
#define HV_MEMORY_ACCESS_GVA_GPA_VALID	BIT(1)
#define HV_CACHE_TYPE_WRITEBACK		6

struct tlfs_x64_memory_intercept {
	struct tlfs_x64_intercept_header header;
	u32 cache_type;
	u8 instruction_byte_count;
	u8 memory_access_info;	/* HV_MEMORY_ACCESS_* */
	u8 tpr_priority;
	u8 reserved;
	u64 gva;
	u64 gpa;
	u8 instruction_bytes[16];
} __packed;

static_assert(offsetof(struct tlfs_x64_intercept_header, instruction_length) == 4);
static_assert(offsetof(struct tlfs_x64_intercept_header, access_type) == 5);
static_assert(offsetof(struct tlfs_x64_intercept_header, execution_state) == 6);
static_assert(offsetof(struct tlfs_x64_intercept_header, cs) == 8);
static_assert(offsetof(struct tlfs_x64_intercept_header, rip) == 0x18);
static_assert(offsetof(struct tlfs_x64_intercept_header, rflags) == 0x20);
static_assert(sizeof(struct tlfs_x64_intercept_header) == 0x28);
static_assert(offsetof(struct tlfs_x64_memory_intercept, cache_type) == 0x28);
static_assert(offsetof(struct tlfs_x64_memory_intercept, instruction_byte_count) == 0x2c);
static_assert(offsetof(struct tlfs_x64_memory_intercept, memory_access_info) == 0x2d);
static_assert(offsetof(struct tlfs_x64_memory_intercept, tpr_priority) == 0x2e);
static_assert(offsetof(struct tlfs_x64_memory_intercept, gva) == 0x30);
static_assert(offsetof(struct tlfs_x64_memory_intercept, gpa) == 0x38);
static_assert(offsetof(struct tlfs_x64_memory_intercept, instruction_bytes) == 0x40);
static_assert(sizeof(struct tlfs_x64_memory_intercept) == 0x50);

/* VsmVpSecureConfigVtlN. */
#define HV_VSM_SECURE_CONFIG_MBEC	BIT_ULL(0)
#define HV_VSM_SECURE_CONFIG_TLB_LOCKED	BIT_ULL(1)

/* VP assist page: VTL control area (struct hv_vp_assist_page). */
#define HV_VP_ASSIST_ENABLE		BIT_ULL(0)
#define HV_VP_ASSIST_VTL_ENTRY_REASON	0x08
#define HV_VP_ASSIST_VTL_RET_RAX	0x10	/* then vtl_ret_x64rcx */
#define HV_VP_ASSIST_INTERCEPT_MESSAGE	0x70	/* a struct tlfs_message */

#define HV_VTL_ENTRY_VTL_CALL		1
#define HV_VTL_ENTRY_INTERRUPT		2
#define HV_VTL_ENTRY_INTERCEPT		3

/* VtlReturn: RAX bit 0 asks for a fast return (RAX/RCX not restored). */
#define HV_VTL_RETURN_FAST		BIT_ULL(0)

#endif /* KVM_VSM_TLFS_H */
