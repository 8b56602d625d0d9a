/*
 * Debug console at port 0x402: each byte written goes to the file named by
 * --debugcon (through a file: chardev, which never blocks the vCPU for
 * long); without one the bytes are discarded. Reads return 0xE9 as on QEMU.
 * No guest-visible state, so nothing to save; the device descriptor exists
 * to close the file.
 */
#include "hw/pc/debugcon.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/chardev.h"
#include "core/machine.h"

struct debugcon {
	struct chardev *chr;
};

static uint64_t debugcon_read(void *opaque, uint64_t offset, unsigned size)
{
	return DEBUGCON_READBACK;
}

static void debugcon_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
	struct debugcon *d = opaque;
	uint8_t bytes[8];

	/* A wide write carries its bytes low first, like successive outb. */
	if (size > 8)
		size = 8;
	for (unsigned i = 0; i < size; i++)
		bytes[i] = (uint8_t)(value >> (8 * i));
	chardev_write(d->chr, bytes, size);
}

static const struct io_ops debugcon_io_ops = {
	.read = debugcon_read,
	.write = debugcon_write,
};

static void debugcon_destroy(void *opaque)
{
	struct debugcon *d = opaque;

	chardev_close(d->chr);
	free(d);
}

static const struct device_ops debugcon_device_ops = {
	.type = "debugcon",
	.destroy = debugcon_destroy,
};

int debugcon_create(struct machine *m, const char *path, char *err, size_t err_len)
{
	struct debugcon *d = calloc(1, sizeof *d);
	char spec[4096], msg[256];
	int ret;

	if (!d) {
		snprintf(err, err_len, "debugcon: out of memory");
		return -ENOMEM;
	}
	if (path) {
		snprintf(spec, sizeof spec, "file:%s", path);
		ret = chardev_open(&d->chr, spec, NULL, m->log, msg, sizeof msg);
		if (ret) {
			snprintf(err, err_len, "debugcon: %s", msg);
			free(d);
			return ret;
		}
	}
	ret = machine_add_device(m, &debugcon_device_ops, d, "debugcon");
	if (ret) {
		debugcon_destroy(d);
		snprintf(err, err_len, "debugcon: cannot register the device");
		return ret;
	}
	ret = bus_register(&m->pio, DEBUGCON_PORT, 1, &debugcon_io_ops, d, "debugcon");
	if (ret)
		snprintf(err, err_len, "debugcon: port 0x%x is taken", DEBUGCON_PORT);
	return ret;
}
