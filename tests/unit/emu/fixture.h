/*
 * Fixture of the emulator unit tests: a hand-built machine with 4 MiB of
 * RAM, empty PIO/MMIO buses, no interrupt hardware and one emulated vCPU,
 * plus helpers that put the vCPU in real mode, 32-bit protected mode or
 * 64-bit long mode with the descriptor tables below, load code and run it
 * until HLT. Memory map used by the tests:
 *   0x0000 IVT        0x0800 GDT        0x1000 code       0x2000 IDT
 *   0x3000 TSS        0x4000 data       0x7000 stack top  0x8000 handlers
 *   0x9000 IST stack  0x10000 page tables
 */
#ifndef NYX_TEST_EMU_FIXTURE_H
#define NYX_TEST_EMU_FIXTURE_H

#include <stdlib.h>

#include "core/bus.h"
#include "core/machine.h"
#include "cpu/emu/emu.h"
#include "../harness.h"

#define FIX_RAM (4u << 20)

/* GDT selectors. */
enum {
	SEL_CODE32 = 0x08, SEL_DATA = 0x10, SEL_CODE64 = 0x18, SEL_CODE16 = 0x20,
	SEL_DATA16 = 0x28, SEL_UCODE32 = 0x30, SEL_UDATA = 0x38, SEL_UCODE64 = 0x40,
	SEL_TSS = 0x48, SEL_GATE = 0x50, SEL_NOTPRESENT = 0x60,
};

struct emu_fix {
	struct machine m;
	struct vcpu v;
	struct emu_vm vm;
	struct emu_cpu *cpu;
	struct vcpu_state s;
};

static inline void fix_put(struct emu_fix *f, uint64_t gpa, const void *p, size_t len)
{
	if (gpa_write(&f->m.mem, gpa, p, len))
		test_fail(__FILE__, __LINE__, "fix_put outside RAM");
}

static inline void fix_put64(struct emu_fix *f, uint64_t gpa, uint64_t v) { fix_put(f, gpa, &v, 8); }
static inline void fix_put32(struct emu_fix *f, uint64_t gpa, uint32_t v) { fix_put(f, gpa, &v, 4); }
static inline void fix_put16(struct emu_fix *f, uint64_t gpa, uint16_t v) { fix_put(f, gpa, &v, 2); }
static inline void fix_put8(struct emu_fix *f, uint64_t gpa, uint8_t v) { fix_put(f, gpa, &v, 1); }

static inline uint64_t fix_get(struct emu_fix *f, uint64_t gpa, unsigned size)
{
	uint64_t v = 0;
	gpa_read(&f->m.mem, gpa, &v, size);
	return v;
}

static inline struct emu_fix *fix_new(void)
{
	struct emu_fix *f = calloc(1, sizeof *f);
	if (!f)
		return NULL;
	bus_init(&f->m.pio, "pio");
	bus_init(&f->m.mmio, "mmio");
	if (mem_init(&f->m.mem, FIX_RAM)) {
		free(f);
		return NULL;
	}
	pthread_mutex_init(&f->vm.lock_mutex, NULL);
	f->m.cpu_priv = &f->vm;
	f->m.nvcpus = 1;
	f->m.vcpus[0] = &f->v;
	f->v.m = &f->m;
	f->cpu = emu_cpu_new(&f->v);
	f->v.backend = f->cpu;
	/* GDT (SDM Vol. 3, 3.4.5): flat segments, a not-present data segment. */
	static const uint64_t gdt[] = {
		0,
		0x00cf9a000000ffffULL,   /* 0x08 code32 ring 0 */
		0x00cf92000000ffffULL,   /* 0x10 data ring 0 */
		0x00af9a000000ffffULL,   /* 0x18 code64 ring 0 */
		0x00009a000000ffffULL,   /* 0x20 code16 ring 0 */
		0x000092000000ffffULL,   /* 0x28 data16 */
		0x00cffa000000ffffULL,   /* 0x30 code32 ring 3 */
		0x00cff2000000ffffULL,   /* 0x38 data ring 3 */
		0x00affa000000ffffULL,   /* 0x40 code64 ring 3 */
		0, 0,                    /* 0x48 TSS (filled per mode) */
		0,                       /* 0x58 call gate (filled per test) */
		0x00cf12000000ffffULL,   /* 0x60 data, not present */
	};
	fix_put(f, 0x800, gdt, sizeof(gdt));
	return f;
}

static inline void fix_free(struct emu_fix *f)
{
	emu_cpu_free(f->cpu);
	mem_destroy(&f->m.mem);
	bus_destroy(&f->m.pio);
	bus_destroy(&f->m.mmio);
	pthread_mutex_destroy(&f->vm.lock_mutex);
	free(f);
}

static inline void fix_real(struct emu_fix *f, const void *code, size_t len)
{
	vcpu_state_reset(&f->s, 0);
	f->s.seg[SEG_CS].selector = 0;
	f->s.seg[SEG_CS].base = 0;
	f->s.rip = 0x1000;
	f->s.regs[REG_RSP] = 0x7000;
	f->s.idt.base = 0;
	f->s.idt.limit = 0x3ff;
	fix_put(f, 0x1000, code, len);
}

static inline void fix_flat_data(struct vcpu_state *s, uint16_t sel)
{
	for (unsigned i = 0; i < SEG_COUNT; i++)
		if (i != SEG_CS)
			vcpu_segment_flat(&s->seg[i], sel, 0x3, false, true);
}

static inline void fix_prot32(struct emu_fix *f, const void *code, size_t len)
{
	vcpu_state_reset(&f->s, 0);
	f->s.cr0 = 0x11;   /* PE, ET */
	vcpu_segment_flat(&f->s.seg[SEG_CS], SEL_CODE32, 0xb, false, true);
	fix_flat_data(&f->s, SEL_DATA);
	f->s.gdt.base = 0x800;
	f->s.gdt.limit = 0x6f;
	f->s.idt.base = 0x2000;
	f->s.idt.limit = 0x7ff;
	/* 32-bit TSS at 0x3000: ESP0 = 0x7800, SS0 = data. */
	fix_put64(f, 0x800 + SEL_TSS, 0x00008b0030000067ULL);
	fix_put32(f, 0x3004, 0x7800);
	fix_put32(f, 0x3008, SEL_DATA);
	fix_put16(f, 0x3066, 0x68);   /* I/O bitmap base: none (limit 0x67) */
	f->s.tr = (struct vcpu_segment){ .base = 0x3000, .limit = 0x67, .selector = SEL_TSS,
					 .type = 0xb, .present = 1 };
	f->s.rip = 0x1000;
	f->s.regs[REG_RSP] = 0x7000;
	fix_put(f, 0x1000, code, len);
}

static inline void fix_gate32(struct emu_fix *f, unsigned vec, uint16_t sel, uint32_t off,
			      unsigned type, unsigned dpl)
{
	uint64_t g = (off & 0xffff) | ((uint64_t)sel << 16) |
		     ((uint64_t)(type | (dpl << 5) | 0x80) << 40) | ((uint64_t)(off >> 16) << 48);
	fix_put64(f, 0x2000 + vec * 8, g);
}

/* Identity map of the first 2 MiB with 4 KiB pages (user, writable). */
static inline void fix_paging_4level(struct emu_fix *f)
{
	fix_put64(f, 0x10000, 0x11000 | 7);
	fix_put64(f, 0x11000, 0x12000 | 7);
	fix_put64(f, 0x12000, 0x13000 | 7);
	for (uint64_t i = 0; i < 512; i++)
		fix_put64(f, 0x13000 + i * 8, (i << 12) | 7);
}

static inline void fix_long(struct emu_fix *f, const void *code, size_t len)
{
	vcpu_state_reset(&f->s, 0);
	fix_paging_4level(f);
	f->s.cr0 = 0x80010011;   /* PG, WP, ET, PE */
	f->s.cr3 = 0x10000;
	f->s.cr4 = 0x20;         /* PAE */
	f->s.efer = 0xd01;       /* NXE, LMA, LME, SCE */
	for (unsigned i = 0; i < f->s.nmsrs; i++)
		if (f->s.msrs[i].index == 0xc0000080)
			f->s.msrs[i].value = f->s.efer;
	vcpu_segment_flat(&f->s.seg[SEG_CS], SEL_CODE64, 0xb, true, false);
	fix_flat_data(&f->s, SEL_DATA);
	f->s.gdt.base = 0x800;
	f->s.gdt.limit = 0x6f;
	f->s.idt.base = 0x2000;
	f->s.idt.limit = 0xfff;
	/* 64-bit TSS: RSP0 = 0x7800, IST1 = 0x9000. */
	fix_put64(f, 0x800 + SEL_TSS, 0x00008b0030000067ULL);
	fix_put64(f, 0x800 + SEL_TSS + 8, 0);
	fix_put64(f, 0x3004, 0x7800);
	fix_put64(f, 0x3024, 0x9000);
	f->s.tr = (struct vcpu_segment){ .base = 0x3000, .limit = 0x67, .selector = SEL_TSS,
					 .type = 0xb, .present = 1 };
	f->s.rip = 0x1000;
	f->s.regs[REG_RSP] = 0x7000;
	fix_put(f, 0x1000, code, len);
}

static inline void fix_gate64(struct emu_fix *f, unsigned vec, uint16_t sel, uint64_t off,
			      unsigned type, unsigned dpl, unsigned ist)
{
	uint64_t lo = (off & 0xffff) | ((uint64_t)sel << 16) | ((uint64_t)ist << 32) |
		      ((uint64_t)(type | (dpl << 5) | 0x80) << 40) |
		      ((uint64_t)((off >> 16) & 0xffff) << 48);
	fix_put64(f, 0x2000 + vec * 16, lo);
	fix_put64(f, 0x2000 + vec * 16 + 8, off >> 32);
}

static inline void fix_set_msr(struct vcpu_state *s, uint32_t idx, uint64_t v)
{
	for (unsigned i = 0; i < s->nmsrs; i++)
		if (s->msrs[i].index == idx) {
			s->msrs[i].value = v;
			return;
		}
	s->msrs[s->nmsrs++] = (struct vcpu_msr){ idx, v };
}

/* Loads f->s into the vCPU, runs up to max instructions, reads it back. */
static inline int fix_run(struct emu_fix *f, uint64_t max)
{
	emu_state_set(f->cpu, &f->s);
	int r = emu_step(f->cpu, max);
	emu_state_get(f->cpu, &f->s);
	return r;
}

#define FIX_FLAGS_ARITH 0x8d5u   /* OF SF ZF AF PF CF */

#endif
