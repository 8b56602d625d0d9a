/*
 * SSE4.1 and SSE4.2 integer and data-movement instructions of the
 * emulator (66 0F 38 / 66 0F 3A): blends (PBLENDVB BLENDVPS/PD with the
 * implicit XMM0, BLENDPS/PD PBLENDW), PTEST, PMOVSX/PMOVZX, PMULDQ,
 * PMULLD, PCMPEQQ, PCMPGTQ, PACKUSDW, PMIN/PMAX S/U B/W/D, PHMINPOSUW,
 * MOVNTDQA, PEXTRB/W/D/Q, EXTRACTPS, PINSRB/D/Q, INSERTPS, MPSADBW.
 * The float ones (ROUNDxx, DPPS/DPPD) are in sse_fp.c.
 */
#include "cpu/emu/sse_priv.h"

static uint16_t sat_u16(int64_t v)
{
	return v < 0 ? 0 : v > 65535 ? 65535 : (uint16_t)v;
}

/* PMOVSX/PMOVZX 66 0F 38 20-25 / 30-35: source element size and count. */
static void pmovx(xmm_t *r, const xmm_t *s, unsigned op)
{
	static const uint8_t from[6] = { 1, 1, 1, 2, 2, 4 }, to[6] = { 2, 4, 8, 4, 8, 8 };
	unsigned k = op & 7, f = from[k], t = to[k], n = 16 / t;
	bool sx = op < 0x30;
	for (unsigned i = 0; i < n; i++) {
		uint64_t v = 0;
		memcpy(&v, s->b + i * f, f);
		if (sx && (v >> (8 * f - 1)) & 1)
			v |= ~0ull << (8 * f);
		memcpy(r->b + i * t, &v, t);
	}
}

/* Memory size of a PMOVSX/ZX source: what the result's elements need. */
static unsigned pmovx_size(unsigned op)
{
	static const uint8_t size[6] = { 8, 4, 2, 8, 4, 8 };
	return size[op & 7];
}

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

static void exec_38(struct emu_cpu *cpu, struct emu_insn *in, unsigned op)
{
	xmm_t *d = sse_xreg(cpu, in->reg), s, r = *d;
	const xmm_t *x0 = sse_xreg(cpu, 0);
	if ((op >= 0x20 && op <= 0x25) || (op >= 0x30 && op <= 0x35)) {
		if ((op & 7) > 5)
			emu_raise(cpu, EXC_UD, 0);
		sse_get_src(cpu, in, &s, pmovx_size(op), false);
		pmovx(&r, &s, op);
		*d = r;
		return;
	}
	if (op == 0x2a) {   /* MOVNTDQA */
		if (in->mod == 3)
			emu_raise(cpu, EXC_UD, 0);
		sse_get_src(cpu, in, &s, 16, true);
		*d = s;
		return;
	}
	sse_get_src(cpu, in, &s, 16, true);
	switch (op) {
	case 0x10: for (int i = 0; i < 16; i++) r.b[i] = (x0->b[i] & 0x80) ? s.b[i] : d->b[i]; break;
	case 0x14: for (int i = 0; i < 4; i++) r.d[i] = (x0->d[i] >> 31) ? s.d[i] : d->d[i]; break;
	case 0x15: for (int i = 0; i < 2; i++) r.q[i] = (x0->q[i] >> 63) ? s.q[i] : d->q[i]; break;
	case 0x17: {   /* PTEST */
		uint64_t fl = emu_get_flags(cpu) & ~(uint64_t)FL_ARITH;
		if (!((d->q[0] & s.q[0]) | (d->q[1] & s.q[1])))
			fl |= FL_ZF;
		if (!((~d->q[0] & s.q[0]) | (~d->q[1] & s.q[1])))
			fl |= FL_CF;
		emu_set_flags(cpu, fl);
		return;
	}
	case 0x28: for (int i = 0; i < 2; i++) r.sq[i] = (int64_t)d->sd[2 * i] * s.sd[2 * i]; break;
	case 0x29: for (int i = 0; i < 2; i++) r.q[i] = d->q[i] == s.q[i] ? ~0ull : 0; break;
	case 0x2b:
		for (int i = 0; i < 4; i++) {
			r.w[i] = sat_u16(d->sd[i]);
			r.w[4 + i] = sat_u16(s.sd[i]);
		}
		break;
	case 0x37: for (int i = 0; i < 2; i++) r.q[i] = d->sq[i] > s.sq[i] ? ~0ull : 0; break;
	case 0x38: for (int i = 0; i < 16; i++) r.sb[i] = MIN(d->sb[i], s.sb[i]); break;
	case 0x39: for (int i = 0; i < 4; i++) r.sd[i] = MIN(d->sd[i], s.sd[i]); break;
	case 0x3a: for (int i = 0; i < 8; i++) r.w[i] = MIN(d->w[i], s.w[i]); break;
	case 0x3b: for (int i = 0; i < 4; i++) r.d[i] = MIN(d->d[i], s.d[i]); break;
	case 0x3c: for (int i = 0; i < 16; i++) r.sb[i] = MAX(d->sb[i], s.sb[i]); break;
	case 0x3d: for (int i = 0; i < 4; i++) r.sd[i] = MAX(d->sd[i], s.sd[i]); break;
	case 0x3e: for (int i = 0; i < 8; i++) r.w[i] = MAX(d->w[i], s.w[i]); break;
	case 0x3f: for (int i = 0; i < 4; i++) r.d[i] = MAX(d->d[i], s.d[i]); break;
	case 0x40: for (int i = 0; i < 4; i++) r.d[i] = d->d[i] * s.d[i]; break;
	case 0x41: {   /* PHMINPOSUW: the lowest index of the minimum */
		unsigned m = 0;
		for (unsigned i = 1; i < 8; i++)
			if (s.w[i] < s.w[m])
				m = i;
		memset(&r, 0, sizeof(r));
		r.w[0] = s.w[m];
		r.w[1] = (uint16_t)m;
		break;
	}
	default:
		emu_unimplemented(cpu, in);
	}
	*d = r;
}

/* An 8-to-64-bit element stored to r/m (register forms write r32/r64
 * zero-extended). */
static void put_rm(struct emu_cpu *cpu, struct emu_insn *in, unsigned size, uint64_t v)
{
	if (in->mod == 3)
		emu_reg_set(cpu, in, in->rm, (in->rex & 8) ? 8 : 4, v);
	else
		emu_write(cpu, in->seg, emu_ea(cpu, in), size, v);
}

static void exec_3a(struct emu_cpu *cpu, struct emu_insn *in, unsigned op)
{
	xmm_t *d = sse_xreg(cpu, in->reg), s, r = *d;
	unsigned imm = in->imm & 0xff;
	switch (op) {
	case 0x0c: case 0x0d: case 0x0e: case 0x42:
		sse_get_src(cpu, in, &s, 16, true);
		if (op == 0x0c) {
			for (int i = 0; i < 4; i++) r.d[i] = (imm >> i) & 1 ? s.d[i] : d->d[i];
		} else if (op == 0x0d) {
			for (int i = 0; i < 2; i++) r.q[i] = (imm >> i) & 1 ? s.q[i] : d->q[i];
		} else if (op == 0x0e) {
			for (int i = 0; i < 8; i++) r.w[i] = (imm >> i) & 1 ? s.w[i] : d->w[i];
		} else {   /* MPSADBW */
			unsigned a = ((imm >> 2) & 1) * 4, b = (imm & 3) * 4;
			for (unsigned i = 0; i < 8; i++) {
				unsigned sum = 0;
				for (unsigned j = 0; j < 4; j++) {
					int x = d->b[a + i + j] - s.b[b + j];
					sum += (unsigned)(x < 0 ? -x : x);
				}
				r.w[i] = (uint16_t)sum;
			}
		}
		*d = r;
		return;
	case 0x14: put_rm(cpu, in, 1, d->b[imm & 15]); return;    /* PEXTRB */
	case 0x15: put_rm(cpu, in, 2, d->w[imm & 7]); return;     /* PEXTRW */
	case 0x16:                                                /* PEXTRD/Q */
		if (in->rex & 8)
			put_rm(cpu, in, 8, d->q[imm & 1]);
		else
			put_rm(cpu, in, 4, d->d[imm & 3]);
		return;
	case 0x17: put_rm(cpu, in, 4, d->d[imm & 3]); return;     /* EXTRACTPS */
	case 0x20:                                                /* PINSRB */
		/* a register source is r32 (4-7 are not AH..BH here) */
		d->b[imm & 15] = (uint8_t)emu_rm_read(cpu, in, in->mod == 3 ? 4 : 1);
		return;
	case 0x22:                                                /* PINSRD/Q */
		if (in->rex & 8)
			d->q[imm & 1] = emu_rm_read(cpu, in, 8);
		else
			d->d[imm & 3] = (uint32_t)emu_rm_read(cpu, in, 4);
		return;
	case 0x21: {                                              /* INSERTPS */
		uint32_t v;
		if (in->mod == 3) {
			v = sse_xreg(cpu, in->rm)->d[(imm >> 6) & 3];
		} else {
			sse_get_src(cpu, in, &s, 4, false);
			v = s.d[0];
		}
		r.d[(imm >> 4) & 3] = v;
		for (int i = 0; i < 4; i++)
			if ((imm >> i) & 1)
				r.d[i] = 0;
		*d = r;
		return;
	}
	default:
		emu_unimplemented(cpu, in);
	}
}

bool sse_exec_41(struct emu_cpu *cpu, struct emu_insn *in)
{
	unsigned op = in->op3;
	if (in->op == 0x138) {
		bool mine = op == 0x10 || op == 0x14 || op == 0x15 || op == 0x17 ||
			    (op >= 0x20 && op <= 0x25) || (op >= 0x28 && op <= 0x2b) ||
			    (op >= 0x30 && op <= 0x35) || (op >= 0x37 && op <= 0x41);
		if (!mine)
			return false;
		if (!in->p66 || in->rep)
			emu_raise(cpu, EXC_UD, 0);
		exec_38(cpu, in, op);
		return true;
	}
	if (op < 0x08 || op == 0x0f || op > 0x42)
		return false;
	if (!in->p66 || in->rep)
		emu_raise(cpu, EXC_UD, 0);
	if (op <= 0x0b || op == 0x40 || op == 0x41) {
		sse_exec_fp(cpu, in);   /* ROUND, DPPS/DPPD */
		return true;
	}
	exec_3a(cpu, in, op);
	return true;
}
