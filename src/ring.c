// SPDX-License-Identifier: GPL-2.0
/*
 * The shared exit ring: one header page and a power-of-two array of
 * fixed-size records, vmalloc'ed and mmapped by the VMM.
 *
 * Many vCPU threads produce (under ring->lock); one VMM consumer reads and
 * advances `consumer`. The module never trusts what the VMM writes: it
 * keeps its own producer index and masks every index before use, so a
 * broken consumer can only stall its own partition. A full ring never
 * drops a record: the producer sleeps (interruptibly) until the consumer
 * frees a slot and says so (KVM_VSM_RING_WAKE or KVM_VSM_COMPLETE).
 */
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/vmalloc.h>

#include "compat.h"
#include "kvm_vsm.h"

#define RING_HDR_SIZE	PAGE_SIZE

int kvm_vsm_ring_init(struct kvm_vsm_ring *ring, u32 entries)
{
	size_t size;

	if (!entries)
		entries = KVM_VSM_RING_DEFAULT_ENTRIES;
	if (entries < KVM_VSM_RING_MIN_ENTRIES ||
	    entries > KVM_VSM_RING_MAX_ENTRIES || !is_power_of_2(entries))
		return -EINVAL;

	size = PAGE_ALIGN(RING_HDR_SIZE +
			  (size_t)entries * sizeof(struct kvm_vsm_ring_record));
	ring->hdr = vmalloc_user(size);
	if (!ring->hdr)
		return -ENOMEM;
	ring->recs = (void *)ring->hdr + RING_HDR_SIZE;
	ring->entries = entries;
	ring->mmap_size = size;
	ring->hdr->entries = entries;
	ring->hdr->record_size = sizeof(struct kvm_vsm_ring_record);
	spin_lock_init(&ring->lock);
	init_waitqueue_head(&ring->space_wq);
	init_waitqueue_head(&ring->poll_wq);
	return 0;
}

void kvm_vsm_ring_free(struct kvm_vsm_ring *ring)
{
	if (ring->eventfd)
		eventfd_ctx_put(ring->eventfd);
	vfree(ring->hdr);
}

static bool kvm_vsm_ring_has_space(struct kvm_vsm_ring *ring)
{
	return ring->prod - READ_ONCE(ring->hdr->consumer) < ring->entries;
}

bool kvm_vsm_ring_readable(struct kvm_vsm_ring *ring)
{
	return smp_load_acquire(&ring->hdr->producer) !=
	       READ_ONCE(ring->hdr->consumer);
}

/*
 * Append @rec, filling in its seq. Sleeps while the ring is full. With
 * @waiter, the record needs completion: @waiter is registered under its seq
 * before the record becomes visible, so KVM_VSM_COMPLETE always finds it.
 * Returns 0, -EINTR (signal: nothing was published), -ENODEV (the
 * partition is going away) or -ENOMEM.
 */
int kvm_vsm_ring_publish(struct kvm_vsm_partition *part,
			 struct kvm_vsm_ring_record *rec,
			 struct kvm_vsm_vp *waiter)
{
	int r;

	struct kvm_vsm_ring *ring = &part->ring;

	for (;;) {
		spin_lock(&ring->lock);
		if (READ_ONCE(part->dead)) {
			spin_unlock(&ring->lock);
			return -ENODEV;
		}
		if (kvm_vsm_ring_has_space(ring))
			break;
		WRITE_ONCE(ring->hdr->flags,
			   ring->hdr->flags | KVM_VSM_RING_F_PRODUCER_WAITING);
		spin_unlock(&ring->lock);
		if (wait_event_interruptible(ring->space_wq,
					     kvm_vsm_ring_has_space(ring) ||
					     READ_ONCE(part->dead)))
			return -EINTR;
	}
	rec->seq = ring->next_seq + 1;
	if (waiter) {
		spin_lock(&part->wait_lock);
		r = xa_insert(&part->outstanding, rec->seq, waiter, GFP_ATOMIC);
		if (!r) {
			waiter->seq = rec->seq;
			WRITE_ONCE(waiter->state, VSM_PUBLISHED);
		}
		spin_unlock(&part->wait_lock);
		if (r) {
			spin_unlock(&ring->lock);
			return r == -EBUSY ? -EEXIST : r;
		}
	}
	ring->next_seq = rec->seq;
	ring->recs[ring->prod & (ring->entries - 1)] = *rec;
	smp_store_release(&ring->hdr->producer, ++ring->prod);
	if (ring->eventfd)
		kvm_vsm_eventfd_signal(ring->eventfd);
	spin_unlock(&ring->lock);
	wake_up_interruptible(&ring->poll_wq);
	return 0;
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
