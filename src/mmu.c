// SPDX-License-Identifier: GPL-2.0
/*
 * Enforcement in the target VTL's own VM's MMU (docs/design.md, "Memory
 * protection: enforcement").
 *
 * Split: KVM maps a 2 MiB or 1 GiB page only where the memslot's
 * lpage_info[].disallow_lpage count of that huge frame is zero (its own
 * kvm_mmu_gfn_disallow_lpage() does the same for shadowed page tables).
 * kvm-vsm adds one to it, at each huge level, for every 2 MiB region that
 * holds a restricted frame: once per region per memslot instance (vtl->lpage
 * remembers the lpage_info array it counted in, so a recreated memslot is
 * counted again and a count cannot grow without bound), never taken back
 * (the region stays 4 KiB-mapped until the memslot goes). Then the region's
 * existing mappings are zapped, so no huge mapping covers it any more.
 *
 * Zap: kvm_zap_gfn_range(), which flushes the TLBs of every vCPU of the VM.
 */
#include "kvm_vsm.h"

#define KVM_VSM_REGION_SHIFT	KVM_HPAGE_GFN_SHIFT(PG_LEVEL_2M)
#define KVM_VSM_REGION_PAGES	KVM_PAGES_PER_HPAGE(PG_LEVEL_2M)
#define KVM_VSM_1G_SHIFT	KVM_HPAGE_GFN_SHIFT(PG_LEVEL_1G)
#define KVM_VSM_1G_PAGES	KVM_PAGES_PER_HPAGE(PG_LEVEL_1G)
/* vtl->lpage keys: a 2 MiB region's number, or a 1 GiB one's with this. */
#define KVM_VSM_KEY_1G		BIT(BITS_PER_LONG - 2)

/*
 * The memslot (address space 0) that holds all of the huge frame of
 * @npages at @base, or NULL: KVM never maps a huge page across a memslot
 * edge (it disallows those for good at memslot creation), so a frame no
 * slot covers whole needs nothing. Caller: kvm->srcu.
 */
static struct kvm_memory_slot *kvm_vsm_huge_slot(struct kvm *kvm, gfn_t base,
						 u64 npages)
{
	struct kvm_memory_slot *slot;

	slot = __gfn_to_memslot(kvm_memslots(kvm), base);
	if (!slot || (slot->flags & KVM_MEMSLOT_INVALID) ||
	    base + npages > slot->base_gfn + slot->npages)
		return NULL;
	return slot;
}

static bool kvm_vsm_counted(struct kvm_vsm_vtl *vtl, unsigned long key,
			    struct kvm_memory_slot *slot)
{
	return xa_load(&vtl->lpage, key) == slot->arch.lpage_info[0];
}

/*
 * Count the huge frame at @gfn as disallowed in @slot, at @level and
 * above, unless already done for this memslot instance (@key). Caller:
 * kvm->mmu_lock for write (KVM reads the counts under it), @key reserved
 * in vtl->lpage. True if it counted now.
 */
static bool kvm_vsm_disallow(struct kvm_vsm_vtl *vtl, unsigned long key,
			     struct kvm_memory_slot *slot, gfn_t gfn, int level)
{
	unsigned long i;

	lockdep_assert_held_write(&vtl->kvm->mmu_lock);
	if (kvm_vsm_counted(vtl, key, slot))
		return false;
	for (; level <= KVM_MAX_HUGEPAGE_LEVEL; level++) {
		/* KVM's gfn_to_index() (arch/x86/kvm/mmu.h) */
		i = (gfn >> KVM_HPAGE_GFN_SHIFT(level)) -
		    (slot->base_gfn >> KVM_HPAGE_GFN_SHIFT(level));
		slot->arch.lpage_info[level - 2][i].disallow_lpage++;
	}
	/*
	 * Reserved, so this does not allocate. Should it fail anyway, the
	 * frame is counted again next time: one more, harmless.
	 */
	xa_store(&vtl->lpage, key, slot->arch.lpage_info[0], GFP_NOWAIT);
	return true;
}

/*
 * Count the huge frame (@level, @npages at @gfn) for @key if not yet.
 * Caller: kvm->srcu, may sleep. -ENOMEM: nothing done.
 */
static int kvm_vsm_count(struct kvm_vsm_vtl *vtl, unsigned long key,
			 gfn_t gfn, u64 npages, int level, bool *fresh)
{
	struct kvm *kvm = vtl->kvm;
	struct kvm_memory_slot *slot;

	*fresh = false;
	slot = kvm_vsm_huge_slot(kvm, gfn, npages);
	if (!slot || kvm_vsm_counted(vtl, key, slot))
		return 0;
	if (xa_reserve(&vtl->lpage, key, GFP_KERNEL_ACCOUNT))
		return -ENOMEM;
	write_lock(&kvm->mmu_lock);
	*fresh = kvm_vsm_disallow(vtl, key, slot, gfn, level);
	write_unlock(&kvm->mmu_lock);
	return 0;
}

/* 2 MiB region @r: both huge levels. */
static int kvm_vsm_region_split(struct kvm_vsm_vtl *vtl, unsigned long r,
				bool *fresh)
{
	return kvm_vsm_count(vtl, r, (gfn_t)r << KVM_VSM_REGION_SHIFT,
			     KVM_VSM_REGION_PAGES, PG_LEVEL_2M, fresh);
}

int kvm_vsm_mmu_split(struct kvm_vsm_vtl *vtl, gfn_t gfn, u64 n)
{
	struct kvm *kvm = vtl->kvm;
	unsigned long first, last, r;
	gfn_t zstart = 0, zend = 0;
	bool fresh;
	int idx, ret = 0;

	if (!n)
		return 0;
	if (gfn + n < gfn)
		n = ~(gfn_t)0 - gfn;
	first = gfn >> KVM_VSM_REGION_SHIFT;
	last = (gfn + n - 1) >> KVM_VSM_REGION_SHIFT;

	/*
	 * Every region, however many: a region left for its first fault
	 * would be open to the paths not judged at a fault (make_spte of a
	 * nested guest's fault), and callers pass frames inside memslots
	 * only, so this is bounded by the VM's memory.
	 */
	idx = srcu_read_lock(&kvm->srcu);
	for (r = first; r <= last; r++) {
		cond_resched();
		ret = kvm_vsm_region_split(vtl, r, &fresh);
		if (ret)
			break;
		if (!fresh)
			continue;
		/* Contiguous regions: one zap, one TLB flush. */
		if (zend && zend == (gfn_t)r << KVM_VSM_REGION_SHIFT) {
			zend += KVM_VSM_REGION_PAGES;
			continue;
		}
		if (zend)
			kvm_vsm_zap_gfn_range(kvm, zstart, zend);
		zstart = (gfn_t)r << KVM_VSM_REGION_SHIFT;
		zend = zstart + KVM_VSM_REGION_PAGES;
	}
	if (zend)
		kvm_vsm_zap_gfn_range(kvm, zstart, zend);
	srcu_read_unlock(&kvm->srcu, idx);
	return ret;
}

/* Does @base's 2 MiB region hold a restricted frame or an overlay page? */
static bool kvm_vsm_mmu_region_special(struct kvm_vsm_vtl *vtl, gfn_t base)
{
	return kvm_vsm_perm_range_restricted(vtl->part, vtl->vtl, base,
					     KVM_VSM_REGION_PAGES) ||
	       kvm_vsm_ovl_in_range(vtl, base, KVM_VSM_REGION_PAGES);
}

/*
 * Lock-free, from the fault hook (kvm->srcu held by KVM), for a VTL with
 * restrictions or overlay pages: may KVM still map a huge page over restricted frames at
 * @gfn? The 2 MiB level when @gfn's region holds a restricted frame (a
 * memslot created after the restriction, a bulk restriction); the 1 GiB
 * level always (one check of a whole 1 GiB range per fault would cost
 * more than the 1 GiB mappings a VTL with restrictions gives up).
 */
bool kvm_vsm_mmu_needs_split(struct kvm_vsm_vtl *vtl, gfn_t gfn)
{
	gfn_t base = round_down(gfn, KVM_VSM_REGION_PAGES);
	gfn_t gbase = round_down(gfn, KVM_VSM_1G_PAGES);
	bool perms = kvm_vsm_perm_active(vtl->part, vtl->vtl);
	struct kvm_memory_slot *slot;

	/* Overlays alone: only the frames around them. */
	if (perms || kvm_vsm_ovl_in_range(vtl, gbase, KVM_VSM_1G_PAGES)) {
		slot = kvm_vsm_huge_slot(vtl->kvm, gbase, KVM_VSM_1G_PAGES);
		if (slot && !kvm_vsm_counted(vtl, KVM_VSM_KEY_1G | (gfn >> KVM_VSM_1G_SHIFT), slot))
			return true;
	}
	slot = kvm_vsm_huge_slot(vtl->kvm, base, KVM_VSM_REGION_PAGES);
	if (!slot || kvm_vsm_counted(vtl, gfn >> KVM_VSM_REGION_SHIFT, slot))
		return false;
	return kvm_vsm_mmu_region_special(vtl, base);
}

/*
 * The lazy split, in place of the fault that found kvm_vsm_mmu_needs_split()
 * (vCPU thread, kvm->srcu held by KVM); the guest then retries the access.
 * Nothing to zap: a huge mapping there predates the restriction, whose
 * tightening zapped it.
 */
int kvm_vsm_mmu_fault_split(struct kvm_vsm_vtl *vtl, gfn_t gfn)
{
	gfn_t base = round_down(gfn, KVM_VSM_REGION_PAGES);
	bool fresh;
	int ret;

	ret = kvm_vsm_count(vtl, KVM_VSM_KEY_1G | (gfn >> KVM_VSM_1G_SHIFT),
			    round_down(gfn, KVM_VSM_1G_PAGES), KVM_VSM_1G_PAGES,
			    PG_LEVEL_1G, &fresh);
	if (ret || !kvm_vsm_mmu_region_special(vtl, base))
		return ret;
	return kvm_vsm_region_split(vtl, gfn >> KVM_VSM_REGION_SHIFT, &fresh);
}

void kvm_vsm_mmu_zap(struct kvm_vsm_vtl *vtl, gfn_t gfn, u64 n)
{
	gfn_t end = gfn + n;
	int idx;

	if (!n)
		return;
	if (end < gfn)
		end = ~(gfn_t)0;
	/* KVM walks the memslots: the VM's SRCU (callers may hold another's). */
	idx = srcu_read_lock(&vtl->kvm->srcu);
	kvm_vsm_zap_gfn_range(vtl->kvm, gfn, end);
	srcu_read_unlock(&vtl->kvm->srcu, idx);
}

/*
 * @vtl is detached and no hook sees it any more: its VM goes back to stock
 * KVM, which must not find our SPTEs (W/X taken away, or the zero page in
 * place of a read-denied frame: KVM replacing a present leaf with another
 * pfn is a BUG() in its TDP MMU). Zap everything; KVM maps it again.
 */
void kvm_vsm_mmu_detached(struct kvm_vsm_vtl *vtl)
{
	kvm_vsm_mmu_zap(vtl, 0, KVM_VSM_GFN_LIMIT);
}

static void kvm_vsm_forget(struct kvm_vsm_vtl *vtl, void *linfo,
			   unsigned long first, unsigned long last)
{
	XA_STATE(xas, &vtl->lpage, first);
	void *old;

	xas_lock(&xas);
	xas_for_each(&xas, old, last)
		if (old == linfo)
			xas_store(&xas, NULL);
	xas_unlock(&xas);
}

/*
 * A memslot's metadata goes (any context: the hook): forget what was
 * counted in it, so a new array at the same address is counted afresh.
 */
void kvm_vsm_mmu_slot_freed(struct kvm_vsm_vtl *vtl,
			    struct kvm_memory_slot *slot)
{
	void *linfo = slot->arch.lpage_info[0];
	gfn_t last = slot->base_gfn + slot->npages - 1;

	if (!slot->npages || !linfo)
		return;
	kvm_vsm_forget(vtl, linfo, slot->base_gfn >> KVM_VSM_REGION_SHIFT,
		       last >> KVM_VSM_REGION_SHIFT);
	kvm_vsm_forget(vtl, linfo, KVM_VSM_KEY_1G | (slot->base_gfn >> KVM_VSM_1G_SHIFT),
		       KVM_VSM_KEY_1G | (last >> KVM_VSM_1G_SHIFT));
}

/* ---- The policy the kvm.ko hooks (hooks.c) apply ---- */

/*
 * The MMU's ACC_* bits (private arch/x86/kvm/mmu/spte.h, later mmu.h).
 * With ACC_READ_MASK (bit 0), exec moved to bit 3 and bit 2 is both the
 * U/S bit (non-EPT formats) and user-exec (EPT's XU): stripped for no
 * execute only where KVM builds EPT entries (shadow_xu_mask set).
 */
#ifdef KVM_VSM_HAVE_ACC_READ
#define KVM_VSM_ACC_READ	BIT(0)
#define KVM_VSM_ACC_WRITE	BIT(1)
#define KVM_VSM_ACC_USER_EXEC	BIT(2)
#define KVM_VSM_ACC_EXEC	BIT(3)
static const u64 *kvm_vsm_shadow_xu_mask __ro_after_init;
#else
#define KVM_VSM_ACC_WRITE	BIT(1)
#define KVM_VSM_ACC_USER	BIT(2)
#define KVM_VSM_ACC_EXEC	BIT(0)
#endif

int kvm_vsm_mmu_init(void)
{
#ifdef KVM_VSM_HAVE_ACC_READ
	kvm_vsm_shadow_xu_mask =
		(void *)kvm_vsm_kvm_symbol("shadow_xu_mask", STT_OBJECT);
	if (!kvm_vsm_shadow_xu_mask) {
		pr_err("kvm-vsm: cannot find shadow_xu_mask in kvm.ko\n");
		return -ENOENT;
	}
#endif
	return 0;
}

/* What a fault's error code says the access was (every kernel alike). */
u8 kvm_vsm_mmu_fault_access(u64 error_code)
{
	/*
	 * NPT: the #PF error code. EPT: KVM builds the same WRITE and FETCH
	 * bits; the read bit it used to add (PFERR_USER_MASK, up to 6.x) is
	 * gone on 7.x, where USER means a user-mode linear access: neither
	 * is needed, a read is what is neither write nor fetch. An A/D-bit
	 * update by the CPU's own walk (PFERR_GUEST_PAGE_MASK) has WRITE.
	 */
	if (error_code & PFERR_WRITE_MASK)
		return KVM_VSM_ACCESS_WRITE;
	if (error_code & PFERR_FETCH_MASK)
		return KVM_VSM_ACCESS_EXECUTE;
	return KVM_VSM_ACCESS_READ;
}

static bool kvm_vsm_prot_allows(u8 prot, u8 access)
{
	switch (access) {
	case KVM_VSM_ACCESS_WRITE:
		return prot & KVM_VSM_PROT_WRITE;
	case KVM_VSM_ACCESS_EXECUTE:	/* no MBEC: either execute bit */
		return prot & (KVM_VSM_PROT_KX | KVM_VSM_PROT_UX);
	default:
		return prot & KVM_VSM_PROT_READ;
	}
}

/*
 * A fault of @vcpu (attached as @vtl) at @gpa: denied, to be split first,
 * or KVM's. Lock-free (the ftrace hook, KVM holds kvm->srcu). Only a
 * fault of a direct (TDP) MMU is judged, whose address is a GPA of the
 * VTL's VM: that includes a nested (L2) guest run without nested paging,
 * which shares the VTL's GPAs and its TDP MMU (with its huge pages). With
 * nested paging the L2 fault is at an L2 address and a shadow-paging
 * fault at a linear one (root not direct); for those the SPTE built for
 * the frame is limited instead (make_spte hook).
 */
int kvm_vsm_mmu_fault_check(struct kvm_vsm_vtl *vtl, struct kvm_vcpu *vcpu,
			    gpa_t gpa, u64 error_code)
{
	gfn_t gfn = gpa_to_gfn(gpa);
	struct kvm_memory_slot *slot;

	bool perms = kvm_vsm_perm_active(vtl->part, vtl->vtl);

	if ((!perms && !kvm_vsm_ovl_any(vtl)) ||
	    (error_code & PFERR_RSVD_MASK) ||		/* MMIO SPTE */
	    !vcpu->arch.mmu->root_role.direct)
		return KVM_VSM_PF_KVM;
	slot = __gfn_to_memslot(kvm_vcpu_memslots(vcpu), gfn);
	/* Not RAM (MMIO), or SMM's address space: not ours. */
	if (!slot || slot->as_id)
		return KVM_VSM_PF_KVM;
	/* The VTL's own overlay page: not the RAM the masks restrict. */
	if (kvm_vsm_ovl_find(vtl, gfn))
		return kvm_vsm_mmu_needs_split(vtl, gfn) ? KVM_VSM_PF_SPLIT :
							   KVM_VSM_PF_KVM;
	if (perms &&
	    !kvm_vsm_prot_allows(kvm_vsm_perm_get(vtl->part, vtl->vtl, gfn),
				 kvm_vsm_mmu_fault_access(error_code)))
		return KVM_VSM_PF_DENY;
	if (kvm_vsm_mmu_needs_split(vtl, gfn))
		return KVM_VSM_PF_SPLIT;
	return KVM_VSM_PF_KVM;
}

/*
 * May KVM map @gfn with a huge SPTE? Only where its 2 MiB region lies
 * whole in @slot and kvm-vsm has not counted it there (kvm_vsm_disallow()
 * makes KVM map that region 4 KiB at a time).
 */
static bool kvm_vsm_may_map_huge(struct kvm_vsm_vtl *vtl,
				 const struct kvm_memory_slot *slot, gfn_t gfn)
{
	gfn_t base = round_down(gfn, KVM_VSM_REGION_PAGES);

	if (base < slot->base_gfn ||
	    base + KVM_VSM_REGION_PAGES > slot->base_gfn + slot->npages)
		return false;
	return !kvm_vsm_counted(vtl, gfn >> KVM_VSM_REGION_SHIFT,
				(struct kvm_memory_slot *)slot);
}

/*
 * May make_spte() map @vtl's overlay page at @gfn: is the SPTE surely
 * 4 KiB (its region counted in @slot)? Else (a memslot created under the
 * overlay, not yet split by a fault) the RAM page's rules apply.
 */
bool kvm_vsm_mmu_small_only(struct kvm_vsm_vtl *vtl,
			    const struct kvm_memory_slot *slot, gfn_t gfn)
{
	gfn_t base = round_down(gfn, KVM_VSM_REGION_PAGES);

	if (base < slot->base_gfn ||
	    base + KVM_VSM_REGION_PAGES > slot->base_gfn + slot->npages)
		return true;	/* KVM never maps huge across a slot edge */
	return kvm_vsm_counted(vtl, gfn >> KVM_VSM_REGION_SHIFT,
			       (struct kvm_memory_slot *)slot);
}

/* What every frame of @gfn's 2 MiB region allows. */
static u8 kvm_vsm_region_prot(struct kvm_vsm_vtl *vtl, gfn_t gfn)
{
	gfn_t g = round_down(gfn, KVM_VSM_REGION_PAGES);
	gfn_t end = g + KVM_VSM_REGION_PAGES;
	u8 prot = KVM_VSM_PROT_ALL;

	if (!kvm_vsm_perm_range_restricted(vtl->part, vtl->vtl, g,
					   KVM_VSM_REGION_PAGES))
		return prot;
	for (; g < end && prot; g++)
		prot &= kvm_vsm_perm_get(vtl->part, vtl->vtl, g);
	return prot;
}

/*
 * make_spte()'s pte_access for @gfn of @vtl in @slot: W and X taken away
 * where the frame denies them. A read-denied frame gets here only without
 * a fault we judged (a nested guest's fault, prefetch): *zero_page, the
 * SPTE is to map the zero page, read-only, not executable. Never 0
 * (make_spte() warns): an emptied access keeps read.
 *
 * In a region not yet counted (a memslot created after the restriction,
 * before a fault of the VTL itself split it) the SPTE may be huge: it gets
 * what all the region's frames allow, and never the zero page, whose pfn
 * in a huge SPTE would map the host memory around it; a read-denied frame
 * there stays readable (docs/design.md, "Not judged at the fault").
 */
unsigned int kvm_vsm_mmu_spte_access(struct kvm_vsm_vtl *vtl,
				     const struct kvm_memory_slot *slot,
				     gfn_t gfn, unsigned int pte_access,
				     bool *zero_page)
{
	bool huge = kvm_vsm_may_map_huge(vtl, slot, gfn);
	u8 prot = huge ? kvm_vsm_region_prot(vtl, gfn) :
			 kvm_vsm_perm_get(vtl->part, vtl->vtl, gfn);
	unsigned int acc = pte_access;

	*zero_page = false;
	if (prot == KVM_VSM_PROT_ALL)
		return pte_access;
	if (!(prot & KVM_VSM_PROT_READ)) {
		*zero_page = !huge;
		prot = 0;
	}
	if (!(prot & KVM_VSM_PROT_WRITE))
		acc &= ~KVM_VSM_ACC_WRITE;
	if (!(prot & (KVM_VSM_PROT_KX | KVM_VSM_PROT_UX))) {
		acc &= ~KVM_VSM_ACC_EXEC;
#ifdef KVM_VSM_HAVE_ACC_READ
		if (READ_ONCE(*kvm_vsm_shadow_xu_mask))
			acc &= ~KVM_VSM_ACC_USER_EXEC;
#endif
	}
	if (!acc)
#ifdef KVM_VSM_HAVE_ACC_READ
		acc = KVM_VSM_ACC_READ;
#else
		acc = KVM_VSM_ACC_USER;	/* EPT without exec-only: readable */
#endif
	return acc;
}

/* May @vtl's VM access [@gpa, @gpa + @len) for @access (KVM on its behalf)? */
bool kvm_vsm_mmu_range_allowed(struct kvm_vsm_vtl *vtl, gpa_t gpa, u64 len,
			       u8 access)
{
	gfn_t gfn, last;

	if (!kvm_vsm_perm_active(vtl->part, vtl->vtl) || !len)
		return true;
	last = gpa_to_gfn(gpa + len - 1);
	for (gfn = gpa_to_gfn(gpa); gfn <= last; gfn++)
		if (!kvm_vsm_prot_allows(kvm_vsm_perm_get(vtl->part, vtl->vtl, gfn),
					 access))
			return false;
	return true;
}

/*
 * A guest's WRMSR that points KVM at guest memory it then writes (and
 * reads): the range, if @msr enables one. Each as KVM decodes the value.
 */
static bool kvm_vsm_msr_range(u32 msr, u64 data, gpa_t *gpa, u64 *len)
{
	switch (msr) {
	/* The Hyper-V pages are overlays (overlay.c): RAM is not written. */
	case MSR_KVM_SYSTEM_TIME:
	case MSR_KVM_SYSTEM_TIME_NEW:
		*gpa = data & ~1ULL;
		*len = sizeof(struct pvclock_vcpu_time_info);
		return data & 1;
	case MSR_KVM_WALL_CLOCK:
	case MSR_KVM_WALL_CLOCK_NEW:	/* written at once, no enable bit */
		*gpa = data;
		*len = sizeof(struct pvclock_wall_clock);
		return true;
	case MSR_KVM_STEAL_TIME:
		*gpa = data & KVM_STEAL_VALID_BITS;
		*len = sizeof(struct kvm_steal_time);
		return data & KVM_MSR_ENABLED;
	case MSR_KVM_PV_EOI_EN:
		*gpa = data & ~KVM_MSR_ENABLED;
		*len = sizeof(u8);
		return data & KVM_MSR_ENABLED;
	case MSR_KVM_ASYNC_PF_EN:
		*gpa = data & ~0x3fULL;
		*len = sizeof(struct kvm_vcpu_pv_apf_data);
		return data & KVM_ASYNC_PF_ENABLED;
	default:
		return false;
	}
}

/*
 * A guest (not host-initiated) MSR write of @vcpu that would have KVM
 * write a frame its VTL may not write: refused like a bad value (#GP).
 */
bool kvm_vsm_mmu_msr_denied(struct kvm_vsm_vtl *vtl, struct msr_data *msr)
{
	gpa_t gpa;
	u64 len;

	if (msr->host_initiated || !kvm_vsm_perm_active(vtl->part, vtl->vtl) ||
	    !kvm_vsm_msr_range(msr->index, msr->data, &gpa, &len))
		return false;
	/* Every page KVM writes it also reads: write implies read. */
	return !kvm_vsm_mmu_range_allowed(vtl, gpa, len, KVM_VSM_ACCESS_WRITE);
}
