/*
 * Instruction dispatch and the data-movement instructions: MOV and its
 * variants, LEA, XCHG, PUSH/POP (incl. PUSHA/POPA, PUSHF/POPF), ENTER/LEAVE,
 * sign/zero extension, CMOVcc/SETcc, LAHF/SAHF, flag instructions, XLAT,
 * BSWAP, segment loads, CMPXCHG8B/16B, MOVNTI, NOPs; x87 (D8-DF, FWAIT) goes
 * to x87.c.
 * Everything else is handed to alu.c, control.c, string.c, system.c, sse.c.
 */
#include <pthread.h>

#include "cpu/emu/emu.h"

uint64_t emu_ea(struct emu_cpu *cpu, const struct emu_insn *in)
{
	uint64_t a = (uint64_t)in->disp;
	if (in->base == 0xfe)
		a += cpu->rip + in->len;
	else if (in->base != 0xff)
		a += cpu->regs[in->base];
	if (in->index != 0xff)
		a += cpu->regs[in->index] << in->scale;
	return a & emu_mask(in->addrsize);
}

uint64_t emu_rm_read(struct emu_cpu *cpu, struct emu_insn *in, unsigned size)
{
	if (in->mod == 3)
		return emu_reg_get(cpu, in, in->rm, size);
	return emu_read(cpu, in->seg, emu_ea(cpu, in), size);
}

void emu_rm_write(struct emu_cpu *cpu, struct emu_insn *in, unsigned size, uint64_t val)
{
	if (in->mod == 3)
		emu_reg_set(cpu, in, in->rm, size, val);
	else
		emu_write(cpu, in->seg, emu_ea(cpu, in), size, val);
}

static bool cas(void *p, uint64_t *old, uint64_t nv, unsigned size)
{
	bool ok;
	switch (size) {
	case 1: {
		uint8_t o = (uint8_t)*old;
		ok = __atomic_compare_exchange_n((uint8_t *)p, &o, (uint8_t)nv, false,
						 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		*old = o;
		return ok;
	}
	case 2: {
		uint16_t o = (uint16_t)*old;
		ok = __atomic_compare_exchange_n((uint16_t *)p, &o, (uint16_t)nv, false,
						 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		*old = o;
		return ok;
	}
	case 4: {
		uint32_t o = (uint32_t)*old;
		ok = __atomic_compare_exchange_n((uint32_t *)p, &o, (uint32_t)nv, false,
						 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		*old = o;
		return ok;
	}
	default:
		return __atomic_compare_exchange_n((uint64_t *)p, old, nv, false, __ATOMIC_SEQ_CST,
						   __ATOMIC_SEQ_CST);
	}
}

uint64_t emu_mem_rmw(struct emu_cpu *cpu, uint64_t lin, unsigned size, emu_rmw_fn fn,
		     uint64_t arg, unsigned op, bool atomic)
{
	uint64_t old, nv;
	if (atomic) {
		void *p = emu_host_ptr(cpu, lin, size, ACC_WRITE);
		if (p) {
			old = emu_load_host(p, size);
			do
				nv = fn(cpu, old, arg, size, op);
			while (!cas(p, &old, nv, size));
			emu_code_wrote(cpu, p, size);
			return old;
		}
		/* MMIO or split across pages: translate (and fault) first, then
		 * do the access under the machine-wide lock. */
		emu_translate_range(cpu, lin, size, ACC_WRITE);
		pthread_mutex_lock(&cpu->vm->lock_mutex);
		old = emu_read_lin(cpu, lin, size, ACC_WRITE);
		nv = fn(cpu, old, arg, size, op);
		emu_write_lin(cpu, lin, size, nv);
		pthread_mutex_unlock(&cpu->vm->lock_mutex);
		return old;
	}
	old = emu_read_lin(cpu, lin, size, ACC_WRITE);
	nv = fn(cpu, old, arg, size, op);
	emu_write_lin(cpu, lin, size, nv);
	return old;
}

uint64_t emu_rm_rmw(struct emu_cpu *cpu, struct emu_insn *in, unsigned size, emu_rmw_fn fn,
		    uint64_t arg, unsigned op)
{
	if (in->mod == 3) {
		uint64_t old = emu_reg_get(cpu, in, in->rm, size);
		emu_reg_set(cpu, in, in->rm, size, fn(cpu, old, arg, size, op));
		return old;
	}
	uint64_t lin = emu_linear(cpu, in->seg, emu_ea(cpu, in), size, ACC_WRITE);
	return emu_mem_rmw(cpu, lin, size, fn, arg, op, in->lock);
}

void emu_push(struct emu_cpu *cpu, unsigned size, uint64_t val)
{
	uint64_t sp = (emu_rsp(cpu) - size) & emu_stack_mask(cpu);
	emu_write(cpu, SEG_SS, sp, size, val);
	emu_set_rsp(cpu, sp);
}

uint64_t emu_pop(struct emu_cpu *cpu, unsigned size)
{
	uint64_t sp = emu_rsp(cpu);
	uint64_t v = emu_read(cpu, SEG_SS, sp, size);
	emu_set_rsp(cpu, sp + size);
	return v;
}

static uint64_t rmw_xchg(struct emu_cpu *cpu, uint64_t old, uint64_t arg, unsigned size,
			 unsigned op)
{
	return arg;
}

/* POPF rules (SDM Vol. 2, POPF): which bits a pop may change. */
static void exec_popf(struct emu_cpu *cpu, unsigned size)
{
	uint64_t fl = emu_get_flags(cpu);
	unsigned iopl = (fl >> 12) & 3;
	uint64_t mask = FL_ARITH | FL_TF | FL_DF | FL_NT | FL_AC | FL_ID;

	if (fl & FL_VM) {
		if (iopl < 3)
			emu_raise(cpu, EXC_GP, 0);
		mask |= FL_IF;
	} else if (!(cpu->cr0 & CR0_PE) || cpu->cpl == 0) {
		mask |= FL_IF | FL_IOPL;
	} else if (cpu->cpl <= iopl) {
		mask |= FL_IF;
	}
	uint64_t v = emu_pop(cpu, size);
	if (size == 2)
		mask &= 0xffff;
	emu_set_flags(cpu, (fl & ~mask) | (v & mask));
	cpu->check_irq = true;
}

static void exec_pushf(struct emu_cpu *cpu, unsigned size)
{
	uint64_t fl = emu_get_flags(cpu);
	if ((fl & FL_VM) && ((fl >> 12) & 3) < 3)
		emu_raise(cpu, EXC_GP, 0);
	emu_push(cpu, size, fl & ~(uint64_t)(FL_VM | FL_RF));
}

static void exec_enter(struct emu_cpu *cpu, struct emu_insn *in)
{
	unsigned size = in->opsize, level = in->imm2 & 31;
	uint64_t smask = emu_stack_mask(cpu);
	uint64_t bp_mask = cpu->stack_size == 2 ? 0xffff : ~0ULL;
	emu_push(cpu, size, cpu->regs[REG_RBP]);
	uint64_t frame = emu_rsp(cpu);
	uint64_t bp = cpu->regs[REG_RBP] & bp_mask;
	for (unsigned i = 1; i < level; i++) {
		bp = (bp - size) & smask;
		emu_push(cpu, size, emu_read(cpu, SEG_SS, bp, size));
	}
	if (level)
		emu_push(cpu, size, frame);
	uint64_t sp = (emu_rsp(cpu) - (in->imm & 0xffff)) & smask;
	emu_read(cpu, SEG_SS, sp, 1);   /* the new stack top must be accessible */
	emu_reg_set(cpu, in, REG_RBP, cpu->stack_size == 2 ? 2 : size, frame);
	emu_set_rsp(cpu, sp);
}

static void exec_load_far_ptr(struct emu_cpu *cpu, struct emu_insn *in, unsigned seg)
{
	if (in->mod == 3)
		emu_raise(cpu, EXC_UD, 0);
	unsigned size = in->opsize;
	uint64_t ea = emu_ea(cpu, in);
	uint64_t off = emu_read(cpu, in->seg, ea, size);
	uint16_t sel = (uint16_t)emu_read(cpu, in->seg, (ea + size) & emu_mask(in->addrsize), 2);
	emu_load_seg(cpu, seg, sel);
	emu_reg_set(cpu, in, in->reg, size, off);
	if (seg == SEG_SS)
		cpu->intr_shadow = 1;
}

static void exec_cmpxchg8b(struct emu_cpu *cpu, struct emu_insn *in)
{
	if (in->mod == 3)
		emu_raise(cpu, EXC_UD, 0);
	bool wide = in->rex & 8;
	unsigned size = wide ? 16 : 8;
	uint64_t ea = emu_ea(cpu, in);
	/* CMPXCHG16B's alignment #GP(0) comes before a non-canonical
	 * address's #SS/#GP, as for the SSE operands. */
	uint64_t lin = wide ? emu_linear_align16(cpu, in->seg, ea, size, ACC_WRITE)
			    : emu_linear(cpu, in->seg, ea, size, ACC_WRITE);
	uint64_t fl = emu_get_flags(cpu) & ~(uint64_t)FL_ZF;
	if (!wide) {
		uint64_t expect = (cpu->regs[REG_RDX] << 32) | (uint32_t)cpu->regs[REG_RAX];
		uint64_t nv = (cpu->regs[REG_RCX] << 32) | (uint32_t)cpu->regs[REG_RBX];
		uint64_t *p = emu_host_ptr(cpu, lin, 8, ACC_WRITE);
		uint64_t old = expect;
		bool ok;
		if (p) {
			ok = __atomic_compare_exchange_n(p, &old, nv, false, __ATOMIC_SEQ_CST,
							 __ATOMIC_SEQ_CST);
			emu_code_wrote(cpu, p, 8);
		} else {
			emu_translate_range(cpu, lin, 8, ACC_WRITE);
			pthread_mutex_lock(&cpu->vm->lock_mutex);
			old = emu_read_lin(cpu, lin, 8, ACC_WRITE);
			ok = old == expect;
			emu_write_lin(cpu, lin, 8, ok ? nv : old);
			pthread_mutex_unlock(&cpu->vm->lock_mutex);
		}
		if (ok) {
			fl |= FL_ZF;
		} else {
			cpu->regs[REG_RAX] = (uint32_t)old;
			cpu->regs[REG_RDX] = old >> 32;
		}
	} else {
		emu_translate_range(cpu, lin, 16, ACC_WRITE);
		pthread_mutex_lock(&cpu->vm->lock_mutex);
		uint64_t lo = emu_read_lin(cpu, lin, 8, ACC_WRITE);
		uint64_t hi = emu_read_lin(cpu, lin + 8, 8, ACC_WRITE);
		bool ok = lo == cpu->regs[REG_RAX] && hi == cpu->regs[REG_RDX];
		if (ok) {
			emu_write_lin(cpu, lin, 8, cpu->regs[REG_RBX]);
			emu_write_lin(cpu, lin + 8, 8, cpu->regs[REG_RCX]);
		}
		pthread_mutex_unlock(&cpu->vm->lock_mutex);
		if (ok) {
			fl |= FL_ZF;
		} else {
			cpu->regs[REG_RAX] = lo;
			cpu->regs[REG_RDX] = hi;
		}
	}
	emu_set_flags(cpu, fl);
}

static bool lockable(const struct emu_insn *in)
{
	if (in->mod == 3 || !in->has_modrm)
		return false;
	unsigned op = in->op, r = in->reg & 7;
	if (op < 0x40)
		return (op & 7) < 2 && (op >> 3) != 7;
	switch (op) {
	case 0x80: case 0x81: case 0x82: case 0x83: return r != 7;
	case 0x86: case 0x87: return true;
	case 0xf6: case 0xf7: return r == 2 || r == 3;
	case 0xfe: case 0xff: return r < 2;
	case 0x1ab: case 0x1b3: case 0x1bb: case 0x1b0: case 0x1b1: case 0x1c0: case 0x1c1:
		return true;
	case 0x1ba: return r >= 5;
	case 0x1c7: return r == 1;
	default: return false;
	}
}

/* The handlers of everything emu_exec() does not do itself, in the order
 * they are asked. Each returns false, having done nothing, for an opcode
 * that is not its own; the one that took an instruction is remembered in
 * in->group (the decoded-instruction cache keeps it), so a cached
 * instruction goes straight to its handler. */
static bool (*const groups[])(struct emu_cpu *, struct emu_insn *) = {
	emu_exec_alu, emu_exec_control, emu_exec_string, emu_exec_system, emu_exec_mmx,
	emu_exec_sse,
};

void emu_exec(struct emu_cpu *cpu, struct emu_insn *in)
{
	unsigned op = in->op, size = in->opsize;
	uint64_t v;

	if (in->lock && !lockable(in))
		emu_raise(cpu, EXC_UD, 0);
	if (__builtin_expect(in->vex, 0)) {
		emu_exec_vex(cpu, in);
		return;
	}
	switch (op) {
	case 0x88: case 0x89:
		size = op & 1 ? size : 1;
		emu_rm_write(cpu, in, size, emu_reg_get(cpu, in, in->reg, size));
		return;
	case 0x8a: case 0x8b:
		size = op & 1 ? size : 1;
		emu_reg_set(cpu, in, in->reg, size, emu_rm_read(cpu, in, size));
		return;
	case 0x8c: {
		unsigned s = in->reg & 7;
		if (s >= SEG_COUNT)
			emu_raise(cpu, EXC_UD, 0);
		v = cpu->seg[s].selector;
		if (in->mod == 3)
			emu_reg_set(cpu, in, in->rm, size, v);
		else
			emu_rm_write(cpu, in, 2, v);
		return;
	}
	case 0x8e: {
		unsigned s = in->reg & 7;
		if (s == SEG_CS || s >= SEG_COUNT)
			emu_raise(cpu, EXC_UD, 0);
		emu_load_seg(cpu, s, (uint16_t)emu_rm_read(cpu, in, 2));
		if (s == SEG_SS)
			cpu->intr_shadow = 1;
		return;
	}
	case 0x8d:
		if (in->mod == 3)
			emu_raise(cpu, EXC_UD, 0);
		emu_reg_set(cpu, in, in->reg, size, emu_ea(cpu, in));
		return;
	case 0xb0 ... 0xb7:
		emu_reg_set(cpu, in, (op & 7) | ((in->rex & 1) << 3), 1, in->imm);
		return;
	case 0xb8 ... 0xbf:
		emu_reg_set(cpu, in, (op & 7) | ((in->rex & 1) << 3), size, in->imm);
		return;
	case 0xc6: case 0xc7:
		if ((in->reg & 7) != 0)
			break;
		emu_rm_write(cpu, in, op & 1 ? size : 1, in->imm);
		return;
	case 0xa0: case 0xa1:
		size = op & 1 ? size : 1;
		emu_reg_set(cpu, in, REG_RAX, size, emu_read(cpu, in->seg, in->imm, size));
		return;
	case 0xa2: case 0xa3:
		size = op & 1 ? size : 1;
		emu_write(cpu, in->seg, in->imm, size, cpu->regs[REG_RAX]);
		return;
	case 0x50 ... 0x57:
		emu_push(cpu, size, cpu->regs[(op & 7) | ((in->rex & 1) << 3)]);
		return;
	case 0x58 ... 0x5f: {
		unsigned r = (op & 7) | ((in->rex & 1) << 3);
		v = emu_pop(cpu, size);
		emu_reg_set(cpu, in, r, size, v);
		return;
	}
	case 0x68: case 0x6a:
		emu_push(cpu, size, in->imm);
		return;
	case 0x8f: {
		if ((in->reg & 7) != 0)
			break;
		uint64_t sp = emu_rsp(cpu);
		v = emu_read(cpu, SEG_SS, sp, size);
		emu_set_rsp(cpu, sp + size);   /* EA uses the incremented RSP */
		emu_rm_write(cpu, in, size, v);
		return;
	}
	case 0x06: case 0x0e: case 0x16: case 0x1e: case 0x1a0: case 0x1a8: {
		unsigned s = op < 0x100 ? op >> 3 : op == 0x1a0 ? SEG_FS : SEG_GS;
		uint64_t sel = cpu->seg[s].selector;
		if (size == 2) {
			emu_push(cpu, 2, sel);
		} else {
			/* Intel writes only the low 16 bits of the slot. */
			uint64_t sp = (emu_rsp(cpu) - size) & emu_stack_mask(cpu);
			emu_linear(cpu, SEG_SS, sp, size, ACC_WRITE);
			emu_write(cpu, SEG_SS, sp, 2, sel);
			emu_set_rsp(cpu, sp);
		}
		return;
	}
	case 0x07: case 0x17: case 0x1f: case 0x1a1: case 0x1a9: {
		unsigned s = op < 0x100 ? op >> 3 : op == 0x1a1 ? SEG_FS : SEG_GS;
		uint64_t sp = emu_rsp(cpu);
		uint16_t sel = (uint16_t)emu_read(cpu, SEG_SS, sp, 2);
		emu_read(cpu, SEG_SS, sp, size);
		emu_load_seg(cpu, s, sel);
		emu_set_rsp(cpu, sp + size);
		if (s == SEG_SS)
			cpu->intr_shadow = 1;
		return;
	}
	case 0x60: {
		uint64_t sp0 = cpu->regs[REG_RSP];
		static const unsigned order[8] = { 0, 1, 2, 3, 4, 5, 6, 7 };
		uint64_t sp = emu_rsp(cpu);
		emu_linear(cpu, SEG_SS, (sp - 8 * size) & emu_stack_mask(cpu), 8 * size, ACC_WRITE);
		for (unsigned i = 0; i < 8; i++)
			emu_push(cpu, size, order[i] == REG_RSP ? sp0 : cpu->regs[order[i]]);
		return;
	}
	case 0x61: {
		uint64_t sp = emu_rsp(cpu);
		emu_linear(cpu, SEG_SS, sp, 8 * size, ACC_READ);
		for (int i = 7; i >= 0; i--) {
			v = emu_pop(cpu, size);
			if (i != REG_RSP)
				emu_reg_set(cpu, in, (unsigned)i, size, v);
		}
		return;
	}
	case 0x9c: exec_pushf(cpu, size); return;
	case 0x9d: exec_popf(cpu, size); return;
	case 0xc8: exec_enter(cpu, in); return;
	case 0xc9: {
		uint64_t bp = cpu->regs[REG_RBP] & emu_stack_mask(cpu);
		v = emu_read(cpu, SEG_SS, bp, size);
		emu_set_rsp(cpu, bp + size);
		emu_reg_set(cpu, in, REG_RBP, size, v);
		return;
	}
	case 0x63:
		if (cpu->code64) {   /* MOVSXD */
			v = emu_rm_read(cpu, in, 4);
			emu_reg_set(cpu, in, in->reg, size, size == 8 ? emu_sext(v, 4) : v);
			return;
		}
		if (!(cpu->cr0 & CR0_PE) || (cpu->rflags & FL_VM))
			emu_raise(cpu, EXC_UD, 0);
		{   /* ARPL */
			uint64_t d = emu_rm_read(cpu, in, 2), s = emu_reg_get(cpu, in, in->reg, 2);
			uint64_t fl = emu_get_flags(cpu);
			if ((d & 3) < (s & 3)) {
				emu_rm_write(cpu, in, 2, (d & ~3ULL) | (s & 3));
				fl |= FL_ZF;
			} else {
				fl &= ~(uint64_t)FL_ZF;
			}
			emu_set_flags(cpu, fl);
		}
		return;
	case 0x86: case 0x87: {
		size = op & 1 ? size : 1;
		uint64_t r = emu_reg_get(cpu, in, in->reg, size);
		if (in->mod == 3) {
			v = emu_reg_get(cpu, in, in->rm, size);
			emu_reg_set(cpu, in, in->rm, size, r);
		} else {
			uint64_t lin = emu_linear(cpu, in->seg, emu_ea(cpu, in), size, ACC_WRITE);
			v = emu_mem_rmw(cpu, lin, size, rmw_xchg, r, 0, true);
		}
		emu_reg_set(cpu, in, in->reg, size, v);
		return;
	}
	case 0x90:
		if (!(in->rex & 1))
			return;   /* NOP / PAUSE */
		__attribute__((fallthrough));   /* XCHG r8, rAX */
	case 0x91 ... 0x97: {
		unsigned r = (op & 7) | ((in->rex & 1) << 3);
		v = cpu->regs[r];
		emu_reg_set(cpu, in, r, size, cpu->regs[REG_RAX]);
		emu_reg_set(cpu, in, REG_RAX, size, v);
		return;
	}
	case 0x98:
		v = cpu->regs[REG_RAX];
		emu_reg_set(cpu, in, REG_RAX, size, emu_sext(v, size / 2));
		return;
	case 0x99:
		v = emu_sext(cpu->regs[REG_RAX] & emu_mask(size), size);
		emu_reg_set(cpu, in, REG_RDX, size, (int64_t)v < 0 ? ~0ULL : 0);
		return;
	case 0x9b:
		emu_x87_wait(cpu);
		return;
	case 0x9e: {
		uint64_t mask = FL_SF | FL_ZF | FL_AF | FL_PF | FL_CF;
		uint64_t ah = (cpu->regs[REG_RAX] >> 8) & 0xff;
		emu_set_flags(cpu, (emu_get_flags(cpu) & ~mask) | (ah & mask));
		return;
	}
	case 0x9f:   /* LAHF: always AH, REX or not */
		cpu->regs[REG_RAX] = (cpu->regs[REG_RAX] & ~0xff00ULL) |
				     (((emu_get_flags(cpu) & 0xd5) | 2) << 8);
		return;
	case 0xd7: {
		uint64_t ea = (cpu->regs[REG_RBX] + (cpu->regs[REG_RAX] & 0xff)) &
			      emu_mask(in->addrsize);
		emu_reg_set(cpu, in, REG_RAX, 1, emu_read(cpu, in->seg, ea, 1));
		return;
	}
	case 0xd6:   /* SALC (undocumented, real on every Intel part) */
		emu_reg_set(cpu, in, REG_RAX, 1, emu_cond(cpu, 2) ? 0xff : 0);
		return;
	case 0xd8 ... 0xdf:
		emu_x87(cpu, in);
		return;
	case 0xf5: emu_set_flags(cpu, emu_get_flags(cpu) ^ FL_CF); return;
	case 0xf8: emu_set_flags(cpu, emu_get_flags(cpu) & ~(uint64_t)FL_CF); return;
	case 0xf9: emu_set_flags(cpu, emu_get_flags(cpu) | FL_CF); return;
	case 0xfc: cpu->rflags &= ~(uint64_t)FL_DF; return;
	case 0xfd: cpu->rflags |= FL_DF; return;
	case 0xc4: exec_load_far_ptr(cpu, in, SEG_ES); return;
	case 0xc5: exec_load_far_ptr(cpu, in, SEG_DS); return;
	case 0x1b2: exec_load_far_ptr(cpu, in, SEG_SS); return;
	case 0x1b4: exec_load_far_ptr(cpu, in, SEG_FS); return;
	case 0x1b5: exec_load_far_ptr(cpu, in, SEG_GS); return;
	case 0x140 ... 0x14f:
		v = emu_rm_read(cpu, in, size);
		if (emu_cond(cpu, op & 0xf))
			emu_reg_set(cpu, in, in->reg, size, v);
		else if (size == 4)
			cpu->regs[in->reg] &= 0xffffffff;
		return;
	case 0x190 ... 0x19f:
		emu_rm_write(cpu, in, 1, emu_cond(cpu, op & 0xf));
		return;
	case 0x1b6: case 0x1b7:
		v = emu_rm_read(cpu, in, op & 1 ? 2 : 1);
		emu_reg_set(cpu, in, in->reg, size, v);
		return;
	case 0x1be: case 0x1bf:
		v = emu_sext(emu_rm_read(cpu, in, op & 1 ? 2 : 1), op & 1 ? 2 : 1);
		emu_reg_set(cpu, in, in->reg, size, v);
		return;
	case 0x1c8 ... 0x1cf: {
		unsigned r = (op & 7) | ((in->rex & 1) << 3);
		if (size == 8)
			cpu->regs[r] = __builtin_bswap64(cpu->regs[r]);
		else if (size == 4)
			cpu->regs[r] = __builtin_bswap32((uint32_t)cpu->regs[r]);
		else
			emu_reg_set(cpu, in, r, 2, 0);   /* undefined; 0 as on Intel */
		return;
	}
	case 0x1c7:
		if ((in->reg & 7) == 1) {
			exec_cmpxchg8b(cpu, in);
			return;
		}
		if (emu_exec_system(cpu, in))   /* RDPID */
			return;
		break;
	case 0x1c3:   /* MOVNTI */
		if (in->mod == 3)
			emu_raise(cpu, EXC_UD, 0);
		emu_write(cpu, in->seg, emu_ea(cpu, in), size == 8 ? 8 : 4, cpu->regs[in->reg]);
		return;
	case 0x10d: case 0x118 ... 0x11f:
		return;   /* prefetch hints and multi-byte NOP */
	default:
		if (in->group && groups[in->group - 1](cpu, in))
			return;
		for (unsigned g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
			if (groups[g](cpu, in)) {
				in->group = (uint8_t)(g + 1);
				return;
			}
		break;
	}
	emu_unimplemented(cpu, in);
}

void emu_unimplemented(struct emu_cpu *cpu, struct emu_insn *in)
{
	if (log_ratelimit_ok(&cpu->rl_ud, 5))
		EMU_LOG(cpu, LOG_WARN, "cpu%u: unimplemented opcode %s%02x /%u at %llx -> #UD",
			cpu->index, in->op >= 0x100 ? "0f " : "", in->op & 0xff,
			in->has_modrm ? in->reg & 7 : 0, (unsigned long long)cpu->rip);
	emu_raise(cpu, EXC_UD, 0);
}
