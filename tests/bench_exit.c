// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmarks (not tests: they print numbers, assert nothing about speed).
 *
 * 1. Cost for VMs that are not attached: an exit-heavy guest loop (Hyper-V
 *    hypercalls KVM answers in-kernel, each passing kvm-vsm's hook) on an
 *    unattached VM, with kvm-vsm not loaded (baseline), loaded with no
 *    partition (hooks absent), and loaded with a partition that has another
 *    VM attached (hooks live, static key on: the worst case).
 * 2. Ring round trip per record (a forwarded VSM hypercall: its record
 *    ends KVM_RUN, the vCPU thread answers it from the ring and enters
 *    again) against a plain KVM_RUN exit to userspace and back.
 *
 * Each figure is the best of BENCH_REPEAT runs, in ns per guest iteration;
 * ratios are against the baseline measured in the same run.
 */
#include <time.h>

#include "kvm_util.h"
#include "processor.h"
#include "hyperv.h"
#include "vsm_test.h"
#include "vsm_guest.h"
#include "kvmvsm.h"

#define BENCH_REPEAT	3

/* @arg iterations of an in-kernel hypercall, then done. */
static void spin_guest(u64 page_gva, u64 page_gpa, u64 id, u64 arg)
{
	u64 i;

	guest_hv_enable(page_gpa);
	GUEST_SYNC(0);
	for (i = 0; i < arg; i++)
		guest_hv_call(page_gva, HVCALL_NOTIFY_LONG_SPIN_WAIT |
			      HV_HYPERCALL_FAST_BIT, 1, 0);
	GUEST_DONE();
}

/* @arg exits to userspace. */
static void sync_guest(u64 page_gva, u64 page_gpa, u64 id, u64 arg)
{
	u64 i;

	for (i = 0; i < arg; i++)
		GUEST_SYNC(i);
	GUEST_DONE();
}

/* @arg VSM hypercalls, each forwarded through the ring. */
static void ring_guest(u64 page_gva, u64 page_gpa, u64 id, u64 arg)
{
	u64 i;

	guest_hv_enable(page_gpa);
	GUEST_SYNC(0);
	for (i = 0; i < arg; i++)
		guest_hv_call(page_gva, HVCALL_GET_VP_REGISTERS |
			      HV_HYPERCALL_FAST_BIT, i, 0);
	GUEST_DONE();
}

static void run_until(struct kvm_vcpu *vcpu, u64 cmd)
{
	struct ucall uc;
	u64 got;

	do {
		vcpu_run(vcpu);
		got = get_ucall(vcpu, &uc);
		if (got == UCALL_ABORT)
			REPORT_GUEST_ASSERT(uc);
	} while (got != cmd);
}

/* ns per iteration of the in-kernel hypercall loop on a fresh VM. */
static double spin_loop(u64 n)
{
	double best = 1e30;
	int r;

	for (r = 0; r < BENCH_REPEAT; r++) {
		struct vsm_vm v;
		u64 t0;

		vsm_vm_create(&v, 1, spin_guest, n);
		run_until(v.vcpus[0], UCALL_SYNC);
		t0 = vsm_now_ns();
		run_until(v.vcpus[0], UCALL_DONE);
		best = vsm_min_d(best, (double)(vsm_now_ns() - t0) / n);
		kvm_vm_free(v.vm);
	}
	return best;
}

static double sync_loop(u64 n)
{
	double best = 1e30;
	int r;

	for (r = 0; r < BENCH_REPEAT; r++) {
		struct vsm_vm v;
		u64 t0;

		vsm_vm_create(&v, 1, sync_guest, n);
		t0 = vsm_now_ns();
		run_until(v.vcpus[0], UCALL_DONE);
		best = vsm_min_d(best, (double)(vsm_now_ns() - t0) / n);
		kvm_vm_free(v.vm);
	}
	return best;
}

/*
 * As run_until(), answering each record exit from the vCPU's own thread
 * (a single-threaded VMM): peek, complete, advance, enter again.
 */
static void run_answering(struct kvm_vcpu *vcpu, struct kvmvsm_ring *ring,
			  u64 cmd)
{
	const struct kvm_vsm_ring_record *rec;
	struct ucall uc;
	u64 got = UCALL_NONE;

	do {
		vcpu_run(vcpu);
		if (kvmvsm_exit(vcpu->run) == KVM_VSM_EXIT_HYPERV_RECORD) {
			rec = kvmvsm_ring_peek(ring);
			TEST_ASSERT(rec && rec->seq == vcpu->run->hyperv.u.hcall.params[0],
				    "the exit's record");
			kvmvsm_ring_complete(ring, rec->seq, 0);
			kvmvsm_ring_advance(ring);
			continue;
		}
		got = get_ucall(vcpu, &uc);
		if (got == UCALL_ABORT)
			REPORT_GUEST_ASSERT(uc);
	} while (got != cmd);
}

static double ring_loop(int dev, u64 n)
{
	double best = 1e30;
	int r;

	for (r = 0; r < BENCH_REPEAT; r++) {
		struct kvmvsm_ring ring;
		struct vsm_vm v;
		int part;
		u64 t0;

		part = kvmvsm_create_partition(dev, 0, KVM_VSM_CREATE_CLOEXEC);
		vsm_vm_create(&v, 1, ring_guest, n);
		TEST_ASSERT(part >= 0 && !kvmvsm_attach_vtl(part, v.vm->fd, 0) &&
			    !kvmvsm_ring_map(part, &ring), "partition setup");
		run_answering(v.vcpus[0], &ring, UCALL_SYNC);
		t0 = vsm_now_ns();
		run_answering(v.vcpus[0], &ring, UCALL_DONE);
		best = vsm_min_d(best, (double)(vsm_now_ns() - t0) / n);
		kvmvsm_ring_unmap(&ring);
		close(part);
		kvm_vm_free(v.vm);
	}
	return best;
}

int main(int argc, char **argv)
{
	u64 n = argc > 1 ? strtoull(argv[1], NULL, 0) : 20000;
	double base, loaded, hooked, plain_exit, ring;
	struct kvm_vm *other;
	int dev, part;

	if (vsm_mod_loaded(VSM_MODNAME))
		TEST_ASSERT(!vsm_mod_unload(VSM_MODNAME), "unload kvm-vsm");
	base = spin_loop(n);

	TEST_ASSERT(!vsm_mod_load("kvm-vsm"), "load kvm-vsm");
	loaded = spin_loop(n);

	dev = kvmvsm_open();
	part = kvmvsm_create_partition(dev, 0, 0);
	other = vm_create_barebones();
	TEST_ASSERT(part >= 0 && !kvmvsm_attach_vtl(part, other->fd, 0),
		    "partition with another VM attached");
	hooked = spin_loop(n);

	plain_exit = sync_loop(n);
	ring = ring_loop(dev, n);
	close(part);
	kvm_vm_free(other);
	close(dev);

	printf("BENCH unattached VM, in-kernel hypercall loop, ns/iter:\n");
	printf("BENCH   kvm-vsm not loaded %.0f, loaded %.0f, hooks live %.0f\n",
	       base, loaded, hooked);
	printf("BENCH   ratio loaded/not-loaded %.3f, hooks-live/not-loaded %.3f\n",
	       loaded / base, hooked / base);
	printf("BENCH ring round trip %.0f ns/record, plain KVM_RUN exit %.0f ns\n",
	       ring, plain_exit);
	printf("BENCH   ratio ring/plain-exit %.3f\n", ring / plain_exit);
	return 0;
}
