/*
 * The local APIC of each vCPU (xAPIC register page and x2APIC MSRs), and
 * the APIC "bus": delivery of interrupt messages from IPIs, the IOAPIC and
 * MSI writes to the LAPICs they name.
 *
 * Design note (after the Intel SDM vol. 3A chapter 10 / 11):
 * - Registers live at 16-byte strides of the 4 KiB page; x2APIC MSR
 *   0x800 + n is the register at offset n << 4 (ICR becomes one 64-bit MSR,
 *   DFR/APR/ICR-high vanish, SELF IPI appears at 0x83F).
 * - Version 0x50014: integrated APIC version 0x14, six LVT entries
 *   (timer, thermal, performance, LINT0, LINT1, error); no EOI suppression.
 * - Acceptance: a fixed / lowest-priority message sets its IRR bit (TMR bit
 *   = level trigger); vectors 0-15 are refused with ESR "receive illegal
 *   vector". The CPU may take the highest IRR vector when its priority class
 *   (vector >> 4) is above PPR's, PPR = max(TPR, class of the highest ISR
 *   vector). INTA moves it from IRR to ISR. EOI clears the highest ISR bit
 *   and, if its TMR bit is set, broadcasts the vector to the IOAPIC.
 * - Software disable (SVR bit 8 clear): LVT entries are forced masked and
 *   nothing is handed to the CPU; accepted vectors stay held in IRR. INIT,
 *   SIPI and NMI are still received.
 * - The PIC reaches CPU 0 through LINT0 in ExtINT mode ("virtual wire"),
 *   and also while that LAPIC is software or hardware disabled, which is
 *   how the firmware and early kernel see IRQs before they set it up.
 * - Timer: counts at LAPIC_BUS_HZ divided by DCR; one-shot, periodic
 *   (reloads from the initial count) or TSC-deadline (IA32_TSC_DEADLINE
 *   against the guest TSC). The current count is computed from the clock:
 *   it was timer_count at guest time timer_start. One loop timer per LAPIC
 *   is armed at the next expiry.
 * - Late periodic ticks. Guest time is the host clock (intc_now), so a tick
 *   is late whenever the loop thread or the vCPU gets the host CPU late,
 *   which under emulation is often by more than a period. A kernel that
 *   counts its ticks (Linux keeps time by jiffies until it has switched to
 *   a continuous clocksource) loses that time if late ticks merge into one
 *   interrupt. So periodic ticks are not merged: timer_start stays on the
 *   period grid, a tick due while the previous one is still in IRR waits,
 *   and when the handler of it sends its EOI (lapic_eoi) the next due tick
 *   is raised, so a backlog drains at the speed the guest handles it (not
 *   at acceptance: a handler that masks the LVT before its EOI could not
 *   retract a tick raised then). Invariant: never
 *   more than one timer tick in IRR, and the backlog is at most
 *   LAPIC_CATCHUP_MAX_NS (older ticks are dropped, e.g. after the host
 *   stopped us); masked ticks are dropped at once, as nobody sees them.
 *   Ticks the guest itself kept waiting merge as on hardware: each period
 *   the CPU ran (intc_cpu_running) since the waiting tick went into IRR
 *   merges one (the rule of catchup.c, which the PIT and HPET share).
 * - INIT resets the LAPIC except its ID and APIC base, and is recorded for
 *   the CPU; SIPI records its vector. Both are taken by the emulator.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/machine.h"
#include "core/state.h"
#include "hw/intc/intc_priv.h"

/* 1 GHz APIC timer base clock, as QEMU's, so one count is one ns / DCR;
 * CPUID 0x15 reports it as the crystal (intc.h). */
#define LAPIC_BUS_HZ INTC_LAPIC_HZ
_Static_assert(INTC_TSC_HZ % INTC_LAPIC_HZ == 0, "CPUID 0x15 needs a whole TSC/crystal ratio");
#define LAPIC_VERSION (((LAPIC_LVT_COUNT - 1) << 16) | 0x14)
/* Re-arm floor for tiny periodic counts: bounds the loop's wake-ups. */
#define LAPIC_PERIODIC_MIN_NS 10000
/* Periodic ticks run late (the loop thread or the vCPU got the host CPU
 * late) are delivered one after the other once the CPU takes the previous
 * one, up to this far behind; older ones are dropped. */
#define LAPIC_CATCHUP_MAX_NS INTC_CATCHUP_MAX_NS

#define APIC_BASE_BSP (1ULL << 8)
#define APIC_BASE_EXTD (1ULL << 10)
#define APIC_BASE_EN (1ULL << 11)
#define APIC_DEFAULT_BASE 0xFEE00000ULL

#define SVR_ENABLE (1u << 8)
#define LVT_MASKED (1u << 16)
#define LVT_TIMER_PERIODIC (1u << 17)
#define LVT_TIMER_TSC (2u << 17)
#define LVT_TIMER_MODE (3u << 17)

#define ESR_SEND_ILLEGAL (1u << 5)
#define ESR_RECV_ILLEGAL (1u << 6)

static const uint32_t lapic_lvt_writable[LAPIC_LVT_COUNT] = {
	[LVT_TIMER] = 0x700ff,
	[LVT_THERMAL] = 0x107ff,
	[LVT_PERF] = 0x107ff,
	[LVT_LINT0] = 0x1a7ff,
	[LVT_LINT1] = 0x1a7ff,
	[LVT_ERROR] = 0x100ff,
};

static bool lapic_x2(const struct lapic *l)
{
	return l->apic_base & APIC_BASE_EXTD;
}

static bool lapic_sw_enabled(const struct lapic *l)
{
	return (l->apic_base & APIC_BASE_EN) && (l->svr & SVR_ENABLE);
}

static int vec_highest(const uint32_t bits[8])
{
	for (int i = 7; i >= 0; i--)
		if (bits[i])
			return i * 32 + 31 - __builtin_clz(bits[i]);
	return -1;
}

static void vec_set(uint32_t bits[8], unsigned v) { bits[v >> 5] |= 1u << (v & 31); }
static void vec_clear(uint32_t bits[8], unsigned v) { bits[v >> 5] &= ~(1u << (v & 31)); }
static bool vec_test(const uint32_t bits[8], unsigned v) { return bits[v >> 5] & (1u << (v & 31)); }

static uint32_t lapic_ppr(const struct lapic *l)
{
	int isrv = vec_highest(l->isr);
	uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;

	return (l->tpr & 0xf0) >= isr_class ? l->tpr & 0xff : isr_class;
}

static uint32_t lapic_apr(const struct lapic *l)
{
	int irrv = vec_highest(l->irr), isrv = vec_highest(l->isr);
	uint32_t irr_class = irrv < 0 ? 0 : (uint32_t)irrv & 0xf0;
	uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;
	uint32_t tpr = l->tpr & 0xff;

	if ((tpr & 0xf0) >= irr_class && (tpr & 0xf0) > isr_class)
		return tpr;
	uint32_t apr = tpr & 0xf0;
	if (isr_class > apr)
		apr = isr_class;
	if (irr_class > apr)
		apr = irr_class;
	return apr;
}

int lapic_pending(const struct lapic *l)
{
	int v;

	if (!lapic_sw_enabled(l))
		return -1;
	v = vec_highest(l->irr);
	if (v < 0 || ((uint32_t)v & 0xf0) <= (lapic_ppr(l) & 0xf0))
		return -1;
	return v;
}

int lapic_ack(struct lapic *l)
{
	int v = lapic_pending(l);

	if (v < 0)
		return -1;
	vec_clear(l->irr, v);
	vec_set(l->isr, v);
	return v;
}

bool lapic_irr_test(const struct lapic *l, uint8_t vector)
{
	return vec_test(l->irr, vector);
}

bool lapic_isr_test(const struct lapic *l, uint8_t vector)
{
	return vector >= 16 && vec_test(l->isr, vector);
}

bool lapic_accepts_pic(const struct lapic *l)
{
	uint32_t lint0 = l->lvt[LVT_LINT0];

	if (!lapic_sw_enabled(l))
		return true;
	return !(lint0 & LVT_MASKED) && ((lint0 >> 8) & 7) == APIC_DM_EXTINT;
}

static void lapic_accept(struct lapic *l, uint8_t vector, bool level);

static void lapic_error(struct lapic *l, uint32_t bit)
{
	uint32_t lvt = l->lvt[LVT_ERROR];

	l->esr_pending |= bit;
	if (!(lvt & LVT_MASKED) && (lvt & 0xff) >= 16)
		lapic_accept(l, lvt & 0xff, false);
}

static void lapic_accept(struct lapic *l, uint8_t vector, bool level)
{
	if (vector < 16) {
		lapic_error(l, ESR_RECV_ILLEGAL);
		return;
	}
	vec_set(l->irr, vector);
	if (level)
		vec_set(l->tmr, vector);
	else
		vec_clear(l->tmr, vector);
	intc_cpu_notify(l->ic, l->cpu);
}

static void lapic_eoi(struct lapic *l)
{
	int v = vec_highest(l->isr);

	if (v < 0)
		return;
	vec_clear(l->isr, v);
	if (vec_test(l->tmr, v))
		ioapic_eoi(&l->ic->ioapic, v);
	/* A periodic timer running behind delivers its next tick when the
	 * handler of the last is done (catchup.c: not at acceptance, where a
	 * handler that masks the LVT could not retract it). */
	if (v == (int)(l->lvt[LVT_TIMER] & 0xff) && l->timer_running &&
	    (l->lvt[LVT_TIMER] & LVT_TIMER_MODE) == LVT_TIMER_PERIODIC) {
		lapic_timer_run(l);
		/* An owed tick raised now waits from now, not from when due. */
		if (vec_test(l->irr, v))
			l->tick_mark = intc_run_ns(l->ic, l->cpu);
	}
	/* The handler is done: a late tick owed to a pin of this vector. */
	ioapic_vector_acked(&l->ic->ioapic, (uint8_t)v, l->cpu);
	/* A lower-priority interrupt held back by this one may go now. */
	if (lapic_pending(l) >= 0)
		intc_cpu_notify(l->ic, l->cpu);
}

/* ---- Delivery of interrupt messages ---------------------------------- */

static bool lapic_match(const struct lapic *l, const struct apic_msg *msg)
{
	uint32_t all = msg->wide ? 0xffffffff : 0xff;

	if (msg->dest == all)
		return true;
	if (!msg->logical)
		return lapic_x2(l) ? msg->dest == l->id : msg->dest == (l->id & 0xff);
	if (lapic_x2(l))
		return (msg->dest >> 16) == (l->ldr >> 16) && (msg->dest & l->ldr & 0xffff);
	uint8_t dest = msg->dest, ldr = l->ldr >> 24;
	if ((l->dfr >> 28) == 0xf)                      /* flat model */
		return dest & ldr;
	return (dest >> 4) == (ldr >> 4) && (dest & ldr & 0x0f);   /* cluster */
}

static uint64_t lapic_targets(struct intc *ic, const struct apic_msg *msg)
{
	uint64_t set = 0;

	for (unsigned i = 0; i < ic->ncpus; i++) {
		bool hit;
		switch (msg->shorthand) {
		case APIC_SH_SELF: hit = (int)i == msg->src; break;
		case APIC_SH_ALL: hit = true; break;
		case APIC_SH_OTHERS: hit = (int)i != msg->src; break;
		default: hit = lapic_match(&ic->lapic[i], msg); break;
		}
		if (hit)
			set |= 1ULL << i;
	}
	return set;
}

void lapic_deliver(struct intc *ic, const struct apic_msg *msg)
{
	uint64_t set = lapic_targets(ic, msg);

	if (msg->mode == APIC_DM_LOWEST && set) {
		/* Lowest arbitration priority among enabled targets wins. */
		int best = -1;
		uint32_t best_apr = 0;
		for (unsigned i = 0; i < ic->ncpus; i++) {
			struct lapic *l = &ic->lapic[i];
			if (!(set & (1ULL << i)) || !lapic_sw_enabled(l))
				continue;
			uint32_t apr = lapic_apr(l);
			if (best < 0 || apr < best_apr) {
				best = i;
				best_apr = apr;
			}
		}
		set = best < 0 ? set & -set : 1ULL << best;
	}
	for (unsigned i = 0; i < ic->ncpus; i++) {
		struct lapic *l = &ic->lapic[i];
		if (!(set & (1ULL << i)))
			continue;
		switch (msg->mode) {
		case APIC_DM_FIXED:
		case APIC_DM_LOWEST:
			lapic_accept(l, msg->vector, msg->level);
			break;
		case APIC_DM_NMI:
			l->nmi = true;
			intc_cpu_notify(ic, i);
			break;
		case APIC_DM_INIT:
			lapic_reset(l, true);
			l->init = true;
			l->sipi = false;
			intc_cpu_notify(ic, i);
			break;
		case APIC_DM_SIPI:
			l->sipi = true;
			l->sipi_vector = msg->vector;
			intc_cpu_notify(ic, i);
			break;
		case APIC_DM_EXTINT:
			l->extint = true;
			intc_cpu_notify(ic, i);
			break;
		default:
			if (log_ratelimit_ok(&l->rl, 5))
				LOG(ic->m->log, LOG_WARN, "lapic",
				    "cpu %u: delivery mode %u (SMI or reserved) not supported; dropped",
				    i, msg->mode);
			break;
		}
	}
}

/* ICR write: send an IPI. */
static void lapic_send_ipi(struct lapic *l)
{
	uint32_t lo = l->icr_lo;
	struct apic_msg msg = {
		.vector = lo & 0xff,
		.mode = (lo >> 8) & 7,
		.logical = lo & (1u << 11),
		.level = lo & (1u << 15),
		.shorthand = (lo >> 18) & 3,
		.src = l->cpu,
		.wide = lapic_x2(l),
		.dest = lapic_x2(l) ? l->icr_hi : l->icr_hi >> 24,
	};

	/* INIT level de-assert only syncs arbitration IDs on old parts. */
	if (msg.mode == APIC_DM_INIT && msg.level && !(lo & (1u << 14)))
		return;
	if (msg.mode == APIC_DM_EXTINT || msg.mode == 3) {
		if (log_ratelimit_ok(&l->rl, 5))
			LOG(l->ic->m->log, LOG_WARN, "lapic",
			    "cpu %u: ICR 0x%08x uses reserved delivery mode %u; not sent", l->cpu, lo,
			    msg.mode);
		return;
	}
	if ((msg.mode == APIC_DM_FIXED || msg.mode == APIC_DM_LOWEST) && msg.vector < 16) {
		lapic_error(l, ESR_SEND_ILLEGAL);
		return;
	}
	if (msg.mode != APIC_DM_FIXED)
		msg.level = false;
	lapic_deliver(l->ic, &msg);
}

/* ---- Timer ------------------------------------------------------------ */

static unsigned lapic_timer_shift(const struct lapic *l)
{
	unsigned v = (l->dcr & 3) | ((l->dcr >> 1) & 4);

	return (v + 1) & 7;
}

static uint64_t lapic_ns_to_ticks(const struct lapic *l, uint64_t ns)
{
	return intc_muldiv(ns, LAPIC_BUS_HZ, 1000000000ULL) >> lapic_timer_shift(l);
}

static uint64_t lapic_ticks_to_ns(const struct lapic *l, uint64_t ticks)
{
	return intc_muldiv(ticks << lapic_timer_shift(l), 1000000000ULL, LAPIC_BUS_HZ);
}

static uint32_t lapic_timer_mode(const struct lapic *l)
{
	return l->lvt[LVT_TIMER] & LVT_TIMER_MODE;
}

static uint32_t lapic_current_count(const struct lapic *l, uint64_t now)
{
	uint64_t e;

	if (!l->timer_running || lapic_timer_mode(l) == LVT_TIMER_TSC)
		return 0;
	e = lapic_ns_to_ticks(l, now - l->timer_start);
	if (e < l->timer_count)
		return l->timer_count - e;
	if (lapic_timer_mode(l) != LVT_TIMER_PERIODIC || !l->initial_count)
		return 0;
	return l->initial_count - (e - l->timer_count) % l->initial_count;
}

static void lapic_timer_fire(struct lapic *l)
{
	uint32_t lvt = l->lvt[LVT_TIMER];

	if (!(lvt & LVT_MASKED))
		lapic_accept(l, lvt & 0xff, false);
}

/* Fires what is due and arms the loop timer for the next expiry. */
void lapic_timer_run(struct lapic *l)
{
	uint64_t now = intc_now(l->ic);

	if (lapic_timer_mode(l) == LVT_TIMER_TSC) {
		if (!l->tsc_deadline) {
			intc_timer_stop(l->ic, l->timer, &l->due_ns);
			return;
		}
		uint64_t due = (uint64_t)(((unsigned __int128)l->tsc_deadline * 1000000000ULL +
					   INTC_TSC_HZ - 1) / INTC_TSC_HZ);
		if (now >= due) {
			l->tsc_deadline = 0;
			lapic_timer_fire(l);
			intc_timer_stop(l->ic, l->timer, &l->due_ns);
		} else {
			intc_timer_arm(l->ic, l->timer, &l->due_ns, due);
		}
		return;
	}
	if (!l->timer_running) {
		intc_timer_stop(l->ic, l->timer, &l->due_ns);
		return;
	}
	uint64_t end = l->timer_start + lapic_ticks_to_ns(l, l->timer_count);
	if (now < end) {
		intc_timer_arm(l->ic, l->timer, &l->due_ns, end);
		return;
	}
	if (lapic_timer_mode(l) != LVT_TIMER_PERIODIC || !l->initial_count) {
		lapic_timer_fire(l);
		l->timer_running = false;
		intc_timer_stop(l->ic, l->timer, &l->due_ns);
		return;
	}
	uint64_t period = lapic_ticks_to_ns(l, l->initial_count);
	if (!period)
		period = 1;
	uint32_t lvt = l->lvt[LVT_TIMER];
	bool masked = lvt & LVT_MASKED;
	if (!masked && vec_test(l->irr, lvt & 0xff)) {
		/* The previous tick still waits for the CPU. Each period the
		 * CPU ran since it went in (IF=0, a handler running: the
		 * guest's doing) merges one due tick into it, as on hardware;
		 * the others are owed and go in when the handler of that one
		 * sends its EOI (lapic_eoi). See catchup.c. */
		uint64_t due = (now - end) / period + 1, merge = 0;
		if (due > INTC_CATCHUP_MAX_TICKS)
			due = INTC_CATCHUP_MAX_TICKS;   /* older ones count as owed */
		for (uint64_t k = 0; k < due; k++) {
			uint64_t t = now - (now - end) % period - (due - 1 - k) * period;
			if (intc_run_at(l->ic, l->cpu, t) >= l->tick_mark + period) {
				l->tick_mark += period;
				merge++;
			}
		}
		if (merge) {
			l->timer_start = end + (merge - 1) * period;
			l->timer_count = l->initial_count;
			end += merge * period;
		}
		intc_timer_arm(l->ic, l->timer, &l->due_ns, end > now ? end : now + period);
		return;
	}
	uint64_t behind = now - end, skip = 0;
	if (masked)
		skip = behind / period;         /* nobody counts masked ticks */
	else if (behind > LAPIC_CATCHUP_MAX_NS)
		skip = (behind - LAPIC_CATCHUP_MAX_NS) / period;
	end += skip * period;
	lapic_timer_fire(l);
	l->tick_mark = intc_run_at(l->ic, l->cpu, end);
	l->timer_start = end;
	l->timer_count = l->initial_count;
	uint64_t next = end + period;
	if (next < now + LAPIC_PERIODIC_MIN_NS)
		next = now + LAPIC_PERIODIC_MIN_NS;
	intc_timer_arm(l->ic, l->timer, &l->due_ns, next);
}

static void lapic_timer_start(struct lapic *l, uint32_t count)
{
	l->timer_running = count != 0;
	l->timer_start = intc_now(l->ic);
	l->timer_count = count;
	lapic_timer_run(l);
}

void lapic_set_tsc_deadline(struct lapic *l, uint64_t deadline)
{
	if (lapic_timer_mode(l) != LVT_TIMER_TSC)
		return;         /* SDM: ignored outside TSC-deadline mode */
	l->tsc_deadline = deadline;
	lapic_timer_run(l);
}

static void lapic_timer_cb(void *opaque)
{
	struct lapic *l = opaque;

	intc_lock(l->ic);
	lapic_timer_run(l);
	intc_unlock(l->ic);
}

/* ---- Registers ---------------------------------------------------------- */

static void lapic_write_lvt(struct lapic *l, unsigned n, uint32_t v)
{
	uint32_t old = l->lvt[n];

	v &= lapic_lvt_writable[n];
	if (!lapic_sw_enabled(l))
		v |= LVT_MASKED;
	if (n == LVT_TIMER && (v & LVT_TIMER_MODE) == (3u << 17))
		v &= ~LVT_TIMER_MODE;   /* reserved mode: treat as one-shot */
	l->lvt[n] = v | (old & ~lapic_lvt_writable[n] & (1u << 14));
	if (n == LVT_TIMER && (old & LVT_TIMER_MODE) != (v & LVT_TIMER_MODE) &&
	    ((old | v) & LVT_TIMER_TSC)) {
		/* Switching to or from TSC-deadline mode disarms the timer. */
		l->timer_running = false;
		l->initial_count = 0;
		l->tsc_deadline = 0;
	}
	if (n == LVT_TIMER)
		lapic_timer_run(l);
	if (n == LVT_LINT0)
		intc_pic_changed(l->ic);
}

uint32_t lapic_reg_read(struct lapic *l, unsigned reg)
{
	switch (reg) {
	case 0x020: return lapic_x2(l) ? l->id : l->id << 24;
	case 0x030: return LAPIC_VERSION;
	case 0x080: return l->tpr;
	case 0x090: return lapic_apr(l);
	case 0x0a0: return lapic_ppr(l);
	case 0x0d0: return l->ldr;
	case 0x0e0: return l->dfr;
	case 0x0f0: return l->svr;
	case 0x280: return l->esr;
	case 0x300: return l->icr_lo;
	case 0x310: return l->icr_hi;
	case 0x380: return l->initial_count;
	case 0x390: return lapic_current_count(l, intc_now(l->ic));
	case 0x3e0: return l->dcr;
	}
	if (reg >= 0x100 && reg < 0x180)
		return l->isr[(reg - 0x100) >> 4];
	if (reg >= 0x180 && reg < 0x200)
		return l->tmr[(reg - 0x180) >> 4];
	if (reg >= 0x200 && reg < 0x280)
		return l->irr[(reg - 0x200) >> 4];
	if (reg >= 0x320 && reg < 0x380)
		return l->lvt[(reg - 0x320) >> 4];
	return 0;
}

void lapic_reg_write(struct lapic *l, unsigned reg, uint32_t v)
{
	switch (reg) {
	case 0x020:
		if (!lapic_x2(l))
			l->id = v >> 24;
		return;
	case 0x080:
		l->tpr = v & 0xff;
		if (lapic_pending(l) >= 0)
			intc_cpu_notify(l->ic, l->cpu);
		return;
	case 0x0b0:
		lapic_eoi(l);
		return;
	case 0x0d0:
		if (!lapic_x2(l))
			l->ldr = v & 0xff000000;
		return;
	case 0x0e0:
		if (!lapic_x2(l))
			l->dfr = v | 0x0fffffff;
		return;
	case 0x0f0: {
		bool was = l->svr & SVR_ENABLE;
		l->svr = v & 0x3ff;
		if (was && !(l->svr & SVR_ENABLE))
			for (unsigned n = 0; n < LAPIC_LVT_COUNT; n++)
				l->lvt[n] |= LVT_MASKED;
		if (lapic_pending(l) >= 0)
			intc_cpu_notify(l->ic, l->cpu);
		intc_pic_changed(l->ic);
		return;
	}
	case 0x280:
		l->esr = l->esr_pending;
		l->esr_pending = 0;
		return;
	case 0x300:
		l->icr_lo = v & ~(1u << 12);
		lapic_send_ipi(l);
		return;
	case 0x310:
		l->icr_hi = v & 0xff000000;
		return;
	case 0x380:
		if (lapic_timer_mode(l) == LVT_TIMER_TSC)
			return;
		l->initial_count = v;
		lapic_timer_start(l, v);
		return;
	case 0x3e0: {
		uint64_t now = intc_now(l->ic);
		uint32_t count = lapic_current_count(l, now);
		l->dcr = v & 0xb;
		if (l->timer_running) {
			/* Keep the count reached; continue at the new rate. */
			l->timer_start = now;
			l->timer_count = count;
			lapic_timer_run(l);
		}
		return;
	}
	}
	if (reg >= 0x320 && reg < 0x380) {
		lapic_write_lvt(l, (reg - 0x320) >> 4, v);
		return;
	}
	if (log_ratelimit_ok(&l->rl, 5))
		LOG(l->ic->m->log, LOG_DEBUG, "lapic",
		    "cpu %u: write 0x%x to read-only or reserved register 0x%03x ignored", l->cpu, v,
		    reg);
}

/* x2APIC registers that exist for rdmsr / wrmsr (SDM table 10-6). */
static bool lapic_msr_readable(unsigned reg)
{
	switch (reg) {
	case 0x020: case 0x030: case 0x080: case 0x0a0: case 0x0d0: case 0x0f0:
	case 0x280: case 0x300: case 0x380: case 0x390: case 0x3e0:
		return true;
	}
	return (reg >= 0x100 && reg < 0x280) || (reg >= 0x320 && reg < 0x380);
}

bool lapic_msr_read(struct lapic *l, uint32_t msr, uint64_t *v)
{
	unsigned reg = (msr - 0x800) << 4;

	if (!lapic_x2(l) || msr < 0x800 || msr > 0x8ff || !lapic_msr_readable(reg))
		return false;
	*v = lapic_reg_read(l, reg);
	if (reg == 0x300)
		*v |= (uint64_t)l->icr_hi << 32;
	return true;
}

bool lapic_msr_write(struct lapic *l, uint32_t msr, uint64_t v)
{
	unsigned reg = (msr - 0x800) << 4;

	if (!lapic_x2(l) || msr < 0x800 || msr > 0x8ff)
		return false;
	switch (reg) {
	case 0x080: case 0x0f0: case 0x380: case 0x3e0:
		if (v >> 32)
			return false;
		break;
	case 0x0b0: case 0x280:
		if (v)
			return false;   /* EOI and ESR writes must be 0 in x2APIC mode */
		break;
	case 0x300:
		l->icr_hi = v >> 32;
		l->icr_lo = (uint32_t)v & ~(1u << 12);
		lapic_send_ipi(l);
		return true;
	case 0x3f0:                     /* SELF IPI */
		if (v >> 8)
			return false;
		l->icr_lo = v & 0xff;
		lapic_accept(l, v & 0xff, false);
		return true;
	default:
		if (reg >= 0x320 && reg < 0x380 && !(v >> 32))
			break;
		return false;
	}
	lapic_reg_write(l, reg, v);
	return true;
}

static void lapic_update_x2_ldr(struct lapic *l)
{
	l->ldr = (l->id >> 4) << 16 | 1u << (l->id & 0xf);
}

bool lapic_set_base(struct lapic *l, uint64_t base)
{
	uint64_t old = l->apic_base;
	bool en = base & APIC_BASE_EN, x2 = base & APIC_BASE_EXTD;

	if (base & 0xfff00000000002ffULL)
		return false;                   /* reserved bits (BSP is read-only) */
	if (x2 && !en)
		return false;
	if ((old & APIC_BASE_EXTD) && en && !x2)
		return false;                   /* x2APIC -> xAPIC needs a disable first */
	l->apic_base = (base & ~APIC_BASE_BSP) | (old & APIC_BASE_BSP);
	if (!en && (old & APIC_BASE_EN))
		lapic_reset(l, true);
	if (x2 && !(old & APIC_BASE_EXTD))
		lapic_update_x2_ldr(l);
	intc_pic_changed(l->ic);
	return true;
}

/* ---- State -------------------------------------------------------------- */

static void page_put(uint8_t *regs, unsigned reg, uint32_t v) { memcpy(regs + reg, &v, 4); }

static uint32_t page_get(const uint8_t *regs, unsigned reg)
{
	uint32_t v;

	memcpy(&v, regs + reg, 4);
	return v;
}

void lapic_get_page(struct lapic *l, uint8_t regs[1024])
{
	static const unsigned plain[] = { 0x020, 0x030, 0x080, 0x090, 0x0a0, 0x0d0, 0x0e0,
					  0x0f0, 0x280, 0x300, 0x310, 0x380, 0x390, 0x3e0 };

	memset(regs, 0, 1024);
	for (unsigned i = 0; i < sizeof plain / sizeof plain[0]; i++)
		page_put(regs, plain[i], lapic_reg_read(l, plain[i]));
	for (unsigned i = 0; i < 8; i++) {
		page_put(regs, 0x100 + i * 16, l->isr[i]);
		page_put(regs, 0x180 + i * 16, l->tmr[i]);
		page_put(regs, 0x200 + i * 16, l->irr[i]);
	}
	for (unsigned n = 0; n < LAPIC_LVT_COUNT; n++)
		page_put(regs, 0x320 + n * 16, l->lvt[n]);
}

void lapic_set_page(struct lapic *l, const uint8_t regs[1024])
{
	uint32_t id = page_get(regs, 0x020);

	l->id = lapic_x2(l) ? id : id >> 24;
	l->tpr = page_get(regs, 0x080) & 0xff;
	l->ldr = page_get(regs, 0x0d0);
	l->dfr = page_get(regs, 0x0e0) | 0x0fffffff;
	l->svr = page_get(regs, 0x0f0) & 0x3ff;
	l->esr = page_get(regs, 0x280);
	l->icr_lo = page_get(regs, 0x300) & ~(1u << 12);
	l->icr_hi = page_get(regs, 0x310);
	l->dcr = page_get(regs, 0x3e0) & 0xb;
	for (unsigned i = 0; i < 8; i++) {
		l->isr[i] = page_get(regs, 0x100 + i * 16);
		l->tmr[i] = page_get(regs, 0x180 + i * 16);
		l->irr[i] = page_get(regs, 0x200 + i * 16);
	}
	for (unsigned n = 0; n < LAPIC_LVT_COUNT; n++)
		l->lvt[n] = page_get(regs, 0x320 + n * 16) & (lapic_lvt_writable[n] | 1u << 14);
	l->initial_count = page_get(regs, 0x380);
	if (lapic_timer_mode(l) != LVT_TIMER_TSC) {
		l->timer_running = false;
		lapic_timer_start(l, page_get(regs, 0x390));
	} else {
		lapic_timer_run(l);
	}
	if (lapic_pending(l) >= 0)
		intc_cpu_notify(l->ic, l->cpu);
	intc_pic_changed(l->ic);
}

/* Power-on state, or INIT state (init_only keeps the ID and APIC base). */
void lapic_reset(struct lapic *l, bool init_only)
{
	if (!init_only) {
		l->id = l->cpu;
		l->apic_base = APIC_DEFAULT_BASE | APIC_BASE_EN | (l->cpu == 0 ? APIC_BASE_BSP : 0);
		l->nmi = l->init = l->sipi = l->extint = false;
		l->sipi_vector = 0;
	}
	l->tpr = 0;
	l->ldr = lapic_x2(l) ? l->ldr : 0;
	l->dfr = 0xffffffff;
	l->svr = 0xff;
	l->esr = l->esr_pending = 0;
	l->icr_lo = l->icr_hi = 0;
	for (unsigned n = 0; n < LAPIC_LVT_COUNT; n++)
		l->lvt[n] = LVT_MASKED;
	l->dcr = 0;
	l->initial_count = 0;
	memset(l->isr, 0, sizeof l->isr);
	memset(l->tmr, 0, sizeof l->tmr);
	memset(l->irr, 0, sizeof l->irr);
	l->timer_running = false;
	l->timer_count = 0;
	l->tsc_deadline = 0;
	intc_timer_stop(l->ic, l->timer, &l->due_ns);
}

void lapic_init(struct lapic *l, struct intc *ic, unsigned cpu)
{
	*l = (struct lapic){ .ic = ic, .cpu = cpu };
	l->timer = intc_timer_new(ic, lapic_timer_cb, l);
	lapic_reset(l, false);
}

static void lapic_dev_reset(void *opaque)
{
	struct lapic *l = opaque;

	intc_lock(l->ic);
	lapic_reset(l, false);
	intc_unlock(l->ic);
}

static void lapic_save(void *opaque, struct state_writer *w)
{
	struct lapic *l = opaque;
	uint8_t regs[1024];

	intc_lock(l->ic);
	lapic_get_page(l, regs);
	sw_u64(w, l->apic_base);
	sw_u32(w, l->id);
	sw_bytes(w, regs, sizeof regs);
	sw_u32(w, l->esr_pending);
	sw_u8(w, l->timer_running);
	sw_u64(w, l->timer_start);
	sw_u32(w, l->timer_count);
	sw_u64(w, l->tsc_deadline);
	sw_u8(w, l->nmi | l->init << 1 | l->sipi << 2 | l->extint << 3);
	sw_u8(w, l->sipi_vector);
	intc_unlock(l->ic);
}

static void lapic_load(void *opaque, struct state_reader *r, uint32_t version)
{
	struct lapic *l = opaque;
	uint8_t regs[1024];

	if (version != 1) {
		sr_fail(r, "lapic: state version %u not supported (expected 1)", version);
		return;
	}
	uint64_t base = sr_u64(r);
	uint32_t id = sr_u32(r);
	sr_bytes(r, regs, sizeof regs);
	uint32_t esr_pending = sr_u32(r);
	bool running = sr_u8(r);
	uint64_t start = sr_u64(r);
	uint32_t count = sr_u32(r);
	uint64_t deadline = sr_u64(r);
	uint8_t flags = sr_u8(r);
	uint8_t sipi_vector = sr_u8(r);
	if (!sr_ok(r))
		return;
	if ((base & 0xfff00000000002ffULL) ||
	    ((base & APIC_BASE_EXTD) && !(base & APIC_BASE_EN))) {
		sr_fail(r, "lapic %u: invalid APIC base 0x%llx", l->cpu, (unsigned long long)base);
		return;
	}
	intc_lock(l->ic);
	l->apic_base = (base & ~APIC_BASE_BSP) | (l->apic_base & APIC_BASE_BSP);
	lapic_set_page(l, regs);
	l->id = id;
	l->esr_pending = esr_pending;
	l->timer_running = running;
	l->timer_start = start;
	l->timer_count = count;
	l->tsc_deadline = deadline;
	l->nmi = flags & 1;
	l->init = flags & 2;
	l->sipi = flags & 4;
	l->extint = flags & 8;
	l->sipi_vector = sipi_vector;
	lapic_timer_run(l);
	intc_unlock(l->ic);
}


static const struct device_ops lapic_device_ops = {
	.type = "lapic",
	.state_version = 1,
	.reset = lapic_dev_reset,
	.save = lapic_save,
	.load = lapic_load,
};

int lapic_register(struct lapic *l, struct machine *m)
{
	char name[32];

	snprintf(name, sizeof name, "lapic%u", l->cpu);
	return machine_add_device(m, &lapic_device_ops, l, name);
}
