// SPDX-License-Identifier: GPL-2.0
/*
 * The VMM -> VMM boundary and two host-side defects: a partition fd used
 * by another process (a forked child, an SCM_RIGHTS receiver) gets EPERM
 * on every ioctl and on mmap; ring memory is charged to the creator's
 * memory cgroup (ENOMEM at memory.max, no OOM kill); KVM_VSM_SET_ACTIVE_VTL
 * restoring RAX/RCX from the VTL it enters is EINVAL (it deadlocked);
 * HvCallEnablePartitionVtl racing KVM_VSM_DETACH_VTL never leaves the
 * detached VTL enabled.
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#include "kvm_util.h"
#include "processor.h"
#include "hyperv.h"

#undef ASSERT_EQ	/* 6.1's test_util.h has its own */
#include "kselftest_harness.h"
#include "vsm_test.h"
#include "vsm_guest.h"
#include "kvmvsm.h"
#include "vsm_vtl.h"

#define BOUNDARY_TIMEOUT	600

#define HVCALL_ENABLE_PARTITION_VTL	0x000d
#define ST_INVALID_PARAMETER		5
#define ST_VTL_ALREADY_ENABLED		0x86

static int raw_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

/* A page shared with a forked child, for its results. */
static void *shared_page(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Every test may take long under TCG: the harness's default is 30 s. */
FIXTURE(boundary) {};
FIXTURE_SETUP(boundary)
{
	ASSERT_EQ(0, vsm_ensure_loaded());
}

FIXTURE_TEARDOWN(boundary) {}

/* ---- item 3: a partition belongs to the process that created it ---- */

enum {
	OP_INFO, OP_ATTACH_OWN_VM, OP_DETACH, OP_ATTACH_VCPU, OP_RUN_MODE,
	OP_RUN_VP, OP_COMPLETE, OP_EVENTFD, OP_ACTIVE_VTL, OP_RING_WAKE,
	OP_MMAP, OP_NR
};

static const char * const op_names[OP_NR] = {
	"GET_PARTITION_INFO", "ATTACH_VTL (own VM)", "DETACH_VTL",
	"ATTACH_VCPU", "SET_RUN_MODE", "RUN_VP", "COMPLETE",
	"SET_RING_EVENTFD", "SET_ACTIVE_VTL", "RING_WAKE", "mmap",
};

/*
 * In a process other than the partition's creator: every partition
 * operation, with arguments the owner would get 0 (or a specific errno)
 * for. Each result (0 or -errno) goes to res[]. @own_vm, @own_vcpu: a VM
 * and vCPU of this process, which must not get into the partition.
 */
static void foreign_ops(int part, int own_vm, int own_vcpu, int *res)
{
	struct kvm_vsm_attach_vtl attach = { .vm_fd = own_vm, .vtl = 1 };
	struct kvm_vsm_attach_vcpu vcpu = { .vcpu_fd = own_vcpu, .vtl = 1 };
	struct kvm_vsm_run_mode mode = { .mode = KVM_VSM_RUN_MODE_USERSPACE };
	struct kvm_vsm_ring_eventfd efd = { .fd = -1 };
	struct kvm_vsm_active_vtl active = { .vp = 0, .vtl = 0 };
	struct kvm_vsm_partition_info info;
	struct kvm_vsm_detach_vtl detach = { .vtl = 1 };
	struct kvm_vsm_complete c = { .seq = 1 };
	struct kvm_vsm_run_vp run = { .vp = 0 };
	void *map;

	res[OP_INFO] = raw_ioctl(part, KVM_VSM_GET_PARTITION_INFO, &info);
	res[OP_ATTACH_OWN_VM] = raw_ioctl(part, KVM_VSM_ATTACH_VTL, &attach);
	res[OP_ATTACH_VCPU] = raw_ioctl(part, KVM_VSM_ATTACH_VCPU, &vcpu);
	res[OP_DETACH] = raw_ioctl(part, KVM_VSM_DETACH_VTL, &detach);
	res[OP_RUN_MODE] = raw_ioctl(part, KVM_VSM_SET_RUN_MODE, &mode);
	res[OP_RUN_VP] = raw_ioctl(part, KVM_VSM_RUN_VP, &run);
	res[OP_COMPLETE] = raw_ioctl(part, KVM_VSM_COMPLETE, &c);
	res[OP_EVENTFD] = raw_ioctl(part, KVM_VSM_SET_RING_EVENTFD, &efd);
	res[OP_ACTIVE_VTL] = raw_ioctl(part, KVM_VSM_SET_ACTIVE_VTL, &active);
	res[OP_RING_WAKE] = ioctl(part, KVM_VSM_RING_WAKE, 0) < 0 ? -errno : 0;
	map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, part, 0);
	res[OP_MMAP] = map == MAP_FAILED ? -errno : 0;
}

/* A VM with one vCPU, by hand: a forked child has no selftests state. */
static void own_vm(int *vm, int *vcpu)
{
	int kvm = open("/dev/kvm", O_RDWR);

	*vm = ioctl(kvm, KVM_CREATE_VM, 0);
	*vcpu = *vm >= 0 ? ioctl(*vm, KVM_CREATE_VCPU, 0) : -1;
	close(kvm);
}

/* The owner's partition is untouched and still fully usable. */
static void owner_still_works(struct __test_metadata *_metadata, int part,
			      struct kvm_vm *vm, int vcpu_fd)
{
	struct kvm_vsm_partition_info info;
	struct kvmvsm_ring ring;

	ASSERT_EQ(0, kvmvsm_get_info(part, &info));
	EXPECT_EQ(1, info.vtl_mask);	/* nothing attached or detached */
	EXPECT_EQ(KVM_VSM_RUN_MODE_KERNEL, info.run_mode);
	ASSERT_EQ(0, kvmvsm_ring_map(part, &ring));
	EXPECT_EQ(info.ring_entries, ring.hdr->entries);
	kvmvsm_ring_unmap(&ring);
	EXPECT_EQ(-EEXIST, kvmvsm_attach_vcpu(part, vcpu_fd, 0, NULL));
	EXPECT_EQ(0, kvmvsm_set_run_mode(part, KVM_VSM_RUN_MODE_USERSPACE));
	EXPECT_EQ(0, kvmvsm_set_run_mode(part, KVM_VSM_RUN_MODE_KERNEL));
	EXPECT_EQ(0, kvmvsm_detach_vtl(part, 0));
	EXPECT_EQ(0, kvmvsm_attach_vtl(part, vm->fd, 0));
}

static void expect_all_eperm(struct __test_metadata *_metadata, const int *res,
			     const char *who)
{
	int i;

	for (i = 0; i < OP_NR; i++) {
		if (res[i] != -EPERM)
			ksft_print_msg("%s: %s gave %d (%s), not EPERM\n", who,
				       op_names[i], res[i], strerror(-res[i]));
		EXPECT_EQ(-EPERM, res[i]);
	}
}

TEST_F_TIMEOUT(boundary, forked_child_gets_eperm, BOUNDARY_TIMEOUT)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int dev, part, status, *res;
	pid_t pid;

	res = shared_page();
	ASSERT_NE(NULL, res);
	dev = kvmvsm_open();
	ASSERT_LE(0, dev);
	part = kvmvsm_create_partition(dev, 1, 0);
	ASSERT_LE(0, part);
	vm = vm_create_with_one_vcpu(&vcpu, NULL);
	ASSERT_EQ(0, kvmvsm_attach_vtl(part, vm->fd, 0));
	ASSERT_EQ(0, kvmvsm_attach_vcpu(part, vcpu->fd, 0, NULL));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int cvm, cvcpu;

		own_vm(&cvm, &cvcpu);
		foreign_ops(part, cvm, cvcpu, res);
		_exit(cvm < 0 || cvcpu < 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	expect_all_eperm(_metadata, res, "forked child");
	owner_still_works(_metadata, part, vm, vcpu->fd);

	close(part);
	close(dev);
	kvm_vm_free(vm);
	munmap(res, 4096);
}

/* Receive one fd over @sock. */
static int recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))], c;
	struct iovec iov = { &c, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	int fd = -1;

	if (recvmsg(sock, &m, 0) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&m);
	if (cm && cm->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

static int send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = {}, c = 0;
	struct iovec iov = { &c, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &m, 0) == 1 ? 0 : -1;
}

/*
 * A second process (forked before the partition existed, so it inherits
 * nothing) receives the partition fd over SCM_RIGHTS and tries to use it,
 * first of all to attach its own VM as VTL1 of our partition.
 */
TEST_F_TIMEOUT(boundary, scm_rights_receiver_gets_eperm, BOUNDARY_TIMEOUT)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int dev, part, status, sv[2], *res;
	pid_t pid;

	res = shared_page();
	ASSERT_NE(NULL, res);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int p, cvm, cvcpu;

		close(sv[0]);
		own_vm(&cvm, &cvcpu);
		p = recv_fd(sv[1]);
		if (p < 0)
			_exit(2);
		foreign_ops(p, cvm, cvcpu, res);
		_exit(cvm < 0 || cvcpu < 0);
	}
	close(sv[1]);
	dev = kvmvsm_open();
	ASSERT_LE(0, dev);
	part = kvmvsm_create_partition(dev, 1, 0);
	ASSERT_LE(0, part);
	vm = vm_create_with_one_vcpu(&vcpu, NULL);
	ASSERT_EQ(0, kvmvsm_attach_vtl(part, vm->fd, 0));
	ASSERT_EQ(0, kvmvsm_attach_vcpu(part, vcpu->fd, 0, NULL));
	ASSERT_EQ(0, send_fd(sv[0], part));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	expect_all_eperm(_metadata, res, "SCM_RIGHTS receiver");
	owner_still_works(_metadata, part, vm, vcpu->fd);

	close(sv[0]);
	close(part);
	close(dev);
	kvm_vm_free(vm);
	munmap(res, 4096);
}

/* ---- item 4: ring memory is charged to the creator's memory cgroup ---- */

#define CG_ROOT		"/sys/fs/cgroup"
#define CG_LIMIT	(48ull << 20)
#define CG_MAX_PARTS	32

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY), r;

	if (fd < 0)
		return -errno;
	r = write(fd, s, strlen(s)) == (ssize_t)strlen(s) ? 0 : -errno;
	close(fd);
	return r;
}

/* "key value" from a cgroup file such as memory.events; -1 if absent. */
static long cg_key(const char *path, const char *key)
{
	char k[64];
	long v, r = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", k, &v) == 2)
		if (!strcmp(k, key))
			r = v;
	fclose(f);
	return r;
}

struct cg_result {
	int created;		/* partitions open when creation failed */
	int err;		/* that failure, -errno; 0 if none */
	size_t ring_bytes;	/* ring_mmap_size of one of them */
};

TEST_F_TIMEOUT(boundary, ring_charged_to_memcg, BOUNDARY_TIMEOUT)
{
	char cg[128], path[192], buf[32];
	struct cg_result *res;
	int status, go[2];
	pid_t pid;

	/* The guest's /init mounts no cgroup2: do it here if needed. */
	if (!vsm_path_exists(CG_ROOT "/cgroup.controllers")) {
		mkdir(CG_ROOT, 0755);
		ASSERT_EQ(0, mount("cgroup2", CG_ROOT, "cgroup2", 0, NULL))
			TH_LOG("mount cgroup2: %s", strerror(errno));
	}
	ASSERT_EQ(0, write_file(CG_ROOT "/cgroup.subtree_control", "+memory"));
	snprintf(cg, sizeof(cg), CG_ROOT "/vsm-boundary-%d", getpid());
	ASSERT_EQ(0, mkdir(cg, 0755));
	snprintf(path, sizeof(path), "%s/memory.max", cg);
	snprintf(buf, sizeof(buf), "%llu", CG_LIMIT);
	ASSERT_EQ(0, write_file(path, buf));
	res = shared_page();
	ASSERT_NE(NULL, res);
	ASSERT_EQ(0, pipe(go));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct kvm_vsm_partition_info info;
		int dev, fd, i;
		char c;

		close(go[1]);
		if (read(go[0], &c, 1) != 1)	/* moved into the cgroup */
			_exit(2);
		dev = kvmvsm_open();
		if (dev < 0)
			_exit(3);
		/* Keep every partition open: all of it is our memory. */
		for (i = 0; i < CG_MAX_PARTS; i++) {
			fd = kvmvsm_create_partition(dev, KVM_VSM_RING_MAX_ENTRIES, 0);
			if (fd < 0) {
				res->err = fd;
				break;
			}
			if (!i && !kvmvsm_get_info(fd, &info))
				res->ring_bytes = info.ring_mmap_size;
			res->created = i + 1;
		}
		_exit(0);
	}
	close(go[0]);
	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	snprintf(buf, sizeof(buf), "%d", pid);
	EXPECT_EQ(0, write_file(path, buf));
	ASSERT_EQ(1, write(go[1], "g", 1));
	close(go[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));

	/* ENOMEM to the caller, not its death by the cgroup's OOM killer. */
	snprintf(path, sizeof(path), "%s/memory.events", cg);
	EXPECT_EQ(0, cg_key(path, "oom_kill"));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("child status %#x", status);
	TH_LOG("%d partitions of %zu bytes under memory.max %llu, then %d",
	       res->created, res->ring_bytes, CG_LIMIT, res->err);
	EXPECT_LT(0, res->created);
	EXPECT_EQ(-ENOMEM, res->err)
		TH_LOG("%d rings of %zu bytes created under memory.max %llu",
		       res->created, res->ring_bytes, CG_LIMIT);
	EXPECT_GE(CG_LIMIT, (unsigned long long)res->created * res->ring_bytes);

	rmdir(cg);
	munmap(res, 4096);
}

/* ---- item 5a: RESTORE_RAX_RCX from the VTL being entered ---- */

struct active_call {
	int part;
	struct kvm_vsm_active_vtl arg;
	int done;		/* READ_ONCE/WRITE_ONCE */
	int r;
};

static void *active_thread(void *p)
{
	struct active_call *a = p;

	a->r = raw_ioctl(a->part, KVM_VSM_SET_ACTIVE_VTL, &a->arg);
	WRITE_ONCE(a->done, 1);
	return NULL;
}

/*
 * The call in a thread, waited for at most 10 s: the old code locked the
 * vCPU mutex twice and hung. A hung thread dies with the test process
 * (the lock is killable).
 */
static int set_active_bounded(int part, u32 vtl, u32 flags, u32 from, bool *hung)
{
	struct active_call a = {
		.part = part,
		.arg = { .vp = 0, .vtl = vtl, .flags = flags, .from = from },
	};
	pthread_t t;
	double end = now_s() + 10;

	pthread_create(&t, NULL, active_thread, &a);
	while (!READ_ONCE(a.done) && now_s() < end)
		usleep(10000);
	*hung = !READ_ONCE(a.done);
	if (*hung)
		return -ETIMEDOUT;
	pthread_join(t, NULL);
	return a.r;
}

static void idle_guest(u64 vp)
{
	GUEST_DONE();
}

TEST_F_TIMEOUT(boundary, set_active_vtl_restore_from_self, BOUNDARY_TIMEOUT)
{
	struct vtl_pair p;
	bool hung;
	int r;

	vtl_pair_create(&p, idle_guest, 0, VTL1_HOST_ENABLED);
	ASSERT_EQ(0, kvmvsm_set_run_mode(p.part, KVM_VSM_RUN_MODE_USERSPACE));

	r = set_active_bounded(p.part, 0, KVM_VSM_ACTIVE_VTL_RESTORE_RAX_RCX, 0, &hung);
	ASSERT_FALSE(hung) TH_LOG("SET_ACTIVE_VTL(vtl 0, RESTORE from 0) hung");
	EXPECT_EQ(-EINVAL, r);
	r = set_active_bounded(p.part, 1, KVM_VSM_ACTIVE_VTL_RESTORE_RAX_RCX, 1, &hung);
	ASSERT_FALSE(hung) TH_LOG("SET_ACTIVE_VTL(vtl 1, RESTORE from 1) hung");
	EXPECT_EQ(-EINVAL, r);
	/* A real return, 1 -> 0, still works; so does entering VTL1. */
	EXPECT_EQ(0, set_active_bounded(p.part, 0, KVM_VSM_ACTIVE_VTL_RESTORE_RAX_RCX,
					1, &hung));
	EXPECT_EQ(0, set_active_bounded(p.part, 1, KVM_VSM_ACTIVE_VTL_ENTRY_CALL,
					0, &hung));
	EXPECT_EQ(0, set_active_bounded(p.part, 0, 0, 0, &hung));
	vtl_pair_destroy(&p);
}

/* ---- item 5f: HvCallEnablePartitionVtl racing KVM_VSM_DETACH_VTL ---- */

static u64 g_stop;
static u64 g_status[4];	/* success, already enabled, invalid parameter, other */

/* VTL0, forever until told: enable VTL1 for the partition (fast form). */
static void enable_hammer_guest(u64 vp)
{
	u64 r;

	guest_hv_enable(g_page0_gpa);
	while (!READ_ONCE(g_stop)) {
		r = guest_hv_call(g_page0_gva, HVCALL_ENABLE_PARTITION_VTL |
				  HV_HYPERCALL_FAST_BIT, ~0ull, 1) & 0xffff;
		g_status[!r ? 0 : r == ST_VTL_ALREADY_ENABLED ? 1 :
			 r == ST_INVALID_PARAMETER ? 2 : 3]++;
	}
	GUEST_DONE();
}

struct hammer {
	struct vtl_pair *p;
	int r;		/* 0: GUEST_DONE */
};

static void *hammer_thread(void *arg)
{
	struct hammer *h = arg;
	struct ucall uc;
	u32 vtl;
	int r;

	for (;;) {
		r = kvmvsm_run_vp(h->p->part, 0, &vtl);
		if (r) {
			h->r = r;
			return NULL;
		}
		r = get_ucall(h->p->vcpu[0], &uc);
		if (r == UCALL_DONE) {
			h->r = 0;
			return NULL;
		}
		if (r != UCALL_NONE) {
			h->r = 1000 + r;
			return NULL;
		}
	}
}

/* Wait (at most 2 s) for the guest's next successful enable. */
static void wait_enabled(u64 *status, u64 before)
{
	double end = now_s() + 2;

	while (READ_ONCE(status[0]) == before && now_s() < end)
		usleep(1000);
}

#define RACE_SECONDS	30
#define RACE_CYCLES	5000

TEST_F_TIMEOUT(boundary, enable_partition_vtl_vs_detach, BOUNDARY_TIMEOUT)
{
	struct kvm_vsm_partition_info info;
	u64 *status, *stop, cycles = 0, left_enabled = 0, first_bad = 0;
	struct hammer h = {};
	struct kvm_vm *vm1;
	struct vtl_pair p;
	pthread_t t;
	double end;

	vtl_pair_create(&p, enable_hammer_guest, 0, VTL1_NONE);
	vm1 = vm_create_barebones();
	ASSERT_EQ(0, kvmvsm_attach_vtl(p.part, vm1->fd, 1));
	status = addr_gva2hva(p.vm[0], (vm_vaddr_t)g_status);
	stop = addr_gva2hva(p.vm[0], (vm_vaddr_t)&g_stop);
	h.p = &p;
	ASSERT_EQ(0, pthread_create(&t, NULL, hammer_thread, &h));

	end = now_s() + RACE_SECONDS;
	while (cycles < RACE_CYCLES && now_s() < end) {
		ASSERT_EQ(0, kvmvsm_detach_vtl(p.part, 1));
		ASSERT_EQ(0, kvmvsm_get_info(p.part, &info));
		/* What the re-attach below would inherit. */
		if ((info.enabled_vtl_mask & BIT(1)) && !left_enabled++)
			first_bad = cycles;
		ASSERT_EQ(0, kvmvsm_attach_vtl(p.part, vm1->fd, 1));
		/* Now and then, let the guest enable the new VTL1 first. */
		if (!(++cycles % 16))
			wait_enabled(status, status[0]);
	}
	WRITE_ONCE(*stop, 1);
	pthread_join(t, NULL);
	TH_LOG("%llu cycles; guest: %llu enabled, %llu already, %llu detached, %llu other",
	       (unsigned long long)cycles, (unsigned long long)status[0],
	       (unsigned long long)status[1], (unsigned long long)status[2],
	       (unsigned long long)status[3]);
	EXPECT_EQ(0, h.r);
	EXPECT_EQ(0, left_enabled)
		TH_LOG("VTL1 left enabled after %llu of %llu detaches (first: cycle %llu)",
		       (unsigned long long)left_enabled, (unsigned long long)cycles,
		       (unsigned long long)first_bad);
	/* The race was run: the guest enabled VTL1 again after re-attaches. */
	EXPECT_LE(cycles / 16, status[0]);
	EXPECT_EQ(0, status[3]);

	/* Quiet now: a re-attached VTL1 starts disabled. */
	ASSERT_EQ(0, kvmvsm_detach_vtl(p.part, 1));
	ASSERT_EQ(0, kvmvsm_attach_vtl(p.part, vm1->fd, 1));
	ASSERT_EQ(0, kvmvsm_get_info(p.part, &info));
	EXPECT_EQ(1, info.enabled_vtl_mask);

	vtl_pair_destroy(&p);
	kvm_vm_free(vm1);
}

TEST_HARNESS_MAIN
