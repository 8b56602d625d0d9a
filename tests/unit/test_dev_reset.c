/*
 * Reset control: 0xCF9 (PIIX3 reset control register: RST_CPU going
 * 0 -> 1 resets, SYS_RST selects hard) and port 0x92 (fast reset on a
 * 0 -> 1 of bit 0, bit 1 = A20), as Linux's reboot=pci and SeaBIOS use them.
 */
#include "harness.h"
#include "test_dev_util.h"

#include <stdlib.h>

#include "hw/pc/reset.h"

struct rst_rig {
	struct dev_rig r;
	atomic_bool a20;
};

static bool rst_setup(struct rst_rig *t)
{
	rig_init(&t->r, 128 << 20, 1);
	atomic_init(&t->a20, true);
	return reset_ctl_create(&t->r.m, &t->a20, true, NULL) == 0;
}

TEST(dev_reset_cf9_linux_sequence)
{
	struct rst_rig t;

	REQUIRE(rst_setup(&t));
	CHECK_EQ(rig_inb(&t.r, 0xCF9), 0x00);
	/* Linux: write SYS_RST (0x02), then SYS_RST | RST_CPU (0x06). */
	rig_outb(&t.r, 0xCF9, 0x02);
	CHECK(!t.r.m.reset_requested);
	CHECK_EQ(rig_inb(&t.r, 0xCF9), 0x02);       /* the register keeps it */
	rig_outb(&t.r, 0xCF9, 0x06);
	CHECK(t.r.m.reset_requested);
	CHECK_EQ(rig_inb(&t.r, 0xCF9), 0x06);
	/* The reset returns the register to 0. */
	rig_reset(&t.r);
	CHECK_EQ(rig_inb(&t.r, 0xCF9), 0x00);
	rig_free(&t.r);
}

TEST(dev_reset_cf9_full_reset_value)
{
	struct rst_rig t;

	REQUIRE(rst_setup(&t));
	rig_outb(&t.r, 0xCF9, 0x0E);                /* firmware's full reset */
	CHECK(t.r.m.reset_requested);
	rig_free(&t.r);

	/* Bits 1 and 3 without RST_CPU do nothing yet. */
	REQUIRE(rst_setup(&t));
	rig_outb(&t.r, 0xCF9, 0x0A);
	CHECK(!t.r.m.reset_requested);
	CHECK_EQ(rig_inb(&t.r, 0xCF9), 0x0A);
	rig_free(&t.r);
}

TEST(dev_reset_port92_fast_reset_and_a20)
{
	struct rst_rig t;

	REQUIRE(rst_setup(&t));
	CHECK_EQ(rig_inb(&t.r, 0x92), 0x02);        /* A20 on at power-on */
	rig_outb(&t.r, 0x92, 0x00);                 /* SeaBIOS: A20 off */
	CHECK(!atomic_load(&t.a20));
	CHECK_EQ(rig_inb(&t.r, 0x92), 0x00);
	rig_outb(&t.r, 0x92, 0x02);
	CHECK(atomic_load(&t.a20));
	CHECK(!t.r.m.reset_requested);
	rig_outb(&t.r, 0x92, 0x03);                 /* fast reset */
	CHECK(t.r.m.reset_requested);
	rig_free(&t.r);
}

TEST(dev_reset_save_reset_load)
{
	struct rst_rig t;
	void *buf;
	size_t len;
	char err[256];

	REQUIRE(rst_setup(&t));
	rig_outb(&t.r, 0xCF9, 0x0A);
	REQUIRE(rig_save(&t.r, &buf, &len));
	rig_reset(&t.r);
	CHECK_EQ(rig_inb(&t.r, 0xCF9), 0x00);
	REQUIRE(rig_load(&t.r, buf, len, err, sizeof err));
	CHECK_EQ(rig_inb(&t.r, 0xCF9), 0x0A);
	/* Restored with RST_CPU clear: 0x0E still resets. */
	rig_outb(&t.r, 0xCF9, 0x0E);
	CHECK(t.r.m.reset_requested);
	free(buf);
	rig_free(&t.r);
}
