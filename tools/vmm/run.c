// SPDX-License-Identifier: GPL-2.0
/*
 * kvm-vsm-run: one thread per VP. Each enters its VP (vsm_run), handles
 * the exit, and between entries runs what other threads asked of it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm.h"

static const char *exit_name(uint32_t reason)
{
	switch (reason) {
	case KVM_EXIT_SHUTDOWN:		return "shutdown (triple fault)";
	case KVM_EXIT_FAIL_ENTRY:	return "failed entry";
	case KVM_EXIT_INTERNAL_ERROR:	return "KVM internal error";
	case KVM_EXIT_MMIO:		return "MMIO";
	case KVM_EXIT_HLT:		return "HLT";
	case KVM_EXIT_SYSTEM_EVENT:	return "system event";
	default:			return "unexpected exit";
	}
}

/* The exit's end of the run: status 4 with what a person needs. */
static void fatal_exit(struct vmm *vmm, struct vcpu *vcpu, uint32_t vtl,
		       struct kvm_run *run)
{
	struct kvm_regs regs = { 0 };

	ioctl(vcpu->fd[vtl], KVM_GET_REGS, &regs);
	fflush(stdout);
	fprintf(stderr, "kvm-vsm-run: vp %u vtl %u: %s (exit reason %u) at RIP 0x%llx",
		vcpu->index, vtl, exit_name(run->exit_reason),
		run->exit_reason, (unsigned long long)regs.rip);
	/* What the hardware said: VMX's exit reason, SVM's exit code (-1). */
	if (run->exit_reason == KVM_EXIT_FAIL_ENTRY)
		fprintf(stderr, ", hardware reason 0x%llx on host CPU %u",
			(unsigned long long)run->fail_entry.hardware_entry_failure_reason,
			run->fail_entry.cpu);
	fputc('\n', stderr);
	vmm_exit(vmm, 4);
}

static int handle_exit(struct vmm *vmm, struct vcpu *vcpu, uint32_t vtl,
		       struct kvm_run *run)
{
	if (run->exit_reason == KVM_EXIT_HYPERV && kvmvsm_exit(run))
		return vsm_exit(vmm, vcpu, vtl, run);

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		return devices_pio(vmm, vcpu, vtl, run);
	case KVM_EXIT_HYPERV:
		return hv_exit(vmm, vcpu, vtl, run);
	case KVM_EXIT_INTR:
		return 0;
	case KVM_EXIT_MMIO:
		/* Nothing is mapped there: reads give all ones. */
		vmm_trace(vmm, vcpu, "mmio unassigned %s gpa=0x%llx len=%u",
			  run->mmio.is_write ? "write" : "read",
			  (unsigned long long)run->mmio.phys_addr,
			  run->mmio.len);
		if (!run->mmio.is_write)
			memset(run->mmio.data, 0xff, sizeof(run->mmio.data));
		return 0;
	default:
		return -1;
	}
}

static void *vp_thread(void *arg)
{
	struct vcpu *vcpu = arg;
	struct vmm *vmm = vcpu->vmm;
	uint32_t vtl;
	int r;

	for (;;) {
		vcpu_run_requests(vcpu);
		if (__atomic_load_n(&vmm->exiting, __ATOMIC_ACQUIRE))
			break;
		r = vsm_run(vmm, vcpu, &vtl);
		if (r == -EINTR || r == -EAGAIN)
			continue;	/* kicked: requests, or the end */
		if (r < 0) {
			fprintf(stderr, "kvm-vsm-run: vp %u: %s: %s\n",
				vcpu->index,
				vmm->nr_vtls ? "KVM_VSM_RUN_VP" : "KVM_RUN",
				strerror(-r));
			vmm_exit(vmm, 4);
			break;
		}
		if (vtl != vcpu->vtl)
			vmm_trace(vmm, vcpu, "now in vtl %u", vtl);
		vcpu->vtl = vtl;
		if (handle_exit(vmm, vcpu, vtl, vcpu->run[vtl]) < 0) {
			fatal_exit(vmm, vcpu, vtl, vcpu->run[vtl]);
			break;
		}
	}
	/* No kick may reach this thread once it can be joined. */
	pthread_mutex_lock(&vcpu->req_lock);
	vcpu->started = false;
	pthread_mutex_unlock(&vcpu->req_lock);
	return NULL;
}

int run_all(struct vmm *vmm)
{
	uint32_t i;

	for (i = 0; i < vmm->nr_cpus; i++) {
		struct vcpu *vcpu = &vmm->vcpus[i];

		/* Kicks before the thread exists are seen by immediate_exit. */
		pthread_mutex_lock(&vcpu->req_lock);
		if (pthread_create(&vcpu->thread, NULL, vp_thread, vcpu))
			vmm_die("pthread_create: %s", strerror(errno));
		vcpu->started = true;
		pthread_mutex_unlock(&vcpu->req_lock);
	}
	for (i = 0; i < vmm->nr_cpus; i++)
		pthread_join(vmm->vcpus[i].thread, NULL);
	fflush(stdout);
	return vmm->exit_status;
}
