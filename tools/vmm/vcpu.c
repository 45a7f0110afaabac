// SPDX-License-Identifier: GPL-2.0
/*
 * kvm-vsm-run: vCPUs. Every VP gets a vCPU in every VTL's VM, with the
 * same CPUID. VTL0's BSP starts where multiboot says (32-bit protected
 * mode, paging off, flat segments, EAX = magic, EBX = info); VTL0's APs
 * wait for INIT/SIPI from the in-kernel local APIC; a higher VTL's vCPUs
 * wait until the guest enables that VTL on their VP (HvCallEnableVpVtl
 * gives their state).
 *
 * A VP's vCPU fds are used by its own thread only. Other threads hand it
 * work with vcpu_request(): queued, then the thread is kicked out of
 * KVM_RUN by immediate_exit plus a signal, KVM's way.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "vmm.h"

#define MB_BOOT_MAGIC	0x2badb002u
#define KICK_SIGNAL	SIGUSR1

static void set_apic_id(struct kvm_cpuid2 *cpuid, uint32_t id)
{
	uint32_t i;

	for (i = 0; i < cpuid->nent; i++) {
		struct kvm_cpuid_entry2 *e = &cpuid->entries[i];

		if (e->function == 1)
			e->ebx = (e->ebx & 0x00ffffff) | id << 24;
		else if (e->function == 0xb || e->function == 0x1f)
			e->edx = id;
	}
}

static void boot_state(struct vmm *vmm, int fd, const struct boot_info *bi)
{
	struct kvm_segment code = {
		.base = 0, .limit = 0xffffffff, .selector = 0x08, .type = 0xb,
		.present = 1, .dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1,
	};
	struct kvm_segment data = code;
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	data.selector = 0x10;
	data.type = 0x3;
	if (ioctl(fd, KVM_GET_SREGS, &sregs) < 0)
		vmm_die("KVM_GET_SREGS: %s", strerror(errno));
	sregs.cs = code;
	sregs.ds = data;
	sregs.es = data;
	sregs.fs = data;
	sregs.gs = data;
	sregs.ss = data;
	sregs.gdt.base = 0x8000;	/* boot.c's GDT */
	sregs.gdt.limit = 3 * 8 - 1;
	sregs.cr0 = 0x11;		/* PE, ET; paging off */
	sregs.cr4 = 0;
	sregs.efer = 0;
	if (ioctl(fd, KVM_SET_SREGS, &sregs) < 0)
		vmm_die("KVM_SET_SREGS: %s", strerror(errno));

	memset(&regs, 0, sizeof(regs));
	regs.rflags = 0x2;
	regs.rip = bi->entry;
	regs.rax = MB_BOOT_MAGIC;
	regs.rbx = bi->mbi;
	if (ioctl(fd, KVM_SET_REGS, &regs) < 0)
		vmm_die("KVM_SET_REGS: %s", strerror(errno));
	(void)vmm;
}

static void kick_handler(int sig)
{
	(void)sig;	/* only there to make KVM_RUN return -EINTR */
}

int vcpu_create_all(struct vmm *vmm, const struct boot_info *bi)
{
	struct sigaction sa = { .sa_handler = kick_handler };
	size_t csize = sizeof(*vmm->cpuid) +
		vmm->cpuid->nent * sizeof(vmm->cpuid->entries[0]);
	struct kvm_cpuid2 *cpuid = malloc(csize);
	uint32_t i, v;

	if (!cpuid)
		vmm_die("out of memory");
	sigaction(KICK_SIGNAL, &sa, NULL);	/* no SA_RESTART */

	for (i = 0; i < vmm->nr_cpus; i++) {
		struct vcpu *vcpu = &vmm->vcpus[i];

		vcpu->vmm = vmm;
		vcpu->index = i;
		pthread_mutex_init(&vcpu->req_lock, NULL);
		for (v = 0; v < KVM_VSM_MAX_VTLS; v++)
			vcpu->fd[v] = -1;
		for (v = 0; v < vmm->nr_vms; v++) {
			int fd = ioctl(vmm->vm_fd[v], KVM_CREATE_VCPU, i);
			void *run;

			if (fd < 0)
				vmm_die("KVM_CREATE_VCPU %u (VTL%u): %s", i, v,
					strerror(errno));
			run = mmap(NULL, vmm->run_size, PROT_READ | PROT_WRITE,
				   MAP_SHARED, fd, 0);
			if (run == MAP_FAILED)
				vmm_die("mmap kvm_run: %s", strerror(errno));
			vcpu->fd[v] = fd;
			vcpu->run[v] = run;

			memcpy(cpuid, vmm->cpuid, csize);
			set_apic_id(cpuid, i);
			if (ioctl(fd, KVM_SET_CPUID2, cpuid) < 0)
				vmm_die("KVM_SET_CPUID2: %s", strerror(errno));
			if (vmm->hyperv && hv_vcpu_init(vmm, vcpu, v) < 0)
				return -1;
			if (v == 0 && i == 0)
				boot_state(vmm, fd, bi);
		}
	}
	free(cpuid);
	return 0;
}

void vcpu_request(struct vcpu *vcpu, void (*fn)(struct vcpu *, void *),
		  void *arg)
{
	struct vcpu_request *req = NULL, **p;
	uint32_t v;

	if (fn) {
		req = calloc(1, sizeof(*req));
		if (!req)
			vmm_die("out of memory");
		req->fn = fn;
		req->arg = arg;
	}
	pthread_mutex_lock(&vcpu->req_lock);
	if (req) {
		for (p = &vcpu->req; *p; p = &(*p)->next)
			;
		*p = req;	/* in order */
	}
	/* Whichever VTL's vCPU the thread enters next leaves at once. */
	for (v = 0; v < KVM_VSM_MAX_VTLS; v++)
		if (vcpu->run[v])
			vcpu->run[v]->immediate_exit = 1;
	if (vcpu->started)
		pthread_kill(vcpu->thread, KICK_SIGNAL);
	pthread_mutex_unlock(&vcpu->req_lock);
}

void vcpu_run_requests(struct vcpu *vcpu)
{
	struct vcpu_request *req;
	uint32_t v;

	pthread_mutex_lock(&vcpu->req_lock);
	for (v = 0; v < KVM_VSM_MAX_VTLS; v++)
		if (vcpu->run[v])
			vcpu->run[v]->immediate_exit = 0;
	req = vcpu->req;
	vcpu->req = NULL;
	pthread_mutex_unlock(&vcpu->req_lock);

	while (req) {
		struct vcpu_request *next = req->next;

		req->fn(vcpu, req->arg);
		free(req);
		req = next;
	}
}
