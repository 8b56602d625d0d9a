/*
 * The emulated interrupt-controller complex: creates the 8259 pair, the
 * IOAPIC, the 8254 and one LAPIC per vCPU, routes the machine's GSIs and
 * MSIs to them (m->irq), and implements the CPU side of intc.h for the
 * emulator backend.
 *
 * Wiring (as on a PIIX PC with QEMU's MADT): ISA IRQ n goes to PIC input n
 * and IOAPIC pin n, except IRQ 0 (the PIT) which reaches IOAPIC pin 2 (the
 * MADT's interrupt source override); GSI 16-23 reach the IOAPIC only. The
 * PIC's INT output is IOAPIC pin 0 (for ExtINT virtual wire) and CPU 0's
 * LINT0.
 *
 * Design note — guest time. Every guest clock is the host's monotonic
 * clock since machine start (machine_clock_ns; intc_now here, which tests
 * replace): the TSC (intc_guest_tsc, INTC_TSC_HZ, invariant), the LAPIC
 * timer (INTC_LAPIC_HZ, also the crystal of CPUID 0x15), TSC-deadline,
 * the PIT, and outside this module the HPET, the ACPI PM timer and the
 * RTC. So they agree with one another and with the wall clock whatever
 * the emulator's speed. The alternative, a virtual clock advanced by the
 * instruction count, would make runs repeatable and never lose a tick,
 * but guest time would drift from wall time with the emulator's speed
 * (far below hardware's, and varying with the host's load), so network
 * timeouts, the RTC and anything a user times would be wrong; it remains
 * possible through intc_set_clock. The price of host time is interrupt
 * lag: a timer callback or the vCPU may run late by more than a period.
 * One-shot and TSC-deadline timers just fire late (the guest reads the
 * time from the clock, which is right); periodic ticks, which a kernel
 * may count (Linux's jiffies before it has a continuous clocksource, and
 * check_timer()'s test of IRQ 0), are delivered late one by one rather
 * than merged when the host kept them from the guest, within a bound, and
 * merged as on hardware when the guest itself kept the previous one
 * waiting: the LAPIC timer in lapic.c, the PIT's channel 0 and the HPET's
 * periodic comparators through catchup.c, whose design note has the rule.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/loop.h"
#include "core/machine.h"
#include "core/state.h"
#include "hw/intc/intc_priv.h"

struct intc *intc_of(struct machine *m)
{
	return m->intc;
}

void intc_lock(struct intc *ic)
{
	pthread_mutex_lock(&ic->lock);
}

void intc_unlock(struct intc *ic)
{
	struct machine *m = ic->m;
	uint64_t kick = ic->kick;
	uint32_t acked = ic->acked;
	uint8_t acked_cpu[IOAPIC_PINS];

	ic->kick = 0;
	if (acked) {
		memcpy(acked_cpu, ic->acked_cpu, sizeof acked_cpu);
		ic->acked = 0;
	}
	pthread_mutex_unlock(&ic->lock);
	while (kick) {
		unsigned cpu = __builtin_ctzll(kick);
		kick &= kick - 1;
		if (cpu >= m->nvcpus || !m->vcpus[cpu])
			continue;
		machine_wake_vcpu(m, cpu);
		if (m->cpu && m->cpu->vcpu_kick)
			m->cpu->vcpu_kick(m->vcpus[cpu]);
	}
	if (acked)
		intc_ack_notify(ic, acked, acked_cpu);
}

uint64_t intc_now(struct intc *ic)
{
	if (ic->clock)
		return ic->clock(ic->clock_opaque);
	return machine_clock_ns(ic->m);
}

void intc_cpu_notify(struct intc *ic, unsigned cpu)
{
	if (cpu < 64)
		ic->kick |= 1ULL << cpu;
}

void intc_pic_changed(struct intc *ic)
{
	bool intr = pic_intr(&ic->pic);

	if (!ic->lapic)
		return;                 /* still being created */
	ioapic_set_irq(&ic->ioapic, 0, intr);
	if (!intr)
		return;
	if (lapic_accepts_pic(&ic->lapic[0]))
		intc_cpu_notify(ic, 0);
	for (unsigned i = 0; i < ic->ncpus; i++)
		if (ic->lapic[i].extint)
			intc_cpu_notify(ic, i);
}

void intc_isa_irq(struct intc *ic, unsigned irq, int level)
{
	if (irq == 0) {
		pic_set_irq(&ic->pic, 0, level);
		ioapic_set_irq(&ic->ioapic, 2, level);
	} else if (irq == 2) {
		ioapic_set_irq(&ic->ioapic, 2, level);  /* the PIC's IR2 is the cascade */
	} else if (irq < 16) {
		pic_set_irq(&ic->pic, irq, level);
		ioapic_set_irq(&ic->ioapic, irq, level);
	}
}

struct loop_timer *intc_timer_new(struct intc *ic, void (*fn)(void *), void *opaque)
{
	if (!ic->m->loop)
		return NULL;            /* tests without an event loop poll instead */
	return timer_new(ic->m->loop, fn, opaque);
}

void intc_timer_arm(struct intc *ic, struct loop_timer *t, uint64_t *due, uint64_t when)
{
	uint64_t now, host;

	*due = when;
	if (!t)
		return;
	now = intc_now(ic);
	host = clock_ns() + ic->late_ns;
	timer_mod(t, when > now ? host + (when - now) : host);
}

void intc_timer_stop(struct intc *ic, struct loop_timer *t, uint64_t *due)
{
	*due = UINT64_MAX;
	if (t)
		timer_del(t);
}

/* ---- The machine's interrupt router ------------------------------------ */

static void intc_router_set_level(void *opaque, unsigned gsi, int level)
{
	struct intc *ic = opaque;
	static struct log_ratelimit rl;

	intc_lock(ic);
	if (gsi < 16)
		intc_isa_irq(ic, gsi, level);
	else if (gsi < IOAPIC_PINS)
		ioapic_set_irq(&ic->ioapic, gsi, level);
	else if (log_ratelimit_ok(&rl, 5))
		LOG(ic->m->log, LOG_WARN, "intc", "GSI %u does not exist (IOAPIC has %u pins)", gsi,
		    IOAPIC_PINS);
	intc_unlock(ic);
}

/*
 * MSI (Intel SDM 10.11): address 0xFEExxxxx with destination ID in bits
 * 19-12, redirection hint bit 3, destination mode bit 2; data with vector
 * in bits 7-0, delivery mode 10-8, trigger mode bit 15.
 */
static void intc_router_send_msi(void *opaque, uint64_t addr, uint32_t data)
{
	struct intc *ic = opaque;
	static struct log_ratelimit rl;
	struct apic_msg msg = {
		.dest = (addr >> 12) & 0xff,
		.logical = addr & 4,
		.vector = data & 0xff,
		.mode = (data >> 8) & 7,
		.level = data & (1u << 15),
		.src = -1,
	};

	if ((addr >> 20) != 0xfee || msg.mode == APIC_DM_SIPI || msg.mode == 3) {
		if (log_ratelimit_ok(&rl, 5))
			LOG(ic->m->log, LOG_WARN, "intc",
			    "MSI address 0x%llx data 0x%x is not an interrupt message; dropped",
			    (unsigned long long)addr, data);
		return;
	}
	intc_lock(ic);
	lapic_deliver(ic, &msg);
	intc_unlock(ic);
}

/* ---- Creation and teardown ---------------------------------------------- */

static void intc_destroy(void *opaque)
{
	struct intc *ic = opaque;
	struct machine *m = ic->m;

	if (ic->pit.timer)
		timer_free(ic->pit.timer);
	for (unsigned i = 0; i < ic->ncpus; i++)
		if (ic->lapic[i].timer)
			timer_free(ic->lapic[i].timer);
	if (m->intc == ic)
		m->intc = NULL;
	if (m->irq.opaque == ic)
		m->irq = (struct irq_router){0};
	pthread_mutex_destroy(&ic->lock);
	free(ic->lapic);
	free(ic);
}

static void intc_nop(void *opaque) {}
static void intc_save_nothing(void *opaque, struct state_writer *w) {}
static void intc_load_nothing(void *opaque, struct state_reader *r, uint32_t version) {}

/* Owns the complex's memory: registered first, so destroyed last (the
 * machine destroys newest first); the model devices have no destroy. */
static const struct device_ops intc_device_ops = {
	.type = "intc",
	.state_version = 1,
	.reset = intc_nop,
	.save = intc_save_nothing,
	.load = intc_load_nothing,
	.destroy = intc_destroy,
};

int intc_create(struct machine *m)
{
	struct intc *ic;
	unsigned ncpus = m->nvcpus > m->cfg.cpus ? m->nvcpus : m->cfg.cpus;
	int ret;

	if (ncpus == 0)
		ncpus = 1;
	if (ncpus > MACHINE_MAX_VCPUS || ncpus > 64) {
		LOG(m->log, LOG_ERROR, "intc", "%u vCPUs requested; the APIC model handles at most %u",
		    ncpus, MACHINE_MAX_VCPUS);
		return -EINVAL;
	}
	ic = calloc(1, sizeof *ic);
	if (!ic)
		return -ENOMEM;
	ic->lapic = calloc(ncpus, sizeof *ic->lapic);
	if (!ic->lapic) {
		free(ic);
		return -ENOMEM;
	}
	pthread_mutex_init(&ic->lock, NULL);
	ic->m = m;
	ic->ncpus = ncpus;
	ret = machine_add_device(m, &intc_device_ops, ic, "intc");
	if (ret) {
		pthread_mutex_destroy(&ic->lock);
		free(ic->lapic);
		free(ic);
		return ret;
	}
	/* From here on the "intc" device frees everything at machine teardown. */
	m->intc = ic;
	ic->late_ns = intc_debug_late_ns();
	pic_init(&ic->pic, ic);
	ioapic_init(&ic->ioapic, ic);
	pit_init(&ic->pit, ic);
	for (unsigned i = 0; i < ncpus; i++)
		lapic_init(&ic->lapic[i], ic, i);
	ret = pic_register(&ic->pic, m);
	if (!ret)
		ret = pit_register(&ic->pit, m);
	if (!ret)
		ret = ioapic_register(&ic->ioapic, m);
	for (unsigned i = 0; !ret && i < ncpus; i++)
		ret = lapic_register(&ic->lapic[i], m);
	if (ret) {
		LOG(m->log, LOG_ERROR, "intc", "registering the interrupt controllers failed: %d",
		    ret);
		return ret;
	}
	m->irq = (struct irq_router){
		.set_level = intc_router_set_level,
		.send_msi = intc_router_send_msi,
		.opaque = ic,
	};
	return 0;
}

/* ---- CPU side (intc.h) ------------------------------------------------- */

/* The LAPIC of `cpu`, or NULL (and a log line) for a bad index. */
static struct lapic *intc_cpu(struct machine *m, unsigned cpu)
{
	struct intc *ic = m->intc;
	static struct log_ratelimit rl;

	if (ic && cpu < ic->ncpus)
		return &ic->lapic[cpu];
	if (log_ratelimit_ok(&rl, 5))
		LOG(m->log, LOG_ERROR, "intc", "no LAPIC for cpu %u (%s)", cpu,
		    ic ? "index out of range" : "interrupt hardware not created");
	return NULL;
}

static bool intc_pic_path(struct intc *ic, struct lapic *l)
{
	return (l->cpu == 0 && lapic_accepts_pic(l)) || l->extint;
}

bool intc_irq_pending(struct machine *m, unsigned cpu)
{
	struct lapic *l = intc_cpu(m, cpu);
	bool pending;

	if (!l)
		return false;
	intc_lock(l->ic);
	pending = (intc_pic_path(l->ic, l) && pic_intr(&l->ic->pic)) || lapic_pending(l) >= 0;
	intc_unlock(l->ic);
	return pending;
}

int intc_irq_ack(struct machine *m, unsigned cpu)
{
	struct lapic *l = intc_cpu(m, cpu);
	int vector;

	if (!l)
		return -1;
	intc_lock(l->ic);
	if (intc_pic_path(l->ic, l) && pic_intr(&l->ic->pic)) {
		l->extint = false;
		vector = pic_ack(&l->ic->pic, cpu);
	} else {
		vector = lapic_ack(l);
	}
	intc_unlock(l->ic);
	return vector;
}

bool intc_nmi_take(struct machine *m, unsigned cpu)
{
	struct lapic *l = intc_cpu(m, cpu);
	bool nmi;

	if (!l)
		return false;
	intc_lock(l->ic);
	nmi = l->nmi;
	l->nmi = false;
	intc_unlock(l->ic);
	return nmi;
}

static int take_init_sipi_locked(struct lapic *l, unsigned cpu, uint8_t *sipi_vector)
{
	int what = 0;

	if (l->init) {
		l->init = false;
		what = 1;
		/* The CPU now waits for SIPI; if one already came, wake it again
		 * or the wake-up that covered both is spent on the INIT. */
		if (l->sipi)
			intc_cpu_notify(l->ic, cpu);
	} else if (l->sipi) {
		l->sipi = false;
		*sipi_vector = l->sipi_vector;
		what = 2;
	}
	return what;
}

int intc_take_init_sipi(struct machine *m, unsigned cpu, uint8_t *sipi_vector)
{
	struct lapic *l = intc_cpu(m, cpu);
	int what;

	if (!l)
		return 0;
	intc_lock(l->ic);
	what = take_init_sipi_locked(l, cpu, sipi_vector);
	intc_unlock(l->ic);
	return what;
}

static void peek_locked(struct lapic *l, struct intc_cpu_events *ev)
{
	ev->nmi = l->nmi;
	ev->irq = (intc_pic_path(l->ic, l) && pic_intr(&l->ic->pic)) || lapic_pending(l) >= 0;
}

void intc_cpu_check(struct machine *m, unsigned cpu, struct intc_cpu_events *ev)
{
	struct lapic *l = intc_cpu(m, cpu);
	bool poll[INTC_EXT_TIMERS] = {0};

	memset(ev, 0, sizeof(*ev));
	if (!l)
		return;
	intc_lock(l->ic);
	bool polls = intc_cpu_running_locked(l->ic, cpu, poll);
	ev->init_sipi = take_init_sipi_locked(l, cpu, &ev->sipi_vector);
	peek_locked(l, ev);
	intc_unlock(l->ic);
	if (polls) {
		/* A timer outside hw/intc ran: its interrupt counts in this check. */
		intc_run_polls(l->ic, poll);
		intc_lock(l->ic);
		peek_locked(l, ev);
		intc_unlock(l->ic);
	}
}

uint64_t intc_lapic_read(struct machine *m, unsigned cpu, uint64_t offset, unsigned size)
{
	struct lapic *l = intc_cpu(m, cpu);
	unsigned reg = offset & 0xff0, byte = offset & 0xf;
	uint64_t v = 0;

	if (!l || offset >= 0x1000 || byte + size > 4 || reg >= 0x400)
		return 0;       /* reserved bytes of the page read as zero */
	intc_lock(l->ic);
	v = lapic_reg_read(l, reg) >> (byte * 8);
	intc_unlock(l->ic);
	return size >= 4 ? v : v & ((1ULL << (size * 8)) - 1);
}

void intc_lapic_write(struct machine *m, unsigned cpu, uint64_t offset, uint64_t value,
		      unsigned size)
{
	struct lapic *l = intc_cpu(m, cpu);

	if (!l)
		return;
	if ((offset & 0xf) || offset >= 0x400 || size < 4) {
		if (log_ratelimit_ok(&l->rl, 5))
			LOG(m->log, LOG_DEBUG, "lapic",
			    "cpu %u: %u-byte write at offset 0x%llx is not a register write; ignored",
			    cpu, size, (unsigned long long)offset);
		return;
	}
	intc_lock(l->ic);
	lapic_reg_write(l, offset, value);
	intc_unlock(l->ic);
}

/* The caller gates the x2APIC MSRs on its IA32_APIC_BASE.EXTD; if it never
 * told us about the mode switch, follow it here (ID, LDR and ICR formats). */
static void intc_x2apic_follow(struct lapic *l)
{
	if (!(l->apic_base & (1ULL << 10)))
		lapic_set_base(l, l->apic_base | (1ULL << 11) | (1ULL << 10));
}

bool intc_lapic_rdmsr(struct machine *m, unsigned cpu, uint32_t msr, uint64_t *value)
{
	struct lapic *l = intc_cpu(m, cpu);
	bool ok;

	if (!l)
		return false;
	intc_lock(l->ic);
	intc_x2apic_follow(l);
	ok = lapic_msr_read(l, msr, value);
	intc_unlock(l->ic);
	return ok;
}

bool intc_lapic_wrmsr(struct machine *m, unsigned cpu, uint32_t msr, uint64_t value)
{
	struct lapic *l = intc_cpu(m, cpu);
	bool ok;

	if (!l)
		return false;
	intc_lock(l->ic);
	intc_x2apic_follow(l);
	ok = lapic_msr_write(l, msr, value);
	intc_unlock(l->ic);
	return ok;
}

uint8_t intc_get_tpr(struct machine *m, unsigned cpu)
{
	struct lapic *l = intc_cpu(m, cpu);
	uint8_t tpr;

	if (!l)
		return 0;
	intc_lock(l->ic);
	tpr = l->tpr;
	intc_unlock(l->ic);
	return tpr;
}

void intc_set_tpr(struct machine *m, unsigned cpu, uint8_t tpr)
{
	struct lapic *l = intc_cpu(m, cpu);

	if (!l)
		return;
	intc_lock(l->ic);
	lapic_reg_write(l, 0x080, tpr);
	intc_unlock(l->ic);
}

uint64_t intc_get_tsc_deadline(struct machine *m, unsigned cpu)
{
	struct lapic *l = intc_cpu(m, cpu);
	uint64_t v;

	if (!l)
		return 0;
	intc_lock(l->ic);
	/* SDM 10.5.4.1: reads zero outside TSC-deadline mode. */
	v = (l->lvt[LVT_TIMER] >> 17 & 3) == 2 ? l->tsc_deadline : 0;
	intc_unlock(l->ic);
	return v;
}

void intc_set_tsc_deadline(struct machine *m, unsigned cpu, uint64_t deadline)
{
	struct lapic *l = intc_cpu(m, cpu);

	if (!l)
		return;
	intc_lock(l->ic);
	lapic_set_tsc_deadline(l, deadline);
	intc_unlock(l->ic);
}

uint64_t intc_guest_tsc(struct machine *m)
{
	uint64_t ns = m->intc ? intc_now(m->intc) : machine_clock_ns(m);

	return intc_muldiv(ns, INTC_TSC_HZ, 1000000000ULL);
}

uint64_t intc_tsc_write(struct machine *m, uint64_t value)
{
	struct intc *ic = m->intc;
	uint64_t now, offset;

	if (!ic)
		return value - intc_guest_tsc(m);
	intc_lock(ic);
	now = intc_now(ic);
	offset = value - intc_muldiv(now, INTC_TSC_HZ, 1000000000ULL);
	if (ic->tsc_written && now - ic->tsc_write_ns < 1000000000ULL) {
		uint64_t expect = ic->tsc_write_value +
				  intc_muldiv(now - ic->tsc_write_ns, INTC_TSC_HZ, 1000000000ULL);
		int64_t apart = (int64_t)(value - expect);

		if (value == ic->tsc_write_value ||
		    (apart < (int64_t)INTC_TSC_HZ && apart > -(int64_t)INTC_TSC_HZ)) {
			offset = ic->tsc_write_offset;
			intc_unlock(ic);
			return offset;
		}
	}
	ic->tsc_written = true;
	ic->tsc_write_ns = now;
	ic->tsc_write_value = value;
	ic->tsc_write_offset = offset;
	intc_unlock(ic);
	return offset;
}

void intc_lapic_get(struct machine *m, unsigned cpu, uint8_t regs[1024])
{
	struct lapic *l = intc_cpu(m, cpu);

	if (!l)
		return;
	intc_lock(l->ic);
	lapic_get_page(l, regs);
	intc_unlock(l->ic);
}

void intc_lapic_set(struct machine *m, unsigned cpu, const uint8_t regs[1024])
{
	struct lapic *l = intc_cpu(m, cpu);

	if (!l)
		return;
	intc_lock(l->ic);
	lapic_set_page(l, regs);
	intc_unlock(l->ic);
}

uint64_t intc_get_apic_base(struct machine *m, unsigned cpu)
{
	struct lapic *l = intc_cpu(m, cpu);
	uint64_t v;

	if (!l)
		return 0;
	intc_lock(l->ic);
	v = l->apic_base;
	intc_unlock(l->ic);
	return v;
}

bool intc_set_apic_base(struct machine *m, unsigned cpu, uint64_t value)
{
	struct lapic *l = intc_cpu(m, cpu);
	bool ok;

	if (!l)
		return false;
	intc_lock(l->ic);
	ok = lapic_set_base(l, value);
	intc_unlock(l->ic);
	return ok;
}

uint16_t intc_get_elcr(struct machine *m)
{
	struct intc *ic = m->intc;
	uint16_t v;

	if (!ic)
		return 0;
	intc_lock(ic);
	v = pic_elcr_get(&ic->pic);
	intc_unlock(ic);
	return v;
}

void intc_set_elcr(struct machine *m, uint16_t elcr)
{
	struct intc *ic = m->intc;

	if (!ic)
		return;
	intc_lock(ic);
	pic_elcr_set(&ic->pic, elcr);
	intc_unlock(ic);
}

void intc_set_clock(struct machine *m, uint64_t (*now)(void *opaque), void *opaque)
{
	struct intc *ic = m->intc;

	if (!ic)
		return;
	intc_lock(ic);
	ic->clock = now;
	ic->clock_opaque = opaque;
	intc_unlock(ic);
}

void intc_set_pit_irq_gate(struct machine *m, bool gated)
{
	struct intc *ic = m->intc;

	if (!ic)
		return;
	intc_lock(ic);
	ic->pit_irq_gated = gated;
	intc_unlock(ic);
}

void intc_poll_timers(struct machine *m)
{
	struct intc *ic = m->intc;

	if (!ic)
		return;
	intc_lock(ic);
	pit_timer_run(&ic->pit);
	for (unsigned i = 0; i < ic->ncpus; i++)
		lapic_timer_run(&ic->lapic[i]);
	intc_unlock(ic);
}
