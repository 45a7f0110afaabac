// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark (prints numbers, asserts nothing about speed): what an overlay
 * change costs. A guest loop of WRMSRs, each an exit KVM handles in the
 * kernel, on a VM attached as VTL0:
 *  - plain: HV_X64_MSR_SINT0 (SynIC on), an MSR write exit with no page;
 *  - overlay move: the VP assist page moved between two GPAs, each write
 *    a new overlay page placed (allocated, its 2 MiB region counted, its
 *    gfn zapped) and the old one removed;
 * and the same move on an unattached VM (stock KVM writes RAM). Best of
 * BENCH_REPEAT runs, ns per WRMSR; ratios against the plain write and
 * against stock, measured in the same run.
 */
#include "kvm_util.h"
#include "processor.h"
#include "hyperv.h"
#include "vsm_test.h"
#include "vsm_guest.h"
#include "kvmvsm.h"

#define BENCH_REPEAT	3
#define BENCH_N		4000
#define SINT_MASKED	BIT_ULL(16)
#define VP_ASSIST_MSR	0x40000073	/* HV_X64_MSR_VP_ASSIST_PAGE */

enum { MODE_PLAIN, MODE_MOVE };

static u64 g_a, g_b;

static void msr_guest(u64 page_gva, u64 page_gpa, u64 id, u64 arg)
{
	u64 i, n = arg >> 1;

	guest_hv_enable(page_gpa);
	GUEST_SYNC(0);
	for (i = 0; i < n; i++) {
		if ((arg & 1) == MODE_MOVE)
			wrmsr(VP_ASSIST_MSR, ((i & 1) ? g_a : g_b) | 1);
		else
			wrmsr(HV_X64_MSR_SINT0, 0x40 | SINT_MASKED);
	}
	GUEST_DONE();
}

static void run_until(struct kvm_vcpu *vcpu, u64 cmd)
{
	struct ucall uc;
	u64 got = UCALL_NONE;

	do {
		vcpu_run(vcpu);
		if (vcpu->run->exit_reason == KVM_EXIT_HYPERV)
			continue;	/* the SynIC's own exits */
		got = get_ucall(vcpu, &uc);
		if (got == UCALL_ABORT)
			REPORT_GUEST_ASSERT(uc);
	} while (got != cmd);
}

/* ns per WRMSR of @mode, on a fresh VM, attached as VTL0 or not. */
static double msr_loop(int dev, int mode, bool attached, u64 *overlays)
{
	struct kvm_vsm_partition_info info;
	double best = 1e30;
	struct vsm_vm v;
	int r, part = -1;
	u64 t0;

	for (r = 0; r < BENCH_REPEAT; r++) {
		vsm_vm_create(&v, 1, msr_guest, ((u64)BENCH_N << 1) | mode);
		vcpu_enable_cap(v.vcpus[0], KVM_CAP_HYPERV_SYNIC2, 0);
		g_a = addr_gva2gpa(v.vm, vm_vaddr_alloc_page(v.vm));
		g_b = addr_gva2gpa(v.vm, vm_vaddr_alloc_page(v.vm));
		sync_global_to_guest(v.vm, g_a);
		sync_global_to_guest(v.vm, g_b);
		if (attached) {
			part = kvmvsm_create_partition(dev, 0, 0);
			TEST_ASSERT(part >= 0, "partition: %d", part);
			TEST_ASSERT(!kvmvsm_attach_vtl(part, v.vm->fd, 0), "attach");
		}
		run_until(v.vcpus[0], UCALL_SYNC);
		t0 = vsm_now_ns();
		run_until(v.vcpus[0], UCALL_DONE);
		best = vsm_min_d(best, (double)(vsm_now_ns() - t0) / BENCH_N);
		if (attached) {
			TEST_ASSERT(!kvmvsm_get_info(part, &info), "info");
			*overlays = info.overlays;
			close(part);
		}
		kvm_vm_free(v.vm);
	}
	return best;
}

int main(int argc, char **argv)
{
	double plain, move, stock;
	u64 ovl_plain = 0, ovl_move = 0;
	int dev;

	TEST_ASSERT(!vsm_ensure_loaded(), "kvm-vsm not loaded");
	dev = kvmvsm_open();
	TEST_ASSERT(dev >= 0, "open /dev/kvm-vsm: %d", dev);
	plain = msr_loop(dev, MODE_PLAIN, true, &ovl_plain);
	move = msr_loop(dev, MODE_MOVE, true, &ovl_move);
	stock = msr_loop(dev, MODE_MOVE, false, NULL);
	printf("BENCH overlay change (VP assist page moved), ns/WRMSR:\n");
	printf("BENCH   plain MSR write exit %.0f, overlay move %.0f, stock move %.0f\n",
	       plain, move, stock);
	printf("BENCH   overlays in place: %llu (plain), %llu (move)\n",
	       (unsigned long long)ovl_plain, (unsigned long long)ovl_move);
	printf("BENCH   ratio overlay-move/plain-wrmsr %.3f\n", move / plain);
	printf("BENCH   ratio overlay-move/stock-move %.3f\n", move / stock);
	close(dev);
	return 0;
}
