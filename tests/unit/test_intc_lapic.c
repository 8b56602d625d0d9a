/*
 * Local APIC driven through its register page and x2APIC MSRs as Linux and
 * SeaBIOS do (AP start-up, TPR, EOI, timer calibration). Reset values,
 * priority rules, ICR encodings, DCR encodings and x2APIC LDR derivation
 * are those of SDM vol. 3A chapter 10. The timer's base clock is our
 * documented choice (1 GHz, as QEMU), so one count is 1 ns times the divisor.
 */
#include <unistd.h>

#include "test_intc_fixture.h"

static bool irr_bit(struct intc_fix *f, unsigned cpu, unsigned v)
{
	return apic_r(f, cpu, 0x200 + (v / 32) * 16) & (1u << (v % 32));
}

static void self_ipi(struct intc_fix *f, unsigned cpu, uint8_t vector)
{
	apic_w(f, cpu, 0x300, 0x40000 | vector);        /* shorthand self, fixed */
}

TEST(intc_lapic_reset_values)
{
	struct intc_fix *f = fix_new(2);
	REQUIRE(f);
	CHECK_EQ(apic_r(f, 1, 0x20), 0x01000000);
	CHECK_EQ(apic_r(f, 0, 0x30), 0x00050014);
	CHECK_EQ(apic_r(f, 0, 0x80), 0);
	CHECK_EQ(apic_r(f, 0, 0xe0), 0xffffffff);
	CHECK_EQ(apic_r(f, 0, 0xf0), 0xff);
	for (unsigned reg = 0x320; reg <= 0x370; reg += 0x10)
		CHECK_EQ(apic_r(f, 0, reg), 0x10000);
	CHECK_EQ(intc_get_apic_base(&f->m, 0), 0xfee00900);     /* EN | BSP */
	CHECK_EQ(intc_get_apic_base(&f->m, 1), 0xfee00800);
	/* Software disabled: LVT masks cannot be cleared. */
	apic_w(f, 0, 0x350, 0x700);
	CHECK_EQ(apic_r(f, 0, 0x350), 0x10700);
	fix_free(f);
}

TEST(intc_lapic_init_sipi_linux_and_seabios)
{
	struct intc_fix *f = fix_new(3);
	REQUIRE(f);
	uint8_t vec = 0;
	apic_w(f, 1, 0xf0, 0x1ff);
	apic_w(f, 1, 0x80, 0x20);
	/* Linux wakeup_secondary_cpu_via_init(): INIT assert, deassert, 2x SIPI. */
	apic_w(f, 0, 0x310, 1u << 24);
	apic_w(f, 0, 0x300, 0xc500);
	apic_w(f, 0, 0x300, 0x8500);
	apic_w(f, 0, 0x300, 0x069f);
	apic_w(f, 0, 0x300, 0x069f);
	CHECK_EQ(intc_take_init_sipi(&f->m, 1, &vec), 1);
	CHECK_EQ(apic_r(f, 1, 0x80), 0);                /* INIT reset the LAPIC */
	CHECK_EQ(apic_r(f, 1, 0xf0), 0xff);
	CHECK_EQ(apic_r(f, 1, 0x20), 0x01000000);       /* but kept its ID */
	CHECK_EQ(intc_take_init_sipi(&f->m, 1, &vec), 2);
	CHECK_EQ(vec, 0x9f);
	CHECK_EQ(intc_take_init_sipi(&f->m, 1, &vec), 0);
	CHECK_EQ(intc_take_init_sipi(&f->m, 0, &vec), 0);
	CHECK_EQ(intc_take_init_sipi(&f->m, 2, &vec), 0);
	CHECK(f->kicks[1] > 0);

	/* SeaBIOS smp_setup(): INIT and SIPI to all excluding self. */
	apic_w(f, 0, 0x300, 0x000c4500);
	apic_w(f, 0, 0x300, 0x000c4600 | 0x10);
	for (unsigned cpu = 1; cpu < 3; cpu++) {
		unsigned kicks = f->kicks[cpu];
		CHECK_EQ(intc_take_init_sipi(&f->m, cpu, &vec), 1);
		CHECK(f->kicks[cpu] > kicks);           /* woken again for the SIPI */
		CHECK_EQ(intc_take_init_sipi(&f->m, cpu, &vec), 2);
		CHECK_EQ(vec, 0x10);
	}
	CHECK_EQ(intc_take_init_sipi(&f->m, 0, &vec), 0);
	fix_free(f);
}

TEST(intc_lapic_tpr_ppr_and_priority)
{
	struct intc_fix *f = fix_new(1);
	REQUIRE(f);
	apic_w(f, 0, 0xf0, 0x1ff);
	apic_w(f, 0, 0x350, 0x10000);                   /* LINT0 masked: no PIC */
	apic_w(f, 0, 0x80, 0x50);
	self_ipi(f, 0, 0x45);
	CHECK(irr_bit(f, 0, 0x45));
	CHECK(!intc_irq_pending(&f->m, 0));             /* class 4 <= TPR class 5 */
	CHECK_EQ(apic_r(f, 0, 0xa0), 0x50);
	apic_w(f, 0, 0x80, 0x40);
	CHECK(!intc_irq_pending(&f->m, 0));             /* equal class is held too */
	intc_set_tpr(&f->m, 0, 0x30);                   /* MOV CR8, 3 */
	CHECK_EQ(apic_r(f, 0, 0x80), 0x30);
	CHECK(intc_irq_pending(&f->m, 0));
	CHECK_EQ(intc_irq_ack(&f->m, 0), 0x45);
	CHECK_EQ(apic_r(f, 0, 0xa0), 0x40);             /* PPR = ISR class */
	CHECK_EQ(apic_r(f, 0, 0x100 + 2 * 16), 1u << 5); /* ISR bit 0x45 */
	apic_w(f, 0, 0xb0, 0);
	CHECK_EQ(apic_r(f, 0, 0xa0), 0x30);
	CHECK_EQ(intc_get_tpr(&f->m, 0), 0x30);

	/* Highest vector first; a lower class waits for the EOI. */
	intc_set_tpr(&f->m, 0, 0);
	self_ipi(f, 0, 0x45);
	self_ipi(f, 0, 0x80);
	CHECK_EQ(intc_irq_ack(&f->m, 0), 0x80);
	CHECK(!intc_irq_pending(&f->m, 0));
	apic_w(f, 0, 0xb0, 0);
	CHECK_EQ(intc_irq_ack(&f->m, 0), 0x45);
	apic_w(f, 0, 0xb0, 0);
	CHECK_EQ(intc_irq_ack(&f->m, 0), -1);
	fix_free(f);
}

TEST(intc_lapic_cpu_check_reports_what_the_single_calls_do)
{
	/* The emulator's event check in one lock round (intc_cpu_check) sees
	 * INIT, SIPI, an NMI and a fixed interrupt as intc_take_init_sipi,
	 * intc_nmi_take and intc_irq_pending do; the NMI and the interrupt
	 * stay pending until taken. ICR encodings: SDM Vol. 3A 10.6.1. */
	struct intc_fix *f = fix_new(2);
	REQUIRE(f);
	struct intc_cpu_events ev;
	apic_w(f, 0, 0xf0, 0x1ff);
	apic_w(f, 1, 0xf0, 0x1ff);
	apic_w(f, 0, 0x350, 0x10000);                   /* LINT0 masked: no PIC */
	intc_cpu_check(&f->m, 1, &ev);
	CHECK(!ev.init_sipi && !ev.nmi && !ev.irq);
	apic_w(f, 0, 0x310, 1u << 24);
	apic_w(f, 0, 0x300, 0xc500);                    /* INIT assert */
	apic_w(f, 0, 0x300, 0x8500);                    /* INIT deassert */
	apic_w(f, 0, 0x300, 0x069f);                    /* SIPI, vector 0x9f */
	intc_cpu_check(&f->m, 1, &ev);
	CHECK_EQ(ev.init_sipi, 1);
	intc_cpu_check(&f->m, 1, &ev);
	CHECK_EQ(ev.init_sipi, 2);
	CHECK_EQ(ev.sipi_vector, 0x9f);
	intc_cpu_check(&f->m, 1, &ev);
	CHECK_EQ(ev.init_sipi, 0);
	apic_w(f, 1, 0xf0, 0x1ff);                      /* INIT reset SVR */
	apic_w(f, 0, 0x300, 0x0400);                    /* NMI to APIC 1 */
	intc_cpu_check(&f->m, 1, &ev);
	CHECK(ev.nmi);
	CHECK(!ev.irq);
	intc_cpu_check(&f->m, 1, &ev);
	CHECK(ev.nmi);                                  /* seen, not taken */
	CHECK(intc_nmi_take(&f->m, 1));
	intc_cpu_check(&f->m, 1, &ev);
	CHECK(!ev.nmi);
	self_ipi(f, 0, 0x61);
	intc_cpu_check(&f->m, 0, &ev);
	CHECK(ev.irq && !ev.nmi && !ev.init_sipi);
	CHECK_EQ(ev.irq, intc_irq_pending(&f->m, 0));
	CHECK_EQ(intc_irq_ack(&f->m, 0), 0x61);
	intc_cpu_check(&f->m, 0, &ev);
	CHECK(!ev.irq);
	fix_free(f);
}

TEST(intc_lapic_fixed_ipi_and_esr)
{
	struct intc_fix *f = fix_new(2);
	REQUIRE(f);
	apic_w(f, 0, 0xf0, 0x1ff);
	apic_w(f, 1, 0xf0, 0x1ff);
	unsigned kicks = f->kicks[1];
	apic_w(f, 0, 0x310, 1u << 24);
	apic_w(f, 0, 0x300, 0x00004061);                /* fixed, physical, APIC 1 */
	CHECK(irr_bit(f, 1, 0x61));
	CHECK(!irr_bit(f, 0, 0x61));
	CHECK(f->kicks[1] > kicks);
	CHECK_EQ(apic_r(f, 0, 0x300) & (1u << 12), 0);  /* delivery status idle */
	/* Illegal vector: ESR shows it after the ESR write that latches errors. */
	self_ipi(f, 0, 0x05);
	CHECK_EQ(apic_r(f, 0, 0x280), 0);
	apic_w(f, 0, 0x280, 0);
	CHECK_EQ(apic_r(f, 0, 0x280) & 0x20, 0x20);     /* send illegal vector */
	apic_w(f, 0, 0x280, 0);
	CHECK_EQ(apic_r(f, 0, 0x280), 0);
	fix_free(f);
}

TEST(intc_lapic_timer_oneshot_periodic_divide)
{
	struct intc_fix *f = fix_new(1);
	REQUIRE(f);
	apic_w(f, 0, 0xf0, 0x1ff);
	apic_w(f, 0, 0x3e0, 0x0b);                      /* divide by 1 */
	apic_w(f, 0, 0x320, 0x30);                      /* one-shot, vector 0x30 */
	apic_w(f, 0, 0x380, 1000);
	fix_advance(f, 400);
	CHECK_EQ(apic_r(f, 0, 0x390), 600);
	CHECK(!intc_irq_pending(&f->m, 0));
	fix_advance(f, 599);
	CHECK(!intc_irq_pending(&f->m, 0));
	fix_advance(f, 1);
	CHECK_EQ(apic_r(f, 0, 0x390), 0);
	CHECK_EQ(intc_irq_ack(&f->m, 0), 0x30);
	apic_w(f, 0, 0xb0, 0);
	fix_advance(f, 5000);
	CHECK(!intc_irq_pending(&f->m, 0));             /* one-shot: once */
	CHECK_EQ(apic_r(f, 0, 0x380), 1000);

	apic_w(f, 0, 0x3e0, 0x00);                      /* divide by 2 */
	apic_w(f, 0, 0x380, 1000);
	fix_advance(f, 400);
	CHECK_EQ(apic_r(f, 0, 0x390), 800);
	apic_w(f, 0, 0x3e0, 0x0a);                      /* divide by 128 */
	apic_w(f, 0, 0x380, 10);
	fix_advance(f, 128 * 3 + 64);
	CHECK_EQ(apic_r(f, 0, 0x390), 7);

	apic_w(f, 0, 0x3e0, 0x0b);
	apic_w(f, 0, 0x320, 0x20031);                   /* periodic, vector 0x31 */
	apic_w(f, 0, 0x380, 100);
	unsigned fired = 0;
	for (unsigned i = 0; i < 10; i++) {
		fix_advance(f, 50);
		if (intc_irq_pending(&f->m, 0)) {
			CHECK_EQ(intc_irq_ack(&f->m, 0), 0x31);
			apic_w(f, 0, 0xb0, 0);
			fired++;
		}
	}
	CHECK_EQ(fired, 5);                             /* every 100 ns over 500 ns */
	fix_advance(f, 50);
	CHECK_EQ(apic_r(f, 0, 0x390), 50);              /* reloaded from the initial count */
	apic_w(f, 0, 0x320, 0x30031);                   /* masked: counts, no interrupt */
	fix_advance(f, 200);
	CHECK(!intc_irq_pending(&f->m, 0));
	apic_w(f, 0, 0x380, 0);                         /* initial count 0 stops it */
	CHECK_EQ(apic_r(f, 0, 0x390), 0);
	fix_free(f);
}

TEST(intc_lapic_timer_tsc_deadline)
{
	struct intc_fix *f = fix_new(1);
	REQUIRE(f);
	apic_w(f, 0, 0xf0, 0x1ff);
	CHECK_EQ(intc_guest_tsc(&f->m), f->now * 2);    /* 2 GHz guest TSC */
	intc_set_tsc_deadline(&f->m, 0, intc_guest_tsc(&f->m) + 100);
	CHECK_EQ(intc_get_tsc_deadline(&f->m, 0), 0);   /* ignored outside the mode */
	apic_w(f, 0, 0x320, 0x40032);                   /* TSC-deadline, vector 0x32 */
	uint64_t deadline = intc_guest_tsc(&f->m) + 2000;
	intc_set_tsc_deadline(&f->m, 0, deadline);
	CHECK_EQ(intc_get_tsc_deadline(&f->m, 0), deadline);
	apic_w(f, 0, 0x380, 5);                         /* initial count ignored */
	CHECK_EQ(apic_r(f, 0, 0x390), 0);
	fix_advance(f, 999);
	CHECK(!intc_irq_pending(&f->m, 0));
	fix_advance(f, 1);
	CHECK_EQ(intc_irq_ack(&f->m, 0), 0x32);
	CHECK_EQ(intc_get_tsc_deadline(&f->m, 0), 0);   /* disarmed after firing */
	fix_free(f);
}

TEST(intc_lapic_x2apic_msrs)
{
	struct intc_fix *f = fix_new(2);
	REQUIRE(f);
	uint64_t v = 0;
	CHECK(!intc_set_apic_base(&f->m, 1, 0xfee00400));        /* EXTD without EN */
	REQUIRE(intc_set_apic_base(&f->m, 1, 0xfee00c00));       /* EN | EXTD */
	CHECK(intc_lapic_rdmsr(&f->m, 1, 0x802, &v));
	CHECK_EQ(v, 1);
	CHECK(intc_lapic_rdmsr(&f->m, 1, 0x80d, &v));
	CHECK_EQ(v, 0x2);                               /* cluster 0, bit 1 */
	CHECK(intc_lapic_rdmsr(&f->m, 1, 0x803, &v));
	CHECK_EQ(v, 0x50014);
	CHECK(!intc_lapic_rdmsr(&f->m, 1, 0x80e, &v));  /* no DFR in x2APIC mode */
	CHECK(!intc_lapic_rdmsr(&f->m, 1, 0x80b, &v));  /* EOI is write-only */
	CHECK(!intc_lapic_wrmsr(&f->m, 1, 0x802, 5));   /* ID is read-only */
	CHECK(intc_lapic_wrmsr(&f->m, 1, 0x80f, 0x1ff));
	CHECK(intc_lapic_wrmsr(&f->m, 1, 0x83f, 0x55)); /* SELF IPI */
	CHECK(intc_irq_pending(&f->m, 1));
	CHECK_EQ(intc_irq_ack(&f->m, 1), 0x55);
	CHECK(!intc_lapic_wrmsr(&f->m, 1, 0x80b, 1));   /* EOI must write 0 */
	CHECK(intc_lapic_wrmsr(&f->m, 1, 0x80b, 0));
	CHECK(intc_lapic_rdmsr(&f->m, 1, 0x810 + 2, &v));
	CHECK_EQ(v, 0);                                 /* ISR empty again */
	/* 64-bit ICR: destination in the high half. */
	apic_w(f, 0, 0xf0, 0x1ff);
	CHECK(intc_lapic_wrmsr(&f->m, 1, 0x830, (0ULL << 32) | 0x4060));
	CHECK(irr_bit(f, 0, 0x60));
	CHECK(!intc_set_apic_base(&f->m, 1, 0xfee00800));        /* x2APIC -> xAPIC */
	/* A caller that gates the MSRs on its own APIC base: CPU 0 follows. */
	CHECK(intc_lapic_rdmsr(&f->m, 0, 0x80d, &v));
	CHECK_EQ(v, 0x1);
	CHECK_EQ(intc_get_apic_base(&f->m, 0), 0xfee00d00);
	fix_free(f);
}

TEST(intc_lapic_pic_virtual_wire)
{
	struct intc_fix *f = fix_new(2);
	REQUIRE(f);
	fix_pic_init_linux(f, 0xfd, 0xff);
	f->m.irq.set_level(f->m.irq.opaque, 1, 1);
	CHECK(intc_irq_pending(&f->m, 0));              /* APIC disabled: PIC direct */
	CHECK(!intc_irq_pending(&f->m, 1));             /* only the BSP's LINT0 */
	apic_w(f, 0, 0xf0, 0x1ff);
	CHECK(!intc_irq_pending(&f->m, 0));             /* enabled, LINT0 masked */
	/* SeaBIOS smp_setup(): LINT0 ExtINT level, LINT1 NMI level. */
	apic_w(f, 0, 0x350, 0x8700);
	apic_w(f, 0, 0x360, 0x8400);
	CHECK_EQ(apic_r(f, 0, 0x350), 0x8700);
	CHECK(intc_irq_pending(&f->m, 0));
	CHECK_EQ(intc_irq_ack(&f->m, 0), 0x31);
	CHECK(!intc_irq_pending(&f->m, 0));             /* IR1 in service on the PIC */
	fix_free(f);
}

TEST(intc_lapic_page_and_state_round_trip)
{
	struct intc_fix *a = fix_new(1), *b = fix_new(1);
	REQUIRE(a && b);
	uint8_t page[1024];
	uint32_t w;
	apic_w(a, 0, 0xf0, 0x1ff);
	apic_w(a, 0, 0x80, 0x20);
	apic_w(a, 0, 0xd0, 0x01000000);
	apic_w(a, 0, 0x3e0, 0x0b);
	apic_w(a, 0, 0x320, 0x30);
	apic_w(a, 0, 0x380, 1000);
	self_ipi(a, 0, 0x70);
	fix_advance(a, 300);
	intc_lapic_get(&a->m, 0, page);
	memcpy(&w, page + 0x30, 4);
	CHECK_EQ(w, 0x50014);
	memcpy(&w, page + 0x80, 4);
	CHECK_EQ(w, 0x20);
	memcpy(&w, page + 0x390, 4);
	CHECK_EQ(w, 700);
	memcpy(&w, page + 0x200 + 3 * 16, 4);
	CHECK_EQ(w, 1u << 16);                          /* IRR bit 0x70 */

	b->now = a->now;
	intc_lapic_set(&b->m, 0, page);
	CHECK_EQ(apic_r(b, 0, 0x80), 0x20);
	CHECK_EQ(apic_r(b, 0, 0xd0), 0x01000000);
	CHECK_EQ(apic_r(b, 0, 0x390), 700);
	CHECK_EQ(intc_irq_ack(&b->m, 0), 0x70);
	apic_w(b, 0, 0xb0, 0);
	fix_advance(b, 699);
	CHECK(!intc_irq_pending(&b->m, 0));
	fix_advance(b, 1);
	CHECK(intc_irq_pending(&b->m, 0));              /* the timer went on */

	struct intc_fix *c = fix_new(1);
	REQUIRE(c);
	REQUIRE(fix_transfer_state(a, c));
	c->now = a->now;
	CHECK_EQ(apic_r(c, 0, 0x390), 700);
	CHECK_EQ(intc_irq_ack(&c->m, 0), 0x70);
	fix_free(a);
	fix_free(b);
	fix_free(c);
}

static void *loop_thread(void *opaque)
{
	loop_run(opaque);
	return NULL;
}

/* The real path: loop timers armed in host time fire on the loop thread,
 * set the IRR and kick the vCPU. Waits at most 5 s (liveness, not timing). */
TEST(intc_lapic_timer_fires_from_event_loop)
{
	struct intc_fix *f = fix_new_ex(1, true);
	REQUIRE(f && f->m.loop);
	pthread_t t;
	REQUIRE(pthread_create(&t, NULL, loop_thread, f->m.loop) == 0);
	apic_w(f, 0, 0xf0, 0x1ff);
	apic_w(f, 0, 0x3e0, 0x0b);
	apic_w(f, 0, 0x320, 0x33);
	apic_w(f, 0, 0x380, 2000000);                   /* 2 ms */
	bool seen = false;
	for (unsigned i = 0; i < 5000 && !seen; i++) {
		seen = intc_irq_pending(&f->m, 0);
		if (!seen)
			usleep(1000);
	}
	CHECK(seen);
	CHECK_EQ(intc_irq_ack(&f->m, 0), 0x33);
	loop_quit(f->m.loop);
	pthread_join(t, NULL);
	CHECK(f->kicks[0] > 0);                         /* read after the join */
	CHECK(f->m.vcpus[0]->wake);
	fix_free(f);
}
