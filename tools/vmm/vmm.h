/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvm-vsm-run: a small reference VMM for kvm-vsm.
 *
 * Layers (a file calls only files below it):
 *   main.c     options, --help, errors, set-up order, exit status
 *   run.c      one thread per VP: the run loop, exit dispatch
 *   vsm.c      the partition: one KVM VM per VTL, KVM_VSM_RUN_VP, the
 *              ring's records (Get/SetVpRegisters of architectural
 *              registers, memory intercepts), userspace-mode VTL switch
 *   hv.c       Hyper-V: CPUID (hv_passthrough-like), SynIC set-up,
 *              hyperv-testdev (0x3000), HvPostMessage/HvSignalEvent exits
 *   devices.c  port I/O: COM1 16550, isa-debug-exit, fw_cfg
 *   vcpu.c     vCPU creation, the initial multiboot state, cross-thread
 *              requests (queue and kick)
 *   boot.c     multiboot v1 ELF loader, multiboot info
 *   vmm.h      this file: the shared structures; util.c its helpers
 */
#ifndef KVM_VSM_RUN_VMM_H
#define KVM_VSM_RUN_VMM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <linux/kvm.h>

#include "compiler.h"
#include "kvmvsm.h"

#define VMM_MAX_CPUS	64
#define VMM_PAGE_SIZE	4096ull

struct vmm;

/* One VP: a vCPU per VTL (only [0] without VSM), run by one thread. */
struct vcpu {
	struct vmm *vmm;
	uint32_t index;				/* VP index = APIC ID */
	int fd[KVM_VSM_MAX_VTLS];		/* -1: none */
	struct kvm_run *run[KVM_VSM_MAX_VTLS];
	uint32_t vtl;				/* the VTL that last ran */
	pthread_t thread;
	bool started;				/* @thread runs (req_lock) */
	/* Work another thread asks this VP's thread to do on its own vCPUs. */
	pthread_mutex_t req_lock;
	struct vcpu_request *req;		/* list, req_lock */
};

/* A function run on a VP's own thread, between two entries. */
struct vcpu_request {
	struct vcpu_request *next;
	void (*fn)(struct vcpu *vcpu, void *arg);
	void *arg;
};

struct vmm {
	/* Options */
	const char *image;		/* the multiboot ELF */
	const char *cmdline;		/* multiboot command line */
	const char *env;		/* environment text file, or NULL */
	uint64_t mem_size;		/* bytes */
	uint32_t nr_cpus;
	uint32_t nr_vtls;		/* 0: no kvm-vsm (plain Hyper-V VM) */
	bool hyperv;			/* Hyper-V enlightenments */
	bool testdev;			/* hyperv-testdev at 0x3000 */
	bool trace;
	uint32_t run_mode;		/* KVM_VSM_RUN_MODE_* */

	/* KVM */
	int kvm_fd;
	int vm_fd[KVM_VSM_MAX_VTLS];	/* one VM per VTL; [0] without VSM */
	uint32_t nr_vms;		/* max(nr_vtls, 1) */
	int run_size;			/* KVM_GET_VCPU_MMAP_SIZE */
	uint8_t *mem;			/* guest RAM, GPA 0.., shared by every VM */
	struct kvm_cpuid2 *cpuid;	/* what every vCPU gets */

	/* kvm-vsm */
	int vsm_fd;			/* /dev/kvm-vsm, -1 without VSM */
	int part_fd;
	struct kvmvsm_ring ring;
	pthread_mutex_t ring_lock;	/* one consumer at a time */

	struct vcpu vcpus[VMM_MAX_CPUS];

	/* Set once, by the first vCPU that ends the run. */
	pthread_mutex_t exit_lock;
	bool exiting;
	int exit_status;		/* the process's exit status */

	/* Private state of the lower layers. */
	struct devices *dev;
	struct hv *hv;
};

/* Print one --trace line: "trace: vp N vtl M <what>" (no-op unless --trace). */
__printf(3, 4)
void vmm_trace(struct vmm *vmm, const struct vcpu *vcpu, const char *fmt, ...);
/* The same for VP @vp at VTL @vtl, from any thread. */
__printf(4, 5)
void vmm_trace_at(struct vmm *vmm, uint32_t vp, uint32_t vtl,
		  const char *fmt, ...);
/* End the run with @status (first caller wins); every VP thread stops. */
void vmm_exit(struct vmm *vmm, int status);
/* A host error: message on stderr, exit status 2 (never a guest result). */
__printf(1, 2) __noreturn
void vmm_die(const char *fmt, ...);

/* GPA -> host pointer for @len bytes of RAM, NULL if not all RAM. */
void *vmm_gpa(struct vmm *vmm, uint64_t gpa, uint64_t len);
/*
 * Read or write guest memory on behalf of VTL @vtl, as that VTL sees it:
 * its overlay page where it has one (kvmvsm_overlay_read/write; the RAM
 * mapping shows the RAM beneath), else RAM its protections allow it to
 * access (-EACCES otherwise; kvmvsm_get_protection). -EFAULT: not RAM.
 * An overlay access stays within its page: callers keep @len inside one.
 */
int vmm_guest_rw(struct vmm *vmm, uint32_t vtl, uint64_t gpa, void *buf,
		 uint32_t len, bool write);

/* boot.c */
struct boot_info {
	uint32_t entry;			/* EIP */
	uint32_t mbi;			/* EBX: multiboot info GPA */
};

/* Load @vmm->image; errors are printed, returns -1 (not multiboot etc). */
int boot_load(struct vmm *vmm, struct boot_info *bi);

/* hv.c */
int hv_init(struct vmm *vmm);			/* after the VMs exist */
/* Put the Hyper-V leaves into vmm->cpuid (KVM_GET_SUPPORTED_HV_CPUID). */
int hv_cpuid(struct vmm *vmm);
int hv_vcpu_init(struct vmm *vmm, struct vcpu *vcpu, uint32_t vtl);
/* KVM_EXIT_HYPERV (SynIC MSR writes, hypercalls): 0 handled, -1 error. */
int hv_exit(struct vmm *vmm, struct vcpu *vcpu, uint32_t vtl,
	    struct kvm_run *run);
/* An OUT to hyperv-testdev's port (0x3000). */
void hv_testdev_out(struct vmm *vmm, struct vcpu *vcpu, uint32_t vtl,
		    uint32_t val);

/* devices.c */
int devices_init(struct vmm *vmm);
/* KVM_EXIT_IO: 0 handled, -1 unknown port (traced, reads give ~0). */
int devices_pio(struct vmm *vmm, struct vcpu *vcpu, uint32_t vtl,
		struct kvm_run *run);

/* vcpu.c */
/* Create every VP's vCPU in every VM (state set for VTL0's BSP/APs). */
int vcpu_create_all(struct vmm *vmm, const struct boot_info *bi);
/* Queue @fn on @vcpu's thread and kick it out of KVM_RUN (SIGUSR1). */
void vcpu_request(struct vcpu *vcpu, void (*fn)(struct vcpu *, void *),
		  void *arg);
/* On @vcpu's own thread, between entries: run what was queued. */
void vcpu_run_requests(struct vcpu *vcpu);

/* run.c */
/* Run every VP on its own thread until vmm_exit(); returns the status. */
int run_all(struct vmm *vmm);

/* vsm.c */
int vsm_init(struct vmm *vmm);			/* partition, attach VMs */
int vsm_vcpu_init(struct vmm *vmm, struct vcpu *vcpu);	/* attach vCPUs */
/* Enter VP @vcpu once (KVM_VSM_RUN_VP, or KVM_RUN without VSM). */
int vsm_run(struct vmm *vmm, struct vcpu *vcpu, uint32_t *vtl);
/* A kvm-vsm exit (kvmvsm_exit() != 0): 0 handled, -1 fatal. */
int vsm_exit(struct vmm *vmm, struct vcpu *vcpu, uint32_t vtl,
	     struct kvm_run *run);

#endif
