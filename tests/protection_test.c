// SPDX-License-Identifier: GPL-2.0
/*
 * Memory protection state: HvCallModifyVtlProtectionMask from guest code
 * (memory and fast XMM forms, every negative case, a 510-GPA list that
 * needs continuation), VsmPartitionConfig's default mask and its
 * write-once rule, and KVM_VSM_SET/GET_PROTECTION from the VMM (a 100 000
 * page round trip, every bad entry refused with nothing half-applied).
 *
 * The hypercall's target VTL is Hyper-V's: the VTL whose protections
 * change, which restrict the VTL below it; VTL1 passing no target (or
 * itself) restricts VTL0. Each guest test ends with VTL1 leaving through
 * an I/O port exit: VTL0 never runs again under the masks VTL1 set.
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>
#include <sys/mman.h>

#include "kvm_util.h"
#include "processor.h"
#include "hyperv.h"
#include "svm_util.h"

#undef ASSERT_EQ	/* 6.1's test_util.h has its own */
#include "kselftest_harness.h"
#include "vsm_test.h"
#include "vsm_guest.h"
#include "kvmvsm.h"
#include "vsm_vtl.h"

#define HVCALL_MODIFY_VTL_PROT		0x000c
#ifndef HV_PARTITION_ID_SELF
#define HV_PARTITION_ID_SELF		((u64)-1)
#endif
#define HVCALL_SET_VP_REGS		0x0051
#define HV_REG_PARTITION_CONFIG		0x000d0007
#define HV_FAST				BIT_ULL(16)
#define HV_REPS(n)			((u64)(n) << 32)
#define HV_USE_TARGET			0x10

#define ST_SUCCESS			0x0000
#define ST_INVALID_INPUT		0x0003
#define ST_INVALID_PARAMETER		0x0005
#define ST_ACCESS_DENIED		0x0006
#define ST_INVALID_REG_VALUE		0x0050

#define CFG_ENABLE			1ull
#define CFG_MASK(m)			((u64)(m) << 1)

#define R	KVM_VSM_PROT_READ
#define W	KVM_VSM_PROT_WRITE
#define KX	KVM_VSM_PROT_KX
#define UX	KVM_VSM_PROT_UX
#define DFLT	KVM_VSM_PROT_DEFAULT

#define EXIT_PORT	0xf4	/* VTL1 is done: an I/O exit to the test */
#define NR_DATA		8
#define LONG_LIST	510	/* a whole input page of GPAs */
#define BAD_GFN		BIT_ULL(30)	/* 4 TiB: no memory there */
#define PROT_TIMEOUT	300

/* Guest memory both VTLs share. */
static u64 g_in_gva, g_in_gpa;		/* hypercall input page */
static u64 g_data_gfn[NR_DATA];	/* pages VTL1 restricts */
static u64 g_res[64];			/* VTL1's hypercall results, in order */
static u64 g_nres;
static u64 g_vtl0_res[2];
static u64 g_xmm[12];
static u64 g_case;			/* which test VTL1 runs */

enum { CASE_HYPERCALL, CASE_PRIVILEGE, CASE_DEFAULT };

static void vtl1_exit(void)
{
	asm volatile("outb %%al, %0" :: "i"(EXIT_PORT), "a"(0) : "memory");
	for (;;)
		asm volatile("hlt");
}

static void rec(u64 v)
{
	g_res[g_nres++] = v;
}

/* Memory form: header then @n GPA numbers from @gfns. */
static u64 modify(u64 page, u64 pid, u32 flags, u8 input_vtl, u8 rsvd,
		  const u64 *gfns, u32 n, u64 extra_control)
{
	u64 *in = (u64 *)g_in_gva;
	u32 i;

	in[0] = pid;
	in[1] = flags | (u64)input_vtl << 32 | (u64)rsvd << 40;
	for (i = 0; i < n; i++)
		in[2 + i] = gfns[i];
	return guest_hv_call(page, HVCALL_MODIFY_VTL_PROT | HV_REPS(n) |
			     extra_control, g_in_gpa, 0);
}

/* Fast form: header in RDX/R8, up to 12 GPA numbers in XMM0-5. */
static u64 modify_fast(u64 page, u32 flags, const u64 *gfns, u32 n)
{
	u32 i;

	for (i = 0; i < 12; i++)
		g_xmm[i] = i < n ? gfns[i] : 0;
	return guest_hv_call_xmm(page, HVCALL_MODIFY_VTL_PROT | HV_FAST | HV_REPS(n),
				 HV_PARTITION_ID_SELF, flags, g_xmm);
}

/* SetVpRegisters(VsmPartitionConfig) of this VP at its own VTL. */
static u64 set_config(u64 page, u64 val)
{
	u64 *in = (u64 *)g_in_gva;

	in[0] = HV_PARTITION_ID_SELF;
	in[1] = 0;				/* VP index 0, own VTL */
	in[2] = HV_REG_PARTITION_CONFIG;	/* name, reserved1 */
	in[3] = 0;				/* reserved2 */
	in[4] = val;
	in[5] = 0;
	return guest_hv_call(page, HVCALL_SET_VP_REGS | HV_REPS(1), g_in_gpa, 0);
}

static u64 gfns_long[LONG_LIST];

static void vtl1_hypercall_case(u64 page)
{
	u64 *d = g_data_gfn, l[3];
	u32 i;

	/* Own protections before VsmPartitionConfig enabled them. */
	rec(modify(page, HV_PARTITION_ID_SELF, R, 0, 0, d, 1, 0));
	rec(set_config(page, CFG_ENABLE | CFG_MASK(KVM_VSM_PROT_ALL)));
	/*
	 * 510 GPAs (VTL0's code and data: it never runs again): more than
	 * one batch, continued by the guest's re-entry. The data pages may
	 * be among them; what follows sets those again.
	 */
	for (i = 0; i < LONG_LIST; i++)
		gfns_long[i] = i;
	rec(modify(page, HV_PARTITION_ID_SELF, R | KX | UX, 0, 0, gfns_long,
		   LONG_LIST, 0));
	/* A rep call with no reps. */
	rec(modify(page, HV_PARTITION_ID_SELF, R, 0, 0, d, 0, 0));
	/* Flags: unknown bit, write without read, one execute bit only. */
	rec(modify(page, HV_PARTITION_ID_SELF, 0x10 | R, 0, 0, d, 1, 0));
	rec(modify(page, HV_PARTITION_ID_SELF, W, 0, 0, d, 1, 0));
	rec(modify(page, HV_PARTITION_ID_SELF, R | KX, 0, 0, d, 1, 0));
	/* Reserved bits: HV_INPUT_VTL, the header's RsvdZ, the control. */
	rec(modify(page, HV_PARTITION_ID_SELF, R, 0x20, 0, d, 1, 0));
	rec(modify(page, HV_PARTITION_ID_SELF, R, 0, 1, d, 1, 0));
	rec(modify(page, HV_PARTITION_ID_SELF, R, 0, 0, d, 1, 1ull << 31));
	/* Another partition; a higher VTL; VTL0 (nothing below it). */
	rec(modify(page, 0, R, 0, 0, d, 1, 0));
	rec(modify(page, HV_PARTITION_ID_SELF, R, HV_USE_TARGET | 2, 0, d, 1, 0));
	rec(modify(page, HV_PARTITION_ID_SELF, R, HV_USE_TARGET | 0, 0, d, 1, 0));
	/* Memory form, three pages read-only (target named: itself). */
	rec(modify(page, HV_PARTITION_ID_SELF, R, HV_USE_TARGET | 1, 0, d, 3, 0));
	/* A GPA outside memory in the middle: rep 0 applied, 1 fails. */
	l[0] = d[3];
	l[1] = BAD_GFN;
	l[2] = d[4];
	rec(modify(page, HV_PARTITION_ID_SELF, 0, 0, 0, l, 3, 0));
	/* Fast form: two pages R|W; 13 GPAs do not fit. */
	rec(modify_fast(page, R | W, &d[5], 2));
	rec(modify_fast(page, R, d, 13));
	/* Loosening: d[7] restricted, then given everything back. */
	rec(modify(page, HV_PARTITION_ID_SELF, 0, 0, 0, &d[7], 1, 0));
	rec(modify(page, HV_PARTITION_ID_SELF, KVM_VSM_PROT_ALL, 0, 0, &d[7], 1, 0));
}

static const u64 hypercall_expect[] = {
	ST_ACCESS_DENIED,
	ST_SUCCESS | HV_REPS(1),
	ST_SUCCESS | HV_REPS(LONG_LIST),
	ST_INVALID_INPUT,
	ST_INVALID_REG_VALUE, ST_INVALID_REG_VALUE, ST_INVALID_REG_VALUE,
	ST_INVALID_PARAMETER, ST_INVALID_PARAMETER, ST_INVALID_INPUT,
	ST_ACCESS_DENIED, ST_ACCESS_DENIED, ST_INVALID_PARAMETER,
	ST_SUCCESS | HV_REPS(3),
	ST_INVALID_PARAMETER | HV_REPS(1),
	ST_SUCCESS | HV_REPS(2),
	ST_INVALID_INPUT,
	ST_SUCCESS | HV_REPS(1),
	ST_SUCCESS | HV_REPS(1),
};

static void vtl1_privilege_case(u64 page)
{
	rec(set_config(page, CFG_ENABLE | CFG_MASK(KVM_VSM_PROT_ALL)));
	rec(modify(page, HV_PARTITION_ID_SELF, R, 0, 0, g_data_gfn, 1, 0));
}

static const u64 privilege_expect[] = { ST_SUCCESS | HV_REPS(1), ST_ACCESS_DENIED };

static void vtl1_default_case(u64 page)
{
	/* Must be a valid mask granting read and write. */
	rec(set_config(page, CFG_ENABLE | CFG_MASK(R)));
	rec(set_config(page, CFG_ENABLE | CFG_MASK(W)));
	rec(set_config(page, CFG_ENABLE | CFG_MASK(R | W | KX)));
	/* No execute for VTL0 anywhere, at once. */
	rec(set_config(page, CFG_ENABLE | CFG_MASK(R | W)));
	/* Write-once: another default, or disabling, is refused. */
	rec(set_config(page, CFG_ENABLE | CFG_MASK(KVM_VSM_PROT_ALL)));
	rec(set_config(page, 0));
	rec(set_config(page, CFG_ENABLE | CFG_MASK(R | W)));
	/* A page's own mask overrides the default. */
	rec(modify(page, HV_PARTITION_ID_SELF, KVM_VSM_PROT_ALL, 0, 0,
		   g_data_gfn, 1, 0));
}

static const u64 default_expect[] = {
	ST_INVALID_REG_VALUE, ST_INVALID_REG_VALUE, ST_INVALID_REG_VALUE,
	ST_SUCCESS | HV_REPS(1),
	ST_INVALID_REG_VALUE, ST_INVALID_REG_VALUE,
	ST_SUCCESS | HV_REPS(1),
	ST_SUCCESS | HV_REPS(1),
};

static void vtl1_main(void)
{
	wrmsr(HV_X64_MSR_GUEST_OS_ID, HYPERV_LINUX_OS_ID);
	wrmsr(HV_X64_MSR_HYPERCALL, g_page1_gpa | 1);
	switch (g_case) {
	case CASE_HYPERCALL:
		vtl1_hypercall_case(g_page1_gva);
		break;
	case CASE_PRIVILEGE:
		vtl1_privilege_case(g_page1_gva);
		break;
	case CASE_DEFAULT:
		vtl1_default_case(g_page1_gva);
		break;
	}
	vtl1_exit();
}

/* VTL0: it cannot restrict itself nor VTL1; then it calls VTL1. */
static void vtl0_guest(u64 vp)
{
	guest_hv_enable(g_page0_gpa);
	g_vtl0_res[0] = modify(g_page0_gva, HV_PARTITION_ID_SELF, R, 0, 0,
			       g_data_gfn, 1, 0);
	g_vtl0_res[1] = modify(g_page0_gva, HV_PARTITION_ID_SELF, R,
			       HV_USE_TARGET | 1, 0, g_data_gfn, 1, 0);
	memset(vtl0_in[0], 0, sizeof(vtl0_in[0]));
	vtl_transition(g_page0_gva, HVCALL_VTL_CALL, 0, vtl0_in[0], vtl0_out[0]);
	GUEST_DONE();
}

/* Set up a pair whose VTL1 runs @c, run it until VTL1's exit. */
static void run_case(struct __test_metadata *_metadata, struct vtl_pair *p,
		     u64 c, bool strip_access_vsm)
{
	struct kvm_cpuid_entry2 *e;
	u32 vtl;
	int i;

	vtl_pair_create(p, vtl0_guest, 0, VTL1_HOST_ENABLED);
	vtl1_set_rip(p, 0, vtl1_main);
	if (strip_access_vsm) {
		e = vcpu_get_cpuid_entry(p->vp[1][0], 0x40000003);
		e->ebx &= ~(1u << 16);
		vcpu_set_cpuid(p->vp[1][0]);
	}
	g_in_gva = vm_vaddr_alloc_page(p->vm[0]);
	g_in_gpa = addr_gva2gpa(p->vm[0], g_in_gva);
	for (i = 0; i < NR_DATA; i++)
		g_data_gfn[i] = addr_gva2gpa(p->vm[0],
					     vm_vaddr_alloc_page(p->vm[0])) >> 12;
	g_case = c;
	sync_global_to_guest(p->vm[0], g_in_gva);
	sync_global_to_guest(p->vm[0], g_in_gpa);
	sync_global_to_guest(p->vm[0], g_data_gfn);
	sync_global_to_guest(p->vm[0], g_case);

	ASSERT_EQ(0, kvmvsm_run_vp(p->part, 0, &vtl));
	ASSERT_EQ(1, vtl) TH_LOG("VTL0 exit %u", p->vp[0][0]->run->exit_reason);
	ASSERT_EQ(KVM_EXIT_IO, p->vp[1][0]->run->exit_reason);
	ASSERT_EQ(EXIT_PORT, p->vp[1][0]->run->io.port);
	sync_global_from_guest(p->vm[0], g_res);
	sync_global_from_guest(p->vm[0], g_nres);
	sync_global_from_guest(p->vm[0], g_vtl0_res);
}

static void expect_results(struct __test_metadata *_metadata,
			   const u64 *want, u64 n)
{
	u64 i;

	ASSERT_EQ(n, g_nres);
	for (i = 0; i < n; i++)
		EXPECT_EQ(want[i], g_res[i]) TH_LOG("call %llu", (unsigned long long)i);
}

static u8 get1(int part, u32 vtl, u64 gfn)
{
	u8 v = 0xee;

	if (kvmvsm_get_protection(part, vtl, gfn, &v, 1))
		return 0xff;
	return v;
}

FIXTURE(protection) {};
FIXTURE_SETUP(protection) {}
FIXTURE_TEARDOWN(protection) {}

TEST_F_TIMEOUT(protection, hypercall_forms_and_refusals, PROT_TIMEOUT)
{
	struct kvm_vsm_partition_info info;
	struct vtl_pair p;
	u8 buf[LONG_LIST];
	u64 own;
	int i, j;

	run_case(_metadata, &p, CASE_HYPERCALL, false);
	/* VTL0: targeting itself (no VTL below), targeting VTL1 (higher). */
	EXPECT_EQ(ST_INVALID_PARAMETER, g_vtl0_res[0]);
	EXPECT_EQ(ST_ACCESS_DENIED, g_vtl0_res[1]);
	expect_results(_metadata, hypercall_expect, ARRAY_SIZE(hypercall_expect));

	for (i = 0; i < 3; i++)
		EXPECT_EQ(R, get1(p.part, 0, g_data_gfn[i]));
	EXPECT_EQ(0, get1(p.part, 0, g_data_gfn[3]));	/* before the bad GPA */
	/* Rep 2 of that call was not applied: as the long list left it. */
	EXPECT_EQ(g_data_gfn[4] < LONG_LIST ? R | KX | UX : DFLT | KVM_VSM_PROT_ALL,
		  get1(p.part, 0, g_data_gfn[4]));
	EXPECT_EQ(R | W, get1(p.part, 0, g_data_gfn[5]));
	EXPECT_EQ(R | W, get1(p.part, 0, g_data_gfn[6]));
	EXPECT_EQ(KVM_VSM_PROT_ALL, get1(p.part, 0, g_data_gfn[7]));
	ASSERT_EQ(0, kvmvsm_get_protection(p.part, 0, 0, buf, LONG_LIST));
	for (i = 0; i < LONG_LIST; i++) {
		for (j = 0; j < NR_DATA && g_data_gfn[j] != (u64)i; j++)
			;
		if (j == NR_DATA)	/* the data pages: above */
			ASSERT_EQ(R | KX | UX, buf[i]) TH_LOG("gfn %#x", i);
	}
	EXPECT_EQ(DFLT | KVM_VSM_PROT_ALL, get1(p.part, 0, LONG_LIST));
	/* VTL1's own frames were never restricted. */
	EXPECT_EQ(DFLT | KVM_VSM_PROT_ALL, get1(p.part, 1, g_data_gfn[0]));
	ASSERT_EQ(0, kvmvsm_get_info(p.part, &info));
	own = LONG_LIST;
	for (j = 0; j < NR_DATA; j++)
		own += j != 4 && g_data_gfn[j] >= LONG_LIST;
	EXPECT_EQ(own, info.protected_pages);
	EXPECT_GT(info.protection_bytes, 0);
	vtl_pair_destroy(&p);
}

TEST_F_TIMEOUT(protection, hypercall_needs_access_vsm, PROT_TIMEOUT)
{
	struct vtl_pair p;

	run_case(_metadata, &p, CASE_PRIVILEGE, true);
	expect_results(_metadata, privilege_expect, ARRAY_SIZE(privilege_expect));
	EXPECT_EQ(DFLT | KVM_VSM_PROT_ALL, get1(p.part, 0, g_data_gfn[0]));
	vtl_pair_destroy(&p);
}

TEST_F_TIMEOUT(protection, default_mask_write_once, PROT_TIMEOUT)
{
	struct kvm_vsm_partition_info info;
	struct vtl_pair p;
	u64 npages, gfn;
	u8 *buf;

	run_case(_metadata, &p, CASE_DEFAULT, false);
	expect_results(_metadata, default_expect, ARRAY_SIZE(default_expect));
	/* Every frame of VTL0's memory has the default, at no cost per page. */
	npages = 4096;
	buf = malloc(npages);
	ASSERT_EQ(0, kvmvsm_get_protection(p.part, 0, 0, buf, npages));
	for (gfn = 0; gfn < npages; gfn++) {
		u8 want = gfn == g_data_gfn[0] ? KVM_VSM_PROT_ALL : DFLT | R | W;

		ASSERT_EQ(want, buf[gfn]) TH_LOG("gfn %#llx", (unsigned long long)gfn);
	}
	ASSERT_EQ(0, kvmvsm_get_info(p.part, &info));
	EXPECT_EQ(1, info.protected_pages);
	EXPECT_LE(info.protection_bytes, 256);
	/* VTL1 is not restricted by its own default. */
	EXPECT_EQ(DFLT | KVM_VSM_PROT_ALL, get1(p.part, 1, g_data_gfn[1]));
	/*
	 * Detaching VTL1 resets its VsmPartitionConfig: the default it gave
	 * VTL0 goes with it (a VMM cannot set a default itself), while a
	 * frame's own mask stays, as the VMM's state.
	 */
	ASSERT_EQ(0, kvmvsm_detach_vtl(p.part, 1));
	EXPECT_EQ(DFLT | KVM_VSM_PROT_ALL, get1(p.part, 0, g_data_gfn[1]));
	EXPECT_EQ(KVM_VSM_PROT_ALL, get1(p.part, 0, g_data_gfn[0]));
	free(buf);
	vtl_pair_destroy(&p);
}

/* ---- the VMM's ioctls ---- */

#define BIG_SLOT	7
#define BIG_GPA		(4ull << 30)
#define BIG_PAGES	(256ull * 1024)		/* 1 GiB */
#define BIG_GFN		(BIG_GPA >> 12)
#define ROUND_TRIP	100000

/* A 1 GiB memslot in both VMs, never touched. */
static void add_big_slot(struct vtl_pair *p)
{
	void *mem = mmap(NULL, BIG_PAGES << 12, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	struct kvm_userspace_memory_region r = {
		.slot = BIG_SLOT,
		.guest_phys_addr = BIG_GPA,
		.memory_size = BIG_PAGES << 12,
		.userspace_addr = (u64)mem,
	};

	TEST_ASSERT(mem != MAP_FAILED, "mmap 1 GiB");
	vm_ioctl(p->vm[0], KVM_SET_USER_MEMORY_REGION, &r);
	vm_ioctl(p->vm[1], KVM_SET_USER_MEMORY_REGION, &r);
}

static const u8 masks[] = {
	0, R, R | W, R | KX, R | UX, R | W | KX, R | W | UX, R | KX | UX,
	KVM_VSM_PROT_ALL, DFLT,
};

static int set_raw(int part, u32 vtl, const struct kvm_vsm_prot_entry *e,
		   u32 nr)
{
	return kvmvsm_set_protection(part, vtl, e, nr);
}

TEST_F_TIMEOUT(protection, vmm_round_trip_100000_pages, PROT_TIMEOUT)
{
	struct kvm_vsm_prot_entry *ents;
	struct kvm_vsm_partition_info info;
	u32 max, i, n, own = 0;
	struct vtl_pair p;
	u8 *want, *got;
	int dev;

	vtl_pair_create(&p, vtl0_guest, 0, VTL1_HOST_ENABLED);
	add_big_slot(&p);
	dev = kvmvsm_open();
	max = ioctl(dev, KVM_VSM_CHECK_EXTENSION, KVM_VSM_CAP_PROTECTION);
	close(dev);
	ASSERT_GE(max, 65536);

	want = calloc(BIG_PAGES, 1);
	got = calloc(BIG_PAGES, 1);
	ents = calloc(ROUND_TRIP, sizeof(*ents));
	memset(want, DFLT | KVM_VSM_PROT_ALL, BIG_PAGES);
	srandom(10);
	for (i = 0; i < ROUND_TRIP; i++) {
		u64 gfn;

		do {	/* 100 000 distinct frames */
			gfn = random() % BIG_PAGES;
		} while (want[gfn] != (DFLT | KVM_VSM_PROT_ALL));
		ents[i].gfn = BIG_GFN + gfn;
		ents[i].count = 1;
		ents[i].prot = masks[random() % (ARRAY_SIZE(masks) - 1)];
		want[gfn] = ents[i].prot;
		own++;
	}
	for (i = 0; i < ROUND_TRIP; i += n) {
		n = ROUND_TRIP - i < max ? ROUND_TRIP - i : max;
		ASSERT_EQ(0, set_raw(p.part, 0, ents + i, n));
	}
	for (i = 0; i < BIG_PAGES; i += n) {
		n = BIG_PAGES - i < max ? BIG_PAGES - i : max;
		ASSERT_EQ(0, kvmvsm_get_protection(p.part, 0, BIG_GFN + i, got + i, n));
	}
	for (i = 0; i < BIG_PAGES; i++)
		ASSERT_EQ(want[i], got[i]) TH_LOG("frame %u", i);
	ASSERT_EQ(0, kvmvsm_get_info(p.part, &info));
	EXPECT_EQ(own, info.protected_pages);
	printf("# %.2f bytes of state per restricted page\n",
	       (double)info.protection_bytes / own);

	/* A range, then DEFAULT over part of it: exactly that comes back. */
	ents[0] = (struct kvm_vsm_prot_entry){ .gfn = BIG_GFN, .count = 4096, .prot = R };
	ents[1] = (struct kvm_vsm_prot_entry){ .gfn = BIG_GFN + 100, .count = 1000,
					       .prot = DFLT };
	ASSERT_EQ(0, set_raw(p.part, 0, ents, 2));
	ASSERT_EQ(0, kvmvsm_get_protection(p.part, 0, BIG_GFN, got, 4096));
	for (i = 0; i < 4096; i++)
		ASSERT_EQ(i >= 100 && i < 1100 ? DFLT | KVM_VSM_PROT_ALL : R, got[i]);
	/* Everything back to the default: the state frees itself. */
	ents[0] = (struct kvm_vsm_prot_entry){ .gfn = BIG_GFN, .count = BIG_PAGES,
					       .prot = DFLT };
	ASSERT_EQ(0, set_raw(p.part, 0, ents, 1));
	ASSERT_EQ(0, kvmvsm_get_info(p.part, &info));
	EXPECT_EQ(0, info.protected_pages);
	EXPECT_EQ(0, info.protection_bytes);
	free(want);
	free(got);
	free(ents);
	vtl_pair_destroy(&p);
}

TEST_F_TIMEOUT(protection, vmm_bad_entries_change_nothing, PROT_TIMEOUT)
{
	struct kvm_vsm_prot_entry e[3];
	struct kvm_vsm_protection a;
	struct vtl_pair p;
	u8 v;
	int i;

	vtl_pair_create(&p, vtl0_guest, 0, VTL1_HOST_ENABLED);
	add_big_slot(&p);

	/* Entries 0 and 1 valid, entry 2 bad in each way: nothing applied. */
	struct { struct kvm_vsm_prot_entry bad; int err; } cases[] = {
		{ { .gfn = BIG_GFN + 9, .count = 1, .prot = W }, -EINVAL },
		{ { .gfn = BIG_GFN + 9, .count = 1, .prot = 0x10 | R }, -EINVAL },
		{ { .gfn = BIG_GFN + 9, .count = 1, .prot = DFLT | R }, -EINVAL },
		{ { .gfn = BIG_GFN + 9, .count = 0, .prot = R }, -EINVAL },
		{ { .gfn = BIG_GFN + 9, .count = 1, .prot = R, .pad = { 1 } }, -EINVAL },
		{ { .gfn = ~0ull - 1, .count = 4, .prot = R }, -EINVAL },
		{ { .gfn = BIG_GFN + BIG_PAGES - 1, .count = 2, .prot = R }, -ERANGE },
		{ { .gfn = BAD_GFN, .count = 1, .prot = R }, -ERANGE },
	};
	for (i = 0; i < (int)ARRAY_SIZE(cases); i++) {
		e[0] = (struct kvm_vsm_prot_entry){ .gfn = BIG_GFN, .count = 600, .prot = 0 };
		e[1] = (struct kvm_vsm_prot_entry){ .gfn = BIG_GFN + 5000, .count = 1, .prot = R };
		e[2] = cases[i].bad;
		EXPECT_EQ(cases[i].err, set_raw(p.part, 0, e, 3)) TH_LOG("case %d", i);
		EXPECT_EQ(DFLT | KVM_VSM_PROT_ALL, get1(p.part, 0, BIG_GFN));
		EXPECT_EQ(DFLT | KVM_VSM_PROT_ALL, get1(p.part, 0, BIG_GFN + 599));
		EXPECT_EQ(DFLT | KVM_VSM_PROT_ALL, get1(p.part, 0, BIG_GFN + 5000));
	}
	e[0] = (struct kvm_vsm_prot_entry){ .gfn = BIG_GFN, .count = 1, .prot = R };
	/* Target VTL not attached, or not a VTL. */
	EXPECT_EQ(-ENOENT, set_raw(p.part, 2, e, 1));
	EXPECT_EQ(-EINVAL, set_raw(p.part, 16, e, 1));
	EXPECT_EQ(-ENOENT, kvmvsm_get_protection(p.part, 2, BIG_GFN, &v, 1));
	EXPECT_EQ(-EINVAL, kvmvsm_get_protection(p.part, 16, BIG_GFN, &v, 1));
	/* Too many; bad pointers. */
	EXPECT_EQ(-E2BIG, set_raw(p.part, 0, e, 1u << 20));
	EXPECT_EQ(-E2BIG, kvmvsm_get_protection(p.part, 0, BIG_GFN, &v, 1u << 20));
	EXPECT_EQ(-EFAULT, set_raw(p.part, 0, (void *)8, 1));
	EXPECT_EQ(-EFAULT, kvmvsm_get_protection(p.part, 0, BIG_GFN, (void *)8, 1));
	EXPECT_EQ(-EINVAL, kvmvsm_get_protection(p.part, 0, ~0ull, &v, 2));
	/* flags, pad, reserved, and gfn on a set must be 0. */
	memset(&a, 0, sizeof(a));
	a.nr = 1;
	a.entries = (u64)e;
	a.flags = 1;
	EXPECT_EQ(-1, ioctl(p.part, KVM_VSM_SET_PROTECTION, &a));
	EXPECT_EQ(EINVAL, errno);
	a.flags = 0;
	a.pad = 1;
	EXPECT_EQ(-1, ioctl(p.part, KVM_VSM_SET_PROTECTION, &a));
	EXPECT_EQ(EINVAL, errno);
	a.pad = 0;
	a.reserved[3] = 1;
	EXPECT_EQ(-1, ioctl(p.part, KVM_VSM_GET_PROTECTION, &a));
	EXPECT_EQ(EINVAL, errno);
	a.reserved[3] = 0;
	a.gfn = BIG_GFN;
	EXPECT_EQ(-1, ioctl(p.part, KVM_VSM_SET_PROTECTION, &a));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(DFLT | KVM_VSM_PROT_ALL, get1(p.part, 0, BIG_GFN));
	/* And the same entry, valid, applies. */
	EXPECT_EQ(0, set_raw(p.part, 0, e, 1));
	EXPECT_EQ(R, get1(p.part, 0, BIG_GFN));
	vtl_pair_destroy(&p);
}

/* ---- a tightening from the VMM on a page already mapped ---- */

static u64 g_page_gva;

static void writer_guest(u64 vp)
{
	WRITE_ONCE(*(u64 *)g_page_gva, 1);	/* mapped writable */
	GUEST_SYNC(1);
	WRITE_ONCE(*(u64 *)g_page_gva, 2);	/* read-only now: held */
	GUEST_DONE();
}

/*
 * VP0 of @p (no VTL1) writes the frame @e made read-only, mapped at @hva
 * and holding 1: KVM_RUN ends with a write intercept for the VMM and the
 * page is kept; loosened, the same write is re-executed and the guest
 * finishes (the caller checks what landed).
 */
static void write_intercept_then_loosen(struct __test_metadata *_metadata,
					struct vtl_pair *p,
					struct kvm_vsm_prot_entry *e, u64 *hva)
{
	struct kvm_run *run = p->vcpu[0]->run;
	struct ucall uc;
	u32 vtl;

	ASSERT_EQ(0, vsm_run_vp(p->part, 0, &vtl, p->vcpu));
	ASSERT_EQ(KVM_EXIT_HYPERV, run->exit_reason);
	ASSERT_EQ(KVM_VSM_EXIT_HYPERV_MEMORY_INTERCEPT, run->hyperv.type);
	EXPECT_EQ(e->gfn << 12, run->hyperv.u.hcall.input);
	EXPECT_EQ(KVM_VSM_ACCESS_WRITE, run->hyperv.u.hcall.params[1]);
	EXPECT_EQ(1, *hva);
	e->prot = KVM_VSM_PROT_ALL;
	ASSERT_EQ(0, kvmvsm_set_protection(p->part, 0, e, 1));
	ASSERT_EQ(0, vsm_run_vp(p->part, 0, &vtl, p->vcpu));
	ASSERT_EQ(UCALL_DONE, get_ucall(p->vcpu[0], &uc));
}

TEST_F_TIMEOUT(protection, vmm_tightening_takes_effect, PROT_TIMEOUT)
{
	struct kvm_vsm_prot_entry e = { .count = 1, .prot = R };
	struct vtl_pair p;
	struct ucall uc;
	u64 *hva, gpa;
	u32 vtl;

	vtl_pair_create(&p, writer_guest, 0, VTL1_NONE);
	g_page_gva = vm_vaddr_alloc_page(p.vm[0]);
	gpa = addr_gva2gpa(p.vm[0], g_page_gva);
	hva = addr_gva2hva(p.vm[0], g_page_gva);
	sync_global_to_guest(p.vm[0], g_page_gva);
	e.gfn = gpa >> 12;

	ASSERT_EQ(0, vsm_run_vp(p.part, 0, &vtl, p.vcpu));
	ASSERT_EQ(UCALL_SYNC, get_ucall(p.vcpu[0], &uc));
	ASSERT_EQ(1, *hva);
	/* No VTL1: the denied write ends KVM_RUN as an intercept for us. */
	ASSERT_EQ(0, kvmvsm_set_protection(p.part, 0, &e, 1));
	write_intercept_then_loosen(_metadata, &p, &e, hva);
	EXPECT_EQ(2, *hva);
	vtl_pair_destroy(&p);
}

/* ---- a long KVM_VSM_SET_PROTECTION gives the CPU up ---- */

static int g_tick_stop;
static u64 g_tick_gap_ns;	/* the longest the ticker went without running */

static void *ticker(void *arg)
{
	u64 last = vsm_now_ns(), t;

	while (!READ_ONCE(g_tick_stop)) {
		t = vsm_now_ns();
		if (t - last > g_tick_gap_ns)
			g_tick_gap_ns = t - last;
		last = t;
	}
	return NULL;
}

/*
 * 16384 entries each over a whole 1 GiB memslot: seconds of kernel work.
 * A thread on the same CPU must still run meanwhile (a kernel without
 * preemption otherwise reports a soft lockup, and RCU stalls).
 */
TEST_F_TIMEOUT(protection, vmm_long_set_yields_cpu, PROT_TIMEOUT)
{
	struct kvm_vsm_prot_entry *ents;
	u64 t0, elapsed;
	struct vtl_pair p;
	pthread_t tid;
	cpu_set_t one;
	u32 i, nr = 16384;

	vtl_pair_create(&p, vtl0_guest, 0, VTL1_HOST_ENABLED);
	add_big_slot(&p);
	ents = calloc(nr, sizeof(*ents));
	for (i = 0; i < nr; i++)
		ents[i] = (struct kvm_vsm_prot_entry){
			.gfn = BIG_GFN, .count = BIG_PAGES, .prot = i & 1 ? R | W : R,
		};
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(one), &one));
	WRITE_ONCE(g_tick_stop, 0);
	ASSERT_EQ(0, pthread_create(&tid, NULL, ticker, NULL));
	ASSERT_EQ(0, pthread_setaffinity_np(tid, sizeof(one), &one));
	usleep(100000);
	g_tick_gap_ns = 0;
	t0 = vsm_now_ns();
	ASSERT_EQ(0, set_raw(p.part, 0, ents, nr));
	elapsed = vsm_now_ns() - t0;
	usleep(100000);
	WRITE_ONCE(g_tick_stop, 1);
	pthread_join(tid, NULL);
	printf("# set took %llu ms, ticker's longest gap %llu ms\n",
	       (unsigned long long)elapsed / 1000000,
	       (unsigned long long)g_tick_gap_ns / 1000000);
	EXPECT_EQ(R | W, get1(p.part, 0, BIG_GFN + 7));
	free(ents);
	vtl_pair_destroy(&p);
	/*
	 * Against the same run, not a fixed time: without a scheduling point
	 * the ticker cannot run at all while the ioctl works (its longest gap
	 * is the whole call); with them, a scheduler slice. A call too short
	 * to tell the two apart (fast hardware) is not a failure.
	 */
	if (elapsed < 200000000ull)
		SKIP(return, "the set took %llu ms: too short to tell",
		     (unsigned long long)elapsed / 1000000);
	EXPECT_LT(g_tick_gap_ns, elapsed / 4);
}

/* ---- KVM's own mapping of a guest-chosen GPA (SVM VMSAVE) ---- */

#define EFER_SVME_BIT	BIT_ULL(12)
#define VMSAVE_LEN	3
#define GS_BASE_MAGIC	0x1122334455667788ull

static u64 g_vmsave_gpa, g_gp_count;

static void gp_handler(struct ex_regs *regs)
{
	g_gp_count++;
	regs->rip += VMSAVE_LEN;
}

/*
 * VTL0 with SVM in its CPUID: VMSAVE into a page it may only read. KVM
 * emulates it through its own mapping of the page (kvm_vcpu_map), not
 * the guest's SPTEs.
 */
static void vmsave_guest(u64 vp)
{
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME_BIT);
	wrmsr(MSR_KERNEL_GS_BASE, GS_BASE_MAGIC);
	asm volatile(".byte 0x0f, 0x01, 0xdb"	/* vmsave (%rax) */
		     : : "a"(g_vmsave_gpa) : "memory");
	GUEST_SYNC(g_gp_count);
	GUEST_DONE();
}

TEST_F_TIMEOUT(protection, vmsave_into_read_only_page_refused, PROT_TIMEOUT)
{
	struct kvm_vsm_prot_entry e = { .count = 1, .prot = R };
	struct vtl_pair p;
	struct ucall uc;
	u8 *hva, want[4096];
	u64 gva;
	u32 vtl;

	vtl_pair_create(&p, vmsave_guest, 0, VTL1_NONE);
	if (!kvm_cpu_has(X86_FEATURE_SVM)) {
		vtl_pair_destroy(&p);
		SKIP(return, "no nested SVM");
	}
	vm_install_exception_handler(p.vm[0], GP_VECTOR, gp_handler);
	gva = vm_vaddr_alloc_page(p.vm[0]);
	g_vmsave_gpa = addr_gva2gpa(p.vm[0], gva);
	sync_global_to_guest(p.vm[0], g_vmsave_gpa);
	hva = addr_gva2hva(p.vm[0], gva);
	memset(hva, 0xa5, 4096);
	memcpy(want, hva, sizeof(want));
	e.gfn = g_vmsave_gpa >> 12;
	ASSERT_EQ(0, kvmvsm_set_protection(p.part, 0, &e, 1));

	ASSERT_EQ(0, vsm_run_vp(p.part, 0, &vtl, p.vcpu));
	/* 6.1/6.12: #GP as for a GPA without memory; 7.x: an internal error exit. */
	if (p.vcpu[0]->run->exit_reason != KVM_EXIT_INTERNAL_ERROR) {
		ASSERT_EQ(UCALL_SYNC, get_ucall(p.vcpu[0], &uc));
		EXPECT_EQ(1, uc.args[1]);
	}
	EXPECT_EQ(0, memcmp(want, hva, sizeof(want)));
	vtl_pair_destroy(&p);
}

/* ---- a nested (L2) guest of VTL0 without nested paging ---- */

#define L2_STACK_WORDS	256

static u64 g_l2_target_gva;
static u64 g_svm_gva;
/* Unused where the library gives the L2 a stack of its own. */
static unsigned long l2_stack[L2_STACK_WORDS] __maybe_unused;

static void l2_writer(void)
{
	WRITE_ONCE(*(u64 *)g_l2_target_gva, 0x5a5a5a5a);
	asm volatile("vmmcall" ::: "memory");
}

/*
 * VTL0 runs an L2 that shares its page tables and, without nested
 * paging, its GPAs: KVM faults them in through VTL0's own TDP MMU, so
 * VTL0's protections must judge them as its own accesses.
 */
static void l1_nested_guest(u64 vp)
{
	struct svm_test_data *svm = (void *)g_svm_gva;

#ifdef VSM_LIB_SVM_OWN_STACK
	generic_svm_setup(svm, l2_writer);
#else
	generic_svm_setup(svm, l2_writer, &l2_stack[L2_STACK_WORDS]);
#endif
	run_guest(svm->vmcb, svm->vmcb_gpa);
	GUEST_ASSERT(svm->vmcb->control.exit_code == SVM_EXIT_VMMCALL);
	GUEST_DONE();
}

TEST_F_TIMEOUT(protection, nested_guest_write_intercepted, 60)
{
	struct kvm_vsm_prot_entry e = { .count = 1, .prot = R };
	struct vtl_pair p;
	vm_vaddr_t svm_gva;
	u64 *hva, gpa;

	vtl_pair_create(&p, l1_nested_guest, 0, VTL1_NONE);
	if (!kvm_cpu_has(X86_FEATURE_SVM)) {
		vtl_pair_destroy(&p);
		SKIP(return, "no nested SVM");
	}
	vcpu_alloc_svm(p.vm[0], &svm_gva);
	g_svm_gva = svm_gva;
	g_l2_target_gva = vm_vaddr_alloc_page(p.vm[0]);
	gpa = addr_gva2gpa(p.vm[0], g_l2_target_gva);
	hva = addr_gva2hva(p.vm[0], g_l2_target_gva);
	*hva = 1;
	sync_global_to_guest(p.vm[0], g_svm_gva);
	sync_global_to_guest(p.vm[0], g_l2_target_gva);
	e.gfn = gpa >> 12;
	ASSERT_EQ(0, kvmvsm_set_protection(p.part, 0, &e, 1));

	/* L2's write to the read-only page: an intercept, the page kept. */
	write_intercept_then_loosen(_metadata, &p, &e, hva);
	EXPECT_EQ(0x5a5a5a5a, *hva);
	vtl_pair_destroy(&p);
}

TEST_HARNESS_MAIN
