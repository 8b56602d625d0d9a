/*
 * x87 and MMX templates of the random generator, and the random initial
 * x87 state: TOP, which registers are in use, 80-bit values rich in
 * special encodings (zeros, denormals, pseudo-denormals, unnormals,
 * infinities, quiet and signalling NaNs, the indefinite, integers and
 * integer limits), a random FCW (precision and rounding control, now and
 * then an unmasked exception), sticky flags and condition codes; now and
 * then an unmasked exception already pending (#MF at the first waiting
 * instruction). FISTTP (SSE3) is not advertised by our CPUID: not
 * generated; neither are FNSTENV and FNSAVE, whose FCS/FDS fields read as
 * the host's selectors on this KVM (the hand-picked cases cover them), nor
 * non-canonical memory operands (this KVM reports their #GP as #UD, as for
 * SSE).
 */
#include "gen_priv.h"

enum x87_form {
	XF_REG,       /* op, 0xC0 | ext << 3 | random i (or the fixed modrm) */
	XF_FIXED,     /* op, modrm as given */
	XF_MEM,       /* op /ext with a memory operand of msize bytes */
	XF_WAIT,      /* 9B */
};

struct x87_op {
	uint8_t op, ext;      /* XF_FIXED: ext is the whole ModRM byte */
	uint8_t form;
	uint8_t msize;
	uint8_t fl;           /* 1: writes ZF PF CF (OF SF AF cleared); 2: reads CF ZF PF */
};

#define R(op, ext) { op, ext, XF_REG, 0, 0 }
#define F(op, m) { op, m, XF_FIXED, 0, 0 }
#define M(op, ext, n) { op, ext, XF_MEM, n, 0 }

static const struct x87_op arith[] = {
	R(0xD8, 0), R(0xD8, 1), R(0xD8, 4), R(0xD8, 5), R(0xD8, 6), R(0xD8, 7),
	R(0xDC, 0), R(0xDC, 1), R(0xDC, 4), R(0xDC, 5), R(0xDC, 6), R(0xDC, 7),
	R(0xDE, 0), R(0xDE, 1), R(0xDE, 4), R(0xDE, 5), R(0xDE, 6), R(0xDE, 7),
	M(0xD8, 0, 4), M(0xD8, 1, 4), M(0xD8, 4, 4), M(0xD8, 5, 4), M(0xD8, 6, 4), M(0xD8, 7, 4),
	M(0xDC, 0, 8), M(0xDC, 1, 8), M(0xDC, 4, 8), M(0xDC, 5, 8), M(0xDC, 6, 8), M(0xDC, 7, 8),
	M(0xDA, 0, 4), M(0xDA, 1, 4), M(0xDA, 4, 4), M(0xDA, 5, 4), M(0xDA, 6, 4), M(0xDA, 7, 4),
	M(0xDE, 0, 2), M(0xDE, 1, 2), M(0xDE, 4, 2), M(0xDE, 5, 2), M(0xDE, 6, 2), M(0xDE, 7, 2),
};
static const struct x87_op cmp[] = {
	R(0xD8, 2), R(0xD8, 3), F(0xDE, 0xD9), R(0xDD, 4), R(0xDD, 5), F(0xDA, 0xE9),
	F(0xD9, 0xE4), F(0xD9, 0xE5),
	M(0xD8, 2, 4), M(0xD8, 3, 4), M(0xDC, 2, 8), M(0xDC, 3, 8),
	M(0xDA, 2, 4), M(0xDA, 3, 4), M(0xDE, 2, 2), M(0xDE, 3, 2),
	{ 0xDB, 5, XF_REG, 0, 1 }, { 0xDB, 6, XF_REG, 0, 1 },
	{ 0xDF, 5, XF_REG, 0, 1 }, { 0xDF, 6, XF_REG, 0, 1 },
};
static const struct x87_op ld[] = {
	R(0xD9, 0), F(0xD9, 0xE8), F(0xD9, 0xE9), F(0xD9, 0xEA), F(0xD9, 0xEB),
	F(0xD9, 0xEC), F(0xD9, 0xED), F(0xD9, 0xEE),
	M(0xD9, 0, 4), M(0xDD, 0, 8), M(0xDB, 5, 10), M(0xDF, 0, 2), M(0xDB, 0, 4),
	M(0xDF, 5, 8), M(0xDF, 4, 10),
};
static const struct x87_op st[] = {
	R(0xDD, 2), R(0xDD, 3),
	M(0xD9, 2, 4), M(0xD9, 3, 4), M(0xDD, 2, 8), M(0xDD, 3, 8), M(0xDB, 7, 10),
	M(0xDB, 2, 4), M(0xDB, 3, 4), M(0xDF, 2, 2), M(0xDF, 3, 2), M(0xDF, 7, 8),
	M(0xDF, 6, 10),
};
static const struct x87_op misc[] = {
	R(0xD9, 1), F(0xD9, 0xE0), F(0xD9, 0xE1), F(0xD9, 0xF6), F(0xD9, 0xF7), R(0xDD, 0),
	F(0xD9, 0xD0), R(0xDF, 0),
	{ 0xDA, 0, XF_REG, 0, 2 }, { 0xDA, 1, XF_REG, 0, 2 }, { 0xDA, 2, XF_REG, 0, 2 },
	{ 0xDA, 3, XF_REG, 0, 2 }, { 0xDB, 0, XF_REG, 0, 2 }, { 0xDB, 1, XF_REG, 0, 2 },
	{ 0xDB, 2, XF_REG, 0, 2 }, { 0xDB, 3, XF_REG, 0, 2 },
};
static const struct x87_op trans[] = {
	F(0xD9, 0xF0), F(0xD9, 0xF1), F(0xD9, 0xF2), F(0xD9, 0xF3), F(0xD9, 0xF4),
	F(0xD9, 0xF5), F(0xD9, 0xF8), F(0xD9, 0xF9), F(0xD9, 0xFA), F(0xD9, 0xFB),
	F(0xD9, 0xFC), F(0xD9, 0xFD), F(0xD9, 0xFE), F(0xD9, 0xFF),
};
static const struct x87_op ctl[] = {
	F(0xDF, 0xE0), M(0xDD, 7, 2), M(0xD9, 7, 2), M(0xD9, 5, 2), F(0xDB, 0xE2),
	F(0xDB, 0xE3), { 0x9B, 0, XF_WAIT, 0, 0 },
	M(0xD9, 4, 28), M(0xDD, 4, 108),
};

struct x87_family {
	const struct x87_op *ops;
	unsigned n;
};

#define FAM(a) { a, sizeof(a) / sizeof(a[0]) }
static const struct x87_family families[] = {
	FAM(arith), FAM(cmp), FAM(ld), FAM(st), FAM(misc), FAM(trans), FAM(ctl),
};

static bool emit_x87(struct gen *g, const struct tmpl *t, unsigned size)
{
	const struct x87_family *f = &families[t->op];
	const struct x87_op *o = &f->ops[rnd(g, f->n)];
	if (o->fl == 2 && (g->undef & (DT_CF | DT_ZF | DT_PF)))
		return false;
	if (g->written[REG_RSP])
		return false;   /* a non-canonical RSP gave #UD on this host, as for SSE */
	opcode(g, &o->op, 1);
	switch (o->form) {
	case XF_WAIT:
		return true;
	case XF_FIXED:
		g->has_modrm = true;
		g->modrm = o->ext;
		break;
	case XF_REG:
		g->has_modrm = true;
		g->modrm = (uint8_t)(0xC0 | o->ext << 3 | rnd(g, 8));
		break;
	default: {
		unsigned n = o->msize;
		/* The environment forms: 16-bit layout with 66 now and then. */
		if (n == 28 || n == 108) {
			if (chance(g, 30)) {
				prefix(g, 0x66);
				n -= 14;
			}
		}
		g->modrm = (uint8_t)(o->ext << 3);
		g->sse = true;   /* no non-canonical address: #GP shows as #UD here */
		gen_rm_mem(g, n, true);
		/* FLDENV/FRSTOR running into an absent or read-only page: this
		 * host reports a CR2 past the operand's end, not the first byte
		 * of the page (README.md): not generated. */
		uint64_t first = g->target & ~0xFFFULL, last = (g->target + n - 1) & ~0xFFFULL;
		if (n > 10 && first != last && last != DT_SCRATCH(g->s->slot) + 0x1000)
			return false;
		break;
	}
	}
	if (o->op == 0xDF && g->modrm == 0xE0)   /* FNSTSW AX */
		writes(g, REG_RAX, 2);
	if (o->fl == 1)
		g->fw = DT_ARITH;
	return true;
}

/* --- MMX ------------------------------------------------------------------ */

static const uint8_t mmx_binary[] = {
	0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6A, 0x6B, 0x74, 0x75,
	0x76, 0xD1, 0xD2, 0xD3, 0xD4, 0xD5, 0xD8, 0xD9, 0xDA, 0xDB, 0xDC, 0xDD, 0xDE, 0xDF,
	0xE0, 0xE1, 0xE2, 0xE3, 0xE4, 0xE5, 0xE8, 0xE9, 0xEA, 0xEB, 0xEC, 0xED, 0xEE, 0xEF,
	0xF1, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF8, 0xF9, 0xFA, 0xFB, 0xFC, 0xFD, 0xFE,
};

static void mm_reg(struct gen *g, unsigned m, bool rm)
{
	g->has_modrm = true;
	if (rm)
		g->modrm = (uint8_t)((g->modrm & 0x38) | 0xC0 | (m & 7));
	else
		g->modrm = (uint8_t)((g->modrm & 0xC7) | (m & 7) << 3);
}

/* The mm/m operand: a register or memory of n bytes. */
static void mm_rm(struct gen *g, unsigned n)
{
	if (chance(g, 40)) {
		g->sse = true;
		gen_rm_mem(g, n, true);
	} else {
		mm_reg(g, rnd(g, 8), true);
	}
}

static bool emit_mmx(struct gen *g, const struct tmpl *t, unsigned size)
{
	if (g->written[REG_RSP])
		return false;   /* as for SSE: a non-canonical RSP gave #UD on this host */
	g->sse = true;      /* no non-canonical address: #GP shows as #UD here */
	unsigned k = rnd(g, 100), r;
	int rm;
	if (t->op == 0) {                                   /* two-operand forms */
		uint8_t op = mmx_binary[rnd(g, sizeof(mmx_binary))];
		opcode(g, (const uint8_t[]){ 0x0F, op }, 2);
		mm_reg(g, rnd(g, 8), false);
		mm_rm(g, op <= 0x62 ? 4 : 8);
		return true;
	}
	if (t->op == 2) {                                   /* CVTPI2PS/PD, CVT(T)PS/PD2PI */
		static const uint8_t ops[] = { 0x2A, 0x2C, 0x2D };
		uint8_t op = ops[rnd(g, 3)];
		bool pd = chance(g, 50);
		if (pd)
			prefix(g, 0x66);
		opcode(g, (const uint8_t[]){ 0x0F, op }, 2);
		if (op == 0x2A) {
			set_reg(g, rnd(g, 16));                     /* xmm */
			mm_rm(g, 8);
		} else {
			mm_reg(g, rnd(g, 8), false);
			if (chance(g, 40)) {
				g->align = pd ? 2 : 0;
				gen_rm_mem(g, pd ? 16 : 8, true);
			} else {
				unsigned x = rnd(g, 16);
				g->modrm = (uint8_t)((g->modrm & 0x38) | 0xC0 | (x & 7));
				if (x & 8)
					g->rex |= 0x41;
			}
		}
		return true;
	}
	if (k < 25) {                                       /* shifts by imm8 */
		static const uint8_t sh[][2] = {
			{ 0x71, 2 }, { 0x71, 4 }, { 0x71, 6 }, { 0x72, 2 }, { 0x72, 4 },
			{ 0x72, 6 }, { 0x73, 2 }, { 0x73, 6 },
		};
		unsigned i = rnd(g, 8);
		opcode(g, (const uint8_t[]){ 0x0F, sh[i][0] }, 2);
		g->modrm = (uint8_t)(sh[i][1] << 3);
		mm_reg(g, rnd(g, 8), true);
		imm(g, 1, chance(g, 70) ? rnd(g, 70) : rnd(g, 256));
		return true;
	}
	if (k < 45) {                                       /* MOVD/MOVQ with r/m */
		bool w = chance(g, 50), store = chance(g, 50);
		unsigned gsize = w ? 8 : 4;
		if (w)
			g->rex |= 0x48;
		opcode(g, (const uint8_t[]){ 0x0F, store ? 0x7E : 0x6E }, 2);
		mm_reg(g, rnd(g, 8), false);
		rm = gen_rm(g, gsize, true);
		if (store && rm >= 0)
			writes(g, (unsigned)rm, gsize);
		return true;
	}
	if (k < 60) {                                       /* MOVQ, MOVNTQ */
		unsigned v = rnd(g, 3);
		opcode(g, (const uint8_t[]){ 0x0F, v == 0 ? 0x6F : v == 1 ? 0x7F : 0xE7 }, 2);
		mm_reg(g, rnd(g, 8), false);
		if (v == 2) {
			g->sse = true;
			gen_rm_mem(g, 8, true);
		} else {
			mm_rm(g, 8);
		}
		return true;
	}
	if (k < 70) {                                       /* PSHUFW */
		opcode(g, (const uint8_t[]){ 0x0F, 0x70 }, 2);
		mm_reg(g, rnd(g, 8), false);
		mm_rm(g, 8);
		imm(g, 1, rnd(g, 256));
		return true;
	}
	if (k < 80) {                                       /* PINSRW */
		opcode(g, (const uint8_t[]){ 0x0F, 0xC4 }, 2);
		mm_reg(g, rnd(g, 8), false);
		if (chance(g, 40)) {
			g->sse = true;
			gen_rm_mem(g, 2, true);
		} else {
			set_rm_reg(g, rnd(g, 16));
		}
		imm(g, 1, rnd(g, 256));
		return true;
	}
	if (k < 93) {                                       /* PEXTRW, PMOVMSKB */
		bool ext = chance(g, 50);
		opcode(g, (const uint8_t[]){ 0x0F, ext ? 0xC5 : 0xD7 }, 2);
		r = gen_pick_reg(g, 4);
		set_reg(g, r);
		mm_reg(g, rnd(g, 8), true);
		if (ext)
			imm(g, 1, rnd(g, 256));
		writes(g, r, 4);
		return true;
	}
	opcode(g, (const uint8_t[]){ 0x0F, 0x77 }, 2);     /* EMMS */
	return true;
}

const struct tmpl gen_x87_templates[] = {
	{ "x87-arith", W32, 0, emit_x87, 0, 0, 0, 0 },
	{ "x87-cmp", W32, 0, emit_x87, 1, 0, 0, 0 },
	{ "x87-ld", W32, 0, emit_x87, 2, 0, 0, 0 },
	{ "x87-st", W32, 0, emit_x87, 3, 0, 0, 0 },
	{ "x87-misc", W32, 0, emit_x87, 4, 0, 0, 0 },
	{ "x87-trans", W32, 0, emit_x87, 5, 0, 0, 0 },
	{ "x87-ctl", W32, 0, emit_x87, 6, 0, 0, 0 },
	{ "mmx-arith", W32, 0, emit_mmx, 0, 0, 0, 0 },
	{ "mmx-mov", W32, 0, emit_mmx, 1, 0, 0, 0 },
	{ "mmx-cvt", W32, 0, emit_mmx, 2, 0, 0, 0 },
};
const unsigned gen_x87_count = sizeof(gen_x87_templates) / sizeof(gen_x87_templates[0]);

/* An 80-bit value: mantissa (with the explicit integer bit) and
 * sign/exponent. */
static void f80_special(struct gen *g, uint64_t *mant, uint16_t *se)
{
	static const struct { uint64_t m; uint16_t e; } v[] = {
		{ 0, 0 }, { 0, 0x8000 },                                   /* zeros */
		{ 0x8000000000000000ULL, 0x3FFF }, { 0xC000000000000000ULL, 0xBFFF },
		{ 0xC90FDAA22168C235ULL, 0x4000 },                         /* pi */
		{ 0x0000000000000001ULL, 0 }, { 0x7FFFFFFFFFFFFFFFULL, 0x8000 },   /* denormals */
		{ 0x8000000000000000ULL, 0 },                              /* pseudo-denormal */
		{ 0x4000000000000000ULL, 0x3FFF },                         /* unnormal */
		{ 0x8000000000000000ULL, 0x7FFF }, { 0x8000000000000000ULL, 0xFFFF },   /* inf */
		{ 0xC000000000000000ULL, 0x7FFF }, { 0xC000000000000000ULL, 0xFFFF },   /* QNaN, indefinite */
		{ 0xA000000000000000ULL, 0x7FFF }, { 0x8000000000000001ULL, 0xFFFF },   /* SNaN */
		{ 0x4000000000000000ULL, 0x7FFF },                         /* pseudo-NaN */
		{ 0xFFFFFFFFFFFFFFFFULL, 0x7FFE }, { 0x8000000000000000ULL, 0x0001 },   /* max, min normal */
		{ 0xFFFF000000000000ULL, 0x400E }, { 0x8000000000000000ULL, 0xC00E },   /* 65535, -32768 */
		{ 0x8000000000000000ULL, 0x401E }, { 0x8000000000000000ULL, 0xC03E },   /* 2^31, -2^63 */
		{ 0xC000000000000000ULL, 0x3FFE }, { 0xA000000000000000ULL, 0x4000 },   /* 0.75, 2.5 */
		{ 0x8000000000000000ULL, 0x43FE }, { 0x8000000000000000ULL, 0x3C01 },   /* 2^1023, 2^-1022 */
	};
	unsigned k = rnd(g, 3);
	if (k == 0) {
		unsigned i = rnd(g, sizeof(v) / sizeof(v[0]));
		*mant = v[i].m;
		*se = v[i].e;
		return;
	}
	/* A normal number, modest exponent, sometimes an integer. */
	*mant = dt_rand(g->r) | 0x8000000000000000ULL;
	unsigned e = 0x3FFF - 40 + rnd(g, 80);
	if (k == 1 && e >= 0x3FFF) {
		unsigned bits = e - 0x3FFF + 1;
		if (bits < 64)
			*mant &= ~0ULL << (64 - bits);
	}
	*se = (uint16_t)(e | (chance(g, 40) ? 0x8000 : 0));
}

void gen_x87_init(struct gen *g)
{
	uint8_t *fx = g->s->fx;
	if (chance(g, 15))
		return;   /* FNINIT's state */
	uint16_t cw = 0x037F;
	if (chance(g, 40))
		cw = (uint16_t)((cw & ~0x0300) | (uint16_t)(rnd(g, 4) << 8));   /* precision */
	if (chance(g, 40))
		cw = (uint16_t)(cw | rnd(g, 4) << 10);                          /* rounding */
	if (chance(g, 10))
		cw &= (uint16_t)~(1u << rnd(g, 6));                             /* unmask one */
	unsigned top = rnd(g, 8);
	uint16_t sw = (uint16_t)(top << 11 | (dt_rand(g->r) & 0x4700));
	if (chance(g, 25))
		sw |= (uint16_t)(dt_rand(g->r) & 0x3F & cw);                    /* masked sticky */
	if (chance(g, 3))
		sw |= (uint16_t)(1u << rnd(g, 6));                              /* maybe pending */
	if (sw & ~cw & 0x3F)
		sw |= 0x8080;                                                   /* ES, B */
	uint8_t tag = 0;
	for (unsigned p = 0; p < 8; p++)
		if (chance(g, 70))
			tag |= (uint8_t)(1u << p);
	if (chance(g, 10))
		tag = 0xFF;
	fx[0] = (uint8_t)cw;
	fx[1] = (uint8_t)(cw >> 8);
	fx[2] = (uint8_t)sw;
	fx[3] = (uint8_t)(sw >> 8);
	fx[4] = tag;
	for (unsigned i = 0; i < 8; i++) {
		uint64_t m;
		uint16_t e;
		f80_special(g, &m, &e);
		memcpy(fx + 32 + 16 * i, &m, 8);
		memcpy(fx + 40 + 16 * i, &e, 2);
	}
}
