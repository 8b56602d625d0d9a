/*
 * Memory management of the emulated CPU: segmentation (descriptor caches,
 * limit/type/privilege checks), paging (2-level with PSE/PSE-36, PAE,
 * 4-level; NX, global pages, CR0.WP, SMEP, SMAP, accessed/dirty bits), the software TLB
 * and guest-physical access (RAM/ROM by host pointer, the per-vCPU LAPIC
 * page, everything else to the MMIO bus).
 *
 * Design note — TLB: direct mapped, EMU_TLB_SIZE entries for supervisor
 * and as many for user accesses (cpu->tlbc points at the set of the current
 * CPL), in a bank per PCID: EMU_TLB_BANKS banks, the current PCID's is
 * cpu->tlb, and a PCID without one takes the least recently used bank,
 * whose non-global entries go. So a kernel that switches CR3 with the
 * no-flush bit (page-table isolation on every kernel entry and exit, text
 * patching through a temporary mm) finds its translations again: the
 * Linux boot walked 3.0 M times with one 256-entry bank, 0.46 M with these.
 * What the SDM lets a TLB keep it may also drop, and we drop more than
 * asked where that is simpler: INVLPG and INVPCID's single address drop
 * the page in every bank (the SDM asks for the current PCID's entries and
 * the global ones), INVPCID single context the PCID's non-global entries,
 * MOV to CR3 without bit 63 (or without PCIDs) the new PCID's non-global
 * ones, a paging-mode change everything. Each bank lists the entries it
 * filled since its last flush (used[], `listed` in the entry), so a flush
 * costs what was filled, not the 2 x EMU_TLB_SIZE entries; `large` is a
 * 64-bit filter of the large pages with pieces in the bank, so that INVLPG
 * looks for other pieces only when one may be there.
 * An entry maps one linear 4 KiB page to host memory (addend) and has
 * a tag per access kind; a tag is set only when the page walk allowed that
 * kind at that privilege: read always, exec unless NX, write only once the
 * walk has set the dirty bit and the page is RAM (ROM and MMIO never get a
 * write tag, so those writes take the slow path where they are dropped or
 * dispatched). Pages holding MMIO or the LAPIC get no entry at all.
 * With CR4.SMAP a supervisor entry for a user page gets no read or write
 * tag (whether such an access is allowed depends on EFLAGS.AC, which the
 * fast path does not look at), and with CR4.SMEP no exec tag. An entry
 * that is a piece of a large page records the page's size, so that INVLPG
 * anywhere in the large page drops every piece (SDM Vol. 3, 4.10.4.1).
 * PAE PDPTEs are read at walk time rather than cached at CR3 load (a guest
 * that edits live PDPTEs without reloading CR3 sees the edit earlier than on
 * hardware; no known guest relies on the difference).
 */
#include <errno.h>
#include <stdlib.h>

#include "cpu/emu/emu.h"
#include "hw/intc/intc.h"

#define PTE_P (1ULL << 0)
#define PTE_W (1ULL << 1)
#define PTE_U (1ULL << 2)
#define PTE_A (1ULL << 5)
#define PTE_D (1ULL << 6)
#define PTE_PS (1ULL << 7)
#define PTE_G (1ULL << 8)
#define PTE_NX (1ULL << 63)
#define PHYS_BITS 40
#define PHYS_MASK (((1ULL << PHYS_BITS) - 1) & ~0xfffULL)

#define PF_P (1u << 0)
#define PF_W (1u << 1)
#define PF_U (1u << 2)
#define PF_RSVD (1u << 3)
#define PF_I (1u << 4)

_Static_assert(EMU_TLB_SIZE <= 65536, "a bank's used list holds 16-bit indices");

static inline void tlb_entry_clear(struct emu_tlb_entry *e)
{
	e->tag[0] = e->tag[1] = e->tag[2] = 1;
	e->wtag_code = 1;
	e->global = false;
}

/* The page an entry maps, or 1 if it maps none. */
static uint64_t tlb_entry_page(const struct emu_tlb_entry *e)
{
	for (unsigned k = 0; k < 3; k++)
		if (e->tag[k] != 1)
			return e->tag[k];
	return e->wtag_code;
}

/* A bank's `large` bit for the large page of 1 << shift bytes holding lin. */
static inline uint64_t large_bit(uint64_t lin, unsigned shift)
{
	return 1ULL << ((((lin >> shift) ^ shift) * 0x9e3779b97f4a7c15ULL) >> 58);
}

static void bank_init(struct emu_tlb_bank *b)
{
	for (unsigned s = 0; s < 2; s++) {
		for (unsigned i = 0; i < EMU_TLB_SIZE; i++) {
			tlb_entry_clear(&b->e[s][i]);
			b->e[s][i].listed = false;
		}
		b->nused[s] = 0;
	}
	b->large = 0;
	/* Other vCPUs' emu_tlb_revoke_write look at live banks only. */
	__atomic_store_n(&b->live, true, __ATOMIC_RELEASE);
}

static void bank_flush(struct emu_tlb_bank *b, bool keep_global)
{
	uint64_t large = 0;
	for (unsigned s = 0; s < 2; s++) {
		unsigned n = b->nused[s], kept = 0;
		for (unsigned i = 0; i < n; i++) {
			unsigned k = b->used[s][i];
			struct emu_tlb_entry *e = &b->e[s][k];
			uint64_t page = tlb_entry_page(e);
			if (keep_global && e->global && page != 1) {
				b->used[s][kept++] = (uint16_t)k;
				if (e->page_shift)
					large |= large_bit(page, e->page_shift);
				continue;
			}
			tlb_entry_clear(e);
			e->listed = false;
		}
		b->nused[s] = kept;
	}
	b->large = large;
}

/* Makes the bank of the current PCID current, taking a bank never used or
 * else the least recently used one when no bank holds the PCID: that bank
 * keeps its global entries (they hold for every PCID) and loses the rest. */
static void tlb_select(struct emu_cpu *cpu)
{
	uint16_t pcid = (cpu->cr4 & CR4_PCIDE) ? cpu->cr3 & 0xfff : 0;
	struct emu_tlb_bank *b = NULL, *victim = &cpu->tlb_banks[0];
	for (unsigned i = 0; i < EMU_TLB_BANKS; i++) {
		struct emu_tlb_bank *c = &cpu->tlb_banks[i];
		if (c->live && c->pcid == pcid) {
			b = c;
			break;
		}
		if (victim->live && (!c->live || c->stamp < victim->stamp))
			victim = c;
	}
	if (!b) {
		b = victim;
		if (b->live)
			bank_flush(b, true);
		else
			bank_init(b);
		b->pcid = pcid;
	}
	b->stamp = ++cpu->tlb_clock;
	cpu->tlb = b;
	cpu->tlbc = b->e[cpu->cpl == 3];
}

int emu_tlb_init(struct emu_cpu *cpu)
{
	cpu->tlb_banks = aligned_alloc(64, EMU_TLB_BANKS * sizeof(*cpu->tlb_banks));
	if (!cpu->tlb_banks)
		return -ENOMEM;
	/* Banks are set up when first used: most guests use one or two. */
	for (unsigned i = 0; i < EMU_TLB_BANKS; i++)
		cpu->tlb_banks[i].live = false;
	cpu->tlb_clock = 0;
	tlb_select(cpu);
	return 0;
}

void emu_tlb_free(struct emu_cpu *cpu)
{
	free(cpu->tlb_banks);
	cpu->tlb_banks = NULL;
}

void emu_tlb_flush(struct emu_cpu *cpu, bool keep_global)
{
	for (unsigned i = 0; i < EMU_TLB_BANKS; i++)
		if (cpu->tlb_banks[i].live)
			bank_flush(&cpu->tlb_banks[i], keep_global);
	tlb_select(cpu);   /* a CR4.PCIDE change moves the current PCID */
}

void emu_tlb_cr3(struct emu_cpu *cpu, bool flush)
{
	tlb_select(cpu);
	if (flush)
		bank_flush(cpu->tlb, true);
}

void emu_tlb_flush_pcid(struct emu_cpu *cpu, uint16_t pcid)
{
	for (unsigned i = 0; i < EMU_TLB_BANKS; i++)
		if (cpu->tlb_banks[i].live && cpu->tlb_banks[i].pcid == pcid)
			bank_flush(&cpu->tlb_banks[i], true);
}

void emu_tlb_revoke_write(struct emu_cpu *c, uintptr_t page, bool own)
{
	for (unsigned i = 0; i < EMU_TLB_BANKS; i++) {
		struct emu_tlb_bank *b = &c->tlb_banks[i];
		if (!__atomic_load_n(&b->live, __ATOMIC_ACQUIRE))
			continue;
		/* The owner's used lists hold every entry with a tag; another
		 * vCPU's may change under us, so their arrays are walked whole. */
		for (unsigned s = 0; s < 2; s++)
			for (unsigned j = 0, n = own ? b->nused[s] : EMU_TLB_SIZE; j < n; j++) {
				struct emu_tlb_entry *e = &b->e[s][own ? b->used[s][j] : j];
				uint64_t t = __atomic_load_n(&e->tag[ACC_WRITE], __ATOMIC_RELAXED);
				if (t == 1 || e->addend + (uintptr_t)t != page)
					continue;
				__atomic_store_n(&e->tag[ACC_WRITE], 1, __ATOMIC_RELAXED);
				/* Only the owner may hand out the slow write tag: another
				 * vCPU may be refilling this entry right now. */
				if (own)
					e->wtag_code = t;
			}
	}
}

static bool tlb_entry_covers(const struct emu_tlb_entry *e, uint64_t page)
{
	for (unsigned k = 0; k < 3; k++)
		if (e->tag[k] != 1 && !((e->tag[k] ^ page) >> e->page_shift))
			return true;
	return e->wtag_code != 1 && !((e->wtag_code ^ page) >> e->page_shift);
}

void emu_tlb_flush_page(struct emu_cpu *cpu, uint64_t lin)
{
	uint64_t page = lin & ~0xfffULL;
	uint64_t large = large_bit(lin, 21) | large_bit(lin, 22) | large_bit(lin, 30);
	for (unsigned i = 0; i < EMU_TLB_BANKS; i++) {
		struct emu_tlb_bank *b = &cpu->tlb_banks[i];
		if (!b->live)
			continue;
		for (unsigned s = 0; s < 2; s++) {
			struct emu_tlb_entry *e = &b->e[s][(lin >> 12) & (EMU_TLB_SIZE - 1)];
			if (e->tag[0] == page || e->tag[1] == page || e->tag[2] == page ||
			    e->wtag_code == page)
				tlb_entry_clear(e);
		}
		if (!(b->large & large))
			continue;
		/* Other 4 KiB pieces of a large page that contains lin. */
		for (unsigned s = 0; s < 2; s++)
			for (unsigned j = 0; j < b->nused[s]; j++) {
				struct emu_tlb_entry *e = &b->e[s][b->used[s][j]];
				if (e->page_shift && tlb_entry_covers(e, page))
					tlb_entry_clear(e);
			}
	}
}

/* --- Guest physical access -------------------------------------------------- */

static inline bool is_apic(struct emu_cpu *cpu, uint64_t gpa)
{
	return (cpu->apic_base & (1u << 11)) && (gpa & ~0xfffULL) == (cpu->apic_base & PHYS_MASK);
}

/* Records a guest write to RAM while dirty logging is on. */
static inline void mark_dirty(struct emu_cpu *cpu, struct mem_region *r, uint64_t gpa)
{
	if (!cpu->vm || !atomic_load_explicit(&cpu->vm->dirty_logging, memory_order_relaxed))
		return;
	unsigned long *bm = cpu->vm->dirty[r - cpu->m->mem.regions];
	uint64_t pg = (gpa - r->gpa) >> 12;
	if (bm)
		__atomic_fetch_or(&bm[pg / (8 * sizeof(long))], 1UL << (pg % (8 * sizeof(long))),
				  __ATOMIC_RELAXED);
}

static uint8_t *ram_ptr(struct emu_cpu *cpu, uint64_t gpa, unsigned size, bool write)
{
	struct mem_region *r = mem_find(&cpu->m->mem, gpa);
	if (!r || gpa + size > r->gpa + r->size)
		return NULL;
	if (write && r->kind != MEM_RAM)
		return NULL;
	return r->host + (gpa - r->gpa);
}

uint64_t emu_phys_read(struct emu_cpu *cpu, uint64_t gpa, unsigned size)
{
	if (is_apic(cpu, gpa))
		return intc_lapic_read(cpu->m, cpu->index, gpa & 0xfff, size);
	uint8_t *p = ram_ptr(cpu, gpa, size, false);
	if (p)
		return emu_load_host(p, size);
	struct mem_region *r = mem_find(&cpu->m->mem, gpa);
	if (r && size > 1) {   /* straddles the end of a region: bytewise */
		uint64_t v = 0;
		for (unsigned i = 0; i < size; i++)
			v |= emu_phys_read(cpu, gpa + i, 1) << (8 * i);
		return v;
	}
	return machine_mmio_read(cpu->m, gpa, size) & emu_mask(size);
}

void emu_phys_write(struct emu_cpu *cpu, uint64_t gpa, unsigned size, uint64_t val)
{
	if (is_apic(cpu, gpa)) {
		intc_lapic_write(cpu->m, cpu->index, gpa & 0xfff, val, size);
		cpu->check_irq = true;
		return;
	}
	struct mem_region *r = mem_find(&cpu->m->mem, gpa);
	if (r) {
		if (gpa + size > r->gpa + r->size) {
			for (unsigned i = 0; i < size; i++)
				emu_phys_write(cpu, gpa + i, 1, val >> (8 * i));
			return;
		}
		if (r->kind != MEM_RAM)
			return;   /* ROM: dropped */
		emu_store_host(r->host + (gpa - r->gpa), size, val);
		mark_dirty(cpu, r, gpa);
		emu_code_wrote(cpu, r->host + (gpa - r->gpa), size);
		return;
	}
	machine_mmio_write(cpu->m, gpa, size, val);
	cpu->check_irq = true;
}

/* --- Page walk ----------------------------------------------------------------- */

struct walk {
	uint64_t gpa;
	bool write_ok, exec_ok, global, dirty;
	bool data_slow;          /* SMAP: supervisor data accesses always walk */
	uint8_t page_shift;      /* 0, or the size of the large page mapping it */
};

static uint64_t pt_read(struct emu_cpu *cpu, uint64_t gpa, unsigned size)
{
	return emu_phys_read(cpu, gpa & cpu->a20_mask, size);
}

static void pt_set(struct emu_cpu *cpu, uint64_t gpa, uint64_t bits, unsigned size)
{
	gpa &= cpu->a20_mask;
	uint8_t *p = ram_ptr(cpu, gpa, size, true);
	if (!p)
		return;
	mark_dirty(cpu, mem_find(&cpu->m->mem, gpa), gpa);   /* A/D bits are guest writes */
	if (size == 8)
		__atomic_fetch_or((uint64_t *)(void *)p, bits, __ATOMIC_SEQ_CST);
	else
		__atomic_fetch_or((uint32_t *)(void *)p, (uint32_t)bits, __ATOMIC_SEQ_CST);
	emu_code_wrote(cpu, p, size);
}

__attribute__((noreturn)) static void page_fault(struct emu_cpu *cpu, uint64_t lin, uint32_t err,
						 enum emu_access acc, bool user)
{
	if (acc == ACC_WRITE)
		err |= PF_W;
	if (user)
		err |= PF_U;
	if (acc == ACC_EXEC &&
	    (((cpu->efer & EFER_NXE) && (cpu->cr4 & CR4_PAE)) || (cpu->cr4 & CR4_SMEP)))
		err |= PF_I;
	cpu->cr2 = lin;
	emu_raise(cpu, EXC_PF, err);
}

static void walk_page(struct emu_cpu *cpu, uint64_t lin, enum emu_access acc, bool user,
		      struct walk *w)
{
	uint64_t ent_addr[4], ent[4];
	unsigned levels = 0, esz;
	uint64_t gpa, rsvd_hi = 0;
	bool nxe = cpu->efer & EFER_NXE;
	bool w_all = true, u_all = true, nx_any = false;

	w->page_shift = 0;
	w->data_slow = false;
	if (!cpu->paging) {
		w->gpa = ((cpu->efer & EFER_LMA) ? lin : (uint32_t)lin) & cpu->a20_mask;
		w->write_ok = w->exec_ok = w->dirty = true;
		w->global = false;
		return;
	}
	if (!(cpu->cr4 & CR4_PAE)) {
		/* 32-bit paging. */
		esz = 4;
		uint64_t pde_a = (cpu->cr3 & 0xfffff000) + ((lin >> 22) & 0x3ff) * 4;
		uint64_t pde = pt_read(cpu, pde_a, 4);
		if (!(pde & PTE_P))
			page_fault(cpu, lin, 0, acc, user);
		ent_addr[levels] = pde_a;
		ent[levels++] = pde;
		if ((pde & PTE_PS) && (cpu->cr4 & CR4_PSE)) {
			if (pde & (1u << 21))
				page_fault(cpu, lin, PF_P | PF_RSVD, acc, user);
			gpa = (pde & 0xffc00000) | (((pde >> 13) & 0xff) << 32) | (lin & 0x3ff000);
			w->page_shift = 22;
		} else {
			uint64_t pte_a = (pde & 0xfffff000) + ((lin >> 12) & 0x3ff) * 4;
			uint64_t pte = pt_read(cpu, pte_a, 4);
			if (!(pte & PTE_P))
				page_fault(cpu, lin, 0, acc, user);
			ent_addr[levels] = pte_a;
			ent[levels++] = pte;
			gpa = pte & 0xfffff000;
		}
	} else {
		esz = 8;
		rsvd_hi = ~PHYS_MASK & 0x7ffffffffffff000ULL;
		if (!nxe)
			rsvd_hi |= PTE_NX;
		uint64_t table;
		int level;
		if (cpu->efer & EFER_LMA) {
			table = cpu->cr3 & PHYS_MASK;
			level = 4;
		} else {
			uint64_t pdpte_a = (cpu->cr3 & 0xffffffe0) + ((lin >> 30) & 3) * 8;
			uint64_t pdpte = pt_read(cpu, pdpte_a, 8);
			if (!(pdpte & PTE_P))
				page_fault(cpu, lin, 0, acc, user);
			if (pdpte & (rsvd_hi | PTE_NX | 0x1e6))
				page_fault(cpu, lin, PF_P | PF_RSVD, acc, user);
			table = pdpte & PHYS_MASK;
			level = 2;
		}
		for (;; level--) {
			unsigned shift = 12 + 9 * (level - 1);
			uint64_t a = table + ((lin >> shift) & 0x1ff) * 8;
			uint64_t e = pt_read(cpu, a, 8);
			if (!(e & PTE_P))
				page_fault(cpu, lin, 0, acc, user);
			uint64_t rs = rsvd_hi;
			if (level == 4)
				rs |= PTE_PS | PTE_G;
			if ((level == 2 || level == 3) && (e & PTE_PS))
				rs |= ((1ULL << shift) - 1) & ~0x1fffULL;   /* bits 13..shift-1 */
			if (e & rs)
				page_fault(cpu, lin, PF_P | PF_RSVD, acc, user);
			ent_addr[levels] = a;
			ent[levels++] = e;
			if (level == 1 || ((level == 2 || level == 3) && (e & PTE_PS))) {
				uint64_t off_mask = (1ULL << shift) - 1;
				gpa = (e & PHYS_MASK & ~off_mask) | (lin & off_mask & ~0xfffULL);
				if (level > 1)
					w->page_shift = (uint8_t)shift;
				break;
			}
			table = e & PHYS_MASK;
		}
	}
	for (unsigned i = 0; i < levels; i++) {
		w_all &= !!(ent[i] & PTE_W);
		u_all &= !!(ent[i] & PTE_U);
		if (nxe && esz == 8 && (ent[i] & PTE_NX))
			nx_any = true;
	}
	uint64_t leaf = ent[levels - 1];
	if (user && !u_all)
		page_fault(cpu, lin, PF_P, acc, user);
	bool write_ok = w_all || (!user && !(cpu->cr0 & CR0_WP));
	if (acc == ACC_WRITE && !write_ok)
		page_fault(cpu, lin, PF_P, acc, user);
	if (acc == ACC_EXEC && nx_any)
		page_fault(cpu, lin, PF_P, acc, user);
	/* SMEP and SMAP (SDM Vol. 3, 4.6.1): supervisor accesses to user pages.
	 * A supervisor access made at CPL 3 is an implicit one (descriptor
	 * tables, TSS, a frame pushed on delivery): SMAP refuses it whatever
	 * EFLAGS.AC says. */
	bool smep = !user && u_all && (cpu->cr4 & CR4_SMEP);
	bool smap = !user && u_all && (cpu->cr4 & CR4_SMAP);
	if (acc == ACC_EXEC && smep)
		page_fault(cpu, lin, PF_P, acc, user);
	if (acc != ACC_EXEC && smap && (cpu->cpl == 3 || !(cpu->rflags & FL_AC)))
		page_fault(cpu, lin, PF_P, acc, user);
	/* Accessed and dirty bits, as the hardware walker sets them. */
	for (unsigned i = 0; i < levels; i++)
		if (!(ent[i] & PTE_A))
			pt_set(cpu, ent_addr[i], PTE_A, esz);
	bool dirty = leaf & PTE_D;
	if (acc == ACC_WRITE && !dirty) {
		pt_set(cpu, ent_addr[levels - 1], PTE_D, esz);
		dirty = true;
	}
	w->gpa = gpa & cpu->a20_mask;
	w->write_ok = write_ok;
	w->exec_ok = !nx_any && !smep;
	w->data_slow = smap;
	w->global = (leaf & PTE_G) && (cpu->cr4 & CR4_PGE);
	w->dirty = dirty;
}

static void tlb_fill(struct emu_cpu *cpu, uint64_t lin, bool user, const struct walk *w)
{
	uint64_t gpa = w->gpa & ~0xfffULL;
	if (is_apic(cpu, gpa))
		return;
	struct mem_region *r = mem_find(&cpu->m->mem, gpa);
	if (!r || gpa + 4096 > r->gpa + r->size)
		return;
	uint64_t page = lin & ~0xfffULL;
	unsigned idx = (lin >> 12) & (EMU_TLB_SIZE - 1);
	struct emu_tlb_bank *b = cpu->tlb;
	struct emu_tlb_entry *e = &b->e[user][idx];
	uint8_t *host = r->host + (gpa - r->gpa);
	uintptr_t addend = (uintptr_t)host - (uintptr_t)page;
	if (e->addend != addend || (e->tag[0] != page && e->tag[1] != page && e->tag[2] != page &&
				    e->wtag_code != page)) {
		e->tag[0] = e->tag[1] = e->tag[2] = 1;
		e->wtag_code = 1;
	}
	e->addend = addend;
	e->global = w->global;
	e->page_shift = w->page_shift;
	if (w->page_shift)
		b->large |= large_bit(page, w->page_shift);
	if (!e->listed) {
		e->listed = true;
		b->used[user][b->nused[user]++] = (uint16_t)idx;
	}
	if (!w->data_slow)
		e->tag[ACC_READ] = page;
	if (w->exec_ok)
		e->tag[ACC_EXEC] = page;
	if (!w->data_slow && w->write_ok && w->dirty && r->kind == MEM_RAM &&
	    !(cpu->vm && atomic_load_explicit(&cpu->vm->dirty_logging, memory_order_relaxed))) {
		/* A page holding decoded code gets the slow write tag. Store the
		 * tag, then look at the page's flag: emu_code_mark() sets the flag,
		 * then revokes tags, so one of the two sees the other. */
		uint32_t *cw = mem_code_word(&cpu->m->mem, host);
		__atomic_store_n(&e->tag[ACC_WRITE], page, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (cw && (__atomic_load_n(cw, __ATOMIC_RELAXED) & 1)) {
			__atomic_store_n(&e->tag[ACC_WRITE], 1, __ATOMIC_RELAXED);
			e->wtag_code = page;
		}
	}
}

uint64_t emu_translate(struct emu_cpu *cpu, uint64_t lin, enum emu_access acc, bool user)
{
	struct walk w;
	walk_page(cpu, lin, acc, user, &w);
	tlb_fill(cpu, lin, user, &w);
	return w.gpa | (lin & 0xfff);
}

static inline uint64_t lin_wrap(struct emu_cpu *cpu, uint64_t lin)
{
	return (cpu->efer & EFER_LMA) ? lin : (uint32_t)lin;
}

void emu_translate_range(struct emu_cpu *cpu, uint64_t lin, unsigned size, enum emu_access acc)
{
	emu_translate(cpu, lin, acc, emu_user(cpu));
	if ((lin & 0xfff) + size > 4096)   /* CR2 = first byte of the next page */
		emu_translate(cpu, lin_wrap(cpu, (lin | 0xfff) + 1), acc, emu_user(cpu));
}

uint64_t emu_read_lin_slow(struct emu_cpu *cpu, uint64_t lin, unsigned size,
			   enum emu_access acc, bool user)
{
	if ((lin & 0xfff) + size > 4096) {
		uint64_t v = 0;
		for (unsigned i = 0; i < size; i++)
			v |= emu_read_lin_slow(cpu, lin_wrap(cpu, lin + i), 1, acc, user) << (8 * i);
		return v;
	}
	struct emu_tlb_entry *e = &cpu->tlb->e[user][(lin >> 12) & (EMU_TLB_SIZE - 1)];
	if (e->tag[acc] == (lin & ~0xfffULL) ||
	    (acc == ACC_WRITE && e->wtag_code == (lin & ~0xfffULL)))
		return emu_load_host((void *)(e->addend + (uintptr_t)lin), size);
	uint64_t gpa = emu_translate(cpu, lin, acc, user);
	return emu_phys_read(cpu, gpa, size);
}

void emu_write_lin_slow(struct emu_cpu *cpu, uint64_t lin, unsigned size, uint64_t val,
			bool user)
{
	if ((lin & 0xfff) + size > 4096) {
		/* Check both pages before writing any byte. */
		uint64_t lin2 = lin_wrap(cpu, (lin | 0xfff) + 1);
		uint64_t g1 = emu_translate(cpu, lin, ACC_WRITE, user);
		uint64_t g2 = emu_translate(cpu, lin2, ACC_WRITE, user);
		unsigned n1 = 4096 - (lin & 0xfff);
		for (unsigned i = 0; i < size; i++)
			emu_phys_write(cpu, i < n1 ? g1 + i : g2 + (i - n1), 1, val >> (8 * i));
		return;
	}
	struct emu_tlb_entry *e = &cpu->tlb->e[user][(lin >> 12) & (EMU_TLB_SIZE - 1)];
	if (e->tag[ACC_WRITE] == (lin & ~0xfffULL)) {
		emu_store_host((void *)(e->addend + (uintptr_t)lin), size, val);
		return;
	}
	if (e->wtag_code == (lin & ~0xfffULL)) {
		void *p = (void *)(e->addend + (uintptr_t)lin);
		emu_store_host(p, size, val);
		emu_code_wrote(cpu, p, size);
		return;
	}
	uint64_t gpa = emu_translate(cpu, lin, ACC_WRITE, user);
	emu_phys_write(cpu, gpa, size, val);
}

void *emu_host_ptr(struct emu_cpu *cpu, uint64_t lin, unsigned size, enum emu_access acc)
{
	if ((lin & 0xfff) + size > 4096)
		return NULL;
	bool user = emu_user(cpu);
	uint64_t page = lin & ~0xfffULL;
	struct emu_tlb_entry *e = &cpu->tlb->e[user][(lin >> 12) & (EMU_TLB_SIZE - 1)];
	if (e->tag[acc] != page && !(acc == ACC_WRITE && e->wtag_code == page)) {
		emu_translate(cpu, lin, acc, user);
		if (e->tag[acc] != page && !(acc == ACC_WRITE && e->wtag_code == page))
			return NULL;
	}
	return (void *)(e->addend + (uintptr_t)lin);
}

uint64_t emu_sys_read(struct emu_cpu *cpu, uint64_t lin, unsigned size)
{
	return emu_read_lin_slow(cpu, lin_wrap(cpu, lin), size, ACC_READ, false);
}

void emu_sys_write(struct emu_cpu *cpu, uint64_t lin, unsigned size, uint64_t val)
{
	emu_write_lin_slow(cpu, lin_wrap(cpu, lin), size, val, false);
}

/* --- Segmentation -------------------------------------------------------------- */

uint64_t emu_linear(struct emu_cpu *cpu, unsigned seg, uint64_t off, unsigned size,
		    enum emu_access acc)
{
	const struct vcpu_segment *s = &cpu->seg[seg];
	if (cpu->code64) {
		/* Every byte must be canonical: an access running from
		 * 0x00007FFFFFFFFFFx into the hole faults (measured). */
		uint64_t lin = off + (seg >= SEG_FS ? s->base : 0);
		uint64_t u = lin + (1ULL << 47);
		if ((u | (u + size - 1)) >> 48)
			emu_raise(cpu, seg == SEG_SS ? EXC_SS : EXC_GP, 0);
		return lin;
	}
	int exc = seg == SEG_SS ? EXC_SS : EXC_GP;
	if ((cpu->cr0 & CR0_PE) && !(cpu->rflags & FL_VM)) {
		if (s->unusable)
			emu_raise(cpu, exc, 0);
		if (acc == ACC_WRITE && (s->type & 0xa) != 0x2)
			emu_raise(cpu, exc, 0);
		if (acc == ACC_READ && (s->type & 0xa) == 0x8)
			emu_raise(cpu, exc, 0);
	}
	uint64_t last = off + size - 1;
	if ((s->type & 0xc) == 0x4) {   /* expand-down data */
		uint64_t top = s->db ? 0xffffffffULL : 0xffff;
		if (off <= s->limit || last > top)
			emu_raise(cpu, exc, 0);
	} else if (last > s->limit) {
		emu_raise(cpu, exc, 0);
	}
	return (uint32_t)(s->base + off);
}

void emu_desc_to_seg(uint64_t d, uint16_t sel, struct vcpu_segment *s)
{
	uint32_t limit = (uint32_t)((d & 0xffff) | ((d >> 32) & 0xf0000));
	s->selector = sel;
	s->base = ((d >> 16) & 0xffffff) | ((d >> 32) & 0xff000000);
	s->type = (d >> 40) & 0xf;
	s->s = (d >> 44) & 1;
	s->dpl = (d >> 45) & 3;
	s->present = (d >> 47) & 1;
	s->avl = (d >> 52) & 1;
	s->l = (d >> 53) & 1;
	s->db = (d >> 54) & 1;
	s->g = (d >> 55) & 1;
	s->limit = s->g ? (limit << 12) | 0xfff : limit;
	s->unusable = 0;
}

uint64_t emu_read_desc(struct emu_cpu *cpu, uint16_t sel, int exc)
{
	uint64_t base;
	uint32_t limit;
	if (sel & 4) {
		if (cpu->ldt.unusable || !cpu->ldt.present)
			emu_raise(cpu, exc, sel & 0xfffc);
		base = cpu->ldt.base;
		limit = cpu->ldt.limit;
	} else {
		base = cpu->gdt.base;
		limit = cpu->gdt.limit;
	}
	if ((uint32_t)(sel & ~7u) + 7 > limit)
		emu_raise(cpu, exc, sel & 0xfffc);
	return emu_sys_read(cpu, base + (sel & ~7u), 8);
}

void emu_set_accessed(struct emu_cpu *cpu, uint16_t sel, uint64_t d)
{
	if (d & (1ULL << 40))
		return;
	uint64_t base = (sel & 4) ? cpu->ldt.base : cpu->gdt.base;
	uint64_t a = base + (sel & ~7u) + 5;
	emu_sys_write(cpu, a, 1, ((d >> 40) & 0xff) | 1);
}

void emu_seg_real(struct emu_cpu *cpu, unsigned seg, uint16_t sel)
{
	struct vcpu_segment *s = &cpu->seg[seg];
	s->selector = sel;
	s->base = (uint64_t)sel << 4;
	s->present = 1;
	s->unusable = 0;
	s->s = 1;
	if (cpu->rflags & FL_VM) {
		s->limit = 0xffff;
		s->type = seg == SEG_CS ? 0xb : 0x3;
		s->dpl = 3;
		s->db = s->g = s->l = 0;
	} else if (seg == SEG_CS) {
		s->type = 0xb;   /* real mode: the limit and most attributes stay */
		s->l = 0;
	}
	if (seg == SEG_SS || seg == SEG_CS)
		emu_update_mode(cpu);
}

void emu_load_seg(struct emu_cpu *cpu, unsigned seg, uint16_t sel)
{
	if (!(cpu->cr0 & CR0_PE) || (cpu->rflags & FL_VM)) {
		emu_seg_real(cpu, seg, sel);
		return;
	}
	struct vcpu_segment *s = &cpu->seg[seg];
	unsigned rpl = sel & 3, cpl = cpu->cpl;
	if (!(sel & ~3u)) {
		if (seg == SEG_SS && !(cpu->code64 && cpl < 3 && rpl == cpl))
			emu_raise(cpu, EXC_GP, 0);
		s->selector = sel;
		s->unusable = 1;
		s->present = 0;
		s->base = 0;
		s->limit = 0;
		s->type = seg == SEG_SS ? 0x3 : 0;
		s->dpl = (uint8_t)rpl;
		s->s = 1;
		s->db = 1;
		if (seg == SEG_SS)
			emu_update_mode(cpu);
		return;
	}
	uint64_t d = emu_read_desc(cpu, sel, EXC_GP);
	struct vcpu_segment n;
	emu_desc_to_seg(d, sel, &n);
	if (seg == SEG_SS) {
		if (rpl != cpl || !n.s || (n.type & 0xa) != 0x2 || n.dpl != cpl)
			emu_raise(cpu, EXC_GP, sel & 0xfffc);
		if (!n.present)
			emu_raise(cpu, EXC_SS, sel & 0xfffc);
	} else {
		if (!n.s || (n.type & 0xa) == 0x8)
			emu_raise(cpu, EXC_GP, sel & 0xfffc);
		bool conforming_code = (n.type & 0xc) == 0xc;
		if (!conforming_code && (rpl > n.dpl || cpl > n.dpl))
			emu_raise(cpu, EXC_GP, sel & 0xfffc);
		if (!n.present)
			emu_raise(cpu, EXC_NP, sel & 0xfffc);
	}
	emu_set_accessed(cpu, sel, d);
	n.type |= 1;
	*s = n;
	if (seg == SEG_SS)
		emu_update_mode(cpu);
}
