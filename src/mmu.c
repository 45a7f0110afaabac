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

/*
 * Tightening more 2 MiB regions than this at once (the partition-wide
 * default, a restriction of most of memory) counts nothing up front:
 * each region is split at its first fault (kvm_vsm_mmu_fault_split()).
 */
#define KVM_VSM_SPLIT_EAGER_MAX	4096	/* 8 GiB */

/*
 * The memslot (address space 0) that holds all of @region, or NULL: KVM
 * never maps a huge page across a memslot edge (it disallows those at
 * memslot creation for good), so a region no slot covers whole needs nothing.
 * Caller: kvm->srcu.
 */
static struct kvm_memory_slot *kvm_vsm_region_slot(struct kvm *kvm,
						   unsigned long region)
{
	gfn_t base = (gfn_t)region << KVM_VSM_REGION_SHIFT;
	struct kvm_memory_slot *slot;

	slot = __gfn_to_memslot(kvm_memslots(kvm), base);
	if (!slot || (slot->flags & KVM_MEMSLOT_INVALID) ||
	    base + KVM_VSM_REGION_PAGES > slot->base_gfn + slot->npages)
		return NULL;
	return slot;
}

static bool kvm_vsm_region_counted(struct kvm_vsm_vtl *vtl,
				   unsigned long region,
				   struct kvm_memory_slot *slot)
{
	return xa_load(&vtl->lpage, region) == slot->arch.lpage_info[0];
}

/*
 * Count @region as disallowed for huge pages in @slot, unless already
 * done for this memslot instance. Caller: kvm->mmu_lock for write (KVM
 * reads the counts under it, for read or write), @region reserved in
 * vtl->lpage. True if it counted now.
 */
static bool kvm_vsm_region_disallow(struct kvm_vsm_vtl *vtl,
				    unsigned long region,
				    struct kvm_memory_slot *slot)
{
	gfn_t gfn = (gfn_t)region << KVM_VSM_REGION_SHIFT;
	unsigned long i;
	int level;

	lockdep_assert_held_write(&vtl->kvm->mmu_lock);
	if (kvm_vsm_region_counted(vtl, region, slot))
		return false;
	for (level = PG_LEVEL_2M; level <= KVM_MAX_HUGEPAGE_LEVEL; level++) {
		/* KVM's gfn_to_index() (arch/x86/kvm/mmu.h) */
		i = (gfn >> KVM_HPAGE_GFN_SHIFT(level)) -
		    (slot->base_gfn >> KVM_HPAGE_GFN_SHIFT(level));
		slot->arch.lpage_info[level - 2][i].disallow_lpage++;
	}
	/*
	 * Reserved, so this does not allocate. Should it fail anyway, the
	 * region is counted again next time: one more, harmless.
	 */
	xa_store(&vtl->lpage, region, slot->arch.lpage_info[0], GFP_NOWAIT);
	return true;
}

/*
 * Split @region of @vtl's VM if it is not yet: count it, then zap its
 * mappings (a huge one among them) so KVM maps it again in 4 KiB pages.
 * Caller: kvm->srcu, may sleep. -ENOMEM: nothing done.
 */
static int kvm_vsm_region_split(struct kvm_vsm_vtl *vtl, unsigned long region,
				bool *fresh)
{
	struct kvm *kvm = vtl->kvm;
	struct kvm_memory_slot *slot;

	*fresh = false;
	slot = kvm_vsm_region_slot(kvm, region);
	if (!slot || kvm_vsm_region_counted(vtl, region, slot))
		return 0;
	if (xa_reserve(&vtl->lpage, region, GFP_KERNEL_ACCOUNT))
		return -ENOMEM;
	write_lock(&kvm->mmu_lock);
	*fresh = kvm_vsm_region_disallow(vtl, region, slot);
	write_unlock(&kvm->mmu_lock);
	return 0;
}

int kvm_vsm_mmu_split(struct kvm_vsm_vtl *vtl, gfn_t gfn, u64 n)
{
	struct kvm *kvm = vtl->kvm;
	unsigned long first, last, r;
	gfn_t zstart = 0, zend = 0;
	bool fresh;
	int idx, ret = 0;

	if (!n || gfn + n < gfn)
		return 0;
	first = gfn >> KVM_VSM_REGION_SHIFT;
	last = (gfn + n - 1) >> KVM_VSM_REGION_SHIFT;
	if (last - first >= KVM_VSM_SPLIT_EAGER_MAX)
		return 0;	/* at each region's first fault */

	idx = srcu_read_lock(&kvm->srcu);
	for (r = first; r <= last; r++) {
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

/*
 * Lock-free, from the fault hook (kvm->srcu held by KVM): does the 2 MiB
 * region of @gfn hold a restricted frame and still allow a huge mapping?
 */
bool kvm_vsm_mmu_needs_split(struct kvm_vsm_vtl *vtl, gfn_t gfn)
{
	unsigned long region = gfn >> KVM_VSM_REGION_SHIFT;
	struct kvm_memory_slot *slot;

	slot = kvm_vsm_region_slot(vtl->kvm, region);
	if (!slot || kvm_vsm_region_counted(vtl, region, slot))
		return false;
	return kvm_vsm_perm_range_restricted(vtl->part, vtl->vtl,
					     (gfn_t)region << KVM_VSM_REGION_SHIFT,
					     KVM_VSM_REGION_PAGES);
}

/*
 * The lazy split, in place of the fault that found kvm_vsm_mmu_needs_split()
 * (vCPU thread, kvm->srcu held by KVM): the guest retries the access.
 */
int kvm_vsm_mmu_fault_split(struct kvm_vsm_vtl *vtl, gfn_t gfn)
{
	unsigned long region = gfn >> KVM_VSM_REGION_SHIFT;
	gfn_t base = (gfn_t)region << KVM_VSM_REGION_SHIFT;
	bool fresh;
	int ret;

	ret = kvm_vsm_region_split(vtl, region, &fresh);
	if (!ret && fresh)
		kvm_vsm_zap_gfn_range(vtl->kvm, base, base + KVM_VSM_REGION_PAGES);
	return ret;
}

void kvm_vsm_mmu_zap(struct kvm_vsm_vtl *vtl, gfn_t gfn, u64 n)
{
	gfn_t end = gfn + n;

	if (!n)
		return;
	if (end < gfn)
		end = ~(gfn_t)0;
	kvm_vsm_zap_gfn_range(vtl->kvm, gfn, end);
}

/* A memslot's metadata goes: forget the regions counted in it. */
void kvm_vsm_mmu_slot_freed(struct kvm_vsm_vtl *vtl,
			    struct kvm_memory_slot *slot)
{
	unsigned long first = slot->base_gfn >> KVM_VSM_REGION_SHIFT;
	unsigned long last;
	void *linfo = slot->arch.lpage_info[0];
	void *old;
	XA_STATE(xas, &vtl->lpage, first);

	if (!slot->npages || !linfo)
		return;
	last = (slot->base_gfn + slot->npages - 1) >> KVM_VSM_REGION_SHIFT;
	xas_lock(&xas);
	xas_for_each(&xas, old, last)
		if (old == linfo)
			xas_store(&xas, NULL);
	xas_unlock(&xas);
}
