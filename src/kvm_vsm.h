/* SPDX-License-Identifier: GPL-2.0 */
/* Internal interfaces between the files of kvm-vsm.ko. */
#ifndef KVM_VSM_INTERNAL_H
#define KVM_VSM_INTERNAL_H

#include <linux/kvm_host.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/srcu.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/xarray.h>

#include <uapi/linux/kvm_vsm.h>

#include "compat.h"
#include "tlfs.h"

#define KVM_VSM_NAME	"kvm-vsm"

struct eventfd_ctx;
struct kvm_vsm_partition;

/* ring.c: the shared exit ring of a partition. */
struct kvm_vsm_ring {
	struct kvm_vsm_ring_header *hdr;	/* vmap of pages[], mmapped */
	struct page **pages;			/* memcg-charged */
	unsigned int nr_pages;
	struct kvm_vsm_ring_record *recs;
	u32 entries;
	u32 prod;				/* ours; hdr->producer is a copy */
	size_t mmap_size;
	spinlock_t lock;			/* producers, waiters[] */
	/*
	 * The vCPU waiting for the completion of the record in each slot. A
	 * slot is free when consumed *and* completed, so this never
	 * overflows and needs no allocation on the hot path.
	 */
	struct kvm_vsm_vp **waiters;
	u64 next_seq;
	wait_queue_head_t space_wq;		/* producers waiting for room */
	wait_queue_head_t poll_wq;		/* poll() on the partition fd */
	struct eventfd_ctx *eventfd;		/* under lock */
};

/* Per vCPU of an attached VM: its fd and its record for the VMM. */
enum kvm_vsm_wait_state { VSM_IDLE, VSM_PUBLISHED, VSM_COMPLETED };

struct kvm_vsm_vp {
	struct file *vcpu_file;		/* set by KVM_VSM_ATTACH_VCPU */
	struct kvm_vcpu *vcpu;
	struct kvm_vsm_vpstate *st;	/* the VP across VTLs */
	u32 index;
	u8 vtl;
	/*
	 * The hypercall forwarded to the VMM, resolved at the vCPU's next
	 * entry (entry.c): state, seq and result under ring.lock; the rest
	 * written by the vCPU's thread before publishing.
	 */
	enum kvm_vsm_wait_state state;
	u64 seq;
	u64 result;
	u64 control;
	unsigned long rip;		/* linear RIP of the call */
	bool longmode;
	u32 pending_entry_reason;	/* for the VP assist page, at next run */
	/* HvCallEnableVpVtl: applied on the first entry (switch.c). */
	struct tlfs_initial_vp_context *initial_ctx;
	/* VSM registers of this VP at this VTL, under part->vsm_lock. */
	u64 vina;
	u64 secure_config[KVM_VSM_MAX_VTLS];	/* VsmVpSecureConfigVtlN */
	/*
	 * A memory intercept of the VTL below, for this VTL (intercept.c),
	 * written at this vCPU's next entry (entry.c): into the VP assist
	 * page once (msg_new), into SINT0's SIMP slot when that is free
	 * (msg_queued, again after each EOM). One deep: a newer intercept
	 * replaces one never delivered. Under part->vsm_lock.
	 */
	bool msg_new;
	bool msg_queued;
	u32 msg_gen;
	struct tlfs_message msg;
};

/*
 * An overlay page (ovlpage.c): placed at @gfn of one VTL's VM by the
 * guest's write of @msr, for vCPU @vcpu_idx (SIMP, SIEFP, VP assist page)
 * or the whole VM (KVM_VSM_OVL_VM: hypercall page, reference TSC page).
 */
#define KVM_VSM_OVL_VM	U32_MAX
struct kvm_vsm_overlay {
	struct rcu_head rcu;
	struct page *page;		/* memcg-charged, zeroed */
	gfn_t gfn;
	u32 msr;
	u32 vcpu_idx;
};

/* One attached VM = one VTL. */
struct kvm_vsm_vtl {
	struct hlist_node hnode;	/* kvm_vsm_vms, keyed by kvm */
	struct kvm *kvm;		/* referenced */
	struct kvm_vsm_partition *part;
	u8 vtl;
	bool gone;			/* detached: waiters answer as stock KVM */
	struct xarray vps;		/* vcpu_idx -> struct kvm_vsm_vp */
	/* mmu.c: 2 MiB region -> the lpage_info array it was counted in. */
	struct xarray lpage;
	/*
	 * Overlay pages (ovlpage.c): gfn -> struct kvm_vsm_overlay, read
	 * lock-free (RCU).
	 */
	struct xarray overlays;
	struct mutex ovl_lock;		/* overlays' writers (overlay.c) */
	unsigned int nr_overlays;	/* READ_ONCE: 0 skips every lookup */
	/* The write overlay.c hands to KVM itself: the hook lets it by. */
	struct msr_data *ovl_inflight;
	bool ovl_closed;		/* detaching: no new overlay */
};

/* No VTL switch pending. */
#define KVM_VSM_NO_SWITCH	0xff

/*
 * Per VP, across its VTLs: which VTL runs and a switch requested by the
 * guest. Touched only by the thread running the VP (KVM_VSM_RUN_VP and
 * the hypercall handler it leads to), except creation under part->lock.
 */
struct kvm_vsm_vpstate {
	u8 active_vtl;
	u8 switch_to;			/* KVM_VSM_NO_SWITCH or a VTL */
	u8 entry_reason;		/* HV_VTL_ENTRY_* written on the switch */
	bool fast_return;		/* VtlReturn: keep RAX/RCX as they are */
	bool call_longmode;		/* the VtlCall/VtlReturn's result: RAX */
	bool in_run;			/* in KVM_RUN under KVM_VSM_RUN_VP */
	/*
	 * Bit 0: a KVM_VSM_RUN_VP or KVM_VSM_SET_ACTIVE_VTL owns the VP; the
	 * fields above change only under it (a second caller: EBUSY).
	 */
	unsigned long owned;
	u16 enabled_vtls;		/* HvCallEnableVpVtl; under vsm_lock */
	/*
	 * Where VtlReturn from VTL n goes: the VTL that was running when n
	 * was last entered from below, by a VtlCall or an interrupt (TLFS:
	 * a return resumes whoever called or was preempted). n - 1 at first.
	 */
	u8 return_to[KVM_VSM_MAX_VTLS];
	/*
	 * A higher VTL's vCPU of this VP was kicked while a lower VTL ran
	 * (interrupt.c): bit n for VTL n. Set from any context.
	 */
	unsigned long irq_kicked;
	/*
	 * Exits KVM_VSM_RUN_VP finishes before entering again, holding
	 * nothing: a record that did not fit (wait for room), a vCPU
	 * re-entered before its record was answered (wait on @wq).
	 */
	bool ring_full;
	bool answer_wait;
	wait_queue_head_t wq;
	/*
	 * The kick hook asked KVM to end the running VTL's KVM_RUN with a
	 * Hyper-V exit; the guest's SynIC/SynDbg MSR writes (the only source
	 * of KVM's own Hyper-V exits) tell RUN_VP whether that exit is ours.
	 */
	bool kick_exit;
	u8 kick_vtl;			/* whose vCPU got the request */
	atomic_t hv_exit_msr_writes;
};

/* perm.c: the masks of one target VTL's frames; writers hold perm_lock. */
struct kvm_vsm_perm {
	struct xarray chunks;		/* gfn >> 9 -> value entry or chunk */
	u8 dflt;			/* mask of frames without their own */
	bool active;			/* anything but KVM_VSM_PROT_ALL anywhere */
	unsigned long nchunks;		/* allocated chunks */
	unsigned long nvalues;		/* uniform (value) entries */
	u64 bytes;			/* allocated by the chunks */
	u64 pages;			/* frames with a mask of their own */
};

struct kvm_vsm_partition {
	struct mm_struct *mm;		/* the creator's (mmgrab): the only user */
	struct mutex lock;		/* attach/detach/config */
	/* Read by its handlers (lookup.c); detach and release wait for it. */
	struct srcu_struct srcu;
	struct xarray vpstates;		/* VP index -> kvm_vsm_vpstate */
	struct kvm_vsm_vtl *vtls[KVM_VSM_MAX_VTLS];
	u32 run_mode;
	u32 run_flags;			/* KVM_VSM_RUN_MODE_F_* */
	/* Guest-visible VSM state (enable.c, registers.c). */
	spinlock_t vsm_lock;
	u16 enabled_vtls;		/* HvCallEnablePartitionVtl; bit 0 always */
	u16 vp_enabled_once;		/* bit n: VTL n enabled on some VP */
	u64 partition_config[KVM_VSM_MAX_VTLS];	/* VsmPartitionConfig */
	bool dead;			/* released: waiters answer as stock KVM */
	u32 detach_gen;			/* bumped by every detach */
	struct kvm_vsm_ring ring;
	atomic64_t hypercalls_forwarded;
	atomic64_t page_faults;
	atomic64_t spte_builds;
	atomic64_t hv_msr_writes;
	atomic64_t memory_intercepts;
	/* Memory protection (perm.c), per target VTL; writers: perm_lock. */
	struct mutex perm_lock;
	struct kvm_vsm_perm perm[KVM_VSM_MAX_VTLS];
};

/* uapi reserved fields must be zero (else -EINVAL, the ABI can grow). */
static inline bool kvm_vsm_zero(const void *p, size_t len)
{
	return !memchr_inv(p, 0, len);
}

/* An ioctl argument with no flags and a zeroed reserved[]. */
#define kvm_vsm_arg_clean(a) ({					\
	typeof(a) __arg = (a);						\
	!__arg->flags && kvm_vsm_zero(__arg->reserved, sizeof(__arg->reserved)); \
})

/*
 * Set a GPR of a vCPU that is not running, as KVM's kvm_register_write();
 * RIP: kvm_vsm_set_rip().
 */
static inline void kvm_vsm_set_reg(struct kvm_vcpu *vcpu, int reg,
				   unsigned long val)
{
	vcpu->arch.regs[reg] = val;
	kvm_vsm_mark_reg_dirty(vcpu, reg);
}

/*
 * The object at @index of @xa, inserting @new (GFP_KERNEL_ACCOUNT) unless
 * another thread got there first; @new is freed if unused. NULL: no memory.
 */
static inline void *kvm_vsm_xa_insert_once(struct xarray *xa,
					   unsigned long index, void *new)
{
	void *old;

	if (!new)
		return NULL;
	old = xa_cmpxchg(xa, index, NULL, new, GFP_KERNEL_ACCOUNT);
	if (!old)
		return new;
	kfree(new);
	return xa_is_err(old) ? NULL : old;
}

/*
 * The files, top to bottom; each calls only into layers below it
 * (docs/design.md, "Layers"):
 *   surface:    main.c, device.c, partition.c (ioctls, run path), vtl.c
 *               (attach/detach), hooks.c (entries from kvm.ko)
 *   dispatcher: hypercall.c
 *   handlers:   enable.c, registers.c, switch.c, interrupt.c,
 *               protection.c, intercept.c, overlay.c
 *   shared:     entry.c (next-entry completions), then decode.c,
 *               lookup.c, context.c, mmu.c, perm.c, ovlpage.c, then ring.c
 *   base:       symbols.c, vendor.c, compat.h, kvm_fns.h, tlfs.h
 */

/* ---- surface ---- */

/* device.c */
int kvm_vsm_device_init(void);
void kvm_vsm_device_exit(void);

/* partition.c */
int kvm_vsm_create_partition(struct kvm_vsm_create_partition __user *argp);

/* vtl.c: attach and detach. */
int kvm_vsm_attach_vtl(struct kvm_vsm_partition *part,
		       struct kvm_vsm_attach_vtl *arg);
int kvm_vsm_detach_vtl(struct kvm_vsm_partition *part, u32 vtl);
int kvm_vsm_attach_vcpu(struct kvm_vsm_partition *part,
			struct kvm_vsm_attach_vcpu *arg);
void kvm_vsm_detach_all(struct kvm_vsm_partition *part);

/* hooks.c */
int kvm_vsm_hooks_get(void);	/* install on first partition */
void kvm_vsm_hooks_put(void);	/* remove with the last */
DECLARE_STATIC_KEY_FALSE(kvm_vsm_attached);

/* ---- dispatcher: hypercall.c ---- */
int kvm_vsm_hv_hypercall(struct kvm_vcpu *vcpu);	/* replaces kvm_hv_hypercall */
int kvm_vsm_complete(struct kvm_vsm_partition *part,
		     struct kvm_vsm_complete *arg);

/* ---- handlers ---- */

/*
 * Guest hypercalls handled in the kernel. They return 1 with *result set
 * for the guest, KVM_VSM_HC_CONTINUE when the guest re-executes the call
 * with an updated rep start index, 0 to end KVM_RUN (a VTL switch), or
 * -ENOTTY to hand the call to the VMM through the ring.
 */
#define KVM_VSM_HC_CONTINUE	2
struct kvm_vsm_hc {
	struct kvm_vcpu *vcpu;
	struct kvm_vsm_vtl *vtl;	/* the caller's */
	u64 control;
	bool longmode;
};

/* enable.c */
int kvm_vsm_enable_partition_vtl(struct kvm_vsm_hc *hc, u64 *result);
int kvm_vsm_enable_vp_vtl(struct kvm_vsm_hc *hc, u64 *result);

/* registers.c */
int kvm_vsm_vp_registers(struct kvm_vsm_hc *hc, u64 *result);

/* switch.c: VtlCall/VtlReturn, in the kernel or through the VMM. */
int kvm_vsm_vtl_switch_request(struct kvm_vsm_hc *hc, u64 *result);
int kvm_vsm_vtl_switch(struct kvm_vsm_partition *part,
		       struct kvm_vsm_vpstate *st, u32 vp);
int kvm_vsm_set_active_vtl(struct kvm_vsm_partition *part,
			   struct kvm_vsm_active_vtl *arg);

/*
 * protection.c: HvCallModifyVtlProtectionMask, KVM_VSM_SET_PROTECTION and
 * KVM_VSM_GET_PROTECTION.
 */
int kvm_vsm_modify_vtl_protection(struct kvm_vsm_hc *hc, u64 *result);
int kvm_vsm_set_protection(struct kvm_vsm_partition *part,
			   struct kvm_vsm_protection *arg);
int kvm_vsm_get_protection(struct kvm_vsm_partition *part,
			   struct kvm_vsm_protection *arg);
u32 kvm_vsm_protection_max(void);	/* KVM_VSM_CAP_PROTECTION */

/*
 * intercept.c: an access by @vcpu (VTL @vtl) that its protections deny,
 * in place of kvm_mmu_page_fault() (same return convention). Delivered to
 * the next higher VTL the TLFS way, or to the VMM as a ring record.
 */
int kvm_vsm_mem_intercept(struct kvm_vcpu *vcpu, struct kvm_vsm_vtl *vtl,
			  gpa_t gpa, u64 error_code, u8 access, void *insn,
			  int insn_len);
/* The guest wrote HV_X64_MSR_EOM (hooks.c, any context, kvm_vsm_srcu). */
void kvm_vsm_intercept_eom(struct kvm_vsm_vtl *vtl, struct kvm_vcpu *vcpu);

/*
 * overlay.c: the guest's (or the VMM's) write of an overlay MSR of an
 * attached VM, in place of kvm_set_msr_common() (hooks.c), same return
 * convention: the page is placed, moved or removed in that VTL's VM before
 * the write retires; anything refused is a #GP (1) with nothing changed.
 */
bool kvm_vsm_overlay_msr(u32 index);
int kvm_vsm_overlay_set_msr(struct kvm_vcpu *vcpu, struct msr_data *msr);
void kvm_vsm_overlay_detach(struct kvm_vsm_vtl *vtl);	/* removes them all */
void kvm_vsm_overlay_detached(struct kvm_vsm_vtl *vtl);
int kvm_vsm_overlay_access(struct kvm_vsm_partition *part,
			   struct kvm_vsm_overlay_access *arg);

/* interrupt.c: a higher VTL's interrupt preempts a lower VTL. */
void kvm_vsm_vcpu_kicked(struct kvm_vcpu *vcpu);	/* from the kick hooks */
bool kvm_vsm_irq_kicked_above(struct kvm_vsm_vpstate *st);
bool kvm_vsm_irq_preempt(struct kvm_vsm_partition *part,
			 struct kvm_vsm_vpstate *st, u32 vp);

/* ---- shared ---- */

/* entry.c: exits to the VMM, and what the next entry finishes. */
bool kvm_vsm_arm_entry(struct kvm_vcpu *vcpu);
void kvm_vsm_vp_forget_entry(struct kvm_vsm_vp *vp);
void kvm_vsm_exit_record(struct kvm_vcpu *vcpu, struct kvm_vsm_vp *vp);
void kvm_vsm_exit_ring_full(struct kvm_vcpu *vcpu, struct kvm_vsm_vpstate *st,
			    u64 control);
int kvm_vsm_guest_rw(struct kvm_vcpu *vcpu, gpa_t gpa, void *data,
		     unsigned long len, bool write);
int kvm_vsm_assist_ret_regs(struct kvm_vcpu *vcpu, u64 regs[2]);
void kvm_vsm_intercept_msg_deliver(struct kvm_vcpu *vcpu,
				   struct kvm_vsm_vtl *vtl,
				   struct kvm_vsm_vp *vp);

/* decode.c: a guest's hypercall, in and out. */
bool kvm_vsm_is_vsm_hypercall(u16 code);
u64 kvm_vsm_hypercall_control(struct kvm_vcpu *vcpu, bool *longmode);
u64 kvm_vsm_hc_in_gpa(struct kvm_vsm_hc *hc);
u64 kvm_vsm_hc_out_gpa(struct kvm_vsm_hc *hc);
bool kvm_vsm_hc_privileged(struct kvm_vcpu *vcpu, u32 privilege);
u64 kvm_vsm_hc_input(struct kvm_vsm_hc *hc, void *data, size_t len);
int kvm_vsm_hypercall_done(struct kvm_vcpu *vcpu, bool longmode, u64 result);
#define HV_XMM_REGS_SIZE	96	/* XMM0-XMM5 of a fast call */
void kvm_vsm_read_xmm(struct kvm_vcpu *vcpu, u8 *buf);
void kvm_vsm_hc_set_rep_start(struct kvm_vsm_hc *hc, u32 rep);

/* lookup.c: VM -> VTL, partition -> VP -> vCPU. */
extern struct srcu_struct kvm_vsm_srcu;
int kvm_vsm_vtl_publish(struct kvm_vsm_vtl *vtl);
void kvm_vsm_vtl_unpublish(struct kvm_vsm_vtl *vtl);
struct kvm_vsm_vtl *kvm_vsm_vtl_of(struct kvm *kvm);	/* under kvm_vsm_srcu */
struct kvm_vsm_vtl *kvm_vsm_vtl_get(struct kvm *kvm, int *idx);
void kvm_vsm_vtl_put(struct kvm_vsm_vtl *vtl, int idx);
void kvm_vsm_vtl_sync(struct kvm_vsm_partition *part);
struct kvm_vsm_vp *kvm_vsm_vp_get(struct kvm_vsm_vtl *vtl,
				  struct kvm_vcpu *vcpu);
struct kvm_vsm_vpstate *kvm_vsm_vpstate_get(struct kvm_vsm_partition *part,
					    u32 vp);
struct kvm_vsm_vp *kvm_vsm_vp_at(struct kvm_vsm_partition *part, u32 n, u32 vp);
struct kvm_vcpu *kvm_vsm_vp_vcpu(struct kvm_vsm_partition *part, u32 n, u32 vp);
u32 kvm_vsm_hv_vp_index(struct kvm_vcpu *vcpu);
bool kvm_vsm_vp_by_hv_index(struct kvm_vsm_partition *part,
			    struct kvm_vcpu *caller, u32 vp_index, u32 *vp);
u8 kvm_vsm_max_vtl(struct kvm_vsm_partition *part);

/*
 * perm.c: per target VTL (the one restricted), the KVM_VSM_PROT_* mask of
 * every 4 KiB frame: its own, or the default of VsmPartitionConfig.
 * Readers are lock-free (the fault path, any context, under RCU or SRCU).
 */
int kvm_vsm_perm_module_init(void);
void kvm_vsm_perm_module_exit(void);
int kvm_vsm_perm_init(struct kvm_vsm_partition *part);
void kvm_vsm_perm_free(struct kvm_vsm_partition *part);
u8 kvm_vsm_perm_get(struct kvm_vsm_partition *part, u8 vtl, gfn_t gfn);
bool kvm_vsm_perm_active(struct kvm_vsm_partition *part, u8 vtl);
bool kvm_vsm_perm_range_restricted(struct kvm_vsm_partition *part, u8 vtl,
				   gfn_t gfn, u64 n);
u8 kvm_vsm_perm_get_raw(struct kvm_vsm_partition *part, u8 vtl, gfn_t gfn);
u8 kvm_vsm_perm_default(struct kvm_vsm_partition *part, u8 vtl);
void kvm_vsm_perm_set_default(struct kvm_vsm_partition *part, u8 vtl, u8 mask);
void kvm_vsm_perm_usage(struct kvm_vsm_partition *part, u64 *bytes, u64 *pages);

/* A valid KVM_VSM_PROT_* mask: 0, or READ with any of WRITE, KX, UX. */
static inline bool kvm_vsm_prot_valid(u32 mask)
{
	return !mask || (!(mask & ~KVM_VSM_PROT_ALL) && (mask & KVM_VSM_PROT_READ));
}

/*
 * A mask a guest may ask for (openvmm validate_vtl_gpa_flags): read with
 * anything else; without MBEC (never enabled here) both execute bits or
 * neither, since either one grants both.
 */
static inline bool kvm_vsm_hv_flags_valid(u32 flags)
{
	if (!(flags & HV_MAP_GPA_KERNEL_EXECUTABLE) !=
	    !(flags & HV_MAP_GPA_USER_EXECUTABLE))
		return false;
	return kvm_vsm_prot_valid(flags);
}

/* GPA page numbers of the 52-bit physical address space: the whole VM. */
#define KVM_VSM_GFN_LIMIT	(1ull << (52 - PAGE_SHIFT))

/*
 * A change to the masks of one target VTL, under part->perm_lock: staged
 * (set), allocated (prepare: the only step that fails, changing nothing),
 * published (commit), freed (end, always). @tighten: some frame loses a
 * right or had read denied, so the VM's mappings must be redone.
 */
struct kvm_vsm_perm_txn {
	struct kvm_vsm_partition *part;
	struct xarray stage;
	u8 vtl;
	bool tighten;
	bool prepared;
};

void kvm_vsm_perm_txn_init(struct kvm_vsm_perm_txn *t,
			   struct kvm_vsm_partition *part, u8 vtl);
int kvm_vsm_perm_txn_set(struct kvm_vsm_perm_txn *t, gfn_t gfn, u64 n, u8 prot);
int kvm_vsm_perm_txn_prepare(struct kvm_vsm_perm_txn *t);
void kvm_vsm_perm_txn_commit(struct kvm_vsm_perm_txn *t);
void kvm_vsm_perm_txn_end(struct kvm_vsm_perm_txn *t);

/*
 * mmu.c: enforcement in the target VTL's own VM. Before a frame's mask
 * tightens, no huge mapping may cover it (split; over 8 GiB at once only
 * the 1 GiB level, the rest at each 2 MiB region's first fault); after,
 * every vCPU of that VM sees the new mask (zap + remote TLB flush) before
 * returning. Loosening from read-denied zaps too (zero-page SPTEs).
 */
int kvm_vsm_mmu_split(struct kvm_vsm_vtl *vtl, gfn_t gfn, u64 n);
void kvm_vsm_mmu_zap(struct kvm_vsm_vtl *vtl, gfn_t gfn, u64 n);
void kvm_vsm_mmu_detached(struct kvm_vsm_vtl *vtl);
/* Lazy split (default mask, later memslots), from the fault hook. */
bool kvm_vsm_mmu_needs_split(struct kvm_vsm_vtl *vtl, gfn_t gfn);
int kvm_vsm_mmu_fault_split(struct kvm_vsm_vtl *vtl, gfn_t gfn);
void kvm_vsm_mmu_slot_freed(struct kvm_vsm_vtl *vtl,
			    struct kvm_memory_slot *slot);
/* The policy of the kvm.ko hooks (hooks.c). */
int kvm_vsm_mmu_init(void);
enum { KVM_VSM_PF_KVM, KVM_VSM_PF_DENY, KVM_VSM_PF_SPLIT };
u8 kvm_vsm_mmu_fault_access(u64 error_code);
int kvm_vsm_mmu_fault_check(struct kvm_vsm_vtl *vtl, struct kvm_vcpu *vcpu,
			    gpa_t gpa, u64 error_code);
unsigned int kvm_vsm_mmu_spte_access(struct kvm_vsm_vtl *vtl,
				     const struct kvm_memory_slot *slot,
				     gfn_t gfn, unsigned int pte_access,
				     bool *zero_page);
bool kvm_vsm_mmu_range_allowed(struct kvm_vsm_vtl *vtl, gpa_t gpa, u64 len,
			       u8 access);
bool kvm_vsm_mmu_small_only(struct kvm_vsm_vtl *vtl,
			    const struct kvm_memory_slot *slot, gfn_t gfn);
bool kvm_vsm_mmu_msr_denied(struct kvm_vsm_vtl *vtl, struct msr_data *msr);

/* context.c: guest-supplied register state, checked as KVM checks the guest's. */
bool kvm_vsm_initial_context_valid(struct kvm_vcpu *vcpu,
				   const struct tlfs_initial_vp_context *c);
int kvm_vsm_apply_initial_context(struct kvm_vcpu *vcpu,
				  const struct tlfs_initial_vp_context *ctx);
bool kvm_vsm_fpu_compatible(struct kvm_vcpu *a, struct kvm_vcpu *b);
bool kvm_vsm_shared_state_valid(struct kvm_vcpu *dst, struct kvm_vcpu *src);

/*
 * ovlpage.c: the overlay pages of one VTL's VM. Lookups are lock-free
 * (RCU; a pointer found is used inside rcu_read_lock() or the ftrace
 * callback); writers hold vtl->ovl_lock. A page is freed
 * (kvm_vsm_ovl_free_deferred) only after it is erased, its gfn zapped in
 * the VM (overlay.c) and an RCU grace period has passed.
 */
void kvm_vsm_ovl_init(struct kvm_vsm_vtl *vtl);
struct kvm_vsm_overlay *kvm_vsm_ovl_find(struct kvm_vsm_vtl *vtl, gfn_t gfn);
bool kvm_vsm_ovl_in_range(struct kvm_vsm_vtl *vtl, gfn_t gfn, u64 n);
/* Copy within the overlay page at @gpa: -ENOENT if there is none. */
int kvm_vsm_ovl_rw(struct kvm_vsm_vtl *vtl, gpa_t gpa, void *data,
		   unsigned long len, bool write);
struct kvm_vsm_overlay *kvm_vsm_ovl_alloc(gfn_t gfn, u32 msr, u32 vcpu_idx);
void kvm_vsm_ovl_free(struct kvm_vsm_overlay *ovl);	/* never published */
int kvm_vsm_ovl_insert(struct kvm_vsm_vtl *vtl, struct kvm_vsm_overlay *ovl);
void kvm_vsm_ovl_erase(struct kvm_vsm_vtl *vtl, struct kvm_vsm_overlay *ovl);
void kvm_vsm_ovl_free_deferred(struct kvm_vsm_overlay *ovl);
void kvm_vsm_ovl_module_exit(void);	/* waits for the frees */

static inline bool kvm_vsm_ovl_any(struct kvm_vsm_vtl *vtl)
{
	return READ_ONCE(vtl->nr_overlays);
}

/* ring.c */
int kvm_vsm_ring_init(struct kvm_vsm_ring *ring, u32 entries);
void kvm_vsm_ring_free(struct kvm_vsm_ring *ring);
int kvm_vsm_ring_mmap(struct kvm_vsm_ring *ring, struct vm_area_struct *vma);
int kvm_vsm_ring_publish(struct kvm_vsm_partition *part, struct kvm_vsm_vtl *vtl,
			 struct kvm_vsm_ring_record *rec,
			 struct kvm_vsm_vp *waiter);
int kvm_vsm_ring_wait_space(struct kvm_vsm_partition *part);
void kvm_vsm_ring_wake_producers(struct kvm_vsm_ring *ring);
struct kvm_vsm_vp *kvm_vsm_ring_take_waiter(struct kvm_vsm_ring *ring, u64 seq);
void kvm_vsm_ring_drop_waiter(struct kvm_vsm_ring *ring, struct kvm_vsm_vp *vp);
void kvm_vsm_ring_forget_vtl(struct kvm_vsm_partition *part,
			     struct kvm_vsm_vtl *vtl);
int kvm_vsm_ring_set_eventfd(struct kvm_vsm_ring *ring, int fd);
bool kvm_vsm_ring_readable(struct kvm_vsm_ring *ring);

/* ---- base ---- */

/* vendor.c */
bool kvm_vsm_kvm_vendor_active(const struct device *dev);
int kvm_vsm_vendor(void);

/* symbols.c: kvm.ko symbols that are not exported. */
int kvm_vsm_symbols_init(void);
unsigned long kvm_vsm_kvm_symbol(const char *name, int type);
extern const struct file_operations *kvm_vsm_kvm_vcpu_fops;
extern struct kvm_x86_ops *kvm_vsm_kvm_x86_ops;
bool kvm_vsm_callable(const void *fn);
int kvm_vsm_guest_cpl(struct kvm_vcpu *vcpu);

#endif /* KVM_VSM_INTERNAL_H */
