/*
 * Random instruction sequences from a table of templates (fixed seed, so a
 * run is reproducible from its seed and count).
 *
 * Each template emits one instruction with random operand size, registers,
 * prefixes, immediates and memory operands. Memory operands are computed
 * backwards: first an address in the sequence's slot (mostly the scratch
 * pages, sometimes a page boundary, an absent, read-only or supervisor
 * page, or a non-canonical address), then the addressing form, then the
 * base register's initial value that makes the form hit that address.
 * Registers whose initial value a template relies on (base, index, shift
 * count, string pointers, a nonzero BSF source) are "pinned"; a register
 * written by an earlier instruction of the sequence is never relied on.
 *
 * Undefined flags (README.md) are tracked along the sequence: a template
 * that reads a flag left undefined by an earlier one is not chosen, and the
 * masks recorded per instruction tell the comparison what to ignore.
 */
#include <string.h>

#include "gen_priv.h"

/* Flag groups for the condition codes 0-15 (Jcc/SETcc/CMOVcc order). */
const uint32_t gen_cc_flags[8] = {
	DT_OF, DT_CF, DT_ZF, DT_CF | DT_ZF, DT_SF, DT_PF, DT_SF | DT_OF, DT_ZF | DT_SF | DT_OF,
};

uint64_t dt_rand(struct dt_rng *r)
{
	/* splitmix64 */
	uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* Values at the edges of 8/16/32/64-bit arithmetic, or random. */
uint64_t gen_interesting(struct gen *g)
{
	static const uint64_t v[] = {
		0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000,
		0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x100000000ULL, 0x7FFFFFFFFFFFFFFFULL,
		0x8000000000000000ULL, 0xFFFFFFFFFFFFFFFFULL, 0xFFFFFFFFFFFFFFFEULL,
		0xFFFFFFFF80000000ULL, 0xFFFFFFFFFFFF8000ULL, 0xFFFFFFFFFFFFFF80ULL,
	};
	switch (rnd(g, 4)) {
	case 0:
		return v[rnd(g, sizeof(v) / sizeof(v[0]))];
	case 1:
		return dt_rand(g->r) & 0xFF;
	default:
		return dt_rand(g->r);
	}
}

static unsigned pick_size(struct gen *g, unsigned mask)
{
	unsigned sizes[4], n = 0;
	for (unsigned b = 0; b < 4; b++)
		if (mask & (1u << b))
			sizes[n++] = 1u << b;
	return sizes[rnd(g, n)];
}

/* --- Encoding ------------------------------------------------------------ */

static void begin(struct gen *g)
{
	g->npfx = 0;
	g->rex = 0;
	g->rex_forbidden = false;
	g->nop = 0;
	g->has_modrm = g->has_sib = false;
	g->dispsize = 0;
	g->riprel = false;
	g->immsize = 0;
	g->wr = 0;
	g->fw = g->fu = 0;
	g->mem_ok = true;
	g->align = 0;
	g->sse = false;
}







/* A register for an operand of `size`; avoids RSP mostly. */
unsigned gen_pick_reg(struct gen *g, unsigned size)
{
	unsigned r = rnd(g, 16);
	if (r == REG_RSP && !chance(g, 10))
		r = REG_RBX;
	(void)size;
	return r;
}

static uint64_t seg_base(uint8_t seg)
{
	return seg == 0x64 ? DT_FS_BASE : seg == 0x65 ? DT_GS_BASE : 0;
}

/* Where a memory access goes. */
static uint64_t pick_target(struct gen *g, unsigned size, bool *noncanon)
{
	unsigned slot = g->s->slot;
	uint64_t sc = DT_SCRATCH(slot);
	unsigned k = rnd(g, 100);
	*noncanon = false;
	if (g->align && (g->align > 1 || k < 85))
		return sc + 16 * rnd(g, (unsigned)(DT_SCRATCH_SIZE / 16));   /* SSE: aligned */
	if (k < 72)
		return sc + rnd(g, (unsigned)(DT_SCRATCH_SIZE - size + 1));
	if (k < 80)
		return sc + 0x1000 - 1 - rnd(g, size > 1 ? size - 1 : 1);   /* crosses pages */
	if (k < 84)
		return sc + DT_SCRATCH_SIZE - rnd(g, size + 1);             /* into the gap */
	if (k < 86)
		return sc - 1 - rnd(g, size);                               /* below */
	if (k < 89)
		return DT_RO_PAGE(slot) + rnd(g, 0x1000 - size);
	if (k < 91)
		return DT_SUPER_PAGE(slot) + rnd(g, 0x1000 - size);
	if (k < 96)
		return DT_STACK(slot) + rnd(g, 0x1000 - size);
	if (g->sse)
		return sc;   /* SSE #GP is #UD on this host's KVM (README.md) */
	*noncanon = true;
	return (rnd(g, 2) ? 0x0000800000000000ULL : 0xFFFF7FFFFFFFF000ULL) + rnd(g, 0x1000);
}

bool gen_patch(struct gen *g, uint64_t off, uint64_t v)
{
	uint64_t a = g->target + off;

	if (a < DT_SLOT(g->s->slot) || a + 8 > DT_SLOT(g->s->slot) + DT_SLOT_SIZE)
		return true;
	if (g->s->npatches >= DT_MAX_PATCHES)
		return false;
	g->s->patch[g->s->npatches].gpa = a;
	g->s->patch[g->s->npatches].value = v;
	g->s->npatches++;
	return true;
}

bool gen_rm_value(struct gen *g, unsigned size, uint64_t v)
{
	unsigned src = rnd(g, 16);

	if (usable(g, src) && chance(g, 55)) {
		set_rm_reg(g, src);
		pin(g, src, v);
		return true;
	}
	gen_rm_mem(g, size, true);
	return gen_patch(g, 0, v);
}

/* A memory operand (ModRM.rm) of `size` bytes. access=false (LEA, NOP)
 * leaves the address free. */
void gen_rm_mem(struct gen *g, unsigned size, bool access)
{
	g->has_modrm = true;
	g->modrm &= 0x38;
	bool noncanon = false;
	uint64_t target = access ? pick_target(g, size, &noncanon) : dt_rand(g->r);
	bool a32 = !noncanon && chance(g, 10);
	if (a32)
		prefix(g, 0x67);
	uint8_t seg = 0;
	if (chance(g, 12)) {
		static const uint8_t segs[] = { 0x64, 0x65, 0x64, 0x65, 0x2E, 0x36, 0x3E, 0x26 };
		seg = segs[rnd(g, sizeof(segs))];
		prefix(g, seg);
	}
	g->target = target;
	g->seg_base = seg_base(seg);
	uint64_t ea = target - seg_base(seg);
	if (a32)
		ea &= 0xFFFFFFFF;

	unsigned form = rnd(g, 10);
	if (noncanon && form < 2)
		form = 2;
	if (form == 0 || (form == 1 && !access)) {
		/* RIP-relative: the displacement is fixed once the length is known. */
		g->modrm |= 0x05;
		g->riprel = true;
		g->dispsize = 4;
		return;
	}
	if (form == 1 && ea < 0x80000000ULL) {
		/* Absolute disp32 through a SIB byte with no base and no index. */
		g->modrm |= 0x04;
		g->has_sib = true;
		g->sib = 0x25;
		g->dispsize = 4;
		g->disp = (int32_t)ea;
		return;
	}
	/* Base (maybe none), index (maybe none), scale, displacement. */
	int base = -1, index = -1;
	unsigned scale = rnd(g, 4);
	for (int tries = 0; tries < 8 && base < 0; tries++) {
		unsigned r = rnd(g, 16);
		if (usable(g, r) || (r == REG_RSP && !g->written[r]) || !access)
			base = (int)r;
	}
	if (chance(g, 40) || base < 0) {
		for (int tries = 0; tries < 8 && index < 0; tries++) {
			unsigned r = rnd(g, 16);
			if (r != REG_RSP && r != (unsigned)base && (usable(g, r) || !access))
				index = (int)r;
		}
	}
	if (base < 0 && (index < 0 || noncanon || ea >= 0x80000000ULL)) {
		g->modrm |= 0x05;   /* fall back to RIP-relative */
		g->riprel = true;
		g->dispsize = 4;
		if (noncanon) {
			g->target = DT_SCRATCH(g->s->slot);
		}
		return;
	}
	uint64_t vi = 0;
	if (index >= 0) {
		if (g->pinned[index]) {
			vi = g->s->regs[index];
		} else {
			int64_t small = (int64_t)rnd(g, 512) - 256;
			vi = (uint64_t)small;
			if (a32)
				vi = (vi & 0xFFFFFFFF) | (dt_rand(g->r) << 32);
			if (access)
				pin(g, (unsigned)index, vi);
			else
				g->s->regs[index] = vi;
		}
	}
	unsigned dk = rnd(g, 3);
	int32_t disp = dk == 0 ? 0 : dk == 1 ? (int8_t)rnd(g, 256) : (int32_t)dt_rand(g->r);
	if (base < 0) {
		/* [index * scale + disp32] */
		g->modrm |= 0x04;
		g->has_sib = true;
		g->sib = (uint8_t)((scale << 6) | ((index & 7) << 3) | 5);
		if (index & 8)
			g->rex |= 0x42;
		g->dispsize = 4;
		g->disp = (int32_t)(ea - (vi << scale));
		return;
	}
	uint64_t vb;
	if (g->pinned[base] || (base == REG_RSP && access)) {
		vb = g->s->regs[base];
		int64_t need = (int64_t)(ea - vb - (vi << scale));
		if (a32)
			need = (int32_t)(uint32_t)need;
		if (need != (int32_t)need) {
			g->modrm |= 0x05;
			g->riprel = true;
			g->dispsize = 4;
			if (noncanon)
				g->target = DT_SCRATCH(g->s->slot);
			return;
		}
		disp = (int32_t)need;
		dk = disp == 0 ? 0 : disp == (int8_t)disp ? 1 : 2;
	} else {
		vb = ea - (vi << scale) - (uint64_t)(int64_t)disp;
		if (a32)
			vb = (vb & 0xFFFFFFFF) | (dt_rand(g->r) << 32);
		if (access)
			pin(g, (unsigned)base, vb);
		else
			g->s->regs[base] = vb;
	}
	if (dk == 0 && (base & 7) == 5)
		dk = 1;   /* [rbp]/[r13] need a displacement byte */
	g->modrm |= (uint8_t)(dk == 0 ? 0x00 : dk == 1 ? 0x40 : 0x80);
	g->dispsize = dk == 0 ? 0 : dk == 1 ? 1 : 4;
	g->disp = disp;
	if (index >= 0 || (base & 7) == 4) {
		g->modrm |= 0x04;
		g->has_sib = true;
		g->sib = (uint8_t)((scale << 6) | ((index >= 0 ? index & 7 : 4) << 3) | (base & 7));
		if (index >= 8)
			g->rex |= 0x42;
	} else {
		g->modrm |= (uint8_t)(base & 7);
	}
	if (base & 8)
		g->rex |= 0x41;
}

bool gen_mem_ss_relative(const struct gen *g)
{
	for (unsigned i = 0; i < g->npfx; i++) {
		uint8_t p = g->pfx[i];
		if (p == 0x36)
			return true;
		if (p == 0x26 || p == 0x2E || p == 0x3E || p == 0x64 || p == 0x65)
			return false;
	}
	if (g->riprel || (g->modrm & 0xC0) == 0xC0)
		return false;
	unsigned base = g->has_sib ? g->sib & 7 : g->modrm & 7;
	if (base == 5 && (g->modrm & 0xC0) == 0)
		return false;   /* disp32 with no base */
	return !(g->rex & 1) && (base == REG_RSP || base == REG_RBP);
}

/* r/m operand: a register (returned) or memory (-1). */
int gen_rm(struct gen *g, unsigned size, bool mem_allowed)
{
	if (mem_allowed && g->mem_ok && chance(g, 45)) {
		gen_rm_mem(g, size, true);
		return -1;
	}
	unsigned r = gen_pick_reg(g, size);
	set_rm_reg(g, r);
	return (int)r;
}


/* Byte operands: a register 4-7 is AH..BH only without REX. */
void gen_byte_regs(struct gen *g, int reg, int rm)
{
	bool high = (reg >= 4 && reg < 8) || (rm >= 4 && rm < 8);
	if (!high)
		return;
	if (g->rex & 0x0F)
		return;            /* REX present anyway: SPL..DIL */
	if (chance(g, 50))
		g->rex |= 0x40;    /* bare REX: SPL..DIL */
	else
		g->rex_forbidden = true;
}

/* Emits the instruction; false if it does not fit. */
static bool finish(struct gen *g)
{
	struct dt_seq *s = g->s;
	uint8_t buf[16];
	unsigned n = 0;
	/* Legacy prefixes in random order. */
	for (unsigned i = g->npfx; i > 1; i--) {
		unsigned j = rnd(g, i);
		uint8_t t = g->pfx[i - 1];
		g->pfx[i - 1] = g->pfx[j];
		g->pfx[j] = t;
	}
	memcpy(buf, g->pfx, g->npfx);
	n = g->npfx;
	if (g->rex && !g->rex_forbidden)
		buf[n++] = g->rex | 0x40;
	memcpy(buf + n, g->op, g->nop);
	n += g->nop;
	if (g->has_modrm)
		buf[n++] = g->modrm;
	if (g->has_sib)
		buf[n++] = g->sib;
	unsigned disp_at = n;
	n += g->dispsize;
	memcpy(buf + n, &g->imm, g->immsize);
	n += g->immsize;
	if (g->dispsize == 1) {
		buf[disp_at] = (uint8_t)g->disp;
	} else if (g->dispsize == 4) {
		int32_t d = g->disp;
		if (g->riprel)   /* FS/GS bases apply to RIP-relative operands too */
			d = (int32_t)(g->target - g->seg_base - (DT_SEQ_CODE(s->slot) + s->len + n));
		memcpy(buf + disp_at, &d, 4);
	}
	if (n > 15 || s->len + n > DT_MAX_CODE || s->ninsns >= DT_MAX_INSNS)
		return false;
	s->off[s->ninsns] = (uint8_t)s->len;
	s->undef_flags[s->ninsns] = g->undef;
	s->ninsns++;
	memcpy(s->code + s->len, buf, n);
	s->len += n;
	for (unsigned r = 0; r < REG_COUNT; r++)
		if (g->wr & (1u << r))
			g->written[r] = true;
	g->undef = (g->undef & ~g->fw) | g->fu;
	return true;
}

unsigned dt_gen_ntemplates(void)
{
	return gen_int_count + gen_sse_count + gen_bits_count + gen_x87_count + gen_xsave_count;
}

static const struct tmpl *template_at(unsigned i)
{
	if (i < gen_int_count)
		return &gen_int_templates[i];
	i -= gen_int_count;
	if (i < gen_sse_count)
		return &gen_sse_templates[i];
	i -= gen_sse_count;
	if (i < gen_bits_count)
		return &gen_bits_templates[i];
	i -= gen_bits_count;
	return i < gen_x87_count ? &gen_x87_templates[i] : &gen_xsave_templates[i - gen_x87_count];
}

const char *dt_gen_template_name(unsigned i)
{
	return i < dt_gen_ntemplates() ? template_at(i)->name : NULL;
}

void dt_gen_seq(struct dt_rng *r, struct dt_seq *s)
{
	struct gen g;
	memset(&g, 0, sizeof(g));
	g.r = r;
	g.s = s;
	unsigned slot = s->slot;
	dt_seq_init(s, slot, slot);
	gen_sse_init(&g);
	gen_x87_init(&g);
	g.pinned[REG_RSP] = true;
	s->rflags = 0x202 | (dt_rand(r) & DT_ARITH) | (chance(&g, 25) ? 0x400 : 0);
	unsigned want = 1 + rnd(&g, 4);
	char *name = s->name;
	size_t left = sizeof(s->name);
	for (unsigned tries = 0; s->ninsns < want && tries < 40; tries++) {
		const struct tmpl *t = template_at(rnd(&g, dt_gen_ntemplates()));
		if (t->fr & g.undef)
			continue;
		/* Snapshot to undo a template that gives up half way. */
		struct dt_seq keep = *s;
		bool written[REG_COUNT], pinned[REG_COUNT];
		memcpy(written, g.written, sizeof(written));
		memcpy(pinned, g.pinned, sizeof(pinned));
		uint32_t undef = g.undef;
		begin(&g);
		if (!t->emit(&g, t, pick_size(&g, t->sizes)) || !finish(&g)) {
			*s = keep;
			memcpy(g.written, written, sizeof(written));
			memcpy(g.pinned, pinned, sizeof(pinned));
			g.undef = undef;
			continue;
		}
		int w = snprintf(name, left, "%s%s", name == s->name ? "" : " ", t->name);
		if (w > 0 && (size_t)w < left) {
			name += w;
			left -= (size_t)w;
		}
	}
	s->undef_flags[s->ninsns] = g.undef;
	s->off[s->ninsns] = (uint8_t)s->len;
	for (unsigned i = 0; i < REG_COUNT; i++)
		if (!g.pinned[i])
			s->regs[i] = gen_interesting(&g);
}
