/*
 * Which fault a 64-bit memory access to a non-canonical address raises in
 * the emulator, for the cases tests/diff cannot compare on this host (its
 * KVM redoes every #GP a CPL 3 guest takes in its own instruction emulator,
 * which decodes less and honours prefixes the CPU ignores: README.md there).
 *
 * What the CPU does was read off the same host where it shows through:
 *  - a 16-byte-aligned SSE operand (PADDB, PCMPEQQ, MOVNTDQA) at a
 *    misaligned non-canonical RBP address reached the guest as #UD, the
 *    host emulator's answer to a #GP it cannot decode: the CPU raised the
 *    alignment #GP, not the #SS an RBP base gets for a non-canonical
 *    address (an #SS reaches the guest directly);
 *  - an 8-byte write through RBP at 0x00007FFFFFFFFFF9 (first page absent)
 *    reached the guest as #SS: the canonical check covers the last byte and
 *    comes before the page walk. Through another base the SDM's rule for
 *    non-SS references (Vol. 3, 6.15, #GP "non-canonical form") gives #GP.
 *  - FXSAVE/FXRSTOR at a misaligned non-canonical RBP address: #SS (the
 *    address first), also with a DS prefix.
 */
#include "emu/fixture.h"

#define GP_HANDLER 0x8000
#define SS_HANDLER 0x8100
#define PF_HANDLER 0x8200

/* Runs `code` (at 0x1000, then HLT) in 64-bit mode with RBP and RBX set;
 * returns the vector taken (12, 13 or 14) or -1 when none was. */
static int run_access_fs(const uint8_t *code, size_t len, uint64_t rbp, uint64_t rbx,
			 uint64_t fs_base)
{
	static const uint8_t hlt = 0xf4;
	uint8_t buf[32];
	struct emu_fix *f = fix_new();
	if (!f)
		return -2;
	memcpy(buf, code, len);
	buf[len] = 0xf4;
	fix_long(f, buf, len + 1);
	f->s.cr4 |= 0x200;   /* OSFXSR */
	f->s.regs[REG_RBP] = rbp;
	f->s.regs[REG_RBX] = rbx;
	f->s.seg[SEG_FS].base = fs_base;
	fix_put(f, GP_HANDLER, &hlt, 1);
	fix_put(f, SS_HANDLER, &hlt, 1);
	fix_put(f, PF_HANDLER, &hlt, 1);
	fix_gate64(f, 13, SEL_CODE64, GP_HANDLER, 0xe, 0, 0);
	fix_gate64(f, 12, SEL_CODE64, SS_HANDLER, 0xe, 0, 0);
	fix_gate64(f, 14, SEL_CODE64, PF_HANDLER, 0xe, 0, 0);
	int r = fix_run(f, 10);
	int vec = -1;
	if (r == VCPU_EXIT_HLT) {
		if (f->s.rip == GP_HANDLER + 1)
			vec = 13;
		else if (f->s.rip == SS_HANDLER + 1)
			vec = 12;
		else if (f->s.rip == PF_HANDLER + 1)
			vec = 14;
	}
	fix_free(f);
	return vec;
}

static int run_access(const uint8_t *code, size_t len, uint64_t rbp, uint64_t rbx)
{
	return run_access_fs(code, len, rbp, rbx, 0);
}

#define NC_LOW 0x0000800000000000ULL   /* first non-canonical address */

TEST(emu_canon_alignment_before_canonical)
{
	/* movaps xmm0, [rbp+1] */
	CHECK_EQ(run_access((const uint8_t[]){ 0x0f, 0x28, 0x45, 0x01 }, 4, NC_LOW, 0), 13);
	/* paddb xmm0, [rbp+1] */
	CHECK_EQ(run_access((const uint8_t[]){ 0x66, 0x0f, 0xfc, 0x45, 0x01 }, 5, NC_LOW, 0), 13);
	/* ss: movdqa xmm0, [rbx+1] */
	CHECK_EQ(run_access((const uint8_t[]){ 0x36, 0x66, 0x0f, 0x6f, 0x43, 0x01 }, 6, 0, NC_LOW),
		 13);
	/* cmpxchg16b [rbp+8] */
	CHECK_EQ(run_access((const uint8_t[]){ 0x48, 0x0f, 0xc7, 0x4d, 0x08 }, 5, NC_LOW, 0), 13);
	/* Aligned, the address is what faults: movaps xmm0, [rbp] is #SS. */
	CHECK_EQ(run_access((const uint8_t[]){ 0x0f, 0x28, 0x45, 0x00 }, 4, NC_LOW, 0), 12);
	/* FXSAVE checks the address first: ds: fxsave [rbp+1] is #SS. */
	CHECK_EQ(run_access((const uint8_t[]){ 0x3e, 0x0f, 0xae, 0x45, 0x01 }, 5, NC_LOW, 0), 12);
}

TEST(emu_canon_last_byte_checked)
{
	/* mov rax, [rbx] from 0x00007FFFFFFFFFFC: bytes 4-7 non-canonical,
	 * and the page of the first bytes absent: #GP, not #PF. */
	CHECK_EQ(run_access((const uint8_t[]){ 0x48, 0x8b, 0x03 }, 3, 0, NC_LOW - 4), 13);
	/* mov [rbp], eax at 0x00007FFFFFFFFFFD: #SS. */
	CHECK_EQ(run_access((const uint8_t[]){ 0x89, 0x45, 0x00 }, 3, NC_LOW - 3, 0), 12);
	/* The same 4 bytes at 0x00007FFFFFFFFFFC are canonical: the page
	 * walk runs and faults. */
	CHECK_EQ(run_access((const uint8_t[]){ 0x89, 0x45, 0x00 }, 3, NC_LOW - 4, 0), 14);
	/* From the other side: 0xFFFF7FFFFFFFFFFE, first bytes non-canonical. */
	CHECK_EQ(run_access((const uint8_t[]){ 0x8b, 0x03 }, 2, 0, 0xFFFF7FFFFFFFFFFEULL), 13);
}

/* The check is on the linear address, base + offset (SDM Vol. 3, 3.3.7.1;
 * seen on the CPU too, though not reproducibly there: tests/diff README). */
TEST(emu_canon_fs_base_added_first)
{
	/* fs: mov rax, [rbx]: offset 0xFFFF7FFFFFFF0000 non-canonical, + FS
	 * base 0x10000 = 0xFFFF800000000000, canonical and absent: #PF. */
	CHECK_EQ(run_access_fs((const uint8_t[]){ 0x64, 0x48, 0x8b, 0x03 }, 4, 0,
			       0xFFFF7FFFFFFF0000ULL, 0x10000), 14);
	/* fs: mov rax, [rbp]: offset canonical, base + offset not: #GP (FS). */
	CHECK_EQ(run_access_fs((const uint8_t[]){ 0x64, 0x48, 0x8b, 0x45, 0x00 }, 5,
			       0x00007FFFFFFFF000ULL, 0, 0x10000), 13);
}
