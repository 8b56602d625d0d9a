/*
 * The machine clock across machine_create() and machine_run(), as the
 * guest sees it through RDTSC on the emulator. The TSC only counts up
 * (SDM Vol. 3, 17.17: it increments monotonically, and after a write counts
 * from the value written) at the 2 GHz CPUID 0x15 advertises
 * (test_emu_timers.c). The clock used to restart at machine_run() after
 * creation had written the boot TSC (load_boot_states), so the first RDTSC
 * returned less than the vCPU state showed just before the run: by the
 * time creation took plus the wait before the run, and below zero (just
 * under 2^64) when loading the images was slow, which Linux saw wrap
 * mid-boot (its clock jumped by 2^63 ns, timers broke). The 150 ms wait
 * between create and run makes this test fail on that code unless
 * the vCPU needs longer than the wait to reach its first instruction.
 */
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "core/loop.h"
#include "core/machine.h"
#include "core/memory.h"
#include "harness.h"
#include "test_dev_util.h"

#define TSC_HZ 2000000000ULL

/*
 * Creates an emulator machine whose firmware reads the TSC first thing,
 * lets `delay_ns` of host time pass (a slow host between building the
 * machine and starting it), then runs it. *before: the vCPU's TSC just
 * before the run; *first: the guest's first RDTSC; *elapsed: host ns from
 * the first reading to the end of the run.
 */
static bool clock_first_rdtsc(long delay_ns, uint64_t *before, uint64_t *first,
			      uint64_t *elapsed)
{
	/* rdtsc; mov [0x500],eax; mov [0x504],edx; mov al,0; out 0xF4,al; hlt */
	const uint8_t code[] = { 0x0F, 0x31, 0x66, 0xA3, 0x00, 0x05, 0x66, 0x89, 0x16,
				 0x04, 0x05, 0xB0, 0x00, 0xE6, 0xF4, 0xF4 };
	struct timespec ts = { delay_ns / 1000000000L, delay_ns % 1000000000L };
	char img[256], err[256] = "";
	struct machine_config c;
	struct machine *m;
	struct vcpu_state *s;
	bool ok = false;

	rig_tmpfile(img, sizeof img, "clock-bios");
	rig_write_reset_image(img, code, sizeof code);
	machine_config_init(&c);
	c.bios = strdup(img);
	c.mem_size = 32ULL << 20;
	c.accel = ACCEL_EMU;
	c.timeout_s = 30;
	c.log_level = LOG_ERROR;
	m = machine_create(&c, err, sizeof err);
	machine_config_free(&c);
	s = malloc(sizeof(*s));
	if (!m || !s) {
		fprintf(stderr, "  machine_create: %s\n", err);
		goto out;
	}
	nanosleep(&ts, NULL);
	uint64_t t0 = clock_ns();
	if (m->cpu->get_state(m->vcpus[0], s))
		goto out;
	*before = s->tsc;
	if (machine_run(m) != 1)   /* isa-debug-exit: (0 << 1) | 1 */
		goto out;
	*elapsed = clock_ns() - t0;
	ok = !gpa_read(&m->mem, 0x500, first, sizeof(*first));
out:
	free(s);
	machine_destroy(m);
	unlink(img);
	return ok;
}

TEST(machine_clock_guest_tsc_never_goes_back_at_run)
{
	uint64_t before = 0, first = 0, elapsed = 0;

	REQUIRE(clock_first_rdtsc(150000000L, &before, &first, &elapsed));
	/* Counted up from the vCPU's value: not below it (the clock restarting
	 * at machine_run set it back by 2 x 150 ms of cycles and more) ... */
	CHECK(first >= before);
	CHECK(first < (1ULL << 63));
	/* ... and by no more than 2 GHz allows in the host time that passed. */
	CHECK(first - before <= elapsed * (TSC_HZ / 1000000000ULL));
}
