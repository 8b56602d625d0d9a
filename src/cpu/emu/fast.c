/*
 * Fast handlers: the commonest instruction forms (MOV, LEA, the group-1
 * ALU operations, TEST, PUSH/POP, Jcc/JMP/CALL/RET, MOVZX/MOVSX/MOVSXD,
 * CMOVcc, NOP) each get a handler of their own, and shifts, multiplies,
 * INC/DEC, bit operations, indirect branches and string instructions go
 * straight to their group's handler, chosen once when the
 * instruction is decoded and kept in the decoded-instruction cache
 * (in->fast), so the step loop calls it without emu_exec()'s opcode switch
 * and the group handlers' switches.
 *
 * Design note: a fast handler does exactly what emu_exec() would do for
 * that form — it is built from the same primitives (emu_alu, emu_rm_read,
 * emu_push, emu_cond, emu_jump_near, ...), never from its own copy of an
 * instruction's rules — and emu_fast_pick() only picks one for forms whose
 * outcome cannot depend on anything it leaves out: no LOCK prefix (emu_exec
 * raises #UD or goes atomic), and register-only variants only when ModRM.mod
 * is 3. Everything else returns NULL and runs through emu_exec().
 */
#include "cpu/emu/emu.h"

static inline unsigned opsz(const struct emu_insn *in)
{
	return (in->op & 1) ? in->opsize : 1;
}

/* --- Data movement ---------------------------------------------------------------- */

static void f_mov_rr64(struct emu_cpu *cpu, struct emu_insn *in)
{
	cpu->regs[in->rm] = cpu->regs[in->reg];
}

static void f_mov_rr32(struct emu_cpu *cpu, struct emu_insn *in)
{
	cpu->regs[in->rm] = (uint32_t)cpu->regs[in->reg];
}

static void f_mov_store(struct emu_cpu *cpu, struct emu_insn *in)
{
	unsigned size = opsz(in);
	emu_rm_write(cpu, in, size, emu_reg_get(cpu, in, in->reg, size));
}

static void f_mov_load(struct emu_cpu *cpu, struct emu_insn *in)
{
	unsigned size = opsz(in);
	emu_reg_set(cpu, in, in->reg, size, emu_rm_read(cpu, in, size));
}

static void f_mov_load64(struct emu_cpu *cpu, struct emu_insn *in)
{
	cpu->regs[in->reg] = emu_read(cpu, in->seg, emu_ea(cpu, in), 8);
}

static void f_mov_imm_reg(struct emu_cpu *cpu, struct emu_insn *in)
{
	unsigned size = in->op < 0xb8 ? 1 : in->opsize;
	emu_reg_set(cpu, in, (in->op & 7) | ((in->rex & 1) << 3), size, in->imm);
}

static void f_mov_imm_rm(struct emu_cpu *cpu, struct emu_insn *in)
{
	emu_rm_write(cpu, in, opsz(in), in->imm);
}

static void f_lea(struct emu_cpu *cpu, struct emu_insn *in)
{
	emu_reg_set(cpu, in, in->reg, in->opsize, emu_ea(cpu, in));
}

static void f_push(struct emu_cpu *cpu, struct emu_insn *in)
{
	emu_push(cpu, in->opsize, cpu->regs[(in->op & 7) | ((in->rex & 1) << 3)]);
}

static void f_pop(struct emu_cpu *cpu, struct emu_insn *in)
{
	uint64_t v = emu_pop(cpu, in->opsize);
	emu_reg_set(cpu, in, (in->op & 7) | ((in->rex & 1) << 3), in->opsize, v);
}

static void f_movzx(struct emu_cpu *cpu, struct emu_insn *in)
{
	emu_reg_set(cpu, in, in->reg, in->opsize, emu_rm_read(cpu, in, in->op & 1 ? 2 : 1));
}

static void f_movsx(struct emu_cpu *cpu, struct emu_insn *in)
{
	unsigned s = in->op & 1 ? 2 : 1;
	emu_reg_set(cpu, in, in->reg, in->opsize, emu_sext(emu_rm_read(cpu, in, s), s));
}

static void f_movsxd(struct emu_cpu *cpu, struct emu_insn *in)
{
	uint64_t v = emu_rm_read(cpu, in, 4);
	emu_reg_set(cpu, in, in->reg, in->opsize, in->opsize == 8 ? emu_sext(v, 4) : v);
}

static void f_cmov(struct emu_cpu *cpu, struct emu_insn *in)
{
	unsigned size = in->opsize;
	uint64_t v = emu_rm_read(cpu, in, size);   /* read (and fault) either way */
	if (emu_cond(cpu, in->op & 0xf))
		emu_reg_set(cpu, in, in->reg, size, v);
	else if (size == 4)
		cpu->regs[in->reg] &= 0xffffffff;
}

static void f_nop(struct emu_cpu *cpu, struct emu_insn *in)
{
}

/* --- Arithmetic --------------------------------------------------------------------- */

/* op r/m, reg (00-39 with op & 7 < 2) with a register destination. */
static void f_alu_rr(struct emu_cpu *cpu, struct emu_insn *in)
{
	unsigned size = opsz(in), alu = in->op >> 3;
	uint64_t r = emu_alu(cpu, alu, emu_reg_get(cpu, in, in->rm, size),
			     emu_reg_get(cpu, in, in->reg, size), size);
	if (alu != 7)
		emu_reg_set(cpu, in, in->rm, size, r);
}

/* op r/m, reg with a memory destination (read-modify-write, not LOCKed). */
static void f_alu_mr(struct emu_cpu *cpu, struct emu_insn *in)
{
	unsigned size = opsz(in);
	emu_exec_alu_group(cpu, in, in->op >> 3, size, emu_reg_get(cpu, in, in->reg, size), false);
}

/* op reg, r/m (op & 7 of 2 or 3). */
static void f_alu_rm(struct emu_cpu *cpu, struct emu_insn *in)
{
	unsigned size = opsz(in);
	emu_exec_alu_group(cpu, in, in->op >> 3, size, emu_rm_read(cpu, in, size), true);
}

/* op AL/eAX, imm (op & 7 of 4 or 5). */
static void f_alu_acc(struct emu_cpu *cpu, struct emu_insn *in)
{
	unsigned size = opsz(in), alu = in->op >> 3;
	uint64_t v = emu_alu(cpu, alu, cpu->regs[REG_RAX], in->imm, size);
	if (alu != 7)
		emu_reg_set(cpu, in, REG_RAX, size, v);
}

/* 80/81/83 /n with a register destination. */
static void f_alu_imm_r(struct emu_cpu *cpu, struct emu_insn *in)
{
	unsigned size = in->op == 0x80 ? 1 : in->opsize, alu = in->reg & 7;
	uint64_t r = emu_alu(cpu, alu, emu_reg_get(cpu, in, in->rm, size), in->imm, size);
	if (alu != 7)
		emu_reg_set(cpu, in, in->rm, size, r);
}

/* 80/81/83 /n with a memory destination (not LOCKed). */
static void f_alu_imm_m(struct emu_cpu *cpu, struct emu_insn *in)
{
	unsigned size = in->op == 0x80 ? 1 : in->opsize;
	emu_exec_alu_group(cpu, in, in->reg & 7, size, in->imm, false);
}

static void f_test(struct emu_cpu *cpu, struct emu_insn *in)
{
	unsigned size = opsz(in);
	emu_alu(cpu, 4, emu_rm_read(cpu, in, size), emu_reg_get(cpu, in, in->reg, size), size);
}

static void f_test_acc(struct emu_cpu *cpu, struct emu_insn *in)
{
	emu_alu(cpu, 4, cpu->regs[REG_RAX], in->imm, opsz(in));
}


/* Register and immediate forms at 32 and 64 bits, one handler per operation
 * and size so that emu_alu_inline() folds to straight-line code. A 32-bit
 * result zero-extends into the 64-bit register (SDM Vol. 1, 3.4.1.1). */
#define ALU_SPECIALISED(op, sz)							\
static void f_alu_rr_##op##_##sz(struct emu_cpu *cpu, struct emu_insn *in)	\
{										\
	uint64_t r = emu_alu_inline(cpu, op, cpu->regs[in->rm], cpu->regs[in->reg], sz); \
	if (op != 7)								\
		cpu->regs[in->rm] = r;						\
}										\
static void f_alu_rrm_##op##_##sz(struct emu_cpu *cpu, struct emu_insn *in)	\
{										\
	uint64_t r = emu_alu_inline(cpu, op, cpu->regs[in->reg], cpu->regs[in->rm], sz); \
	if (op != 7)								\
		cpu->regs[in->reg] = r;						\
}										\
static void f_alu_rmem_##op##_##sz(struct emu_cpu *cpu, struct emu_insn *in)	\
{										\
	uint64_t v = emu_read(cpu, in->seg, emu_ea(cpu, in), sz);		\
	uint64_t r = emu_alu_inline(cpu, op, cpu->regs[in->reg], v, sz);	\
	if (op != 7)								\
		cpu->regs[in->reg] = r;						\
}										\
static void f_alu_ri_##op##_##sz(struct emu_cpu *cpu, struct emu_insn *in)	\
{										\
	uint64_t r = emu_alu_inline(cpu, op, cpu->regs[in->rm], in->imm, sz);	\
	if (op != 7)								\
		cpu->regs[in->rm] = r;						\
}

#define ALU_ALL_OPS(sz) ALU_SPECIALISED(0, sz) ALU_SPECIALISED(1, sz) ALU_SPECIALISED(2, sz) \
	ALU_SPECIALISED(3, sz) ALU_SPECIALISED(4, sz) ALU_SPECIALISED(5, sz)		\
	ALU_SPECIALISED(6, sz) ALU_SPECIALISED(7, sz)
ALU_ALL_OPS(4)
ALU_ALL_OPS(8)

#define ALU_TABLE(kind, sz) { f_alu_##kind##_0_##sz, f_alu_##kind##_1_##sz,	\
	f_alu_##kind##_2_##sz, f_alu_##kind##_3_##sz, f_alu_##kind##_4_##sz,	\
	f_alu_##kind##_5_##sz, f_alu_##kind##_6_##sz, f_alu_##kind##_7_##sz }
static const emu_fast_fn alu_rr[2][8] = { ALU_TABLE(rr, 4), ALU_TABLE(rr, 8) };
static const emu_fast_fn alu_rrm[2][8] = { ALU_TABLE(rrm, 4), ALU_TABLE(rrm, 8) };
static const emu_fast_fn alu_rmem[2][8] = { ALU_TABLE(rmem, 4), ALU_TABLE(rmem, 8) };
static const emu_fast_fn alu_ri[2][8] = { ALU_TABLE(ri, 4), ALU_TABLE(ri, 8) };

static void f_test_rr64(struct emu_cpu *cpu, struct emu_insn *in)
{
	emu_alu_inline(cpu, 4, cpu->regs[in->rm], cpu->regs[in->reg], 8);
}

static void f_test_rr32(struct emu_cpu *cpu, struct emu_insn *in)
{
	emu_alu_inline(cpu, 4, cpu->regs[in->rm], cpu->regs[in->reg], 4);
}

/* --- Control transfer --------------------------------------------------------------- */


/* One Jcc handler per condition: emu_cond_inline() folds for a constant cc. */
#define JCC_SPECIALISED(cc)							\
static void f_jcc_##cc(struct emu_cpu *cpu, struct emu_insn *in)		\
{										\
	if (emu_cond_inline(cpu, cc))						\
		emu_jump_near(cpu, cpu->rip + in->len + in->imm, in->opsize);	\
}
JCC_SPECIALISED(0) JCC_SPECIALISED(1) JCC_SPECIALISED(2) JCC_SPECIALISED(3)
JCC_SPECIALISED(4) JCC_SPECIALISED(5) JCC_SPECIALISED(6) JCC_SPECIALISED(7)
JCC_SPECIALISED(8) JCC_SPECIALISED(9) JCC_SPECIALISED(10) JCC_SPECIALISED(11)
JCC_SPECIALISED(12) JCC_SPECIALISED(13) JCC_SPECIALISED(14) JCC_SPECIALISED(15)
static const emu_fast_fn jcc[16] = {
	f_jcc_0, f_jcc_1, f_jcc_2, f_jcc_3, f_jcc_4, f_jcc_5, f_jcc_6, f_jcc_7,
	f_jcc_8, f_jcc_9, f_jcc_10, f_jcc_11, f_jcc_12, f_jcc_13, f_jcc_14, f_jcc_15,
};

static void f_jmp(struct emu_cpu *cpu, struct emu_insn *in)
{
	emu_jump_near(cpu, cpu->rip + in->len + in->imm, in->opsize);
}

static void f_call(struct emu_cpu *cpu, struct emu_insn *in)
{
	unsigned size = in->opsize;
	uint64_t next = cpu->rip + in->len, t = (next + in->imm) & emu_mask(size);
	if (!cpu->code64 && t > cpu->seg[SEG_CS].limit)
		emu_raise(cpu, EXC_GP, 0);
	emu_push(cpu, size, next);
	emu_jump_near(cpu, t, size);
}

static void f_ret(struct emu_cpu *cpu, struct emu_insn *in)
{
	unsigned size = in->opsize;
	uint64_t sp = emu_rsp(cpu);
	uint64_t t = emu_read(cpu, SEG_SS, sp, size);
	emu_jump_near(cpu, t, size);
	emu_set_rsp(cpu, sp + size);
}


/* --- Straight to a group handler ------------------------------------------------------ */

/* Forms whose handler group is known from the opcode skip emu_exec()'s switch
 * and its search of the groups; a group that declines (it did nothing) hands
 * the instruction to emu_exec() as before. */
static void f_group_alu(struct emu_cpu *cpu, struct emu_insn *in)
{
	if (!emu_exec_alu(cpu, in))
		emu_exec(cpu, in);
}

static void f_group_control(struct emu_cpu *cpu, struct emu_insn *in)
{
	if (!emu_exec_control(cpu, in))
		emu_exec(cpu, in);
}

static void f_group_string(struct emu_cpu *cpu, struct emu_insn *in)
{
	if (!emu_exec_string(cpu, in))
		emu_exec(cpu, in);
}

/* --- Selection ------------------------------------------------------------------------ */

emu_fast_fn emu_fast_pick(const struct emu_insn *in, bool code64)
{
	unsigned op = in->op;
	bool reg = in->has_modrm && in->mod == 3;

	if (in->lock)
		return NULL;
	if (op < 0x40 && (op & 7) < 6) {
		unsigned w = in->opsize == 8;
		bool wide = (op & 1) && in->opsize >= 4;
		switch (op & 7) {
		case 0: case 1:
			if (reg && wide)
				return alu_rr[w][op >> 3];
			return reg ? f_alu_rr : f_alu_mr;
		case 2: case 3:
			if (wide)
				return reg ? alu_rrm[w][op >> 3] : alu_rmem[w][op >> 3];
			return f_alu_rm;
		default: return f_alu_acc;
		}
	}
	switch (op) {
	case 0x89:
		if (reg && in->opsize == 8)
			return f_mov_rr64;
		if (reg && in->opsize == 4)
			return f_mov_rr32;
		return f_mov_store;
	case 0x88: return f_mov_store;
	case 0x8b:
		if (!reg && in->opsize == 8)
			return f_mov_load64;
		return f_mov_load;
	case 0x8a: return f_mov_load;
	case 0xb0 ... 0xbf: return f_mov_imm_reg;
	case 0xc6: case 0xc7: return (in->reg & 7) == 0 ? f_mov_imm_rm : NULL;
	case 0x8d: return reg ? NULL : f_lea;
	case 0x50 ... 0x57: return f_push;
	case 0x58 ... 0x5f: return f_pop;
	case 0x80: case 0x81: case 0x83:
		if (reg && op != 0x80 && in->opsize >= 4)
			return alu_ri[in->opsize == 8][in->reg & 7];
		return reg ? f_alu_imm_r : f_alu_imm_m;
	case 0x85:
		if (reg && in->opsize == 8)
			return f_test_rr64;
		if (reg && in->opsize == 4)
			return f_test_rr32;
		return f_test;
	case 0x84: return f_test;
	case 0xa8: case 0xa9: return f_test_acc;
	case 0x70 ... 0x7f: case 0x180 ... 0x18f: return jcc[op & 0xf];
	case 0xeb: case 0xe9: return f_jmp;
	case 0xe8: return f_call;
	case 0xc3: return f_ret;
	case 0x1b6: case 0x1b7: return f_movzx;
	case 0x1be: case 0x1bf: return f_movsx;
	case 0x63: return code64 ? f_movsxd : NULL;
	case 0x140 ... 0x14f: return f_cmov;
	case 0x90: return (in->rex & 1) ? NULL : f_nop;
	case 0x11f: return f_nop;
	case 0xc0: case 0xc1: case 0xd0 ... 0xd3: case 0xf6: case 0xf7:
	case 0x69: case 0x6b: case 0x1af: case 0x1a3: case 0x1ab: case 0x1b3: case 0x1bb:
	case 0x1ba: case 0x1bc: case 0x1bd:
		return f_group_alu;
	case 0xfe: return (in->reg & 7) < 2 ? f_group_alu : NULL;
	case 0xff: return (in->reg & 7) < 2 ? f_group_alu : f_group_control;
	case 0xc2: case 0xe0 ... 0xe3: return f_group_control;
	case 0xa4 ... 0xa7: case 0xaa ... 0xaf: return f_group_string;
	default: return NULL;
	}
}
