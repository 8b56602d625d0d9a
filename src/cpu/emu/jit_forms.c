/*
 * More inline instruction forms for the JIT (jit.c's translate loop calls
 * in here after its own forms): the 8- and 16-bit ALU, TEST, MOV, shift
 * and rotate forms the LZMA decoder in Linux's bzImage runs (16-bit
 * probabilities, byte dictionary stores), the accumulator-immediate ALU
 * forms, NOT/NEG, TEST r/m, imm, shifts by CL, INC/DEC [m] (locked too),
 * the SSE2/SSSE3 integer ops of the kernel's BLAKE2s, DIV r/m32/64 and the
 * multi-byte NOP. NYX_EMU_JIT_STATS (jit_stats.c) ranked them.
 *
 * How each keeps the guest's flags:
 *   - ALU, TEST, NEG: the host runs the same operation at the same operand
 *     size on zero-extended operands, so its flags are the guest's; the
 *     lazy-flag fields are written as emu_alu_inline() does (a and b masked
 *     to the size, the masked result, cc_size) and the host flags stay live
 *     for a following Jcc/SETcc/CMOVcc.
 *   - Shifts and rotates: the host runs the guest's instruction with the
 *     guest's count and its flags are stored eagerly (the host CPU is the
 *     reference, undefined flags included). A rotate leaves SF ZF AF PF
 *     alone, so the guest's flags are loaded into the host's first unless
 *     the host flags already hold them. A count that masks to 0 leaves the
 *     flags: an immediate one is left to the handler, one in CL is tested
 *     at run time and only zero-extends a 32-bit destination.
 *   - INC/DEC [m]: the lazy INC/DEC state with the guest's CF taken before
 *     the access (cc_cin); the host flags but CF are the guest's after it.
 *   - NOT, MOV, NOP touch no flags, host or guest.
 * Memory forms take the inline TLB hit exactly as jit.c's (emit_mem_addr):
 * a miss, a page crossing or a non-canonical address jumps to the slow
 * path translate() emits at the block's end, the instruction's handler,
 * which does the slow access and raises the faults; for a form whose fast
 * path leaves the guest's flags in the host's, the slow path then loads
 * them there too (jit_form_slow_end()), so both join with them live.
 * The register forms take part in jit.c's flag liveness
 * (jit_form_flags_use(): full setters, flagless, or observers).
 */
#include "cpu/emu/jit_priv.h"

enum { RDX = 2 };

/* Is this an opcode whose operands are bytes whatever the operand size? */
static bool byte_op(unsigned op)
{
	if (op < 0x40)
		return !(op & 1);
	switch (op) {
	case 0x80: case 0x84: case 0x88: case 0x8a: case 0xa8:
	case 0xc0: case 0xc6: case 0xd0: case 0xd2: case 0xf6: case 0xfe:
		return true;
	default:
		return op >= 0xb0 && op <= 0xb7;
	}
}

static unsigned opsize_of(const struct emu_insn *in)
{
	return byte_op(in->op) ? 1 : in->opsize;
}

/* Offset in struct emu_cpu of guest register r at size (AH CH DH BH are
 * byte registers 4-7 without a REX prefix). */
static uint32_t reg_off(const struct emu_insn *in, unsigned r, unsigned size)
{
	if (size == 1 && !in->rex && r >= 4 && r < 8)
		return OFF_REG(r - 4) + 1;
	return OFF_REG(r);
}

/* The operand-size prefix of a host instruction on size bytes. */
static void pfx(struct jbuf *j, unsigned size)
{
	if (size == 2)
		b1(j, 0x66);
	else if (size == 8)
		b1(j, 0x48);
}

/* Host register hr (rax, rcx, rdx) = guest bytes at [rbx + off], zero-extended. */
static void ldz(struct jbuf *j, unsigned hr, uint32_t off, unsigned size)
{
	uint8_t modrm = (uint8_t)(0x83 | (hr << 3));
	if (size <= 2) {
		b1(j, 0x0f); b1(j, size == 1 ? 0xb6 : 0xb7);   /* movzx */
	} else {
		pfx(j, size);
		b1(j, 0x8b);
	}
	b1(j, modrm);
	b4(j, off);
}

/* [rbx + off] = host register hr at size; a 32-bit value (zero-extended in
 * hr) is written as 64 bits, as a 32-bit destination register is. */
static void stz(struct jbuf *j, unsigned hr, uint32_t off, unsigned size)
{
	if (size == 2)
		b1(j, 0x66);
	else if (size >= 4)
		b1(j, 0x48);
	b1(j, size == 1 ? 0x88 : 0x89);
	b1(j, (uint8_t)(0x83 | (hr << 3)));
	b4(j, off);
}

/* Host register hr = value at [rdx] (the TLB hit's host pointer), zero-extended. */
static void ldz_mem(struct jbuf *j, unsigned hr, unsigned size)
{
	uint8_t modrm = (uint8_t)(0x02 | (hr << 3));
	if (size <= 2) {
		b1(j, 0x0f); b1(j, size == 1 ? 0xb6 : 0xb7);
	} else {
		pfx(j, size);
		b1(j, 0x8b);
	}
	b1(j, modrm);
}

/* movzx eax, al / ax: a result narrower than 32 bits made clean, host
 * flags untouched. */
static void zext_rax(struct jbuf *j, unsigned size)
{
	if (size <= 2) {
		b1(j, 0x0f); b1(j, size == 1 ? 0xb6 : 0xb7); b1(j, 0xc0);
	}
}

/* --- ALU ---------------------------------------------------------------------- */

/* Kinds as jit.c's: 0-7 group 1 (ADC and SBB never come here), 8 TEST. */
static const uint8_t alu_host_op[9] = {
	0x01, 0x09, 0x11, 0x19, 0x21, 0x29, 0x31, 0x29, 0x21,   /* CMP as SUB, TEST as AND */
};
static const uint8_t alu_cc_op[9] = {
	CC_ADD, CC_LOGIC, CC_ADC, CC_SBB, CC_LOGIC, CC_SUB, CC_LOGIC, CC_SUB, CC_LOGIC,
};

/* a in rax, b in rcx (zero-extended from size): the operation at size on
 * the host, the lazy-flag fields unless the flags are dead (!keep; a logic
 * op needs only cc_res, as jit.c's), the result to [rbx + dst] unless dst
 * is 0 (CMP, TEST). Keeps rdx; the host flags are the guest's after it. */
static void alu_tail(struct jbuf *j, int kind, unsigned size, uint32_t dst, bool keep)
{
	bool logic = kind == 1 || kind == 4 || kind == 6 || kind == 8;
	if (keep && !logic) {
		st(j, RAX, OFF(cc_a));
		st(j, RCX, OFF(cc_b));
	}
	pfx(j, size);
	b1(j, (uint8_t)(alu_host_op[kind] - (size == 1)));
	b1(j, 0xc8);                                         /* op al/ax/eax/rax, cl/.. */
	if (keep) {
		zext_rax(j, size);
		st(j, RAX, OFF(cc_res));
		st_cc(j, alu_cc_op[kind], (uint8_t)size);
	}
	if (dst)
		stz(j, RAX, dst, size);
}

/* Operand sources of an ALU form. */
enum { SRC_REG, SRC_RM, SRC_IMM, SRC_MEM, SRC_ZERO };

struct alu_form {
	int kind;               /* -1: not an ALU form */
	unsigned size;
	uint8_t a, b;           /* SRC_* */
	bool to_reg;            /* the result goes to ModRM.reg (else r/m, or nowhere) */
};

/* The ALU forms of this file (ADD OR AND SUB XOR CMP TEST, NEG), for both
 * register and memory operands; the accumulator forms (04/05 .. 3C/3D,
 * A8/A9) read AL/eAX as r/m. */
static struct alu_form alu_form(const struct emu_insn *in)
{
	struct alu_form f = { -1, opsize_of(in), SRC_RM, SRC_REG, false };
	unsigned op = in->op;
	if (in->lock || in->vex)
		return f;
	if (op < 0x40 && (op & 7) < 6) {
		unsigned form = (op & 7) >> 1;   /* 0 r/m, reg  1 reg, r/m  2 acc, imm */
		if (form < 2 && !in->has_modrm)
			return f;
		f.kind = (int)(op >> 3);
		if (form == 1) {
			f.a = SRC_REG;
			f.b = SRC_RM;
			f.to_reg = true;
		} else if (form == 2) {
			f.b = SRC_IMM;
		}
	} else if (op == 0x80 || op == 0x81 || op == 0x83) {
		f.kind = in->reg & 7;
		f.b = SRC_IMM;
	} else if (op == 0x84 || op == 0x85) {
		f.kind = 8;
	} else if (op == 0xa8 || op == 0xa9) {
		f.kind = 8;
		f.b = SRC_IMM;
	} else if ((op == 0xf6 || op == 0xf7) && (in->reg & 7) == 0) {
		f.kind = 8;
		f.b = SRC_IMM;
	} else if ((op == 0xf6 || op == 0xf7) && (in->reg & 7) == 3) {
		f.kind = 5;   /* NEG: 0 - r/m */
		f.a = SRC_ZERO;
		f.b = SRC_RM;
	}
	if (f.kind == 2 || f.kind == 3)   /* ADC/SBB: left to the handlers */
		f.kind = -1;
	return f;
}

/* Is the r/m operand of this form AL/eAX (an accumulator form, no ModRM)? */
static bool acc_form(const struct emu_insn *in)
{
	return (in->op < 0x40 && (in->op & 6) == 4) || in->op == 0xa8 || in->op == 0xa9;
}

/* Host register hr = operand src of an ALU form (SRC_MEM: at [rdx]). */
static void alu_operand(struct jbuf *j, const struct emu_insn *in, const struct alu_form *f,
			unsigned src, unsigned hr)
{
	unsigned rm = acc_form(in) ? REG_RAX : in->rm;
	switch (src) {
	case SRC_REG: ldz(j, hr, reg_off(in, in->reg, f->size), f->size); break;
	case SRC_RM: ldz(j, hr, reg_off(in, rm, f->size), f->size); break;
	case SRC_MEM: ldz_mem(j, hr, f->size); break;
	case SRC_ZERO: b1(j, 0x31); b1(j, (uint8_t)(0xc0 | (hr << 3) | hr)); break;   /* xor */
	default: movi(j, hr, in->imm & emu_mask(f->size)); break;
	}
}

/* keep: as alu_tail(); a dead CMP or TEST emits nothing. */
static void emit_alu_form(struct jbuf *j, const struct emu_insn *in, const struct alu_form *f,
			  bool mem, bool keep)
{
	if (!keep && (f->kind == 7 || f->kind == 8))
		return;
	unsigned a = f->a, b = f->b;
	if (mem) {   /* the memory operand is r/m; the result never goes there */
		a = a == SRC_RM ? SRC_MEM : a;
		b = b == SRC_RM ? SRC_MEM : b;
	}
	/* b first: a memory b is loaded into rcx before rax is needed. */
	alu_operand(j, in, f, b, RCX);
	alu_operand(j, in, f, a, RAX);
	uint32_t dst = 0;
	if (f->kind != 7 && f->kind != 8) {
		unsigned r = f->to_reg ? in->reg : acc_form(in) ? REG_RAX : in->rm;
		dst = reg_off(in, r, f->size);
	}
	alu_tail(j, f->kind, f->size, dst, keep);
}

/* --- Shifts and rotates ------------------------------------------------------- */

static uint64_t jit_arith_flags(struct emu_cpu *cpu)
{
	return emu_get_flags(cpu) & FL_ARITH;
}

/* The host's arithmetic flags = the guest's (the rest cleared: TF, DF, AC
 * must stay 0 in host code). Clobbers the caller-saved registers. */
static void emit_load_flags(struct jbuf *j)
{
	b1(j, 0x48); b1(j, 0x89); b1(j, 0xdf);                   /* mov rdi, rbx */
	movi(j, RAX, (uint64_t)(uintptr_t)(void *)jit_arith_flags);
	b1(j, 0xff); b1(j, 0xd0);                                /* call rax */
	b1(j, 0x50);                                             /* push rax */
	b1(j, 0x9d);                                             /* popfq */
}

static unsigned shift_mask(unsigned size)
{
	return size == 8 ? 63 : 31;
}

/* ROL ROR SHL SHR SAR by an immediate (C0 C1 D0 D1), register operand,
 * count not 0 once masked; the 32/64-bit SHL SHR SAR are jit.c's. */
static bool shift_imm_form(const struct emu_insn *in)
{
	unsigned op = in->op, sub = in->reg & 7, size = opsize_of(in);
	if ((op != 0xc0 && op != 0xc1 && op != 0xd0 && op != 0xd1) || in->mod != 3 || in->lock)
		return false;
	if (sub != 0 && sub != 1 && sub != 4 && sub != 5 && sub != 7)
		return false;
	unsigned cnt = op >= 0xd0 ? 1 : (unsigned)in->imm & shift_mask(size);
	return cnt != 0;
}

/* keep false: the flags are dead (SHL SHR SAR only: a rotate reads them). */
static void emit_shift_imm(struct jbuf *j, const struct emu_insn *in, bool flags_live, bool keep)
{
	unsigned sub = in->reg & 7, size = opsize_of(in);
	unsigned cnt = in->op >= 0xd0 ? 1 : (unsigned)in->imm & shift_mask(size);
	uint32_t off = reg_off(in, in->rm, size);
	if (sub < 2 && !flags_live)   /* a rotate keeps SF ZF AF PF */
		emit_load_flags(j);
	ldz(j, RAX, off, size);
	pfx(j, size);
	b1(j, size == 1 ? 0xc0 : 0xc1);
	b1(j, (uint8_t)(0xc0 | (sub << 3)));
	b1(j, (uint8_t)cnt);                                     /* op al/.., cnt */
	if (keep || sub < 2)
		emit_eager_flags(j);
	stz(j, RAX, off, size);
}

/* SHL SHR SAR r/m, CL (D2 D3), register operand. */
static bool shift_cl_form(const struct emu_insn *in)
{
	unsigned sub = in->reg & 7;
	return (in->op == 0xd2 || in->op == 0xd3) && in->mod == 3 && !in->lock &&
	       (sub == 4 || sub == 5 || sub == 7);
}

/* A count that masks to 0 leaves the flags and the value; a 32-bit
 * destination is still written (zero-extended), as emu_reg_set() does and
 * the CPU (tests/diff) does. */
static void emit_shift_cl(struct jbuf *j, const struct emu_insn *in)
{
	unsigned sub = in->reg & 7, size = opsize_of(in);
	uint32_t off = reg_off(in, in->rm, size);
	ld(j, RCX, OFF_REG(REG_RCX), false);
	b1(j, 0x83); b1(j, 0xe1); b1(j, (uint8_t)shift_mask(size));   /* and ecx, mask */
	uint8_t *zero = jcc32(j, 0x4);                           /* jz zero */
	ldz(j, RAX, off, size);
	pfx(j, size);
	b1(j, size == 1 ? 0xd2 : 0xd3);
	b1(j, (uint8_t)(0xc0 | (sub << 3)));                     /* op al/.., cl */
	emit_eager_flags(j);
	stz(j, RAX, off, size);
	if (size != 4) {
		patch(j, zero);
		return;
	}
	uint8_t *done = jmp32(j);
	patch(j, zero);
	ldz(j, RAX, off, 4);
	stz(j, RAX, off, 4);
	patch(j, done);
}

/* --- INC/DEC with a memory operand --------------------------------------------- */

/* INC/DEC [m] (FE/FF /0 /1), locked or not, 64-bit addressing. */
static bool incdec_mem_form(const struct emu_insn *in)
{
	return (in->op == 0xfe || in->op == 0xff) && (in->reg & 7) < 2 && in->has_modrm &&
	       in->mod != 3 && in->addrsize == 8 && !in->vex;
}

static uint64_t jit_form_cf(struct emu_cpu *cpu)
{
	return emu_get_cf(cpu);
}

/* As emu_rm_rmw() with a write-TLB hit: a locked one is a host LOCK XADD
 * on the guest's memory (atomic against the other vCPUs' threads; an
 * unaligned one takes the slow path, no split locks), then INC/DEC of the
 * old value on the host gives the flags but CF, which is the guest's CF
 * before (cc_cin, taken before the access: flags_live as in translate()).
 * The lazy state is written only once the access is done. */
static uint8_t *emit_incdec_mem(struct jbuf *j, const struct emu_insn *in, int32_t next_off,
				unsigned flags_live, uint8_t *f[3])
{
	unsigned size = opsize_of(in);
	bool dec = in->reg & 1;
	if (flags_live == 1) {
		b1(j, 0x40); b1(j, 0x0f); b1(j, 0x92); b1(j, 0xc6);   /* setc sil */
	} else if (flags_live == 2) {
		b1(j, 0x0f); b1(j, 0xb6); b1(j, 0xb3); b4(j, OFF(cc_cin));   /* movzx esi, [cc_cin] */
	} else {
		b1(j, 0x48); b1(j, 0x89); b1(j, 0xdf);               /* mov rdi, rbx */
		movi(j, RAX, (uint64_t)(uintptr_t)(void *)jit_form_cf);
		b1(j, 0xff); b1(j, 0xd0);                            /* call rax */
		b1(j, 0x89); b1(j, 0xc6);                            /* mov esi, eax */
	}
	emit_mem_addr(j, in, next_off, ACC_WRITE, size, f);      /* rsi survives it */
	if (in->lock) {
		if (size > 1) {
			b1(j, 0xa8); b1(j, (uint8_t)(size - 1));     /* test al, size - 1 */
			f[1] = jcc32(j, 0x5);                        /* jnz: unaligned */
		}
		b1(j, 0x48); b1(j, 0xc7); b1(j, 0xc1);               /* mov rcx, +-1 */
		b4(j, dec ? 0xffffffffu : 1);
		b1(j, 0xf0);                                         /* lock */
		pfx(j, size);
		b1(j, 0x0f); b1(j, size == 1 ? 0xc0 : 0xc1); b1(j, 0x0a);   /* xadd [rdx], cl/.. */
		b1(j, 0x48); b1(j, 0x89); b1(j, 0xc8);               /* mov rax, rcx */
	} else {
		ldz_mem(j, RAX, size);
	}
	pfx(j, size);
	b1(j, size == 1 ? 0xfe : 0xff); b1(j, dec ? 0xc8 : 0xc0);   /* inc/dec al/.. */
	if (!in->lock) {
		pfx(j, size);
		b1(j, size == 1 ? 0x88 : 0x89); b1(j, 0x02);         /* mov [rdx], al/.. */
	}
	zext_rax(j, size);
	st(j, RAX, OFF(cc_res));
	b1(j, 0x40); b1(j, 0x88); b1(j, 0xb3); b4(j, OFF(cc_cin));   /* mov [cc_cin], sil */
	st_cc(j, dec ? CC_DEC : CC_INC, (uint8_t)size);
	return jmp32(j);
}

/* --- MOV ---------------------------------------------------------------------- */

/* MOV forms of this file: 8/16-bit register moves and immediates, and
 * (memory) 8/16-bit loads and stores and MOV [m], imm at every size. */
static bool mov_form(const struct emu_insn *in, bool mem)
{
	unsigned op = in->op, size = opsize_of(in);
	if (in->lock || in->vex)
		return false;
	if (op == 0x88 || op == 0x8a || op == 0x89 || op == 0x8b)
		return (mem ? in->mod != 3 : in->mod == 3) && size <= 2;
	if (op == 0xc6 || op == 0xc7)
		return (in->reg & 7) == 0 && (mem ? in->mod != 3 : in->mod == 3 && size <= 2);
	if (op >= 0xb0 && op <= 0xbf)
		return !mem && size <= 2;
	return false;
}

static void emit_mov_reg(struct jbuf *j, const struct emu_insn *in)
{
	unsigned op = in->op, size = opsize_of(in);
	if (op >= 0xb0) {   /* B0+r, B8+r, C6/C7 */
		unsigned r = op >= 0xb0 && op <= 0xbf ? (op & 7) | ((in->rex & 1) << 3) : in->rm;
		movi(j, RAX, in->imm & emu_mask(size));
		stz(j, RAX, reg_off(in, r, size), size);
		return;
	}
	bool to_rm = op == 0x88 || op == 0x89;
	unsigned src = to_rm ? in->reg : in->rm, dst = to_rm ? in->rm : in->reg;
	ldz(j, RAX, reg_off(in, src, size), size);
	stz(j, RAX, reg_off(in, dst, size), size);
}

/* rdx holds the TLB hit's host pointer. */
static void emit_mov_mem(struct jbuf *j, const struct emu_insn *in)
{
	unsigned op = in->op, size = opsize_of(in);
	if (op == 0x8a || op == 0x8b) {
		ldz_mem(j, RCX, size);
		stz(j, RCX, reg_off(in, in->reg, size), size);
		return;
	}
	if (op == 0x88 || op == 0x89) {
		ldz(j, RCX, reg_off(in, in->reg, size), size);
	} else {   /* C6/C7: the immediate, sign-extended to 64 bits by the decoder */
		movi(j, RCX, in->imm & emu_mask(size));
	}
	pfx(j, size);
	b1(j, size == 1 ? 0x88 : 0x89);
	b1(j, 0x0a);                                             /* mov [rdx], cl/.. */
}

/* --- SSE2/SSSE3 integer ops ---------------------------------------------------- */

/* 66-prefixed integer ops on XMM registers with a register source, as
 * the kernel's BLAKE2s (its random number generator) runs them, and
 * MOVD/MOVQ xmm, r/m: run by the host's SSE on copies of the guest's XMM
 * images (cpu->fxsave), the host being the reference; no flags. */
static bool sse_form(const struct emu_insn *in)
{
	if (!in->p66 || in->rep || in->vex || in->lock || !in->has_modrm)
		return false;
	if (in->op == 0x16e)   /* MOVD/MOVQ xmm, r/m32/64 */
		return in->mod == 3 || in->addrsize == 8;
	if (in->mod != 3)
		return false;
	switch (in->op) {
	case 0x1fe: case 0x1fa: case 0x1d4: case 0x1fb:   /* PADDD PSUBD PADDQ PSUBQ */
	case 0x1ef: case 0x1eb: case 0x1db: case 0x1df:   /* PXOR POR PAND PANDN */
	case 0x162: case 0x16a: case 0x16c: case 0x16d:   /* PUNPCKL/HDQ, PUNPCKL/HQDQ */
	case 0x16f: case 0x170:                           /* MOVDQA, PSHUFD */
		return true;
	case 0x172:                                       /* PSRLD PSRAD PSLLD imm */
		return (in->reg & 7) == 2 || (in->reg & 7) == 4 || (in->reg & 7) == 6;
	case 0x138:                                       /* PSHUFB */
		return in->op3 == 0x00 && __builtin_cpu_supports("ssse3");
	default:
		return false;
	}
}

static uint32_t xmm_off(unsigned n)
{
	return OFF(fxsave) + 160 + 16 * (n & 15);
}

/* movdqu xmm<x>, [rbx + off] (store: movdqu [rbx + off], xmm<x>) */
static void movdqu(struct jbuf *j, unsigned x, uint32_t off, bool store)
{
	b1(j, 0xf3); b1(j, 0x0f); b1(j, store ? 0x7f : 0x6f);
	b1(j, (uint8_t)(0x83 | (x << 3)));
	b4(j, off);
}

/* CR0.EM/TS set or CR4.OSFXSR clear: to the handler, which raises #UD/#NM.
 * MOVD/MOVQ from memory takes emit_mem_addr()'s one fixup (emit_tlb(): a
 * single compare) as f[2]. */
static uint8_t *emit_sse(struct jbuf *j, const struct emu_insn *in, int32_t next_off,
			 uint8_t *f[3])
{
	b1(j, 0xf6); b1(j, 0x83); b4(j, OFF(cr0)); b1(j, CR0_EM | CR0_TS);   /* test byte */
	f[0] = jcc32(j, 0x5);
	b1(j, 0xf6); b1(j, 0x83); b4(j, OFF(cr4) + 1); b1(j, CR4_OSFXSR >> 8);
	f[1] = jcc32(j, 0x4);
	f[2] = NULL;
	if (in->op == 0x16e) {
		bool w = in->rex & 8;
		if (in->mod != 3) {
			uint8_t *g[3];
			emit_mem_addr(j, in, next_off, ACC_READ, w ? 8 : 4, g);
			f[2] = g[0];
		}
		b1(j, 0x66);
		if (w)
			b1(j, 0x48);
		b1(j, 0x0f); b1(j, 0x6e);
		if (in->mod != 3) {
			b1(j, 0x02);                             /* movd/q xmm0, [rdx] */
		} else {
			b1(j, 0x83); b4(j, OFF_REG(in->rm));     /* movd/q xmm0, [rbx + reg] */
		}
		movdqu(j, 0, xmm_off(in->reg), true);
		return jmp32(j);
	}
	bool group = in->op == 0x172;
	unsigned dst = group ? in->rm : in->reg;
	movdqu(j, 0, xmm_off(dst), false);
	if (!group)
		movdqu(j, 1, xmm_off(in->rm), false);
	b1(j, 0x66); b1(j, 0x0f);
	if (in->op == 0x138) {
		b1(j, 0x38); b1(j, 0x00);
	} else {
		b1(j, (uint8_t)in->op);
	}
	b1(j, group ? (uint8_t)(0xc0 | ((in->reg & 7) << 3)) : 0xc1);   /* xmm0, xmm1 */
	if (group || in->op == 0x170)
		b1(j, (uint8_t)in->imm);
	movdqu(j, 0, xmm_off(dst), true);
	return jmp32(j);
}

/* --- DIV --------------------------------------------------------------------- */

/* DIV r/m32, r/m64 (F7 /6; the kernel's multiprecision division). */
static bool div_form(const struct emu_insn *in)
{
	return in->op == 0xf7 && (in->reg & 7) == 6 && !in->lock && !in->p66 &&
	       (in->mod == 3 || in->addrsize == 8);
}

/* The host's DIV on the guest's rDX:rAX once it cannot fault: a divisor of
 * 0 or a quotient too wide (rDX >= divisor, unsigned) takes the slow path,
 * the handler raising #DE. The flags are undefined: the lazy state stays. */
static uint8_t *emit_div(struct jbuf *j, const struct emu_insn *in, int32_t next_off,
			 uint8_t *f[3])
{
	bool w = in->opsize == 8;
	f[0] = f[1] = f[2] = NULL;
	if (in->mod != 3) {
		emit_mem_addr(j, in, next_off, ACC_READ, w ? 8 : 4, f);
		ldz_mem(j, RCX, w ? 8 : 4);                      /* divisor */
	} else {
		ld(j, RCX, OFF_REG(in->rm), w);
	}
	ld(j, RAX, OFF_REG(REG_RDX), w);
	pfx(j, w ? 8 : 4);
	b1(j, 0x39); b1(j, 0xc8);                                /* cmp rax, rcx */
	uint8_t *wide = jcc32(j, 0x3);                           /* jae: #DE */
	if (!f[1])
		f[1] = wide;
	else
		f[2] = wide;
	b1(j, 0x48); b1(j, 0x89); b1(j, 0xc2);                   /* mov rdx, rax */
	ld(j, RAX, OFF_REG(REG_RAX), w);
	pfx(j, w ? 8 : 4);
	b1(j, 0xf7); b1(j, 0xf1);                                /* div rcx */
	st(j, RAX, OFF_REG(REG_RAX));
	b1(j, 0x48); b1(j, 0x89); b1(j, 0x93); b4(j, OFF_REG(REG_RDX));   /* mov [rdx], rdx */
	return jmp32(j);
}

/* --- Dispatch ----------------------------------------------------------------- */

bool jit_form_sets_flags(const struct emu_insn *in)
{
	return alu_form(in).kind >= 0;
}

static bool nop_form(const struct emu_insn *in)
{
	if (in->lock || in->vex)
		return false;
	return in->op == 0x11f || (in->op == 0x90 && !(in->rex & 1));   /* NOP, PAUSE */
}

static bool not_form(const struct emu_insn *in)
{
	return (in->op == 0xf6 || in->op == 0xf7) && (in->reg & 7) == 2 && !in->lock;
}

enum jit_flags_use jit_form_flags_use(const struct emu_insn *in)
{
	if (nop_form(in))
		return JF_NONE;
	if (in->has_modrm && in->mod != 3)
		return JF_OBSERVE;   /* memory: may fault */
	if (alu_form(in).kind >= 0)
		return JF_SET;
	if (not_form(in) || mov_form(in, false))
		return JF_NONE;
	if (shift_imm_form(in) && (in->reg & 7) >= 4)
		return JF_SET;
	return JF_OBSERVE;       /* rotates read the flags; shifts by CL may not write them */
}

bool jit_form_inline(struct jbuf *j, const struct emu_insn *in, bool keep, unsigned *flags_live)
{
	if (nop_form(in))
		return true;
	if (in->has_modrm && in->mod != 3)
		return false;
	struct alu_form f = alu_form(in);
	if (f.kind >= 0) {
		emit_alu_form(j, in, &f, false, keep);
		/* a dead CMP/TEST emitted nothing: the host flags are not its */
		*flags_live = keep || (f.kind != 7 && f.kind != 8);
		return true;
	}
	if (not_form(in)) {
		unsigned size = opsize_of(in);   /* NOT: no flags */
		uint32_t off = reg_off(in, in->rm, size);
		ldz(j, RAX, off, size);
		pfx(j, size);
		b1(j, size == 1 ? 0xf6 : 0xf7); b1(j, 0xd0);     /* not al/.. */
		stz(j, RAX, off, size);
		return true;
	}
	if (mov_form(in, false)) {
		emit_mov_reg(j, in);
		return true;
	}
	if (shift_imm_form(in)) {
		emit_shift_imm(j, in, *flags_live == 1, keep);
		*flags_live = 0;
		return true;
	}
	if (shift_cl_form(in)) {
		emit_shift_cl(j, in);
		*flags_live = 0;
		return true;
	}
	return false;
}

bool jit_form_slow(const struct emu_insn *in)
{
	if (incdec_mem_form(in) || sse_form(in) || div_form(in))
		return true;
	if (!in->has_modrm || in->mod == 3 || in->addrsize != 8)
		return false;
	struct alu_form f = alu_form(in);
	if (f.kind >= 0)   /* with memory: reading forms only */
		return f.to_reg || f.kind == 7 || f.kind == 8;
	return mov_form(in, true);
}

unsigned jit_form_slow_live(const struct emu_insn *in)
{
	if (incdec_mem_form(in))   /* the fast path's host CF is not the guest's */
		return 2;
	return jit_form_sets_flags(in) ? 1 : 0;
}

void jit_form_slow_end(struct jbuf *j, const struct emu_insn *in)
{
	if (jit_form_slow_live(in))
		emit_load_flags(j);
}

uint8_t *jit_emit_form_slow(struct jbuf *j, const struct emu_insn *in, int32_t next_off,
			    unsigned flags_live, uint8_t *f[3])
{
	if (incdec_mem_form(in))
		return emit_incdec_mem(j, in, next_off, flags_live, f);
	if (sse_form(in))
		return emit_sse(j, in, next_off, f);
	if (div_form(in))
		return emit_div(j, in, next_off, f);
	unsigned size = opsize_of(in);
	struct alu_form a = alu_form(in);
	bool store = a.kind < 0 && in->op != 0x8a && in->op != 0x8b;
	emit_mem_addr(j, in, next_off, store ? ACC_WRITE : ACC_READ, size, f);
	if (a.kind >= 0)
		emit_alu_form(j, in, &a, true, true);
	else
		emit_mov_mem(j, in);
	return jmp32(j);
}
