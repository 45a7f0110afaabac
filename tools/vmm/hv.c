// SPDX-License-Identifier: GPL-2.0
/*
 * kvm-vsm-run: Hyper-V.
 *
 * CPUID: KVM's supported Hyper-V leaves (KVM_GET_SUPPORTED_HV_CPUID), as
 * QEMU's hv_passthrough takes them, plus the VSM privileges kvm-vsm
 * implements when the VM has VTLs. SynIC (KVM_CAP_HYPERV_SYNIC2) on every
 * vCPU of every VTL; KVM runs the SynIC, its timers and the reference TSC
 * page itself.
 *
 * hyperv-testdev (port 0x3000, the protocol of QEMU's device, which
 * kvm-unit-tests' hyperv_synic and hyperv_connections drive): a 32-bit
 * write of (conn << 24 | command << 16 | vp << 8 | sint) creates or
 * destroys SINT routes and message/event connections, or raises a SINT.
 * A SINT route is a KVM_IRQ_ROUTING_HV_SINT GSI with an irqfd; its
 * resample fd tells us when the guest acknowledged that SINT (EOM or EOI),
 * which is when a message waiting for a busy slot goes in.
 * HvPostMessage and HvSignalEvent to those connections end KVM_RUN
 * (KVM_EXIT_HYPERV_HCALL) and are answered here. The target VP's message
 * slot and event flags are then changed on that VP's own thread, its
 * guest stopped (as QEMU does it): the guest empties a slot and looks for
 * MessagePending without a lock, so a "busy, mark it pending" decided
 * while it runs could mark a slot it has just emptied, and the message
 * would wait for an EOM that never comes. The message and event
 * pages are the calling VTL's: with kvm-vsm they are overlay pages, which
 * only kvmvsm_overlay_read/write reach (our RAM mapping shows the RAM
 * beneath them).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vmm.h"

#define HV_LEAF_FIRST	0x40000000u
#define HV_LEAF_LAST	0x400000ffu

#define HV_STATUS_SUCCESS			0x0
#define HV_STATUS_INVALID_HYPERCALL_CODE	0x2
#define HV_STATUS_INVALID_HYPERCALL_INPUT	0x3
#define HV_STATUS_INVALID_ALIGNMENT		0x4
#define HV_STATUS_INVALID_PARAMETER		0x5
#define HV_STATUS_INSUFFICIENT_BUFFERS		0x13
#define HV_STATUS_INVALID_CONNECTION_ID		0x12

#define HVCALL_POST_MESSAGE		0x005c
#define HVCALL_SIGNAL_EVENT		0x005d

#define SYNIC_SINTS		16
#define SYNIC_ENABLE		BIT_ULL(0)
#define HV_MSG_SIZE		256
#define HV_MSG_PAYLOAD		240
#define HV_MSG_FLAG_PENDING	1u
#define HV_EVT_FLAGS_SIZE	256	/* bytes per SINT: 2048 flags */

#define TESTDEV_SINT_ROUTE_CREATE	1
#define TESTDEV_SINT_ROUTE_DESTROY	2
#define TESTDEV_SINT_ROUTE_SET_SINT	3
#define TESTDEV_MSG_CONN_CREATE		4
#define TESTDEV_MSG_CONN_DESTROY	5
#define TESTDEV_EVT_CONN_CREATE		6
#define TESTDEV_EVT_CONN_DESTROY	7

#define MAX_ROUTES	64
#define GSI_BASE	24	/* after the I/O APIC's pins */
#define MAX_CONNS	256	/* the testdev's 8-bit connection ids */

struct hv_message {
	uint32_t type;
	uint8_t payload_size;
	uint8_t flags;
	uint8_t reserved[2];
	uint64_t sender;
	uint8_t payload[HV_MSG_PAYLOAD];
} __packed;

struct hv_post_message_input {
	uint32_t connection_id;
	uint32_t reserved;
	uint32_t message_type;
	uint32_t payload_size;
	uint8_t payload[HV_MSG_PAYLOAD];
} __packed;

struct sint_route {
	bool used;
	uint32_t vtl, vp, sint, gsi;
	int fd, resample_fd;		/* irqfd trigger and ack */
	bool staged;			/* @msg waits for the slot */
	struct hv_message msg;
	/* Event flags (= connection ids) to set in the SIEFP's slot. */
	uint8_t evt_pending[MAX_CONNS / 8];
};

struct hv {
	pthread_mutex_t lock;
	struct sint_route routes[MAX_ROUTES];
	struct sint_route *msg_conn[MAX_CONNS], *evt_conn[MAX_CONNS];
	/* The SynIC pages KVM told us of, per VTL and VP. */
	uint64_t simp[KVM_VSM_MAX_VTLS][VMM_MAX_CPUS];
	uint64_t siefp[KVM_VSM_MAX_VTLS][VMM_MAX_CPUS];
	pthread_t ack_thread;
	bool ack_started;
	int wake_fd;			/* the ack thread re-reads the routes */
};

static struct hv hv_state = { .lock = PTHREAD_MUTEX_INITIALIZER };

int hv_init(struct vmm *vmm)
{
	vmm->hv = &hv_state;
	vmm->hv->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vmm->hv->wake_fd < 0)
		vmm_die("eventfd: %s", strerror(errno));
	return 0;
}

int hv_cpuid(struct vmm *vmm)
{
	struct kvm_cpuid2 *hv, *c = vmm->cpuid;
	uint32_t i, n = 0;
	int r;

	hv = calloc(1, sizeof(*hv) + 64 * sizeof(hv->entries[0]));
	if (!hv)
		vmm_die("out of memory");
	hv->nent = 64;
	if (ioctl(vmm->kvm_fd, KVM_GET_SUPPORTED_HV_CPUID, hv) < 0)
		vmm_die("KVM_GET_SUPPORTED_HV_CPUID: %s (%s)", strerror(errno),
			"a KVM without Hyper-V support? --no-hyperv");

	/* KVM's own paravirt leaves live where Hyper-V's go: drop them. */
	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function < HV_LEAF_FIRST ||
		    c->entries[i].function > HV_LEAF_LAST)
			c->entries[n++] = c->entries[i];
	c = realloc(c, sizeof(*c) + (n + hv->nent) * sizeof(c->entries[0]));
	if (!c)
		vmm_die("out of memory");
	memcpy(&c->entries[n], hv->entries, hv->nent * sizeof(hv->entries[0]));
	c->nent = n + hv->nent;
	vmm->cpuid = c;
	free(hv);

	if (vmm->nr_vtls) {
		r = kvmvsm_hv_cpuid_grant(vmm->vsm_fd, vmm->cpuid);
		if (r < 0)
			vmm_die("granting the VSM privileges: %s", strerror(-r));
		vmm_trace(vmm, NULL, "cpuid hyper-v vsm privileges=0x%x", r);
	}
	return 0;
}

int hv_vcpu_init(struct vmm *vmm, struct vcpu *vcpu, uint32_t vtl)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_HYPERV_SYNIC2 };

	if (ioctl(vcpu->fd[vtl], KVM_ENABLE_CAP, &cap) < 0)
		vmm_die("KVM_CAP_HYPERV_SYNIC2: %s", strerror(errno));
	(void)vmm;
	return 0;
}

/* KVM_SET_GSI_ROUTING replaces the table: KVM's defaults, then ours. */
static int set_routing(struct vmm *vmm, uint32_t vtl)
{
	struct hv *hv = vmm->hv;
	struct kvm_irq_routing *t;
	uint32_t n = 0, i;
	int r;

	t = calloc(1, sizeof(*t) + (40 + MAX_ROUTES) * sizeof(t->entries[0]));
	if (!t)
		vmm_die("out of memory");
	for (i = 0; i < 24; i++) {
		if (i < 16) {
			t->entries[n].gsi = i;
			t->entries[n].type = KVM_IRQ_ROUTING_IRQCHIP;
			t->entries[n].u.irqchip.irqchip = i < 8 ?
				KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE;
			t->entries[n++].u.irqchip.pin = i % 8;
		}
		t->entries[n].gsi = i;
		t->entries[n].type = KVM_IRQ_ROUTING_IRQCHIP;
		t->entries[n].u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
		t->entries[n++].u.irqchip.pin = i;
	}
	for (i = 0; i < MAX_ROUTES; i++) {
		struct sint_route *rt = &hv->routes[i];

		if (!rt->used || rt->vtl != vtl)
			continue;
		t->entries[n].gsi = rt->gsi;
		t->entries[n].type = KVM_IRQ_ROUTING_HV_SINT;
		t->entries[n].u.hv_sint.vcpu = rt->vp;
		t->entries[n++].u.hv_sint.sint = rt->sint;
	}
	t->nr = n;
	r = ioctl(vmm->vm_fd[vtl], KVM_SET_GSI_ROUTING, t);
	free(t);
	return r < 0 ? -errno : 0;
}

static void *ack_thread(void *arg);

static struct sint_route *route_new(struct vmm *vmm, uint32_t vtl,
				    uint32_t vp, uint32_t sint)
{
	struct hv *hv = vmm->hv;
	struct sint_route *rt = NULL;
	struct kvm_irqfd irqfd = { .flags = KVM_IRQFD_FLAG_RESAMPLE };
	uint32_t i;

	if (vp >= vmm->nr_cpus || sint >= SYNIC_SINTS)
		return NULL;
	for (i = 0; i < MAX_ROUTES && !rt; i++)
		if (!hv->routes[i].used)
			rt = &hv->routes[i];
	if (!rt)
		return NULL;
	memset(rt, 0, sizeof(*rt));
	rt->vtl = vtl;
	rt->vp = vp;
	rt->sint = sint;
	rt->gsi = GSI_BASE + (rt - hv->routes);
	rt->fd = eventfd(0, EFD_CLOEXEC);
	rt->resample_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (rt->fd < 0 || rt->resample_fd < 0)
		vmm_die("eventfd: %s", strerror(errno));
	rt->used = true;
	if (set_routing(vmm, vtl) < 0)
		vmm_die("KVM_SET_GSI_ROUTING: %s", strerror(errno));
	irqfd.fd = rt->fd;
	irqfd.gsi = rt->gsi;
	irqfd.resamplefd = rt->resample_fd;
	if (ioctl(vmm->vm_fd[vtl], KVM_IRQFD, &irqfd) < 0)
		vmm_die("KVM_IRQFD: %s", strerror(errno));
	if (!hv->ack_started) {
		if (pthread_create(&hv->ack_thread, NULL, ack_thread, vmm))
			vmm_die("pthread_create: %s", strerror(errno));
		pthread_detach(hv->ack_thread);
		hv->ack_started = true;
	}
	eventfd_write(hv->wake_fd, 1);
	return rt;
}

static void route_free(struct vmm *vmm, struct sint_route *rt)
{
	struct kvm_irqfd irqfd = {
		.fd = rt->fd, .gsi = rt->gsi, .flags = KVM_IRQFD_FLAG_DEASSIGN,
	};

	ioctl(vmm->vm_fd[rt->vtl], KVM_IRQFD, &irqfd);
	rt->used = false;
	set_routing(vmm, rt->vtl);
	close(rt->fd);
	close(rt->resample_fd);
	eventfd_write(vmm->hv->wake_fd, 1);
}

static struct sint_route *route_find(struct hv *hv, uint32_t vtl, uint32_t vp,
				     uint32_t sint)
{
	uint32_t i;

	for (i = 0; i < MAX_ROUTES; i++)
		if (hv->routes[i].used && hv->routes[i].vtl == vtl &&
		    hv->routes[i].vp == vp && hv->routes[i].sint == sint)
			return &hv->routes[i];
	return NULL;
}

static void route_signal(struct sint_route *rt)
{
	eventfd_write(rt->fd, 1);
}

/*
 * Put @rt's staged message into its slot of the target's SIMP, or mark
 * the busy slot MessagePending so the guest's EOM brings us back (ack).
 * On the target VP's thread (synic_work), with hv->lock.
 */
static void msg_deliver(struct vmm *vmm, struct sint_route *rt)
{
	uint64_t simp = vmm->hv->simp[rt->vtl][rt->vp];
	uint64_t slot = (simp & ~0xfffull) + rt->sint * HV_MSG_SIZE;
	struct hv_message cur;

	if (!rt->staged)
		return;
	if (!(simp & SYNIC_ENABLE) ||
	    vmm_guest_rw(vmm, rt->vtl, slot, &cur, sizeof(cur), false)) {
		vmm_trace_at(vmm, rt->vp, rt->vtl,
			     "synic message dropped sint=%u (no message page)",
			     rt->sint);
		rt->staged = false;
		return;
	}
	if (cur.type) {
		cur.flags |= HV_MSG_FLAG_PENDING;
		vmm_guest_rw(vmm, rt->vtl, slot + 5, &cur.flags, 1, true);
		vmm_trace_at(vmm, rt->vp, rt->vtl,
			     "synic message pending sint=%u (slot busy)",
			     rt->sint);
		return;
	}
	/* The type goes last: the guest polls it. */
	vmm_guest_rw(vmm, rt->vtl, slot + 4, (uint8_t *)&rt->msg + 4,
		     sizeof(rt->msg) - 4, true);
	vmm_guest_rw(vmm, rt->vtl, slot, &rt->msg.type, 4, true);
	rt->staged = false;
	vmm_trace_at(vmm, rt->vp, rt->vtl,
		     "synic message delivered sint=%u type=0x%x", rt->sint,
		     rt->msg.type);
	route_signal(rt);
}

/*
 * Set @rt's pending event flags in the target's SIEFP slot; a newly set
 * flag raises the SINT. On the target VP's thread, with hv->lock.
 */
static void evt_deliver(struct vmm *vmm, struct sint_route *rt)
{
	uint64_t siefp = vmm->hv->siefp[rt->vtl][rt->vp];
	uint64_t base = (siefp & ~0xfffull) + rt->sint * HV_EVT_FLAGS_SIZE;
	bool raise = false;
	uint32_t i;
	uint8_t byte;

	for (i = 0; i < sizeof(rt->evt_pending); i++) {
		if (!rt->evt_pending[i])
			continue;
		if (!(siefp & SYNIC_ENABLE) ||
		    vmm_guest_rw(vmm, rt->vtl, base + i, &byte, 1, false)) {
			vmm_trace_at(vmm, rt->vp, rt->vtl,
				     "synic event dropped sint=%u (no event page)",
				     rt->sint);
		} else if ((byte | rt->evt_pending[i]) != byte) {
			byte |= rt->evt_pending[i];
			vmm_guest_rw(vmm, rt->vtl, base + i, &byte, 1, true);
			raise = true;	/* only a newly set flag interrupts */
		}
		rt->evt_pending[i] = 0;
	}
	if (raise)
		route_signal(rt);
}

/* A VP's SynIC work, on its own thread between two entries. */
static void synic_work(struct vcpu *vcpu, void *arg)
{
	struct vmm *vmm = vcpu->vmm;
	struct hv *hv = vmm->hv;
	uint32_t i;

	(void)arg;
	pthread_mutex_lock(&hv->lock);
	for (i = 0; i < MAX_ROUTES; i++) {
		struct sint_route *rt = &hv->routes[i];

		if (!rt->used || rt->vp != vcpu->index)
			continue;
		evt_deliver(vmm, rt);
		msg_deliver(vmm, rt);
	}
	pthread_mutex_unlock(&hv->lock);
}

/* Have @rt's VP do its SynIC work (the caller's own VP: before it re-enters). */
static void synic_kick(struct vmm *vmm, struct sint_route *rt)
{
	vcpu_request(&vmm->vcpus[rt->vp], synic_work, NULL);
}

/* Acks (EOM, EOI) of SINTs: retry the messages that waited for them. */
static void *ack_thread(void *arg)
{
	struct vmm *vmm = arg;
	struct hv *hv = vmm->hv;
	struct pollfd pfd[MAX_ROUTES + 1];
	struct sint_route *rts[MAX_ROUTES + 1];
	eventfd_t v;
	uint32_t i, n;

	for (;;) {
		pthread_mutex_lock(&hv->lock);
		pfd[0] = (struct pollfd){ .fd = hv->wake_fd, .events = POLLIN };
		for (i = 0, n = 1; i < MAX_ROUTES; i++) {
			if (!hv->routes[i].used)
				continue;
			rts[n] = &hv->routes[i];
			pfd[n++] = (struct pollfd){
				.fd = hv->routes[i].resample_fd, .events = POLLIN,
			};
		}
		pthread_mutex_unlock(&hv->lock);
		if (poll(pfd, n, -1) < 0 && errno != EINTR)
			return NULL;
		pthread_mutex_lock(&hv->lock);
		eventfd_read(hv->wake_fd, &v);
		for (i = 1; i < n; i++) {
			/* A route freed meanwhile has a new fd or none. */
			if (!(pfd[i].revents & POLLIN) || !rts[i]->used ||
			    rts[i]->resample_fd != pfd[i].fd)
				continue;
			if (eventfd_read(rts[i]->resample_fd, &v) == 0 &&
			    rts[i]->staged)
				synic_kick(vmm, rts[i]);
		}
		pthread_mutex_unlock(&hv->lock);
	}
	return NULL;
}

void hv_testdev_out(struct vmm *vmm, struct vcpu *vcpu, uint32_t vtl,
		    uint32_t val)
{
	uint32_t conn = val >> 24, cmd = val >> 16 & 0xff;
	uint32_t vp = val >> 8 & 0xff, sint = val & 0xff;
	struct hv *hv = vmm->hv;
	struct sint_route *rt, **connp = NULL;
	const char *what = "bad command";

	pthread_mutex_lock(&hv->lock);
	switch (cmd) {
	case TESTDEV_SINT_ROUTE_CREATE:
		what = route_new(vmm, vtl, vp, sint) ? "sint-route-create" :
		       "sint-route-create failed";
		break;
	case TESTDEV_SINT_ROUTE_DESTROY:
		rt = route_find(hv, vtl, vp, sint);
		if (rt)
			route_free(vmm, rt);
		what = rt ? "sint-route-destroy" : "sint-route-destroy: no route";
		break;
	case TESTDEV_SINT_ROUTE_SET_SINT:
		rt = route_find(hv, vtl, vp, sint);
		if (rt)
			route_signal(rt);
		what = rt ? "sint-route-set-sint" : "sint-route-set-sint: no route";
		break;
	case TESTDEV_MSG_CONN_CREATE:
	case TESTDEV_EVT_CONN_CREATE:
		connp = cmd == TESTDEV_MSG_CONN_CREATE ? &hv->msg_conn[conn] :
			&hv->evt_conn[conn];
		if (*connp) {
			what = "conn-create: connection exists";
			break;
		}
		*connp = route_new(vmm, vtl, vp, sint);
		what = *connp ? (cmd == TESTDEV_MSG_CONN_CREATE ?
				 "msg-conn-create" : "evt-conn-create") :
		       "conn-create failed";
		break;
	case TESTDEV_MSG_CONN_DESTROY:
	case TESTDEV_EVT_CONN_DESTROY:
		connp = cmd == TESTDEV_MSG_CONN_DESTROY ? &hv->msg_conn[conn] :
			&hv->evt_conn[conn];
		if (*connp)
			route_free(vmm, *connp);
		what = *connp ? "conn-destroy" : "conn-destroy: no connection";
		*connp = NULL;
		break;
	}
	pthread_mutex_unlock(&hv->lock);
	vmm_trace(vmm, vcpu, "testdev %s vp=%u sint=%u conn=%u", what, vp,
		  sint, conn);
}

/* HvPostMessage: checked as Hyper-V (and QEMU) check it. */
static uint16_t post_message(struct vmm *vmm, struct vcpu *vcpu, uint32_t vtl,
			     uint64_t ctl, uint64_t gpa)
{
	struct hv_post_message_input in;
	struct sint_route *rt;
	uint16_t st;

	if (ctl & BIT_ULL(16))		/* no fast form */
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	if (gpa & 7)
		return HV_STATUS_INVALID_ALIGNMENT;
	if ((gpa & 4095) + sizeof(in) > 4096 ||
	    vmm_guest_rw(vmm, vtl, gpa, &in, sizeof(in), false))
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	if (in.payload_size > HV_MSG_PAYLOAD || in.reserved ||
	    !in.message_type || in.message_type & 0x80000000u)
		return HV_STATUS_INVALID_PARAMETER;
	if (in.connection_id >= MAX_CONNS)
		return HV_STATUS_INVALID_CONNECTION_ID;

	pthread_mutex_lock(&vmm->hv->lock);
	rt = vmm->hv->msg_conn[in.connection_id];
	if (!rt || rt->vtl != vtl) {
		st = HV_STATUS_INVALID_CONNECTION_ID;
	} else if (rt->staged) {
		st = HV_STATUS_INSUFFICIENT_BUFFERS;	/* one in flight */
	} else {
		memset(&rt->msg, 0, sizeof(rt->msg));
		rt->msg.type = in.message_type;
		rt->msg.payload_size = in.payload_size;
		memcpy(rt->msg.payload, in.payload, in.payload_size);
		rt->staged = true;
		synic_kick(vmm, rt);
		st = HV_STATUS_SUCCESS;
	}
	pthread_mutex_unlock(&vmm->hv->lock);
	vmm_trace(vmm, vcpu, "hypercall post-message conn=%u type=0x%x size=%u status=0x%x",
		  in.connection_id, in.message_type, in.payload_size, st);
	return st;
}

/* HvSignalEvent: set flag @conn of the connection's SINT, then raise it. */
static uint16_t signal_event(struct vmm *vmm, struct vcpu *vcpu, uint32_t vtl,
			     uint64_t ctl, uint64_t param)
{
	uint32_t conn = param & 0xffffff, flag = param >> 32 & 0xffff;
	struct sint_route *rt;
	uint16_t st = HV_STATUS_SUCCESS;

	if (!(ctl & BIT_ULL(16))) {	/* memory form: read the u64 */
		if (param & 7)
			return HV_STATUS_INVALID_ALIGNMENT;
		if (vmm_guest_rw(vmm, vtl, param, &param, 8, false))
			return HV_STATUS_INVALID_HYPERCALL_INPUT;
		conn = param & 0xffffff;
		flag = param >> 32 & 0xffff;
	}
	if (param >> 48 || (param >> 24 & 0xff))
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	if (flag || conn >= MAX_CONNS)	/* flag numbers are not used */
		return HV_STATUS_INVALID_CONNECTION_ID;

	pthread_mutex_lock(&vmm->hv->lock);
	rt = vmm->hv->evt_conn[conn];
	if (!rt || rt->vtl != vtl) {
		st = HV_STATUS_INVALID_CONNECTION_ID;
	} else {
		rt->evt_pending[conn / 8] |= 1u << (conn % 8);
		synic_kick(vmm, rt);
	}
	pthread_mutex_unlock(&vmm->hv->lock);
	vmm_trace(vmm, vcpu, "hypercall signal-event conn=%u status=0x%x", conn,
		  st);
	return st;
}

int hv_exit(struct vmm *vmm, struct vcpu *vcpu, uint32_t vtl,
	    struct kvm_run *run)
{
	struct hv *hv = vmm->hv;
	uint64_t ctl;

	switch (run->hyperv.type) {
	case KVM_EXIT_HYPERV_SYNIC:
		pthread_mutex_lock(&hv->lock);
		hv->simp[vtl][vcpu->index] = run->hyperv.u.synic.msg_page;
		hv->siefp[vtl][vcpu->index] = run->hyperv.u.synic.evt_page;
		pthread_mutex_unlock(&hv->lock);
		vmm_trace(vmm, vcpu, "synic msr=0x%x control=0x%llx simp=0x%llx siefp=0x%llx",
			  run->hyperv.u.synic.msr,
			  (unsigned long long)run->hyperv.u.synic.control,
			  (unsigned long long)run->hyperv.u.synic.msg_page,
			  (unsigned long long)run->hyperv.u.synic.evt_page);
		return 0;
	case KVM_EXIT_HYPERV_HCALL:
		ctl = run->hyperv.u.hcall.input;
		switch (ctl & 0xffff) {
		case HVCALL_POST_MESSAGE:
			run->hyperv.u.hcall.result =
				post_message(vmm, vcpu, vtl, ctl,
					     run->hyperv.u.hcall.params[0]);
			break;
		case HVCALL_SIGNAL_EVENT:
			run->hyperv.u.hcall.result =
				signal_event(vmm, vcpu, vtl, ctl,
					     run->hyperv.u.hcall.params[0]);
			break;
		default:
			vmm_trace(vmm, vcpu, "hypercall 0x%04llx not implemented",
				  (unsigned long long)(ctl & 0xffff));
			run->hyperv.u.hcall.result =
				HV_STATUS_INVALID_HYPERCALL_CODE;
		}
		return 0;
	}
	return -1;
}
