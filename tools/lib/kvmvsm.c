// SPDX-License-Identifier: LGPL-2.1 OR GPL-2.0
/* libkvmvsm: see kvmvsm.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvmvsm.h"

static int vsm_ioctl(int fd, unsigned long cmd, void *arg)
{
	int r = ioctl(fd, cmd, arg);

	return r < 0 ? -errno : r;
}

int kvmvsm_open(void)
{
	int fd = open("/dev/kvm-vsm", O_RDWR | O_CLOEXEC);
	int v;

	if (fd < 0)
		return -errno;
	v = ioctl(fd, KVM_VSM_GET_API_VERSION, 0);
	if (v != KVM_VSM_API_VERSION) {
		v = v < 0 ? -errno : -EPROTO;
		close(fd);
		return v;
	}
	return fd;
}

int kvmvsm_create_partition(int dev_fd, uint32_t ring_entries, uint32_t flags)
{
	struct kvm_vsm_create_partition a = {
		.flags = flags, .ring_entries = ring_entries,
	};

	return vsm_ioctl(dev_fd, KVM_VSM_CREATE_PARTITION, &a);
}

int kvmvsm_attach_vtl(int part_fd, int vm_fd, uint32_t vtl)
{
	struct kvm_vsm_attach_vtl a = { .vm_fd = vm_fd, .vtl = vtl };

	return vsm_ioctl(part_fd, KVM_VSM_ATTACH_VTL, &a);
}

int kvmvsm_detach_vtl(int part_fd, uint32_t vtl)
{
	struct kvm_vsm_detach_vtl a = { .vtl = vtl };

	return vsm_ioctl(part_fd, KVM_VSM_DETACH_VTL, &a);
}

int kvmvsm_attach_vcpu(int part_fd, int vcpu_fd, uint32_t vtl, uint32_t *vp)
{
	struct kvm_vsm_attach_vcpu a = { .vcpu_fd = vcpu_fd, .vtl = vtl };
	int r = vsm_ioctl(part_fd, KVM_VSM_ATTACH_VCPU, &a);

	if (!r && vp)
		*vp = a.vp;
	return r;
}

int kvmvsm_get_info(int part_fd, struct kvm_vsm_partition_info *info)
{
	return vsm_ioctl(part_fd, KVM_VSM_GET_PARTITION_INFO, info);
}

int kvmvsm_set_run_mode(int part_fd, uint32_t mode)
{
	struct kvm_vsm_run_mode a = { .mode = mode };

	return vsm_ioctl(part_fd, KVM_VSM_SET_RUN_MODE, &a);
}

int kvmvsm_set_ring_eventfd(int part_fd, int event_fd)
{
	struct kvm_vsm_ring_eventfd a = { .fd = event_fd };

	return vsm_ioctl(part_fd, KVM_VSM_SET_RING_EVENTFD, &a);
}

int kvmvsm_run_vp(int part_fd, uint32_t vp, uint32_t *vtl)
{
	struct kvm_vsm_run_vp a = { .vp = vp };
	int r = vsm_ioctl(part_fd, KVM_VSM_RUN_VP, &a);

	if (vtl)
		*vtl = a.vtl;
	return r;
}

int kvmvsm_ring_map(int part_fd, struct kvmvsm_ring *ring)
{
	struct kvm_vsm_partition_info info;
	void *p;
	int r;

	memset(&info, 0, sizeof(info));
	r = kvmvsm_get_info(part_fd, &info);
	if (r)
		return r;
	p = mmap(NULL, info.ring_mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 part_fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	ring->part_fd = part_fd;
	ring->hdr = p;
	ring->recs = (void *)((char *)p + sysconf(_SC_PAGESIZE));
	ring->mask = info.ring_entries - 1;
	ring->size = info.ring_mmap_size;
	return 0;
}

void kvmvsm_ring_unmap(struct kvmvsm_ring *ring)
{
	if (ring->hdr)
		munmap(ring->hdr, ring->size);
	ring->hdr = NULL;
}

const struct kvm_vsm_ring_record *kvmvsm_ring_peek(struct kvmvsm_ring *ring)
{
	uint32_t prod = __atomic_load_n(&ring->hdr->producer, __ATOMIC_ACQUIRE);
	uint32_t cons = ring->hdr->consumer;

	return prod == cons ? NULL : &ring->recs[cons & ring->mask];
}

int kvmvsm_ring_advance(struct kvmvsm_ring *ring)
{
	__atomic_store_n(&ring->hdr->consumer, ring->hdr->consumer + 1,
			 __ATOMIC_RELEASE);
	/* Pairs with the producer setting the flag before re-checking room. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&ring->hdr->flags, __ATOMIC_RELAXED) &
	    KVM_VSM_RING_F_PRODUCER_WAITING)
		return vsm_ioctl(ring->part_fd, KVM_VSM_RING_WAKE, NULL);
	return 0;
}

int kvmvsm_ring_complete(struct kvmvsm_ring *ring, uint64_t seq,
			 uint64_t result)
{
	struct kvm_vsm_complete a = { .seq = seq, .result = result };

	return vsm_ioctl(ring->part_fd, KVM_VSM_COMPLETE, &a);
}

int kvmvsm_ring_wait(struct kvmvsm_ring *ring, int timeout_ms)
{
	struct pollfd p = { .fd = ring->part_fd, .events = POLLIN };
	int r;

	if (kvmvsm_ring_peek(ring))
		return 1;
	r = poll(&p, 1, timeout_ms);
	if (r < 0)
		return -errno;
	return r > 0;
}
