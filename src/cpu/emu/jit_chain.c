/*
 * Block chaining for the JIT: the code a translated block ends with to go
 * straight on into its successor's code when the step loop would run that
 * block next anyway (see the design note atop jit.c, "chain").
 */
#include "cpu/emu/jit_priv.h"

enum { RDI = 7 };

/* --- Chaining ------------------------------------------------------------------- */

/* What the step loop checks before the next block: budget for a whole
 * block, no event check due, no exit asked. Fixups (to the exit) in x. */
static unsigned emit_chain_checks(struct jbuf *j, uint8_t **x)
{
	unsigned n = 0;
	b1(j, 0x48); b1(j, 0x81); b1(j, 0xbb); b4(j, OFF(budget)); b4(j, EMU_BLOCK_INSNS);
	x[n++] = jcc32(j, 0x2);                                  /* jb */
	ld(j, RAX, OFF(icount), true);
	b1(j, 0x48); b1(j, 0x3b); b1(j, 0x83); b4(j, OFF(ev_next));   /* cmp rax, [ev_next] */
	x[n++] = jcc32(j, 0x3);                                  /* jae */
	b1(j, 0x8a); b1(j, 0x83); b4(j, OFF(check_irq));         /* mov al, [check_irq] */
	b1(j, 0x0a); b1(j, 0x83); b4(j, OFF(blk_exit));          /* or al, [blk_exit] */
	b1(j, 0x0a); b1(j, 0x83); b4(j, OFF(poke));              /* or al, [poke] */
	x[n++] = jcc32(j, 0x5);                                  /* jnz */
	return n;
}

/* Whether the block whose address is in register `base` (RAX or RDI) may
 * run now: its code generation is current and so is its translation
 * (jit_fn set, from this buffer epoch). Leaves its code's address in rdx;
 * clobbers ecx and r8. Fixups (to the exit) go on at x[n]; returns the
 * new n. */
static unsigned emit_block_current(struct jbuf *j, struct emu_jit *jit, unsigned base,
				   uint8_t **x, unsigned n)
{
	uint8_t to_rdx = (uint8_t)(0x90 | base), to_ecx = (uint8_t)(0x88 | base);

	b1(j, 0x48); b1(j, 0x8b); b1(j, to_rdx);             /* mov rdx, [base + genp] */
	b4(j, (uint32_t)offsetof(struct emu_block, genp));
	b1(j, 0x48); b1(j, 0x85); b1(j, 0xd2);               /* test rdx, rdx */
	x[n++] = jcc32(j, 0x4);
	b1(j, 0x8b); b1(j, 0x0a);                            /* mov ecx, [rdx] */
	b1(j, 0x3b); b1(j, to_ecx);                          /* cmp ecx, [base + gen] */
	b4(j, (uint32_t)offsetof(struct emu_block, gen));
	x[n++] = jcc32(j, 0x5);
	b1(j, 0x48); b1(j, 0x8b); b1(j, to_rdx);             /* mov rdx, [base + jit_fn] */
	b4(j, (uint32_t)offsetof(struct emu_block, jit_fn));
	b1(j, 0x48); b1(j, 0x85); b1(j, 0xd2);               /* test rdx, rdx */
	x[n++] = jcc32(j, 0x4);
	b1(j, 0x8b); b1(j, to_ecx);                          /* mov ecx, [base + jit_epoch] */
	b4(j, (uint32_t)offsetof(struct emu_block, jit_epoch));
	b1(j, 0x49); b1(j, 0xb8); b8(j, (uint64_t)(uintptr_t)&jit->epoch);   /* mov r8, &epoch */
	b1(j, 0x41); b1(j, 0x3b); b1(j, 0x08);               /* cmp ecx, [r8] */
	x[n++] = jcc32(j, 0x5);
	return n;
}

/* Before leaving with cpu->rip stored and the counters up to date, to any
 * address: look it up through the exec TLB (as emu_block_get() does), and
 * go straight on into b->next[slot]'s code if that is the block there
 * (key, code generation, translation current), making it the running
 * block (jit_cur, blk_page, blk_lin). Else falls through to the exit. */
void jit_emit_chain_dyn(struct jbuf *j, struct emu_jit *jit, struct emu_block *b, unsigned slot)
{
	uint8_t *x[16];
	unsigned n = emit_chain_checks(j, x);
	ld(j, RAX, OFF(rip), true);
	emit_tlb_probe(j, ACC_EXEC);
	x[n++] = jcc32(j, 0x5);
	b1(j, 0x48); b1(j, 0x8b); b1(j, 0xb1);               /* mov rsi, [rcx + addend] */
	b4(j, (uint32_t)offsetof(struct emu_tlb_entry, addend));
	b1(j, 0x48); b1(j, 0x01); b1(j, 0xc6);               /* add rsi, rax: host */
	movi(j, 2 /* rdx */, (uint64_t)(b->key & ~(((uintptr_t)1 << 56) - 1)));   /* mode */
	b1(j, 0x48); b1(j, 0x09); b1(j, 0xf2);               /* or rdx, rsi: key */
	b1(j, 0x48); b1(j, 0xbf); b8(j, (uint64_t)(uintptr_t)&b->next[slot]);   /* mov rdi */
	b1(j, 0x48); b1(j, 0x8b); b1(j, 0x3f);               /* mov rdi, [rdi] */
	b1(j, 0x48); b1(j, 0x85); b1(j, 0xff);               /* test rdi, rdi */
	uint8_t *look = jcc32(j, 0x4);
	b1(j, 0x48); b1(j, 0x3b); b1(j, 0x97);               /* cmp rdx, [rdi + key] */
	b4(j, (uint32_t)offsetof(struct emu_block, key));
	uint8_t *found = jcc32(j, 0x4);
	/* Not the cached successor (a RET or an indirect branch going where it
	 * did not last time): the block cache's slot for the host address, as
	 * block.c hashes it. */
	patch(j, look);
	b1(j, 0x49); b1(j, 0xb8); b8(j, BLOCK_HASH_MUL);     /* mov r8, multiplier */
	b1(j, 0x48); b1(j, 0x89); b1(j, 0xf7);               /* mov rdi, rsi */
	b1(j, 0x49); b1(j, 0x0f); b1(j, 0xaf); b1(j, 0xf8);  /* imul rdi, r8 */
	b1(j, 0x48); b1(j, 0xc1); b1(j, 0xef); b1(j, 64 - EMU_BLOCKS_LOG2);   /* shr rdi, n */
	b1(j, 0x48); b1(j, 0x69); b1(j, 0xff); b4(j, (uint32_t)sizeof(struct emu_block));
	b1(j, 0x48); b1(j, 0x03); b1(j, 0xbb); b4(j, OFF(blocks));   /* add rdi, [blocks] */
	b1(j, 0x48); b1(j, 0x3b); b1(j, 0x97);               /* cmp rdx, [rdi + key] */
	b4(j, (uint32_t)offsetof(struct emu_block, key));
	x[n++] = jcc32(j, 0x5);
	patch(j, found);
	n = emit_block_current(j, jit, RDI, x, n);
	b1(j, 0x48); b1(j, 0x89); b1(j, 0xbb); b4(j, OFF(jit_cur));   /* mov [jit_cur], rdi */
	b1(j, 0x48); b1(j, 0x81); b1(j, 0xe6); b4(j, 0xfffff000u);    /* and rsi, ~0xfff */
	b1(j, 0x48); b1(j, 0x89); b1(j, 0xb3); b4(j, OFF(blk_page));  /* mov [blk_page], rsi */
	b1(j, 0x49); b1(j, 0x89); b1(j, 0xc4);               /* mov r12, rax */
	b1(j, 0x48); b1(j, 0x25); b4(j, 0xfffff000u);        /* and rax, ~0xfff */
	st(j, RAX, OFF(blk_lin));
	b1(j, 0x48); b1(j, 0x83); b1(j, 0xc2); b1(j, PROLOGUE_LEN);   /* add rdx, prologue */
	b1(j, 0xff); b1(j, 0xe2);                            /* jmp rdx */
	for (unsigned i = 0; i < n; i++)
		patch(j, x[i]);
}

/* Before leaving with RIP = entry + d (stored, counters up to date): when
 * that is on the block's own page, go straight on into the successor's
 * code if b->next[slot] is it (key, code generation and translation
 * current) and the step loop would not stop first (event check due,
 * budget for a whole block, exit asked). Else falls through to the exit. */
static void emit_chain(struct jbuf *j, struct emu_jit *jit, struct emu_block *b, int64_t d,
		       unsigned slot)
{
	int64_t po = (int64_t)(b->key & 0xfff) + d;
	if (po < 0 || po >= 4096)
		return;
	uint8_t *x[9];
	unsigned n = emit_chain_checks(j, x);
	movi(j, RAX, (uint64_t)(uintptr_t)&b->next[slot]);
	b1(j, 0x48); b1(j, 0x8b); b1(j, 0x00);                   /* mov rax, [rax] */
	b1(j, 0x48); b1(j, 0x85); b1(j, 0xc0);                   /* test rax, rax */
	x[n++] = jcc32(j, 0x4);                                  /* jz */
	movi(j, RCX, (uint64_t)(b->key + (uintptr_t)d));
	b1(j, 0x48); b1(j, 0x3b); b1(j, 0x88);                   /* cmp rcx, [rax + key] */
	b4(j, (uint32_t)offsetof(struct emu_block, key));
	x[n++] = jcc32(j, 0x5);
	n = emit_block_current(j, jit, RAX, x, n);
	st(j, RAX, OFF(jit_cur));                                /* the block now running */
	b1(j, 0x4d); b1(j, 0x8d); b1(j, 0xa4); b1(j, 0x24); b4(j, (uint32_t)d);   /* lea r12 */
	b1(j, 0x48); b1(j, 0x83); b1(j, 0xc2); b1(j, PROLOGUE_LEN);   /* add rdx, prologue */
	b1(j, 0xff); b1(j, 0xe2);                                /* jmp rdx */
	for (unsigned i = 0; i < n; i++)
		patch(j, x[i]);
}

/* Chaining to entry + d (stored in cpu->rip): on the same page without a
 * lookup, elsewhere through the TLB. */
void jit_emit_chain_any(struct jbuf *j, struct emu_jit *jit, struct emu_block *b, int64_t d,
			unsigned slot)
{
	int64_t po = (int64_t)(b->key & 0xfff) + d;
	if (po >= 0 && po < 4096)
		emit_chain(j, jit, b, d, slot);
	else
		jit_emit_chain_dyn(j, jit, b, slot);
}
