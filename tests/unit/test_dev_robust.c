/*
 * Hostile guest traffic on every port of the PC board devices: random
 * values at random widths (1, 2, 4), including accesses that run past a
 * device's range. Nothing may crash (run under ASan/UBSan too), a reset
 * must bring back the power-on state a guest sees, and a snapshot taken
 * in the middle of the mess must load back.
 */
#include "harness.h"
#include "test_dev_util.h"

#include <stdlib.h>

#include "hw/pc/i8042.h"
#include "hw/pc/post.h"
#include "hw/pc/reset.h"
#include "hw/pc/rtc.h"
#include "hw/pc/serial.h"

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static const uint16_t robust_ports[] = {
	0x3F8, 0x3F9, 0x3FA, 0x3FB, 0x3FC, 0x3FD, 0x3FE, 0x3FF,
	0x2F8, 0x2F9, 0x2FA, 0x2FB, 0x2FC, 0x2FD, 0x2FE, 0x2FF,
	0x70, 0x71, 0x60, 0x64, 0x80, 0x92, 0xCF9, 0x402,
};

TEST(dev_robust_random_traffic_then_reset)
{
	struct dev_rig r;
	atomic_bool a20;
	uint64_t seed = 0x9E3779B97F4A7C15ULL;
	void *buf = NULL;
	size_t len = 0;
	char err[256];

	rig_init(&r, 256 << 20, 2);
	atomic_init(&a20, true);
	REQUIRE(serial_create(&r.m, 0x3F8, 4, NULL, "com1", NULL) == 0);
	REQUIRE(serial_create(&r.m, 0x2F8, 3, NULL, "com2", NULL) == 0);
	REQUIRE(rtc_create(&r.m, NULL) == 0);
	REQUIRE(i8042_create(&r.m, &a20, NULL) == 0);
	REQUIRE(post_create(&r.m, NULL) == 0);
	REQUIRE(reset_ctl_create(&r.m, &a20, true, NULL) == 0);

	for (unsigned i = 0; i < 200000; i++) {
		uint64_t x = xorshift(&seed);
		uint16_t port = robust_ports[x % (sizeof robust_ports / sizeof robust_ports[0])];
		unsigned size = 1u << ((x >> 8) % 3);

		if ((x >> 16) & 1)
			rig_out(&r, port, size, xorshift(&seed));
		else
			(void)rig_in(&r, port, size);
		if (i == 100000)
			CHECK(rig_save(&r, &buf, &len));
	}
	/* Resets were surely requested along the way; the machine does them. */
	rig_reset(&r);
	for (unsigned c = 0; c < 2; c++) {
		uint16_t base = c ? 0x2F8 : 0x3F8;

		CHECK_EQ(rig_inb(&r, base + 3), 0x00);   /* LCR */
		CHECK_EQ(rig_inb(&r, base + 1), 0x00);   /* IER */
		CHECK_EQ(rig_inb(&r, base + 2), 0x01);   /* IIR */
		CHECK_EQ(rig_inb(&r, base + 5), 0x60);   /* LSR */
	}
	CHECK_EQ(r.level[3], 0);
	CHECK_EQ(r.level[4], 0);
	CHECK_EQ(r.level[1], 0);
	CHECK_EQ(r.level[12], 0);
	CHECK_EQ(r.level[8], 0);
	CHECK_EQ(rig_inb(&r, 0x64) & 0x01, 0);        /* 8042 output empty */
	rig_outb(&r, 0x64, 0xAA);
	CHECK_EQ(rig_inb(&r, 0x60), 0x55);
	rig_outb(&r, 0x70, 0x0B);
	CHECK_EQ(rig_inb(&r, 0x71) & 0x78, 0);        /* PIE AIE UIE SQWE off */
	rig_outb(&r, 0x70, 0x0C);
	CHECK_EQ(rig_inb(&r, 0x71), 0);
	CHECK_EQ(rig_inb(&r, 0xCF9), 0);
	/* The snapshot taken mid-stream is consistent and loads. */
	REQUIRE(buf);
	CHECK(rig_load(&r, buf, len, err, sizeof err));
	free(buf);
	rig_free(&r);
}
