// SPDX-License-Identifier: GPL-2.0
/* kvm-vsm-run: helpers every layer uses (vmm.h). */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm.h"

static pthread_mutex_t trace_lock = PTHREAD_MUTEX_INITIALIZER;

static void trace_line(const char *prefix, const char *fmt, va_list ap)
{
	/* One line per event, whole, even with several VPs tracing. */
	pthread_mutex_lock(&trace_lock);
	fprintf(stderr, "kvm-vsm-run: trace: %s", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	pthread_mutex_unlock(&trace_lock);
}

void vmm_trace_at(struct vmm *vmm, uint32_t vp, uint32_t vtl,
		  const char *fmt, ...)
{
	char prefix[32];
	va_list ap;

	if (!vmm->trace)
		return;
	snprintf(prefix, sizeof(prefix), "vp %u vtl %u ", vp, vtl);
	va_start(ap, fmt);
	trace_line(prefix, fmt, ap);
	va_end(ap);
}

void vmm_trace(struct vmm *vmm, const struct vcpu *vcpu, const char *fmt, ...)
{
	char prefix[32] = "";
	va_list ap;

	if (!vmm->trace)
		return;
	if (vcpu)
		snprintf(prefix, sizeof(prefix), "vp %u vtl %u ", vcpu->index,
			 vcpu->vtl);
	va_start(ap, fmt);
	trace_line(prefix, fmt, ap);
	va_end(ap);
}

void vmm_die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("kvm-vsm-run: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

void vmm_exit(struct vmm *vmm, int status)
{
	uint32_t i;

	pthread_mutex_lock(&vmm->exit_lock);
	if (!vmm->exiting) {
		vmm->exiting = true;
		vmm->exit_status = status;
	}
	pthread_mutex_unlock(&vmm->exit_lock);
	/* A VP thread sees `exiting` at its next request check. */
	for (i = 0; i < vmm->nr_cpus; i++)
		vcpu_request(&vmm->vcpus[i], NULL, NULL);
}

void *vmm_gpa(struct vmm *vmm, uint64_t gpa, uint64_t len)
{
	if (gpa >= vmm->mem_size || len > vmm->mem_size - gpa)
		return NULL;
	return vmm->mem + gpa;
}

int vmm_guest_rw(struct vmm *vmm, uint32_t vtl, uint64_t gpa, void *buf,
		 uint32_t len, bool write)
{
	uint64_t gfn, last;
	uint8_t prot;
	void *ram;
	int r;

	if (vmm->nr_vtls) {
		r = write ? kvmvsm_overlay_write(vmm->part_fd, vtl, gpa, buf, len) :
			    kvmvsm_overlay_read(vmm->part_fd, vtl, gpa, buf, len);
		if (r != -ENOENT)
			return r;
	}
	ram = vmm_gpa(vmm, gpa, len);
	if (!ram || !len)
		return -EFAULT;
	/* What a higher VTL denied this one, the VMM must not do for it. */
	last = (gpa + len - 1) / VMM_PAGE_SIZE;
	for (gfn = gpa / VMM_PAGE_SIZE; vmm->nr_vtls && gfn <= last; gfn++) {
		r = kvmvsm_get_protection(vmm->part_fd, vtl, gfn, &prot, 1);
		if (r < 0)
			return r;
		if (!(prot & (write ? KVM_VSM_PROT_WRITE : KVM_VSM_PROT_READ)))
			return -EACCES;
	}
	if (write)
		memcpy(ram, buf, len);
	else
		memcpy(buf, ram, len);
	return 0;
}
