/*
 * 8254 PIT driven through ports 0x40-0x43 and 0x61 the way SeaBIOS and
 * Linux program it, on a fake clock. Expected counts and status bytes follow
 * the Intel 8254 datasheet (modes, control word, read-back status layout)
 * and the PC's 1.193182 MHz input clock. Times are placed in the middle of
 * a clock period so rounding cannot decide a result.
 */
#include "test_intc_fixture.h"
#include "hw/intc/intc_priv.h"

/* ns at which exactly k PIT clocks (and a half) have elapsed. */
static uint64_t mid(uint64_t k)
{
	return (2 * k + 1) * 1000000000ULL / (2 * 1193182ULL);
}

static uint16_t latch_read(struct intc_fix *f, unsigned ch)
{
	outb(f, 0x43, ch << 6);                         /* counter latch command */
	uint8_t lo = inb(f, 0x40 + ch);
	return lo | inb(f, 0x40 + ch) << 8;
}

static uint8_t status_read(struct intc_fix *f, unsigned ch)
{
	outb(f, 0x43, 0xe0 | 2u << ch);                 /* read-back: status only */
	return inb(f, 0x40 + ch);
}

/* Runs the timers at T0 + mid(k) and takes IRQ 0 if the PIC raised it. */
static bool irq0_at(struct intc_fix *f, uint64_t t0, uint64_t k)
{
	f->now = t0 + mid(k);
	intc_poll_timers(&f->m);
	if (!intc_irq_pending(&f->m, 0))
		return false;
	int v = intc_irq_ack(&f->m, 0);
	outb(f, 0x20, 0x20);
	return v == 0x30;
}

TEST(intc_pit_mode2_counts_and_periodic_irq0)
{
	struct intc_fix *f = fix_new(1);
	REQUIRE(f);
	fix_pic_init_linux(f, 0xfe, 0xff);
	outb(f, 0x43, 0x34);                            /* ch0, LSB+MSB, mode 2 */
	outb(f, 0x40, 0xa9);
	outb(f, 0x40, 0x04);                            /* 1193: ~1 ms, Linux HZ=1000 */
	uint64_t t0 = f->now;
	f->now = t0 + mid(100);
	CHECK_EQ(latch_read(f, 0), 1093);
	CHECK(!irq0_at(f, t0, 1192));
	CHECK(irq0_at(f, t0, 1193 + 5));
	f->now = t0 + mid(1193 + 5);
	CHECK_EQ(latch_read(f, 0), 1188);               /* reloaded at 1193 */
	unsigned irqs = 0;
	for (uint64_t k = 2; k < 12; k++)
		irqs += irq0_at(f, t0, k * 1193 + 1);
	CHECK_EQ(irqs, 10);
	fix_free(f);
}

TEST(intc_pit_mode0_terminal_count_and_readback)
{
	struct intc_fix *f = fix_new(1);
	REQUIRE(f);
	fix_pic_init_linux(f, 0xfe, 0xff);
	outb(f, 0x43, 0x30);                            /* ch0, LSB+MSB, mode 0 */
	/* OUT low (mode 0), NULL COUNT, RW = 3, mode 0, binary. */
	CHECK_EQ(status_read(f, 0), 0x70);
	outb(f, 0x40, 0xe8);
	outb(f, 0x40, 0x03);                            /* 1000 */
	uint64_t t0 = f->now;
	f->now = t0 + mid(500);
	CHECK_EQ(status_read(f, 0), 0x30);              /* count loaded, OUT still low */
	outb(f, 0x43, 0xc2);                            /* read-back count and status */
	CHECK_EQ(inb(f, 0x40), 0x30);                   /* status first */
	CHECK_EQ(inb(f, 0x40), 0xf4);                   /* 500 = 0x01f4 */
	CHECK_EQ(inb(f, 0x40), 0x01);
	CHECK(!irq0_at(f, t0, 999));
	CHECK(irq0_at(f, t0, 1001));
	CHECK_EQ(status_read(f, 0), 0xb0);              /* OUT high at terminal count */
	f->now = t0 + mid(1010);
	CHECK_EQ(latch_read(f, 0), 65526);              /* keeps counting past zero */
	CHECK(!irq0_at(f, t0, 70000));                  /* one interrupt only */
	fix_free(f);
}

TEST(intc_pit_latch_holds_until_read)
{
	struct intc_fix *f = fix_new(1);
	REQUIRE(f);
	outb(f, 0x43, 0x34);
	outb(f, 0x40, 0x00);
	outb(f, 0x40, 0x00);                            /* 0 = 65536 */
	uint64_t t0 = f->now;
	f->now = t0 + mid(10);
	outb(f, 0x43, 0x00);
	f->now = t0 + mid(20);
	outb(f, 0x43, 0x00);                            /* ignored: already latched */
	f->now = t0 + mid(5000);
	CHECK_EQ(inb(f, 0x40), 0xf6);                   /* 65526 latched at clock 10 */
	CHECK_EQ(inb(f, 0x40), 0xff);
	uint8_t lo = inb(f, 0x40);                      /* live: 65536 - 5000 */
	CHECK_EQ(lo | inb(f, 0x40) << 8, 60536);
	fix_free(f);
}

TEST(intc_pit_bcd_and_single_byte_access)
{
	struct intc_fix *f = fix_new(1);
	REQUIRE(f);
	outb(f, 0x43, 0x31);                            /* mode 0, BCD */
	outb(f, 0x40, 0x00);
	outb(f, 0x40, 0x10);                            /* BCD 1000 */
	uint64_t t0 = f->now;
	f->now = t0 + mid(1);
	CHECK_EQ(latch_read(f, 0), 0x0999);
	outb(f, 0x43, 0x10);                            /* LSB only, mode 0 */
	outb(f, 0x40, 0x50);                            /* 80 */
	t0 = f->now;
	f->now = t0 + mid(30);
	outb(f, 0x43, 0x00);
	CHECK_EQ(inb(f, 0x40), 50);
	outb(f, 0x43, 0x20);                            /* MSB only, mode 0 */
	outb(f, 0x40, 0x02);                            /* 0x200 = 512 */
	t0 = f->now;
	f->now = t0 + mid(256);
	CHECK_EQ(inb(f, 0x40), 0x01);                   /* MSB of 256 */
	CHECK_EQ(status_read(f, 0), 0x20);              /* OUT low, RW = 2, mode 0 */
	fix_free(f);
}

TEST(intc_pit_port61_channel2_calibration)
{
	struct intc_fix *f = fix_new(1);
	REQUIRE(f);
	/* Linux pit_calibrate_tsc(): gate on, speaker off, ch2 mode 0, 50 ms. */
	outb(f, 0x61, (inb(f, 0x61) & ~0x02) | 0x01);
	outb(f, 0x43, 0xb0);
	outb(f, 0x42, 59659 & 0xff);
	outb(f, 0x42, 59659 >> 8);
	uint64_t t0 = f->now;
	f->now = t0 + mid(59000);
	CHECK_EQ(inb(f, 0x61) & 0x23, 0x01);            /* OUT2 low, gate reads back */
	f->now = t0 + mid(59660);
	CHECK_EQ(inb(f, 0x61) & 0x23, 0x21);            /* OUT2 high: 50 ms elapsed */

	/* Gate low: mode 0 does not count. */
	outb(f, 0x61, 0x00);
	outb(f, 0x43, 0xb0);
	outb(f, 0x42, 0xe8);
	outb(f, 0x42, 0x03);
	t0 = f->now;
	f->now = t0 + mid(5000);
	CHECK_EQ(latch_read(f, 2), 1000);
	CHECK_EQ(inb(f, 0x61) & 0x20, 0);
	outb(f, 0x61, 0x01);
	t0 = f->now;
	f->now = t0 + mid(400);
	CHECK_EQ(latch_read(f, 2), 600);
	CHECK_EQ(inb(f, 0x61) & 0x20, 0);
	f->now = t0 + mid(1001);
	CHECK_EQ(inb(f, 0x61) & 0x20, 0x20);

	/* Bit 4 toggles with each refresh request (channel 1 at count 18). */
	f->now = mid(18 * 1000 + 9);
	uint8_t a = inb(f, 0x61) & 0x10;
	f->now = mid(18 * 1001 + 9);
	uint8_t b = inb(f, 0x61) & 0x10;
	f->now = mid(18 * 1002 + 9);
	uint8_t c = inb(f, 0x61) & 0x10;
	CHECK(a != b);
	CHECK_EQ(a, c);
	fix_free(f);
}

TEST(intc_pit_mode3_seabios_and_mode4_oneshot)
{
	struct intc_fix *f = fix_new(1);
	REQUIRE(f);
	fix_pic_init_linux(f, 0xfe, 0xff);
	CHECK(!irq0_at(f, f->now, 100000));             /* nothing before programming */
	/* SeaBIOS timer_setup(): ch0 mode 3, count 0 (65536): 18.2 Hz. */
	outb(f, 0x43, 0x36);
	outb(f, 0x40, 0x00);
	outb(f, 0x40, 0x00);
	uint64_t t0 = f->now;
	CHECK_EQ(status_read(f, 0), 0xb6);              /* OUT high, RW 3, mode 3 */
	f->now = t0 + mid(32768 + 10);
	CHECK_EQ(status_read(f, 0) & 0x80, 0);          /* second half: OUT low */
	CHECK(!irq0_at(f, t0, 65535));
	CHECK(irq0_at(f, t0, 65536));
	CHECK(irq0_at(f, t0, 2 * 65536));

	/* Linux clockevent one-shot: mode 4 (0x38); IRQ when OUT returns high. */
	outb(f, 0x43, 0x38);
	outb(f, 0x40, 100);
	outb(f, 0x40, 0);
	t0 = f->now;
	CHECK(!irq0_at(f, t0, 100));
	CHECK(irq0_at(f, t0, 101));
	CHECK(!irq0_at(f, t0, 100000));
	fix_free(f);
}

TEST(intc_pit_state_round_trip)
{
	struct intc_fix *a = fix_new(1), *b = fix_new(1);
	REQUIRE(a && b);
	fix_pic_init_linux(a, 0xfe, 0xff);             /* the PIC state travels too */
	outb(a, 0x43, 0x34);
	outb(a, 0x40, 0xa9);
	outb(a, 0x40, 0x04);
	uint64_t t0 = a->now;
	a->now = t0 + mid(300);
	outb(a, 0x61, 0x03);
	REQUIRE(fix_transfer_state(a, b));
	b->now = a->now;
	CHECK_EQ(latch_read(b, 0), 1193 - 300);
	CHECK_EQ(inb(b, 0x61) & 0x0f, 0x03);
	CHECK(irq0_at(b, t0, 1194));
	fix_free(a);
	fix_free(b);
}

TEST(intc_muldiv_exact_and_truncated)
{
	/* The rate conversions (a * mul / div with a 128-bit product, the
	 * result taken modulo 2^64), against values worked out by hand with
	 * arbitrary-precision integers: a 64-bit product, a 128-bit one, a
	 * rate that divides exactly (the TSC's 2 GHz), and its wrap. */
	CHECK_EQ(intc_muldiv(1000000000000ULL, 1193182, 1000000000ULL), 1193182000ULL);
	CHECK_EQ(intc_muldiv(123456789ULL, 1000000000ULL, 1193182), 103468531204ULL);
	CHECK_EQ(intc_muldiv(1ULL << 62, 1193182, 1000000000ULL), 5502580746839227ULL);
	CHECK_EQ(intc_muldiv(~0ULL, 1000000000ULL, 1193182), 1754476940199277021ULL);
	CHECK_EQ(intc_muldiv(12345, 2000000000ULL, 1000000000ULL), 24690);
	CHECK_EQ(intc_muldiv((1ULL << 63) + 5, 2000000000ULL, 1000000000ULL), 10);
}
