/*
 * x87 and MMX faults in the emulator that the differential tests cannot
 * reach from CPL3: #MF needs CR0.NE (SDM Vol. 3 8.7: with NE=0 the error
 * goes out as FERR#, test_emu_ferr.c; this bare machine has no FERR#
 * wiring, so execution runs on), MMX instructions raise #UD with CR0.EM
 * and #NM with CR0.TS (SDM Vol. 3 table 12-1), and the x87 CS and DS
 * selectors are stored as 0 (SDM Vol. 1 8.1.8 and 10.5.1: what
 * CPUID.(EAX=7,ECX=0):EBX[13] promises). The values themselves are
 * compared with the CPU in tests/diff.
 */
#include "emu/code.h"
#include "emu/fixture.h"


static const uint8_t hlt = 0xf4;

TEST(emu_x87_unmasked_exception_raises_mf_at_fwait)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	fix_prot32(f, pm_x87_mf, sizeof(pm_x87_mf));
	f->s.cr0 |= CR0_NE;
	fix_put(f, 0x8000, &hlt, 1);
	fix_gate32(f, EXC_MF, SEL_CODE32, 0x8000, 0xe, 0);
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.rip, 0x8001);
	CHECK_EQ(fix_get(f, 0x7000 - 12, 4), 0x101d);   /* the FWAIT, not the FDIV */
	/* FNSTSW before it: ZE, ES and B set, TOP 6 after two loads. */
	CHECK_EQ(fix_get(f, 0x4002, 2) & 0xb8bf, 0xb084);
	CHECK_EQ(fix_get(f, 0x4004, 2), 0);             /* nothing after the FWAIT ran */
	fix_free(f);

	/* CR0.NE=0: no #MF (no FERR# wiring here); the program runs on. */
	f = fix_new();
	REQUIRE(f);
	fix_prot32(f, pm_x87_mf, sizeof(pm_x87_mf));
	fix_put(f, 0x8000, &hlt, 1);
	fix_gate32(f, EXC_MF, SEL_CODE32, 0x8000, 0xe, 0);
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(fix_get(f, 0x4004, 2), 1);
	fix_free(f);
}

static void check_mmx_fault(uint64_t cr0_set, unsigned vec)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	fix_prot32(f, pm_mmx, sizeof(pm_mmx));
	f->s.cr0 |= cr0_set;
	fix_put(f, 0x8000, &hlt, 1);
	fix_gate32(f, vec, SEL_CODE32, 0x8000, 0xe, 0);
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.rip, 0x8001);
	CHECK_EQ(fix_get(f, 0x7000 - 12, 4), 0x1000);
	fix_free(f);
}

TEST(emu_mmx_em_is_ud_and_ts_is_nm)
{
	check_mmx_fault(CR0_EM, EXC_UD);
	check_mmx_fault(CR0_TS, EXC_NM);
	/* Neither: MOVQ runs; MM0 (physical register 0) gets MM1 with bits
	 * 64-79 set and every tag valid (SDM Vol. 1 9.5.1). */
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	fix_prot32(f, pm_mmx, sizeof(pm_mmx));
	f->s.xsave[32 + 16] = 0x5a;
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.xsave[32], 0x5a);
	CHECK_EQ(f->s.xsave[32 + 8] | f->s.xsave[32 + 9] << 8, 0xffff);
	CHECK_EQ(f->s.xsave[4], 0xff);
	fix_free(f);
}

/* FNSTENV in real mode, 16- and 32-bit operand size (SDM Vol. 1 figures
 * 8-10 and 8-12): the instruction pointer and operand pointer are 20-bit
 * linear addresses split around the opcode; here FSTP m32 at 0x1004 with
 * its operand at 0x4000, so FOP = D9 /3 ModRM 1E = 0x11E. */
TEST(emu_x87_fnstenv_real_mode_layouts)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	fix_real(f, rm_x87_env, sizeof(rm_x87_env));
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(fix_get(f, 0x4010, 2), 0x037f);     /* FCW */
	CHECK_EQ(fix_get(f, 0x4012, 2), 0);          /* FSW: TOP back at 0 */
	CHECK_EQ(fix_get(f, 0x4014, 2), 0xffff);     /* FTW: all empty */
	CHECK_EQ(fix_get(f, 0x4016, 2), 0x1004);     /* FIP[15:0] */
	CHECK_EQ(fix_get(f, 0x4018, 2), 0x011e);     /* FIP[19:16] << 12 | FOP */
	CHECK_EQ(fix_get(f, 0x401a, 2), 0x4000);     /* FDP[15:0] */
	CHECK_EQ(fix_get(f, 0x401c, 2), 0);          /* FDP[19:16] << 12 */
	CHECK_EQ(fix_get(f, 0x4020, 2), 0x037f);
	CHECK_EQ(fix_get(f, 0x4028, 2), 0xffff);
	CHECK_EQ(fix_get(f, 0x402c, 2), 0x1004);     /* FIP[15:0] */
	CHECK_EQ(fix_get(f, 0x4030, 4), 0x011e);     /* FIP[31:16] << 12 | FOP */
	CHECK_EQ(fix_get(f, 0x4034, 2), 0x4000);     /* FDP[15:0] */
	CHECK_EQ(fix_get(f, 0x4038, 4), 0);          /* FDP[31:16] << 12 */
	fix_free(f);
}

/* [code32 at 0x1000]
 *   fninit; fldl 0x4000; fnstenv 0x4100; fxsave 0x4200; hlt */
static const uint8_t pm_x87_selectors[] = {
	0xdb, 0xe3, 0xdd, 0x05, 0x00, 0x40, 0x00, 0x00, 0xd9, 0x35, 0x00, 0x41,
	0x00, 0x00, 0x0f, 0xae, 0x05, 0x00, 0x42, 0x00, 0x00, 0xf4,
};

/* [code64 at 0x1000]
 *   mov $0x100004000, %rbx; fninit; fldl (%rbx) (at 0x100c)
 *   fxsave 0x4100; fxsave64 0x4300; hlt */
static const uint8_t lm_x87_fxsave_formats[] = {
	0x48, 0xbb, 0x00, 0x40, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0xdb, 0xe3,
	0xdd, 0x03, 0x0f, 0xae, 0x04, 0x25, 0x00, 0x41, 0x00, 0x00, 0x48, 0x0f,
	0xae, 0x04, 0x25, 0x00, 0x43, 0x00, 0x00, 0xf4,
};

TEST(emu_x87_fcs_fds_stored_as_zero)
{
	struct cpuid_regs e;
	cpuid_model(0, 1, 7, 0, &e);
	CHECK(e.ebx & (1u << 13));                        /* FCS/FDS deprecated */

	struct emu_fix *f = fix_new();
	REQUIRE(f);
	fix_prot32(f, pm_x87_selectors, sizeof(pm_x87_selectors));
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	/* FNSTENV, 32-bit protected layout (SDM Vol. 1 figure 8-9). */
	CHECK_EQ(fix_get(f, 0x4100 + 12, 4), 0x1002);       /* FIP: the FLD */
	CHECK_EQ(fix_get(f, 0x4100 + 16, 4), 0x05050000);   /* FOP DD 05, FCS 0 */
	CHECK_EQ(fix_get(f, 0x4100 + 20, 4), 0x4000);       /* FDP */
	CHECK_EQ(fix_get(f, 0x4100 + 24, 2), 0);            /* FDS */
	/* FXSAVE (SDM Vol. 1 table 10-2). */
	CHECK_EQ(fix_get(f, 0x4200 + 6, 2), 0x505);         /* FOP */
	CHECK_EQ(fix_get(f, 0x4200 + 8, 4), 0x1002);
	CHECK_EQ(fix_get(f, 0x4200 + 12, 2), 0);            /* FCS */
	CHECK_EQ(fix_get(f, 0x4200 + 16, 4), 0x4000);
	CHECK_EQ(fix_get(f, 0x4200 + 20, 2), 0);            /* FDS */
	fix_free(f);

	/* 64-bit mode, the operand at linear 0x100004000 (mapped to 0x4000):
	 * FXSAVE without REX.W keeps FDP[31:0] and a zero FDS; FXSAVE64 the
	 * whole 64-bit FDP (table 10-3). */
	f = fix_new();
	REQUIRE(f);
	fix_long(f, lm_x87_fxsave_formats, sizeof(lm_x87_fxsave_formats));
	fix_put64(f, 0x11000 + 4 * 8, 0x14000 | 7);   /* PDPT[4] */
	fix_put64(f, 0x14000, 0x15000 | 7);
	fix_put64(f, 0x15000 + 4 * 8, 0x4000 | 7);
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(fix_get(f, 0x4100 + 8, 8), 0x100c);        /* FIP[31:0], FCS 0 */
	CHECK_EQ(fix_get(f, 0x4100 + 16, 8), 0x4000);       /* FDP[31:0], FDS 0 */
	CHECK_EQ(fix_get(f, 0x4300 + 8, 8), 0x100c);
	CHECK_EQ(fix_get(f, 0x4300 + 16, 8), 0x100004000ULL);
	fix_free(f);
}
