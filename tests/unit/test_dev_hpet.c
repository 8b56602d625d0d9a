/*
 * HPET: driven through MMIO the way Linux's hpet code (arch/x86/kernel/
 * hpet.c) and the IA-PC HPET 1.0a specification describe, on a fake clock.
 * Expected values come from the specification: register layout (section
 * 2.3), capability fields (2.3.4), the 100 MHz counter (period in fs),
 * legacy replacement routing (2.3.5 / table 3: timer 0 -> IRQ 0, timer 1
 * -> IRQ 8), level status W1C (2.3.7), periodic mode with Tn_VAL_SET_CNF
 * (2.3.9.2.2) and 32-bit mode wrapping every 2^32 ticks.
 */
#define _GNU_SOURCE   /* memmem */
#include "harness.h"
#include "test_dev_util.h"

#include <stdlib.h>
#include <string.h>

#include "core/state.h"

#include "acpi/acpi.h"
#include "hw/pc/hpet.h"

#define MS 1000000ULL          /* ns */
#define TICKS_PER_MS 100000ULL /* 100 MHz */

struct hpet_rig {
	struct dev_rig r;
	struct hpet *h;
	uint64_t ns;
};

static uint64_t fake_now(void *opaque)
{
	return ((struct hpet_rig *)opaque)->ns;
}

static bool hrig_init(struct hpet_rig *t)
{
	rig_init(&t->r, 128 << 20, 1);
	if (hpet_create(&t->r.m, &t->h))
		return false;
	t->ns = 5000 * MS;      /* not 0: catches "time since boot" confusions */
	hpet_set_clock(t->h, fake_now, t);
	return true;
}

static uint64_t rd(struct hpet_rig *t, uint64_t reg, unsigned size)
{
	return machine_mmio_read(&t->r.m, HPET_BASE + reg, size);
}

static void wr(struct hpet_rig *t, uint64_t reg, unsigned size, uint64_t v)
{
	machine_mmio_write(&t->r.m, HPET_BASE + reg, size, v);
}

/* Moves the clock and runs what the loop timer would. */
static void advance(struct hpet_rig *t, uint64_t ns)
{
	t->ns += ns;
	hpet_poll(t->h);
}

TEST(dev_hpet_capabilities)
{
	struct hpet_rig t;

	REQUIRE(hrig_init(&t));
	uint64_t cap = rd(&t, HPET_REG_CAP, 8);
	CHECK_EQ(cap & 0xFF, 1);                  /* REV_ID, must not be 0 */
	CHECK_EQ((cap >> 8) & 0x1F, 2);           /* NUM_TIM_CAP: last timer is #2 */
	CHECK_EQ((cap >> 13) & 1, 1);             /* COUNT_SIZE_CAP: 64-bit */
	CHECK_EQ((cap >> 15) & 1, 1);             /* LEG_RT_CAP */
	CHECK_EQ((cap >> 16) & 0xFFFF, 0x8086);
	CHECK_EQ(cap >> 32, 10000000);            /* 10^15 fs / 100 MHz */
	/* 32-bit halves, as Linux reads them. */
	CHECK_EQ(rd(&t, HPET_REG_CAP, 4), 0x8086A201);
	CHECK_EQ(rd(&t, HPET_REG_CAP + 4, 4), 10000000);
	/* Read only. */
	wr(&t, HPET_REG_CAP, 8, 0);
	CHECK_EQ(rd(&t, HPET_REG_CAP, 4), 0x8086A201);
	for (unsigned n = 0; n < HPET_TIMERS; n++) {
		uint64_t c = rd(&t, HPET_REG_TIMER(n), 8);
		CHECK(c & HPET_TN_PERIODIC_CAP);
		CHECK(c & HPET_TN_SIZE_64);
		CHECK(!(c & HPET_TN_FSB_CAP));
		CHECK_EQ(c >> 32, 0x00FF0000);    /* IOAPIC pins 16-23 */
	}
	rig_free(&t.r);
}

TEST(dev_hpet_reset_values)
{
	struct hpet_rig t;

	REQUIRE(hrig_init(&t));
	CHECK_EQ(rd(&t, HPET_REG_CONFIG, 8), 0);
	CHECK_EQ(rd(&t, HPET_REG_STATUS, 8), 0);
	CHECK_EQ(rd(&t, HPET_REG_COUNTER, 8), 0);
	for (unsigned n = 0; n < HPET_TIMERS; n++) {
		CHECK_EQ(rd(&t, HPET_REG_TIMER(n), 4) & ~(uint32_t)0x30, 0);
		CHECK_EQ(rd(&t, HPET_REG_CMP(n), 8), ~0ULL);  /* spec default: all ones */
	}
	/* A machine reset returns there from a running setup. */
	wr(&t, HPET_REG_TIMER(0), 4, HPET_TN_INT_ENABLE | HPET_TN_PERIODIC);
	wr(&t, HPET_REG_CONFIG, 4, HPET_CFG_ENABLE | HPET_CFG_LEGACY);
	advance(&t, MS);
	rig_reset(&t.r);
	CHECK_EQ(rd(&t, HPET_REG_CONFIG, 8), 0);
	CHECK_EQ(rd(&t, HPET_REG_COUNTER, 8), 0);
	CHECK_EQ(rd(&t, HPET_REG_TIMER(0), 4) & HPET_TN_INT_ENABLE, 0);
	rig_free(&t.r);
}

TEST(dev_hpet_counter_runs_at_100mhz_only_when_enabled)
{
	struct hpet_rig t;

	REQUIRE(hrig_init(&t));
	advance(&t, 10 * MS);
	CHECK_EQ(rd(&t, HPET_REG_COUNTER, 8), 0);        /* halted at reset */
	wr(&t, HPET_REG_CONFIG, 4, HPET_CFG_ENABLE);
	advance(&t, 1 * MS);
	CHECK_EQ(rd(&t, HPET_REG_COUNTER, 8), 100000);
	t.ns += 15;                                       /* 1.5 ticks */
	CHECK_EQ(rd(&t, HPET_REG_COUNTER, 4), 100001);
	wr(&t, HPET_REG_CONFIG, 4, 0);                    /* halt: the count holds */
	advance(&t, 7 * MS);
	CHECK_EQ(rd(&t, HPET_REG_COUNTER, 8), 100001);
	/* Software may load the counter while it is halted. */
	wr(&t, HPET_REG_COUNTER, 4, 0xFFFFFFF0);
	wr(&t, HPET_REG_COUNTER + 4, 4, 0x1);
	CHECK_EQ(rd(&t, HPET_REG_COUNTER, 8), 0x1FFFFFFF0ULL);
	wr(&t, HPET_REG_CONFIG, 4, HPET_CFG_ENABLE);
	advance(&t, 200);                                 /* 20 ticks: carries into bit 33 */
	CHECK_EQ(rd(&t, HPET_REG_COUNTER, 8), 0x200000004ULL);
	CHECK_EQ(rd(&t, HPET_REG_COUNTER + 4, 4), 2);
	rig_free(&t.r);
}

/* Linux's hpet_clkevt_set_state_periodic() with legacy replacement: a
 * 1 kHz tick on IRQ 0. */
TEST(dev_hpet_legacy_periodic_timer0_drives_irq0)
{
	struct hpet_rig t;
	uint64_t delta = TICKS_PER_MS;

	REQUIRE(hrig_init(&t));
	wr(&t, HPET_REG_CONFIG, 4, HPET_CFG_LEGACY);
	wr(&t, HPET_REG_CONFIG, 4, HPET_CFG_LEGACY | HPET_CFG_ENABLE);
	uint32_t cfg = (uint32_t)rd(&t, HPET_REG_TIMER(0), 4);
	cfg |= HPET_TN_INT_ENABLE | HPET_TN_PERIODIC | HPET_TN_VAL_SET | HPET_TN_32BIT;
	wr(&t, HPET_REG_TIMER(0), 4, cfg);
	uint32_t now = (uint32_t)rd(&t, HPET_REG_COUNTER, 4);
	wr(&t, HPET_REG_CMP(0), 4, now + delta);   /* with VAL_SET: the accumulator */
	wr(&t, HPET_REG_CMP(0), 4, delta);         /* then: the period */
	CHECK_EQ(rd(&t, HPET_REG_TIMER(0), 4) & HPET_TN_VAL_SET, 0);   /* self-clearing */
	CHECK_EQ(rd(&t, HPET_REG_CMP(0), 4), now + delta);

	advance(&t, MS / 2);
	CHECK_EQ(t.r.rises[0], 0);
	advance(&t, MS / 2);
	CHECK_EQ(t.r.rises[0], 1);
	CHECK_EQ(t.r.level[0], 0);                 /* edge: a pulse */
	CHECK_EQ(rd(&t, HPET_REG_CMP(0), 4), now + 2 * delta);
	for (int i = 0; i < 9; i++)
		advance(&t, MS);
	CHECK_EQ(t.r.rises[0], 10);
	/* Nothing on IRQ 8 or the IOAPIC pins. */
	CHECK_EQ(t.r.rises[8], 0);
	CHECK_EQ(t.r.rises[2], 0);
	/* Edge mode leaves the status register alone. */
	CHECK_EQ(rd(&t, HPET_REG_STATUS, 4), 0);
	/* A late poll (the host was busy for 3.5 periods) gives one interrupt
	 * and keeps the phase. */
	advance(&t, 3 * MS + MS / 2);
	CHECK_EQ(t.r.rises[0], 11);
	CHECK_EQ(rd(&t, HPET_REG_CMP(0), 4), now + 14 * delta);
	rig_free(&t.r);
}

/* Timer 1 in legacy mode is the RTC's IRQ 8 (Linux's hpet_rtc code uses
 * it one-shot). */
TEST(dev_hpet_legacy_oneshot_timer1_drives_irq8)
{
	struct hpet_rig t;

	REQUIRE(hrig_init(&t));
	wr(&t, HPET_REG_CONFIG, 4, HPET_CFG_LEGACY | HPET_CFG_ENABLE);
	wr(&t, HPET_REG_TIMER(1), 4, HPET_TN_INT_ENABLE);
	wr(&t, HPET_REG_CMP(1), 8, rd(&t, HPET_REG_COUNTER, 8) + 3 * TICKS_PER_MS);
	advance(&t, 2 * MS);
	CHECK_EQ(t.r.rises[8], 0);
	advance(&t, 1 * MS);
	CHECK_EQ(t.r.rises[8], 1);
	CHECK_EQ(t.r.rises[0], 0);
	/* A 64-bit one-shot comparator matches once. */
	advance(&t, 50000 * MS);
	CHECK_EQ(t.r.rises[8], 1);
	/* Without legacy routing the same timer uses its route field: pin 17. */
	wr(&t, HPET_REG_CONFIG, 4, HPET_CFG_ENABLE);
	wr(&t, HPET_REG_TIMER(1), 4, HPET_TN_INT_ENABLE | (17u << HPET_TN_ROUTE_SHIFT));
	wr(&t, HPET_REG_CMP(1), 8, rd(&t, HPET_REG_COUNTER, 8) + TICKS_PER_MS);
	advance(&t, MS);
	CHECK_EQ(t.r.rises[17], 1);
	CHECK_EQ(t.r.rises[8], 1);
	rig_free(&t.r);
}

/* Level mode: Tn_INT_STS set by hardware at the match, the line held
 * until software writes 1 to the bit. */
TEST(dev_hpet_level_status_write_one_to_clear)
{
	struct hpet_rig t;

	REQUIRE(hrig_init(&t));
	wr(&t, HPET_REG_CONFIG, 4, HPET_CFG_ENABLE);
	wr(&t, HPET_REG_TIMER(2), 4,
	   HPET_TN_LEVEL | HPET_TN_INT_ENABLE | (20u << HPET_TN_ROUTE_SHIFT));
	CHECK_EQ((rd(&t, HPET_REG_TIMER(2), 4) >> HPET_TN_ROUTE_SHIFT) & 0x1F, 20);
	wr(&t, HPET_REG_CMP(2), 8, rd(&t, HPET_REG_COUNTER, 8) + TICKS_PER_MS);
	advance(&t, MS - 100);
	CHECK_EQ(rd(&t, HPET_REG_STATUS, 4), 0);
	CHECK_EQ(t.r.level[20], 0);
	advance(&t, 100);
	CHECK_EQ(rd(&t, HPET_REG_STATUS, 4), 4);
	CHECK_EQ(t.r.level[20], 1);
	advance(&t, 5 * MS);
	CHECK_EQ(t.r.level[20], 1);               /* held */
	wr(&t, HPET_REG_STATUS, 4, 1);            /* other bits: no effect */
	CHECK_EQ(rd(&t, HPET_REG_STATUS, 4), 4);
	wr(&t, HPET_REG_STATUS, 4, 4);
	CHECK_EQ(rd(&t, HPET_REG_STATUS, 4), 0);
	CHECK_EQ(t.r.level[20], 0);
	CHECK_EQ(t.r.rises[20], 1);

	/* Interrupt disabled: "the timer will still operate and generate
	 * appropriate status bits, but will not cause an interrupt". */
	wr(&t, HPET_REG_TIMER(2), 4, HPET_TN_LEVEL | (20u << HPET_TN_ROUTE_SHIFT));
	wr(&t, HPET_REG_CMP(2), 8, rd(&t, HPET_REG_COUNTER, 8) + TICKS_PER_MS);
	advance(&t, MS);
	CHECK_EQ(rd(&t, HPET_REG_STATUS, 4), 4);
	CHECK_EQ(t.r.level[20], 0);
	/* Enabling it now asserts the pending level. */
	wr(&t, HPET_REG_TIMER(2), 4,
	   HPET_TN_LEVEL | HPET_TN_INT_ENABLE | (20u << HPET_TN_ROUTE_SHIFT));
	CHECK_EQ(t.r.level[20], 1);
	/* Halting the block drops the interrupt. */
	wr(&t, HPET_REG_CONFIG, 4, 0);
	CHECK_EQ(t.r.level[20], 0);
	rig_free(&t.r);
}

/* Tn_32MODE_CNF: the comparator is 32 bits wide (upper half reads 0) and
 * a one-shot timer matches again after the low 32 bits wrap. */
TEST(dev_hpet_32bit_mode_wraps)
{
	struct hpet_rig t;

	REQUIRE(hrig_init(&t));
	wr(&t, HPET_REG_CONFIG, 4, HPET_CFG_ENABLE);
	wr(&t, HPET_REG_TIMER(2), 4,
	   HPET_TN_INT_ENABLE | HPET_TN_32BIT | (22u << HPET_TN_ROUTE_SHIFT));
	CHECK_EQ(rd(&t, HPET_REG_CMP(2), 8), 0xFFFFFFFFULL);
	wr(&t, HPET_REG_CMP(2), 8, 0x123456789ULL);      /* upper half ignored */
	CHECK_EQ(rd(&t, HPET_REG_CMP(2), 8), 0x23456789ULL);
	wr(&t, HPET_REG_CMP(2), 4, TICKS_PER_MS);
	advance(&t, MS);
	CHECK_EQ(t.r.rises[22], 1);
	/* 2^32 ticks at 10 ns = 42.94967296 s later, the same low 32 bits. */
	advance(&t, 42949672960ULL - 10);
	CHECK_EQ(t.r.rises[22], 1);
	advance(&t, 10);
	CHECK_EQ(t.r.rises[22], 2);
	rig_free(&t.r);
}

TEST(dev_hpet_route_outside_capability_is_not_delivered)
{
	struct hpet_rig t;

	REQUIRE(hrig_init(&t));
	wr(&t, HPET_REG_CONFIG, 4, HPET_CFG_ENABLE);
	/* Pin 5 is not in Tn_INT_ROUTE_CAP (16-23). */
	wr(&t, HPET_REG_TIMER(0), 4, HPET_TN_INT_ENABLE | (5u << HPET_TN_ROUTE_SHIFT));
	wr(&t, HPET_REG_CMP(0), 8, TICKS_PER_MS);
	advance(&t, 2 * MS);
	for (unsigned g = 0; g < RIG_GSIS; g++)
		CHECK_EQ(t.r.rises[g], 0);
	/* FSB delivery is not offered: its enable bit stays 0. */
	wr(&t, HPET_REG_TIMER(0), 4, HPET_TN_FSB_ENABLE);
	CHECK_EQ(rd(&t, HPET_REG_TIMER(0), 4) & HPET_TN_FSB_ENABLE, 0);
	rig_free(&t.r);
}

TEST(dev_hpet_save_load_keeps_counter_and_timers)
{
	struct hpet_rig t;
	void *buf;
	size_t len;
	char err[256];

	REQUIRE(hrig_init(&t));
	wr(&t, HPET_REG_CONFIG, 4, HPET_CFG_LEGACY | HPET_CFG_ENABLE);
	wr(&t, HPET_REG_TIMER(0), 4, HPET_TN_INT_ENABLE | HPET_TN_PERIODIC | HPET_TN_VAL_SET);
	wr(&t, HPET_REG_CMP(0), 8, 4 * TICKS_PER_MS);
	wr(&t, HPET_REG_CMP(0), 8, 4 * TICKS_PER_MS);
	advance(&t, 5 * MS);                            /* one tick at 4 ms */
	CHECK_EQ(t.r.rises[0], 1);
	REQUIRE(rig_save(&t.r, &buf, &len));
	rig_reset(&t.r);
	CHECK_EQ(rd(&t, HPET_REG_COUNTER, 8), 0);
	t.ns += 1000 * MS;                              /* time passes between save and load */
	REQUIRE(rig_load(&t.r, buf, len, err, sizeof err));
	free(buf);
	CHECK_EQ(rd(&t, HPET_REG_COUNTER, 8), 5 * TICKS_PER_MS);
	CHECK_EQ(rd(&t, HPET_REG_CONFIG, 4), HPET_CFG_LEGACY | HPET_CFG_ENABLE);
	CHECK_EQ(rd(&t, HPET_REG_CMP(0), 8), 8 * TICKS_PER_MS);
	advance(&t, 3 * MS);                            /* counter at 8 ms */
	CHECK_EQ(t.r.rises[0], 2);
	advance(&t, 4 * MS);
	CHECK_EQ(t.r.rises[0], 3);
	/* 64-bit periodic, polled late (counter 12 -> 21 ms: boundaries at 16
	 * and 20): one interrupt, next match on the 24 ms boundary. */
	advance(&t, 9 * MS);
	CHECK_EQ(t.r.rises[0], 4);
	CHECK_EQ(rd(&t, HPET_REG_CMP(0), 8), 24 * TICKS_PER_MS);
	rig_free(&t.r);
}

/* A corrupt snapshot is refused with a message naming the device. */
TEST(dev_hpet_load_refuses_undefined_bits)
{
	struct hpet_rig t;
	void *buf;
	size_t len;
	char err[256] = "";

	REQUIRE(hrig_init(&t));
	wr(&t, HPET_REG_CONFIG, 4, HPET_CFG_ENABLE);
	REQUIRE(rig_save(&t.r, &buf, &len));
	/* Section layout (core/state.h): u16 name_len, name, u32 version,
	 * u64 payload_len, then the payload, whose first field is GEN_CONF. */
	uint8_t *p = buf;
	uint8_t *sec = memmem(p, len, "\x04\x00hpet", 6);
	REQUIRE(sec != NULL);
	uint8_t *conf = sec + 6 + 4 + 8;
	CHECK_EQ(conf[0], HPET_CFG_ENABLE);
	conf[0] |= 0x80;                 /* a reserved bit of GEN_CONF */
	/* Re-seal the stream (crc32 of all but its last 4 bytes) so the
	 * section loader, not the checksum, has to refuse it. */
	uint32_t crc = state_crc32(0, p, len - 4);
	for (int i = 0; i < 4; i++)
		p[len - 4 + i] = (uint8_t)(crc >> (8 * i));
	CHECK(!rig_load(&t.r, buf, len, err, sizeof err));
	CHECK(strstr(err, "hpet") != NULL);
	free(buf);
	rig_free(&t.r);
}

/* Bad guest traffic: accesses that straddle registers and writes to
 * reserved space are ignored, the block keeps working. */
TEST(dev_hpet_odd_accesses_are_contained)
{
	struct hpet_rig t;

	REQUIRE(hrig_init(&t));
	wr(&t, 0x0F4, 8, ~0ULL);                         /* straddles the counter */
	wr(&t, 0x3F8, 8, ~0ULL);                         /* reserved */
	wr(&t, 0x018, 4, ~0ULL);
	CHECK_EQ(rd(&t, 0x3F8, 8), 0);
	CHECK_EQ(rd(&t, HPET_REG_CONFIG, 8), 0);
	CHECK_EQ(rd(&t, HPET_REG_COUNTER, 8), 0);
	CHECK_EQ(rd(&t, HPET_REG_CAP + 2, 2), 0x8086);  /* byte-granular reads */
	srand(7);
	for (int i = 0; i < 20000; i++) {
		uint64_t off = (uint64_t)rand() % HPET_SIZE;
		unsigned size = 1u << (rand() % 4);
		uint64_t v = ((uint64_t)rand() << 33) ^ (uint64_t)rand();
		if (rand() & 1)
			wr(&t, off, size, v);
		else
			(void)rd(&t, off, size);
		if (i % 64 == 0)
			advance(&t, (uint64_t)(rand() % 1000) * 1000);
	}
	/* Still a working HPET afterwards (a reset brings it back). */
	rig_reset(&t.r);
	wr(&t, HPET_REG_CONFIG, 4, HPET_CFG_ENABLE);
	advance(&t, MS);
	CHECK_EQ(rd(&t, HPET_REG_COUNTER, 8), TICKS_PER_MS);
	rig_free(&t.r);
}

/* The ACPI HPET table describes this block: its event timer block ID is
 * the capabilities register's low half, at the block's address. */
TEST(dev_hpet_acpi_table_matches_device)
{
	struct hpet_rig t;
	struct acpi_config c;

	REQUIRE(hrig_init(&t));
	acpi_pc_config(&t.r.m, &c);
	CHECK(c.hpet);
	CHECK_EQ(c.hpet_addr, HPET_BASE);
	CHECK_EQ(c.hpet_block_id, (uint32_t)rd(&t, HPET_REG_CAP, 4));
	rig_free(&t.r);

	/* No HPET on the bus: no table. */
	rig_init(&t.r, 128 << 20, 1);
	acpi_pc_config(&t.r.m, &c);
	CHECK(!c.hpet);
	rig_free(&t.r);
}
