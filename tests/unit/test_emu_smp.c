/*
 * The emulator with the emulated interrupt hardware (hw/intc): INIT-SIPI
 * from the BSP's LAPIC starts an AP in real mode at vector << 12 (SDM
 * Vol. 3, 8.4.4: CS = vector << 8, IP = 0), a self-IPI is delivered through
 * the IDT and acknowledged with EOI, the A20 gate wraps addresses at 1 MiB
 * when off, and dirty logging records pages the guest writes. One vCPU's
 * stores patch code another vCPU already ran (cross-modifying code).
 */
#include "emu/code.h"
#include "emu/fixture.h"
#include "hw/intc/intc.h"
#include "hw/pc/pc.h"

struct smp_fix {
	struct emu_fix *f;       /* memory, buses, vCPU 0 */
	struct vcpu v1;
	struct emu_cpu *ap;
	uint64_t now;
};

static uint64_t smp_clock(void *opaque)
{
	return ((struct smp_fix *)opaque)->now;
}

static bool smp_new(struct smp_fix *s, unsigned ncpu)
{
	memset(s, 0, sizeof(*s));
	s->f = fix_new();
	if (!s->f)
		return false;
	struct machine *m = &s->f->m;
	m->cpu = &cpu_backend_emu;
	m->nvcpus = ncpu;
	m->cfg.cpus = ncpu;
	pthread_mutex_init(&s->f->v.halt_lock, NULL);
	pthread_cond_init(&s->f->v.halt_cond, NULL);
	if (ncpu > 1) {
		s->v1.m = m;
		s->v1.index = 1;
		pthread_mutex_init(&s->v1.halt_lock, NULL);
		pthread_cond_init(&s->v1.halt_cond, NULL);
		m->vcpus[1] = &s->v1;
		s->ap = emu_cpu_new(&s->v1);
		s->v1.backend = s->ap;
	}
	s->now = 1000000;
	if (intc_create(m))
		return false;
	intc_set_clock(m, smp_clock, s);
	return true;
}

static void smp_free(struct smp_fix *s)
{
	machine_destroy_devices(&s->f->m);
	if (s->ap)
		emu_cpu_free(s->ap);
	fix_free(s->f);
}

TEST(emu_smp_init_sipi_starts_ap)
{
	struct smp_fix s;
	REQUIRE(smp_new(&s, 2));
	struct emu_fix *f = s.f;
	fix_prot32(f, pm_send_init_sipi, sizeof(pm_send_init_sipi));
	fix_put(f, 0x9000, rm_ap_entry, sizeof(rm_ap_entry));
	/* The AP starts in wait-for-INIT: it does not run. */
	struct vcpu_state *ap = malloc(sizeof(*ap));
	REQUIRE(ap);
	vcpu_state_reset(ap, 1);
	emu_state_set(s.ap, ap);
	CHECK_EQ(emu_step(s.ap, 100), VCPU_EXIT_HLT);
	CHECK_EQ(s.ap->icount, 0);
	/* BSP sends INIT then SIPI with vector 9. */
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	int r = VCPU_EXIT_HLT;
	for (int i = 0; i < 4 && r == VCPU_EXIT_HLT && fix_get(f, 0x4002, 2) != 0xa9a9; i++)
		r = emu_step(s.ap, 100);
	CHECK_EQ(fix_get(f, 0x4002, 2), 0xa9a9);
	CHECK_EQ(fix_get(f, 0x4000, 2), 0x0900);      /* CS = vector << 8 */
	emu_state_get(s.ap, ap);
	CHECK_EQ(ap->seg[SEG_CS].base, 0x9000);
	free(ap);
	smp_free(&s);
}

TEST(emu_lapic_self_ipi_through_idt)
{
	struct smp_fix s;
	REQUIRE(smp_new(&s, 1));
	struct emu_fix *f = s.f;
	fix_prot32(f, pm_self_ipi, sizeof(pm_self_ipi));
	fix_put(f, 0x8000, pm_ipi_handler, sizeof(pm_ipi_handler));
	fix_gate32(f, 0x40, SEL_CODE32, 0x8000, 0xe, 0);
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(fix_get(f, 0x4000, 4), 0x77);        /* handler ran */
	CHECK_EQ(fix_get(f, 0x4004, 4), 1);           /* and returned */
	CHECK_EQ(f->s.regs[REG_RSP], 0x7000);
	/* EOI cleared the in-service bit: ISR word for vector 0x40 (0x120). */
	CHECK_EQ(intc_lapic_read(&f->m, 0, 0x120, 4) & 1, 0);
	smp_free(&s);
}

TEST(emu_a20_gate_wraps)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	struct pc_board board;
	memset(&board, 0, sizeof(board));
	atomic_store(&board.a20, false);
	f->m.board = &board;
	fix_real(f, rm_a20_wrap, sizeof(rm_a20_wrap));
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.regs[REG_RBX] & 0xff, 0x22);    /* FFFF:0510 hit 0x000500 */
	CHECK_EQ(fix_get(f, 0x100500, 1), 0);
	atomic_store(&board.a20, true);
	f->s.rip = 0x1000;
	f->s.mp_state = VCPU_MP_RUNNABLE;
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	CHECK_EQ(f->s.regs[REG_RBX] & 0xff, 0x11);    /* now 0x100500 is separate */
	CHECK_EQ(fix_get(f, 0x100500, 1), 0x22);
	f->m.board = NULL;
	fix_free(f);
}

TEST(emu_dirty_logging)
{
	struct emu_fix *f = fix_new();
	REQUIRE(f);
	fix_long(f, lm_basic, sizeof(lm_basic));
	REQUIRE(cpu_backend_emu.set_dirty_logging(&f->m, true) == 0);
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	unsigned long bm[(0xa0000 / 4096 + 63) / 64] = { 0 };
	REQUIRE(cpu_backend_emu.get_dirty_log(&f->m, 0, bm) == 0);
	/* lm_basic writes its data slot (page 1) and pushes onto page 6; the
	 * page walker's accessed/dirty bits are writes too (page table at
	 * 0x13000); page 4 is never written. */
	CHECK(bm[0] & (1UL << 1));
	CHECK(bm[0] & (1UL << 6));
	CHECK(bm[0] & (1UL << 0x13));
	CHECK(!(bm[0] & (1UL << 4)));
	memset(bm, 0, sizeof(bm));
	REQUIRE(cpu_backend_emu.get_dirty_log(&f->m, 0, bm) == 0);
	CHECK_EQ(bm[0], 0);                           /* harvesting cleared the log */
	cpu_backend_emu.set_dirty_logging(&f->m, false);
	for (unsigned i = 0; i < MEM_MAX_REGIONS; i++)
		free(f->vm.dirty[i]);
	fix_free(f);
}

TEST(emu_smp_code_patched_by_other_vcpu)
{
	struct smp_fix s;
	REQUIRE(smp_new(&s, 2));
	struct emu_fix *f = s.f;
	fix_long(f, lm_smc_cpu0_patch, sizeof(lm_smc_cpu0_patch));
	fix_put(f, 0x1100, lm_smc_cpu1_call_loop, sizeof(lm_smc_cpu1_call_loop));
	static const uint8_t f0[] = { 0xb8, 0x00, 0x00, 0x00, 0x00, 0xc3 };   /* mov $0,%eax; ret */
	fix_put(f, 0x5800, f0, sizeof(f0));
	struct vcpu_state *ap = malloc(sizeof(*ap));
	REQUIRE(ap);
	*ap = f->s;
	ap->rip = 0x1100;
	ap->regs[REG_RSP] = 0x6800;
	/* vCPU 0 writes f's page first (so its TLB may write it directly)... */
	CHECK_EQ(fix_run(f, 100), VCPU_EXIT_HLT);
	/* ...then vCPU 1 runs f, which now returns 1... */
	emu_state_set(s.ap, ap);
	CHECK_EQ(emu_step(s.ap, 100), VCPU_EXIT_HLT);
	CHECK_EQ(s.ap->regs[REG_RBX], 1);
	/* ...vCPU 0 patches it to return 7, through the TLB it kept... */
	f->cpu->halted = false;
	CHECK_EQ(emu_step(f->cpu, 100), VCPU_EXIT_HLT);
	CHECK_EQ(fix_get(f, 0x5801, 1), 7);
	/* ...and vCPU 1 must run the new f. */
	s.ap->halted = false;
	CHECK_EQ(emu_step(s.ap, 100), VCPU_EXIT_HLT);
	CHECK_EQ(s.ap->regs[REG_RBX], 1 + 7);
	free(ap);
	smp_free(&s);
}
