/*
 * SSE/SSE2 (stage 2, first part): the XMM register file, FXSAVE/FXRSTOR,
 * the data moves, the packed-integer and logic instructions C libraries use
 * for string and memory functions (compares, PMOVMSKB, shuffles, unpacks,
 * shifts, add/subtract, min/max), MOVMSKPS/PD, SHUFPS, PINSRW/PEXTRW,
 * and scalar/packed single and double arithmetic, compares and conversions
 * computed with the host's IEEE arithmetic in round-to-nearest.
 *
 * Design note: the XMM registers and MXCSR live inside cpu->fxsave, in
 * their FXSAVE positions (XMM n at 160 + 16 n, MXCSR at 24), so FXSAVE,
 * FXRSTOR and vcpu_state's XSAVE image are plain copies. Not yet done:
 * MMX (not advertised), SSE3+, MXCSR exception flags and rounding modes,
 * denormal controls. Missing opcodes raise #UD through emu_unimplemented.
 */
#include <fenv.h>
#include <math.h>
#include <stdlib.h>

#include "cpu/emu/emu.h"

typedef union {
	uint8_t b[16];
	uint16_t w[8];
	uint32_t d[4];
	uint64_t q[2];
	int8_t sb[16];
	int16_t sw[8];
	int32_t sd[4];
	int64_t sq[2];
	float f[4];
	double g[2];
} xmm_t;

#define MXCSR_MASK 0xffffu

static inline xmm_t *xreg(struct emu_cpu *cpu, unsigned n)
{
	return (xmm_t *)(void *)(cpu->fxsave + 160 + 16 * (n & 15));
}

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
	uint64_t lin = emu_linear(cpu, in->seg, emu_ea(cpu, in), size, acc);
	if (aligned && (lin & 15))
		emu_raise(cpu, EXC_GP, 0);
	return lin;
}

/* Source operand: XMM rm or `size` bytes of memory (zero extended). */
static void get_src(struct emu_cpu *cpu, struct emu_insn *in, xmm_t *v, unsigned size,
		    bool aligned)
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
	uint64_t lin = mem_lin(cpu, in, 512, restore ? ACC_READ : ACC_WRITE, true);
	unsigned n = cpu->code64 ? 512 : 288;   /* XMM8-15 only in 64-bit mode */
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
		memcpy(cpu->fxsave, buf, 24);
		memcpy(cpu->fxsave + 24, &mxcsr, 4);
		memcpy(cpu->fxsave + 32, buf + 32, n - 32);
		return;
	}
	emu_translate_range(cpu, lin, 512, ACC_WRITE);
	uint32_t mask = MXCSR_MASK;
	memcpy(cpu->fxsave + 28, &mask, 4);
	for (unsigned i = 0; i < n; i += 8) {
		uint64_t v;
		memcpy(&v, cpu->fxsave + i, 8);
		emu_write_lin(cpu, lin + i, 8, v);
	}
}

static void set_cmp_flags(struct emu_cpu *cpu, double a, double b)
{
	uint64_t fl = emu_get_flags(cpu) & ~(uint64_t)FL_ARITH;
	if (isnan(a) || isnan(b))
		fl |= FL_ZF | FL_PF | FL_CF;
	else if (a < b)
		fl |= FL_CF;
	else if (a == b)
		fl |= FL_ZF;
	emu_set_flags(cpu, fl);
}

static double fp_op(unsigned op, double a, double b)
{
	volatile double x = a, y = b, r;   /* keep the order against fenv calls */
	switch (op) {
	case 0x51: r = sqrt(y); break;
	case 0x58: r = x + y; break;
	case 0x59: r = x * y; break;
	case 0x5c: r = x - y; break;
	case 0x5d: r = (x < y) ? x : y; break;   /* SDM: the second if unordered/equal */
	case 0x5e: r = x / y; break;
	default: r = (x > y) ? x : y; break;
	}
	return r;
}

static bool cmp_pred(unsigned pred, double a, double b)
{
	bool un = isnan(a) || isnan(b);
	switch (pred & 7) {
	case 0: return a == b;
	case 1: return a < b;
	case 2: return a <= b;
	case 3: return un;
	case 4: return !(a == b);
	case 5: return !(a < b);
	case 6: return !(a <= b);
	default: return !un;
	}
}

/* Integer conversion with x86's "integer indefinite" on overflow/NaN. */
static int64_t cvt_int(double v, unsigned size, bool truncate)
{
	double r = truncate ? trunc(v) : nearbyint(v);
	double lim = size == 8 ? 9223372036854775808.0 : 2147483648.0;
	if (isnan(r) || r >= lim || r < -lim)
		return size == 8 ? INT64_MIN : INT32_MIN;
	return (int64_t)r;
}

/* MXCSR exception flags from the host's floating-point environment: sticky
 * flags when masked; an unmasked one raises #XM (#UD without
 * CR4.OSXMMEXCPT) before the result is written (SDM Vol. 1, 11.5). */
static void mxcsr_begin(void)
{
	feclearexcept(FE_ALL_EXCEPT);
}

static void mxcsr_end(struct emu_cpu *cpu)
{
	int e = fetestexcept(FE_ALL_EXCEPT);
	uint32_t f = 0, m;
	if (e & FE_INVALID) f |= 0x01;
	if (e & FE_DIVBYZERO) f |= 0x04;
	if (e & FE_OVERFLOW) f |= 0x08;
	if (e & FE_UNDERFLOW) f |= 0x10;
	if (e & FE_INEXACT) f |= 0x20;
	memcpy(&m, cpu->fxsave + 24, 4);
	m |= f;
	memcpy(cpu->fxsave + 24, &m, 4);
	if (f & ~(m >> 7) & 0x3f)
		emu_raise(cpu, (cpu->cr4 & CR4_OSXMMEXCPT) ? EXC_XM : EXC_UD, 0);
}

static void exec_fp(struct emu_cpu *cpu, struct emu_insn *in)
{
	unsigned op = in->op & 0xff;
	xmm_t *d = xreg(cpu, in->reg), s, r = *d;
	bool ss = in->rep == 0xf3, sd = in->rep == 0xf2, pd = in->p66 && !in->rep;
	if (ss || sd) {
		get_src(cpu, in, &s, ss ? 4 : 8, false);
		mxcsr_begin();
		if (ss)
			r.f[0] = (float)fp_op(op, d->f[0], s.f[0]);
		else
			r.g[0] = fp_op(op, d->g[0], s.g[0]);
		mxcsr_end(cpu);
		*d = r;
		return;
	}
	get_src(cpu, in, &s, 16, true);
	mxcsr_begin();
	if (pd) {
		for (unsigned i = 0; i < 2; i++)
			r.g[i] = fp_op(op, d->g[i], s.g[i]);
	} else {
		for (unsigned i = 0; i < 4; i++)
			r.f[i] = (float)fp_op(op, d->f[i], s.f[i]);
	}
	mxcsr_end(cpu);
	*d = r;
}

static void exec_cvt(struct emu_cpu *cpu, struct emu_insn *in)
{
	unsigned op = in->op & 0xff;
	xmm_t *d = xreg(cpu, in->reg), s;
	bool ss = in->rep == 0xf3, sd = in->rep == 0xf2;
	unsigned isz = (in->rex & 8) ? 8 : 4;
	switch (op) {
	case 0x2a: {   /* CVTSI2SS/SD */
		if (!ss && !sd)
			emu_unimplemented(cpu, in);
		int64_t v = (int64_t)emu_sext(emu_rm_read(cpu, in, isz), isz);
		if (ss)
			d->f[0] = (float)v;
		else
			d->g[0] = (double)v;
		return;
	}
	case 0x2c: case 0x2d: {   /* CVT(T)SS2SI / CVT(T)SD2SI */
		if (!ss && !sd)
			emu_unimplemented(cpu, in);
		get_src(cpu, in, &s, ss ? 4 : 8, false);
		double v = ss ? s.f[0] : s.g[0];
		emu_reg_set(cpu, in, in->reg, isz, (uint64_t)cvt_int(v, isz, op == 0x2c));
		return;
	}
	case 0x5a:     /* CVTSS2SD / CVTSD2SS / CVTPS2PD / CVTPD2PS */
		if (ss) {
			get_src(cpu, in, &s, 4, false);
			d->g[0] = s.f[0];
		} else if (sd) {
			get_src(cpu, in, &s, 8, false);
			d->f[0] = (float)s.g[0];
		} else if (in->p66) {
			get_src(cpu, in, &s, 16, true);
			d->f[0] = (float)s.g[0];
			d->f[1] = (float)s.g[1];
			d->q[1] = 0;
		} else {
			get_src(cpu, in, &s, 8, false);
			double a = s.f[0], b = s.f[1];
			d->g[0] = a;
			d->g[1] = b;
		}
		return;
	case 0x5b:     /* CVTDQ2PS / CVTPS2DQ (66) / CVTTPS2DQ (F3) */
		get_src(cpu, in, &s, 16, true);
		for (unsigned i = 0; i < 4; i++) {
			if (in->p66 || ss)
				d->sd[i] = (int32_t)cvt_int(s.f[i], 4, ss);
			else
				d->f[i] = (float)s.sd[i];
		}
		return;
	default:       /* 0xe6: CVTDQ2PD (F3) / CVTTPD2DQ (66) / CVTPD2DQ (F2) */
		if (ss) {
			get_src(cpu, in, &s, 8, false);
			double a = s.sd[0], b = s.sd[1];
			d->g[0] = a;
			d->g[1] = b;
		} else if (in->p66 || sd) {
			get_src(cpu, in, &s, 16, true);
			d->sd[0] = (int32_t)cvt_int(s.g[0], 4, in->p66);
			d->sd[1] = (int32_t)cvt_int(s.g[1], 4, in->p66);
			d->q[1] = 0;
		} else {
			emu_unimplemented(cpu, in);
		}
		return;
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
	get_src(cpu, in, &s, 16, true);
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
	sse_check(cpu);
	xmm_t *d = xreg(cpu, in->reg), s;
	bool ss = in->rep == 0xf3, sd = in->rep == 0xf2, p66 = in->p66 && !in->rep;
	unsigned lo = op & 0xff;

	switch (lo) {
	case 0x10: case 0x11: {   /* MOVUPS/MOVUPD/MOVSS/MOVSD */
		unsigned size = ss ? 4 : sd ? 8 : 16;
		if (lo == 0x10) {
			get_src(cpu, in, &s, size, false);
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
		get_src(cpu, in, &s, 16, true);
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
			get_src(cpu, in, &s, 16, true);
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
	case 0x2e: case 0x2f:     /* UCOMISS/COMISS, UCOMISD/COMISD */
		if (in->rep)
			emu_unimplemented(cpu, in);
		get_src(cpu, in, &s, p66 ? 8 : 4, false);
		if (p66)
			set_cmp_flags(cpu, d->g[0], s.g[0]);
		else
			set_cmp_flags(cpu, d->f[0], s.f[0]);
		return true;
	case 0x2a: case 0x2c: case 0x2d: case 0x5a: case 0x5b: case 0xe6:
		exec_cvt(cpu, in);
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
		get_src(cpu, in, &s, 16, true);
		for (int i = 0; i < 2; i++)
			d->q[i] = lo == 0x54 ? d->q[i] & s.q[i] : lo == 0x55 ? ~d->q[i] & s.q[i] :
				  lo == 0x56 ? d->q[i] | s.q[i] : d->q[i] ^ s.q[i];
		return true;
	}
	case 0x51: case 0x58: case 0x59: case 0x5c: case 0x5d: case 0x5e: case 0x5f:
		exec_fp(cpu, in);
		return true;
	case 0x6e:                /* MOVD/MOVQ xmm, r/m */
		if (!p66)
			emu_unimplemented(cpu, in);
		memset(d, 0, 16);
		d->q[0] = emu_rm_read(cpu, in, (in->rex & 8) ? 8 : 4);
		return true;
	case 0x7e:
		if (ss) {             /* MOVQ xmm, xmm/m64 */
			get_src(cpu, in, &s, 8, false);
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
			get_src(cpu, in, &s, 16, p66);
			*d = s;
		} else if (in->mod == 3) {
			*xreg(cpu, in->rm) = *d;
		} else {
			put_mem(cpu, in, d, 16, p66);
		}
		return true;
	}
	case 0x70: {              /* PSHUFD / PSHUFHW / PSHUFLW */
		get_src(cpu, in, &s, 16, true);
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
	case 0xc2: {              /* CMPPS/PD/SS/SD */
		unsigned pred = in->imm & 7;
		if (ss || sd) {
			get_src(cpu, in, &s, ss ? 4 : 8, false);
			if (ss)
				d->d[0] = cmp_pred(pred, d->f[0], s.f[0]) ? ~0u : 0;
			else
				d->q[0] = cmp_pred(pred, d->g[0], s.g[0]) ? ~0ULL : 0;
		} else {
			get_src(cpu, in, &s, 16, true);
			if (p66)
				for (int i = 0; i < 2; i++)
					d->q[i] = cmp_pred(pred, d->g[i], s.g[i]) ? ~0ULL : 0;
			else
				for (int i = 0; i < 4; i++)
					d->d[i] = cmp_pred(pred, d->f[i], s.f[i]) ? ~0u : 0;
		}
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
		get_src(cpu, in, &s, 16, true);
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
