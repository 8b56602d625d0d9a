/*
 * A JIT for the emulator's decoded blocks (block.c). On by default (a
 * block is translated on its 16th run); NYX_EMU_JIT=0 turns it off,
 * NYX_EMU_JIT=N translates on the Nth run (1: at once). The emulator is
 * x86-64-host-only, and so is this file.
 *
 * Design note — a block's life under the JIT:
 *   decode   block.c decodes and caches the block as without the JIT.
 *   count    Each run of a 64-bit block through the interpreter loop adds
 *            one to its hit count; at the threshold it is translated.
 *   translate  One host function per block, int fn(struct emu_cpu *cpu):
 *            rbx holds cpu, r12 the guest RIP at entry (the block is keyed
 *            by physical location, so the code never bakes in a linear
 *            address: every RIP is r12 + offset). Guest state stays in
 *            struct emu_cpu. Inline, with 32/64-bit operands: register
 *            MOV, MOV imm, LEA, the group-1 ALU ops and TEST (host ALU ops
 *            on the guest registers' memory copies, writing the lazy-flag
 *            fields as emu_alu_inline() does; ADC/SBB/INC/DEC get CF from
 *            the host CF an inline op left, else from the lazy state
 *            through a call), SHL/SHR/SAR by an immediate
 *            and IMUL r, r (the host's flags stored eagerly: the host CPU
 *            is the reference), MOVZX/MOVSX/MOVSXD, and MOV loads/stores,
 *            ALU ops reading memory (op r, [m]; CMP/TEST [m]) or writing it
 *            (op [m], r/imm, not locked), PUSH/POP r64 and
 *            CALL rel32/RET through an inline TLB hit (jit_mem.c; as emu_read()/
 *            emu_write(); a miss, page crossing or non-canonical address
 *            calls the handler, which does the slow path and raises the
 *            faults; those slow paths sit at the block's end, cold,
 *            and jump back: the fast path falls through). jit_forms.c
 *            adds the 8/16-bit forms (ALU, CMP, TEST, MOV with registers
 *            and memory), the accumulator-immediate ALU forms, TEST r/m,
 *            imm, NOT, NEG, rotates and 8/16-bit shifts by an immediate,
 *            shifts by CL, INC/DEC [m] (locked too), SSE2/SSSE3
 *            integer ops on XMM registers, MOVD xmm, r/m and NOP.
 *            NYX_EMU_JIT_STATS=1 (jit_stats.c) counts the handler calls
 *            the generated code still makes, per form, to pick the next
 *            forms to inline. A Jcc right after an inline
 *            flag-setting op branches on the host flags that op left
 *            (they are the guest's: same instruction, same operands), and
 *            so do CMOVcc r, r and SETcc r8 between them (they keep the
 *            host flags, so a later Jcc still reads them); after
 *            anything else they call emu_cond() on the lazy flags and
 *            test its answer instead of calling their handler;
 *            JMP rel is a constant offset. Everything else calls its
 *            fast handler or emu_exec() with the decoded instruction, after
 *            storing what the interpreter loop would (RIP, next RIP, the
 *            fault-rollback RSP, the instructions completed so far); a
 *            fault longjmps out of the generated code exactly as out of
 *            the interpreter, with RIP at the faulting instruction. After
 *            a call the code leaves when the handler branched, asked for
 *            an event check or wrote the block's page, as the loop does.
 *            Returns bit 0: left other than by falling off the end
 *            (the chain slot), bit 1: left before the last instruction,
 *            bit 2: the next block's chain entry refused to run it,
 *            bit 3: left through a static chain jump not linked yet.
 *   flags    Flag liveness (flags_dead()): a full flag-setter (an inline
 *            group-1 op but ADC/SBB, TEST, a shift by an immediate, IMUL
 *            r, r) whose flags a later full setter of the same block
 *            overwrites with only register moves/LEA/MOVZX between stores
 *            none of them (a dead CMP or TEST emits nothing); anything
 *            else observes the flags (jit_flags_use(): a flag reader, a
 *            handler call, a memory access whose slow path can fault, the
 *            block's end), so the last setter before it stores exactly
 *            what the interpreter would. Stores kept are cheaper: CC_LOGIC
 *            and INC/DEC store only cc_res (the evaluator reads nothing
 *            else), cc_op and cc_size go as one 16-bit store, and
 *            ADC/SBB/INC/DEC take the guest's CF from the host CF an
 *            inline op left (SETC to cc_cin) instead of a call. An ALU op
 *            that stores neither cc_a nor cc_b (dead, or a logic op) takes
 *            its source straight from the immediate or the register's
 *            memory copy; a dead 64-bit one is one read-modify-write.
 *   rax      Guest registers stay in struct emu_cpu (every result is
 *            stored), but the register an instruction's code stored from
 *            rax last is still in rax when the next instruction starts:
 *            that instruction's first ld() of it is a register move
 *            (rax_tail()/rax_consumer() say which forms' code ends with
 *            that store and which load before they write rax), which cuts
 *            the store-to-load latency of dependent chains (shr, imul,
 *            cmp in the LZMA decoder).
 *   memory   An inline access's TLB check is one compare (emit_tlb(): the
 *            tag of the entry the first byte picks against the last
 *            byte's page, which also rules out page crossings and
 *            non-canonical addresses), and the instructions completed
 *            before it are counted only on its slow path (the handler
 *            sees the interpreter's counts; the fast path adds nothing),
 *            then uncounted there if the code goes on, so both paths meet
 *            with the same count pending.
 *   chain    Where a block leaves, the code checks what the step loop
 *            would (event check due, exit asked, budget: one compare with
 *            cpu->jit_limit and the three flags) and goes straight on into
 *            the successor's code (cpu->jit_cur says which block is
 *            running): to a fixed address on its own page by a jump the
 *            step loop patches to the successor's chain entry once both
 *            are translated, to any other address after a TLB and block
 *            lookup (jit_chain.c's design note). The chain entry checks
 *            the translation is still its block's and the block's bytes
 *            are current. Exits that cannot chain return to the step loop,
 *            which chains through block.c.
 *   invalidate  A block rebuilt by block.c drops its code; the code buffer
 *            (a memfd mapped twice: written through one view, executed
 *            through the other, so no page is writable and executable)
 *            is flushed whole when full by moving an epoch that every
 *            translation records, and clearing every block's jit_fn.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cpu/emu/jit_priv.h"

#define JIT_BUF_SIZE (16u << 20)
#define JIT_THRESHOLD 16     /* runs that make a block hot, by default */
#define JIT_MAX_BLOCK 8192   /* bytes of host code one block may take */
/* --- Inline forms ---------------------------------------------------------------- */

/* The group-1 operation of an inline ALU form, or -1. */
static int alu_kind(const struct emu_insn *in)
{
	if (!in->has_modrm || in->mod != 3 || !plain_size(in) || in->lock)
		return -1;
	unsigned op = in->op;
	int k;
	if (op < 0x40 && ((op & 7) == 1 || (op & 7) == 3))
		k = (int)(op >> 3);
	else if (op == 0x81 || op == 0x83)
		k = in->reg & 7;
	else if (op == 0x85)
		return 8;   /* TEST */
	else
		return -1;
	return k;
}

static uint64_t jit_get_cf(struct emu_cpu *cpu)
{
	return emu_get_cf(cpu);
}

/* eax = the guest's CF (from the lazy flags). Clobbers the caller-saved
 * registers. */
static void emit_get_cf(struct jbuf *j)
{
	j->rax_fresh = false;
	b1(j, 0x48); b1(j, 0x89); b1(j, 0xdf);                   /* mov rdi, rbx */
	movi(j, RAX, (uint64_t)(uintptr_t)(void *)jit_get_cf);
	b1(j, 0xff); b1(j, 0xd0);                                /* call rax */
}

/* The host's arithmetic flags (just set by the guest's operation run on the
 * host) become the guest's, eagerly (cc_op = CC_EAGER). */
void emit_eager_flags(struct jbuf *j)
{
	b1(j, 0x9c);                                             /* pushfq */
	b1(j, 0x59);                                             /* pop rcx */
	b1(j, 0x81); b1(j, 0xe1); b4(j, FL_ARITH);               /* and ecx, FL_ARITH */
	b1(j, 0x48); b1(j, 0x8b); b1(j, 0x93); b4(j, OFF(rflags));   /* mov rdx, [rflags] */
	b1(j, 0x48); b1(j, 0x81); b1(j, 0xe2); b4(j, ~(uint32_t)FL_ARITH);   /* and rdx, ~ */
	b1(j, 0x48); b1(j, 0x09); b1(j, 0xca);                   /* or rdx, rcx */
	b1(j, 0x48); b1(j, 0x89); b1(j, 0x93); b4(j, OFF(rflags));   /* mov [rflags], rdx */
	st8i(j, OFF(cc_op), CC_EAGER);
}

/* SHL/SHR/SAR r32/r64 by an immediate (C1, D1) that is not 0 once masked. */
static bool shift_imm(const struct emu_insn *in)
{
	if ((in->op != 0xc1 && in->op != 0xd1) || in->mod != 3 || !plain_size(in) || in->lock)
		return false;
	unsigned sub = in->reg & 7;
	if (sub != 4 && sub != 5 && sub != 7)
		return false;
	unsigned cnt = in->op == 0xd1 ? 1 : (unsigned)in->imm & (in->opsize == 8 ? 63 : 31);
	return cnt != 0;
}

/* keep: store the flags (false: a later op of the block overwrites them
 * unobserved). */
static void emit_shift(struct jbuf *j, const struct emu_insn *in, bool keep)
{
	bool w = in->opsize == 8;
	unsigned sub = in->reg & 7;
	unsigned cnt = in->op == 0xd1 ? 1 : (unsigned)in->imm & (w ? 63 : 31);
	ld(j, RAX, OFF_REG(in->rm), w);
	if (w)
		b1(j, 0x48);
	b1(j, 0xc1); b1(j, (uint8_t)(0xc0 | (sub << 3))); b1(j, (uint8_t)cnt);
	if (keep)
		emit_eager_flags(j);
	st(j, RAX, OFF_REG(in->rm));
}

/* IMUL r32/r64, r32/r64 (0F AF, register source). */
static bool imul_rr(const struct emu_insn *in)
{
	return in->op == 0x1af && in->mod == 3 && plain_size(in) && !in->lock;
}

static void emit_imul(struct jbuf *j, const struct emu_insn *in, bool keep)
{
	bool w = in->opsize == 8;
	ld(j, RAX, OFF_REG(in->reg), w);
	ld(j, RCX, OFF_REG(in->rm), w);
	if (w)
		b1(j, 0x48);
	b1(j, 0x0f); b1(j, 0xaf); b1(j, 0xc1);                   /* imul (r/e)ax, (r/e)cx */
	if (keep)
		emit_eager_flags(j);
	st(j, RAX, OFF_REG(in->reg));
}

enum alu_cf { ALU_CF_NONE, ALU_CF_EDX, ALU_CF_HOST };
/* Per ALU kind: the host's op r/m, r opcode and the lazy-flag op. */
static const uint8_t host_op_rm[9] = {
	0x01, 0x09, 0x11, 0x19, 0x21, 0x29, 0x31, 0x29, 0x21,   /* CMP as SUB, TEST as AND */
};
static const uint8_t cc_of_kind[9] = {
	CC_ADD, CC_LOGIC, CC_ADC, CC_SBB, CC_LOGIC, CC_SUB, CC_LOGIC, CC_SUB, CC_LOGIC,
};
static void emit_alu_op(struct jbuf *j, const struct emu_insn *in, int kind, enum alu_cf cf,
			int dst, bool keep);

/* flags_live as in translate(); keep: store the lazy flags (see
 * emit_alu_op()). A CMP or TEST whose flags nobody reads emits nothing. */
static void emit_alu(struct jbuf *j, const struct emu_insn *in, int kind, unsigned flags_live,
		     bool keep)
{
	bool w = in->opsize == 8;
	bool imm = in->op == 0x81 || in->op == 0x83;
	bool to_reg = !imm && in->op < 0x40 && (in->op & 7) == 3;   /* op reg, r/m */
	unsigned dst = to_reg ? in->reg : in->rm;
	enum alu_cf cf = ALU_CF_NONE;
	if (!keep && (kind == 7 || kind == 8))
		return;
	if ((kind == 2 || kind == 3) && flags_live == 1) {
		/* ADC/SBB right after an inline op: the host CF is the guest's
		 * (the loads below leave it) */
		setc_mem(j, OFF(cc_cin));
		cf = ALU_CF_HOST;
	} else if (kind == 2 || kind == 3) {   /* the guest's CF in edx and cc_cin */
		emit_get_cf(j);
		b1(j, 0x89); b1(j, 0xc2);                        /* mov edx, eax */
		b1(j, 0x88); b1(j, 0x83); b4(j, OFF(cc_cin));    /* mov [cc_cin], al */
		cf = ALU_CF_EDX;
	}
	unsigned src = to_reg ? in->rm : in->reg;
	bool imm32 = imm && (!w || (int64_t)in->imm == (int32_t)in->imm);
	bool logic = kind == 1 || kind == 4 || kind == 6 || kind == 8;
	if ((!keep || logic) && (!imm || imm32)) {
		/* cc_a/cc_b not stored: the host op takes its source straight
		 * from the immediate or the guest register's memory copy */
		static const uint8_t ext[9] = { 0, 1, 2, 3, 4, 5, 6, 5, 4 };
		static const uint8_t op_rm[9] = {   /* op r, r/m */
			0x03, 0x0b, 0x13, 0x1b, 0x23, 0x2b, 0x33, 0x2b, 0x23,
		};
		uint32_t doff = OFF_REG(dst);
		if (!keep && w && cf == ALU_CF_NONE && kind != 8) {
			/* dead, 64-bit: one read-modify-write of the register's copy */
			if (!imm)
				ld(j, RCX, OFF_REG(src), true);
			b1(j, 0x48);
			b1(j, imm ? 0x81 : host_op_rm[kind]);
			b1(j, (uint8_t)(0x83 | (imm ? ext[kind] << 3 : RCX << 3)));
			b4(j, doff);
			if (imm)
				b4(j, (uint32_t)in->imm);
			return;
		}
		ld(j, RAX, doff, w);
		if (cf == ALU_CF_EDX) {
			b1(j, 0x0f); b1(j, 0xba); b1(j, 0xe2); b1(j, 0);   /* bt edx, 0 */
		}
		if (w)
			b1(j, 0x48);
		if (imm) {
			b1(j, 0x81); b1(j, (uint8_t)(0xc0 | ext[kind] << 3));   /* op (r/e)ax, imm32 */
			b4(j, (uint32_t)in->imm);
		} else {
			b1(j, op_rm[kind]); b1(j, 0x83); b4(j, OFF_REG(src));   /* op (r/e)ax, [src] */
		}
		if (keep) {
			st(j, RAX, OFF(cc_res));
			st_cc(j, cc_of_kind[kind], in->opsize);
		}
		if (kind != 7 && kind != 8)
			st(j, RAX, doff);
		return;
	}
	ld(j, RAX, OFF_REG(dst), w);
	if (imm)
		movi(j, RCX, in->imm & emu_mask(in->opsize));
	else
		ld(j, RCX, OFF_REG(src), w);
	emit_alu_op(j, in, kind, cf, kind != 7 && kind != 8 ? (int)dst : -1, keep);
}

/* a in rax, b in rcx (the operand size's bits, zero-extended): the
 * operation, the lazy-flag fields, the result to register dst (-1: none). */
void emit_alu_tail(struct jbuf *j, const struct emu_insn *in, int kind, bool carry, int dst)
{
	emit_alu_op(j, in, kind, carry ? ALU_CF_EDX : ALU_CF_NONE, dst, true);
}

/* As emit_alu_tail(); cf says where ADC/SBB find the guest's CF (edx bit 0,
 * or already in the host's CF); keep: store the lazy-flag fields (false
 * when a later op of the block overwrites the flags unobserved: the host
 * flags are still the guest's after it). The lazy fields a kind needs:
 * CC_LOGIC reads only cc_res (alu.c's cc_compute, emu_get_cf). */
static void emit_alu_op(struct jbuf *j, const struct emu_insn *in, int kind, enum alu_cf cf,
			int dst, bool keep)
{
	bool w = in->opsize == 8, logic = kind == 1 || kind == 4 || kind == 6 || kind == 8;
	if (keep && !logic) {
		st(j, RAX, OFF(cc_a));
		st(j, RCX, OFF(cc_b));
	}
	const uint8_t *host_op = host_op_rm;
	if (cf == ALU_CF_EDX) {
		b1(j, 0x0f); b1(j, 0xba); b1(j, 0xe2); b1(j, 0);   /* bt edx, 0: CF = guest CF */
	}
	if (w)
		b1(j, 0x48);
	b1(j, host_op[kind]);
	b1(j, 0xc8);   /* op rax, rcx */
	if (keep) {
		st(j, RAX, OFF(cc_res));
		st_cc(j, cc_of_kind[kind], in->opsize);
	}
	if (dst >= 0)
		st(j, RAX, OFF_REG((unsigned)dst));
}

/* rax = the effective address of a 64-bit-addressing memory operand (as
 * emu_ea()); host flags untouched. */
void emit_ea(struct jbuf *j, const struct emu_insn *in, int32_t next_off)
{
	if (in->base == 0xfe)
		lea_r12(j, RAX, next_off);
	else if (in->base != 0xff)
		ld(j, RAX, OFF_REG(in->base), true);
	else
		movi(j, RAX, 0);
	if (in->index != 0xff) {
		ld(j, RCX, OFF_REG(in->index), true);
		/* lea rax, [rax + rcx * scale + disp32] */
		b1(j, 0x48); b1(j, 0x8d); b1(j, 0x84);
		b1(j, (uint8_t)((in->scale << 6) | (RCX << 3) | RAX));
		b4(j, (uint32_t)in->disp);
	} else if (in->disp) {
		/* lea rax, [rax + disp32]: unlike ADD it leaves the flags */
		b1(j, 0x48); b1(j, 0x8d); b1(j, 0x80); b4(j, (uint32_t)in->disp);
	}
}

/* Register MOV, MOV imm and LEA forms (emit_mov()). */
static bool mov_form(const struct emu_insn *in)
{
	unsigned op = in->op;
	if (in->lock || !plain_size(in))
		return false;
	return ((op == 0x89 || op == 0x8b) && in->mod == 3) || (op >= 0xb8 && op <= 0xbf) ||
	       (op == 0xc7 && in->mod == 3 && (in->reg & 7) == 0) ||
	       (op == 0x8d && in->mod != 3 && in->addrsize == 8);
}

/* Register MOV, MOV imm and LEA forms: true if emitted. */
static bool emit_mov(struct jbuf *j, const struct emu_insn *in, int32_t next_off)
{
	unsigned op = in->op;
	if (!mov_form(in))
		return false;
	if ((op == 0x89 || op == 0x8b) && in->mod == 3) {
		unsigned src = op == 0x89 ? in->reg : in->rm, dst = op == 0x89 ? in->rm : in->reg;
		ld(j, RAX, OFF_REG(src), in->opsize == 8);
		st(j, RAX, OFF_REG(dst));
		return true;
	}
	if (op >= 0xb8 && op <= 0xbf) {
		movi(j, RAX, in->imm & emu_mask(in->opsize));
		st(j, RAX, OFF_REG(opreg(in)));
		return true;
	}
	if (op == 0xc7 && in->mod == 3 && (in->reg & 7) == 0) {
		movi(j, RAX, in->imm & emu_mask(in->opsize));
		st(j, RAX, OFF_REG(in->rm));
		return true;
	}
	if (op == 0x8d && in->mod != 3 && in->addrsize == 8) {
		emit_ea(j, in, next_off);
		if (in->opsize == 4) {
			b1(j, 0x89); b1(j, 0xc0);   /* mov eax, eax */
		}
		st(j, RAX, OFF_REG(in->reg));
		return true;
	}
	return false;
}

/* Is the rel8/rel32 JMP or Jcc target computed inline? (64-bit operand size;
 * a 66 prefix makes it a 16-bit branch, left to the handler.) */
static bool rel_branch(const struct emu_insn *in)
{
	return in->opsize == 8 && !in->p66;
}

/* rax = r12 + off; if non-canonical jump to the returned fixup. */
static uint8_t *target_checked(struct jbuf *j, int64_t off)
{
	lea_r12(j, RAX, (int32_t)off);
	b1(j, 0x48); b1(j, 0x89); b1(j, 0xc1);               /* mov rcx, rax */
	b1(j, 0x48); b1(j, 0xc1); b1(j, 0xe1); b1(j, 16);    /* shl rcx, 16 */
	b1(j, 0x48); b1(j, 0xc1); b1(j, 0xf9); b1(j, 16);    /* sar rcx, 16 */
	b1(j, 0x48); b1(j, 0x39); b1(j, 0xc1);               /* cmp rcx, rax */
	return jcc32(j, 0x5);                                /* jne */
}

/* MOVZX/MOVSX (0F B6 B7 BE BF) and MOVSXD (63) to a 32/64-bit register. */
static bool movx(const struct emu_insn *in)
{
	unsigned op = in->op;
	if (!(op == 0x1b6 || op == 0x1b7 || op == 0x1be || op == 0x1bf || op == 0x63) ||
	    !plain_size(in) || in->lock)
		return false;
	if (in->mod != 3)
		return in->addrsize == 8;
	/* AH CH DH BH (byte registers 4-7 without REX): left to the handler */
	return !((op == 0x1b6 || op == 0x1be) && !in->rex && in->rm >= 4 && in->rm < 8);
}

/* rcx = source (in rcx for a register source, at [rdx] for memory)
 * extended as the instruction says, then stored to the destination. */
static void emit_movx_tail(struct jbuf *j, const struct emu_insn *in, bool mem)
{
	unsigned op = in->op;
	uint8_t modrm = mem ? 0x0a : 0xc9;   /* rcx, [rdx] / rcx, rcx */
	switch (op) {
	case 0x1b6: b1(j, 0x0f); b1(j, 0xb6); b1(j, modrm); break;              /* movzx ecx */
	case 0x1b7: b1(j, 0x0f); b1(j, 0xb7); b1(j, modrm); break;
	case 0x1be: b1(j, 0x48); b1(j, 0x0f); b1(j, 0xbe); b1(j, modrm); break; /* movsx rcx */
	case 0x1bf: b1(j, 0x48); b1(j, 0x0f); b1(j, 0xbf); b1(j, modrm); break;
	default:   /* 63: MOVSXD with REX.W, else a plain 32-bit move */
		if (in->opsize == 8) {
			b1(j, 0x48); b1(j, 0x63); b1(j, modrm);
		} else {
			b1(j, 0x8b); b1(j, modrm);
		}
		break;
	}
	if (in->opsize == 4 && (op == 0x1be || op == 0x1bf)) {
		b1(j, 0x89); b1(j, 0xc9);                    /* mov ecx, ecx */
	}
	st(j, RCX, OFF_REG(in->reg));
}

static unsigned movx_src_size(const struct emu_insn *in)
{
	return in->op == 0x63 ? 4 : (in->op & 1) ? 2 : 1;
}

/* INC/DEC r32/r64 (FF /0, /1): host flags but CF are the guest's after it. */
static bool incdec(const struct emu_insn *in)
{
	return in->op == 0xff && in->mod == 3 && (in->reg & 7) < 2 && plain_size(in) && !in->lock;
}

/* flags_live as in translate(): 1, the host CF is the guest's; 2, cc_cin
 * already is (an INC/DEC before, nothing between changed CF). Only cc_res
 * is read for INC/DEC besides cc_cin (alu.c's cc_compute). */
static void emit_incdec(struct jbuf *j, const struct emu_insn *in, unsigned flags_live)
{
	bool dec = in->reg & 1, w = in->opsize == 8;
	if (flags_live == 1) {
		setc_mem(j, OFF(cc_cin));
	} else if (flags_live != 2) {
		emit_get_cf(j);
		b1(j, 0x88); b1(j, 0x83); b4(j, OFF(cc_cin));    /* mov [cc_cin], al */
	}
	ld(j, RAX, OFF_REG(in->rm), w);
	if (w)
		b1(j, 0x48);
	b1(j, 0xff); b1(j, dec ? 0xc8 : 0xc0);                   /* inc/dec (r/e)ax */
	st(j, RAX, OFF(cc_res));
	st_cc(j, dec ? CC_DEC : CC_INC, (uint8_t)in->opsize);
	st(j, RAX, OFF_REG(in->rm));
}

/* Do the host flags hold what condition cc reads? flags_live as in
 * translate(): 1 all, 2 all but CF (B/AE and BE/A read CF). */
static bool cond_live(unsigned flags_live, unsigned cc)
{
	return flags_live == 1 || (flags_live == 2 && (cc >> 1) != 1 && (cc >> 1) != 3);
}

/* CMOVcc r32/r64, r32/r64 (0F 40-4F, register source) and SETcc r8
 * (0F 90-9F, register destination): run on the host's flags, which are
 * the guest's; neither changes them. */
static bool cmov_rr(const struct emu_insn *in)
{
	return in->op >= 0x140 && in->op <= 0x14f && !in->vex && in->mod == 3 &&
	       plain_size(in) && !in->lock;
}

static bool setcc_r(const struct emu_insn *in)
{
	return in->op >= 0x190 && in->op <= 0x19f && !in->vex && in->mod == 3 && !in->lock;
}

static uint64_t jit_cond(struct emu_cpu *cpu, uint64_t cc)
{
	return emu_cond(cpu, (unsigned)cc);
}

/* Host ZF = !condition cc of the guest's lazy flags (for the host flags
 * not holding the guest's): a call to emu_cond(), then test eax, eax.
 * Clobbers the caller-saved registers. */
static void emit_cond_lazy(struct jbuf *j, unsigned cc)
{
	j->rax_fresh = false;
	b1(j, 0x48); b1(j, 0x89); b1(j, 0xdf);                   /* mov rdi, rbx */
	b1(j, 0xbe); b4(j, cc);                                  /* mov esi, cc */
	movi(j, RAX, (uint64_t)(uintptr_t)(void *)jit_cond);
	b1(j, 0xff); b1(j, 0xd0);                                /* call rax */
	b1(j, 0x85); b1(j, 0xc0);                                /* test eax, eax */
}

/* live: the host flags are the guest's (cond_live()); else the condition
 * comes from the lazy flags and is tested as host NZ. */
static void emit_cmov(struct jbuf *j, const struct emu_insn *in, bool live)
{
	bool w = in->opsize == 8;
	unsigned cc = live ? in->op & 0xf : 0x5;
	if (!live)
		emit_cond_lazy(j, in->op & 0xf);
	/* A 32-bit CMOV zero-extends its destination whether or not it moves:
	 * the 32-bit load and the 64-bit store do the same. */
	ld(j, RAX, OFF_REG(in->reg), w);
	ld(j, RCX, OFF_REG(in->rm), w);
	if (w)
		b1(j, 0x48);
	b1(j, 0x0f); b1(j, (uint8_t)(0x40 | cc)); b1(j, 0xc1);   /* cmovcc eax, ecx */
	st(j, RAX, OFF_REG(in->reg));
}

static void emit_setcc(struct jbuf *j, const struct emu_insn *in, bool live)
{
	uint32_t off = OFF_REG(in->rm);
	unsigned cc = live ? in->op & 0xf : 0x5;
	if (!live)
		emit_cond_lazy(j, in->op & 0xf);
	if (!in->rex && in->rm >= 4 && in->rm < 8)   /* AH CH DH BH */
		off = OFF_REG(in->rm - 4u) + 1;
	b1(j, 0x0f); b1(j, (uint8_t)(0x90 | cc)); b1(j, 0xc1);   /* setcc cl */
	b1(j, 0x88); b1(j, 0x8b); b4(j, off);                      /* mov [rbx + off], cl */
}

/* Calls the instruction's handler as the interpreter loop would. */
static void emit_call(struct jbuf *j, struct emu_insn *in, int32_t off, int32_t next_off)
{
	jit_stats_emit(j, in, off);
	ld(j, RAX, OFF_REG(REG_RSP), true);
	st(j, RAX, OFF(insn_rsp));
	set_rip(j, off);
	lea_r12(j, RAX, next_off);
	st(j, RAX, OFF(next_rip));
	b1(j, 0x48); b1(j, 0x89); b1(j, 0xdf);   /* mov rdi, rbx */
	b1(j, 0x48); b1(j, 0xbe); b8(j, (uint64_t)(uintptr_t)in);   /* mov rsi, in */
	movi(j, RAX, (uint64_t)(uintptr_t)(in->fast ? (void *)in->fast : (void *)emu_exec));
	b1(j, 0xff); b1(j, 0xd0);   /* call rax */
}

/* The last instruction's call returned: leave with the chain slot, going
 * straight on into the successor first when the instruction cannot have
 * changed paging or mode (chains). */
static void emit_after_last_call(struct jbuf *j, struct emu_jit *jit, struct emu_block *b,
				 int32_t next_off, bool chains)
{
	ld(j, RAX, OFF(next_rip), true);
	st(j, RAX, OFF(rip));
	flush(j, 1);   /* add/sub leave rax alone */
	lea_r12(j, RCX, next_off);
	b1(j, 0x48); b1(j, 0x39); b1(j, 0xc8);       /* cmp rax, rcx */
	if (!chains) {
		b1(j, 0x0f); b1(j, 0x95); b1(j, 0xc0);   /* setne al */
		b1(j, 0x0f); b1(j, 0xb6); b1(j, 0xc0);   /* movzx eax, al */
		epilogue(j);
		return;
	}
	uint8_t *other = jcc32(j, 0x5);              /* jne other */
	jit_emit_chain_any(j, jit, b, next_off, 0);
	ret_code(j, 0);
	patch(j, other);
	jit_emit_chain_dyn(j, jit, b, 1);
	ret_code(j, 1);
}

/* After a call: cpu->rip = next_rip; leave unless it is r12 + next_off and
 * no exit was asked for. The call is counted on the way out; going on, it
 * is left pending (one instruction) for the caller. */
static void emit_after_call(struct jbuf *j, int32_t next_off, bool last)
{
	ld(j, RAX, OFF(next_rip), true);
	st(j, RAX, OFF(rip));
	if (last) {
		flush(j, 1);   /* add/sub leave rax alone */
		lea_r12(j, RCX, next_off);
		b1(j, 0x48); b1(j, 0x39); b1(j, 0xc8);   /* cmp rax, rcx */
		b1(j, 0x0f); b1(j, 0x95); b1(j, 0xc0);   /* setne al */
		b1(j, 0x0f); b1(j, 0xb6); b1(j, 0xc0);   /* movzx eax, al */
		epilogue(j);
		return;
	}
	lea_r12(j, RCX, next_off);
	b1(j, 0x48); b1(j, 0x39); b1(j, 0xc8);       /* cmp rax, rcx */
	uint8_t *out = jcc32(j, 0x5);                /* jne out */
	_Static_assert(OFF(blk_exit) == OFF(check_irq) + 1, "check_irq, blk_exit: one word");
	b1(j, 0x66); b1(j, 0x83); b1(j, 0xbb); b4(j, OFF(check_irq)); b1(j, 0);   /* cmp word [check_irq, blk_exit], 0 */
	uint8_t *on = jcc32(j, 0x4);                 /* jz on */
	patch(j, out);
	flush(j, 1);
	ret_code(j, 3);
	patch(j, on);
}

/* --- Flag liveness -------------------------------------------------------------- */

/* What an instruction does to the guest's arithmetic flags as translate()
 * emits it (enum in jit_priv.h). Anything not listed (a new form included)
 * is JF_OBSERVE, which is always safe: it keeps the flags of the op before
 * it. */
static enum jit_flags_use jit_flags_use(const struct emu_insn *in)
{
	int kind = alu_kind(in);
	if (kind >= 0)
		return kind == 2 || kind == 3 ? JF_OBSERVE : JF_SET;   /* ADC/SBB read CF */
	if (incdec(in))
		return JF_OBSERVE;   /* reads CF */
	if (shift_imm(in) || imul_rr(in))
		return JF_SET;
	if (mov_form(in) || (movx(in) && in->mod == 3))
		return JF_NONE;
	return jit_form_flags_use(in);
}

/* Bit i set: instruction i's flags are dead — a later JF_SET of the block
 * overwrites them before anything can observe them (a flag reader, a
 * handler call, a fault, the block's exit), so its code need not store
 * them. The last setter before an observer keeps them: the guest state at
 * every point something can look is the interpreter's. */
static uint32_t flags_dead(const struct emu_block *b)
{
	uint32_t dead = 0;
	bool overwritten = false;   /* the block's exit observes */
	for (unsigned i = b->ninsn; i-- > 0;) {
		enum jit_flags_use u = jit_flags_use(&b->insn[i]);
		if (u == JF_SET) {
			if (overwritten)
				dead |= 1u << i;
			overwritten = true;
		} else if (u == JF_OBSERVE) {
			overwritten = false;
		}
	}
	return dead;
}

/* The slow path of an inline memory access (the handler does the access
 * and raises its faults): the pending instructions are counted before the
 * call, as the interpreter loop would have them, and uncounted after it
 * when the code goes on, so that both paths meet with the fast path's
 * count (pending + this one) still pending: the fast path adds nothing. */
static void emit_slow_call(struct jbuf *j, struct emu_insn *in, int32_t off, int32_t next,
			   unsigned pending)
{
	flush(j, pending);
	emit_call(j, in, off, next);
	emit_after_call(j, next, false);   /* going on: this one pending */
	if (pending) {
		addmem(j, OFF(icount), -(int32_t)pending);
	}
}

/* --- rax forwarding --------------------------------------------------------------- */

/* Does the instruction's code (as translate() dispatches it) end with the
 * store of rax to its destination register, or with no st() at all? */
static bool rax_tail(const struct emu_insn *in)
{
	return alu_kind(in) >= 0 || incdec(in) || shift_imm(in) || imul_rr(in) ||
	       cmov_rr(in) || mov_form(in);
}

/* Does the instruction's code write rax only after an ld(), st(), movi(),
 * lea_r12() or call helper (which end the forwarding)? */
static bool rax_consumer(const struct emu_insn *in)
{
	return rax_tail(in) || setcc_r(in) || movx(in) || alu_load_kind(in) >= 0 ||
	       alu_rmw_kind(in) >= 0 || mem_mov(in) || pushpop(in);
}

/* A slow path moved to the block's end (cold code), so that the fast path
 * of an inline memory access falls straight through: its fixups f, the
 * call emit_slow_call() makes, the guest's flags loaded into the host's
 * after it when the fast path leaves them there (reload: jit_forms.c),
 * then a jump back to where the fast path goes on. */
struct jit_cold {
	uint8_t *f[3];
	struct emu_insn *in;
	int32_t off, next;
	unsigned pending;
	bool reload;
	uint8_t *back;
};

/* Records the slow path of the access just emitted; `done` is the fast
 * path's closing jump (its rel32), dropped: the fast path now ends here. */
static void cold_add(struct jbuf *j, struct jit_cold *c, unsigned *n, uint8_t *f[3],
		     uint8_t *done, struct emu_insn *in, int32_t off, int32_t next,
		     unsigned pending, bool reload)
{
	if (!j->full && done == j->p - 4)
		j->p -= 5;
	struct jit_cold *k = &c[(*n)++];
	memcpy(k->f, f, sizeof(k->f));
	k->in = in;
	k->off = off;
	k->next = next;
	k->pending = pending;
	k->reload = reload;
	k->back = j->p;
}

static void cold_emit(struct jbuf *j, struct jit_cold *c, unsigned n)
{
	j->rax_fresh = false;   /* reached by jumps: rax holds an address */
	for (unsigned i = 0; i < n; i++) {
		for (unsigned q = 0; q < 3; q++)
			patch(j, c[i].f[q]);
		emit_slow_call(j, c[i].in, c[i].off, c[i].next, c[i].pending);
		if (c[i].reload)
			jit_form_slow_end(j, c[i].in);
		b1(j, 0xe9);
		b4(j, (uint32_t)(c[i].back - (j->p + 4)));       /* jmp back */
	}
}

/* --- Translation ---------------------------------------------------------------- */

/* A taken JMP/Jcc rel to entry + t, `done` instructions to count: RIP
 * stored, the chain, the exit with code 1. Returns the fixup for a
 * non-canonical target (the handler's #GP), or NULL. A loop back to the
 * block's own start (t == 0: canonical, r12 already the target) jumps
 * back into the body after the stop checks and stores RIP only when it
 * leaves. */
static uint8_t *emit_taken(struct jbuf *j, struct emu_jit *jit, struct emu_block *b,
			   int64_t t, unsigned done)
{
	uint8_t *bad = NULL;
	if (t) {
		bad = target_checked(j, t);
		st(j, RAX, OFF(rip));
	}
	flush(j, done);
	jit_emit_chain_any(j, jit, b, t, 1);
	if (!t) {
		lea_r12(j, RAX, 0);
		st(j, RAX, OFF(rip));
	}
	ret_code(j, 1);
	return bad;
}

/* The end of an inline RET or CALL rel32 (new RIP stored): count it, leave
 * by chaining to *target (NULL: wherever RIP says), and after that the
 * slow path its fixups f lead to: the instruction's handler. */
static void emit_branch_exit(struct jbuf *j, struct emu_jit *jit, struct emu_block *b,
			     struct emu_insn *in, uint8_t *f[4], const int64_t *target,
			     unsigned pending, int32_t off, int32_t next)
{
	flush(j, pending + 1);
	if (target)
		jit_emit_chain_any(j, jit, b, *target, 1);
	else
		jit_emit_chain_dyn(j, jit, b, 1);
	ret_code(j, 1);
	for (unsigned k = 0; k < 4; k++)
		patch(j, f[k]);
	flush(j, pending);
	emit_call(j, in, off, next);
	emit_after_call(j, next, true);
}

static int translate(struct emu_jit *jit, struct emu_block *b, struct jbuf *j)
{
	uint8_t *start = j->p;
	b1(j, 0x53);                                          /* push rbx */
	b1(j, 0x41); b1(j, 0x54);                             /* push r12 */
	b1(j, 0x48); b1(j, 0x83); b1(j, 0xec); b1(j, 0x08);   /* sub rsp, 8 */
	b1(j, 0x48); b1(j, 0x89); b1(j, 0xfb);                /* mov rbx, rdi */
	b1(j, 0x4c); b1(j, 0x8b); b1(j, 0xa3); b4(j, OFF(rip));   /* mov r12, [rbx+rip] */
	if (!j->full && j->p - start != PROLOGUE_LEN)
		return -EINVAL;
	if (jit_emit_entry(j, jit, b, start))
		return -EINVAL;
	jit_stats_emit_block(j);   /* chained entries count too */
	j->body = j->p;            /* a self-loop's jump back (jit_chain.c) */

	int32_t off = 0;
	unsigned pending = 0;     /* instructions done but not yet counted */
	/* Host flags hold the guest's: 0 no, 1 all, 2 all but CF (INC/DEC). */
	unsigned flags_live = 0;
	uint32_t dead = flags_dead(b);
	j->rax_fresh = false;
	struct jit_cold cold[EMU_BLOCK_INSNS];
	unsigned ncold = 0;
	for (unsigned i = 0; i < b->ninsn; i++) {
		struct emu_insn *in = &b->insn[i];
		/* The register the previous instruction's code stored from rax
		 * last is still in rax: the first load of it here is a move. */
		int fwd = i > 0 && rax_tail(&b->insn[i - 1]) ? j->rax_last_st : -1;
		j->rax_last_st = -1;
		j->rax_greg = (int8_t)fwd;
		j->rax_fresh = fwd >= 0 && rax_consumer(in);
		int32_t next = off + in->len;
		bool last = i + 1 == b->ninsn;
		int kind = alu_kind(in);
		unsigned op = in->op, cc = op & 0xf;
		bool jcc = (op >= 0x70 && op <= 0x7f) || (op >= 0x180 && op <= 0x18f);
		bool keep = !(dead >> i & 1);
		if (kind >= 0) {
			emit_alu(j, in, kind, flags_live, keep);
			pending++;
			flags_live = keep || (kind != 7 && kind != 8);   /* dead CMP/TEST: nothing */
		} else if (incdec(in)) {
			emit_incdec(j, in, flags_live);
			pending++;
			flags_live = 2;
		} else if (shift_imm(in)) {
			emit_shift(j, in, keep);
			pending++;
			flags_live = 0;
		} else if (imul_rr(in)) {
			emit_imul(j, in, keep);
			pending++;
			flags_live = 0;
		} else if (cmov_rr(in) || setcc_r(in)) {
			bool live = cond_live(flags_live, cc);
			if (cmov_rr(in))
				emit_cmov(j, in, live);
			else
				emit_setcc(j, in, live);
			pending++;
			if (!live)   /* the host flags are emit_cond_lazy()'s test */
				flags_live = 0;   /* (live: they stay the guest's) */
		} else if (emit_mov(j, in, next)) {
			pending++;   /* MOV and LEA leave host flags alone */
		} else if (movx(in) && in->mod == 3) {
			ld(j, RCX, OFF_REG(in->rm), true);
			emit_movx_tail(j, in, false);
			pending++;   /* movzx/movsx/mov leave the host flags alone */
		} else if (movx(in) || alu_load_kind(in) >= 0 || alu_rmw_kind(in) >= 0) {
			uint8_t *f[3], *done;
			int k = alu_load_kind(in), r = alu_rmw_kind(in);
			if (k >= 0) {
				done = emit_alu_load_fast(j, in, k, next, f);
			} else if (r >= 0) {
				done = emit_alu_rmw_fast(j, in, r, next, f);
			} else {
				emit_mem_addr(j, in, next, ACC_READ, movx_src_size(in), f);
				emit_movx_tail(j, in, true);
				done = jmp32(j);
			}
			/* an ALU form's fast path leaves the guest's flags in the
			 * host's: the slow path loads them too (jit_forms.c) */
			flags_live = k >= 0 || r >= 0 ? jit_form_slow_live(in) : 0;
			cold_add(j, cold, &ncold, f, done, in, off, next, pending, flags_live);
			pending++;
		} else if (mem_mov(in) || pushpop(in)) {
			uint8_t *f[3];
			uint8_t *done = mem_mov(in) ? emit_mem_fast(j, in, next, f) :
						      emit_pushpop_fast(j, in, f);
			cold_add(j, cold, &ncold, f, done, in, off, next, pending, false);
			pending++;
			flags_live = 0;
		} else if (jit_form_inline(j, in, keep, &flags_live)) {
			pending++;   /* jit_forms.c: flags_live kept or set as the form says */
		} else if (jit_form_slow(in)) {
			uint8_t *f[3];
			uint8_t *done = jit_emit_form_slow(j, in, next, flags_live, f);
			flags_live = jit_form_slow_live(in);
			cold_add(j, cold, &ncold, f, done, in, off, next, pending, flags_live);
			pending++;
		} else if (last && jcc && rel_branch(in)) {
			bool live = cond_live(flags_live, cc);
			if (!live)
				emit_cond_lazy(j, cc);
			uint8_t *taken = jcc32(j, live ? cc : 0x5);   /* jnz on emu_cond() */
			flush(j, pending + 1);
			set_rip(j, next);
			jit_emit_chain_any(j, jit, b, next, 0);
			ret_code(j, 0);
			patch(j, taken);
			uint8_t *bad = emit_taken(j, jit, b, (int64_t)next + (int64_t)in->imm,
						  pending + 1);
			patch(j, bad);   /* non-canonical: the handler raises #GP */
			flush(j, pending);
			emit_call(j, in, off, next);
			emit_after_call(j, next, true);
			pending = 0;
			off = next;
			break;
		} else if (last && rel_branch(in) && (op == 0xe9 || op == 0xeb)) {
			uint8_t *bad = emit_taken(j, jit, b, (int64_t)next + (int64_t)in->imm,
						  pending + 1);
			patch(j, bad);
			flush(j, pending);
			emit_call(j, in, off, next);
			emit_after_call(j, next, true);
			pending = 0;
			off = next;
			break;
		} else if (last && op == 0xc3 && rel_branch(in)) {
			/* RET: as f_ret() with a TLB hit and a canonical target */
			uint8_t *f[4];
			ld(j, RAX, OFF_REG(REG_RSP), true);
			emit_tlb(j, ACC_READ, 8, f);
			b1(j, 0x48); b1(j, 0x8b); b1(j, 0x0a);               /* mov rcx, [rdx] */
			b1(j, 0x48); b1(j, 0x89); b1(j, 0xca);               /* mov rdx, rcx */
			b1(j, 0x48); b1(j, 0xc1); b1(j, 0xe2); b1(j, 16);    /* shl rdx, 16 */
			b1(j, 0x48); b1(j, 0xc1); b1(j, 0xfa); b1(j, 16);    /* sar rdx, 16 */
			b1(j, 0x48); b1(j, 0x39); b1(j, 0xca);               /* cmp rdx, rcx */
			f[3] = jcc32(j, 0x5);
			b1(j, 0x48); b1(j, 0x8d); b1(j, 0x40); b1(j, 0x08);  /* lea rax, [rax + 8] */
			st(j, RAX, OFF_REG(REG_RSP));
			st(j, RCX, OFF(rip));
			emit_branch_exit(j, jit, b, in, f, NULL, pending, off, next);
			break;
		} else if (last && op == 0xe8 && rel_branch(in)) {
			/* CALL rel32: as f_call() with a TLB hit and a canonical target */
			uint8_t *f[4];
			int64_t t = (int64_t)next + (int64_t)in->imm;
			f[3] = target_checked(j, t);
			ld(j, RAX, OFF_REG(REG_RSP), true);
			b1(j, 0x48); b1(j, 0x8d); b1(j, 0x40); b1(j, 0xf8);  /* lea rax, [rax - 8] */
			emit_tlb(j, ACC_WRITE, 8, f);
			lea_r12(j, RCX, next);
			b1(j, 0x48); b1(j, 0x89); b1(j, 0x0a);               /* mov [rdx], rcx */
			st(j, RAX, OFF_REG(REG_RSP));
			lea_r12(j, RAX, (int32_t)t);
			st(j, RAX, OFF(rip));
			emit_branch_exit(j, jit, b, in, f, &t, pending, off, next);
			break;
		} else if (last) {
			flush(j, pending);
			emit_call(j, in, off, next);
			emit_after_last_call(j, jit, b, next, b->chain_ok);
			break;
		} else {
			flush(j, pending);
			emit_call(j, in, off, next);
			emit_after_call(j, next, last);
			pending = 1;
			flags_live = 0;
			if (last)
				break;
			off = next;
			continue;
		}
		off = next;
		if (last) {
			flush(j, pending);
			set_rip(j, off);
			jit_emit_chain_any(j, jit, b, off, 0);
			ret_code(j, 0);
		}
	}
	cold_emit(j, cold, ncold);
	return j->full ? -ENOSPC : 0;
}

int emu_jit_translate(struct emu_cpu *cpu, struct emu_block *b)
{
	struct emu_jit *jit = cpu->jit;
	if (jit->used + JIT_MAX_BLOCK > JIT_BUF_SIZE) {
		jit->used = 0;
		jit->epoch++;   /* every translation is dropped */
		for (unsigned i = 0; i < EMU_BLOCKS; i++)   /* chained code trusts a set one */
			if (cpu->blocks[i].jit_fn)   /* (no write: untouched pages stay unmapped) */
				cpu->blocks[i].jit_fn = NULL;
	}
	struct jbuf j = { .p = jit->rw + jit->used, .end = jit->rw + jit->used + JIT_MAX_BLOCK,
			  .stats = jit->stats, .blk_runs = jit_stats_block(jit, cpu, b) };
	uint8_t *start = j.p;
	if (translate(jit, b, &j))
		return -ENOSPC;
	b->jit_fn = (emu_jit_fn)(void *)(jit->rx + jit->used);
	b->jit_epoch = jit->epoch;
	for (unsigned s = 0; s < 2; s++)
		b->jit_link[s] = j.link[s] ? (uint32_t)(j.link[s] - jit->rw) : 0;
	jit->used += (size_t)(j.p - start + 15) & ~(size_t)15;
	return 0;
}

bool emu_jit_ready(struct emu_cpu *cpu, struct emu_block *b)
{
	struct emu_jit *jit = cpu->jit;
	if (b->jit_fn && b->jit_epoch == jit->epoch)
		return true;
	if (!cpu->code64 || ++b->hits < jit->threshold)
		return false;
	b->hits = 0;
	return emu_jit_translate(cpu, b) == 0;
}

int emu_jit_open(struct emu_cpu *cpu)
{
	const char *env = getenv("NYX_EMU_JIT");
	if (env && !strcmp(env, "0"))
		return 0;
	unsigned thr = env && *env ? (unsigned)strtoul(env, NULL, 10) : JIT_THRESHOLD;
	struct emu_jit *jit = calloc(1, sizeof(*jit));
	if (!jit)
		return -ENOMEM;
	jit->threshold = thr ? thr : 1;
	int fd = memfd_create("nyx-jit", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, JIT_BUF_SIZE)) {
		int err = errno;
		if (fd >= 0)
			close(fd);
		free(jit);
		EMU_LOG(cpu, LOG_WARN, "JIT off: code buffer: %s", strerror(err));
		return -err;
	}
	jit->rw = mmap(NULL, JIT_BUF_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	jit->rx = mmap(NULL, JIT_BUF_SIZE, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
	close(fd);
	if (jit->rw == MAP_FAILED || jit->rx == MAP_FAILED) {
		int err = errno;
		if (jit->rw != MAP_FAILED)
			munmap(jit->rw, JIT_BUF_SIZE);
		if (jit->rx != MAP_FAILED)
			munmap(jit->rx, JIT_BUF_SIZE);
		free(jit);
		EMU_LOG(cpu, LOG_WARN, "JIT off: mapping the code buffer: %s", strerror(err));
		return -err;
	}
	jit->epoch = 1;
	jit_stats_open(jit);
	cpu->jit = jit;
	return 0;
}

void emu_jit_close(struct emu_cpu *cpu)
{
	struct emu_jit *jit = cpu->jit;
	if (!jit)
		return;
	jit_stats_print(cpu, jit);
	jit_stats_close(jit);
	munmap(jit->rw, JIT_BUF_SIZE);
	munmap(jit->rx, JIT_BUF_SIZE);
	free(jit);
	cpu->jit = NULL;
}
