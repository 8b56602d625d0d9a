/*
 * Emulator SSE unit, what the differential harness (tests/diff, CPL3 on
 * this host's KVM) cannot reach: MXCSR reserved bits on LDMXCSR and
 * FXRSTOR (#GP(0); the host's KVM reports #UD for those), and unmasked SIMD
 * exceptions with CR4.OSXMMEXCPT clear (#UD) or set (#XM). Expected
 * behaviour from the Intel SDM Vol. 2 (LDMXCSR and FXRSTOR "Protected
 * Mode Exceptions"; the SIMD floating-point exception class tables,
 * "#UD if CR4.OSXMMEXCPT[bit 10] = 0" and "#XM ... if CR4.OSXMMEXCPT = 1")
 * and Vol. 1 11.5.1 (no destination is written when the exception is
 * unmasked), run in real mode with CR4.OSFXSR set.
 */
#include "cpu/cpu.h"
#include "emu/fixture.h"

#define CR4_OSFXSR_BIT (1u << 9)
#define CR4_OSXMMEXCPT_BIT (1u << 10)

static const uint8_t hlt[] = { 0xf4 };

/* A real-mode machine with handlers that halt at 0x8000 + 0x100 * n for
 * vectors 6 (#UD, n=0), 13 (#GP, n=1) and 19 (#XM, n=2). */
static struct emu_fix *sse_fix(const uint8_t *code, size_t len, uint32_t cr4)
{
	struct emu_fix *f = fix_new();
	if (!f)
		return NULL;
	fix_real(f, code, len);
	f->s.cr4 = cr4;
	static const uint8_t vec[] = { 6, 13, 19 };
	for (unsigned i = 0; i < 3; i++) {
		fix_put(f, 0x8000 + 0x100 * i, hlt, 1);
		fix_put32(f, 4 * vec[i], 0x8000 + 0x100 * i);   /* IVT: 0000:8x00 */
	}
	return f;
}

static uint32_t mxcsr_of(const struct emu_fix *f)
{
	uint32_t m;
	memcpy(&m, f->s.xsave + 24, 4);
	return m;
}

static void set_mxcsr(struct emu_fix *f, uint32_t m)
{
	memcpy(f->s.xsave + 24, &m, 4);
}

TEST(emu_sse_mxcsr_ldmxcsr_reserved_bit_gp)
{
	static const uint8_t code[] = { 0x0f, 0xae, 0x16, 0x00, 0x40, 0xf4 };   /* ldmxcsr [0x4000] */
	struct emu_fix *f = sse_fix(code, sizeof(code), CR4_OSFXSR_BIT);
	REQUIRE(f);
	fix_put32(f, 0x4000, 0x00011f80);   /* bit 16 is reserved */
	CHECK_EQ(fix_run(f, 10), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.rip, 0x8101);                 /* the #GP handler */
	CHECK_EQ(mxcsr_of(f), 0x1f80);              /* MXCSR unchanged */
	fix_free(f);

	/* The same load without the reserved bit completes. */
	f = sse_fix(code, sizeof(code), CR4_OSFXSR_BIT);
	REQUIRE(f);
	fix_put32(f, 0x4000, 0x0000ffff);           /* every defined bit incl. DAZ */
	CHECK_EQ(fix_run(f, 10), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.rip, 0x1000 + sizeof(code));
	CHECK_EQ(mxcsr_of(f), 0xffff);
	fix_free(f);
}

TEST(emu_sse_mxcsr_fxrstor_reserved_mxcsr_gp)
{
	static const uint8_t code[] = { 0x0f, 0xae, 0x0e, 0x00, 0x50, 0xf4 };   /* fxrstor [0x5000] */
	struct emu_fix *f = sse_fix(code, sizeof(code), CR4_OSFXSR_BIT);
	REQUIRE(f);
	fix_put32(f, 0x5000 + 24, 0x80001f80);      /* bit 31 is reserved */
	fix_put32(f, 0x5000 + 160, 0x12345678);     /* XMM0 in the image */
	CHECK_EQ(fix_run(f, 10), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.rip, 0x8101);
	CHECK_EQ(mxcsr_of(f), 0x1f80);
	uint32_t x0;
	memcpy(&x0, f->s.xsave + 160, 4);
	CHECK_EQ(x0, 0);                            /* nothing restored */
	fix_free(f);
}

/* divss xmm0, xmm1 with 1.0 / 0.0 and ZE unmasked. */
static struct emu_fix *divss_by_zero(uint32_t cr4)
{
	static const uint8_t code[] = { 0xf3, 0x0f, 0x5e, 0xc1, 0xf4 };
	struct emu_fix *f = sse_fix(code, sizeof(code), cr4);
	if (!f)
		return NULL;
	uint32_t one = 0x3f800000;
	memcpy(f->s.xsave + 160, &one, 4);          /* XMM0 = 1.0, XMM1 = 0.0 */
	set_mxcsr(f, 0x1d80);                       /* ZM clear */
	return f;
}

TEST(emu_sse_mxcsr_unmasked_exception_ud_without_osxmmexcpt)
{
	struct emu_fix *f = divss_by_zero(CR4_OSFXSR_BIT);
	REQUIRE(f);
	CHECK_EQ(fix_run(f, 10), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.rip, 0x8001);                 /* #UD */
	CHECK_EQ(fix_get(f, 0x7000 - 6, 2), 0x1000);   /* a fault: IP of the DIVSS */
	uint32_t x0;
	memcpy(&x0, f->s.xsave + 160, 4);
	CHECK_EQ(x0, 0x3f800000);                   /* destination kept */
	CHECK_EQ(mxcsr_of(f), 0x1d84);              /* ZE set */
	fix_free(f);
}

TEST(emu_sse_mxcsr_unmasked_exception_xm_with_osxmmexcpt)
{
	struct emu_fix *f = divss_by_zero(CR4_OSFXSR_BIT | CR4_OSXMMEXCPT_BIT);
	REQUIRE(f);
	CHECK_EQ(fix_run(f, 10), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.rip, 0x8201);                 /* #XM */
	CHECK_EQ(fix_get(f, 0x7000 - 6, 2), 0x1000);
	uint32_t x0;
	memcpy(&x0, f->s.xsave + 160, 4);
	CHECK_EQ(x0, 0x3f800000);
	CHECK_EQ(mxcsr_of(f), 0x1d84);
	fix_free(f);
}

TEST(emu_sse_mxcsr_masked_exception_writes_result)
{
	struct emu_fix *f = divss_by_zero(CR4_OSFXSR_BIT);
	REQUIRE(f);
	set_mxcsr(f, 0x1f80);                       /* all masked: +inf, ZE */
	CHECK_EQ(fix_run(f, 10), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.rip, 0x1005);
	uint32_t x0;
	memcpy(&x0, f->s.xsave + 160, 4);
	CHECK_EQ(x0, 0x7f800000);
	CHECK_EQ(mxcsr_of(f), 0x1f84);
	fix_free(f);
}

TEST(emu_sse_mxcsr_without_osfxsr_ud)
{
	struct emu_fix *f = divss_by_zero(0);
	REQUIRE(f);
	set_mxcsr(f, 0x1f80);
	CHECK_EQ(fix_run(f, 10), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.rip, 0x8001);                 /* #UD: SSE not enabled */
	CHECK_EQ(mxcsr_of(f), 0x1f80);
	fix_free(f);
}

TEST(emu_sse_mxcsr_cpuid_sse_levels)
{
	/* SSE3, SSSE3, SSE4.1 and SSE4.2 are advertised, their instructions
	 * checked against the CPU by tests/diff (templates sse3, ssse3,
	 * ssse3-mmx, sse41, sse41-fp, sse41-dp, sse42; FISTTP a hand case).
	 * Bits from the SDM's CPUID leaf 1 ECX table: SSE3 0, SSSE3 9, SSE4.1
	 * 19, SSE4.2 20. */
	struct cpuid_regs r;
	cpuid_model(0, 1, 1, 0, &r);
	CHECK_EQ(r.ecx & (1u << 9), 1u << 9);
	CHECK_EQ(r.ecx & (1u << 19), 1u << 19);
	CHECK_EQ(r.ecx & (1u << 20), 1u << 20);
	CHECK_EQ(r.ecx & 1u, 1u);
	CHECK_EQ(r.edx & (1u << 26), 1u << 26);   /* SSE2 */
}
