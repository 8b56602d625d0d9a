/*
 * Self-modifying code on the emulator: code that has run (so its decoded
 * form is cached) is patched on another page by REP MOVSB (the bulk copy
 * path) and by a plain store, and an instruction patches the one right
 * after it. The CPU must run the new bytes every time, as the SDM requires
 * (Vol. 3, 11.6: a write to a code address invalidates what was prefetched).
 * f sits at page offset 0x800, away from the loop's offsets, so that the
 * decoded-instruction cache keeps its entries between calls (the test is
 * of stale cached code, not of a cold decode). Further tests patch code
 * that ran with a locked XCHG (the host compare-and-swap path), REP STOSB,
 * and from outside the CPU as a device's DMA does (gpa_write, gpa_map),
 * between two runs of the same vCPU, so its decoded blocks are still there.
 */
#include "emu/code.h"
#include "emu/fixture.h"

/* [code64 at 0x1000]
 *	xor %ebx, %ebx
 *	xor %ebp, %ebp
 * 1:	mov $0x5800, %eax
 *	call *%rax                 # f: mov $1, %eax; ret (0x5800)
 *	add %eax, %ebx
 *	inc %ebp
 *	cmp $50, %ebp
 *	jne 2f
 *	cld                        # after 50 calls: f = mov $7, %eax; ret
 *	mov $0x6000, %esi
 *	mov $0x5800, %edi
 *	mov $6, %ecx
 *	rep movsb
 * 2:	cmp $100, %ebp
 *	jne 1b
 *	movb $9, 0x5801            # f = mov $9, %eax; ret
 *	mov $0x5800, %eax
 *	call *%rax
 *	add %eax, %ebx
 *	movb $5, 3f+1(%rip)        # patch the next instruction
 * 3:	mov $1, %ecx
 *	hlt
 */
static const uint8_t smc_pages[] = {
	0x31, 0xdb, 0x31, 0xed, 0xb8, 0x00, 0x58, 0x00, 0x00, 0xff, 0xd0, 0x01,
	0xc3, 0xff, 0xc5, 0x83, 0xfd, 0x32, 0x75, 0x12, 0xfc, 0xbe, 0x00, 0x60,
	0x00, 0x00, 0xbf, 0x00, 0x58, 0x00, 0x00, 0xb9, 0x06, 0x00, 0x00, 0x00,
	0xf3, 0xa4, 0x83, 0xfd, 0x64, 0x75, 0xd9, 0xc6, 0x04, 0x25, 0x01, 0x58,
	0x00, 0x00, 0x09, 0xb8, 0x00, 0x58, 0x00, 0x00, 0xff, 0xd0, 0x01, 0xc3,
	0xc6, 0x05, 0x01, 0x00, 0x00, 0x00, 0x05, 0xb9, 0x01, 0x00, 0x00, 0x00,
	0xf4,
};

TEST(emu_smc_other_page_rep_movs_and_next_insn)
{
	static const uint8_t f1[] = { 0xb8, 0x01, 0x00, 0x00, 0x00, 0xc3 };   /* mov $1,%eax; ret */
	static const uint8_t f7[] = { 0xb8, 0x07, 0x00, 0x00, 0x00, 0xc3 };   /* mov $7,%eax; ret */
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	fix_long(f, smc_pages, sizeof(smc_pages));
	fix_put(f, 0x5800, f1, sizeof(f1));
	fix_put(f, 0x6000, f7, sizeof(f7));
	CHECK_EQ(fix_run(f, 10000), VCPU_EXIT_HLT);
	/* 50 calls before the copy return 1, 50 after it 7, the last one 9. */
	CHECK_EQ(f->s.regs[REG_RBX], 50 * 1 + 50 * 7 + 9);
	CHECK_EQ(f->s.regs[REG_RCX], 5);
	CHECK_EQ(fix_get(f, 0x5801, 1), 9);
	fix_free(f);
}

/* f at 0x5800: mov $imm32, %eax; ret */
static void put_f(struct emu_fix *f, uint32_t imm)
{
	uint8_t fn[] = { 0xb8, (uint8_t)imm, (uint8_t)(imm >> 8), (uint8_t)(imm >> 16),
			 (uint8_t)(imm >> 24), 0xc3 };
	fix_put(f, 0x5800, fn, sizeof(fn));
}

TEST(emu_smc_locked_xchg_and_rep_stos)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	fix_long(f, lm_smc_atomic_stos, sizeof(lm_smc_atomic_stos));
	put_f(f, 1);
	CHECK_EQ(fix_run(f, 1000), VCPU_EXIT_HLT);
	/* f returned 1, then 7 after the XCHG, then 0x02020202 after REP STOSB. */
	CHECK_EQ(f->s.regs[REG_RBX], 1 + 7 + 0x02020202);
	fix_free(f);
}

/* Resumes the vCPU after its HLT without reloading its state (which would
 * flush its TLB): what a device's interrupt would do. */
static int resume(struct emu_fix *f)
{
	f->cpu->halted = false;
	return emu_step(f->cpu, 1000);
}

TEST(emu_smc_code_written_by_dma)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	fix_long(f, lm_smc_call_loop, sizeof(lm_smc_call_loop));
	put_f(f, 1);
	CHECK_EQ(fix_run(f, 1000), VCPU_EXIT_HLT);
	CHECK_EQ(f->cpu->regs[REG_RBX], 1);
	/* A device writes f's immediate (a disk read landing over code that ran). */
	uint8_t seven = 7;
	REQUIRE(gpa_write(&f->m.mem, 0x5801, &seven, 1) == 0);
	CHECK_EQ(resume(f), VCPU_EXIT_HLT);
	CHECK_EQ(f->cpu->regs[REG_RBX], 1 + 7);
	/* A write to data on f's page leaves f as it is. */
	REQUIRE(gpa_write(&f->m.mem, 0x5f00, &seven, 1) == 0);
	CHECK_EQ(resume(f), VCPU_EXIT_HLT);
	CHECK_EQ(f->cpu->regs[REG_RBX], 1 + 7 + 7);
	/* A device that maps the buffer and fills it (virtio). */
	uint8_t *p = gpa_map(&f->m.mem, 0x5801, 1, true);
	REQUIRE(p);
	*p = 9;
	CHECK_EQ(resume(f), VCPU_EXIT_HLT);
	CHECK_EQ(f->cpu->regs[REG_RBX], 1 + 7 + 7 + 9);
	fix_free(f);
}

/* A CALL whose target page is not present: the call completes (return
 * address pushed) and the fetch at the target raises #PF (SDM Vol. 3, 6.5:
 * a fault belongs to the instruction that caused it, here the target's), so
 * the frame shows RSP after the push. */
TEST(emu_fetch_fault_after_call_keeps_push)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	fix_long(f, lm_call_unmapped, sizeof(lm_call_unmapped));
	fix_put64(f, 0x13000 + 5 * 8, 0);   /* page 0x5000 not present */
	fix_put(f, 0x8000, lm_pf_frame_handler, sizeof(lm_pf_frame_handler));
	fix_gate64(f, EXC_PF, SEL_CODE64, 0x8000, 0xe, 0, 0);
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.cr2, 0x5800);
	CHECK_EQ(f->s.regs[REG_RBX], 0x5800);          /* faulting RIP */
	CHECK_EQ(f->s.regs[REG_RAX], 0x6ff8);          /* RSP after the push */
	CHECK_EQ(fix_get(f, 0x6ff8, 8), 0x100a);       /* the return address */
	fix_free(f);
}
