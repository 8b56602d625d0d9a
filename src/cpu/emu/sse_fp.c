/*
 * SSE/SSE2/SSE3 floating point under the guest's MXCSR: arithmetic (ADD SUB
 * MUL DIV MIN MAX SQRT in ps/pd/ss/sd, ADDSUB, HADD, HSUB, SSE4.1 ROUND,
 * DPPS, DPPD), compares (CMPcc,
 * COMIS, UCOMIS) and conversions (CVT*), with rounding control, DAZ, FTZ,
 * the sticky exception flags and #XM/#UD for unmasked exceptions.
 *
 * Design note: how results are computed. The emulator runs only on x86-64
 * hosts, whose SSE unit implements exactly the arithmetic the guest
 * expects, so each instruction is executed by the host: one inline-asm
 * block loads a working MXCSR, runs the same instruction on the guest's
 * operand values (register to register), stores MXCSR back and restores the
 * host's. That gives the guest bit-exact results, NaN propagation, DAZ/FTZ
 * and flags without a soft-float library (a soft-float implementation would
 * have to reproduce every one of those rules and be slower). The working
 * MXCSR is the guest's rounding mode, DAZ and FTZ with every exception
 * masked and the flags clear, so the host never traps; what the guest sees
 * when an exception is unmasked is then derived from the flags the masked
 * run raised (SDM Vol. 1, 11.5.1 and 11.5.2):
 *   - IE, DE, ZE are pre-computation exceptions, found on the operands of
 *     every element before anything is computed. If one of them is raised
 *     and unmasked, only the pre-computation flags are set, nothing is
 *     written and #XM is raised (#UD when CR4.OSXMMEXCPT is clear).
 *   - Otherwise OE, UE, PE are post-computation exceptions: if one of them
 *     is unmasked, the flags raised are set, nothing is written, #XM/#UD;
 *     an unmasked overflow or underflow is reported without PE (no
 *     rounded result was delivered; measured on the host CPU by tests/diff).
 *   - An unmasked underflow is reported for a tiny result even when it is
 *     exact (a masked one only when tiny and inexact), and FTZ does not
 *     apply then: with UE unmasked the masked run is made without FTZ and
 *     a denormal result counts as underflow.
 * The host must implement DAZ (every x86-64 processor with SSE2 but the
 * earliest Pentium 4 steppings); our MXCSR_MASK (0xFFFF) advertises it.
 */
#include <math.h>

#include "cpu/emu/sse_priv.h"

/* What an instruction computes, for the rules of unmasked overflow and
 * underflow; the others (compares, MIN/MAX, SQRT, conversions that widen
 * or go to integer) can raise neither. */
enum fp_kind { K_NONE, K_ADD, K_MUL, K_DIV, K_NARROW };

typedef long long v128 __attribute__((vector_size(16)));

/* A host instruction on (dst, src) XMM values under MXCSR m; returns the
 * exception flags it raised. */
typedef uint32_t (*host_fn)(xmm_t *d, const xmm_t *s, uint32_t m);

#define HOST_XX(name, insn)                                                     \
	static uint32_t name(xmm_t *d, const xmm_t *s, uint32_t m)              \
	{                                                                       \
		v128 x, y;                                                      \
		uint32_t host = 0, out = 0;                                     \
		memcpy(&x, d, 16);                                              \
		memcpy(&y, s, 16);                                              \
		__asm__ volatile("stmxcsr %[h]\n\tldmxcsr %[m]\n\t"             \
				 insn " %[y], %[x]\n\t"                         \
				 "stmxcsr %[o]\n\tldmxcsr %[h]"                 \
				 : [x] "+x"(x), [h] "+m"(host), [o] "+m"(out)   \
				 : [m] "m"(m), [y] "x"(y));                     \
		memcpy(d, &x, 16);                                              \
		return out & MXCSR_FLAGS;                                       \
	}

#define HOST_ARITH(op)                                                          \
	HOST_XX(h_##op##ps, #op "ps") HOST_XX(h_##op##pd, #op "pd")              \
	HOST_XX(h_##op##ss, #op "ss") HOST_XX(h_##op##sd, #op "sd")
HOST_ARITH(sqrt) HOST_ARITH(add) HOST_ARITH(mul) HOST_ARITH(sub)
HOST_ARITH(min) HOST_ARITH(div) HOST_ARITH(max)

static const uint8_t arith_kind[16] = {
	[0x8] = K_ADD, [0x9] = K_MUL, [0xc] = K_ADD, [0xe] = K_DIV,
};

/* 0F 51, 58 59 5C-5F by the opcode's low nibble: [op & 15][ps pd ss sd]. */
static const host_fn arith_fns[16][4] = {
	[0x1] = { h_sqrtps, h_sqrtpd, h_sqrtss, h_sqrtsd },
	[0x8] = { h_addps, h_addpd, h_addss, h_addsd },
	[0x9] = { h_mulps, h_mulpd, h_mulss, h_mulsd },
	[0xc] = { h_subps, h_subpd, h_subss, h_subsd },
	[0xd] = { h_minps, h_minpd, h_minss, h_minsd },
	[0xe] = { h_divps, h_divpd, h_divss, h_divsd },
	[0xf] = { h_maxps, h_maxpd, h_maxss, h_maxsd },
};

#define HOST_CMP(p)                                                             \
	HOST_XX(h_cmpps##p, "cmpps $" #p ",") HOST_XX(h_cmppd##p, "cmppd $" #p ",") \
	HOST_XX(h_cmpss##p, "cmpss $" #p ",") HOST_XX(h_cmpsd##p, "cmpsd $" #p ",")
HOST_CMP(0) HOST_CMP(1) HOST_CMP(2) HOST_CMP(3)
HOST_CMP(4) HOST_CMP(5) HOST_CMP(6) HOST_CMP(7)
#define CMP_ROW(p) { h_cmpps##p, h_cmppd##p, h_cmpss##p, h_cmpsd##p }
static const host_fn cmp_fns[8][4] = {
	CMP_ROW(0), CMP_ROW(1), CMP_ROW(2), CMP_ROW(3),
	CMP_ROW(4), CMP_ROW(5), CMP_ROW(6), CMP_ROW(7),
};

/* SSE3: ADDSUBPS/PD; HADD/HSUB run as ADD/SUB on rearranged operands. */
HOST_XX(h_addsubps, "addsubps")
HOST_XX(h_addsubpd, "addsubpd")

/* SSE4.1: ROUNDPS/PD/SS/SD by imm8[3:0]; the immediate is part of the host
 * instruction, one function each. */
#define HOST_ROUND(n)                                                           \
	HOST_XX(h_roundps##n, "roundps $" #n ",") HOST_XX(h_roundpd##n, "roundpd $" #n ",") \
	HOST_XX(h_roundss##n, "roundss $" #n ",") HOST_XX(h_roundsd##n, "roundsd $" #n ",")
#define X16(M, h) M(h##0) M(h##1) M(h##2) M(h##3) M(h##4) M(h##5) M(h##6) M(h##7) \
	M(h##8) M(h##9) M(h##a) M(h##b) M(h##c) M(h##d) M(h##e) M(h##f)
X16(HOST_ROUND, 0x)
#define ROUND_ROW(n) { h_roundps##n, h_roundpd##n, h_roundss##n, h_roundsd##n },
static const host_fn round_fns[16][4] = { X16(ROUND_ROW, 0x) };

HOST_XX(h_cvtps2pd, "cvtps2pd")
HOST_XX(h_cvtpd2ps, "cvtpd2ps")
HOST_XX(h_cvtss2sd, "cvtss2sd")
HOST_XX(h_cvtsd2ss, "cvtsd2ss")
HOST_XX(h_cvtdq2ps, "cvtdq2ps")
HOST_XX(h_cvtps2dq, "cvtps2dq")
HOST_XX(h_cvttps2dq, "cvttps2dq")
HOST_XX(h_cvtdq2pd, "cvtdq2pd")
HOST_XX(h_cvtpd2dq, "cvtpd2dq")
HOST_XX(h_cvttpd2dq, "cvttpd2dq")

/* CVTSI2SS/SD xmm, r32/r64. */
#define HOST_XG(name, insn)                                                     \
	static uint32_t name(xmm_t *d, uint64_t g, uint32_t m)                  \
	{                                                                       \
		v128 x;                                                         \
		uint32_t host = 0, out = 0;                                     \
		memcpy(&x, d, 16);                                              \
		__asm__ volatile("stmxcsr %[h]\n\tldmxcsr %[m]\n\t"             \
				 insn "\n\t"                                    \
				 "stmxcsr %[o]\n\tldmxcsr %[h]"                 \
				 : [x] "+x"(x), [h] "+m"(host), [o] "+m"(out)   \
				 : [m] "m"(m), [g] "r"(g));                     \
		memcpy(d, &x, 16);                                              \
		return out & MXCSR_FLAGS;                                       \
	}
HOST_XG(h_cvtsi2ss32, "cvtsi2ssl %k[g], %[x]")
HOST_XG(h_cvtsi2ss64, "cvtsi2ssq %q[g], %[x]")
HOST_XG(h_cvtsi2sd32, "cvtsi2sdl %k[g], %[x]")
HOST_XG(h_cvtsi2sd64, "cvtsi2sdq %q[g], %[x]")

/* CVT(T)SS2SI / CVT(T)SD2SI r32/r64, xmm. */
#define HOST_GX(name, insn)                                                     \
	static uint32_t name(uint64_t *g, const xmm_t *s, uint32_t m)           \
	{                                                                       \
		v128 y;                                                         \
		uint64_t r = 0;                                                 \
		uint32_t host = 0, out = 0;                                     \
		memcpy(&y, s, 16);                                              \
		__asm__ volatile("stmxcsr %[h]\n\tldmxcsr %[m]\n\t"             \
				 insn "\n\t"                                    \
				 "stmxcsr %[o]\n\tldmxcsr %[h]"                 \
				 : [g] "+r"(r), [h] "+m"(host), [o] "+m"(out)   \
				 : [m] "m"(m), [y] "x"(y));                     \
		*g = r;                                                         \
		return out & MXCSR_FLAGS;                                       \
	}
HOST_GX(h_cvtss2si32, "cvtss2si %[y], %k[g]")
HOST_GX(h_cvtss2si64, "cvtss2si %[y], %q[g]")
HOST_GX(h_cvttss2si32, "cvttss2si %[y], %k[g]")
HOST_GX(h_cvttss2si64, "cvttss2si %[y], %q[g]")
HOST_GX(h_cvtsd2si32, "cvtsd2si %[y], %k[g]")
HOST_GX(h_cvtsd2si64, "cvtsd2si %[y], %q[g]")
HOST_GX(h_cvttsd2si32, "cvttsd2si %[y], %k[g]")
HOST_GX(h_cvttsd2si64, "cvttsd2si %[y], %q[g]")

/* (U)COMISS/SD: the result is ZF PF CF, returned in bits 0-2 of *zpc. */
#define HOST_COMI(name, insn)                                                   \
	static uint32_t name(unsigned *zpc, const xmm_t *d, const xmm_t *s, uint32_t m) \
	{                                                                       \
		v128 x, y;                                                      \
		uint8_t z, p, c;                                                \
		uint32_t host = 0, out = 0;                                     \
		memcpy(&x, d, 16);                                              \
		memcpy(&y, s, 16);                                              \
		__asm__ volatile("stmxcsr %[h]\n\tldmxcsr %[m]\n\t"             \
				 insn " %[y], %[x]\n\t"                         \
				 "setz %[z]\n\tsetp %[p]\n\tsetc %[c]\n\t"      \
				 "stmxcsr %[o]\n\tldmxcsr %[h]"                 \
				 : [z] "=q"(z), [p] "=q"(p), [c] "=q"(c),       \
				   [h] "+m"(host), [o] "+m"(out)                \
				 : [m] "m"(m), [x] "x"(x), [y] "x"(y)           \
				 : "cc");                                       \
		*zpc = z | p << 1 | c << 2;                                     \
		return out & MXCSR_FLAGS;                                       \
	}
HOST_COMI(h_comiss, "comiss")
HOST_COMI(h_ucomiss, "ucomiss")
HOST_COMI(h_comisd, "comisd")
HOST_COMI(h_ucomisd, "ucomisd")

/* The MXCSR of the masked host run for guest MXCSR m. */
static uint32_t run_mxcsr(uint32_t m)
{
	uint32_t r = (m | MXCSR_MASKS) & ~MXCSR_FLAGS & MXCSR_MASK;
	if (!(m & (MXCSR_UE << 7)))
		r &= ~MXCSR_FTZ;   /* unmasked UE: FTZ does not apply */
	return r;
}

static bool lane_denormal(const xmm_t *r, unsigned esize, unsigned i)
{
	if (esize == 4)
		return !(r->d[i] & 0x7f800000u) && (r->d[i] & 0x007fffffu);
	return !(r->q[i] & 0x7ff0000000000000ull) && (r->q[i] & 0x000fffffffffffffull);
}

/* An element type's 1.0: an operand that raises nothing in any of these
 * instructions, to run one element of a packed operation on its own. */
static void fill_one(xmm_t *v, unsigned esize)
{
	for (unsigned i = 0; i < 16 / esize; i++) {
		if (esize == 4)
			v->d[i] = 0x3f800000u;
		else
			v->q[i] = 0x3ff0000000000000ull;
	}
}

/* Element i of a in [0.5, 1) (or [1, 2) when `one`), exactly: its
 * significand with the exponent taken away. */
static void normalize(xmm_t *v, unsigned esize, unsigned i)
{
	int e;
	if (esize == 4)
		v->f[i] = frexpf(v->f[i], &e);
	else
		v->g[i] = frexp(v->g[i], &e);
}

/* A floating-point instruction: host function, operand element size, what
 * it computes, and how many lanes it writes (1 for scalar forms). */
struct fp_insn {
	host_fn fn;
	uint8_t esize;
	uint8_t kind;
	uint8_t lanes;
};

/* Whether element i's result, rounded to the destination's precision with
 * an unbounded exponent, is inexact: what PE reports beside an unmasked OE
 * or UE (IEEE 754's trapped over/underflow; measured on the host CPU by
 * tests/diff: MULSD of two denormals, whose exact product has few bits,
 * sets UE without PE, DIVSS and CVTSD2SS set UE and PE). Operands scaled
 * by powers of two keep their significands, so the host computes it from
 * scaled operands that neither overflow nor underflow. A tiny sum is
 * always exact; an overflowing one is at most twice the largest finite
 * number, so halving both operands brings it into range. */
static bool inexact_unbounded(const struct fp_insn *fi, const xmm_t *d, const xmm_t *s,
			      unsigned i, uint32_t m)
{
	xmm_t dl, sl;
	unsigned e = fi->esize;
	fill_one(&dl, e);
	fill_one(&sl, e);
	memcpy(dl.b + i * e, d->b + i * e, e);
	memcpy(sl.b + i * e, s->b + i * e, e);
	switch (fi->kind) {
	case K_ADD:
		if (e == 4) {
			dl.f[i] *= 0.5f;
			sl.f[i] *= 0.5f;
		} else {
			dl.g[i] *= 0.5;
			sl.g[i] *= 0.5;
		}
		break;
	case K_MUL: case K_DIV:
		normalize(&dl, e, i);
		normalize(&sl, e, i);
		break;
	default:   /* K_NARROW: only the source counts */
		normalize(&sl, e, i);
		break;
	}
	return fi->fn(&dl, &sl, m & ~(MXCSR_DAZ | MXCSR_FTZ)) & MXCSR_PE;
}

/* Runs the instruction on (d, s) into r and returns the flags the guest
 * sees. An unmasked overflow or underflow changes what is reported (see
 * inexact_unbounded; an unmasked underflow is also signalled for a tiny
 * exact result), per element, so a packed operation is then run again
 * element by element. */
static uint32_t fp_run(struct emu_cpu *cpu, const struct fp_insn *fi, const xmm_t *d,
		       const xmm_t *s, xmm_t *r)
{
	uint32_t guest = sse_mxcsr(cpu), m = run_mxcsr(guest);
	uint32_t unmasked = ~(guest >> 7) & (MXCSR_OE | MXCSR_UE);
	*r = *d;
	uint32_t f = fi->fn(r, s, m);
	if (!unmasked || fi->kind == K_NONE)
		return f;
	unsigned oe = fi->kind == K_NARROW ? 4 : fi->esize;
	uint32_t all = 0;
	for (unsigned i = 0; i < fi->lanes; i++) {
		uint32_t fl = f;
		xmm_t rl = *r;
		if (fi->lanes > 1) {
			xmm_t dl, sl;
			unsigned e = fi->esize;
			fill_one(&dl, e);
			fill_one(&sl, e);
			memcpy(dl.b + i * e, d->b + i * e, e);
			memcpy(sl.b + i * e, s->b + i * e, e);
			fl = fi->fn(&dl, &sl, m);
			rl = dl;
		}
		if ((unmasked & MXCSR_UE) && lane_denormal(&rl, oe, i))
			fl |= MXCSR_UE;
		if (fl & unmasked)
			fl = (fl & ~MXCSR_PE) |
			     (inexact_unbounded(fi, d, s, i, m) ? MXCSR_PE : 0);
		all |= fl;
	}
	return all;
}

/* Merges flags f into MXCSR; raises #XM (#UD without CR4.OSXMMEXCPT) for
 * an unmasked exception, before anything is written. */
static void fp_commit_flags(struct emu_cpu *cpu, uint32_t f)
{
	uint32_t m = sse_mxcsr(cpu);
	uint32_t unmasked = ~(m >> 7) & MXCSR_FLAGS;
	if (f & unmasked) {
		uint32_t pre = f & (MXCSR_IE | MXCSR_DE | MXCSR_ZE);
		if (pre & unmasked)
			f = pre;
		sse_set_mxcsr(cpu, m | f);
		emu_raise(cpu, (cpu->cr4 & CR4_OSXMMEXCPT) ? EXC_XM : EXC_UD, 0);
	}
	sse_set_mxcsr(cpu, m | f);
}

/* form: 0 ps, 1 pd, 2 ss, 3 sd. */
static unsigned fp_form(const struct emu_insn *in)
{
	if (in->rep == 0xf3)
		return 2;
	if (in->rep == 0xf2)
		return 3;
	return in->p66 ? 1 : 0;
}

static const uint8_t form_size[4] = { 16, 16, 4, 8 };
static const uint8_t form_lanes[4] = { 4, 2, 1, 1 };

/* An xmm, xmm/m instruction run on the host; the result replaces the
 * destination only when no unmasked exception faults. */
static void run_xx(struct emu_cpu *cpu, struct emu_insn *in, host_fn fn, unsigned srcsize,
		   bool aligned, unsigned esize, enum fp_kind kind, unsigned lanes)
{
	const struct fp_insn fi = { fn, (uint8_t)esize, (uint8_t)kind, (uint8_t)lanes };
	xmm_t *d = sse_xreg(cpu, in->reg), s, r;
	sse_get_src(cpu, in, &s, srcsize, aligned);
	fp_commit_flags(cpu, fp_run(cpu, &fi, d, &s, &r));
	*d = r;
}

/* SSE3 F2/66 0F D0 ADDSUBPS/PD, 0F 7C HADDPS/PD, 0F 7D HSUBPS/PD. The
 * horizontal forms compute, per result element, one IEEE add or subtract
 * of two elements of the same register (SDM: DEST[31:0] = SRC1[31:0] +
 * SRC1[63:32] ... SRC2's pairs in the upper half), so they are run as
 * ADDPS/SUBPS (ADDPD/SUBPD) on the even and the odd elements: the same
 * results and flags, element by element. */
static void exec_sse3_fp(struct emu_cpu *cpu, struct emu_insn *in)
{
	unsigned op = in->op & 0xff;
	bool pd = in->p66 && !in->rep;
	if (!pd && in->rep != 0xf2)
		emu_raise(cpu, EXC_UD, 0);
	xmm_t *d = sse_xreg(cpu, in->reg), s, a, b, r;
	sse_get_src(cpu, in, &s, 16, true);
	struct fp_insn fi = { NULL, (uint8_t)(pd ? 8 : 4), K_ADD, (uint8_t)(pd ? 2 : 4) };
	if (op == 0xd0) {
		fi.fn = pd ? h_addsubpd : h_addsubps;
		a = *d;
		b = s;
	} else {
		fi.fn = op == 0x7c ? (pd ? h_addpd : h_addps) : (pd ? h_subpd : h_subps);
		if (pd) {
			a.q[0] = d->q[0]; b.q[0] = d->q[1];
			a.q[1] = s.q[0];  b.q[1] = s.q[1];
		} else {
			for (int i = 0; i < 2; i++) {
				a.d[i] = d->d[2 * i];     b.d[i] = d->d[2 * i + 1];
				a.d[2 + i] = s.d[2 * i];  b.d[2 + i] = s.d[2 * i + 1];
			}
		}
	}
	fp_commit_flags(cpu, fp_run(cpu, &fi, &a, &b, &r));
	*d = r;
}

/* DPPS/DPPD (SDM Vol. 2, DPPS: DP_primitive): the products of the
 * elements imm8[7:4] selects (+0.0 for the others), summed in pairs and
 * then in total, each step rounded; the sum goes to the elements imm8[3:0]
 * selects, zero to the others. Run step by step on the host (MULPS, ADDPS,
 * ADDSS), so an unmasked exception stops at the step that raised it with
 * the flags of the steps so far (measured against the CPU by tests/diff). */
static void exec_dp(struct emu_cpu *cpu, struct emu_insn *in, bool dbl)
{
	unsigned imm = in->imm & 0xff, n = dbl ? 2 : 4, e = dbl ? 8 : 4;
	xmm_t *d = sse_xreg(cpu, in->reg), s, a, b, p, q, r;
	sse_get_src(cpu, in, &s, 16, true);
	a = *d;
	b = s;
	for (unsigned i = 0; i < n; i++) {
		if (!((imm >> (4 + i)) & 1)) {
			memset(a.b + i * e, 0, e);
			memset(b.b + i * e, 0, e);
		}
	}
	const struct fp_insn mul = { dbl ? h_mulpd : h_mulps, (uint8_t)e, K_MUL, (uint8_t)n };
	fp_commit_flags(cpu, fp_run(cpu, &mul, &a, &b, &p));
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	if (dbl) {
		a.q[0] = p.q[0];
		b.q[0] = p.q[1];
		const struct fp_insn add = { h_addsd, 8, K_ADD, 1 };
		fp_commit_flags(cpu, fp_run(cpu, &add, &a, &b, &q));
	} else {
		a.d[0] = p.d[0]; a.d[1] = p.d[2];
		b.d[0] = p.d[1]; b.d[1] = p.d[3];
		const struct fp_insn pair = { h_addps, 4, K_ADD, 2 };
		fp_commit_flags(cpu, fp_run(cpu, &pair, &a, &b, &q));
		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		a.d[0] = q.d[0];
		b.d[0] = q.d[1];
		const struct fp_insn total = { h_addss, 4, K_ADD, 1 };
		fp_commit_flags(cpu, fp_run(cpu, &total, &a, &b, &q));
	}
	memset(&r, 0, sizeof(r));
	for (unsigned i = 0; i < n; i++)
		if ((imm >> i) & 1)
			memcpy(r.b + i * e, q.b, e);
	*d = r;
}

/* SSE4.1 66 0F 3A 08-0B ROUNDPS/PD/SS/SD, 40 DPPS, 41 DPPD. */
static void exec_sse41_fp(struct emu_cpu *cpu, struct emu_insn *in)
{
	unsigned op = in->op3, imm = in->imm & 0xff;
	if (op <= 0x0b) {
		unsigned form = op - 8;   /* ps pd ss sd */
		run_xx(cpu, in, round_fns[imm & 15][form], form_size[form], form < 2,
		       form & 1 ? 8 : 4, K_NONE, 0);
	} else {
		exec_dp(cpu, in, op == 0x41);
	}
}

static void exec_comi(struct emu_cpu *cpu, struct emu_insn *in)
{
	static uint32_t (*const fns[4])(unsigned *, const xmm_t *, const xmm_t *, uint32_t) = {
		h_ucomiss, h_comiss, h_ucomisd, h_comisd,
	};
	xmm_t s;
	unsigned zpc;
	bool dbl = in->p66;
	sse_get_src(cpu, in, &s, dbl ? 8 : 4, false);
	uint32_t f = fns[dbl * 2 + (in->op & 1)](&zpc, sse_xreg(cpu, in->reg), &s,
						run_mxcsr(sse_mxcsr(cpu)));
	fp_commit_flags(cpu, f);
	uint64_t fl = emu_get_flags(cpu) & ~(uint64_t)FL_ARITH;
	if (zpc & 1)
		fl |= FL_ZF;
	if (zpc & 2)
		fl |= FL_PF;
	if (zpc & 4)
		fl |= FL_CF;
	emu_set_flags(cpu, fl);
}

static void exec_cvtsi(struct emu_cpu *cpu, struct emu_insn *in)
{
	unsigned op = in->op & 0xff, form = fp_form(in);
	bool w = in->rex & 8;
	if (form < 2)
		emu_unimplemented(cpu, in);   /* CVTPI2PS/CVTPS2PI...: MMX, not advertised */
	uint32_t m = run_mxcsr(sse_mxcsr(cpu));
	if (op == 0x2a) {
		xmm_t *d = sse_xreg(cpu, in->reg), r = *d;
		uint64_t g = emu_rm_read(cpu, in, w ? 8 : 4);
		uint32_t f = form == 2 ? (w ? h_cvtsi2ss64 : h_cvtsi2ss32)(&r, g, m)
				       : (w ? h_cvtsi2sd64 : h_cvtsi2sd32)(&r, g, m);
		fp_commit_flags(cpu, f);
		*d = r;
		return;
	}
	static uint32_t (*const fns[2][2][2])(uint64_t *, const xmm_t *, uint32_t) = {
		{ { h_cvttss2si32, h_cvttss2si64 }, { h_cvtss2si32, h_cvtss2si64 } },
		{ { h_cvttsd2si32, h_cvttsd2si64 }, { h_cvtsd2si32, h_cvtsd2si64 } },
	};
	xmm_t s;
	uint64_t g;
	sse_get_src(cpu, in, &s, form == 2 ? 4 : 8, false);
	uint32_t f = fns[form - 2][op & 1][w](&g, &s, m);
	fp_commit_flags(cpu, f);
	emu_reg_set(cpu, in, in->reg, w ? 8 : 4, g);
}

static void exec_cvt(struct emu_cpu *cpu, struct emu_insn *in)
{
	unsigned op = in->op & 0xff, form = fp_form(in);
	switch (op) {
	case 0x5a:
		switch (form) {
		case 0: run_xx(cpu, in, h_cvtps2pd, 8, false, 4, K_NONE, 0); return;
		case 1: run_xx(cpu, in, h_cvtpd2ps, 16, true, 8, K_NARROW, 2); return;
		case 2: run_xx(cpu, in, h_cvtss2sd, 4, false, 4, K_NONE, 0); return;
		default: run_xx(cpu, in, h_cvtsd2ss, 8, false, 8, K_NARROW, 1); return;
		}
	case 0x5b:
		switch (form) {
		case 0: run_xx(cpu, in, h_cvtdq2ps, 16, true, 4, K_NONE, 0); return;
		case 1: run_xx(cpu, in, h_cvtps2dq, 16, true, 4, K_NONE, 0); return;
		case 2: run_xx(cpu, in, h_cvttps2dq, 16, true, 4, K_NONE, 0); return;
		default: emu_raise(cpu, EXC_UD, 0);
		}
	default:   /* 0xe6 */
		switch (form) {
		case 1: run_xx(cpu, in, h_cvttpd2dq, 16, true, 4, K_NONE, 0); return;
		case 2: run_xx(cpu, in, h_cvtdq2pd, 8, false, 4, K_NONE, 0); return;
		case 3: run_xx(cpu, in, h_cvtpd2dq, 16, true, 4, K_NONE, 0); return;
		default: emu_raise(cpu, EXC_UD, 0);
		}
	}
}

void sse_exec_fp(struct emu_cpu *cpu, struct emu_insn *in)
{
	unsigned op = in->op & 0xff, form = fp_form(in);
	if (in->op == 0x13a) {
		exec_sse41_fp(cpu, in);
		return;
	}
	switch (op) {
	case 0x51: case 0x58: case 0x59: case 0x5c: case 0x5d: case 0x5e: case 0x5f:
		run_xx(cpu, in, arith_fns[op & 15][form], form_size[form], form < 2,
		       form & 1 ? 8 : 4, arith_kind[op & 15], form_lanes[form]);
		return;
	case 0xc2:
		run_xx(cpu, in, cmp_fns[in->imm & 7][form], form_size[form], form < 2,
		       form & 1 ? 8 : 4, K_NONE, 0);
		return;
	case 0x2e: case 0x2f:
		if (in->rep)
			emu_raise(cpu, EXC_UD, 0);
		exec_comi(cpu, in);
		return;
	case 0x2a: case 0x2c: case 0x2d:
		exec_cvtsi(cpu, in);
		return;
	case 0x7c: case 0x7d: case 0xd0:
		exec_sse3_fp(cpu, in);
		return;
	default:
		exec_cvt(cpu, in);
		return;
	}
}
