// SPDX-License-Identifier: GPL-2.0
/*
 * kvm-vsm-run: the few port-I/O devices kvm-unit-tests use.
 *   0x3f8-0x3ff  COM1, a 16550 that is always ready to send: THR bytes go
 *                to stdout, LSR says THRE|TEMT, nothing is ever received
 *   0xf4         isa-debug-exit: writing CODE ends the run with exit
 *                status (CODE << 1) | 1, as QEMU's device
 *   0x510/0x511  fw_cfg, the legacy selector/data ports: signature, RAM
 *                size, CPU counts
 *   0x3000       hyperv-testdev (hv.c)
 * The PIC, PIT and I/O APIC are KVM's in-kernel ones. Other ports read as
 * all ones and ignore writes (one --trace line each).
 */
#include <stdio.h>
#include <string.h>

#include "vmm.h"

#define COM1		0x3f8
#define DEBUG_EXIT	0xf4
#define FW_CFG_CTL	0x510
#define FW_CFG_DATA	0x511
#define TESTDEV		0x3000

#define FW_CFG_SIGNATURE	0x00
#define FW_CFG_ID		0x01
#define FW_CFG_RAM_SIZE		0x03
#define FW_CFG_NB_CPUS		0x05
#define FW_CFG_MAX_CPUS		0x0f

struct devices {
	pthread_mutex_t lock;
	uint8_t uart[8];	/* COM1 registers as last written */
	uint16_t fw_key;
	uint32_t fw_off;
};

static struct devices devs = { .lock = PTHREAD_MUTEX_INITIALIZER };

int devices_init(struct vmm *vmm)
{
	vmm->dev = &devs;
	return 0;
}

static uint8_t fw_cfg_byte(struct vmm *vmm, struct devices *d)
{
	uint8_t item[8] = { 0 };
	uint64_t v = 0;
	uint32_t len = 8;

	switch (d->fw_key) {
	case FW_CFG_SIGNATURE:
		memcpy(item, "QEMU", 4);
		len = 4;
		break;
	case FW_CFG_ID:
		v = 1;		/* traditional interface only */
		len = 4;
		break;
	case FW_CFG_RAM_SIZE:
		v = vmm->mem_size;
		break;
	case FW_CFG_NB_CPUS:
	case FW_CFG_MAX_CPUS:
		v = vmm->nr_cpus;
		len = 2;
		break;
	default:
		len = 0;	/* unknown keys read as zeros */
	}
	if (d->fw_key != FW_CFG_SIGNATURE)
		memcpy(item, &v, sizeof(v));
	return d->fw_off < len ? item[d->fw_off++] : 0;
}

static uint32_t pio_in(struct vmm *vmm, struct devices *d, uint16_t port)
{
	if (port >= COM1 && port < COM1 + 8) {
		switch (port - COM1) {
		case 2:	return 0x01;		/* IIR: no interrupt */
		case 5:	return 0x60;		/* LSR: THRE | TEMT */
		case 6:	return 0xb0;		/* MSR: DCD, DSR, CTS */
		default: return d->uart[port - COM1];
		}
	}
	if (port == FW_CFG_DATA)
		return fw_cfg_byte(vmm, d);
	return ~0u;
}

static void pio_out(struct vmm *vmm, struct vcpu *vcpu, uint32_t vtl,
		    struct devices *d, uint16_t port, uint32_t val)
{
	if (port == COM1 && !(d->uart[3] & 0x80)) {	/* THR, DLAB clear */
		putchar(val & 0xff);
		if ((val & 0xff) == '\n')
			fflush(stdout);
		return;
	}
	if (port >= COM1 && port < COM1 + 8) {	/* incl. the divisor */
		d->uart[port - COM1] = val;
		return;
	}
	if (port == FW_CFG_CTL) {
		d->fw_key = val;
		d->fw_off = 0;
		return;
	}
	if (port == DEBUG_EXIT) {
		fflush(stdout);
		vmm_trace(vmm, vcpu, "debug-exit code=%u status=%u", val,
			  ((val << 1) | 1) & 0xff);
		vmm_exit(vmm, ((val << 1) | 1) & 0xff);
		return;
	}
	vmm_trace(vmm, vcpu, "pio unassigned out port=0x%x value=0x%x", port,
		  val);
	(void)vtl;
}

int devices_pio(struct vmm *vmm, struct vcpu *vcpu, uint32_t vtl,
		struct kvm_run *run)
{
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	uint16_t port = run->io.port;
	struct devices *d = vmm->dev;
	uint32_t i, val;

	if (run->io.size != 1 && run->io.size != 2 && run->io.size != 4)
		return -1;
	for (i = 0; i < run->io.count; i++, data += run->io.size) {
		if (run->io.direction == KVM_EXIT_IO_OUT) {
			val = 0;
			memcpy(&val, data, run->io.size);
			if (port == TESTDEV && vmm->testdev) {
				hv_testdev_out(vmm, vcpu, vtl, val);
				continue;
			}
			pthread_mutex_lock(&d->lock);
			pio_out(vmm, vcpu, vtl, d, port, val);
			pthread_mutex_unlock(&d->lock);
		} else {
			pthread_mutex_lock(&d->lock);
			val = pio_in(vmm, d, port);
			pthread_mutex_unlock(&d->lock);
			if (val == ~0u && port != FW_CFG_DATA)
				vmm_trace(vmm, vcpu, "pio unassigned in port=0x%x",
					  port);
			memcpy(data, &val, run->io.size);
		}
	}
	return 0;
}
