/*
 * SSE3 and SSSE3 integer and data-movement instructions of the emulator:
 * MOVSLDUP/MOVSHDUP/MOVDDUP/LDDQU (SSE3) and the 0F 38 / 0F 3A SSSE3 set
 * (PSHUFB, PHADD/PHSUB W/D/SW, PMADDUBSW, PSIGN B/W/D, PMULHRSW,
 * PABS B/W/D, PALIGNR) on XMM and MMX registers. The SSE3 float instructions
 * (ADDSUBPS/PD, HADDPS/PD, HSUBPS/PD) are in sse_fp.c with the rest of
 * the MXCSR machinery.
 *
 * The SSSE3 instructions also have MMX-register forms (no 66 prefix), on
 * MM0-7 as mmx.c keeps them.
 */
#include <stdlib.h>

#include "cpu/emu/sse_priv.h"
#include "cpu/emu/x87.h"

static int16_t sat16(int v)
{
	return v < -32768 ? -32768 : v > 32767 ? 32767 : (int16_t)v;
}

/* Horizontal add/subtract of adjacent pairs: the destination's pairs fill
 * the low half of the result, the source's the high half; n = 16 (XMM)
 * or 8 (MMX) bytes. */
static void phorizontal(xmm_t *r, const xmm_t *d, const xmm_t *s, unsigned op, unsigned n)
{
	unsigned pw = n / 4, pd = n / 8;   /* word and dword results per source */
	for (unsigned h = 0; h < 2; h++) {
		const xmm_t *x = h ? s : d;
		switch (op) {
		case 0x01: for (unsigned i = 0; i < pw; i++) r->w[pw * h + i] = (uint16_t)(x->w[2 * i] + x->w[2 * i + 1]); break;
		case 0x02: for (unsigned i = 0; i < pd; i++) r->d[pd * h + i] = x->d[2 * i] + x->d[2 * i + 1]; break;
		case 0x03: for (unsigned i = 0; i < pw; i++) r->sw[pw * h + i] = sat16(x->sw[2 * i] + x->sw[2 * i + 1]); break;
		case 0x05: for (unsigned i = 0; i < pw; i++) r->w[pw * h + i] = (uint16_t)(x->w[2 * i] - x->w[2 * i + 1]); break;
		case 0x06: for (unsigned i = 0; i < pd; i++) r->d[pd * h + i] = x->d[2 * i] - x->d[2 * i + 1]; break;
		default:   for (unsigned i = 0; i < pw; i++) r->sw[pw * h + i] = sat16(x->sw[2 * i] - x->sw[2 * i + 1]); break;
		}
	}
}

/* 0F 38 00-0B, 1C-1E: r = op(d, s) on n = 16 (XMM) or 8 (MMX) bytes; the
 * element-wise ones compute all 16 and MMX keeps the low 8. */
static bool ssse3_op(unsigned op, xmm_t *r, const xmm_t *d, const xmm_t *s, unsigned n)
{
	switch (op) {
	case 0x00:   /* PSHUFB */
		for (int i = 0; i < 16; i++)
			r->b[i] = (s->b[i] & 0x80) ? 0 : d->b[s->b[i] & (n - 1)];
		return true;
	case 0x01: case 0x02: case 0x03: case 0x05: case 0x06: case 0x07:
		phorizontal(r, d, s, op, n);
		return true;
	case 0x04:   /* PMADDUBSW: unsigned bytes of d times signed bytes of s */
		for (int i = 0; i < 8; i++)
			r->sw[i] = sat16(d->b[2 * i] * s->sb[2 * i] + d->b[2 * i + 1] * s->sb[2 * i + 1]);
		return true;
	case 0x08:   /* PSIGNB */
		for (int i = 0; i < 16; i++)
			r->b[i] = s->sb[i] < 0 ? (uint8_t)-d->b[i] : s->sb[i] ? d->b[i] : 0;
		return true;
	case 0x09:   /* PSIGNW */
		for (int i = 0; i < 8; i++)
			r->w[i] = s->sw[i] < 0 ? (uint16_t)-d->w[i] : s->sw[i] ? d->w[i] : 0;
		return true;
	case 0x0a:   /* PSIGND */
		for (int i = 0; i < 4; i++)
			r->d[i] = s->sd[i] < 0 ? -d->d[i] : s->sd[i] ? d->d[i] : 0;
		return true;
	case 0x0b:   /* PMULHRSW */
		for (int i = 0; i < 8; i++)
			r->w[i] = (uint16_t)((((int32_t)d->sw[i] * s->sw[i] >> 14) + 1) >> 1);
		return true;
	case 0x1c:   /* PABSB */
		for (int i = 0; i < 16; i++)
			r->b[i] = (uint8_t)abs(s->sb[i]);
		return true;
	case 0x1d:   /* PABSW */
		for (int i = 0; i < 8; i++)
			r->w[i] = (uint16_t)abs(s->sw[i]);
		return true;
	case 0x1e:   /* PABSD */
		for (int i = 0; i < 4; i++)
			r->d[i] = s->sd[i] < 0 ? -(uint32_t)s->sd[i] : (uint32_t)s->sd[i];
		return true;
	default:
		return false;
	}
}

/* MMi, the low 64 bits of physical x87 register i: ST((i - TOP) & 7) in
 * the FXSAVE image (see mmx.c). */
static uint64_t mm_get(struct emu_cpu *cpu, unsigned i)
{
	unsigned top = (x87_get16(cpu->fxsave + FX_FSW) >> 11) & 7;
	uint64_t v;
	memcpy(&v, cpu->fxsave + FX_ST + 16 * ((i - top) & 7), 8);
	return v;
}

/* The MMX-register forms (no prefix): 0F 38 00-0B, 1C-1E mm, mm/m64 and
 * 0F 3A 0F PALIGNR mm, mm/m64, imm8. Like every MMX instruction they
 * fault as x87 instructions do (#UD with CR0.EM, #NM with CR0.TS, #MF
 * for a pending x87 exception), then set TOP to 0 and tag every register
 * valid; the register written gets 0xFFFF in bits 64-79 (SDM Vol. 1, 9.5). */
static void exec_3byte_mmx(struct emu_cpu *cpu, struct emu_insn *in)
{
	unsigned op = in->op3;
	bool palignr = in->op == 0x13a;
	if (palignr ? op != 0x0f : (op > 0x1e || (op > 0x0b && op < 0x1c)))
		emu_unimplemented(cpu, in);
	emu_x87_mmx_enter(cpu);
	xmm_t d, s, r;
	memset(&d, 0, sizeof(d));
	memset(&s, 0, sizeof(s));
	memset(&r, 0, sizeof(r));
	s.q[0] = in->mod == 3 ? mm_get(cpu, in->rm & 7) : emu_read(cpu, in->seg, emu_ea(cpu, in), 8);
	d.q[0] = mm_get(cpu, in->reg & 7);
	if (palignr) {   /* bytes imm.. of the 16-byte d:s, zeros past the end */
		uint8_t cat[32] = { 0 };
		unsigned n = in->imm & 0xff;
		memcpy(cat, s.b, 8);
		memcpy(cat + 8, d.b, 8);
		if (n < 16)
			memcpy(r.b, cat + n, 8);
	} else {
		ssse3_op(op, &r, &d, &s, 8);
	}
	uint8_t *fx = cpu->fxsave;
	x87_set_top(fx, 0);
	fx[FX_FTW] = 0xff;
	memcpy(fx + FX_ST + 16 * (in->reg & 7), &r.q[0], 8);
	x87_put16(fx + FX_ST + 16 * (in->reg & 7) + 8, 0xffff);
}

/* 0F 38 xx and 0F 3A xx (the third byte in in->op3). */
static void exec_3byte(struct emu_cpu *cpu, struct emu_insn *in)
{
	unsigned op = in->op3;
	if (sse_exec_41(cpu, in) || sse_exec_42(cpu, in))   /* sse_41.c, sse_42.c */
		return;
	if (!in->p66 && !in->rep) {
		exec_3byte_mmx(cpu, in);
		return;
	}
	if (in->rep)
		emu_unimplemented(cpu, in);
	xmm_t *d = sse_xreg(cpu, in->reg), s, r;
	if (in->op == 0x13a) {
		if (op != 0x0f)
			emu_unimplemented(cpu, in);
		/* PALIGNR: bytes imm.. of the 32-byte d:s, zeros past the end */
		sse_get_src(cpu, in, &s, 16, true);
		uint8_t cat[48] = { 0 };
		unsigned n = in->imm & 0xff;
		memcpy(cat, s.b, 16);
		memcpy(cat + 16, d->b, 16);
		memset(&r, 0, sizeof(r));
		if (n < 32)
			memcpy(r.b, cat + n, 16);
		*d = r;
		return;
	}
	if (op > 0x1e || (op > 0x0b && op < 0x1c))
		emu_unimplemented(cpu, in);
	sse_get_src(cpu, in, &s, 16, true);
	ssse3_op(op, &r, d, &s, 16);
	*d = r;
}

/* SSE3 moves: F3 0F 12 MOVSLDUP, F3 0F 16 MOVSHDUP, F2 0F 12 MOVDDUP,
 * F2 0F F0 LDDQU. */
static void exec_sse3_move(struct emu_cpu *cpu, struct emu_insn *in)
{
	unsigned op = in->op & 0xff;
	xmm_t *d = sse_xreg(cpu, in->reg), s;
	if (op == 0xf0) {
		if (in->mod == 3)
			emu_raise(cpu, EXC_UD, 0);
		sse_get_src(cpu, in, &s, 16, false);
		*d = s;
		return;
	}
	if (in->rep == 0xf2) {   /* MOVDDUP */
		if (op != 0x12)
			emu_raise(cpu, EXC_UD, 0);
		sse_get_src(cpu, in, &s, 8, false);
		d->q[0] = d->q[1] = s.q[0];
		return;
	}
	sse_get_src(cpu, in, &s, 16, true);
	unsigned k = op == 0x16;
	d->d[0] = d->d[1] = s.d[k];
	d->d[2] = d->d[3] = s.d[2 + k];
}

bool sse_exec_ext(struct emu_cpu *cpu, struct emu_insn *in)
{
	switch (in->op) {
	case 0x138: case 0x13a:
		exec_3byte(cpu, in);
		return true;
	case 0x112: case 0x116:
		if (!in->rep)
			return false;
		exec_sse3_move(cpu, in);
		return true;
	case 0x1f0:
		if (in->rep != 0xf2)
			emu_raise(cpu, EXC_UD, 0);
		exec_sse3_move(cpu, in);
		return true;
	default:
		return false;
	}
}
