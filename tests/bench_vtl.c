// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark (prints numbers, asserts nothing about speed): a VTL call +
 * return round trip switched in the kernel, against a null in-kernel
 * Hyper-V hypercall and against the same round trip in userspace mode
 * (exit to the VMM, libkvmvsm's reference switch). Best of BENCH_REPEAT,
 * ns per round trip, ratios against the baselines of the same run.
 */
#include <time.h>

#include "kvm_util.h"
#include "processor.h"
#include "hyperv.h"
#include "vsm_test.h"
#include "vsm_guest.h"
#include "kvmvsm.h"
#include "vsm_vtl.h"

#define BENCH_REPEAT	3

/* The values vtl1_entry expects, so that it counts no errors. */
static void vtl0_bench_guest(u64 vp)
{
	u64 *in = vtl0_in[vp], *out = vtl0_out[vp], i;

	guest_hv_enable(g_page0_gpa);
	in[0] = 0;
	vtl_transition(g_page0_gva, HVCALL_VTL_CALL, 0, in, out);
	GUEST_SYNC(0);
	for (i = 0; i < g_iters; i++)
		vtl0_call(vp, i);
	GUEST_ASSERT_EQ(g_rep[vp]->errors, 0);
	GUEST_DONE();
}

static void null_guest(void)
{
	u64 i;

	guest_hv_enable(g_page0_gpa);
	GUEST_SYNC(0);
	for (i = 0; i < g_iters; i++)
		guest_hv_call(g_page0_gva, HVCALL_NOTIFY_LONG_SPIN_WAIT |
			      HV_HYPERCALL_FAST_BIT, 1, 0);
	GUEST_DONE();
}

static double round_trips(u64 n, void *guest, bool vtl1, bool user)
{
	double best = 1e30, t;
	int rep;

	for (rep = 0; rep < BENCH_REPEAT; rep++) {
		struct vtl_user_switches sw = {};
		struct kvmvsm_ring ring;
		struct vtl_pair p;
		u64 t0;

		vtl_pair_create(&p, guest, n, vtl1);
		if (user)
			kvmvsm_set_run_mode(p.part, KVM_VSM_RUN_MODE_USERSPACE);
		TEST_ASSERT(!kvmvsm_ring_map(p.part, &ring), "map ring");
		TEST_ASSERT(vtl_run_vp0(&p, user ? &ring : NULL, &sw) == UCALL_SYNC,
			    "sync");
		/* Userspace mode: each switch includes its record, as for a VMM. */
		t0 = vsm_now_ns();
		TEST_ASSERT(vtl_run_vp0(&p, user ? &ring : NULL, &sw) == UCALL_DONE,
			    "done");
		t = (double)(vsm_now_ns() - t0) / n;
		best = t < best ? t : best;
		kvmvsm_ring_unmap(&ring);
		vtl_pair_destroy(&p);
	}
	return best;
}

int main(int argc, char **argv)
{
	u64 n = argc > 1 ? strtoull(argv[1], NULL, 0) : 5000;
	double null_hc, kernel, user;

	TEST_ASSERT(!vsm_ensure_loaded(), "load kvm-vsm");
	null_hc = round_trips(n, null_guest, false, false);
	kernel = round_trips(n, vtl0_bench_guest, true, false);
	/* Userspace mode is the slow one: fewer round trips suffice. */
	user = round_trips(n < 500 ? n : 500, vtl0_bench_guest, true, true);

	printf("BENCH VTL call+return round trip, ns: in-kernel %.0f,\n", kernel);
	printf("BENCH   userspace mode %.0f; null in-kernel hypercall %.0f\n",
	       user, null_hc);
	printf("BENCH   ratio in-kernel/null-hypercall %.2f (target <= 2)\n",
	       kernel / null_hc);
	printf("BENCH   ratio userspace/in-kernel %.2f (target >= 5)\n",
	       user / kernel);
	return 0;
}
