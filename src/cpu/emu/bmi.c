/*
 * VEX-encoded general-purpose instructions: BMI1 (ANDN BEXTR BLSI BLSMSK
 * BLSR) and BMI2 (BZHI MULX PDEP PEXT RORX SARX SHLX SHRX), SDM Vol. 2.
 * Every other VEX encoding (AVX) is #UD: CPUID advertises no AVX and no
 * OSXSAVE (cpu/cpuid.c). Operands: ModRM.reg, ModRM.rm and VEX.vvvv; the
 * operand size is 64 bits with VEX.W in 64-bit mode, else 32; VEX.L must
 * be 0. Flags the SDM leaves undefined (AF PF, and SF for BEXTR) are left
 * as they were.
 */
#include "cpu/emu/emu.h"

static void set_flags(struct emu_cpu *cpu, uint64_t mask, uint64_t f)
{
	uint64_t fl = emu_get_flags(cpu);
	emu_set_flags(cpu, (fl & ~mask) | (f & mask));
}

/* ZF and SF of a result, OF clear, CF as given. */
static void zs_flags(struct emu_cpu *cpu, uint64_t r, unsigned size, bool cf, bool sf_defined)
{
	uint64_t f = cf ? FL_CF : 0;
	if (!(r & emu_mask(size)))
		f |= FL_ZF;
	if ((r >> (size * 8 - 1)) & 1)
		f |= FL_SF;
	set_flags(cpu, FL_CF | FL_OF | FL_ZF | (sf_defined ? FL_SF : 0), f);
}

static uint64_t pdep(uint64_t src, uint64_t mask)
{
	uint64_t r = 0;
	for (uint64_t bit = 1; mask; bit <<= 1) {
		uint64_t low = mask & -mask;
		if (src & bit)
			r |= low;
		mask &= mask - 1;
	}
	return r;
}

static uint64_t pext(uint64_t src, uint64_t mask)
{
	uint64_t r = 0;
	for (uint64_t bit = 1; mask; bit <<= 1) {
		uint64_t low = mask & -mask;
		if (src & low)
			r |= bit;
		mask &= mask - 1;
	}
	return r;
}

static uint64_t mulx(uint64_t a, uint64_t b, unsigned size, uint64_t *hi)
{
	if (size == 8) {
		unsigned __int128 p = (unsigned __int128)a * b;
		*hi = (uint64_t)(p >> 64);
		return (uint64_t)p;
	}
	uint64_t p = (a & 0xffffffff) * (b & 0xffffffff);
	*hi = p >> 32;
	return p & 0xffffffff;
}

void emu_exec_vex(struct emu_cpu *cpu, struct emu_insn *in)
{
	unsigned size = in->opsize, bits = size * 8;
	uint64_t m = emu_mask(size);
	if (in->vex_l)
		emu_raise(cpu, EXC_UD, 0);
	if (in->op == 0x13a) {
		if (in->op3 != 0xf0 || in->rep != 0xf2)   /* RORX */
			emu_raise(cpu, EXC_UD, 0);
		uint64_t v = emu_rm_read(cpu, in, size);
		unsigned n = (unsigned)in->imm & (bits - 1);
		uint64_t r = n ? ((v >> n) | (v << (bits - n))) & m : v;
		emu_reg_set(cpu, in, in->reg, size, r);
		return;
	}
	if (in->op != 0x138)
		emu_raise(cpu, EXC_UD, 0);
	uint64_t vv = emu_reg_get(cpu, in, in->vex_v, size);
	switch (in->op3 | (unsigned)(in->p66 ? 0x100 : in->rep == 0xf3 ? 0x200 :
				     in->rep == 0xf2 ? 0x300 : 0)) {
	case 0xf2: {   /* ANDN reg, vvvv, r/m */
		uint64_t r = ~vv & emu_rm_read(cpu, in, size) & m;
		emu_reg_set(cpu, in, in->reg, size, r);
		zs_flags(cpu, r, size, false, true);
		return;
	}
	case 0xf3: {   /* group 17: BLSR BLSMSK BLSI vvvv, r/m */
		unsigned k = in->reg & 7;
		if (k < 1 || k > 3)
			emu_raise(cpu, EXC_UD, 0);
		uint64_t s = emu_rm_read(cpu, in, size), r;
		if (k == 1) {
			r = s & (s - 1) & m;
			emu_reg_set(cpu, in, in->vex_v, size, r);
			zs_flags(cpu, r, size, s == 0, true);
		} else if (k == 2) {
			r = (s ^ (s - 1)) & m;
			emu_reg_set(cpu, in, in->vex_v, size, r);
			zs_flags(cpu, r, size, s == 0, true);
			set_flags(cpu, FL_ZF, 0);   /* BLSMSK: ZF always clear */
		} else {
			r = s & (0 - s) & m;
			emu_reg_set(cpu, in, in->vex_v, size, r);
			zs_flags(cpu, r, size, s != 0, true);
		}
		return;
	}
	case 0xf5: {   /* BZHI reg, r/m, vvvv */
		uint64_t s = emu_rm_read(cpu, in, size);
		unsigned n = vv & 0xff;
		uint64_t r = n < bits ? s & ((1ULL << n) - 1) : s;
		emu_reg_set(cpu, in, in->reg, size, r);
		zs_flags(cpu, r, size, n > bits - 1, true);
		return;
	}
	case 0x2f5:    /* PEXT reg, vvvv, r/m */
		emu_reg_set(cpu, in, in->reg, size, pext(vv, emu_rm_read(cpu, in, size)));
		return;
	case 0x3f5:    /* PDEP reg, vvvv, r/m */
		emu_reg_set(cpu, in, in->reg, size, pdep(vv, emu_rm_read(cpu, in, size)));
		return;
	case 0x3f6: {  /* MULX reg (high), vvvv (low), r/m: times EDX/RDX */
		uint64_t hi, lo = mulx(cpu->regs[REG_RDX] & m, emu_rm_read(cpu, in, size), size, &hi);
		emu_reg_set(cpu, in, in->vex_v, size, lo);
		emu_reg_set(cpu, in, in->reg, size, hi);   /* reg == vvvv: the high half */
		return;
	}
	case 0xf7: {   /* BEXTR reg, r/m, vvvv: start vvvv[7:0], length vvvv[15:8] */
		uint64_t s = emu_rm_read(cpu, in, size);
		unsigned start = vv & 0xff, len = (vv >> 8) & 0xff;
		uint64_t r = start < bits ? s >> start : 0;
		if (len < 64)
			r &= (1ULL << len) - 1;
		r &= m;
		emu_reg_set(cpu, in, in->reg, size, r);
		zs_flags(cpu, r, size, false, false);
		return;
	}
	case 0x1f7: case 0x2f7: case 0x3f7: {   /* SHLX SARX SHRX reg, r/m, vvvv */
		uint64_t s = emu_rm_read(cpu, in, size) & m;
		unsigned n = (unsigned)vv & (bits - 1);
		uint64_t r;
		if (in->p66)
			r = s << n;
		else if (in->rep == 0xf3)
			r = (uint64_t)((int64_t)emu_sext(s, size) >> n);
		else
			r = s >> n;
		emu_reg_set(cpu, in, in->reg, size, r & m);
		return;
	}
	default:
		emu_raise(cpu, EXC_UD, 0);
	}
}
