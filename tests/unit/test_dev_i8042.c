/*
 * 8042 keyboard controller: the probe sequences of SeaBIOS and Linux's
 * i8042/atkbd drivers. Expected bytes from the IBM PS/2 technical
 * reference (controller commands 0x20/0x60, 0xAA -> 0x55, 0xAB -> 0x00,
 * keyboard ACK 0xFA, BAT 0xAA, ID 0xAB 0x83 translated to 0xAB 0x41).
 */
#include "harness.h"
#include "test_dev_util.h"

#include <stdlib.h>

#include "hw/pc/i8042.h"

#define DATA 0x60
#define CMD 0x64

struct kbc_rig {
	struct dev_rig r;
	atomic_bool a20;
};

static bool kbc_setup(struct kbc_rig *k)
{
	rig_init(&k->r, 128 << 20, 1);
	atomic_init(&k->a20, true);
	return i8042_create(&k->r.m, &k->a20, NULL) == 0;
}

/* Reads one byte the way a driver does: wait for OBF, then read. */
static int kbc_read(struct kbc_rig *k)
{
	if (!(rig_inb(&k->r, CMD) & 0x01))
		return -1;
	return rig_inb(&k->r, DATA);
}

TEST(dev_i8042_self_test_and_interface_tests)
{
	struct kbc_rig k;

	REQUIRE(kbc_setup(&k));
	CHECK_EQ(rig_inb(&k.r, CMD) & 0x01, 0);     /* output buffer empty */
	CHECK_EQ(rig_inb(&k.r, CMD) & 0x10, 0x10);  /* keyboard not inhibited */
	rig_outb(&k.r, CMD, 0xAA);
	CHECK_EQ(rig_inb(&k.r, CMD) & 0x01, 0x01);
	CHECK_EQ(kbc_read(&k), 0x55);
	CHECK_EQ(kbc_read(&k), -1);
	CHECK_EQ(rig_inb(&k.r, CMD) & 0x04, 0x04);  /* system flag after self test */
	rig_outb(&k.r, CMD, 0xAB);
	CHECK_EQ(kbc_read(&k), 0x00);
	rig_outb(&k.r, CMD, 0xA9);
	CHECK_EQ(kbc_read(&k), 0x00);
	rig_free(&k.r);
}

TEST(dev_i8042_command_byte_and_port_enables)
{
	struct kbc_rig k;

	REQUIRE(kbc_setup(&k));
	rig_outb(&k.r, CMD, 0x60);
	rig_outb(&k.r, DATA, 0x47);
	CHECK_EQ(rig_inb(&k.r, CMD) & 0x08, 0);     /* last write was data */
	rig_outb(&k.r, CMD, 0x20);
	CHECK_EQ(rig_inb(&k.r, CMD) & 0x08, 0x08);  /* last write was a command */
	CHECK_EQ(kbc_read(&k), 0x47);
	rig_outb(&k.r, CMD, 0xAD);                  /* disable keyboard */
	rig_outb(&k.r, CMD, 0xA7);                  /* disable mouse */
	rig_outb(&k.r, CMD, 0x20);
	CHECK_EQ(kbc_read(&k), 0x47 | 0x10 | 0x20);
	rig_outb(&k.r, CMD, 0xAE);
	rig_outb(&k.r, CMD, 0xA8);
	rig_outb(&k.r, CMD, 0x20);
	CHECK_EQ(kbc_read(&k), 0x47 & ~0x30);
	rig_free(&k.r);
}

TEST(dev_i8042_keyboard_reset_and_identify)
{
	struct kbc_rig k;
	unsigned rises;

	REQUIRE(kbc_setup(&k));
	rig_outb(&k.r, CMD, 0x60);
	rig_outb(&k.r, DATA, 0x01);                 /* IRQ 1 on, no translation */
	rises = k.r.rises[1];
	rig_outb(&k.r, DATA, 0xFF);                 /* keyboard reset */
	CHECK_EQ(k.r.level[1], 1);
	CHECK_EQ(kbc_read(&k), 0xFA);
	CHECK_EQ(kbc_read(&k), 0xAA);               /* self test passed */
	CHECK_EQ(kbc_read(&k), -1);
	CHECK_EQ(k.r.level[1], 0);
	CHECK_EQ(k.r.rises[1], rises + 2);          /* one interrupt per byte */
	rig_outb(&k.r, DATA, 0xF2);
	CHECK_EQ(kbc_read(&k), 0xFA);
	CHECK_EQ(kbc_read(&k), 0xAB);
	CHECK_EQ(kbc_read(&k), 0x83);
	/* With translation (command byte bit 6) the ID reads AB 41. */
	rig_outb(&k.r, CMD, 0x60);
	rig_outb(&k.r, DATA, 0x41);
	rig_outb(&k.r, DATA, 0xF2);
	CHECK_EQ(kbc_read(&k), 0xFA);
	CHECK_EQ(kbc_read(&k), 0xAB);
	CHECK_EQ(kbc_read(&k), 0x41);
	/* Set LEDs takes an argument; both bytes are acknowledged. */
	rig_outb(&k.r, DATA, 0xED);
	CHECK_EQ(kbc_read(&k), 0xFA);
	rig_outb(&k.r, DATA, 0x07);
	CHECK_EQ(kbc_read(&k), 0xFA);
	/* Echo. */
	rig_outb(&k.r, DATA, 0xEE);
	CHECK_EQ(kbc_read(&k), 0xEE);
	/* No IRQ 1 when the command byte disables it. */
	rig_outb(&k.r, CMD, 0x60);
	rig_outb(&k.r, DATA, 0x00);
	rig_outb(&k.r, DATA, 0xF4);
	CHECK_EQ(k.r.level[1], 0);
	CHECK_EQ(kbc_read(&k), 0xFA);
	rig_free(&k.r);
}

TEST(dev_i8042_mouse_bytes_and_irq12)
{
	struct kbc_rig k;

	REQUIRE(kbc_setup(&k));
	rig_outb(&k.r, CMD, 0x60);
	rig_outb(&k.r, DATA, 0x03);                 /* IRQ 1 and 12 */
	/* Controller loopback to the mouse channel (Linux's AUX probe). */
	rig_outb(&k.r, CMD, 0xD3);
	rig_outb(&k.r, DATA, 0x5A);
	CHECK_EQ(rig_inb(&k.r, CMD) & 0x21, 0x21);  /* OBF from the mouse */
	CHECK_EQ(k.r.level[12], 1);
	CHECK_EQ(k.r.level[1], 0);
	CHECK_EQ(rig_inb(&k.r, DATA), 0x5A);
	CHECK_EQ(k.r.level[12], 0);
	/* Identify through 0xD4: ACK and ID 0 (standard PS/2 mouse). */
	rig_outb(&k.r, CMD, 0xD4);
	rig_outb(&k.r, DATA, 0xF2);
	CHECK_EQ(rig_inb(&k.r, CMD) & 0x21, 0x21);
	CHECK_EQ(rig_inb(&k.r, DATA), 0xFA);
	CHECK_EQ(rig_inb(&k.r, DATA), 0x00);
	/* Reset: ACK, BAT ok, ID. */
	rig_outb(&k.r, CMD, 0xD4);
	rig_outb(&k.r, DATA, 0xFF);
	CHECK_EQ(kbc_read(&k), 0xFA);
	CHECK_EQ(kbc_read(&k), 0xAA);
	CHECK_EQ(kbc_read(&k), 0x00);
	rig_free(&k.r);
}

TEST(dev_i8042_reset_line)
{
	struct kbc_rig k;

	REQUIRE(kbc_setup(&k));
	rig_outb(&k.r, CMD, 0xFF);                  /* pulse nothing */
	CHECK(!k.r.m.reset_requested);
	rig_outb(&k.r, CMD, 0xFE);                  /* pulse reset */
	CHECK(k.r.m.reset_requested);
	rig_free(&k.r);

	/* Output port written with bit 0 low resets too. */
	REQUIRE(kbc_setup(&k));
	rig_outb(&k.r, CMD, 0xD1);
	rig_outb(&k.r, DATA, 0xDF);                 /* GRUB's A20 enable: no reset */
	CHECK(!k.r.m.reset_requested);
	rig_outb(&k.r, CMD, 0xD1);
	rig_outb(&k.r, DATA, 0xDE);
	CHECK(k.r.m.reset_requested);
	rig_free(&k.r);
}

TEST(dev_i8042_output_port_a20)
{
	struct kbc_rig k;

	REQUIRE(kbc_setup(&k));
	rig_outb(&k.r, CMD, 0xD0);
	CHECK_EQ(kbc_read(&k) & 0x03, 0x03);        /* not in reset, A20 on */
	rig_outb(&k.r, CMD, 0xD1);
	rig_outb(&k.r, DATA, 0xDD);                 /* A20 off */
	CHECK(!atomic_load(&k.a20));
	rig_outb(&k.r, CMD, 0xD0);
	CHECK_EQ(kbc_read(&k) & 0x03, 0x01);
	/* The gate is shared: someone else (port 0x92) turns it on. */
	atomic_store(&k.a20, true);
	rig_outb(&k.r, CMD, 0xD0);
	CHECK_EQ(kbc_read(&k) & 0x03, 0x03);
	rig_outb(&k.r, CMD, 0xDD);                  /* the short A20 commands */
	CHECK(!atomic_load(&k.a20));
	rig_outb(&k.r, CMD, 0xDF);
	CHECK(atomic_load(&k.a20));
	CHECK(!k.r.m.reset_requested);
	rig_free(&k.r);
}

TEST(dev_i8042_save_reset_load)
{
	struct kbc_rig k;
	void *buf;
	size_t len;
	char err[256];

	REQUIRE(kbc_setup(&k));
	rig_outb(&k.r, CMD, 0x60);
	rig_outb(&k.r, DATA, 0x45);
	rig_outb(&k.r, DATA, 0xF2);                 /* leave FA AB 41 queued */
	CHECK_EQ(kbc_read(&k), 0xFA);
	REQUIRE(rig_save(&k.r, &buf, &len));
	rig_reset(&k.r);
	CHECK_EQ(rig_inb(&k.r, CMD) & 0x01, 0);
	rig_outb(&k.r, CMD, 0x20);
	CHECK(kbc_read(&k) != 0x45);
	REQUIRE(rig_load(&k.r, buf, len, err, sizeof err));
	CHECK_EQ(k.r.level[1], 1);
	CHECK_EQ(kbc_read(&k), 0xAB);
	CHECK_EQ(kbc_read(&k), 0x41);
	CHECK_EQ(kbc_read(&k), -1);
	rig_outb(&k.r, CMD, 0x20);
	CHECK_EQ(kbc_read(&k), 0x45);
	free(buf);
	rig_free(&k.r);
}

TEST(dev_i8042_hostile_traffic_is_contained)
{
	struct kbc_rig k;

	REQUIRE(kbc_setup(&k));
	/* Unknown commands, floods without reads, wide accesses: no crash,
	 * the queue stays bounded and the controller still answers. */
	for (unsigned i = 0; i < 256; i++) {
		if (i == 0xFE || (i >= 0xF0 && !(i & 1)) || i == 0xD1)
			continue;                   /* reset-line commands */
		rig_outb(&k.r, CMD, (uint8_t)i);
		rig_out(&k.r, DATA, 4, 0xF2F2F2F2);
	}
	for (unsigned i = 0; i < 64 && (rig_inb(&k.r, CMD) & 1); i++)
		(void)rig_inb(&k.r, DATA);
	CHECK_EQ(rig_inb(&k.r, CMD) & 0x01, 0);
	rig_outb(&k.r, CMD, 0xAA);
	CHECK_EQ(kbc_read(&k), 0x55);
	CHECK(!k.r.m.reset_requested);
	rig_free(&k.r);
}
