/*
 * x87 environment and state images: FNSTENV/FLDENV (14 or 28 bytes) and
 * FNSAVE/FRSTOR (the environment and ST0-ST7, 94 or 108 bytes).
 *
 * Design note — the four layouts (SDM Vol. 1 figures 8-9 to 8-12): the
 * operand size picks 16-bit (66 prefix in 32/64-bit code, default in
 * 16-bit code) or 32-bit fields; the mode picks the pointer format.
 *   32-bit protected: +0 FCW, +4 FSW, +8 FTW (full, 2 bits a register),
 *     +12 FIP, +16 FCS | FOP << 16, +20 FDP, +24 FDS; upper halves of
 *     the first three dwords and of FDS reserved.
 *   32-bit real/V86: +0 FCW, +4 FSW, +8 FTW, +12 FIP[15:0],
 *     +16 FOP | FIP[31:16] << 12, +20 FDP[15:0], +24 FDP[31:16] << 12
 *     (pointers are linear: segment * 16 + offset).
 *   16-bit protected: FCW FSW FTW FIP FCS FDP FDS, 2 bytes each.
 *   16-bit real/V86: FCW FSW FTW FIP[15:0], FOP | FIP[19:16] << 12,
 *     FDP[15:0], FDP[19:16] << 12.
 * Reserved fields are stored as the processor does (0xFFFF; tests/diff
 * compares against the CPU). FCS/FDS are not kept (see x87.c): they are
 * stored as 0, as CPUID's "FCS/FDS deprecated" bit promises. Loading: FTW only says empty (11) or not;
 * ES and B are recomputed from the loaded flags and masks, as the CPU does
 * (tests/diff x87-env).
 */
#include <stdbool.h>

#include "cpu/emu/emu.h"
#include "cpu/emu/x87.h"

static bool real_format(const struct emu_cpu *cpu)
{
	return !(cpu->cr0 & CR0_PE) || (cpu->rflags & FL_VM);
}

/* The environment fields as the image encodes them. */
struct x87_env {
	uint16_t fcw, fsw, ftw, fop, fcs, fds;
	uint64_t fip, fdp;
};

static unsigned env_size(const struct emu_insn *in)
{
	return in->opsize == 2 ? 14 : 28;
}

static void encode(const struct emu_cpu *cpu, const struct emu_insn *in, const struct x87_env *e,
		   uint8_t *b)
{
	bool real = real_format(cpu);
	uint32_t fip = (uint32_t)e->fip, fdp = (uint32_t)e->fdp;
	if (in->opsize == 2) {
		uint16_t w[7] = { e->fcw, e->fsw, e->ftw, (uint16_t)fip, e->fcs, (uint16_t)fdp, e->fds };
		if (real) {
			w[4] = (uint16_t)((e->fop & 0x7FF) | ((fip >> 16) & 0xF) << 12);
			w[6] = (uint16_t)(((fdp >> 16) & 0xF) << 12);
		}
		memcpy(b, w, 14);
		return;
	}
	uint32_t d[7] = { 0xFFFF0000u | e->fcw, 0xFFFF0000u | e->fsw, 0xFFFF0000u | e->ftw, fip,
			  e->fcs | (uint32_t)(e->fop & 0x7FF) << 16, fdp, 0xFFFF0000u | e->fds };
	if (real) {
		d[3] = 0xFFFF0000u | (fip & 0xFFFF);
		d[4] = (e->fop & 0x7FFu) | (fip >> 16) << 12;
		d[5] = 0xFFFF0000u | (fdp & 0xFFFF);
		d[6] = (fdp >> 16) << 12;
	}
	memcpy(b, d, 28);
}

static void decode(const struct emu_cpu *cpu, const struct emu_insn *in, const uint8_t *b,
		   struct x87_env *e)
{
	bool real = real_format(cpu);
	if (in->opsize == 2) {
		uint16_t w[7];
		memcpy(w, b, 14);
		e->fcw = w[0];
		e->fsw = w[1];
		e->ftw = w[2];
		e->fip = w[3];
		e->fdp = w[5];
		e->fop = 0;
		if (real) {
			e->fop = w[4] & 0x7FF;
			e->fip |= (uint64_t)(w[4] >> 12) << 16;
			e->fdp |= (uint64_t)(w[6] >> 12) << 16;
		}
		return;
	}
	uint32_t d[7];
	memcpy(d, b, 28);
	e->fcw = (uint16_t)d[0];
	e->fsw = (uint16_t)d[1];
	e->ftw = (uint16_t)d[2];
	e->fip = d[3];
	e->fop = (uint16_t)((d[4] >> 16) & 0x7FF);
	e->fdp = d[5];
	if (real) {
		e->fip = (d[3] & 0xFFFF) | (uint64_t)((d[4] >> 12) & 0xFFFF) << 16;
		e->fop = d[4] & 0x7FF;
		e->fdp = (d[5] & 0xFFFF) | (uint64_t)((d[6] >> 12) & 0xFFFF) << 16;
	}
}

void x87_stenv(struct emu_cpu *cpu, struct emu_insn *in, bool save)
{
	uint8_t *fx = cpu->fxsave;
	unsigned n = env_size(in), total = n + (save ? 80 : 0);
	uint64_t lin = emu_linear(cpu, in->seg, emu_ea(cpu, in), total, ACC_WRITE);
	emu_translate_range(cpu, lin, total, ACC_WRITE);
	struct x87_env e = {
		.fcw = x87_get16(fx + FX_FCW), .fsw = x87_get16(fx + FX_FSW),
		.ftw = x87_full_tag(fx), .fop = x87_get16(fx + FX_FOP) & 0x7FF,
		.fcs = 0, .fds = 0,   /* deprecated: stored as 0 (cpu/cpuid.c) */
	};
	memcpy(&e.fip, fx + FX_FIP, 8);
	memcpy(&e.fdp, fx + FX_FDP, 8);
	if (real_format(cpu)) {
		e.fip += cpu->seg[SEG_CS].base;
		e.fdp += cpu->seg[SEG_DS].base;
	}
	uint8_t b[108];
	encode(cpu, in, &e, b);
	for (unsigned i = 0; save && i < 8; i++)
		memcpy(b + n + 10 * i, fx + FX_ST + 16 * i, 10);
	for (unsigned i = 0; i < total; i += 2)
		emu_write_lin(cpu, lin + i, 2, x87_get16(b + i));
	if (save) {   /* then FNINIT */
		x87_set_top(fx, 0);
		x87_put16(fx + FX_FCW, 0x037F);
		x87_put16(fx + FX_FSW, 0);
		fx[FX_FTW] = 0;
		memset(fx + FX_FOP, 0, 18);
	} else {      /* FNSTENV masks every exception (so nothing is pending) */
		x87_put16(fx + FX_FCW, x87_get16(fx + FX_FCW) | 0x3F);
		x87_update_es(fx);
	}
}

void x87_ldenv(struct emu_cpu *cpu, struct emu_insn *in, bool restore)
{
	uint8_t *fx = cpu->fxsave;
	unsigned n = env_size(in), total = n + (restore ? 80 : 0);
	uint64_t lin = emu_linear(cpu, in->seg, emu_ea(cpu, in), total, ACC_READ);
	uint8_t b[108];
	for (unsigned i = 0; i < total; i += 2)
		x87_put16(b + i, (uint16_t)emu_read_lin(cpu, lin + i, 2, ACC_READ));
	struct x87_env e;
	decode(cpu, in, b, &e);
	if (!restore)   /* FLDENV keeps the physical registers */
		x87_set_top(fx, (e.fsw >> 11) & 7);
	x87_put16(fx + FX_FCW, x87_fcw_value(e.fcw));
	x87_put16(fx + FX_FSW, e.fsw);
	fx[FX_FTW] = x87_abridged_tag(e.ftw);
	x87_put16(fx + FX_FOP, e.fop);
	memcpy(fx + FX_FIP, &e.fip, 8);
	memcpy(fx + FX_FDP, &e.fdp, 8);
	x87_update_es(fx);   /* ES and B follow the loaded flags and masks */
	for (unsigned i = 0; restore && i < 8; i++) {
		memcpy(fx + FX_ST + 16 * i, b + n + 10 * i, 10);
		memset(fx + FX_ST + 16 * i + 10, 0, 6);
	}
}
