/*
 * Emulator integer core in real mode: arithmetic flags, multiply/divide and
 * #DE, shifts/rotates, BCD adjusts, string instructions, the stack, INT/IRET.
 * Expected values are worked out from the Intel SDM Vol. 2 instruction
 * pages (flag rules and the DAA/DAS examples printed there), not taken from
 * the emulator.
 */
#include "emu/code.h"
#include "emu/fixture.h"

#define RUN_REAL(f, code) do { fix_real(f, code, sizeof(code)); } while (0)

TEST(emu_rm_add_sub_flags)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	RUN_REAL(f, rm_add_sub_flags);
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	/* 0x7f + 1 = 0x80: OF SF AF set, PF clear (one bit set), ZF CF clear. */
	CHECK_EQ(fix_get(f, 0x4000, 2) & FIX_FLAGS_ARITH, 0x800 | 0x80 | 0x10);
	/* 0 - 1 = 0xff: CF SF AF PF set, OF ZF clear. */
	CHECK_EQ(fix_get(f, 0x4002, 2) & FIX_FLAGS_ARITH, 0x01 | 0x80 | 0x10 | 0x04);
	CHECK_EQ(f->s.regs[REG_RAX] & 0xff, 0x80);
	CHECK_EQ(f->s.regs[REG_RCX] & 0xff, 0xff);
	CHECK_EQ(f->s.rip, 0x1000 + sizeof(rm_add_sub_flags));
	fix_free(f);
}

TEST(emu_rm_adc_sbb_inc_keeps_cf)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	RUN_REAL(f, rm_adc_sbb_inc);
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	/* 0xffff + 0 + CF = 0x10000: CF ZF AF PF. */
	CHECK_EQ(fix_get(f, 0x4000, 2) & FIX_FLAGS_ARITH, 0x01 | 0x40 | 0x10 | 0x04);
	/* INC leaves CF alone: AX 0 -> 1, only CF (kept) is set. */
	CHECK_EQ(fix_get(f, 0x4002, 2) & FIX_FLAGS_ARITH, 0x01);
	/* 0 - 1 - 0 = 0xffff: CF SF AF PF. */
	CHECK_EQ(fix_get(f, 0x4004, 2) & FIX_FLAGS_ARITH, 0x01 | 0x80 | 0x10 | 0x04);
	/* 5 - 2 - 1 = 2: no flag. */
	CHECK_EQ(fix_get(f, 0x4006, 2) & FIX_FLAGS_ARITH, 0);
	CHECK_EQ(f->s.regs[REG_RSI] & 0xffff, 2);
	CHECK_EQ(f->s.regs[REG_RDX] & 0xffff, 0xffff);
	fix_free(f);
}

TEST(emu_rm_mul_div)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	RUN_REAL(f, rm_muldiv);
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(fix_get(f, 0x4000, 2) & 0x801, 0x801);   /* MUL high half != 0: CF OF */
	CHECK_EQ(fix_get(f, 0x4010, 2), 0x3400);
	CHECK_EQ(fix_get(f, 0x4012, 2), 0x0012);
	CHECK_EQ(fix_get(f, 0x4002, 2) & 0x801, 0);       /* -21 fits in 16 bits */
	CHECK_EQ(fix_get(f, 0x4004, 2), 0xffeb);
	CHECK_EQ(fix_get(f, 0x4006, 2), 0xffff);
	CHECK_EQ(fix_get(f, 0x4008, 2), 142);
	CHECK_EQ(fix_get(f, 0x400a, 2), 6);
	/* IDIV truncates toward zero: -1000 / 7 = -142 remainder -6. */
	CHECK_EQ(f->s.regs[REG_RAX] & 0xffff, 0xff72);
	CHECK_EQ(f->s.regs[REG_RDX] & 0xffff, 0xfffa);
	fix_free(f);
}

static void check_de(const uint8_t *code, size_t len, uint16_t fault_ip)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	fix_real(f, code, len);
	fix_put(f, 0x8000, rm_handler_hlt, sizeof(rm_handler_hlt));
	fix_put32(f, 0, 0x00008000);   /* IVT[0] = 0000:8000 */
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.rip, 0x8001);
	/* #DE is a fault: the pushed IP is the DIV itself; frame IP, CS, FLAGS. */
	CHECK_EQ(f->s.regs[REG_RSP] & 0xffff, 0x7000 - 6);
	CHECK_EQ(fix_get(f, 0x6ffa, 2), fault_ip);
	CHECK_EQ(fix_get(f, 0x6ffc, 2), 0);
	CHECK_EQ(f->s.rflags & 0x200, 0);   /* IF cleared by delivery */
	fix_free(f);
}

TEST(emu_rm_divide_error)
{
	check_de(rm_div_zero, sizeof(rm_div_zero), 0x1005);          /* divide by zero */
	check_de(rm_div_overflow, sizeof(rm_div_overflow), 0x1005);  /* quotient > 0xff */
}

TEST(emu_rm_shifts_rotates)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	RUN_REAL(f, rm_shifts);
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	/* RCL 0x81 with CF=1: 0x03, CF = old bit 7 = 1, OF = MSB(result) ^ CF = 1. */
	CHECK_EQ(fix_get(f, 0x4000, 2) & 0x801, 0x801);
	CHECK_EQ(fix_get(f, 0x4002, 1), 0x03);
	/* RCR 0x01 with CF=0: 0x00, CF = 1, OF = old MSB ^ old CF = 0. */
	CHECK_EQ(fix_get(f, 0x4004, 2) & 0x801, 0x001);
	CHECK_EQ(fix_get(f, 0x4006, 1), 0x00);
	CHECK_EQ(fix_get(f, 0x4008, 2), 0xffff);          /* SAR keeps the sign */
	/* SHLD 0x1234,0x5678 by 4 = 0x2345; last bit out = bit 12 of 0x1234 = 1. */
	CHECK_EQ(fix_get(f, 0x400a, 2) & 1, 1);
	CHECK_EQ(fix_get(f, 0x400c, 2), 0x2345);
	CHECK_EQ(fix_get(f, 0x400e, 2), 0x8123);          /* SHRD: low nibble of 0x5678 on top */
	CHECK_EQ(fix_get(f, 0x4010, 1), 0x69);            /* ROL 0x96 by 4 */
	fix_free(f);
}

TEST(emu_rm_bcd_adjust)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	RUN_REAL(f, rm_bcd);
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	/* SDM DAA example: 0x79 + 0x35 = 0xAE, DAA -> 0x14 with CF AF PF. */
	CHECK_EQ(fix_get(f, 0x4002, 1), 0x14);
	CHECK_EQ(fix_get(f, 0x4000, 2) & 0xd5, 0x01 | 0x04 | 0x10);
	/* SDM DAS example: 0x35 - 0x47 = 0xEE, DAS -> 0x88 with SF AF PF CF. */
	CHECK_EQ(fix_get(f, 0x4006, 1), 0x88);
	CHECK_EQ(fix_get(f, 0x4004, 2) & 0xd5, 0x80 | 0x10 | 0x04 | 0x01);
	CHECK_EQ(fix_get(f, 0x4008, 2), 0x0103);          /* AAA: 0x0d -> AH+1, AL=3 */
	CHECK_EQ(fix_get(f, 0x400a, 2), 0x0603);          /* AAM: 63 -> 6, 3 */
	CHECK_EQ(fix_get(f, 0x400c, 2), 0x003f);          /* AAD: 6*10+3 */
	fix_free(f);
}

TEST(emu_rm_string_ops)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	RUN_REAL(f, rm_strings);
	for (unsigned i = 0; i < 16; i++)
		fix_put8(f, 0x4000 + i, (uint8_t)i);
	CHECK_EQ(fix_run(f, 200), VCPU_EXIT_HLT);
	for (unsigned i = 0; i < 16; i++)
		CHECK_EQ(fix_get(f, 0x4100 + i, 1), i);
	for (unsigned i = 0; i < 8; i++)
		CHECK_EQ(fix_get(f, 0x4200 + 2 * i, 2), 0xaa55);
	/* REPNE SCASB for 7 stops after the 8th byte: ZF=1, CX=8, DI=0x4008. */
	CHECK_EQ(fix_get(f, 0x4300, 2) & 0x40, 0x40);
	CHECK_EQ(fix_get(f, 0x4302, 2), 8);
	CHECK_EQ(fix_get(f, 0x4304, 2), 0x4008);
	CHECK_EQ(fix_get(f, 0x4306, 1), 15);              /* LODSB with DF=1 */
	CHECK_EQ(fix_get(f, 0x4308, 2), 0x400e);
	/* Overlapping forward REP MOVSB replicates the first byte. */
	for (unsigned i = 0; i <= 8; i++)
		CHECK_EQ(fix_get(f, 0x4400 + i, 1), 0xab);
	CHECK_EQ(fix_get(f, 0x430a, 2), 0);               /* REPE CMPSB: all 16 equal */
	fix_free(f);
}

TEST(emu_rm_stack_call_enter)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	RUN_REAL(f, rm_stack);
	CHECK_EQ(fix_run(f, 200), VCPU_EXIT_HLT);
	/* PUSHA order AX CX DX BX SP(original) BP SI DI. */
	CHECK_EQ(fix_get(f, 0x4000, 2), 0x6ff0);
	static const uint16_t want[6] = { 0x7777, 0x6666, 0x5555, 0x7000, 0x4444, 0x3333 };
	for (unsigned i = 0; i < 6; i++)
		CHECK_EQ(fix_get(f, 0x6ff0 + 2 * i, 2), want[i]);
	/* The two top slots were reused: CALL's return address, ENTER's BP. */
	CHECK_EQ(fix_get(f, 0x6ffc, 2), 0x5555);
	CHECK_EQ(fix_get(f, 0x4008, 2), 0x5555);          /* POPA restored BP */
	CHECK_EQ(fix_get(f, 0x4004, 2), 0x6ff8);          /* after CALL, ENTER $4,$0 */
	CHECK_EQ(fix_get(f, 0x4006, 2), 0x6ffc);
	CHECK_EQ(f->s.regs[REG_RAX] & 0xffff, 0xbeef);
	CHECK_EQ(f->s.regs[REG_RSP] & 0xffff, 0x7000);
	CHECK_EQ(f->s.regs[REG_RBP] & 0xffff, 0x5555);
	CHECK_EQ(f->s.regs[REG_RDI] & 0xffff, 0x7777);
	fix_free(f);
}

TEST(emu_rm_int_iret)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	RUN_REAL(f, rm_int);
	fix_put(f, 0x8000, rm_int_handler, sizeof(rm_int_handler));
	fix_put32(f, 0x21 * 4, 0x00008000);
	f->s.rflags = 0x202;
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.regs[REG_RBX] & 0xff, 0x55);
	CHECK_EQ(f->s.regs[REG_RCX] & 0xff, 0x66);
	CHECK_EQ(f->s.regs[REG_RSP] & 0xffff, 0x7000);
	CHECK_EQ(fix_get(f, 0x4000, 2) & 0x200, 0);       /* IF clear in the handler */
	CHECK_EQ(f->s.rflags & 0x200, 0x200);             /* restored by IRET */
	fix_free(f);
}

TEST(emu_rm_to_protected_mode)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	RUN_REAL(f, rm_to_pm);
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.cr0 & 1, 1);
	CHECK_EQ(f->s.seg[SEG_CS].selector, SEL_CODE32);
	CHECK_EQ(f->s.seg[SEG_CS].db, 1);
	CHECK_EQ(f->s.seg[SEG_DS].limit, 0xffffffff);     /* G=1 scales the limit */
	CHECK_EQ(fix_get(f, 0x4000, 4), 0xfeedface);
	CHECK_EQ(f->s.regs[REG_RBX], 0x12345678);
	/* The descriptor's accessed bit is set on load (SDM 3.4.5). */
	CHECK_EQ(fix_get(f, 0x800 + SEL_DATA + 5, 1), 0x93);
	fix_free(f);
}
