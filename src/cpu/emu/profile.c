/*
 * Guest-side profile of the emulator, for speed work (bench/README.md).
 *
 * With NYX_EMU_PROFILE=PATH in the environment every emulated vCPU writes
 * PATH.N (N = vCPU index): one line "s ICOUNT RIP CPL" per 4096 guest
 * instructions (a RIP sample weighted by instruction count, taken by the
 * step loop's periodic event check), then summary lines at vCPU teardown:
 * total instructions, the instruction count at the first CPL 3 instruction,
 * REP iterations per string family, HLT entries and the time spent halted.
 * Off (cpu->prof == NULL) it costs one predicted branch in the REP and halt
 * paths and nothing per instruction.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cpu/emu/emu.h"

struct emu_prof {
	FILE *f;
	uint64_t last_sample;          /* icount of the last sample (dedup) */
	uint64_t first_user;           /* icount at the first CPL 3 sample, 0 = none yet */
	uint64_t rep_insns[EMU_PROF_REP_KINDS], rep_iters[EMU_PROF_REP_KINDS];
	uint64_t hlt_entries;
	uint64_t halted_ns, halt_start_ns;
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int emu_prof_open(struct emu_cpu *cpu)
{
	const char *base = getenv("NYX_EMU_PROFILE");
	if (!base || !*base)
		return 0;
	char path[4096];
	snprintf(path, sizeof(path), "%s.%u", base, cpu->index);
	struct emu_prof *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->f = fopen(path, "w");
	if (!p->f) {
		int err = -errno;
		EMU_LOG(cpu, LOG_WARN, "cannot open profile %s: %s", path, strerror(errno));
		free(p);
		return err;
	}
	p->last_sample = ~0ULL;
	cpu->prof = p;
	return 0;
}

void emu_prof_sample(struct emu_cpu *cpu)
{
	struct emu_prof *p = cpu->prof;
	if (p->last_sample == cpu->icount)
		return;
	p->last_sample = cpu->icount;
	if (cpu->cpl == 3 && !p->first_user)
		p->first_user = cpu->icount;
	fprintf(p->f, "s %llu %llx %u\n", (unsigned long long)cpu->icount,
		(unsigned long long)cpu->rip, cpu->cpl);
}

void emu_prof_rep(struct emu_cpu *cpu, unsigned kind, uint64_t iters)
{
	struct emu_prof *p = cpu->prof;
	p->rep_insns[kind]++;
	p->rep_iters[kind] += iters;
}

void emu_prof_halt(struct emu_cpu *cpu, bool begin)
{
	struct emu_prof *p = cpu->prof;
	if (begin) {
		p->hlt_entries++;
		p->halt_start_ns = now_ns();
	} else if (p->halt_start_ns) {
		p->halted_ns += now_ns() - p->halt_start_ns;
		p->halt_start_ns = 0;
	}
}

void emu_prof_close(struct emu_cpu *cpu)
{
	struct emu_prof *p = cpu->prof;
	static const char *const kinds[EMU_PROF_REP_KINDS] = { "movs", "stos", "cmps/scas",
							       "lods", "ins/outs" };
	if (!p)
		return;
	fprintf(p->f, "icount %llu\nfirst_user %llu\nhlt_entries %llu\nhalted_ms %llu\n",
		(unsigned long long)cpu->icount, (unsigned long long)p->first_user,
		(unsigned long long)p->hlt_entries, (unsigned long long)(p->halted_ns / 1000000));
	for (unsigned k = 0; k < EMU_PROF_REP_KINDS; k++)
		fprintf(p->f, "rep %s %llu %llu\n", kinds[k], (unsigned long long)p->rep_insns[k],
			(unsigned long long)p->rep_iters[k]);
	fclose(p->f);
	free(p);
	cpu->prof = NULL;
}
