/*
 * IOAPIC driven through IOREGSEL/IOWIN as Linux's io_apic.c does, with the
 * LAPICs software-enabled so its messages reach the CPUs. Register layout
 * and behaviour (masking, remote IRR, EOI, destination modes) follow the
 * Intel 82093AA datasheet and SDM vol. 3A 10.6 / 10.11.
 */
#include "test_intc_fixture.h"

static void irq(struct intc_fix *f, unsigned gsi, int level)
{
	f->m.irq.set_level(f->m.irq.opaque, gsi, level);
}

static void route(struct intc_fix *f, unsigned pin, uint32_t lo, uint8_t dest)
{
	ioapic_w(f, 0x11 + 2 * pin, (uint32_t)dest << 24);
	ioapic_w(f, 0x10 + 2 * pin, lo);
}

static void apic_enable_all(struct intc_fix *f, unsigned cpus)
{
	for (unsigned i = 0; i < cpus; i++)
		apic_w(f, i, 0xf0, 0x1ff);              /* SVR: enabled, spurious 0xff */
}

static bool irr_bit(struct intc_fix *f, unsigned cpu, unsigned v)
{
	return apic_r(f, cpu, 0x200 + (v / 32) * 16) & (1u << (v % 32));
}

TEST(intc_ioapic_id_version_reset_state)
{
	struct intc_fix *f = fix_new(1);
	REQUIRE(f);
	/* 24 entries: maximum redirection entry 0x17 in bits 23-16. */
	CHECK_EQ(ioapic_r(f, 0x01), 0x00170020);
	for (unsigned pin = 0; pin < 24; pin++)
		CHECK_EQ(ioapic_r(f, 0x10 + 2 * pin) & 0x10000, 0x10000);      /* masked */
	ioapic_w(f, 0x00, 0x02000000);
	CHECK_EQ(ioapic_r(f, 0x00), 0x02000000);
	/* Delivery status and remote IRR are read-only. */
	ioapic_w(f, 0x10, 0x00015030);
	CHECK_EQ(ioapic_r(f, 0x10), 0x00010030);
	fix_free(f);
}

TEST(intc_ioapic_edge_fixed_physical)
{
	struct intc_fix *f = fix_new(2);
	REQUIRE(f);
	apic_enable_all(f, 2);
	route(f, 4, 0x00000024, 1);                     /* COM1: vector 0x24, edge, to APIC 1 */
	irq(f, 4, 1);
	CHECK(!intc_irq_pending(&f->m, 0));
	CHECK(intc_irq_pending(&f->m, 1));
	CHECK(f->kicks[1] > 0);
	CHECK_EQ(intc_irq_ack(&f->m, 1), 0x24);
	irq(f, 4, 1);                                   /* no new edge: nothing */
	CHECK(!irr_bit(f, 1, 0x24));
	irq(f, 4, 0);
	irq(f, 4, 1);
	CHECK(irr_bit(f, 1, 0x24));
	/* The PIT (ISA IRQ 0) arrives on pin 2: the MADT's source override. */
	route(f, 2, 0x00000030, 0);
	irq(f, 0, 1);
	CHECK(irr_bit(f, 0, 0x30));
	fix_free(f);
}

TEST(intc_ioapic_masked_edge_is_dropped)
{
	struct intc_fix *f = fix_new(1);
	REQUIRE(f);
	apic_enable_all(f, 1);
	route(f, 3, 0x00010033, 0);                     /* masked */
	irq(f, 3, 1);
	irq(f, 3, 0);
	route(f, 3, 0x00000033, 0);                     /* unmask: not held pending */
	CHECK(!irr_bit(f, 0, 0x33));
	CHECK(!intc_irq_pending(&f->m, 0));
	fix_free(f);
}

TEST(intc_ioapic_level_remote_irr_and_eoi)
{
	struct intc_fix *f = fix_new(1);
	REQUIRE(f);
	apic_enable_all(f, 1);
	route(f, 10, 0x0000a03a, 0);                    /* level, active low, vector 0x3a */
	irq(f, 10, 1);
	CHECK(ioapic_r(f, 0x10 + 20) & 0x4000);         /* remote IRR */
	CHECK(apic_r(f, 0, 0x180 + 16) & (1u << (0x3a - 32)));  /* TMR: level */
	CHECK_EQ(intc_irq_ack(&f->m, 0), 0x3a);
	irq(f, 10, 1);                                  /* still asserted: no resend */
	CHECK(!irr_bit(f, 0, 0x3a));
	apic_w(f, 0, 0xb0, 0);                          /* EOI -> broadcast to the IOAPIC */
	/* Line still asserted: remote IRR cleared and the pin fires again. */
	CHECK(irr_bit(f, 0, 0x3a));
	CHECK(ioapic_r(f, 0x10 + 20) & 0x4000);
	CHECK_EQ(intc_irq_ack(&f->m, 0), 0x3a);
	irq(f, 10, 0);
	apic_w(f, 0, 0xb0, 0);
	CHECK_EQ(ioapic_r(f, 0x10 + 20) & 0x4000, 0);
	CHECK(!intc_irq_pending(&f->m, 0));

	/* A masked level line is delivered when unmasked, if still asserted. */
	route(f, 11, 0x0001a03b, 0);
	irq(f, 11, 1);
	CHECK(!irr_bit(f, 0, 0x3b));
	route(f, 11, 0x0000a03b, 0);
	CHECK(irr_bit(f, 0, 0x3b));
	/* The version 0x20 EOI register clears remote IRR too. */
	CHECK_EQ(intc_irq_ack(&f->m, 0), 0x3b);
	irq(f, 11, 0);
	mmio_w32(f, 0xFEC00040, 0x3b);
	CHECK_EQ(ioapic_r(f, 0x10 + 22) & 0x4000, 0);
	fix_free(f);
}

TEST(intc_ioapic_logical_lowest_priority_nmi)
{
	struct intc_fix *f = fix_new(3);
	REQUIRE(f);
	apic_enable_all(f, 3);
	for (unsigned i = 0; i < 3; i++)
		apic_w(f, i, 0xd0, (1u << i) << 24);    /* flat model: LDR bit i */
	route(f, 5, 0x00000845, 0x06);                  /* logical, fixed, CPUs 1 and 2 */
	irq(f, 5, 1);
	CHECK(!irr_bit(f, 0, 0x45));
	CHECK(irr_bit(f, 1, 0x45));
	CHECK(irr_bit(f, 2, 0x45));

	for (unsigned i = 1; i < 3; i++) {
		CHECK_EQ(intc_irq_ack(&f->m, i), 0x45);
		apic_w(f, i, 0xb0, 0);
	}
	/* Lowest priority: CPU 1 busier (TPR 0x20), so CPU 2 takes it. A
	 * pending IRR vector would count in the APR as well (SDM 10.8.3.1). */
	apic_w(f, 1, 0x80, 0x20);
	route(f, 6, 0x00000946, 0x06);
	irq(f, 6, 1);
	CHECK(!irr_bit(f, 1, 0x46));
	CHECK(irr_bit(f, 2, 0x46));

	route(f, 7, 0x00000400, 0);                     /* NMI to APIC 0 */
	irq(f, 7, 1);
	CHECK(intc_nmi_take(&f->m, 0));
	CHECK(!intc_nmi_take(&f->m, 0));
	CHECK(!intc_nmi_take(&f->m, 1));
	fix_free(f);
}

TEST(intc_msi_to_lapic)
{
	struct intc_fix *f = fix_new(2);
	REQUIRE(f);
	apic_enable_all(f, 2);
	/* SDM 10.11: address 0xFEE0_1000 = physical destination 1; data = vector. */
	f->m.irq.send_msi(f->m.irq.opaque, 0xFEE01000, 0x0041);
	CHECK(irr_bit(f, 1, 0x41));
	CHECK(!irr_bit(f, 0, 0x41));
	CHECK_EQ(intc_irq_ack(&f->m, 1), 0x41);
	f->m.irq.send_msi(f->m.irq.opaque, 0x12345000, 0x0042);  /* not an MSI address */
	CHECK(!irr_bit(f, 0, 0x42) && !irr_bit(f, 1, 0x42));
	fix_free(f);
}

TEST(intc_ioapic_state_round_trip)
{
	struct intc_fix *a = fix_new(1), *b = fix_new(1);
	REQUIRE(a && b);
	apic_enable_all(a, 1);
	route(a, 10, 0x0000a03a, 0);
	irq(a, 10, 1);
	REQUIRE(fix_transfer_state(a, b));
	CHECK_EQ(ioapic_r(b, 0x10 + 20), 0x0000e03a);   /* remote IRR travelled */
	CHECK_EQ(intc_irq_ack(&b->m, 0), 0x3a);
	apic_w(b, 0, 0xb0, 0);                          /* line still up: fires again */
	CHECK_EQ(intc_irq_ack(&b->m, 0), 0x3a);
	fix_free(a);
	fix_free(b);
}
