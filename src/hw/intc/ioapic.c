/*
 * The I/O APIC at 0xFEC00000 (82093AA register model, version 0x20 with 24
 * redirection entries as QEMU's, plus the EOI register at offset 0x40 that
 * version 0x20 parts have).
 *
 * Design note (after the Intel 82093AA datasheet):
 * - MMIO: IOREGSEL at 0x00 selects a register, IOWIN at 0x10 reads/writes
 *   it. Registers: 0x00 ID (bits 24-27), 0x01 version (max entry << 16 |
 *   0x20), 0x02 arbitration ID, 0x10 + 2n / 0x11 + 2n the low / high halves
 *   of redirection entry n. Delivery status (bit 12) and remote IRR (bit 14)
 *   are read-only.
 * - Inputs carry the asserted state of a line (the polarity bit is stored
 *   but the machine's GSI levels are already "asserted = 1").
 * - Edge: a rising edge on an unmasked pin sends one message; an edge on a
 *   masked pin is dropped (datasheet: "not delivered or held pending").
 * - Level: while the line is asserted, the pin is unmasked and remote IRR is
 *   clear, a message is sent and remote IRR set. An EOI for the entry's
 *   vector (LAPIC broadcast or the EOI register) clears remote IRR, and the
 *   pin fires again if the line is still asserted.
 * - Messages are delivered at once, so delivery status always reads idle.
 */
#include <errno.h>

#include "core/bus.h"
#include "core/machine.h"
#include "core/state.h"
#include "hw/intc/intc_priv.h"

#define IOAPIC_VERSION 0x20
#define IOAPIC_RO_BITS ((1ULL << 12) | (1ULL << 14))
#define IOAPIC_REMOTE_IRR (1ULL << 14)
#define IOAPIC_LEVEL (1ULL << 15)
#define IOAPIC_MASKED (1ULL << 16)

static void ioapic_send(struct ioapic *io, unsigned pin)
{
	uint64_t e = io->redir[pin];
	struct apic_msg msg = {
		.dest = e >> 56,
		.vector = e & 0xff,
		.mode = (e >> 8) & 7,
		.logical = e & (1u << 11),
		.level = e & IOAPIC_LEVEL,
		.src = -1,
	};

	if (msg.mode == APIC_DM_SIPI || msg.mode == 3) {
		if (log_ratelimit_ok(&io->rl, 5))
			LOG(io->ic->m->log, LOG_WARN, "ioapic",
			    "pin %u: reserved delivery mode %u; message dropped", pin, msg.mode);
		return;
	}
	if (msg.level && msg.mode != APIC_DM_FIXED && msg.mode != APIC_DM_LOWEST)
		msg.level = false;      /* NMI/INIT/SMI/ExtINT are always edge */
	lapic_deliver(io->ic, &msg);
}

/* Fires a level-triggered pin if it is asserted and may fire. */
static void ioapic_service_level(struct ioapic *io, unsigned pin)
{
	uint64_t *e = &io->redir[pin];

	if (!(*e & IOAPIC_LEVEL) || !(io->lines & (1u << pin)))
		return;
	if (*e & (IOAPIC_MASKED | IOAPIC_REMOTE_IRR))
		return;
	*e |= IOAPIC_REMOTE_IRR;
	ioapic_send(io, pin);
}

void ioapic_set_irq(struct ioapic *io, unsigned pin, int level)
{
	uint32_t bit;
	bool was;

	if (pin >= IOAPIC_PINS)
		return;
	bit = 1u << pin;
	was = io->lines & bit;
	if (level)
		io->lines |= bit;
	else
		io->lines &= ~bit;
	if (io->redir[pin] & IOAPIC_LEVEL)
		ioapic_service_level(io, pin);
	else if (level && !was && !(io->redir[pin] & IOAPIC_MASKED))
		ioapic_send(io, pin);
}

void ioapic_eoi(struct ioapic *io, uint8_t vector)
{
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
		uint64_t *e = &io->redir[pin];
		if ((*e & 0xff) != vector || !(*e & IOAPIC_REMOTE_IRR))
			continue;
		*e &= ~IOAPIC_REMOTE_IRR;
		ioapic_service_level(io, pin);
	}
}

void ioapic_vector_acked(struct ioapic *io, uint8_t vector, unsigned cpu)
{
	if (!io->ic->nnotifiers)
		return;
	for (unsigned pin = 1; pin < IOAPIC_PINS; pin++) {
		uint64_t e = io->redir[pin];
		if ((e & 0xff) == vector && !(e & IOAPIC_MASKED))
			intc_gsi_acked(io->ic, pin == 2 ? 0 : pin, cpu);
	}
}

enum intc_path ioapic_path(const struct ioapic *io, unsigned pin)
{
	uint64_t e;
	const struct intc *ic = io->ic;

	if (pin >= IOAPIC_PINS)
		return INTC_PATH_MASKED;
	e = io->redir[pin];
	if (e & IOAPIC_MASKED)
		return INTC_PATH_MASKED;
	if (e & IOAPIC_REMOTE_IRR)
		return INTC_PATH_BUSY;
	if (((e >> 8) & 7) == APIC_DM_FIXED || ((e >> 8) & 7) == APIC_DM_LOWEST)
		for (unsigned i = 0; ic->lapic && i < ic->ncpus; i++)
			if (lapic_irr_test(&ic->lapic[i], e & 0xff))
				return INTC_PATH_BUSY;
	return INTC_PATH_OPEN;
}

static uint32_t ioapic_reg_read(struct ioapic *io, uint32_t reg)
{
	switch (reg) {
	case 0x00:
		return (uint32_t)io->id << 24;
	case 0x01:
		return (IOAPIC_PINS - 1) << 16 | IOAPIC_VERSION;
	case 0x02:
		return (uint32_t)io->id << 24;
	}
	if (reg >= 0x10 && reg < 0x10 + 2 * IOAPIC_PINS) {
		uint64_t e = io->redir[(reg - 0x10) / 2];
		return reg & 1 ? e >> 32 : (uint32_t)e;
	}
	if (log_ratelimit_ok(&io->rl, 5))
		LOG(io->ic->m->log, LOG_DEBUG, "ioapic", "read of undefined register 0x%x", reg);
	return 0xffffffff;
}

static void ioapic_reg_write(struct ioapic *io, uint32_t reg, uint32_t v)
{
	if (reg == 0x00) {
		io->id = (v >> 24) & 0x0f;
		return;
	}
	if (reg < 0x10 || reg >= 0x10 + 2 * IOAPIC_PINS) {
		if (log_ratelimit_ok(&io->rl, 5))
			LOG(io->ic->m->log, LOG_DEBUG, "ioapic",
			    "write 0x%x to read-only or undefined register 0x%x ignored", v, reg);
		return;
	}
	unsigned pin = (reg - 0x10) / 2;
	uint64_t *e = &io->redir[pin];
	uint64_t old = *e;
	if (reg & 1)
		*e = (*e & 0xffffffffULL) | (uint64_t)v << 32;
	else
		*e = (*e & ~0xffffffffULL) | (v & ~IOAPIC_RO_BITS) | (old & IOAPIC_RO_BITS);
	/* Remote IRR only has a meaning for level-triggered entries. */
	if (!(*e & IOAPIC_LEVEL))
		*e &= ~IOAPIC_REMOTE_IRR;
	ioapic_service_level(io, pin);
}

static uint64_t ioapic_mmio_read(void *opaque, uint64_t offset, unsigned size)
{
	struct ioapic *io = opaque;
	uint64_t v = 0;

	intc_lock(io->ic);
	if (offset == 0x00)
		v = io->regsel;
	else if (offset == 0x10)
		v = ioapic_reg_read(io, io->regsel);
	else if (log_ratelimit_ok(&io->rl, 5))
		LOG(io->ic->m->log, LOG_DEBUG, "ioapic", "read at offset 0x%llx ignored",
		    (unsigned long long)offset);
	intc_unlock(io->ic);
	return v;
}

static void ioapic_mmio_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
	struct ioapic *io = opaque;

	intc_lock(io->ic);
	if (offset == 0x00)
		io->regsel = value & 0xff;
	else if (offset == 0x10)
		ioapic_reg_write(io, io->regsel, value);
	else if (offset == 0x40)
		ioapic_eoi(io, value & 0xff);
	else if (log_ratelimit_ok(&io->rl, 5))
		LOG(io->ic->m->log, LOG_DEBUG, "ioapic", "write 0x%llx at offset 0x%llx ignored",
		    (unsigned long long)value, (unsigned long long)offset);
	intc_unlock(io->ic);
}

static const struct io_ops ioapic_ops = { ioapic_mmio_read, ioapic_mmio_write };

void ioapic_reset(struct ioapic *io)
{
	io->regsel = 0;
	io->id = 0;
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
		io->redir[pin] = IOAPIC_MASKED;
}

void ioapic_init(struct ioapic *io, struct intc *ic)
{
	*io = (struct ioapic){ .ic = ic };
	ioapic_reset(io);
}

static void ioapic_dev_reset(void *opaque)
{
	struct ioapic *io = opaque;

	intc_lock(io->ic);
	ioapic_reset(io);
	intc_unlock(io->ic);
}

static void ioapic_save(void *opaque, struct state_writer *w)
{
	struct ioapic *io = opaque;

	intc_lock(io->ic);
	sw_u32(w, io->regsel);
	sw_u8(w, io->id);
	sw_u32(w, io->lines);
	sw_u8(w, IOAPIC_PINS);
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
		sw_u64(w, io->redir[pin]);
	intc_unlock(io->ic);
}

static void ioapic_load(void *opaque, struct state_reader *r, uint32_t version)
{
	struct ioapic *io = opaque;
	uint64_t redir[IOAPIC_PINS];

	if (version != 1) {
		sr_fail(r, "ioapic: state version %u not supported (expected 1)", version);
		return;
	}
	uint32_t regsel = sr_u32(r) & 0xff;
	uint8_t id = sr_u8(r) & 0x0f;
	uint32_t lines = sr_u32(r) & ((1u << IOAPIC_PINS) - 1);
	uint8_t pins = sr_u8(r);
	if (sr_ok(r) && pins != IOAPIC_PINS) {
		sr_fail(r, "ioapic: %u redirection entries in the stream, this model has %u",
			pins, IOAPIC_PINS);
		return;
	}
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
		redir[pin] = sr_u64(r);
	if (!sr_ok(r))
		return;
	intc_lock(io->ic);
	io->regsel = regsel;
	io->id = id;
	io->lines = lines;
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
		io->redir[pin] = redir[pin];
	intc_unlock(io->ic);
}

static const struct device_ops ioapic_device_ops = {
	.type = "ioapic",
	.state_version = 1,
	.reset = ioapic_dev_reset,
	.save = ioapic_save,
	.load = ioapic_load,
};

int ioapic_register(struct ioapic *io, struct machine *m)
{
	int ret;

	ret = bus_register(&m->mmio, IOAPIC_BASE, 0x1000, &ioapic_ops, io, "ioapic");
	if (ret)
		return ret;
	ret = machine_add_device(m, &ioapic_device_ops, io, "ioapic");
	if (ret)
		bus_unregister(&m->mmio, IOAPIC_BASE, io);
	return ret;
}
