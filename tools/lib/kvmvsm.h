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
/* As kvmvsm_attach_vcpu(), with KVM_VSM_ATTACH_VCPU_* @flags. */
int kvmvsm_attach_vcpu_flags(int part_fd, int vcpu_fd, uint32_t vtl,
			     uint32_t flags, uint32_t *vp);

struct kvm_cpuid2;
/*
 * Grant the Hyper-V partition privileges the module implements
 * (KVM_VSM_CAP_HV_PRIVILEGES: AccessVsm, AccessVpRegisters) in @cpuid's
 * leaf 0x40000003 EBX, before KVM_SET_CPUID2. Returns the bits granted,
 * -ENOENT if @cpuid has no Hyper-V features leaf.
 */
int kvmvsm_hv_cpuid_grant(int dev_fd, struct kvm_cpuid2 *cpuid);
int kvmvsm_get_info(int part_fd, struct kvm_vsm_partition_info *info);
int kvmvsm_set_run_mode(int part_fd, uint32_t mode);
int kvmvsm_set_ring_eventfd(int part_fd, int event_fd);
/* KVM_RUN on VP @vp's active VTL; *vtl (may be NULL) says which ran. */
int kvmvsm_run_vp(int part_fd, uint32_t vp, uint32_t *vtl);

struct kvm_run;
/*
 * The kvm-vsm exit in @run (the kvm_run of the vCPU that exited): a
 * KVM_VSM_EXIT_HYPERV_* value, or 0 for any other exit.
 * - KVM_VSM_EXIT_HYPERV_RECORD: a record waits for KVM_VSM_COMPLETE
 *   (params[0] is its seq). Answer it from any thread; a VMM whose ring
 *   consumer is another thread just runs the VP again: KVM_VSM_RUN_VP
 *   waits for the answer, holding nothing.
 * - KVM_VSM_EXIT_HYPERV_RING_FULL: consume records, then run again
 *   (KVM_VSM_RUN_VP waits for room first).
 * - KVM_VSM_EXIT_HYPERV_VTL: userspace mode, a VTL switch to make.
 */
uint32_t kvmvsm_exit(const struct kvm_run *run);

/*
 * Userspace mode, reference VTL switch: after KVM_VSM_RUN_VP returned the
 * KVM_VSM_EXIT_HYPERV_VTL exit of VP @vp at VTL @from (vCPU fd @from_fd),
 * move the TLFS shared state (GPRs but RSP, CR2, DR0-3/DR6, XCR0, x87/SSE
 * via KVM_GET/SET_XSAVE) to @to_fd and make VTL @to active, with the VP
 * assist page part done by the module. @call: KVMVSM_SWITCH_CALL, a VtlCall
 * (entry reason 1); KVMVSM_SWITCH_INTERRUPT, an interrupt for @to (entry
 * reason 2, hcall.input KVM_VSM_VTL_SWITCH_INTERRUPT); KVMVSM_SWITCH_RETURN,
 * a VtlReturn, restoring RAX/RCX from @from's assist page unless @fast.
 * The policy is the VMM's to replace: this is what the kernel does in
 * KVM_VSM_RUN_MODE_KERNEL, one ioctl at a time.
 */
enum { KVMVSM_SWITCH_RETURN, KVMVSM_SWITCH_CALL, KVMVSM_SWITCH_INTERRUPT };
int kvmvsm_vtl_switch(int part_fd, uint32_t vp, int from_fd, uint32_t from,
		      int to_fd, uint32_t to, int call, int fast);
/* Make VTL @vtl active for VP @vp (KVM_VSM_SET_ACTIVE_VTL). */
int kvmvsm_set_active_vtl(int part_fd, uint32_t vp, uint32_t vtl,
			  uint32_t flags, uint32_t from);

/* The consumer side of a partition's exit ring (one consumer at a time). */
/*
 * Memory protection of target VTL @vtl: apply @nr entries (all or
 * nothing), or read @nr frames from @gfn, one KVM_VSM_PROT_* byte each.
 */
int kvmvsm_set_protection(int part_fd, uint32_t vtl,
			  const struct kvm_vsm_prot_entry *entries, uint32_t nr);
int kvmvsm_get_protection(int part_fd, uint32_t vtl, uint64_t gfn,
			  uint8_t *prot, uint32_t nr);

/*
 * Overlay pages (API 5): read or write @len bytes at @gpa of the overlay
 * page VTL @vtl has there (its hypercall page, SIMP, SIEFP, VP assist or
 * reference TSC page), within that page; what a VMM that delivers SynIC
 * messages or event flags itself must use, since its own mapping of guest
 * memory shows the RAM beneath. -ENOENT: no overlay there.
 */
int kvmvsm_overlay_read(int part_fd, uint32_t vtl, uint64_t gpa, void *buf,
			uint32_t len);
int kvmvsm_overlay_write(int part_fd, uint32_t vtl, uint64_t gpa,
			 const void *buf, uint32_t len);

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
