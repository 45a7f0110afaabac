// SPDX-License-Identifier: GPL-2.0
/*
 * The overlay pages of one VTL's VM (docs/design.md, "Overlay pages"): a
 * kernel page per overlay, found by gfn. The hooks read this lock-free;
 * overlay.c changes it under vtl->ovl_lock.
 *
 * A page is published before anything maps it and freed only after (1)
 * it is unpublished, (2) its gfn is zapped in the VM, which KVM does under
 * mmu_lock for write, so no fault that found the page before (1) can
 * still be installing an SPTE to it (make_spte runs under mmu_lock), and
 * (3) an RCU grace period, for the copies into it (under rcu_read_lock).
 */
#include <linux/highmem.h>
#include <linux/mm.h>

#include "kvm_vsm.h"

void kvm_vsm_ovl_init(struct kvm_vsm_vtl *vtl)
{
	xa_init(&vtl->overlays);
	mutex_init(&vtl->ovl_lock);
}

struct kvm_vsm_overlay *kvm_vsm_ovl_find(struct kvm_vsm_vtl *vtl, gfn_t gfn)
{
	if (!kvm_vsm_ovl_any(vtl))
		return NULL;
	return xa_load(&vtl->overlays, gfn);
}

bool kvm_vsm_ovl_in_range(struct kvm_vsm_vtl *vtl, gfn_t gfn, u64 n)
{
	unsigned long index = gfn;
	bool found;

	if (!kvm_vsm_ovl_any(vtl) || !n)
		return false;
	rcu_read_lock();
	found = xa_find(&vtl->overlays, &index, gfn + n - 1, XA_PRESENT);
	rcu_read_unlock();
	return found;
}

int kvm_vsm_ovl_rw(struct kvm_vsm_vtl *vtl, gpa_t gpa, void *data,
		   unsigned long len, bool write)
{
	unsigned int off = offset_in_page(gpa);
	struct kvm_vsm_overlay *ovl;
	u8 *p;

	if (len > PAGE_SIZE - off)
		return -EFAULT;
	rcu_read_lock();
	ovl = kvm_vsm_ovl_find(vtl, gpa_to_gfn(gpa));
	if (ovl) {
		p = (u8 *)page_address(ovl->page) + off;
		if (write)
			memcpy(p, data, len);
		else
			memcpy(data, p, len);
	}
	rcu_read_unlock();
	return ovl ? 0 : -ENOENT;
}

struct kvm_vsm_overlay *kvm_vsm_ovl_alloc(gfn_t gfn, u32 msr, u32 vcpu_idx)
{
	struct kvm_vsm_overlay *ovl;

	ovl = kzalloc(sizeof(*ovl), GFP_KERNEL_ACCOUNT);
	if (!ovl)
		return NULL;
	/* Mapped into the guest: no highmem (x86-64 has none anyway). */
	ovl->page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!ovl->page) {
		kfree(ovl);
		return NULL;
	}
	ovl->gfn = gfn;
	ovl->msr = msr;
	ovl->vcpu_idx = vcpu_idx;
	return ovl;
}

void kvm_vsm_ovl_free(struct kvm_vsm_overlay *ovl)
{
	__free_page(ovl->page);
	kfree(ovl);
}

static void kvm_vsm_ovl_free_rcu(struct rcu_head *head)
{
	kvm_vsm_ovl_free(container_of(head, struct kvm_vsm_overlay, rcu));
}

/* Publish @ovl at its gfn: -EEXIST where another overlay is, -ENOMEM. */
int kvm_vsm_ovl_insert(struct kvm_vsm_vtl *vtl, struct kvm_vsm_overlay *ovl)
{
	int r;

	lockdep_assert_held(&vtl->ovl_lock);
	r = xa_insert(&vtl->overlays, ovl->gfn, ovl, GFP_KERNEL_ACCOUNT);
	if (r == -EBUSY)
		return -EEXIST;
	if (!r)
		WRITE_ONCE(vtl->nr_overlays, vtl->nr_overlays + 1);
	return r;
}

/* Unpublish: new lookups find the RAM page again. */
void kvm_vsm_ovl_erase(struct kvm_vsm_vtl *vtl, struct kvm_vsm_overlay *ovl)
{
	xa_erase(&vtl->overlays, ovl->gfn);
	WRITE_ONCE(vtl->nr_overlays, vtl->nr_overlays - 1);
}

/* An erased overlay whose gfn the VM no longer maps: freed after readers. */
void kvm_vsm_ovl_free_deferred(struct kvm_vsm_overlay *ovl)
{
	call_rcu(&ovl->rcu, kvm_vsm_ovl_free_rcu);
}

void kvm_vsm_ovl_module_exit(void)
{
	rcu_barrier();
}
