/*
 * The emulator's TLB across address spaces (cpu/emu/mmu.c keeps a bank of
 * entries per recent PCID), checked against the SDM's rules (Vol. 3,
 * 4.10.1, 4.10.2.4 and 4.10.4.1): a translation cached for one PCID is
 * never used for another; MOV to CR3 with bit 63 clear drops the new
 * PCID's non-global entries, INVPCID type 1 those of the PCID it names,
 * INVLPG the page's global entries whatever PCID cached them. Each case
 * caches a translation, changes the paging structures without the
 * invalidation under test in the address space that cached it, and reads
 * through it again: the old frame (0x5000 holds 0x11111111) instead of
 * the new one (0x6000 holds 0x22222222) means a stale entry was used.
 */
#include "emu/fixture.h"

#define CR4_PCIDE_BIT (1u << 17)
#define CR4_PGE_BIT (1u << 7)
#define CR3_NOFLUSH (1ULL << 63)
#define PTE_5000 0x13028   /* fixture: the PTE of linear 0x5000 */

/* [code64 at 0x1000]
 *   mov 0x5000, %esi
 *   mov %rbx, %cr3
 *   mov 0x5000, %ecx
 *   movq $0x6007, 0x13028
 *   mov %rdx, %cr3
 *   mov 0x5000, %edi
 *   hlt */
static const uint8_t pcid_cr3_flush[] = {
	0x8b, 0x34, 0x25, 0x00, 0x50, 0x00, 0x00, 0x0f, 0x22, 0xdb, 0x8b, 0x0c,
	0x25, 0x00, 0x50, 0x00, 0x00, 0x48, 0xc7, 0x04, 0x25, 0x28, 0x30, 0x01,
	0x00, 0x07, 0x60, 0x00, 0x00, 0x0f, 0x22, 0xda, 0x8b, 0x3c, 0x25, 0x00,
	0x50, 0x00, 0x00, 0xf4,
};

/* [code64 at 0x1000]
 *   mov 0x5000, %esi
 *   mov %rbx, %cr3
 *   movq $0x6007, 0x13028
 *   invpcid 0x4100, %rax
 *   mov %rdx, %cr3
 *   mov 0x5000, %edi
 *   hlt */
static const uint8_t pcid_invpcid1[] = {
	0x8b, 0x34, 0x25, 0x00, 0x50, 0x00, 0x00, 0x0f, 0x22, 0xdb, 0x48, 0xc7,
	0x04, 0x25, 0x28, 0x30, 0x01, 0x00, 0x07, 0x60, 0x00, 0x00, 0x66, 0x0f,
	0x38, 0x82, 0x04, 0x25, 0x00, 0x41, 0x00, 0x00, 0x0f, 0x22, 0xda, 0x8b,
	0x3c, 0x25, 0x00, 0x50, 0x00, 0x00, 0xf4,
};

/* [code64 at 0x1000]
 *   mov 0x5000, %esi
 *   mov %rbx, %cr3
 *   movq $0x6107, 0x13028
 *   invlpg 0x5000
 *   mov %rdx, %cr3
 *   mov 0x5000, %edi
 *   hlt */
static const uint8_t pcid_invlpg_global[] = {
	0x8b, 0x34, 0x25, 0x00, 0x50, 0x00, 0x00, 0x0f, 0x22, 0xdb, 0x48, 0xc7,
	0x04, 0x25, 0x28, 0x30, 0x01, 0x00, 0x07, 0x61, 0x00, 0x00, 0x0f, 0x01,
	0x3c, 0x25, 0x00, 0x50, 0x00, 0x00, 0x0f, 0x22, 0xda, 0x8b, 0x3c, 0x25,
	0x00, 0x50, 0x00, 0x00, 0xf4,
};

/* [code64 at 0x1000]
 *   mov 0x5000, %esi
 *   mov %rbx, %cr3
 *   mov 0x5000, %edi
 *   mov %rdx, %cr3
 *   mov 0x5000, %ecx
 *   hlt */
static const uint8_t pcid_isolate[] = {
	0x8b, 0x34, 0x25, 0x00, 0x50, 0x00, 0x00, 0x0f, 0x22, 0xdb, 0x8b, 0x3c,
	0x25, 0x00, 0x50, 0x00, 0x00, 0x0f, 0x22, 0xda, 0x8b, 0x0c, 0x25, 0x00,
	0x50, 0x00, 0x00, 0xf4,
};

/* [code64 at 0x1000] (twice through PCIDs 1-20 and 0x201-0x214 on the
 * fixture's tables and 0x101-0x114 on those at 0x20000, in turn, each
 * switch with bit 63 set: with a cycle of three, the least recently used
 * bank a new PCID takes last held the other tables, whatever the number
 * of banks but a multiple of three)
 *   mov $2, %r10d
 * pass:
 *   mov $1, %r9d
 * next:
 *   lea 0x10000(%r9), %rax
 *   bts $63, %rax
 *   mov %rax, %cr3
 *   cmpl $0x11111111, 0x5000
 *   jne fail
 *   lea 0x20100(%r9), %rax
 *   bts $63, %rax
 *   mov %rax, %cr3
 *   cmpl $0x22222222, 0x5000
 *   jne fail
 *   lea 0x10200(%r9), %rax
 *   bts $63, %rax
 *   mov %rax, %cr3
 *   cmpl $0x11111111, 0x5000
 *   jne fail
 *   inc %r9d
 *   cmp $20, %r9d
 *   jbe next
 *   dec %r10d
 *   jnz pass
 *   mov $0x600d, %r8d
 * fail:
 *   hlt */
static const uint8_t pcid_many[] = {
	0x41, 0xba, 0x02, 0x00, 0x00, 0x00, 0x41, 0xb9, 0x01, 0x00, 0x00, 0x00,
	0x49, 0x8d, 0x81, 0x00, 0x00, 0x01, 0x00, 0x48, 0x0f, 0xba, 0xe8, 0x3f,
	0x0f, 0x22, 0xd8, 0x81, 0x3c, 0x25, 0x00, 0x50, 0x00, 0x00, 0x11, 0x11,
	0x11, 0x11, 0x75, 0x4c, 0x49, 0x8d, 0x81, 0x00, 0x01, 0x02, 0x00, 0x48,
	0x0f, 0xba, 0xe8, 0x3f, 0x0f, 0x22, 0xd8, 0x81, 0x3c, 0x25, 0x00, 0x50,
	0x00, 0x00, 0x22, 0x22, 0x22, 0x22, 0x75, 0x30, 0x49, 0x8d, 0x81, 0x00,
	0x02, 0x01, 0x00, 0x48, 0x0f, 0xba, 0xe8, 0x3f, 0x0f, 0x22, 0xd8, 0x81,
	0x3c, 0x25, 0x00, 0x50, 0x00, 0x00, 0x11, 0x11, 0x11, 0x11, 0x75, 0x14,
	0x41, 0xff, 0xc1, 0x41, 0x83, 0xf9, 0x14, 0x76, 0xa3, 0x41, 0xff, 0xca,
	0x75, 0x98, 0x41, 0xb8, 0x0d, 0x60, 0x00, 0x00, 0xf4,
};

/* Long mode with CR4.PCIDE and CR3 = the fixture's tables with PCID 1;
 * RBX and RDX are the CR3 values the code loads. */
static void pcid_setup(struct emu_fix *f, const uint8_t *code, size_t len, uint64_t rbx,
		       uint64_t rdx)
{
	fix_long(f, code, len);
	f->s.cr4 |= CR4_PCIDE_BIT;
	f->s.cr3 = 0x10000 | 1;
	f->s.regs[REG_RBX] = rbx;
	f->s.regs[REG_RDX] = rdx;
	fix_put32(f, 0x5000, 0x11111111);
	fix_put32(f, 0x6000, 0x22222222);
}

TEST(emu_pcid_cr3_load_without_noflush_drops_the_pcids_entries)
{
	/* PCID 1 caches 0x5000, PCID 2 (same tables) too; the PTE changes;
	 * back to PCID 1 with bit 63 clear: the new frame. */
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	pcid_setup(f, pcid_cr3_flush, sizeof(pcid_cr3_flush), 0x10002 | CR3_NOFLUSH, 0x10001);
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.rip, 0x1000 + sizeof(pcid_cr3_flush));
	CHECK_EQ(f->s.regs[REG_RSI], 0x11111111);
	CHECK_EQ(f->s.regs[REG_RCX], 0x11111111);
	CHECK_EQ(f->s.regs[REG_RDI], 0x22222222);
	fix_free(f);
}

TEST(emu_pcid_invpcid_single_context_drops_another_pcids_entries)
{
	/* PCID 1 caches 0x5000; in PCID 2 the PTE changes and INVPCID type 1
	 * names PCID 1; back to PCID 1 with bit 63 set: the new frame. */
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	pcid_setup(f, pcid_invpcid1, sizeof(pcid_invpcid1), 0x10002 | CR3_NOFLUSH,
		   0x10001 | CR3_NOFLUSH);
	fix_put64(f, 0x4100, 1);        /* descriptor: PCID 1 */
	fix_put64(f, 0x4108, 0x5000);
	f->s.regs[REG_RAX] = 1;         /* single context */
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.rip, 0x1000 + sizeof(pcid_invpcid1));
	CHECK_EQ(f->s.regs[REG_RSI], 0x11111111);
	CHECK_EQ(f->s.regs[REG_RDI], 0x22222222);
	fix_free(f);
}

TEST(emu_pcid_invlpg_drops_global_entries_of_every_pcid)
{
	/* 0x5000 is a global page (CR4.PGE); PCID 1 caches it; in PCID 2 the
	 * PTE changes and INVLPG drops the page; back to PCID 1 with bit 63
	 * set: the new frame. */
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	pcid_setup(f, pcid_invlpg_global, sizeof(pcid_invlpg_global), 0x10002 | CR3_NOFLUSH,
		   0x10001 | CR3_NOFLUSH);
	f->s.cr4 |= CR4_PGE_BIT;
	fix_put64(f, PTE_5000, 0x5107);
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.rip, 0x1000 + sizeof(pcid_invlpg_global));
	CHECK_EQ(f->s.regs[REG_RSI], 0x11111111);
	CHECK_EQ(f->s.regs[REG_RDI], 0x22222222);
	fix_free(f);
}

TEST(emu_pcid_translations_stay_with_their_pcid)
{
	/* PCID 2 has tables of its own at 0x20000 mapping 0x5000 to 0x6000.
	 * Switching with bit 63 set must not reuse PCID 1's translation, and
	 * PCID 1 still reads its own frame afterwards. */
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	pcid_setup(f, pcid_isolate, sizeof(pcid_isolate), 0x20002 | CR3_NOFLUSH,
		   0x10001 | CR3_NOFLUSH);
	fix_put64(f, 0x20000, 0x21000 | 7);
	fix_put64(f, 0x21000, 0x22000 | 7);
	fix_put64(f, 0x22000, 0x23000 | 7);
	for (uint64_t i = 0; i < 512; i++)
		fix_put64(f, 0x23000 + i * 8, (i == 5 ? 0x6000 : i << 12) | 7);
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.rip, 0x1000 + sizeof(pcid_isolate));
	CHECK_EQ(f->s.regs[REG_RSI], 0x11111111);
	CHECK_EQ(f->s.regs[REG_RDI], 0x22222222);
	CHECK_EQ(f->s.regs[REG_RCX], 0x11111111);
	/* Sixty address spaces, more than the TLB has banks, twice round:
	 * every one reads its own frame. */
	pcid_setup(f, pcid_many, sizeof(pcid_many), 0, 0);
	CHECK_EQ(fix_run(f, 2000), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.regs[REG_R8], 0x600d);
	CHECK_EQ(f->s.regs[REG_R9], 21);
	fix_free(f);
}
