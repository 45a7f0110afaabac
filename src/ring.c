// SPDX-License-Identifier: GPL-2.0
/*
 * The shared exit ring: one header page and a power-of-two array of
 * fixed-size records, in pages charged to the creator's memory cgroup,
 * vmap'ed for us and mmapped by the VMM.
 *
 * Many vCPU threads produce (under ring->lock); one VMM consumer reads and
 * advances `consumer`. The module never trusts what the VMM writes: it
 * keeps its own producer index and masks every index before use, so a
 * broken consumer can only stall its own partition. A full ring never
 * drops a record and never makes a producer wait inside KVM_RUN: the vCPU
 * exits (KVM_VSM_EXIT_HYPERV_RING_FULL) with nothing published, and
 * KVM_VSM_RUN_VP waits for room, holding nothing, before entering again.
 */
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "compat.h"
#include "kvm_vsm.h"

#define RING_HDR_SIZE	PAGE_SIZE

/*
 * Up to 8 MiB for the biggest ring: charged to the caller's memory cgroup
 * (vmalloc_user() is not), and failing with ENOMEM at the cgroup's limit
 * rather than invoking its OOM killer.
 */
#define RING_GFP	(GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)

static void kvm_vsm_ring_free_pages(struct kvm_vsm_ring *ring)
{
	unsigned int i;

	for (i = 0; i < ring->nr_pages && ring->pages[i]; i++)
		__free_page(ring->pages[i]);
	kvfree(ring->pages);
	ring->pages = NULL;
}

int kvm_vsm_ring_init(struct kvm_vsm_ring *ring, u32 entries)
{
	unsigned int i;
	size_t size;

	if (!entries)
		entries = KVM_VSM_RING_DEFAULT_ENTRIES;
	if (entries < KVM_VSM_RING_MIN_ENTRIES ||
	    entries > KVM_VSM_RING_MAX_ENTRIES || !is_power_of_2(entries))
		return -EINVAL;

	size = PAGE_ALIGN(RING_HDR_SIZE +
			  (size_t)entries * sizeof(struct kvm_vsm_ring_record));
	ring->nr_pages = size >> PAGE_SHIFT;
	ring->pages = kvcalloc(ring->nr_pages, sizeof(*ring->pages), RING_GFP);
	if (!ring->pages)
		return -ENOMEM;
	for (i = 0; i < ring->nr_pages; i++) {
		ring->pages[i] = alloc_page(RING_GFP | __GFP_ZERO);
		if (!ring->pages[i])
			goto err_pages;
	}
	ring->waiters = kvcalloc(entries, sizeof(*ring->waiters), RING_GFP);
	if (!ring->waiters)
		goto err_pages;
	ring->hdr = vmap(ring->pages, ring->nr_pages, VM_MAP, PAGE_KERNEL);
	if (!ring->hdr)
		goto err_waiters;
	ring->recs = (void *)ring->hdr + RING_HDR_SIZE;
	ring->entries = entries;
	ring->mmap_size = size;
	ring->hdr->entries = entries;
	ring->hdr->record_size = sizeof(struct kvm_vsm_ring_record);
	spin_lock_init(&ring->lock);
	init_waitqueue_head(&ring->space_wq);
	init_waitqueue_head(&ring->poll_wq);
	return 0;

err_waiters:
	kvfree(ring->waiters);
err_pages:
	kvm_vsm_ring_free_pages(ring);
	return -ENOMEM;
}

void kvm_vsm_ring_free(struct kvm_vsm_ring *ring)
{
	if (ring->eventfd)
		eventfd_ctx_put(ring->eventfd);
	vunmap(ring->hdr);
	kvm_vsm_ring_free_pages(ring);
	kvfree(ring->waiters);
}

/*
 * Map the ring's first pages into @vma (shared, offset 0, at most the
 * ring). The mapping holds its own page references.
 */
int kvm_vsm_ring_mmap(struct kvm_vsm_ring *ring, struct vm_area_struct *vma)
{
	if (vma->vm_pgoff || !(vma->vm_flags & VM_SHARED) ||
	    vma->vm_end - vma->vm_start > ring->mmap_size)
		return -EINVAL;
	kvm_vsm_vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
	return vm_map_pages_zero(vma, ring->pages, ring->nr_pages);
}

static bool kvm_vsm_ring_has_space(struct kvm_vsm_ring *ring)
{
	return ring->prod - READ_ONCE(ring->hdr->consumer) < ring->entries &&
	       !READ_ONCE(ring->waiters[ring->prod & (ring->entries - 1)]);
}

/*
 * Under ring->lock: a free slot, or else the waiting flag raised so that
 * the consumer says when it frees one (KVM_VSM_RING_WAKE, _COMPLETE).
 */
static bool kvm_vsm_ring_room(struct kvm_vsm_ring *ring)
{
	if (kvm_vsm_ring_has_space(ring))
		return true;
	WRITE_ONCE(ring->hdr->flags,
		   ring->hdr->flags | KVM_VSM_RING_F_PRODUCER_WAITING);
	return false;
}

bool kvm_vsm_ring_readable(struct kvm_vsm_ring *ring)
{
	/* Pairs with the release in kvm_vsm_ring_publish(). */
	return smp_load_acquire(&ring->hdr->producer) !=
	       READ_ONCE(ring->hdr->consumer);
}

/*
 * Append @rec, filling in its seq. Never waits: returns 0, -EAGAIN when
 * the ring is full (the waiting flag is set, so the consumer says when it
 * freed a slot; see kvm_vsm_ring_wait_space()), or -ENODEV when the
 * partition is going away or @vtl, the producer's, is detached. With
 * @waiter, the record needs completion: @waiter is registered in the slot
 * before the record becomes visible, so KVM_VSM_COMPLETE always finds it.
 */
int kvm_vsm_ring_publish(struct kvm_vsm_partition *part, struct kvm_vsm_vtl *vtl,
			 struct kvm_vsm_ring_record *rec,
			 struct kvm_vsm_vp *waiter)
{
	struct kvm_vsm_ring *ring = &part->ring;

	spin_lock(&ring->lock);
	if (READ_ONCE(part->dead) || READ_ONCE(vtl->gone)) {
		spin_unlock(&ring->lock);
		return -ENODEV;
	}
	if (!kvm_vsm_ring_room(ring)) {
		spin_unlock(&ring->lock);
		return -EAGAIN;
	}
	rec->seq = ++ring->next_seq;
	if (waiter) {
		waiter->seq = rec->seq;
		WRITE_ONCE(waiter->state, VSM_PUBLISHED);
		WRITE_ONCE(ring->waiters[ring->prod & (ring->entries - 1)], waiter);
	}
	ring->recs[ring->prod & (ring->entries - 1)] = *rec;
	/* The record is complete before the VMM can see the new index. */
	smp_store_release(&ring->hdr->producer, ++ring->prod);
	if (ring->eventfd)
		kvm_vsm_eventfd_signal(ring->eventfd);
	spin_unlock(&ring->lock);
	wake_up_interruptible(&ring->poll_wq);
	return 0;
}

/*
 * KVM_VSM_RUN_VP, holding nothing, before entering a vCPU whose record
 * did not fit: wait until the consumer frees a slot (KVM_VSM_RING_WAKE or
 * KVM_VSM_COMPLETE), a VTL is detached (the caller looks again), or a
 * signal (-EINTR).
 */
int kvm_vsm_ring_wait_space(struct kvm_vsm_partition *part)
{
	struct kvm_vsm_ring *ring = &part->ring;
	u32 gen = READ_ONCE(part->detach_gen);

	for (;;) {
		spin_lock(&ring->lock);
		if (kvm_vsm_ring_room(ring)) {
			spin_unlock(&ring->lock);
			return 0;
		}
		spin_unlock(&ring->lock);
		/*
		 * A wake clears the flag; go round to set it again before
		 * sleeping more, or the consumer's next advance would not know
		 * to wake us (it reads the flag after publishing `consumer`).
		 */
		if (wait_event_interruptible(ring->space_wq,
					     !(READ_ONCE(ring->hdr->flags) &
					       KVM_VSM_RING_F_PRODUCER_WAITING) ||
					     kvm_vsm_ring_has_space(ring) ||
					     READ_ONCE(part->detach_gen) != gen))
			return -EINTR;
		if (READ_ONCE(part->detach_gen) != gen)
			return 0;
	}
}

/* The vCPU waiting on record @seq, unregistered; NULL if none. */
struct kvm_vsm_vp *kvm_vsm_ring_take_waiter(struct kvm_vsm_ring *ring, u64 seq)
{
	struct kvm_vsm_vp **slot = &ring->waiters[(seq - 1) & (ring->entries - 1)];
	struct kvm_vsm_vp *vp = *slot;

	lockdep_assert_held(&ring->lock);
	if (!seq || !vp || vp->seq != seq || vp->state != VSM_PUBLISHED)
		return NULL;
	WRITE_ONCE(*slot, NULL);
	return vp;
}

/* @vp gives up waiting (its VTL is gone): free its slot. */
void kvm_vsm_ring_drop_waiter(struct kvm_vsm_ring *ring, struct kvm_vsm_vp *vp)
{
	spin_lock(&ring->lock);
	if (vp->state == VSM_PUBLISHED)
		kvm_vsm_ring_take_waiter(ring, vp->seq);
	WRITE_ONCE(vp->state, VSM_IDLE);
	spin_unlock(&ring->lock);
	wake_up_all(&ring->space_wq);
}

void kvm_vsm_ring_wake_producers(struct kvm_vsm_ring *ring)
{
	spin_lock(&ring->lock);
	WRITE_ONCE(ring->hdr->flags,
		   ring->hdr->flags & ~KVM_VSM_RING_F_PRODUCER_WAITING);
	spin_unlock(&ring->lock);
	wake_up_all(&ring->space_wq);
}

int kvm_vsm_ring_set_eventfd(struct kvm_vsm_ring *ring, int fd)
{
	struct eventfd_ctx *ctx = NULL, *old;

	if (fd >= 0) {
		ctx = eventfd_ctx_fdget(fd);
		if (IS_ERR(ctx))
			return PTR_ERR(ctx);
	} else if (fd != -1) {
		return -EBADF;
	}
	spin_lock(&ring->lock);
	old = ring->eventfd;
	ring->eventfd = ctx;
	spin_unlock(&ring->lock);
	if (old)
		eventfd_ctx_put(old);
	return 0;
}

/*
 * Drop @vtl's outstanding records (it is unreachable now) and release a
 * KVM_VSM_RUN_VP waiting for their answers.
 */
void kvm_vsm_ring_forget_vtl(struct kvm_vsm_partition *part,
			     struct kvm_vsm_vtl *vtl)
{
	struct kvm_vsm_vp *vp;
	unsigned long i;

	xa_for_each(&vtl->vps, i, vp) {
		kvm_vsm_ring_drop_waiter(&part->ring, vp);
		if (vp->st) {
			WRITE_ONCE(vp->st->answer_wait, false);
			wake_up_all(&vp->st->wq);
		}
	}
}
