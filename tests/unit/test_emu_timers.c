/*
 * Guest time on the emulator as Linux reads it: the TSC rate the emulator
 * advertises in CPUID leaves 0x15/0x16 (SDM Vol. 2, CPUID: TSC frequency =
 * crystal (ECX) * EBX / EAX), RDTSC advancing at exactly that rate on the
 * machine's clock, and the LAPIC timer ticking at the crystal rate, which
 * Linux (arch/x86/kernel/tsc.c, native_calibrate_tsc) assumes without
 * measuring: lapic_timer_period = crystal_khz * 1000 / HZ, then periodic
 * mode with divide-by-16 and initial count lapic_timer_period / 16.
 * Before the crystal was the LAPIC clock, Debian's kernel took its timer
 * ticks 1000 times too often and its boot clock ran ~10x fast.
 */
#include "emu/fixture.h"
#include "hw/intc/intc.h"

struct tfix {
	struct emu_fix *f;
	uint64_t now;           /* guest ns */
};

static uint64_t tfix_clock(void *opaque)
{
	return ((struct tfix *)opaque)->now;
}

static bool tfix_new(struct tfix *t)
{
	t->f = fix_new();
	if (!t->f)
		return false;
	struct machine *m = &t->f->m;
	m->cpu = &cpu_backend_emu;
	m->cfg.cpus = 1;
	pthread_mutex_init(&t->f->v.halt_lock, NULL);
	pthread_cond_init(&t->f->v.halt_cond, NULL);
	t->now = 7000000;       /* not 0: the TSC must count from where it is */
	if (intc_create(m))
		return false;
	intc_set_clock(m, tfix_clock, t);
	return true;
}

static void tfix_free(struct tfix *t)
{
	machine_destroy_devices(&t->f->m);
	fix_free(t->f);
}

/*
 *   mov $0x15, %eax; cpuid; mov %eax, 0x4000; mov %ebx, 0x4004; mov %ecx, 0x4008
 *   mov $0x16, %eax; cpuid; mov %eax, 0x400c
 *   rdtsc; mov %eax, 0x4010; mov %edx, 0x4014
 * 1: cmpb $0, 0x5000; je 1b
 *   rdtsc; mov %eax, 0x4018; mov %edx, 0x401c; hlt
 */
static const uint8_t lm_cpuid_tsc[] = {
	0xb8, 0x15, 0x00, 0x00, 0x00, 0x0f, 0xa2, 0x89, 0x04, 0x25, 0x00, 0x40,
	0x00, 0x00, 0x89, 0x1c, 0x25, 0x04, 0x40, 0x00, 0x00, 0x89, 0x0c, 0x25,
	0x08, 0x40, 0x00, 0x00, 0xb8, 0x16, 0x00, 0x00, 0x00, 0x0f, 0xa2, 0x89,
	0x04, 0x25, 0x0c, 0x40, 0x00, 0x00, 0x0f, 0x31, 0x89, 0x04, 0x25, 0x10,
	0x40, 0x00, 0x00, 0x89, 0x14, 0x25, 0x14, 0x40, 0x00, 0x00, 0x80, 0x3c,
	0x25, 0x00, 0x50, 0x00, 0x00, 0x00, 0x74, 0xf6, 0x0f, 0x31, 0x89, 0x04,
	0x25, 0x18, 0x40, 0x00, 0x00, 0x89, 0x14, 0x25, 0x1c, 0x40, 0x00, 0x00,
	0xf4,
};

/* Runs the snippet with the clock moved by `gap_ns` between the RDTSCs. */
static void tfix_run_cpuid_tsc(struct tfix *t, uint64_t gap_ns)
{
	fix_long(t->f, lm_cpuid_tsc, sizeof(lm_cpuid_tsc));
	fix_put8(t->f, 0x5000, 0);
	fix_run(t->f, 200);                     /* spins after the first RDTSC */
	t->now += gap_ns;
	fix_put8(t->f, 0x5000, 1);
	/* Not fix_run: loading a saved state sets the TSC back to its value. */
	CHECK_EQ(emu_step(t->f->cpu, 200), VCPU_EXIT_HLT);
}

TEST(emu_timers_cpuid_tsc_rate_matches_rdtsc)
{
	struct tfix t;
	REQUIRE(tfix_new(&t));
	tfix_run_cpuid_tsc(&t, 1000000);        /* 1 ms of guest time */
	uint64_t den = fix_get(t.f, 0x4000, 4), num = fix_get(t.f, 0x4004, 4);
	uint64_t crystal = fix_get(t.f, 0x4008, 4);
	REQUIRE(den != 0 && num != 0 && crystal != 0);  /* all three: TSC rate enumerated */
	uint64_t tsc_hz = crystal * num / den;
	/* Leaf 0x16 EAX: base frequency in MHz, the same processor clock. */
	CHECK_EQ(fix_get(t.f, 0x400c, 4), tsc_hz / 1000000);
	uint64_t t0 = fix_get(t.f, 0x4010, 8), t1 = fix_get(t.f, 0x4018, 8);
	/* 1 ms at the advertised rate, give or take nothing: the TSC is the
	 * machine clock scaled, and the clock stood still except for the gap. */
	CHECK_EQ(t1 - t0, tsc_hz / 1000);
	tfix_free(&t);
}

static bool lapic_irr(struct machine *m, unsigned vector)
{
	return intc_lapic_read(m, 0, 0x200 + (vector / 32) * 0x10, 4) >> (vector % 32) & 1;
}

TEST(emu_timers_linux_lapic_period_from_crystal)
{
	enum { HZ = 250, APIC_DIVISOR = 16, VEC = 0xec };
	const uint64_t tick_ns = 1000000000 / HZ;
	struct tfix t;
	REQUIRE(tfix_new(&t));
	struct machine *m = &t.f->m;
	tfix_run_cpuid_tsc(&t, 0);
	uint64_t crystal_khz = fix_get(t.f, 0x4008, 4) / 1000;
	REQUIRE(crystal_khz != 0);
	/* What Linux does with it (arch/x86/kernel/tsc.c, apic.c). */
	uint32_t lapic_timer_period = (uint32_t)(crystal_khz * 1000 / HZ);
	intc_lapic_write(m, 0, 0xf0, 0x1ff, 4);                 /* SVR: enabled */
	intc_lapic_write(m, 0, 0x3e0, 0x3, 4);                  /* DCR: divide by 16 */
	intc_lapic_write(m, 0, 0x320, VEC | (1u << 17), 4);    /* LVTT: periodic */
	intc_lapic_write(m, 0, 0x380, lapic_timer_period / APIC_DIVISOR, 4);
	uint64_t start = t.now;
	unsigned ticks = 0;
	/* One guest second in steps of a tenth of a tick: each tick must come
	 * exactly when 1/HZ has passed, never early, and 250 of them. */
	for (unsigned step = 1; step <= 10 * HZ; step++) {
		t.now = start + step * tick_ns / 10;
		intc_poll_timers(m);
		if (lapic_irr(m, VEC)) {
			CHECK_EQ(step % 10, 0);
			ticks++;
			CHECK_EQ(intc_irq_ack(m, 0), VEC);
			intc_lapic_write(m, 0, 0xb0, 0, 4);             /* EOI */
		}
	}
	CHECK_EQ(ticks, HZ);
	tfix_free(&t);
}

TEST(emu_timers_vcpus_set_one_after_another_share_one_tsc)
{
	struct tfix t;
	REQUIRE(tfix_new(&t));
	struct machine *m = &t.f->m;
	/* Two vCPUs loaded from the reset state (TSC 0) 300 us apart, as
	 * machine start does: on hardware both TSCs start together, and Linux
	 * measures any warp between CPUs and then drops the TSC. */
	uint64_t off0 = intc_tsc_write(m, 0);
	CHECK_EQ(intc_guest_tsc(m) + off0, 0);
	t.now += 300000;
	uint64_t off1 = intc_tsc_write(m, 0);
	CHECK_EQ(intc_guest_tsc(m) + off1, intc_guest_tsc(m) + off0);
	/* A snapshot saved CPU 1 50 us after CPU 0: restored, still one TSC. */
	t.now += 2000000000;                    /* a new generation of writes */
	uint64_t saved0 = 123456789000ULL;
	off0 = intc_tsc_write(m, saved0);
	CHECK_EQ(intc_guest_tsc(m) + off0, saved0);
	t.now += 20000;
	off1 = intc_tsc_write(m, saved0 + 50000 * (INTC_TSC_HZ / 1000000000ULL));
	CHECK_EQ(off1, off0);
	/* A guest setting one CPU's TSC to something else gets exactly that. */
	t.now += 1000;
	uint64_t other = saved0 + 5 * INTC_TSC_HZ;
	uint64_t off2 = intc_tsc_write(m, other);
	CHECK_EQ(intc_guest_tsc(m) + off2, other);
	tfix_free(&t);
}
