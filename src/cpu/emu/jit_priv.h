/*
 * Internal interface of the emulator's JIT (jit.c translates blocks,
 * jit_chain.c emits the jumps between them): the code buffer, the
 * x86-64 byte emitter both use, and the generated code's conventions
 * (rbx = struct emu_cpu *, r12 = the block's guest RIP at entry).
 */
#ifndef NYX_CPU_EMU_JIT_PRIV_H
#define NYX_CPU_EMU_JIT_PRIV_H

#include <stddef.h>
#include <string.h>

#include "cpu/emu/emu.h"

struct emu_jit {
	uint8_t *rw, *rx;
	size_t used;
	uint32_t epoch;
	unsigned threshold;
	uint64_t *stats;         /* NYX_EMU_JIT_STATS (jit_stats.c), else NULL */
	unsigned stats_top;      /* rows printed */
	struct jit_stats_blk *stats_blks;   /* one per translation, newest first */
};

/* --- Emitter ------------------------------------------------------------------ */

struct jbuf {
	uint8_t *p, *end;
	bool full;
	uint64_t *stats;         /* jit->stats */
	uint8_t *link[2];   /* the patchable jump of each slot's static chain, or NULL */
	uint64_t *blk_runs;      /* NYX_EMU_JIT_STATS: the block's run counter */
	uint8_t *body;           /* where the block's first instruction's code starts */
	/* rax forwarding (translate()): rax_fresh says rax still holds guest
	 * register rax_greg, which the previous instruction's code stored last,
	 * so the next ld() of it is a register move (cleared by the first
	 * ld(), st(), movi(), lea_r12() or call); rax_last_st: the register
	 * the last st() stored rax to, -1 none. */
	bool rax_fresh;
	int8_t rax_greg, rax_last_st;
};

static inline void b1(struct jbuf *j, uint8_t v)
{
	if (j->p < j->end)
		*j->p++ = v;
	else
		j->full = true;
}

/* (Little-endian host: one bounds check and one store when there is room.) */
static inline void b4(struct jbuf *j, uint32_t v)
{
	if (j->end - j->p >= 4) {
		memcpy(j->p, &v, 4);
		j->p += 4;
		return;
	}
	for (int i = 0; i < 4; i++)
		b1(j, (uint8_t)(v >> (8 * i)));
}

static inline void b8(struct jbuf *j, uint64_t v)
{
	if (j->end - j->p >= 8) {
		memcpy(j->p, &v, 8);
		j->p += 8;
		return;
	}
	for (int i = 0; i < 8; i++)
		b1(j, (uint8_t)(v >> (8 * i)));
}

#define OFF(f) ((uint32_t)offsetof(struct emu_cpu, f))
#define OFF_REG(r) (OFF(regs) + 8u * (r))

enum { RAX = 0, RCX = 1 };

/* mov (r)ax/(r)cx, [rbx + off]; w: 64-bit, else 32-bit (zero-extends).
 * A register the previous instruction left in rax (rax_fresh) is moved
 * from rax instead. */
static inline void ld(struct jbuf *j, unsigned r, uint32_t off, bool w)
{
	if (j->rax_fresh) {
		j->rax_fresh = false;
		if (off == OFF_REG((unsigned)j->rax_greg)) {
			if (r != RAX || !w) {   /* mov r, rax / mov r32, eax */
				if (w)
					b1(j, 0x48);
				b1(j, 0x89);
				b1(j, (uint8_t)(0xc0 | r));
			}
			return;
		}
	}
	if (w)
		b1(j, 0x48);
	b1(j, 0x8b);
	b1(j, (uint8_t)(0x83 | (r << 3)));
	b4(j, off);
}

/* mov [rbx + off], rax/rcx (64-bit). */
static inline void st(struct jbuf *j, unsigned r, uint32_t off)
{
	uint32_t d = off - OFF_REG(0);
	j->rax_fresh = false;
	j->rax_last_st = (int8_t)(r == RAX && off >= OFF_REG(0) && d < 8u * REG_COUNT && !(d & 7) ?
				  (int)(d / 8) : -1);
	b1(j, 0x48);
	b1(j, 0x89);
	b1(j, (uint8_t)(0x83 | (r << 3)));
	b4(j, off);
}

/* mov byte [rbx + off], v */
static inline void st8i(struct jbuf *j, uint32_t off, uint8_t v)
{
	b1(j, 0xc6);
	b1(j, 0x83);
	b4(j, off);
	b1(j, v);
}

/* The lazy-flag operation and size (cc_op, cc_size: adjacent bytes) in one
 * 16-bit store: mov word [rbx + cc_op], op | size << 8. */
_Static_assert(offsetof(struct emu_cpu, cc_size) == offsetof(struct emu_cpu, cc_op) + 1,
	       "st_cc stores cc_op and cc_size as one word");
static inline void st_cc(struct jbuf *j, uint8_t op, uint8_t size)
{
	b1(j, 0x66);
	b1(j, 0xc7);
	b1(j, 0x83);
	b4(j, OFF(cc_op));
	b1(j, op);
	b1(j, size);
}

/* setc byte [rbx + off] */
static inline void setc_mem(struct jbuf *j, uint32_t off)
{
	b1(j, 0x0f);
	b1(j, 0x92);
	b1(j, 0x83);
	b4(j, off);
}

/* lea rax/rcx, [r12 + d] */
static inline void lea_r12(struct jbuf *j, unsigned r, int32_t d)
{
	j->rax_fresh = false;
	b1(j, 0x49);
	b1(j, 0x8d);
	b1(j, (uint8_t)(0x84 | (r << 3)));
	b1(j, 0x24);
	b4(j, (uint32_t)d);
}

/* mov rax/rcx, imm64 (mov eax/ecx, imm32 when it fits: zero-extends) */
static inline void movi(struct jbuf *j, unsigned r, uint64_t v)
{
	j->rax_fresh = false;
	if (v <= 0xffffffffu) {
		b1(j, (uint8_t)(0xb8 + r));
		b4(j, (uint32_t)v);
		return;
	}
	b1(j, 0x48);
	b1(j, (uint8_t)(0xb8 + r));
	b8(j, v);
}

/* add/sub qword [rbx + off], imm32 */
static inline void addmem(struct jbuf *j, uint32_t off, int32_t v)
{
	b1(j, 0x48);
	b1(j, 0x81);
	b1(j, 0x83);
	b4(j, off);
	b4(j, (uint32_t)v);
}

/* Jump with a rel32 to patch later: returns the offset's address. */
static inline uint8_t *jcc32(struct jbuf *j, unsigned cc)
{
	b1(j, 0x0f);
	b1(j, (uint8_t)(0x80 | cc));
	uint8_t *at = j->p;
	b4(j, 0);
	return at;
}

static inline void patch(struct jbuf *j, uint8_t *at)
{
	if (j->full || !at)
		return;
	uint32_t rel = (uint32_t)(j->p - (at + 4));
	memcpy(at, &rel, 4);
}

/* Instructions completed since icount was last brought up to date (the
 * step loop derives budget from icount and budget_end). */
static inline void flush(struct jbuf *j, unsigned k)
{
	if (!k)
		return;
	addmem(j, OFF(icount), (int32_t)k);
}

static inline void epilogue(struct jbuf *j)
{
	b1(j, 0x48); b1(j, 0x83); b1(j, 0xc4); b1(j, 0x08);   /* add rsp, 8 */
	b1(j, 0x41); b1(j, 0x5c);                             /* pop r12 */
	b1(j, 0x5b);                                          /* pop rbx */
	b1(j, 0xc3);                                          /* ret */
}

static inline void ret_code(struct jbuf *j, uint32_t code)
{
	b1(j, 0xb8);
	b4(j, code);   /* mov eax, code */
	epilogue(j);
}

/* cpu->rip = r12 + off */
static inline void set_rip(struct jbuf *j, int32_t off)
{
	lea_r12(j, RAX, off);
	st(j, RAX, OFF(rip));
}

/* The TLB probe for the linear address in rax: rcx = its entry in the
 * current privilege's TLB (tlbc), rdx = its page; then compares rdx with the
 * entry's tag for `acc` (ZF clear: a miss). */
/* rcx = the TLB entry the linear address in rax picks (&tlbc[(rax >> 12) &
 * (EMU_TLB_SIZE - 1)]). With 48-byte entries the index is scaled by a
 * shift, a mask and a LEA (x16, x3) instead of an IMUL: two cycles less
 * on the way from the address to the entry's addend. */
static inline void emit_tlb_entry(struct jbuf *j)
{
	b1(j, 0x89); b1(j, 0xc1);                            /* mov ecx, eax */
	if (sizeof(struct emu_tlb_entry) == 48) {
		b1(j, 0xc1); b1(j, 0xe9); b1(j, 12 - 4);     /* shr ecx, 8 */
		b1(j, 0x81); b1(j, 0xe1); b4(j, (EMU_TLB_SIZE - 1) << 4);   /* and ecx, mask */
		b1(j, 0x8d); b1(j, 0x0c); b1(j, 0x49);       /* lea ecx, [rcx + rcx * 2] */
	} else {
		b1(j, 0xc1); b1(j, 0xe9); b1(j, 12);         /* shr ecx, 12 */
		b1(j, 0x81); b1(j, 0xe1); b4(j, EMU_TLB_SIZE - 1);   /* and ecx, size - 1 */
		b1(j, 0x69); b1(j, 0xc9); b4(j, (uint32_t)sizeof(struct emu_tlb_entry));   /* imul */
	}
	b1(j, 0x48); b1(j, 0x03); b1(j, 0x8b); b4(j, OFF(tlbc));   /* add rcx, [tlbc] */
}

static inline void emit_tlb_probe(struct jbuf *j, unsigned acc)
{
	emit_tlb_entry(j);
	b1(j, 0x48); b1(j, 0x89); b1(j, 0xc2);               /* mov rdx, rax */
	b1(j, 0x48); b1(j, 0x81); b1(j, 0xe2); b4(j, 0xfffff000u);   /* and rdx, ~0xfff */
	b1(j, 0x48); b1(j, 0x3b); b1(j, 0x91);               /* cmp rdx, [rcx + tag] */
	b4(j, (uint32_t)(offsetof(struct emu_tlb_entry, tag) + 8 * acc));
}

/* Bytes of the prologue every block's code starts with (translate()
 * checks it); jit_emit_entry() follows it. */
#define PROLOGUE_LEN 17
/* Offset of the chain entry (jit_chain.c) in every block's code: where
 * other blocks' code jumps in, with eax = the return code to leave with
 * when this translation is no longer current. */
#define CHAIN_ENTRY 30

/* The code between the prologue and the block's first instruction: the
 * chain entry, which checks that the translation starting at `start` is
 * still b's and b's bytes are current (jit_chain.c). */
int jit_emit_entry(struct jbuf *j, struct emu_jit *jit, struct emu_block *b, uint8_t *start);

/* Leave by chaining into the successor's code when the step loop would run
 * it next (jit_chain.c); both fall through to the block's exit, which
 * returns `slot`, otherwise. */
void jit_emit_chain_any(struct jbuf *j, struct emu_jit *jit, struct emu_block *b, int64_t d,
			unsigned slot);
void jit_emit_chain_dyn(struct jbuf *j, struct emu_jit *jit, struct emu_block *b,
			unsigned slot);

/* Register number of B8+r. */
static inline unsigned opreg(const struct emu_insn *in)
{
	return (in->op & 7) | ((in->rex & 1) << 3);
}

/* A 32- or 64-bit operand (no 66 prefix). */
static inline bool plain_size(const struct emu_insn *in)
{
	return (in->opsize == 4 || in->opsize == 8) && !in->p66;
}

/* jit.c's emitters the other files use. */
/* rax = the effective address of a 64-bit-addressing memory operand. */
void emit_ea(struct jbuf *j, const struct emu_insn *in, int32_t next_off);
/* a in rax, b in rcx: ALU kind (0-7 group 1, 8 TEST), the lazy-flag fields,
 * the result to register dst (-1: none). */
void emit_alu_tail(struct jbuf *j, const struct emu_insn *in, int kind, bool carry, int dst);
void emit_eager_flags(struct jbuf *j);   /* host arithmetic flags -> the guest's, eagerly */
uint8_t *jmp32(struct jbuf *j);          /* jmp rel32 to patch later */
/* rax = linear address of the memory operand (64-bit addressing), then the
 * TLB check for an access of size bytes: rdx = host pointer on a hit, else
 * a jump to one of the fixups in f. */
void emit_mem_addr(struct jbuf *j, const struct emu_insn *in, int32_t next_off, unsigned acc,
		   unsigned size, uint8_t *f[3]);

/* jit_mem.c: inline memory accesses through the TLB hit. The emit_*_fast
 * forms return the jump past the slow path, whose fixups go in f. */
void emit_tlb(struct jbuf *j, unsigned acc, unsigned size, uint8_t *f[3]);
bool mem_mov(const struct emu_insn *in);
uint8_t *emit_mem_fast(struct jbuf *j, const struct emu_insn *in, int32_t next_off, uint8_t *f[3]);
bool pushpop(const struct emu_insn *in);
uint8_t *emit_pushpop_fast(struct jbuf *j, const struct emu_insn *in, uint8_t *f[3]);
int alu_load_kind(const struct emu_insn *in);
uint8_t *emit_alu_load_fast(struct jbuf *j, const struct emu_insn *in, int kind, int32_t next_off,
			    uint8_t *f[3]);
int alu_rmw_kind(const struct emu_insn *in);
uint8_t *emit_alu_rmw_fast(struct jbuf *j, const struct emu_insn *in, int kind, int32_t next_off,
			   uint8_t *f[3]);

/* What an instruction does to the guest's arithmetic flags as translate()
 * emits it (jit.c's flag liveness). */
enum jit_flags_use {
	JF_OBSERVE,   /* may read flags, call a handler, fault or leave the block */
	JF_NONE,      /* inline; neither reads nor writes flags; cannot fault */
	JF_SET,       /* inline; writes all six, reads none; cannot fault */
};

/* jit_forms.c: more inline forms (8/16-bit, accumulator, NOT/NEG, shifts by
 * CL, NOP). jit_form_inline() emits a form that needs no slow path (false:
 * not one, nothing emitted) and updates flags_live as translate() keeps it;
 * jit_emit_form_slow() emits the fast path of a jit_form_slow() form with
 * its fixups in f (NULL: unused) and returns the jump past the slow path
 * (translate() drops it and moves the slow path to the block's end). */
bool jit_form_inline(struct jbuf *j, const struct emu_insn *in, bool keep, unsigned *flags_live);
/* jit_flags_use() of jit_forms.c's forms; keep (jit_form_inline()) false:
 * a JF_SET form's flags are dead, it need not store them. */
enum jit_flags_use jit_form_flags_use(const struct emu_insn *in);
/* Emitted at the end of a form's slow path (after the handler): for a
 * form whose fast path leaves the guest's flags in the host's (an ALU
 * form, jit_form_sets_flags(); INC/DEC [m] all but CF), the guest's flags
 * loaded into the host's so that both paths join with them live;
 * jit_form_slow_live() is flags_live (as in translate()) where they join. */
bool jit_form_sets_flags(const struct emu_insn *in);
unsigned jit_form_slow_live(const struct emu_insn *in);
void jit_form_slow_end(struct jbuf *j, const struct emu_insn *in);
bool jit_form_slow(const struct emu_insn *in);
uint8_t *jit_emit_form_slow(struct jbuf *j, const struct emu_insn *in, int32_t next_off,
			    unsigned flags_live, uint8_t *f[3]);

/* jit_stats.c: per-form counts of the handler calls translated code makes. */
void jit_stats_open(struct emu_jit *jit);
/* Counts a handler call of in's form (off: its offset in the block, for an
 * example address); clobbers rax and the flags. */
void jit_stats_emit(struct jbuf *j, const struct emu_insn *in, int32_t off);
/* A run counter for the translation of b about to be made (NULL when off)
 * and the code that bumps it at the block's entry (after the prologue). */
uint64_t *jit_stats_block(struct emu_jit *jit, struct emu_cpu *cpu, const struct emu_block *b);
void jit_stats_emit_block(struct jbuf *j);
void jit_stats_print(struct emu_cpu *cpu, struct emu_jit *jit);
void jit_stats_close(struct emu_jit *jit);

#endif
