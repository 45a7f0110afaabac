// SPDX-License-Identifier: GPL-2.0
/*
 * kvm-vsm-info: ask /dev/kvm-vsm what it supports.
 *
 *   kvm-vsm-info [device]
 *
 * Prints the API version and every extension this header knows, one per
 * line. Exit status 0, or 1 with one line on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/kvm_vsm.h>

static const char *vendor_name(int v)
{
	switch (v) {
	case KVM_VSM_VENDOR_AMD:
		return "amd (svm, vmmcall)";
	case KVM_VSM_VENDOR_INTEL:
		return "intel (vmx, vmcall)";
	default:
		return "none";
	}
}

int main(int argc, char **argv)
{
	const char *dev = argc > 1 ? argv[1] : "/dev/kvm-vsm";
	int fd, api, vendor;

	fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "kvm-vsm-info: %s: %s\n", dev, strerror(errno));
		return 1;
	}
	api = ioctl(fd, KVM_VSM_GET_API_VERSION, 0);
	if (api < 0) {
		fprintf(stderr, "kvm-vsm-info: KVM_VSM_GET_API_VERSION: %s\n",
			strerror(errno));
		close(fd);
		return 1;
	}
	vendor = ioctl(fd, KVM_VSM_CHECK_EXTENSION, KVM_VSM_CAP_VENDOR);
	printf("api_version: %d%s\n", api,
	       api == KVM_VSM_API_VERSION ? "" : " (header differs)");
	printf("vendor: %s\n", vendor_name(vendor));
	close(fd);
	return 0;
}
