/*
 * Periodic LAPIC timer ticks that come late (the loop thread or the vCPU
 * got the host CPU late): a kernel counting its ticks must still see one
 * interrupt per period in the end, never two merged and never one
 * doubled; ticks beyond the catch-up bound (0.5 s) and masked ticks are
 * dropped. See the design note in src/hw/intc/lapic.c.
 */
#include "test_intc_fixture.h"

/* Takes whatever the CPU would take now; returns how many timer ticks. */
static unsigned take_ticks(struct intc_fix *f, uint8_t vec)
{
	unsigned n = 0;

	while (intc_irq_pending(&f->m, 0)) {
		CHECK_EQ(intc_irq_ack(&f->m, 0), vec);
		/* The ack may raise the next owed tick (it waits in IRR
		 * behind this one's ISR bit until the EOI). */
		apic_w(f, 0, 0xb0, 0);
		n++;
		if (n > 100000)
			break;
	}
	return n;
}

TEST(intc_lapic_late_periodic_ticks_are_delivered_not_merged)
{
	struct intc_fix *f = fix_new(1);
	REQUIRE(f);
	apic_w(f, 0, 0xf0, 0x1ff);
	apic_w(f, 0, 0x3e0, 0x0b);                      /* divide by 1: 1 count = 1 ns */
	apic_w(f, 0, 0x320, 0x20040);                   /* periodic, vector 0x40 */
	apic_w(f, 0, 0x380, 4000000);                   /* 4 ms, HZ=250 */
	/* The loop timer runs 3.5 periods late: 3 ticks are owed. */
	fix_advance(f, 14000000);
	CHECK_EQ(apic_r(f, 0, 0x200 + 0x10 * (0x40 / 32)) >> (0x40 % 32) & 1, 1);
	CHECK_EQ(take_ticks(f, 0x40), 3);
	/* The grid is kept: the 4th tick is due at 16 ms, not 4 ms after the
	 * catch-up. */
	fix_advance(f, 1999999);
	CHECK_EQ(take_ticks(f, 0x40), 0);
	fix_advance(f, 1);
	CHECK_EQ(take_ticks(f, 0x40), 1);
	/* The CPU does not run for 10 periods (no intc_cpu_running: the host
	 * kept it from running): the tick sits in IRR and the others wait,
	 * then all 10 come. test_intc_catchup.c has the CPU that runs with
	 * interrupts off, whose ticks merge. */
	for (unsigned i = 0; i < 10; i++)
		fix_advance(f, 4000000);
	CHECK_EQ(take_ticks(f, 0x40), 10);
	/* 2 s late: only ticks due at most 0.5 s ago are delivered, those at
	 * now - 0.5 s, now - 0.496 s, ..., now: 126. */
	fix_advance(f, 2000000000);
	CHECK_EQ(take_ticks(f, 0x40), 126);
	/* Masked for 5 periods: those are gone, and unmasking brings none. */
	apic_w(f, 0, 0x320, 0x30040);
	fix_advance(f, 20000000);
	apic_w(f, 0, 0x320, 0x20040);
	CHECK_EQ(take_ticks(f, 0x40), 0);
	fix_advance(f, 4000000);
	CHECK_EQ(take_ticks(f, 0x40), 1);
	fix_free(f);
}

TEST(intc_lapic_late_ticks_count_guest_time)
{
	/* A jiffies clock: 1 s of guest time in irregular late steps (up to
	 * 3 periods late) gives exactly HZ ticks. */
	struct intc_fix *f = fix_new(1);
	REQUIRE(f);
	apic_w(f, 0, 0xf0, 0x1ff);
	apic_w(f, 0, 0x3e0, 0x03);                      /* divide by 16 */
	apic_w(f, 0, 0x320, 0x200ef);
	apic_w(f, 0, 0x380, 250000);                    /* 4 ms at 62.5 MHz */
	static const uint64_t steps[] = { 13000000, 700000, 9100000, 4000000, 300000 };
	uint64_t done = 0;
	unsigned ticks = 0;
	for (unsigned i = 0; done + steps[i % 5] <= 1000000000; i++) {
		fix_advance(f, steps[i % 5]);
		done += steps[i % 5];
		ticks += take_ticks(f, 0xef);
	}
	fix_advance(f, 1000000000 - done);
	ticks += take_ticks(f, 0xef);
	CHECK_EQ(ticks, 250);
	fix_free(f);
}
