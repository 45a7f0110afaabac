// SPDX-License-Identifier: GPL-2.0
/*
 * ftrace hooks on kvm.ko (never on kvm_amd/kvm_intel, which can be
 * reloaded underneath us), installed with the first partition and removed
 * with the last (research/hooking-stock-kvm.md §4).
 *
 * - kvm_hv_hypercall: VSM hypercall codes of attached VMs are diverted to
 *   kvm_vsm_hv_hypercall() by rewriting the return IP (IPMODIFY); the
 *   original is never called, so its IBT seal on 6.12 does not matter.
 * - kvm_mmu_page_fault: an access that the VTL's protections deny is
 *   diverted to kvm_vsm_mem_intercept() (IPMODIFY, before KVM's fast
 *   page fault, mapping code or emulator sees it); a fault in a 2 MiB
 *   region to split first, to kvm_vsm_mmu_fault_split().
 * - make_spte: W and X taken out of pte_access (argument 4) for frames
 *   that deny them; a read-denied frame maps the zero page (mmu.c).
 * - kvm_arch_vcpu_pre_fault_memory (6.11+): refused where restricted.
 * - kvm_set_msr_common: a guest MSR write that points KVM at a frame the
 *   VTL may not write fails (#GP); kvm_[vcpu_]read/write_guest[_page]:
 *   KVM's accesses on the guest's behalf (emulator, Hyper-V pages and
 *   hypercall buffers) to denied frames fail with -EFAULT.
 * - Overlay pages (overlay.c): kvm_set_msr_common of an overlay MSR goes
 *   to kvm_vsm_overlay_set_msr(); KVM's accesses that touch a VTL's
 *   overlay page (the above, kvm_clear_guest and the gfn_to_hva_cache
 *   ones) are split at page edges, the overlay's part copied to or from
 *   the overlay, the rest done by the original; make_spte maps the
 *   overlay page (and, since 6.13, __kvm_faultin_pfn resolves to it);
 *   kvm_vcpu_map of one is refused (KVM would map RAM).
 * - kvm_arch_free_memslot: what mmu.c counted in the memslot is forgotten.
 * - kvm_hv_set_msr_common, and the above: counters in
 *   KVM_VSM_GET_PARTITION_INFO.
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
	HOOK_VCPU_KICK, HOOK_VCPU_WAKE_UP, HOOK_SET_MSR, HOOK_READ_GUEST,
	HOOK_WRITE_GUEST, HOOK_VCPU_READ_GUEST, HOOK_VCPU_WRITE_GUEST,
	HOOK_VCPU_READ_GUEST_PAGE, HOOK_VCPU_WRITE_GUEST_PAGE,
	HOOK_FREE_MEMSLOT, HOOK_VCPU_MAP, HOOK_CLEAR_GUEST, HOOK_READ_CACHED,
	HOOK_WRITE_CACHED,
#ifdef KVM_VSM_HAVE_PRE_FAULT_MEMORY
	HOOK_PRE_FAULT,
#endif
#ifdef KVM_VSM_HAVE_KVM_FAULTIN_PFN
	HOOK_FAULTIN_PFN,
#endif
	NR_HOOKS };

static const char * const kvm_vsm_hook_names[NR_HOOKS] = {
	[HOOK_HV_HYPERCALL]	= "kvm_hv_hypercall",
	[HOOK_PAGE_FAULT]	= "kvm_mmu_page_fault",
	[HOOK_MAKE_SPTE]	= "make_spte",
	[HOOK_HV_SET_MSR]	= "kvm_hv_set_msr_common",
	[HOOK_VCPU_KICK]	= KVM_VSM_KICK_FN_NAME,
	[HOOK_VCPU_WAKE_UP]	= "kvm_vcpu_wake_up",
	[HOOK_SET_MSR]		= "kvm_set_msr_common",
	[HOOK_READ_GUEST]	= "kvm_read_guest",
	[HOOK_WRITE_GUEST]	= "kvm_write_guest",
	[HOOK_VCPU_READ_GUEST]	= "kvm_vcpu_read_guest",
	[HOOK_VCPU_WRITE_GUEST]	= "kvm_vcpu_write_guest",
	[HOOK_VCPU_READ_GUEST_PAGE] = "kvm_vcpu_read_guest_page",
	[HOOK_VCPU_WRITE_GUEST_PAGE] = "kvm_vcpu_write_guest_page",
	[HOOK_FREE_MEMSLOT]	= "kvm_arch_free_memslot",
	[HOOK_CLEAR_GUEST]	= "kvm_clear_guest",
	[HOOK_READ_CACHED]	= "kvm_read_guest_offset_cached",
	[HOOK_WRITE_CACHED]	= "kvm_write_guest_offset_cached",
#ifdef KVM_VSM_HAVE___KVM_VCPU_MAP
	[HOOK_VCPU_MAP]		= "__kvm_vcpu_map",
#else
	[HOOK_VCPU_MAP]		= "kvm_vcpu_map",
#endif
#ifdef KVM_VSM_HAVE_PRE_FAULT_MEMORY
	[HOOK_PRE_FAULT]	= "kvm_arch_vcpu_pre_fault_memory",
#endif
#ifdef KVM_VSM_HAVE_KVM_FAULTIN_PFN
	[HOOK_FAULTIN_PFN]	= "__kvm_faultin_pfn",
#endif
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

/* ---- Divert targets: each has the signature of what it replaces ---- */

/* kvm_mmu_page_fault() of a denied access, or of a region to split. */
static int kvm_vsm_page_fault(struct kvm_vcpu *vcpu, gpa_t gpa, u64 error_code,
			      void *insn, int insn_len)
{
	struct kvm_vsm_vtl *vtl;
	int idx, r = 1;		/* else the guest retries: it faults again */

	vtl = kvm_vsm_vtl_get(vcpu->kvm, &idx);
	if (vtl) {
		switch (kvm_vsm_mmu_fault_check(vtl, vcpu, gpa, error_code)) {
		case KVM_VSM_PF_DENY:
			r = kvm_vsm_mem_intercept(vcpu, vtl, gpa, error_code,
						  kvm_vsm_mmu_fault_access(error_code),
						  insn, insn_len);
			break;
		case KVM_VSM_PF_SPLIT:
			r = kvm_vsm_mmu_fault_split(vtl, gpa_to_gfn(gpa));
			if (!r)
				r = 1;
			break;
		}
	}
	kvm_vsm_vtl_put(vtl, idx);
	return r;
}

/* kvm_set_msr_common() of a write KVM would act on in a denied frame. */
static int kvm_vsm_msr_refused(struct kvm_vcpu *vcpu, struct msr_data *msr)
{
	return 1;	/* #GP, as for a bad value */
}

/* KVM's own access to a denied frame: as for a GPA without memory. */
static int kvm_vsm_guest_rw_refused(void *kvm_or_vcpu, gpa_t gpa, void *data,
				    unsigned long len)
{
	return -EFAULT;
}

static int kvm_vsm_guest_page_refused(struct kvm_vcpu *vcpu, gfn_t gfn,
				      void *data, int offset, int len)
{
	return -EFAULT;
}

/*
 * kvm_vcpu_map() of a frame the VTL may not access: KVM's answer for a
 * GPA without memory (SVM VMLOAD/VMSAVE/VMRUN: #GP up to 6.12, an
 * internal error exit later). Nothing mapped, nothing to unmap.
 */
#ifdef KVM_VSM_HAVE___KVM_VCPU_MAP
static int kvm_vsm_vcpu_map_refused(struct kvm_vcpu *vcpu, gfn_t gfn,
				    struct kvm_host_map *map, bool writable)
#else
static int kvm_vsm_vcpu_map_refused(struct kvm_vcpu *vcpu, gfn_t gfn,
				    struct kvm_host_map *map)
#endif
{
	map->hva = NULL;
	return -EINVAL;
}

#ifdef KVM_VSM_HAVE_PRE_FAULT_MEMORY
/*
 * KVM_PRE_FAULT_MEMORY maps without a page fault, possibly huge: refused
 * where the 1 GiB around the address holds a restricted frame.
 */
static long kvm_vsm_pre_fault_refused(struct kvm_vcpu *vcpu,
				      struct kvm_pre_fault_memory *range)
{
	return -EPERM;
}

static bool kvm_vsm_pre_fault_denied(struct kvm_vsm_vtl *vtl,
				     struct kvm_pre_fault_memory *range)
{
	gfn_t g = round_down(gpa_to_gfn(range->gpa),
			     KVM_PAGES_PER_HPAGE(PG_LEVEL_1G));

	return kvm_vsm_perm_range_restricted(vtl->part, vtl->vtl, g,
					     KVM_PAGES_PER_HPAGE(PG_LEVEL_1G));
}
#endif

/* ---- Overlay pages: KVM's accesses split at page edges ---- */

/* One page's part of an access that is not an overlay's: KVM's own. */
typedef int (*kvm_vsm_rest_fn)(void *ctx, gpa_t gpa, void *data,
			       unsigned long len);

/*
 * [@gpa, @gpa + @len) of @kvm: the parts on an overlay page of its VTL
 * copied there (@data NULL: zeroed), the rest through @rest, whose hook
 * then finds no overlay and applies the VTL's protections as usual.
 */
static int kvm_vsm_ovl_split(struct kvm *kvm, gpa_t gpa, void *data,
			     unsigned long len, bool write,
			     kvm_vsm_rest_fn rest, void *ctx)
{
	struct kvm_vsm_vtl *vtl;
	unsigned long seg;
	int idx, r = 0;

	vtl = kvm_vsm_vtl_get(kvm, &idx);
	while (len) {
		seg = min_t(unsigned long, len, PAGE_SIZE - offset_in_page(gpa));
		r = -ENOENT;
		if (vtl)
			r = kvm_vsm_ovl_rw(vtl, gpa, data ? data :
					   page_address(ZERO_PAGE(0)), seg, write);
		if (r == -ENOENT)
			r = rest(ctx, gpa, data, seg);
		if (r)
			break;
		gpa += seg;
		len -= seg;
		if (data)
			data += seg;
	}
	kvm_vsm_vtl_put(vtl, idx);
	return r;
}

static int kvm_vsm_rest_read(void *kvm, gpa_t gpa, void *data,
			     unsigned long len)
{
	return kvm_vsm_call(kvm_read_guest)(kvm, gpa, data, len);
}

static int kvm_vsm_rest_write(void *kvm, gpa_t gpa, void *data,
			      unsigned long len)
{
	return kvm_vsm_call(kvm_write_guest)(kvm, gpa, data, len);
}

static int kvm_vsm_rest_vcpu_read(void *vcpu, gpa_t gpa, void *data,
				  unsigned long len)
{
	return kvm_vsm_call(kvm_vcpu_read_guest)(vcpu, gpa, data, len);
}

static int kvm_vsm_rest_vcpu_write(void *vcpu, gpa_t gpa, void *data,
				   unsigned long len)
{
	return kvm_vsm_call(kvm_vcpu_write_guest)(vcpu, gpa, data, len);
}

static int kvm_vsm_rest_clear(void *kvm, gpa_t gpa, void *data,
			      unsigned long len)
{
	return kvm_vsm_call(kvm_clear_guest)(kvm, gpa, len);
}

static int kvm_vsm_ovl_read_guest(struct kvm *kvm, gpa_t gpa, void *data,
				  unsigned long len)
{
	return kvm_vsm_ovl_split(kvm, gpa, data, len, false, kvm_vsm_rest_read,
				 kvm);
}

static int kvm_vsm_ovl_write_guest(struct kvm *kvm, gpa_t gpa,
				   const void *data, unsigned long len)
{
	return kvm_vsm_ovl_split(kvm, gpa, (void *)data, len, true,
				 kvm_vsm_rest_write, kvm);
}

static int kvm_vsm_ovl_vcpu_read_guest(struct kvm_vcpu *vcpu, gpa_t gpa,
				       void *data, unsigned long len)
{
	return kvm_vsm_ovl_split(vcpu->kvm, gpa, data, len, false,
				 kvm_vsm_rest_vcpu_read, vcpu);
}

static int kvm_vsm_ovl_vcpu_write_guest(struct kvm_vcpu *vcpu, gpa_t gpa,
					const void *data, unsigned long len)
{
	return kvm_vsm_ovl_split(vcpu->kvm, gpa, (void *)data, len, true,
				 kvm_vsm_rest_vcpu_write, vcpu);
}

/* One page, as KVM's: an offset and length beyond it is -EFAULT. */
static int kvm_vsm_ovl_page_rw(struct kvm_vcpu *vcpu, gfn_t gfn, void *data,
			       int offset, int len, bool write)
{
	if (offset < 0 || len < 0 || len > PAGE_SIZE - offset)
		return -EFAULT;
	return write ? kvm_vsm_ovl_vcpu_write_guest(vcpu, gfn_to_gpa(gfn) + offset,
						    data, len) :
		       kvm_vsm_ovl_vcpu_read_guest(vcpu, gfn_to_gpa(gfn) + offset,
						   data, len);
}

static int kvm_vsm_ovl_vcpu_read_guest_page(struct kvm_vcpu *vcpu, gfn_t gfn,
					    void *data, int offset, int len)
{
	return kvm_vsm_ovl_page_rw(vcpu, gfn, data, offset, len, false);
}

static int kvm_vsm_ovl_vcpu_write_guest_page(struct kvm_vcpu *vcpu, gfn_t gfn,
					     const void *data, int offset,
					     int len)
{
	return kvm_vsm_ovl_page_rw(vcpu, gfn, (void *)data, offset, len, true);
}

static int kvm_vsm_ovl_clear_guest(struct kvm *kvm, gpa_t gpa,
				   unsigned long len)
{
	return kvm_vsm_ovl_split(kvm, gpa, NULL, len, true, kvm_vsm_rest_clear,
				 kvm);
}

/*
 * gfn_to_hva_cache (VP assist page, PV EOI): the cache's host address is
 * the RAM page's; through the cache's own slow path (kvm_read_guest()),
 * split as above. KVM's bounds check first.
 */
static int kvm_vsm_ovl_read_cached(struct kvm *kvm,
				   struct gfn_to_hva_cache *ghc, void *data,
				   unsigned int offset, unsigned long len)
{
	if (len > ghc->len || offset > ghc->len - len)
		return -EINVAL;
	return kvm_vsm_ovl_read_guest(kvm, ghc->gpa + offset, data, len);
}

static int kvm_vsm_ovl_write_cached(struct kvm *kvm,
				    struct gfn_to_hva_cache *ghc, void *data,
				    unsigned int offset, unsigned long len)
{
	if (len > ghc->len || offset > ghc->len - len)
		return -EINVAL;
	return kvm_vsm_ovl_write_guest(kvm, ghc->gpa + offset, data, len);
}

#ifdef KVM_VSM_HAVE_KVM_FAULTIN_PFN
/*
 * A fault of an overlay gfn resolves to the overlay page, with a reference
 * KVM drops when done (kvm_release_faultin_page()): since 6.13 the TDP
 * MMU WARNs when a present SPTE's pfn differs from the fault's (two vCPUs
 * faulting on the page at once), so make_spte()'s substitution alone is
 * not enough. A zap of the gfn (overlay removed) in between bumps KVM's
 * invalidation count: the fault is retried, nothing installed.
 */
static kvm_pfn_t kvm_vsm_ovl_faultin_pfn(const struct kvm_memory_slot *slot,
					 gfn_t gfn, unsigned int foll,
					 bool *writable,
					 struct page **refcounted_page)
{
	struct kvm_vcpu *vcpu = kvm_vsm_call(kvm_get_running_vcpu)();
	struct kvm_vsm_overlay *ovl;
	struct kvm_vsm_vtl *vtl;
	struct page *page = NULL;
	int idx;

	if (vcpu) {
		vtl = kvm_vsm_vtl_get(vcpu->kvm, &idx);
		if (vtl) {
			rcu_read_lock();
			ovl = kvm_vsm_ovl_find(vtl, gfn);
			if (ovl) {
				page = ovl->page;
				get_page(page);
			}
			rcu_read_unlock();
		}
		kvm_vsm_vtl_put(vtl, idx);
	}
	if (!page)
		return kvm_vsm_call(__kvm_faultin_pfn)(slot, gfn, foll, writable,
						       refcounted_page);
	*writable = !(slot->flags & KVM_MEM_READONLY);
	*refcounted_page = page;
	return page_to_pfn(page);
}
#endif

/* Where each access hook's overlay split goes. */
static const unsigned long kvm_vsm_ovl_targets[NR_HOOKS] = {
	[HOOK_READ_GUEST]	= (unsigned long)kvm_vsm_ovl_read_guest,
	[HOOK_WRITE_GUEST]	= (unsigned long)kvm_vsm_ovl_write_guest,
	[HOOK_VCPU_READ_GUEST]	= (unsigned long)kvm_vsm_ovl_vcpu_read_guest,
	[HOOK_VCPU_WRITE_GUEST]	= (unsigned long)kvm_vsm_ovl_vcpu_write_guest,
	[HOOK_VCPU_READ_GUEST_PAGE] =
		(unsigned long)kvm_vsm_ovl_vcpu_read_guest_page,
	[HOOK_VCPU_WRITE_GUEST_PAGE] =
		(unsigned long)kvm_vsm_ovl_vcpu_write_guest_page,
	[HOOK_CLEAR_GUEST]	= (unsigned long)kvm_vsm_ovl_clear_guest,
	[HOOK_READ_CACHED]	= (unsigned long)kvm_vsm_ovl_read_cached,
	[HOOK_WRITE_CACHED]	= (unsigned long)kvm_vsm_ovl_write_cached,
	[HOOK_VCPU_MAP]		= (unsigned long)kvm_vsm_vcpu_map_refused,
};

/* The guest range KVM's access through hook @hook (arguments @regs) touches. */
static bool kvm_vsm_hook_range(int hook, struct pt_regs *regs, gpa_t *gpa,
			       u64 *len)
{
	unsigned long a1 = regs_get_kernel_argument(regs, 1);
	unsigned long a2 = regs_get_kernel_argument(regs, 2);
	unsigned long a3 = regs_get_kernel_argument(regs, 3);
	unsigned long a4 = regs_get_kernel_argument(regs, 4);

	switch (hook) {
	case HOOK_READ_GUEST:		/* (kvm or vcpu, gpa, data, len) */
	case HOOK_WRITE_GUEST:
	case HOOK_VCPU_READ_GUEST:
	case HOOK_VCPU_WRITE_GUEST:
		*gpa = a1;
		*len = a3;
		return true;
	case HOOK_VCPU_READ_GUEST_PAGE:	/* (vcpu, gfn, data, offset, len) */
	case HOOK_VCPU_WRITE_GUEST_PAGE:
		*gpa = gfn_to_gpa(a1) + (int)a3;
		*len = (int)a4;
		return true;
	case HOOK_CLEAR_GUEST:		/* (kvm, gpa, len) */
		*gpa = a1;
		*len = a2;
		return true;
	case HOOK_READ_CACHED:		/* (kvm, ghc, data, offset, len) */
	case HOOK_WRITE_CACHED:
		*gpa = ((struct gfn_to_hva_cache *)a1)->gpa + (u32)a3;
		*len = a4;
		return true;
	case HOOK_VCPU_MAP:		/* (vcpu, gfn, map[, writable]) */
		*gpa = gfn_to_gpa(a1);
		*len = PAGE_SIZE;
		return true;
	default:
		return false;
	}
}

/* Does the access of hook @hook touch an overlay page of @vtl? */
static bool kvm_vsm_hook_on_overlay(struct kvm_vsm_vtl *vtl, int hook,
				    struct pt_regs *regs)
{
	gpa_t gpa;
	u64 len;

	if (!kvm_vsm_ovl_any(vtl) || !kvm_vsm_hook_range(hook, regs, &gpa, &len) ||
	    (s64)len <= 0 || gpa + len < gpa)
		return false;
	return kvm_vsm_ovl_in_range(vtl, gpa_to_gfn(gpa),
				    gpa_to_gfn(gpa + len - 1) - gpa_to_gfn(gpa) + 1);
}

/* Does KVM's access through hook @hook, arguments in @regs, hit a denied frame? */
static bool kvm_vsm_guest_access_denied(struct kvm_vsm_vtl *vtl, int hook,
					struct pt_regs *regs)
{
	unsigned long a1 = regs_get_kernel_argument(regs, 1);
	unsigned long a3 = regs_get_kernel_argument(regs, 3);
	unsigned long a4 = regs_get_kernel_argument(regs, 4);

	switch (hook) {
	case HOOK_READ_GUEST:
	case HOOK_VCPU_READ_GUEST:
		return !kvm_vsm_mmu_range_allowed(vtl, a1, a3, KVM_VSM_ACCESS_READ);
	case HOOK_WRITE_GUEST:
	case HOOK_VCPU_WRITE_GUEST:
		return !kvm_vsm_mmu_range_allowed(vtl, a1, a3, KVM_VSM_ACCESS_WRITE);
	case HOOK_VCPU_READ_GUEST_PAGE:	/* (vcpu, gfn, data, offset, len) */
		return !kvm_vsm_mmu_range_allowed(vtl, gfn_to_gpa(a1) + (int)a3,
						  (int)a4, KVM_VSM_ACCESS_READ);
	case HOOK_VCPU_WRITE_GUEST_PAGE:
		return !kvm_vsm_mmu_range_allowed(vtl, gfn_to_gpa(a1) + (int)a3,
						  (int)a4, KVM_VSM_ACCESS_WRITE);
	case HOOK_VCPU_MAP:	/* (vcpu, gfn, map[, writable]) */
#ifdef KVM_VSM_HAVE___KVM_VCPU_MAP
		if (!(u8)a3)
			return !kvm_vsm_mmu_range_allowed(vtl, gfn_to_gpa(a1),
							  PAGE_SIZE,
							  KVM_VSM_ACCESS_READ);
#endif
		/* Mapped for writing (always, before 6.13): write implies read. */
		return !kvm_vsm_mmu_range_allowed(vtl, gfn_to_gpa(a1), PAGE_SIZE,
						  KVM_VSM_ACCESS_WRITE);
	default:
		return false;
	}
}

static int kvm_vsm_hook_of(unsigned long ip);

#ifdef KVM_VSM_HAVE_KVM_FAULTIN_PFN
/* __kvm_faultin_pfn() of a running vCPU's overlay gfn (address space 0). */
static void notrace kvm_vsm_divert_faultin(struct pt_regs *regs)
{
	const struct kvm_memory_slot *slot =
		(void *)regs_get_kernel_argument(regs, 0);
	struct kvm_vcpu *vcpu = kvm_vsm_call(kvm_get_running_vcpu)();
	struct kvm_vsm_vtl *vtl;
	int idx;

	if (!vcpu || !slot || slot->as_id)
		return;
	idx = srcu_read_lock(&kvm_vsm_srcu);
	vtl = kvm_vsm_vtl_of(vcpu->kvm);
	if (vtl && kvm_vsm_ovl_find(vtl, regs_get_kernel_argument(regs, 1)))
		regs->ip = (unsigned long)kvm_vsm_ovl_faultin_pfn;
	srcu_read_unlock(&kvm_vsm_srcu, idx);
}
#endif

/*
 * IPMODIFY hooks: where KVM would act against a VTL's protections (or run
 * a VSM hypercall), the return IP becomes a function of ours with the
 * same signature and the original does not run. Lock-free, preemption
 * off (ftrace); KVM holds the VM's kvm->srcu on the vCPU paths.
 */
static void notrace kvm_vsm_divert(unsigned long ip, unsigned long parent_ip,
				   struct ftrace_ops *ops,
				   struct ftrace_regs *fregs)
{
	struct pt_regs *regs = ftrace_get_regs(fregs);
	unsigned long a0, target = 0;
	struct kvm_vsm_vtl *vtl;
	struct kvm_vcpu *vcpu;
	struct kvm *kvm;
	bool longmode;
	int idx, hook;

	if (!static_branch_unlikely(&kvm_vsm_attached) || !regs)
		return;
	a0 = regs_get_kernel_argument(regs, 0);
#ifdef KVM_VSM_HAVE_KVM_FAULTIN_PFN
	if (kvm_vsm_hook_is(ip, HOOK_FAULTIN_PFN)) {	/* (slot, gfn, ...) */
		kvm_vsm_divert_faultin(regs);
		return;
	}
#endif
	vcpu = (struct kvm_vcpu *)a0;
	kvm = kvm_vsm_hook_is(ip, HOOK_READ_GUEST) ||
	      kvm_vsm_hook_is(ip, HOOK_WRITE_GUEST) ||
	      kvm_vsm_hook_is(ip, HOOK_CLEAR_GUEST) ||
	      kvm_vsm_hook_is(ip, HOOK_READ_CACHED) ||
	      kvm_vsm_hook_is(ip, HOOK_WRITE_CACHED) ? (struct kvm *)a0 : vcpu->kvm;
	idx = srcu_read_lock(&kvm_vsm_srcu);
	vtl = kvm_vsm_vtl_of(kvm);
	if (!vtl)
		goto out;
	hook = kvm_vsm_hook_of(ip);
	if (hook >= 0 && kvm_vsm_ovl_targets[hook] &&
	    kvm_vsm_hook_on_overlay(vtl, hook, regs)) {
		regs->ip = kvm_vsm_ovl_targets[hook];
		goto out;
	}
	switch (hook) {
	case HOOK_HV_HYPERCALL:
		if (kvm_vsm_is_vsm_hypercall(kvm_vsm_hypercall_control(vcpu, &longmode)))
			target = (unsigned long)kvm_vsm_hv_hypercall;
		break;
	case HOOK_PAGE_FAULT:
		atomic64_inc(&vtl->part->page_faults);
		if (kvm_vsm_mmu_fault_check(vtl, vcpu, regs_get_kernel_argument(regs, 1),
					    regs_get_kernel_argument(regs, 2)))
			target = (unsigned long)kvm_vsm_page_fault;
		break;
	case HOOK_SET_MSR: {
		struct msr_data *msr = (void *)regs_get_kernel_argument(regs, 1);

		if (kvm_vsm_overlay_msr(msr->index) &&
		    msr != READ_ONCE(vtl->ovl_inflight))
			target = (unsigned long)kvm_vsm_overlay_set_msr;
		else if (kvm_vsm_mmu_msr_denied(vtl, msr))
			target = (unsigned long)kvm_vsm_msr_refused;
		break;
	}
	case HOOK_VCPU_READ_GUEST_PAGE:
	case HOOK_VCPU_WRITE_GUEST_PAGE:
		if (kvm_vsm_guest_access_denied(vtl, hook, regs))
			target = (unsigned long)kvm_vsm_guest_page_refused;
		break;
	case HOOK_VCPU_MAP:
		if (kvm_vsm_guest_access_denied(vtl, hook, regs))
			target = (unsigned long)kvm_vsm_vcpu_map_refused;
		break;
#ifdef KVM_VSM_HAVE_PRE_FAULT_MEMORY
	case HOOK_PRE_FAULT:
		if (kvm_vsm_pre_fault_denied(vtl, (struct kvm_pre_fault_memory *)
					     regs_get_kernel_argument(regs, 1)))
			target = (unsigned long)kvm_vsm_pre_fault_refused;
		break;
#endif
	default:
		if (kvm_vsm_guest_access_denied(vtl, hook, regs))
			target = (unsigned long)kvm_vsm_guest_rw_refused;
		break;
	}
	if (target)
		regs->ip = target;
out:
	srcu_read_unlock(&kvm_vsm_srcu, idx);
}

/*
 * make_spte() for an attached VM's frame, address space 0: pte_access
 * (argument 4, %rcx) limited to what the frame allows; for a read-denied
 * frame, pfn (argument 6, %r9) becomes the zero page's. ftrace restores
 * the argument registers from @regs on return.
 */
static void notrace kvm_vsm_make_spte(struct kvm_vsm_vtl *vtl,
				      struct pt_regs *regs)
{
	const struct kvm_memory_slot *slot =
		(void *)regs_get_kernel_argument(regs, 2);
	bool zero_page;

	struct kvm_vsm_overlay *ovl;
	gfn_t gfn = regs_get_kernel_argument(regs, 4);

	atomic64_inc(&vtl->part->spte_builds);
	if (!slot || slot->as_id)
		return;
	/* The VTL's overlay page in place of the RAM page, as the guest's. */
	ovl = kvm_vsm_ovl_find(vtl, gfn);
	if (ovl && kvm_vsm_mmu_small_only(vtl, slot, gfn)) {
		regs->r9 = page_to_pfn(ovl->page);
		return;
	}
	if (!kvm_vsm_perm_active(vtl->part, vtl->vtl))
		return;
	regs->cx = kvm_vsm_mmu_spte_access(vtl, slot, gfn, regs->cx, &zero_page);
	if (zero_page)
		regs->r9 = page_to_pfn(ZERO_PAGE(0));
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
	struct kvm_vsm_vtl *vtl;
	struct kvm_vcpu *vcpu;
	struct kvm *kvm;
	int idx;

	if (!static_branch_unlikely(&kvm_vsm_attached) || !regs)
		return;
	if (kvm_vsm_hook_is(ip, HOOK_FREE_MEMSLOT)) {	/* (kvm, slot) */
		kvm = (struct kvm *)regs_get_kernel_argument(regs, 0);
		vcpu = NULL;
	} else {
		vcpu = (struct kvm_vcpu *)regs_get_kernel_argument(regs, 0);
		kvm = vcpu->kvm;
	}
	idx = srcu_read_lock(&kvm_vsm_srcu);
	vtl = kvm_vsm_vtl_of(kvm);
	if (vtl && !vcpu) {
		kvm_vsm_mmu_slot_freed(vtl, (struct kvm_memory_slot *)
				       regs_get_kernel_argument(regs, 1));
	} else if (vtl) {
		if (kvm_vsm_hook_is(ip, HOOK_MAKE_SPTE))
			kvm_vsm_make_spte(vtl, regs);
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
	case HOOK_MAKE_SPTE:
	case HOOK_HV_SET_MSR:
	case HOOK_FREE_MEMSLOT:
		return &kvm_vsm_observe_ops;
	case HOOK_VCPU_KICK:
	case HOOK_VCPU_WAKE_UP:
		return &kvm_vsm_kick_ops;
	default:
		return &kvm_vsm_divert_ops;
	}
}

static int kvm_vsm_hook_of(unsigned long ip)
{
	int i;

	for (i = 0; i < NR_HOOKS; i++)
		if (kvm_vsm_hook_is(ip, i))
			return i;
	return -1;
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
