/*
 * Random XSAVE and XRSTOR (with and without REX.W) for the difftest.
 *
 * This host runs the guest's CPL3 code under its own XCR0 (0xE7: x87,
 * SSE, AVX and the AVX-512 components) whatever the guest set, so the
 * requested-feature masks in EDX:EAX never name bit 2 or 5-7 (components
 * the emulator does not have), and XGETBV, which reads the host's XCR0, is
 * a hand-picked case only in tests/unit. XSAVE never saves SSE state here:
 * it writes MXCSR_MASK, which is this AMD CPU's own (0x2FFFF). It saves x87
 * state only as a sequence's first instruction: this CPU stores FOP, FIP
 * and FDP only while an exception is pending (tests/diff/README.md), the
 * emulator always, and they start at 0.
 */
#include "gen_priv.h"

#define XAREA 576

/* EDX:EAX with only the bits both XCR0s agree on: 0 and 1 (where wanted),
 * 3, 4 and everything from 8 up (in neither). */
static void pin_mask(struct gen *g, uint64_t low_bits)
{
	static const uint32_t common[] = { 0, 1, 2, 3, 0xFFFFFFFF, 0x18 };
	uint32_t eax = chance(g, 60) ? common[rnd(g, 6)] : (uint32_t)dt_rand(g->r);
	eax = (eax & ~0xFFu) | (eax & 0x18) | (eax & (uint32_t)low_bits);
	uint32_t edx = chance(g, 50) ? 0 : (uint32_t)dt_rand(g->r);
	pin(g, REG_RAX, eax);
	pin(g, REG_RDX, edx);
}

static bool emit_xsave(struct gen *g, const struct tmpl *t, unsigned size)
{
	bool restore = t->ext == 5;
	if (!usable(g, REG_RAX) || !usable(g, REG_RDX))
		return false;
	pin_mask(g, restore ? 3 : g->s->ninsns == 0 ? 1 : 0);
	uint64_t target = DT_SCRATCH(g->s->slot) +
			  64 * rnd(g, (unsigned)((DT_SCRATCH_SIZE - XAREA) / 64 + 1));
	if (chance(g, 8))
		target += 8 * (1 + rnd(g, 7));   /* misaligned: #GP(0) */
	g->target = target;
	g->has_modrm = true;
	g->modrm = (uint8_t)(t->ext << 3 | 4);   /* [disp32] through a SIB byte */
	g->has_sib = true;
	g->sib = 0x25;
	g->dispsize = 4;
	g->disp = (int32_t)target;
	if (chance(g, 50))
		g->rex |= 0x48;
	opcode(g, (const uint8_t[]){ 0x0F, 0xAE }, 2);
	if (!restore)
		return true;
	/* A header XRSTOR takes: XSTATE_BV within both XCR0s, XCOMP_BV and
	 * bytes 16-23 zero (bytes 24-63 keep the random pattern: not checked),
	 * and a loadable MXCSR; now and then one of them wrong (#GP). */
	uint64_t bv = rnd(g, 4), xcomp = 0, rsvd = 0;
	uint64_t mxcsr = dt_rand(g->r) & 0xFFFF;
	if (chance(g, 50))
		mxcsr = (mxcsr & 0xE040) | 0x1F80;              /* all masked, no flags */
	switch (rnd(g, 24)) {
	case 0: bv |= 8u << rnd(g, 2); break;               /* bit 3 or 4 */
	case 1: xcomp = 1ULL << rnd(g, 64); break;
	case 2: rsvd = 1ULL << rnd(g, 64); break;
	case 3: mxcsr |= 1u << (18 + rnd(g, 14)); break;    /* not bit 17 (AMD's MM) */
	}
	return gen_patch(g, 512, bv) && gen_patch(g, 520, xcomp) && gen_patch(g, 528, rsvd) &&
	       gen_patch(g, 24, mxcsr | dt_rand(g->r) << 32);
}

const struct tmpl gen_xsave_templates[] = {
	{ "xsave", W32, 0, emit_xsave, 0, 4, 0, 0 },
	{ "xrstor", W32, 0, emit_xsave, 0, 5, 0, 0 },
};
const unsigned gen_xsave_count = sizeof(gen_xsave_templates) / sizeof(gen_xsave_templates[0]);
