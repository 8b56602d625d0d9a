/*
 * x87 exceptions with CR0.NE=0, the MS-DOS way (Intel SDM Vol. 1, 8.7 and
 * appendix D.2.1): the vCPU freezes at the next waiting instruction and
 * asserts FERR#, which the PC turns into IRQ 13 (INT 75h with the usual
 * PIC setup); the handler's write to port 0xF0 clears IRQ 13 and asserts
 * IGNNE# while FERR# is active (then the waiting instruction runs on);
 * clearing the exception deasserts FERR# and IGNNE# with it; IRQ 13 is
 * latched on FERR# going active and only a 0xF0 write clears the latch
 * (figure D-1's flip-flops). Real mode, the emulator, the emulated PIC
 * and the board's FERR# logic (hw/pc/ferr.c).
 */
#include "emu/fixture.h"
#include "hw/intc/intc.h"
#include "hw/pc/ferr.h"
#include "hw/pc/pc.h"

/* [code16 at 0x1000]
 *   PIC: ICW1 0x11 to both, vectors 0x08 / 0x70, cascade on IRQ 2, 8086
 *   mode; masks 0xFB / 0xDF (only IRQ 2 and IRQ 13 open)
 *   sti
 *   fninit
 *   fldcw 0x4000            (0x037B: divide-by-zero unmasked)
 *   fld1
 *   fidivs 0x4002           (1 / 0: ZE pending)
 *   movb $1, 0x4010
 * 0x1036: fwait
 *   movb $1, 0x4011
 *   fnclex
 *   fld1
 *   fidivs 0x4002
 * 0x1044: fwait
 *   movb $1, 0x4012
 *   hlt */
static const uint8_t ferr_main[] = {
	0xb0, 0x11, 0xe6, 0x20, 0xe6, 0xa0, 0xb0, 0x08, 0xe6, 0x21, 0xb0, 0x70,
	0xe6, 0xa1, 0xb0, 0x04, 0xe6, 0x21, 0xb0, 0x02, 0xe6, 0xa1, 0xb0, 0x01,
	0xe6, 0x21, 0xe6, 0xa1, 0xb0, 0xfb, 0xe6, 0x21, 0xb0, 0xdf, 0xe6, 0xa1,
	0xfb, 0xdb, 0xe3, 0xd9, 0x2e, 0x00, 0x40, 0xd9, 0xe8, 0xde, 0x36, 0x02,
	0x40, 0xc6, 0x06, 0x10, 0x40, 0x01, 0x9b, 0xc6, 0x06, 0x11, 0x40, 0x01,
	0xdb, 0xe2, 0xd9, 0xe8, 0xde, 0x36, 0x02, 0x40, 0x9b, 0xc6, 0x06, 0x12,
	0x40, 0x01, 0xf4,
};

/* [code16 at 0x1100] INT 75h
 *   incb 0x4020
 *   mov %sp, %bp; mov (%bp), %ax; mov %ax, 0x4022   (the return IP)
 *   testb $1, 0x4030; jz 1f; out %al, $0xf0
 * 1: testb $2, 0x4030; jz 2f; fnclex
 * 2: mov $0x20, %al; out %al, $0xa0; out %al, $0x20  (EOI slave, master)
 *   iret */
static const uint8_t ferr_handler[] = {
	0xfe, 0x06, 0x20, 0x40, 0x89, 0xe5, 0x8b, 0x46, 0x00, 0xa3, 0x22, 0x40,
	0xf6, 0x06, 0x30, 0x40, 0x01, 0x74, 0x02, 0xe6, 0xf0, 0xf6, 0x06, 0x30,
	0x40, 0x02, 0x74, 0x02, 0xdb, 0xe2, 0xb0, 0x20, 0xe6, 0xa0, 0xe6, 0x20,
	0xcf,
};

#define WAIT_A 0x1036
#define WAIT_B 0x1044
#define H_OUT_F0 1
#define H_FNCLEX 2

static uint64_t ferr_clock(void *opaque)
{
	return 1000000;
}

struct ferr_run {
	int exit;
	uint64_t rip;
	unsigned irqs, last_ip, after_a, after_b;
	uint16_t fsw;
};

/* Runs the program with the handler doing `what`; 0 if the fixture could
 * not be built. */
static bool ferr_run(unsigned what, struct ferr_run *out)
{
	struct emu_fix *f = fix_new();
	if (!f)
		return false;
	struct machine *m = &f->m;
	m->cpu = &cpu_backend_emu;
	m->cfg.cpus = 1;
	pthread_mutex_init(&f->v.halt_lock, NULL);
	pthread_cond_init(&f->v.halt_cond, NULL);
	struct pc_board *b = calloc(1, sizeof *b);
	bool ok = b && !intc_create(m);
	if (ok) {
		intc_set_clock(m, ferr_clock, NULL);
		b->m = m;
		atomic_init(&b->a20, true);
		m->board = b;
		ok = !ferr_create(m, &b->ferr);
	}
	if (ok) {
		fix_real(f, ferr_main, sizeof(ferr_main));
		fix_put(f, 0x1100, ferr_handler, sizeof(ferr_handler));
		fix_put16(f, 0x75 * 4, 0x1100);   /* IVT: INT 75h at 0000:1100 */
		fix_put16(f, 0x75 * 4 + 2, 0);
		fix_put16(f, 0x4000, 0x037B);
		fix_put16(f, 0x4002, 0);
		fix_put8(f, 0x4030, (uint8_t)what);
		out->exit = fix_run(f, 2000);
		out->rip = f->s.rip;
		out->irqs = (unsigned)fix_get(f, 0x4020, 1);
		out->last_ip = (unsigned)fix_get(f, 0x4022, 2);
		out->after_a = (unsigned)fix_get(f, 0x4011, 1);
		out->after_b = (unsigned)fix_get(f, 0x4012, 1);
		out->fsw = (uint16_t)(f->s.xsave[2] | f->s.xsave[3] << 8);   /* FXSAVE image: FSW at 2 */
	}
	machine_destroy_devices(m);
	m->board = NULL;
	free(b);
	fix_free(f);
	return ok;
}

TEST(emu_ferr_irq13_handler_clears_and_returns_to_the_wait)
{
	struct ferr_run r;
	REQUIRE(ferr_run(H_OUT_F0 | H_FNCLEX, &r));
	CHECK_EQ(r.exit, VCPU_EXIT_HLT);
	CHECK_EQ(r.rip, 0x104b);              /* past the final HLT */
	CHECK_EQ(r.irqs, 2);                  /* one IRQ 13 per exception */
	CHECK_EQ(r.last_ip, WAIT_B);          /* INT 75h returned to the FWAIT */
	CHECK_EQ(r.after_a, 1);
	CHECK_EQ(r.after_b, 1);
	CHECK_EQ(r.fsw & 0x80, 0);            /* ES clear: the handler cleared it */
}

TEST(emu_ferr_ignne_lets_the_wait_run_on)
{
	/* The handler writes 0xF0 but leaves the exception: IGNNE# is active,
	 * so the FWAIT runs on (without IGNNE# the vCPU would take IRQ 13
	 * forever); FNCLEX then drops FERR# and IGNNE#, and the second
	 * exception freezes and interrupts again. */
	struct ferr_run r;
	REQUIRE(ferr_run(H_OUT_F0, &r));
	CHECK_EQ(r.exit, VCPU_EXIT_HLT);
	CHECK_EQ(r.rip, 0x104b);
	CHECK_EQ(r.irqs, 2);
	CHECK_EQ(r.last_ip, WAIT_B);
	CHECK_EQ(r.after_b, 1);
	CHECK_EQ(r.fsw & 0x84, 0x84);         /* ZE and ES still set */
}

TEST(emu_ferr_frozen_until_port_f0)
{
	/* Neither: IRQ 13 stays latched (no new edge for the PIC), the
	 * exception stays pending, and the vCPU stays frozen at the FWAIT. */
	struct ferr_run r;
	REQUIRE(ferr_run(0, &r));
	CHECK_EQ(r.exit, VCPU_EXIT_HLT);
	CHECK_EQ(r.rip, WAIT_A);
	CHECK_EQ(r.irqs, 1);
	CHECK_EQ(r.after_a, 0);
	/* FNCLEX alone: FERR# goes inactive and active again at the second
	 * exception, but the IRQ 13 latch was never cleared: no interrupt. */
	REQUIRE(ferr_run(H_FNCLEX, &r));
	CHECK_EQ(r.exit, VCPU_EXIT_HLT);
	CHECK_EQ(r.rip, WAIT_B);
	CHECK_EQ(r.irqs, 1);
	CHECK_EQ(r.after_a, 1);
	CHECK_EQ(r.after_b, 0);
}
