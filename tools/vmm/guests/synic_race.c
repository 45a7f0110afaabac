// SPDX-License-Identifier: GPL-2.0
/*
 * synic_race: HvPostMessage into a slot whose owner empties it at the
 * same time. VP1 takes messages out of its SINT slot as Linux's VMBus
 * does (message type 0, then EOM only if MessagePending is set), with
 * interrupts off; VP0 posts NR_MSGS numbered messages, each retried while
 * the connection's one message in flight waits
 * (HV_STATUS_INSUFFICIENT_BUFFERS). Every message must arrive once and in
 * order. A VMM that marks the slot MessagePending while VP1 runs can mark
 * one VP1 has just emptied: no EOM ever comes, the message never goes in,
 * and VP0's retries run out. Runs with or without VTLs (the hypercall and
 * SynIC pages are then VTL0's overlays).
 *
 * Boot page tables (identity map): a pointer is its GPA.
 */
#include "vsm_guest.h"
#include "smp.h"
#include "atomic.h"
#include "asm/barrier.h"
#include "isr.h"
#include "apic.h"

#define MSG_SINT	5
#define MSG_VEC		0xb2
#define MSG_CONN	0x30
#define MSG_TYPE	0x4d5347
#define NR_MSGS		6000
/* Hypercalls VP0 may make for one message before it calls it lost. */
#define MAX_TRIES	200000
#define ST_INSUFFICIENT_BUFFERS	0x13

#define PAGE __aligned(4096)
static u8 hcpage[4096] PAGE, post[4096] PAGE;
static struct hv_message_page simp PAGE;

static atomic_t ready, stop, finished;
static u64 received, out_of_order, busy_seen, pending_seen, bad_status;

/*
 * The SINT's interrupt is taken once VP1 leaves consume() with interrupts
 * on again, its SINT (and so its auto-EOI) gone: EOI it by hand.
 * Counting them is not this test's business.
 */
static void sint_isr(isr_regs_t *regs)
{
	(void)regs;
	eoi();
}

/* VP1: SIMP on, the connection to our SINT, then take every message. */
static void consume(void *arg)
{
	struct hv_message *m = &simp.sint_message[MSG_SINT];
	u64 want = 1;

	(void)arg;
	cli();
	wrmsr(HV_X64_MSR_SIMP, (u64)&simp | HV_SYNIC_SIMP_ENABLE);
	wrmsr(HV_X64_MSR_SCONTROL, HV_SYNIC_CONTROL_ENABLE);
	msg_conn_create(MSG_SINT, MSG_VEC, MSG_CONN);
	atomic_set(&ready, 1);

	while (want <= NR_MSGS && !atomic_read(&stop)) {
		if (!READ_ONCE(m->header.message_type)) {
			pause();
			continue;
		}
		if (m->header.message_type != MSG_TYPE ||
		    m->header.payload_size != 8 || m->u.payload[0] != want)
			out_of_order++;
		want++;
		received++;
		/* Linux's vmbus_signal_eom(): empty it, then look. */
		WRITE_ONCE(m->header.message_type, 0);
		mb();	/* the empty slot before our look at its flags */
		if (READ_ONCE(*(u8 *)&m->header.message_flags) & 1) {
			pending_seen++;
			wrmsr(HV_X64_MSR_EOM, 0);
		}
	}
	msg_conn_destroy(MSG_SINT, MSG_CONN);
	wrmsr(HV_X64_MSR_SCONTROL, 0);
	wrmsr(HV_X64_MSR_SIMP, 0);
	atomic_set(&finished, 1);
}

int main(int ac, char **av)
{
	struct hv_input_post_message *p = (void *)post;
	u64 n, tries, r = 0;

	if (!hv_synic_supported()) {
		report_skip("Hyper-V SynIC is not supported");
		return report_summary();
	}
	if (cpu_count() < 2)
		report_abort("needs 2 vCPUs (-s 2)");
	handle_irq(MSG_VEC, sint_isr);
	wrmsr(HV_X64_MSR_GUEST_OS_ID, GUEST_OS_ID_OPEN_SOURCE);
	wrmsr(HV_X64_MSR_HYPERCALL, (u64)hcpage | HV_X64_MSR_HYPERCALL_ENABLE);

	on_cpu_async(1, consume, NULL);
	while (!atomic_read(&ready))
		pause();

	p->connectionid = MSG_CONN;
	p->message_type = MSG_TYPE;
	p->payload_size = 8;
	for (n = 1; n <= NR_MSGS; n++) {
		p->payload[0] = n;
		for (tries = 0; tries < MAX_TRIES; tries++) {
			r = STATUS(hypercall(hcpage, HVCALL_POST_MESSAGE, post,
					     NULL));
			if (r != ST_INSUFFICIENT_BUFFERS)
				break;
			busy_seen++;
		}
		if (r) {
			bad_status = r;
			break;
		}
	}
	report(n > NR_MSGS, "%lu messages posted (last status 0x%lx, %lu busy answers)",
	       n - 1, bad_status ? bad_status : r, busy_seen);

	/* Let VP1 take the last one (it is in flight), or give up on it. */
	for (tries = 0; tries < 20000000 && READ_ONCE(received) < n - 1; tries++)
		pause();
	atomic_set(&stop, 1);
	while (!atomic_read(&finished))
		pause();
	report(received == NR_MSGS, "%lu of %d messages received", received,
	       NR_MSGS);
	report(!out_of_order, "every message once and in order (%lu not)",
	       out_of_order);
	printf("%lu times MessagePending seen on an emptied slot\n",
	       pending_seen);

	wrmsr(HV_X64_MSR_HYPERCALL, 0);
	wrmsr(HV_X64_MSR_GUEST_OS_ID, 0);
	return report_summary();
}
