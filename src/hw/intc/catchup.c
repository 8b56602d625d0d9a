/*
 * Late periodic ticks: the PIT's channel 0, the HPET's periodic
 * comparators and the RTC's periodic interrupt deliver the ticks the host
 * kept from the guest one by one, and merge those the guest itself kept
 * waiting, as hardware does. Also the things that takes: each CPU's run
 * time, per-GSI ack (end-of-handler) notifiers and whether a GSI is in
 * service.
 *
 * Design note.
 * - The problem. Guest time is the host clock (intc.c), so a periodic
 *   source's loop timer runs late whenever the host is busy, and the vCPU
 *   may not run for many periods. A tick that comes due while the previous
 *   one still waits in the PIC's IRR or the LAPIC's IRR merges into it on
 *   hardware (IRR is one bit), which is right when the guest kept it
 *   waiting (IF=0, the handler still running, TPR) and wrong when the host
 *   did. A kernel that counts its ticks loses the time: Linux's
 *   check_timer() wants jiffies to advance by more than 4 while it spins
 *   on the TSC for up to 4e10/HZ cycles (80 ms at our 2 GHz and HZ 250),
 *   and panics "IO-APIC + timer doesn't work!" when the loop thread or
 *   the vCPU got little of the host CPU meanwhile.
 * - Due ticks are raised by whoever sees them first: the source's loop
 *   timer, or a running CPU at its event checks (intc_cpu_running runs the
 *   PIT, its own LAPIC timer and the HPET, through intc_add_ext_timer, once
 *   they are due). So while the guest runs, a late event loop delays
 *   nothing; lateness is left for a CPU that does not run (descheduled,
 *   halted and woken late), and that is what the catch-up below is for.
 * - Run time. The emulator calls intc_cpu_running() at every event check,
 *   whatever IF (at least every 16384 instructions, tens of microseconds).
 *   Time between two calls counts as the CPU's run time when the gap is at
 *   most INTC_RUN_GAP_NS; a longer gap is time the guest did not run (the
 *   thread was descheduled, halted, or busy in the VMM). Halted time is
 *   not run time either: a halted CPU has IF=1 and takes a tick at once
 *   unless we wake it late.
 * - The rule. A source's tick is raised when an edge on its GSI would
 *   reach a CPU: the GSI's path through the PIC (IMR clear, IRR clear) or
 *   through the IOAPIC (pin unmasked, remote IRR clear, the vector not
 *   already in a LAPIC's IRR) is open. If every path is masked, one edge
 *   goes in (a masked 8259 input still latches IRR) and nothing is owed,
 *   as on hardware. Otherwise (the previous tick waits) it would merge:
 *   it does merge if the CPU that took the source's last tick has run for
 *   a whole period since the waiting one was due (each period of run time
 *   merges one tick: the guest had the time to take it and did not), else
 *   it is owed. Run time is read at the ticks' due times, not when a late
 *   timer gets to them (intc_run_at: the current stretch of running counts
 *   back to its start). So a guest running with IF=0 loses ticks as on
 *   hardware, in proportion to the time it ran, and the time it did not
 *   get to run is owed. Ticks found due at once (a CPU that comes back
 *   after a stall, a late loop timer while no CPU runs) are owed the same
 *   way: the first goes in, the others find it waiting with no run time
 *   since.
 * - Delivery of owed ticks: ack notifiers, at the end of the handler.
 *   When the handler of an interrupt from the GSI is done (its EOI at the
 *   8259, or at INTA in auto-EOI mode; its EOI at a LAPIC of a vector an
 *   unmasked IOAPIC pin maps), the source raises its next owed tick, so a
 *   backlog drains at the speed the guest handles ticks, never more than
 *   one in IRR. Not at INTA/acceptance (as before): a tick raised
 *   then waits in IRR behind the ISR bit, and a handler that stops its
 *   timer before its EOI (masks the pin or the IMR bit, clears the RTC's
 *   PIE: tests/guest/irq64.c does, at its 16th tick) could not retract
 *   it, and got one tick more whenever ticks were owed. On hardware the
 *   next tick comes a period after the one being handled, so a short
 *   handler never sees one; an owed tick, already late, should not come
 *   sooner than the guest is done with the last. At the EOI the handler's
 *   stopping has happened: a masked path drops what is owed, and the RTC
 *   dropped it when PIE went off. Except an 8259 input masked by its own
 *   IMR bit alone, IRR clear: Linux's 8259 code masks the IRQ, sends the
 *   EOI and unmasks it after the handler (mask-and-ack), and on the chip a
 *   masked input still latches an edge in IRR; so the owed tick latches
 *   there and reaches the CPU at the unmask (a guest that leaves it masked
 *   never sees it). This is also when KVM's in-kernel PIT
 *   reinjects. Guests that EOI first (Linux's 8259 and edge IOAPIC code
 *   send it before the device handler runs) get the next tick as early as
 *   before. The LAPIC timer (lapic.c) raises its owed ticks at its
 *   vector's EOI the same way.
 *   A vector that an IPI or MSI shares with a pin gives a spurious
 *   notification; the source then finds the path busy and waits.
 * - A source with a flag of its own that holds its output until the guest
 *   clears it (the RTC's IRQF, cleared by reading register C) merges
 *   there first: intc_catchup_due_held counts a tick that finds the flag
 *   set as one finding the path busy, and the source raises an owed tick
 *   once the guest has both cleared the flag and sent the EOI, whichever
 *   comes last: at the read of C if the GSI is no longer in service
 *   (intc_gsi_in_service), else from its ack notifier, calling
 *   intc_catchup_acked then. In service means the ISR bit, not "an EOI
 *   came since the last tick went in": a tick that goes in during a
 *   handler, after its read of C, is in service only once taken, and the
 *   EOI of the handler before it is not its EOI. A masked path still owes
 *   nothing.
 * - Bound: at most INTC_CATCHUP_MAX_NS of ticks (and no more than
 *   INTC_CATCHUP_MAX_TICKS) are owed; older ones are dropped and counted
 *   (a host that stopped us for seconds). Masking the line drops what is
 *   owed. Owed ticks are not part of the saved state.
 * - Locking: the notifiers run after the intc lock is dropped
 *   (intc_unlock), because the HPET takes its own lock first and the intc
 *   lock under it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/machine.h"
#include "hw/intc/intc_priv.h"

/* ---- Run time ------------------------------------------------------------ */

bool intc_cpu_running_locked(struct intc *ic, unsigned cpu, bool poll[INTC_EXT_TIMERS])
{
	struct lapic *l = &ic->lapic[cpu];
	uint64_t now = intc_now(ic), late;
	bool any = false;

	if (l->seen_ns && now >= l->seen_ns && now - l->seen_ns <= INTC_RUN_GAP_NS)
		l->run_ns += now - l->seen_ns;
	else
		l->run_from = now;      /* a new stretch of running */
	l->seen_ns = now;
	/* Timers that are due run here, whoever's loop timer is late. */
	late = now > ic->late_ns ? now - ic->late_ns : 0;
	if (late >= ic->pit.due_ns)
		pit_timer_run(&ic->pit);
	if (late >= l->due_ns)
		lapic_timer_run(l);
	for (unsigned i = 0; i < ic->next; i++) {
		if (late >= ic->ext[i].due) {
			ic->ext[i].due = UINT64_MAX;    /* its poll gives the next */
			poll[i] = any = true;
		}
	}
	return any;
}

void intc_run_polls(struct intc *ic, const bool poll[INTC_EXT_TIMERS])
{
	for (unsigned i = 0; i < INTC_EXT_TIMERS; i++)
		if (poll[i])
			ic->ext[i].poll(ic->ext[i].opaque);
}

void intc_cpu_running(struct machine *m, unsigned cpu)
{
	struct intc *ic = m->intc;
	bool poll[INTC_EXT_TIMERS] = {0}, any;

	if (!ic || cpu >= ic->ncpus)
		return;
	intc_lock(ic);
	any = intc_cpu_running_locked(ic, cpu, poll);
	intc_unlock(ic);
	if (any)
		intc_run_polls(ic, poll);
}

int intc_add_ext_timer(struct machine *m, void (*poll)(void *opaque), void *opaque)
{
	struct intc *ic = m->intc;
	int id = -ENOSPC;

	if (!ic)
		return -ENODEV;
	intc_lock(ic);
	if (ic->next < INTC_EXT_TIMERS) {
		id = (int)ic->next++;
		ic->ext[id] = (struct intc_ext_timer){ poll, opaque, UINT64_MAX };
	}
	intc_unlock(ic);
	return id;
}

void intc_ext_timer_due(struct machine *m, int id, uint64_t due_ns)
{
	struct intc *ic = m->intc;

	if (!ic || id < 0 || id >= INTC_EXT_TIMERS)
		return;
	intc_lock(ic);
	ic->ext[id].due = due_ns;
	intc_unlock(ic);
}

uint64_t intc_run_ns(struct intc *ic, unsigned cpu)
{
	return cpu < ic->ncpus ? ic->lapic[cpu].run_ns : 0;
}

/* The CPU's run time at guest time t (not after now): the current stretch
 * is all run time, and before it we take the gap that opened it. */
uint64_t intc_run_at(struct intc *ic, unsigned cpu, uint64_t t)
{
	const struct lapic *l;

	if (cpu >= ic->ncpus)
		return 0;
	l = &ic->lapic[cpu];
	if (t >= l->seen_ns)
		return l->run_ns;
	if (t >= l->run_from)
		return l->run_ns - (l->seen_ns - t);
	return l->run_ns - (l->seen_ns - l->run_from);
}

/* ---- Ack notifiers ------------------------------------------------------- */

int intc_add_ack_notifier(struct machine *m, uint32_t gsis,
			  void (*fn)(void *opaque, unsigned gsi, unsigned cpu), void *opaque)
{
	struct intc *ic = m->intc;
	int ret = 0;

	if (!ic)
		return 0;
	intc_lock(ic);
	if (ic->nnotifiers == INTC_ACK_NOTIFIERS) {
		LOG(m->log, LOG_ERROR, "intc", "no room for another ack notifier (%u in use)",
		    INTC_ACK_NOTIFIERS);
		ret = -ENOSPC;
	} else {
		ic->notifier[ic->nnotifiers++] = (struct intc_ack_notifier){ gsis, fn, opaque };
	}
	intc_unlock(ic);
	return ret;
}

void intc_gsi_acked(struct intc *ic, unsigned gsi, unsigned cpu)
{
	if (gsi >= IOAPIC_PINS)
		return;
	for (unsigned i = 0; i < ic->nnotifiers; i++) {
		if (ic->notifier[i].gsis & (1u << gsi)) {
			ic->acked |= 1u << gsi;
			ic->acked_cpu[gsi] = cpu;
			return;
		}
	}
}

void intc_ack_notify(struct intc *ic, uint32_t acked, const uint8_t cpu[IOAPIC_PINS])
{
	while (acked) {
		unsigned gsi = __builtin_ctz(acked);

		acked &= acked - 1;
		for (unsigned i = 0; i < ic->nnotifiers; i++)
			if (ic->notifier[i].gsis & (1u << gsi))
				ic->notifier[i].fn(ic->notifier[i].opaque, gsi, cpu[gsi]);
	}
}

/* Whether a handler of an interrupt from `gsi` is still running: the
 * slave's or master's ISR bit, or the vector an IOAPIC pin maps in a
 * LAPIC's ISR (the EOI clears either). */
bool intc_gsi_in_service(struct machine *m, unsigned gsi)
{
	struct intc *ic = m->intc;
	bool busy = false;
	unsigned pin = gsi == 0 ? 2 : gsi;

	if (!ic || gsi >= IOAPIC_PINS)
		return false;
	intc_lock(ic);
	if (gsi < 16)
		busy = ic->pic.chip[gsi >> 3].isr & (1u << (gsi & 7));
	for (unsigned i = 0; !busy && i < ic->ncpus; i++)
		busy = lapic_isr_test(&ic->lapic[i], ic->ioapic.redir[pin] & 0xff);
	intc_unlock(ic);
	return busy;
}

/* ---- The rule ------------------------------------------------------------ */

/* What an edge on `gsi` would do now: reach a CPU on some path (OPEN),
 * merge into a waiting interrupt (BUSY), or reach nothing (MASKED). */
static enum intc_path intc_gsi_path(struct intc *ic, unsigned gsi)
{
	enum intc_path a = INTC_PATH_MASKED, b;

	if (gsi < 16)
		a = pic_path(&ic->pic, gsi);
	b = ioapic_path(&ic->ioapic, gsi == 0 ? 2 : gsi);
	return a > b ? a : b;
}

static bool intc_catchup_count(struct intc *ic, struct intc_catchup *c, unsigned gsi,
			       enum intc_path path, uint64_t n, uint64_t period_ns,
			       uint64_t last_ns)
{
	uint64_t max, owed, dropped = c->dropped;
	bool raise = false;

	if (!n)
		return false;
	if (!period_ns)
		period_ns = 1;
	if (path == INTC_PATH_MASKED) {
		/* One edge: a masked 8259 input still latches IRR. */
		c->merged += n - 1;
		c->owed = 0;
		c->mark = intc_run_at(ic, c->cpu, last_ns);
		return true;
	}
	max = INTC_CATCHUP_MAX_NS / period_ns;
	if (max > INTC_CATCHUP_MAX_TICKS)
		max = INTC_CATCHUP_MAX_TICKS;
	if (n > max + 1) {              /* too old to be owed at all */
		c->dropped += n - (max + 1);
		n = max + 1;
	}
	owed = c->owed;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t due = last_ns - (n - 1 - i) * period_ns;
		uint64_t run = intc_run_at(ic, c->cpu, due);

		if (path == INTC_PATH_OPEN && !raise) {
			raise = true;           /* the first goes in; the rest find it waiting */
			c->mark = run;
		} else if (run >= c->mark + period_ns) {
			c->mark += period_ns;   /* the guest ran a period and did not take it */
			c->merged++;
		} else {
			owed++;
		}
	}
	if (owed > max) {
		c->dropped += owed - max;
		owed = max;
	}
	c->owed = (uint32_t)(owed < UINT32_MAX ? owed : UINT32_MAX);
	if (c->dropped != dropped && log_ratelimit_ok(&ic->catchup_rl, 5))
		LOG(ic->m->log, LOG_INFO, "intc",
		    "GSI %u: %llu late timer ticks dropped (the guest did not run for over %llu ms; %llu so far)",
		    gsi, (unsigned long long)(c->dropped - dropped),
		    (unsigned long long)(INTC_CATCHUP_MAX_NS / 1000000),
		    (unsigned long long)c->dropped);
	return raise;
}

bool intc_catchup_due_locked(struct intc *ic, struct intc_catchup *c, unsigned gsi,
			     uint64_t n, uint64_t period_ns, uint64_t last_ns)
{
	return intc_catchup_count(ic, c, gsi, intc_gsi_path(ic, gsi), n, period_ns, last_ns);
}

bool intc_catchup_acked_locked(struct intc *ic, struct intc_catchup *c, unsigned gsi,
			       unsigned cpu)
{
	enum intc_path path;

	c->cpu = cpu;
	c->mark = intc_run_ns(ic, cpu);
	if (!c->owed)
		return false;
	path = intc_gsi_path(ic, gsi);
	if (path == INTC_PATH_MASKED && gsi < 16 && pic_latches_masked(&ic->pic, gsi))
		path = INTC_PATH_OPEN;  /* Linux's mask-and-ack: it unmasks after the handler */
	if (path == INTC_PATH_MASKED)
		c->owed = 0;
	if (path != INTC_PATH_OPEN)
		return false;
	c->owed--;
	return true;
}

bool intc_catchup_due(struct machine *m, struct intc_catchup *c, unsigned gsi, uint64_t n,
		      uint64_t period_ns, uint64_t last_ns)
{
	struct intc *ic = m->intc;
	bool raise;

	if (!ic)
		return n > 0;
	intc_lock(ic);
	raise = intc_catchup_due_locked(ic, c, gsi, n, period_ns, last_ns);
	intc_unlock(ic);
	return raise;
}

bool intc_catchup_due_held(struct machine *m, struct intc_catchup *c, unsigned gsi, uint64_t n,
			   uint64_t period_ns, uint64_t last_ns, bool held)
{
	struct intc *ic = m->intc;
	enum intc_path path;
	bool raise;

	if (!ic)
		return n > 0;
	intc_lock(ic);
	path = intc_gsi_path(ic, gsi);
	if (held && path == INTC_PATH_OPEN)
		path = INTC_PATH_BUSY;  /* the source's own flag still holds the last */
	raise = intc_catchup_count(ic, c, gsi, path, n, period_ns, last_ns);
	intc_unlock(ic);
	return raise;
}

bool intc_catchup_acked(struct machine *m, struct intc_catchup *c, unsigned gsi, unsigned cpu)
{
	struct intc *ic = m->intc;
	bool raise;

	if (!ic)
		return false;
	intc_lock(ic);
	raise = intc_catchup_acked_locked(ic, c, gsi, cpu);
	intc_unlock(ic);
	return raise;
}

/* ---- Debug knob ---------------------------------------------------------- */

uint64_t intc_debug_late_ns(void)
{
	const char *s = getenv("NYX_DEBUG_TIMER_LATE_US");
	unsigned long long us;
	char *end;

	if (!s || !*s)
		return 0;
	us = strtoull(s, &end, 10);
	if (*end || us > 10000000ULL)
		return 0;
	return us * 1000ULL;
}
