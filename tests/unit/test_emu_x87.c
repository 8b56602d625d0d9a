/*
 * x87 and MMX faults in the emulator that the differential tests cannot
 * reach from CPL3: #MF needs CR0.NE (SDM Vol. 3 8.7: with NE=0 the error
 * goes out as FERR#, which Nyx does not wire, so execution runs on), and
 * MMX instructions raise #UD with CR0.EM and #NM with CR0.TS (SDM Vol. 3
 * table 12-1). The values themselves are compared with the CPU in
 * tests/diff.
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

	/* CR0.NE=0: no #MF (FERR# is not wired); the program runs on. */
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
