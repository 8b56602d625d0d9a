/*
 * Internal interface of the random sequence generator (gen.c, the
 * integer templates in gen_int.c, the SSE templates in gen_sse.c, the
 * bit-manipulation templates in gen_bits.c, the x87 and MMX ones in
 * gen_x87.c).
 */
#ifndef NYX_TESTS_DIFF_GEN_PRIV_H
#define NYX_TESTS_DIFF_GEN_PRIV_H

#include <string.h>

#include "difftest.h"

enum { W8 = 1, W16 = 2, W32 = 4, W64 = 8, WALL = 15, WBIG = 14 };

/* Flag groups for the condition codes 0-15 (Jcc/SETcc/CMOVcc order), by cc/2. */
extern const uint32_t gen_cc_flags[8];

struct gen {
	struct dt_rng *r;
	struct dt_seq *s;
	bool written[REG_COUNT];      /* by an earlier instruction: value unknown */
	bool pinned[REG_COUNT];       /* initial value fixed by a constraint */
	uint32_t undef;               /* flags undefined now */
	/* The instruction being built. */
	uint8_t pfx[8];
	unsigned npfx;
	uint8_t rex;                  /* REX bits W R X B; 0x40 set when present */
	bool rex_forbidden;           /* a byte operand names AH..BH */
	uint8_t op[4];                /* up to C4 xx xx opcode (VEX) */
	unsigned nop;
	bool has_modrm, has_sib;
	uint8_t modrm, sib;
	unsigned dispsize;
	int32_t disp;
	bool riprel;
	uint64_t target;              /* linear address of the memory operand */
	uint64_t seg_base;            /* of its segment prefix (FS/GS), else 0 */
	unsigned immsize;
	uint64_t imm;
	uint16_t wr;                  /* registers this instruction writes */
	uint32_t fw, fu;              /* flags it defines / leaves undefined */
	bool mem_ok;                  /* false: a register operand was forced */
	uint8_t align;                /* memory operand 16-byte aligned: 1 mostly, 2 always */
	bool sse;                     /* no non-canonical memory operand */
};

/* --- Templates ------------------------------------------------------------ */

struct tmpl {
	const char *name;
	uint8_t sizes;
	uint32_t fr;                  /* flags read: must be defined */
	bool (*emit)(struct gen *g, const struct tmpl *t, unsigned size);
	uint8_t op, ext;              /* opcode byte / ModRM.reg extension */
	uint32_t fw, fu;
};


extern const struct tmpl gen_int_templates[];
extern const unsigned gen_int_count;
extern const struct tmpl gen_sse_templates[];
extern const unsigned gen_sse_count;
extern const struct tmpl gen_bits_templates[];
extern const unsigned gen_bits_count;
extern const struct tmpl gen_x87_templates[];
extern const unsigned gen_x87_count;
extern const struct tmpl gen_xsave_templates[];
extern const unsigned gen_xsave_count;

uint64_t gen_interesting(struct gen *g);
unsigned gen_pick_reg(struct gen *g, unsigned size);
/* Memory operand of `size` bytes in ModRM.rm; access=false leaves the
 * address free (LEA, NOP); align: a 16-byte aligned address mostly. */
void gen_rm_mem(struct gen *g, unsigned size, bool access);
/* Makes the sequence start with `v` at the memory operand's target plus
 * `off`, when that lies in the slot (outside it, the page holds what it
 * holds); false when the slot has no patch left. */
bool gen_patch(struct gen *g, uint64_t off, uint64_t v);
/* A source r/m operand of `size` bytes holding `v`: a register pinned to
 * it or, as often, memory patched with it; false when out of patches. */
bool gen_rm_value(struct gen *g, unsigned size, uint64_t v);
/* Whether the memory operand just built counts as SS-relative to an
 * emulator that honours every segment prefix (an SS prefix, or none and an
 * RSP or RBP base), as this host's instruction emulator does. */
bool gen_mem_ss_relative(const struct gen *g);

static inline bool gen_canonical(uint64_t a)
{
	return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

/* r/m operand: a register (returned) or memory (-1). */
int gen_rm(struct gen *g, unsigned size, bool mem_allowed);
void gen_byte_regs(struct gen *g, int reg, int rm);
/* Initial XMM registers and MXCSR (gen_sse.c). */
void gen_sse_init(struct gen *g);
/* Initial x87 state (gen_x87.c). */
void gen_x87_init(struct gen *g);

static inline void prefix(struct gen *g, uint8_t p)
{
	if (g->npfx < sizeof(g->pfx))
		g->pfx[g->npfx++] = p;
}

/* Operand-size prefixes for a non-byte size: 66 or REX.W. */
static inline void opsize(struct gen *g, unsigned size)
{
	if (size == 2)
		prefix(g, 0x66);
	if (size == 8)
		g->rex |= 0x48;
}

static inline void opcode(struct gen *g, const uint8_t *op, unsigned n)
{
	memcpy(g->op, op, n);
	g->nop = n;
}

/* A general register operand in ModRM.reg; byte registers 4-7 mean AH..BH
 * without REX and SPL..DIL with it. */
static inline void set_reg(struct gen *g, unsigned reg)
{
	g->has_modrm = true;
	g->modrm = (uint8_t)((g->modrm & 0xC7) | ((reg & 7) << 3));
	if (reg & 8)
		g->rex |= 0x44;
}

static inline void set_rm_reg(struct gen *g, unsigned reg)
{
	g->has_modrm = true;
	g->modrm = (uint8_t)((g->modrm & 0x38) | 0xC0 | (reg & 7));
	if (reg & 8)
		g->rex |= 0x41;
}

/* Marks a register written with the given operand size (a byte write to
 * 4-7 without REX writes AH..BH, that is registers 0-3). */
static inline void writes(struct gen *g, unsigned reg, unsigned size)
{
	g->wr |= (uint16_t)(1u << reg);
	if (size == 1 && reg >= 4 && reg < 8)
		g->wr |= (uint16_t)(1u << (reg - 4));
}

static inline void imm(struct gen *g, unsigned size, uint64_t v)
{
	g->immsize = size;
	g->imm = v;
}

static inline unsigned rnd(struct gen *g, unsigned n)
{
	return (unsigned)(dt_rand(g->r) % n);
}

static inline bool chance(struct gen *g, unsigned pct)
{
	return rnd(g, 100) < pct;
}

/* Fixes a register's initial value: the template relies on it. */
static inline void pin(struct gen *g, unsigned r, uint64_t v)
{
	g->pinned[r] = true;
	g->s->regs[r] = v;
}

/* Neither written by an earlier instruction nor pinned already. */
static inline bool usable(struct gen *g, unsigned r)
{
	return !g->written[r] && !g->pinned[r];
}

#endif
