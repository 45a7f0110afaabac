// SPDX-License-Identifier: GPL-2.0
/*
 * kvm-vsm-run: boot a multiboot guest (kvm-unit-tests' x86 .flat files) on KVM
 * with N Virtual Trust Levels from kvm-vsm. The set-up order is the one
 * a VMM author copies:
 *   1. /dev/kvm, one VM per VTL, the same guest RAM in each (memslot 0),
 *      the in-kernel irqchip in each;
 *   2. CPUID with Hyper-V leaves (+ the VSM privileges kvm-vsm grants);
 *   3. /dev/kvm-vsm: a partition, the VMs attached as VTL0..N-1;
 *   4. load the image, create and attach the vCPUs;
 *   5. one thread per VP: KVM_VSM_RUN_VP and its exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm.h"

#define VERSION_STRING	"kvm-vsm-run (kvm-vsm API " \
			KVMVSM_STR(KVM_VSM_API_VERSION) ")"
#define KVMVSM_STR2(x)	#x
#define KVMVSM_STR(x)	KVMVSM_STR2(x)
#define MIN_MEM		(8ull << 20)
#define MAX_MEM		(3ull << 30)	/* below the 32-bit MMIO hole */

static const char help[] =
"NAME\n"
"    kvm-vsm-run - boot a multiboot guest with Hyper-V Virtual Trust Levels\n"
"\n"
"SYNOPSIS\n"
"    kvm-vsm-run [OPTIONS] IMAGE [-- GUEST-ARGS...]\n"
"\n"
"DESCRIPTION\n"
"    Boots IMAGE, a multiboot v1 ELF image such as a kvm-unit-tests x86 .flat,\n"
"    on KVM. With VTLs (the default, two), each VTL is a KVM VM over the same\n"
"    guest memory, attached to a kvm-vsm partition (/dev/kvm-vsm); every VP\n"
"    runs with KVM_VSM_RUN_VP, and the guest enables and switches VTLs with\n"
"    Hyper-V hypercalls. The reference VMM of kvm-vsm: small enough to read.\n"
"\n"
"    The guest gets: COM1 (0x3f8) on standard output, isa-debug-exit (0xf4),\n"
"    fw_cfg (0x510), hyperv-testdev (0x3000), KVM's in-kernel PIC, I/O APIC,\n"
"    PIT and local APICs, and the Hyper-V enlightenments KVM supports.\n"
"\n"
"OPTIONS\n"
"    -m, --memory SIZE   guest RAM in MiB, or with a K, M or G suffix\n"
"                        (default 128M, at least 8M, at most 3G)\n"
"    -s, --smp N         virtual processors (default 1, at most 64)\n"
"        --vtls N        N Virtual Trust Levels, 1 to 16 (default 2)\n"
"        --no-vsm        no kvm-vsm: one KVM VM, a plain Hyper-V machine\n"
"        --no-hyperv     no Hyper-V CPUID leaves at all (implies --no-vsm)\n"
"        --run-mode MODE kernel (default): kvm-vsm switches VTLs in the\n"
"                        kernel; user: every switch comes to this VMM, which\n"
"                        makes it with libkvmvsm's reference switch\n"
"        --append TEXT   text for the multiboot command line, which is\n"
"                        IMAGE, then TEXT, then GUEST-ARGS (as GRUB and QEMU\n"
"                        give it: kvm-unit-tests' argv[0] is IMAGE)\n"
"        --env FILE      FILE's text as the multiboot module (kvm-unit-tests\n"
"                        reads its environment from it)\n"
"        --no-testdev    no hyperv-testdev at port 0x3000\n"
"        --trace         one line on standard error per VTL switch, record,\n"
"                        intercept, hypercall exit and device command:\n"
"                        \"kvm-vsm-run: trace: vp N vtl M WHAT key=value...\"\n"
"    -h, --help          this text\n"
"        --version       the version and the kvm-vsm API it speaks\n"
"\n"
"EXIT STATUS\n"
"    (CODE << 1) | 1  the guest wrote CODE to isa-debug-exit (as QEMU):\n"
"                     kvm-unit-tests exit 1 when all passed, 3 on failure\n"
"    2                a usage or host error (the message says which)\n"
"    4                the guest triple-faulted, or an exit this VMM cannot\n"
"                     handle (the message gives the exit, VP, VTL and RIP)\n"
"\n"
"EXAMPLES\n"
"    kvm-vsm-run -s 2 x86/hyperv_synic.flat\n"
"    kvm-vsm-run --no-vsm -s 2 x86/hyperv_stimer.flat -- direct\n"
"    kvm-vsm-run --vtls 2 --trace vsm_demo.flat\n"
"\n"
"SEE ALSO\n"
"    docs/api.md \"Writing a VMM\" (a walk through this program's code).\n";

/* One line, exit status 2: what was wrong, and where to look. */
static void usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "kvm-vsm-run: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "; see kvm-vsm-run --help\n");
	exit(2);
}

static uint64_t parse_num(const char *s, const char *what, uint64_t max)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v > max)
		usage_error(what, s);
	return v;
}

static uint64_t parse_size(const char *s)
{
	unsigned long long v;
	char *end;
	int shift = 20;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || s[0] == '-')
		usage_error("bad memory size '%s'", s);
	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'G' || *end == 'g')
		shift = 30;
	else if (*end && *end != 'M' && *end != 'm')
		usage_error("bad memory size '%s'", s);
	if (*end && end[1])
		usage_error("bad memory size '%s'", s);
	if (v > (MAX_MEM >> shift))
		usage_error("memory size '%s' above 3G", s);
	return (uint64_t)v << shift;
}

static void parse_args(struct vmm *vmm, int argc, char **argv)
{
	enum { OPT_VTLS = 256, OPT_NO_VSM, OPT_NO_HYPERV, OPT_RUN_MODE, OPT_APPEND,
	       OPT_ENV, OPT_NO_TESTDEV, OPT_TRACE, OPT_VERSION };
	static const struct option opts[] = {
		{ "memory", required_argument, NULL, 'm' },
		{ "smp", required_argument, NULL, 's' },
		{ "vtls", required_argument, NULL, OPT_VTLS },
		{ "no-vsm", no_argument, NULL, OPT_NO_VSM },
		{ "no-hyperv", no_argument, NULL, OPT_NO_HYPERV },
		{ "run-mode", required_argument, NULL, OPT_RUN_MODE },
		{ "append", required_argument, NULL, OPT_APPEND },
		{ "env", required_argument, NULL, OPT_ENV },
		{ "no-testdev", no_argument, NULL, OPT_NO_TESTDEV },
		{ "trace", no_argument, NULL, OPT_TRACE },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 }
	};
	const char *mem_arg = "128M";
	size_t len;
	char *cmd;
	int c, i;

	opterr = 0;	/* our own one-line messages */
	while ((c = getopt_long(argc, argv, "+:m:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			mem_arg = optarg;
			vmm->mem_size = parse_size(optarg);
			break;
		case 's':
			vmm->nr_cpus = parse_num(optarg, "bad VP count '%s' (1 to 64)",
						 VMM_MAX_CPUS);
			if (!vmm->nr_cpus)
				usage_error("bad VP count '%s' (1 to 64)", optarg);
			break;
		case OPT_VTLS:
			vmm->nr_vtls = parse_num(optarg, "bad VTL count '%s' (1 to 16)",
						 KVM_VSM_MAX_VTLS);
			if (!vmm->nr_vtls)
				usage_error("bad VTL count '%s' (1 to 16)", optarg);
			break;
		case OPT_NO_VSM:
			vmm->nr_vtls = 0;
			break;
		case OPT_NO_HYPERV:
			vmm->hyperv = false;
			vmm->nr_vtls = 0;
			break;
		case OPT_RUN_MODE:
			if (!strcmp(optarg, "kernel"))
				vmm->run_mode = KVM_VSM_RUN_MODE_KERNEL;
			else if (!strcmp(optarg, "user"))
				vmm->run_mode = KVM_VSM_RUN_MODE_USERSPACE;
			else
				usage_error("bad run mode '%s' (kernel or user)",
					    optarg);
			break;
		case OPT_APPEND:
			vmm->cmdline = optarg;
			break;
		case OPT_ENV:
			vmm->env = optarg;
			break;
		case OPT_NO_TESTDEV:
			vmm->testdev = false;
			break;
		case OPT_TRACE:
			vmm->trace = true;
			break;
		case 'h':
			fputs(help, stdout);
			exit(0);
		case OPT_VERSION:
			puts(VERSION_STRING);
			exit(0);
		case ':':
			usage_error("option '%s' needs a value", argv[optind - 1]);
			break;
		default:
			usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (!vmm->hyperv && vmm->nr_vtls)
		vmm->nr_vtls = 0;
	if (optind >= argc)
		usage_error("%s", "no IMAGE given");	/* "%s": -Wformat */
	vmm->image = argv[optind++];
	if (optind < argc && !strcmp(argv[optind], "--"))
		optind++;
	if (optind < argc && argv[optind - 1] != vmm->image &&
	    strcmp(argv[optind - 1], "--"))
		usage_error("unexpected argument '%s' (guest arguments go after --)",
			    argv[optind]);
	if (vmm->mem_size < MIN_MEM)
		usage_error("too little memory: %s (at least 8M)", mem_arg);

	/*
	 * The command line as GRUB and QEMU give it: the image's name, then
	 * --append's text, then the guest arguments (kvm-unit-tests takes
	 * the first word as argv[0]).
	 */
	len = strlen(vmm->image) + strlen(vmm->cmdline) + 2;
	for (i = optind; i < argc; i++)
		len += strlen(argv[i]) + 1;
	cmd = malloc(len);
	if (!cmd)
		vmm_die("out of memory");
	len = snprintf(cmd, len, "%s%s%s", vmm->image, *vmm->cmdline ? " " : "",
		       vmm->cmdline);
	for (i = optind; i < argc; i++)
		len += sprintf(cmd + len, " %s", argv[i]);
	vmm->cmdline = cmd;
}

static void vm_create(struct vmm *vmm, uint32_t v)
{
	struct kvm_userspace_memory_region slot = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = vmm->mem_size,
		.userspace_addr = (uintptr_t)vmm->mem,
	};
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	int fd;

	fd = ioctl(vmm->kvm_fd, KVM_CREATE_VM, 0);
	if (fd < 0)
		vmm_die("KVM_CREATE_VM: %s", strerror(errno));
	/* Intel needs these three pages below 4 GiB; AMD ignores them. */
	ioctl(fd, KVM_SET_TSS_ADDR, 0xfffbd000ul);
	if (ioctl(fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
		vmm_die("KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
	if (ioctl(fd, KVM_CREATE_IRQCHIP, 0) < 0)
		vmm_die("KVM_CREATE_IRQCHIP: %s", strerror(errno));
	/* One PIT: a timer the VTLs would otherwise each see. */
	if (v == 0 && ioctl(fd, KVM_CREATE_PIT2, &pit) < 0)
		vmm_die("KVM_CREATE_PIT2: %s", strerror(errno));
	vmm->vm_fd[v] = fd;
}

static struct kvm_cpuid2 *supported_cpuid(int kvm_fd)
{
	struct kvm_cpuid2 *c;
	uint32_t n = 256;

	for (;;) {
		c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
		if (!c)
			vmm_die("out of memory");
		c->nent = n;
		if (!ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c))
			return c;
		free(c);
		if (errno != E2BIG)
			vmm_die("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
		n *= 2;
	}
}

int main(int argc, char **argv)
{
	static struct vmm vmm = {
		.cmdline = "", .mem_size = 128ull << 20, .nr_cpus = 1,
		.nr_vtls = 2, .hyperv = true, .testdev = true,
		.vsm_fd = -1, .part_fd = -1,
		.exit_lock = PTHREAD_MUTEX_INITIALIZER,
	};
	struct boot_info bi;
	uint32_t v, i;

	parse_args(&vmm, argc, argv);
	if (access(vmm.image, R_OK))
		vmm_die("%s: %s", vmm.image, strerror(errno));

	vmm.kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vmm.kvm_fd < 0)
		vmm_die("/dev/kvm: %s (is kvm_amd/kvm_intel loaded?)",
			strerror(errno));
	vmm.run_size = ioctl(vmm.kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vmm.run_size <= 0)
		vmm_die("KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
	if (vmm.nr_vtls) {	/* fail early, before any VM exists */
		int fd = open("/dev/kvm-vsm", O_RDWR | O_CLOEXEC);

		if (fd < 0)
			vmm_die("/dev/kvm-vsm: %s (modprobe kvm-vsm, or --no-vsm)",
				strerror(errno));
		close(fd);
	}

	vmm.mem = mmap(NULL, vmm.mem_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vmm.mem == MAP_FAILED)
		vmm_die("guest memory (%llu MiB): %s",
			(unsigned long long)(vmm.mem_size >> 20),
			strerror(errno));
	if (boot_load(&vmm, &bi) < 0)
		exit(2);

	vmm.nr_vms = vmm.nr_vtls ? vmm.nr_vtls : 1;
	for (v = 0; v < vmm.nr_vms; v++)
		vm_create(&vmm, v);
	vmm.cpuid = supported_cpuid(vmm.kvm_fd);
	if (vmm.nr_vtls)
		vsm_init(&vmm);
	if (vmm.hyperv && (hv_cpuid(&vmm) < 0 || hv_init(&vmm) < 0))
		exit(2);
	devices_init(&vmm);
	if (vcpu_create_all(&vmm, &bi) < 0)
		exit(2);
	for (i = 0; vmm.nr_vtls && i < vmm.nr_cpus; i++)
		vsm_vcpu_init(&vmm, &vmm.vcpus[i]);
	vmm_trace(&vmm, NULL, "boot image=%s entry=0x%x vps=%u vtls=%u mode=%s",
		  vmm.image, bi.entry, vmm.nr_cpus, vmm.nr_vtls,
		  vmm.run_mode ? "user" : "kernel");
	return run_all(&vmm);
}
