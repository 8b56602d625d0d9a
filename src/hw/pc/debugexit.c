/*
 * isa-debug-exit at port 0xF4: any write, of any width, of v requests a
 * machine stop with exit status (v << 1) | 1 (INTERFACE.md). Reads return 0.
 * Stateless, so it registers no device descriptor.
 */
#include "hw/pc/debugexit.h"

#include "core/machine.h"

static uint64_t debugexit_read(void *opaque, uint64_t offset, unsigned size)
{
	return 0;
}

static void debugexit_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
	struct machine *m = opaque;
	uint32_t v = (uint32_t)value;

	if (size < 4)
		v &= (1u << (8 * size)) - 1;
	LOG(m->log, LOG_DEBUG, "debugexit", "guest wrote 0x%x: exit status %d", v,
	    (int)((v << 1) | 1));
	machine_request_stop(m, STOP_DEBUG_EXIT, (int)((v << 1) | 1));
}

static const struct io_ops debugexit_io_ops = {
	.read = debugexit_read,
	.write = debugexit_write,
};

int debugexit_create(struct machine *m)
{
	return bus_register(&m->pio, DEBUGEXIT_PORT, 1, &debugexit_io_ops, m, "debugexit");
}
