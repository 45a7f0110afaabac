// SPDX-License-Identifier: GPL-2.0
/*
 * Built by install_test.sh against an installed libkvmvsm only (its headers
 * and library found through kvmvsm.pc): a VMM's first program.
 */
#include <stdio.h>
#include <string.h>
#include <linux/kvm.h>
#include <linux/kvm_vsm.h>
#include <kvmvsm.h>

int main(void)
{
	struct kvm_run run;

	memset(&run, 0, sizeof(run));
	run.exit_reason = KVM_EXIT_HYPERV;
	run.hyperv.type = KVM_VSM_EXIT_HYPERV_RECORD;
	if (kvmvsm_exit(&run) != KVM_VSM_EXIT_HYPERV_RECORD) {
		fprintf(stderr, "kvmvsm_exit: record exit not seen\n");
		return 1;
	}
	run.exit_reason = KVM_EXIT_HLT;
	if (kvmvsm_exit(&run) != 0) {
		fprintf(stderr, "kvmvsm_exit: HLT taken for a kvm-vsm exit\n");
		return 1;
	}
	printf("libkvmvsm linked and called\n");
	return 0;
}
