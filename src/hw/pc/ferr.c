/*
 * The PC's x87 error logic: FERR# from the processors to IRQ 13, port 0xF0
 * and IGNNE# back (Intel SDM Vol. 1, D.2.1.3, figure D-1; the PIIX/ICH
 * chipsets keep the same behaviour inside).
 *
 * Design note — the two latches of the SDM's recommended circuit:
 *   irq13  set when FERR# goes active (the wired-OR of every vCPU's FERR#),
 *          cleared by any write to port 0xF0 and by reset; it drives IRQ 13.
 *   ignne  set by a write to 0xF0 while FERR# is active, cleared whenever
 *          FERR# goes inactive: so IGNNE# is never active without FERR#,
 *          whatever order the guest's handler clears things in.
 * A vCPU asserts its FERR# at a waiting x87 instruction with an unmasked
 * exception pending (the "deferred" reporting of the P6 and later) unless
 * IGNNE# is active, then freezes there until an interrupt; the handler
 * (INT 75h on a PC, which the BIOS sends on to INT 2) writes 0xF0 and
 * clears the exception (FNCLEX/FNINIT/FLDENV...), which deasserts FERR#.
 * Reads of 0xF0 return 0xFF (the port is write-only).
 */
#include "hw/pc/ferr.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/irq.h"
#include "core/machine.h"
#include "core/state.h"
#include "hw/pc/pc.h"

#define FERR_STATE_VERSION 1

struct ferr {
	struct machine *m;
	pthread_mutex_t lock;
	atomic_uint ferr;        /* FERR# per vCPU (bit = vCPU index) */
	bool irq13, ignne;       /* the latches, under lock */
	struct irq_line irq;
};

static struct ferr *board_ferr(struct machine *m)
{
	struct pc_board *b = m ? pc_board(m) : NULL;

	return b ? b->ferr : NULL;
}

bool pc_ferr_signal(struct machine *m, unsigned cpu)
{
	struct ferr *f = board_ferr(m);
	bool run_on;

	if (!f || cpu >= 32)
		return true;
	pthread_mutex_lock(&f->lock);
	run_on = f->ignne;
	if (!run_on) {
		unsigned old = atomic_fetch_or(&f->ferr, 1u << cpu);
		if (!old && !f->irq13) {
			f->irq13 = true;
			irq_line_raise(&f->irq);
		}
	}
	pthread_mutex_unlock(&f->lock);
	return run_on;
}

void pc_ferr_release(struct machine *m, unsigned cpu)
{
	struct ferr *f = board_ferr(m);

	if (!f || cpu >= 32 || !(atomic_load(&f->ferr) & (1u << cpu)))
		return;
	pthread_mutex_lock(&f->lock);
	if (!(atomic_fetch_and(&f->ferr, ~(1u << cpu)) & ~(1u << cpu)))
		f->ignne = false;
	pthread_mutex_unlock(&f->lock);
}

static uint64_t ferr_read(void *opaque, uint64_t offset, unsigned size)
{
	return 0xFF;
}

static void ferr_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
	struct ferr *f = opaque;

	pthread_mutex_lock(&f->lock);
	if (f->irq13) {
		f->irq13 = false;
		irq_line_lower(&f->irq);
	}
	if (atomic_load(&f->ferr))
		f->ignne = true;
	pthread_mutex_unlock(&f->lock);
}

static const struct io_ops ferr_io_ops = {
	.read = ferr_read,
	.write = ferr_write,
};

static void ferr_reset(void *opaque)
{
	struct ferr *f = opaque;

	pthread_mutex_lock(&f->lock);
	atomic_store(&f->ferr, 0);
	f->ignne = false;
	if (f->irq13) {
		f->irq13 = false;
		irq_line_lower(&f->irq);
	}
	pthread_mutex_unlock(&f->lock);
}

static void ferr_save(void *opaque, struct state_writer *w)
{
	struct ferr *f = opaque;

	pthread_mutex_lock(&f->lock);
	sw_u32(w, atomic_load(&f->ferr));
	sw_u8(w, f->irq13);
	sw_u8(w, f->ignne);
	pthread_mutex_unlock(&f->lock);
}

static void ferr_load(void *opaque, struct state_reader *r, uint32_t version)
{
	struct ferr *f = opaque;
	uint32_t pins;
	uint8_t irq13, ignne;

	if (version != FERR_STATE_VERSION) {
		sr_fail(r, "ferr: unsupported state version %u", version);
		return;
	}
	pins = sr_u32(r);
	irq13 = sr_u8(r);
	ignne = sr_u8(r);
	if (!sr_ok(r))
		return;
	pthread_mutex_lock(&f->lock);
	atomic_store(&f->ferr, pins);
	f->ignne = ignne && pins;
	f->irq13 = irq13 != 0;
	irq_line_set(&f->irq, f->irq13);
	pthread_mutex_unlock(&f->lock);
}

static void ferr_destroy(void *opaque)
{
	struct ferr *f = opaque;
	struct pc_board *b = pc_board(f->m);

	if (b && b->ferr == f)
		b->ferr = NULL;
	pthread_mutex_destroy(&f->lock);
	free(f);
}

static const struct device_ops ferr_device_ops = {
	.type = "ferr",
	.state_version = FERR_STATE_VERSION,
	.reset = ferr_reset,
	.save = ferr_save,
	.load = ferr_load,
	.destroy = ferr_destroy,
};

int ferr_create(struct machine *m, struct ferr **out)
{
	struct ferr *f = calloc(1, sizeof *f);
	int ret;

	if (out)
		*out = NULL;
	if (!f)
		return -ENOMEM;
	f->m = m;
	pthread_mutex_init(&f->lock, NULL);
	atomic_init(&f->ferr, 0);
	irq_line_init(&f->irq, m, FERR_IRQ);
	ret = machine_add_device(m, &ferr_device_ops, f, "ferr");
	if (ret) {
		ferr_destroy(f);
		return ret;
	}
	ret = bus_register(&m->pio, FERR_PORT, 1, &ferr_io_ops, f, "ferr");
	if (ret)
		return ret;
	if (out)
		*out = f;
	return 0;
}
