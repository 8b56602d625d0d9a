/*
 * Shared fixture of the hw/intc unit tests: a hand-built machine with PIO
 * and MMIO buses, N vCPU records (no threads) whose kicks are counted, no
 * event loop, and a fake guest clock the tests move by hand; timers run
 * through intc_poll_timers(), which is what the loop timers call.
 */
#ifndef NYX_TEST_INTC_FIXTURE_H
#define NYX_TEST_INTC_FIXTURE_H

#include <stdlib.h>

#include "core/bus.h"
#include "core/loop.h"
#include "core/machine.h"
#include "core/state.h"
#include "hw/intc/intc.h"
#include "harness.h"

struct intc_fix {
	struct machine m;       /* first member: the vCPU kick finds us from m */
	uint64_t now;           /* guest ns */
	unsigned kicks[8];
};

static inline uint64_t fix_clock(void *opaque)
{
	return ((struct intc_fix *)opaque)->now;
}

static inline void fix_kick(struct vcpu *v)
{
	((struct intc_fix *)v->m)->kicks[v->index]++;
}

static const struct cpu_backend fix_backend = { .name = "test", .vcpu_kick = fix_kick };

/* With `loop`, the machine gets an event loop (not running) and keeps the
 * real machine clock; otherwise the fake clock drives everything. */
static inline struct intc_fix *fix_new_ex(unsigned cpus, bool loop)
{
	struct intc_fix *f = calloc(1, sizeof *f);

	if (!f)
		return NULL;
	if (loop)
		f->m.loop = loop_new();
	bus_init(&f->m.pio, "pio");
	bus_init(&f->m.mmio, "mmio");
	f->m.cfg.cpus = cpus;
	f->m.nvcpus = cpus;
	f->m.cpu = &fix_backend;
	for (unsigned i = 0; i < cpus; i++) {
		struct vcpu *v = calloc(1, sizeof *v);
		v->m = &f->m;
		v->index = i;
		pthread_mutex_init(&v->halt_lock, NULL);
		pthread_cond_init(&v->halt_cond, NULL);
		f->m.vcpus[i] = v;
	}
	f->now = 1000000;       /* not 0: catches "time since boot" confusions */
	if (intc_create(&f->m)) {
		free(f);
		return NULL;
	}
	if (!loop)
		intc_set_clock(&f->m, fix_clock, f);
	return f;
}

static inline struct intc_fix *fix_new(unsigned cpus)
{
	return fix_new_ex(cpus, false);
}

static inline void fix_free(struct intc_fix *f)
{
	machine_destroy_devices(&f->m);
	for (unsigned i = 0; i < f->m.nvcpus; i++) {
		pthread_mutex_destroy(&f->m.vcpus[i]->halt_lock);
		pthread_cond_destroy(&f->m.vcpus[i]->halt_cond);
		free(f->m.vcpus[i]);
	}
	bus_destroy(&f->m.pio);
	bus_destroy(&f->m.mmio);
	if (f->m.loop)
		loop_free(f->m.loop);
	free(f);
}

static inline void outb(struct intc_fix *f, uint16_t port, uint8_t v)
{
	bus_write(&f->m.pio, port, 1, v);
}

static inline uint8_t inb(struct intc_fix *f, uint16_t port)
{
	uint64_t v = 0xff;

	bus_read(&f->m.pio, port, 1, &v);
	return v;
}

static inline void mmio_w32(struct intc_fix *f, uint64_t addr, uint32_t v)
{
	bus_write(&f->m.mmio, addr, 4, v);
}

static inline uint32_t mmio_r32(struct intc_fix *f, uint64_t addr)
{
	uint64_t v = 0xffffffff;

	bus_read(&f->m.mmio, addr, 4, &v);
	return v;
}

static inline void ioapic_w(struct intc_fix *f, uint32_t reg, uint32_t v)
{
	mmio_w32(f, 0xFEC00000, reg);
	mmio_w32(f, 0xFEC00010, v);
}

static inline uint32_t ioapic_r(struct intc_fix *f, uint32_t reg)
{
	mmio_w32(f, 0xFEC00000, reg);
	return mmio_r32(f, 0xFEC00010);
}

static inline void apic_w(struct intc_fix *f, unsigned cpu, unsigned reg, uint32_t v)
{
	intc_lapic_write(&f->m, cpu, reg, v, 4);
}

static inline uint32_t apic_r(struct intc_fix *f, unsigned cpu, unsigned reg)
{
	return intc_lapic_read(&f->m, cpu, reg, 4);
}

/* Moves the clock and runs what the event-loop timers would run. */
static inline void fix_advance(struct intc_fix *f, uint64_t ns)
{
	f->now += ns;
	intc_poll_timers(&f->m);
}

/* The Linux init_8259A() sequence: vectors 0x30 / 0x38, cascade on IR2,
 * 8086 mode, normal EOI; then the given masks. */
static inline void fix_pic_init_linux(struct intc_fix *f, uint8_t master_mask, uint8_t slave_mask)
{
	outb(f, 0x21, 0xff);
	outb(f, 0xA1, 0xff);
	outb(f, 0x20, 0x11);
	outb(f, 0x21, 0x30);
	outb(f, 0x21, 0x04);
	outb(f, 0x21, 0x01);
	outb(f, 0xA0, 0x11);
	outb(f, 0xA1, 0x38);
	outb(f, 0xA1, 0x02);
	outb(f, 0xA1, 0x01);
	outb(f, 0x21, master_mask);
	outb(f, 0xA1, slave_mask);
}

/* Snapshot of every device of `from` loaded into `to`, through the state
 * stream as the machine would write it. Returns false on a load error. */
static inline bool fix_transfer_state(struct intc_fix *from, struct intc_fix *to)
{
	struct state_writer w;
	struct state_reader r;
	bool ok = true;

	sw_init(&w);
	sw_begin(&w);
	for (struct device *d = from->m.devices; d; d = d->next) {
		sw_section_begin(&w, d->name, d->ops->state_version);
		d->ops->save(d->opaque, &w);
		sw_section_end(&w);
	}
	sw_finish(&w);
	if (w.failed || !sr_init(&r, w.buf, w.len)) {
		sw_free(&w);
		return false;
	}
	char name[64];
	uint32_t ver;
	while (ok && sr_next_section(&r, name, sizeof name, &ver)) {
		struct device *d = to->m.devices;
		while (d && strcmp(d->name, name))
			d = d->next;
		if (!d) {
			ok = false;
			break;
		}
		d->ops->load(d->opaque, &r, ver);
		sr_section_done(&r);
		ok = sr_ok(&r);
	}
	sw_free(&w);
	return ok && sr_ok(&r);
}

#endif
