/*
 * x87 FPU: every D8-DF instruction. What the instruction does to the
 * register stack and status word is computed by the host FPU (x87_host.c);
 * this file decides whether and how it runs: CR0.EM/TS (#NM), a pending
 * unmasked exception at a waiting instruction (#MF), invalid encodings
 * (#UD), memory operands (read before, written after, faults before any
 * state changes), the exception flags, ES and B, and the last-instruction
 * pointers (FOP, FIP, FDP). The control instructions (FNINIT, FNCLEX,
 * FNSTSW, FNSTCW, FLDCW, and the environment in x87_env.c) are done here.
 *
 * Design note — how values are computed: the choice was between the host's
 * long double in C (x87 format, but no precision control, no C1 round-up
 * bit, no stack fault rules, libm's transcendentals), a soft-float library
 * (slow and a lot of code to make bit-exact) and the host x87 itself. Nyx
 * runs on x86-64 hosts only, so each guest x87 instruction is executed by
 * the same host instruction on a copy of the guest's state: results are
 * the host processor's bit for bit (tests/diff compares them with the CPU
 * running the guest code natively). The cost, an FXRSTOR and FXSAVE per
 * instruction (~100 ns), only matters to x87-heavy guests.
 *
 * Design note — state: the x87 state is the FXSAVE image cpu->fxsave
 * (FCW, FSW with TOP in bits 11-13, the abridged tag byte with one bit per
 * physical register, FOP, FIP, FDP; ST(i) in slot i, i.e. relative to TOP,
 * SDM Vol. 1 table 10-2). FIP and FDP hold offsets (64 bits in 64-bit
 * mode); FCS/FDS are not kept: CPUID says they are deprecated
 * (leaf 7 EBX bit 13), so the environment stores and FXSAVE store 0.
 *
 * Exceptions: the instruction runs with the exception flags cleared in the
 * image; the new flags are OR-ed into the guest's sticky ones and, if one
 * of them is unmasked, ES and B are set. The next waiting x87 instruction
 * (or FWAIT, or an MMX instruction) then raises #MF when CR0.NE=1 (what
 * the CPU checks is an unmasked flag, see check_pending). With CR0.NE=0 it
 * asserts FERR# and freezes there until an interrupt (IRQ 13 through the
 * board's hw/pc/ferr.c), unless IGNNE# is active; clearing the exception
 * (FNCLEX, FNINIT, FLDCW, the environment loads and stores, FXRSTOR)
 * deasserts FERR# (x87_ferr_update). Without a PC board (bare test
 * machines) nothing is wired and the instruction runs on, as with IGNNE#.
 */
#include <stdbool.h>

#include "cpu/emu/emu.h"
#include "cpu/emu/x87.h"
#include "hw/pc/ferr.h"

enum {
	K_HOST,          /* run on the host FPU */
	K_UD,            /* invalid encoding */
	K_NOP,           /* FNENI, FNDISI, FNSETPM: no-ops since the 80387 */
	K_FNCLEX,
	K_FNINIT,
	K_FNSTSW_AX,
	K_FFREEP,
};

/* Register forms: what `op modrm` (modrm >= 0xC0) is, and for the
 * undocumented aliases the documented instruction the host runs instead. */
static unsigned reg_kind(unsigned op, unsigned modrm, unsigned *hop, unsigned *hmodrm)
{
	unsigned r = (modrm >> 3) & 7, i = modrm & 7;
	*hop = op;
	*hmodrm = modrm;
	switch (op) {
	case 0xD8:
		return K_HOST;
	case 0xD9:
		if (r == 2)
			return i == 0 ? K_HOST : K_UD;                 /* FNOP */
		if (r == 3) {                                          /* FSTP1 */
			*hop = 0xDD;
			*hmodrm = 0xD8 | i;
			return K_HOST;
		}
		if (r == 4)
			return (i == 2 || i == 3 || i == 6 || i == 7) ? K_UD : K_HOST;
		if (r == 5)
			return i == 7 ? K_UD : K_HOST;
		return K_HOST;
	case 0xDA:
		return r < 4 || modrm == 0xE9 ? K_HOST : K_UD;
	case 0xDB:
		if (r < 4 || r == 5 || r == 6)
			return K_HOST;
		if (r == 4)
			return i == 2 ? K_FNCLEX : i == 3 ? K_FNINIT : i <= 4 ? K_NOP : K_UD;
		return K_UD;
	case 0xDC:
		if (r == 2 || r == 3) {                               /* FCOM2, FCOMP3 */
			*hop = 0xD8;
			return K_HOST;
		}
		return K_HOST;
	case 0xDD:
		if (r == 1) {                                          /* FXCH4 */
			*hop = 0xD9;
			return K_HOST;
		}
		return r < 6 ? K_HOST : K_UD;
	case 0xDE:
		if (r == 2) {                                          /* FCOMP5 */
			*hop = 0xD8;
			*hmodrm = 0xD8 | i;
			return K_HOST;
		}
		if (r == 3)
			return i == 1 ? K_HOST : K_UD;                 /* FCOMPP */
		return K_HOST;
	default:   /* 0xDF */
		if (r == 0)
			return K_FFREEP;
		if (r == 1) {                                          /* FXCH7 */
			*hop = 0xD9;
			return K_HOST;
		}
		if (r == 2 || r == 3) {                               /* FSTP8, FSTP9 */
			*hop = 0xDD;
			*hmodrm = 0xD8 | i;
			return K_HOST;
		}
		if (r == 4)
			return i == 0 ? K_FNSTSW_AX : K_UD;
		return r < 7 ? K_HOST : K_UD;
	}
}

/* Memory forms: operand size, negative for a store; 0 = invalid, 1 = a
 * control instruction handled in C. */
static int mem_kind(unsigned op, unsigned r)
{
	static const signed char k[8][8] = {
		/* D8 */ { 4, 4, 4, 4, 4, 4, 4, 4 },
		/* D9 */ { 4, 0, -4, -4, 1, 1, 1, 1 },
		/* DA */ { 4, 4, 4, 4, 4, 4, 4, 4 },
		/* DB */ { 4, -4, -4, -4, 0, 10, 0, -10 },
		/* DC */ { 8, 8, 8, 8, 8, 8, 8, 8 },
		/* DD */ { 8, -8, -8, -8, 1, 0, 1, 1 },
		/* DE */ { 2, 2, 2, 2, 2, 2, 2, 2 },
		/* DF */ { 2, -2, -2, -2, 10, 8, -10, -8 },
	};
	return k[op - 0xD8][r];
}

static uint16_t fsw(struct emu_cpu *cpu) { return x87_get16(cpu->fxsave + FX_FSW); }
static uint16_t fcw(struct emu_cpu *cpu) { return x87_get16(cpu->fxsave + FX_FCW); }

void x87_update_es(uint8_t *fx)
{
	uint16_t sw = x87_get16(fx + FX_FSW), cw = x87_get16(fx + FX_FCW);
	if (sw & ~cw & 0x3F)
		sw |= FSW_ES | FSW_B;
	else
		sw &= (uint16_t)~(FSW_ES | FSW_B);
	x87_put16(fx + FX_FSW, sw);
}

uint16_t x87_full_tag(const uint8_t *fx)
{
	unsigned top = (x87_get16(fx + FX_FSW) >> 11) & 7;
	uint16_t tag = 0;
	for (unsigned p = 0; p < 8; p++) {
		unsigned t = 3;
		if (fx[FX_FTW] & (1u << p)) {
			const uint8_t *v = fx + FX_ST + 16 * ((p - top) & 7);
			uint64_t mant;
			memcpy(&mant, v, 8);
			unsigned exp = x87_get16(v + 8) & 0x7FFF;
			if (exp == 0x7FFF)
				t = 2;
			else if (exp == 0)
				t = mant ? 2 : 1;
			else
				t = (mant >> 63) ? 0 : 2;
		}
		tag |= (uint16_t)(t << (2 * p));
	}
	return tag;
}

uint8_t x87_abridged_tag(uint16_t tag)
{
	uint8_t a = 0;
	for (unsigned p = 0; p < 8; p++)
		if (((tag >> (2 * p)) & 3) != 3)
			a |= (uint8_t)(1u << p);
	return a;
}

/* #NM for CR0.EM or CR0.TS (every x87 instruction, SDM Vol. 3 table 2-2). */
static void check_nm(struct emu_cpu *cpu)
{
	if (cpu->cr0 & (CR0_EM | CR0_TS))
		emu_raise_noerr(cpu, EXC_NM);
}

/* A waiting instruction with an unmasked exception pending: #MF. What
 * counts is an exception flag whose mask is clear, not the ES bit: after
 * FLDENV of such a status word with ES clear the CPU traps all the same,
 * and after FNSTENV masks everything it does not (tests/diff x87-mf). */
static void check_pending(struct emu_cpu *cpu)
{
	if (!(fsw(cpu) & ~fcw(cpu) & 0x3F))
		return;
	if (cpu->cr0 & CR0_NE)
		emu_raise_noerr(cpu, EXC_MF);
	/* MS-DOS compatibility (SDM Vol. 1, D.2.1): unless IGNNE# is active,
	 * FERR# (IRQ 13 on a PC) and a freeze here until an interrupt; the
	 * handler's IRET comes back to this instruction. */
	if (!pc_ferr_signal(cpu->m, cpu->index))
		emu_raise(cpu, EMU_FREEZE, 0);
}

void x87_load_image(struct emu_cpu *cpu, const uint8_t *img, bool wide)
{
	uint8_t *fx = cpu->fxsave;
	memcpy(fx, img, 24);
	for (unsigned i = 0; i < 8; i++) {
		memcpy(fx + 32 + 16 * i, img + 32 + 16 * i, 10);
		memset(fx + 42 + 16 * i, 0, 6);
	}
	x87_put16(fx + FX_FCW, x87_fcw_value(x87_get16(fx + FX_FCW)));
	x87_put16(fx + FX_FOP, x87_get16(fx + FX_FOP) & 0x7FF);
	fx[5] = 0;
	for (unsigned off = FX_FIP; off <= FX_FDP; off += 8) {
		uint64_t p;
		memcpy(&p, fx + off, 8);
		p = wide ? (uint64_t)((int64_t)(p << 7) >> 7) : (uint32_t)p;
		memcpy(fx + off, &p, 8);
	}
	x87_update_es(fx);
	x87_ferr_update(cpu);
}

void x87_ferr_update(struct emu_cpu *cpu)
{
	if (!(fsw(cpu) & ~fcw(cpu) & 0x3F))
		pc_ferr_release(cpu->m, cpu->index);
}

/* FWAIT (9B): #NM only when both MP and TS are set; then pending #MF. */
void emu_x87_wait(struct emu_cpu *cpu)
{
	if ((cpu->cr0 & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS))
		emu_raise_noerr(cpu, EXC_NM);
	check_pending(cpu);
}

/* MMX instructions are waiting x87 instructions as far as #NM/#MF go, but
 * CR0.EM gives #UD (SDM Vol. 3 table 12-1). */
void emu_x87_mmx_enter(struct emu_cpu *cpu)
{
	if (cpu->cr0 & CR0_EM)
		emu_raise_noerr(cpu, EXC_UD);
	if (cpu->cr0 & CR0_TS)
		emu_raise_noerr(cpu, EXC_NM);
	check_pending(cpu);
}

/* FOP, FIP and FDP after a non-control instruction. */
static void set_pointers(struct emu_cpu *cpu, struct emu_insn *in, unsigned modrm, uint64_t ea)
{
	uint8_t *fx = cpu->fxsave;
	x87_put16(fx + FX_FOP, (uint16_t)(((in->op & 7) << 8) | modrm));
	uint64_t ip = cpu->rip;
	memcpy(fx + FX_FIP, &ip, 8);
	if (in->mod != 3)
		memcpy(fx + FX_FDP, &ea, 8);
}

static void fninit(uint8_t *fx)
{
	x87_set_top(fx, 0);
	x87_put16(fx + FX_FCW, 0x037F);
	x87_put16(fx + FX_FSW, 0);
	fx[FX_FTW] = 0;
	memset(fx + FX_FOP, 0, 18);   /* FOP, FIP, FDP */
}

/* Reads n (2, 4, 8 or 10) bytes of the operand. */
static void read_operand(struct emu_cpu *cpu, uint64_t lin, unsigned n, uint8_t *buf)
{
	if (n == 10) {
		uint64_t lo = emu_read_lin(cpu, lin, 8, ACC_READ);
		uint16_t hi = (uint16_t)emu_read_lin(cpu, lin + 8, 2, ACC_READ);
		memcpy(buf, &lo, 8);
		memcpy(buf + 8, &hi, 2);
		return;
	}
	uint64_t v = emu_read_lin(cpu, lin, n, ACC_READ);
	memcpy(buf, &v, n);
}

static void write_operand(struct emu_cpu *cpu, uint64_t lin, unsigned n, const uint8_t *buf)
{
	uint64_t v = 0;
	if (n == 10) {
		uint16_t hi;
		memcpy(&v, buf, 8);
		memcpy(&hi, buf + 8, 2);
		emu_write_lin(cpu, lin, 8, v);
		emu_write_lin(cpu, lin + 8, 2, hi);
		return;
	}
	memcpy(&v, buf, n);
	emu_write_lin(cpu, lin, n, v);
}

/* Runs `hop hmodrm` on the host over the guest state; merges the flags. */
static uint64_t run_host(struct emu_cpu *cpu, unsigned hop, unsigned hmodrm, uint8_t *mem,
			 uint16_t *raisedp)
{
	uint8_t img[512] __attribute__((aligned(16)));
	uint8_t *fx = cpu->fxsave;
	memcpy(img, fx, 160);
	uint16_t before = fsw(cpu);
	x87_put16(img + FX_FSW, before & (uint16_t)~(FSW_B | 0xFF));
	uint32_t mxcsr = 0x1F80;
	memcpy(img + FX_MXCSR, &mxcsr, 4);
	uint64_t fl = x87_host_run(img, hop, hmodrm, mem, emu_get_flags(cpu));
	uint16_t after = x87_get16(img + FX_FSW), raised = after & 0x7F;
	uint16_t sw = (uint16_t)((after & ~(FSW_B | 0xFF)) | (before & (FSW_B | 0xFF)) | raised);
	if (raised & ~fcw(cpu) & 0x3F)
		sw |= FSW_ES | FSW_B;
	x87_put16(fx + FX_FSW, sw);
	*raisedp = raised;
	fx[FX_FTW] = img[FX_FTW];
	memcpy(fx + FX_ST, img + FX_ST, 128);
	return fl;
}

static void exec_mem(struct emu_cpu *cpu, struct emu_insn *in, unsigned modrm)
{
	unsigned op = in->op, r = in->reg & 7;
	int k = mem_kind(op, r);
	if (!k)
		emu_raise_noerr(cpu, EXC_UD);
	uint64_t ea = emu_ea(cpu, in);
	uint8_t *fx = cpu->fxsave;
	if (k == 1) {
		switch (op << 4 | r) {
		case 0xD97:                                             /* FNSTCW */
			emu_write(cpu, in->seg, ea, 2, fcw(cpu));
			return;
		case 0xDD7:                                             /* FNSTSW */
			emu_write(cpu, in->seg, ea, 2, fsw(cpu));
			return;
		case 0xD96:                                             /* FNSTENV */
			x87_stenv(cpu, in, false);
			x87_ferr_update(cpu);
			return;
		case 0xDD6:                                             /* FNSAVE */
			x87_stenv(cpu, in, true);
			x87_ferr_update(cpu);
			return;
		}
		check_pending(cpu);
		switch (op << 4 | r) {
		case 0xD95: {                                           /* FLDCW */
			uint16_t cw = (uint16_t)emu_read(cpu, in->seg, ea, 2);
			x87_put16(fx + FX_FCW, x87_fcw_value(cw));
			x87_update_es(fx);
			x87_ferr_update(cpu);
			return;
		}
		case 0xD94:                                             /* FLDENV */
			x87_ldenv(cpu, in, false);
			x87_ferr_update(cpu);
			return;
		default:                                                /* FRSTOR */
			x87_ldenv(cpu, in, true);
			x87_ferr_update(cpu);
			return;
		}
	}
	check_pending(cpu);
	unsigned n = (unsigned)(k < 0 ? -k : k);
	uint8_t buf[16] = { 0 };
	uint64_t lin = emu_linear(cpu, in->seg, ea, n, k < 0 ? ACC_WRITE : ACC_READ);
	uint16_t raised;
	if (k > 0) {
		read_operand(cpu, lin, n, buf);
		run_host(cpu, op, (r << 3) | 6, buf, &raised);
	} else {
		/* A store faults before anything changes (FSTP must not pop). */
		emu_translate_range(cpu, lin, n, ACC_WRITE);
		run_host(cpu, op, (r << 3) | 6, buf, &raised);
		/* An unmasked invalid, denormal, overflow or underflow
		 * exception leaves the destination unwritten. */
		if (!(raised & ~fcw(cpu) & 0x1F))
			write_operand(cpu, lin, n, buf);
	}
	set_pointers(cpu, in, modrm, ea);
}

bool emu_x87(struct emu_cpu *cpu, struct emu_insn *in)
{
	unsigned modrm = (unsigned)(in->mod << 6 | (in->reg & 7) << 3 | (in->rm & 7));
	check_nm(cpu);
	if (in->mod != 3) {
		exec_mem(cpu, in, modrm);
		return true;
	}
	unsigned hop, hmodrm;
	uint8_t *fx = cpu->fxsave;
	switch (reg_kind(in->op, modrm, &hop, &hmodrm)) {
	case K_UD:
		emu_raise_noerr(cpu, EXC_UD);
	case K_NOP:
		return true;
	case K_FNCLEX:
		x87_put16(fx + FX_FSW, fsw(cpu) & (uint16_t)~(FSW_B | 0xFF));
		x87_ferr_update(cpu);
		return true;
	case K_FNINIT:
		fninit(fx);
		x87_ferr_update(cpu);
		return true;
	case K_FNSTSW_AX:
		emu_reg_set(cpu, in, REG_RAX, 2, fsw(cpu));
		return true;
	case K_FFREEP: {
		check_pending(cpu);
		/* FFREE ST(i), then pop: ST(0) empty, TOP + 1, C1 clear. */
		unsigned top = (fsw(cpu) >> 11) & 7;
		fx[FX_FTW] &= (uint8_t)~(1u << ((top + (modrm & 7)) & 7) | 1u << top);
		x87_set_top(fx, top + 1);
		x87_put16(fx + FX_FSW, fsw(cpu) & (uint16_t)~FSW_C1);
		set_pointers(cpu, in, modrm, 0);
		return true;
	}
	default:
		break;
	}
	check_pending(cpu);
	uint16_t raised;
	uint64_t fl = run_host(cpu, hop, hmodrm, NULL, &raised);
	/* FCOMI, FCOMIP, FUCOMI, FUCOMIP: ZF PF CF from the compare, OF SF
	 * AF cleared. */
	if ((in->op == 0xDB || in->op == 0xDF) && modrm >= 0xE8 && modrm <= 0xF7)
		emu_set_flags(cpu, (emu_get_flags(cpu) & ~(uint64_t)FL_ARITH) |
				   (fl & (FL_ZF | FL_PF | FL_CF)));
	set_pointers(cpu, in, modrm, 0);
	return true;
}
