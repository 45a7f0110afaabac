/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kvm-vsm: Hyper-V Virtual Secure Mode (VTL) semantics for stock KVM.
 *
 * ioctls on /dev/kvm-vsm. Documented one by one in docs/api.md.
 * Every struct has an explicit size and padding; flags and reserved fields
 * must be zero. The ABI is versioned by KVM_VSM_API_VERSION and grows by
 * extensions, queried with KVM_VSM_CHECK_EXTENSION (KVM's own pattern).
 */
#ifndef _UAPI_LINUX_KVM_VSM_H
#define _UAPI_LINUX_KVM_VSM_H

#include <linux/ioctl.h>
#include <linux/types.h>

/*
 * 2: VTLs start disabled until the guest enables them (or the VMM, with
 * KVM_VSM_ATTACH_VCPU_ENABLED); partition_info.enabled_vtl_mask.
 * 3: a record that needs an answer ends KVM_RUN (KVM_VSM_EXIT_HYPERV_RECORD)
 * and the answer is applied at the vCPU's next entry; a full ring ends it
 * too (KVM_VSM_EXIT_HYPERV_RING_FULL); nothing waits inside KVM_RUN. A
 * partition is usable only by the process that created it (EPERM).
 */
/*
 * 4: memory protection (KVM_VSM_SET_PROTECTION, KVM_VSM_GET_PROTECTION,
 * HvCallModifyVtlProtectionMask in the kernel) and memory intercepts
 * (KVM_VSM_RECORD_MEMORY_INTERCEPT, KVM_VSM_EXIT_HYPERV_MEMORY_INTERCEPT).
 */
/*
 * 5: overlay pages (the hypercall page, SIMP, SIEFP, VP assist page and
 * reference TSC page of each VTL live in that VTL's VM only, the RAM page
 * beneath untouched), KVM_VSM_OVERLAY_ACCESS, partition_info.overlays and
 * a VTL-aware hypercall page (HvRegisterVsmCodePageOffsets).
 */
#define KVM_VSM_API_VERSION	5

/* 0xB9 is unassigned in Documentation/userspace-api/ioctl/ioctl-number.rst. */
#define KVMVSMIO		0xB9

/* System ioctls, on /dev/kvm-vsm. */
#define KVM_VSM_GET_API_VERSION	_IO(KVMVSMIO, 0x00)
#define KVM_VSM_CHECK_EXTENSION	_IO(KVMVSMIO, 0x01)

/*
 * Extensions for KVM_VSM_CHECK_EXTENSION. An unknown extension returns 0,
 * so a VMM built against a newer header runs on an older module.
 */
/* Which hardware virtualization KVM drives: a KVM_VSM_VENDOR_* value. */
#define KVM_VSM_CAP_VENDOR	1

#define KVM_VSM_VENDOR_AMD	1	/* SVM: hypercall is VMMCALL 0f 01 d9 */
#define KVM_VSM_VENDOR_INTEL	2	/* VMX: hypercall is VMCALL 0f 01 c1 */
/* Partitions (KVM_VSM_CREATE_PARTITION): returns the highest VTL number + 1. */
#define KVM_VSM_CAP_PARTITION	2
/* The exit ring: returns the largest ring_entries accepted. */
#define KVM_VSM_CAP_RING	3
/*
 * The Hyper-V partition privileges (CPUID 0x40000003 EBX) whose hypercalls
 * the module implements: OR them into the guest's Hyper-V CPUID. Bit 16
 * AccessVsm, bit 17 AccessVpRegisters (docs/api.md, "Hyper-V CPUID").
 */
#define KVM_VSM_CAP_HV_PRIVILEGES	4
/*
 * Memory protection (KVM_VSM_SET_PROTECTION / KVM_VSM_GET_PROTECTION):
 * returns the most entries (set) or pages (get) one call accepts.
 */
#define KVM_VSM_CAP_PROTECTION	5

/* TLFS architectural limit; VTL0..VTL15. */
#define KVM_VSM_MAX_VTLS	16

/* ---- Partitions ------------------------------------------------------ */

/* KVM_VSM_CREATE_PARTITION: returns a partition fd. */
#define KVM_VSM_CREATE_CLOEXEC	(1u << 0)	/* fd gets O_CLOEXEC */

#define KVM_VSM_RING_MIN_ENTRIES	1
#define KVM_VSM_RING_MAX_ENTRIES	65536
#define KVM_VSM_RING_DEFAULT_ENTRIES	1024

struct kvm_vsm_create_partition {
	__u32 flags;		/* KVM_VSM_CREATE_* */
	__u32 ring_entries;	/* power of two in [MIN, MAX]; 0: default */
	__u64 reserved[3];	/* must be 0 */
};

#define KVM_VSM_CREATE_PARTITION \
	_IOW(KVMVSMIO, 0x02, struct kvm_vsm_create_partition)

/* Partition ioctls, on the partition fd. */

/* Attach a KVM VM fd of the calling process as VTL @vtl. */
struct kvm_vsm_attach_vtl {
	__s32 vm_fd;
	__u32 vtl;		/* 0..15; VTL n needs VTL n-1 attached */
	__u32 flags;		/* must be 0 */
	__u32 reserved[5];	/* must be 0 */
};

#define KVM_VSM_ATTACH_VTL	_IOW(KVMVSMIO, 0x10, struct kvm_vsm_attach_vtl)

struct kvm_vsm_detach_vtl {
	__u32 vtl;		/* the highest attached VTL */
	__u32 flags;		/* must be 0 */
	__u32 reserved[6];	/* must be 0 */
};

#define KVM_VSM_DETACH_VTL	_IOW(KVMVSMIO, 0x11, struct kvm_vsm_detach_vtl)

/*
 * Register a vCPU fd of an attached VM. vCPU index i of the VM of VTL n is
 * virtual processor (VP) i at VTL n; KVM_VSM_RUN_VP runs it through this fd.
 */
/*
 * The VMM has set this vCPU's state itself: VTL @vtl counts as enabled on
 * the VP (and for the partition), as if the guest had made
 * HvCallEnablePartitionVtl and HvCallEnableVpVtl. VTL n needs VTL n-1
 * enabled for the partition.
 */
#define KVM_VSM_ATTACH_VCPU_ENABLED	(1u << 0)

struct kvm_vsm_attach_vcpu {
	__s32 vcpu_fd;
	__u32 vtl;
	__u32 flags;		/* KVM_VSM_ATTACH_VCPU_* */
	__u32 vp;		/* out: the VP index (the vCPU's index in its VM) */
	__u32 reserved[4];	/* must be 0 */
};

#define KVM_VSM_ATTACH_VCPU	_IOWR(KVMVSMIO, 0x12, struct kvm_vsm_attach_vcpu)

#define KVM_VSM_RUN_MODE_KERNEL		0	/* VTL events handled in-kernel */
#define KVM_VSM_RUN_MODE_USERSPACE	1	/* VTL events go to the ring */

/*
 * kvm_vsm_run_mode.flags: in kernel mode, memory intercepts go to the VMM
 * (KVM_VSM_RECORD_MEMORY_INTERCEPT) instead of to the next higher VTL.
 * Userspace mode always sends them to the VMM.
 */
#define KVM_VSM_RUN_MODE_F_INTERCEPTS_TO_VMM	(1u << 0)

struct kvm_vsm_partition_info {
	__u32 api_version;	/* KVM_VSM_API_VERSION */
	__u32 flags;		/* 0 */
	__u32 run_mode;		/* KVM_VSM_RUN_MODE_* */
	__u32 vtl_mask;		/* bit n: VTL n attached */
	__u32 ring_entries;
	__u32 ring_record_size;	/* sizeof(struct kvm_vsm_ring_record) */
	__u64 ring_mmap_size;	/* length to mmap at offset 0 */
	/* What the kvm.ko hooks saw for this partition's VMs. */
	__u64 hypercalls_forwarded;
	__u64 page_faults;
	__u64 spte_builds;
	__u64 hv_msr_writes;
	__u32 enabled_vtl_mask;	/* bit n: VTL n enabled for the partition */
	__u32 pad;
	__u64 memory_intercepts;	/* denied accesses delivered (either way) */
	__u64 protection_bytes;	/* memory the permission state uses */
	__u64 protected_pages;	/* frames with a mask of their own */
	__u64 overlays;		/* overlay pages in place, all VTLs */
	__u64 reserved[3];
};

#define KVM_VSM_GET_PARTITION_INFO \
	_IOR(KVMVSMIO, 0x13, struct kvm_vsm_partition_info)

struct kvm_vsm_run_mode {
	__u32 mode;		/* KVM_VSM_RUN_MODE_* */
	__u32 flags;		/* KVM_VSM_RUN_MODE_F_* */
	__u64 reserved[3];	/* must be 0 */
};

#define KVM_VSM_SET_RUN_MODE	_IOW(KVMVSMIO, 0x14, struct kvm_vsm_run_mode)

/*
 * Run VP @vp: KVM_RUN on the vCPU of its active VTL. Returns what KVM_RUN
 * returns; the exit is in that vCPU's struct kvm_run, and @vtl says which.
 */
struct kvm_vsm_run_vp {
	__u32 vp;
	__u32 flags;		/* must be 0 */
	__u32 vtl;		/* out: the VTL whose vCPU ran */
	__u32 reserved[5];	/* must be 0 */
};

#define KVM_VSM_RUN_VP		_IOWR(KVMVSMIO, 0x15, struct kvm_vsm_run_vp)

/*
 * Userspace mode: make VTL @vtl the active VTL of VP @vp (the VMM has moved
 * the shared state itself, e.g. with kvmvsm_vtl_switch()). Flags ask the
 * module to do the VP assist page part, which needs guest memory:
 */
#define KVM_VSM_ACTIVE_VTL_ENTRY_CALL	(1u << 0) /* entry reason 1 in @vtl's page */
#define KVM_VSM_ACTIVE_VTL_RESTORE_RAX_RCX (1u << 1) /* from @from's page */
#define KVM_VSM_ACTIVE_VTL_ENTRY_INTERRUPT (1u << 2) /* entry reason 2 */

struct kvm_vsm_active_vtl {
	__u32 vp;
	__u32 vtl;
	__u32 flags;		/* KVM_VSM_ACTIVE_VTL_* */
	__u32 from;		/* RESTORE_RAX_RCX: the VTL that returned */
	__u32 reserved[4];	/* must be 0 */
};

#define KVM_VSM_SET_ACTIVE_VTL	_IOW(KVMVSMIO, 0x19, struct kvm_vsm_active_vtl)

/* ---- Memory protection (docs/api.md, "Memory protection") ------------ */

/*
 * What VTL @vtl may do with a 4 KiB guest frame: the TLFS's HV_MAP_GPA_*
 * bits. Without MBEC either execute bit grants execute; both are kept as
 * set. Valid masks: 0 (no access), or READ with any of WRITE, KX, UX.
 * Write or execute without read is refused (EINVAL; the guest's call
 * gets HV_STATUS_INVALID_PARAMETER).
 */
#define KVM_VSM_PROT_READ	(1u << 0)	/* HV_MAP_GPA_READABLE */
#define KVM_VSM_PROT_WRITE	(1u << 1)	/* HV_MAP_GPA_WRITABLE */
#define KVM_VSM_PROT_KX		(1u << 2)	/* HV_MAP_GPA_KERNEL_EXECUTABLE */
#define KVM_VSM_PROT_UX		(1u << 3)	/* HV_MAP_GPA_USER_EXECUTABLE */
#define KVM_VSM_PROT_ALL	0xfu
/*
 * Set: drop the page's own mask, so the partition's default applies
 * (VsmPartitionConfig of the VTL above, or KVM_VSM_PROT_ALL without one).
 * Get: the page has no mask of its own; the low bits give the default
 * that applies.
 */
#define KVM_VSM_PROT_DEFAULT	(1u << 7)

/* One run of frames given the same mask (count 1: a single page). */
struct kvm_vsm_prot_entry {
	__u64 gfn;		/* first 4 KiB frame */
	__u32 count;		/* frames, >= 1 */
	__u8 prot;		/* KVM_VSM_PROT_* */
	__u8 pad[3];		/* must be 0 */
};

/*
 * KVM_VSM_SET_PROTECTION: apply @nr entries (user array at @entries) to
 * the frames of target VTL @vtl, in order. All or nothing: every entry is
 * checked (frames inside a memslot of that VTL's VM, valid masks) and the
 * memory it needs allocated before the first is applied. Tightening has
 * taken effect on every vCPU of that VM when the ioctl returns.
 *
 * KVM_VSM_GET_PROTECTION: @nr frames from @gfn, one byte each into the
 * user array at @entries: the page's own mask, or KVM_VSM_PROT_DEFAULT |
 * the default that applies. Frames outside memory read as DEFAULT too.
 */
struct kvm_vsm_protection {
	__u32 vtl;		/* target VTL (the one restricted) */
	__u32 flags;		/* must be 0 */
	__u32 nr;		/* entries (set) or frames (get) */
	__u32 pad;		/* must be 0 */
	__u64 gfn;		/* get: first frame; set: must be 0 */
	__u64 entries;		/* user pointer */
	__u64 reserved[4];	/* must be 0 */
};

#define KVM_VSM_SET_PROTECTION	_IOW(KVMVSMIO, 0x1a, struct kvm_vsm_protection)
#define KVM_VSM_GET_PROTECTION	_IOW(KVMVSMIO, 0x1b, struct kvm_vsm_protection)

/*
 * Read or write the overlay page VTL @vtl has at @gpa (its hypercall
 * page, SIMP, SIEFP, VP assist page or reference TSC page): @len bytes at
 * @gpa, within that page, from or to the user buffer at @addr. What a VMM
 * that delivers SynIC messages or event flags itself (VMBus) uses instead
 * of its own mapping of guest memory, which shows the RAM page beneath.
 */
struct kvm_vsm_overlay_access {
	__u32 vtl;
	__u32 flags;		/* KVM_VSM_OVERLAY_ACCESS_WRITE, else a read */
	__u64 gpa;
	__u64 addr;		/* user pointer */
	__u32 len;		/* 1 to 4096, not crossing the page */
	__u32 reserved;		/* must be 0 */
};

#define KVM_VSM_OVERLAY_ACCESS_WRITE	(1u << 0)

#define KVM_VSM_OVERLAY_ACCESS	_IOW(KVMVSMIO, 0x1c, struct kvm_vsm_overlay_access)

/*
 * Userspace mode: KVM_VSM_RUN_VP returns 0 with exit_reason KVM_EXIT_HYPERV
 * and hyperv.type KVM_VSM_EXIT_HYPERV_VTL when the guest made a VTL call or
 * return; hyperv.u.hcall.input is the hypercall code, params[0] the target
 * VTL, params[1] bit 0 a fast return. The instruction is already retired.
 * An interrupt for a higher VTL gives the same exit with input
 * KVM_VSM_VTL_SWITCH_INTERRUPT (nothing retired). A
 * KVM_VSM_RECORD_VTL_SWITCH record in the ring says the same.
 */
#define KVM_VSM_VTL_SWITCH_INTERRUPT	0
#define KVM_VSM_EXIT_HYPERV_VTL		0x56534d01

/*
 * A hypercall the module leaves to the VMM: KVM_RUN (and KVM_VSM_RUN_VP)
 * returns 0 with exit_reason KVM_EXIT_HYPERV, hyperv.type
 * KVM_VSM_EXIT_HYPERV_RECORD, hyperv.u.hcall.input the hypercall input
 * value and params[0] the seq of its KVM_VSM_RECORD_HYPERCALL record. The
 * guest's RIP is still on the call. Answer with KVM_VSM_COMPLETE from any
 * thread; the answer reaches the guest when the vCPU next enters. Entered
 * again before the answer, KVM_RUN returns this exit again at once, and
 * KVM_VSM_RUN_VP waits for the answer (interruptibly, holding nothing).
 * If the VMM moves the guest's RIP meanwhile, the record is cancelled at
 * the next entry (its KVM_VSM_COMPLETE gets ENOENT).
 */
#define KVM_VSM_EXIT_HYPERV_RECORD	0x56534d02
/*
 * A record did not fit in the ring: nothing was published or retired;
 * hyperv.u.hcall.input is the hypercall input value (0 for an interrupt).
 * Consume records and enter again: KVM_VSM_RUN_VP first waits for room.
 */
#define KVM_VSM_EXIT_HYPERV_RING_FULL	0x56534d03
/*
 * A memory intercept for the VMM (userspace mode, or
 * KVM_VSM_RUN_MODE_F_INTERCEPTS_TO_VMM, or no higher VTL enabled on the
 * VP): VTL n's access was denied. Nothing was retired: entered again, the
 * vCPU re-executes the access. hyperv.u.hcall.input is the GPA, params[0]
 * the seq of its KVM_VSM_RECORD_MEMORY_INTERCEPT record, params[1] the
 * access (KVM_VSM_ACCESS_*). The record needs no answer.
 */
#define KVM_VSM_EXIT_HYPERV_MEMORY_INTERCEPT	0x56534d04

/* Answer a ring record that has KVM_VSM_RECORD_NEEDS_COMPLETION. */
struct kvm_vsm_complete {
	__u64 seq;		/* the record's seq */
	__u64 result;		/* hypercall: the Hyper-V status/result for RAX */
	__u32 flags;		/* must be 0 */
	__u32 reserved[3];	/* must be 0 */
};

#define KVM_VSM_COMPLETE	_IOW(KVMVSMIO, 0x16, struct kvm_vsm_complete)

struct kvm_vsm_ring_eventfd {
	__s32 fd;		/* eventfd signalled per published record; -1: none */
	__u32 flags;		/* must be 0 */
	__u64 reserved[3];	/* must be 0 */
};

#define KVM_VSM_SET_RING_EVENTFD \
	_IOW(KVMVSMIO, 0x17, struct kvm_vsm_ring_eventfd)

/* The consumer freed slots while KVM_VSM_RING_F_PRODUCER_WAITING was set. */
#define KVM_VSM_RING_WAKE	_IO(KVMVSMIO, 0x18)

/* ---- The exit ring (mmap of the partition fd, offset 0) -------------- */

/*
 * One header page, then ring_entries records. The module writes
 * `producer` (release) after filling a record; the VMM reads records up to
 * it and then writes `consumer` (release). Indices are free-running u32s;
 * record i is at (i & (ring_entries - 1)). seq counts records from 1 with
 * no gaps, so a consumer can prove nothing was lost or duplicated.
 */
#define KVM_VSM_RING_F_PRODUCER_WAITING	(1u << 0)

struct kvm_vsm_ring_header {
	__u32 producer;
	__u32 consumer;
	__u32 entries;
	__u32 record_size;
	__u32 flags;		/* KVM_VSM_RING_F_* (module-written) */
	__u32 pad;
	__u64 reserved[5];
};

#define KVM_VSM_RECORD_HYPERCALL	1	/* a VSM hypercall the module left to the VMM */

#define KVM_VSM_RECORD_VTL_SWITCH	2	/* userspace mode: VtlCall/VtlReturn */

#define KVM_VSM_RECORD_MEMORY_INTERCEPT	3	/* an access the VTL's protections deny */

#define KVM_VSM_RECORD_NEEDS_COMPLETION	(1u << 0)

struct kvm_vsm_hypercall_record {
	__u64 control;		/* Hyper-V hypercall input value (code 15:0) */
	__u64 input;		/* input GPA, or first fast-call parameter */
	__u64 output;		/* output GPA, or second fast-call parameter */
	__u64 rip;
	__u32 longmode;		/* 1: 64-bit calling convention */
	__u32 pad;
};

struct kvm_vsm_vtl_switch_record {
	__u32 code;		/* 0x0011 VtlCall, 0x0012 VtlReturn, 0 interrupt */
	__u32 from_vtl;
	__u32 to_vtl;
	__u32 fast;		/* VtlReturn: RAX/RCX not to be restored */
};

/* The TLFS intercept access types. */
#define KVM_VSM_ACCESS_READ	0
#define KVM_VSM_ACCESS_WRITE	1
#define KVM_VSM_ACCESS_EXECUTE	2

#define KVM_VSM_MI_GVA_VALID	(1u << 0)	/* @gva is the faulting address */
#define KVM_VSM_MI_PAGE_WALK	(1u << 1)	/* the CPU's own page-table walk */

struct kvm_vsm_memory_intercept_record {
	__u64 gpa;
	__u64 gva;		/* when KVM_VSM_MI_GVA_VALID */
	__u64 rip;		/* linear RIP of the access */
	__u8 access;		/* KVM_VSM_ACCESS_* */
	__u8 insn_len;		/* 0: unknown (execute, or not decodable) */
	__u8 prot;		/* the page's effective KVM_VSM_PROT_* */
	__u8 pad;
	__u32 flags;		/* KVM_VSM_MI_* */
};

struct kvm_vsm_ring_record {
	__u32 type;		/* KVM_VSM_RECORD_* */
	__u32 flags;		/* KVM_VSM_RECORD_* flags */
	__u32 vp;
	__u32 vtl;
	__u64 seq;
	__u64 reserved;
	union {
		struct kvm_vsm_hypercall_record hypercall;
		struct kvm_vsm_vtl_switch_record vtl_switch;
		struct kvm_vsm_memory_intercept_record memory;
		__u8 payload[96];
	};
};

#endif /* _UAPI_LINUX_KVM_VSM_H */
