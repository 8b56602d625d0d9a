/*
 * Self-modifying code on the emulator: code that has run (so its decoded
 * form is cached) is patched on another page by REP MOVSB (the bulk copy
 * path) and by a plain store, and an instruction patches the one right
 * after it. The CPU must run the new bytes every time, as the SDM requires
 * (Vol. 3, 11.6: a write to a code address invalidates what was prefetched).
 * f sits at page offset 0x800, away from the loop's offsets, so that the
 * decoded-instruction cache keeps its entries between calls (the test is
 * of stale cached code, not of a cold decode).
 */
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
