/*
 * SSE/SSE2 (stage 2, first part): the XMM register file, FXSAVE/FXRSTOR,
 * the data moves, the packed-integer and logic instructions C libraries use
 * for string and memory functions (compares, PMOVMSKB, shuffles, unpacks,
 * shifts, add/subtract, min/max), MOVMSKPS/PD, SHUFPS, PINSRW/PEXTRW;
 * the floating-point arithmetic, compares and conversions, under MXCSR,
 * are in sse_fp.c.
 *
 * Design note: the XMM registers and MXCSR live inside cpu->fxsave, in
 * their FXSAVE positions (XMM n at 160 + 16 n, MXCSR at 24), so FXSAVE,
 * FXRSTOR and vcpu_state's XSAVE image are plain copies. Not yet done:
 * MMX (not advertised); SSE3 and SSSE3 are in sse_ext.c and sse_fp.c.
 * Missing opcodes raise #UD through
 * emu_unimplemented.
 */
#include <stdlib.h>

#include "cpu/emu/sse_priv.h"
#include "cpu/emu/x87.h"



#define xreg sse_xreg

static void sse_check(struct emu_cpu *cpu)
{
	if ((cpu->cr0 & CR0_EM) || !(cpu->cr4 & CR4_OSFXSR))
		emu_raise(cpu, EXC_UD, 0);
	if (cpu->cr0 & CR0_TS)
		emu_raise(cpu, EXC_NM, 0);
}

static uint64_t mem_lin(struct emu_cpu *cpu, struct emu_insn *in, unsigned size,
			enum emu_access acc, bool aligned)
{
	if (aligned)
		return emu_linear_align16(cpu, in->seg, emu_ea(cpu, in), size, acc);
	return emu_linear(cpu, in->seg, emu_ea(cpu, in), size, acc);
}

void sse_get_src(struct emu_cpu *cpu, struct emu_insn *in, xmm_t *v, unsigned size, bool aligned)
{
	if (in->mod == 3) {
		*v = *xreg(cpu, in->rm);
		return;
	}
	uint64_t lin = mem_lin(cpu, in, size, ACC_READ, aligned && size == 16);
	memset(v, 0, sizeof(*v));
	if (size == 16) {
		v->q[0] = emu_read_lin(cpu, lin, 8, ACC_READ);
		v->q[1] = emu_read_lin(cpu, lin + 8, 8, ACC_READ);
	} else {
		v->q[0] = emu_read_lin(cpu, lin, size, ACC_READ);
	}
}

static void put_mem(struct emu_cpu *cpu, struct emu_insn *in, const xmm_t *v, unsigned size,
		    bool aligned)
{
	uint64_t lin = mem_lin(cpu, in, size, ACC_WRITE, aligned && size == 16);
	if (size == 16) {
		/* Both halves must be writable before either is written. */
		emu_translate_range(cpu, lin, 16, ACC_WRITE);
		emu_write_lin(cpu, lin, 8, v->q[0]);
		emu_write_lin(cpu, lin + 8, 8, v->q[1]);
	} else {
		emu_write_lin(cpu, lin, size, v->q[0]);
	}
}

void emu_fxsave(struct emu_cpu *cpu, struct emu_insn *in, bool restore)
{
	if (in->mod == 3)
		emu_raise(cpu, EXC_UD, 0);
	if (cpu->cr0 & (CR0_TS | CR0_EM))
		emu_raise(cpu, (cpu->cr0 & CR0_EM) ? EXC_UD : EXC_NM, 0);
	/* Unlike the SSE operands, a non-canonical address faults before a
	 * misaligned one (#SS when SS-relative; measured, tests/diff). */
	uint64_t lin = emu_linear(cpu, in->seg, emu_ea(cpu, in), 512,
				  restore ? ACC_READ : ACC_WRITE);
	if (lin & 15)
		emu_raise(cpu, EXC_GP, 0);
	unsigned n = cpu->code64 ? 512 : 288;   /* XMM8-15 only in 64-bit mode */
	/* The format (SDM Vol. 1, 10.5.1): with REX.W, 64-bit FIP and FDP at
	 * 8 and 16; without, FIP[31:0] FCS FDP[31:0] FDS, the selectors saved
	 * as 0 since CPUID.(EAX=7,ECX=0):EBX[13] says they are deprecated. */
	bool wide = cpu->code64 && (in->rex & 8);
	if (restore) {
		uint8_t buf[512];
		for (unsigned i = 0; i < n; i += 8) {
			uint64_t v = emu_read_lin(cpu, lin + i, 8, ACC_READ);
			memcpy(buf + i, &v, 8);
		}
		uint32_t mxcsr;
		memcpy(&mxcsr, buf + 24, 4);
		if (mxcsr & ~MXCSR_MASK)
			emu_raise(cpu, EXC_GP, 0);
		x87_load_image(cpu, buf, wide);
		memcpy(cpu->fxsave + 24, &mxcsr, 4);
		memcpy(cpu->fxsave + 160, buf + 160, n - 160);
		return;
	}
	emu_translate_range(cpu, lin, 512, ACC_WRITE);
	uint32_t mask = MXCSR_MASK;
	memcpy(cpu->fxsave + 28, &mask, 4);
	/* Bytes 416-511 (reserved, then free for software) are not written:
	 * measured (tests/diff "fxsave"); the SDM promises it for 464-511. */
	for (unsigned i = 0; i < (n < 416 ? n : 416); i += 8) {
		uint64_t v;
		memcpy(&v, cpu->fxsave + i, 8);
		if (!wide && (i == 8 || i == 16))
			v = (uint32_t)v;   /* FCS, FDS: 0, deprecated (cpu/cpuid.c) */
		emu_write_lin(cpu, lin + i, 8, v);
	}
}

static uint8_t sat_u8(int v) { return v < 0 ? 0 : v > 255 ? 255 : (uint8_t)v; }
static uint16_t sat_u16(int v) { return v < 0 ? 0 : v > 65535 ? 65535 : (uint16_t)v; }
static int8_t sat_s8(int v) { return v < -128 ? -128 : v > 127 ? 127 : (int8_t)v; }
static int16_t sat_s16(int v) { return v < -32768 ? -32768 : v > 32767 ? 32767 : (int16_t)v; }

/* Packed shifts by count (bits); lane size in bytes. */
static void pshift(xmm_t *d, unsigned lane, uint64_t cnt, int kind)
{
	unsigned bits = lane * 8, n = 16 / lane;
	for (unsigned i = 0; i < n; i++) {
		uint64_t v = lane == 2 ? d->w[i] : lane == 4 ? d->d[i] : d->q[i];
		int64_t sv = lane == 2 ? d->sw[i] : lane == 4 ? d->sd[i] : d->sq[i];
		uint64_t r;
		if (kind == 0)        /* logical right */
			r = cnt >= bits ? 0 : v >> cnt;
		else if (kind == 1)   /* arithmetic right */
			r = (uint64_t)(sv >> (cnt >= bits ? bits - 1 : cnt));
		else                  /* left */
			r = cnt >= bits ? 0 : v << cnt;
		if (lane == 2)
			d->w[i] = (uint16_t)r;
		else if (lane == 4)
			d->d[i] = (uint32_t)r;
		else
			d->q[i] = r;
	}
}

static void exec_int(struct emu_cpu *cpu, struct emu_insn *in)
{
	unsigned op = in->op & 0xff;
	xmm_t *d = xreg(cpu, in->reg), s, r;
	if (!in->p66 || in->rep)
		emu_unimplemented(cpu, in);   /* MMX forms: MMX is not advertised */
	sse_get_src(cpu, in, &s, 16, true);
	r = *d;
	switch (op) {
	case 0x60: case 0x61: case 0x62: case 0x6c:   /* PUNPCKL* */
	case 0x68: case 0x69: case 0x6a: case 0x6d: { /* PUNPCKH* */
		unsigned lane = op == 0x6c || op == 0x6d ? 8 : 1u << (op & 3);
		unsigned half = (op >= 0x68 && op != 0x6c) ? 8 : 0, n = 8 / lane;
		for (unsigned i = 0; i < n; i++) {
			memcpy(r.b + 2 * i * lane, d->b + half + i * lane, lane);
			memcpy(r.b + (2 * i + 1) * lane, s.b + half + i * lane, lane);
		}
		break;
	}
	case 0x63: for (int i = 0; i < 8; i++) { r.sb[i] = sat_s8(d->sw[i]); r.sb[i + 8] = sat_s8(s.sw[i]); } break;
	case 0x67: for (int i = 0; i < 8; i++) { r.b[i] = sat_u8(d->sw[i]); r.b[i + 8] = sat_u8(s.sw[i]); } break;
	case 0x6b: for (int i = 0; i < 4; i++) { r.sw[i] = sat_s16(d->sd[i]); r.sw[i + 4] = sat_s16(s.sd[i]); } break;
	case 0x64: for (int i = 0; i < 16; i++) r.b[i] = d->sb[i] > s.sb[i] ? 0xff : 0; break;
	case 0x65: for (int i = 0; i < 8; i++) r.w[i] = d->sw[i] > s.sw[i] ? 0xffff : 0; break;
	case 0x66: for (int i = 0; i < 4; i++) r.d[i] = d->sd[i] > s.sd[i] ? ~0u : 0; break;
	case 0x74: for (int i = 0; i < 16; i++) r.b[i] = d->b[i] == s.b[i] ? 0xff : 0; break;
	case 0x75: for (int i = 0; i < 8; i++) r.w[i] = d->w[i] == s.w[i] ? 0xffff : 0; break;
	case 0x76: for (int i = 0; i < 4; i++) r.d[i] = d->d[i] == s.d[i] ? ~0u : 0; break;
	case 0xd1: pshift(&r, 2, s.q[0], 0); break;
	case 0xd2: pshift(&r, 4, s.q[0], 0); break;
	case 0xd3: pshift(&r, 8, s.q[0], 0); break;
	case 0xe1: pshift(&r, 2, s.q[0], 1); break;
	case 0xe2: pshift(&r, 4, s.q[0], 1); break;
	case 0xf1: pshift(&r, 2, s.q[0], 2); break;
	case 0xf2: pshift(&r, 4, s.q[0], 2); break;
	case 0xf3: pshift(&r, 8, s.q[0], 2); break;
	case 0xd4: for (int i = 0; i < 2; i++) r.q[i] = d->q[i] + s.q[i]; break;
	case 0xfb: for (int i = 0; i < 2; i++) r.q[i] = d->q[i] - s.q[i]; break;
	case 0xfc: for (int i = 0; i < 16; i++) r.b[i] = (uint8_t)(d->b[i] + s.b[i]); break;
	case 0xfd: for (int i = 0; i < 8; i++) r.w[i] = (uint16_t)(d->w[i] + s.w[i]); break;
	case 0xfe: for (int i = 0; i < 4; i++) r.d[i] = d->d[i] + s.d[i]; break;
	case 0xf8: for (int i = 0; i < 16; i++) r.b[i] = (uint8_t)(d->b[i] - s.b[i]); break;
	case 0xf9: for (int i = 0; i < 8; i++) r.w[i] = (uint16_t)(d->w[i] - s.w[i]); break;
	case 0xfa: for (int i = 0; i < 4; i++) r.d[i] = d->d[i] - s.d[i]; break;
	case 0xd8: for (int i = 0; i < 16; i++) r.b[i] = sat_u8(d->b[i] - s.b[i]); break;
	case 0xd9: for (int i = 0; i < 8; i++) r.w[i] = sat_u16(d->w[i] - s.w[i]); break;
	case 0xdc: for (int i = 0; i < 16; i++) r.b[i] = sat_u8(d->b[i] + s.b[i]); break;
	case 0xdd: for (int i = 0; i < 8; i++) r.w[i] = sat_u16(d->w[i] + s.w[i]); break;
	case 0xe8: for (int i = 0; i < 16; i++) r.sb[i] = sat_s8(d->sb[i] - s.sb[i]); break;
	case 0xe9: for (int i = 0; i < 8; i++) r.sw[i] = sat_s16(d->sw[i] - s.sw[i]); break;
	case 0xec: for (int i = 0; i < 16; i++) r.sb[i] = sat_s8(d->sb[i] + s.sb[i]); break;
	case 0xed: for (int i = 0; i < 8; i++) r.sw[i] = sat_s16(d->sw[i] + s.sw[i]); break;
	case 0xda: for (int i = 0; i < 16; i++) r.b[i] = d->b[i] < s.b[i] ? d->b[i] : s.b[i]; break;
	case 0xde: for (int i = 0; i < 16; i++) r.b[i] = d->b[i] > s.b[i] ? d->b[i] : s.b[i]; break;
	case 0xea: for (int i = 0; i < 8; i++) r.sw[i] = d->sw[i] < s.sw[i] ? d->sw[i] : s.sw[i]; break;
	case 0xee: for (int i = 0; i < 8; i++) r.sw[i] = d->sw[i] > s.sw[i] ? d->sw[i] : s.sw[i]; break;
	case 0xe0: for (int i = 0; i < 16; i++) r.b[i] = (uint8_t)((d->b[i] + s.b[i] + 1) >> 1); break;
	case 0xe3: for (int i = 0; i < 8; i++) r.w[i] = (uint16_t)((d->w[i] + s.w[i] + 1) >> 1); break;
	case 0xd5: for (int i = 0; i < 8; i++) r.w[i] = (uint16_t)(d->sw[i] * s.sw[i]); break;
	case 0xe5: for (int i = 0; i < 8; i++) r.w[i] = (uint16_t)((d->sw[i] * s.sw[i]) >> 16); break;
	case 0xe4: for (int i = 0; i < 8; i++) r.w[i] = (uint16_t)(((uint32_t)d->w[i] * s.w[i]) >> 16); break;
	case 0xf4: for (int i = 0; i < 2; i++) r.q[i] = (uint64_t)d->d[2 * i] * s.d[2 * i]; break;
	case 0xf5: for (int i = 0; i < 4; i++) r.sd[i] = d->sw[2 * i] * s.sw[2 * i] + d->sw[2 * i + 1] * s.sw[2 * i + 1]; break;
	case 0xf6: {
		for (int h = 0; h < 2; h++) {
			unsigned sum = 0;
			for (int i = 0; i < 8; i++)
				sum += (unsigned)abs(d->b[8 * h + i] - s.b[8 * h + i]);
			r.q[h] = sum;
		}
		break;
	}
	case 0xdb: for (int i = 0; i < 2; i++) r.q[i] = d->q[i] & s.q[i]; break;
	case 0xdf: for (int i = 0; i < 2; i++) r.q[i] = ~d->q[i] & s.q[i]; break;
	case 0xeb: for (int i = 0; i < 2; i++) r.q[i] = d->q[i] | s.q[i]; break;
	case 0xef: for (int i = 0; i < 2; i++) r.q[i] = d->q[i] ^ s.q[i]; break;
	default:
		emu_unimplemented(cpu, in);
	}
	*d = r;
}

static bool is_sse_op(unsigned op)
{
	unsigned lo = op & 0xff;
	if (op == 0x138 || op == 0x13a)
		return true;
	if (op < 0x100)
		return false;
	return (lo >= 0x10 && lo <= 0x17) || (lo >= 0x28 && lo <= 0x2f) ||
	       (lo >= 0x50 && lo <= 0x7f) || lo == 0xc2 || (lo >= 0xc4 && lo <= 0xc6) ||
	       (lo >= 0xd0 && lo < 0xff);
}

bool emu_exec_sse(struct emu_cpu *cpu, struct emu_insn *in)
{
	unsigned op = in->op;
	if (!is_sse_op(op))
		return false;
	if (op == 0x177)
		emu_unimplemented(cpu, in);   /* EMMS: MMX is not advertised */
	if (op == 0x138 && in->rep == 0xf2 && (in->op3 == 0xf0 || in->op3 == 0xf1)) {
		sse_exec_crc32(cpu, in);      /* sse_42.c */
		return true;
	}
	if ((op == 0x138 || op == 0x13a) && !in->p66 && !in->rep) {
		sse_exec_ext(cpu, in);   /* MMX-register forms: x87 rules, no OSFXSR */
		return true;
	}
	sse_check(cpu);
	xmm_t *d = xreg(cpu, in->reg), s;
	bool ss = in->rep == 0xf3, sd = in->rep == 0xf2, p66 = in->p66 && !in->rep;
	unsigned lo = op & 0xff;

	if (sse_exec_ext(cpu, in))   /* SSE3 moves, SSSE3 and later (sse_ext.c) */
		return true;
	switch (lo) {
	case 0x10: case 0x11: {   /* MOVUPS/MOVUPD/MOVSS/MOVSD */
		unsigned size = ss ? 4 : sd ? 8 : 16;
		if (lo == 0x10) {
			sse_get_src(cpu, in, &s, size, false);
			if (size == 16 || in->mod != 3)
				*d = s;   /* memory scalar loads zero the rest */
			else
				memcpy(d, &s, size);
		} else if (in->mod == 3) {
			memcpy(xreg(cpu, in->rm), d, size);
		} else {
			put_mem(cpu, in, d, size, false);
		}
		return true;
	}
	case 0x12: case 0x13: case 0x16: case 0x17: {   /* MOVLPS/MOVHPS(PD), MOVHLPS/MOVLHPS */
		unsigned half = (lo & 4) ? 1 : 0;
		if (in->rep)
			emu_unimplemented(cpu, in);
		if (lo == 0x12 || lo == 0x16) {
			if (in->mod == 3)   /* MOVHLPS / MOVLHPS */
				d->q[half] = xreg(cpu, in->rm)->q[half ^ 1];
			else
				d->q[half] = emu_read(cpu, in->seg, emu_ea(cpu, in), 8);
		} else {
			if (in->mod == 3)
				emu_raise(cpu, EXC_UD, 0);
			emu_write(cpu, in->seg, emu_ea(cpu, in), 8, d->q[half]);
		}
		return true;
	}
	case 0x14: case 0x15: {   /* UNPCKLPS/HPS, UNPCKLPD/HPD */
		if (in->rep)
			emu_unimplemented(cpu, in);
		sse_get_src(cpu, in, &s, 16, true);
		xmm_t r;
		unsigned h = lo == 0x15;
		if (p66) {
			r.q[0] = d->q[h];
			r.q[1] = s.q[h];
		} else {
			r.d[0] = d->d[2 * h];
			r.d[1] = s.d[2 * h];
			r.d[2] = d->d[2 * h + 1];
			r.d[3] = s.d[2 * h + 1];
		}
		*d = r;
		return true;
	}
	case 0x28: case 0x29:     /* MOVAPS/MOVAPD */
		if (in->rep)
			emu_unimplemented(cpu, in);
		if (lo == 0x28) {
			sse_get_src(cpu, in, &s, 16, true);
			*d = s;
		} else if (in->mod == 3) {
			*xreg(cpu, in->rm) = *d;
		} else {
			put_mem(cpu, in, d, 16, true);
		}
		return true;
	case 0x2b: case 0xe7:     /* MOVNTPS/PD, MOVNTDQ */
		if (in->mod == 3 || in->rep || (lo == 0xe7 && !p66))
			emu_raise(cpu, EXC_UD, 0);
		put_mem(cpu, in, d, 16, true);
		return true;
	case 0x2a: case 0x2c: case 0x2d: case 0x2e: case 0x2f: case 0x5a: case 0x5b: case 0xe6:
	case 0x7c: case 0x7d: case 0xd0:
	case 0x51: case 0x58: case 0x59: case 0x5c: case 0x5d: case 0x5e: case 0x5f: case 0xc2:
		sse_exec_fp(cpu, in);   /* sse_fp.c */
		return true;
	case 0x50: {              /* MOVMSKPS / MOVMSKPD */
		if (in->mod != 3 || in->rep)
			emu_raise(cpu, EXC_UD, 0);
		xmm_t *x = xreg(cpu, in->rm);
		unsigned m = 0;
		if (p66)
			m = (unsigned)(x->q[0] >> 63) | (unsigned)(x->q[1] >> 63) << 1;
		else
			for (int i = 0; i < 4; i++)
				m |= (x->d[i] >> 31) << i;
		emu_reg_set(cpu, in, in->reg, 4, m);
		return true;
	}
	case 0x54: case 0x55: case 0x56: case 0x57: {   /* ANDPS ANDNPS ORPS XORPS (+PD) */
		if (in->rep)
			emu_unimplemented(cpu, in);
		sse_get_src(cpu, in, &s, 16, true);
		for (int i = 0; i < 2; i++)
			d->q[i] = lo == 0x54 ? d->q[i] & s.q[i] : lo == 0x55 ? ~d->q[i] & s.q[i] :
				  lo == 0x56 ? d->q[i] | s.q[i] : d->q[i] ^ s.q[i];
		return true;
	}
	case 0x6e:                /* MOVD/MOVQ xmm, r/m */
		if (!p66)
			emu_unimplemented(cpu, in);
	{
		uint64_t v = emu_rm_read(cpu, in, (in->rex & 8) ? 8 : 4);   /* may fault */
		d->q[0] = v;
		d->q[1] = 0;
		return true;
	}
	case 0x7e:
		if (ss) {             /* MOVQ xmm, xmm/m64 */
			sse_get_src(cpu, in, &s, 8, false);
			d->q[0] = s.q[0];
			d->q[1] = 0;
		} else if (p66) {     /* MOVD/MOVQ r/m, xmm */
			unsigned size = (in->rex & 8) ? 8 : 4;
			if (in->mod == 3)
				emu_reg_set(cpu, in, in->rm, size, d->q[0]);
			else
				emu_write(cpu, in->seg, emu_ea(cpu, in), size, d->q[0]);
		} else {
			emu_unimplemented(cpu, in);
		}
		return true;
	case 0xd6:                /* MOVQ xmm/m64, xmm */
		if (!p66)
			emu_unimplemented(cpu, in);
		if (in->mod == 3) {
			xreg(cpu, in->rm)->q[0] = d->q[0];
			xreg(cpu, in->rm)->q[1] = 0;
		} else {
			emu_write(cpu, in->seg, emu_ea(cpu, in), 8, d->q[0]);
		}
		return true;
	case 0x6f: case 0x7f: {   /* MOVDQA (66) / MOVDQU (F3) */
		if (!p66 && !ss)
			emu_unimplemented(cpu, in);
		if (lo == 0x6f) {
			sse_get_src(cpu, in, &s, 16, p66);
			*d = s;
		} else if (in->mod == 3) {
			*xreg(cpu, in->rm) = *d;
		} else {
			put_mem(cpu, in, d, 16, p66);
		}
		return true;
	}
	case 0x70: {              /* PSHUFD / PSHUFHW / PSHUFLW */
		sse_get_src(cpu, in, &s, 16, true);
		unsigned imm = in->imm & 0xff;
		xmm_t r = s;
		if (p66) {
			for (int i = 0; i < 4; i++)
				r.d[i] = s.d[(imm >> (2 * i)) & 3];
		} else if (ss) {
			for (int i = 0; i < 4; i++)
				r.w[4 + i] = s.w[4 + ((imm >> (2 * i)) & 3)];
		} else if (sd) {
			for (int i = 0; i < 4; i++)
				r.w[i] = s.w[(imm >> (2 * i)) & 3];
		} else {
			emu_unimplemented(cpu, in);
		}
		*d = r;
		return true;
	}
	case 0x71: case 0x72: case 0x73: {   /* shifts by imm8 */
		if (!p66 || in->mod != 3)
			emu_unimplemented(cpu, in);
		xmm_t *x = xreg(cpu, in->rm);
		unsigned cnt = in->imm & 0xff, r = in->reg & 7;
		unsigned lane = lo == 0x71 ? 2 : lo == 0x72 ? 4 : 8;
		if (lo == 0x73 && (r == 3 || r == 7)) {   /* PSRLDQ / PSLLDQ: bytes */
			xmm_t t = { .q = { 0, 0 } };
			unsigned n = cnt > 16 ? 16 : cnt;
			if (r == 3)
				memcpy(t.b, x->b + n, 16 - n);
			else
				memcpy(t.b + n, x->b, 16 - n);
			*x = t;
		} else if (r == 2) {
			pshift(x, lane, cnt, 0);
		} else if (r == 4 && lane != 8) {
			pshift(x, lane, cnt, 1);
		} else if (r == 6) {
			pshift(x, lane, cnt, 2);
		} else {
			emu_unimplemented(cpu, in);
		}
		return true;
	}
	case 0xd7: {              /* PMOVMSKB r32, xmm */
		if (!p66 || in->mod != 3)
			emu_unimplemented(cpu, in);
		xmm_t *x = xreg(cpu, in->rm);
		unsigned m = 0;
		for (int i = 0; i < 16; i++)
			m |= (unsigned)(x->b[i] >> 7) << i;
		emu_reg_set(cpu, in, in->reg, 4, m);
		return true;
	}
	case 0xc4:                /* PINSRW */
		if (!p66)
			emu_unimplemented(cpu, in);
		d->w[in->imm & 7] = (uint16_t)emu_rm_read(cpu, in, 2);
		return true;
	case 0xc5:                /* PEXTRW */
		if (!p66 || in->mod != 3)
			emu_unimplemented(cpu, in);
		emu_reg_set(cpu, in, in->reg, 4, xreg(cpu, in->rm)->w[in->imm & 7]);
		return true;
	case 0xc6: {              /* SHUFPS / SHUFPD */
		if (in->rep)
			emu_unimplemented(cpu, in);
		sse_get_src(cpu, in, &s, 16, true);
		unsigned imm = in->imm & 0xff;
		xmm_t r;
		if (p66) {
			r.q[0] = d->q[imm & 1];
			r.q[1] = s.q[(imm >> 1) & 1];
		} else {
			r.d[0] = d->d[imm & 3];
			r.d[1] = d->d[(imm >> 2) & 3];
			r.d[2] = s.d[(imm >> 4) & 3];
			r.d[3] = s.d[(imm >> 6) & 3];
		}
		*d = r;
		return true;
	}
	default:
		if ((lo >= 0x60 && lo <= 0x6d) || (lo >= 0x74 && lo <= 0x76) || lo >= 0xd1) {
			exec_int(cpu, in);
			return true;
		}
		emu_unimplemented(cpu, in);
	}
}
