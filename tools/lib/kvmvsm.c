// SPDX-License-Identifier: LGPL-2.1 OR GPL-2.0
/* libkvmvsm: see kvmvsm.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/kvm.h>

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

int kvmvsm_attach_vcpu_flags(int part_fd, int vcpu_fd, uint32_t vtl,
			     uint32_t flags, uint32_t *vp)
{
	struct kvm_vsm_attach_vcpu a = {
		.vcpu_fd = vcpu_fd, .vtl = vtl, .flags = flags,
	};
	int r = vsm_ioctl(part_fd, KVM_VSM_ATTACH_VCPU, &a);

	if (!r && vp)
		*vp = a.vp;
	return r;
}

int kvmvsm_attach_vcpu(int part_fd, int vcpu_fd, uint32_t vtl, uint32_t *vp)
{
	return kvmvsm_attach_vcpu_flags(part_fd, vcpu_fd, vtl, 0, vp);
}

#define HV_CPUID_FEATURES	0x40000003

int kvmvsm_hv_cpuid_grant(int dev_fd, struct kvm_cpuid2 *cpuid)
{
	int bits = ioctl(dev_fd, KVM_VSM_CHECK_EXTENSION, KVM_VSM_CAP_HV_PRIVILEGES);
	uint32_t i;

	if (bits < 0)
		return -errno;
	for (i = 0; i < cpuid->nent; i++) {
		if (cpuid->entries[i].function == HV_CPUID_FEATURES) {
			cpuid->entries[i].ebx |= bits;
			return bits;
		}
	}
	return -ENOENT;
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

uint32_t kvmvsm_exit(const struct kvm_run *run)
{
	if (run->exit_reason != KVM_EXIT_HYPERV)
		return 0;
	switch (run->hyperv.type) {
	case KVM_VSM_EXIT_HYPERV_VTL:
	case KVM_VSM_EXIT_HYPERV_RECORD:
	case KVM_VSM_EXIT_HYPERV_RING_FULL:
		return run->hyperv.type;
	default:
		return 0;
	}
}

int kvmvsm_set_active_vtl(int part_fd, uint32_t vp, uint32_t vtl,
			  uint32_t flags, uint32_t from)
{
	struct kvm_vsm_active_vtl a = {
		.vp = vp, .vtl = vtl, .flags = flags, .from = from,
	};

	return vsm_ioctl(part_fd, KVM_VSM_SET_ACTIVE_VTL, &a);
}

int kvmvsm_set_protection(int part_fd, uint32_t vtl,
			  const struct kvm_vsm_prot_entry *entries, uint32_t nr)
{
	struct kvm_vsm_protection a = {
		.vtl = vtl, .nr = nr, .entries = (uintptr_t)entries,
	};

	return vsm_ioctl(part_fd, KVM_VSM_SET_PROTECTION, &a);
}

int kvmvsm_get_protection(int part_fd, uint32_t vtl, uint64_t gfn,
			  uint8_t *prot, uint32_t nr)
{
	struct kvm_vsm_protection a = {
		.vtl = vtl, .nr = nr, .gfn = gfn, .entries = (uintptr_t)prot,
	};

	return vsm_ioctl(part_fd, KVM_VSM_GET_PROTECTION, &a);
}

static int overlay_access(int part_fd, uint32_t vtl, uint32_t flags,
			  uint64_t gpa, void *buf, uint32_t len)
{
	struct kvm_vsm_overlay_access a = {
		.vtl = vtl, .flags = flags, .gpa = gpa, .addr = (uintptr_t)buf,
		.len = len,
	};

	return vsm_ioctl(part_fd, KVM_VSM_OVERLAY_ACCESS, &a);
}

int kvmvsm_overlay_read(int part_fd, uint32_t vtl, uint64_t gpa, void *buf,
			uint32_t len)
{
	return overlay_access(part_fd, vtl, 0, gpa, buf, len);
}

int kvmvsm_overlay_write(int part_fd, uint32_t vtl, uint64_t gpa,
			 const void *buf, uint32_t len)
{
	return overlay_access(part_fd, vtl, KVM_VSM_OVERLAY_ACCESS_WRITE, gpa,
			      (void *)buf, len);
}

/* GET from both vCPUs, let @merge fold the shared part into @d, SET @to_fd. */
static int switch_state(int from_fd, int to_fd, unsigned long get,
			unsigned long set, void *s, void *d,
			void (*merge)(void *d, const void *s))
{
	int r = vsm_ioctl(from_fd, get, s);

	if (!r)
		r = vsm_ioctl(to_fd, get, d);
	if (r)
		return r;
	merge(d, s);
	return vsm_ioctl(to_fd, set, d);
}

/* RAX..R15 but RSP; RIP and RFLAGS are private. */
static void merge_regs(void *dst, const void *src)
{
	struct kvm_regs *d = dst;
	__u64 rsp = d->rsp, rip = d->rip, rflags = d->rflags;

	*d = *(const struct kvm_regs *)src;
	d->rsp = rsp;
	d->rip = rip;
	d->rflags = rflags;
}

static void merge_sregs(void *d, const void *s)
{
	((struct kvm_sregs *)d)->cr2 = ((const struct kvm_sregs *)s)->cr2;
}

static void merge_debugregs(void *dst, const void *src)
{
	const struct kvm_debugregs *s = src;
	struct kvm_debugregs *d = dst;

	memcpy(d->db, s->db, sizeof(d->db));
	d->dr6 = s->dr6;
}

static void merge_xcrs(void *dst, const void *src)
{
	const struct kvm_xcrs *s = src;
	struct kvm_xcrs *d = dst;
	unsigned int i, j;

	for (i = 0; i < s->nr_xcrs; i++)
		for (j = 0; j < d->nr_xcrs; j++)
			if (d->xcrs[j].xcr == s->xcrs[i].xcr)
				d->xcrs[j].value = s->xcrs[i].value;
}

static void merge_all(void *d, const void *s)
{
	memcpy(d, s, sizeof(struct kvm_xsave));
}

int kvmvsm_vtl_switch(int part_fd, uint32_t vp, int from_fd, uint32_t from,
		      int to_fd, uint32_t to, int call, int fast)
{
	union {
		struct kvm_regs regs;
		struct kvm_sregs sregs;
		struct kvm_debugregs dregs;
		struct kvm_xcrs xcrs;
		struct kvm_xsave xsave;	/* 4 KiB: enough unless AMX (XSAVE2) */
	} s, d;
	int r;

	r = switch_state(from_fd, to_fd, KVM_GET_REGS, KVM_SET_REGS, &s, &d,
			 merge_regs);
	r = r ?: switch_state(from_fd, to_fd, KVM_GET_SREGS, KVM_SET_SREGS,
			      &s, &d, merge_sregs);
	r = r ?: switch_state(from_fd, to_fd, KVM_GET_DEBUGREGS,
			      KVM_SET_DEBUGREGS, &s, &d, merge_debugregs);
	r = r ?: switch_state(from_fd, to_fd, KVM_GET_XCRS, KVM_SET_XCRS, &s, &d,
			      merge_xcrs);
	r = r ?: switch_state(from_fd, to_fd, KVM_GET_XSAVE, KVM_SET_XSAVE,
			      &s, &d, merge_all);
	if (r)
		return r;
	return kvmvsm_set_active_vtl(part_fd, vp, to,
				     call == KVMVSM_SWITCH_INTERRUPT ?
				     KVM_VSM_ACTIVE_VTL_ENTRY_INTERRUPT :
				     call ? KVM_VSM_ACTIVE_VTL_ENTRY_CALL :
				     fast ? 0 : KVM_VSM_ACTIVE_VTL_RESTORE_RAX_RCX,
				     from);
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
