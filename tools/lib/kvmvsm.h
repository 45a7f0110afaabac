/* SPDX-License-Identifier: LGPL-2.1 OR GPL-2.0 */
/*
 * libkvmvsm: the kvm-vsm ioctls and the shared exit ring, for VMMs.
 *
 * Every function returns 0 (or a file descriptor) on success and -errno on
 * failure; errno values are those docs/api.md lists for the ioctl.
 */
#ifndef LIBKVMVSM_H
#define LIBKVMVSM_H

#include <stddef.h>
#include <stdint.h>

#include <linux/kvm_vsm.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Open /dev/kvm-vsm and check its API version (-EPROTO if it differs). */
int kvmvsm_open(void);

int kvmvsm_create_partition(int dev_fd, uint32_t ring_entries, uint32_t flags);
int kvmvsm_attach_vtl(int part_fd, int vm_fd, uint32_t vtl);
int kvmvsm_detach_vtl(int part_fd, uint32_t vtl);
int kvmvsm_attach_vcpu(int part_fd, int vcpu_fd, uint32_t vtl, uint32_t *vp);
int kvmvsm_get_info(int part_fd, struct kvm_vsm_partition_info *info);
int kvmvsm_set_run_mode(int part_fd, uint32_t mode);
int kvmvsm_set_ring_eventfd(int part_fd, int event_fd);
/* KVM_RUN on VP @vp's active VTL; *vtl (may be NULL) says which ran. */
int kvmvsm_run_vp(int part_fd, uint32_t vp, uint32_t *vtl);

/* The consumer side of a partition's exit ring (one consumer at a time). */
struct kvmvsm_ring {
	int part_fd;
	struct kvm_vsm_ring_header *hdr;
	struct kvm_vsm_ring_record *recs;
	uint32_t mask;
	size_t size;
};

int kvmvsm_ring_map(int part_fd, struct kvmvsm_ring *ring);
void kvmvsm_ring_unmap(struct kvmvsm_ring *ring);
/* The oldest unconsumed record, or NULL if the ring is empty. */
const struct kvm_vsm_ring_record *kvmvsm_ring_peek(struct kvmvsm_ring *ring);
/* Done with the record peek() returned: free its slot. */
int kvmvsm_ring_advance(struct kvmvsm_ring *ring);
/* Answer a record with KVM_VSM_RECORD_NEEDS_COMPLETION. */
int kvmvsm_ring_complete(struct kvmvsm_ring *ring, uint64_t seq,
			 uint64_t result);
/* Wait until a record is available: 1, 0 on timeout, -errno. */
int kvmvsm_ring_wait(struct kvmvsm_ring *ring, int timeout_ms);

#ifdef __cplusplus
}
#endif

#endif /* LIBKVMVSM_H */
