// SPDX-License-Identifier: GPL-2.0
/*
 * Enforcement of per-4 KiB protections in the target VTL's own MMU, from
 * guest code in VTL0 (no VTL1 on the VP: intercepts go to the VMM as
 * KVM_VSM_RECORD_MEMORY_INTERCEPT records; the VMM loosens with
 * KVM_VSM_SET_PROTECTION and runs again):
 *  - write, read and execute denied: the access does not complete (the
 *    page is unchanged, running again faults again), then completes once
 *    loosened; a write after a permitted read (an SPTE KVM built on a read
 *    fault) and after a writable mapping existed (the zap) is caught too;
 *  - huge pages (THP, hugetlbfs when the guest kernel has pages for it):
 *    one 4 KiB page of a 2 MiB mapping restricted, its 1023 neighbours
 *    stay writable, exactly one intercept;
 *  - SMP: VP1 writes a page in a tight loop while the VMM restricts it;
 *    not one write lands after the ioctl returns;
 *  - SMP, restricted by guest code: VP0's VTL1 enables VTL protection and
 *    makes the page read-only with HvCallModifyVtlProtectionMask while
 *    VP1's VTL0 (no VTL1 there) writes it; the count VTL1 reads right
 *    after the hypercall is the final one, VP1's write reaches the VMM;
 *  - KVM writing on VTL0's behalf: the steal-time MSR pointed at a
 *    read-only page #GPs; the SIMP there is accepted (an overlay: the
 *    frame is never written); the pages are unchanged; an emulated MMIO
 *    string copy from a read-denied page never hands its bytes out.
 */
#include <pthread.h>
#include <asm/kvm_para.h>

#include "kvm_util.h"
#include "processor.h"
#include "hyperv.h"

#undef ASSERT_EQ	/* 6.1's test_util.h has its own */
#include "kselftest_harness.h"
#include "vsm_test.h"
#include "vsm_guest.h"
#include "kvmvsm.h"
#include "vsm_vtl.h"

#define PROT_RX		(KVM_VSM_PROT_READ | KVM_VSM_PROT_KX | KVM_VSM_PROT_UX)
#define PROT_RW		(KVM_VSM_PROT_READ | KVM_VSM_PROT_WRITE)

/* Guest globals (set by the host). */
static u64 g_x, g_code;			/* data page, code page (GVAs) */
static u64 g_huge, g_huge_pages;	/* huge-page backed region */
static u64 g_stop;
static u64 g_simp_bad, g_simp_ok, g_steal_bad, g_steal_ok;	/* GPAs */
static u64 g_src, g_mmio;		/* MMIO copy: source (2 pages), dest */
static u8 g_gp[4];

#define MMIO_GPA	0xc0000000ull	/* no memslot there */
#define MMIO_GVA	0xc0000000ull
#define HUGE_GPA	0x80000000ull	/* 2 MiB aligned */
#define HUGE_GVA	0x80000000ull
#define HUGE_SLOT	10
#define HUGE_PAGES	1024		/* 4 MiB: two 2 MiB frames */

struct mi {
	u64 gpa;
	u32 access;
};

enum { RUN_UCALL, RUN_MI, RUN_MMIO };

struct mmu_vm {
	struct vtl_pair p;
	struct kvmvsm_ring ring;
	u64 intercepts;
};

static void mmu_vm_create(struct mmu_vm *m, void *code, int nr_vps)
{
	memset(m, 0, sizeof(*m));
	vtl_pair_create_vps(&m->p, code, 0, VTL1_NONE, nr_vps);
	TEST_ASSERT(!kvmvsm_ring_map(m->p.part, &m->ring), "ring map");
}

static void mmu_vm_destroy(struct mmu_vm *m)
{
	kvmvsm_ring_unmap(&m->ring);
	vtl_pair_destroy(&m->p);
}

static void prot_set(struct mmu_vm *m, u64 gpa, u32 count, u8 prot)
{
	struct kvm_vsm_prot_entry e = {
		.gfn = gpa >> 12, .count = count, .prot = prot,
	};
	int r = kvmvsm_set_protection(m->p.part, 0, &e, 1);

	TEST_ASSERT(!r, "KVM_VSM_SET_PROTECTION %#llx x%u = %#x: %d",
		    (unsigned long long)gpa, count, prot, r);
}

/*
 * Run VP @vp once to an exit the test cares about: a ucall (in @uc), a
 * memory intercept (checked against its ring record, in @mi), or an
 * MMIO exit (left in run->mmio). Hyper-V SynIC exits are entered again.
 */
static int mmu_run(struct mmu_vm *m, u32 vp, struct ucall *uc, struct mi *mi)
{
	struct kvm_vcpu *vcpu = m->p.vp[0][vp];
	/* VP @vp's vCPU at each VTL, as vsm_run_vp() indexes them. */
	struct kvm_vcpu *const vcpus[2] = { vcpu, m->p.vp[1][vp] };
	const struct kvm_vsm_ring_record *rec;
	struct kvm_run *run = vcpu->run;
	u32 vtl;
	int r;

	for (;;) {
		r = vsm_run_vp(m->p.part, vp, &vtl, vcpus);
		TEST_ASSERT(!r && vtl == 0, "KVM_VSM_RUN_VP: %d (VTL %u)", r, vtl);
		if (run->exit_reason == KVM_EXIT_HYPERV &&
		    run->hyperv.type == KVM_VSM_EXIT_HYPERV_MEMORY_INTERCEPT) {
			rec = kvmvsm_ring_peek(&m->ring);
			TEST_ASSERT(rec && rec->type == KVM_VSM_RECORD_MEMORY_INTERCEPT &&
				    rec->vp == vp && rec->vtl == 0 &&
				    rec->seq == run->hyperv.u.hcall.params[0] &&
				    rec->memory.gpa == run->hyperv.u.hcall.input &&
				    rec->memory.access == run->hyperv.u.hcall.params[1],
				    "no matching ring record for the intercept");
			mi->gpa = rec->memory.gpa;
			mi->access = rec->memory.access;
			kvmvsm_ring_advance(&m->ring);
			m->intercepts++;
			return RUN_MI;
		}
		if (run->exit_reason == KVM_EXIT_HYPERV)	/* SynIC MSR */
			continue;
		if (run->exit_reason == KVM_EXIT_MMIO)
			return RUN_MMIO;
		r = get_ucall(vcpu, uc);
		if (r == UCALL_ABORT)
			REPORT_GUEST_ASSERT(*uc);
		TEST_ASSERT(r == UCALL_SYNC || r == UCALL_DONE,
			    "exit %u (%s), ucall %d", run->exit_reason,
			    exit_reason_str(run->exit_reason), r);
		return RUN_UCALL;
	}
}

static void expect_sync(struct mmu_vm *m, u32 vp, u64 stage)
{
	struct ucall uc;
	struct mi mi;
	int r = mmu_run(m, vp, &uc, &mi);

	TEST_ASSERT(r == RUN_UCALL, "intercept at %#llx (access %u) before sync %llu",
		    (unsigned long long)mi.gpa, mi.access,
		    (unsigned long long)stage);
	TEST_ASSERT(uc.cmd == UCALL_SYNC && uc.args[1] == stage,
		    "ucall %llu (%llu), want sync %llu",
		    (unsigned long long)uc.cmd, (unsigned long long)uc.args[1],
		    (unsigned long long)stage);
}

static void expect_done(struct mmu_vm *m, u32 vp)
{
	struct ucall uc;
	struct mi mi;

	TEST_ASSERT(mmu_run(m, vp, &uc, &mi) == RUN_UCALL && uc.cmd == UCALL_DONE,
		    "not done");
}

static void expect_mi(struct mmu_vm *m, u32 vp, u64 gpa, u32 access)
{
	struct ucall uc;
	struct mi mi;
	int r = mmu_run(m, vp, &uc, &mi);

	TEST_ASSERT(r == RUN_MI, "no intercept (exit kind %d, ucall %llu)", r,
		    (unsigned long long)uc.cmd);
	TEST_ASSERT(mi.gpa == gpa && mi.access == access,
		    "intercept at %#llx access %u, want %#llx access %u",
		    (unsigned long long)mi.gpa, mi.access,
		    (unsigned long long)gpa, access);
}

/* ---- Write, read, execute ---- */

static void rwx_guest(u64 vp)
{
	u64 *x = (u64 *)g_x;
	u64 (*fn)(void) = (void *)g_code;

	WRITE_ONCE(x[0], 1);		/* writable mapping, then restricted */
	GUEST_SYNC(1);
	GUEST_ASSERT_EQ(READ_ONCE(x[0]), 1);	/* read: permitted, maps it */
	WRITE_ONCE(x[0], 2);		/* write: intercepted until loosened */
	GUEST_SYNC(2);
	GUEST_ASSERT_EQ(READ_ONCE(x[1]), 0x77);	/* no access: intercepted */
	GUEST_SYNC(3);
	GUEST_ASSERT_EQ(fn(), 42);	/* not executable: intercepted */
	GUEST_DONE();
}

TEST(write_read_execute)
{
	static const u8 code[] = { 0xb8, 42, 0, 0, 0, 0xc3 };	/* mov $42,%eax; ret */
	struct kvm_vsm_partition_info info;
	struct mmu_vm m;
	u64 x_gpa, code_gpa;
	u64 *x;

	mmu_vm_create(&m, rwx_guest, 1);
	g_x = vm_vaddr_alloc_page(m.p.vm[0]);
	g_code = vm_vaddr_alloc_page(m.p.vm[0]);
	x_gpa = addr_gva2gpa(m.p.vm[0], g_x);
	code_gpa = addr_gva2gpa(m.p.vm[0], g_code);
	x = addr_gva2hva(m.p.vm[0], g_x);
	memcpy(addr_gva2hva(m.p.vm[0], g_code), code, sizeof(code));
	sync_global_to_guest(m.p.vm[0], g_x);
	sync_global_to_guest(m.p.vm[0], g_code);

	expect_sync(&m, 0, 1);
	prot_set(&m, x_gpa, 1, PROT_RX);
	/* The write does not land, however often it is retried. */
	expect_mi(&m, 0, x_gpa, KVM_VSM_ACCESS_WRITE);
	EXPECT_EQ(x[0], 1);
	expect_mi(&m, 0, x_gpa, KVM_VSM_ACCESS_WRITE);
	EXPECT_EQ(x[0], 1);
	prot_set(&m, x_gpa, 1, KVM_VSM_PROT_ALL);
	expect_sync(&m, 0, 2);
	EXPECT_EQ(x[0], 2);

	x[1] = 0x77;
	prot_set(&m, x_gpa, 1, 0);
	expect_mi(&m, 0, x_gpa + 8, KVM_VSM_ACCESS_READ);
	prot_set(&m, x_gpa, 1, PROT_RW);
	expect_sync(&m, 0, 3);

	prot_set(&m, code_gpa, 1, PROT_RW);
	expect_mi(&m, 0, code_gpa, KVM_VSM_ACCESS_EXECUTE);
	prot_set(&m, code_gpa, 1, KVM_VSM_PROT_ALL);
	expect_done(&m, 0);

	ASSERT_EQ(kvmvsm_get_info(m.p.part, &info), 0);
	EXPECT_EQ(info.memory_intercepts, 4);
	EXPECT_EQ(m.intercepts, 4);
	mmu_vm_destroy(&m);
}

/* ---- Huge pages ---- */

static void huge_guest(u64 vp)
{
	u64 i;

	for (i = 0; i < g_huge_pages; i++)
		WRITE_ONCE(*(u64 *)(g_huge + i * 4096), 1);
	GUEST_SYNC(1);
	for (i = 0; i < g_huge_pages; i++)
		WRITE_ONCE(*(u64 *)(g_huge + i * 4096), 2);
	GUEST_DONE();
}

/* The VM's KVM statistic @name (debugfs), or -1. */
static long vm_stat(struct kvm_vm *vm, const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/kernel/debug/kvm/%d-%d/%s",
		 getpid(), vm->fd, name);
	return vsm_read_long(path);
}

static void huge_test(struct __test_metadata *_metadata,
		      enum vm_mem_backing_src_type src)
{
	u64 target = HUGE_GPA + 512 * 4096 + 5 * 4096;	/* inside frame 2 */
	long huge_before, huge_after;
	struct mmu_vm m;
	struct ucall uc;
	struct mi mi;
	u64 i, *h;
	int r;

	mmu_vm_create(&m, huge_guest, 1);
	vm_userspace_mem_region_add(m.p.vm[0], src, HUGE_GPA, HUGE_SLOT,
				    HUGE_PAGES, 0);
	virt_map(m.p.vm[0], HUGE_GVA, HUGE_GPA, HUGE_PAGES);
	g_huge = HUGE_GVA;
	g_huge_pages = HUGE_PAGES;
	sync_global_to_guest(m.p.vm[0], g_huge);
	sync_global_to_guest(m.p.vm[0], g_huge_pages);
	h = addr_gpa2hva(m.p.vm[0], HUGE_GPA);

	expect_sync(&m, 0, 1);
	huge_before = vm_stat(m.p.vm[0], "pages_2m");
	prot_set(&m, target, 1, PROT_RX);
	huge_after = vm_stat(m.p.vm[0], "pages_2m");
	if (huge_before > 0) {
		/* The 2 MiB mapping over the page is gone (split). */
		EXPECT_LT(huge_after, huge_before);
	} else {
		ksft_print_msg("no 2 MiB mapping (pages_2m %ld): split not observed\n",
			       huge_before);
	}

	r = mmu_run(&m, 0, &uc, &mi);
	ASSERT_EQ(r, RUN_MI);
	EXPECT_EQ(mi.gpa, target);
	EXPECT_EQ(mi.access, KVM_VSM_ACCESS_WRITE);
	/* Everything before the page was written, nothing after it. */
	for (i = 0; i < HUGE_PAGES; i++)
		if (h[i * 512] != (HUGE_GPA + i * 4096 < target ? 2 : 1))
			break;
	EXPECT_EQ(i, HUGE_PAGES);
	prot_set(&m, target, 1, KVM_VSM_PROT_ALL);
	expect_done(&m, 0);
	/* All neighbours written, one intercept in all. */
	for (i = 0; i < HUGE_PAGES; i++)
		if (h[i * 512] != 2)
			break;
	EXPECT_EQ(i, HUGE_PAGES);
	EXPECT_EQ(m.intercepts, 1);
	ksft_print_msg("pages_2m: %ld before the restriction, %ld after\n",
		       huge_before, huge_after);
	mmu_vm_destroy(&m);
}

TEST(huge_thp)
{
	huge_test(_metadata, VM_MEM_SRC_ANONYMOUS_THP);
}

/* Free hugetlbfs pages of the default size, after asking for @want. */
static long hugetlb_free(long want)
{
	char line[128];
	long v = -1;
	FILE *f = fopen("/proc/sys/vm/nr_hugepages", "w");

	if (f) {
		fprintf(f, "%ld\n", want);
		fclose(f);
	}
	f = fopen("/proc/meminfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "HugePages_Free: %ld", &v) == 1)
			break;
	fclose(f);
	return v;
}

TEST(huge_hugetlbfs)
{
	long n = hugetlb_free(4);

	if (n < HUGE_PAGES / 512)
		SKIP(return, "%ld free hugetlbfs pages (HugePages_Free), %d needed",
		     n, HUGE_PAGES / 512);
	huge_test(_metadata, VM_MEM_SRC_ANONYMOUS_HUGETLB);
	hugetlb_free(0);
}

/* ---- SMP: restricted while another VP writes ---- */

static void smp_guest(u64 vp)
{
	u64 *x = (u64 *)g_x;

	if (vp == 1)
		while (!READ_ONCE(g_stop))
			WRITE_ONCE(x[0], READ_ONCE(x[0]) + 1);
	GUEST_DONE();
}

struct smp_run {
	struct mmu_vm *m;
	int kind;
	struct mi mi;
	struct ucall uc;
};

static void *smp_vp1(void *arg)
{
	struct smp_run *s = arg;

	s->kind = mmu_run(s->m, 1, &s->uc, &s->mi);
	return NULL;
}

TEST(smp_restrict_while_writing)
{
	struct smp_run s = {};
	struct mmu_vm m;
	u64 x_gpa, seen, spins;
	u64 *x;
	pthread_t t;

	mmu_vm_create(&m, smp_guest, 2);
	g_x = vm_vaddr_alloc_page(m.p.vm[0]);
	x_gpa = addr_gva2gpa(m.p.vm[0], g_x);
	x = addr_gva2hva(m.p.vm[0], g_x);
	sync_global_to_guest(m.p.vm[0], g_x);
	expect_done(&m, 0);

	s.m = &m;
	ASSERT_EQ(pthread_create(&t, NULL, smp_vp1, &s), 0);
	for (spins = 0; READ_ONCE(*x) < 100000 && spins < 20000000000ull; spins++)
		;
	ASSERT_GE(READ_ONCE(*x), 100000);
	prot_set(&m, x_gpa, 1, PROT_RX);
	seen = READ_ONCE(*x);
	pthread_join(t, NULL);
	ASSERT_EQ(s.kind, RUN_MI);
	EXPECT_EQ(s.mi.gpa, x_gpa);
	EXPECT_EQ(s.mi.access, KVM_VSM_ACCESS_WRITE);
	/* Not one more write after the ioctl returned. */
	EXPECT_EQ(READ_ONCE(*x), seen);
	ksft_print_msg("VP1 wrote %llu times before the restriction\n",
		       (unsigned long long)seen);

	g_stop = 1;
	sync_global_to_guest(m.p.vm[0], g_stop);
	prot_set(&m, x_gpa, 1, KVM_VSM_PROT_ALL);
	expect_done(&m, 1);
	EXPECT_EQ(READ_ONCE(*x), seen + 1);	/* the intercepted write, retried */
	mmu_vm_destroy(&m);
}

/* ---- SMP: VP0's VTL1 restricts, with the hypercall, while VP1 writes ---- */

#define HC_MODIFY_VTL_PROT	0x000c
#define HC_SET_VP_REGS		0x0051
#define HC_REG_PARTITION_CONFIG	0x000d0007
#define HC_PARTITION_SELF	((u64)-1)
#define HC_REPS(n)		((u64)(n) << 32)
#define HC_EXIT_PORT		0xf4

static u64 g_in_gva, g_in_gpa;		/* VTL1's hypercall input page */
static u64 g_x_gpa;
static u64 g_st[2], g_seen;		/* VTL1's statuses; count it saw */

static u64 smp1_hv_call(u64 control, u64 w0, u64 w1, u64 w2, u64 w3, u64 w4)
{
	u64 *in = (u64 *)g_in_gva;

	in[0] = w0;
	in[1] = w1;
	in[2] = w2;
	in[3] = w3;
	in[4] = w4;
	in[5] = 0;
	return guest_hv_call(g_page1_gva, control, g_in_gpa, 0);
}

static void smp1_vtl1(void)
{
	wrmsr(HV_X64_MSR_GUEST_OS_ID, HYPERV_LINUX_OS_ID);
	wrmsr(HV_X64_MSR_HYPERCALL, g_page1_gpa | 1);
	/* EnableVtlProtection, default mask: every access. */
	g_st[0] = smp1_hv_call(HC_SET_VP_REGS | HC_REPS(1), HC_PARTITION_SELF,
			       0, HC_REG_PARTITION_CONFIG, 0,
			       1 | (u64)KVM_VSM_PROT_ALL << 1);
	/* VTL0's view of the page: read-only, while VP1 writes it. */
	g_st[1] = smp1_hv_call(HC_MODIFY_VTL_PROT | HC_REPS(1), HC_PARTITION_SELF,
			       PROT_RX, g_x_gpa >> 12, 0, 0);
	g_seen = READ_ONCE(*(u64 *)g_x);
	asm volatile("outb %%al, %0" :: "i"(HC_EXIT_PORT), "a"(0) : "memory");
	for (;;)
		asm volatile("hlt");
}

static void smp1_guest(u64 vp)
{
	u64 *x = (u64 *)g_x;

	if (vp == 1) {
		for (;;)
			WRITE_ONCE(x[0], READ_ONCE(x[0]) + 1);
	}
	guest_hv_enable(g_page0_gpa);
	while (READ_ONCE(x[0]) < 100000)
		asm volatile("pause");
	memset(vtl0_in[0], 0, sizeof(vtl0_in[0]));
	vtl_transition(g_page0_gva, HVCALL_VTL_CALL, 0, vtl0_in[0], vtl0_out[0]);
	GUEST_DONE();
}

/* VP0's VTL1 only: VP1 has no VTL1, its intercepts go to the VMM. */
static void smp1_add_vtl1_vp0(struct vtl_pair *p)
{
	struct kvm_mp_state runnable = { .mp_state = KVM_MP_STATE_RUNNABLE };
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_vcpu *v;
	vm_vaddr_t stack1;

	p->vm[1] = vm_create_barebones();
	vm_ioctl(p->vm[1], KVM_CREATE_IRQCHIP, NULL);
	vtl_mirror_memory(p->vm[1], p->vm[0]);
	TEST_ASSERT(!kvmvsm_attach_vtl(p->part, p->vm[1]->fd, 1), "attach VTL1");
	v = __vm_vcpu_add(p->vm[1], 0);
	p->vp[1][0] = v;
	vcpu_ioctl(v, KVM_SET_MP_STATE, &runnable);
	vcpu_init_cpuid(v, kvm_get_supported_cpuid());
	vsm_set_hv_cpuid(p->dev, v);
	vcpu_sregs_get(p->vp[0][0], &sregs);
	vcpu_sregs_set(v, &sregs);
	stack1 = vm_vaddr_alloc_pages(p->vm[0], 4);
	memset(&regs, 0, sizeof(regs));
	regs.rip = (u64)smp1_vtl1;
	regs.rsp = stack1 + 4 * 4096 - 8;
	regs.rflags = 2;
	vcpu_regs_set(v, &regs);
	TEST_ASSERT(!kvmvsm_attach_vcpu_flags(p->part, v->fd, 1,
					      KVM_VSM_ATTACH_VCPU_ENABLED, NULL),
		    "VP0 VTL1");
	p->vcpu[1] = v;
}

struct smp1_vp1 {
	struct mmu_vm *m;
	int r;
	u32 vtl;
};

static void *smp1_vp1_thread(void *arg)
{
	struct smp1_vp1 *s = arg;

	s->r = vsm_run_vp(s->m->p.part, 1, &s->vtl, &s->m->p.vp[0][1]);
	return NULL;
}

TEST(smp_vtl1_hypercall_restricts_while_writing)
{
	struct smp1_vp1 s = {};
	const struct kvm_vsm_ring_record *rec;
	struct kvm_run *run1;
	struct mmu_vm m;
	u32 vtl;
	u64 *x;
	pthread_t t;

	memset(&m, 0, sizeof(m));
	vtl_pair_create_vps(&m.p, smp1_guest, 0, VTL1_NONE, 2);
	smp1_add_vtl1_vp0(&m.p);
	ASSERT_EQ(0, kvmvsm_ring_map(m.p.part, &m.ring));
	g_x = vm_vaddr_alloc_page(m.p.vm[0]);
	g_x_gpa = addr_gva2gpa(m.p.vm[0], g_x);
	x = addr_gva2hva(m.p.vm[0], g_x);
	g_in_gva = vm_vaddr_alloc_page(m.p.vm[0]);
	g_in_gpa = addr_gva2gpa(m.p.vm[0], g_in_gva);
	sync_global_to_guest(m.p.vm[0], g_x);
	sync_global_to_guest(m.p.vm[0], g_x_gpa);
	sync_global_to_guest(m.p.vm[0], g_in_gva);
	sync_global_to_guest(m.p.vm[0], g_in_gpa);
	run1 = m.p.vp[0][1]->run;

	s.m = &m;
	ASSERT_EQ(pthread_create(&t, NULL, smp1_vp1_thread, &s), 0);
	/* VP0: VTL0 waits for VP1's writes, VtlCalls; VTL1 restricts. */
	ASSERT_EQ(0, vsm_run_vp(m.p.part, 0, &vtl, m.p.vcpu));
	ASSERT_EQ(1, vtl) TH_LOG("VTL0 exit %u", m.p.vp[0][0]->run->exit_reason);
	ASSERT_EQ(KVM_EXIT_IO, m.p.vp[1][0]->run->exit_reason);
	ASSERT_EQ(HC_EXIT_PORT, m.p.vp[1][0]->run->io.port);
	pthread_join(t, NULL);
	sync_global_from_guest(m.p.vm[0], g_st);
	sync_global_from_guest(m.p.vm[0], g_seen);
	EXPECT_EQ(g_st[0], HC_REPS(1));
	EXPECT_EQ(g_st[1], HC_REPS(1));

	/* VP1's denied write reached the VMM. */
	ASSERT_EQ(0, s.r);
	ASSERT_EQ(0, s.vtl);
	ASSERT_EQ(KVM_EXIT_HYPERV, run1->exit_reason);
	ASSERT_EQ(KVM_VSM_EXIT_HYPERV_MEMORY_INTERCEPT, run1->hyperv.type);
	rec = kvmvsm_ring_peek(&m.ring);
	ASSERT_TRUE(rec && rec->type == KVM_VSM_RECORD_MEMORY_INTERCEPT);
	EXPECT_EQ(rec->vp, 1);
	EXPECT_EQ(rec->vtl, 0);
	EXPECT_EQ(rec->memory.gpa >> 12, g_x_gpa >> 12);
	EXPECT_EQ(rec->memory.access, KVM_VSM_ACCESS_WRITE);
	EXPECT_EQ(run1->hyperv.u.hcall.input >> 12, g_x_gpa >> 12);
	kvmvsm_ring_advance(&m.ring);

	/* Not one more write after the hypercall returned. */
	EXPECT_GE(g_seen, 100000);
	EXPECT_EQ(READ_ONCE(*x), g_seen);
	ksft_print_msg("VP1 wrote %llu times before VTL1's restriction; %llu in the page now\n",
		       (unsigned long long)g_seen,
		       (unsigned long long)READ_ONCE(*x));
	mmu_vm_destroy(&m);
}

/* ---- KVM's writes on VTL0's behalf: MSRs ---- */

static void msr_guest(u64 vp)
{
	g_gp[0] = wrmsr_safe(HV_X64_MSR_SIMP, g_simp_bad | 1);
	g_gp[1] = wrmsr_safe(MSR_KVM_STEAL_TIME, g_steal_bad | KVM_MSR_ENABLED);
	/* The same writes to pages VTL0 may write are accepted. */
	g_gp[2] = wrmsr_safe(HV_X64_MSR_SIMP, g_simp_ok | 1);
	g_gp[3] = wrmsr_safe(MSR_KVM_STEAL_TIME, g_steal_ok | KVM_MSR_ENABLED);
	GUEST_SYNC(1);
	wrmsr(MSR_KVM_STEAL_TIME, 0);
	wrmsr(HV_X64_MSR_SIMP, 0);
	GUEST_DONE();
}

TEST(msr_pages_read_only)
{
	struct mmu_vm m;
	u64 bad[2], i;
	u8 *p[2];

	mmu_vm_create(&m, msr_guest, 1);
	vcpu_enable_cap(m.p.vp[0][0], KVM_CAP_HYPERV_SYNIC2, 0);
	for (i = 0; i < 2; i++) {
		u64 gva = vm_vaddr_alloc_page(m.p.vm[0]);

		bad[i] = addr_gva2gpa(m.p.vm[0], gva);
		p[i] = addr_gva2hva(m.p.vm[0], gva);
		memset(p[i], 0xa5, 4096);
		prot_set(&m, bad[i], 1, PROT_RX);
	}
	g_simp_bad = bad[0];
	g_steal_bad = bad[1];
	g_simp_ok = addr_gva2gpa(m.p.vm[0], vm_vaddr_alloc_page(m.p.vm[0]));
	g_steal_ok = addr_gva2gpa(m.p.vm[0], vm_vaddr_alloc_page(m.p.vm[0]));
	sync_global_to_guest(m.p.vm[0], g_simp_bad);
	sync_global_to_guest(m.p.vm[0], g_steal_bad);
	sync_global_to_guest(m.p.vm[0], g_simp_ok);
	sync_global_to_guest(m.p.vm[0], g_steal_ok);

	expect_sync(&m, 0, 1);
	sync_global_from_guest(m.p.vm[0], g_gp);
	/* The SIMP is an overlay (API 5): its frame is not written, so allowed. */
	EXPECT_EQ(g_gp[0], 0);
	EXPECT_EQ(g_gp[1], GP_VECTOR);
	EXPECT_EQ(g_gp[2], 0);
	EXPECT_EQ(g_gp[3], 0);
	expect_done(&m, 0);
	for (i = 0; i < 4096; i++)
		if (p[0][i] != 0xa5 || p[1][i] != 0xa5)
			break;
	EXPECT_EQ(i, 4096);
	EXPECT_EQ(m.intercepts, 0);
	mmu_vm_destroy(&m);
}

/* ---- The emulator on VTL0's behalf: MMIO string copy ---- */

#define COPY_LEN	32	/* 16 readable bytes, then 16 read-denied */

static void mmio_guest(u64 vp)
{
	u64 src = g_src + 4096 - COPY_LEN / 2, dst = g_mmio, n = COPY_LEN;

	asm volatile("rep movsb" : "+S"(src), "+D"(dst), "+c"(n) :: "memory");
	GUEST_DONE();
}

TEST(mmio_copy_from_read_denied)
{
	struct kvm_run *run;
	struct mmu_vm m;
	u64 src_gpa, secret;
	int leaked = 0, writes = 0, reads_denied = 0, mi_denied = 0, r, i;
	struct ucall uc;
	struct mi mi;
	u8 *s;

	mmu_vm_create(&m, mmio_guest, 1);
	g_src = vm_vaddr_alloc_pages(m.p.vm[0], 2);
	src_gpa = addr_gva2gpa(m.p.vm[0], g_src);
	secret = addr_gva2gpa(m.p.vm[0], g_src + 4096);
	s = addr_gva2hva(m.p.vm[0], g_src);
	memset(s, 0x11, 4096);
	memset(addr_gva2hva(m.p.vm[0], g_src + 4096), 0x5a, 4096);
	virt_map(m.p.vm[0], MMIO_GVA, MMIO_GPA, 1);
	g_mmio = MMIO_GVA;
	sync_global_to_guest(m.p.vm[0], g_src);
	sync_global_to_guest(m.p.vm[0], g_mmio);
	prot_set(&m, secret, 1, 0);
	run = m.p.vp[0][0]->run;

	for (;;) {
		r = mmu_run(&m, 0, &uc, &mi);
		if (r == RUN_UCALL)
			break;
		if (r == RUN_MI) {
			/* The CPU's own read: the VMM stops the copy there. */
			EXPECT_EQ(mi.access, KVM_VSM_ACCESS_READ);
			EXPECT_EQ(mi.gpa >> 12, secret >> 12);
			mi_denied++;
			break;
		}
		if (run->mmio.is_write) {
			writes++;
			for (i = 0; i < run->mmio.len; i++)
				leaked += run->mmio.data[i] == 0x5a;
		} else {
			/* KVM's emulator could not read the page: asks the VMM. */
			EXPECT_EQ(run->mmio.phys_addr >> 12, secret >> 12);
			reads_denied++;
			memset(run->mmio.data, 0xee, sizeof(run->mmio.data));
		}
	}
	EXPECT_EQ(leaked, 0);
	EXPECT_GT(writes, 0);
	EXPECT_EQ(!!reads_denied + !!mi_denied, 1);
	ksft_print_msg("MMIO writes %d, denied-page reads as MMIO %d, intercepts %d (src %#llx)\n",
		       writes, reads_denied, mi_denied, (unsigned long long)src_gpa);
	mmu_vm_destroy(&m);
}

/* The emulator's write on VTL0's behalf: MMIO to a write-denied page. */
static void mmio_to_ro_guest(u64 vp)
{
	u64 src = g_mmio, dst = g_x, n = 16;

	asm volatile("rep movsb" : "+S"(src), "+D"(dst), "+c"(n) :: "memory");
	GUEST_DONE();
}

TEST(mmio_copy_to_write_denied)
{
	int refused = 0, mi_denied = 0, reads = 0, r, i;
	struct kvm_run *run;
	struct mmu_vm m;
	struct ucall uc;
	struct mi mi;
	u64 x_gpa;
	u8 *x;

	mmu_vm_create(&m, mmio_to_ro_guest, 1);
	g_x = vm_vaddr_alloc_page(m.p.vm[0]);
	x_gpa = addr_gva2gpa(m.p.vm[0], g_x);
	x = addr_gva2hva(m.p.vm[0], g_x);
	memset(x, 0xa5, 4096);
	virt_map(m.p.vm[0], MMIO_GVA, MMIO_GPA, 1);
	g_mmio = MMIO_GVA;
	sync_global_to_guest(m.p.vm[0], g_x);
	sync_global_to_guest(m.p.vm[0], g_mmio);
	prot_set(&m, x_gpa, 1, PROT_RX);
	run = m.p.vp[0][0]->run;

	for (;;) {
		r = mmu_run(&m, 0, &uc, &mi);
		if (r == RUN_UCALL)
			break;
		if (r == RUN_MI) {
			EXPECT_EQ(mi.access, KVM_VSM_ACCESS_WRITE);
			EXPECT_EQ(mi.gpa >> 12, x_gpa >> 12);
			mi_denied++;
			break;
		}
		if (!run->mmio.is_write) {
			EXPECT_EQ(run->mmio.phys_addr >> 12, MMIO_GPA >> 12);
			memset(run->mmio.data, 0x33, sizeof(run->mmio.data));
			reads++;
		} else {
			/* KVM's emulator could not write the page: to the VMM. */
			EXPECT_EQ(run->mmio.phys_addr >> 12, x_gpa >> 12);
			refused++;
		}
	}
	for (i = 0; i < 4096; i++)
		if (x[i] != 0xa5)
			break;
	EXPECT_EQ(i, 4096);
	EXPECT_GT(reads, 0);
	EXPECT_GE(refused + mi_denied, 1);
	ksft_print_msg("MMIO reads %d, denied-page writes as MMIO %d, intercepts %d\n",
		       reads, refused, mi_denied);
	mmu_vm_destroy(&m);
}

/* ---- KVM_PRE_FAULT_MEMORY maps without a fault ---- */

#ifdef KVM_PRE_FAULT_MEMORY
static void sync_guest(u64 vp)
{
	GUEST_SYNC(1);
	GUEST_DONE();
}
#endif

TEST(pre_fault_refused)
{
#ifdef KVM_PRE_FAULT_MEMORY
	struct kvm_pre_fault_memory pf = {};
	struct mmu_vm m;
	u64 x_gpa;
	int r;

	if (!kvm_check_cap(KVM_CAP_PRE_FAULT_MEMORY))
		SKIP(return, "KVM_CAP_PRE_FAULT_MEMORY not supported");
	mmu_vm_create(&m, sync_guest, 1);
	x_gpa = addr_gva2gpa(m.p.vm[0], vm_vaddr_alloc_page(m.p.vm[0]));
	expect_sync(&m, 0, 1);
	prot_set(&m, x_gpa, 1, 0);
	pf.gpa = x_gpa;
	pf.size = 4096;
	r = __vcpu_ioctl(m.p.vp[0][0], KVM_PRE_FAULT_MEMORY, &pf);
	EXPECT_EQ(r, -1);
	EXPECT_EQ(errno, EPERM);
	prot_set(&m, x_gpa, 1, KVM_VSM_PROT_ALL);
	pf.gpa = x_gpa;
	pf.size = 4096;
	r = __vcpu_ioctl(m.p.vp[0][0], KVM_PRE_FAULT_MEMORY, &pf);
	EXPECT_EQ(r, 0);
	expect_done(&m, 0);
	mmu_vm_destroy(&m);
#else
	SKIP(return, "this kernel has no KVM_PRE_FAULT_MEMORY");
#endif
}

TEST_HARNESS_MAIN
