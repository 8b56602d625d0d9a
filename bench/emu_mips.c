/*
 * Emulator throughput: runs small guest loops on one emulated vCPU and
 * prints millions of guest instructions per second. `make bench-emu`.
 * Not part of `make test` (no wall-clock assertions there).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "emu_code.h"
#include "../tests/unit/emu/fixture.h"

int test_failures;

void test_fail(const char *file, int line, const char *expr)
{
	fprintf(stderr, "bench: %s:%d: %s\n", file, line, expr);
	exit(1);
}

/* CPU time of this thread: the build machines are shared, wall time lies. */
static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void run(const char *name, const uint8_t *code, size_t len, bool real)
{
	struct emu_fix *f = fix_new();
	if (!f)
		exit(1);
	if (real)
		fix_real(f, code, len);
	else
		fix_long(f, code, len);
	emu_state_set(f->cpu, &f->s);
	uint64_t start_icount = f->cpu->icount;
	double t0 = now();
	int r = emu_step(f->cpu, ~0ULL);
	double t = now() - t0;
	uint64_t n = f->cpu->icount - start_icount;
	printf("%-12s %s: %llu instructions in %.3f s CPU = %.1f MIPS\n", name,
	       r == VCPU_EXIT_HLT ? "ok" : "FAILED", (unsigned long long)n, t, n / t / 1e6);
	fix_free(f);
}

int main(void)
{
	run("alu64-loop", bench_alu64, sizeof(bench_alu64), false);
	run("call16-loop", bench_call16, sizeof(bench_call16), true);
	return 0;
}
