/*
 * HPET legacy replacement against the real interrupt hardware (hw/intc):
 * IA-PC HPET 1.0a, LEG_RT_CNF: "the 8254 timer will not cause any
 * interrupts" while timer 0 drives IRQ 0. Firmware (OVMF) leaves the PIT
 * running and Linux, once the HPET is its tick, never stops it; both on
 * IRQ 0 would multiply the kernel's jiffies.
 */
#include "test_intc_fixture.h"

#include "hw/pc/hpet.h"

#define MS 1000000ULL

/* Advances the shared fake clock by 1 ms `n` times, running both timer
 * sources and acknowledging every IRQ 0 (vector 0x30 after Linux's PIC
 * setup); returns how many arrived. */
static unsigned irq0_over(struct intc_fix *f, struct hpet *h, unsigned n)
{
	unsigned irqs = 0;

	for (unsigned i = 0; i < n; i++) {
		f->now += MS;
		intc_poll_timers(&f->m);
		hpet_poll(h);
		while (intc_irq_pending(&f->m, 0)) {
			int v = intc_irq_ack(&f->m, 0);
			outb(f, 0x20, 0x20);
			if (v == 0x30)
				irqs++;
		}
	}
	return irqs;
}

TEST(dev_hpet_legacy_replacement_disconnects_the_pit)
{
	struct intc_fix *f = fix_new(1);
	struct hpet *h;

	REQUIRE(f);
	REQUIRE(hpet_create(&f->m, &h) == 0);
	hpet_set_clock(h, fix_clock, f);
	fix_pic_init_linux(f, 0xfe, 0xff);
	outb(f, 0x43, 0x34);                    /* PIT ch0, mode 2, ~1 kHz */
	outb(f, 0x40, 0xa9);
	outb(f, 0x40, 0x04);
	CHECK_EQ(irq0_over(f, h, 10), 10);

	/* LEG_RT_CNF, counter still halted: nothing reaches IRQ 0. */
	mmio_w32(f, HPET_BASE + HPET_REG_CONFIG, HPET_CFG_LEGACY);
	CHECK_EQ(irq0_over(f, h, 10), 0);

	/* The HPET's timer 0, periodic every 2 ms (32-bit mode, as Linux sets
	 * it up), is now IRQ 0's only source. */
	mmio_w32(f, HPET_BASE + HPET_REG_TIMER(0),
		 HPET_TN_INT_ENABLE | HPET_TN_PERIODIC | HPET_TN_VAL_SET | HPET_TN_32BIT);
	mmio_w32(f, HPET_BASE + HPET_REG_CMP(0), 200000);
	mmio_w32(f, HPET_BASE + HPET_REG_CMP(0), 200000);
	mmio_w32(f, HPET_BASE + HPET_REG_CONFIG, HPET_CFG_LEGACY | HPET_CFG_ENABLE);
	CHECK_EQ(irq0_over(f, h, 10), 5);

	/* Legacy routing off: the PIT is back (timer 0 now routes to its
	 * route field, pin 0, outside the capability: not delivered). */
	mmio_w32(f, HPET_BASE + HPET_REG_CONFIG, HPET_CFG_ENABLE);
	CHECK_EQ(irq0_over(f, h, 10), 10);

	/* A machine reset clears LEG_RT_CNF and with it the gate. */
	mmio_w32(f, HPET_BASE + HPET_REG_CONFIG, HPET_CFG_LEGACY);
	CHECK_EQ(irq0_over(f, h, 4), 0);
	for (struct device *d = f->m.devices; d; d = d->next)
		if (!strcmp(d->name, "hpet"))
			d->ops->reset(d->opaque);
	CHECK_EQ(irq0_over(f, h, 4), 4);
	fix_free(f);
}
