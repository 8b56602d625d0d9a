/*
 * Decoded basic blocks for the emulator's step loop (emu.c), and code-page
 * write tracking, which is what lets a cached block run without checking
 * its bytes against guest memory.
 *
 * Design note — a block's life:
 *   decode   emu_block_get() looks CS:RIP up through the exec TLB and hashes
 *            the host address of its first byte (with the decoding mode:
 *            code size, protected mode) into cpu->blocks, a direct-mapped
 *            table. On a miss it copies up to EMU_BLOCK_BYTES of the page,
 *            decodes from the copy until an instruction that branches or
 *            has no plain fast handler (that one is the last; the locked
 *            read-modify-write forms and the handler-run instructions that
 *            only compute, pure_exec(), do not end a block), a page or
 *            size limit, or a decode fault (the block ends before the
 *            faulting instruction, which then faults when it is reached).
 *   mark     Before reading the bytes the page is flagged as holding code
 *            in guest_mem's code word (core/memory.h) and every vCPU's TLB
 *            loses its fast write tag for the page (emu_code_mark). From
 *            then on every write to the page — this vCPU's stores and REP
 *            strings and atomics, other vCPUs', device DMA through
 *            gpa_write/gpa_map — adds 2 to the word after the bytes are
 *            in memory. The block records the word as it was before its
 *            bytes were read.
 *   run      The step loop runs the block's instructions back to back: one
 *            lookup and one event check per block, RIP, the fault rollback
 *            RSP and the budget kept per instruction (faults, interrupts
 *            and the budget land exactly where the interpreter would put
 *            them). It leaves the block early when an instruction branched,
 *            asked for an event check (check_irq: MMIO, LAPIC, ...), or
 *            wrote the block's own page (blk_exit: an instruction patching
 *            the next one).
 *   chain    After a block that ended on an instruction which cannot change
 *            paging or mode, its successor (next[0] when it fell off the
 *            end, next[1] otherwise) is taken without a TLB or hash lookup
 *            if it starts on the same linear page: its host address follows
 *            from the page's, and its key and generation are checked.
 *   invalidate  A lookup finds the block stale when the page's word moved.
 *            It then compares the block's saved bytes with memory (a data
 *            write to a page that also holds code leaves them unchanged):
 *            equal, the block is current again under the new word;
 *            different, it is decoded afresh. Blocks outside RAM (firmware
 *            ROM, which nothing writes) get a generation that never moves.
 *   Debugging, TF and interrupt shadows run instruction by instruction
 *   (emu.c step_one), as does code the block path declines.
 */
#include "cpu/emu/emu.h"

/* Fibonacci hashing: block starts cluster at 16-byte function entries. */
/* The generation of code outside guest RAM: firmware ROM, which nothing
 * writes (gpa_write refuses it, guest writes to it are dropped, a region's
 * host memory lives as long as the machine), so it never moves. */
static const uint32_t rom_gen;

static inline uint32_t block_hash(uintptr_t host)
{
	return (uint32_t)(((uint64_t)host * BLOCK_HASH_MUL) >> (64 - EMU_BLOCKS_LOG2));
}

static inline uintptr_t mode_key(const struct emu_cpu *cpu)
{
	bool pm = (cpu->cr0 & CR0_PE) && !(cpu->rflags & FL_VM);
	return (uintptr_t)(cpu->code_size | (pm << 4)) << 56;
}

void emu_code_mark(struct emu_cpu *cpu, const void *p)
{
	uint32_t *w = mem_code_word(&cpu->m->mem, p);
	if (!w)
		return;
	__atomic_fetch_or(w, 1, __ATOMIC_SEQ_CST);
	uintptr_t page = (uintptr_t)p & ~0xfffULL;
	struct machine *m = cpu->m;
	for (unsigned i = 0; i < m->nvcpus && i < MACHINE_MAX_VCPUS; i++) {
		struct emu_cpu *c = m->vcpus[i] ? m->vcpus[i]->backend : NULL;
		if (!c)
			continue;
		emu_tlb_revoke_write(c, page, c == cpu);
	}
}

/* An instruction without a fast handler that still cannot change paging,
 * CS, the mode, IF/TF or the interrupt shadow: the LOCKed read-modify-write
 * forms (and XCHG with memory, locked without the prefix), which the kernel
 * uses for every atomic and spinlock. */
static bool pure_locked(const struct emu_insn *in)
{
	unsigned op = in->op;
	if (op == 0x86 || op == 0x87)
		return true;
	if (!in->lock || !in->has_modrm || in->mod == 3)
		return false;   /* LOCK on a register form is #UD: let it end the block */
	switch (op) {
	case 0x00: case 0x01: case 0x08: case 0x09: case 0x10: case 0x11: case 0x18: case 0x19:
	case 0x20: case 0x21: case 0x28: case 0x29: case 0x30: case 0x31:
	case 0x80: case 0x81: case 0x82: case 0x83:
	case 0x1b0: case 0x1b1: case 0x1c0: case 0x1c1:
	case 0x1ab: case 0x1b3: case 0x1bb: case 0x1ba:
		return true;
	case 0xf6: case 0xf7:
		return (in->reg & 7) == 2 || (in->reg & 7) == 3;
	case 0xfe: case 0xff:
		return (in->reg & 7) < 2;
	case 0x1c7:
		return (in->reg & 7) == 1;
	default:
		return false;
	}
}

/* An instruction emu_exec() runs that only computes: it reads and writes
 * registers, flags and memory (data, the x87/SSE state, the stack) but
 * cannot change paging, the TLB, CS, the mode or CPL, TF, the interrupt
 * shadow or the debug state, nor does I/O, nor set IF (CLI clears it: no
 * interrupt becomes deliverable; CLAC/STAC change AC, which only the walk
 * every supervisor access to a user page takes under SMAP looks at, never
 * a TLB hit). SETcc, CMOVcc, the
 * x87, MMX and SSE ops (but the 0F 38 map's INVEPT/INVVPID/INVPCID), the
 * fences and FXSAVE-family of 0F AE, CBW/CWD, PUSH imm, PUSHF, LEAVE, MOV from a
 * segment register, the two-byte ALU forms without a fast handler, BSWAP,
 * CMPXCHG, XADD, CMPXCHG8B/16B, RDRAND/RDSEED, RDTSC and RDTSCP, CLI,
 * CLAC and STAC. The kernel's
 * multiprecision and crypto loops are full of them. */
static bool pure_exec(const struct emu_insn *in)
{
	unsigned op = in->op;
	switch (op) {
	case 0x190 ... 0x19f: case 0x140 ... 0x14f:
	case 0x98: case 0x99: case 0x68: case 0x6a: case 0x9c: case 0x8c: case 0x9b: case 0xc9:
	case 0xd8 ... 0xdf:
	case 0x110 ... 0x117: case 0x118 ... 0x11f: case 0x128 ... 0x12f:
	case 0x13a: case 0x150 ... 0x177: case 0x17c ... 0x17f:
	case 0x1c2 ... 0x1c6: case 0x1d0 ... 0x1ff:
	case 0x131: case 0x1ae:
	case 0x1a3: case 0x1a4: case 0x1a5: case 0x1ab: case 0x1ac: case 0x1ad: case 0x1af:
	case 0x1b0: case 0x1b1: case 0x1b3: case 0x1b6 ... 0x1b8: case 0x1ba ... 0x1bf:
	case 0x1c0: case 0x1c1: case 0x1c8 ... 0x1cf:
		return true;
	case 0x138:
		return in->op3 < 0x80 || in->op3 > 0x82;
	case 0x101:   /* CLAC, STAC, RDTSCP */
		return in->mod == 3 && (((in->reg & 7) == 1 && ((in->rm & 7) == 2 || (in->rm & 7) == 3)) ||
					((in->reg & 7) == 7 && (in->rm & 7) == 1));
	case 0xfa:    /* CLI */
		return true;
	case 0x1c7:
		return (in->reg & 7) == 1 || (in->reg & 7) >= 6;
	default:
		return false;
	}
}

/* Branches and every instruction without a plain fast handler (but the
 * locked read-modify-write forms and the pure_exec() ones) end a block. */
static bool ends_block(const struct emu_insn *in)
{
	if (!in->fast)
		return !pure_locked(in) && !pure_exec(in);
	switch (in->op) {
	case 0x70 ... 0x7f: case 0x180 ... 0x18f:
	case 0xe8: case 0xe9: case 0xeb: case 0xc2: case 0xc3: case 0xe0 ... 0xe3:
		return true;
	case 0xff:
		return (in->reg & 7) >= 2;
	default:
		return false;
	}
}

/* Can the step loop go on to a successor without a TLB lookup? Not after
 * an instruction that may change paging, CS or the mode (those run through
 * emu_exec(): MOV CR, far transfers, task switches, ...). */
static bool chains(const struct emu_insn *in)
{
	if (!in->fast)
		return pure_locked(in) || pure_exec(in);
	return in->op != 0xff || ((in->reg & 7) != 3 && (in->reg & 7) != 5);
}

/* Decodes instructions after the first from buf; a fault ends the block
 * before the faulting instruction. Returns the number of bytes taken. */
static unsigned decode_rest(struct emu_cpu *cpu, struct emu_block *b, const uint8_t *buf,
			    unsigned avail, unsigned off)
{
	jmp_buf saved;
	volatile unsigned vo = off;
	memcpy(saved, cpu->jmp, sizeof(saved));
	if (!setjmp(cpu->jmp)) {
		while (b->ninsn < EMU_BLOCK_INSNS && !ends_block(&b->insn[b->ninsn - 1])) {
			struct emu_insn *in = &b->insn[b->ninsn];
			if (emu_decode(cpu, buf + vo, avail - vo, in))
				break;
			vo += in->len;
			b->ninsn++;
		}
	}
	memcpy(cpu->jmp, saved, sizeof(saved));
	return vo;
}

static struct emu_block *block_build(struct emu_cpu *cpu, struct emu_block *b, const uint8_t *p,
				     unsigned avail, uintptr_t key)
{
	uint8_t buf[EMU_BLOCK_BYTES];
	uint32_t *w = mem_code_word(&cpu->m->mem, p);
	if (w && !(__atomic_load_n(w, __ATOMIC_SEQ_CST) & 1))
		emu_code_mark(cpu, p);
	b->key = 0;   /* empty until complete: the first decode may fault */
	b->jit_fn = NULL;
	b->hits = 0;
	b->genp = w ? w : (uint32_t *)&rom_gen;
	b->gen = w ? __atomic_load_n(w, __ATOMIC_SEQ_CST) : 0;
	unsigned n = avail < EMU_BLOCK_BYTES ? avail : EMU_BLOCK_BYTES;
	memcpy(buf, p, n);
	if (emu_decode(cpu, buf, n, &b->insn[0]))
		return NULL;   /* crosses the page: instruction by instruction */
	b->ninsn = 1;
	unsigned len = decode_rest(cpu, b, buf, n, b->insn[0].len);
	b->nbytes = (uint8_t)len;
	memcpy(b->bytes, buf, len);
	b->chain_ok = chains(&b->insn[b->ninsn - 1]);
	b->next[0] = b->next[1] = NULL;
	b->key = key;
	return b;
}

/* Is b (keyed for host p) still what memory holds? */
static inline bool block_current(struct emu_block *b, const uint8_t *p)
{
	if (__builtin_expect(b->genp != NULL, 1) &&
	    __atomic_load_n(b->genp, __ATOMIC_ACQUIRE) == b->gen)
		return true;
	uint32_t g = b->genp ? __atomic_load_n(b->genp, __ATOMIC_SEQ_CST) : 0;
	if (memcmp(b->bytes, p, b->nbytes))
		return false;
	b->gen = g;
	return true;
}

/* Non-64-bit code: the whole block within the CS limit and without a wrap
 * of IP/EIP; otherwise the instructions run one by one (exact #GP). */
static inline bool block_fits(const struct emu_cpu *cpu, const struct emu_block *b)
{
	if (cpu->code64)
		return true;
	uint64_t last = cpu->rip + b->nbytes - 1;
	uint64_t lim = cpu->seg[SEG_CS].limit;
	if (cpu->code_size == 2 && lim > 0xffff)
		lim = 0xffff;
	return last <= lim;
}

struct emu_block *emu_block_get(struct emu_cpu *cpu)
{
	uint64_t lin = emu_code_lin(cpu);
	struct emu_tlb_entry *e = &cpu->tlbc[(lin >> 12) & (EMU_TLB_SIZE - 1)];
	if (e->tag[ACC_EXEC] != (lin & ~0xfffULL)) {
		emu_translate(cpu, lin, ACC_EXEC, emu_user(cpu));
		if (e->tag[ACC_EXEC] != (lin & ~0xfffULL))
			return NULL;   /* MMIO */
	}
	const uint8_t *p = (const uint8_t *)(e->addend + (uintptr_t)lin);
	uintptr_t host = (uintptr_t)p;
	uintptr_t key = host | mode_key(cpu);
	struct emu_block *b = &cpu->blocks[block_hash(host)];
	if (b->key != key || !block_current(b, p)) {
		b = block_build(cpu, b, p, 4096 - (unsigned)(lin & 0xfff), key);
		if (!b)
			return NULL;
	}
	if (!block_fits(cpu, b))
		return NULL;
	cpu->blk_lin = lin & ~0xfffULL;
	cpu->blk_page = host & ~0xfffULL;
	return b;
}

struct emu_block *emu_block_chained(struct emu_cpu *cpu, struct emu_block *prev, unsigned slot)
{
	struct emu_block *b = prev->next[slot];
	if (!b)
		return NULL;
	uint64_t lin = cpu->code64 ? cpu->rip : (uint32_t)(cpu->seg[SEG_CS].base + cpu->rip);
	if ((lin & ~0xfffULL) != cpu->blk_lin)
		return NULL;
	const uint8_t *p = (const uint8_t *)(cpu->blk_page | (lin & 0xfff));
	if (b->key != ((uintptr_t)p | mode_key(cpu)) || !block_current(b, p) || !block_fits(cpu, b))
		return NULL;
	return b;
}
