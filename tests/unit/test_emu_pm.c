/*
 * Emulator in protected and long mode: integer instructions in 32-bit code,
 * segment-load faults with their error codes, #UD, paging faults (CR2 and
 * error code bits, CR0.WP), call gates to an inner ring with the TSS stack
 * switch, IRET to ring 3, 64-bit code with REX and RIP-relative operands,
 * SYSCALL/SYSRET, IST interrupt delivery and IRETQ, and the triple fault.
 * Expected values follow the Intel SDM Vol. 3 (chapters 3-6) and Vol. 2.
 */
#include "emu/code.h"
#include "emu/fixture.h"

static const uint8_t hlt_code[] = { 0xf4 };

TEST(emu_pm_integer_misc)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	fix_prot32(f, pm_misc, sizeof(pm_misc));
	fix_put8(f, 0x402c, 0x80);
	fix_put8(f, 0x4053, 0x99);
	fix_put32(f, 0x4048, 0xcafebabe);
	CHECK_EQ(fix_run(f, 200), VCPU_EXIT_HLT);
	CHECK_EQ(fix_get(f, 0x4000, 4), 0x78563412);      /* BSWAP */
	CHECK_EQ(fix_get(f, 0x4004, 4), 12);              /* BSF 0x1000 */
	CHECK_EQ(fix_get(f, 0x4008, 4), 31);              /* BSR 0x80000001 */
	CHECK_EQ(fix_get(f, 0x4010, 4), 8);               /* BTS bit 35 of [0x400c] */
	CHECK_EQ(fix_get(f, 0x4014, 1), 1);               /* BT sees it */
	CHECK_EQ(fix_get(f, 0x4018, 4), 9);               /* CMPXCHG equal: stored */
	CHECK_EQ(fix_get(f, 0x401c, 1), 1);
	CHECK_EQ(fix_get(f, 0x4020, 4), 9);               /* not equal: EAX = memory */
	CHECK_EQ(fix_get(f, 0x4024, 4), 42);              /* XADD sum in memory */
	CHECK_EQ(fix_get(f, 0x4028, 4), 32);              /* old value in EAX */
	CHECK_EQ(fix_get(f, 0x4030, 4), 0xffffff80);      /* MOVSX */
	CHECK_EQ(fix_get(f, 0x4034, 1), 1);               /* -1 < 0 signed */
	CHECK_EQ(fix_get(f, 0x4035, 1), 1);               /* 0xffffffff > 0 unsigned */
	CHECK_EQ(fix_get(f, 0x4036, 1), 0);
	CHECK_EQ(fix_get(f, 0x4038, 4), 111);             /* CMOVG taken */
	CHECK_EQ(fix_get(f, 0x403c, 4), 0xffffffff);      /* CBW CWDE CDQ of 0x80 */
	CHECK_EQ(fix_get(f, 0x4040, 4), 0x1cb);           /* LEA -1 + 111*4 + 16 */
	CHECK_EQ(fix_get(f, 0x4044, 1), 0x99);            /* XLAT */
	CHECK_EQ(fix_get(f, 0x4048, 4), 0x11223344);      /* XCHG */
	CHECK_EQ(fix_get(f, 0x404c, 4), 0xcafebabe);
	fix_free(f);
}

/* Runs code that must fault with vector vec; the handler is a HLT at
 * 0x8000 + vec * 16 (32-bit interrupt gates). Returns the fixture. */
static struct emu_fix *run_fault32(const uint8_t *code, size_t len, unsigned vec)
{
	struct emu_fix *f = fix_new();
	if (!f)
		return NULL;
	fix_prot32(f, code, len);
	for (unsigned v = 0; v < 32; v++) {
		fix_put(f, 0x8000 + v * 16, hlt_code, 1);
		fix_gate32(f, v, SEL_CODE32, 0x8000 + v * 16, 0xe, 0);
	}
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.rip, 0x8000 + vec * 16 + 1);
	return f;
}

TEST(emu_pm_segment_load_faults)
{
	/* Not-present data segment: #NP with the selector as error code. */
	struct emu_fix *f = run_fault32(pm_load_np, sizeof(pm_load_np), EXC_NP);
	REQUIRE(f);
	CHECK_EQ(f->s.regs[REG_RSP], 0x7000 - 16);
	CHECK_EQ(fix_get(f, 0x7000 - 16, 4), SEL_NOTPRESENT);   /* error code */
	CHECK_EQ(fix_get(f, 0x7000 - 12, 4), 0x1004);           /* EIP of MOV DS */
	CHECK_EQ(fix_get(f, 0x7000 - 8, 4), SEL_CODE32);
	CHECK_EQ(f->s.seg[SEG_DS].selector, SEL_DATA);          /* DS unchanged */
	fix_free(f);
	/* Selector beyond the GDT limit: #GP(selector). */
	f = run_fault32(pm_load_bad, sizeof(pm_load_bad), EXC_GP);
	REQUIRE(f);
	CHECK_EQ(fix_get(f, 0x7000 - 16, 4), 0x1000);
	fix_free(f);
}

TEST(emu_pm_ud2)
{
	struct emu_fix *f = run_fault32(pm_ud2, sizeof(pm_ud2), EXC_UD);
	REQUIRE(f);
	/* #UD has no error code: the frame starts with the EIP of UD2. */
	CHECK_EQ(f->s.regs[REG_RSP], 0x7000 - 12);
	CHECK_EQ(fix_get(f, 0x7000 - 12, 4), 0x1001);
	fix_free(f);
}

/* 32-bit paging: PD at 0x10000, one page table at 0x11000 for 0-4 MiB,
 * identity, supervisor; 0x5000 not present, 0x4000 read-only. */
static void setup_paging32(struct emu_fix *f)
{
	fix_put32(f, 0x10000, 0x11000 | 3);
	for (uint32_t i = 0; i < 1024; i++)
		fix_put32(f, 0x11000 + i * 4, (i << 12) | 3);
	fix_put32(f, 0x11000 + 5 * 4, 0);
	fix_put32(f, 0x11000 + 4 * 4, 0x4000 | 1);
	f->s.cr3 = 0x10000;
	f->s.cr0 |= 0x80000000;
}

TEST(emu_pm_page_fault_not_present)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	fix_prot32(f, pm_paging, sizeof(pm_paging));
	for (unsigned v = 0; v < 32; v++) {
		fix_put(f, 0x8000 + v * 16, hlt_code, 1);
		fix_gate32(f, v, SEL_CODE32, 0x8000 + v * 16, 0xe, 0);
	}
	setup_paging32(f);
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.rip, 0x8000 + EXC_PF * 16 + 1);
	CHECK_EQ(f->s.cr2, 0x5000);
	CHECK_EQ(fix_get(f, 0x7000 - 16, 4), 0);            /* not present, read, supervisor */
	CHECK_EQ(fix_get(f, 0x7000 - 12, 4), 0x1000);
	/* The walk set the accessed bit in the PDE it used. */
	CHECK_EQ(fix_get(f, 0x10000, 4) & 0x20, 0x20);
	fix_free(f);
}

TEST(emu_pm_page_fault_write_protect)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	fix_prot32(f, pm_paging_wp, sizeof(pm_paging_wp));
	for (unsigned v = 0; v < 32; v++) {
		fix_put(f, 0x8000 + v * 16, hlt_code, 1);
		fix_gate32(f, v, SEL_CODE32, 0x8000 + v * 16, 0xe, 0);
	}
	setup_paging32(f);
	f->s.cr0 |= 1u << 16;   /* WP */
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.rip, 0x8000 + EXC_PF * 16 + 1);
	CHECK_EQ(f->s.cr2, 0x4000);
	CHECK_EQ(fix_get(f, 0x7000 - 16, 4), 3);            /* present, write, supervisor */
	fix_free(f);

	/* Without CR0.WP a supervisor write to a read-only page succeeds and
	 * sets the dirty bit. */
	f = fix_new();
	REQUIRE(f);
	fix_prot32(f, pm_paging_wp, sizeof(pm_paging_wp));
	setup_paging32(f);
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.regs[REG_RBX], 0x77);
	CHECK_EQ(fix_get(f, 0x11000 + 4 * 4, 4) & 0x60, 0x60);   /* accessed + dirty */
	fix_free(f);
}

TEST(emu_pm_call_gate_to_ring0)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	fix_prot32(f, pm_user_call, sizeof(pm_user_call));
	fix_put(f, 0x8000, pm_gate_target, sizeof(pm_gate_target));
	/* Ring 3 caller: CS 0x33, SS/DS 0x3b. */
	vcpu_segment_flat(&f->s.seg[SEG_CS], SEL_UCODE32 | 3, 0xb, false, true);
	f->s.seg[SEG_CS].dpl = 3;
	for (unsigned i = 0; i < SEG_COUNT; i++)
		if (i != SEG_CS) {
			vcpu_segment_flat(&f->s.seg[i], SEL_UDATA | 3, 0x3, false, true);
			f->s.seg[i].dpl = 3;
		}
	/* 32-bit call gate at 0x50, DPL 3, to 0x08:0x8000, no parameters. */
	uint64_t gate = 0x8000 | ((uint64_t)SEL_CODE32 << 16) | (0xecULL << 40);
	fix_put64(f, 0x800 + SEL_GATE, gate);
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.rip, 0x8000 + sizeof(pm_gate_target));
	CHECK_EQ(f->s.seg[SEG_CS].selector, SEL_CODE32);
	/* New stack from TSS (SS0:ESP0 = 0x10:0x7800) holds SS, ESP, CS, EIP. */
	CHECK_EQ(f->s.regs[REG_RBX], 0x7800 - 16);
	CHECK_EQ(f->s.regs[REG_RCX] & 0xffff, SEL_DATA);
	CHECK_EQ(f->s.regs[REG_RDX], SEL_UDATA | 3);             /* caller SS at +12 */
	CHECK_EQ(fix_get(f, 0x7800 - 8, 4), 0x7000);            /* caller ESP */
	CHECK_EQ(fix_get(f, 0x7800 - 12, 4), SEL_UCODE32 | 3);  /* caller CS */
	CHECK_EQ(fix_get(f, 0x7800 - 16, 4), 0x1007);           /* return EIP */
	fix_free(f);
}

TEST(emu_pm_iret_to_ring3_and_int_back)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	fix_prot32(f, pm_iret_user, sizeof(pm_iret_user));
	fix_put(f, 0x8000, hlt_code, 1);
	fix_gate32(f, 0x40, SEL_CODE32, 0x8000, 0xe, 3);
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.rip, 0x8001);
	/* Ring 3 saw its own selectors. */
	CHECK_EQ(f->s.regs[REG_RAX] & 0xffff, SEL_UCODE32 | 3);
	CHECK_EQ(f->s.regs[REG_RBX] & 0xffff, SEL_UDATA | 3);
	/* INT 0x40 from ring 3 switched to SS0:ESP0 and pushed SS ESP EFLAGS CS EIP. */
	CHECK_EQ(f->s.regs[REG_RSP], 0x7800 - 20);
	CHECK_EQ(fix_get(f, 0x7800 - 4, 4), SEL_UDATA | 3);
	CHECK_EQ(fix_get(f, 0x7800 - 8, 4), 0x6000);
	CHECK_EQ(fix_get(f, 0x7800 - 16, 4), SEL_UCODE32 | 3);
	CHECK_EQ(f->s.seg[SEG_SS].selector, SEL_DATA);
	fix_free(f);
}

TEST(emu_pm_int_gate_dpl_check)
{
	/* INT n from ring 3 through a DPL 0 gate: #GP(vector * 8 + 2). */
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	fix_prot32(f, pm_iret_user, sizeof(pm_iret_user));
	for (unsigned v = 0; v < 32; v++) {
		fix_put(f, 0x8000 + v * 16, hlt_code, 1);
		fix_gate32(f, v, SEL_CODE32, 0x8000 + v * 16, 0xe, 0);
	}
	fix_gate32(f, 0x40, SEL_CODE32, 0x8000, 0xe, 0);
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.rip, 0x8000 + EXC_GP * 16 + 1);
	CHECK_EQ(fix_get(f, f->s.regs[REG_RSP], 4), 0x40 * 8 + 2);
	fix_free(f);
}

TEST(emu_pm_triple_fault)
{
	/* IDT limit 0: #UD cannot be delivered (#GP), nor can #GP (#DF), nor
	 * #DF: shutdown. */
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	fix_prot32(f, pm_ud2, sizeof(pm_ud2));
	f->s.idt.limit = 0;
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_SHUTDOWN);
	/* Shutdown is a halted state: running again executes nothing. */
	uint64_t n = f->cpu->icount;
	CHECK_EQ(emu_step(f->cpu, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->cpu->icount, n);
	fix_free(f);
}

TEST(emu_lm_basic_64bit)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	fix_long(f, lm_basic, sizeof(lm_basic));
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.regs[REG_R9], 0x2468acf13579bde0ULL);
	uint64_t data = 0x1000 + sizeof(lm_basic) - 12;
	CHECK_EQ(fix_get(f, data, 8), 0x2468acf13579bde0ULL);   /* RIP-relative store */
	CHECK_EQ(f->s.regs[REG_R10], 0xffffffff80000000ULL);    /* MOVSXD */
	CHECK_EQ(f->s.regs[REG_R11], 0xffffffff80000000ULL);    /* PUSH/POP 64 */
	CHECK_EQ(f->s.regs[REG_RAX], 0xffffffffULL);            /* 32-bit write zero-extends */
	CHECK_EQ(f->s.regs[REG_RCX], 0xffffffffULL);
	CHECK_EQ(f->s.regs[REG_RDX], 0x1122334455667799ULL);    /* 8-bit write merges */
	CHECK_EQ(f->s.regs[REG_RSI] & 0xff, 0x99);              /* SIL via REX */
	CHECK_EQ(f->s.regs[REG_RSP], 0x7000);
	fix_free(f);
}

TEST(emu_lm_sysret_syscall)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	fix_long(f, lm_sysret, sizeof(lm_sysret));
	fix_put(f, 0x8000, hlt_code, 1);
	fix_set_msr(&f->s, 0xc0000081, (0x30ULL << 48) | (0x18ULL << 32));   /* STAR */
	fix_set_msr(&f->s, 0xc0000082, 0x8000);                                 /* LSTAR */
	fix_set_msr(&f->s, 0xc0000084, 0x200);                                  /* SFMASK: IF */
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.rip, 0x8001);
	/* SYSCALL: CS = STAR[47:32], SS = +8, RCX = next RIP, R11 = RFLAGS. */
	CHECK_EQ(f->s.seg[SEG_CS].selector, 0x18);
	CHECK_EQ(f->s.seg[SEG_SS].selector, 0x20);
	CHECK_EQ(f->s.regs[REG_RCX], 0x1000 + sizeof(lm_sysret) - 1);
	CHECK_EQ(f->s.regs[REG_R11] & 0x3c7fd7, 0x202);
	CHECK_EQ(f->s.rflags & 0x200, 0);                    /* masked by SFMASK */
	CHECK_EQ(f->s.regs[REG_RDI], 42);                    /* ran in ring 3 */
	fix_free(f);
}

TEST(emu_lm_ist_interrupt_iretq)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	fix_long(f, lm_int_ist, sizeof(lm_int_ist));
	fix_put(f, 0x8000, lm_int_handler, sizeof(lm_int_handler));
	fix_gate64(f, 0x80, SEL_CODE64, 0x8000, 0xe, 0, 1);
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	/* The handler ran on IST1 (0x9000) with a 5-slot frame. */
	CHECK_EQ(f->s.regs[REG_RBX], 0x9000 - 40);
	CHECK_EQ(f->s.regs[REG_RCX], SEL_CODE64);            /* CS slot */
	CHECK_EQ(f->s.regs[REG_RSP], 0x7000);                /* IRETQ restored RSP */
	CHECK_EQ(f->s.rip, 0x1000 + sizeof(lm_int_ist));
	fix_free(f);
}

TEST(emu_lm_page_fault_error_code)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	fix_long(f, lm_pf, sizeof(lm_pf));
	fix_put(f, 0x8000, lm_pf_handler, sizeof(lm_pf_handler));
	fix_gate64(f, EXC_PF, SEL_CODE64, 0x8000, 0xe, 0, 0);
	fix_put64(f, 0x13000 + 5 * 8, 0x5000 | 5);           /* present, user, read-only */
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.regs[REG_RAX], 0x5000);                /* CR2 */
	CHECK_EQ(f->s.regs[REG_RBX], 3);                     /* present + write */
	fix_free(f);
}

TEST(emu_lm_nx_fetch_fault)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	fix_long(f, lm_pf, sizeof(lm_pf));
	fix_put(f, 0x8000, lm_pf_handler, sizeof(lm_pf_handler));
	fix_gate64(f, EXC_PF, SEL_CODE64, 0x8000, 0xe, 0, 0);
	fix_put64(f, 0x13000 + 1 * 8, 0x1000 | 7 | (1ULL << 63));   /* code page NX */
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.regs[REG_RAX], 0x1000);
	CHECK_EQ(f->s.regs[REG_RBX], 0x11);                  /* present + instruction fetch */
	fix_free(f);
}
