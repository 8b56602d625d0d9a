/*
 * 8259A pair driven through its ports as Linux and SeaBIOS drive it.
 * Expected values follow the Intel 8259A datasheet (ICW/OCW formats,
 * priority, EOI, poll word, spurious IR7) and the PIIX ELCR definition.
 * The LAPICs stay in their reset state (software disabled), so the PIC's
 * INT reaches CPU 0 directly, as on a PC before the OS enables the APIC.
 */
#include "hw/intc/intc_priv.h"
#include "test_intc_fixture.h"

static void irq(struct intc_fix *f, unsigned gsi, int level)
{
	f->m.irq.set_level(f->m.irq.opaque, gsi, level);
}

static uint8_t read_isr(struct intc_fix *f, uint16_t port)
{
	outb(f, port, 0x0b);            /* OCW3: read ISR */
	return inb(f, port);
}

static uint8_t read_irr(struct intc_fix *f, uint16_t port)
{
	outb(f, port, 0x0a);            /* OCW3: read IRR */
	return inb(f, port);
}

TEST(intc_pic_init_sequence_and_eoi)
{
	struct intc_fix *f = fix_new(1);
	REQUIRE(f);
	fix_pic_init_linux(f, 0xf9, 0xff);      /* IRQ 1 and the cascade unmasked */
	CHECK_EQ(inb(f, 0x21), 0xf9);
	CHECK_EQ(inb(f, 0xA1), 0xff);
	CHECK(!intc_irq_pending(&f->m, 0));

	irq(f, 1, 1);
	CHECK(intc_irq_pending(&f->m, 0));
	CHECK(f->kicks[0] > 0);
	CHECK_EQ(read_irr(f, 0x20), 0x02);
	CHECK_EQ(intc_irq_ack(&f->m, 0), 0x31);
	CHECK_EQ(read_isr(f, 0x20), 0x02);
	CHECK_EQ(read_irr(f, 0x20), 0x00);      /* edge: IRR cleared by INTA */
	CHECK(!intc_irq_pending(&f->m, 0));
	irq(f, 1, 0);
	outb(f, 0x20, 0x20);                    /* non-specific EOI */
	CHECK_EQ(read_isr(f, 0x20), 0x00);
	CHECK(!intc_irq_pending(&f->m, 0));

	/* ICW1 clears the IMR (datasheet: "the Interrupt Mask Register is cleared"). */
	outb(f, 0x20, 0x11);
	CHECK_EQ(inb(f, 0x21), 0x00);
	fix_free(f);
}

TEST(intc_pic_masked_request_stays_in_irr)
{
	struct intc_fix *f = fix_new(1);
	REQUIRE(f);
	fix_pic_init_linux(f, 0xfb, 0xff);      /* only the cascade unmasked */
	irq(f, 4, 1);
	CHECK(!intc_irq_pending(&f->m, 0));
	CHECK_EQ(read_irr(f, 0x20), 0x10);      /* the IMR masks, the IRR latches */
	outb(f, 0x21, 0xeb);                    /* unmask IRQ 4 */
	CHECK(intc_irq_pending(&f->m, 0));
	CHECK_EQ(intc_irq_ack(&f->m, 0), 0x34);
	fix_free(f);
}

TEST(intc_pic_fixed_priority_and_nesting)
{
	struct intc_fix *f = fix_new(1);
	REQUIRE(f);
	fix_pic_init_linux(f, 0x00, 0xff);
	irq(f, 3, 1);
	irq(f, 1, 1);
	irq(f, 4, 1);
	CHECK_EQ(intc_irq_ack(&f->m, 0), 0x31);         /* IR1 beats IR3, IR4 */
	CHECK(!intc_irq_pending(&f->m, 0));             /* lower than IR1 in service */
	irq(f, 0, 1);                                    /* IR0 is higher: nests */
	CHECK_EQ(intc_irq_ack(&f->m, 0), 0x30);
	CHECK_EQ(read_isr(f, 0x20), 0x03);
	outb(f, 0x20, 0x20);                            /* EOI clears IR0 first */
	CHECK_EQ(read_isr(f, 0x20), 0x02);
	CHECK(!intc_irq_pending(&f->m, 0));
	outb(f, 0x20, 0x61);                            /* specific EOI for IR1 */
	CHECK_EQ(intc_irq_ack(&f->m, 0), 0x33);
	outb(f, 0x20, 0x20);
	CHECK_EQ(intc_irq_ack(&f->m, 0), 0x34);
	outb(f, 0x20, 0x20);
	CHECK_EQ(read_isr(f, 0x20), 0x00);
	CHECK(!intc_irq_pending(&f->m, 0));
	fix_free(f);
}

TEST(intc_pic_slave_cascade)
{
	struct intc_fix *f = fix_new(1);
	REQUIRE(f);
	fix_pic_init_linux(f, 0xfb, 0xef);              /* cascade and IRQ 12 */
	irq(f, 12, 1);
	CHECK(intc_irq_pending(&f->m, 0));
	CHECK_EQ(intc_irq_ack(&f->m, 0), 0x3c);         /* slave base 0x38 + IR4 */
	CHECK_EQ(read_isr(f, 0xA0), 0x10);
	CHECK_EQ(read_isr(f, 0x20), 0x04);              /* master IR2 in service */
	outb(f, 0xA0, 0x20);
	outb(f, 0x20, 0x20);
	CHECK_EQ(read_isr(f, 0xA0), 0x00);
	CHECK_EQ(read_isr(f, 0x20), 0x00);
	/* A slave request under a higher master one waits for it. */
	irq(f, 12, 0);
	fix_pic_init_linux(f, 0xf8, 0xef);
	irq(f, 0, 1);
	irq(f, 12, 1);
	CHECK_EQ(intc_irq_ack(&f->m, 0), 0x30);
	CHECK(!intc_irq_pending(&f->m, 0));
	outb(f, 0x20, 0x20);
	CHECK_EQ(intc_irq_ack(&f->m, 0), 0x3c);
	fix_free(f);
}

TEST(intc_pic_spurious_ir7)
{
	struct intc_fix *f = fix_new(1);
	REQUIRE(f);
	fix_pic_init_linux(f, 0x00, 0x00);
	/* INTA with no request left: the 8259A answers IR7 and sets no ISR bit. */
	intc_lock(f->m.intc);
	int v = pic_ack(&f->m.intc->pic, 0);
	intc_unlock(f->m.intc);
	CHECK_EQ(v, 0x37);
	CHECK_EQ(read_isr(f, 0x20), 0x00);

	/* A level request withdrawn before INTA: nothing left for the CPU. */
	outb(f, 0x4d1, 0x04);                           /* IRQ 10 level */
	irq(f, 10, 1);
	CHECK(intc_irq_pending(&f->m, 0));
	irq(f, 10, 0);
	CHECK(!intc_irq_pending(&f->m, 0));
	CHECK_EQ(read_irr(f, 0xA0), 0x00);
	fix_free(f);
}

TEST(intc_pic_elcr_and_level_mode)
{
	struct intc_fix *f = fix_new(1);
	REQUIRE(f);
	fix_pic_init_linux(f, 0xfb, 0x00);
	/* PIIX: IRQ 0, 1, 2, 8 and 13 cannot be level triggered. */
	outb(f, 0x4d0, 0xff);
	outb(f, 0x4d1, 0xff);
	CHECK_EQ(inb(f, 0x4d0), 0xf8);
	CHECK_EQ(inb(f, 0x4d1), 0xde);
	CHECK_EQ(intc_get_elcr(&f->m), 0xdef8);
	intc_set_elcr(&f->m, 0x0c20);           /* what SeaBIOS sets for PCI IRQs 5, 10, 11 */
	CHECK_EQ(inb(f, 0x4d0), 0x20);
	CHECK_EQ(inb(f, 0x4d1), 0x0c);

	/* Level: still asserted after EOI means delivered again. */
	irq(f, 11, 1);
	CHECK_EQ(intc_irq_ack(&f->m, 0), 0x3b);
	outb(f, 0xA0, 0x20);
	outb(f, 0x20, 0x20);
	CHECK_EQ(intc_irq_ack(&f->m, 0), 0x3b);
	irq(f, 11, 0);
	outb(f, 0xA0, 0x20);
	outb(f, 0x20, 0x20);
	CHECK(!intc_irq_pending(&f->m, 0));
	/* Edge: one delivery per rising edge, however long the line stays up. */
	irq(f, 9, 0);
	irq(f, 9, 1);
	CHECK_EQ(intc_irq_ack(&f->m, 0), 0x39);
	outb(f, 0xA0, 0x20);
	outb(f, 0x20, 0x20);
	CHECK(!intc_irq_pending(&f->m, 0));
	fix_free(f);
}

TEST(intc_pic_rotation_special_mask_aeoi_poll)
{
	struct intc_fix *f = fix_new(1);
	REQUIRE(f);
	fix_pic_init_linux(f, 0x00, 0xff);
	/* Set priority: IR4 lowest, so IR5 is highest and IR1 comes after IR6. */
	outb(f, 0x20, 0xc4);
	irq(f, 1, 1);
	irq(f, 6, 1);
	CHECK_EQ(intc_irq_ack(&f->m, 0), 0x36);
	/* Rotate on non-specific EOI: IR6 becomes lowest, IR7 highest. */
	outb(f, 0x20, 0xa0);
	CHECK_EQ(intc_irq_ack(&f->m, 0), 0x31);
	outb(f, 0x20, 0x20);
	irq(f, 1, 0);
	irq(f, 6, 0);

	/* Special mask mode: with IR1 in service and masked, IR5 gets through. */
	outb(f, 0x20, 0xc7);                            /* back to IR0 highest */
	irq(f, 1, 1);
	CHECK_EQ(intc_irq_ack(&f->m, 0), 0x31);
	irq(f, 5, 1);
	CHECK(!intc_irq_pending(&f->m, 0));
	outb(f, 0x21, 0x02);
	outb(f, 0x20, 0x68);                            /* OCW3: set special mask */
	CHECK(intc_irq_pending(&f->m, 0));
	CHECK_EQ(intc_irq_ack(&f->m, 0), 0x35);
	outb(f, 0x20, 0x48);                            /* reset special mask */
	outb(f, 0x20, 0x65);                            /* specific EOI IR5 */
	outb(f, 0x20, 0x61);                            /* specific EOI IR1 */
	CHECK_EQ(read_isr(f, 0x20), 0x00);

	/* Poll: the next read is the INTA; 0x80 | level, ISR bit set. */
	outb(f, 0x21, 0x00);
	irq(f, 3, 1);
	outb(f, 0x20, 0x0c);
	CHECK_EQ(inb(f, 0x20), 0x83);
	CHECK_EQ(read_isr(f, 0x20), 0x08);
	outb(f, 0x20, 0x20);
	outb(f, 0x20, 0x0c);
	CHECK_EQ(inb(f, 0x20), 0x00);                   /* nothing requested */

	/* Auto-EOI (ICW4 = 0x03): no ISR bit after INTA. */
	outb(f, 0x20, 0x11);
	outb(f, 0x21, 0x30);
	outb(f, 0x21, 0x04);
	outb(f, 0x21, 0x03);
	outb(f, 0x21, 0x00);
	irq(f, 4, 0);
	irq(f, 4, 1);
	CHECK_EQ(intc_irq_ack(&f->m, 0), 0x34);
	CHECK_EQ(read_isr(f, 0x20), 0x00);
	fix_free(f);
}

TEST(intc_pic_state_round_trip)
{
	struct intc_fix *a = fix_new(1), *b = fix_new(1);
	REQUIRE(a && b);
	fix_pic_init_linux(a, 0xe1, 0xfb);      /* IRQ 1-4 and 10 unmasked */
	outb(a, 0x4d1, 0x04);
	irq(a, 3, 1);
	irq(a, 1, 1);
	CHECK_EQ(intc_irq_ack(&a->m, 0), 0x31);
	irq(a, 10, 1);
	REQUIRE(fix_transfer_state(a, b));
	CHECK_EQ(inb(b, 0x21), 0xe1);
	CHECK_EQ(inb(b, 0x4d1), 0x04);
	CHECK_EQ(read_isr(b, 0x20), 0x02);
	outb(b, 0x20, 0x20);
	CHECK_EQ(intc_irq_ack(&b->m, 0), 0x3a);        /* IRQ 10 via cascade beats IR3 */
	irq(b, 10, 0);
	outb(b, 0xA0, 0x20);
	outb(b, 0x20, 0x20);
	CHECK_EQ(intc_irq_ack(&b->m, 0), 0x33);
	fix_free(a);
	fix_free(b);
}
