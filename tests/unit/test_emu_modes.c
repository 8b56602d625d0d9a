/*
 * Emulator corner cases across modes: virtual-8086 entry by IRET and exit
 * by INT (SDM Vol. 3, 20.3: the ring-0 frame holds GS FS DS ES SS ESP
 * EFLAGS CS EIP and the data segments are nulled), SYSENTER/SYSEXIT
 * selectors (SDM Vol. 2: SYSEXIT CS = SYSENTER_CS + 16, SS = + 24, RPL 3),
 * a REP MOVSB that page-faults half way and resumes where it stopped,
 * CMPXCHG8B and the three-operand IMUL overflow flags, and the debugger
 * hooks (single step, breakpoints) used by the gdb stub.
 */
#include "emu/code.h"
#include "emu/fixture.h"

static const uint8_t hlt_code[] = { 0xf4 };

TEST(emu_v86_enter_and_interrupt_out)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	fix_prot32(f, pm_to_v86, sizeof(pm_to_v86));
	fix_put(f, 0x9000, v86_code, sizeof(v86_code));
	fix_put(f, 0x8000, pm_v86_handler, sizeof(pm_v86_handler));
	fix_gate32(f, 0x40, SEL_CODE32, 0x8000, 0xe, 3);
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.rip, 0x8000 + sizeof(pm_v86_handler));
	CHECK_EQ(f->s.regs[REG_RBX] & 0xffff, 0x1234);     /* ran in V86 */
	CHECK_EQ(f->s.regs[REG_RSI], 0x7800 - 36);         /* 9-slot frame on ESP0 */
	CHECK_EQ(fix_get(f, 0x7800 - 36, 4), 0x9005);      /* EIP after INT */
	CHECK_EQ(fix_get(f, 0x7800 - 28, 4) & 0x20000, 0x20000);   /* EFLAGS.VM */
	CHECK_EQ(fix_get(f, 0x7800 - 24, 4), 0x6000);      /* V86 ESP */
	CHECK_EQ(f->s.regs[REG_RDI] & 0xffff, 0);          /* DS nulled */
	CHECK_EQ(f->s.rflags & 0x20000, 0);
	fix_free(f);
}

TEST(emu_sysenter_sysexit)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	fix_prot32(f, pm_sysenter, sizeof(pm_sysenter));
	fix_put(f, 0x8000, pm_sysenter_kernel, sizeof(pm_sysenter_kernel));
	fix_put(f, 0x9100, pm_sysexit_user, sizeof(pm_sysexit_user));
	fix_put(f, 0x8100, hlt_code, 1);
	fix_gate32(f, 0x41, SEL_CODE32, 0x8100, 0xe, 3);
	fix_set_msr(&f->s, 0x174, SEL_CODE32);
	fix_set_msr(&f->s, 0x175, 0x7400);
	fix_set_msr(&f->s, 0x176, 0x8000);
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.rip, 0x8101);
	CHECK_EQ(f->s.regs[REG_RAX] & 0xffff, (SEL_CODE32 + 16) | 3);
	CHECK_EQ(f->s.regs[REG_RBX] & 0xffff, (SEL_CODE32 + 24) | 3);
	CHECK_EQ(f->s.regs[REG_RDI], 0x6800);
	fix_free(f);
}

TEST(emu_rep_movsb_page_fault_resumes)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	fix_prot32(f, pm_rep_fault, sizeof(pm_rep_fault));
	fix_put(f, 0x8000, pm_pf_fixup, sizeof(pm_pf_fixup));
	fix_gate32(f, EXC_PF, SEL_CODE32, 0x8000, 0xe, 0);
	/* Identity map 0-4 MiB except page 5. */
	fix_put32(f, 0x10000, 0x11000 | 3);
	for (uint32_t i = 0; i < 1024; i++)
		fix_put32(f, 0x11000 + i * 4, i == 5 ? 0 : (i << 12) | 3);
	f->s.cr3 = 0x10000;
	f->s.cr0 |= 0x80000000;
	for (unsigned i = 0; i < 0x100; i++)
		fix_put8(f, 0x4f80 + i, (uint8_t)(i * 7 + 1));
	CHECK_EQ(fix_run(f, 1000), VCPU_EXIT_HLT);
	CHECK_EQ(fix_get(f, 0x6200, 4), 1);                /* exactly one #PF */
	CHECK_EQ(f->s.cr2, 0x5000);
	CHECK_EQ(f->s.regs[REG_RCX], 0);
	CHECK_EQ(f->s.regs[REG_RSI], 0x5080);
	CHECK_EQ(f->s.regs[REG_RDI], 0x6100);
	unsigned bad = 0;
	for (unsigned i = 0; i < 0x100; i++)
		bad += fix_get(f, 0x6000 + i, 1) != (uint8_t)(i * 7 + 1);
	CHECK_EQ(bad, 0);
	fix_free(f);
}

TEST(emu_cmpxchg8b_imul3)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	fix_prot32(f, pm_more, sizeof(pm_more));
	fix_put64(f, 0x4000, 0x2222222211111111ULL);
	fix_put32(f, 0x4020, 7);
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(fix_get(f, 0x4000, 8), 0x4444444433333333ULL);
	CHECK_EQ(fix_get(f, 0x4010, 1), 1);
	CHECK_EQ(fix_get(f, 0x4014, 4), 0x33333333);       /* mismatch loads EDX:EAX */
	CHECK_EQ(fix_get(f, 0x4018, 4), 0x44444444);
	CHECK_EQ(fix_get(f, 0x401c, 1), 0);
	CHECK_EQ(f->s.regs[REG_RSI], 0xffffffeb);          /* 7 * -3 */
	CHECK_EQ(f->s.regs[REG_RDI], 0);                   /* 2^32 truncated */
	CHECK_EQ(fix_get(f, 0x4024, 1), 1);                /* CF */
	CHECK_EQ(fix_get(f, 0x4025, 1), 1);                /* OF */
	fix_free(f);
}

TEST(emu_debug_single_step_and_breakpoint)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	fix_real(f, rm_loop, sizeof(rm_loop));
	emu_state_set(f->cpu, &f->s);
	REQUIRE(cpu_backend_emu.set_debug(&f->v, true, NULL, 0) == 0);
	CHECK_EQ(emu_step(f->cpu, 100), VCPU_EXIT_DEBUG);
	CHECK_EQ(f->cpu->rip, 0x1003);                      /* one MOV executed */
	CHECK_EQ(f->cpu->regs[REG_RCX] & 0xffff, 100);
	/* Breakpoint on the loop body (add %cx,%ax at 0x1005). */
	uint64_t bp = 0x1005;
	REQUIRE(cpu_backend_emu.set_debug(&f->v, false, &bp, 1) == 0);
	CHECK_EQ(emu_step(f->cpu, 100), VCPU_EXIT_DEBUG);
	CHECK_EQ(f->cpu->rip, 0x1005);
	CHECK_EQ(f->cpu->regs[REG_RAX] & 0xffff, 0);        /* stopped before it ran */
	CHECK_EQ(emu_step(f->cpu, 100), VCPU_EXIT_DEBUG);
	CHECK_EQ(f->cpu->rip, 0x1005);
	CHECK_EQ(f->cpu->regs[REG_RAX] & 0xffff, 100);      /* one iteration later */
	CHECK_EQ(f->cpu->regs[REG_RCX] & 0xffff, 99);
	REQUIRE(cpu_backend_emu.set_debug(&f->v, false, NULL, 0) == 0);
	CHECK_EQ(emu_step(f->cpu, 1000), VCPU_EXIT_HLT);
	CHECK_EQ(f->cpu->regs[REG_RAX] & 0xffff, 5050);
	fix_free(f);
}
