/*
 * Decoded blocks and instructions that run through emu_exec() in the
 * middle of one (block.c pure_exec: SETcc, SSE, ...): a loop whose block
 * holds them computes what the SDM says, and a fault raised by one of
 * them in the middle of a block that ran (and, with NYX_EMU_JIT=1, was
 * translated) many times lands on it, with the instructions before it
 * done and the ones after it not.
 */
#include "emu/code.h"
#include "emu/fixture.h"

TEST(emu_block_setcc_cmov_sse_mid_block)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	fix_long(f, lm_block_exec_mid, sizeof(lm_block_exec_mid));
	f->s.cr4 |= 0x200;   /* OSFXSR */
	CHECK_EQ(fix_run(f, 10000), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.regs[REG_RBX], 37);        /* SETB: i < 37 for i = 0..36 */
	CHECK_EQ(f->s.regs[REG_R8], 50 * 5);     /* CMOVAE: 5 for i = 50..99 */
	CHECK_EQ(f->s.regs[REG_R9], 99 * 100 / 2);   /* PADDQ of i = 0..99 */
	CHECK_EQ(f->s.regs[REG_RCX], 100);
	fix_free(f);
}

/* MOVD xmm with CR4.OSFXSR clear raises #UD (SDM Vol. 2, MOVD/MOVQ, 64-bit
 * mode exceptions), after 100 runs of its block with OSFXSR set. */
TEST(emu_block_fault_mid_block_lands_on_insn)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	fix_long(f, lm_block_fault_mid, sizeof(lm_block_fault_mid));
	f->s.cr4 |= 0x200;
	fix_gate64(f, EXC_UD, SEL_CODE64, 0x1100, 0xe, 0, 0);
	CHECK_EQ(fix_run(f, 10000), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.regs[REG_RAX], 0x1011);    /* the frame's RIP: the MOVD */
	CHECK_EQ(f->s.regs[REG_RCX], 0x1011);    /* (its address, from the code) */
	CHECK_EQ(f->s.regs[REG_RBX], 101);       /* the INC before it ran */
	CHECK_EQ(f->s.regs[REG_RDX], 100);       /* the INC after it did not */
	fix_free(f);
}

/* A budget that ends inside a block of 16 instructions (the most a block
 * holds) that chains to itself: exactly that many instructions run, as
 * emu_step() promises, whether the block runs interpreted, translated or
 * chained. 1007 = 62 runs of 15 INCs and a JMP, then 15 INCs: the last
 * chain is refused with 15 of the budget left, one short of the block. */
TEST(emu_block_budget_stops_inside_chained_block)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	fix_long(f, lm_block_budget, sizeof(lm_block_budget));
	CHECK_EQ(fix_run(f, 1007), -1);
	CHECK_EQ(f->s.regs[REG_RBX], 62 * 15 + 15);
	CHECK_EQ(f->s.rip, 0x1000 + 15 * 2);
	CHECK_EQ(fix_run(f, 1), -1);             /* then the JMP */
	CHECK_EQ(f->s.rip, 0x1000);
	fix_free(f);
}

/* Code patched from another page (no exit from the running block) while
 * the block jumping to it has its jump linked straight to the old code:
 * the patched MOV's new immediate is used from the next run on (SDM Vol. 3,
 * 11.6). 50 runs add 1, the 50 after the patch add 7. */
TEST(emu_block_linked_target_patched_from_other_page)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	fix_long(f, lm_block_linked_smc, sizeof(lm_block_linked_smc));
	fix_put(f, 0x5000, lm_block_linked_smc_patch, sizeof(lm_block_linked_smc_patch));
	CHECK_EQ(fix_run(f, 100000), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.regs[REG_RBX], 50 * 1 + 50 * 7);
	CHECK_EQ(f->s.regs[REG_RBP], 100);
	fix_free(f);
}

/* CLAC and STAC inside a block: with CR4.SMAP a supervisor read of a user
 * page is allowed while EFLAGS.AC is set and raises #PF once CLAC clears it
 * (SDM Vol. 3, 4.6.1), the second read sitting in the same block right
 * after the first went through. Every page is a user page but the ones the
 * CPU reads itself (descriptor tables, TSS, stacks, handler). */
TEST(emu_block_clac_stac_mid_block)
{
	static const unsigned sup[] = { 0, 2, 3, 6, 7, 8, 9 };
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	fix_long(f, lm_block_smap_ac, sizeof(lm_block_smap_ac));
	for (unsigned i = 0; i < sizeof(sup) / sizeof(sup[0]); i++)
		fix_put64(f, 0x13000 + sup[i] * 8, ((uint64_t)sup[i] << 12) | 3);
	f->s.cr4 |= 1u << 21;   /* SMAP */
	fix_put32(f, 0x4000, 41);
	fix_put(f, 0x8000, lm_pf_frame_handler, sizeof(lm_pf_frame_handler));
	fix_gate64(f, EXC_PF, SEL_CODE64, 0x8000, 0xe, 0, 0);
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.regs[REG_RBX], 0x1010);   /* the read after CLAC */
	CHECK_EQ(f->s.cr2, 0x4000);
	CHECK_EQ(f->s.regs[REG_RCX], 0);
	fix_free(f);
}
