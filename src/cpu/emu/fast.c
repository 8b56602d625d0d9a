/*
 * Fast handlers: the commonest instruction forms (MOV, LEA, the group-1
 * ALU operations, TEST, PUSH/POP, Jcc/JMP/CALL/RET, MOVZX/MOVSX/MOVSXD,
 * CMOVcc, NOP) each get a handler of their own, chosen once when the
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

/* --- Control transfer --------------------------------------------------------------- */

static void f_jcc(struct emu_cpu *cpu, struct emu_insn *in)
{
	if (emu_cond(cpu, in->op & 0xf))
		emu_jump_near(cpu, cpu->rip + in->len + in->imm, in->opsize);
}

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

/* --- Selection ------------------------------------------------------------------------ */

emu_fast_fn emu_fast_pick(const struct emu_insn *in, bool code64)
{
	unsigned op = in->op;
	bool reg = in->has_modrm && in->mod == 3;

	if (in->lock)
		return NULL;
	if (op < 0x40 && (op & 7) < 6) {
		switch (op & 7) {
		case 0: case 1: return reg ? f_alu_rr : f_alu_mr;
		case 2: case 3: return f_alu_rm;
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
		return reg ? f_alu_imm_r : f_alu_imm_m;
	case 0x84: case 0x85: return f_test;
	case 0xa8: case 0xa9: return f_test_acc;
	case 0x70 ... 0x7f: case 0x180 ... 0x18f: return f_jcc;
	case 0xeb: case 0xe9: return f_jmp;
	case 0xe8: return f_call;
	case 0xc3: return f_ret;
	case 0x1b6: case 0x1b7: return f_movzx;
	case 0x1be: case 0x1bf: return f_movsx;
	case 0x63: return code64 ? f_movsxd : NULL;
	case 0x140 ... 0x14f: return f_cmov;
	case 0x90: return (in->rex & 1) ? NULL : f_nop;
	case 0x11f: return f_nop;
	default: return NULL;
	}
}
