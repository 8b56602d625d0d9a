/*
 * The JIT's inline memory accesses (jit.c's translate loop calls them): the
 * one-compare TLB-hit check, and the 32/64-bit MOV loads and stores, PUSH/
 * POP r64 and the ALU forms that read or read-modify-write memory through
 * it. Each returns the jump past its slow path; the slow path (a TLB miss,
 * page crossing or non-canonical address) is the instruction's handler,
 * which does the access the slow way and raises the faults (see "memory"
 * in the design note atop jit.c).
 */
#include "cpu/emu/jit_priv.h"

/* MOV r/m <-> r with a 32/64-bit operand in memory, 64-bit addressing. */
bool mem_mov(const struct emu_insn *in)
{
	return (in->op == 0x89 || in->op == 0x8b) && in->mod != 3 && in->addrsize == 8 &&
	       plain_size(in) && !in->lock;
}

/* The TLB-hit check for an access of `size` bytes at the linear address in
 * rax (64-bit mode: no segment checks beyond canonical): leaves the host
 * pointer in rdx, or jumps to the fixup returned in f[0] (f[1], f[2]: none),
 * where the handler runs and does the slow path and the faults. Keeps rax.
 * One compare does it all: the entry is picked by the first byte's page
 * and its tag compared with the last byte's page. A tag is a canonical
 * page stored in the entry its own page indexes (mmu.c's tlb_fill; a
 * non-canonical access faults before any walk), so an access that
 * crosses a page (the last byte's page indexes the next entry), or whose
 * first or last byte is not canonical, never matches. */
void emit_tlb(struct jbuf *j, unsigned acc, unsigned size, uint8_t *f[3])
{
	emit_tlb_entry(j);
	if (size == 1) {
		b1(j, 0x48); b1(j, 0x89); b1(j, 0xc2);       /* mov rdx, rax */
	} else {
		b1(j, 0x48); b1(j, 0x8d); b1(j, 0x50); b1(j, (uint8_t)(size - 1));   /* lea rdx, [rax + size - 1] */
	}
	b1(j, 0x48); b1(j, 0x81); b1(j, 0xe2); b4(j, 0xfffff000u);   /* and rdx, ~0xfff */
	b1(j, 0x48); b1(j, 0x3b); b1(j, 0x91);               /* cmp rdx, [rcx + tag] */
	b4(j, (uint32_t)(offsetof(struct emu_tlb_entry, tag) + 8 * acc));
	f[0] = jcc32(j, 0x5);
	f[1] = f[2] = NULL;
	b1(j, 0x48); b1(j, 0x8b); b1(j, 0x91);               /* mov rdx, [rcx + addend] */
	b4(j, (uint32_t)offsetof(struct emu_tlb_entry, addend));
	b1(j, 0x48); b1(j, 0x01); b1(j, 0xc2);               /* add rdx, rax */
}

uint8_t *jmp32(struct jbuf *j)
{
	b1(j, 0xe9);
	uint8_t *at = j->p;
	b4(j, 0);
	return at;
}

/* The TLB-hit path of a load (0x8b) or store (0x89): as emu_read()/
 * emu_write() with a hit. Returns the jump to patch past the slow path;
 * the fixups in f lead to the slow path (the handler). */
uint8_t *emit_mem_fast(struct jbuf *j, const struct emu_insn *in, int32_t next_off,
			      uint8_t *f[3])
{
	bool w = in->opsize == 8, store = in->op == 0x89;
	emit_ea(j, in, next_off);
	if (in->seg >= SEG_FS) {   /* add rax, [seg base] */
		b1(j, 0x48); b1(j, 0x03); b1(j, 0x83);
		b4(j, OFF(seg) + in->seg * (uint32_t)sizeof(struct vcpu_segment) +
		      (uint32_t)offsetof(struct vcpu_segment, base));
	}
	emit_tlb(j, store ? ACC_WRITE : ACC_READ, in->opsize, f);
	if (store) {
		ld(j, RCX, OFF_REG(in->reg), true);
		if (w)
			b1(j, 0x48);
		b1(j, 0x89); b1(j, 0x0a);                    /* mov [rdx], (r/e)cx */
	} else {
		if (w)
			b1(j, 0x48);
		b1(j, 0x8b); b1(j, 0x12);                    /* mov (r/e)dx, [rdx] */
		b1(j, 0x48); b1(j, 0x89); b1(j, 0x93); b4(j, OFF_REG(in->reg));   /* store rdx */
	}
	return jmp32(j);
}

/* PUSH/POP r64 (50+r, 58+r) with the 64-bit default size. */
bool pushpop(const struct emu_insn *in)
{
	return in->op >= 0x50 && in->op <= 0x5f && in->opsize == 8 && !in->p66;
}

/* As emu_push()/emu_pop() with a TLB hit (64-bit stack, no SS base). */
uint8_t *emit_pushpop_fast(struct jbuf *j, const struct emu_insn *in, uint8_t *f[3])
{
	bool push = in->op < 0x58;
	ld(j, RAX, OFF_REG(REG_RSP), true);
	if (push) {
		b1(j, 0x48); b1(j, 0x8d); b1(j, 0x40); b1(j, 0xf8);   /* lea rax, [rax - 8] */
	}
	emit_tlb(j, push ? ACC_WRITE : ACC_READ, 8, f);
	if (push) {
		ld(j, RCX, OFF_REG(opreg(in)), true);   /* PUSH RSP pushes the old value */
		b1(j, 0x48); b1(j, 0x89); b1(j, 0x0a);                /* mov [rdx], rcx */
		st(j, RAX, OFF_REG(REG_RSP));
	} else {
		b1(j, 0x48); b1(j, 0x8b); b1(j, 0x0a);                /* mov rcx, [rdx] */
		b1(j, 0x48); b1(j, 0x8d); b1(j, 0x40); b1(j, 0x08);   /* lea rax, [rax + 8] */
		st(j, RAX, OFF_REG(REG_RSP));
		st(j, RCX, OFF_REG(opreg(in)));         /* POP RSP keeps the value popped */
	}
	return jmp32(j);
}

/* ALU forms that read memory and write at most a register: op r, [m]
 * (ADD OR AND SUB XOR CMP), CMP [m], r / imm, TEST [m], r. Returns the kind
 * (as alu_kind) or -1. */
int alu_load_kind(const struct emu_insn *in)
{
	if (!in->has_modrm || in->mod == 3 || in->addrsize != 8 || !plain_size(in) || in->lock)
		return -1;
	unsigned op = in->op;
	int k;
	if (op < 0x40 && (op & 7) == 3)
		k = (int)(op >> 3);
	else if (op == 0x39)
		k = 7;
	else if ((op == 0x81 || op == 0x83) && (in->reg & 7) == 7)
		k = 7;
	else if (op == 0x85)
		k = 8;
	else
		return -1;
	return k == 2 || k == 3 ? -1 : k;
}

/* rax = linear address of the memory operand (64-bit mode) and the TLB
 * check for a read of size bytes; rdx = host pointer on a hit. */
void emit_mem_addr(struct jbuf *j, const struct emu_insn *in, int32_t next_off,
			  unsigned acc, unsigned size, uint8_t *f[3])
{
	emit_ea(j, in, next_off);
	if (in->seg >= SEG_FS) {   /* add rax, [seg base] */
		b1(j, 0x48); b1(j, 0x03); b1(j, 0x83);
		b4(j, OFF(seg) + in->seg * (uint32_t)sizeof(struct vcpu_segment) +
		      (uint32_t)offsetof(struct vcpu_segment, base));
	}
	emit_tlb(j, acc, size, f);
}

uint8_t *emit_alu_load_fast(struct jbuf *j, const struct emu_insn *in, int kind,
				   int32_t next_off, uint8_t *f[3])
{
	bool w = in->opsize == 8;
	emit_mem_addr(j, in, next_off, ACC_READ, in->opsize, f);
	if (w)
		b1(j, 0x48);
	b1(j, 0x8b); b1(j, 0x0a);                            /* mov (r/e)cx, [rdx] */
	if (in->op < 0x40 && (in->op & 7) == 3) {            /* op reg, [m]: a = reg */
		ld(j, RAX, OFF_REG(in->reg), w);
		emit_alu_tail(j, in, kind, false, kind == 7 ? -1 : (int)in->reg);
	} else {                                             /* a = [m] */
		b1(j, 0x48); b1(j, 0x89); b1(j, 0xc8);       /* mov rax, rcx */
		if (in->op == 0x81 || in->op == 0x83)
			movi(j, RCX, in->imm & emu_mask(in->opsize));
		else
			ld(j, RCX, OFF_REG(in->reg), w);
		emit_alu_tail(j, in, kind, false, -1);
	}
	return jmp32(j);
}

/* ALU ops with a memory destination, not locked: op [m], r and op [m], imm
 * for ADD OR AND SUB XOR. Returns the kind or -1. */
int alu_rmw_kind(const struct emu_insn *in)
{
	if (!in->has_modrm || in->mod == 3 || in->addrsize != 8 || !plain_size(in) || in->lock)
		return -1;
	unsigned op = in->op;
	int k;
	if (op < 0x40 && (op & 7) == 1)
		k = (int)(op >> 3);
	else if (op == 0x81 || op == 0x83)
		k = in->reg & 7;
	else
		return -1;
	return k == 0 || k == 1 || k == 4 || k == 5 || k == 6 ? k : -1;
}

/* As emu_rm_rmw() with a write-TLB hit (the read goes through the same
 * entry, as emu_mem_rmw() reads with ACC_WRITE). */
uint8_t *emit_alu_rmw_fast(struct jbuf *j, const struct emu_insn *in, int kind,
				  int32_t next_off, uint8_t *f[3])
{
	bool w = in->opsize == 8;
	emit_mem_addr(j, in, next_off, ACC_WRITE, in->opsize, f);
	if (w)
		b1(j, 0x48);
	b1(j, 0x8b); b1(j, 0x02);                            /* mov (r/e)ax, [rdx] */
	if (in->op == 0x81 || in->op == 0x83)
		movi(j, RCX, in->imm & emu_mask(in->opsize));
	else
		ld(j, RCX, OFF_REG(in->reg), w);
	emit_alu_tail(j, in, kind, false, -1);               /* keeps rdx */
	if (w)
		b1(j, 0x48);
	b1(j, 0x89); b1(j, 0x02);                            /* mov [rdx], (r/e)ax */
	return jmp32(j);
}

