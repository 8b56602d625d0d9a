/*
 * Internal interface of the x87 FPU emulation (x87.c, x87_host.c,
 * x87_env.c) and of MMX (mmx.c), which shares the x87 register file.
 */
#ifndef NYX_CPU_EMU_X87_H
#define NYX_CPU_EMU_X87_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

struct emu_cpu;
struct emu_insn;

/* Offsets in the FXSAVE image (cpu->fxsave, 64-bit layout). */
#define FX_FCW 0
#define FX_FSW 2
#define FX_FTW 4         /* abridged: one bit per physical register, 1 = valid */
#define FX_FOP 6
#define FX_FIP 8
#define FX_FDP 16
#define FX_MXCSR 24
#define FX_ST 32         /* ST(i) (MMi) at FX_ST + 16 * i, 10 bytes */

#define FSW_IE 0x0001
#define FSW_DE 0x0002
#define FSW_ZE 0x0004
#define FSW_OE 0x0008
#define FSW_UE 0x0010
#define FSW_PE 0x0020
#define FSW_SF 0x0040
#define FSW_ES 0x0080
#define FSW_C0 0x0100
#define FSW_C1 0x0200
#define FSW_C2 0x0400
#define FSW_TOP 0x3800
#define FSW_C3 0x4000
#define FSW_B 0x8000

static inline uint16_t x87_get16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}

static inline void x87_put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

/* FCW as loaded: bits 13-15 and 7 read as 0, bit 6 as 1 (FLDCW, FLDENV,
 * FRSTOR on the CPU, tests/diff). */
static inline uint16_t x87_fcw_value(uint16_t v)
{
	return (uint16_t)((v & 0x1F3F) | 0x40);
}

/* Sets TOP (FSW bits 11-13). The image keeps ST(i), relative to TOP, so
 * it turns with it: the physical registers do not move. */
static inline void x87_set_top(uint8_t *fx, unsigned top)
{
	uint16_t sw = x87_get16(fx + FX_FSW);
	unsigned turn = (top - ((sw >> 11) & 7)) & 7;
	if (turn) {
		uint8_t regs[128];
		for (unsigned j = 0; j < 8; j++)   /* new ST(j) is old ST(j + turn) */
			memcpy(regs + 16 * j, fx + FX_ST + 16 * ((j + turn) & 7), 16);
		memcpy(fx + FX_ST, regs, 128);
	}
	x87_put16(fx + FX_FSW, (uint16_t)((sw & ~FSW_TOP) | (top & 7) << 11));
}

/* x87_host.c: runs the x87 instruction `op modrm` (a memory form's operand
 * at mem) on the host FPU over the FXSAVE image img (16-byte aligned, 512
 * bytes, exception flags clear, MXCSR valid); returns the host's RFLAGS
 * after it (FCOMI). rflags: the guest's arithmetic flags (FCMOVcc). */
uint64_t x87_host_run(void *img, unsigned op, unsigned modrm, void *mem, uint64_t rflags);

/* x87.c */
/* The full 16-bit tag word (2 bits per physical register) from the
 * abridged one and the register contents, as FNSTENV/FNSAVE store it. */
uint16_t x87_full_tag(const uint8_t *fx);
/* Abridged tag from a full one (FLDENV/FRSTOR): only "empty" matters. */
uint8_t x87_abridged_tag(uint16_t tag);
/* ES and B from the exception flags and masks (FLDCW, FLDENV, FRSTOR). */
void x87_update_es(uint8_t *fx);
/* FXRSTOR/XRSTOR's x87 part from the 160-byte legacy image: FCW's reserved
 * bits as FLDCW leaves them, FOP 11 bits, FIP/FDP 32-bit (without REX.W,
 * the selectors ignored) or 57-bit sign-extended (with: measured on the
 * CPU), ES and B recomputed, FERR# updated (tests/diff "xsave"). */
void x87_load_image(struct emu_cpu *cpu, const uint8_t *img, bool wide);
/* FERR# goes inactive once no unmasked exception is pending (x87.c). */
void x87_ferr_update(struct emu_cpu *cpu);

/* x87_env.c: FNSTENV/FLDENV/FNSAVE/FRSTOR in the 14/28-byte (94/108)
 * real- and protected-mode layouts. */
void x87_stenv(struct emu_cpu *cpu, struct emu_insn *in, bool save);
void x87_ldenv(struct emu_cpu *cpu, struct emu_insn *in, bool restore);

#endif
