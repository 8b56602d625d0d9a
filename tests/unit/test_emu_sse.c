/*
 * SSE/SSE2 in the emulator (stage 2, first part): a strlen-style
 * PCMPEQB/PMOVMSKB scan, PSHUFD, PUNPCKLBW, PSRLDQ, MOVD/MOVQ, scalar
 * double arithmetic and conversion, UCOMISD flags, FXSAVE layout (SDM
 * Vol. 1, table 10-2: MXCSR at byte 24, XMM n at 160 + 16 n), and the
 * #UD (CR4.OSFXSR clear) and #NM (CR0.TS) rules.
 */
#include "emu/code.h"
#include "emu/fixture.h"

TEST(emu_sse_string_and_scalar)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	fix_long(f, lm_sse, sizeof(lm_sse));
	f->s.cr4 |= 0x200;   /* OSFXSR */
	fix_put(f, 0x4000, "Hello, world!\0\0", 16);
	for (unsigned i = 0; i < 4; i++)
		fix_put32(f, 0x4010 + 4 * i, 0x11111111u * (i + 1));
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(fix_get(f, 0x4034, 4), 0xe000);          /* NUL bytes 13, 14, 15 */
	CHECK_EQ(f->s.regs[REG_RCX], 13);                 /* strlen */
	CHECK_EQ(fix_get(f, 0x4020, 4), 0x44444444);      /* PSHUFD 0x1b reverses */
	CHECK_EQ(fix_get(f, 0x402c, 4), 0x11111111);
	CHECK_EQ(f->s.regs[REG_RDX], 13);                 /* MOVD then MOVQ */
	CHECK_EQ(f->s.regs[REG_RSI], 4);                  /* sqrt(3*4+4) */
	CHECK_EQ(fix_get(f, 0x4030, 1), 1);               /* 4.0 == 4.0: ZF */
	CHECK_EQ(fix_get(f, 0x4031, 1), 0);               /* ordered: PF clear */
	CHECK_EQ(fix_get(f, 0x4032, 1), 0);
	/* PUNPCKLBW interleaves the low bytes of xmm2 (0x11...) with xmm1. */
	CHECK_EQ(fix_get(f, 0x4040, 8), 0x0011001100110011ULL);
	/* PSRLDQ $4 of the reversed pattern. */
	CHECK_EQ(fix_get(f, 0x4050, 4), 0x33333333);
	CHECK_EQ(fix_get(f, 0x405c, 4), 0);
	/* FXSAVE image. */
	CHECK_EQ(fix_get(f, 0x4100, 2), 0x37f);           /* FCW */
	CHECK_EQ(fix_get(f, 0x4100 + 24, 4), 0x1f80);     /* MXCSR */
	CHECK_EQ(fix_get(f, 0x4100 + 160 + 16 + 13, 1), 0xff);   /* XMM1 byte 13 */
	CHECK_EQ(fix_get(f, 0x4100 + 160 + 16 + 12, 1), 0x00);
	fix_free(f);
}

static void check_sse_fault(uint64_t cr0_set, uint64_t cr4, unsigned vec)
{
	static const uint8_t handler[] = { 0xf4 };
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	fix_long(f, lm_sse_fault, sizeof(lm_sse_fault));
	f->s.cr0 |= cr0_set;
	f->s.cr4 |= cr4;
	fix_put(f, 0x8000, handler, 1);
	fix_gate64(f, vec, SEL_CODE64, 0x8000, 0xe, 0, 0);
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.rip, 0x8001);
	CHECK_EQ(fix_get(f, f->s.regs[REG_RSP], 8), 0x1000);   /* faulting RIP */
	fix_free(f);
}

TEST(emu_sse_ud_and_nm)
{
	check_sse_fault(0, 0, EXC_UD);            /* CR4.OSFXSR = 0 */
	check_sse_fault(8, 0x200, EXC_NM);        /* CR0.TS = 1 */
}

/* x87 with host extended precision and the SSE exception flags. Expected
 * bit patterns are the IEEE 754 doubles of pi and sqrt(2) rounded to
 * nearest (0x400921fb54442d18, 0x3ff6a09e667f3bcd), as any IEEE reference
 * gives them. */
TEST(emu_x87_arith_and_sse_exceptions)
{
	static const uint8_t hlt = 0xf4;
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	fix_long(f, lm_x87, sizeof(lm_x87));
	f->s.cr4 |= 0x600;   /* OSFXSR, OSXMMEXCPT */
	fix_put32(f, 0x4000, 3);
	fix_put32(f, 0x4004, 4);
	fix_put32(f, 0x4008, 5);
	fix_put64(f, 0x4028, 0);                        /* 0.0 */
	fix_put64(f, 0x4038, 0x3ff0000000000000ULL);    /* 1.0 */
	fix_put32(f, 0x4044, 0x1f80 & ~0x200u);         /* ZM cleared */
	fix_put(f, 0x8000, &hlt, 1);
	fix_gate64(f, EXC_XM, SEL_CODE64, 0x8000, 0xe, 0, 0);
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(fix_get(f, 0x4010, 4), 17);            /* 3*4+5 through the stack */
	CHECK_EQ(fix_get(f, 0x4018, 8), 0x400921fb54442d18ULL);
	CHECK_EQ(fix_get(f, 0x4020, 8), 0x3ff6a09e667f3bcdULL);
	CHECK_EQ(fix_get(f, 0x4030, 8), 0x7ff0000000000000ULL);   /* 1/0 = +inf */
	CHECK_EQ(f->s.regs[REG_RAX] & 0x3804, 0x0004);  /* FSW.ZE, TOP back at 0 */
	CHECK_EQ(fix_get(f, 0x4040, 4) & 0x3f, 0x04);   /* masked SSE 1/0: MXCSR.ZE */
	/* Unmasked: #XM at the second DIVSD, XMM0 unchanged (+inf). */
	CHECK_EQ(f->s.rip, 0x8001);
	CHECK_EQ(fix_get(f, f->s.regs[REG_RSP], 8), 0x1000 + sizeof(lm_x87) - 10);
	fix_free(f);
}
