/*
 * Integer instruction templates of the random generator: each emits one
 * instruction (gen_priv.h) and says which flags it defines or leaves
 * undefined (README.md).
 */
#include "gen_priv.h"

/* ALU op r/m, reg / reg, r/m / r/m, imm (ADD OR ADC SBB AND SUB XOR CMP). */
static bool emit_alu(struct gen *g, const struct tmpl *t, unsigned size)
{
	unsigned k = t->ext;   /* 0..7 */
	bool cmp = k == 7;
	unsigned form = rnd(g, 5);
	opsize(g, size);
	int reg = -1, rm;
	uint8_t op;
	if (form == 4) {   /* op AL/AX/EAX/RAX, imm (04/05 .. 3C/3D) */
		op = (uint8_t)(k * 8 + 4 + (size > 1));
		opcode(g, &op, 1);
		imm(g, size == 1 ? 1 : size == 2 ? 2 : 4, gen_interesting(g));
		if (!cmp)
			writes(g, REG_RAX, size);
		g->fw = t->fw;
		g->fu = t->fu;
		return true;
	}
	if (form == 0 || form == 1) {
		op = (uint8_t)(k * 8 + (form == 0 ? 0 : 2) + (size > 1));
		reg = (int)gen_pick_reg(g, size);
		set_reg(g, (unsigned)reg);
		rm = gen_rm(g, size, true);
		if (!cmp) {
			if (form == 0 && rm >= 0)
				writes(g, (unsigned)rm, size);
			if (form == 1)
				writes(g, (unsigned)reg, size);
		}
		if (form == 0 && rm < 0 && !cmp && chance(g, 20))
			prefix(g, 0xF0);   /* LOCK on a memory destination */
	} else {
		op = size == 1 ? 0x80 : form == 2 ? 0x83 : 0x81;
		g->modrm = (uint8_t)(k << 3);
		rm = gen_rm(g, size, true);
		if (!cmp && rm >= 0)
			writes(g, (unsigned)rm, size);
		if (rm < 0 && !cmp && chance(g, 20))
			prefix(g, 0xF0);
		if (op == 0x81)
			imm(g, size == 2 ? 2 : 4, gen_interesting(g));
		else
			imm(g, 1, gen_interesting(g));
	}
	if (size == 1)
		gen_byte_regs(g, reg, rm);
	opcode(g, &op, 1);
	g->fw = t->fw;
	g->fu = t->fu;
	return true;
}

/* TEST r/m, reg and TEST r/m, imm. */
static bool emit_test(struct gen *g, const struct tmpl *t, unsigned size)
{
	opsize(g, size);
	int reg = -1, rm;
	uint8_t op;
	if (chance(g, 20)) {   /* TEST AL/AX/EAX/RAX, imm (A8/A9) */
		op = size == 1 ? 0xA8 : 0xA9;
		opcode(g, &op, 1);
		imm(g, size == 1 ? 1 : size == 2 ? 2 : 4, gen_interesting(g));
		g->fw = t->fw;
		g->fu = t->fu;
		return true;
	}
	if (chance(g, 50)) {
		op = size == 1 ? 0x84 : 0x85;
		reg = (int)gen_pick_reg(g, size);
		set_reg(g, (unsigned)reg);
		rm = gen_rm(g, size, true);
	} else {
		op = size == 1 ? 0xF6 : 0xF7;
		g->modrm = 0;
		rm = gen_rm(g, size, true);
		imm(g, size == 1 ? 1 : size == 2 ? 2 : 4, gen_interesting(g));
	}
	if (size == 1)
		gen_byte_regs(g, reg, rm);
	opcode(g, &op, 1);
	g->fw = t->fw;
	g->fu = t->fu;
	return true;
}

/* Group 3/4/5 unary r/m: NOT NEG (F6/F7), INC DEC (FE/FF). */
static bool emit_unary(struct gen *g, const struct tmpl *t, unsigned size)
{
	opsize(g, size);
	uint8_t op = (uint8_t)(t->op + (size > 1));
	g->modrm = (uint8_t)(t->ext << 3);
	int rm = gen_rm(g, size, true);
	if (rm >= 0)
		writes(g, (unsigned)rm, size);
	else if (chance(g, 20))
		prefix(g, 0xF0);
	if (size == 1)
		gen_byte_regs(g, -1, rm);
	opcode(g, &op, 1);
	g->fw = t->fw;
	g->fu = t->fu;
	return true;
}

/* MUL/IMUL/DIV/IDIV r/m: implicit RAX (and RDX). */
static bool emit_muldiv(struct gen *g, const struct tmpl *t, unsigned size)
{
	opsize(g, size);
	uint8_t op = size == 1 ? 0xF6 : 0xF7;
	g->modrm = (uint8_t)(t->ext << 3);
	int rm = gen_rm(g, size, true);
	if (size == 1)
		gen_byte_regs(g, -1, rm);
	writes(g, REG_RAX, 8);
	if (size > 1)
		writes(g, REG_RDX, 8);
	opcode(g, &op, 1);
	g->fw = t->fw;
	g->fu = t->fu;
	return true;
}

/* IMUL reg, r/m (0F AF) and IMUL reg, r/m, imm (69/6B). */
static bool emit_imul(struct gen *g, const struct tmpl *t, unsigned size)
{
	opsize(g, size);
	unsigned reg = gen_pick_reg(g, size);
	set_reg(g, reg);
	unsigned form = rnd(g, 3);
	gen_rm(g, size, true);
	if (form == 0) {
		opcode(g, (const uint8_t[]){ 0x0F, 0xAF }, 2);
	} else if (form == 1) {
		opcode(g, (const uint8_t[]){ 0x6B }, 1);
		imm(g, 1, gen_interesting(g));
	} else {
		opcode(g, (const uint8_t[]){ 0x69 }, 1);
		imm(g, size == 2 ? 2 : 4, gen_interesting(g));
	}
	writes(g, reg, size);
	g->fw = t->fw;
	g->fu = t->fu;
	return true;
}

/* Shift and rotate counts worth testing. */
static unsigned pick_count(struct gen *g)
{
	static const uint8_t c[] = { 0, 1, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 255 };
	return chance(g, 70) ? c[rnd(g, sizeof(c))] : rnd(g, 256);
}

/* Flags of a shift/rotate group-2 op (ext 0-7) with a known count. */
static void shift_flags(struct gen *g, unsigned ext, unsigned size, unsigned count)
{
	unsigned masked = count & (size == 8 ? 63 : 31);
	g->fw = g->fu = 0;
	if (!masked)
		return;
	uint32_t of = masked == 1 ? 0 : DT_OF;     /* OF: 1-bit shifts only */
	if (ext < 4) {                             /* ROL ROR RCL RCR */
		g->fw = DT_CF | (DT_OF & ~of);
		g->fu = of;
		return;
	}
	g->fw = DT_CF | DT_SF | DT_ZF | DT_PF | (DT_OF & ~of);
	g->fu = DT_AF | of;
	/* SHL/SHR: CF undefined when the count is at least the width. */
	if ((ext == 4 || ext == 5 || ext == 6) && masked >= size * 8) {
		g->fw &= ~DT_CF;
		g->fu |= DT_CF;
	}
}

static bool emit_shift(struct gen *g, const struct tmpl *t, unsigned size)
{
	unsigned form = rnd(g, 3), count;
	if (form == 2 && !usable(g, REG_RCX))
		form = 1;
	opsize(g, size);
	uint8_t op;
	g->modrm = (uint8_t)(t->ext << 3);
	int rm = gen_rm(g, size, true);
	if (form == 0) {
		op = size == 1 ? 0xD0 : 0xD1;
		count = 1;
	} else if (form == 1) {
		op = size == 1 ? 0xC0 : 0xC1;
		count = pick_count(g);
		imm(g, 1, count);
	} else {
		op = size == 1 ? 0xD2 : 0xD3;
		count = pick_count(g);
		pin(g, REG_RCX, (dt_rand(g->r) & ~0xFFULL) | count);
	}
	if (rm >= 0)
		writes(g, (unsigned)rm, size);
	if (size == 1)
		gen_byte_regs(g, -1, rm);
	opcode(g, &op, 1);
	shift_flags(g, t->ext, size, count);
	return true;
}

/* SHLD/SHRD r/m, reg, imm8|CL. 16-bit counts above 16 leave the result
 * undefined: not generated. */
static bool emit_shxd(struct gen *g, const struct tmpl *t, unsigned size)
{
	bool cl = usable(g, REG_RCX) && chance(g, 50);
	unsigned count = pick_count(g);
	if (size == 2 && (count & 31) > 16)
		count = rnd(g, 17);
	opsize(g, size);
	unsigned reg = gen_pick_reg(g, size);
	set_reg(g, reg);
	int rm = gen_rm(g, size, true);
	uint8_t op[2] = { 0x0F, (uint8_t)(t->op + (cl ? 1 : 0)) };
	opcode(g, op, 2);
	if (cl)
		pin(g, REG_RCX, (dt_rand(g->r) & ~0xFFULL) | count);
	else
		imm(g, 1, count);
	if (rm >= 0)
		writes(g, (unsigned)rm, size);
	unsigned masked = count & (size == 8 ? 63 : 31);
	g->fw = g->fu = 0;
	if (masked) {
		g->fw = DT_CF | DT_SF | DT_ZF | DT_PF | (masked == 1 ? DT_OF : 0);
		g->fu = DT_AF | (masked == 1 ? 0 : DT_OF);
	}
	return true;
}

/* BT/BTS/BTR/BTC r/m, reg and r/m, imm8. A register bit offset with a
 * memory operand addresses up to 2^63 bits away: kept small. */
static bool emit_bt(struct gen *g, const struct tmpl *t, unsigned size)
{
	opsize(g, size);
	int rm;
	if (chance(g, 50)) {
		unsigned reg = gen_pick_reg(g, size);
		set_reg(g, reg);
		if (usable(g, reg) && g->mem_ok && chance(g, 45)) {
			/* A memory operand with a register bit offset in -256..255,
			 * pinned first so that the address's base or index is
			 * another register. From a non-canonical target just below
			 * the upper half the offset goes down: up, it would reach
			 * 0xFFFF800000000000, where this host's #PF error code is
			 * not reproducible (README.md, host limits). */
			int64_t bits = (int64_t)rnd(g, 512) - 256;
			pin(g, reg, 0);
			gen_rm_mem(g, size, true);
			if (bits > 0 && g->target >= 0xFFFF7FFFFFFFF000ULL &&
			    g->target < 0xFFFF800000000000ULL)
				bits = -bits;
			g->s->regs[reg] = (uint64_t)bits;
			if (size == 2)
				g->s->regs[reg] = (uint64_t)(int64_t)(int16_t)bits | (dt_rand(g->r) << 16);
			rm = -1;
		} else {
			rm = (int)gen_pick_reg(g, size);
			set_rm_reg(g, (unsigned)rm);
		}
		opcode(g, (const uint8_t[]){ 0x0F, t->op }, 2);
	} else {
		g->modrm = (uint8_t)(t->ext << 3);
		rm = gen_rm(g, size, true);
		opcode(g, (const uint8_t[]){ 0x0F, 0xBA }, 2);
		imm(g, 1, rnd(g, 256));
	}
	if (rm >= 0 && t->op != 0xA3)
		writes(g, (unsigned)rm, size);
	if (rm < 0 && t->op != 0xA3 && chance(g, 20))
		prefix(g, 0xF0);
	g->fw = t->fw;
	g->fu = t->fu;
	return true;
}

/* BSF/BSR reg, r/m with a nonzero source (zero leaves the destination
 * undefined). */
static bool emit_bsx(struct gen *g, const struct tmpl *t, unsigned size)
{
	opsize(g, size);
	unsigned reg = gen_pick_reg(g, size);
	set_reg(g, reg);
	uint64_t v = gen_interesting(g) | (1ULL << rnd(g, size * 8));
	if (!gen_rm_value(g, size, v))
		return false;
	opcode(g, (const uint8_t[]){ 0x0F, t->op }, 2);
	writes(g, reg, size);
	g->fw = t->fw;
	g->fu = t->fu;
	return true;
}

static bool emit_bswap(struct gen *g, const struct tmpl *t, unsigned size)
{
	opsize(g, size);
	unsigned r = rnd(g, 16);
	if (r & 8)
		g->rex |= 0x41;
	opcode(g, (const uint8_t[]){ 0x0F, (uint8_t)(0xC8 + (r & 7)) }, 2);
	writes(g, r, size);
	return true;
}

/* SETcc r/m8 and CMOVcc reg, r/m. */
static bool emit_cc(struct gen *g, const struct tmpl *t, unsigned size)
{
	unsigned cc = rnd(g, 16);
	if (gen_cc_flags[cc >> 1] & g->undef)
		return false;
	int reg = -1, rm;
	if (t->op == 0x90) {
		g->modrm = 0;
		rm = gen_rm(g, 1, true);
		if (rm >= 0)
			writes(g, (unsigned)rm, 1);
		gen_byte_regs(g, -1, rm);
	} else {
		opsize(g, size);
		reg = (int)gen_pick_reg(g, size);
		set_reg(g, (unsigned)reg);
		rm = gen_rm(g, size, true);
		writes(g, (unsigned)reg, size);
	}
	opcode(g, (const uint8_t[]){ 0x0F, (uint8_t)(t->op + cc) }, 2);
	return true;
}

/* MOV in its forms: r/m<->reg, r/m imm, reg imm (B0/B8, imm64 with REX.W). */
static bool emit_mov(struct gen *g, const struct tmpl *t, unsigned size)
{
	opsize(g, size);
	unsigned form = rnd(g, 4);
	int reg = -1, rm = -1;
	uint8_t op;
	if (form < 2) {
		op = (uint8_t)((form == 0 ? 0x88 : 0x8A) + (size > 1));
		reg = (int)gen_pick_reg(g, size);
		set_reg(g, (unsigned)reg);
		rm = gen_rm(g, size, true);
		if (form == 0 && rm >= 0)
			writes(g, (unsigned)rm, size);
		if (form == 1)
			writes(g, (unsigned)reg, size);
	} else if (form == 2) {
		op = size == 1 ? 0xC6 : 0xC7;
		g->modrm = 0;
		rm = gen_rm(g, size, true);
		if (rm >= 0)
			writes(g, (unsigned)rm, size);
		imm(g, size == 1 ? 1 : size == 2 ? 2 : 4, gen_interesting(g));
	} else {
		unsigned r = rnd(g, 16);
		op = (uint8_t)((size == 1 ? 0xB0 : 0xB8) + (r & 7));
		if (r & 8)
			g->rex |= 0x41;
		imm(g, size, gen_interesting(g));
		writes(g, r, size);
		if (size == 1)
			gen_byte_regs(g, (int)r, -1);
	}
	if (size == 1 && form < 3)
		gen_byte_regs(g, reg, rm);
	opcode(g, &op, 1);
	return true;
}

/* MOVZX/MOVSX reg, r/m8|16 and MOVSXD reg, r/m32. */
static bool emit_movx(struct gen *g, const struct tmpl *t, unsigned size)
{
	unsigned srcsize = t->op == 0x63 ? 4 : (t->op & 1) ? 2 : 1;
	if (srcsize >= size && t->op != 0x63)
		size = 4;
	opsize(g, size);
	unsigned reg = gen_pick_reg(g, size);
	set_reg(g, reg);
	int rm = gen_rm(g, srcsize, true);
	if (t->op == 0x63)
		opcode(g, &t->op, 1);
	else
		opcode(g, (const uint8_t[]){ 0x0F, t->op }, 2);
	if (srcsize == 1)
		gen_byte_regs(g, -1, rm);   /* the destination is never a byte register */
	writes(g, reg, size);
	return true;
}

static bool emit_lea(struct gen *g, const struct tmpl *t, unsigned size)
{
	opsize(g, size);
	unsigned reg = gen_pick_reg(g, size);
	set_reg(g, reg);
	gen_rm_mem(g, size, false);
	opcode(g, (const uint8_t[]){ 0x8D }, 1);
	writes(g, reg, size);
	return true;
}

/* XCHG r/m, reg (memory form is locked implicitly) and XCHG rAX, reg. */
/* MOV load, MOV store or ADD to memory through a chosen segment prefix
 * (none, ES, CS, SS, DS, FS, GS) and base (RBP; RSP with an index holding
 * the offset; R13, R12 or another register), at a scratch address, a
 * non-canonical one (#SS or #GP: case_code.S "segpfx" has the rules), or
 * one whose offset is non-canonical while base + offset is not. */
static bool emit_segmem(struct gen *g, const struct tmpl *t, unsigned size)
{
	static const uint8_t pfx[] = { 0, 0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65 };
	static const uint8_t bases[] = { REG_RBP, REG_RSP, REG_R13, REG_R12, REG_RBX, REG_R9 };
	uint8_t p = pfx[rnd(g, sizeof(pfx))];
	unsigned base = bases[rnd(g, sizeof(bases))];
	uint64_t sbase = p == 0x64 ? DT_FS_BASE : p == 0x65 ? DT_GS_BASE : 0;
	unsigned k = rnd(g, 8);
	uint64_t target;
	if (k < 3)
		target = DT_SCRATCH(g->s->slot) + rnd(g, (unsigned)(DT_SCRATCH_SIZE - size + 1));
	else if (k < 7)
		target = (rnd(g, 2) ? 0x0000800000000000ULL : 0xFFFF7FFFFFFFF000ULL) + rnd(g, 0x1000);
	else   /* canonical and absent (not the upper half's start: README.md) */
		target = 0x00007FFFFFFFF000ULL + rnd(g, 0x1000 - size + 1);
	uint64_t ea = target - sbase;
	int32_t disp = (int8_t)rnd(g, 256);

	opsize(g, size);
	unsigned form = rnd(g, 3);
	unsigned reg = gen_pick_reg(g, size);
	set_reg(g, reg);
	if (base == REG_RSP) {
		if (g->written[REG_RSP])
			return false;
		unsigned index = rnd(g, 16);
		if (index == REG_RSP || !usable(g, index))
			return false;
		pin(g, index, ea - g->s->regs[REG_RSP] - (uint64_t)(int64_t)disp);
		g->has_sib = true;
		g->sib = (uint8_t)(((index & 7) << 3) | REG_RSP);
		if (index & 8)
			g->rex |= 0x42;
	} else {
		if (!usable(g, base))
			return false;
		pin(g, base, ea - (uint64_t)(int64_t)disp);
		if ((base & 7) == REG_RSP) {   /* R12: SIB with no index */
			g->has_sib = true;
			g->sib = 0x24;
		}
		if (base & 8)
			g->rex |= 0x41;
	}
	g->modrm = (uint8_t)((g->modrm & 0x38) | 0x40 | (g->has_sib ? 4 : (base & 7)));
	g->dispsize = 1;
	g->disp = disp;
	if (p)
		prefix(g, p);
	uint8_t op = (uint8_t)((form == 0 ? 0x8A : form == 1 ? 0x88 : 0x00) + (size > 1));
	opcode(g, &op, 1);
	if (form == 0)
		writes(g, reg, size);
	if (size == 1)
		gen_byte_regs(g, (int)reg, -1);
	g->fw = form == 2 ? t->fw : 0;
	return true;
}

static bool emit_xchg(struct gen *g, const struct tmpl *t, unsigned size)
{
	opsize(g, size);
	if (size > 1 && chance(g, 25)) {
		unsigned r = rnd(g, 16);
		if (r & 8)
			g->rex |= 0x41;
		opcode(g, (const uint8_t[]){ (uint8_t)(0x90 + (r & 7)) }, 1);
		if (r == 0 && size != 4 && !(g->rex & 1))
			return true;   /* NOP */
		writes(g, r, size);
		writes(g, REG_RAX, size);
		return true;
	}
	unsigned reg = gen_pick_reg(g, size);
	set_reg(g, reg);
	int rm = gen_rm(g, size, true);
	opcode(g, (const uint8_t[]){ (uint8_t)(0x86 + (size > 1)) }, 1);
	writes(g, reg, size);
	if (rm >= 0)
		writes(g, (unsigned)rm, size);
	if (size == 1)
		gen_byte_regs(g, (int)reg, rm);
	return true;
}

/* XADD r/m, reg and CMPXCHG r/m, reg (implicit RAX). */
static bool emit_xadd(struct gen *g, const struct tmpl *t, unsigned size)
{
	opsize(g, size);
	unsigned reg = gen_pick_reg(g, size);
	set_reg(g, reg);
	int rm = gen_rm(g, size, true);
	opcode(g, (const uint8_t[]){ 0x0F, (uint8_t)(t->op + (size > 1)) }, 2);
	if (rm < 0 && chance(g, 30))
		prefix(g, 0xF0);
	if (t->op == 0xC0)
		writes(g, reg, size);
	else
		writes(g, REG_RAX, size);
	if (rm >= 0)
		writes(g, (unsigned)rm, size);
	if (size == 1)
		gen_byte_regs(g, (int)reg, rm);
	g->fw = t->fw;
	return true;
}

/* NOP: 0F 1F /0 with a register or a memory operand it never accesses
 * (any address), 90 and PAUSE (F3 90). */
static bool emit_nop(struct gen *g, const struct tmpl *t, unsigned size)
{
	unsigned form = rnd(g, 4);
	if (form == 0) {
		opcode(g, (const uint8_t[]){ 0x90 }, 1);
		return true;
	}
	if (form == 1) {
		prefix(g, 0xF3);
		opcode(g, (const uint8_t[]){ 0x90 }, 1);
		return true;
	}
	opsize(g, size);
	g->modrm = 0;
	if (form == 2)
		set_rm_reg(g, rnd(g, 16));
	else
		gen_rm_mem(g, size, false);
	opcode(g, (const uint8_t[]){ 0x0F, 0x1F }, 2);
	return true;
}

/* One-byte instructions without operands: CLC STC CMC CLD STD LAHF SAHF
 * CBW/CWDE/CDQE CWD/CDQ/CQO. */
static bool emit_plain(struct gen *g, const struct tmpl *t, unsigned size)
{
	if (t->op == 0x98 || t->op == 0x99) {
		opsize(g, size);
		writes(g, REG_RAX, size);
		if (t->op == 0x99)
			writes(g, REG_RDX, size);
	}
	if (t->op == 0x9F)
		writes(g, REG_RAX, 8);
	opcode(g, &t->op, 1);
	g->fw = t->fw;
	g->fu = t->fu;
	return true;
}

/* PUSH/POP reg, r/m, imm; PUSHF. The stack pointer must still be known. */
static bool emit_stack(struct gen *g, const struct tmpl *t, unsigned size)
{
	if (g->written[REG_RSP])
		return false;   /* the stack could be anywhere, the records included */
	if (size == 4)
		size = 8;
	bool w16 = size == 2;
	if (w16)
		prefix(g, 0x66);
	unsigned form = rnd(g, 4);
	if (t->op == 0x9C) {
		opcode(g, &t->op, 1);
	} else if (t->op == 0x50) {          /* push */
		if (form == 0) {
			unsigned r = rnd(g, 16);
			if (r & 8)
				g->rex |= 0x41;
			opcode(g, (const uint8_t[]){ (uint8_t)(0x50 + (r & 7)) }, 1);
		} else if (form == 1) {
			g->modrm = 6 << 3;
			gen_rm(g, size, true);
			opcode(g, (const uint8_t[]){ 0xFF }, 1);
		} else {
			bool b = form == 2;
			opcode(g, (const uint8_t[]){ (uint8_t)(b ? 0x6A : 0x68) }, 1);
			imm(g, b ? 1 : w16 ? 2 : 4, gen_interesting(g));
		}
	} else {                              /* pop */
		if (form < 2) {
			unsigned r = rnd(g, 16);
			if (r & 8)
				g->rex |= 0x41;
			opcode(g, (const uint8_t[]){ (uint8_t)(0x58 + (r & 7)) }, 1);
			writes(g, r, size);
		} else {
			g->modrm = 0;
			int rm = gen_rm(g, size, true);
			if (rm >= 0)
				writes(g, (unsigned)rm, size);
			opcode(g, (const uint8_t[]){ 0x8F }, 1);
		}
	}
	writes(g, REG_RSP, 8);
	return true;
}

/* String instructions with and without REP: pointers into the scratch
 * pages (or near their ends), a small count, either direction. */
static bool emit_string(struct gen *g, const struct tmpl *t, unsigned size)
{
	/* MOVS CMPS: both pointers; STOS SCAS: RDI; LODS: RSI. */
	bool si = t->op == 0xA4 || t->op == 0xA6 || t->op == 0xAC;
	bool di = t->op != 0xAC;
	bool rep = chance(g, 65);
	if ((si && !usable(g, REG_RSI)) || (di && !usable(g, REG_RDI)) ||
	    (rep && !usable(g, REG_RCX)))
		return false;
	bool a32 = chance(g, 10);
	if (a32)
		prefix(g, 0x67);
	opsize(g, size);
	uint64_t sc = DT_SCRATCH(g->s->slot);
	uint64_t hi = a32 ? dt_rand(g->r) << 32 : 0;
	if (si)
		pin(g, REG_RSI, hi | (sc + 0x400 + rnd(g, 0x1000)));
	if (di)
		pin(g, REG_RDI, hi | (sc + 0x400 + rnd(g, 0x1000)));
	if (chance(g, 10) && di)
		g->s->regs[REG_RDI] = hi | (sc + DT_SCRATCH_SIZE - rnd(g, 64));   /* runs off */
	if (rep) {
		bool cmp = t->op == 0xA6 || t->op == 0xA7 || t->op == 0xAE || t->op == 0xAF;
		prefix(g, cmp && chance(g, 50) ? 0xF2 : 0xF3);
		uint64_t n = chance(g, 10) ? 0 : rnd(g, 48);
		pin(g, REG_RCX, (a32 ? dt_rand(g->r) << 32 : 0) | n);
		writes(g, REG_RCX, 8);
	}
	uint8_t op = (uint8_t)(t->op + (size > 1));
	opcode(g, &op, 1);
	if (si)
		writes(g, REG_RSI, 8);
	if (di)
		writes(g, REG_RDI, 8);
	if (t->op == 0xAC)
		writes(g, REG_RAX, size);
	g->fw = t->fw;
	uint64_t count = a32 ? (uint32_t)g->s->regs[REG_RCX] : g->s->regs[REG_RCX];
	if (rep && count == 0)
		g->fw = 0;   /* zero iterations: flags untouched */
	return true;
}

const struct tmpl gen_int_templates[] = {
	{ "add", WALL, 0, emit_alu, 0, 0, DT_ARITH, 0 },
	{ "or", WALL, 0, emit_alu, 0, 1, DT_ARITH & ~DT_AF, DT_AF },
	{ "adc", WALL, DT_CF, emit_alu, 0, 2, DT_ARITH, 0 },
	{ "sbb", WALL, DT_CF, emit_alu, 0, 3, DT_ARITH, 0 },
	{ "and", WALL, 0, emit_alu, 0, 4, DT_ARITH & ~DT_AF, DT_AF },
	{ "sub", WALL, 0, emit_alu, 0, 5, DT_ARITH, 0 },
	{ "xor", WALL, 0, emit_alu, 0, 6, DT_ARITH & ~DT_AF, DT_AF },
	{ "cmp", WALL, 0, emit_alu, 0, 7, DT_ARITH, 0 },
	{ "test", WALL, 0, emit_test, 0, 0, DT_ARITH & ~DT_AF, DT_AF },
	{ "not", WALL, 0, emit_unary, 0xF6, 2, 0, 0 },
	{ "neg", WALL, 0, emit_unary, 0xF6, 3, DT_ARITH, 0 },
	{ "inc", WALL, 0, emit_unary, 0xFE, 0, DT_ARITH & ~DT_CF, 0 },
	{ "dec", WALL, 0, emit_unary, 0xFE, 1, DT_ARITH & ~DT_CF, 0 },
	{ "mul", WALL, 0, emit_muldiv, 0, 4, DT_CF | DT_OF, DT_SF | DT_ZF | DT_AF | DT_PF },
	{ "imul1", WALL, 0, emit_muldiv, 0, 5, DT_CF | DT_OF, DT_SF | DT_ZF | DT_AF | DT_PF },
	{ "div", WALL, 0, emit_muldiv, 0, 6, 0, DT_ARITH },
	{ "idiv", WALL, 0, emit_muldiv, 0, 7, 0, DT_ARITH },
	{ "imul", WBIG, 0, emit_imul, 0, 0, DT_CF | DT_OF, DT_SF | DT_ZF | DT_AF | DT_PF },
	{ "rol", WALL, 0, emit_shift, 0, 0, 0, 0 },
	{ "ror", WALL, 0, emit_shift, 0, 1, 0, 0 },
	{ "rcl", WALL, DT_CF, emit_shift, 0, 2, 0, 0 },
	{ "rcr", WALL, DT_CF, emit_shift, 0, 3, 0, 0 },
	{ "shl", WALL, 0, emit_shift, 0, 4, 0, 0 },
	{ "shr", WALL, 0, emit_shift, 0, 5, 0, 0 },
	{ "sal", WALL, 0, emit_shift, 0, 6, 0, 0 },
	{ "sar", WALL, 0, emit_shift, 0, 7, 0, 0 },
	{ "shld", WBIG, 0, emit_shxd, 0xA4, 0, 0, 0 },
	{ "shrd", WBIG, 0, emit_shxd, 0xAC, 0, 0, 0 },
	{ "bt", WBIG, 0, emit_bt, 0xA3, 4, DT_CF, DT_OF | DT_SF | DT_AF | DT_PF },
	{ "bts", WBIG, 0, emit_bt, 0xAB, 5, DT_CF, DT_OF | DT_SF | DT_AF | DT_PF },
	{ "btr", WBIG, 0, emit_bt, 0xB3, 6, DT_CF, DT_OF | DT_SF | DT_AF | DT_PF },
	{ "btc", WBIG, 0, emit_bt, 0xBB, 7, DT_CF, DT_OF | DT_SF | DT_AF | DT_PF },
	{ "bsf", WBIG, 0, emit_bsx, 0xBC, 0, DT_ZF, DT_CF | DT_OF | DT_SF | DT_AF | DT_PF },
	{ "bsr", WBIG, 0, emit_bsx, 0xBD, 0, DT_ZF, DT_CF | DT_OF | DT_SF | DT_AF | DT_PF },
	{ "bswap", W32 | W64, 0, emit_bswap, 0, 0, 0, 0 },
	{ "setcc", W8, 0, emit_cc, 0x90, 0, 0, 0 },
	{ "cmovcc", WBIG, 0, emit_cc, 0x40, 0, 0, 0 },
	{ "mov", WALL, 0, emit_mov, 0, 0, 0, 0 },
	{ "movzx", WBIG, 0, emit_movx, 0xB6, 0, 0, 0 },
	{ "movzxw", W32 | W64, 0, emit_movx, 0xB7, 0, 0, 0 },
	{ "movsx", WBIG, 0, emit_movx, 0xBE, 0, 0, 0 },
	{ "movsxw", W32 | W64, 0, emit_movx, 0xBF, 0, 0, 0 },
	{ "movsxd", W32 | W64, 0, emit_movx, 0x63, 0, 0, 0 },
	{ "lea", WBIG, 0, emit_lea, 0, 0, 0, 0 },
	{ "xchg", WALL, 0, emit_xchg, 0, 0, 0, 0 },
	{ "segmem", WALL, 0, emit_segmem, 0, 0, DT_ARITH, 0 },
	{ "xadd", WALL, 0, emit_xadd, 0xC0, 0, DT_ARITH, 0 },
	{ "cmpxchg", WALL, 0, emit_xadd, 0xB0, 0, DT_ARITH, 0 },
	{ "nop", WBIG, 0, emit_nop, 0, 0, 0, 0 },
	{ "clc", W32, 0, emit_plain, 0xF8, 0, DT_CF, 0 },
	{ "stc", W32, 0, emit_plain, 0xF9, 0, DT_CF, 0 },
	{ "cmc", W32, DT_CF, emit_plain, 0xF5, 0, DT_CF, 0 },
	{ "cld", W32, 0, emit_plain, 0xFC, 0, 0, 0 },
	{ "std", W32, 0, emit_plain, 0xFD, 0, 0, 0 },
	{ "lahf", W32, DT_ARITH & ~DT_OF, emit_plain, 0x9F, 0, 0, 0 },
	{ "sahf", W32, 0, emit_plain, 0x9E, 0, DT_ARITH & ~DT_OF, 0 },
	{ "cbw", WBIG, 0, emit_plain, 0x98, 0, 0, 0 },
	{ "cwd", WBIG, 0, emit_plain, 0x99, 0, 0, 0 },
	{ "push", W16 | W64, 0, emit_stack, 0x50, 0, 0, 0 },
	{ "pop", W16 | W64, 0, emit_stack, 0x58, 0, 0, 0 },
	{ "pushf", W16 | W64, DT_ARITH, emit_stack, 0x9C, 0, 0, 0 },
	{ "movs", WALL, 0, emit_string, 0xA4, 0, 0, 0 },
	{ "cmps", WALL, 0, emit_string, 0xA6, 0, DT_ARITH, 0 },
	{ "stos", WALL, 0, emit_string, 0xAA, 0, 0, 0 },
	{ "lods", WALL, 0, emit_string, 0xAC, 0, 0, 0 },
	{ "scas", WALL, 0, emit_string, 0xAE, 0, DT_ARITH, 0 },
};
const unsigned gen_int_count = sizeof(gen_int_templates) / sizeof(gen_int_templates[0]);
