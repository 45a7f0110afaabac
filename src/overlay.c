// SPDX-License-Identifier: GPL-2.0
/*
 * Overlay pages (TLFS "GPA overlay pages", seeds/000; docs/design.md,
 * "Overlay pages"): the hypercall page, SIMP, SIEFP, VP assist page and
 * reference TSC page a VTL enables are pages of their own in that VTL's
 * VM only. The RAM page beneath is never written, other VTLs (and the
 * VMM's mapping) still see it, and it shows again when the overlay is
 * disabled or moved.
 *
 * The write of an overlay MSR (guest WRMSR or the VMM's KVM_SET_MSRS)
 * comes here in place of kvm_set_msr_common(): the page is placed first,
 * then KVM does the write, whose accesses (hypercall code, SIMP clear)
 * the hooks redirect into the page; what KVM then holds decides which
 * page stays. All of it before the write retires.
 */
#include <linux/mm.h>

#include "compat.h"
#include "hcpage_code.h"
#include "kvm_vsm.h"

bool kvm_vsm_overlay_msr(u32 index)
{
	switch (index) {
	case HV_X64_MSR_HYPERCALL:
	case HV_X64_MSR_SIMP:
	case HV_X64_MSR_SIEFP:
	case HV_X64_MSR_VP_ASSIST_PAGE:
	case HV_X64_MSR_REFERENCE_TSC:
	case HV_X64_MSR_GUEST_OS_ID:	/* zero disables the hypercall page */
		return true;
	default:
		return false;
	}
}

/* SIMP, SIEFP and the VP assist page are per VP; the others per VM. */
static u32 kvm_vsm_ovl_key(struct kvm_vcpu *vcpu, u32 msr)
{
	switch (msr) {
	case HV_X64_MSR_SIMP:
	case HV_X64_MSR_SIEFP:
	case HV_X64_MSR_VP_ASSIST_PAGE:
		return vcpu->vcpu_idx;
	default:
		return KVM_VSM_OVL_VM;
	}
}

/*
 * The page a value of an overlay MSR places, if it places one: all five
 * have their enable bit at 0 and the page's GPA in bits 63:12.
 */
static bool kvm_vsm_ovl_wanted(u64 data, gfn_t *gfn)
{
	*gfn = data >> PAGE_SHIFT;
	return data & 1;
}

/*
 * The overlay's GPA must be guest memory of this VM: a user memslot of
 * address space 0, writable (KVM maps the overlay where it would map the
 * RAM page; an MMIO hole, a ROM or the APIC page never gets that far).
 */
static bool kvm_vsm_ovl_gfn_ok(struct kvm *kvm, gfn_t gfn)
{
	struct kvm_memory_slot *slot;
	bool ok;
	int idx;

	idx = srcu_read_lock(&kvm->srcu);
	slot = __gfn_to_memslot(__kvm_memslots(kvm, 0), gfn);
	ok = slot && slot->id < KVM_USER_MEM_SLOTS &&
	     !(slot->flags & (KVM_MEMSLOT_INVALID | KVM_MEM_READONLY));
	srcu_read_unlock(&kvm->srcu, idx);
	return ok;
}

static struct kvm_vsm_overlay *kvm_vsm_ovl_owned(struct kvm_vsm_vtl *vtl,
						 u32 msr, u32 key)
{
	struct kvm_vsm_overlay *ovl;
	unsigned long gfn;

	xa_for_each(&vtl->overlays, gfn, ovl)
		if (ovl->msr == msr && ovl->vcpu_idx == key)
			return ovl;
	return NULL;
}

/*
 * Place @ovl: published, then no huge mapping may cover its gfn (mmu.c
 * counts the 2 MiB region as for a restricted frame) and the RAM page's
 * SPTE goes, so the VM's next access faults the overlay in (make_spte
 * hook). -EEXIST where another overlay is.
 */
static int kvm_vsm_ovl_place(struct kvm_vsm_vtl *vtl,
			     struct kvm_vsm_overlay *ovl)
{
	int r;

	r = kvm_vsm_ovl_insert(vtl, ovl);
	if (r)
		return r;
	r = kvm_vsm_mmu_split(vtl, ovl->gfn, 1);
	kvm_vsm_mmu_zap(vtl, ovl->gfn, 1);
	if (r) {
		/* A fault may have mapped it meanwhile: zapped again below. */
		kvm_vsm_ovl_erase(vtl, ovl);
		kvm_vsm_mmu_zap(vtl, ovl->gfn, 1);
	}
	return r;
}

/*
 * Erased, then zapped: KVM zaps under mmu_lock for write and make_spte()
 * runs under it, so no fault that found the page can still be mapping
 * it; then the copies into it finish (RCU).
 */
static void kvm_vsm_ovl_remove(struct kvm_vsm_vtl *vtl,
			       struct kvm_vsm_overlay *ovl)
{
	kvm_vsm_ovl_erase(vtl, ovl);
	kvm_vsm_mmu_zap(vtl, ovl->gfn, 1);
	kvm_vsm_ovl_free_deferred(ovl);
}

/* KVM's own handling of the write; the hook lets this one through. */
static int kvm_vsm_ovl_kvm_write(struct kvm_vsm_vtl *vtl,
				 struct kvm_vcpu *vcpu, struct msr_data *msr)
{
	int r;

	WRITE_ONCE(vtl->ovl_inflight, msr);
	r = kvm_vsm_call(kvm_set_msr_common)(vcpu, msr);
	WRITE_ONCE(vtl->ovl_inflight, NULL);
	return r;
}

/*
 * Enabling the VP assist page, which KVM would do by clearing apic_assist
 * through the RAM page's host address: KVM's checks and the rest of its
 * work by writing the value without its enable bit, then what enabling
 * adds (kvm_hv_set_msr() and kvm_lapic_set_pv_eoi(), the same from 6.1 to
 * 7.3; the latter is not exported and, not address-taken, may be sealed
 * against indirect calls) with apic_assist cleared in the overlay. KVM
 * reaches the page through pv_eoi's cache, which the hooks redirect.
 */
static int kvm_vsm_ovl_assist(struct kvm_vsm_vtl *vtl, struct kvm_vcpu *vcpu,
			      struct msr_data *msr, struct kvm_vsm_overlay *ovl)
{
	struct gfn_to_hva_cache *ghc = &vcpu->arch.pv_eoi.data;
	gpa_t gpa = gfn_to_gpa(ovl->gfn);
	unsigned long len = sizeof(struct hv_vp_assist_page);
	struct msr_data off = *msr;
	int r;

	off.data &= ~HV_X64_MSR_VP_ASSIST_PAGE_ENABLE;
	r = kvm_vsm_ovl_kvm_write(vtl, vcpu, &off);
	if (r)
		return r;
	*(u32 *)page_address(ovl->page) = 0;
	if (gpa == ghc->gpa && len <= ghc->len)
		len = ghc->len;
	if (kvm_vsm_call(kvm_gfn_to_hva_cache_init)(vcpu->kvm, ghc, gpa, len))
		return 1;
	vcpu->arch.hyperv->hv_vapic = msr->data;
	vcpu->arch.pv_eoi.msr_val = gpa | KVM_MSR_ENABLED;
	return 0;
}

/*
 * Keep only the overlay of (@msr, @key) that KVM's value of @msr now
 * places: the old one after a move, none after a disable, the new one
 * not if KVM refused or ignored the write (a hypercall page without a
 * guest OS ID).
 */
static void kvm_vsm_ovl_sync(struct kvm_vsm_vtl *vtl, struct kvm_vcpu *vcpu,
			     u32 msr, u32 key)
{
	struct msr_data cur = { .index = msr, .host_initiated = true };
	struct kvm_vsm_overlay *ovl;
	unsigned long i;
	bool on = false;
	gfn_t gfn = 0;

	if (!kvm_vsm_call(kvm_get_msr_common)(vcpu, &cur))
		on = kvm_vsm_ovl_wanted(cur.data, &gfn);
	xa_for_each(&vtl->overlays, i, ovl)
		if (ovl->msr == msr && ovl->vcpu_idx == key &&
		    !(on && ovl->gfn == gfn))
			kvm_vsm_ovl_remove(vtl, ovl);
}

static int kvm_vsm_ovl_set(struct kvm_vsm_vtl *vtl, struct kvm_vcpu *vcpu,
			   struct msr_data *msr)
{
	u32 key = kvm_vsm_ovl_key(vcpu, msr->index);
	struct kvm_vsm_overlay *old, *ovl;
	gfn_t gfn;
	int r;

	if (msr->index == HV_X64_MSR_GUEST_OS_ID) {
		r = kvm_vsm_ovl_kvm_write(vtl, vcpu, msr);
		kvm_vsm_ovl_sync(vtl, vcpu, HV_X64_MSR_HYPERCALL, KVM_VSM_OVL_VM);
		return r;
	}
	old = kvm_vsm_ovl_owned(vtl, msr->index, key);
	if (!kvm_vsm_ovl_wanted(msr->data, &gfn) || (old && old->gfn == gfn)) {
		/* A disable, or the same place again: written anew. */
		ovl = old;
		if (ovl && msr->index == HV_X64_MSR_HYPERCALL &&
		    kvm_vsm_ovl_wanted(msr->data, &gfn))
			kvm_vsm_hcpage_fill(page_address(ovl->page),
					    kvm_vsm_vendor() == KVM_VSM_VENDOR_INTEL);
		goto kvm_write;
	}
	/* Refused like a bad value, nothing changed (issue 11, item 5). */
	if (!kvm_vsm_ovl_gfn_ok(vcpu->kvm, gfn) || kvm_vsm_ovl_find(vtl, gfn))
		return 1;
	ovl = kvm_vsm_ovl_alloc(gfn, msr->index, key);
	if (!ovl)
		return -ENOMEM;	/* nothing retired: KVM_RUN fails, as KVM's own */
	if (old)		/* moved: the contents go along */
		memcpy(page_address(ovl->page), page_address(old->page),
		       PAGE_SIZE);
	else if (msr->index == HV_X64_MSR_HYPERCALL)
		kvm_vsm_hcpage_fill(page_address(ovl->page),
				    kvm_vsm_vendor() == KVM_VSM_VENDOR_INTEL);
	r = kvm_vsm_ovl_place(vtl, ovl);
	if (r == -EEXIST) {
		kvm_vsm_ovl_free(ovl);
		return 1;
	}
	if (r) {
		kvm_vsm_ovl_free_deferred(ovl);
		return r;
	}
kvm_write:
	if (msr->index == HV_X64_MSR_VP_ASSIST_PAGE && ovl &&
	    kvm_vsm_ovl_wanted(msr->data, &gfn))
		r = kvm_vsm_ovl_assist(vtl, vcpu, msr, ovl);
	else
		r = kvm_vsm_ovl_kvm_write(vtl, vcpu, msr);
	kvm_vsm_ovl_sync(vtl, vcpu, msr->index, key);
	return r;
}

int kvm_vsm_overlay_set_msr(struct kvm_vcpu *vcpu, struct msr_data *msr)
{
	struct kvm_vsm_vtl *vtl;
	int idx, r;

	vtl = kvm_vsm_vtl_get(vcpu->kvm, &idx);
	if (!vtl) {	/* detached since the hook looked: stock KVM */
		kvm_vsm_vtl_put(vtl, idx);
		return kvm_vsm_call(kvm_set_msr_common)(vcpu, msr);
	}
	mutex_lock(&vtl->ovl_lock);
	if (vtl->ovl_closed)	/* being detached: as stock KVM */
		r = kvm_vsm_ovl_kvm_write(vtl, vcpu, msr);
	else
		r = kvm_vsm_ovl_set(vtl, vcpu, msr);
	mutex_unlock(&vtl->ovl_lock);
	kvm_vsm_vtl_put(vtl, idx);
	return r;
}

/*
 * @vtl is being detached, still published: its overlays go now, while
 * KVM's accesses and the guest's SPTEs agree (both the overlay, then both
 * the RAM): a vCPU still running there must not find KVM reading RAM
 * where it executes the overlay (KVM decodes the instruction it skips
 * from memory). Later overlay MSR writes go to stock KVM (ovl_closed).
 *
 * The VM is stock KVM afterwards, and KVM still holds the MSR values.
 * VTL0, the last VTL to go (no higher one is attached any more, so all
 * the memory is its own), keeps working as stock KVM would have: its
 * pages' contents are written into the RAM beneath first, its hypercall
 * page among them (a guest write to one in between is lost). A higher
 * VTL's are dropped: the RAM beneath is the lower VTLs', still attached.
 * Only from the VM's own process: a partition closed by another process
 * holding its fd, or by an exiting one, writes nothing.
 */
static void kvm_vsm_ovl_to_ram(struct kvm *kvm, struct kvm_vsm_overlay *ovl)
{
	struct kvm_memory_slot *slot;
	unsigned long hva;

	/*
	 * Through the VMM's mapping, as KVM's own writes go; not
	 * kvm_write_guest(), which wants a running vCPU for its dirty
	 * tracking (the dirty bitmap is not told: a VMM migrating while it
	 * detaches VTL0 must resend these pages).
	 */
	slot = __gfn_to_memslot(__kvm_memslots(kvm, 0), ovl->gfn);
	if (!slot || (slot->flags & (KVM_MEMSLOT_INVALID | KVM_MEM_READONLY)))
		return;
	hva = __gfn_to_hva_memslot(slot, ovl->gfn);
	if (copy_to_user((void __user *)hva, page_address(ovl->page), PAGE_SIZE))
		pr_debug("kvm-vsm: overlay at gfn %llx not written back\n",
			 (u64)ovl->gfn);
}

void kvm_vsm_overlay_detach(struct kvm_vsm_vtl *vtl)
{
	bool keep = !vtl->vtl && current->mm == vtl->kvm->mm;
	struct kvm_vsm_overlay *ovl;
	unsigned long gfn;
	int idx;

	mutex_lock(&vtl->ovl_lock);
	vtl->ovl_closed = true;
	idx = srcu_read_lock(&vtl->kvm->srcu);
	xa_for_each(&vtl->overlays, gfn, ovl) {
		if (keep)
			kvm_vsm_ovl_to_ram(vtl->kvm, ovl);
		kvm_vsm_ovl_remove(vtl, ovl);
	}
	srcu_read_unlock(&vtl->kvm->srcu, idx);
	mutex_unlock(&vtl->ovl_lock);
}

/* No hook sees @vtl any more, nothing can place an overlay: gone. */
void kvm_vsm_overlay_detached(struct kvm_vsm_vtl *vtl)
{
	xa_destroy(&vtl->overlays);
}

int kvm_vsm_overlay_access(struct kvm_vsm_partition *part,
			   struct kvm_vsm_overlay_access *arg)
{
	void __user *buf = u64_to_user_ptr(arg->addr);
	struct kvm_vsm_vtl *vtl;
	void *tmp;
	int r;

	if ((arg->flags & ~KVM_VSM_OVERLAY_ACCESS_WRITE) || arg->reserved ||
	    arg->vtl >= KVM_VSM_MAX_VTLS || !arg->len ||
	    arg->len > PAGE_SIZE - offset_in_page(arg->gpa))
		return -EINVAL;
	tmp = kmalloc(arg->len, GFP_KERNEL_ACCOUNT);
	if (!tmp)
		return -ENOMEM;
	r = -EFAULT;
	if ((arg->flags & KVM_VSM_OVERLAY_ACCESS_WRITE) &&
	    copy_from_user(tmp, buf, arg->len))
		goto out;
	/* part->lock: the VTL stays attached, its overlays stay in place. */
	mutex_lock(&part->lock);
	vtl = part->vtls[arg->vtl];
	r = -ENOENT;
	if (vtl) {
		mutex_lock(&vtl->ovl_lock);
		r = kvm_vsm_ovl_rw(vtl, arg->gpa, tmp, arg->len,
				   arg->flags & KVM_VSM_OVERLAY_ACCESS_WRITE);
		mutex_unlock(&vtl->ovl_lock);
	}
	mutex_unlock(&part->lock);
	if (!r && !(arg->flags & KVM_VSM_OVERLAY_ACCESS_WRITE) &&
	    copy_to_user(buf, tmp, arg->len))
		r = -EFAULT;
out:
	kfree(tmp);
	return r;
}
