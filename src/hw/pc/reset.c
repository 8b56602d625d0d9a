/*
 * Reset control register (0xCF9, PIIX3) and System Control Port A (0x92).
 *
 * 0xCF9: bit 1 selects a hard reset, bit 2 going from 0 to 1 starts the
 * reset (Linux writes 0x02 then 0x06; firmware 0x06 or 0x0E), bit 3 asks
 * for a full reset. Soft and hard resets both reset the whole VM here.
 * The register keeps bits 1-3 as written until the reset clears it.
 * 0x92: bit 0 going from 0 to 1 is a fast reset; bit 1 drives the A20 gate
 * shared with the 8042, and reads back the gate's current state.
 */
#include "hw/pc/reset.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "core/machine.h"
#include "core/state.h"

#define RESET_STATE_VERSION 1
#define RCR_SYS_RST 0x02
#define RCR_RST_CPU 0x04
#define RCR_FULL_RST 0x08
#define P92_FAST_RESET 0x01
#define P92_A20 0x02

struct reset_ctl {
	struct machine *m;
	atomic_bool *a20;
	pthread_mutex_t lock;
	struct log_ratelimit rl;
	uint8_t rcr;
	uint8_t port92;          /* bit 0 as written; bit 1 lives in *a20 */
};

uint8_t reset_cf9_read(struct reset_ctl *rc)
{
	uint8_t v;

	pthread_mutex_lock(&rc->lock);
	v = rc->rcr;
	pthread_mutex_unlock(&rc->lock);
	return v;
}

void reset_cf9_write(struct reset_ctl *rc, uint8_t v)
{
	bool reset;

	pthread_mutex_lock(&rc->lock);
	reset = (v & RCR_RST_CPU) && !(rc->rcr & RCR_RST_CPU);
	rc->rcr = v & (RCR_SYS_RST | RCR_RST_CPU | RCR_FULL_RST);
	pthread_mutex_unlock(&rc->lock);
	if (reset) {
		LOG(rc->m->log, LOG_INFO, "reset", "guest requested %s reset through 0xCF9 (0x%02x)",
		    (v & RCR_SYS_RST) ? "hard" : "soft", v);
		machine_request_reset(rc->m);
	}
}

static uint64_t reset_cf9_io_read(void *opaque, uint64_t offset, unsigned size)
{
	return reset_cf9_read(opaque);
}

static void reset_cf9_io_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
	struct reset_ctl *rc = opaque;

	if (size != 1 && log_ratelimit_ok(&rc->rl, 5))
		LOG(rc->m->log, LOG_WARN, "reset", "%u-byte write 0x%llx to 0xCF9: low byte used",
		    size, (unsigned long long)value);
	reset_cf9_write(rc, (uint8_t)value);
}

static uint64_t reset_p92_io_read(void *opaque, uint64_t offset, unsigned size)
{
	struct reset_ctl *rc = opaque;
	uint8_t v;

	pthread_mutex_lock(&rc->lock);
	v = (rc->port92 & P92_FAST_RESET) | (atomic_load(rc->a20) ? P92_A20 : 0);
	pthread_mutex_unlock(&rc->lock);
	return v;
}

static void reset_p92_io_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
	struct reset_ctl *rc = opaque;
	uint8_t v = (uint8_t)value;
	bool reset;

	if (size != 1 && log_ratelimit_ok(&rc->rl, 5))
		LOG(rc->m->log, LOG_WARN, "reset", "%u-byte write 0x%llx to port 0x92: low byte used",
		    size, (unsigned long long)value);
	pthread_mutex_lock(&rc->lock);
	reset = (v & P92_FAST_RESET) && !(rc->port92 & P92_FAST_RESET);
	rc->port92 = v & P92_FAST_RESET;
	atomic_store(rc->a20, (v & P92_A20) != 0);
	pthread_mutex_unlock(&rc->lock);
	if (reset) {
		LOG(rc->m->log, LOG_INFO, "reset", "guest requested a fast reset through port 0x92");
		machine_request_reset(rc->m);
	}
}

static const struct io_ops reset_cf9_io_ops = {
	.read = reset_cf9_io_read,
	.write = reset_cf9_io_write,
};

static const struct io_ops reset_p92_io_ops = {
	.read = reset_p92_io_read,
	.write = reset_p92_io_write,
};

static void reset_ctl_reset(void *opaque)
{
	struct reset_ctl *rc = opaque;

	pthread_mutex_lock(&rc->lock);
	rc->rcr = 0;
	rc->port92 = 0;
	pthread_mutex_unlock(&rc->lock);
}

static void reset_ctl_save(void *opaque, struct state_writer *w)
{
	struct reset_ctl *rc = opaque;

	pthread_mutex_lock(&rc->lock);
	sw_u8(w, rc->rcr);
	sw_u8(w, rc->port92);
	pthread_mutex_unlock(&rc->lock);
}

static void reset_ctl_load(void *opaque, struct state_reader *r, uint32_t version)
{
	struct reset_ctl *rc = opaque;
	uint8_t rcr, p92;

	if (version != RESET_STATE_VERSION) {
		sr_fail(r, "reset: unsupported state version %u", version);
		return;
	}
	rcr = sr_u8(r);
	p92 = sr_u8(r);
	if (!sr_ok(r))
		return;
	pthread_mutex_lock(&rc->lock);
	rc->rcr = rcr & (RCR_SYS_RST | RCR_RST_CPU | RCR_FULL_RST);
	rc->port92 = p92 & P92_FAST_RESET;
	pthread_mutex_unlock(&rc->lock);
}

static void reset_ctl_destroy(void *opaque)
{
	struct reset_ctl *rc = opaque;

	pthread_mutex_destroy(&rc->lock);
	free(rc);
}

static const struct device_ops reset_ctl_device_ops = {
	.type = "reset",
	.state_version = RESET_STATE_VERSION,
	.reset = reset_ctl_reset,
	.save = reset_ctl_save,
	.load = reset_ctl_load,
	.destroy = reset_ctl_destroy,
};

int reset_ctl_create(struct machine *m, atomic_bool *a20, bool claim_cf9,
		     struct reset_ctl **out)
{
	struct reset_ctl *rc = calloc(1, sizeof *rc);
	int ret;

	if (out)
		*out = NULL;
	if (!rc)
		return -ENOMEM;
	rc->m = m;
	rc->a20 = a20;
	pthread_mutex_init(&rc->lock, NULL);
	ret = machine_add_device(m, &reset_ctl_device_ops, rc, "reset");
	if (ret) {
		reset_ctl_destroy(rc);
		return ret;
	}
	ret = bus_register(&m->pio, RESET_PORT92, 1, &reset_p92_io_ops, rc, "port92");
	if (!ret && claim_cf9)
		ret = bus_register(&m->pio, RESET_CF9_PORT, 1, &reset_cf9_io_ops, rc, "reset-cf9");
	if (ret)
		return ret;
	if (out)
		*out = rc;
	return 0;
}
