// SPDX-License-Identifier: GPL-2.0
/*
 * Handlers: HvCallModifyVtlProtectionMask (0x000C, rep) from the guest,
 * and KVM_VSM_SET_PROTECTION / KVM_VSM_GET_PROTECTION from the VMM. The
 * state is perm.c's; enforcement is mmu.c's: split before a tightening is
 * visible, zap (with a remote TLB flush) after it, before returning.
 *
 * Hyper-V's meaning of the hypercall's target VTL (openvmm hv1_hypercall
 * ModifyVtlProtectionMask, "map_flags represents the desired permissions
 * for VTLs lower than target_vtl"; Microsoft's VTL1 kernels pass no target
 * and so name themselves): it names the VTL whose protections change,
 * which restrict the VTL below it. Here: target t restricts VTL t - 1.
 * (With three VTLs Hyper-V intersects VTL2's protections with VTL1's for
 * VTL0; here VTL2's apply to VTL1 only.)
 */
#include <linux/uaccess.h>

#include "kvm_vsm.h"

/* Reps applied per exit: a long list never stalls the guest. */
#define KVM_VSM_PROT_BATCH	64
/* The most entries (set) or frames (get) one ioctl takes. */
#define KVM_VSM_PROT_MAX	BIT(16)
/* More runs than this: one zap over their span, one flush. */
#define KVM_VSM_ZAP_RUNS	16

u32 kvm_vsm_protection_max(void)
{
	return KVM_VSM_PROT_MAX;
}

/* Every frame of [@gfn, @gfn + @n) is in a user memslot of @kvm (AS 0). */
static bool kvm_vsm_gfns_in_memory(struct kvm *kvm, gfn_t gfn, u64 n)
{
	struct kvm_memslots *slots;
	struct kvm_memory_slot *slot;
	gfn_t end = gfn + n;
	bool ok = true;
	int idx;

	idx = srcu_read_lock(&kvm->srcu);
	slots = __kvm_memslots(kvm, 0);
	while (gfn < end) {
		slot = __gfn_to_memslot(slots, gfn);
		/* KVM's private slots (APIC access page, TSS) are not RAM. */
		if (!slot || slot->id >= KVM_USER_MEM_SLOTS ||
		    (slot->flags & KVM_MEMSLOT_INVALID)) {
			ok = false;
			break;
		}
		gfn = slot->base_gfn + slot->npages;
	}
	srcu_read_unlock(&kvm->srcu, idx);
	return ok;
}

/*
 * Apply the staged changes of @t, made by @ents, to @vtl's VM: split,
 * publish, zap. Under part->perm_lock. An error (no memory) changes
 * nothing.
 */
static int kvm_vsm_prot_apply(struct kvm_vsm_perm_txn *t,
			      struct kvm_vsm_vtl *vtl,
			      const struct kvm_vsm_prot_entry *ents, u32 nr)
{
	gfn_t lo = ~(gfn_t)0, hi = 0, rs = 0, re = 0;
	u32 i, runs = 0;
	int r;

	r = kvm_vsm_perm_txn_prepare(t);
	if (r)
		return r;
	if (!t->tighten) {
		kvm_vsm_perm_txn_commit(t);
		return 0;
	}
	/* No huge mapping may cover a frame whose mask tightens. */
	for (i = 0; i < nr; i++) {
		cond_resched();
		r = kvm_vsm_mmu_split(vtl, ents[i].gfn, ents[i].count);
		if (r)
			return r;
	}
	kvm_vsm_perm_txn_commit(t);
	/* Zap each run; past a few, their span at once (one TLB flush). */
	for (i = 0; i < nr; i++) {
		lo = min(lo, ents[i].gfn);
		hi = max(hi, ents[i].gfn + ents[i].count);
		if (re == ents[i].gfn) {
			re += ents[i].count;
			continue;
		}
		if (re && runs++ < KVM_VSM_ZAP_RUNS)
			kvm_vsm_mmu_zap(vtl, rs, re - rs);
		rs = ents[i].gfn;
		re = rs + ents[i].count;
	}
	if (runs < KVM_VSM_ZAP_RUNS)
		kvm_vsm_mmu_zap(vtl, rs, re - rs);
	else
		kvm_vsm_mmu_zap(vtl, lo, hi - lo);
	return 0;
}

/* ---- HvCallModifyVtlProtectionMask ---- */

#define HV_PROT_HEADER_SIZE	sizeof(struct tlfs_modify_vtl_protection_mask)
/* Fast form: header in RDX/R8, GPA numbers in XMM0-5. */
#define HV_PROT_FAST_MAX	(HV_XMM_REGS_SIZE / sizeof(u64))
/* Memory form: header and list within the input page. */
#define HV_PROT_MEM_MAX		((PAGE_SIZE - HV_PROT_HEADER_SIZE) / sizeof(u64))

/* The header's checks, in openvmm's order; the VTL restricted in *low. */
static u64 kvm_vsm_prot_target(struct kvm_vsm_hc *hc,
			       const struct tlfs_modify_vtl_protection_mask *h,
			       u8 *low)
{
	struct kvm_vsm_partition *part = hc->vtl->part;
	u8 caller = hc->vtl->vtl, target;

	/* openvmm HvInputVtl::target_vtl(); the TLFS's RsvdZ. */
	if ((h->input_vtl & HV_INPUT_VTL_RSVD) ||
	    !kvm_vsm_zero(h->reserved, sizeof(h->reserved)))
		return HV_STATUS_INVALID_PARAMETER;
	/* openvmm answers a foreign partition with AccessDenied here. */
	if (h->partition_id != HV_PARTITION_ID_SELF)
		return HV_STATUS_ACCESS_DENIED;
	target = h->input_vtl & HV_INPUT_VTL_USE_TARGET ?
		 HV_INPUT_VTL_TARGET(h->input_vtl) : caller;
	/* TLFS: "A VTL can only place protections on a lower VTL." */
	if (target > caller)
		return HV_STATUS_ACCESS_DENIED;
	if (!target)		/* VTL0 has no VTL below it */
		return HV_STATUS_INVALID_PARAMETER;
	/*
	 * openvmm: a VTL changes its own protections only once it enabled
	 * VTL protection (VsmPartitionConfig); higher VTLs need not.
	 */
	if (target == caller &&
	    !(READ_ONCE(part->partition_config[caller]) &
	      HV_VSM_CONFIG_ENABLE_VTL_PROTECTION))
		return HV_STATUS_ACCESS_DENIED;
	if (!(READ_ONCE(part->enabled_vtls) & BIT(target - 1)) ||
	    !READ_ONCE(part->vtls[target - 1]))
		return HV_STATUS_INVALID_VTL_STATE;
	/* openvmm answers bad flags with InvalidRegisterValue. */
	if (!kvm_vsm_hv_flags_valid(h->map_flags))
		return HV_STATUS_INVALID_REGISTER_VALUE;
	*low = target - 1;
	return HV_STATUS_SUCCESS;
}

/*
 * Reps [@start, @end) of @gfns (gfns[0] is rep @start): staged until the
 * first GPA outside memory, applied; *done is the reps completed.
 */
static u64 kvm_vsm_prot_reps(struct kvm_vsm_partition *part,
			     struct kvm_vsm_vtl *low, u8 prot, const u64 *gfns,
			     u32 start, u32 end, u32 *done)
{
	struct kvm_vsm_prot_entry ents[KVM_VSM_PROT_BATCH];
	struct kvm_vsm_perm_txn t;
	u64 status = HV_STATUS_SUCCESS;
	u32 i;
	int r = 0;

	mutex_lock(&part->perm_lock);
	kvm_vsm_perm_txn_init(&t, part, low->vtl);
	for (i = start; i < end; i++) {
		u64 gfn = gfns[i - start];

		/* TLFS: protections on non-RAM ranges: INVALID_PARAMETER. */
		if (gfn >= KVM_VSM_GFN_LIMIT ||
		    !kvm_vsm_gfns_in_memory(low->kvm, gfn, 1)) {
			status = HV_STATUS_INVALID_PARAMETER;
			break;
		}
		r = kvm_vsm_perm_txn_set(&t, gfn, 1, prot);
		if (r)
			break;
		ents[i - start] = (struct kvm_vsm_prot_entry){ .gfn = gfn, .count = 1 };
	}
	if (!r && i > start)
		r = kvm_vsm_prot_apply(&t, low, ents, i - start);
	kvm_vsm_perm_txn_end(&t);
	mutex_unlock(&part->perm_lock);
	if (r) {	/* nothing of this batch applied */
		*done = start;
		return HV_STATUS_INSUFFICIENT_MEMORY;
	}
	*done = i;
	return status;
}

int kvm_vsm_modify_vtl_protection(struct kvm_vsm_hc *hc, u64 *result)
{
	u32 count = HV_HC_REP_COUNT(hc->control), end, done;
	u32 start = HV_HC_REP_START(hc->control);
	bool fast = hc->control & HV_HC_FAST;
	struct kvm_vsm_partition *part = hc->vtl->part;
	struct tlfs_modify_vtl_protection_mask h;
	u64 gfns[KVM_VSM_PROT_BATCH], status;
	u8 xmm[HV_XMM_REGS_SIZE];
	struct kvm_vsm_vtl *low;
	gpa_t in = kvm_vsm_hc_in_gpa(hc);
	u8 lvtl;

	/* The control value (openvmm: a rep call with no reps is invalid). */
	*result = HV_STATUS_INVALID_HYPERCALL_INPUT;
	if ((hc->control & HV_HC_RSVD) || HV_HC_VARHEAD(hc->control) ||
	    !count || start >= count)
		return 1;
	if (fast) {
		if (count > HV_PROT_FAST_MAX)
			return 1;
	} else {
		*result = HV_STATUS_INVALID_ALIGNMENT;
		if (in & 7)
			return 1;
		*result = HV_STATUS_INVALID_HYPERCALL_INPUT;
		if (offset_in_page(in) + HV_PROT_HEADER_SIZE +
		    count * sizeof(u64) > PAGE_SIZE)
			return 1;
	}
	*result = HV_STATUS_ACCESS_DENIED;
	if (!kvm_vsm_hc_privileged(hc->vcpu, HV_PRIV_ACCESS_VSM))
		return 1;

	end = min(count, start + KVM_VSM_PROT_BATCH);
	if (fast) {
		u64 regs[2] = { in, kvm_vsm_hc_out_gpa(hc) };

		memcpy(&h, regs, sizeof(h));
		kvm_vsm_read_xmm(hc->vcpu, xmm);
		memcpy(gfns, xmm + start * sizeof(u64), (end - start) * sizeof(u64));
	} else {
		*result = HV_STATUS_INVALID_HYPERCALL_INPUT;
		if (kvm_vsm_call(kvm_vcpu_read_guest)(hc->vcpu, in, &h, sizeof(h)) ||
		    kvm_vsm_call(kvm_vcpu_read_guest)(hc->vcpu,
						      in + sizeof(h) + start * sizeof(u64),
						      gfns, (end - start) * sizeof(u64)))
			return 1;
	}

	status = kvm_vsm_prot_target(hc, &h, &lvtl);
	if (status) {
		*result = status;
		return 1;
	}
	/*
	 * Under part->srcu (the dispatcher's): detach waits for us once it
	 * unpublished the VTL, which may have happened since the check.
	 */
	low = READ_ONCE(part->vtls[lvtl]);
	if (!low) {
		*result = HV_STATUS_INVALID_VTL_STATE;
		return 1;
	}
	status = kvm_vsm_prot_reps(part, low, h.map_flags, gfns, start, end, &done);
	if (!status && end < count) {
		/* Re-executed from rep @end: interrupts get in between. */
		kvm_vsm_hc_set_rep_start(hc, end);
		return KVM_VSM_HC_CONTINUE;
	}
	*result = status | ((u64)(status ? done : count) << HV_HC_RESULT_REPS_SHIFT);
	return 1;
}

/* ---- KVM_VSM_SET_PROTECTION / KVM_VSM_GET_PROTECTION ---- */

static int kvm_vsm_prot_arg(struct kvm_vsm_protection *arg)
{
	if (!kvm_vsm_arg_clean(arg) || arg->pad || arg->vtl >= KVM_VSM_MAX_VTLS)
		return -EINVAL;
	if (arg->nr > KVM_VSM_PROT_MAX)
		return -E2BIG;
	return 0;
}

static bool kvm_vsm_prot_entry_valid(const struct kvm_vsm_prot_entry *e)
{
	return e->count && !memchr_inv(e->pad, 0, sizeof(e->pad)) &&
	       (e->prot == KVM_VSM_PROT_DEFAULT || kvm_vsm_prot_valid(e->prot)) &&
	       e->gfn < KVM_VSM_GFN_LIMIT &&
	       e->count <= KVM_VSM_GFN_LIMIT - e->gfn;
}

int kvm_vsm_set_protection(struct kvm_vsm_partition *part,
			   struct kvm_vsm_protection *arg)
{
	struct kvm_vsm_prot_entry *ents;
	struct kvm_vsm_perm_txn t;
	struct kvm_vsm_vtl *vtl;
	int r, idx;
	u32 i;

	r = kvm_vsm_prot_arg(arg);
	if (r)
		return r;
	if (arg->gfn)
		return -EINVAL;
	if (!arg->nr)
		return 0;
	ents = kvmalloc_array(arg->nr, sizeof(*ents), GFP_KERNEL_ACCOUNT);
	if (!ents)
		return -ENOMEM;
	if (copy_from_user(ents, u64_to_user_ptr(arg->entries),
			   array_size(arg->nr, sizeof(*ents)))) {
		kvfree(ents);
		return -EFAULT;
	}

	/* The VTL stays attached while we hold the partition's SRCU. */
	idx = srcu_read_lock(&part->srcu);
	vtl = READ_ONCE(part->vtls[arg->vtl]);
	r = -ENOENT;
	if (!vtl || READ_ONCE(vtl->gone))
		goto out;
	r = -EINVAL;
	for (i = 0; i < arg->nr; i++)
		if (!kvm_vsm_prot_entry_valid(&ents[i]))
			goto out;
	r = -ERANGE;
	for (i = 0; i < arg->nr; i++) {
		if (!kvm_vsm_gfns_in_memory(vtl->kvm, ents[i].gfn, ents[i].count))
			goto out;
		cond_resched();
	}

	mutex_lock(&part->perm_lock);
	kvm_vsm_perm_txn_init(&t, part, arg->vtl);
	r = 0;
	for (i = 0; i < arg->nr && !r; i++)
		r = kvm_vsm_perm_txn_set(&t, ents[i].gfn, ents[i].count,
					 ents[i].prot);
	if (!r)
		r = kvm_vsm_prot_apply(&t, vtl, ents, arg->nr);
	kvm_vsm_perm_txn_end(&t);
	mutex_unlock(&part->perm_lock);
out:
	srcu_read_unlock(&part->srcu, idx);
	kvfree(ents);
	return r;
}

int kvm_vsm_get_protection(struct kvm_vsm_partition *part,
			   struct kvm_vsm_protection *arg)
{
	u8 __user *out = u64_to_user_ptr(arg->entries);
	u8 buf[256];
	u32 done, n, i;
	int r;

	r = kvm_vsm_prot_arg(arg);
	if (r)
		return r;
	if (arg->gfn >= KVM_VSM_GFN_LIMIT ||
	    arg->nr > KVM_VSM_GFN_LIMIT - arg->gfn)
		return -EINVAL;
	if (!READ_ONCE(part->vtls[arg->vtl]))
		return -ENOENT;
	for (done = 0; done < arg->nr; done += n) {
		n = min_t(u32, arg->nr - done, sizeof(buf));
		for (i = 0; i < n; i++)
			buf[i] = kvm_vsm_perm_get_raw(part, arg->vtl,
						      arg->gfn + done + i);
		if (copy_to_user(out + done, buf, n))
			return -EFAULT;
		cond_resched();
	}
	return 0;
}
