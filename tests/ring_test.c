// SPDX-License-Identifier: GPL-2.0
/*
 * The exit ring end to end: guest code on several vCPUs issues VSM
 * hypercalls that kvm-vsm forwards through the ring; a consumer answers
 * each one with a value derived from its input, and the guest checks the
 * answer it got. Proves: none lost, none duplicated, seq contiguous,
 * results delivered to the right vCPU, a full ring holds producers without
 * dropping, and a consumer that dies mid-stream loses nothing.
 */
#include <pthread.h>
#include <time.h>
#include <sys/mman.h>

#include "kvm_util.h"
#include "processor.h"
#include "hyperv.h"

#undef ASSERT_EQ	/* 6.1's test_util.h has its own */
#include "kselftest_harness.h"
#include "vsm_test.h"
#include "vsm_guest.h"
#include "kvmvsm.h"

#define RING_TIMEOUT	900

static u64 answer(u64 i, u64 id)
{
	return (i << 8) ^ (id * 0x9e3779b97f4a7c15ull);
}

/* Each vCPU: @n GetVpRegisters calls, input i, output = its own number. */
static void ring_guest(u64 page_gva, u64 page_gpa, u64 id, u64 n)
{
	u64 i, r;

	guest_hv_enable(page_gpa);
	for (i = 0; i < n; i++) {
		r = guest_hv_call(page_gva, HVCALL_GET_VP_REGISTERS |
				  HV_HYPERCALL_FAST_BIT, i, id);
		GUEST_ASSERT_EQ(r, answer(i, id));
	}
	GUEST_DONE();
}

/*
 * What a consumer saw; lives in shared memory so a child can fill it.
 * last_seq doubles as the count of records handled (seq has no gaps), so
 * a consumer killed between two updates cannot leave them disagreeing.
 */
struct seen {
	u64 last_seq;
	u64 next_input[VSM_MAX_VCPUS];
	u64 bad;		/* wrong type/vp/order/seq */
	u64 full_seen;		/* producer-waiting flag observed */
	u64 enoent;		/* completion of an already answered record */
	int stop;
	u32 delay_us;
	int takeover;		/* first record after a consumer died */
	u64 die_at;		/* answer this record, then stop unconsumed */
};

static void consume(struct kvmvsm_ring *ring, struct seen *s, u64 limit)
{
	const struct kvm_vsm_ring_record *rec;
	int r;

	int idle = 0;

	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE) && s->last_seq < limit) {
		if (kvmvsm_ring_wait(ring, 50) <= 0) {
			/* Stalled for 30 s: say where, then give up. */
			if (++idle == 600) {
				fprintf(stderr,
					"# ring stalled: seq %llu prod %u cons %u flags %#x next %llu/%llu\n",
					(unsigned long long)s->last_seq,
					ring->hdr->producer, ring->hdr->consumer,
					ring->hdr->flags,
					(unsigned long long)s->next_input[0],
					(unsigned long long)s->next_input[1]);
				s->bad++;
				return;
			}
			continue;
		}
		idle = 0;
		while ((rec = kvmvsm_ring_peek(ring)) && s->last_seq < limit) {
			u64 id = rec->hypercall.output, i = rec->hypercall.input;

			if (ring->hdr->flags & KVM_VSM_RING_F_PRODUCER_WAITING)
				s->full_seen++;
			if (s->delay_us)
				usleep(s->delay_us);
			if (rec->type != KVM_VSM_RECORD_HYPERCALL ||
			    !(rec->flags & KVM_VSM_RECORD_NEEDS_COMPLETION) ||
			    id >= VSM_MAX_VCPUS || rec->vp != id || rec->vtl ||
			    (rec->hypercall.control & 0xffff) != HVCALL_GET_VP_REGISTERS)
				s->bad++;
			/* A record re-read after a consumer died is answered already. */
			if (rec->seq <= s->last_seq) {
				r = kvmvsm_ring_complete(ring, rec->seq, answer(i, id));
				s->enoent += r == -ENOENT;
				kvmvsm_ring_advance(ring);
				continue;
			}
			/* A consumer killed mid-update may have counted this input. */
			if (rec->seq != s->last_seq + 1 ||
			    (i != s->next_input[id] &&
			     !(s->takeover && i + 1 == s->next_input[id])))
				s->bad++;
			s->takeover = 0;
			s->next_input[id] = i + 1;
			r = kvmvsm_ring_complete(ring, rec->seq, answer(i, id));
			/* ENOENT: a consumer that died here had answered it. */
			s->enoent += r == -ENOENT;
			s->bad += r && r != -ENOENT;
			__atomic_store_n(&s->last_seq, rec->seq, __ATOMIC_RELEASE);
			/* A consumer dying between its answer and its advance. */
			if (s->die_at && s->last_seq == s->die_at)
				return;
			if (!(s->last_seq % 20000))
				fprintf(stderr, "# ring: %llu records\n",
					(unsigned long long)s->last_seq);
			kvmvsm_ring_advance(ring);
		}
	}
}

struct vp_thread {
	pthread_t tid;
	int part;
	struct kvm_vcpu *vcpu;
	u32 vp;
	int result;		/* 0: guest done; else the failure */
	int eintr;
};

static void *vp_run(void *arg)
{
	struct vp_thread *t = arg;
	struct ucall uc;
	int r;

	for (;;) {
		r = vsm_run_vp(t->part, t->vp, NULL, &t->vcpu);
		if (r == -EINTR) {
			t->eintr++;
			continue;
		}
		if (r) {
			t->result = r;
			return NULL;
		}
		switch (get_ucall(t->vcpu, &uc)) {
		case UCALL_DONE:
			t->result = 0;
			return NULL;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
			return NULL;	/* not reached */
		default:
			t->result = -1000 - (int)t->vcpu->run->exit_reason;
			return NULL;
		}
	}
}

struct rig {
	struct vsm_vm v;
	int dev, part;
	struct kvmvsm_ring ring;
	struct vp_thread t[VSM_MAX_VCPUS];
	struct seen *seen;
};

static void rig_start(struct __test_metadata *_metadata, struct rig *g,
		      int nr, u64 n, u32 entries)
{
	int i;

	g->seen = mmap(NULL, sizeof(*g->seen), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, g->seen);
	memset(g->seen, 0, sizeof(*g->seen));
	ASSERT_EQ(0, vsm_ensure_loaded());
	g->dev = kvmvsm_open();
	ASSERT_LE(0, g->dev);
	g->part = kvmvsm_create_partition(g->dev, entries, KVM_VSM_CREATE_CLOEXEC);
	ASSERT_LE(0, g->part);
	vsm_vm_create(&g->v, nr, ring_guest, n);
	ASSERT_EQ(0, kvmvsm_attach_vtl(g->part, g->v.vm->fd, 0));
	for (i = 0; i < nr; i++) {
		g->t[i].part = g->part;
		g->t[i].vcpu = g->v.vcpus[i];
		ASSERT_EQ(0, kvmvsm_attach_vcpu(g->part, g->v.vcpus[i]->fd, 0,
						&g->t[i].vp));
		ASSERT_EQ(i, g->t[i].vp);
	}
	ASSERT_EQ(0, kvmvsm_ring_map(g->part, &g->ring));
	for (i = 0; i < nr; i++)
		ASSERT_EQ(0, pthread_create(&g->t[i].tid, NULL, vp_run, &g->t[i]));
}

static void rig_finish(struct __test_metadata *_metadata, struct rig *g,
		       int nr, u64 n)
{
	struct kvm_vsm_partition_info info = {};
	int i;

	for (i = 0; i < nr; i++) {
		struct timespec until;

		/* A stuck vCPU fails the test instead of hanging it. */
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 120;
		ASSERT_EQ(0, pthread_timedjoin_np(g->t[i].tid, NULL, &until))
			TH_LOG("vp %d did not finish", i);
		EXPECT_EQ(0, g->t[i].result) TH_LOG("vp %d", i);
	}
	EXPECT_EQ(0, g->seen->bad);
	for (i = 0; i < nr; i++)
		EXPECT_EQ(n, g->seen->next_input[i]) TH_LOG("vp %d", i);
	EXPECT_EQ(nr * n, g->seen->last_seq);
	ASSERT_EQ(0, kvmvsm_get_info(g->part, &info));
	EXPECT_EQ(nr * n, info.hypercalls_forwarded);
	EXPECT_EQ(g->ring.hdr->producer, g->ring.hdr->consumer);

	kvmvsm_ring_unmap(&g->ring);
	close(g->part);
	kvm_vm_free(g->v.vm);
	close(g->dev);
	munmap(g->seen, sizeof(*g->seen));
}

static u64 env_u64(const char *name, u64 def)
{
	const char *v = getenv(name);

	return v ? strtoull(v, NULL, 0) : def;
}

FIXTURE(ring) {
	struct rig g;
};

FIXTURE_SETUP(ring) {}
FIXTURE_TEARDOWN(ring) {}

/* 2 vCPUs, 100 000 records in all (KVM_VSM_TEST_RECORDS overrides). */
TEST_F_TIMEOUT(ring, two_vcpus_100k_records, RING_TIMEOUT)
{
	u64 n = env_u64("KVM_VSM_TEST_RECORDS", 100000) / 2;

	rig_start(_metadata, &self->g, 2, n, 1024);
	consume(&self->g.ring, self->g.seen, 2 * n);
	rig_finish(_metadata, &self->g, 2, n);
}

/* A one-slot ring and a slow consumer: producers wait, nothing drops. */
TEST_F_TIMEOUT(ring, full_ring_slow_consumer, RING_TIMEOUT)
{
	u64 n = 200;

	self->g.seen = NULL;
	rig_start(_metadata, &self->g, 2, n, 1);
	self->g.seen->delay_us = 500;
	consume(&self->g.ring, self->g.seen, 2 * n);
	EXPECT_LT(0, self->g.seen->full_seen);
	rig_finish(_metadata, &self->g, 2, n);
}

struct consumer_arg {
	struct kvmvsm_ring *ring;
	struct seen *seen;
};

static void *consumer_thread(void *arg)
{
	struct consumer_arg *c = arg;

	consume(c->ring, c->seen, ~0ull);
	return NULL;
}

/*
 * A consumer thread dies mid-stream, after answering a record and before
 * consuming it (a partition is usable only by its own process, so the
 * consumer is a thread); a new one picks up losslessly: the record it
 * finds answered already gets ENOENT, once.
 */
TEST_F_TIMEOUT(ring, consumer_dies_mid_stream, RING_TIMEOUT)
{
	struct consumer_arg c;
	u64 n = 2000;
	pthread_t t;

	rig_start(_metadata, &self->g, 2, n, 64);
	c.ring = &self->g.ring;
	c.seen = self->g.seen;
	self->g.seen->die_at = n / 2;
	ASSERT_EQ(0, pthread_create(&t, NULL, consumer_thread, &c));
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(n / 2, self->g.seen->last_seq);
	self->g.seen->die_at = 0;
	self->g.seen->takeover = 1;
	consume(&self->g.ring, self->g.seen, 2 * n);
	EXPECT_EQ(1, self->g.seen->enoent);
	rig_finish(_metadata, &self->g, 2, n);
}

TEST_HARNESS_MAIN
