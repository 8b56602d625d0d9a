/*
 * The emulator's system features that CPUID advertises (cpu/cpuid.c),
 * checked against the SDM: INT n through a DPL 0 gate in long mode (Vol. 3,
 * 6.12.1.1 and 6.13: #GP with the IDT bit and the vector in the index
 * field), MTRR and PAT writes (Vol. 3, 11.11.2 and 11.12.2: reserved types
 * and bits #GP), SMEP and SMAP (Vol. 3, 4.6.1 and 4.7: the fault and its
 * error code, STAC/CLAC, implicit accesses at CPL 3), UMIP (Vol. 3,
 * 2.5), PCID (Vol. 3, 4.10.1: CR4.PCIDE rules, CR3 bit 63 not stored),
 * INVPCID and INVLPG (Vol. 3, 4.10.4.1: a large page is dropped whole),
 * RDTSCP and RDPID with IA32_TSC_AUX, RD/WR FS/GS BASE (Vol. 2), VEX
 * decoding (Vol. 2, 2.3: C4/C5 in 32-bit mode are LES/LDS unless the next
 * byte has mod = 11; AVX forms #UD), and the CPUID model's coherence (leaves 1, 4
 * and 0xB describe the same topology).
 */
#include "emu/fixture.h"

/* [code64 at 0x1000]
 *   int $0x40
 *   hlt */
static const uint8_t feat_int40[] = {
	0xcd, 0x40, 0xf4,
};

/* [code64 at 0x8000]
 *   mov %cr2, %rax
 *   pop %rbx
 *   hlt */
static const uint8_t feat_pf_handler[] = {
	0x0f, 0x20, 0xd0, 0x5b, 0xf4,
};

/* [code64 at 0x8100]
 *   pop %rbx
 *   hlt */
static const uint8_t feat_gp_handler[] = {
	0x5b, 0xf4,
};

/* [code64 at 0x1000]
 *   call *%rax
 *   hlt */
static const uint8_t feat_call_rax[] = {
	0xff, 0xd0, 0xf4,
};

/* [code64 at 0x1000]
 *   stac
 *   mov 0x5000, %esi
 *   clac
 *   mov 0x5000, %edi
 *   hlt */
static const uint8_t feat_smap[] = {
	0x0f, 0x01, 0xcb, 0x8b, 0x34, 0x25, 0x00, 0x50, 0x00, 0x00, 0x0f, 0x01,
	0xca, 0x8b, 0x3c, 0x25, 0x00, 0x50, 0x00, 0x00, 0xf4,
};

/* [code64 at 0x1000]
 *   sgdt 0x5000
 *   smsw %eax
 *   hlt */
static const uint8_t feat_umip[] = {
	0x0f, 0x01, 0x04, 0x25, 0x00, 0x50, 0x00, 0x00, 0x0f, 0x01, 0xe0, 0xf4,
};

/* [code64 at 0x1000]
 *   mov %cr4, %rax
 *   or $0x20000, %rax
 *   mov %rax, %cr4
 *   mov %rbx, %cr3
 *   mov %cr3, %rdx
 *   hlt */
static const uint8_t feat_cr3_pcid[] = {
	0x0f, 0x20, 0xe0, 0x48, 0x0d, 0x00, 0x00, 0x02, 0x00, 0x0f, 0x22, 0xe0,
	0x0f, 0x22, 0xdb, 0x0f, 0x20, 0xda, 0xf4,
};

/* [code64 at 0x1000]
 *   mov 0x5000, %esi
 *   movq $0x6007, 0x13028
 *   invpcid 0x4100, %rax
 *   mov 0x5000, %edi
 *   hlt */
static const uint8_t feat_invpcid[] = {
	0x8b, 0x34, 0x25, 0x00, 0x50, 0x00, 0x00, 0x48, 0xc7, 0x04, 0x25, 0x28,
	0x30, 0x01, 0x00, 0x07, 0x60, 0x00, 0x00, 0x66, 0x0f, 0x38, 0x82, 0x04,
	0x25, 0x00, 0x41, 0x00, 0x00, 0x8b, 0x3c, 0x25, 0x00, 0x50, 0x00, 0x00,
	0xf4,
};

/* [code64 at 0x1000]
 *   mov 0x40005000, %esi
 *   mov 0x40000000, %ecx
 *   movq $0x83, 0x14000
 *   invlpg 0x40000000
 *   mov 0x40005000, %edi
 *   hlt */
static const uint8_t feat_invlpg_large[] = {
	0x8b, 0x34, 0x25, 0x00, 0x50, 0x00, 0x40, 0x8b, 0x0c, 0x25, 0x00, 0x00,
	0x00, 0x40, 0x48, 0xc7, 0x04, 0x25, 0x00, 0x40, 0x01, 0x00, 0x83, 0x00,
	0x00, 0x00, 0x0f, 0x01, 0x3c, 0x25, 0x00, 0x00, 0x00, 0x40, 0x8b, 0x3c,
	0x25, 0x00, 0x50, 0x00, 0x40, 0xf4,
};

/* [code64 at 0x1000]
 *   rdtscp
 *   hlt */
static const uint8_t feat_rdtscp[] = {
	0x0f, 0x01, 0xf9, 0xf4,
};

/* [code64 at 0x1000]
 *   popcnt %rbx, %rax
 *   lzcnt %ecx, %edx
 *   tzcnt %bx, %si
 *   movbe 0x4000, %rdi
 *   movbe %ecx, 0x4008
 *   lea 0x4010, %rbp
 *   cmpxchg16b (%rbp)
 *   hlt */
static const uint8_t feat_bits[] = {
	0xf3, 0x48, 0x0f, 0xb8, 0xc3, 0xf3, 0x0f, 0xbd, 0xd1, 0x66, 0xf3, 0x0f,
	0xbc, 0xf3, 0x48, 0x0f, 0x38, 0xf0, 0x3c, 0x25, 0x00, 0x40, 0x00, 0x00,
	0x0f, 0x38, 0xf1, 0x0c, 0x25, 0x08, 0x40, 0x00, 0x00, 0x48, 0x8d, 0x2c,
	0x25, 0x10, 0x40, 0x00, 0x00, 0x48, 0x0f, 0xc7, 0x4d, 0x00, 0xf4,
};

/* [code64 at 0x1000]
 *   wrfsbase %rax
 *   rdfsbase %r8
 *   wrgsbase %ecx
 *   rdgsbase %rdx
 *   rdfsbase %esi
 *   rdpid %rdi
 *   hlt */
static const uint8_t feat_fsgsbase[] = {
	0xf3, 0x48, 0x0f, 0xae, 0xd0, 0xf3, 0x49, 0x0f, 0xae, 0xc0, 0xf3, 0x0f,
	0xae, 0xd9, 0xf3, 0x48, 0x0f, 0xae, 0xca, 0xf3, 0x0f, 0xae, 0xc6, 0xf3,
	0x0f, 0xc7, 0xff, 0xf4,
};

/*   wrmsr
 *   hlt */
static const uint8_t feat_wrmsr[] = { 0x0f, 0x30, 0xf4 };

static const uint8_t feat_hlt[] = { 0xf4 };

/* Long mode at CPL 3: user code and data selectors. */
static void feat_ring3(struct emu_fix *f)
{
	vcpu_segment_flat(&f->s.seg[SEG_CS], SEL_UCODE64 | 3, 0xb, true, false);
	f->s.seg[SEG_CS].dpl = 3;
	for (unsigned i = 0; i < SEG_COUNT; i++)
		if (i != SEG_CS) {
			vcpu_segment_flat(&f->s.seg[i], SEL_UDATA | 3, 0x3, false, true);
			f->s.seg[i].dpl = 3;
		}
}

/* Every 4 KiB page of the first 2 MiB supervisor-only except 0x5000. */
static void feat_user_page_5000(struct emu_fix *f)
{
	for (uint64_t i = 0; i < 512; i++)
		fix_put64(f, 0x13000 + i * 8, (i << 12) | (i == 5 ? 7 : 3));
}

/* #PF handler at 0x8000 (RAX = CR2, RBX = error code), #GP handler at
 * 0x8100 (RBX = error code). */
static void feat_handlers(struct emu_fix *f)
{
	fix_put(f, 0x8000, feat_pf_handler, sizeof(feat_pf_handler));
	fix_put(f, 0x8100, feat_gp_handler, sizeof(feat_gp_handler));
	fix_gate64(f, EXC_PF, SEL_CODE64, 0x8000, 0xe, 0, 0);
	fix_gate64(f, EXC_GP, SEL_CODE64, 0x8100, 0xe, 0, 0);
}

#define PF_HANDLED (0x8000 + sizeof(feat_pf_handler))
#define GP_HANDLED (0x8100 + sizeof(feat_gp_handler))

TEST(emu_lm_int_dpl0_gate_from_cpl3)
{
	/* The error code names the gate as in protected mode: vector * 8 + 2
	 * (IDT bit), though long-mode gates are 16 bytes. */
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	fix_long(f, feat_int40, sizeof(feat_int40));
	feat_ring3(f);
	feat_handlers(f);
	fix_put(f, 0x8200, feat_hlt, 1);
	fix_gate64(f, 0x40, SEL_CODE64, 0x8200, 0xe, 0, 0);
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.rip, GP_HANDLED);
	CHECK_EQ(f->s.regs[REG_RBX], 0x40 * 8 + 2);
	/* Through a DPL 3 gate the same INT reaches its handler. */
	fix_long(f, feat_int40, sizeof(feat_int40));
	feat_ring3(f);
	fix_gate64(f, 0x40, SEL_CODE64, 0x8200, 0xe, 3, 0);
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.rip, 0x8201);
	fix_free(f);
}

TEST(emu_mtrr_pat_reserved_values)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	struct emu_cpu *c = f->cpu;
	uint64_t v = 0;
	/* MTRRcap: 8 variable ranges, fixed ranges, WC; read-only. */
	CHECK_EQ(emu_rdmsr(c, 0xfe, &v), 0);
	CHECK_EQ(v, 0x508);
	CHECK(emu_wrmsr(c, 0xfe, 0x508) < 0);
	/* MTRRdefType: type 7:0, FE 10, E 11; types 2, 3, 7 are reserved. */
	CHECK_EQ(emu_wrmsr(c, 0x2ff, 0xc06), 0);
	CHECK_EQ(emu_rdmsr(c, 0x2ff, &v), 0);
	CHECK_EQ(v, 0xc06);
	CHECK(emu_wrmsr(c, 0x2ff, 0x1006) < 0);
	CHECK(emu_wrmsr(c, 0x2ff, 0x106) < 0);
	CHECK(emu_wrmsr(c, 0x2ff, 0xc02) < 0);
	CHECK(emu_wrmsr(c, 0x2ff, 0xc07) < 0);
	CHECK_EQ(emu_rdmsr(c, 0x2ff, &v), 0);
	CHECK_EQ(v, 0xc06);   /* a refused write changes nothing */
	/* Fixed ranges: eight type bytes. */
	CHECK_EQ(emu_wrmsr(c, 0x250, 0x0606060606060606ULL), 0);
	CHECK_EQ(emu_wrmsr(c, 0x268, 0x0504010006060606ULL), 0);
	CHECK(emu_wrmsr(c, 0x259, 0x0706060606060606ULL) < 0);
	CHECK(emu_wrmsr(c, 0x26f, 0x0606060606060603ULL) < 0);
	/* PHYSBASE: type, bits 11:8 and 63:40 (MAXPHYADDR 40) reserved. */
	CHECK_EQ(emu_wrmsr(c, 0x200, 0x80000006ULL), 0);
	CHECK(emu_wrmsr(c, 0x200, 0x80000806ULL) < 0);
	CHECK(emu_wrmsr(c, 0x202, (1ULL << 40) | 6) < 0);
	CHECK(emu_wrmsr(c, 0x204, 0x80000002ULL) < 0);
	/* PHYSMASK: valid bit 11, bits 10:0 and 63:40 reserved. */
	CHECK_EQ(emu_wrmsr(c, 0x201, 0xff80000800ULL), 0);
	CHECK_EQ(emu_rdmsr(c, 0x201, &v), 0);
	CHECK_EQ(v, 0xff80000800ULL);
	CHECK(emu_wrmsr(c, 0x201, 0xff80000c00ULL) < 0);
	CHECK(emu_wrmsr(c, 0x20f, 0x1ff80000800ULL) < 0);
	/* PAT: eight entries of types 0 1 4 5 6 7. */
	CHECK_EQ(emu_wrmsr(c, 0x277, 0x0007040600070406ULL), 0);
	CHECK_EQ(emu_wrmsr(c, 0x277, 0x0105040607000106ULL), 0);
	CHECK(emu_wrmsr(c, 0x277, 0x0007040600070402ULL) < 0);
	CHECK(emu_wrmsr(c, 0x277, 0x0307040600070406ULL) < 0);
	CHECK(emu_wrmsr(c, 0x277, 0x0007040600070486ULL) < 0);
	/* Through the instruction: WRMSR of a reserved value is #GP(0). */
	fix_long(f, feat_wrmsr, sizeof(feat_wrmsr));
	feat_handlers(f);
	f->s.regs[REG_RCX] = 0x2ff;
	f->s.regs[REG_RAX] = 0x1006;
	f->s.regs[REG_RDX] = 0;
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.rip, GP_HANDLED);
	CHECK_EQ(f->s.regs[REG_RBX], 0);
	fix_free(f);
}

TEST(emu_smep_blocks_supervisor_fetch_from_user_page)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	for (int smep = 0; smep < 2; smep++) {
		fix_long(f, feat_call_rax, sizeof(feat_call_rax));
		feat_user_page_5000(f);
		feat_handlers(f);
		fix_put(f, 0x5000, feat_hlt, 1);
		f->s.regs[REG_RAX] = 0x5000;
		if (smep)
			f->s.cr4 |= 1u << 20;
		CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
		if (!smep) {
			CHECK_EQ(f->s.rip, 0x5001);
			continue;
		}
		/* #PF at the fetch: CR2 = 0x5000, error code P | I/D. */
		CHECK_EQ(f->s.rip, PF_HANDLED);
		CHECK_EQ(f->s.regs[REG_RAX], 0x5000);
		CHECK_EQ(f->s.regs[REG_RBX], 0x11);
	}
	fix_free(f);
}

TEST(emu_smap_stac_clac)
{
	/* Supervisor reads of a user page: allowed after STAC, refused after
	 * CLAC even though the first read had cached the translation. */
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	fix_long(f, feat_smap, sizeof(feat_smap));
	feat_user_page_5000(f);
	feat_handlers(f);
	fix_put32(f, 0x5000, 0x5a5a1234);
	f->s.cr4 |= 1u << 21;
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.regs[REG_RSI], 0x5a5a1234);
	CHECK_EQ(f->s.rip, PF_HANDLED);
	CHECK_EQ(f->s.regs[REG_RAX], 0x5000);
	CHECK_EQ(f->s.regs[REG_RBX], 0x1);   /* P, read, supervisor */
	CHECK_EQ(f->s.regs[REG_RDI], 0);
	/* Without SMAP both reads succeed. */
	fix_long(f, feat_smap, sizeof(feat_smap));
	feat_user_page_5000(f);
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.rip, 0x1000 + sizeof(feat_smap));
	CHECK_EQ(f->s.regs[REG_RDI], 0x5a5a1234);
	/* STAC at CPL 3 is #UD. */
	fix_long(f, feat_smap, sizeof(feat_smap));
	feat_ring3(f);
	fix_put(f, 0x8200, feat_hlt, 1);
	fix_gate64(f, EXC_UD, SEL_CODE64, 0x8200, 0xe, 0, 0);
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.rip, 0x8201);
	fix_free(f);
}

TEST(emu_smap_implicit_access_at_cpl3)
{
	/* With the IDT and TSS in user pages, an interrupt from CPL 3 reads
	 * them with implicit supervisor accesses: SMAP refuses those whatever
	 * EFLAGS.AC says, so the #PF cannot be delivered either (#DF, then
	 * shutdown). Without SMAP the handler runs. */
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	for (int smap = 0; smap < 2; smap++) {
		fix_long(f, feat_int40, sizeof(feat_int40));
		feat_ring3(f);
		feat_handlers(f);
		fix_put(f, 0x8200, feat_hlt, 1);
		fix_gate64(f, 0x40, SEL_CODE64, 0x8200, 0xe, 3, 0);
		f->s.rflags |= 1u << 18;   /* AC */
		if (smap)
			f->s.cr4 |= 1u << 21;
		int r = fix_run(f, 100);
		if (smap) {
			CHECK_EQ(r, VCPU_EXIT_SHUTDOWN);
		} else {
			CHECK_EQ(r, VCPU_EXIT_HLT);
			CHECK_EQ(f->s.rip, 0x8201);
		}
	}
	fix_free(f);
}

TEST(emu_umip)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	for (int umip = 0; umip < 2; umip++) {
		fix_long(f, feat_umip, sizeof(feat_umip));
		feat_ring3(f);
		feat_handlers(f);
		if (umip)
			f->s.cr4 |= 1u << 11;
		CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
		if (umip) {
			CHECK_EQ(f->s.rip, GP_HANDLED);
			CHECK_EQ(f->s.regs[REG_RBX], 0);
			CHECK_EQ(fix_get(f, 0x5000, 2), 0);   /* nothing stored */
		} else {
			/* HLT at CPL 3 is #GP too, after SGDT and SMSW ran. */
			CHECK_EQ(f->s.rip, GP_HANDLED);
			CHECK_EQ(fix_get(f, 0x5000, 2), 0x6f);       /* GDT limit */
			CHECK_EQ(fix_get(f, 0x5002, 8), 0x800);      /* GDT base */
			CHECK_EQ(f->s.regs[REG_RAX] & 0xffff, 0x11);   /* PE ET */
			fix_put64(f, 0x5000, 0);
			fix_put64(f, 0x5008, 0);
		}
	}
	fix_free(f);
}

TEST(emu_pcid_cr4_cr3)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	/* PCIDE with PCID 0: allowed; CR3 bit 63 (no flush) is not stored. */
	fix_long(f, feat_cr3_pcid, sizeof(feat_cr3_pcid));
	feat_handlers(f);
	f->s.regs[REG_RBX] = 0x10005 | (1ULL << 63);
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.rip, 0x1000 + sizeof(feat_cr3_pcid));
	CHECK_EQ(f->s.regs[REG_RDX], 0x10005);
	CHECK_EQ(f->s.cr4 & (1u << 17), 1u << 17);
	/* Setting PCIDE while CR3[11:0] is not 0: #GP(0). */
	fix_long(f, feat_cr3_pcid, sizeof(feat_cr3_pcid));
	feat_handlers(f);
	f->s.cr3 = 0x10008;   /* PWT */
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.rip, GP_HANDLED);
	CHECK_EQ(f->s.cr4 & (1u << 17), 0);
	/* Without PCIDE, bit 63 of CR3 is reserved: #GP(0). */
	fix_long(f, feat_cr3_pcid + 11, sizeof(feat_cr3_pcid) - 11);   /* from mov %rbx,%cr3 */
	feat_handlers(f);
	f->s.regs[REG_RBX] = 0x10000 | (1ULL << 63);
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.rip, GP_HANDLED);
	fix_free(f);
}

static void invpcid_setup(struct emu_fix *f, uint64_t type, uint64_t desc_lo)
{
	fix_long(f, feat_invpcid, sizeof(feat_invpcid));
	feat_handlers(f);
	fix_put32(f, 0x5000, 0x11111111);
	fix_put32(f, 0x6000, 0x22222222);
	fix_put64(f, 0x4100, desc_lo);
	fix_put64(f, 0x4108, 0x5000);
	f->s.regs[REG_RAX] = type;
}

TEST(emu_invpcid)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	/* Type 0 (one address) drops the cached translation of 0x5000. */
	invpcid_setup(f, 0, 0);
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.rip, 0x1000 + sizeof(feat_invpcid));
	CHECK_EQ(f->s.regs[REG_RSI], 0x11111111);
	CHECK_EQ(f->s.regs[REG_RDI], 0x22222222);
	/* Types 1-3 drop it too (single context, all with and without globals). */
	for (uint64_t t = 1; t <= 3; t++) {
		invpcid_setup(f, t, 0);
		CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
		CHECK_EQ(f->s.regs[REG_RDI], 0x22222222);
	}
	/* #GP(0): type above 3, descriptor bits 63:12 set, a PCID other than
	 * 0 for types 0 and 1 while CR4.PCIDE = 0. */
	invpcid_setup(f, 4, 0);
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.rip, GP_HANDLED);
	invpcid_setup(f, 2, 1ULL << 12);
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.rip, GP_HANDLED);
	invpcid_setup(f, 1, 1);
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.rip, GP_HANDLED);
	fix_free(f);
}

TEST(emu_invlpg_drops_whole_large_page)
{
	/* Linear 0x40000000 is one 2 MiB page (PDPT[1] -> PD at 0x14000). The
	 * code reads two 4 KiB pieces of it, remaps it to another 2 MiB, and
	 * INVLPGs only the first piece: the other must see the new mapping. */
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	fix_long(f, feat_invlpg_large, sizeof(feat_invlpg_large));
	fix_put64(f, 0x11008, 0x14000 | 7);
	fix_put64(f, 0x14000, 0x200000 | 0x83);
	fix_put32(f, 0x205000, 0xaaaa);
	fix_put32(f, 0x5000, 0xbbbb);
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.rip, 0x1000 + sizeof(feat_invlpg_large));
	CHECK_EQ(f->s.regs[REG_RSI], 0xaaaa);
	CHECK_EQ(f->s.regs[REG_RDI], 0xbbbb);
	fix_free(f);
}

TEST(emu_rdtscp_tsc_aux)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	fix_long(f, feat_rdtscp, sizeof(feat_rdtscp));
	fix_set_msr(&f->s, 0xc0000103, 0x1234);
	f->s.regs[REG_RCX] = ~0ULL;
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.regs[REG_RCX], 0x1234);   /* IA32_TSC_AUX[31:0], zero-extended */
	/* IA32_TSC_AUX bits 63:32 are reserved. */
	CHECK(emu_wrmsr(f->cpu, 0xc0000103, 1ULL << 32) < 0);
	fix_free(f);
}

static void fsgsbase_setup(struct emu_fix *f, uint64_t fs, bool enable)
{
	fix_long(f, feat_fsgsbase, sizeof(feat_fsgsbase));
	feat_ring3(f);
	feat_handlers(f);
	fix_put(f, 0x8200, feat_hlt, 1);
	fix_gate64(f, EXC_UD, SEL_CODE64, 0x8200, 0xe, 0, 0);
	fix_set_msr(&f->s, 0xc0000103, 0x2a);
	if (enable)
		f->s.cr4 |= 1u << 16;
	f->s.regs[REG_RAX] = fs;
	f->s.regs[REG_RCX] = 0xffffffff89abcdefULL;
}

TEST(emu_fsgsbase_rdpid)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	/* At CPL 3 with CR4.FSGSBASE: 64-bit and 32-bit forms (a 32-bit write
	 * zero-extends the base, a 32-bit read gives its low half); RDPID
	 * reads IA32_TSC_AUX; HLT then faults (#GP), as CPL 3 must. */
	fsgsbase_setup(f, 0x123456789abcULL, true);
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.rip, GP_HANDLED);
	CHECK_EQ(f->s.regs[REG_R8], 0x123456789abcULL);
	CHECK_EQ(f->s.regs[REG_RDX], 0x89abcdefULL);
	CHECK_EQ(f->s.regs[REG_RSI], 0x56789abcULL);
	CHECK_EQ(f->s.regs[REG_RDI], 0x2a);
	CHECK_EQ(f->s.seg[SEG_FS].base, 0x123456789abcULL);
	CHECK_EQ(f->s.seg[SEG_GS].base, 0x89abcdefULL);
	/* A non-canonical base: #GP(0), FS base unchanged. */
	fsgsbase_setup(f, 0x0000800000000000ULL, true);
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.rip, GP_HANDLED);
	CHECK_EQ(f->s.regs[REG_RBX], 0);   /* error code */
	CHECK_EQ(f->s.seg[SEG_FS].base, 0);
	/* CR4.FSGSBASE clear: #UD. */
	fsgsbase_setup(f, 0x1000, false);
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.rip, 0x8201);
	CHECK_EQ(f->s.seg[SEG_FS].base, 0);
	fix_free(f);
}

/* [code32 at 0x1000]
 *   andn %eax, %ebx, %ecx
 *   les 0x4000, %edx
 *   hlt */
static const uint8_t feat_vex32[] = {
	0xc4, 0xe2, 0x60, 0xf2, 0xc8, 0xc4, 0x15, 0x00, 0x40, 0x00, 0x00, 0xf4,
};

/* [code64 at 0x1000]
 *   vaddps %xmm1, %xmm0, %xmm0
 *   hlt */
static const uint8_t feat_avx[] = { 0xc5, 0xf8, 0x58, 0xc1, 0xf4 };

TEST(emu_vex_decoding)
{
	/* In 32-bit protected mode C4 followed by mod = 11 is VEX (ANDN: ECX =
	 * ~EBX & EAX), followed by a memory ModRM it is still LES. */
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	fix_prot32(f, feat_vex32, sizeof(feat_vex32));
	f->s.regs[REG_RAX] = 0xff00ff00;
	f->s.regs[REG_RBX] = 0x0ff00ff0;
	fix_put32(f, 0x4000, 0x12345678);
	fix_put16(f, 0x4004, SEL_DATA);
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.rip, 0x1000 + sizeof(feat_vex32));
	CHECK_EQ(f->s.regs[REG_RCX], 0xf000f000);
	CHECK_EQ(f->s.regs[REG_RDX], 0x12345678);
	CHECK_EQ(f->s.seg[SEG_ES].selector, SEL_DATA);
	/* AVX is not advertised: a VEX-encoded VADDPS is #UD. */
	fix_long(f, feat_avx, sizeof(feat_avx));
	fix_put(f, 0x8200, feat_hlt, 1);
	fix_gate64(f, EXC_UD, SEL_CODE64, 0x8200, 0xe, 0, 0);
	f->s.cr4 |= 0x600;   /* OSFXSR, OSXMMEXCPT */
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.rip, 0x8201);
	CHECK_EQ(fix_get(f, 0x7000 - 40, 8), 0x1000);   /* the frame's RIP: the VEX insn */
	fix_free(f);
}

TEST(emu_bit_instructions)
{
	/* POPCNT, LZCNT, TZCNT, MOVBE and CMPXCHG16B, with values worked out
	 * by hand from the SDM's definitions (the random comparison against
	 * the real CPU is tests/diff's gen_bits.c). */
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	fix_long(f, feat_bits, sizeof(feat_bits));
	f->s.regs[REG_RBX] = 0xf0f0000000000300ULL;   /* 10 bits set; bx: 9 trailing zeros */
	f->s.regs[REG_RCX] = 0x00012345;              /* 15 leading zeros in 32 bits */
	fix_put64(f, 0x4000, 0x0102030405060708ULL);
	fix_put64(f, 0x4010, 7);
	fix_put64(f, 0x4018, 9);
	f->s.regs[REG_RAX] = 7;   /* CMPXCHG16B expects RDX:RAX = 9:7 ... */
	f->s.regs[REG_RDX] = 9;
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	/* POPCNT wrote RAX = 10 and LZCNT RDX = 15 before CMPXCHG16B compared
	 * RDX:RAX = 15:10 with memory 9:7: no match, memory loaded into them. */
	CHECK_EQ(f->s.regs[REG_RSI] & 0xffff, 8);
	CHECK_EQ(f->s.regs[REG_RDI], 0x0807060504030201ULL);
	CHECK_EQ(fix_get(f, 0x4008, 4), 0x45230100);
	CHECK_EQ(f->s.regs[REG_RAX], 7);
	CHECK_EQ(f->s.regs[REG_RDX], 9);
	CHECK_EQ(f->s.rflags & (1u << 6), 0);   /* ZF clear: no exchange */
	fix_free(f);
}

TEST(emu_cpuid_topology_coherent)
{
	/* Leaf 1 EBX[23:16], leaf 4 EAX[31:26] and leaf 0xB's core level
	 * agree: IDs for the next power of two of vCPUs; each vCPU's APIC ID
	 * is the same in leaves 1 and 0xB. */
	for (unsigned n = 1; n <= 9; n++) {
		unsigned bits = 0;
		while ((1u << bits) < n)
			bits++;
		for (unsigned i = 0; i < n; i++) {
			struct cpuid_regs r1, r4, rb0, rb1, rb2;
			cpuid_model(i, n, 1, 0, &r1);
			cpuid_model(i, n, 4, 0, &r4);
			cpuid_model(i, n, 0xb, 0, &rb0);
			cpuid_model(i, n, 0xb, 1, &rb1);
			cpuid_model(i, n, 0xb, 2, &rb2);
			CHECK_EQ(r1.ebx >> 24, i);
			CHECK_EQ(rb0.edx, i);
			CHECK_EQ((rb0.ecx >> 8) & 0xff, 1);   /* SMT */
			CHECK_EQ(rb0.ebx & 0xffff, 1);
			CHECK_EQ(rb0.eax & 0x1f, 0);
			CHECK_EQ((rb1.ecx >> 8) & 0xff, 2);   /* core */
			CHECK_EQ(rb1.ebx & 0xffff, n);
			CHECK_EQ(rb1.eax & 0x1f, bits);
			CHECK_EQ((rb2.ecx >> 8) & 0xff, 0);   /* end of levels */
			CHECK_EQ((r4.eax >> 26) + 1, 1u << bits);
			if (n > 1) {
				CHECK_EQ(r1.edx & (1u << 28), 1u << 28);
				CHECK_EQ((r1.ebx >> 16) & 0xff, 1u << bits);
			}
		}
	}
	/* Leaf 4: L1d, L1i, L2, L3, then type 0; line size 64 bytes; L3 is
	 * shared by the package, the others are per core. */
	static const unsigned type[] = { 1, 2, 3, 3, 0 }, level[] = { 1, 1, 2, 3, 0 };
	for (unsigned s = 0; s < 5; s++) {
		struct cpuid_regs r;
		cpuid_model(0, 4, 4, s, &r);
		CHECK_EQ(r.eax & 0x1f, type[s]);
		if (!type[s])
			break;
		CHECK_EQ((r.eax >> 5) & 7, level[s]);
		CHECK_EQ((r.ebx & 0xfff) + 1, 64);
		CHECK_EQ(((r.eax >> 14) & 0xfff) + 1, level[s] == 3 ? 4 : 1);
	}
}

TEST(emu_cpuid_advertises_what_runs)
{
	/* Every instruction-set bit the model sets has its instructions run
	 * above or in tests/diff (SMEP SMAP UMIP PCID INVPCID FSGSBASE RDPID
	 * CX16 POPCNT LZCNT MOVBE RDTSCP TSC-deadline BMI1 BMI2 XSAVE); bits whose instructions the emulator lacks stay
	 * clear. Values from the SDM's CPUID feature tables. */
	struct cpuid_regs r;
	cpuid_model(0, 1, 1, 0, &r);
	CHECK_EQ(r.ecx & (1u << 13), 1u << 13);   /* CX16 */
	CHECK_EQ(r.ecx & (1u << 17), 1u << 17);   /* PCID */
	CHECK_EQ(r.ecx & (1u << 22), 1u << 22);   /* MOVBE */
	CHECK_EQ(r.ecx & (1u << 23), 1u << 23);   /* POPCNT */
	CHECK_EQ(r.ecx & (1u << 24), 1u << 24);   /* TSC-deadline */
	CHECK_EQ(r.ecx & (1u << 3), 0);           /* MONITOR */
	CHECK_EQ(r.ecx & (1u << 26), 1u << 26);   /* XSAVE */
	CHECK_EQ(r.ecx & (1u << 27), 0);          /* OSXSAVE: CR4's, not the model's */
	CHECK_EQ(r.ecx & (1u << 21), 0);          /* x2APIC */
	CHECK_EQ(r.ecx & (1u << 28), 0);          /* AVX */
	cpuid_model(0, 1, 7, 0, &r);
	CHECK_EQ(r.ebx & (1u << 7), 1u << 7);     /* SMEP */
	CHECK_EQ(r.ebx & (1u << 10), 1u << 10);   /* INVPCID */
	CHECK_EQ(r.ebx & (1u << 20), 1u << 20);   /* SMAP */
	CHECK_EQ(r.ecx & (1u << 2), 1u << 2);     /* UMIP */
	CHECK_EQ(r.ebx & (1u << 3), 1u << 3);     /* BMI1 */
	CHECK_EQ(r.ebx & (1u << 8), 1u << 8);     /* BMI2 */
	CHECK_EQ(r.ebx & (1u << 5), 0);           /* AVX2 */
	CHECK_EQ(r.ebx & (1u << 0), 1u);          /* FSGSBASE */
	CHECK_EQ(r.ecx & (1u << 22), 1u << 22);   /* RDPID */
	cpuid_model(0, 1, 7, 1, &r);
	CHECK_EQ(r.eax | r.ebx | r.ecx | r.edx, 0);
	cpuid_model(0, 1, 0x80000001, 0, &r);
	CHECK_EQ(r.ecx & 1, 1);                   /* LAHF/SAHF */
	CHECK_EQ(r.ecx & (1u << 5), 1u << 5);     /* ABM (LZCNT) */
	CHECK_EQ(r.edx & (1u << 27), 1u << 27);   /* RDTSCP */
	/* XSAVE leaf (SDM Vol. 1, 13.2): x87 and SSE only, 512 + 64 bytes;
	 * no XSAVEOPT/XSAVEC/XGETBV1/XSAVES, no components past SSE. */
	cpuid_model(0, 1, 0, 0, &r);
	CHECK(r.eax >= 0xd);
	cpuid_model(0, 1, 0xd, 0, &r);
	CHECK_EQ(r.eax, 3);
	CHECK_EQ(r.ebx, 576);
	CHECK_EQ(r.ecx, 576);
	CHECK_EQ(r.edx, 0);
	for (unsigned sub = 1; sub < 4; sub++) {
		cpuid_model(0, 1, 0xd, sub, &r);
		CHECK_EQ(r.eax | r.ebx | r.ecx | r.edx, 0);
	}
}
