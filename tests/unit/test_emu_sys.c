/*
 * Emulator system behaviour: CPUID against the reset signature and the
 * documented model, port I/O (IN/OUT/OUTS) reaching the PIO bus, x87
 * control words after FNINIT (SDM Vol. 1, 8.1.5: FCW 0x37F), #NM with
 * CR0.TS, self-modifying and DMA-modified code (the decoded-instruction
 * cache must not run stale bytes), kick, HLT, state round trip, and a
 * fixed-seed batch of random byte sequences.
 */
#include "../fuzz/fuzz_emu_run.h"
#include "emu/code.h"
#include "emu/fixture.h"

TEST(emu_cpuid_model)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	fix_long(f, lm_cpuid, sizeof(lm_cpuid));
	struct vcpu_state reset;
	vcpu_state_reset(&reset, 0);
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	char vendor[13] = "";
	for (unsigned i = 0; i < 12; i++)
		vendor[i] = (char)fix_get(f, 0x4000 + i, 1);
	CHECK_STR(vendor, "GenuineIntel");
	/* SDM Vol. 3, 9.1.4: EDX after reset holds the CPUID.1 signature. */
	CHECK_EQ(fix_get(f, 0x400c, 4), reset.regs[REG_RDX]);
	char hv[13] = "";
	for (unsigned i = 0; i < 12; i++)
		hv[i] = (char)fix_get(f, 0x4010 + i, 1);
	CHECK_STR(hv, "NyxNyxNyxNyx");
	struct cpuid_regs r;
	cpuid_model(0, 1, 0x80000001, 0, &r);
	CHECK_EQ(r.edx & (1u << 29), 1u << 29);   /* LM */
	CHECK_EQ(r.edx & (1u << 20), 1u << 20);   /* NX */
	cpuid_model(0, 1, 1, 0, &r);
	CHECK_EQ(r.edx & (1u << 26), 1u << 26);   /* SSE2, required by x86-64 Linux */
	fix_free(f);
}

struct io_log {
	uint8_t bytes[16];
	unsigned n;
	uint64_t last_wide;
};

static uint64_t io_read(void *opaque, uint64_t off, unsigned size)
{
	return 0xa5;
}

static void io_write(void *opaque, uint64_t off, uint64_t v, unsigned size)
{
	struct io_log *l = opaque;
	if (off == 0 && size == 1 && l->n < sizeof(l->bytes))
		l->bytes[l->n++] = (uint8_t)v;
	else
		l->last_wide = v | ((uint64_t)size << 32) | (off << 40);
}

TEST(emu_port_io)
{
	static const struct io_ops ops = { io_read, io_write };
	struct io_log log = { 0 };
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	REQUIRE(bus_register(&f->m.pio, 0x80, 2, &ops, &log, "test") == 0);
	fix_prot32(f, pm_io, sizeof(pm_io));
	fix_put(f, 0x4100, "xyz", 3);
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(log.n, 4);
	CHECK_EQ(log.bytes[0], 0x5a);
	CHECK(!memcmp(log.bytes + 1, "xyz", 3));              /* REP OUTSB */
	CHECK_EQ(log.last_wide, 0x1234 | (2ULL << 32) | (1ULL << 40));   /* OUT DX, AX */
	CHECK_EQ(fix_get(f, 0x4000, 1), 0xa5);
	fix_free(f);
}

TEST(emu_io_privilege)
{
	/* OUT at CPL 3 with IOPL 0 and no I/O bitmap: #GP(0). */
	static const uint8_t hlt = 0xf4;
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	fix_prot32(f, pm_io, sizeof(pm_io));
	vcpu_segment_flat(&f->s.seg[SEG_CS], SEL_UCODE32 | 3, 0xb, false, true);
	f->s.seg[SEG_CS].dpl = 3;
	for (unsigned i = 0; i < SEG_COUNT; i++)
		if (i != SEG_CS) {
			vcpu_segment_flat(&f->s.seg[i], SEL_UDATA | 3, 0x3, false, true);
			f->s.seg[i].dpl = 3;
		}
	fix_put(f, 0x8000, &hlt, 1);
	fix_gate32(f, EXC_GP, SEL_CODE32, 0x8000, 0xe, 0);
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.rip, 0x8001);
	/* Ring-3 frame on the TSS stack: SS ESP EFLAGS CS EIP, then the error code. */
	CHECK_EQ(fix_get(f, 0x7800 - 24, 4), 0);      /* error code 0 */
	CHECK_EQ(fix_get(f, 0x7800 - 20, 4), 0x1002); /* the OUT */
	fix_free(f);
}

TEST(emu_x87_control_and_nm)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	fix_prot32(f, pm_x87, sizeof(pm_x87));
	f->s.regs[REG_RAX] = 0xffff;
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.regs[REG_RAX] & 0xffff, 0);     /* FSW after FNINIT */
	CHECK_EQ(fix_get(f, 0x4000, 2), 0x37f);       /* FCW after FNINIT */
	CHECK_EQ(fix_get(f, 0x4004, 2), 0x27f);       /* FLDCW took effect */
	CHECK_EQ(f->s.xsave[0] | (f->s.xsave[1] << 8), 0x27f);   /* and reached the state */
	fix_free(f);

	/* CR0.TS: the first x87 instruction raises #NM. */
	static const uint8_t hlt = 0xf4;
	f = fix_new();
	REQUIRE(f);
	fix_prot32(f, pm_x87, sizeof(pm_x87));
	f->s.cr0 |= 8;
	fix_put(f, 0x8000, &hlt, 1);
	fix_gate32(f, EXC_NM, SEL_CODE32, 0x8000, 0xe, 0);
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.rip, 0x8001);
	CHECK_EQ(fix_get(f, 0x7000 - 12, 4), 0x1000);
	fix_free(f);
}

TEST(emu_self_modifying_code)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	fix_long(f, lm_smc, sizeof(lm_smc));
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.regs[REG_RAX], 2);    /* second pass ran the patched immediate */
	CHECK_EQ(f->s.regs[REG_RCX], 2);
	fix_free(f);
}

TEST(emu_code_changed_by_dma)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	fix_real(f, rm_loop, sizeof(rm_loop));
	CHECK_EQ(fix_run(f, 1000), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.regs[REG_RAX] & 0xffff, 5050);   /* 100 + 99 + ... + 1 */
	/* Rewrite "mov $100, %cx" behind the CPU's back (as a device would). */
	fix_put16(f, 0x1001, 10);
	f->s.rip = 0x1000;
	f->s.mp_state = VCPU_MP_RUNNABLE;   /* leave the HLT state */
	CHECK_EQ(fix_run(f, 1000), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.regs[REG_RAX] & 0xffff, 55);
	fix_free(f);
}

TEST(emu_kick_and_budget)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	static const uint8_t spin[] = { 0xeb, 0xfe };   /* jmp . */
	fix_real(f, spin, sizeof(spin));
	CHECK_EQ(fix_run(f, 5000), -1);                  /* budget ran out */
	CHECK_EQ(f->s.rip, 0x1000);
	atomic_store(&f->v.kicked, true);
	CHECK_EQ(fix_run(f, 1u << 30), VCPU_EXIT_KICK);
	fix_free(f);
}

TEST(emu_state_round_trip)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	static const uint8_t hlt = 0xf4;
	fix_long(f, &hlt, 1);
	for (unsigned i = 0; i < REG_COUNT; i++)
		f->s.regs[i] = 0x1111111111111111ULL * (i + 1);
	f->s.rflags = 0x246;
	f->s.cr2 = 0xdead000;
	f->s.dr[1] = 0x1234;
	fix_set_msr(&f->s, 0xc0000081, 0x0023001000000000ULL);   /* STAR */
	fix_set_msr(&f->s, 0xc0000082, 0xffffffff81000000ULL);   /* LSTAR */
	fix_set_msr(&f->s, 0xc0000102, 0xffff888000000000ULL);   /* KERNEL_GS_BASE */
	fix_set_msr(&f->s, 0x174, 0x10);                         /* SYSENTER_CS */
	fix_set_msr(&f->s, 0x277, 0x0007010600070106ULL);        /* PAT */
	struct vcpu_state *in = malloc(sizeof(*in));
	REQUIRE(in);
	*in = f->s;
	emu_state_set(f->cpu, in);
	emu_state_get(f->cpu, &f->s);
	CHECK(!memcmp(in->regs, f->s.regs, sizeof(in->regs)));
	CHECK_EQ(f->s.rflags, 0x246);
	CHECK_EQ(f->s.cr2, 0xdead000);
	CHECK_EQ(f->s.dr[1], 0x1234);
	CHECK(!memcmp(in->seg, f->s.seg, sizeof(in->seg)));
	CHECK_EQ(f->s.efer, in->efer);
	uint64_t star = 0, lstar = 0, kgs = 0, scs = 0, pat = 0;
	for (unsigned i = 0; i < f->s.nmsrs; i++) {
		struct vcpu_msr *m = &f->s.msrs[i];
		if (m->index == 0xc0000081) star = m->value;
		if (m->index == 0xc0000082) lstar = m->value;
		if (m->index == 0xc0000102) kgs = m->value;
		if (m->index == 0x174) scs = m->value;
		if (m->index == 0x277) pat = m->value;
	}
	CHECK_EQ(star, 0x0023001000000000ULL);
	CHECK_EQ(lstar, 0xffffffff81000000ULL);
	CHECK_EQ(kgs, 0xffff888000000000ULL);
	CHECK_EQ(scs, 0x10);
	CHECK_EQ(pat, 0x0007010600070106ULL);
	CHECK_EQ(f->s.xsave[0] | (f->s.xsave[1] << 8), 0x37f);   /* reset FCW carried */
	free(in);
	fix_free(f);
}

/* xorshift64*: a fixed sequence, the same on every run. */
static uint64_t fuzz_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

TEST(emu_random_code_batch)
{
	static const uint8_t prefixes[] = { 0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x2e, 0x36, 0x3e,
					    0x26, 0x64, 0x65, 0x0f, 0x48, 0x41, 0x4c };
	uint64_t seed = 0x6e79786e7978ULL;
	uint8_t buf[64];
	unsigned bad = 0;
	for (unsigned n = 0; n < 1500; n++) {
		size_t len = 2 + fuzz_rand(&seed) % (sizeof(buf) - 2);
		for (size_t i = 0; i < len; i++) {
			uint64_t r = fuzz_rand(&seed);
			buf[i] = (r & 0x700) == 0 ? prefixes[(r >> 16) % sizeof(prefixes)]
						  : (uint8_t)r;
		}
		if (fuzz_emu_case(buf, len)) {
			if (!bad++)
				fprintf(stderr, "  random case %u (mode %u) ended badly\n", n,
					buf[0] % 3);
		}
	}
	CHECK_EQ(bad, 0);
}
