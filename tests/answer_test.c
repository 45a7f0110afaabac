// SPDX-License-Identifier: GPL-2.0
/*
 * The answer path (issue 8, item 1): a record that needs an answer ends
 * KVM_RUN, the VMM answers from any thread, the answer is applied at the
 * next entry, and nothing waits for userspace while holding a vCPU mutex,
 * an SRCU section or a lock another partition needs.
 *
 * Every wait here is bounded: on a module that waits inside KVM_RUN the
 * tests fail (and then unblock the guest) instead of hanging.
 */
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/userfaultfd.h>

#include "kvm_util.h"
#include "processor.h"
#include "hyperv.h"

#undef ASSERT_EQ	/* 6.1's test_util.h has its own */
#include "kselftest_harness.h"
#include "vsm_test.h"
#include "vsm_guest.h"
#include "kvmvsm.h"
#include "vsm_vtl.h"

#define ANSWER_TIMEOUT	300
#define GETREGS_FAST	(HVCALL_GET_VP_REGISTERS | HV_HYPERCALL_FAST_BIT)

static u64 g_page;	/* the hypercall page's GVA, for moved_here() */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Join @t within @secs; false on timeout (the thread keeps running). */
static bool join_within(pthread_t t, int secs)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += secs;
	return !pthread_timedjoin_np(t, NULL, &until);
}

/* Guest: VSM hypercalls while the VMM answers 0 (input = round). */
static void busy_guest(u64 page_gva, u64 page_gpa, u64 id, u64 arg)
{
	u64 i;

	guest_hv_enable(page_gpa);
	for (i = 0; !guest_hv_call(page_gva, GETREGS_FAST, i, id); i++)
		;
	GUEST_DONE();	/* detached: KVM's stock answer */
}

/* Guest: one call, then report what it got. */
static void one_call_guest(u64 page_gva, u64 page_gpa, u64 id, u64 arg)
{
	guest_hv_enable(page_gpa);
	GUEST_SYNC(guest_hv_call(page_gva, GETREGS_FAST, arg, id));
	GUEST_DONE();
}

/* Where the VMM moves a guest whose record it abandons. */
static void moved_here(void)
{
	GUEST_SYNC(guest_hv_call(g_page, GETREGS_FAST, 77, 0));
	GUEST_DONE();
}

struct runner {
	int part;
	struct kvm_vcpu *vcpu;
	u32 vp;
	int r;
	int second;	/* run again after a record exit (the VMM's wait) */
	int done;
	pthread_t tid;
};

static void sig_noop(int sig)
{
}

/* One KVM_VSM_RUN_VP; with @second, one more after a record exit. */
static void *run_once(void *arg)
{
	struct runner *t = arg;

	t->r = kvmvsm_run_vp(t->part, t->vp, NULL);
	if (!t->r && t->second && kvmvsm_exit(t->vcpu->run) == KVM_VSM_EXIT_HYPERV_RECORD)
		t->r = kvmvsm_run_vp(t->part, t->vp, NULL);
	__atomic_store_n(&t->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* KVM_VSM_RUN_VP as a VMM with a consumer thread does, until an error. */
static void *run_loop(void *arg)
{
	struct runner *t = arg;

	t->r = vsm_run_vp(t->part, t->vp, NULL, &t->vcpu);
	return NULL;
}

/* Answer every record with @result until *stop; returns the count. */
struct drainer {
	struct kvmvsm_ring *ring;
	int stop;
	u64 answered;
	pthread_t tid;
};

static void *drain(void *arg)
{
	const struct kvm_vsm_ring_record *rec;
	struct drainer *d = arg;

	while (!__atomic_load_n(&d->stop, __ATOMIC_ACQUIRE)) {
		if (kvmvsm_ring_wait(d->ring, 20) <= 0)
			continue;
		while ((rec = kvmvsm_ring_peek(d->ring))) {
			kvmvsm_ring_complete(d->ring, rec->seq, 0);
			kvmvsm_ring_advance(d->ring);
			d->answered++;
		}
	}
	return NULL;
}

FIXTURE(ans) {
	int dev;
	int part;
	struct kvmvsm_ring ring;
};

FIXTURE_SETUP(ans)
{
	struct sigaction sa = { .sa_handler = sig_noop };

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ASSERT_EQ(0, vsm_ensure_loaded());
	self->dev = kvmvsm_open();
	ASSERT_LE(0, self->dev);
	self->part = kvmvsm_create_partition(self->dev, 0, KVM_VSM_CREATE_CLOEXEC);
	ASSERT_LE(0, self->part);
	ASSERT_EQ(0, kvmvsm_ring_map(self->part, &self->ring));
}

FIXTURE_TEARDOWN(ans)
{
	kvmvsm_ring_unmap(&self->ring);
	close(self->part);
	close(self->dev);
}

struct other_side {
	int part;
	double took;
	pthread_t tid;
};

static void *attach_detach_close(void *arg)
{
	struct other_side *o = arg;
	struct kvm_vm *vm = vm_create_barebones();
	double t0 = now();

	kvmvsm_attach_vtl(o->part, vm->fd, 0);
	kvmvsm_detach_vtl(o->part, 0);
	close(o->part);
	o->took = now() - t0;
	kvm_vm_free(vm);
	return NULL;
}

static int *g_ready;	/* VMM A is set up and stalled (shared memory) */

/* VMM A: a record it never answers. */
static void silent_vmm(void)
{
	struct kvmvsm_ring ring;
	struct runner t = {};
	struct vsm_vm v;

	t.part = kvmvsm_create_partition(kvmvsm_open(), 0, 0);
	vsm_vm_create(&v, 1, one_call_guest, 1);
	kvmvsm_attach_vtl(t.part, v.vm->fd, 0);
	kvmvsm_attach_vcpu(t.part, v.vcpus[0]->fd, 0, NULL);
	kvmvsm_ring_map(t.part, &ring);
	t.vcpu = v.vcpus[0];
	t.second = 1;
	pthread_create(&t.tid, NULL, run_once, &t);
	while (kvmvsm_ring_wait(&ring, 1000) <= 0)
		;
	usleep(100000);	/* the vCPU thread is back in RUN_VP (or never left) */
	*g_ready = 1;
	for (;;)
		pause();
}

/* Guest: a VSM hypercall whose input page is @arg (a GPA). */
#define UFFD_GPA	0x20000000ull
#define UFFD_SLOT	10

static void stalled_input_guest(u64 page_gva, u64 page_gpa, u64 id, u64 arg)
{
	guest_hv_enable(page_gpa);
	GUEST_SYNC(guest_hv_call(page_gva, HVCALL_ENABLE_PARTITION_VTL, arg, 0));
	GUEST_DONE();
}

static void *run_plain(void *arg)
{
	vcpu_run(arg);
	return NULL;
}

/*
 * VMM A: its guest's hypercall input page is backed by a userfaultfd A
 * never serves, so the module's read of that input stalls in the handler.
 */
static void stalled_memory_vmm(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	int dev = kvmvsm_open(), part, uffd;
	struct vsm_vm v;
	pthread_t t;

	part = kvmvsm_create_partition(dev, 0, 0);
	vsm_vm_create(&v, 1, stalled_input_guest, UFFD_GPA);
	vm_userspace_mem_region_add(v.vm, VM_MEM_SRC_ANONYMOUS, UFFD_GPA,
				    UFFD_SLOT, 1, 0);
	reg.range.start = (u64)addr_gpa2hva(v.vm, UFFD_GPA);
	reg.range.len = 4096;
	uffd = syscall(__NR_userfaultfd, O_CLOEXEC);
	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api) ||
	    ioctl(uffd, UFFDIO_REGISTER, &reg))
		_exit(2);
	vsm_set_hv_cpuid(dev, v.vcpus[0]);
	kvmvsm_attach_vtl(part, v.vm->fd, 0);
	kvmvsm_attach_vcpu(part, v.vcpus[0]->fd, 0, NULL);
	pthread_create(&t, NULL, run_plain, v.vcpus[0]);
	usleep(500000);	/* the vCPU is stuck on the input page */
	*g_ready = 1;
	for (;;)
		pause();
}

/*
 * VMM A (@vmm_a, in a child process) stalls; VMM B (this process)
 * attaches, detaches and closes a partition of its own. Returns B's time;
 * -1 if B waited 20 s for A, -2 if A's set-up failed. A is killed either
 * way (its waits are killable), so a failure cannot hang the suite.
 */
static double other_vmm_while(int dev, void (*vmm_a)(void))
{
	struct other_side o;
	int status;
	bool prompt;
	pid_t pid;

	g_ready = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(g_ready != MAP_FAILED, "shared page");
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (!pid) {
		vmm_a();
		_exit(0);
	}
	while (!__atomic_load_n(g_ready, __ATOMIC_ACQUIRE)) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			munmap(g_ready, 4096);
			return -2;
		}
		usleep(1000);
	}
	o.part = kvmvsm_create_partition(dev, 0, 0);
	TEST_ASSERT(o.part >= 0, "B's partition");
	TEST_ASSERT(!pthread_create(&o.tid, NULL, attach_detach_close, &o), "B");
	prompt = join_within(o.tid, 20);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	if (!prompt)
		pthread_join(o.tid, NULL);
	munmap(g_ready, 4096);
	return prompt ? o.took : -1;
}

/*
 * A never answers its record; B is never held up by A (detach waits for
 * a grace period of the SRCU every partition's hooks share). A just never
 * answers: a SIGSTOP would not do, stopping wakes an interruptible wait.
 */
TEST_F_TIMEOUT(ans, silent_vmm_never_delays_another, ANSWER_TIMEOUT)
{
	double took = other_vmm_while(self->dev, silent_vmm);

	EXPECT_NE(-2, took) TH_LOG("VMM A: set-up failed");
	EXPECT_TRUE(took >= 0) TH_LOG("B's detach/close waited for A's silent VMM");
	TH_LOG("B attach+detach+close: %.3f s", took);
}

/*
 * A's guest memory stalls a handler; B's attach, detach and close must
 * not wait for it (the handler holds A's partition's SRCU, not the one
 * every partition's detach waits for).
 */
TEST_F_TIMEOUT(ans, stalled_guest_memory_never_delays_another, ANSWER_TIMEOUT)
{
	double took = other_vmm_while(self->dev, stalled_memory_vmm);

	EXPECT_NE(-2, took) TH_LOG("VMM A: set-up failed");
	EXPECT_TRUE(took >= 0) TH_LOG("B's detach/close waited for A's stalled guest memory");
	TH_LOG("B attach+detach+close: %.3f s", took);
}

struct getregs {
	int fd;
	struct kvm_regs regs;
	int r;
	pthread_t tid;
};

static void *get_regs(void *arg)
{
	struct getregs *g = arg;

	g->r = ioctl(g->fd, KVM_GET_REGS, &g->regs);
	return NULL;
}

/*
 * GetVpRegisters(self, RIP) is the VMM's to answer, and it needs
 * KVM_GET_REGS on the very vCPU that made the call: that vCPU's mutex is
 * free while the VMM works. The guest checks it got its own RIP (the
 * hypercall page, where its VMMCALL is).
 */
TEST_F_TIMEOUT(ans, vmm_reads_calling_vcpu, ANSWER_TIMEOUT)
{
	const struct kvm_vsm_ring_record *rec;
	struct runner t = { .part = self->part };
	struct getregs g = {};
	struct vsm_vm v;
	struct ucall uc;
	bool got;

	vsm_vm_create(&v, 1, one_call_guest, 1);
	ASSERT_EQ(0, kvmvsm_attach_vtl(self->part, v.vm->fd, 0));
	ASSERT_EQ(0, kvmvsm_attach_vcpu(self->part, v.vcpus[0]->fd, 0, NULL));
	t.vcpu = v.vcpus[0];
	ASSERT_EQ(0, pthread_create(&t.tid, NULL, run_loop, &t));

	ASSERT_EQ(1, kvmvsm_ring_wait(&self->ring, 60000));
	rec = kvmvsm_ring_peek(&self->ring);
	ASSERT_NE(NULL, rec);
	usleep(100000);	/* the vCPU thread back in RUN_VP, or still in KVM_RUN */
	g.fd = v.vcpus[0]->fd;
	ASSERT_EQ(0, pthread_create(&g.tid, NULL, get_regs, &g));
	got = join_within(g.tid, 10);
	EXPECT_TRUE(got) TH_LOG("KVM_GET_REGS blocked on the calling vCPU");
	/* Without the registers, answer anyway so the guest lets go of it. */
	EXPECT_EQ(0, kvmvsm_ring_complete(&self->ring, rec->seq, got ? g.regs.rip : 0));
	kvmvsm_ring_advance(&self->ring);
	if (!got)
		pthread_join(g.tid, NULL);
	EXPECT_EQ(0, g.r);
	ASSERT_TRUE(join_within(t.tid, 60));
	EXPECT_EQ(0, t.r);
	ASSERT_EQ(UCALL_SYNC, get_ucall(v.vcpus[0], &uc));
	EXPECT_EQ(v.page, uc.args[1]) TH_LOG("RIP %#lx", (unsigned long)uc.args[1]);
	kvm_vm_free(v.vm);
}

/*
 * A record interrupted by a signal, then the guest moved by the VMM
 * (KVM_SET_REGS): the record is cancelled, not answered into the new
 * context. The guest's next VSM hypercall gets a record of its own; the
 * old one's KVM_VSM_COMPLETE gets ENOENT.
 */
TEST_F_TIMEOUT(ans, moved_guest_cancels_record, ANSWER_TIMEOUT)
{
	const struct kvm_vsm_ring_record *rec;
	struct runner t = { .part = self->part, .second = 1 };
	struct kvm_regs regs;
	struct vsm_vm v;
	struct ucall uc;
	u64 old_seq;
	bool back;
	int i;

	vsm_vm_create(&v, 1, one_call_guest, 1);
	g_page = v.page;
	sync_global_to_guest(v.vm, g_page);
	ASSERT_EQ(0, kvmvsm_attach_vtl(self->part, v.vm->fd, 0));
	ASSERT_EQ(0, kvmvsm_attach_vcpu(self->part, v.vcpus[0]->fd, 0, NULL));
	t.vcpu = v.vcpus[0];

	/* The call, then the VMM's wait for its answer, cut by a signal. */
	ASSERT_EQ(0, pthread_create(&t.tid, NULL, run_once, &t));
	ASSERT_EQ(1, kvmvsm_ring_wait(&self->ring, 60000));
	old_seq = kvmvsm_ring_peek(&self->ring)->seq;
	kvmvsm_ring_advance(&self->ring);
	/* Until it lands while the thread is in the kernel, not between calls. */
	for (i = 0; !__atomic_load_n(&t.done, __ATOMIC_ACQUIRE) && i < 300; i++) {
		usleep(100000);
		pthread_kill(t.tid, SIGUSR1);
	}
	ASSERT_TRUE(join_within(t.tid, 30));
	EXPECT_EQ(-EINTR, t.r);

	/* The VMM moves the guest elsewhere and runs it. */
	vcpu_regs_get(v.vcpus[0], &regs);
	regs.rip = (u64)moved_here;
	vcpu_regs_set(v.vcpus[0], &regs);
	t.second = 0;
	ASSERT_EQ(0, pthread_create(&t.tid, NULL, run_once, &t));
	back = kvmvsm_ring_wait(&self->ring, 20000) == 1;
	EXPECT_TRUE(back) TH_LOG("the moved guest's call made no record");
	if (!back) {
		/* The old record swallowed the new call: let the guest go. */
		kvmvsm_ring_complete(&self->ring, old_seq, 0xbad);
		pthread_join(t.tid, NULL);
		kvm_vm_free(v.vm);
		return;
	}
	ASSERT_TRUE(join_within(t.tid, 30));
	EXPECT_EQ(0, t.r);
	EXPECT_EQ(KVM_VSM_EXIT_HYPERV_RECORD, kvmvsm_exit(v.vcpus[0]->run));
	rec = kvmvsm_ring_peek(&self->ring);
	ASSERT_NE(NULL, rec);
	EXPECT_EQ(old_seq + 1, rec->seq);
	EXPECT_EQ(77, rec->hypercall.input);
	EXPECT_EQ(-ENOENT, kvmvsm_ring_complete(&self->ring, old_seq, 0xbad));
	EXPECT_EQ(0, kvmvsm_ring_complete(&self->ring, rec->seq, 0x99));
	kvmvsm_ring_advance(&self->ring);
	EXPECT_EQ(0, kvmvsm_run_vp(self->part, 0, NULL));
	ASSERT_EQ(UCALL_SYNC, get_ucall(v.vcpus[0], &uc));
	EXPECT_EQ(0x99, uc.args[1]);
	kvm_vm_free(v.vm);
}

struct detacher {
	int part;
	u32 vtl;
	int r;
	pthread_t tid;
};

static void *detach(void *arg)
{
	struct detacher *d = arg;

	d->r = kvmvsm_detach_vtl(d->part, d->vtl);
	return NULL;
}

/*
 * The consumer thread itself detaches while records are outstanding and
 * more wait for room in a full one-slot ring: first VTL1 (not the
 * producers' VTL), then VTL0; neither deadlocks, and the vCPUs' runs end.
 */
TEST_F_TIMEOUT(ans, detach_from_consumer_thread, ANSWER_TIMEOUT)
{
	struct runner t[2] = {};
	struct drainer dr = {};
	struct kvmvsm_ring ring;
	struct detacher d;
	struct kvm_vm *vtl1;
	struct vsm_vm v;
	int part, i;
	bool prompt;

	part = kvmvsm_create_partition(self->dev, 1, 0);
	ASSERT_LE(0, part);
	ASSERT_EQ(0, kvmvsm_ring_map(part, &ring));
	vsm_vm_create(&v, 2, busy_guest, 0);
	vtl1 = vm_create_barebones();
	ASSERT_EQ(0, kvmvsm_attach_vtl(part, v.vm->fd, 0));
	ASSERT_EQ(0, kvmvsm_attach_vtl(part, vtl1->fd, 1));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, kvmvsm_attach_vcpu(part, v.vcpus[i]->fd, 0, &t[i].vp));
		t[i].part = part;
		t[i].vcpu = v.vcpus[i];
		ASSERT_EQ(0, pthread_create(&t[i].tid, NULL, run_loop, &t[i]));
	}
	/* One record outstanding, the other vCPU's waiting for room. */
	ASSERT_EQ(1, kvmvsm_ring_wait(&ring, 60000));
	usleep(500000);

	for (d.vtl = 1; (int)d.vtl >= 0; d.vtl--) {
		d.part = part;
		ASSERT_EQ(0, pthread_create(&d.tid, NULL, detach, &d));
		prompt = join_within(d.tid, 20);
		EXPECT_TRUE(prompt) TH_LOG("DETACH_VTL(%u) deadlocked", d.vtl);
		if (!prompt) {
			/* Feed the producers until the detach gets through. */
			dr.ring = &ring;
			pthread_create(&dr.tid, NULL, drain, &dr);
			pthread_join(d.tid, NULL);
			__atomic_store_n(&dr.stop, 1, __ATOMIC_RELEASE);
			pthread_join(dr.tid, NULL);
			memset(&dr, 0, sizeof(dr));
		}
		EXPECT_EQ(0, d.r);
	}
	/* Detached: the vCPUs' runs end (their VTL is gone, or stock answers). */
	for (i = 0; i < 2; i++) {
		ASSERT_TRUE(join_within(t[i].tid, 30)) TH_LOG("vp %d still running", i);
		EXPECT_TRUE(t[i].r == -ENOENT || t[i].r == 0) TH_LOG("vp %d: %d", i, t[i].r);
	}
	kvmvsm_ring_unmap(&ring);
	close(part);
	kvm_vm_free(vtl1);
	kvm_vm_free(v.vm);
}

/*
 * One thread at a time owns a VP: while one KVM_VSM_RUN_VP waits for an
 * answer, a second KVM_VSM_RUN_VP or a KVM_VSM_SET_ACTIVE_VTL of that VP
 * gets EBUSY (two threads racing over one VP's VTL state could corrupt it).
 */
TEST_F_TIMEOUT(ans, second_runner_is_busy, ANSWER_TIMEOUT)
{
	struct runner t = { .part = self->part, .second = 1 };
	const struct kvm_vsm_ring_record *rec;
	struct vsm_vm v;
	struct ucall uc;

	vsm_vm_create(&v, 1, one_call_guest, 5);
	ASSERT_EQ(0, kvmvsm_attach_vtl(self->part, v.vm->fd, 0));
	ASSERT_EQ(0, kvmvsm_attach_vcpu(self->part, v.vcpus[0]->fd, 0, NULL));
	t.vcpu = v.vcpus[0];
	ASSERT_EQ(0, pthread_create(&t.tid, NULL, run_once, &t));
	ASSERT_EQ(1, kvmvsm_ring_wait(&self->ring, 60000));
	rec = kvmvsm_ring_peek(&self->ring);
	usleep(300000);	/* the runner is back, waiting for the answer */
	EXPECT_EQ(-EBUSY, kvmvsm_run_vp(self->part, 0, NULL));
	EXPECT_EQ(-EBUSY, kvmvsm_set_active_vtl(self->part, 0, 0, 0, 0));
	EXPECT_EQ(0, kvmvsm_ring_complete(&self->ring, rec->seq, 0x55));
	kvmvsm_ring_advance(&self->ring);
	ASSERT_TRUE(join_within(t.tid, 60));
	EXPECT_EQ(0, t.r);
	ASSERT_EQ(UCALL_SYNC, get_ucall(v.vcpus[0], &uc));
	EXPECT_EQ(0x55, uc.args[1]);
	/* Its own again: no owner left behind. */
	EXPECT_EQ(0, kvmvsm_set_active_vtl(self->part, 0, 0, 0, 0));
	kvm_vm_free(v.vm);
}

TEST_HARNESS_MAIN
