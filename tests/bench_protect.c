// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmarks of memory protection (numbers, never timed asserts):
 *
 * 1. Protecting then unprotecting PROT_PAGES scattered 4 KiB pages of VTL0
 *    from VTL1 with HvCallModifyVtlProtectionMask (memory form, 510 GPAs
 *    per call) and from the VMM with KVM_VSM_SET_PROTECTION, against the
 *    memslot way: a VM split into as many single-page memslots as KVM
 *    allows, each protected page made KVM_MEM_READONLY by deleting and
 *    re-creating its slot (and back).
 * 2. A write intercept round trip (VTL0 writes a read-only page, VTL1's
 *    handler makes it writable, VtlReturn, the write completes) against a
 *    plain VtlCall + VtlReturn through the same VTL1 gate.
 * 3. VTL0 touching TOUCH_BYTES of fresh memory (first touch faults, then a
 *    second pass) with PROT_PAGES pages restricted elsewhere vs none, in
 *    interleaved chunks of one VM.
 * 4. KVM_VSM_GET_PARTITION_INFO's protection_bytes per restricted page,
 *    PROT_PAGES pages over a 1 GiB guest: scattered, in runs of 64, and
 *    one dense stretch of mixed masks (the steady state of a region).
 *
 * Each time of 1 and 2 is the best of BENCH_REPEAT runs; ratios are
 * against the baseline of the same run.
 */
#include <sys/mman.h>
#include <time.h>

#include "kvm_util.h"
#include "processor.h"
#include "hyperv.h"
#include "vsm_test.h"
#include "vsm_guest.h"
#include "kvmvsm.h"
#include "vsm_vtl.h"

#define BENCH_REPEAT	3

#define PROT_PAGES	100000u
/* The VTL0 memory of the benchmark VM: a 1 GiB slot and a small one. */
#define BIG_SLOT	10
#define BIG_GPA		(4ull << 30)
#define BIG_PAGES	(262144u)		/* 1 GiB */
#define AUX_SLOT	11
#define AUX_GPA		(BIG_GPA + BIG_PAGES * 4096ull)
#define AUX_PAGES	512u			/* 2 MiB */
/* Both mapped with 2 MiB guest pages, far from the library's addresses. */
#define BIG_GVA		BIT_ULL(42)
#define AUX_GVA		(BIG_GVA + BIG_PAGES * 4096ull)
/* Protected pages come from the low 768 MiB, touches go to the top 256 MiB. */
#define PROT_AREA	196608u
#define TOUCH_FIRST	PROT_AREA
#define TOUCH_PAGES	(BIG_PAGES - PROT_AREA)
#define TOUCH_BYTES	(TOUCH_PAGES * 4096ull)
/* Touched in chunks, the two cases interleaved A B B A A B B A ... */
#define TOUCH_CHUNKS	32u
#define CHUNK_PAGES	(TOUCH_PAGES / TOUCH_CHUNKS)

/* HvCallModifyVtlProtectionMask memory form: 16-byte header + 510 GPAs. */
#define HVCALL_MODIFY_VTL_PROTECTION_MASK	0x000c
#define GPAS_PER_CALL	510u
#define LIST_PAGES	((PROT_PAGES + GPAS_PER_CALL - 1) / GPAS_PER_CALL)
/* aux pages: the lists, VTL1's single-GPA input page, VTL1's SIMP. */
#define AUX_ONE		LIST_PAGES
#define AUX_SIMP	(LIST_PAGES + 1)

#define MAP_R		0x1u
#define MAP_RW_X	0xfu		/* read, write, kernel and user execute */
#define MAP_R_X		0xdu		/* read-only, executable */
/*
 * HV_INPUT_VTL 0: no target, so the caller (VTL1) names itself and its
 * protections of the VTL below change, as Microsoft's VTL1 kernels call it
 * (src/protection.c).
 */
#define INPUT_VTL_SELF	0x0u

#define HVCALL_SET_VP_REGISTERS		0x0051
#define HV_REG_VSM_PARTITION_CONFIG	0x000d0007

#define HVMSG_GPA_INTERCEPT	0x80000001u
#define HV_MSG_PENDING		0x1u
#define HV_VTL_ENTRY_INTERCEPT	3

/* Intercept round trips and plain VTL round trips per run. */
#define ICPT_ITERS	1000u

/* The memslot baseline: pages protected and unprotected, of the slots. */
#define MEMSLOT_PAGES	2000u

enum { CMD_NONE, CMD_PROTECT, CMD_UNPROTECT };
enum { MODE_PROTECT, MODE_INTERCEPT, MODE_TOUCH };

/* Guest globals (shared by both VTLs' code). */
static u64 g_mode, g_cmd, g_list_gpa[LIST_PAGES], g_list_n[LIST_PAGES];
static u64 g_icpt_gfn[ICPT_ITERS], g_icpt_on;
static u64 g_icpt_entries, g_calls, g_vtl1_err, g_vtl1_err_what;

/* ---- Guest code --------------------------------------------------------- */

static void vtl1_err(u64 what)
{
	g_vtl1_err++;
	g_vtl1_err_what = what;
}

/*
 * HvCallModifyVtlProtectionMask, rep, as Linux's hv_do_rep_hypercall():
 * re-issued from the reps completed until all are done. Returns the
 * status of the last call.
 */
static u64 vtl1_modify(u64 in_gpa, u64 reps)
{
	u64 done = 0, res;

	do {
		res = guest_hv_call(g_page1_gva, HVCALL_MODIFY_VTL_PROTECTION_MASK |
				    reps << 32 | done << 48, in_gpa, 0);
		g_calls++;
		if (res & 0xffff)
			return res & 0xffff;
		done = (res >> 32) & 0xfff;
	} while (done < reps);
	return 0;
}

static void vtl1_modify_list(u32 flags)
{
	u64 i, st;

	for (i = 0; i < LIST_PAGES; i++) {
		u64 *page = (u64 *)(AUX_GVA + i * 4096);

		/* map_flags, input_vtl: the low 5 bytes of the second u64. */
		page[1] = flags | (u64)INPUT_VTL_SELF << 32;
		st = vtl1_modify(g_list_gpa[i], g_list_n[i]);
		if (st)
			vtl1_err(0x100 + st);
	}
}

/*
 * A write intercept: the GPA from the GPA intercept message in SINT0's
 * slot of VTL1's SIMP, made writable, the message slot freed.
 */
static void vtl1_intercept(void)
{
	u8 *msg = (u8 *)(AUX_GVA + AUX_SIMP * 4096);
	u64 *one = (u64 *)(AUX_GVA + AUX_ONE * 4096);
	u64 gpa, st;

	g_icpt_entries++;
	if (READ_ONCE(*(u32 *)msg) != HVMSG_GPA_INTERCEPT) {
		vtl1_err(1);
		return;
	}
	/* Header 16 bytes, intercept header 40, then up to the GPA: 56. */
	gpa = *(u64 *)(msg + 16 + 56);
	one[0] = ~0ull;
	one[1] = MAP_RW_X | (u64)INPUT_VTL_SELF << 32;
	one[2] = gpa >> 12;
	st = vtl1_modify(AUX_GPA + AUX_ONE * 4096, 1);
	if (st)
		vtl1_err(0x200 + st);
	WRITE_ONCE(*(u32 *)msg, 0);
	if (READ_ONCE(msg[5]) & HV_MSG_PENDING)
		wrmsr(HV_X64_MSR_EOM, 0);
}

static void vtl1_entry(u64 vp, u64 *regs)
{
	struct vp_assist *a = (void *)g_assist1_gva[0];
	u32 reason = READ_ONCE(a->vtl_entry_reason);

	if (reason == HV_VTL_ENTRY_INTERCEPT) {
		vtl1_intercept();
	} else if (reason == 1) {
		switch (READ_ONCE(g_cmd)) {
		case CMD_PROTECT:
			vtl1_modify_list(MAP_R_X);
			break;
		case CMD_UNPROTECT:
			vtl1_modify_list(MAP_RW_X);
			break;
		}
	} else {
		vtl1_err(2);
	}
	WRITE_ONCE(a->vtl_entry_reason, 0);
	a->vtl_ret_rax = regs[GATE_RAX];
	a->vtl_ret_rcx = regs[GATE_RCX];
}

/*
 * VsmPartitionConfig = EnableVtlProtection, default mask RWX, as a secure
 * kernel starts: a VTL changes its protections of the VTL below only
 * with VTL protection enabled (openvmm; src/protection.c).
 */
static void vtl1_enable_protection(void)
{
	u64 *in = (u64 *)(AUX_GVA + AUX_ONE * 4096), r;

	in[0] = ~0ull;			/* HV_PARTITION_ID_SELF */
	in[1] = 0xfffffffeu;		/* HV_VP_INDEX_SELF, input VTL 0 */
	in[2] = HV_REG_VSM_PARTITION_CONFIG;
	in[3] = 0;
	in[4] = 1 | MAP_RW_X << 1;
	in[5] = 0;
	r = guest_hv_call(g_page1_gva, HVCALL_SET_VP_REGISTERS | 1ull << 32,
			  AUX_GPA + AUX_ONE * 4096, 0);
	if (r != 1ull << 32)
		vtl1_err(0x300 + (r & 0xffff));
}

static void vtl1_main(void)
{
	wrmsr(HV_X64_MSR_GUEST_OS_ID, HYPERV_LINUX_OS_ID);
	wrmsr(HV_X64_MSR_HYPERCALL, g_page1_gpa | 1);
	vtl1_enable_protection();
	wrmsr(HV_X64_MSR_VP_ASSIST_PAGE_MSR, g_assist1_gpa[0] | 1);
	wrmsr(HV_X64_MSR_SIMP, (AUX_GPA + AUX_SIMP * 4096) | 1);
	wrmsr(HV_X64_MSR_SCONTROL, 1);
	vtl1_gate(0, g_page1_gva, vtl1_entry);
}

static void vtl0_cmd(u64 cmd)
{
	WRITE_ONCE(g_cmd, cmd);
	guest_hv_call(g_page0_gva, HVCALL_VTL_CALL, 0, 0);
}

static void vtl0_guest(u64 vp)
{
	u64 *big = (u64 *)BIG_GVA;
	u64 i, r;

	guest_hv_enable(g_page0_gpa);
	vtl0_cmd(CMD_NONE);		/* VTL1 sets itself up, returns */
	switch (g_mode) {
	case MODE_PROTECT:
		for (r = 0; r < g_iters; r++) {
			GUEST_SYNC(1);
			vtl0_cmd(CMD_PROTECT);
			GUEST_SYNC(2);
			vtl0_cmd(CMD_UNPROTECT);
			GUEST_SYNC(3);
		}
		break;
	case MODE_INTERCEPT:
		GUEST_SYNC(1);
		for (i = 0; i < ICPT_ITERS; i++)
			vtl0_cmd(CMD_NONE);
		GUEST_SYNC(2);
		if (!g_icpt_on)
			break;
		for (i = 0; i < ICPT_ITERS; i++)
			WRITE_ONCE(big[g_icpt_gfn[i] * 512], i + 1);
		GUEST_SYNC(3);
		/* The host checks that each write entered VTL1. */
		for (i = 0; i < ICPT_ITERS; i++)
			GUEST_ASSERT_EQ(READ_ONCE(big[g_icpt_gfn[i] * 512]), i + 1);
		break;
	case MODE_TOUCH:
		for (r = 0; r < 2 * TOUCH_CHUNKS; r++) {
			u64 first = TOUCH_FIRST + r % TOUCH_CHUNKS * CHUNK_PAGES;

			GUEST_SYNC(1);
			for (i = 0; i < CHUNK_PAGES; i++)
				WRITE_ONCE(big[(first + i) * 512], i);
			GUEST_SYNC(2);
		}
		break;
	}
	GUEST_DONE();
}

/* ---- Host side ---------------------------------------------------------- */

static u64 rng_state = 0x9e3779b97f4a7c15ull;

static u64 rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* @n distinct frames of [0, @range), in random order. */
static u32 *scattered(u32 n, u32 range)
{
	u32 *a = malloc(range * sizeof(*a)), i, j, t;

	TEST_ASSERT(a, "malloc");
	for (i = 0; i < range; i++)
		a[i] = i;
	for (i = 0; i < n; i++) {
		j = i + rng() % (range - i);
		t = a[i];
		a[i] = a[j];
		a[j] = t;
	}
	return a;
}

/*
 * The VTL pair with the 1 GiB + 2 MiB of memory, in both VMs (same
 * backing), mapped into the guest; VTL1 runs vtl1_main().
 */
static void prot_pair_create(struct vtl_pair *p, u64 mode, u64 iters)
{
	u64 slots[2][3] = {
		{ BIG_SLOT, BIG_GPA, BIG_PAGES }, { AUX_SLOT, AUX_GPA, AUX_PAGES },
	};
	int i;

	vtl_pair_create(p, vtl0_guest, iters, VTL1_HOST_ENABLED);
	for (i = 0; i < 2; i++) {
		struct kvm_userspace_memory_region r = {
			.slot = slots[i][0],
			.guest_phys_addr = slots[i][1],
			.memory_size = slots[i][2] * 4096,
		};

		vm_userspace_mem_region_add(p->vm[0], VM_MEM_SRC_ANONYMOUS,
					    slots[i][1], slots[i][0], slots[i][2], 0);
		r.userspace_addr = (u64)addr_gpa2hva(p->vm[0], slots[i][1]);
		vm_ioctl(p->vm[1], KVM_SET_USER_MEMORY_REGION, &r);
	}
	virt_map_level(p->vm[0], BIG_GVA, BIG_GPA, (BIG_PAGES + AUX_PAGES) * 4096ull,
		       PG_LEVEL_2M);
	/* VTL1 gets intercept messages in its SIMP: KVM's SynIC on. */
	vcpu_enable_cap(p->vp[1][0], KVM_CAP_HYPERV_SYNIC2, 0);
	vtl1_set_rip(p, 0, vtl1_main);
	g_mode = mode;
	sync_global_to_guest(p->vm[0], g_mode);
}

/*
 * Run VP0 to VTL0's next ucall, which must be @want. VTL1's SynIC MSR
 * writes exit to the VMM (KVM_EXIT_HYPERV_SYNIC), which just re-enters.
 */
static void run_to(struct vtl_pair *p, u64 want)
{
	struct kvm_run *run;
	struct ucall uc;
	u32 vtl;
	u64 got;
	int r;

	for (;;) {
		r = vsm_run_vp(p->part, 0, &vtl, p->vcpu);
		TEST_ASSERT(!r, "KVM_VSM_RUN_VP: %d", r);
		run = p->vcpu[vtl]->run;
		if (run->exit_reason == KVM_EXIT_HYPERV &&
		    run->hyperv.type == KVM_EXIT_HYPERV_SYNIC)
			continue;
		TEST_ASSERT(vtl == 0, "exit %u from VTL1", run->exit_reason);
		got = get_ucall(p->vcpu[0], &uc);
		if (got == UCALL_ABORT)
			REPORT_GUEST_ASSERT(uc);
		TEST_ASSERT(got == want, "guest: ucall %lu, expected %lu", got, want);
		/* VTL1 cannot ucall: it reports in memory. */
		sync_global_from_guest(p->vm[0], g_vtl1_err);
		sync_global_from_guest(p->vm[0], g_vtl1_err_what);
		TEST_ASSERT(!g_vtl1_err, "VTL1: %lu errors, the last %#lx",
			    g_vtl1_err, g_vtl1_err_what);
		return;
	}
}

/*
 * KVM_VSM_SET_PROTECTION of VTL0 with @nr entries, in calls of at most
 * @max entries. 0 or -errno.
 */
static int set_prot(int part, struct kvm_vsm_prot_entry *e, u32 nr, u32 max)
{
	while (nr) {
		struct kvm_vsm_protection pr = {
			.vtl = 0,
			.nr = nr < max ? nr : max,
			.entries = (u64)e,
		};

		if (ioctl(part, KVM_VSM_SET_PROTECTION, &pr))
			return -errno;
		e += pr.nr;
		nr -= pr.nr;
	}
	return 0;
}

/* Single-page entries for @frames of the 1 GiB slot, mask @prot. */
static void entries_fill(struct kvm_vsm_prot_entry *e, const u32 *frames,
			 u32 n, u8 prot)
{
	u32 i;

	for (i = 0; i < n; i++) {
		memset(&e[i], 0, sizeof(e[i]));
		e[i].gfn = (BIG_GPA >> 12) + frames[i];
		e[i].count = 1;
		e[i].prot = prot;
	}
}

static u32 prot_max_entries(int dev)
{
	int r = ioctl(dev, KVM_VSM_CHECK_EXTENSION, KVM_VSM_CAP_PROTECTION);

	return r > 0 ? r : 0;
}

/* ---- 1. Protect + unprotect: hypercall, ioctl ---------------------------- */

struct prot_result {
	double hypercall_ns, ioctl_ns;	/* per page, protect + unprotect */
	/* Per page, each half of the best run: [0] protect, [1] unprotect. */
	double hypercall_half[2], ioctl_half[2];
	u64 calls;			/* hypercalls made for one protect */
};

static void bench_protect(const u32 *frames, u32 max, struct prot_result *res)
{
	struct kvm_vsm_prot_entry *on, *off;
	struct vtl_pair p;
	u64 t0, t1, i, n;
	int r;

	prot_pair_create(&p, MODE_PROTECT, BENCH_REPEAT);
	/* The GPA lists: header (partition -1, flags set by VTL1) + GPAs. */
	for (i = 0; i < LIST_PAGES; i++) {
		u64 *page = addr_gpa2hva(p.vm[0], AUX_GPA + i * 4096);

		n = PROT_PAGES - i * GPAS_PER_CALL;
		n = n < GPAS_PER_CALL ? n : GPAS_PER_CALL;
		page[0] = ~0ull;
		for (r = 0; r < (int)n; r++)
			page[2 + r] = BIG_GPA / 4096 + frames[i * GPAS_PER_CALL + r];
		g_list_gpa[i] = AUX_GPA + i * 4096;
		g_list_n[i] = n;
	}
	sync_global_to_guest(p.vm[0], g_list_gpa);
	sync_global_to_guest(p.vm[0], g_list_n);

	on = calloc(PROT_PAGES, sizeof(*on));
	off = calloc(PROT_PAGES, sizeof(*off));
	TEST_ASSERT(on && off, "malloc");
	entries_fill(on, frames, PROT_PAGES, KVM_VSM_PROT_READ |
		     KVM_VSM_PROT_KX | KVM_VSM_PROT_UX);
	entries_fill(off, frames, PROT_PAGES, KVM_VSM_PROT_ALL);

	res->hypercall_ns = 1e30;
	res->ioctl_ns = 1e30;
	for (i = 0; i < BENCH_REPEAT; i++) {
		u64 tm;

		run_to(&p, UCALL_SYNC);
		t0 = vsm_now_ns();
		run_to(&p, UCALL_SYNC);
		tm = vsm_now_ns();
		run_to(&p, UCALL_SYNC);
		t1 = vsm_now_ns();
		if ((double)(t1 - t0) / PROT_PAGES < res->hypercall_ns) {
			res->hypercall_ns = (double)(t1 - t0) / PROT_PAGES;
			res->hypercall_half[0] = (double)(tm - t0) / PROT_PAGES;
			res->hypercall_half[1] = (double)(t1 - tm) / PROT_PAGES;
		}
		/* The guest waits at its sync: the VMM's turn. */
		t0 = vsm_now_ns();
		r = set_prot(p.part, on, PROT_PAGES, max);
		TEST_ASSERT(!r, "KVM_VSM_SET_PROTECTION: %d", r);
		tm = vsm_now_ns();
		r = set_prot(p.part, off, PROT_PAGES, max);
		TEST_ASSERT(!r, "KVM_VSM_SET_PROTECTION: %d", r);
		t1 = vsm_now_ns();
		if ((double)(t1 - t0) / PROT_PAGES < res->ioctl_ns) {
			res->ioctl_ns = (double)(t1 - t0) / PROT_PAGES;
			res->ioctl_half[0] = (double)(tm - t0) / PROT_PAGES;
			res->ioctl_half[1] = (double)(t1 - tm) / PROT_PAGES;
		}
	}
	run_to(&p, UCALL_DONE);
	sync_global_from_guest(p.vm[0], g_calls);
	res->calls = g_calls / (2 * BENCH_REPEAT);
	free(on);
	free(off);
	vtl_pair_destroy(&p);
}

/* ---- 1c. The memslot way ------------------------------------------------ */

struct memslot_result {
	u32 slots;	/* single-page slots the VM had */
	u32 pages;	/* pages protected and unprotected */
	double ns;	/* per page, protect + unprotect */
	double create_s;
};

static void slot_set(struct kvm_vm *vm, u32 slot, u8 *hva, u32 flags, u64 size)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = (u64)slot * 4096,
		.memory_size = size,
		.userspace_addr = (u64)(hva + (u64)slot * 4096),
	};

	vm_ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r);
}

/* Delete slot @s and create it again with @flags: one page's change. */
static void slot_flip(struct kvm_vm *vm, u32 s, u8 *hva, u32 flags)
{
	slot_set(vm, s, hva, 0, 0);
	slot_set(vm, s, hva, flags, 4096);
}

static void bench_memslot(struct memslot_result *res)
{
	struct kvm_vm *vm = vm_create_barebones();
	u32 nslots = kvm_check_cap(KVM_CAP_NR_MEMSLOTS), i, *pick;
	u64 t0, t1;
	u8 *hva;

	/* Slot n is GPA page n, one page each; KVM allocates nothing. */
	hva = mmap(NULL, (u64)nslots * 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	TEST_ASSERT(hva != MAP_FAILED, "mmap");
	t0 = vsm_now_ns();
	for (i = 0; i < nslots; i++)
		slot_set(vm, i, hva, 0, 4096);
	res->create_s = (vsm_now_ns() - t0) / 1e9;
	res->slots = nslots;
	res->pages = nslots > MEMSLOT_PAGES ? MEMSLOT_PAGES : nslots;
	pick = scattered(res->pages, nslots);

	res->ns = 1e30;
	for (int r = 0; r < BENCH_REPEAT; r++) {
		t0 = vsm_now_ns();
		for (i = 0; i < res->pages; i++)
			slot_flip(vm, pick[i], hva, KVM_MEM_READONLY);
		for (i = 0; i < res->pages; i++)
			slot_flip(vm, pick[i], hva, 0);
		t1 = vsm_now_ns();
		res->ns = vsm_min_d(res->ns, (double)(t1 - t0) / res->pages);
	}
	free(pick);
	kvm_vm_free(vm);
	munmap(hva, (u64)nslots * 4096);
}

/* ---- 2. Write intercept round trip vs VTL round trip -------------------- */

/*
 * *icpt_ns stays 0 if the writes did not each enter VTL1 (no enforcement
 * or no intercept delivery): then there is no round trip to time.
 */
static void bench_intercept(u32 max, double *icpt_ns, double *vtl_ns,
			    u64 *entries)
{
	struct kvm_vsm_prot_entry *e;
	int rep, r;
	u64 t0, t1, t2, i;

	*icpt_ns = 1e30;
	*vtl_ns = 1e30;
	e = calloc(ICPT_ITERS, sizeof(*e));
	TEST_ASSERT(e, "malloc");
	for (rep = 0; rep < BENCH_REPEAT; rep++) {
		struct vtl_pair p;

		prot_pair_create(&p, MODE_INTERCEPT, 0);
		/* Every 7th frame: separate 4 KiB pages, some sharing 2 MiB. */
		for (i = 0; i < ICPT_ITERS; i++) {
			g_icpt_gfn[i] = i * 7;
			e[i].gfn = BIG_GPA / 4096 + i * 7;
			e[i].count = 1;
			e[i].prot = KVM_VSM_PROT_READ | KVM_VSM_PROT_KX |
				    KVM_VSM_PROT_UX;
		}
		g_icpt_on = !!max;
		sync_global_to_guest(p.vm[0], g_icpt_gfn);
		sync_global_to_guest(p.vm[0], g_icpt_on);
		if (max) {
			r = set_prot(p.part, e, ICPT_ITERS, max);
			TEST_ASSERT(!r, "KVM_VSM_SET_PROTECTION: %d", r);
		}
		run_to(&p, UCALL_SYNC);
		t0 = vsm_now_ns();
		run_to(&p, UCALL_SYNC);
		t1 = vsm_now_ns();
		*vtl_ns = vsm_min_d(*vtl_ns, (double)(t1 - t0) / ICPT_ITERS);
		if (max) {
			run_to(&p, UCALL_SYNC);
			t2 = vsm_now_ns();
			*icpt_ns = vsm_min_d(*icpt_ns, (double)(t2 - t1) / ICPT_ITERS);
		}
		run_to(&p, UCALL_DONE);
		sync_global_from_guest(p.vm[0], g_icpt_entries);
		*entries = g_icpt_entries;
		vtl_pair_destroy(&p);
		if (max && g_icpt_entries != ICPT_ITERS)
			break;
	}
	free(e);
}

/* ---- 3. Unrestricted touches with and without protections --------------- */

/*
 * One pair; VTL0 touches the 256 MiB in TOUCH_CHUNKS chunks, twice. The
 * chunks alternate A B B A A B B A between PROT_PAGES pages restricted in
 * the protected area (B) and none (A: all back to the default, the state
 * empty), so that what else runs on the machine weighs on both alike.
 * ms[case][pass]: the median time of a chunk, robust against the odd chunk
 * that other load on the machine delayed; faults[case]: the page faults
 * the module's hook saw in the first pass (a fault taken twice would show).
 */
static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median of @n times (sorted in place). */
static double median(double *t, u32 n)
{
	qsort(t, n, sizeof(*t), cmp_d);
	return n & 1 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

static void bench_touch(const u32 *frames, u32 max, double ms[2][2],
			u64 faults[2])
{
	double t[2][2][TOUCH_CHUNKS / 2];
	struct kvm_vsm_prot_entry *on, *off;
	struct kvm_vsm_partition_info before, after;
	u32 c, n[2][2] = {};
	bool prot = false, want;
	struct vtl_pair p;
	int r, pass;
	u64 t0;

	faults[0] = 0;
	faults[1] = 0;
	on = calloc(PROT_PAGES, sizeof(*on));
	off = calloc(PROT_PAGES, sizeof(*off));
	TEST_ASSERT(on && off, "malloc");
	entries_fill(on, frames, PROT_PAGES, KVM_VSM_PROT_READ |
		     KVM_VSM_PROT_KX | KVM_VSM_PROT_UX);
	entries_fill(off, frames, PROT_PAGES, KVM_VSM_PROT_DEFAULT);
	prot_pair_create(&p, MODE_TOUCH, 0);
	for (c = 0; c < 2 * TOUCH_CHUNKS; c++) {
		run_to(&p, UCALL_SYNC);
		/* Without the ioctls every chunk is a "without" one. */
		want = max && ((c + 1) & 2);
		if (want != prot) {
			r = set_prot(p.part, want ? on : off, PROT_PAGES, max);
			TEST_ASSERT(!r, "KVM_VSM_SET_PROTECTION: %d", r);
			prot = want;
		}
		TEST_ASSERT(!kvmvsm_get_info(p.part, &before), "partition info");
		TEST_ASSERT(before.protected_pages == (prot ? PROT_PAGES : 0) &&
			    (prot || !before.protection_bytes),
			    "%llu pages, %llu bytes of state", before.protected_pages,
			    before.protection_bytes);
		pass = c / TOUCH_CHUNKS;
		t0 = vsm_now_ns();
		run_to(&p, UCALL_SYNC);
		if (n[prot][pass] < TOUCH_CHUNKS / 2)
			t[prot][pass][n[prot][pass]++] = (vsm_now_ns() - t0) / 1e6;
		TEST_ASSERT(!kvmvsm_get_info(p.part, &after), "partition info");
		if (!pass)
			faults[prot] += after.page_faults - before.page_faults;
	}
	run_to(&p, UCALL_DONE);
	vtl_pair_destroy(&p);
	free(on);
	free(off);
	for (r = 0; r < 4; r++)
		ms[r / 2][r % 2] = n[r / 2][r % 2] ?
				   median(t[r / 2][r % 2], n[r / 2][r % 2]) : 0;
}

/* ---- 4. Bytes of permission state per restricted page ------------------- */

static double bytes_per_page(struct kvm_vsm_prot_entry *e, u32 nr, u32 max)
{
	struct kvm_vsm_partition_info before, after;
	struct vtl_pair p;
	int r;

	prot_pair_create(&p, MODE_PROTECT, 0);
	TEST_ASSERT(!kvmvsm_get_info(p.part, &before), "partition info");
	r = set_prot(p.part, e, nr, max);
	TEST_ASSERT(!r, "KVM_VSM_SET_PROTECTION: %d", r);
	TEST_ASSERT(!kvmvsm_get_info(p.part, &after), "partition info");
	vtl_pair_destroy(&p);
	return (double)(after.protection_bytes - before.protection_bytes) /
	       PROT_PAGES;
}

static void bench_bytes(u32 max, double *scattered_b, double *runs_b,
			double *dense_b)
{
	static const u8 mixed[] = {
		KVM_VSM_PROT_READ,
		KVM_VSM_PROT_READ | KVM_VSM_PROT_KX | KVM_VSM_PROT_UX,
		KVM_VSM_PROT_READ | KVM_VSM_PROT_WRITE,
		0,
	};
	struct kvm_vsm_prot_entry *e = calloc(PROT_PAGES, sizeof(*e));
	u32 nruns = (PROT_PAGES + 63) / 64, *where, i, left = PROT_PAGES;
	u8 ro = KVM_VSM_PROT_READ | KVM_VSM_PROT_KX | KVM_VSM_PROT_UX;

	/* Scattered over the whole 1 GiB, like the runs below. */
	where = scattered(PROT_PAGES, BIG_PAGES);
	TEST_ASSERT(e, "malloc");
	entries_fill(e, where, PROT_PAGES, ro);
	free(where);
	*scattered_b = bytes_per_page(e, PROT_PAGES, max);

	/*
	 * Runs of 64 pages at random places: one run per chosen 128-page
	 * block, at a random offset inside it (not aligned, never touching).
	 */
	where = scattered(nruns, BIG_PAGES / 128);
	for (i = 0; i < nruns; i++) {
		memset(&e[i], 0, sizeof(e[i]));
		e[i].gfn = BIG_GPA / 4096 + (u64)where[i] * 128 + rng() % 64;
		e[i].count = left < 64 ? left : 64;
		e[i].prot = ro;
		left -= e[i].count;
	}
	*runs_b = bytes_per_page(e, nruns, max);
	free(where);

	/*
	 * The steady state of a restricted region (a kernel image: code,
	 * read-only data, data, guard pages side by side): 100 000 pages in
	 * one stretch, each with one of four masks in turn, so no 2 MiB chunk
	 * is uniform and every one is stored frame by frame.
	 */
	for (i = 0; i < PROT_PAGES; i++) {
		memset(&e[i], 0, sizeof(e[i]));
		e[i].gfn = BIG_GPA / 4096 + i;
		e[i].count = 1;
		e[i].prot = mixed[i % 4];
	}
	*dense_b = bytes_per_page(e, PROT_PAGES, max);
	free(e);
}

/* What needs the protection ioctls is skipped, and says so, without them. */
static void no_prot(const char *what)
{
	printf("BENCH   %s: not measured, no KVM_VSM_CAP_PROTECTION\n", what);
}

int main(int argc, char **argv)
{
	double icpt, vtl, touch[2][2], bytes_s, bytes_r, bytes_d, best;
	struct memslot_result ms;
	struct prot_result pr = {};
	u32 *frames, max;
	u64 entries = 0, faults[2];
	int dev;

	TEST_ASSERT(!vsm_ensure_loaded(), "load kvm-vsm");
	dev = kvmvsm_open();
	TEST_ASSERT(dev >= 0, "open /dev/kvm-vsm");
	max = prot_max_entries(dev);
	close(dev);
	frames = scattered(PROT_PAGES, PROT_AREA);

	bench_memslot(&ms);
	printf("BENCH protect+unprotect of %u scattered 4 KiB pages, ns/page:\n",
	       PROT_PAGES);
	printf("BENCH   memslot way %.0f (%u of %u single-page slots, %.1f s to create them)\n",
	       ms.ns, ms.pages, ms.slots, ms.create_s);
	if (max) {
		bench_protect(frames, max, &pr);
		best = vsm_min_d(pr.hypercall_ns, pr.ioctl_ns);
		printf("BENCH   hypercall %.0f (%lu calls of <= %u GPAs each way),\n",
		       pr.hypercall_ns, pr.calls, GPAS_PER_CALL);
		printf("BENCH   ioctl %.0f (<= %u entries per call)\n", pr.ioctl_ns, max);
		printf("BENCH   protect/unprotect halves: hypercall %.0f/%.0f, ioctl %.0f/%.0f\n",
		       pr.hypercall_half[0], pr.hypercall_half[1],
		       pr.ioctl_half[0], pr.ioctl_half[1]);
		printf("BENCH   ratio protect-speedup-vs-memslot %.1f (target >= 100)\n",
		       ms.ns / best);
		printf("BENCH   ratio protect-speedup-vs-memslot-hypercall %.1f\n",
		       ms.ns / pr.hypercall_ns);
		printf("BENCH   ratio protect-speedup-vs-memslot-ioctl %.1f\n",
		       ms.ns / pr.ioctl_ns);
	} else {
		no_prot("protect-speedup-vs-memslot");
	}
	fflush(stdout);

	bench_intercept(max, &icpt, &vtl, &entries);
	if (max && entries != ICPT_ITERS) {
		printf("BENCH VTL call+return %.0f ns\n", vtl);
		printf("BENCH   intercept-roundtrip/vtl-roundtrip: not measured,\n");
		printf("BENCH   %lu of %u writes to read-only pages entered VTL1\n",
		       entries, ICPT_ITERS);
	} else if (max) {
		printf("BENCH write intercept round trip %.0f ns, VTL call+return %.0f ns\n",
		       icpt, vtl);
		printf("BENCH   ratio intercept-roundtrip/vtl-roundtrip %.2f\n",
		       icpt / vtl);
	} else {
		printf("BENCH VTL call+return %.0f ns\n", vtl);
		no_prot("intercept-roundtrip/vtl-roundtrip");
	}
	fflush(stdout);

	bench_touch(frames, max, touch, faults);
	printf("BENCH touching %llu MiB in %u interleaved chunks, median ms per chunk:\n",
	       TOUCH_BYTES >> 20, TOUCH_CHUNKS);
	printf("BENCH   first touch %.1f with %u pages restricted elsewhere, %.1f without;\n",
	       touch[1][0], PROT_PAGES, touch[0][0]);
	printf("BENCH   second pass %.2f with, %.2f without\n", touch[1][1],
	       touch[0][1]);
	printf("BENCH   page faults in the first pass: %lu with, %lu without\n",
	       faults[1], faults[0]);
	if (max) {
		printf("BENCH   ratio unrestricted-touch/no-protection %.3f (target <= 1.02)\n",
		       touch[1][0] / touch[0][0]);
		printf("BENCH   ratio unrestricted-touch-second-pass/no-protection %.3f\n",
		       touch[1][1] / touch[0][1]);
	} else {
		no_prot("unrestricted-touch/no-protection");
	}
	fflush(stdout);

	if (max) {
		bench_bytes(max, &bytes_s, &bytes_r, &bytes_d);
		printf("BENCH permission state for %u restricted pages over 1 GiB:\n",
		       PROT_PAGES);
		printf("BENCH   bytes-per-restricted-page %.3f (scattered pages; the headline)\n",
		       bytes_s);
		printf("BENCH   bytes-per-restricted-page-runs64 %.3f (runs of 64 pages)\n",
		       bytes_r);
		printf("BENCH   bytes-per-restricted-page-dense %.3f %s\n", bytes_d,
		       "(one stretch, four masks in turn; target <= 0.375)");
	} else {
		no_prot("bytes-per-restricted-page");
	}
	free(frames);
	return 0;
}
