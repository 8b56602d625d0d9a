/*
 * Templates of the random generator for the bit-manipulation and
 * byte-order instructions the CPUID model advertises (cpu/cpuid.c):
 * POPCNT, LZCNT (ABM), TZCNT, MOVBE, CMPXCHG8B/CMPXCHG16B (CX8/CX16), and
 * the VEX-encoded BMI1/BMI2 (ANDN BEXTR BLSI BLSMSK BLSR BZHI MULX PDEP
 * PEXT RORX SARX SHLX SHRX; flags as the SDM defines them, AF PF and for
 * BEXTR SF undefined).
 * The host CPU executes them whatever our CPUID says, so KVM at CPL3 is
 * their oracle like for the rest of gen.c. Flags: POPCNT defines all six
 * (ZF = source was 0, the rest clear); LZCNT/TZCNT define CF and ZF and
 * leave OF SF AF PF undefined (SDM Vol. 2); MOVBE changes none;
 * CMPXCHG8B/16B define ZF only and leave the others unchanged.
 */
#include "gen_priv.h"

/* Sources rich in the cases these instructions treat specially: zero, one
 * bit at each end, all ones, and values with zeros at either end. */
static uint64_t bits_value(struct gen *g, unsigned size)
{
	switch (rnd(g, 6)) {
	case 0: return 0;
	case 1: return 1ULL << rnd(g, size * 8);
	case 2: return ~0ULL;
	case 3: return gen_interesting(g) << rnd(g, 64);
	case 4: return gen_interesting(g) >> rnd(g, 64);
	default: return gen_interesting(g);
	}
}

/* POPCNT / LZCNT / TZCNT reg, r/m: F3 [66|REX.W] 0F B8/BD/BC. */
static bool emit_count(struct gen *g, const struct tmpl *t, unsigned size)
{
	g->sse = true;   /* no non-canonical operand: this host's KVM says #UD (README.md) */
	prefix(g, 0xF3);
	opsize(g, size);
	unsigned reg = gen_pick_reg(g, size);
	set_reg(g, reg);
	uint64_t v = bits_value(g, size);
	if (!gen_rm_value(g, size, v))
		return false;
	opcode(g, (const uint8_t[]){ 0x0F, t->op }, 2);
	writes(g, reg, size);
	g->fw = t->fw;
	g->fu = t->fu;
	return true;
}

/* MOVBE reg, m (0F 38 F0) and MOVBE m, reg (0F 38 F1). */
static bool emit_movbe(struct gen *g, const struct tmpl *t, unsigned size)
{
	g->sse = true;   /* as emit_count */
	opsize(g, size);
	unsigned reg = gen_pick_reg(g, size);
	set_reg(g, reg);
	gen_rm_mem(g, size, true);
	bool load = chance(g, 50);
	opcode(g, (const uint8_t[]){ 0x0F, 0x38, load ? 0xF0 : 0xF1 }, 3);
	if (load)
		writes(g, reg, size);
	return true;
}

/* CMPXCHG8B m64 / CMPXCHG16B m128 (REX.W): half the time memory is made
 * equal to EDX:EAX / RDX:RAX so that the exchange happens. A misaligned
 * CMPXCHG16B operand is #GP(0). */
static bool emit_cmpxchg8b(struct gen *g, const struct tmpl *t, unsigned size)
{
	bool wide = t->op == 16;
	unsigned n = wide ? 16 : 8;
	if (wide) {
		g->rex |= 0x48;
		g->align = 1;
	}
	g->modrm = 1 << 3;
	if (!usable(g, REG_RAX) || !usable(g, REG_RDX))
		return false;
	uint64_t lo = gen_interesting(g), hi = gen_interesting(g);
	pin(g, REG_RAX, lo);
	pin(g, REG_RDX, hi);
	gen_rm_mem(g, n, true);
	/* Misaligned and non-canonical: the CPU's alignment #GP is redone
	 * by this host's instruction emulator, which reports #SS when it
	 * takes the operand as SS-relative (README.md, host limits). */
	if (wide && (g->target & 15) && !gen_canonical(g->target) && gen_mem_ss_relative(g))
		return false;
	if (chance(g, 50)) {
		if (wide) {
			if (!gen_patch(g, 0, lo) || !gen_patch(g, 8, hi))
				return false;
		} else if (!gen_patch(g, 0, (uint32_t)lo | hi << 32)) {
			return false;
		}
	}
	if (chance(g, 30))
		prefix(g, 0xF0);
	opcode(g, (const uint8_t[]){ 0x0F, 0xC7 }, 2);
	writes(g, REG_RAX, 8);
	writes(g, REG_RDX, 8);
	g->fw = DT_ZF;
	(void)size;
	return true;
}

/* BMI1/BMI2: C4 RXB.map W.vvvv.L.pp opcode ModRM. t->ext: bit 0 map 0F3A
 * (else 0F38), bits 1-2 pp (0 none, 1 66, 2 F3, 3 F2), bits 3-4 kind (0
 * writes ModRM.reg; 1 group 17: ModRM.reg is the digit, writes vvvv; 2
 * MULX: writes both; 3 RORX: imm8, vvvv unused), bits 5-7 the digit. */
static bool emit_vex(struct gen *g, const struct tmpl *t, unsigned size)
{
	unsigned map3 = t->ext & 1, pp = (t->ext >> 1) & 3, kind = (t->ext >> 3) & 3;
	g->sse = true;   /* canonical operands only, as emit_count */
	unsigned reg = gen_pick_reg(g, size);
	if (kind == 1)
		g->modrm = (uint8_t)((t->ext >> 5) << 3);
	else
		set_reg(g, reg);
	uint64_t v = bits_value(g, size);
	if (!gen_rm_value(g, size, v))
		return false;
	unsigned vvvv = kind == 3 ? 0 : rnd(g, 16);
	if (kind != 3 && usable(g, vvvv) && chance(g, 50))   /* a count, an index or a start/length */
		pin(g, vvvv, chance(g, 50) ? rnd(g, 72) : rnd(g, 72) | (uint64_t)rnd(g, 72) << 8);
	if (kind != 1)
		writes(g, reg, size);
	if (kind == 1 || kind == 2)
		writes(g, vvvv, size);
	unsigned rex = g->rex & 7;
	g->rex = 0;
	uint8_t b1 = (uint8_t)(((~rex & 7) << 5) | (map3 ? 3 : 2));
	uint8_t b2 = (uint8_t)((size == 8 ? 0x80 : 0) | ((~vvvv & 15) << 3) | pp);
	opcode(g, (const uint8_t[]){ 0xC4, b1, b2, t->op }, 4);
	if (kind == 3)
		imm(g, 1, rnd(g, 256));
	g->fw = t->fw;
	g->fu = t->fu;
	return true;
}

#define VEX_EXT(map3, pp, kind, digit) ((map3) | (pp) << 1 | (kind) << 3 | (digit) << 5)
#define BMI_ZS (DT_ZF | DT_SF | DT_CF | DT_OF)

const struct tmpl gen_bits_templates[] = {
	{ "popcnt", WBIG, 0, emit_count, 0xB8, 0, DT_ARITH, 0 },
	{ "lzcnt", WBIG, 0, emit_count, 0xBD, 0, DT_CF | DT_ZF, DT_OF | DT_SF | DT_AF | DT_PF },
	{ "tzcnt", WBIG, 0, emit_count, 0xBC, 0, DT_CF | DT_ZF, DT_OF | DT_SF | DT_AF | DT_PF },
	{ "movbe", WBIG, 0, emit_movbe, 0, 0, 0, 0 },
	{ "cmpxchg8b", W32, 0, emit_cmpxchg8b, 8, 0, DT_ZF, 0 },
	{ "cmpxchg16b", W64, 0, emit_cmpxchg8b, 16, 0, DT_ZF, 0 },
	{ "andn", W32 | W64, 0, emit_vex, 0xF2, VEX_EXT(0, 0, 0, 0), BMI_ZS, DT_AF | DT_PF },
	{ "blsr", W32 | W64, 0, emit_vex, 0xF3, VEX_EXT(0, 0, 1, 1), BMI_ZS, DT_AF | DT_PF },
	{ "blsmsk", W32 | W64, 0, emit_vex, 0xF3, VEX_EXT(0, 0, 1, 2), BMI_ZS, DT_AF | DT_PF },
	{ "blsi", W32 | W64, 0, emit_vex, 0xF3, VEX_EXT(0, 0, 1, 3), BMI_ZS, DT_AF | DT_PF },
	{ "bzhi", W32 | W64, 0, emit_vex, 0xF5, VEX_EXT(0, 0, 0, 0), BMI_ZS, DT_AF | DT_PF },
	{ "pext", W32 | W64, 0, emit_vex, 0xF5, VEX_EXT(0, 2, 0, 0), 0, 0 },
	{ "pdep", W32 | W64, 0, emit_vex, 0xF5, VEX_EXT(0, 3, 0, 0), 0, 0 },
	{ "mulx", W32 | W64, 0, emit_vex, 0xF6, VEX_EXT(0, 3, 2, 0), 0, 0 },
	{ "bextr", W32 | W64, 0, emit_vex, 0xF7, VEX_EXT(0, 0, 0, 0), DT_ZF | DT_CF | DT_OF,
	  DT_AF | DT_SF | DT_PF },
	{ "shlx", W32 | W64, 0, emit_vex, 0xF7, VEX_EXT(0, 1, 0, 0), 0, 0 },
	{ "sarx", W32 | W64, 0, emit_vex, 0xF7, VEX_EXT(0, 2, 0, 0), 0, 0 },
	{ "shrx", W32 | W64, 0, emit_vex, 0xF7, VEX_EXT(0, 3, 0, 0), 0, 0 },
	{ "rorx", W32 | W64, 0, emit_vex, 0xF0, VEX_EXT(1, 3, 3, 0), 0, 0 },
};
const unsigned gen_bits_count = sizeof(gen_bits_templates) / sizeof(gen_bits_templates[0]);
