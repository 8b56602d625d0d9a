/*
 * The PC board: creates the platform devices from m->cfg, in the order
 * their resets should run, and keeps what other code needs to reach
 * (the A20 gate, the POST history) in struct pc_board at m->board.
 * The board itself registers as a device: its state is the A20 gate.
 */
#include "hw/pc/pc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/chardev.h"
#include "core/machine.h"
#include "core/state.h"
#include "hw/pc/debugcon.h"
#include "hw/pc/debugexit.h"
#include "hw/pc/ferr.h"
#include "hw/pc/fw_cfg.h"
#include "hw/pc/hpet.h"
#include "hw/pc/i8042.h"
#include "hw/pc/post.h"
#include "hw/pc/reset.h"
#include "hw/pc/rtc.h"
#include "hw/pc/serial.h"
#include "hw/pci/chipset.h"
#include "hw/storage/storage.h"

#define PC_STATE_VERSION 1

struct pc_board *pc_board(struct machine *m)
{
	return m->board;
}

bool pc_a20_enabled(struct machine *m)
{
	struct pc_board *b = m->board;

	return !b || atomic_load(&b->a20);
}

static void pc_reset(void *opaque)
{
	struct pc_board *b = opaque;

	atomic_store(&b->a20, true);   /* enabled at power-on, as on QEMU */
}

static void pc_save(void *opaque, struct state_writer *w)
{
	struct pc_board *b = opaque;

	sw_u8(w, atomic_load(&b->a20));
}

static void pc_load(void *opaque, struct state_reader *r, uint32_t version)
{
	struct pc_board *b = opaque;
	uint8_t a20;

	if (version != PC_STATE_VERSION) {
		sr_fail(r, "pc: unsupported state version %u", version);
		return;
	}
	a20 = sr_u8(r);
	if (sr_ok(r))
		atomic_store(&b->a20, a20 != 0);
}

static void pc_destroy(void *opaque)
{
	struct pc_board *b = opaque;

	if (b->m->board == b)
		b->m->board = NULL;
	free(b);
}

static const struct device_ops pc_device_ops = {
	.type = "pc",
	.state_version = PC_STATE_VERSION,
	.reset = pc_reset,
	.save = pc_save,
	.load = pc_load,
	.destroy = pc_destroy,
};

static int pc_add_serial(struct machine *m, unsigned idx, const char *spec, char *err,
			 size_t err_len)
{
	static const uint16_t base[2] = { SERIAL_COM1_BASE, SERIAL_COM2_BASE };
	static const unsigned irq[2] = { SERIAL_COM1_IRQ, SERIAL_COM2_IRQ };
	struct pc_board *b = m->board;
	struct chardev *chr;
	char name[8], msg[256];
	int ret;

	snprintf(name, sizeof name, "com%u", idx + 1);
	ret = chardev_open(&chr, spec, m->loop, m->log, msg, sizeof msg);
	if (ret) {
		snprintf(err, err_len, "serial (%s): %s", name, msg);
		return ret;
	}
	ret = serial_create(m, base[idx], irq[idx], chr, name, &b->com[idx]);
	if (ret)
		snprintf(err, err_len, "serial (%s): cannot create the UART at 0x%x: %s", name,
			 base[idx], strerror(-ret));
	return ret;
}

int pc_board_init(struct machine *m, char *err, size_t err_len)
{
	struct pc_board *b = calloc(1, sizeof *b);
	int ret;

	if (!b) {
		snprintf(err, err_len, "pc board: out of memory");
		return -ENOMEM;
	}
	b->m = m;
	atomic_init(&b->a20, true);
	ret = machine_add_device(m, &pc_device_ops, b, "pc");
	if (ret) {
		free(b);
		snprintf(err, err_len, "pc board: cannot register: %s", strerror(-ret));
		return ret;
	}
	m->board = b;

	ret = pc_add_serial(m, 0, m->cfg.serial ? m->cfg.serial : "stdio", err, err_len);
	if (ret)
		return ret;
	ret = pc_add_serial(m, 1, "none", err, err_len);
	if (ret)
		return ret;
	ret = debugexit_create(m);
	if (ret) {
		snprintf(err, err_len, "debug exit port 0x%x: %s", DEBUGEXIT_PORT, strerror(-ret));
		return ret;
	}
	ret = debugcon_create(m, m->cfg.debugcon, err, err_len);
	if (ret)
		return ret;
	ret = post_create(m, &b->post);
	if (!ret)
		ret = rtc_create(m, &b->rtc);
	if (!ret)
		ret = i8042_create(m, &b->a20, &b->kbc);
	if (!ret)
		ret = reset_ctl_create(m, &b->a20, true, &b->reset);
	if (!ret)
		ret = hpet_create(m, &b->hpet);
	if (!ret)
		ret = ferr_create(m, &b->ferr);
	if (ret) {
		snprintf(err, err_len, "pc board: cannot create the platform devices: %s",
			 strerror(-ret));
		return ret;
	}
	/* PCI bus 0: i440FX, PIIX3, IDE with the configured disks, PIIX4 PM. */
	ret = pc_chipset_init(m, err, err_len);
	if (!ret)
		ret = storage_init(m, err, err_len);
	if (ret)
		return ret;
	/* Firmware configuration (fw_cfg): RAM map, ACPI and SMBIOS tables. */
	return fw_cfg_init(m, err, err_len);
}
