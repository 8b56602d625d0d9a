/*
 * The 8259A programmable interrupt controller pair of the PC: master at
 * 0x20/0x21 (IRQ 0-7), slave at 0xA0/0xA1 (IRQ 8-15) cascaded on the
 * master's IR2, and the PIIX edge/level control registers (ELCR) at
 * 0x4D0/0x4D1, which live here so there is one copy of them.
 *
 * Design note (the chip's state machine, after the Intel 8259A datasheet):
 * - A write to port 0 with bit 4 set is ICW1 and starts initialisation: IMR,
 *   ISR and IRR are cleared, IR7 gets the lowest priority, special mask
 *   mode is left and reads return IRR. The next port-1 writes are ICW2
 *   (vector base), ICW3 unless ICW1.SNGL, ICW4 if ICW1.IC4; then the chip
 *   is ready and port-1 writes are OCW1 (IMR). Port-0 writes with bit 4
 *   clear are OCW2 (EOI/rotation, bit 3 clear) or OCW3 (bit 3 set).
 * - Inputs: an edge-triggered IR sets its IRR bit on a rising edge and the
 *   bit stays until acknowledged; a level-triggered IR (ICW1.LTIM or the
 *   ELCR bit) has its IRR bit follow the line. The slave's INT output feeds
 *   the master's IR2 as a level, so a slave request is never lost to edge
 *   detection.
 * - Priorities: prio_top is the IR with the highest priority, the others
 *   follow cyclically (0 at reset: IR0 highest, IR7 lowest). A request is
 *   raised to INT if it is unmasked and of higher priority than every
 *   in-service level (in special mask mode masked ISR bits do not count;
 *   in special fully nested mode the master ignores its IR2 in-service bit).
 * - INTA: the highest request's ISR bit is set (unless auto-EOI) and its
 *   edge-triggered IRR bit cleared; if the request went away, the chip
 *   answers with IR7 (spurious) and sets no ISR bit. For IR2 on the master
 *   the slave supplies the vector, with its own IR7 (vector of IRQ 15) as
 *   spurious answer.
 * - Poll (OCW3.P): the next read of port 0 acts as INTA and returns
 *   0x80 | level, or 0 if nothing is requested.
 */
#include <errno.h>

#include "core/bus.h"
#include "core/machine.h"
#include "core/state.h"
#include "hw/intc/intc_priv.h"

#define PIC_ELCR_PORT 0x4D0

static void pic_chip_init_reset(struct pic_chip *c)
{
	uint8_t lines = c->lines, elcr = c->elcr, elcr_mask = c->elcr_mask;

	*c = (struct pic_chip){0};
	c->lines = lines;
	c->elcr = elcr;
	c->elcr_mask = elcr_mask;
}

static uint8_t pic_level_mask(const struct pic_chip *c)
{
	return c->ltim ? 0xff : c->elcr;
}

/* Priority level (0 highest) of the best bit in mask, or 8 if none. */
static int pic_best(const struct pic_chip *c, uint8_t mask)
{
	for (int level = 0; level < 8; level++)
		if (mask & (1u << ((level + c->prio_top) & 7)))
			return level;
	return 8;
}

/* IR that the chip would raise INT for, or -1. */
static int pic_chip_request(const struct pic_chip *c, bool master)
{
	uint8_t req = c->irr & ~c->imr;
	int level = pic_best(c, req);
	if (level == 8)
		return -1;
	uint8_t in_service = c->isr;
	if (c->special_mask)
		in_service &= ~c->imr;
	if (master && c->sfnm)
		in_service &= ~(1u << 2);
	if (level >= pic_best(c, in_service))
		return -1;
	return (level + c->prio_top) & 7;
}

static void pic_chip_input(struct pic_chip *c, unsigned ir, int level)
{
	uint8_t bit = 1u << ir;

	if (pic_level_mask(c) & bit) {
		if (level)
			c->irr |= bit;
		else
			c->irr &= ~bit;
	} else if (level && !(c->lines & bit)) {
		c->irr |= bit;
	}
	if (level)
		c->lines |= bit;
	else
		c->lines &= ~bit;
}

/* The slave's INT drives the master's IR2; then tell the CPU side. */
static void pic_update(struct pic *p)
{
	struct pic_chip *m = &p->chip[0], *s = &p->chip[1];
	bool slave_int = pic_chip_request(s, false) >= 0;

	if (slave_int)
		m->irr |= 1u << 2;
	else
		m->irr &= ~(1u << 2);
	intc_pic_changed(p->ic);
}

/* pic_path, with or without the input's own IMR bit. */
static enum intc_path pic_path_imr(const struct pic *p, unsigned irq, bool own_imr)
{
	const struct pic_chip *c;
	uint8_t bit = 1u << (irq & 7);
	const struct intc *ic = p->ic;

	if (irq >= 16 || irq == 2)
		return INTC_PATH_MASKED;
	c = &p->chip[irq >> 3];
	if (own_imr && (c->imr & bit))
		return INTC_PATH_MASKED;
	if (irq >= 8 && (p->chip[0].imr & 4))
		return INTC_PATH_MASKED;
	/* The INT output reaches CPU 0's LINT0 (ExtINT, or its LAPIC off) or
	 * an IOAPIC pin 0 left unmasked for ExtINT. */
	if (ic->lapic && !lapic_accepts_pic(&ic->lapic[0]) &&
	    ioapic_path(&ic->ioapic, 0) == INTC_PATH_MASKED)
		return INTC_PATH_MASKED;
	return (c->irr & bit) ? INTC_PATH_BUSY : INTC_PATH_OPEN;
}

enum intc_path pic_path(const struct pic *p, unsigned irq)
{
	return pic_path_imr(p, irq, true);
}

bool pic_latches_masked(const struct pic *p, unsigned irq)
{
	return pic_path_imr(p, irq, false) == INTC_PATH_OPEN;
}

bool pic_intr(const struct pic *p)
{
	return pic_chip_request(&p->chip[0], true) >= 0;
}

void pic_set_irq(struct pic *p, unsigned irq, int level)
{
	if (irq >= 16 || irq == 2)
		return;
	pic_chip_input(&p->chip[irq >> 3], irq & 7, level);
	pic_update(p);
}

/* Acknowledge IR on one chip: ISR (unless AEOI), edge IRR cleared. */
static void pic_chip_ack(struct pic_chip *c, unsigned ir)
{
	uint8_t bit = 1u << ir;

	if (!(pic_level_mask(c) & bit))
		c->irr &= ~bit;
	if (c->auto_eoi) {
		if (c->rotate_aeoi)
			c->prio_top = (ir + 1) & 7;
	} else {
		c->isr |= bit;
	}
}

/* The guest is done with IR `ir` of chip `n` (its EOI, or INTA in
 * auto-EOI mode): the GSI's ack notifier runs (a late tick owed to it
 * goes in now). The master's IR2 is the cascade, no GSI. */
static void pic_gsi_done(struct pic *p, unsigned n, unsigned ir)
{
	if (n == 1)
		intc_gsi_acked(p->ic, 8 + ir, p->inta_cpu);
	else if (ir != 2)
		intc_gsi_acked(p->ic, ir, p->inta_cpu);
}

int pic_ack(struct pic *p, unsigned cpu)
{
	struct pic_chip *m = &p->chip[0], *s = &p->chip[1];
	int ir = pic_chip_request(m, true);
	int vector;

	p->inta_cpu = cpu;
	if (ir < 0) {
		vector = m->base | 7;
	} else if (ir == 2) {
		pic_chip_ack(m, 2);
		int sir = pic_chip_request(s, false);
		if (sir < 0) {
			vector = s->base | 7;
		} else {
			pic_chip_ack(s, sir);
			vector = s->base | sir;
			if (s->auto_eoi)
				pic_gsi_done(p, 1, (unsigned)sir);
		}
	} else {
		pic_chip_ack(m, ir);
		vector = m->base | ir;
		if (m->auto_eoi)
			pic_gsi_done(p, 0, (unsigned)ir);
	}
	pic_update(p);
	return vector;
}

/* Poll mode (OCW3 P=1): this read is the chip's INTA, and the GSI's ack
 * notifier runs at its EOI as after pic_ack (a late tick owed to it goes
 * in then). The master's IR2 is the cascade, no GSI: the guest polls the
 * slave next. The INT output reaches CPU 0 (pic_path), whose run time
 * counts. */
static uint8_t pic_poll(struct pic *p, unsigned n)
{
	struct pic_chip *c = &p->chip[n];
	int ir = pic_chip_request(c, n == 0);

	c->poll = false;
	if (ir < 0)
		return 0;
	pic_chip_ack(c, ir);
	p->inta_cpu = 0;
	if (c->auto_eoi)
		pic_gsi_done(p, n, (unsigned)ir);
	pic_update(p);
	return 0x80 | ir;
}

static void pic_eoi(struct pic *p, unsigned n, int ir, bool rotate)
{
	struct pic_chip *c = &p->chip[n];

	if (ir < 0) {
		int level = pic_best(c, c->isr);
		if (level == 8)
			return;
		ir = (level + c->prio_top) & 7;
	}
	if (c->isr & (1u << ir))
		pic_gsi_done(p, n, (unsigned)ir);
	c->isr &= ~(1u << ir);
	if (rotate)
		c->prio_top = (ir + 1) & 7;
}

static void pic_write_cmd(struct pic *p, unsigned n, uint8_t v)
{
	struct pic_chip *c = &p->chip[n];

	if (v & 0x10) {                 /* ICW1 */
		pic_chip_init_reset(c);
		c->icw4 = v & 1;
		c->single = v & 2;
		c->ltim = v & 8;
		c->init_step = 2;
		/* Edge sense reset: a line already high needs a new edge. */
		c->irr = c->lines & pic_level_mask(c);
		if (v & 4 && log_ratelimit_ok(&p->rl, 5))
			LOG(p->ic->m->log, LOG_DEBUG, "pic",
			    "ICW1 0x%02x: call address interval 4 ignored (x86 mode)", v);
	} else if (v & 0x08) {          /* OCW3 */
		if (v & 0x04)
			c->poll = true;
		if (v & 0x02)
			c->read_isr = v & 1;
		if (v & 0x40)
			c->special_mask = v & 0x20;
	} else {                        /* OCW2 */
		unsigned ir = v & 7;
		switch (v >> 5) {
		case 0: c->rotate_aeoi = false; break;     /* clear rotate in AEOI */
		case 1: pic_eoi(p, n, -1, false); break;   /* non-specific EOI */
		case 2: break;                             /* no operation */
		case 3: pic_eoi(p, n, (int)ir, false); break; /* specific EOI */
		case 4: c->rotate_aeoi = true; break;      /* set rotate in AEOI */
		case 5: pic_eoi(p, n, -1, true); break;    /* rotate on non-specific EOI */
		case 6: c->prio_top = (ir + 1) & 7; break; /* set priority */
		case 7: pic_eoi(p, n, (int)ir, true); break; /* rotate on specific EOI */
		}
	}
	pic_update(p);
}

static void pic_write_data(struct pic *p, unsigned n, uint8_t v)
{
	struct pic_chip *c = &p->chip[n];

	switch (c->init_step) {
	case 0:
		c->imr = v;
		break;
	case 2:
		c->base = v & 0xf8;
		c->init_step = !c->single ? 3 : c->icw4 ? 4 : 0;
		break;
	case 3:                         /* cascade wiring is fixed on the PC */
		c->init_step = c->icw4 ? 4 : 0;
		break;
	case 4:
		c->auto_eoi = v & 2;
		c->sfnm = v & 0x10;
		if (!(v & 1) && log_ratelimit_ok(&p->rl, 5))
			LOG(p->ic->m->log, LOG_WARN, "pic",
			    "%s ICW4 0x%02x selects 8080 mode; acting as 8086 mode",
			    n ? "slave" : "master", v);
		c->init_step = 0;
		break;
	}
	pic_update(p);
}

static uint64_t pic_io_read(void *opaque, uint64_t offset, unsigned size, unsigned n)
{
	struct pic *p = opaque;
	struct pic_chip *c = &p->chip[n];
	uint8_t v;

	intc_lock(p->ic);
	if (c->poll)
		v = pic_poll(p, n);
	else if (offset == 0)
		v = c->read_isr ? c->isr : c->irr;
	else
		v = c->imr;
	intc_unlock(p->ic);
	return v;
}

static void pic_io_write(void *opaque, uint64_t offset, uint64_t value, unsigned size,
			 unsigned n)
{
	struct pic *p = opaque;

	intc_lock(p->ic);
	if (offset == 0)
		pic_write_cmd(p, n, value);
	else
		pic_write_data(p, n, value);
	intc_unlock(p->ic);
}

static uint64_t pic_master_read(void *o, uint64_t off, unsigned size)
{
	return pic_io_read(o, off, size, 0);
}

static uint64_t pic_slave_read(void *o, uint64_t off, unsigned size)
{
	return pic_io_read(o, off, size, 1);
}

static void pic_master_write(void *o, uint64_t off, uint64_t v, unsigned size)
{
	pic_io_write(o, off, v, size, 0);
}

static void pic_slave_write(void *o, uint64_t off, uint64_t v, unsigned size)
{
	pic_io_write(o, off, v, size, 1);
}

static const struct io_ops pic_master_ops = { pic_master_read, pic_master_write };
static const struct io_ops pic_slave_ops = { pic_slave_read, pic_slave_write };

uint16_t pic_elcr_get(const struct pic *p)
{
	return p->chip[0].elcr | (uint16_t)p->chip[1].elcr << 8;
}

void pic_elcr_set(struct pic *p, uint16_t elcr)
{
	p->chip[0].elcr = elcr & p->chip[0].elcr_mask;
	p->chip[1].elcr = (elcr >> 8) & p->chip[1].elcr_mask;
	/* A line switched to level mode reports its current level. */
	for (unsigned n = 0; n < 2; n++) {
		struct pic_chip *c = &p->chip[n];
		uint8_t lvl = pic_level_mask(c);
		c->irr = (c->irr & ~lvl) | (c->lines & lvl);
	}
	pic_update(p);
}

static uint64_t pic_elcr_read(void *opaque, uint64_t offset, unsigned size)
{
	struct pic *p = opaque;
	uint64_t v;

	intc_lock(p->ic);
	v = pic_elcr_get(p) >> (offset * 8);
	if (size == 1)
		v &= 0xff;
	intc_unlock(p->ic);
	return v;
}

static void pic_elcr_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
	struct pic *p = opaque;
	uint16_t cur, v;

	intc_lock(p->ic);
	cur = pic_elcr_get(p);
	if (size >= 2 && offset == 0)
		v = value;
	else if (offset == 0)
		v = (cur & 0xff00) | (value & 0xff);
	else
		v = (cur & 0x00ff) | (value & 0xff) << 8;
	pic_elcr_set(p, v);
	intc_unlock(p->ic);
}

static const struct io_ops pic_elcr_ops = { pic_elcr_read, pic_elcr_write };

void pic_reset(struct pic *p)
{
	for (unsigned n = 0; n < 2; n++) {
		struct pic_chip *c = &p->chip[n];
		pic_chip_init_reset(c);
		c->elcr = 0;
		c->irr = 0;
	}
	pic_update(p);
}

void pic_init(struct pic *p, struct intc *ic)
{
	*p = (struct pic){ .ic = ic };
	/* IRQ 0, 1, 2, 8 and 13 are wired edge-only on the PIIX. */
	p->chip[0].elcr_mask = 0xf8;
	p->chip[1].elcr_mask = 0xde;
}

static void pic_dev_reset(void *opaque)
{
	struct pic *p = opaque;

	intc_lock(p->ic);
	pic_reset(p);
	intc_unlock(p->ic);
}

static void pic_save(void *opaque, struct state_writer *w)
{
	struct pic *p = opaque;

	intc_lock(p->ic);
	for (unsigned n = 0; n < 2; n++) {
		const struct pic_chip *c = &p->chip[n];
		sw_u8(w, c->irr);
		sw_u8(w, c->isr);
		sw_u8(w, c->imr);
		sw_u8(w, c->lines);
		sw_u8(w, c->elcr);
		sw_u8(w, c->base);
		sw_u8(w, c->prio_top);
		sw_u8(w, c->init_step);
		sw_u16(w, c->icw4 | c->single << 1 | c->ltim << 2 | c->auto_eoi << 3 |
			      c->rotate_aeoi << 4 | c->sfnm << 5 | c->read_isr << 6 |
			      c->poll << 7 | c->special_mask << 8);
	}
	intc_unlock(p->ic);
}

static void pic_load(void *opaque, struct state_reader *r, uint32_t version)
{
	struct pic *p = opaque;
	struct pic_chip tmp[2];

	if (version != 1) {
		sr_fail(r, "pic: state version %u not supported (expected 1)", version);
		return;
	}
	for (unsigned n = 0; n < 2; n++) {
		struct pic_chip *c = &tmp[n];
		*c = p->chip[n];
		c->irr = sr_u8(r);
		c->isr = sr_u8(r);
		c->imr = sr_u8(r);
		c->lines = sr_u8(r);
		c->elcr = sr_u8(r) & c->elcr_mask;
		c->base = sr_u8(r) & 0xf8;
		c->prio_top = sr_u8(r) & 7;
		c->init_step = sr_u8(r);
		uint16_t f = sr_u16(r);
		c->icw4 = f & 1;
		c->single = f & 2;
		c->ltim = f & 4;
		c->auto_eoi = f & 8;
		c->rotate_aeoi = f & 16;
		c->sfnm = f & 32;
		c->read_isr = f & 64;
		c->poll = f & 128;
		c->special_mask = f & 256;
		if (c->init_step == 1 || c->init_step > 4) {
			sr_fail(r, "pic: invalid init step %u", c->init_step);
			return;
		}
	}
	if (!sr_ok(r))
		return;
	intc_lock(p->ic);
	p->chip[0] = tmp[0];
	p->chip[1] = tmp[1];
	pic_update(p);
	intc_unlock(p->ic);
}

static const struct device_ops pic_device_ops = {
	.type = "i8259",
	.state_version = 1,
	.reset = pic_dev_reset,
	.save = pic_save,
	.load = pic_load,
};

int pic_register(struct pic *p, struct machine *m)
{
	int ret;

	ret = bus_register(&m->pio, 0x20, 2, &pic_master_ops, p, "pic-master");
	if (ret)
		return ret;
	ret = bus_register(&m->pio, 0xA0, 2, &pic_slave_ops, p, "pic-slave");
	if (ret)
		goto err_master;
	ret = bus_register(&m->pio, PIC_ELCR_PORT, 2, &pic_elcr_ops, p, "elcr");
	if (ret)
		goto err_slave;
	ret = machine_add_device(m, &pic_device_ops, p, "pic");
	if (ret)
		goto err_elcr;
	return 0;
err_elcr:
	bus_unregister(&m->pio, PIC_ELCR_PORT, p);
err_slave:
	bus_unregister(&m->pio, 0xA0, p);
err_master:
	bus_unregister(&m->pio, 0x20, p);
	return ret;
}
