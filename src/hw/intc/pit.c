/*
 * The 8254 programmable interval timer at 0x40-0x43, clocked at
 * 1.193182 MHz from the machine clock, and port 0x61 (NMI status and
 * control) which gates channel 2 and reads back its output and the DRAM
 * refresh toggle that firmware and kernels use for delays and calibration.
 * Channel 0 drives ISA IRQ 0 (PIC IR0, IOAPIC pin 2); channel 1 (refresh)
 * is not connected; channel 2 feeds the speaker.
 *
 * Design note (after the Intel 8254 datasheet):
 * - A control word (port 0x43, SC != 3) sets a channel's mode, access (RW:
 *   LSB, MSB, LSB then MSB) and BCD; the channel stops, NULL COUNT is set,
 *   OUT goes low in mode 0 and high in the others. RW = 0 is the counter
 *   latch command; SC = 3 is read-back (latch count and/or status of any
 *   channels; when both are latched, status is read first).
 * - Writing the count (both bytes in RW 3) loads it and counting starts;
 *   modes 1 and 5 wait for a rising gate edge. A count of 0 means 65536
 *   (10000 in BCD). Counting is modelled from the clock rather than ticked:
 *   the channel had counted `paused_ticks` at guest time `start`, and the
 *   count and OUT at any time follow from the mode (we skip the 8254's one
 *   CLK delay between writing the count and loading it):
 *     mode 0  count N - d (wrapping), OUT high from d >= N
 *     mode 1  as mode 0 from the trigger; OUT low until terminal count
 *     mode 2  count N - d % N, OUT low while the count is 1
 *     mode 3  count steps by 2, OUT high for the first (N+1)/2 of each N
 *     mode 4/5 count N - d, OUT low for the one clock at terminal count
 * - Gate (channel 2 only, port 0x61 bit 0): low pauses modes 0 and 4, and
 *   stops modes 2 and 3 with OUT high (a rising edge reloads); a rising
 *   edge triggers modes 1 and 5.
 * - Channel 0 raises IRQ 0 at each rising edge of OUT (mode 0: terminal
 *   count; modes 2 and 3: every N clocks; mode 4: one clock after terminal
 *   count). A new count in mode 2 or 3 restarts the period at once rather
 *   than at the next reload.
 * - Late periodic edges (the loop timer or the vCPU ran late) are not
 *   merged into one interrupt when the host, not the guest, kept the
 *   previous one waiting: catchup.c owes them and raises each when the
 *   handler of the one before sends its EOI (pit_acked). One-shot modes
 *   raise one edge.
 */
#include <errno.h>

#include "core/bus.h"
#include "core/machine.h"
#include "core/state.h"
#include "hw/intc/intc_priv.h"

#define PIT_NO_IRQ UINT64_MAX
/* The BIOS programs channel 1 for DRAM refresh at count 18 (15.09 us);
 * port 0x61 bit 4 toggles with each refresh request. */
#define PIT_REFRESH_TICKS 18

static uint64_t pit_ticks(uint64_t ns)
{
	return intc_muldiv(ns, PIT_HZ, 1000000000ULL);
}

/* First guest ns at which `ticks` clocks have elapsed. */
static uint64_t pit_ticks_to_ns(uint64_t ticks)
{
	return (uint64_t)(((unsigned __int128)ticks * 1000000000ULL + PIT_HZ - 1) / PIT_HZ);
}

static bool pit_counting(const struct pit_channel *c)
{
	if (!c->armed || !c->triggered)
		return false;
	return c->gate || c->mode == 1 || c->mode == 5;
}

/* Clocks counted since the count was loaded (or triggered). */
static uint64_t pit_elapsed(const struct pit_channel *c, uint64_t now)
{
	uint64_t d = c->paused_ticks;

	if (pit_counting(c) && now > c->start)
		d += pit_ticks(now - c->start);
	return d;
}

static unsigned pit_modulus(const struct pit_channel *c)
{
	return c->bcd ? 10000 : 65536;
}

static uint32_t pit_count_at(const struct pit_channel *c, uint64_t now)
{
	uint64_t d = pit_elapsed(c, now);
	uint32_t n = c->count, m = pit_modulus(c);

	if (!c->armed)
		return n % m;
	switch (c->mode) {
	case 2:
		return n - d % n;
	case 3: {
		uint64_t p = d % n, hi = (n + 1) / 2;
		return (n & ~1u) - 2 * (p < hi ? p : p - hi);
	}
	default:
		if (!c->triggered)
			return n % m;
		return (n + m - d % m) % m;
	}
}

static bool pit_out_at(const struct pit_channel *c, uint64_t now)
{
	uint64_t d, n = c->count;

	if (!c->armed)
		return c->mode != 0;
	d = pit_elapsed(c, now);
	switch (c->mode) {
	case 0:
		return d >= n;
	case 1:
		return !c->triggered || d >= n;
	case 2:
		return !c->gate || n < 2 || d % n != n - 1;
	case 3:
		return !c->gate || d % n < (n + 1) / 2;
	default:        /* 4, 5 */
		return !c->triggered || d != n;
	}
}

/* Tick index of the first rising OUT edge after tick `d`, or none. */
static uint64_t pit_next_edge(const struct pit_channel *c, uint64_t d)
{
	uint64_t n = c->count;

	switch (c->mode) {
	case 0:
	case 1:
		return d < n ? n : PIT_NO_IRQ;
	case 2:
	case 3:
		return (d / n + 1) * n;
	default:
		return d < n + 1 ? n + 1 : PIT_NO_IRQ;
	}
}

static uint16_t pit_to_bcd(uint32_t v)
{
	return (v % 10) | (v / 10 % 10) << 4 | (v / 100 % 10) << 8 | (v / 1000 % 10) << 12;
}

static uint32_t pit_from_bcd(uint16_t v)
{
	return (v & 15) + (v >> 4 & 15) * 10 + (v >> 8 & 15) * 100 + (v >> 12 & 15) * 1000;
}

static uint16_t pit_read_value(const struct pit_channel *c, uint64_t now)
{
	uint32_t v = pit_count_at(c, now);

	return c->bcd ? pit_to_bcd(v % 10000) : (uint16_t)v;
}

static void pit_irq_pulse(struct pit *p)
{
	intc_isa_irq(p->ic, 0, 1);
	intc_isa_irq(p->ic, 0, 0);
}

static uint64_t pit_period_ns(const struct pit_channel *c)
{
	return intc_muldiv(c->count, 1000000000ULL, PIT_HZ);
}

/* Channel 0: raise IRQ 0 for edges that are due (late periodic ones
 * through catchup.c), arm the loop timer. */
void pit_timer_run(struct pit *p)
{
	struct pit_channel *c = &p->ch[0];
	uint64_t now = intc_now(p->ic);

	if (!pit_counting(c) || c->next_irq == PIT_NO_IRQ) {
		intc_timer_stop(p->ic, p->timer, &p->due_ns);
		return;
	}
	uint64_t d = pit_elapsed(c, now);
	if (d >= c->next_irq) {
		uint64_t edges = 1;

		if (c->mode == 2 || c->mode == 3)
			edges += (d - c->next_irq) / c->count;
		uint64_t last = c->next_irq + (edges - 1) * c->count;

		if (p->ic->pit_irq_gated)      /* HPET legacy replacement */
			p->cu.owed = 0;
		else if (intc_catchup_due_locked(p->ic, &p->cu, 0, edges, pit_period_ns(c),
						 c->start + pit_ticks_to_ns(last - c->paused_ticks)))
			pit_irq_pulse(p);
		c->next_irq = pit_next_edge(c, d);
	}
	if (c->next_irq == PIT_NO_IRQ) {
		intc_timer_stop(p->ic, p->timer, &p->due_ns);
		return;
	}
	intc_timer_arm(p->ic, p->timer, &p->due_ns,
		       c->start + pit_ticks_to_ns(c->next_irq - c->paused_ticks));
}

/* A CPU's handler of IRQ 0 is done (EOI): the next owed tick goes in now. */
static void pit_acked(void *opaque, unsigned gsi, unsigned cpu)
{
	struct pit *p = opaque;

	intc_lock(p->ic);
	if (p->ic->pit_irq_gated)
		p->cu.owed = 0;
	else if (intc_catchup_acked_locked(p->ic, &p->cu, gsi, cpu))
		pit_irq_pulse(p);
	intc_unlock(p->ic);
}

static void pit_timer_cb(void *opaque)
{
	struct pit *p = opaque;

	intc_lock(p->ic);
	pit_timer_run(p);
	intc_unlock(p->ic);
}

static void pit_load(struct pit *p, unsigned n, uint32_t value)
{
	struct pit_channel *c = &p->ch[n];

	if (c->bcd)
		value = pit_from_bcd(value);
	if (value == 0)
		value = pit_modulus(c);
	if (value == 1 && (c->mode == 2 || c->mode == 3) && log_ratelimit_ok(&p->rl, 5))
		LOG(p->ic->m->log, LOG_DEBUG, "pit", "channel %u: count 1 is illegal in mode %u", n,
		    c->mode);
	c->count = value;
	c->armed = true;
	c->null_count = false;
	c->triggered = c->mode != 1 && c->mode != 5;
	c->start = intc_now(p->ic);
	c->paused_ticks = 0;
	c->next_irq = pit_next_edge(c, 0);
	if (n == 0)
		pit_timer_run(p);
}

static void pit_set_gate(struct pit *p, unsigned n, bool gate)
{
	struct pit_channel *c = &p->ch[n];
	uint64_t now = intc_now(p->ic);

	if (gate == c->gate)
		return;
	if (c->mode == 1 || c->mode == 5) {
		if (gate && c->armed) {         /* trigger (or retrigger) */
			c->triggered = true;
			c->start = now;
			c->paused_ticks = 0;
			c->next_irq = pit_next_edge(c, 0);
		}
	} else if (!gate) {
		c->paused_ticks = pit_elapsed(c, now);
	} else {
		if (c->mode == 2 || c->mode == 3)
			c->paused_ticks = 0;    /* rising gate reloads */
		c->start = now;
		c->next_irq = pit_next_edge(c, c->paused_ticks);
	}
	c->gate = gate;
	if (n == 0)
		pit_timer_run(p);
}

static void pit_latch_count(struct pit_channel *c, uint64_t now)
{
	if (c->latch_bytes)
		return;                 /* a latched count stays until read */
	c->latch = pit_read_value(c, now);
	c->latch_bytes = c->rw == 3 ? 2 : 1;
}

static void pit_latch_status(struct pit_channel *c, uint64_t now)
{
	if (c->status_latched)
		return;
	c->status = pit_out_at(c, now) << 7 | c->null_count << 6 | c->rw << 4 | c->mode << 1 |
		    c->bcd;
	c->status_latched = true;
}

static void pit_control(struct pit *p, uint8_t v)
{
	unsigned sc = v >> 6, rw = (v >> 4) & 3;
	uint64_t now = intc_now(p->ic);

	if (sc == 3) {                  /* read-back */
		for (unsigned n = 0; n < 3; n++) {
			if (!(v & (2u << n)))
				continue;
			if (!(v & 0x20))
				pit_latch_count(&p->ch[n], now);
			if (!(v & 0x10))
				pit_latch_status(&p->ch[n], now);
		}
		return;
	}
	struct pit_channel *c = &p->ch[sc];
	if (rw == 0) {
		pit_latch_count(c, now);
		return;
	}
	c->rw = rw;
	c->mode = (v >> 1) & 7;
	if (c->mode > 5)
		c->mode -= 4;           /* 6 and 7 are aliases of 2 and 3 */
	c->bcd = v & 1;
	c->armed = false;
	c->triggered = false;
	c->null_count = true;
	c->write_msb = c->read_msb = false;
	c->latch_bytes = 0;
	c->status_latched = false;
	c->next_irq = PIT_NO_IRQ;
	if (sc == 0) {
		p->cu.owed = 0;         /* a new mode owes nothing from the old */
		pit_timer_run(p);
	}
}

static void pit_write_counter(struct pit *p, unsigned n, uint8_t v)
{
	struct pit_channel *c = &p->ch[n];

	switch (c->rw) {
	case 1:
		pit_load(p, n, v);
		break;
	case 2:
		pit_load(p, n, (uint32_t)v << 8);
		break;
	case 3:
		if (!c->write_msb) {
			c->write_lsb = v;
			c->write_msb = true;
			if (c->mode == 0) {     /* first byte stops counting, OUT low */
				c->armed = false;
				c->next_irq = PIT_NO_IRQ;
			}
		} else {
			c->write_msb = false;
			pit_load(p, n, c->write_lsb | (uint32_t)v << 8);
		}
		break;
	default:                        /* never programmed: datasheet leaves it undefined */
		if (log_ratelimit_ok(&p->rl, 5))
			LOG(p->ic->m->log, LOG_DEBUG, "pit",
			    "channel %u: count byte 0x%02x before any control word ignored", n, v);
		break;
	}
}

static uint8_t pit_read_counter(struct pit *p, unsigned n)
{
	struct pit_channel *c = &p->ch[n];
	uint16_t v;

	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	if (c->latch_bytes) {
		if (c->rw == 2 || (c->rw == 3 && c->latch_bytes == 1)) {
			c->latch_bytes--;
			return c->latch >> 8;
		}
		c->latch_bytes--;
		return c->latch & 0xff;
	}
	v = pit_read_value(c, intc_now(p->ic));
	switch (c->rw) {
	case 2:
		return v >> 8;
	case 3:
		c->read_msb = !c->read_msb;
		return c->read_msb ? v & 0xff : v >> 8;
	default:
		return v & 0xff;
	}
}

static uint64_t pit_io_read(void *opaque, uint64_t offset, unsigned size)
{
	struct pit *p = opaque;
	uint8_t v = 0xff;

	intc_lock(p->ic);
	if (offset < 3)
		v = pit_read_counter(p, offset);
	intc_unlock(p->ic);
	return v;       /* the control port is write-only */
}

static void pit_io_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
	struct pit *p = opaque;

	intc_lock(p->ic);
	if (offset == 3)
		pit_control(p, value);
	else
		pit_write_counter(p, offset, value);
	intc_unlock(p->ic);
}

static const struct io_ops pit_ops = { pit_io_read, pit_io_write };

static uint64_t pit_port61_read(void *opaque, uint64_t offset, unsigned size)
{
	struct pit *p = opaque;
	uint64_t now;
	uint8_t v;

	intc_lock(p->ic);
	now = intc_now(p->ic);
	v = p->port61 & 0x0f;
	if (pit_ticks(now) / PIT_REFRESH_TICKS & 1)
		v |= 0x10;
	if (pit_out_at(&p->ch[2], now))
		v |= 0x20;
	intc_unlock(p->ic);
	return v;
}

static void pit_port61_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
	struct pit *p = opaque;

	intc_lock(p->ic);
	p->port61 = value & 0x0f;
	pit_set_gate(p, 2, value & 1);
	intc_unlock(p->ic);
}

static const struct io_ops pit_port61_ops = { pit_port61_read, pit_port61_write };

void pit_reset(struct pit *p)
{
	for (unsigned n = 0; n < 3; n++) {
		p->ch[n] = (struct pit_channel){
			.count = 65536, .mode = 3, .rw = 3,
			.gate = n != 2, .next_irq = PIT_NO_IRQ,
		};
	}
	p->port61 = 0;
	p->cu = (struct intc_catchup){0};
	intc_timer_stop(p->ic, p->timer, &p->due_ns);
}

void pit_init(struct pit *p, struct intc *ic)
{
	*p = (struct pit){ .ic = ic };
	p->timer = intc_timer_new(ic, pit_timer_cb, p);
	pit_reset(p);
}

static void pit_dev_reset(void *opaque)
{
	struct pit *p = opaque;

	intc_lock(p->ic);
	pit_reset(p);
	intc_unlock(p->ic);
}

static void pit_save(void *opaque, struct state_writer *w)
{
	struct pit *p = opaque;

	intc_lock(p->ic);
	for (unsigned n = 0; n < 3; n++) {
		const struct pit_channel *c = &p->ch[n];
		sw_u32(w, c->count);
		sw_u8(w, c->mode);
		sw_u8(w, c->rw);
		sw_u8(w, c->bcd);
		sw_u8(w, c->gate | c->armed << 1 | c->triggered << 2 | c->null_count << 3 |
			      c->write_msb << 4 | c->read_msb << 5 | c->status_latched << 6);
		sw_u8(w, c->write_lsb);
		sw_u16(w, c->latch);
		sw_u8(w, c->latch_bytes);
		sw_u8(w, c->status);
		sw_u64(w, c->start);
		sw_u64(w, c->paused_ticks);
		sw_u64(w, c->next_irq);
	}
	sw_u8(w, p->port61);
	intc_unlock(p->ic);
}

static void pit_load_state(void *opaque, struct state_reader *r, uint32_t version)
{
	struct pit *p = opaque;
	struct pit_channel ch[3];

	if (version != 1) {
		sr_fail(r, "pit: state version %u not supported (expected 1)", version);
		return;
	}
	for (unsigned n = 0; n < 3; n++) {
		struct pit_channel *c = &ch[n];
		*c = (struct pit_channel){0};
		c->count = sr_u32(r);
		c->mode = sr_u8(r);
		c->rw = sr_u8(r);
		c->bcd = sr_u8(r) & 1;
		uint8_t f = sr_u8(r);
		c->gate = f & 1;
		c->armed = f & 2;
		c->triggered = f & 4;
		c->null_count = f & 8;
		c->write_msb = f & 16;
		c->read_msb = f & 32;
		c->status_latched = f & 64;
		c->write_lsb = sr_u8(r);
		c->latch = sr_u16(r);
		c->latch_bytes = sr_u8(r);
		c->status = sr_u8(r);
		c->start = sr_u64(r);
		c->paused_ticks = sr_u64(r);
		c->next_irq = sr_u64(r);
		if (sr_ok(r) && (c->count == 0 || c->count > 65536 || c->mode > 5 || c->rw > 3 ||
				 c->latch_bytes > 2)) {
			sr_fail(r, "pit: channel %u state invalid (count %u mode %u rw %u)", n,
				c->count, c->mode, c->rw);
			return;
		}
	}
	uint8_t port61 = sr_u8(r) & 0x0f;
	if (!sr_ok(r))
		return;
	intc_lock(p->ic);
	for (unsigned n = 0; n < 3; n++)
		p->ch[n] = ch[n];
	p->port61 = port61;
	pit_timer_run(p);
	intc_unlock(p->ic);
}


static const struct device_ops pit_device_ops = {
	.type = "i8254",
	.state_version = 1,
	.reset = pit_dev_reset,
	.save = pit_save,
	.load = pit_load_state,
};

int pit_register(struct pit *p, struct machine *m)
{
	int ret;

	ret = bus_register(&m->pio, 0x40, 4, &pit_ops, p, "pit");
	if (ret)
		return ret;
	ret = bus_register(&m->pio, 0x61, 1, &pit_port61_ops, p, "port61");
	if (ret)
		goto err_pit;
	ret = intc_add_ack_notifier(m, 1u << 0, pit_acked, p);
	if (ret)
		goto err_61;
	ret = machine_add_device(m, &pit_device_ops, p, "pit");
	if (ret)
		goto err_61;
	return 0;
err_61:
	bus_unregister(&m->pio, 0x61, p);
err_pit:
	bus_unregister(&m->pio, 0x40, p);
	return ret;
}
