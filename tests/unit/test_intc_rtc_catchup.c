/*
 * Late RTC periodic interrupts (src/hw/pc/rtc.c on src/hw/intc/catchup.c)
 * and the 8259's poll mode as an acknowledgement.
 *
 * The guest is a PIC-mode kernel counting RTC periodic interrupts for
 * time: IRQ 8 on the slave 8259 (vector 0x38), its handler reads register
 * C (which clears IRQF and drops IRQ 8) and sends EOIs to both 8259s.
 * Periods the host kept from it (the vCPU did not run) must each reach it,
 * one per handler run; periods it kept waiting itself while running
 * (IF=0, C unread) merge into IRQF as on the chip; at most 0.5 s of them
 * are owed.
 *
 * Expected counts come from the MC146818A datasheet's rate table (RS3-0 =
 * 1001: 128 Hz, a period of 7.8125 ms of the 32.768 kHz time base; PF and
 * IRQF semantics) and the 8259A's poll command (OCW3 with P=1: the next
 * read of the command port returns 0x80 | level and acts as INTA), not
 * from our output. "Running" is intc_cpu_running() every 100 us of fake
 * time, as in test_intc_catchup.c.
 */
#include "test_intc_fixture.h"

#include "hw/intc/intc_priv.h"
#include "hw/pc/rtc.h"

#define US 1000ULL
#define MS 1000000ULL
#define RTC_P 7812500ULL        /* RS = 9: 128 Hz */

struct rig {
	struct intc_fix *f;
	struct rtc *rtc;
	uint64_t t0;            /* the divider's phase origin */
	unsigned other;         /* interrupts that were not IRQ 8 */
};

static bool rig_init(struct rig *r)
{
	*r = (struct rig){ .f = fix_new(1) };
	if (!r->f)
		return false;
	if (rtc_create(&r->f->m, &r->rtc)) {
		fix_free(r->f);
		return false;
	}
	/* The divider restarts here: periodic boundaries every RTC_P. */
	rtc_set_clock(r->rtc, fix_clock, r->f);
	r->t0 = r->f->now;
	fix_pic_init_linux(r->f, 0xfb, 0xfe);  /* cascade and IRQ 8 open */
	outb(r->f, 0x70, 0x0A);
	outb(r->f, 0x71, 0x29);                 /* 32.768 kHz, RS = 9 */
	outb(r->f, 0x70, 0x0B);
	outb(r->f, 0x71, 0x42);                 /* PIE, 24 h, BCD */
	intc_cpu_running(&r->f->m, 0);
	return true;
}

/* Periodic boundaries in (t0, t0 + ns]. */
static uint64_t periods(uint64_t ns)
{
	return ns / RTC_P;
}

static uint8_t read_c(struct rig *r)
{
	outb(r->f, 0x70, 0x0C);
	return inb(r->f, 0x71);
}

/* The handler for every interrupt the CPU would take now (IF=1): INTA,
 * read C, EOI slave and master. Returns how many were IRQ 8 with IRQF. */
static unsigned take(struct rig *r)
{
	unsigned n = 0;

	for (unsigned guard = 0; guard < 100000 && intc_irq_pending(&r->f->m, 0); guard++) {
		int v = intc_irq_ack(&r->f->m, 0);

		if (v == 0x38 && (read_c(r) & 0xC0) == 0xC0)
			n++;
		else
			r->other++;
		outb(r->f, 0xA0, 0x20);
		outb(r->f, 0x20, 0x20);
	}
	return n;
}

/* The guest runs for `ns`, event checks every 100 us (the RTC's loop
 * timer on time too), taking interrupts if `if1`. */
static unsigned run(struct rig *r, uint64_t ns, bool if1)
{
	unsigned n = 0;

	for (uint64_t t = 0; t < ns; t += 100 * US) {
		r->f->now += 100 * US;
		intc_cpu_running(&r->f->m, 0);
		rtc_poll(r->rtc);
		if (if1)
			n += take(r);
	}
	return n;
}

/* The host keeps the guest from running for `ns`; the loop timer runs
 * late, once, at the end. */
static void stall(struct rig *r, uint64_t ns)
{
	r->f->now += ns;
	rtc_poll(r->rtc);
}

TEST(dev_rtc_late_periodic_interrupts_one_per_register_c_read)
{
	struct rig r;

	REQUIRE(rig_init(&r));
	/* Stalled 43 ms: 5 periods, 5 interrupts. */
	stall(&r, 43 * MS);
	CHECK_EQ(periods(43 * MS), 5);
	/* One at a time: the next is raised once the handler has read C
	 * and sent its EOI. */
	CHECK(intc_irq_pending(&r.f->m, 0));
	CHECK_EQ(intc_irq_ack(&r.f->m, 0), 0x38);
	CHECK_EQ(r.f->m.intc->pic.chip[1].irr & 1, 0);
	CHECK_EQ(read_c(&r), 0xC0);
	CHECK_EQ(r.f->m.intc->pic.chip[1].irr & 1, 0);  /* not while it runs */
	outb(r.f, 0xA0, 0x20);
	CHECK_EQ(r.f->m.intc->pic.chip[1].irr & 1, 1);  /* the next, owed */
	outb(r.f, 0x20, 0x20);
	CHECK_EQ(take(&r), 4);
	/* Linux's 8259 code sends the EOIs before the handler reads C: the
	 * next goes in at the read. */
	stall(&r, 16 * MS);                     /* 46.9 and 54.7 ms */
	CHECK_EQ(intc_irq_ack(&r.f->m, 0), 0x38);
	outb(r.f, 0xA0, 0x20);
	outb(r.f, 0x20, 0x20);
	CHECK_EQ(r.f->m.intc->pic.chip[1].irr & 1, 0);
	CHECK_EQ(read_c(&r), 0xC0);
	CHECK_EQ(r.f->m.intc->pic.chip[1].irr & 1, 1);
	CHECK_EQ(take(&r), 1);
	/* Running with IF=1: one per period, none doubled. */
	CHECK_EQ(run(&r, 41 * MS, true), periods(100 * MS) - 7);
	CHECK_EQ(r.other, 0);
	fix_free(r.f);
}

TEST(dev_rtc_periodic_interrupts_merge_while_the_guest_runs_with_if0)
{
	struct rig r;

	REQUIRE(rig_init(&r));
	/* 40 ms of running with IF=0 and C unread: IRQF holds 5 periods as
	 * one, as on the chip. */
	CHECK_EQ(run(&r, 40 * MS, false), 0);
	CHECK_EQ(take(&r), 1);
	/* 20 ms more with IF=0 (46.9 and 54.7 ms: one interrupt), then the
	 * host stalls us 20 ms: 62.5, 70.3 and 78.1 ms are owed. */
	CHECK_EQ(run(&r, 20 * MS, false), 0);
	stall(&r, 20 * MS);
	CHECK_EQ(periods(80 * MS) - periods(60 * MS), 3);
	CHECK_EQ(take(&r), 1 + 3);
	CHECK_EQ(r.other, 0);
	fix_free(r.f);
}

TEST(dev_rtc_periodic_catch_up_is_bounded)
{
	struct rig r;

	REQUIRE(rig_init(&r));
	/* Stopped 2 s (256 periods): the one due now and 0.5 s of owed ones
	 * (64 periods); the rest are dropped. */
	stall(&r, 2000 * MS);
	CHECK_EQ(periods(2000 * MS), 256);
	CHECK_EQ(take(&r), 1 + 64);
	/* Back on the grid. */
	CHECK_EQ(run(&r, 100 * MS, true), periods(2100 * MS) - periods(2000 * MS));
	fix_free(r.f);
}

TEST(dev_rtc_periodic_flag_without_pie_owes_nothing)
{
	struct rig r;

	REQUIRE(rig_init(&r));
	outb(r.f, 0x70, 0x0B);
	outb(r.f, 0x71, 0x02);                  /* PIE off */
	stall(&r, 43 * MS);
	CHECK_EQ(take(&r), 0);
	CHECK_EQ(read_c(&r), 0x40);             /* PF, whatever PIE */
	outb(r.f, 0x70, 0x0B);
	outb(r.f, 0x71, 0x42);
	CHECK_EQ(take(&r), 0);
	/* PIE turned off with interrupts owed: they are dropped. */
	stall(&r, 43 * MS);
	CHECK_EQ(intc_irq_ack(&r.f->m, 0), 0x38);
	outb(r.f, 0x70, 0x0B);
	outb(r.f, 0x71, 0x02);
	CHECK_EQ(read_c(&r), 0x40);             /* IRQF = PF & PIE | ...: gone */
	outb(r.f, 0xA0, 0x20);
	outb(r.f, 0x20, 0x20);
	CHECK_EQ(take(&r), 0);
	CHECK_EQ(r.other, 0);
	fix_free(r.f);
}

TEST(dev_rtc_running_cpu_raises_due_periodic_interrupts)
{
	struct rig r;

	REQUIRE(rig_init(&r));
	/* No loop timer at all: the running CPU's event checks evaluate the
	 * RTC when a period is due. */
	for (unsigned i = 0; i < 100; i++) {
		r.f->now += 100 * US;
		intc_cpu_running(&r.f->m, 0);
	}
	CHECK_EQ(take(&r), 1);
	CHECK_EQ(r.other, 0);
	fix_free(r.f);
}

/* 8259A poll mode: the read after OCW3 with P=1 acknowledges the highest
 * request; here it must also let the PIT's next owed tick in. */
TEST(intc_pic_poll_acknowledges_owed_pit_ticks)
{
	struct intc_fix *f = fix_new(1);
	unsigned n = 0;

	REQUIRE(f);
	fix_pic_init_linux(f, 0xfe, 0xff);
	outb(f, 0x43, 0x34);
	outb(f, 0x40, 4773 & 0xff);             /* 4.0002 ms */
	outb(f, 0x40, 4773 >> 8);
	intc_cpu_running(&f->m, 0);
	/* Stalled 14 ms: 3 periods (14e6 * 1.193182 / 4773 = 3.5). */
	f->now += 14 * MS;
	intc_poll_timers(&f->m);
	for (unsigned i = 0; i < 10; i++) {
		outb(f, 0x20, 0x0C);            /* OCW3: poll */
		uint8_t v = inb(f, 0x20);

		if (v == 0x80)
			n++;
		else
			CHECK_EQ(v, 0x00);
		outb(f, 0x20, 0x20);
	}
	CHECK_EQ(n, 3);
	fix_free(f);
}

/* Windows-style: the PIC masked, IOAPIC pin 8 (edge, vector 0x38) to
 * APIC ID 1; a handler on `cpu` reads C and EOIs at its LAPIC. */
static unsigned take_on(struct intc_fix *f, unsigned cpu)
{
	unsigned n = 0;

	for (unsigned guard = 0; guard < 1000 && intc_irq_pending(&f->m, cpu); guard++) {
		if (intc_irq_ack(&f->m, cpu) == 0x38) {
			outb(f, 0x70, 0x0C);
			if ((inb(f, 0x71) & 0xC0) == 0xC0)
				n++;
		}
		apic_w(f, cpu, 0xb0, 0);
	}
	return n;
}

/* Runs `cpu` alone for `ns` with IF=0 (the other one does not run). */
static void run_cpu(struct intc_fix *f, struct rtc *rtc, unsigned cpu, uint64_t ns)
{
	for (uint64_t t = 0; t < ns; t += 100 * US) {
		f->now += 100 * US;
		intc_cpu_running(&f->m, cpu);
		rtc_poll(rtc);
	}
}

TEST(dev_rtc_catch_up_follows_the_cpu_that_takes_irq8)
{
	struct intc_fix *f = fix_new(2);
	struct rtc *rtc;

	REQUIRE(f);
	REQUIRE(rtc_create(&f->m, &rtc) == 0);
	rtc_set_clock(rtc, fix_clock, f);
	fix_pic_init_linux(f, 0xff, 0xff);
	apic_w(f, 0, 0xf0, 0x1ff);
	apic_w(f, 1, 0xf0, 0x1ff);
	ioapic_w(f, 0x10 + 2 * 8, 0x38);
	ioapic_w(f, 0x11 + 2 * 8, 1u << 24);
	outb(f, 0x70, 0x0A);
	outb(f, 0x71, 0x29);                    /* 7.8125 ms */
	outb(f, 0x70, 0x0B);
	outb(f, 0x71, 0x42);
	/* CPU 1 takes the first, at 7.8 ms. */
	f->now += 8 * MS;
	rtc_poll(rtc);
	CHECK_EQ(take_on(f, 0), 0);
	CHECK_EQ(take_on(f, 1), 1);
	/* CPU 1 runs 40 ms with IF=0 while CPU 0 does not run: 5 periods
	 * (15.6 to 46.9 ms), kept waiting by CPU 1 itself: one interrupt. */
	run_cpu(f, rtc, 1, 40 * MS);
	CHECK_EQ(take_on(f, 1), 1);
	/* Now CPU 0 runs 40 ms and CPU 1 does not: the 5 periods from 54.7
	 * to 85.9 ms are each CPU 1's to take. */
	run_cpu(f, rtc, 0, 40 * MS);
	CHECK_EQ(take_on(f, 1), 5);
	CHECK_EQ(take_on(f, 0), 0);
	fix_free(f);
}

/* tests/guest/irq64.c's handler: count IRQ 8 runs in *count, and at the
 * `stop`th turn PIE off (register B, then a read of C) before the EOIs.
 * Returns how many of the runs saw IRQF. */
static unsigned take_until(struct rig *r, unsigned *count, unsigned stop)
{
	unsigned n = 0;

	for (unsigned guard = 0; guard < 1000 && intc_irq_pending(&r->f->m, 0); guard++) {
		int v = intc_irq_ack(&r->f->m, 0);

		/* Like irq64's on_rtc_pic, a handler run counts whatever C
		 * says: an IRQ 8 without IRQF is one the guest did not ask for. */
		if (v == 0x38) {
			n += (read_c(r) & 0xC0) == 0xC0;
			if (++*count == stop) {
				outb(r->f, 0x70, 0x0B);
				outb(r->f, 0x71, 0x02);  /* PIE off */
				(void)read_c(r);
			}
		} else {
			r->other++;
		}
		outb(r->f, 0xA0, 0x20);
		outb(r->f, 0x20, 0x20);
	}
	return n;
}

/* The guest takes what is pending now, then runs on with IF=1 for `ns`,
 * taking what comes (take_until, stopping at `stop`). */
static void run_until(struct rig *r, unsigned *count, unsigned stop, uint64_t ns)
{
	take_until(r, count, stop);
	for (uint64_t t = 0; t < ns; t += 100 * US) {
		r->f->now += 100 * US;
		intc_cpu_running(&r->f->m, 0);
		rtc_poll(r->rtc);
		take_until(r, count, stop);
	}
}

/* The datasheet's PIE: with it clear, PF sets no IRQF and IRQ 8 stays
 * low. A handler that turns it off has had its last interrupt, owed ones
 * included: on the chip the next period's would come a period after the
 * one it handles, and its handler runs for microseconds. */
TEST(dev_rtc_pie_off_in_the_handler_ends_owed_interrupts)
{
	struct rig r;
	unsigned count = 0;

	REQUIRE(rig_init(&r));
	/* Stalled 43 ms: one interrupt in, 4 owed. */
	stall(&r, 43 * MS);
	CHECK_EQ(periods(43 * MS), 5);
	/* The guest runs on with IF=1 and takes what comes. */
	run_until(&r, &count, 3, 60 * MS);
	CHECK_EQ(count, 3);
	CHECK_EQ(r.other, 0);
	fix_free(r.f);
}

/* A period ends while a handler runs, after its read of C: that interrupt
 * is a new one (IRQF again, IRQ 8 behind the ISR bit). The EOI of the
 * handler before it is not its EOI: the owed ones wait for the one it
 * gets, and it turns PIE off. */
TEST(dev_rtc_owed_interrupts_wait_for_the_eoi_of_the_handler_that_runs)
{
	struct rig r;
	unsigned count = 0;

	REQUIRE(rig_init(&r));
	stall(&r, 43 * MS);                     /* one in, 4 owed */
	CHECK_EQ(intc_irq_ack(&r.f->m, 0), 0x38);
	CHECK_EQ(read_c(&r), 0xC0);
	count++;
	r.f->now += 4 * MS;                     /* 46.875 ms: a new period */
	rtc_poll(r.rtc);
	outb(r.f, 0xA0, 0x20);
	outb(r.f, 0x20, 0x20);
	/* The second handler turns PIE off. */
	run_until(&r, &count, 2, 60 * MS);
	CHECK_EQ(count, 2);
	CHECK_EQ(r.other, 0);
	fix_free(r.f);
}
