/*
 * HPET: the IA-PC High Precision Event Timer (specification 1.0a), one
 * block of three timers at 0xFED00000.
 *
 * Design note (time and matches):
 *  - The main counter runs at 100 MHz while ENABLE_CNF is set:
 *    counter(now) = count + (now - origin) / 10 ns; while halted it holds
 *    `count`. Everything is computed from the clock on demand; nothing
 *    ticks.
 *  - A timer matches when the counter passes its comparator. `last` is the
 *    counter value up to which matches have been processed; an evaluation
 *    at counter value T handles every comparator in (last, T] and sets
 *    last = T. Evaluations run on every register access and from one loop
 *    timer, armed for the earliest match of a timer whose interrupt is
 *    enabled, so an idle block costs nothing and status bits are still
 *    exact when the guest polls them.
 *  - 32-bit timers (Tn_32MODE_CNF) compare the low 32 bits of the counter
 *    and so match again every 2^32 ticks (42.9 s); a 64-bit one-shot
 *    comparator matches once.
 *  - Periodic timers add the period to the comparator at each match; after
 *    a late evaluation the comparator lands on the next period boundary in
 *    the future, so the phase is kept. The periods that passed meanwhile
 *    are not merged into one interrupt when the host kept them from the
 *    guest: an edge-triggered periodic timer counts them and hands them to
 *    hw/intc/catchup.c (intc_catchup_due), which raises one now, merges
 *    those the guest itself kept waiting (IF=0: as hardware coalesces
 *    edges) and owes the rest; each owed one is raised when the handler
 *    of the one before sends its EOI (hpet_acked, an intc ack notifier,
 *    run without h->lock held by the intc). Level-triggered timers keep their status
 *    bit: the guest clears it, and that merges ticks as on hardware.
 *  - Comparator writes set the period; they set the comparator itself when
 *    the timer is one-shot or VAL_SET is on (which the write then clears):
 *    Linux's periodic setup writes now + delta with VAL_SET, then delta.
 *  - Level-triggered timers set their Tn_INT_STS bit at each match, even
 *    with the interrupt disabled (spec: "the timer will still operate and
 *    generate appropriate status bits"); the line is asserted while the bit
 *    is set, the interrupt is enabled and the block is enabled. Edge
 *    timers pulse their line and leave the status bit alone.
 *  - Routing: with LEG_RT_CNF, timer 0 drives ISA IRQ 0 (GSI 0: PIC IR0,
 *    IOAPIC pin 2) and timer 1 IRQ 8; otherwise Tn_INT_ROUTE_CNF picks an
 *    IOAPIC pin among HPET_ROUTE_CAP. LEG_RT_CNF also disconnects the
 *    emulated PIT from IRQ 0 (intc_set_pit_irq_gate), as the chipset does:
 *    Linux never stops a PIT that firmware left running once the HPET
 *    takes over, and both on IRQ 0 would multiply its jiffies. Not done
 *    for KVM's in-kernel PIT, nor for the RTC's IRQ 8.
 *  - No FSB (MSI) delivery: Tn_FSB_INT_DEL_CAP reads 0.
 *  - Due matches are also run by the interrupt hardware's running CPUs
 *    (intc_add_ext_timer: hpet_arm tells it the next due time), so a late
 *    event loop does not delay them while the guest runs.
 * Locking: h->lock guards everything (vCPU MMIO and the loop thread); the
 * intc lock is taken under it (irq lines, catch-up), never the reverse.
 */
#include "hw/pc/hpet.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/loop.h"
#include "core/machine.h"
#include "core/state.h"
#include "hw/intc/intc.h"

#define HPET_STATE_VERSION 1
#define HPET_NS_PER_TICK 10ULL
#define HPET_GSIS 24
/* Farthest a loop timer is armed ahead (ticks, ~3 hours): far-off 64-bit
 * comparators are re-examined then instead of overflowing the ns math. */
#define HPET_MAX_ARM (1ULL << 40)

/* Revision 1, three timers (NUM_TIM_CAP = 2), 64-bit counter, legacy
 * replacement capable, vendor 8086, period in the high half. */
#define HPET_CAP_LOW (0x01u | ((HPET_TIMERS - 1) << 8) | (1u << 13) | (1u << 15) | (0x8086u << 16))
#define HPET_TN_WRITABLE (HPET_TN_LEVEL | HPET_TN_INT_ENABLE | HPET_TN_PERIODIC | \
			  HPET_TN_VAL_SET | HPET_TN_32BIT | HPET_TN_ROUTE_MASK)

struct hpet_timer {
	uint64_t config;         /* writable bits only; capabilities are added on read */
	uint64_t cmp;
	uint64_t period;
	uint64_t fsb;            /* Tn_FSB_INT_ROUTE: kept, never used */
	int gsi;                 /* line currently driven, -1 = none */
	struct intc_catchup cu;  /* late periodic edges (not saved) */
};

struct hpet {
	struct machine *m;
	pthread_mutex_t lock;
	struct loop_timer *timer;
	struct log_ratelimit rl;
	uint64_t (*now_ns)(void *opaque);
	void *now_opaque;
	uint64_t late_ns;        /* NYX_DEBUG_TIMER_LATE_US */
	int ext_id;              /* intc_add_ext_timer id, or negative */

	uint64_t config;         /* ENABLE_CNF, LEG_RT_CNF */
	uint64_t status;         /* Tn_INT_STS bits */
	uint64_t count;          /* counter at `origin` (running) or held (halted) */
	uint64_t origin;         /* clock ns where the running counter was `count` */
	uint64_t last;           /* matches up to this counter value are done */
	bool pit_gated;          /* what intc_set_pit_irq_gate was last told */
	struct hpet_timer t[HPET_TIMERS];
	struct irq_line lines[HPET_GSIS];
};

static uint64_t hpet_machine_clock(void *opaque)
{
	return machine_clock_ns(opaque);
}

static bool hpet_running(const struct hpet *h)
{
	return h->config & HPET_CFG_ENABLE;
}

static uint64_t hpet_counter(const struct hpet *h, uint64_t now)
{
	if (!hpet_running(h) || now <= h->origin)
		return h->count;
	return h->count + (now - h->origin) / HPET_NS_PER_TICK;
}

static bool timer_is32(const struct hpet_timer *t)
{
	return t->config & HPET_TN_32BIT;
}

/* Ticks from counter value `from` until the timer's comparator matches
 * again (> 0); UINT64_MAX if never (a 64-bit comparator just matched). */
static uint64_t timer_distance(const struct hpet_timer *t, uint64_t from)
{
	if (timer_is32(t)) {
		uint32_t d = (uint32_t)t->cmp - (uint32_t)from;
		return d ? d : 1ULL << 32;
	}
	return t->cmp - from ? t->cmp - from : UINT64_MAX;
}

/* The GSI timer n drives now, or -1 (a route outside the capability). */
static int hpet_route(const struct hpet *h, unsigned n)
{
	unsigned route;

	if ((h->config & HPET_CFG_LEGACY) && n < 2)
		return n == 0 ? 0 : 8;
	route = (unsigned)(h->t[n].config & HPET_TN_ROUTE_MASK) >> HPET_TN_ROUTE_SHIFT;
	return (HPET_ROUTE_CAP >> route) & 1 ? (int)route : -1;
}

/* Sets every line to the OR of the level-triggered timers asserting it;
 * a timer whose route changed lets go of its old line. */
static void hpet_update_lines(struct hpet *h)
{
	int want[HPET_GSIS] = {0};
	bool used[HPET_GSIS] = {0};
	bool legacy = (h->config & HPET_CFG_LEGACY) != 0;

	if (legacy != h->pit_gated) {
		h->pit_gated = legacy;
		intc_set_pit_irq_gate(h->m, legacy);
	}

	for (unsigned n = 0; n < HPET_TIMERS; n++) {
		struct hpet_timer *t = &h->t[n];
		int gsi = hpet_route(h, n);

		if (t->gsi >= 0)
			used[t->gsi] = true;
		t->gsi = gsi;
		if (gsi < 0)
			continue;
		used[gsi] = true;
		if (hpet_running(h) && (t->config & HPET_TN_LEVEL) &&
		    (t->config & HPET_TN_INT_ENABLE) && (h->status & (1u << n)))
			want[gsi] = 1;
	}
	for (unsigned g = 0; g < HPET_GSIS; g++)
		if (used[g] && h->lines[g].level != want[g])
			irq_line_set(&h->lines[g], want[g]);
}

static bool hpet_edge_periodic(const struct hpet *h, const struct hpet_timer *t)
{
	return hpet_running(h) && t->period && t->gsi >= 0 &&
	       (t->config & (HPET_TN_LEVEL | HPET_TN_INT_ENABLE | HPET_TN_PERIODIC)) ==
		       (HPET_TN_INT_ENABLE | HPET_TN_PERIODIC);
}

static void hpet_pulse(struct hpet *h, struct hpet_timer *t)
{
	struct irq_line *l = &h->lines[t->gsi];

	if (!l->level)
		irq_line_pulse(l);
}

/* Timer n matched: status bit or edge, then the next periodic match. */
static void hpet_fire(struct hpet *h, unsigned n, uint64_t now_tick, uint64_t now)
{
	struct hpet_timer *t = &h->t[n];
	uint64_t due = 1, since = 0;    /* matches; ticks since the last of them */

	if ((t->config & HPET_TN_PERIODIC) && t->period) {
		/* Step over every boundary up to now_tick, counting them. */
		if (timer_is32(t)) {
			uint32_t past = (uint32_t)now_tick - (uint32_t)t->cmp;
			uint32_t p = (uint32_t)t->period;
			due += past / p;
			since = past % p;
			t->cmp = (uint32_t)((uint32_t)t->cmp + (past / p + 1) * p);
		} else {
			uint64_t past = now_tick - t->cmp;
			due += past / t->period;
			since = past % t->period;
			t->cmp += (past / t->period + 1) * t->period;
		}
	}
	if (t->config & HPET_TN_LEVEL) {
		h->status |= 1u << n;
		return;
	}
	if (!(t->config & HPET_TN_INT_ENABLE) || t->gsi < 0)
		return;
	if (hpet_edge_periodic(h, t) &&
	    !intc_catchup_due(h->m, &t->cu, t->gsi, due, t->period * HPET_NS_PER_TICK,
			      now - since * HPET_NS_PER_TICK))
		return;         /* merged into the waiting one, or owed */
	hpet_pulse(h, t);
}

/* A CPU's handler of an interrupt from `gsi` is done (EOI): a timer on it
 * that owes ticks raises the next one (catchup.c). */
static void hpet_acked(void *opaque, unsigned gsi, unsigned cpu)
{
	struct hpet *h = opaque;

	pthread_mutex_lock(&h->lock);
	for (unsigned n = 0; n < HPET_TIMERS; n++) {
		struct hpet_timer *t = &h->t[n];

		if (t->gsi != (int)gsi)
			continue;
		if (!hpet_edge_periodic(h, t))
			t->cu.owed = 0;
		else if (intc_catchup_acked(h->m, &t->cu, gsi, cpu))
			hpet_pulse(h, t);
	}
	pthread_mutex_unlock(&h->lock);
}

/* Processes the matches in (last, counter(now)]. */
static void hpet_eval(struct hpet *h, uint64_t now)
{
	uint64_t tick, span;

	if (!hpet_running(h))
		return;
	tick = hpet_counter(h, now);
	span = tick - h->last;
	if (!span)
		return;
	for (unsigned n = 0; n < HPET_TIMERS; n++)
		if (timer_distance(&h->t[n], h->last) <= span)
			hpet_fire(h, n, tick, now);
	h->last = tick;
	hpet_update_lines(h);
}

/* Arms the loop timer for the earliest match that raises an interrupt and
 * tells the interrupt hardware, whose running CPUs run it then too. */
static void hpet_arm(struct hpet *h, uint64_t now)
{
	uint64_t tick, next = UINT64_MAX, due;

	if (h->timer)
		timer_del(h->timer);
	if (!hpet_running(h)) {
		intc_ext_timer_due(h->m, h->ext_id, UINT64_MAX);
		return;
	}
	tick = hpet_counter(h, now);
	for (unsigned n = 0; n < HPET_TIMERS; n++) {
		const struct hpet_timer *t = &h->t[n];
		uint64_t d;

		if (!(t->config & HPET_TN_INT_ENABLE) || t->gsi < 0)
			continue;
		/* A level timer already asserted cannot raise anything new. */
		if ((t->config & HPET_TN_LEVEL) && (h->status & (1u << n)))
			continue;
		d = timer_distance(t, tick);
		if (d < next)
			next = d;
	}
	if (next == UINT64_MAX) {
		intc_ext_timer_due(h->m, h->ext_id, UINT64_MAX);
		return;
	}
	if (next > HPET_MAX_ARM)
		next = HPET_MAX_ARM;
	/* The clock ns at which the counter reaches tick + next. */
	due = h->origin + (tick + next - h->count) * HPET_NS_PER_TICK;
	intc_ext_timer_due(h->m, h->ext_id, due);
	if (h->timer)
		timer_mod(h->timer, clock_ns() + h->late_ns + (due > now ? due - now : 0));
}

static void hpet_timer_fire(void *opaque)
{
	hpet_poll(opaque);
}

static void hpet_ext_poll(void *opaque)
{
	hpet_poll(opaque);
}

void hpet_poll(struct hpet *h)
{
	uint64_t now;

	pthread_mutex_lock(&h->lock);
	now = h->now_ns(h->now_opaque);
	hpet_eval(h, now);
	hpet_arm(h, now);
	pthread_mutex_unlock(&h->lock);
}

static uint64_t hpet_timer_caps(unsigned n)
{
	return HPET_TN_PERIODIC_CAP | HPET_TN_SIZE_64 | ((uint64_t)HPET_ROUTE_CAP << 32);
}

/* The 64-bit register containing offset `reg` (8-aligned). */
static uint64_t hpet_reg_read(struct hpet *h, uint64_t reg, uint64_t now)
{
	switch (reg) {
	case HPET_REG_CAP:
		return HPET_CAP_LOW | (HPET_PERIOD_FS << 32);
	case HPET_REG_CONFIG:
		return h->config;
	case HPET_REG_STATUS:
		return h->status;
	case HPET_REG_COUNTER:
		return hpet_counter(h, now);
	}
	if (reg >= HPET_REG_TIMER(0) && reg < HPET_REG_TIMER(HPET_TIMERS)) {
		unsigned n = (unsigned)(reg - HPET_REG_TIMER(0)) / 0x20;
		const struct hpet_timer *t = &h->t[n];
		switch ((reg - HPET_REG_TIMER(0)) % 0x20) {
		case 0x00:
			return t->config | hpet_timer_caps(n);
		case 0x08:
			return timer_is32(t) ? (uint32_t)t->cmp : t->cmp;
		case 0x10:
			return t->fsb;
		}
	}
	return 0;   /* reserved: reads as zero */
}

static uint64_t merge(uint64_t old, uint64_t val, uint64_t mask)
{
	return (old & ~mask) | (val & mask);
}

static void hpet_write_config(struct hpet *h, uint64_t val, uint64_t now)
{
	uint64_t old = h->config;

	h->config = val & (HPET_CFG_ENABLE | HPET_CFG_LEGACY);
	if (!(old & HPET_CFG_ENABLE) && (h->config & HPET_CFG_ENABLE)) {
		h->origin = now;
		h->last = h->count;
	} else if ((old & HPET_CFG_ENABLE) && !(h->config & HPET_CFG_ENABLE)) {
		uint64_t c = h->count + (now > h->origin ? (now - h->origin) / HPET_NS_PER_TICK : 0);
		h->count = c;
		h->last = c;
	}
}

static void hpet_write_timer(struct hpet *h, unsigned n, uint64_t val, uint64_t mask)
{
	struct hpet_timer *t = &h->t[n];

	t->config = merge(t->config, val, mask) & HPET_TN_WRITABLE;
	if (timer_is32(t)) {
		t->cmp = (uint32_t)t->cmp;
		t->period = (uint32_t)t->period;
	}
	/* An edge timer has no status to keep. */
	if (!(t->config & HPET_TN_LEVEL))
		h->status &= ~(1ULL << n);
	t->cu.owed = 0;         /* reconfigured: owes nothing from before */
}

static void hpet_write_cmp(struct hpet *h, unsigned n, uint64_t val, uint64_t mask)
{
	struct hpet_timer *t = &h->t[n];

	if (timer_is32(t)) {
		mask &= 0xFFFFFFFFu;
		if (!mask)
			return;
	}
	if (!(t->config & HPET_TN_PERIODIC) || (t->config & HPET_TN_VAL_SET))
		t->cmp = merge(t->cmp, val, mask);
	t->period = merge(t->period, val, mask);
	t->config &= ~(uint64_t)HPET_TN_VAL_SET;
}

static void hpet_reg_write(struct hpet *h, uint64_t reg, uint64_t val, uint64_t mask,
			   uint64_t now)
{
	switch (reg) {
	case HPET_REG_CAP:
		return;   /* read only */
	case HPET_REG_CONFIG:
		hpet_write_config(h, merge(h->config, val, mask), now);
		return;
	case HPET_REG_STATUS:
		h->status &= ~(val & mask);
		return;
	case HPET_REG_COUNTER:
		if (hpet_running(h) && log_ratelimit_ok(&h->rl, 5))
			LOG(h->m->log, LOG_DEBUG, "hpet",
			    "main counter written while running (the spec asks for a halted counter)");
		h->count = merge(hpet_counter(h, now), val, mask);
		h->origin = now;
		h->last = h->count;
		return;
	}
	if (reg >= HPET_REG_TIMER(0) && reg < HPET_REG_TIMER(HPET_TIMERS)) {
		unsigned n = (unsigned)(reg - HPET_REG_TIMER(0)) / 0x20;
		switch ((reg - HPET_REG_TIMER(0)) % 0x20) {
		case 0x00:
			hpet_write_timer(h, n, val, mask);
			return;
		case 0x08:
			hpet_write_cmp(h, n, val, mask);
			return;
		case 0x10:
			h->t[n].fsb = merge(h->t[n].fsb, val, mask);
			return;
		}
	}
	if (log_ratelimit_ok(&h->rl, 5))
		LOG(h->m->log, LOG_WARN, "hpet", "write of 0x%llx to reserved offset 0x%llx ignored",
		    (unsigned long long)(val & mask), (unsigned long long)reg);
}

/* Accesses of 1, 2, 4 or 8 bytes inside one 64-bit register. */
static bool hpet_access_ok(struct hpet *h, uint64_t offset, unsigned size)
{
	if ((size == 1 || size == 2 || size == 4 || size == 8) && (offset & 7) + size <= 8)
		return true;
	if (log_ratelimit_ok(&h->rl, 5))
		LOG(h->m->log, LOG_WARN, "hpet", "%u-byte access at offset 0x%llx straddles a register",
		    size, (unsigned long long)offset);
	return false;
}

static uint64_t hpet_mmio_read(void *opaque, uint64_t offset, unsigned size)
{
	struct hpet *h = opaque;
	uint64_t now, v;
	unsigned shift = (unsigned)(offset & 7) * 8;

	if (!hpet_access_ok(h, offset, size))
		return ~0ULL;
	pthread_mutex_lock(&h->lock);
	now = h->now_ns(h->now_opaque);
	hpet_eval(h, now);
	v = hpet_reg_read(h, offset & ~7ULL, now) >> shift;
	pthread_mutex_unlock(&h->lock);
	return size == 8 ? v : v & ((1ULL << (8 * size)) - 1);
}

static void hpet_mmio_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
	struct hpet *h = opaque;
	uint64_t now, mask;
	unsigned shift = (unsigned)(offset & 7) * 8;

	if (!hpet_access_ok(h, offset, size))
		return;
	mask = (size == 8 ? ~0ULL : (1ULL << (8 * size)) - 1) << shift;
	pthread_mutex_lock(&h->lock);
	now = h->now_ns(h->now_opaque);
	hpet_eval(h, now);
	hpet_reg_write(h, offset & ~7ULL, value << shift, mask, now);
	hpet_update_lines(h);
	hpet_arm(h, now);
	pthread_mutex_unlock(&h->lock);
}

static const struct io_ops hpet_io_ops = {
	.read = hpet_mmio_read,
	.write = hpet_mmio_write,
};

/* Power-on values: halted at 0, timers off, comparators all ones. */
static void hpet_reset(void *opaque)
{
	struct hpet *h = opaque;

	pthread_mutex_lock(&h->lock);
	h->config = 0;
	h->status = 0;
	h->count = 0;
	h->origin = 0;
	h->last = 0;
	for (unsigned n = 0; n < HPET_TIMERS; n++) {
		h->t[n].config = 0;
		h->t[n].cmp = ~0ULL;
		h->t[n].period = 0;
		h->t[n].fsb = 0;
		h->t[n].cu = (struct intc_catchup){0};
	}
	hpet_update_lines(h);
	if (h->timer)
		timer_del(h->timer);
	pthread_mutex_unlock(&h->lock);
}

static void hpet_save(void *opaque, struct state_writer *w)
{
	struct hpet *h = opaque;
	uint64_t now;

	pthread_mutex_lock(&h->lock);
	now = h->now_ns(h->now_opaque);
	hpet_eval(h, now);
	sw_u64(w, h->config);
	sw_u64(w, h->status);
	sw_u64(w, hpet_counter(h, now));
	for (unsigned n = 0; n < HPET_TIMERS; n++) {
		sw_u64(w, h->t[n].config);
		sw_u64(w, h->t[n].cmp);
		sw_u64(w, h->t[n].period);
		sw_u64(w, h->t[n].fsb);
	}
	pthread_mutex_unlock(&h->lock);
}

static void hpet_load(void *opaque, struct state_reader *r, uint32_t version)
{
	struct hpet *h = opaque;
	struct hpet_timer t[HPET_TIMERS];
	uint64_t config, status, count, now;

	if (version != HPET_STATE_VERSION) {
		sr_fail(r, "hpet: unsupported state version %u", version);
		return;
	}
	config = sr_u64(r);
	status = sr_u64(r);
	count = sr_u64(r);
	for (unsigned n = 0; n < HPET_TIMERS; n++) {
		t[n].config = sr_u64(r);
		t[n].cmp = sr_u64(r);
		t[n].period = sr_u64(r);
		t[n].fsb = sr_u64(r);
	}
	if (!sr_ok(r))
		return;
	if (config & ~(uint64_t)(HPET_CFG_ENABLE | HPET_CFG_LEGACY) ||
	    status >> HPET_TIMERS) {
		sr_fail(r, "hpet: configuration 0x%llx / status 0x%llx has undefined bits",
			(unsigned long long)config, (unsigned long long)status);
		return;
	}
	for (unsigned n = 0; n < HPET_TIMERS; n++) {
		if (t[n].config & ~(uint64_t)HPET_TN_WRITABLE) {
			sr_fail(r, "hpet: timer %u configuration 0x%llx has undefined bits", n,
				(unsigned long long)t[n].config);
			return;
		}
	}

	pthread_mutex_lock(&h->lock);
	now = h->now_ns(h->now_opaque);
	h->config = config;
	h->status = status;
	h->count = count;
	h->origin = now;
	h->last = count;
	for (unsigned n = 0; n < HPET_TIMERS; n++) {
		t[n].gsi = h->t[n].gsi;
		h->t[n] = t[n];
	}
	hpet_update_lines(h);
	hpet_arm(h, now);
	pthread_mutex_unlock(&h->lock);
}

static void hpet_destroy(void *opaque)
{
	struct hpet *h = opaque;

	if (h->timer)
		timer_free(h->timer);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

static const struct device_ops hpet_device_ops = {
	.type = "hpet",
	.state_version = HPET_STATE_VERSION,
	.reset = hpet_reset,
	.save = hpet_save,
	.load = hpet_load,
	.destroy = hpet_destroy,
};

void hpet_set_clock(struct hpet *h, uint64_t (*now_ns)(void *opaque), void *opaque)
{
	pthread_mutex_lock(&h->lock);
	h->now_ns = now_ns ? now_ns : hpet_machine_clock;
	h->now_opaque = now_ns ? opaque : h->m;
	pthread_mutex_unlock(&h->lock);
}

int hpet_create(struct machine *m, struct hpet **out)
{
	struct hpet *h = calloc(1, sizeof *h);
	int ret;

	if (out)
		*out = NULL;
	if (!h)
		return -ENOMEM;
	h->m = m;
	h->now_ns = hpet_machine_clock;
	h->now_opaque = m;
	h->late_ns = intc_debug_late_ns();
	h->ext_id = -1;
	pthread_mutex_init(&h->lock, NULL);
	for (unsigned g = 0; g < HPET_GSIS; g++)
		irq_line_init(&h->lines[g], m, g);
	for (unsigned n = 0; n < HPET_TIMERS; n++)
		h->t[n].gsi = -1;
	if (m->loop) {
		h->timer = timer_new(m->loop, hpet_timer_fire, h);
		if (!h->timer) {
			pthread_mutex_destroy(&h->lock);
			free(h);
			return -ENOMEM;
		}
	}
	hpet_reset(h);
	ret = bus_register(&m->mmio, HPET_BASE, HPET_SIZE, &hpet_io_ops, h, "hpet");
	if (ret) {
		if (h->timer)
			timer_free(h->timer);
		pthread_mutex_destroy(&h->lock);
		free(h);
		return ret;
	}
	ret = machine_add_device(m, &hpet_device_ops, h, "hpet");
	if (ret) {
		bus_unregister(&m->mmio, HPET_BASE, h);
		hpet_destroy(h);
		return ret;
	}
	/* Owned by the machine from here on. */
	ret = intc_add_ack_notifier(m, (1u << 0) | (1u << 8) | HPET_ROUTE_CAP, hpet_acked, h);
	if (ret)
		return ret;
	ret = intc_add_ext_timer(m, hpet_ext_poll, h);
	if (ret < 0 && ret != -ENODEV)
		return ret;
	pthread_mutex_lock(&h->lock);
	h->ext_id = ret;
	pthread_mutex_unlock(&h->lock);
	if (out)
		*out = h;
	return 0;
}
