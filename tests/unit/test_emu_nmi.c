/*
 * NMI blocking (SDM Vol. 3, 6.7.1): delivering an NMI blocks further NMIs
 * until the next IRET, which unblocks them even when it faults.
 */
#include "emu/fixture.h"

/* [code64 at 0x8200]  inc %eax; iretq */
static const uint8_t nmi_handler[] = { 0xff, 0xc0, 0x48, 0xcf };
/* [code64 at 0x8400]  #GP: add $8, %rsp (error code); inc %edx; hlt */
static const uint8_t gp_handler[] = { 0x48, 0x83, 0xc4, 0x08, 0xff, 0xc2, 0xf4 };
/* [code64 at 0x1000]  hlt */
static const uint8_t hlt[] = { 0xf4 };
/* [code64 at 0x1000]  iretq */
static const uint8_t iretq[] = { 0x48, 0xcf };

TEST(emu_nmi_blocked_until_iret)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	fix_long(f, hlt, sizeof(hlt));
	fix_put(f, 0x8200, nmi_handler, sizeof(nmi_handler));
	fix_gate64(f, EXC_NMI, SEL_CODE64, 0x8200, 0xe, 0, 0);
	f->s.regs[REG_RAX] = 0;
	f->s.events.nmi_pending = 1;
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.regs[REG_RAX], 1);            /* the handler ran once */
	CHECK_EQ(f->s.rip, 0x1001);                 /* and returned to the HLT */
	CHECK_EQ(f->s.events.nmi_masked, 0);        /* its IRET unblocked NMIs */
	/* So a second NMI is taken too. */
	f->s.rip = 0x1000;
	f->s.events.nmi_pending = 1;
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.regs[REG_RAX], 2);
	/* While blocked (no IRET yet), a pending NMI waits. */
	f->s.rip = 0x1000;
	f->s.events.nmi_masked = 1;
	f->s.events.nmi_pending = 1;
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.regs[REG_RAX], 2);
	CHECK_EQ(f->s.events.nmi_pending, 1);
	fix_free(f);
}

TEST(emu_nmi_unblocked_by_faulting_iret)
{
	/* Inside an NMI handler (NMIs blocked, one pending), an IRET whose
	 * frame has CS = 0 raises #GP; NMIs are unblocked all the same, so
	 * the pending NMI is taken before the #GP handler's first
	 * instruction: its handler runs, then the #GP handler's. */
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	fix_long(f, iretq, sizeof(iretq));
	fix_put(f, 0x8200, nmi_handler, sizeof(nmi_handler));
	fix_put(f, 0x8400, gp_handler, sizeof(gp_handler));
	fix_gate64(f, EXC_NMI, SEL_CODE64, 0x8200, 0xe, 0, 0);
	fix_gate64(f, EXC_GP, SEL_CODE64, 0x8400, 0xe, 0, 0);
	fix_put64(f, 0x7000, 0x1000);   /* RIP */
	fix_put64(f, 0x7008, 0);        /* CS: null, #GP(0) */
	fix_put64(f, 0x7010, 2);        /* RFLAGS */
	fix_put64(f, 0x7018, 0x7000);   /* RSP */
	fix_put64(f, 0x7020, SEL_DATA); /* SS */
	f->s.regs[REG_RAX] = 0;
	f->s.regs[REG_RDX] = 0;
	f->s.events.nmi_masked = 1;
	f->s.events.nmi_pending = 1;
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.rip, 0x8400 + sizeof(gp_handler));
	CHECK_EQ(f->s.regs[REG_RDX], 1);            /* #GP taken */
	CHECK_EQ(f->s.regs[REG_RAX], 1);            /* and the NMI */
	CHECK_EQ(f->s.events.nmi_masked, 0);
	fix_free(f);
}
