/*
 * SSE/SSE2 templates of the random generator (what our CPUID model
 * advertises; the MMX forms without 66 are not, and are not generated),
 * and the random initial XMM registers and MXCSR: IEEE special values
 * (zeros, infinities, quiet and signalling NaNs, denormals, the integer
 * conversion limits), random rounding modes, FTZ/DAZ, sticky flags and now
 * and then unmasked exceptions (#XM).
 *
 * SSE3, SSSE3 and SSE4.1 (and PCMPGTQ of SSE4.2) are generated whether
 * or not our CPUID model advertises them yet: the emulator implements
 * them, and they are tested before they are advertised.
 *
 * Each template is a family of opcodes with one operand form; legacy SSE
 * requires 16-byte aligned memory for packed operands (else #GP), so those
 * get an aligned address (the aligned moves mostly, the rest always).
 * RCPPS/RSQRTPS/RCPSS/RSQRTSS are approximations whose low bits differ
 * between implementations: not generated.
 */
#include "gen_priv.h"

enum sse_form {
	SX_XX,        /* xmm, xmm/m */
	SX_XXI,       /* xmm, xmm/m, imm8 */
	SX_STORE,     /* xmm/m, xmm */
	SX_SHIFTI,    /* 66 0F 71/72/73 /ext xmm, imm8 */
	SX_XG,        /* xmm, r/m32|64 (REX.W random) */
	SX_GX,        /* r32|64, xmm/m (REX.W random) */
	SX_GXREG,     /* r32, xmm register only (MOVMSK, PMOVMSKB, PEXTRW ib) */
	SX_XGI,       /* PINSRW xmm, r32/m16, imm8 */
	SX_GSTORE,    /* MOVD/MOVQ r/m32|64, xmm */
	SX_GSTOREI,   /* PEXTRB/W/D/Q, EXTRACTPS r/m, xmm, imm8 (REX.W random) */
	SX_CRC,       /* CRC32 r32|64, r/m8|16|32|64 (F2 0F 38 F0/F1) */
	SX_PCMPSTR,   /* PCMPxSTRx xmm, xmm/m128 (unaligned), imm8; EAX/EDX lengths */
	SX_MM,        /* mm, mm/m64 (SSSE3 MMX-register forms; imm8 for 0F 3A) */
};

struct sse_op {
	uint8_t pfx;          /* 0, 0x66, 0xF2, 0xF3 */
	uint8_t op;           /* after 0F */
	uint8_t form;
	uint8_t msize;        /* memory operand size; 0: register only */
	uint8_t align;        /* packed: 16-byte alignment required */
	uint8_t ext;          /* SX_SHIFTI: ModRM.reg; SX_GXREG with imm: 1 */
	uint8_t map;          /* 0: 0F op; 0x38 / 0x3A: 0F 38 op / 0F 3A op */
};

#define PI(op) { 0x66, op, SX_XX, 16, 1, 0 }
static const struct sse_op padd[] = {
	PI(0xFC), PI(0xFD), PI(0xFE), PI(0xD4), PI(0xEC), PI(0xED), PI(0xDC), PI(0xDD),
};
static const struct sse_op psub[] = {
	PI(0xF8), PI(0xF9), PI(0xFA), PI(0xFB), PI(0xE8), PI(0xE9), PI(0xD8), PI(0xD9),
};
static const struct sse_op pmul[] = { PI(0xD5), PI(0xE5), PI(0xE4), PI(0xF4), PI(0xF5) };
static const struct sse_op plogic[] = { PI(0xDB), PI(0xDF), PI(0xEB), PI(0xEF) };
static const struct sse_op pcmp[] = { PI(0x74), PI(0x75), PI(0x76), PI(0x64), PI(0x65), PI(0x66) };
static const struct sse_op pminmax[] = {
	PI(0xDE), PI(0xDA), PI(0xEE), PI(0xEA), PI(0xE0), PI(0xE3), PI(0xF6),
};
static const struct sse_op pack[] = {
	PI(0x63), PI(0x67), PI(0x6B), PI(0x60), PI(0x61), PI(0x62), PI(0x6C), PI(0x68),
	PI(0x69), PI(0x6A), PI(0x6D),
};
static const struct sse_op pshift[] = {
	PI(0xD1), PI(0xD2), PI(0xD3), PI(0xE1), PI(0xE2), PI(0xF1), PI(0xF2), PI(0xF3),
	{ 0x66, 0x71, SX_SHIFTI, 0, 0, 2 }, { 0x66, 0x71, SX_SHIFTI, 0, 0, 4 },
	{ 0x66, 0x71, SX_SHIFTI, 0, 0, 6 }, { 0x66, 0x72, SX_SHIFTI, 0, 0, 2 },
	{ 0x66, 0x72, SX_SHIFTI, 0, 0, 4 }, { 0x66, 0x72, SX_SHIFTI, 0, 0, 6 },
	{ 0x66, 0x73, SX_SHIFTI, 0, 0, 2 }, { 0x66, 0x73, SX_SHIFTI, 0, 0, 3 },
	{ 0x66, 0x73, SX_SHIFTI, 0, 0, 6 }, { 0x66, 0x73, SX_SHIFTI, 0, 0, 7 },
};
static const struct sse_op pshuf[] = {
	{ 0x66, 0x70, SX_XXI, 16, 1, 0 }, { 0xF2, 0x70, SX_XXI, 16, 1, 0 },
	{ 0xF3, 0x70, SX_XXI, 16, 1, 0 }, { 0, 0xC6, SX_XXI, 16, 1, 0 },
	{ 0x66, 0xC6, SX_XXI, 16, 1, 0 }, { 0, 0x14, SX_XX, 16, 1, 0 }, { 0, 0x15, SX_XX, 16, 1, 0 },
	{ 0x66, 0x14, SX_XX, 16, 1, 0 }, { 0x66, 0x15, SX_XX, 16, 1, 0 },
};
/* ADD MUL SUB MIN DIV MAX SQRT in the ps/pd/ss/sd flavours. */
#define FA(op) { 0, op, SX_XX, 16, 1, 0 }, { 0x66, op, SX_XX, 16, 1, 0 }, \
	       { 0xF3, op, SX_XX, 4, 0, 0 }, { 0xF2, op, SX_XX, 8, 0, 0 }
static const struct sse_op farith[] = {
	FA(0x58), FA(0x59), FA(0x5C), FA(0x5D), FA(0x5E), FA(0x5F), FA(0x51),
};
static const struct sse_op flogic[] = {
	{ 0, 0x54, SX_XX, 16, 1, 0 }, { 0, 0x55, SX_XX, 16, 1, 0 }, { 0, 0x56, SX_XX, 16, 1, 0 },
	{ 0, 0x57, SX_XX, 16, 1, 0 }, { 0x66, 0x54, SX_XX, 16, 1, 0 }, { 0x66, 0x57, SX_XX, 16, 1, 0 },
};
static const struct sse_op fcmp[] = {
	{ 0, 0xC2, SX_XXI, 16, 1, 0 }, { 0x66, 0xC2, SX_XXI, 16, 1, 0 },
	{ 0xF3, 0xC2, SX_XXI, 4, 0, 0 }, { 0xF2, 0xC2, SX_XXI, 8, 0, 0 },
};
static const struct sse_op comi[] = {
	{ 0, 0x2F, SX_XX, 4, 0, 0 }, { 0, 0x2E, SX_XX, 4, 0, 0 },
	{ 0x66, 0x2F, SX_XX, 8, 0, 0 }, { 0x66, 0x2E, SX_XX, 8, 0, 0 },
};
static const struct sse_op cvt[] = {
	{ 0, 0x5A, SX_XX, 8, 0, 0 }, { 0x66, 0x5A, SX_XX, 16, 1, 0 },
	{ 0xF3, 0x5A, SX_XX, 4, 0, 0 }, { 0xF2, 0x5A, SX_XX, 8, 0, 0 },
	{ 0, 0x5B, SX_XX, 16, 1, 0 }, { 0x66, 0x5B, SX_XX, 16, 1, 0 },
	{ 0xF3, 0x5B, SX_XX, 16, 1, 0 }, { 0xF3, 0xE6, SX_XX, 8, 0, 0 },
	{ 0xF2, 0xE6, SX_XX, 16, 1, 0 }, { 0x66, 0xE6, SX_XX, 16, 1, 0 },
};
static const struct sse_op cvtsi[] = {
	{ 0xF3, 0x2A, SX_XG, 4, 0, 0 }, { 0xF2, 0x2A, SX_XG, 4, 0, 0 },
	{ 0xF3, 0x2C, SX_GX, 4, 0, 0 }, { 0xF3, 0x2D, SX_GX, 4, 0, 0 },
	{ 0xF2, 0x2C, SX_GX, 8, 0, 0 }, { 0xF2, 0x2D, SX_GX, 8, 0, 0 },
};
static const struct sse_op mov[] = {
	{ 0, 0x28, SX_XX, 16, 1, 0 }, { 0, 0x29, SX_STORE, 16, 1, 0 },
	{ 0, 0x10, SX_XX, 16, 0, 0 }, { 0, 0x11, SX_STORE, 16, 0, 0 },
	{ 0x66, 0x28, SX_XX, 16, 1, 0 }, { 0x66, 0x29, SX_STORE, 16, 1, 0 },
	{ 0x66, 0x10, SX_XX, 16, 0, 0 }, { 0x66, 0x11, SX_STORE, 16, 0, 0 },
	{ 0x66, 0x6F, SX_XX, 16, 1, 0 }, { 0x66, 0x7F, SX_STORE, 16, 1, 0 },
	{ 0xF3, 0x6F, SX_XX, 16, 0, 0 }, { 0xF3, 0x7F, SX_STORE, 16, 0, 0 },
	{ 0xF3, 0x10, SX_XX, 4, 0, 0 }, { 0xF3, 0x11, SX_STORE, 4, 0, 0 },
	{ 0xF2, 0x10, SX_XX, 8, 0, 0 }, { 0xF2, 0x11, SX_STORE, 8, 0, 0 },
	{ 0xF3, 0x7E, SX_XX, 8, 0, 0 }, { 0x66, 0xD6, SX_STORE, 8, 0, 0 },
	{ 0, 0x12, SX_XX, 8, 0, 0 }, { 0, 0x13, SX_STORE, 8, 0, 0 },   /* MOVHLPS / MOVLPS */
	{ 0, 0x16, SX_XX, 8, 0, 0 }, { 0, 0x17, SX_STORE, 8, 0, 0 },   /* MOVLHPS / MOVHPS */
	{ 0x66, 0x6E, SX_XG, 4, 0, 0 }, { 0x66, 0x7E, SX_GSTORE, 4, 0, 0 },
};
static const struct sse_op movmsk[] = {
	{ 0, 0x50, SX_GXREG, 0, 0, 0 }, { 0x66, 0x50, SX_GXREG, 0, 0, 0 },
	{ 0x66, 0xD7, SX_GXREG, 0, 0, 0 }, { 0x66, 0xC5, SX_GXREG, 0, 0, 1 },
	{ 0x66, 0xC4, SX_XGI, 2, 0, 0 },
};

/* SSE3: ADDSUBPD/PS, HADDPD/PS, HSUBPD/PS, MOVSLDUP, MOVSHDUP, MOVDDUP, LDDQU. */
static const struct sse_op sse3[] = {
	{ 0x66, 0xD0, SX_XX, 16, 1, 0 }, { 0xF2, 0xD0, SX_XX, 16, 1, 0 },
	{ 0x66, 0x7C, SX_XX, 16, 1, 0 }, { 0xF2, 0x7C, SX_XX, 16, 1, 0 },
	{ 0x66, 0x7D, SX_XX, 16, 1, 0 }, { 0xF2, 0x7D, SX_XX, 16, 1, 0 },
	{ 0xF3, 0x12, SX_XX, 16, 1, 0 }, { 0xF3, 0x16, SX_XX, 16, 1, 0 },
	{ 0xF2, 0x12, SX_XX, 8, 0, 0 }, { 0xF2, 0xF0, SX_XX, 16, 0, 0 },
};
/* SSSE3 (66 0F 38 00-0B, 1C-1E; 66 0F 3A 0F PALIGNR). */
#define P38(op) { 0x66, op, SX_XX, 16, 1, 0, 0x38 }
static const struct sse_op ssse3[] = {
	P38(0x00), P38(0x01), P38(0x02), P38(0x03), P38(0x04), P38(0x05), P38(0x06),
	P38(0x07), P38(0x08), P38(0x09), P38(0x0A), P38(0x0B), P38(0x1C), P38(0x1D),
	P38(0x1E), { 0x66, 0x0F, SX_XXI, 16, 1, 0, 0x3A },
};

/* SSE4.1 and PCMPGTQ (SSE4.2): 66 0F 38 and 66 0F 3A. */
#define P3A(op) { 0x66, op, SX_XXI, 16, 1, 0, 0x3A }
static const struct sse_op sse41[] = {
	P38(0x10), P38(0x14), P38(0x15), P38(0x17), P38(0x28), P38(0x29), P38(0x2B),
	P38(0x37), P38(0x38), P38(0x39), P38(0x3A), P38(0x3B), P38(0x3C), P38(0x3D),
	P38(0x3E), P38(0x3F), P38(0x40), P38(0x41),
	{ 0x66, 0x20, SX_XX, 8, 0, 0, 0x38 }, { 0x66, 0x21, SX_XX, 4, 0, 0, 0x38 },
	{ 0x66, 0x22, SX_XX, 2, 0, 0, 0x38 }, { 0x66, 0x23, SX_XX, 8, 0, 0, 0x38 },
	{ 0x66, 0x24, SX_XX, 4, 0, 0, 0x38 }, { 0x66, 0x25, SX_XX, 8, 0, 0, 0x38 },
	{ 0x66, 0x30, SX_XX, 8, 0, 0, 0x38 }, { 0x66, 0x31, SX_XX, 4, 0, 0, 0x38 },
	{ 0x66, 0x32, SX_XX, 2, 0, 0, 0x38 }, { 0x66, 0x33, SX_XX, 8, 0, 0, 0x38 },
	{ 0x66, 0x34, SX_XX, 4, 0, 0, 0x38 }, { 0x66, 0x35, SX_XX, 8, 0, 0, 0x38 },
	P3A(0x0C), P3A(0x0D), P3A(0x0E), P3A(0x42),
	{ 0x66, 0x21, SX_XXI, 4, 0, 0, 0x3A },   /* INSERTPS */
	{ 0x66, 0x14, SX_GSTOREI, 1, 0, 0, 0x3A }, { 0x66, 0x15, SX_GSTOREI, 2, 0, 0, 0x3A },
	{ 0x66, 0x16, SX_GSTOREI, 4, 0, 0, 0x3A }, { 0x66, 0x17, SX_GSTOREI, 4, 0, 0, 0x3A },
	{ 0x66, 0x20, SX_XGI, 1, 0, 0, 0x3A }, { 0x66, 0x22, SX_XGI, 4, 0, 0, 0x3A },
};
/* SSE4.1 float: ROUNDPS/PD/SS/SD; DPPS, DPPD. */
static const struct sse_op sse41fp[] = {
	P3A(0x08), P3A(0x09), { 0x66, 0x0A, SX_XXI, 4, 0, 0, 0x3A },
	{ 0x66, 0x0B, SX_XXI, 8, 0, 0, 0x3A },
};
static const struct sse_op sse41dp[] = { P3A(0x40), P3A(0x41) };

/* SSE4.2: PCMPESTRM/ESTRI/ISTRM/ISTRI and CRC32. */
static const struct sse_op sse42[] = {
	{ 0x66, 0x60, SX_PCMPSTR, 16, 0, 0, 0x3A }, { 0x66, 0x61, SX_PCMPSTR, 16, 0, 0, 0x3A },
	{ 0x66, 0x62, SX_PCMPSTR, 16, 0, 0, 0x3A }, { 0x66, 0x63, SX_PCMPSTR, 16, 0, 0, 0x3A },
	{ 0xF2, 0xF0, SX_CRC, 1, 0, 0, 0x38 }, { 0xF2, 0xF1, SX_CRC, 4, 0, 0, 0x38 },
};

/* SSSE3 on MMX registers (0F 38 00-0B, 1C-1E; 0F 3A 0F PALIGNR). */
#define M38(op) { 0, op, SX_MM, 8, 0, 0, 0x38 }
static const struct sse_op ssse3mmx[] = {
	M38(0x00), M38(0x01), M38(0x02), M38(0x03), M38(0x04), M38(0x05), M38(0x06),
	M38(0x07), M38(0x08), M38(0x09), M38(0x0A), M38(0x0B), M38(0x1C), M38(0x1D),
	M38(0x1E), { 0, 0x0F, SX_MM, 8, 0, 0, 0x3A },
};

struct sse_family {
	const struct sse_op *ops;
	unsigned n;
};

#define FAM(a) { a, sizeof(a) / sizeof(a[0]) }
static const struct sse_family families[] = {
	FAM(padd), FAM(psub), FAM(pmul), FAM(plogic), FAM(pcmp), FAM(pminmax), FAM(pack),
	FAM(pshift), FAM(pshuf), FAM(farith), FAM(flogic), FAM(fcmp), FAM(comi), FAM(cvt),
	FAM(cvtsi), FAM(mov), FAM(movmsk), FAM(sse3), FAM(ssse3), FAM(sse41), FAM(sse41fp), FAM(sse41dp), FAM(sse42), FAM(ssse3mmx),
};

static void xmm_reg(struct gen *g, unsigned x, bool rm)
{
	if (rm) {
		g->has_modrm = true;
		g->modrm = (uint8_t)((g->modrm & 0x38) | 0xC0 | (x & 7));
		if (x & 8)
			g->rex |= 0x41;
	} else {
		set_reg(g, x);
	}
}

/* The xmm/m operand: a register or (if the form allows) memory. */
static void xmm_rm(struct gen *g, const struct sse_op *o, bool movs)
{
	if (o->msize && chance(g, 40)) {
		/* A misaligned operand of anything but the moves gets #UD from
		 * this host's KVM instead of #GP (README.md): always aligned. */
		g->align = o->align && !movs ? 2 : o->align;
		gen_rm_mem(g, o->msize, true);
	} else {
		xmm_reg(g, rnd(g, 16), true);
	}
}

static bool emit_sse(struct gen *g, const struct tmpl *t, unsigned size)
{
	const struct sse_family *f = &families[t->op];
	const struct sse_op *o = &f->ops[rnd(g, f->n)];
	if (g->written[REG_RSP])
		return false;   /* SSE with a non-canonical RSP: #UD on this host's KVM */
	g->sse = true;
	bool w = chance(g, 50), crc16 = false;
	unsigned gsize = w ? 8 : 4;
	if (o->form == SX_CRC && o->op == 0xF1 && !w && chance(g, 30)) {
		prefix(g, 0x66);   /* CRC32 r32, r/m16 */
		crc16 = true;
	}
	if (o->pfx)
		prefix(g, o->pfx);
	if (o->map)
		opcode(g, (const uint8_t[]){ 0x0F, o->map, o->op }, 3);
	else
		opcode(g, (const uint8_t[]){ 0x0F, o->op }, 2);
	int rm;
	switch (o->form) {
	case SX_XX:
	case SX_XXI:
		xmm_reg(g, rnd(g, 16), false);
		xmm_rm(g, o, f->ops == mov);
		/* MOVHLPS/MOVLHPS are the register forms of 12/16. */
		if (o->form == SX_XXI)
			imm(g, 1, o->op == 0xC2 && !o->map ? rnd(g, 8) :
				  o->map == 0x3A && o->op == 0x0F && chance(g, 80) ? rnd(g, 34) :
				  rnd(g, 256));
		break;
	case SX_STORE:
		xmm_reg(g, rnd(g, 16), false);
		if (o->op == 0x13 || o->op == 0x17 || chance(g, 60)) {
			g->align = o->align;
			gen_rm_mem(g, o->msize, true);   /* 13/17 have no register form */
		} else {
			xmm_reg(g, rnd(g, 16), true);
		}
		break;
	case SX_SHIFTI:
		g->modrm = (uint8_t)(o->ext << 3);
		xmm_reg(g, rnd(g, 16), true);
		imm(g, 1, chance(g, 70) ? rnd(g, 20) : rnd(g, 256));
		break;
	case SX_XG:
	case SX_XGI: {
		/* PINSRW/B/D: a register source is r32; REX.W makes 22 PINSRQ */
		unsigned msz = o->form == SX_XGI ? o->msize : gsize;
		if (w && (o->form == SX_XG || (o->map && o->op == 0x22))) {
			g->rex |= 0x48;
			msz = 8;
		}
		xmm_reg(g, rnd(g, 16), false);
		gen_rm(g, msz, true);
		if (o->form == SX_XGI)
			imm(g, 1, rnd(g, 256));
		break;
	}
	case SX_CRC: {
		if (w)
			g->rex |= 0x48;
		unsigned r = gen_pick_reg(g, gsize);
		set_reg(g, r);
		int src = gen_rm(g, o->op == 0xF0 ? 1 : crc16 ? 2 : gsize, true);
		if (o->op == 0xF0)
			gen_byte_regs(g, -1, src);
		writes(g, r, gsize);
		break;
	}
	case SX_PCMPSTR:
		/* Explicit lengths: mostly within -20..20 so both ends count. */
		if (o->op < 0x62) {
			if (usable(g, REG_RAX) && chance(g, 80))
				pin(g, REG_RAX, (uint64_t)(int64_t)((int)rnd(g, 41) - 20));
			if (usable(g, REG_RDX) && chance(g, 80))
				pin(g, REG_RDX, (uint64_t)(int64_t)((int)rnd(g, 41) - 20));
			if (chance(g, 20))
				g->rex |= 0x48;
		}
		xmm_reg(g, rnd(g, 16), false);
		xmm_rm(g, o, true);
		imm(g, 1, rnd(g, 128));
		if (o->op & 1)
			writes(g, REG_RCX, 4);
		g->fw = DT_ARITH;
		break;
	case SX_MM:
		set_reg(g, rnd(g, 8));
		if (chance(g, 40)) {
			g->align = 0;
			gen_rm_mem(g, 8, true);
		} else {
			g->has_modrm = true;
			g->modrm = (uint8_t)((g->modrm & 0x38) | 0xC0 | rnd(g, 8));
		}
		if (o->map == 0x3A)
			imm(g, 1, chance(g, 80) ? rnd(g, 18) : rnd(g, 256));
		break;
	case SX_GSTOREI:
		if (w)
			g->rex |= 0x48;
		xmm_reg(g, rnd(g, 16), false);
		rm = gen_rm(g, w && o->op == 0x16 ? 8 : o->msize, true);
		if (rm >= 0)
			writes(g, (unsigned)rm, gsize);
		imm(g, 1, rnd(g, 256));
		break;
	case SX_GX: {
		if (w)
			g->rex |= 0x48;
		unsigned r = gen_pick_reg(g, gsize);
		set_reg(g, r);
		xmm_rm(g, o, f->ops == mov);
		writes(g, r, gsize);
		break;
	}
	case SX_GXREG: {
		unsigned r = gen_pick_reg(g, 4);
		set_reg(g, r);
		xmm_reg(g, rnd(g, 16), true);
		writes(g, r, 4);
		if (o->ext)
			imm(g, 1, rnd(g, 256));
		break;
	}
	case SX_GSTORE:
		if (w)
			g->rex |= 0x48;
		xmm_reg(g, rnd(g, 16), false);
		rm = gen_rm(g, gsize, true);
		if (rm >= 0)
			writes(g, (unsigned)rm, gsize);
		break;
	}
	if (f->ops == comi || (f->ops == sse41 && o->op == 0x17 && o->map == 0x38)) {
		g->fw = DT_ARITH;   /* ZF PF CF from the compare, OF SF AF cleared */
	}
	return true;
}

const struct tmpl gen_sse_templates[] = {
	{ "sse-padd", W32, 0, emit_sse, 0, 0, 0, 0 },
	{ "sse-psub", W32, 0, emit_sse, 1, 0, 0, 0 },
	{ "sse-pmul", W32, 0, emit_sse, 2, 0, 0, 0 },
	{ "sse-plogic", W32, 0, emit_sse, 3, 0, 0, 0 },
	{ "sse-pcmp", W32, 0, emit_sse, 4, 0, 0, 0 },
	{ "sse-pminmax", W32, 0, emit_sse, 5, 0, 0, 0 },
	{ "sse-pack", W32, 0, emit_sse, 6, 0, 0, 0 },
	{ "sse-pshift", W32, 0, emit_sse, 7, 0, 0, 0 },
	{ "sse-shuffle", W32, 0, emit_sse, 8, 0, 0, 0 },
	{ "sse-farith", W32, 0, emit_sse, 9, 0, 0, 0 },
	{ "sse-flogic", W32, 0, emit_sse, 10, 0, 0, 0 },
	{ "sse-fcmp", W32, 0, emit_sse, 11, 0, 0, 0 },
	{ "sse-comi", W32, 0, emit_sse, 12, 0, 0, 0 },
	{ "sse-cvt", W32, 0, emit_sse, 13, 0, 0, 0 },
	{ "sse-cvtsi", W32, 0, emit_sse, 14, 0, 0, 0 },
	{ "sse-mov", W32, 0, emit_sse, 15, 0, 0, 0 },
	{ "sse-movmsk", W32, 0, emit_sse, 16, 0, 0, 0 },
	{ "sse3", W32, 0, emit_sse, 17, 0, 0, 0 },
	{ "ssse3", W32, 0, emit_sse, 18, 0, 0, 0 },
	{ "sse41", W32, 0, emit_sse, 19, 0, 0, 0 },
	{ "sse41-fp", W32, 0, emit_sse, 20, 0, 0, 0 },
	{ "sse41-dp", W32, 0, emit_sse, 21, 0, 0, 0 },
	{ "sse42", W32, 0, emit_sse, 22, 0, 0, 0 },
	{ "ssse3-mmx", W32, 0, emit_sse, 23, 0, 0, 0 },
};
const unsigned gen_sse_count = sizeof(gen_sse_templates) / sizeof(gen_sse_templates[0]);

static uint32_t f32_special(struct gen *g)
{
	static const uint32_t v[] = {
		0x00000000, 0x80000000, 0x3F800000, 0xBFC00000, 0x7F800000, 0xFF800000,
		0x7FC00000, 0xFFC00001, 0x7FA00000, 0x00000001, 0x807FFFFF, 0x00800000,
		0x7F7FFFFF, 0x4F000000, 0xCF000000, 0x5F000000, 0x3EAAAAAB, 0x4B800001,
	};
	if (chance(g, 50))
		return v[rnd(g, sizeof(v) / sizeof(v[0]))];
	/* A normal number with a modest exponent. */
	return (uint32_t)(dt_rand(g->r) & 0x807FFFFF) | ((uint32_t)(110 + rnd(g, 40)) << 23);
}

static uint64_t f64_special(struct gen *g)
{
	static const uint64_t v[] = {
		0, 0x8000000000000000ULL, 0x3FF0000000000000ULL, 0xBFF8000000000000ULL,
		0x7FF0000000000000ULL, 0xFFF0000000000000ULL, 0x7FF8000000000000ULL,
		0x7FF4000000000000ULL, 0x0000000000000001ULL, 0x0010000000000000ULL,
		0x7FEFFFFFFFFFFFFFULL, 0x41E0000000000000ULL, 0xC1E0000000000000ULL,
		0x43E0000000000000ULL, 0x3FD5555555555555ULL, 0x47EFFFFFE0000000ULL,
	};
	if (chance(g, 50))
		return v[rnd(g, sizeof(v) / sizeof(v[0]))];
	return (dt_rand(g->r) & 0x800FFFFFFFFFFFFFULL) | ((uint64_t)(1000 + rnd(g, 48)) << 52);
}

void gen_sse_init(struct gen *g)
{
	struct dt_seq *s = g->s;
	for (int x = 0; x < 16; x++) {
		for (int half = 0; half < 2; half++) {
			uint64_t v;
			switch (rnd(g, 4)) {
			case 0:
				v = f64_special(g);
				break;
			case 1:
				v = f32_special(g) | (uint64_t)f32_special(g) << 32;
				break;
			case 2:
				v = gen_interesting(g);
				break;
			default:
				v = dt_rand(g->r);
				break;
			}
			memcpy(s->xmm[x] + 8 * half, &v, 8);
		}
	}
	uint32_t m = 0x1F80;
	if (chance(g, 30))
		m |= rnd(g, 4) << 13;               /* rounding control */
	if (chance(g, 10))
		m |= 1u << 15;                      /* FTZ */
	if (chance(g, 10))
		m |= 1u << 6;                       /* DAZ */
	if (chance(g, 20))
		m |= (uint32_t)rnd(g, 64);          /* sticky exception flags */
	if (chance(g, 8))
		m &= ~(0x80u << rnd(g, 6));         /* one exception unmasked: #XM */
	s->mxcsr = m;
}
