/*
 * The XSAVE feature set at CPL 0, what tests/diff cannot reach (its guest
 * runs at CPL 3 under the host's own XCR0): XCR0 through XSETBV/XGETBV,
 * CPUID's OSXSAVE bit following CR4.OSXSAVE, XSAVE saving only what XCR0
 * enables, and the faults (SDM Vol. 2, XGETBV, XSETBV, XRSTOR: #UD
 * without CR4.OSXSAVE; #GP(0) for XCR0 without bit 0, with bits the
 * processor lacks, for ECX other than 0, and for an XRSTOR header naming
 * a component XCR0 does not enable).
 */
#include "emu/fixture.h"

#define CR4_OSXSAVE_BIT (1u << 18)

/* [code64 at 0x1000]
 *   xor %ecx,%ecx; xgetbv; mov %eax,0x4000
 *   mov $3,%eax; xor %edx,%edx; xsetbv; xgetbv; mov %eax,0x4004
 *   mov $1,%eax; cpuid; mov %ecx,0x4008
 *   movq $0,0x5200; mov $-1,%eax; mov $-1,%edx; xsave64 0x5000
 *   mov $1,%eax; xor %edx,%edx; xor %ecx,%ecx; xsetbv
 *   movq $0,0x5600; movl $0xAAAAAAAA,0x54a0
 *   mov $-1,%eax; mov $-1,%edx; xsave64 0x5400
 *   hlt */
static const uint8_t lm_xcr0[] = {
	0x31, 0xc9, 0x0f, 0x01, 0xd0, 0x89, 0x04, 0x25, 0x00, 0x40, 0x00, 0x00,
	0xb8, 0x03, 0x00, 0x00, 0x00, 0x31, 0xd2, 0x0f, 0x01, 0xd1, 0x0f, 0x01,
	0xd0, 0x89, 0x04, 0x25, 0x04, 0x40, 0x00, 0x00, 0xb8, 0x01, 0x00, 0x00,
	0x00, 0x0f, 0xa2, 0x89, 0x0c, 0x25, 0x08, 0x40, 0x00, 0x00, 0x48, 0xc7,
	0x04, 0x25, 0x00, 0x52, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xb8, 0xff,
	0xff, 0xff, 0xff, 0xba, 0xff, 0xff, 0xff, 0xff, 0x48, 0x0f, 0xae, 0x24,
	0x25, 0x00, 0x50, 0x00, 0x00, 0xb8, 0x01, 0x00, 0x00, 0x00, 0x31, 0xd2,
	0x31, 0xc9, 0x0f, 0x01, 0xd1, 0x48, 0xc7, 0x04, 0x25, 0x00, 0x56, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0xc7, 0x04, 0x25, 0xa0, 0x54, 0x00, 0x00,
	0xaa, 0xaa, 0xaa, 0xaa, 0xb8, 0xff, 0xff, 0xff, 0xff, 0xba, 0xff, 0xff,
	0xff, 0xff, 0x48, 0x0f, 0xae, 0x24, 0x25, 0x00, 0x54, 0x00, 0x00, 0xf4,
};

/* [code64 at 0x1000] mov %rdi,%rax; mov %rsi,%rdx; mov %r8,%rcx; xsetbv; hlt */
static const uint8_t lm_xsetbv[] = {
	0x48, 0x89, 0xf8, 0x48, 0x89, 0xf2, 0x4c, 0x89, 0xc1, 0x0f, 0x01, 0xd1, 0xf4,
};

/* [code64 at 0x1000] mov $3,%eax; xor %edx,%edx; xrstor64 0x5000; hlt */
static const uint8_t lm_xrstor[] = {
	0xb8, 0x03, 0x00, 0x00, 0x00, 0x31, 0xd2, 0x48, 0x0f, 0xae, 0x2c, 0x25,
	0x00, 0x50, 0x00, 0x00, 0xf4,
};

static const uint8_t hlt = 0xf4;

TEST(emu_xsave_xcr0_cpuid_and_components)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	fix_long(f, lm_xcr0, sizeof(lm_xcr0));
	f->s.cr4 |= 0x200 | CR4_OSXSAVE_BIT;
	f->s.xsave[160] = 0x55;                 /* XMM0 not zero: SSE in use */
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.rip, 0x1000 + sizeof(lm_xcr0));
	CHECK_EQ(fix_get(f, 0x4000, 4), 1);     /* XCR0 after reset: x87 only */
	CHECK_EQ(fix_get(f, 0x4004, 4), 3);     /* after XSETBV */
	CHECK_EQ(fix_get(f, 0x4008, 4) >> 26 & 3, 3);   /* XSAVE, OSXSAVE */
	/* XCR0 = 3, EDX:EAX all ones: the x87 state is the reset one, its
	 * initial configuration (XSTATE_BV[0] = 0), SSE is in use. */
	CHECK_EQ(fix_get(f, 0x5200, 8), 2);
	CHECK_EQ(fix_get(f, 0x5000, 2), 0x37f);           /* FCW */
	CHECK_EQ(fix_get(f, 0x5000 + 24, 4), 0x1f80);     /* MXCSR */
	CHECK_EQ(fix_get(f, 0x5000 + 28, 4), 0xffff);     /* MXCSR_MASK */
	CHECK_EQ(fix_get(f, 0x5000 + 160, 1), 0x55);      /* XMM0 */
	/* XCR0 = 1: SSE state and MXCSR not written, XSTATE_BV[1] left. */
	CHECK_EQ(fix_get(f, 0x5400 + 160, 4), 0xaaaaaaaa);
	CHECK_EQ(fix_get(f, 0x5400 + 24, 4), 0);
	CHECK_EQ(fix_get(f, 0x5600, 8), 0);
	CHECK_EQ(fix_get(f, 0x5400, 2), 0x37f);
	CHECK_EQ(f->s.xcr0, 1);
	fix_free(f);
}

/* Runs `code` with RDI, RSI, R8 = EAX, EDX, ECX for XSETBV; returns the
 * vector taken (#UD or #GP, to a HLT at 0x8000 / 0x8100), or -1 if none. */
static int run_fault(const uint8_t *code, size_t len, bool osxsave, uint64_t eax,
		     uint64_t edx, uint64_t ecx, uint64_t *xcr0)
{
	struct emu_fix *f = fix_new();
	if (!f)
		return -2;
	fix_long(f, code, len);
	f->s.cr4 |= 0x200 | (osxsave ? CR4_OSXSAVE_BIT : 0);
	f->s.xcr0 = 3;
	f->s.regs[REG_RDI] = eax;
	f->s.regs[REG_RSI] = edx;
	f->s.regs[REG_R8] = ecx;
	fix_put(f, 0x8000, &hlt, 1);
	fix_put(f, 0x8100, &hlt, 1);
	fix_gate64(f, EXC_UD, SEL_CODE64, 0x8000, 0xe, 0, 0);
	fix_gate64(f, EXC_GP, SEL_CODE64, 0x8100, 0xe, 0, 0);
	/* An XRSTOR image: XSTATE_BV = 4 (AVX), the rest zero. */
	fix_put64(f, 0x5000 + 512, 4);
	fix_put32(f, 0x5000 + 24, 0x1f80);
	int vec = -1;
	if (fix_run(f, 100) == VCPU_EXIT_HLT)
		vec = f->s.rip == 0x8001 ? EXC_UD : f->s.rip == 0x8101 ? EXC_GP : -1;
	if (xcr0)
		*xcr0 = f->s.xcr0;
	fix_free(f);
	return vec;
}

TEST(emu_xsave_faults)
{
	uint64_t xcr0;
	CHECK_EQ(run_fault(lm_xsetbv, sizeof(lm_xsetbv), false, 3, 0, 0, NULL), EXC_UD);
	CHECK_EQ(run_fault(lm_xsetbv, sizeof(lm_xsetbv), true, 1, 0, 0, &xcr0), -1);
	CHECK_EQ(xcr0, 1);
	CHECK_EQ(run_fault(lm_xsetbv, sizeof(lm_xsetbv), true, 2, 0, 0, NULL), EXC_GP);  /* no x87 */
	CHECK_EQ(run_fault(lm_xsetbv, sizeof(lm_xsetbv), true, 7, 0, 0, NULL), EXC_GP);  /* AVX */
	CHECK_EQ(run_fault(lm_xsetbv, sizeof(lm_xsetbv), true, 3, 1, 0, NULL), EXC_GP);  /* bit 32 */
	CHECK_EQ(run_fault(lm_xsetbv, sizeof(lm_xsetbv), true, 3, 0, 1, NULL), EXC_GP);  /* ECX=1 */
	CHECK_EQ(run_fault(lm_xrstor, sizeof(lm_xrstor), false, 0, 0, 0, NULL), EXC_UD);
	CHECK_EQ(run_fault(lm_xrstor, sizeof(lm_xrstor), true, 0, 0, 0, NULL), EXC_GP);
}
