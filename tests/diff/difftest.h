/*
 * Differential CPU testing: the same instruction sequence runs at CPL3 on
 * KVM (the host CPU executes it natively: the oracle) and on our emulator,
 * from the same starting state; registers, flags, faults and the scratch
 * memory are compared. Shared declarations of the harness (tests/diff).
 *
 * Guest physical memory, identity mapped with 4 KiB pages (env.c):
 *   0x001000 GDT    0x002000 IDT    0x003000 TSS + I/O bitmap (port 0xF4 open)
 *   0x006000 one 4-byte CPL0 stub per vector: `out 0xF4, al ; jmp $`
 *   0x007000-0x008000 kernel stack (TSS.RSP0 = 0x8000)
 *   0x010000 page tables (16 MiB in 4 KiB pages)
 *   0x100000 user code: slot j at 0x100000 + j * 0x400 (read-only, executable)
 *   0x180000 records: slot j's initial GPRs/RFLAGS at 0x180000 + j * 0x800,
 *            its final ones 0x200 further; its initial FXSAVE image (x87,
 *            MXCSR, XMMs) at +0x400, the final one at +0x600 (user RW)
 *   0x400000 slot j's data at 0x400000 + j * 0x8000, eight pages:
 *            +0 absent | +0x1000, +0x2000 scratch (RW) | +0x3000 absent |
 *            +0x4000 user read-only | +0x5000 supervisor only |
 *            +0x6000 user stack (RSP starts at +0x6800) | +0x7000 absent
 *
 * Design note — batches: one KVM_RUN costs ~100 us here and every state
 * ioctl ~20 us, so sequences run back to back in one guest: slot j's code is
 * a prologue that loads all GPRs, RFLAGS and (FXRSTOR) the x87 state, MXCSR
 * and XMM0-15 from its record (RIP-relative, at CPL3), the sequence, and an
 * epilogue that stores them back (FXSAVE) and jumps
 * to slot j+1; after the last slot `out 0xF4, al` (allowed at CPL3 by the
 * TSS I/O bitmap) ends the run. An exception vectors to a 4-byte CPL0 stub
 * that writes the same port: the harness reads registers with get_state and
 * the frame from the kernel stack, then restarts at slot j+1 with set_state.
 */
#ifndef NYX_TESTS_DIFF_DIFFTEST_H
#define NYX_TESTS_DIFF_DIFFTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "cpu/cpu.h"

#define DT_EXIT_PORT 0xF4
#define DT_GDT 0x1000ULL
#define DT_IDT 0x2000ULL
#define DT_TSS 0x3000ULL
#define DT_STUBS 0x6000ULL
#define DT_STUB_STRIDE 4
#define DT_KSTACK_TOP 0x8000ULL
#define DT_PML4 0x9000ULL
#define DT_PT 0x10000ULL
#define DT_MAPPED (16ULL << 20)         /* identity mapped: [0, 16 MiB) */
#define DT_RAM_SIZE (16ULL << 20)
#define DT_MAX_SLOTS 256
#define DT_CODE 0x100000ULL
#define DT_SLOT_CODE_SIZE 0x400
#define DT_SLOT_CODE(j) (DT_CODE + (uint64_t)(j) * DT_SLOT_CODE_SIZE)
#define DT_PROLOGUE_LEN 128             /* the sequence starts here in its slot */
#define DT_SEQ_CODE(j) (DT_SLOT_CODE(j) + DT_PROLOGUE_LEN)
#define DT_CODE_END (DT_CODE + DT_MAX_SLOTS * DT_SLOT_CODE_SIZE + 0x1000)
#define DT_REC_SIZE 0x800
#define DT_REC(j) (0x180000ULL + (uint64_t)(j) * DT_REC_SIZE)
#define DT_REC_END DT_REC(DT_MAX_SLOTS)
#define DT_SLOT_SIZE 0x8000ULL
#define DT_SLOT(j) (0x400000ULL + (uint64_t)(j) * DT_SLOT_SIZE)
#define DT_SCRATCH(j) (DT_SLOT(j) + 0x1000)   /* two RW pages */
#define DT_SCRATCH_SIZE 0x2000ULL
#define DT_GUARD(j) (DT_SLOT(j) + 0x3000)     /* not present (so is +0) */
#define DT_RO_PAGE(j) (DT_SLOT(j) + 0x4000)
#define DT_SUPER_PAGE(j) (DT_SLOT(j) + 0x5000)
#define DT_STACK(j) (DT_SLOT(j) + 0x6000)
#define DT_RSP(j) (DT_SLOT(j) + 0x6800)
#define DT_MEM_SIZE DT_SLOT_SIZE        /* compared memory: the whole slot */
#define DT_FS_BASE 0x10000ULL           /* segment bases the generator uses */
#define DT_GS_BASE 0x20000ULL

#define DT_SEL_KCODE 0x08
#define DT_SEL_KDATA 0x10
#define DT_SEL_UDATA 0x23
#define DT_SEL_UCODE 0x2B
#define DT_SEL_TSS 0x30

/* Arithmetic flags. */
#define DT_CF 0x001u
#define DT_PF 0x004u
#define DT_AF 0x010u
#define DT_ZF 0x040u
#define DT_SF 0x080u
#define DT_OF 0x800u
#define DT_ARITH (DT_CF | DT_PF | DT_AF | DT_ZF | DT_SF | DT_OF)

#define DT_MAX_CODE 240
#define DT_FX_SIZE 160
#define DT_MAX_INSNS 16
#define DT_MAX_PATCHES 6

/* One test: code run at CPL3 in a slot from regs/rflags. Sequences are
 * built for the slot they run in (their memory operands point into it). */
struct dt_seq {
	char name[96];                /* templates joined by ' ', or the case name */
	char group[32];               /* hand-picked: the EMU_PENDING key */
	uint8_t code[DT_MAX_CODE];
	unsigned len;
	unsigned slot;
	unsigned index;               /* random: position in the run (for --skip) */
	uint64_t regs[REG_COUNT];
	uint64_t rflags;
	uint32_t mxcsr;
	uint8_t xmm[16][16];
	/* x87 part of the FXSAVE image: FCW, FSW, abridged FTW, FOP, FIP,
	 * FDP, then ST0-7 (MM0-7) in 16-byte slots; FNINIT's state unless a
	 * generator or case changes it. */
	uint8_t fx[DT_FX_SIZE];
	uint32_t seed;                /* scratch memory pattern */
	/* Instruction boundaries and what is architecturally undefined before
	 * each one (a fault there reports that state) and at the end. */
	unsigned ninsns;
	uint8_t off[DT_MAX_INSNS + 1];
	uint32_t undef_flags[DT_MAX_INSNS + 1];
	uint16_t undef_regs[DT_MAX_INSNS + 1];
	/* Slot bytes forced to a value (e.g. a nonzero BSF source). */
	unsigned npatches;
	struct { uint64_t gpa, value; } patch[DT_MAX_PATCHES];
};

enum dt_end { DT_END_DONE, DT_END_EXCEPTION, DT_END_SHUTDOWN, DT_END_TIMEOUT, DT_END_ERROR };

struct dt_result {
	enum dt_end end;
	int vector;
	uint64_t err;                 /* error code, when the vector has one */
	uint64_t regs[REG_COUNT];     /* RSP from the frame after an exception */
	uint64_t rip, rflags, cs, ss, cr2;   /* rip, cs, ss, cr2: exceptions only */
	uint32_t mxcsr;
	uint8_t xmm[16][16];
	uint8_t fx[DT_FX_SIZE];       /* x87 state, as in dt_seq */
	uint8_t mem[DT_MEM_SIZE];     /* the slot's pages */
};

/* env.c: one machine per backend, built by hand (no board devices). */
struct dt_env;
struct dt_env *dt_env_create(const char *accel, char *err, size_t err_len);
void dt_env_destroy(struct dt_env *e);
const char *dt_env_name(const struct dt_env *e);
/* Runs seqs[i] in slot seqs[i].slot (each slot once). 0, or -errno if the
 * harness itself failed; a sequence the harness lost says so in `end`. */
int dt_env_run(struct dt_env *e, const struct dt_seq *seqs, unsigned n, struct dt_result *res);
/* The slot memory pattern both backends start from. */
void dt_fill_pattern(uint8_t *mem, uint32_t seed);
/* Initial registers a sequence in `slot` starts from, before a generator
 * or case changes them. */
void dt_seq_init(struct dt_seq *s, unsigned slot, uint32_t seed);
/* Number of KVM_RUN/vcpu_run calls so far (for the timing line). */
uint64_t dt_env_runs(const struct dt_env *e);

/* gen.c: random sequences from a table of instruction templates. */
struct dt_rng { uint64_t s; };
uint64_t dt_rand(struct dt_rng *r);
void dt_gen_seq(struct dt_rng *r, struct dt_seq *s);
unsigned dt_gen_ntemplates(void);
const char *dt_gen_template_name(unsigned i);

/* cases.c: the hand-picked set (code assembled from case_code.S), slot 0. */
unsigned dt_cases_count(void);
int dt_cases_get(unsigned i, struct dt_seq *s);

/* compare.c */
/* Number of differing fields, described line by line into out. */
int dt_compare(const struct dt_seq *s, const struct dt_result *a, const struct dt_result *b,
	       char *out, size_t out_len);
/* The sequence's name and disassembly. */
void dt_print(FILE *f, const struct dt_seq *s);
void dt_dump(FILE *f, const struct dt_seq *s, const char *na, const struct dt_result *a,
	     const char *nb, const struct dt_result *b, const char *diffs);

#endif
