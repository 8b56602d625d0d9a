/*
 * MC146818 RTC and CMOS: driven through ports 0x70/0x71 as Linux's
 * mc146818 code and SeaBIOS do, on a fake clock so no test depends on
 * wall time. Times are checked against `date -u -d @1700000000`
 * (2023-11-14 22:13:20, a Tuesday); register semantics against the
 * MC146818A datasheet; memory-size bytes computed by hand from the PC
 * CMOS layout (see each test).
 */
#include "harness.h"
#include "test_dev_util.h"

#include <stdlib.h>

#include "hw/pc/rtc.h"

#define T0 1700000000   /* 2023-11-14 22:13:20 UTC, Tuesday */
#define NS 1000000000ULL

struct fake_clock {
	uint64_t ns;
};

static uint64_t fake_now(void *opaque)
{
	return ((struct fake_clock *)opaque)->ns;
}

static uint8_t cmos_read(struct dev_rig *r, uint8_t idx)
{
	rig_outb(r, 0x70, idx);
	return rig_inb(r, 0x71);
}

static void cmos_write(struct dev_rig *r, uint8_t idx, uint8_t v)
{
	rig_outb(r, 0x70, idx);
	rig_outb(r, 0x71, v);
}

static struct rtc *rtc_setup(struct dev_rig *r, struct fake_clock *clk, uint64_t ram, unsigned cpus)
{
	struct rtc *rtc;

	rig_init(r, ram, cpus);
	if (rtc_create(&r->m, &rtc))
		return NULL;
	clk->ns = 1000 * NS;
	rtc_set_clock(rtc, fake_now, clk);
	rtc_set_time(rtc, T0);
	return rtc;
}

TEST(dev_rtc_bcd_24h_readout)
{
	struct dev_rig r;
	struct fake_clock clk;

	REQUIRE(rtc_setup(&r, &clk, 128 << 20, 1));
	CHECK_EQ(cmos_read(&r, 0x0B), 0x02);  /* BCD, 24 h */
	CHECK_EQ(cmos_read(&r, 0x00), 0x20);
	CHECK_EQ(cmos_read(&r, 0x02), 0x13);
	CHECK_EQ(cmos_read(&r, 0x04), 0x22);
	CHECK_EQ(cmos_read(&r, 0x06), 0x03);  /* Tuesday; Sunday = 1 */
	CHECK_EQ(cmos_read(&r, 0x07), 0x14);
	CHECK_EQ(cmos_read(&r, 0x08), 0x11);
	CHECK_EQ(cmos_read(&r, 0x09), 0x23);
	CHECK_EQ(cmos_read(&r, 0x32), 0x20);
	CHECK_EQ(cmos_read(&r, 0x0D), 0x80);  /* valid RAM and time */
	rig_free(&r);
}

TEST(dev_rtc_binary_and_12h_readout)
{
	struct dev_rig r;
	struct fake_clock clk;

	REQUIRE(rtc_setup(&r, &clk, 128 << 20, 1));
	cmos_write(&r, 0x0B, 0x06);           /* binary, 24 h */
	CHECK_EQ(cmos_read(&r, 0x00), 20);
	CHECK_EQ(cmos_read(&r, 0x02), 13);
	CHECK_EQ(cmos_read(&r, 0x04), 22);
	CHECK_EQ(cmos_read(&r, 0x07), 14);
	CHECK_EQ(cmos_read(&r, 0x08), 11);
	CHECK_EQ(cmos_read(&r, 0x09), 23);
	CHECK_EQ(cmos_read(&r, 0x32), 20);
	cmos_write(&r, 0x0B, 0x00);           /* BCD, 12 h: 22h = 10 PM */
	CHECK_EQ(cmos_read(&r, 0x04), 0x90);
	cmos_write(&r, 0x0B, 0x04);           /* binary, 12 h */
	CHECK_EQ(cmos_read(&r, 0x04), 0x8A);
	rig_free(&r);
}

TEST(dev_rtc_time_follows_the_clock)
{
	struct dev_rig r;
	struct fake_clock clk;

	REQUIRE(rtc_setup(&r, &clk, 128 << 20, 1));
	clk.ns += NS / 2;
	CHECK_EQ(cmos_read(&r, 0x00), 0x20);
	clk.ns += NS / 2;
	CHECK_EQ(cmos_read(&r, 0x00), 0x21);
	clk.ns += 40 * NS;                    /* 22:14:01 */
	CHECK_EQ(cmos_read(&r, 0x00), 0x01);
	CHECK_EQ(cmos_read(&r, 0x02), 0x14);
	rig_free(&r);
}

TEST(dev_rtc_guest_sets_time_with_set_bit)
{
	struct dev_rig r;
	struct fake_clock clk;

	REQUIRE(rtc_setup(&r, &clk, 128 << 20, 1));
	/* Linux's set sequence: SET, write registers, clear SET. */
	cmos_write(&r, 0x0B, 0x82);
	cmos_write(&r, 0x00, 0x00);
	cmos_write(&r, 0x02, 0x00);
	cmos_write(&r, 0x04, 0x00);
	cmos_write(&r, 0x07, 0x01);
	cmos_write(&r, 0x08, 0x01);
	cmos_write(&r, 0x09, 0x00);
	cmos_write(&r, 0x32, 0x20);
	/* The clock does not run while SET is on. */
	clk.ns += 5 * NS;
	CHECK_EQ(cmos_read(&r, 0x00), 0x00);
	cmos_write(&r, 0x0B, 0x02);
	CHECK_EQ(cmos_read(&r, 0x06), 0x07);  /* 2000-01-01 was a Saturday */
	clk.ns += 61 * NS;                    /* 00:01:01 */
	CHECK_EQ(cmos_read(&r, 0x00), 0x01);
	CHECK_EQ(cmos_read(&r, 0x02), 0x01);
	CHECK_EQ(cmos_read(&r, 0x09), 0x00);
	CHECK_EQ(cmos_read(&r, 0x32), 0x20);
	rig_free(&r);
}

TEST(dev_rtc_uip_and_divider_reset)
{
	struct dev_rig r;
	struct fake_clock clk;

	REQUIRE(rtc_setup(&r, &clk, 128 << 20, 1));
	CHECK_EQ(cmos_read(&r, 0x0A), 0x26);
	/* UIP is set in the 244 us before the update. */
	clk.ns += NS - 100000;
	CHECK_EQ(cmos_read(&r, 0x0A), 0xA6);
	clk.ns += 200000;
	CHECK_EQ(cmos_read(&r, 0x0A), 0x26);
	CHECK_EQ(cmos_read(&r, 0x00), 0x21);
	/* Divider held in reset (DV = 11x): time stands still. */
	cmos_write(&r, 0x0A, 0x76);
	clk.ns += 10 * NS;
	CHECK_EQ(cmos_read(&r, 0x00), 0x21);
	/* Released: the first update comes 500 ms later. */
	cmos_write(&r, 0x0A, 0x26);
	clk.ns += 400000000;
	CHECK_EQ(cmos_read(&r, 0x00), 0x21);
	clk.ns += 200000000;
	CHECK_EQ(cmos_read(&r, 0x00), 0x22);
	rig_free(&r);
}

TEST(dev_rtc_periodic_flag_and_clear_on_read)
{
	struct dev_rig r;
	struct fake_clock clk;

	REQUIRE(rtc_setup(&r, &clk, 128 << 20, 1));
	CHECK_EQ(cmos_read(&r, 0x0C), 0x00);
	/* Rate 6 = 976.5625 us. PF is set even with PIE off, without IRQF. */
	clk.ns += 1000000;
	CHECK_EQ(cmos_read(&r, 0x0C), 0x40);
	CHECK_EQ(cmos_read(&r, 0x0C), 0x00);  /* cleared by the read */
	CHECK_EQ(r.level[8], 0);
	/* With PIE: IRQF and IRQ 8 until register C is read. */
	cmos_write(&r, 0x0B, 0x42);
	clk.ns += 1000000;
	CHECK_EQ(cmos_read(&r, 0x0A), 0x26);  /* any access updates the flags */
	CHECK_EQ(r.level[8], 1);
	CHECK_EQ(cmos_read(&r, 0x0C), 0xC0);
	CHECK_EQ(r.level[8], 0);
	CHECK_EQ(cmos_read(&r, 0x0C), 0x00);
	/* Less than one period later: nothing. */
	clk.ns += 500000;
	CHECK_EQ(cmos_read(&r, 0x0C), 0x00);
	/* Rate 15 = 500 ms: 400 ms is not enough, 600 ms is. */
	cmos_write(&r, 0x0A, 0x2F);
	CHECK_EQ(cmos_read(&r, 0x0C) & 0x40, 0);
	/* The divider started at a second boundary (rtc_set_clock), so
	 * 500 ms boundaries fall on multiples of 500 ms of the clock. */
	clk.ns = (clk.ns / (NS / 2) + 1) * (NS / 2) - 100000000;   /* 100 ms before one */
	CHECK_EQ(cmos_read(&r, 0x0C), 0x00);
	clk.ns += 50000000;
	CHECK_EQ(cmos_read(&r, 0x0C), 0x00);
	clk.ns += 100000000;
	CHECK_EQ(cmos_read(&r, 0x0C), 0xC0);
	rig_free(&r);
}

TEST(dev_rtc_update_and_alarm_interrupts)
{
	struct dev_rig r;
	struct fake_clock clk;

	REQUIRE(rtc_setup(&r, &clk, 128 << 20, 1));
	cmos_write(&r, 0x0A, 0x20);           /* no periodic rate */
	(void)cmos_read(&r, 0x0C);
	/* Update-ended with UIE: UF + IRQF at the next second. */
	cmos_write(&r, 0x0B, 0x12);
	clk.ns += NS / 2;
	CHECK_EQ(cmos_read(&r, 0x0C), 0x00);
	clk.ns += NS / 2;
	CHECK_EQ(cmos_read(&r, 0x0C), 0x90);
	/* Alarm at 22:13:25 (now 22:13:21), AIE only. */
	cmos_write(&r, 0x01, 0x25);
	cmos_write(&r, 0x03, 0x13);
	cmos_write(&r, 0x05, 0x22);
	cmos_write(&r, 0x0B, 0x22);
	clk.ns += 3 * NS;                     /* 22:13:24 */
	CHECK_EQ(cmos_read(&r, 0x0C), 0x10);  /* UF, not enabled: no IRQF */
	CHECK_EQ(r.level[8], 0);
	clk.ns += NS;                         /* 22:13:25 */
	CHECK_EQ(cmos_read(&r, 0x0A), 0x20);
	CHECK_EQ(r.level[8], 1);
	CHECK_EQ(cmos_read(&r, 0x0C), 0xB0);
	/* "Don't care" (0xC0-0xFF) in all three: every second. */
	cmos_write(&r, 0x01, 0xFF);
	cmos_write(&r, 0x03, 0xC0);
	cmos_write(&r, 0x05, 0xC0);
	clk.ns += NS;
	CHECK_EQ(cmos_read(&r, 0x0C), 0xB0);
	/* SET going high clears UIE. */
	cmos_write(&r, 0x0B, 0x92);
	CHECK_EQ(cmos_read(&r, 0x0B), 0x82);
	rig_free(&r);
}

/* The memory-size and CPU-count bytes, register by register. A guest
 * reading them on qemu-system-x86_64 -M pc (7.2) sees the same values. */
static const uint8_t mem_regs[] = { 0x15, 0x16, 0x17, 0x18, 0x30, 0x31, 0x34, 0x35,
				    0x5B, 0x5C, 0x5D, 0x5F };

static void check_mem_regs(uint64_t ram, unsigned cpus, const uint8_t want[sizeof mem_regs])
{
	struct dev_rig r;
	struct fake_clock clk;

	REQUIRE(rtc_setup(&r, &clk, ram, cpus));
	for (unsigned i = 0; i < sizeof mem_regs; i++) {
		uint8_t got = cmos_read(&r, mem_regs[i]);

		if (got != want[i]) {
			char m[128];

			snprintf(m, sizeof m, "CMOS 0x%02x = 0x%02x, want 0x%02x (%llu MiB)",
				 mem_regs[i], got, want[i], (unsigned long long)(ram >> 20));
			test_fail(__FILE__, __LINE__, m);
		}
	}
	rig_free(&r);
}

TEST(dev_rtc_memory_size_128m)
{
	/*
	 * 128 MiB, all below 4 GiB. Base: 640 KiB = 0x0280. Extended above
	 * 1 MiB: 127 * 1024 = 130048 KiB > 0xFFFF -> 0xFFFF (0x17/0x18 and
	 * 0x30/0x31). Above 16 MiB in 64 KiB units: 112 MiB * 16 = 1792 =
	 * 0x0700. Nothing above 4 GiB. One CPU: 0x5F = 0.
	 */
	static const uint8_t want[] = { 0x80, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x07,
					0x00, 0x00, 0x00, 0x00 };

	check_mem_regs(128ULL << 20, 1, want);
}

TEST(dev_rtc_memory_size_5g)
{
	/*
	 * 5 GiB: 3 GiB below 4 GiB (the hole starts at 0xC0000000), 2 GiB
	 * above. Above 16 MiB: (3072 - 16) MiB * 16 = 48896 = 0xBF00. Above
	 * 4 GiB: 2 GiB / 64 KiB = 32768 = 0x008000. Four CPUs: 0x5F = 3.
	 */
	static const uint8_t want[] = { 0x80, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0xBF,
					0x00, 0x80, 0x00, 0x03 };

	check_mem_regs(5ULL << 30, 4, want);
}

TEST(dev_rtc_pc_cmos_layout)
{
	struct dev_rig r;
	struct fake_clock clk;
	unsigned sum = 0;

	REQUIRE(rtc_setup(&r, &clk, 512ULL << 20, 1));
	CHECK_EQ(cmos_read(&r, 0x0F), 0x00);  /* shutdown status */
	CHECK_EQ(cmos_read(&r, 0x10), 0x00);  /* no floppy */
	CHECK_EQ(cmos_read(&r, 0x12), 0x00);  /* no hard disk type */
	CHECK_EQ(cmos_read(&r, 0x14) & 0x02, 0x02);   /* math coprocessor */
	CHECK_EQ(cmos_read(&r, 0x14) & 0xC1, 0x00);   /* no floppy drives */
	/* Boot order: hard disk, floppy, CD-ROM, as QEMU 7.2 shows by
	 * default (a guest reading CMOS 0x3D/0x38 on qemu-system-x86_64 -M pc
	 * gets 0x12/0x30). */
	CHECK_EQ(cmos_read(&r, 0x3D), 0x12);
	CHECK_EQ(cmos_read(&r, 0x38), 0x30);
	/* The standard checksum: sum of 0x10-0x2D, big endian at 0x2E. */
	for (unsigned i = 0x10; i <= 0x2D; i++)
		sum += cmos_read(&r, (uint8_t)i);
	CHECK_EQ(cmos_read(&r, 0x2E), (sum >> 8) & 0xFF);
	CHECK_EQ(cmos_read(&r, 0x2F), sum & 0xFF);
	/* NVRAM: any byte from 0x0E up keeps what the guest writes; the NMI
	 * bit of the index does not change the register selected. */
	cmos_write(&r, 0x7F, 0xA5);
	rig_outb(&r, 0x70, 0x80 | 0x7F);
	CHECK_EQ(rig_inb(&r, 0x71), 0xA5);
	rig_outb(&r, 0x70, 0x8F);
	CHECK_EQ(rig_inb(&r, 0x71), 0x00);
	/* Register C and D ignore writes. */
	cmos_write(&r, 0x0D, 0x00);
	CHECK_EQ(cmos_read(&r, 0x0D), 0x80);
	rig_free(&r);
}

TEST(dev_rtc_save_reset_load)
{
	struct dev_rig r;
	struct fake_clock clk;
	struct rtc *rtc;
	void *buf;
	size_t len;
	char err[256];

	REQUIRE((rtc = rtc_setup(&r, &clk, 128 << 20, 1)));
	cmos_write(&r, 0x40, 0x5A);
	cmos_write(&r, 0x0B, 0x46);           /* PIE, binary, 24 h */
	cmos_write(&r, 0x0A, 0x2A);           /* rate 10 */
	REQUIRE(rig_save(&r, &buf, &len));

	/* Change what the snapshot holds, then reset. */
	cmos_write(&r, 0x40, 0x00);
	rtc_set_time(rtc, T0 + 1000);
	rig_reset(&r);
	CHECK_EQ(cmos_read(&r, 0x0B), 0x06);  /* reset cleared PIE */

	REQUIRE(rig_load(&r, buf, len, err, sizeof err));
	CHECK_EQ(cmos_read(&r, 0x40), 0x5A);
	CHECK_EQ(cmos_read(&r, 0x0B), 0x46);
	CHECK_EQ(cmos_read(&r, 0x0A), 0x2A);
	CHECK_EQ(cmos_read(&r, 0x00), 20);    /* 22:13:20 again, binary */
	CHECK_EQ(cmos_read(&r, 0x02), 13);
	clk.ns += NS;
	CHECK_EQ(cmos_read(&r, 0x00), 21);    /* and running */
	free(buf);
	rig_free(&r);
}
