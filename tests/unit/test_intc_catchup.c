/*
 * Late PIT and HPET ticks (src/hw/intc/catchup.c): ticks the host kept
 * from the guest (the loop timer ran late, the vCPU did not run) reach
 * the CPU one per handler run (the next at its EOI); ticks the guest kept waiting while it
 * ran (IF=0) merge as on hardware (one IRR bit); masked ones leave one
 * latched request; at most 0.5 s of ticks are owed.
 *
 * "Running" is intc_cpu_running(), which the emulator calls at every event
 * check whatever IF: the tests call it every 100 us of fake time while
 * the guest runs, and not at all while the host keeps it from running.
 * Expected counts come from the periods (8254 datasheet: mode 2 raises OUT
 * every N clocks of 1.193182 MHz; HPET 1.0a: a periodic comparator
 * matches every period of the 100 MHz counter), not from our output.
 */
#include "test_intc_fixture.h"

#include "hw/intc/intc_priv.h"
#include "hw/pc/hpet.h"

#define US 1000ULL
#define MS 1000000ULL

struct rig {
	struct intc_fix *f;
	struct hpet *h;         /* NULL: PIT only */
	uint8_t vec;            /* the tick's vector */
	bool lapic_eoi;         /* EOI at the LAPIC, else at the master 8259 */
	unsigned other;         /* vectors that were not the tick */
};

/* Takes every interrupt the CPU would take now (IF=1), with an EOI after
 * each; returns how many were the tick. */
static unsigned take(struct rig *r)
{
	unsigned n = 0;

	for (unsigned guard = 0; guard < 100000 && intc_irq_pending(&r->f->m, 0); guard++) {
		int v = intc_irq_ack(&r->f->m, 0);
		if (r->lapic_eoi)
			apic_w(r->f, 0, 0xb0, 0);
		else
			outb(r->f, 0x20, 0x20);
		if (v == r->vec)
			n++;
		else
			r->other++;
	}
	return n;
}

static void poll_all(struct rig *r)
{
	intc_poll_timers(&r->f->m);
	if (r->h)
		hpet_poll(r->h);
}

/* The guest runs for `ns` (event checks every 100 us), taking its
 * interrupts if `if1`; returns the ticks taken. */
static unsigned run(struct rig *r, uint64_t ns, bool if1)
{
	unsigned n = 0;

	for (uint64_t t = 0; t < ns; t += 100 * US) {
		r->f->now += 100 * US;
		intc_cpu_running(&r->f->m, 0);
		poll_all(r);
		if (if1)
			n += take(r);
	}
	return n;
}

/* The host keeps the guest from running for `ns`: the loop timers run late,
 * once, at the end. */
static void stall(struct rig *r, uint64_t ns)
{
	r->f->now += ns;
	poll_all(r);
}

/* PIC mode as early Linux has it: vectors 0x30/0x38, only IRQ 0 unmasked,
 * the LAPIC software-disabled (the PIC reaches CPU 0 directly); channel 0
 * in mode 2 with `count`. */
static bool rig_pit(struct rig *r, uint16_t count)
{
	*r = (struct rig){ .f = fix_new(1), .vec = 0x30 };
	if (!r->f)
		return false;
	fix_pic_init_linux(r->f, 0xfe, 0xff);
	outb(r->f, 0x43, 0x34);
	outb(r->f, 0x40, count & 0xff);
	outb(r->f, 0x40, count >> 8);
	intc_cpu_running(&r->f->m, 0);
	return true;
}

/* Periods of the 8254 in mode 2 with count N: OUT rises every N clocks. */
static uint64_t pit_edges(uint64_t ns, uint16_t count)
{
	return (uint64_t)((unsigned __int128)ns * 1193182 / 1000000000ULL) / count;
}

TEST(intc_pit_late_ticks_reach_the_cpu_one_per_ack)
{
	struct rig r;

	REQUIRE(rig_pit(&r, 4773));             /* 4.0002 ms: HZ 250 */
	/* The host stalls us for 14 ms: 3 periods passed, 3 ticks. */
	stall(&r, 14 * MS);
	CHECK_EQ(pit_edges(14 * MS, 4773), 3);
	CHECK_EQ(take(&r), 3);
	/* Running with IF=1 from here: one tick per period, none doubled. */
	CHECK_EQ(run(&r, 26 * MS, true), pit_edges(40 * MS, 4773) - 3);
	/* Only one tick is in IRR at a time: the second waits for the
	 * handler of the first to be done (its EOI). */
	stall(&r, 12 * MS);
	CHECK(intc_irq_pending(&r.f->m, 0));
	CHECK_EQ(intc_irq_ack(&r.f->m, 0), 0x30);
	CHECK_EQ(r.f->m.intc->pic.chip[0].irr & 1, 0);   /* none while it runs */
	outb(r.f, 0x20, 0x20);
	CHECK_EQ(r.f->m.intc->pic.chip[0].irr & 1, 1);   /* the next, raised at the EOI */
	CHECK_EQ(take(&r), pit_edges(52 * MS, 4773) - pit_edges(40 * MS, 4773) - 1);
	CHECK_EQ(r.other, 0);
	fix_free(r.f);
}

TEST(intc_pit_ticks_merge_while_the_guest_runs_with_if0)
{
	struct rig r;

	REQUIRE(rig_pit(&r, 4773));
	/* 20 ms of running with interrupts disabled: 5 ticks fell due and
	 * the PIC's one IRR bit holds them as one, as on hardware. */
	CHECK_EQ(run(&r, 20 * MS, false), 0);
	CHECK_EQ(take(&r), 1);
	/* 20 ms with IF=0 again, then the host stalls us for 20 ms: the
	 * ticks due while the guest ran merge, those due while it could not
	 * run (5) are owed. */
	CHECK_EQ(run(&r, 20 * MS, false), 0);
	stall(&r, 20 * MS);
	CHECK_EQ(take(&r), 1 + 5);
	CHECK_EQ(r.other, 0);
	fix_free(r.f);
}

TEST(intc_pit_masked_ticks_leave_one_request)
{
	struct rig r;

	REQUIRE(rig_pit(&r, 4773));
	/* IRQ 0 masked for 20 ms while the host stalls us: nothing is owed;
	 * the 8259 latched one request in IRR, taken at the unmask. */
	outb(r.f, 0x21, 0xff);
	stall(&r, 20 * MS);
	CHECK_EQ(take(&r), 0);
	outb(r.f, 0x21, 0xfe);
	CHECK_EQ(take(&r), 1);
	CHECK_EQ(r.f->m.intc->pit.cu.owed, 0);
	fix_free(r.f);
}

TEST(intc_pit_catch_up_is_bounded)
{
	struct rig r;
	uint64_t period = 11932ULL * 1000000000ULL / 1193182;   /* 10.00015 ms */
	uint64_t kept = 500 * MS / period;                        /* 49 owed */

	REQUIRE(rig_pit(&r, 11932));
	/* Stopped for 2 s: the tick due now and those of the last 0.5 s. */
	stall(&r, 2000 * MS);
	CHECK_EQ(take(&r), 1 + kept);
	CHECK_EQ(r.f->m.intc->pit.cu.dropped, pit_edges(2000 * MS, 11932) - 1 - kept);
	/* Back on the grid: the next tick one period after the last due. */
	CHECK_EQ(run(&r, 10 * MS, true), pit_edges(2010 * MS, 11932) - pit_edges(2000 * MS, 11932));
	fix_free(r.f);
}

/* A jiffies clock on a starved vCPU: Linux's check_timer() spins with IF=1
 * on the TSC for 10 ticks' worth and wants more than 4. The vCPU gets 1 ms
 * of every 10 (the rest of the time other host threads run) and the loop
 * timer fires 3 ms late: still one tick per period of guest time. */
static unsigned starved(struct rig *r, uint64_t total)
{
	unsigned n = 0;

	for (uint64_t t = 0; t < total; t += 10 * MS) {
		stall(r, 9 * MS);
		n += take(r);
		n += run(r, 1 * MS, true);
	}
	return n;
}

TEST(intc_pit_starved_vcpu_counts_every_tick)
{
	struct rig r;

	REQUIRE(rig_pit(&r, 4773));
	CHECK_EQ(starved(&r, 1000 * MS), pit_edges(1000 * MS, 4773));
	fix_free(r.f);
}

/* Linux with the IOAPIC: PIC masked, LAPIC on, the HPET in legacy
 * replacement (timer 0 -> IRQ 0 -> IOAPIC pin 2, edge, vector 0x30), timer
 * 0 periodic every `period` HPET ticks (10 ns), in 32-bit mode as Linux
 * sets it up. */
static bool rig_hpet(struct rig *r, unsigned timer, uint32_t period)
{
	*r = (struct rig){ .f = fix_new(1), .vec = 0x30, .lapic_eoi = true };
	if (!r->f)
		return false;
	if (hpet_create(&r->f->m, &r->h)) {
		fix_free(r->f);
		return false;
	}
	hpet_set_clock(r->h, fix_clock, r->f);
	fix_pic_init_linux(r->f, 0xff, 0xff);
	apic_w(r->f, 0, 0xf0, 0x1ff);
	unsigned pin = timer == 0 ? 2 : 20;
	ioapic_w(r->f, 0x10 + 2 * pin, r->vec);
	ioapic_w(r->f, 0x11 + 2 * pin, 0);
	mmio_w32(r->f, HPET_BASE + HPET_REG_TIMER(timer),
		 HPET_TN_INT_ENABLE | HPET_TN_PERIODIC | HPET_TN_VAL_SET | HPET_TN_32BIT |
			 (timer == 0 ? 0 : 20u << HPET_TN_ROUTE_SHIFT));
	mmio_w32(r->f, HPET_BASE + HPET_REG_CMP(timer), period);
	mmio_w32(r->f, HPET_BASE + HPET_REG_CMP(timer), period);
	mmio_w32(r->f, HPET_BASE + HPET_REG_CONFIG,
		 HPET_CFG_ENABLE | (timer == 0 ? HPET_CFG_LEGACY : 0));
	intc_cpu_running(&r->f->m, 0);
	return true;
}

static void rig_free(struct rig *r)
{
	fix_free(r->f);
}

TEST(dev_hpet_late_ticks_reach_the_cpu_one_per_ack)
{
	struct rig r;

	/* Legacy replacement, 4 ms: 3.5 periods of stall give 3 ticks. */
	REQUIRE(rig_hpet(&r, 0, 400000));
	stall(&r, 14 * MS);
	CHECK_EQ(take(&r), 3);
	CHECK_EQ(run(&r, 26 * MS, true), 10 - 3);
	CHECK_EQ(r.other, 0);
	rig_free(&r);
	/* Timer 2 routed to IOAPIC pin 20 (no legacy replacement), 1 ms. */
	REQUIRE(rig_hpet(&r, 2, 100000));
	stall(&r, 7500 * US);
	CHECK_EQ(take(&r), 7);
	CHECK_EQ(run(&r, 2500 * US, true), 3);
	CHECK_EQ(r.other, 0);
	rig_free(&r);
}

TEST(dev_hpet_ticks_merge_while_the_guest_runs_with_if0)
{
	struct rig r;

	REQUIRE(rig_hpet(&r, 0, 400000));
	/* 40 ms with IF=0: the ten ticks are one in the LAPIC's IRR. */
	CHECK_EQ(run(&r, 40 * MS, false), 0);
	CHECK_EQ(take(&r), 1);
	/* IF=0 for 20 ms, then the host stalls us for 20 ms: 5 owed. */
	CHECK_EQ(run(&r, 20 * MS, false), 0);
	stall(&r, 20 * MS);
	CHECK_EQ(take(&r), 1 + 5);
	/* Pin 2 masked at the IOAPIC during a stall: nothing owed, nothing
	 * latched (an edge on a masked IOAPIC pin is dropped). */
	ioapic_w(r.f, 0x14, 0x10000 | r.vec);
	stall(&r, 20 * MS);
	ioapic_w(r.f, 0x14, r.vec);
	CHECK_EQ(take(&r), 0);
	CHECK_EQ(run(&r, 4 * MS, true), 1);
	CHECK_EQ(r.other, 0);
	rig_free(&r);
}

TEST(dev_hpet_starved_vcpu_counts_every_tick)
{
	struct rig r;

	REQUIRE(rig_hpet(&r, 0, 400000));
	CHECK_EQ(starved(&r, 1000 * MS), 250);
	rig_free(&r);
}

TEST(intc_lapic_ticks_merge_while_the_guest_runs_with_if0)
{
	struct rig r = { .f = fix_new(1), .vec = 0x40, .lapic_eoi = true };

	REQUIRE(r.f);
	apic_w(r.f, 0, 0xf0, 0x1ff);
	apic_w(r.f, 0, 0x3e0, 0x0b);                    /* divide by 1: 1 count = 1 ns */
	apic_w(r.f, 0, 0x320, 0x20040);                 /* periodic, vector 0x40 */
	apic_w(r.f, 0, 0x380, 4000000);                 /* 4 ms */
	intc_cpu_running(&r.f->m, 0);
	CHECK_EQ(run(&r, 40 * MS, false), 0);
	CHECK_EQ(take(&r), 1);
	CHECK_EQ(run(&r, 20 * MS, false), 0);
	stall(&r, 20 * MS);
	CHECK_EQ(take(&r), 1 + 5);
	CHECK_EQ(starved(&r, 1000 * MS), 250);
	fix_free(r.f);
}

/* The guest runs for `ns` with IF=1 and no event loop at all: only its own
 * event checks (intc_cpu_running) run the timers. */
static unsigned run_cpu_only(struct rig *r, uint64_t ns)
{
	unsigned n = 0;

	for (uint64_t t = 0; t < ns; t += 100 * US) {
		r->f->now += 100 * US;
		intc_cpu_running(&r->f->m, 0);
		n += take(r);
	}
	return n;
}

TEST(intc_running_cpu_raises_due_ticks_itself)
{
	struct rig r;

	/* However late the event loop, a running CPU sees every tick: the
	 * PIT, the HPET (an external timer of the interrupt hardware) and
	 * its own LAPIC timer. */
	REQUIRE(rig_pit(&r, 4773));
	CHECK_EQ(run_cpu_only(&r, 100 * MS), pit_edges(100 * MS, 4773));
	fix_free(r.f);
	REQUIRE(rig_hpet(&r, 0, 400000));
	CHECK_EQ(run_cpu_only(&r, 100 * MS), 25);
	rig_free(&r);
	r = (struct rig){ .f = fix_new(1), .vec = 0x40, .lapic_eoi = true };
	REQUIRE(r.f);
	apic_w(r.f, 0, 0xf0, 0x1ff);
	apic_w(r.f, 0, 0x3e0, 0x0b);
	apic_w(r.f, 0, 0x320, 0x20040);
	apic_w(r.f, 0, 0x380, 4000000);
	CHECK_EQ(run_cpu_only(&r, 100 * MS), 25);
	fix_free(r.f);
}

TEST(intc_debug_late_knob_delays_ticks_and_loses_none)
{
	struct rig r;

	/* NYX_DEBUG_TIMER_LATE_US=3000: each 4 ms tick comes 3 ms after it
	 * is due, from the loop and from the running CPU alike; in 1 s the
	 * ticks due up to 997 ms arrive, k * 4 ms + 3 ms <= 1000 ms: 249. */
	setenv("NYX_DEBUG_TIMER_LATE_US", "3000", 1);
	bool ok = rig_hpet(&r, 0, 400000);
	unsetenv("NYX_DEBUG_TIMER_LATE_US");
	REQUIRE(ok);
	CHECK_EQ(run_cpu_only(&r, 6900 * US), 0);
	CHECK_EQ(run_cpu_only(&r, 100 * US), 1);
	CHECK_EQ(run_cpu_only(&r, 993 * MS), 248);
	rig_free(&r);
}

/* Ticks taken by CPU `cpu` (IF=1), with an EOI at its LAPIC after each. */
static unsigned take_on(struct intc_fix *f, unsigned cpu, uint8_t vec)
{
	unsigned n = 0;

	for (unsigned guard = 0; guard < 100000 && intc_irq_pending(&f->m, cpu); guard++) {
		if (intc_irq_ack(&f->m, cpu) == vec)
			n++;
		apic_w(f, cpu, 0xb0, 0);
	}
	return n;
}

TEST(dev_hpet_catch_up_follows_the_cpu_that_takes_the_ticks)
{
	struct intc_fix *f = fix_new(2);
	struct hpet *h;

	REQUIRE(f);
	REQUIRE(hpet_create(&f->m, &h) == 0);
	hpet_set_clock(h, fix_clock, f);
	fix_pic_init_linux(f, 0xff, 0xff);
	apic_w(f, 0, 0xf0, 0x1ff);
	apic_w(f, 1, 0xf0, 0x1ff);
	ioapic_w(f, 0x14, 0x30);                        /* pin 2: vector 0x30 ... */
	ioapic_w(f, 0x15, 1u << 24);                    /* ... to APIC ID 1 */
	mmio_w32(f, HPET_BASE + HPET_REG_TIMER(0),
		 HPET_TN_INT_ENABLE | HPET_TN_PERIODIC | HPET_TN_VAL_SET | HPET_TN_32BIT);
	mmio_w32(f, HPET_BASE + HPET_REG_CMP(0), 400000);
	mmio_w32(f, HPET_BASE + HPET_REG_CMP(0), 400000);
	mmio_w32(f, HPET_BASE + HPET_REG_CONFIG, HPET_CFG_ENABLE | HPET_CFG_LEGACY);
	/* CPU 1 takes the first tick. */
	f->now += 4 * MS;
	hpet_poll(h);
	CHECK_EQ(take_on(f, 1, 0x30), 1);
	CHECK_EQ(take_on(f, 0, 0x30), 0);
	/* CPU 1 runs 20 ms with IF=0 while CPU 0 is stalled: CPU 1 kept its
	 * ticks waiting, they merge. */
	for (unsigned i = 0; i < 200; i++) {
		f->now += 100 * US;
		intc_cpu_running(&f->m, 1);
		hpet_poll(h);
	}
	CHECK_EQ(take_on(f, 1, 0x30), 1);
	/* Now CPU 1 is stalled 20 ms while CPU 0 runs: CPU 1 could not take
	 * them, so the 5 ticks are owed to it. */
	for (unsigned i = 0; i < 200; i++) {
		f->now += 100 * US;
		intc_cpu_running(&f->m, 0);
		hpet_poll(h);
	}
	CHECK_EQ(take_on(f, 1, 0x30), 5);
	CHECK_EQ(take_on(f, 0, 0x30), 0);
	fix_free(f);
}

/* tests/guest/irq64.c's handlers for a periodic source on the LAPIC: take
 * what is pending; each r->vec taken counts, and at the `stop`th the
 * handler stops its source with `mask` before its LAPIC EOI. */
static void take_masking(struct rig *r, unsigned *count, unsigned stop,
			 void (*mask)(struct rig *r))
{
	for (unsigned guard = 0; guard < 1000 && intc_irq_pending(&r->f->m, 0); guard++) {
		if (intc_irq_ack(&r->f->m, 0) == r->vec) {
			if (++*count == stop)
				mask(r);
		} else {
			r->other++;
		}
		apic_w(r->f, 0, 0xb0, 0);
	}
}

/* The guest takes what is pending now, then runs on with IF=1 for `ns`
 * (100 us steps, every source polled), taking what comes the same way. */
static void run_masking(struct rig *r, unsigned *count, unsigned stop,
			void (*mask)(struct rig *r), uint64_t ns)
{
	take_masking(r, count, stop, mask);
	for (uint64_t t = 0; t < ns; t += 100 * US) {
		r->f->now += 100 * US;
		intc_cpu_running(&r->f->m, 0);
		poll_all(r);
		take_masking(r, count, stop, mask);
	}
}

/* irq64's IOAPIC part: the PIT on pin 2 (edge, vector 0x30) masked. */
static void mask_pin2(struct rig *r)
{
	ioapic_w(r->f, 0x14, 0x10000 | 0x30);
}

/* Masking a pin stops its ticks (82093AA: a masked pin's edges are
 * ignored); a tick accepted before the mask is the guest's, but an owed
 * one is not a tick the pin sent yet, and on hardware the next would come
 * a period after the one the handler is in. */
TEST(intc_pit_owed_ticks_end_when_the_handler_masks_the_pin)
{
	struct rig r = { .f = fix_new(1), .vec = 0x30, .lapic_eoi = true };
	unsigned count = 0;

	REQUIRE(r.f);
	fix_pic_init_linux(r.f, 0xff, 0xff);
	apic_w(r.f, 0, 0xf0, 0x1ff);
	ioapic_w(r.f, 0x14, 0x30);
	ioapic_w(r.f, 0x15, 0);
	outb(r.f, 0x43, 0x34);
	outb(r.f, 0x40, 4773 & 0xff);           /* 4.0002 ms */
	outb(r.f, 0x40, 4773 >> 8);
	intc_cpu_running(&r.f->m, 0);
	/* Stalled 22 ms: 5 periods, one in and 4 owed. */
	stall(&r, 22 * MS);
	CHECK_EQ(pit_edges(22 * MS, 4773), 5);
	run_masking(&r, &count, 3, mask_pin2, 40 * MS);
	CHECK_EQ(count, 3);
	CHECK_EQ(r.other, 0);
	fix_free(r.f);
}

/* Linux's 8259 code (mask_and_ack_8259A, then the handler, then unmask):
 * IMR bit set, specific EOI, handler, IMR bit clear. Returns the ticks. */
static unsigned take_mask_ack(struct rig *r)
{
	unsigned n = 0;

	for (unsigned guard = 0; guard < 1000 && intc_irq_pending(&r->f->m, 0); guard++) {
		int v = intc_irq_ack(&r->f->m, 0);

		outb(r->f, 0x21, 0xff);
		outb(r->f, 0x20, 0x60 | (v & 7));        /* specific EOI */
		if (v == 0x30)
			n++;
		else
			r->other++;
		outb(r->f, 0x21, 0xfe);
	}
	return n;
}

/* A masked 8259 input still latches an edge in IRR (8259A datasheet: IMR
 * inhibits the request, not the edge's latching), so the owed tick raised
 * at the EOI while the handler holds IRQ 0 masked reaches it at the
 * unmask: every tick of the stall arrives, one per handler run. */
TEST(intc_pit_owed_ticks_reach_linux_mask_and_ack_handlers)
{
	struct rig r;
	unsigned n = 0;

	REQUIRE(rig_pit(&r, 4773));
	stall(&r, 14 * MS);                     /* 3 periods */
	CHECK_EQ(take_mask_ack(&r), 3);
	for (uint64_t t = 0; t < 26 * MS; t += 100 * US) {
		r.f->now += 100 * US;
		intc_cpu_running(&r.f->m, 0);
		poll_all(&r);
		n += take_mask_ack(&r);
	}
	CHECK_EQ(n, pit_edges(40 * MS, 4773) - 3);
	CHECK_EQ(r.other, 0);
	rig_free(&r);
}

/* irq64's LAPIC timer part: the LVT timer entry masked (periodic, 0x40). */
static void mask_lvt_timer(struct rig *r)
{
	apic_w(r->f, 0, 0x320, 0x30040);
}

/* SDM Vol. 3 10.5.1: the LVT mask bit inhibits the timer's interrupts. A
 * tick owed to a late CPU that the handler of the one before masks is
 * one the timer would have sent a period later: the guest does not get it. */
TEST(intc_lapic_owed_ticks_end_when_the_handler_masks_the_lvt)
{
	struct rig r = { .f = fix_new(1), .vec = 0x40, .lapic_eoi = true };
	unsigned count = 0;

	REQUIRE(r.f);
	apic_w(r.f, 0, 0xf0, 0x1ff);
	apic_w(r.f, 0, 0x3e0, 0x0b);                    /* divide by 1: 1 count = 1 ns */
	apic_w(r.f, 0, 0x320, 0x20040);                 /* periodic, vector 0x40 */
	apic_w(r.f, 0, 0x380, 4000000);                 /* 4 ms */
	intc_cpu_running(&r.f->m, 0);
	stall(&r, 22 * MS);                             /* 5 periods: one in, 4 owed */
	run_masking(&r, &count, 3, mask_lvt_timer, 40 * MS);
	CHECK_EQ(count, 3);
	CHECK_EQ(r.other, 0);
	fix_free(r.f);
}
