// SPDX-License-Identifier: GPL-2.0
/*
 * ftrace hooks on kvm.ko (never on kvm_amd/kvm_intel, which can be
 * reloaded underneath us), installed with the first partition and removed
 * with the last (research/hooking-stock-kvm.md §4).
 *
 * - kvm_hv_hypercall: VSM hypercall codes of attached VMs are diverted to
 *   kvm_vsm_hv_hypercall() by rewriting the return IP (IPMODIFY); the
 *   original is never called, so its IBT seal on 6.12 does not matter.
 * - kvm_mmu_page_fault, make_spte, kvm_hv_set_msr_common: observed for
 *   attached VMs (counters in KVM_VSM_GET_PARTITION_INFO); permission and
 *   overlay policy attach here.
 * - kvm_vcpu_kick, kvm_vcpu_wake_up: what KVM calls after making an
 *   interrupt pending; for a higher VTL that is not running, interrupt.c
 *   preempts the lower VTL of the same VP. Both: the compiler inlines
 *   kvm_vcpu_wake_up() into kvm_vcpu_kick() (6.1 and 6.12 alike), and
 *   posted-interrupt paths call kvm_vcpu_wake_up() alone.
 *
 * A VM that is not attached pays one static-key test while no VM is
 * attached anywhere, and one hash lookup under SRCU otherwise.
 */
#include <linux/ftrace.h>
#include <linux/module.h>

#include "kvm_vsm.h"

DEFINE_STATIC_KEY_FALSE(kvm_vsm_attached);

static DEFINE_MUTEX(kvm_vsm_hooks_lock);
static unsigned int kvm_vsm_hooks_users;

enum { HOOK_HV_HYPERCALL, HOOK_PAGE_FAULT, HOOK_MAKE_SPTE, HOOK_HV_SET_MSR,
	HOOK_VCPU_KICK, HOOK_VCPU_WAKE_UP, NR_HOOKS };

static const char * const kvm_vsm_hook_names[NR_HOOKS] = {
	[HOOK_HV_HYPERCALL]	= "kvm_hv_hypercall",
	[HOOK_PAGE_FAULT]	= "kvm_mmu_page_fault",
	[HOOK_MAKE_SPTE]	= "make_spte",
	[HOOK_HV_SET_MSR]	= "kvm_hv_set_msr_common",
	[HOOK_VCPU_KICK]	= KVM_VSM_KICK_FN_NAME,
	[HOOK_VCPU_WAKE_UP]	= "kvm_vcpu_wake_up",
};

/*
 * Each hooked function's address. ftrace reports its fentry site, which is
 * the address itself, or 4 bytes on behind an ENDBR (sealed or not).
 */
static unsigned long kvm_vsm_hook_ip[NR_HOOKS];

static bool kvm_vsm_hook_is(unsigned long ip, int hook)
{
	return ip - kvm_vsm_hook_ip[hook] <= 4;
}

static void notrace kvm_vsm_divert(unsigned long ip, unsigned long parent_ip,
				   struct ftrace_ops *ops,
				   struct ftrace_regs *fregs)
{
	struct pt_regs *regs = ftrace_get_regs(fregs);
	struct kvm_vcpu *vcpu;
	bool longmode;
	int idx;

	if (!static_branch_unlikely(&kvm_vsm_attached) || !regs)
		return;
	vcpu = (struct kvm_vcpu *)regs_get_kernel_argument(regs, 0);
	idx = srcu_read_lock(&kvm_vsm_srcu);
	if (kvm_vsm_vtl_of(vcpu->kvm) &&
	    kvm_vsm_is_vsm_hypercall(kvm_vsm_hypercall_control(vcpu, &longmode)))
		regs->ip = (unsigned long)kvm_vsm_hv_hypercall;
	srcu_read_unlock(&kvm_vsm_srcu, idx);
}

/*
 * The guest writes after which KVM ends KVM_RUN with a Hyper-V exit of
 * its own (synic_exit(), syndbg_exit() in hyperv.c, 6.1 to 7.3 alike).
 */
static bool kvm_vsm_msr_makes_hv_exit(u32 msr)
{
	switch (msr) {
	case HV_X64_MSR_SCONTROL:
	case HV_X64_MSR_SIEFP:
	case HV_X64_MSR_SIMP:
	case KVM_VSM_HV_MSR_SYNDBG_CONTROL:
	case KVM_VSM_HV_MSR_SYNDBG_PENDING_BUFFER:
		return true;
	default:
		return false;
	}
}

/* A guest's Hyper-V MSR write (counted; partition.c tells exits apart). */
static void notrace kvm_vsm_hv_msr_written(struct kvm_vsm_vtl *vtl,
					   struct kvm_vcpu *vcpu, u32 msr)
{
	struct kvm_vsm_partition *part = vtl->part;
	struct kvm_vsm_vpstate *st;

	atomic64_inc(&part->hv_msr_writes);
	if (msr == HV_X64_MSR_EOM)
		kvm_vsm_intercept_eom(vtl, vcpu);
	if (!kvm_vsm_msr_makes_hv_exit(msr))
		return;
	st = xa_load(&part->vpstates, vcpu->vcpu_idx);
	if (st)
		atomic_inc(&st->hv_exit_msr_writes);
}

static void notrace kvm_vsm_observe(unsigned long ip, unsigned long parent_ip,
				    struct ftrace_ops *ops,
				    struct ftrace_regs *fregs)
{
	struct pt_regs *regs = ftrace_get_regs(fregs);
	struct kvm_vsm_partition *part;
	struct kvm_vsm_vtl *vtl;
	struct kvm_vcpu *vcpu;
	int idx;

	if (!static_branch_unlikely(&kvm_vsm_attached) || !regs)
		return;
	vcpu = (struct kvm_vcpu *)regs_get_kernel_argument(regs, 0);
	idx = srcu_read_lock(&kvm_vsm_srcu);
	vtl = kvm_vsm_vtl_of(vcpu->kvm);
	if (vtl) {
		part = vtl->part;
		if (kvm_vsm_hook_is(ip, HOOK_PAGE_FAULT))
			atomic64_inc(&part->page_faults);
		else if (kvm_vsm_hook_is(ip, HOOK_MAKE_SPTE))
			atomic64_inc(&part->spte_builds);
		else if (kvm_vsm_hook_is(ip, HOOK_HV_SET_MSR) &&
			 !(u8)regs_get_kernel_argument(regs, 3))	/* guest write */
			kvm_vsm_hv_msr_written(vtl, vcpu,
					       regs_get_kernel_argument(regs, 1));
	}
	srcu_read_unlock(&kvm_vsm_srcu, idx);
}

/* Any context, hardirq included (the APIC timer): lock-free. */
static void notrace kvm_vsm_kick(unsigned long ip, unsigned long parent_ip,
				 struct ftrace_ops *ops,
				 struct ftrace_regs *fregs)
{
	struct pt_regs *regs = ftrace_get_regs(fregs);
	int idx;

	if (!static_branch_unlikely(&kvm_vsm_attached) || !regs)
		return;
	idx = srcu_read_lock(&kvm_vsm_srcu);
	kvm_vsm_vcpu_kicked((struct kvm_vcpu *)regs_get_kernel_argument(regs, 0));
	srcu_read_unlock(&kvm_vsm_srcu, idx);
}

static struct ftrace_ops kvm_vsm_divert_ops = {
	.func	= kvm_vsm_divert,
	.flags	= FTRACE_OPS_FL_SAVE_REGS | FTRACE_OPS_FL_IPMODIFY |
		  FTRACE_OPS_FL_RECURSION,
};

static struct ftrace_ops kvm_vsm_observe_ops = {
	.func	= kvm_vsm_observe,
	.flags	= FTRACE_OPS_FL_SAVE_REGS | FTRACE_OPS_FL_RECURSION,
};

static struct ftrace_ops kvm_vsm_kick_ops = {
	.func	= kvm_vsm_kick,
	.flags	= FTRACE_OPS_FL_SAVE_REGS | FTRACE_OPS_FL_RECURSION,
};

static struct ftrace_ops *kvm_vsm_hook_ops(int hook)
{
	switch (hook) {
	case HOOK_HV_HYPERCALL:
		return &kvm_vsm_divert_ops;
	case HOOK_VCPU_KICK:
	case HOOK_VCPU_WAKE_UP:
		return &kvm_vsm_kick_ops;
	default:
		return &kvm_vsm_observe_ops;
	}
}

static struct ftrace_ops *const kvm_vsm_all_ops[] = {
	&kvm_vsm_divert_ops, &kvm_vsm_observe_ops, &kvm_vsm_kick_ops,
};

static int kvm_vsm_hooks_install(void)
{
	struct ftrace_ops *ops;
	unsigned long addr;
	int i, j, r;

	for (i = 0; i < NR_HOOKS; i++) {
		/* ftrace_set_filter_ip() finds the fentry site itself. */
		addr = kvm_vsm_kvm_symbol(kvm_vsm_hook_names[i], STT_FUNC);
		kvm_vsm_hook_ip[i] = addr;
		if (!addr) {
			pr_err_ratelimited("kvm-vsm: %s in kvm.ko cannot be traced\n",
					   kvm_vsm_hook_names[i]);
			r = -ENOENT;
			goto err;
		}
		ops = kvm_vsm_hook_ops(i);
		r = ftrace_set_filter_ip(ops, addr, 0, 0);
		if (r) {
			pr_err_ratelimited("kvm-vsm: %s in kvm.ko cannot be traced\n",
					   kvm_vsm_hook_names[i]);
			kvm_vsm_hook_ip[i] = 0;
			goto err;
		}
	}
	for (j = 0; j < ARRAY_SIZE(kvm_vsm_all_ops); j++) {
		r = register_ftrace_function(kvm_vsm_all_ops[j]);
		if (r) {
			while (--j >= 0)
				unregister_ftrace_function(kvm_vsm_all_ops[j]);
			goto err;
		}
	}
	return 0;
err:
	pr_err_ratelimited("kvm-vsm: cannot install kvm.ko hooks: %d\n", r);
	while (--i >= 0)
		if (kvm_vsm_hook_ip[i])
			ftrace_set_filter_ip(kvm_vsm_hook_ops(i), kvm_vsm_hook_ip[i], 1, 0);
	return r;
}

static void kvm_vsm_hooks_remove(void)
{
	int i;

	for (i = ARRAY_SIZE(kvm_vsm_all_ops) - 1; i >= 0; i--)
		unregister_ftrace_function(kvm_vsm_all_ops[i]);
	for (i = 0; i < NR_HOOKS; i++)
		ftrace_set_filter_ip(kvm_vsm_hook_ops(i), kvm_vsm_hook_ip[i], 1, 0);
}

int kvm_vsm_hooks_get(void)
{
	int r = 0;

	mutex_lock(&kvm_vsm_hooks_lock);
	if (!kvm_vsm_hooks_users)
		r = kvm_vsm_hooks_install();
	if (!r)
		kvm_vsm_hooks_users++;
	mutex_unlock(&kvm_vsm_hooks_lock);
	return r;
}

void kvm_vsm_hooks_put(void)
{
	mutex_lock(&kvm_vsm_hooks_lock);
	if (!--kvm_vsm_hooks_users)
		kvm_vsm_hooks_remove();
	mutex_unlock(&kvm_vsm_hooks_lock);
}
