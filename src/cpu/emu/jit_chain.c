/*
 * Block chaining for the JIT: the code a translated block starts and ends
 * with to go straight on into its successor's code when the step loop
 * would run that block next anyway.
 *
 * Design note — getting from one block's code to the next:
 *   entry   Every translation is laid out as
 *             fn + 0   prologue (the step loop's call; PROLOGUE_LEN)
 *             fn + 17  jmp to the body
 *             fn + 19  bail: or eax, 4; epilogue
 *             fn + 30  chain entry (CHAIN_ENTRY): rdx = the block;
 *                      block->jit_fn == fn (the block slot still holds this
 *                      translation: a rebuild clears jit_fn, a flush of the
 *                      code buffer clears every block's), *genp == gen (its
 *                      bytes are current); jit_cur = the block; on into the
 *                      body. A failed check bails out with the code the
 *                      jumping block put in eax, plus 4: to the step loop,
 *                      the predecessor (still jit_cur) just left.
 *   stop    Before any chain: icount below cpu->jit_limit (the step loop
 *           sets it to the next event check, ev_next, or to where less than
 *           a whole block of budget would be left, whichever comes first)
 *           and none of check_irq, blk_exit, poke (adjacent bytes in
 *           struct emu_cpu: one 32-bit compare). Otherwise the block
 *           leaves with its plain return code.
 *   static  An exit to a fixed address on the block's own page (a Jcc, JMP
 *           rel, CALL rel32, falling off the end): after the stop checks,
 *           r12 = the target's RIP, eax = slot | 8 and a jmp rel32 that
 *           starts out pointing at the next instruction, an epilogue. The
 *           step loop, seeing 8, finds the next block as usual and when it
 *           runs that block's code points the jump at its chain entry
 *           (emu_jit_link; only if it is the block at the jump's fixed
 *           address and both translations are current). From then on the
 *           exit costs the stop checks, a jump and the chain entry.
 *   loop    A Jcc or JMP back to the block's own start (the xz decoder's
 *           hot loops) jumps after the stop checks straight to the first
 *           instruction's code (jbuf.body), past the chain entry: r12 is
 *           already the target, jit_cur the block, and what the entry
 *           checks cannot change unseen while the code runs (a write to
 *           the block's page sets blk_exit, a rebuild or buffer flush
 *           happens only in the step loop; another vCPU's or a device's
 *           write is seen at the next event check, the stop checks'
 *           jit_limit). RIP is stored only when the stop checks fail.
 *   dynamic An exit to an address known only at run time (RET, after a
 *           handler, another page): the exec TLB gives the host address;
 *           the block whose key it is, either the one cached in next[slot]
 *           or the one in the block cache's hash slot (which then becomes
 *           next[slot]), is entered at its chain entry if translated, with
 *           blk_page and blk_lin set to its page.
 *   invalidate  A non-NULL jit_fn is always code of the current buffer
 *           epoch (jit.c clears them all when it flushes), so links only
 *           ever point into live code; a rebuilt or retranslated block's
 *           old code is still there (the buffer only grows until the next
 *           flush) and its chain entry refuses to run it.
 */
#include <errno.h>

#include "cpu/emu/jit_priv.h"

enum { RDI = 7 };

/* jne rel8 back to `to` */
static void jne8(struct jbuf *j, uint8_t *to)
{
	b1(j, 0x75);
	b1(j, (uint8_t)(int8_t)(to - (j->p + 1)));
}

int jit_emit_entry(struct jbuf *j, struct emu_jit *jit, struct emu_block *b, uint8_t *start)
{
	uint64_t fn = (uint64_t)(uintptr_t)(jit->rx + (start - jit->rw));
	b1(j, 0xeb);                                             /* jmp short body */
	uint8_t *over = j->p;
	b1(j, 0);
	uint8_t *bail = j->p;
	b1(j, 0x83); b1(j, 0xc8); b1(j, 0x04);                   /* or eax, 4 */
	epilogue(j);
	if (!j->full && j->p - start != CHAIN_ENTRY)
		return -EINVAL;
	b1(j, 0x48); b1(j, 0xba); b8(j, (uint64_t)(uintptr_t)b);   /* mov rdx, b */
	b1(j, 0x48); b1(j, 0xb9); b8(j, fn);                       /* mov rcx, fn */
	b1(j, 0x48); b1(j, 0x39); b1(j, 0x8a);                     /* cmp [rdx + jit_fn], rcx */
	b4(j, (uint32_t)offsetof(struct emu_block, jit_fn));
	jne8(j, bail);
	b1(j, 0x48); b1(j, 0x8b); b1(j, 0x8a);                     /* mov rcx, [rdx + genp] */
	b4(j, (uint32_t)offsetof(struct emu_block, genp));
	b1(j, 0x8b); b1(j, 0x09);                                  /* mov ecx, [rcx] */
	b1(j, 0x3b); b1(j, 0x8a);                                  /* cmp ecx, [rdx + gen] */
	b4(j, (uint32_t)offsetof(struct emu_block, gen));
	jne8(j, bail);
	b1(j, 0x48); b1(j, 0x89); b1(j, 0x93); b4(j, OFF(jit_cur));   /* mov [jit_cur], rdx */
	if (!j->full)
		*over = (uint8_t)(j->p - (over + 1));
	return 0;
}

/* What the step loop checks before the next block (see "stop"). Fixups
 * (to the exit) in x. */
static unsigned emit_stop_checks(struct jbuf *j, uint8_t **x)
{
	unsigned n = 0;
	ld(j, RAX, OFF(icount), true);
	b1(j, 0x48); b1(j, 0x3b); b1(j, 0x83); b4(j, OFF(jit_limit));   /* cmp rax, [jit_limit] */
	x[n++] = jcc32(j, 0x3);                                  /* jae */
	_Static_assert(OFF(blk_exit) == OFF(check_irq) + 1 && OFF(poke) == OFF(check_irq) + 2 &&
		       OFF(stop_pad) == OFF(check_irq) + 3 && OFF(check_irq) % 4 == 0 &&
		       sizeof(((struct emu_cpu *)0)->poke) == 1, "stop flags: one word");
	b1(j, 0x83); b1(j, 0xbb); b4(j, OFF(check_irq)); b1(j, 0);   /* cmp dword [flags], 0 */
	x[n++] = jcc32(j, 0x5);                                  /* jnz */
	return n;
}

/* Before leaving with cpu->rip stored and the counters up to date, to any
 * address (see "dynamic"). Falls through to the exit otherwise. */
void jit_emit_chain_dyn(struct jbuf *j, struct emu_jit *jit, struct emu_block *b, unsigned slot)
{
	uint8_t *x[8];
	unsigned n = emit_stop_checks(j, x);
	ld(j, RAX, OFF(rip), true);
	emit_tlb_probe(j, ACC_EXEC);
	x[n++] = jcc32(j, 0x5);
	b1(j, 0x48); b1(j, 0x8b); b1(j, 0xb1);               /* mov rsi, [rcx + addend] */
	b4(j, (uint32_t)offsetof(struct emu_tlb_entry, addend));
	b1(j, 0x48); b1(j, 0x01); b1(j, 0xc6);               /* add rsi, rax: host */
	movi(j, 2 /* rdx */, (uint64_t)(b->key & ~(((uintptr_t)1 << 56) - 1)));   /* mode */
	b1(j, 0x48); b1(j, 0x09); b1(j, 0xf2);               /* or rdx, rsi: key */
	b1(j, 0x49); b1(j, 0xb9); b8(j, (uint64_t)(uintptr_t)&b->next[slot]);   /* mov r9 */
	b1(j, 0x49); b1(j, 0x8b); b1(j, 0x39);               /* mov rdi, [r9] */
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
	b1(j, 0x49); b1(j, 0x89); b1(j, 0x39);               /* mov [r9], rdi: next[slot] */
	patch(j, found);
	b1(j, 0x48); b1(j, 0x8b); b1(j, 0x8f);               /* mov rcx, [rdi + jit_fn] */
	b4(j, (uint32_t)offsetof(struct emu_block, jit_fn));
	b1(j, 0x48); b1(j, 0x85); b1(j, 0xc9);               /* test rcx, rcx */
	x[n++] = jcc32(j, 0x4);
	b1(j, 0x48); b1(j, 0x81); b1(j, 0xe6); b4(j, 0xfffff000u);    /* and rsi, ~0xfff */
	b1(j, 0x48); b1(j, 0x89); b1(j, 0xb3); b4(j, OFF(blk_page));  /* mov [blk_page], rsi */
	b1(j, 0x49); b1(j, 0x89); b1(j, 0xc4);               /* mov r12, rax */
	b1(j, 0x48); b1(j, 0x25); b4(j, 0xfffff000u);        /* and rax, ~0xfff */
	st(j, RAX, OFF(blk_lin));
	b1(j, 0x48); b1(j, 0x83); b1(j, 0xc1); b1(j, CHAIN_ENTRY);   /* add rcx, entry */
	b1(j, 0xb8); b4(j, slot);                            /* mov eax, slot */
	b1(j, 0xff); b1(j, 0xe1);                            /* jmp rcx */
	for (unsigned i = 0; i < n; i++)
		patch(j, x[i]);
}

/* Before leaving with RIP = entry + d (stored, counters up to date), on
 * the block's own page (see "static"). Falls through to the exit when the
 * stop checks fail. */
static void emit_chain(struct jbuf *j, struct emu_block *b, int64_t d, unsigned slot)
{
	uint8_t *x[2];
	unsigned n = emit_stop_checks(j, x);
	if (d == 0 && j->body) {   /* a loop back to the block's own start */
		b1(j, 0xe9);                                     /* jmp body */
		b4(j, (uint32_t)(j->body - (j->p + 4)));
		for (unsigned i = 0; i < n; i++)
			patch(j, x[i]);
		return;
	}
	bool first = !j->link[slot];   /* one linkable jump per slot */
	b1(j, 0x4d); b1(j, 0x8d); b1(j, 0xa4); b1(j, 0x24); b4(j, (uint32_t)d);   /* lea r12 */
	b1(j, 0xb8); b4(j, first ? slot | 8 : slot);             /* mov eax, code */
	b1(j, 0xe9);                                             /* jmp rel32: emu_jit_link */
	uint8_t *site = j->p;
	b4(j, 0);
	epilogue(j);
	if (first && !j->full)
		j->link[slot] = site;
	for (unsigned i = 0; i < n; i++)
		patch(j, x[i]);
}

/* Chaining to entry + d (stored in cpu->rip): on the same page by a jump
 * patched in once the successor runs, elsewhere through the TLB. */
void jit_emit_chain_any(struct jbuf *j, struct emu_jit *jit, struct emu_block *b, int64_t d,
			unsigned slot)
{
	int64_t po = (int64_t)(b->key & 0xfff) + d;
	if (po >= 0 && po < 4096)
		emit_chain(j, b, d, slot);
	else
		jit_emit_chain_dyn(j, jit, b, slot);
}

void emu_jit_link(struct emu_cpu *cpu, struct emu_block *from, unsigned slot,
		  emu_jit_fn from_fn, uint32_t from_epoch, uint64_t rip, struct emu_block *to)
{
	struct emu_jit *jit = cpu->jit;
	uint32_t site = from->jit_link[slot];
	if (!site || from->jit_fn != from_fn || from->jit_epoch != from_epoch ||
	    from_epoch != jit->epoch || !to->jit_fn || to->jit_epoch != jit->epoch ||
	    cpu->rip != rip)
		return;
	/* The jump's fixed target: the same host page and mode as `from`. */
	if (to->key != ((from->key & ~(uintptr_t)0xfff) | (uintptr_t)(rip & 0xfff)))
		return;
	const uint8_t *entry = (const uint8_t *)(const void *)to->jit_fn + CHAIN_ENTRY;
	int32_t rel = (int32_t)(entry - (jit->rx + site + 4));
	memcpy(jit->rw + site, &rel, 4);
}
