/*
 * 16550A UART, as the TI PC16550D datasheet describes it; what Linux's 8250
 * driver and SeaBIOS program.
 *
 * Design note:
 *  - Transmission is instantaneous: a byte written to THR goes to the
 *    backend (or, in loopback mode, into the receive FIFO) at once, so THRE
 *    and TEMT read as 1 whenever the guest looks, and every THR write
 *    latches a new THR-empty interrupt.
 *  - THR-empty interrupt (thri_pending): latched when THR empties and when
 *    IER.ETBEI goes from 0 to 1 while THR is empty (a real 16550 re-asserts
 *    it then; Linux's THRE test checks exactly that). It is visible only
 *    while ETBEI is set, and cleared by an IIR read that reports it or by a
 *    THR write (which then latches the next one, the byte being gone).
 *  - Interrupt priority (IIR): line status (OE/PE/FE/BI, cleared by reading
 *    LSR) > received data at the trigger level > character timeout (FIFO
 *    mode, cleared by reading RBR) > THR empty > modem status (cleared by
 *    reading MSR). The IRQ line is high while IIR reports a source. Like
 *    QEMU (and unlike a PC's OUT2 gate), MCR.OUT2 does not gate the line:
 *    guests developed on QEMU rely on it.
 *  - Receive FIFO: 16 bytes with FIFOs enabled, 1 byte (RBR) without. A
 *    byte arriving at a full FIFO sets OE; in FIFO mode the FIFO keeps its
 *    contents, in 16450 mode RBR is overwritten. Backend input is
 *    flow-controlled (can_read), so overruns come only from loopback.
 *  - Character timeout: with FIFOs on, data waiting and no FIFO activity
 *    for four character times (from the divisor and LCR), IIR reports 0xC
 *    so that data below the trigger level still gets an interrupt. Timed on
 *    the event loop.
 *  - MSR: outside loopback the inputs are those of an attached terminal
 *    (CTS, DSR, DCD asserted); in loopback they follow MCR (RTS->CTS,
 *    DTR->DSR, OUT1->RI, OUT2->DCD). Delta bits record changes (RI: the
 *    trailing edge) until MSR is read, in loopback too (QEMU shows no
 *    deltas there; Linux masks them off when it probes).
 *  - MCR resets to 0 as the datasheet says (QEMU starts with OUT2 set).
 * Invariants: rx_count <= SERIAL_FIFO_SIZE; LSR.DR == (rx_count > 0).
 * Locking: s->lock guards all registers (vCPU threads and the loop thread's
 * backend input and timeout timer). It is held while calling the chardev
 * and the IRQ line, never the other way round.
 */
#include "hw/pc/serial.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/chardev.h"
#include "core/loop.h"
#include "core/machine.h"
#include "core/state.h"
#include "hw/pc/pio.h"

#define SERIAL_FIFO_SIZE 16
#define SERIAL_CLOCK_HZ 1843200ULL

/* Register offsets. */
enum { UART_RBR = 0, UART_IER = 1, UART_IIR = 2, UART_LCR = 3, UART_MCR = 4,
       UART_LSR = 5, UART_MSR = 6, UART_SCR = 7 };

#define IER_ERBFI 0x01
#define IER_ETBEI 0x02
#define IER_ELSI 0x04
#define IER_EDSSI 0x08

#define IIR_NONE 0x01
#define IIR_MSI 0x00
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_RLSI 0x06
#define IIR_CTI 0x0C
#define IIR_FIFO 0xC0

#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define FCR_CLEAR_TX 0x04
#define FCR_STORED 0xC9    /* enable, DMA mode, trigger; the rest self-clear */

#define LCR_DLAB 0x80

#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10

#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_PE 0x04
#define LSR_FE 0x08
#define LSR_BI 0x10
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define LSR_FIFOERR 0x80
#define LSR_ERRORS (LSR_OE | LSR_PE | LSR_FE | LSR_BI)

#define MSR_DCTS 0x01
#define MSR_DDSR 0x02
#define MSR_TERI 0x04
#define MSR_DDCD 0x08
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80
/* Lines an attached terminal asserts. */
#define MSR_EXTERNAL (MSR_CTS | MSR_DSR | MSR_DCD)

#define SERIAL_STATE_VERSION 1

struct serial {
	struct machine *m;
	pthread_mutex_t lock;
	struct irq_line irq;
	struct chardev *chr;
	struct loop_timer *timeout_timer;
	struct log_ratelimit rl;
	uint16_t base;
	char name[16];

	uint16_t divisor;
	uint8_t ier, lcr, mcr, lsr, scr, fcr;
	uint8_t msr_lines;       /* bits 7:4 */
	uint8_t msr_delta;       /* bits 3:0 */
	uint8_t rx[SERIAL_FIFO_SIZE];
	unsigned rx_head, rx_count;
	bool thri_pending;
	bool timeout_pending;
	bool rx_blocked;         /* the backend was told there was no room */
};

static bool serial_fifo_on(const struct serial *s)
{
	return s->fcr & FCR_ENABLE;
}

static unsigned serial_rx_capacity(const struct serial *s)
{
	return serial_fifo_on(s) ? SERIAL_FIFO_SIZE : 1;
}

static unsigned serial_trigger(const struct serial *s)
{
	static const unsigned levels[4] = { 1, 4, 8, 14 };

	return serial_fifo_on(s) ? levels[s->fcr >> 6] : 1;
}

/* The highest-priority pending source, as IIR bits 3:0. */
static uint8_t serial_iir_id(const struct serial *s)
{
	if ((s->ier & IER_ELSI) && (s->lsr & LSR_ERRORS))
		return IIR_RLSI;
	if ((s->ier & IER_ERBFI) && s->rx_count && s->rx_count >= serial_trigger(s))
		return IIR_RDI;
	if ((s->ier & IER_ERBFI) && s->timeout_pending)
		return IIR_CTI;
	if ((s->ier & IER_ETBEI) && s->thri_pending)
		return IIR_THRI;
	if ((s->ier & IER_EDSSI) && s->msr_delta)
		return IIR_MSI;
	return IIR_NONE;
}

static void serial_update_irq(struct serial *s)
{
	int level = serial_iir_id(s) != IIR_NONE;

	if (level != s->irq.level)
		irq_line_set(&s->irq, level);
}

/* Duration of one character on the line, from divisor and LCR. */
static uint64_t serial_char_ns(const struct serial *s)
{
	unsigned bits = 1 + 5 + (s->lcr & 3) + ((s->lcr & 0x08) ? 1 : 0) + ((s->lcr & 0x04) ? 2 : 1);
	uint64_t div = s->divisor ? s->divisor : 0x10000;

	return bits * div * 16 * 1000000000ULL / SERIAL_CLOCK_HZ;
}

static void serial_arm_timeout(struct serial *s)
{
	if (!s->timeout_timer)
		return;
	if (serial_fifo_on(s) && s->rx_count)
		timer_mod(s->timeout_timer, clock_ns() + 4 * serial_char_ns(s));
	else
		timer_del(s->timeout_timer);
}

static void serial_timeout_fire(void *opaque)
{
	struct serial *s = opaque;

	pthread_mutex_lock(&s->lock);
	if (serial_fifo_on(s) && s->rx_count) {
		s->timeout_pending = true;
		serial_update_irq(s);
	}
	pthread_mutex_unlock(&s->lock);
}

static void serial_rx_clear(struct serial *s)
{
	s->rx_head = s->rx_count = 0;
	s->lsr &= ~(LSR_DR | LSR_FIFOERR);
	s->timeout_pending = false;
	if (s->timeout_timer)
		timer_del(s->timeout_timer);
	if (s->rx_blocked) {
		s->rx_blocked = false;
		chardev_accept_input(s->chr);
	}
}

/* Puts one received character into the FIFO (or RBR). Lock held. */
static void serial_rx_push(struct serial *s, uint8_t c)
{
	if (s->rx_count >= serial_rx_capacity(s)) {
		s->lsr |= LSR_OE;
		if (!serial_fifo_on(s))
			s->rx[s->rx_head] = c;   /* 16450: RBR overwritten */
	} else {
		s->rx[(s->rx_head + s->rx_count) % SERIAL_FIFO_SIZE] = c;
		s->rx_count++;
	}
	s->lsr |= LSR_DR;
	s->timeout_pending = false;
	serial_arm_timeout(s);
}

static uint8_t serial_rx_pop(struct serial *s)
{
	uint8_t c;

	if (!s->rx_count)
		return s->rx[s->rx_head];   /* RBR keeps the last character */
	c = s->rx[s->rx_head];
	if (--s->rx_count)
		s->rx_head = (s->rx_head + 1) % SERIAL_FIFO_SIZE;
	else
		s->lsr &= ~(LSR_DR | LSR_FIFOERR);
	s->timeout_pending = false;
	serial_arm_timeout(s);
	if (s->rx_blocked) {
		s->rx_blocked = false;
		chardev_accept_input(s->chr);
	}
	return c;
}

/* Recomputes the MSR input lines after MCR changed; sets delta bits. */
static void serial_update_msr(struct serial *s)
{
	uint8_t lines = MSR_EXTERNAL, changed;

	if (s->mcr & MCR_LOOP) {
		lines = 0;
		if (s->mcr & MCR_RTS)
			lines |= MSR_CTS;
		if (s->mcr & MCR_DTR)
			lines |= MSR_DSR;
		if (s->mcr & MCR_OUT1)
			lines |= MSR_RI;
		if (s->mcr & MCR_OUT2)
			lines |= MSR_DCD;
	}
	changed = lines ^ s->msr_lines;
	if (changed & MSR_CTS)
		s->msr_delta |= MSR_DCTS;
	if (changed & MSR_DSR)
		s->msr_delta |= MSR_DDSR;
	if ((changed & MSR_RI) && !(lines & MSR_RI))
		s->msr_delta |= MSR_TERI;
	if (changed & MSR_DCD)
		s->msr_delta |= MSR_DDCD;
	s->msr_lines = lines;
}

static void serial_write_fcr(struct serial *s, uint8_t v)
{
	if (!(v & FCR_ENABLE)) {
		/* FIFOs off: the other bits are not programmed; FIFOs emptied. */
		if (serial_fifo_on(s))
			serial_rx_clear(s);
		s->fcr = 0;
		return;
	}
	if (!serial_fifo_on(s) || (v & FCR_CLEAR_RX))
		serial_rx_clear(s);
	/* FCR_CLEAR_TX: the transmitter is always empty here. */
	s->fcr = v & FCR_STORED;
}

static uint8_t serial_read_byte(void *opaque, unsigned off)
{
	struct serial *s = opaque;
	uint8_t v = 0;

	switch (off) {
	case UART_RBR:
		v = (s->lcr & LCR_DLAB) ? (uint8_t)s->divisor : serial_rx_pop(s);
		break;
	case UART_IER:
		v = (s->lcr & LCR_DLAB) ? (uint8_t)(s->divisor >> 8) : s->ier;
		break;
	case UART_IIR: {
		uint8_t id = serial_iir_id(s);

		if (id == IIR_THRI)
			s->thri_pending = false;
		v = id | (serial_fifo_on(s) ? IIR_FIFO : 0);
		break;
	}
	case UART_LCR:
		v = s->lcr;
		break;
	case UART_MCR:
		v = s->mcr;
		break;
	case UART_LSR:
		v = s->lsr | LSR_THRE | LSR_TEMT;
		s->lsr &= ~(LSR_ERRORS | LSR_FIFOERR);
		break;
	case UART_MSR:
		v = s->msr_lines | s->msr_delta;
		s->msr_delta = 0;
		break;
	case UART_SCR:
		v = s->scr;
		break;
	}
	return v;
}

static void serial_transmit(struct serial *s, uint8_t c)
{
	if (s->mcr & MCR_LOOP)
		serial_rx_push(s, c);
	else
		chardev_write(s->chr, &c, 1);
	/* The byte left THR at once: THR is empty again. */
	s->thri_pending = true;
}

static void serial_write_byte(void *opaque, unsigned off, uint8_t v)
{
	struct serial *s = opaque;

	switch (off) {
	case UART_RBR:
		if (s->lcr & LCR_DLAB)
			s->divisor = (s->divisor & 0xFF00) | v;
		else
			serial_transmit(s, v);
		break;
	case UART_IER:
		if (s->lcr & LCR_DLAB) {
			s->divisor = (uint16_t)((s->divisor & 0x00FF) | (v << 8));
		} else {
			if ((v & IER_ETBEI) && !(s->ier & IER_ETBEI))
				s->thri_pending = true;   /* THR is empty */
			s->ier = v & 0x0F;
		}
		break;
	case UART_IIR:
		serial_write_fcr(s, v);
		break;
	case UART_LCR:
		s->lcr = v;
		break;
	case UART_MCR: {
		bool was_loop = s->mcr & MCR_LOOP;

		s->mcr = v & 0x1F;
		serial_update_msr(s);
		/* Leaving loopback reconnects the line: resume held input. */
		if (was_loop && !(s->mcr & MCR_LOOP) && s->rx_blocked) {
			s->rx_blocked = false;
			chardev_accept_input(s->chr);
		}
		break;
	}
	case UART_LSR:
	case UART_MSR:
		/* Factory-test writes on real parts; ignored. */
		if (log_ratelimit_ok(&s->rl, 5))
			LOG(s->m->log, LOG_DEBUG, "serial", "%s: write 0x%02x to read-only register %u ignored",
			    s->name, v, off);
		break;
	case UART_SCR:
		s->scr = v;
		break;
	}
}

static uint64_t serial_io_read(void *opaque, uint64_t offset, unsigned size)
{
	struct serial *s = opaque;
	uint64_t v;

	pthread_mutex_lock(&s->lock);
	if (size != 1 && log_ratelimit_ok(&s->rl, 5))
		LOG(s->m->log, LOG_WARN, "serial", "%s: %u-byte read at offset %llu split into bytes",
		    s->name, size, (unsigned long long)offset);
	v = pio_read_bytes(serial_read_byte, s, offset, size, 8);
	serial_update_irq(s);
	pthread_mutex_unlock(&s->lock);
	return v;
}

static void serial_io_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
	struct serial *s = opaque;

	pthread_mutex_lock(&s->lock);
	if (size != 1 && log_ratelimit_ok(&s->rl, 5))
		LOG(s->m->log, LOG_WARN, "serial", "%s: %u-byte write at offset %llu split into bytes",
		    s->name, size, (unsigned long long)offset);
	pio_write_bytes(serial_write_byte, s, offset, value, size, 8);
	serial_update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

static const struct io_ops serial_io_ops = {
	.read = serial_io_read,
	.write = serial_io_write,
};

size_t serial_receive(struct serial *s, const uint8_t *buf, size_t len)
{
	size_t n = 0;

	pthread_mutex_lock(&s->lock);
	/* In loopback the receiver is disconnected from the line. */
	if (!(s->mcr & MCR_LOOP)) {
		while (n < len && s->rx_count < serial_rx_capacity(s))
			serial_rx_push(s, buf[n++]);
	}
	if (n < len)
		s->rx_blocked = true;
	serial_update_irq(s);
	pthread_mutex_unlock(&s->lock);
	return n;
}

void serial_receive_break(struct serial *s)
{
	pthread_mutex_lock(&s->lock);
	if (!(s->mcr & MCR_LOOP)) {
		/* A break arrives as a zero character with BI set. */
		serial_rx_push(s, 0);
		s->lsr |= LSR_BI;
		if (serial_fifo_on(s))
			s->lsr |= LSR_FIFOERR;
	}
	serial_update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

static size_t serial_chr_can_read(void *opaque)
{
	struct serial *s = opaque;
	size_t room = 0;

	pthread_mutex_lock(&s->lock);
	if (!(s->mcr & MCR_LOOP))
		room = serial_rx_capacity(s) - s->rx_count;
	if (!room)
		s->rx_blocked = true;
	pthread_mutex_unlock(&s->lock);
	return room;
}

static void serial_chr_read(void *opaque, const uint8_t *buf, size_t len)
{
	struct serial *s = opaque;
	size_t n = serial_receive(s, buf, len);

	if (n < len && log_ratelimit_ok(&s->rl, 5))
		LOG(s->m->log, LOG_WARN, "serial", "%s: %zu input bytes dropped", s->name, len - n);
}

static void serial_reset(void *opaque)
{
	struct serial *s = opaque;

	pthread_mutex_lock(&s->lock);
	s->divisor = 12;   /* 9600 baud until the guest programs it */
	s->ier = s->lcr = s->mcr = s->scr = s->fcr = 0;
	s->lsr = LSR_THRE | LSR_TEMT;
	s->msr_lines = MSR_EXTERNAL;
	s->msr_delta = 0;
	memset(s->rx, 0, sizeof s->rx);
	s->thri_pending = false;
	serial_rx_clear(s);
	serial_update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

static void serial_save(void *opaque, struct state_writer *w)
{
	struct serial *s = opaque;
	uint8_t fifo[SERIAL_FIFO_SIZE] = { 0 };

	pthread_mutex_lock(&s->lock);
	for (unsigned i = 0; i < SERIAL_FIFO_SIZE; i++)
		fifo[i] = s->rx[(s->rx_head + i) % SERIAL_FIFO_SIZE];
	sw_u16(w, s->divisor);
	sw_u8(w, s->ier);
	sw_u8(w, s->lcr);
	sw_u8(w, s->mcr);
	sw_u8(w, s->lsr);
	sw_u8(w, s->scr);
	sw_u8(w, s->fcr);
	sw_u8(w, s->msr_lines);
	sw_u8(w, s->msr_delta);
	sw_u8(w, (uint8_t)s->rx_count);
	sw_bytes(w, fifo, sizeof fifo);
	sw_u8(w, s->thri_pending);
	sw_u8(w, s->timeout_pending);
	pthread_mutex_unlock(&s->lock);
}

static void serial_load(void *opaque, struct state_reader *r, uint32_t version)
{
	struct serial *s = opaque;
	uint8_t fifo[SERIAL_FIFO_SIZE];
	uint16_t divisor;
	uint8_t ier, lcr, mcr, lsr, scr, fcr, lines, delta, count, thri, timeout;

	if (version != SERIAL_STATE_VERSION) {
		sr_fail(r, "serial %s: unsupported state version %u", s->name, version);
		return;
	}
	divisor = sr_u16(r);
	ier = sr_u8(r);
	lcr = sr_u8(r);
	mcr = sr_u8(r);
	lsr = sr_u8(r);
	scr = sr_u8(r);
	fcr = sr_u8(r);
	lines = sr_u8(r);
	delta = sr_u8(r);
	count = sr_u8(r);
	sr_bytes(r, fifo, sizeof fifo);
	thri = sr_u8(r);
	timeout = sr_u8(r);
	if (!sr_ok(r))
		return;
	if (count > SERIAL_FIFO_SIZE || (!(fcr & FCR_ENABLE) && count > 1)) {
		sr_fail(r, "serial %s: receive FIFO holds %u bytes (FCR 0x%02x)", s->name, count, fcr);
		return;
	}

	pthread_mutex_lock(&s->lock);
	s->divisor = divisor;
	s->ier = ier & 0x0F;
	s->lcr = lcr;
	s->mcr = mcr & 0x1F;
	s->scr = scr;
	s->fcr = fcr & FCR_STORED;
	s->msr_lines = lines & 0xF0;
	s->msr_delta = delta & 0x0F;
	memcpy(s->rx, fifo, sizeof fifo);
	s->rx_head = 0;
	s->rx_count = count;
	/* DR must agree with the FIFO whatever the stream says. */
	s->lsr = (lsr & (LSR_ERRORS | LSR_FIFOERR)) | (count ? LSR_DR : 0);
	s->thri_pending = thri != 0;
	s->timeout_pending = timeout != 0;
	serial_arm_timeout(s);
	serial_update_irq(s);
	if (s->rx_blocked && s->rx_count < serial_rx_capacity(s)) {
		s->rx_blocked = false;
		chardev_accept_input(s->chr);
	}
	pthread_mutex_unlock(&s->lock);
}

static void serial_destroy(void *opaque)
{
	struct serial *s = opaque;

	if (s->timeout_timer)
		timer_free(s->timeout_timer);
	chardev_close(s->chr);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static const struct device_ops serial_device_ops = {
	.type = "serial",
	.state_version = SERIAL_STATE_VERSION,
	.reset = serial_reset,
	.save = serial_save,
	.load = serial_load,
	.destroy = serial_destroy,
};

int serial_create(struct machine *m, uint16_t base, unsigned gsi, struct chardev *chr,
		  const char *name, struct serial **out)
{
	struct serial *s = calloc(1, sizeof *s);
	int ret;

	if (out)
		*out = NULL;
	if (!s) {
		chardev_close(chr);
		return -ENOMEM;
	}
	s->m = m;
	s->chr = chr;
	s->base = base;
	snprintf(s->name, sizeof s->name, "%s", name);
	pthread_mutex_init(&s->lock, NULL);
	irq_line_init(&s->irq, m, gsi);
	if (m->loop) {
		s->timeout_timer = timer_new(m->loop, serial_timeout_fire, s);
		if (!s->timeout_timer) {
			serial_destroy(s);
			return -ENOMEM;
		}
	}
	serial_reset(s);

	ret = machine_add_device(m, &serial_device_ops, s, s->name);
	if (ret) {
		serial_destroy(s);
		return ret;
	}
	/* From here the machine owns s: failures leave it to machine_destroy. */
	ret = bus_register(&m->pio, base, 8, &serial_io_ops, s, s->name);
	if (ret) {
		LOG(m->log, LOG_ERROR, "serial", "%s: ports 0x%x-0x%x: %s", s->name, base, base + 7,
		    strerror(-ret));
		return ret;
	}
	if (chr)
		chardev_set_handlers(chr, serial_chr_can_read, serial_chr_read, s);
	if (out)
		*out = s;
	return 0;
}
