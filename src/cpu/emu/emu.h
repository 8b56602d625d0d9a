/*
 * Internal interface of the x86-64 emulator (cpu/emu). Not used outside
 * src/cpu/emu and its unit tests.
 *
 * Design note — how an instruction runs:
 *   emu_step() looks CS:RIP up through the exec TLB in the block cache
 *   (block.c: decoded basic blocks keyed by the host address of their
 *   first byte — i.e. by guest physical location — and kept current by
 *   code-page write tracking, so code written by this vCPU, another vCPU
 *   or device DMA never runs stale) and runs the block's decoded
 *   instructions (struct emu_insn, decode.c) through their fast handlers
 *   (fast.c) or emu_exec() (exec.c), which dispatches on the opcode.
 *   Single-stepping, TF and interrupt shadows go one instruction at a
 *   time through the decoded-instruction cache, whose entries are verified
 *   byte for byte against guest memory on every hit.
 *
 * Invariants:
 *   - cpu->rip is the address of the instruction being executed until it
 *     completes; handlers that branch write cpu->next_rip. A fault anywhere
 *     longjmps to the step loop with rip still at the faulting instruction,
 *     so handlers read and check everything before they write registers.
 *   - The arithmetic flags (CF PF AF ZF SF OF) live in cpu->rflags only when
 *     cc_op == CC_EAGER; otherwise they are a function of (cc_op, cc_a,
 *     cc_b, cc_res, cc_size, cc_cin) computed on demand (alu.c).
 *   - The TLB (mmu.c) holds only translations whose permissions were
 *     checked for the privilege of the array it lives in (e[0]
 *     supervisor, e[1] user, in the bank of the PCID they were made for);
 *     it is flushed on every change of CR0, CR4 or EFER, per PCID on a
 *     CR3 load (global entries kept; none with CR3 bit 63 and CR4.PCIDE)
 *     and per page on INVLPG.
 */
#ifndef NYX_CPU_EMU_EMU_H
#define NYX_CPU_EMU_EMU_H

#include <setjmp.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/log.h"
#include "core/machine.h"
#include "cpu/cpu.h"

/* Exception vectors. */
enum {
	EXC_DE = 0, EXC_DB = 1, EXC_NMI = 2, EXC_BP = 3, EXC_OF = 4, EXC_BR = 5, EXC_UD = 6,
	EXC_NM = 7, EXC_DF = 8, EXC_TS = 10, EXC_NP = 11, EXC_SS = 12, EXC_GP = 13,
	EXC_PF = 14, EXC_MF = 16, EXC_AC = 17, EXC_MC = 18, EXC_XM = 19,
};

/* RFLAGS bits. */
#define FL_CF (1u << 0)
#define FL_PF (1u << 2)
#define FL_AF (1u << 4)
#define FL_ZF (1u << 6)
#define FL_SF (1u << 7)
#define FL_TF (1u << 8)
#define FL_IF (1u << 9)
#define FL_DF (1u << 10)
#define FL_OF (1u << 11)
#define FL_IOPL (3u << 12)
#define FL_NT (1u << 14)
#define FL_RF (1u << 16)
#define FL_VM (1u << 17)
#define FL_AC (1u << 18)
#define FL_VIF (1u << 19)
#define FL_VIP (1u << 20)
#define FL_ID (1u << 21)
#define FL_ARITH (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)

#define CR0_PE (1u << 0)
#define CR0_MP (1u << 1)
#define CR0_EM (1u << 2)
#define CR0_TS (1u << 3)
#define CR0_ET (1u << 4)
#define CR0_NE (1u << 5)
#define CR0_WP (1u << 16)
#define CR0_AM (1u << 18)
#define CR0_NW (1u << 29)
#define CR0_CD (1u << 30)
#define CR0_PG (1u << 31)

#define CR4_VME (1u << 0)
#define CR4_PVI (1u << 1)
#define CR4_TSD (1u << 2)
#define CR4_DE (1u << 3)
#define CR4_PSE (1u << 4)
#define CR4_PAE (1u << 5)
#define CR4_MCE (1u << 6)
#define CR4_PGE (1u << 7)
#define CR4_PCE (1u << 8)
#define CR4_OSFXSR (1u << 9)
#define CR4_OSXMMEXCPT (1u << 10)
#define CR4_UMIP (1u << 11)
#define CR4_FSGSBASE (1u << 16)
#define CR4_PCIDE (1u << 17)
#define CR4_OSXSAVE (1u << 18)
#define CR4_SMEP (1u << 20)
#define CR4_SMAP (1u << 21)

#define EFER_SCE (1u << 0)
#define EFER_LME (1u << 8)
#define EFER_LMA (1u << 10)
#define EFER_NXE (1u << 11)

/* MSR numbers. */
#define MSR_TSC 0x10
#define MSR_APIC_BASE 0x1b
#define MSR_FEATURE_CONTROL 0x3a
#define MSR_TSC_ADJUST 0x3b
#define MSR_SYSENTER_CS 0x174
#define MSR_SYSENTER_ESP 0x175
#define MSR_SYSENTER_EIP 0x176
#define MSR_MISC_ENABLE 0x1a0
#define MSR_PAT 0x277
#define MSR_TSC_DEADLINE 0x6e0
#define MSR_EFER 0xc0000080
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SFMASK 0xc0000084
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_TSC_AUX 0xc0000103

/* Lazy-flag operations (alu.c). */
enum { CC_EAGER, CC_ADD, CC_ADC, CC_SUB, CC_SBB, CC_LOGIC, CC_INC, CC_DEC };

/* Memory access kinds, also the TLB tag selector. */
enum emu_access { ACC_READ = 0, ACC_WRITE = 1, ACC_EXEC = 2 };

#define EMU_TLB_SIZE 4096
struct emu_tlb_entry {
	uint64_t tag[3];         /* page-aligned linear address per access kind; 1 = empty */
	uint64_t wtag_code;      /* writable page holding decoded code: writes take the
				  * slow path, which stores and bumps the page's code
				  * generation (block.c); 1 = none */
	uintptr_t addend;        /* host pointer = addend + linear */
	bool global;
	uint8_t page_shift;      /* 0: a 4 KiB page; 21/22/30: part of a large page */
	bool listed;             /* its index is in the bank's used list (mmu.c) */
};

/* The TLB of one PCID (mmu.c): a supervisor and a user array, and the
 * indices of the entries filled since the last flush, so that a flush
 * touches what was filled rather than the whole array. */
#define EMU_TLB_BANKS 8
struct emu_tlb_bank {
	struct emu_tlb_entry e[2][EMU_TLB_SIZE];   /* [cpl == 3] */
	uint16_t used[2][EMU_TLB_SIZE];
	unsigned nused[2];
	uint64_t large;          /* filter of the large pages with pieces here */
	uint32_t stamp;          /* when last made current (the victim is the oldest) */
	uint16_t pcid;
	bool live;               /* set up and tagged with pcid */
};

struct emu_cpu;
struct emu_insn;
/* A fast handler (fast.c) for one decoded form; NULL = emu_exec(). */
typedef void (*emu_fast_fn)(struct emu_cpu *cpu, struct emu_insn *in);

/* Decoded instruction. op: 0x000-0x0ff one-byte map, 0x100-0x1ff 0F map.
 * 40 bytes, so that a cache entry fills one 64-byte host cache line. */
struct emu_insn {
	emu_fast_fn fast;
	uint64_t imm;
	int32_t disp;            /* ModRM displacement (moffs lives in imm) */
	uint16_t op;
	uint16_t imm2;           /* far pointer selector; ENTER nesting level */
	uint8_t op3;             /* third opcode byte of the 0F 38 / 0F 3A maps */
	uint8_t len;
	uint8_t opsize;          /* 1 is never used here: byte ops use insn bit 0 */
	uint8_t addrsize;        /* 2, 4, 8 */
	uint8_t rex;             /* REX byte or 0 */
	uint8_t seg;             /* segment of the memory operand */
	uint8_t rep;             /* 0, 0xf2, 0xf3 */
	uint8_t lock : 1;
	uint8_t p66 : 1;         /* 66 prefix seen */
	uint8_t has_modrm : 1;
	uint8_t vex : 1;         /* VEX-encoded (C4/C5): map in op, W R X B in rex */
	uint8_t vex_l : 1;       /* VEX.L */
	uint8_t group;           /* exec.c: handler that took it last time, 0 = unknown */
	uint8_t mod, reg, rm;    /* reg and rm include REX.R / REX.B */
	uint8_t base, index;     /* index 0xff = none; base 0xff = none, 0xfe = RIP */
	uint8_t scale : 2;
	uint8_t vex_v : 4;       /* VEX.vvvv: a register number */
};

struct emu_vm;
struct emu_prof;

/* Decoded-instruction cache entry: one host cache line. The key is the host
 * address of the instruction's first byte with the code size it was decoded
 * for in bits 56-63 (user-space addresses stay below 2^56), 0 = empty. */
#define EMU_ICACHE_SIZE 4096
struct emu_icache_entry {
	uintptr_t key;
	uint64_t lo, hi;         /* instruction bytes 0-7 and 7-14, masked to its length */
	struct emu_insn insn;
} __attribute__((aligned(64)));

/* Decoded basic block (block.c): up to EMU_BLOCK_INSNS instructions from one
 * guest page, the last being the first that branches or is not a plain
 * fast-handler form. Keyed like the instruction cache (host address of the
 * first byte, decoding mode in bits 56-63). */
/* 64K entries (~54 MB of address space a vCPU, touched as blocks land in
 * them): Linux's boot runs ~150 K distinct blocks, and with 16K entries
 * evictions of hot blocks (re-decoded, then interpreted 16 times until
 * translated again) cost ~12% of the PVH boot's CPU time. */
#define EMU_BLOCKS_LOG2 16
#define EMU_BLOCKS (1u << EMU_BLOCKS_LOG2)
#define BLOCK_HASH_MUL 0x9e3779b97f4a7c15ULL   /* block.c's hash, also jit.c's */
#define EMU_BLOCK_INSNS 16
#define EMU_BLOCK_BYTES 128
typedef int (*emu_jit_fn)(struct emu_cpu *cpu);
struct emu_block {
	uintptr_t key;           /* 0 = empty */
	uint32_t *genp;          /* the page's code word (core/memory.h); NULL: not RAM */
	uint32_t gen;            /* *genp when the bytes were read */
	uint8_t ninsn, nbytes;
	bool chain_ok;           /* the last instruction cannot change paging or mode */
	struct emu_block *next[2];   /* successor after the fall-through end / otherwise */
	emu_jit_fn jit_fn;       /* translation (jit.c), valid while jit_epoch is current */
	uint32_t jit_epoch;
	uint32_t jit_link[2];    /* its static chain jumps' rel32 in the code buffer, 0 = none */
	uint16_t hits;           /* runs since decoded, towards the JIT threshold */
	struct emu_insn insn[EMU_BLOCK_INSNS];
	uint8_t bytes[EMU_BLOCK_BYTES];   /* the guest bytes decoded */
};

struct emu_cpu {
	struct vcpu *v;
	struct machine *m;
	struct emu_vm *vm;
	unsigned index;

	uint64_t regs[REG_COUNT];
	uint64_t rip, next_rip;
	uint64_t rflags;         /* arithmetic bits valid only when cc_op == CC_EAGER */
	uint64_t cc_a, cc_b, cc_res;
	uint8_t cc_op, cc_size, cc_cin;

	struct vcpu_segment seg[SEG_COUNT], ldt, tr;
	struct vcpu_dtable gdt, idt;
	uint64_t cr0, cr2, cr3, cr4, efer, xcr0;
	uint64_t dr[4], dr6, dr7;
	uint64_t star, lstar, cstar, sfmask, kernel_gs_base;
	uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
	uint64_t apic_base, pat, misc_enable, tsc_aux, tsc_offset;
	uint64_t mtrr[32];       /* MTRRs and misc MSRs (system.c misc_slot): stored only */
	/* FXSAVE image: x87 control words, MXCSR, XMM0-15 (sse.c) */
	uint8_t fxsave[512] __attribute__((aligned(16)));

	/* Derived mode, recomputed by emu_update_mode(). */
	unsigned cpl;
	bool code64;             /* 64-bit code segment in long mode */
	uint8_t code_size;       /* 2, 4 or 8: default operand/address size */
	uint8_t stack_size;      /* 2, 4 or 8 */
	bool paging;

	uint8_t intr_shadow;     /* 1 after STI / MOV SS / POP SS for one insn */
	bool halted;
	bool nmi_masked;
	/* Reasons to leave chained code, which reads them as one 32-bit word
	 * (jit_chain.c): together, 4-byte aligned, the pad byte always 0. */
	struct __attribute__((aligned(4))) {
		bool check_irq;          /* poll the interrupt controller before the next insn */
		bool blk_exit;           /* a write hit blk_page: leave the block */
		atomic_bool poke;        /* vcpu_kick from the interrupt hardware: recheck events */
		uint8_t stop_pad;
	};
	uint32_t mp_state;
	struct vcpu_events pending;   /* event injected by set_state, delivered on run */

	/* Exception in flight (except.c). */
	jmp_buf jmp;
	int exc_vec;
	uint32_t exc_err;
	bool exc_has_err;
	int delivering;          /* vector being delivered, -1 if none */
	bool shutdown;           /* triple fault in this emu_step() */
	bool in_shutdown;        /* shutdown state: halted until INIT or set_state */
	uint64_t budget;         /* instructions left in this emu_step() */
	uint64_t budget_end;     /* icount when it is spent: translated code counts
				  * icount only, the step loop derives budget */
	uint64_t insn_rsp;       /* RSP before the current instruction (fault rollback) */
	atomic_bool tlb_flush_req;   /* memory map or dirty logging changed */
	uint64_t a20_mask;       /* ~0, or bit 20 clear while the A20 gate is off */
	struct vcpu_state *scratch;  /* INIT reset state, allocated once */

	/* Debugger (gdb stub through set_debug): stop after every instruction,
	 * or before one at a breakpoint address (linear). */
	bool debug_active, single_step, bp_resume;
	unsigned nbp;
	uint64_t bp[4];

	struct emu_tlb_entry *tlbc;   /* tlb->e[cpl == 3] */
	struct emu_tlb_bank *tlb;     /* the current PCID's bank */
	struct emu_tlb_bank *tlb_banks;   /* EMU_TLB_BANKS of them */
	uint32_t tlb_clock;
	struct emu_icache_entry *icache;
	struct emu_block *blocks;     /* EMU_BLOCKS, direct mapped (block.c) */
	uintptr_t blk_page;      /* host page of the running block, 0 = none */
	uint64_t blk_lin;        /* its linear page */
	uint64_t ev_next;        /* icount of the next periodic event check */
	struct emu_jit *jit;     /* jit.c; NULL with NYX_EMU_JIT=0 */
	struct emu_block *jit_cur;   /* block whose host code runs (chained in jit.c) */
	uint64_t jit_limit;      /* generated code chains on while icount is below */

	struct emu_insn in;      /* instruction being executed */
	uint64_t icount;
	struct emu_prof *prof;   /* NYX_EMU_PROFILE (profile.c), normally NULL */
	struct log_ratelimit rl_ud, rl_msr, rl_misc;
};

/* Per-machine emulator state (cpu_priv). */
struct emu_vm {
	pthread_mutex_t lock_mutex;   /* LOCKed accesses that cannot use host atomics */
	/* Dirty logging for snapshots/migration: while on, the TLB holds no
	 * write entries, so every guest write takes the slow path and marks
	 * its page here (one bitmap per memory region, bit = 4 KiB page). */
	atomic_bool dirty_logging;
	unsigned long *dirty[MEM_MAX_REGIONS];
};

static inline struct emu_cpu *emu_cpu_of(struct vcpu *v) { return v->backend; }

/* --- emu.c ---------------------------------------------------------------- */
/* Runs up to n instructions (interrupts and exceptions delivered on the way).
 * Returns VCPU_EXIT_* when the vCPU must stop, or -1 when n ran out. */
int emu_step(struct emu_cpu *cpu, uint64_t n);
void emu_update_mode(struct emu_cpu *cpu);
void emu_state_get(struct emu_cpu *cpu, struct vcpu_state *s);
void emu_state_set(struct emu_cpu *cpu, const struct vcpu_state *s);
/* Creates a CPU for tests and the backend: cpu->v may be a bare struct vcpu. */
struct emu_cpu *emu_cpu_new(struct vcpu *v);
void emu_cpu_free(struct emu_cpu *cpu);

/* --- block.c ---------------------------------------------------------------- */
/* The block at CS:RIP, decoded or taken from the block cache, or NULL when
 * it must run instruction by instruction (code outside RAM, a first
 * instruction crossing a page, the CS limit inside the block). Raises the
 * faults of the fetch and of decoding the first instruction. */
struct emu_block *emu_block_get(struct emu_cpu *cpu);
/* prev->next[slot] if it is still the block at CS:RIP (same linear page as
 * prev's, unchanged code), else NULL. */
struct emu_block *emu_block_chained(struct emu_cpu *cpu, struct emu_block *prev, unsigned slot);
/* Flags the RAM page holding host byte p as holding decoded code and takes
 * the fast write tag for it from every vCPU's TLB. */
void emu_code_mark(struct emu_cpu *cpu, const void *p);

/* After the emulator wrote [p, p+len) of guest RAM through a host pointer:
 * decoded code there goes stale, and the running block ends if it was on
 * one of those pages. */
static inline void emu_code_wrote(struct emu_cpu *cpu, const void *p, size_t len)
{
	uintptr_t first = (uintptr_t)p & ~0xfffULL, last = ((uintptr_t)p + len - 1) & ~0xfffULL;
	const uint32_t *w = mem_code_word(&cpu->m->mem, p);
	if (__builtin_expect((w && (__atomic_load_n(w, __ATOMIC_RELAXED) & 1)) || first != last, 0)) {
		mem_code_written(&cpu->m->mem, p, len);
		if (cpu->blk_page - first <= last - first)
			cpu->blk_exit = true;
	}
}

/* --- jit.c ------------------------------------------------------------------ */
/* Sets cpu->jit up unless NYX_EMU_JIT=0 (0: off or refused, logged). */
int emu_jit_open(struct emu_cpu *cpu);
void emu_jit_close(struct emu_cpu *cpu);
/* True when b has current host code (translating it if it just got hot). */
bool emu_jit_ready(struct emu_cpu *cpu, struct emu_block *b);
/* jit_chain.c: points from's static chain jump for `slot` (from left through
 * it, unlinked, at guest RIP `rip`) straight at to's code, when to is the
 * block at that address and both translations are current. */
void emu_jit_link(struct emu_cpu *cpu, struct emu_block *from, unsigned slot,
		  emu_jit_fn from_fn, uint32_t from_epoch, uint64_t rip, struct emu_block *to);

/* --- decode.c --------------------------------------------------------------- */
/* Decodes at most `avail` bytes: 0, -EAGAIN if more bytes are needed, or
 * raises #UD/#GP through emu_raise. */
int emu_decode(struct emu_cpu *cpu, const uint8_t *p, unsigned avail, struct emu_insn *in);

/* --- fast.c ------------------------------------------------------------------ */
/* The fast handler for a decoded instruction, or NULL (emu_decode sets in->fast). */
emu_fast_fn emu_fast_pick(const struct emu_insn *in, bool code64);

/* --- exec.c ----------------------------------------------------------------- */
void emu_exec(struct emu_cpu *cpu, struct emu_insn *in);
__attribute__((noreturn)) void emu_unimplemented(struct emu_cpu *cpu, struct emu_insn *in);
uint64_t emu_ea(struct emu_cpu *cpu, const struct emu_insn *in);
uint64_t emu_rm_read(struct emu_cpu *cpu, struct emu_insn *in, unsigned size);
void emu_rm_write(struct emu_cpu *cpu, struct emu_insn *in, unsigned size, uint64_t val);
void emu_push(struct emu_cpu *cpu, unsigned size, uint64_t val);
/* Read-modify-write: new = fn(old, arg); returns old. `atomic` (LOCK, XCHG)
 * uses a host compare-and-swap when the operand is in RAM, else the
 * machine-wide lock. */
typedef uint64_t (*emu_rmw_fn)(struct emu_cpu *cpu, uint64_t old, uint64_t arg, unsigned size,
			       unsigned op);
uint64_t emu_mem_rmw(struct emu_cpu *cpu, uint64_t lin, unsigned size, emu_rmw_fn fn,
		     uint64_t arg, unsigned op, bool atomic);
uint64_t emu_rm_rmw(struct emu_cpu *cpu, struct emu_insn *in, unsigned size, emu_rmw_fn fn,
		    uint64_t arg, unsigned op);
uint64_t emu_pop(struct emu_cpu *cpu, unsigned size);

/* --- alu.c ------------------------------------------------------------------ */
uint64_t emu_get_flags(struct emu_cpu *cpu);
void emu_set_flags(struct emu_cpu *cpu, uint64_t fl);   /* raw: every bit written */
bool emu_cond(struct emu_cpu *cpu, unsigned cc);
uint64_t emu_alu(struct emu_cpu *cpu, unsigned op, uint64_t a, uint64_t b, unsigned size);
void emu_exec_alu_group(struct emu_cpu *cpu, struct emu_insn *in, unsigned op, unsigned size,
			uint64_t src, bool to_reg);
bool emu_exec_alu(struct emu_cpu *cpu, struct emu_insn *in);

/* --- control.c -------------------------------------------------------------- */
bool emu_exec_control(struct emu_cpu *cpu, struct emu_insn *in);
void emu_far_jump(struct emu_cpu *cpu, uint16_t sel, uint64_t off, bool call, unsigned opsize);
void emu_far_return(struct emu_cpu *cpu, unsigned opsize, unsigned pop);
void emu_iret(struct emu_cpu *cpu, unsigned opsize);
/* Loads CS from a checked descriptor d at privilege cpl (mode not updated). */
void emu_load_cs(struct emu_cpu *cpu, uint16_t sel, uint64_t d, unsigned cpl);
/* SS:SP for ring `rpl` from the current TSS (raises #TS). */
void emu_tss_stack(struct emu_cpu *cpu, unsigned rpl, uint16_t *ss, uint64_t *sp);
/* Checks a stack selector for privilege cpl; returns its descriptor (0 for
 * a null SS allowed in long mode). */
uint64_t emu_check_new_ss(struct emu_cpu *cpu, uint16_t ss, unsigned cpl, int exc);
void emu_set_ss(struct emu_cpu *cpu, uint16_t ss, uint64_t d, unsigned cpl);

/* --- sse.c ------------------------------------------------------------------- */
bool emu_exec_sse(struct emu_cpu *cpu, struct emu_insn *in);
void emu_fxsave(struct emu_cpu *cpu, struct emu_insn *in, bool restore);
/* xsave.c: XGETBV, XSETBV, XSAVE/XRSTOR (x87 and SSE components). */
void emu_xgetbv(struct emu_cpu *cpu, struct emu_insn *in);
void emu_xsetbv(struct emu_cpu *cpu, struct emu_insn *in);
void emu_xsave(struct emu_cpu *cpu, struct emu_insn *in, bool restore);

/* --- x87.c -------------------------------------------------------------------- */
/* Executes an x87 instruction (D8-DF); raises #NM/#MF/#UD as the CPU does. */
bool emu_x87(struct emu_cpu *cpu, struct emu_insn *in);
/* FWAIT: #NM if CR0.MP and TS, #MF for a pending unmasked exception. */
void emu_x87_wait(struct emu_cpu *cpu);
/* Before an MMX instruction: #UD for CR0.EM, #NM for TS, pending #MF. */
void emu_x87_mmx_enter(struct emu_cpu *cpu);
/* --- mmx.c -------------------------------------------------------------------- */
/* MMX instructions on MM0-7 (0F without 66/F2/F3); false if not one. */
bool emu_exec_mmx(struct emu_cpu *cpu, struct emu_insn *in);

/* --- profile.c -------------------------------------------------------------- */
enum { EMU_PROF_REP_KINDS = 5 };   /* movs, stos, cmps/scas, lods, ins/outs */
int emu_prof_open(struct emu_cpu *cpu);
void emu_prof_sample(struct emu_cpu *cpu);
void emu_prof_rep(struct emu_cpu *cpu, unsigned kind, uint64_t iters);
void emu_prof_halt(struct emu_cpu *cpu, bool begin);
void emu_prof_close(struct emu_cpu *cpu);

/* --- bmi.c -------------------------------------------------------------------- */
/* Executes a VEX-encoded instruction: BMI1/BMI2, everything else #UD. */
void emu_exec_vex(struct emu_cpu *cpu, struct emu_insn *in);

/* --- string.c --------------------------------------------------------------- */
bool emu_exec_string(struct emu_cpu *cpu, struct emu_insn *in);

/* --- system.c --------------------------------------------------------------- */
bool emu_exec_system(struct emu_cpu *cpu, struct emu_insn *in);
int emu_rdmsr(struct emu_cpu *cpu, uint32_t msr, uint64_t *val);
int emu_wrmsr(struct emu_cpu *cpu, uint32_t msr, uint64_t val);
uint64_t emu_tsc(struct emu_cpu *cpu);
void emu_write_cr(struct emu_cpu *cpu, unsigned n, uint64_t val);

bool emu_io_allowed(struct emu_cpu *cpu, uint16_t port, unsigned size);

/* --- mmu.c ------------------------------------------------------------------ */
/* Allocates the TLB banks (-ENOMEM) and makes PCID 0's current; freed by
 * emu_tlb_free. */
int emu_tlb_init(struct emu_cpu *cpu);
void emu_tlb_free(struct emu_cpu *cpu);
/* Drops every PCID's entries (keep_global: all but the global ones). */
void emu_tlb_flush(struct emu_cpu *cpu, bool keep_global);
/* After a CR3 load: the new PCID's entries become current; flush drops its
 * non-global ones (CR3 bit 63 clear, or no PCIDs). */
void emu_tlb_cr3(struct emu_cpu *cpu, bool flush);
/* Drops the non-global entries of one PCID (INVPCID single context). */
void emu_tlb_flush_pcid(struct emu_cpu *cpu, uint16_t pcid);
/* Drops the page of lin (and the whole large page holding it) for every PCID. */
void emu_tlb_flush_page(struct emu_cpu *cpu, uint64_t lin);
/* Takes the fast write tag for host page `page` from every entry of c's
 * TLB; the slow one (wtag_code) is handed out only when c is the caller's
 * own CPU (block.c's emu_code_mark). */
void emu_tlb_revoke_write(struct emu_cpu *c, uintptr_t page, bool own);
/* Segment:offset -> linear with limit/type/canonical checks (raises). */
uint64_t emu_linear(struct emu_cpu *cpu, unsigned seg, uint64_t off, unsigned size,
		    enum emu_access acc);
uint64_t emu_read_lin_slow(struct emu_cpu *cpu, uint64_t lin, unsigned size,
			   enum emu_access acc, bool user);
void emu_write_lin_slow(struct emu_cpu *cpu, uint64_t lin, unsigned size, uint64_t val,
			bool user);
/* Translates lin for acc/user (raises #PF); returns the guest physical address. */
uint64_t emu_translate(struct emu_cpu *cpu, uint64_t lin, enum emu_access acc, bool user);
/* Translates every page of [lin, lin+size) for acc (faults as the access
 * would, CR2 at the first byte of the faulting page). */
void emu_translate_range(struct emu_cpu *cpu, uint64_t lin, unsigned size, enum emu_access acc);
/* Host pointer for a RAM access not crossing a page, or NULL (MMIO, ROM
 * write, page crossing). Raises #PF like the access would. A caller that
 * writes through it calls emu_code_wrote() afterwards. */
void *emu_host_ptr(struct emu_cpu *cpu, uint64_t lin, unsigned size, enum emu_access acc);
uint64_t emu_phys_read(struct emu_cpu *cpu, uint64_t gpa, unsigned size);
void emu_phys_write(struct emu_cpu *cpu, uint64_t gpa, unsigned size, uint64_t val);
/* Implicit supervisor accesses (descriptor tables, TSS, IDT). */
uint64_t emu_sys_read(struct emu_cpu *cpu, uint64_t lin, unsigned size);
void emu_sys_write(struct emu_cpu *cpu, uint64_t lin, unsigned size, uint64_t val);
/* Segment register loads with every protected-mode check. */
void emu_load_seg(struct emu_cpu *cpu, unsigned seg, uint16_t sel);
void emu_seg_real(struct emu_cpu *cpu, unsigned seg, uint16_t sel);
/* Reads the 8-byte descriptor for sel (GDT or LDT); raises `exc`(sel) if
 * outside the table. */
uint64_t emu_read_desc(struct emu_cpu *cpu, uint16_t sel, int exc);
void emu_desc_to_seg(uint64_t d, uint16_t sel, struct vcpu_segment *s);
void emu_set_accessed(struct emu_cpu *cpu, uint16_t sel, uint64_t d);

/* --- except.c --------------------------------------------------------------- */
/* Not a vector: emu_raise(cpu, EMU_FREEZE, 0) abandons the instruction and
 * halts the vCPU at it until an interrupt (x87 FERR# with CR0.NE=0). */
#define EMU_FREEZE 256
__attribute__((noreturn)) void emu_raise(struct emu_cpu *cpu, int vec, uint32_t err);
__attribute__((noreturn)) void emu_raise_noerr(struct emu_cpu *cpu, int vec);
/* Kinds of event for emu_deliver(). */
enum emu_event {
	EV_FAULT,    /* exception: returns to the faulting instruction */
	EV_SOFT,     /* INT n / INT3 / INTO: gate DPL checked, returns after it */
	EV_TRAP,     /* INT1 and single-step: no DPL check, returns after it */
	EV_EXT,      /* external interrupt or NMI, between instructions */
};
/* Delivers vector through the IVT (real mode) or IDT. */
void emu_deliver(struct emu_cpu *cpu, int vec, bool has_err, uint32_t err, enum emu_event kind);
bool emu_exc_has_error(int vec);

/* --- helpers ---------------------------------------------------------------- */
static inline uint64_t emu_mask(unsigned size)
{
	return size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
}

static inline uint64_t emu_sext(uint64_t v, unsigned size)
{
	switch (size) {
	case 1: return (uint64_t)(int64_t)(int8_t)v;
	case 2: return (uint64_t)(int64_t)(int16_t)v;
	case 4: return (uint64_t)(int64_t)(int32_t)v;
	default: return v;
	}
}

static inline uint64_t emu_reg_get(struct emu_cpu *cpu, const struct emu_insn *in, unsigned r,
				   unsigned size)
{
	if (size == 1) {
		if (!in->rex && r >= 4 && r < 8)
			return (cpu->regs[r - 4] >> 8) & 0xff;
		return cpu->regs[r] & 0xff;
	}
	return cpu->regs[r] & emu_mask(size);
}

static inline void emu_reg_set(struct emu_cpu *cpu, const struct emu_insn *in, unsigned r,
			       unsigned size, uint64_t v)
{
	switch (size) {
	case 1:
		if (!in->rex && r >= 4 && r < 8)
			cpu->regs[r - 4] = (cpu->regs[r - 4] & ~0xff00ULL) | ((v & 0xff) << 8);
		else
			cpu->regs[r] = (cpu->regs[r] & ~0xffULL) | (v & 0xff);
		break;
	case 2: cpu->regs[r] = (cpu->regs[r] & ~0xffffULL) | (v & 0xffff); break;
	case 4: cpu->regs[r] = (uint32_t)v; break;
	default: cpu->regs[r] = v; break;
	}
}

static inline uint64_t emu_load_host(const void *p, unsigned size)
{
	switch (size) {
	case 1: return *(const uint8_t *)p;
	case 2: { uint16_t v; memcpy(&v, p, 2); return v; }
	case 4: { uint32_t v; memcpy(&v, p, 4); return v; }
	default: { uint64_t v; memcpy(&v, p, 8); return v; }
	}
}

static inline void emu_store_host(void *p, unsigned size, uint64_t v)
{
	switch (size) {
	case 1: *(uint8_t *)p = (uint8_t)v; break;
	case 2: { uint16_t x = (uint16_t)v; memcpy(p, &x, 2); break; }
	case 4: { uint32_t x = (uint32_t)v; memcpy(p, &x, 4); break; }
	default: memcpy(p, &v, 8); break;
	}
}

/* Lazy flags (alu.c's design note): records an arithmetic result. */
static inline void emu_cc_set(struct emu_cpu *cpu, unsigned op, uint64_t a, uint64_t b,
			      uint64_t r, unsigned size)
{
	cpu->cc_op = (uint8_t)op;
	cpu->cc_a = a;
	cpu->cc_b = b;
	cpu->cc_res = r;
	cpu->cc_size = (uint8_t)size;
}

/* CF without building the whole flags word where the lazy state gives it. */
static inline bool emu_get_cf(struct emu_cpu *cpu)
{
	switch (cpu->cc_op) {
	case CC_EAGER: return cpu->rflags & FL_CF;
	case CC_LOGIC: return false;
	case CC_INC: case CC_DEC: return cpu->cc_cin;
	case CC_SUB: return cpu->cc_a < cpu->cc_b;
	case CC_ADD: return cpu->cc_res < cpu->cc_a;
	default: return emu_get_flags(cpu) & FL_CF;
	}
}

/* Group-1 operation op (0 ADD .. 7 CMP) on size-byte operands; returns the
 * (masked) result. Inline so that callers with a constant op and size
 * (fast.c) get straight-line code; emu_alu() is the out-of-line copy. */
static inline uint64_t emu_alu_inline(struct emu_cpu *cpu, unsigned op, uint64_t a, uint64_t b,
				      unsigned size)
{
	uint64_t m = emu_mask(size), r;
	bool cin;
	a &= m;
	b &= m;
	switch (op & 7) {
	case 0: r = (a + b) & m; emu_cc_set(cpu, CC_ADD, a, b, r, size); break;
	case 1: r = a | b; emu_cc_set(cpu, CC_LOGIC, a, b, r, size); break;
	case 2:
		cin = emu_get_cf(cpu);
		r = (a + b + cin) & m;
		emu_cc_set(cpu, CC_ADC, a, b, r, size);
		cpu->cc_cin = cin;
		break;
	case 3:
		cin = emu_get_cf(cpu);
		r = (a - b - cin) & m;
		emu_cc_set(cpu, CC_SBB, a, b, r, size);
		cpu->cc_cin = cin;
		break;
	case 4: r = a & b; emu_cc_set(cpu, CC_LOGIC, a, b, r, size); break;
	case 5:
	case 7: r = (a - b) & m; emu_cc_set(cpu, CC_SUB, a, b, r, size); break;
	default: r = a ^ b; emu_cc_set(cpu, CC_LOGIC, a, b, r, size); break;
	}
	return r;
}

/* Condition cc (the Jcc/SETcc/CMOVcc encoding) of the current flags; emu_cond()
 * is the out-of-line copy. */
static inline bool emu_cond_inline(struct emu_cpu *cpu, unsigned cc)
{
	bool r;
	if (cpu->cc_op != CC_EAGER && ((cc >> 1) == 2 || (cc >> 1) == 4)) {
		/* ZF and SF of every lazy op are those of the recorded result. */
		uint64_t res = cpu->cc_res & emu_mask(cpu->cc_size);
		r = (cc >> 1) == 2 ? res == 0 : (res & (1ULL << (cpu->cc_size * 8 - 1))) != 0;
		goto done;
	}
	if (cpu->cc_op == CC_SUB && cc >= 2) {
		unsigned sz = cpu->cc_size;
		uint64_t a = cpu->cc_a, b = cpu->cc_b;
		int64_t sa = (int64_t)emu_sext(a, sz), sbv = (int64_t)emu_sext(b, sz);
		switch (cc >> 1) {
		case 1: r = a < b; goto done;
		case 2: r = a == b; goto done;
		case 3: r = a <= b; goto done;
		case 6: r = sa < sbv; goto done;
		case 7: r = sa <= sbv; goto done;
		default: break;
		}
	}
	uint64_t f = emu_get_flags(cpu);
	switch (cc >> 1) {
	case 0: r = f & FL_OF; break;
	case 1: r = f & FL_CF; break;
	case 2: r = f & FL_ZF; break;
	case 3: r = f & (FL_CF | FL_ZF); break;
	case 4: r = f & FL_SF; break;
	case 5: r = f & FL_PF; break;
	case 6: r = !(f & FL_SF) != !(f & FL_OF); break;
	default: r = (f & FL_ZF) || (!(f & FL_SF) != !(f & FL_OF)); break;
	}
done:
	return (cc & 1) ? !r : r;
}

static inline bool emu_user(const struct emu_cpu *cpu) { return cpu->cpl == 3; }

/* The linear address of CS:RIP, the next instruction's first byte: #GP(0)
 * when RIP is not canonical (64-bit code) or beyond CS's limit. */
static inline uint64_t emu_code_lin(struct emu_cpu *cpu)
{
	const struct vcpu_segment *cs = &cpu->seg[SEG_CS];

	if (cpu->code64) {
		if ((uint64_t)((int64_t)(cpu->rip << 16) >> 16) != cpu->rip)
			emu_raise(cpu, EXC_GP, 0);
		return cpu->rip;
	}
	if (cpu->rip > cs->limit)
		emu_raise(cpu, EXC_GP, 0);
	return (uint32_t)(cs->base + cpu->rip);
}

static inline uint64_t emu_read_lin(struct emu_cpu *cpu, uint64_t lin, unsigned size,
				   enum emu_access acc)
{
	struct emu_tlb_entry *e = &cpu->tlbc[(lin >> 12) & (EMU_TLB_SIZE - 1)];
	if (e->tag[acc] == (lin & ~0xfffULL) && (lin & 0xfff) + size <= 4096)
		return emu_load_host((void *)(e->addend + (uintptr_t)lin), size);
	return emu_read_lin_slow(cpu, lin, size, acc, emu_user(cpu));
}

static inline void emu_write_lin(struct emu_cpu *cpu, uint64_t lin, unsigned size, uint64_t v)
{
	struct emu_tlb_entry *e = &cpu->tlbc[(lin >> 12) & (EMU_TLB_SIZE - 1)];
	if (e->tag[ACC_WRITE] == (lin & ~0xfffULL) && (lin & 0xfff) + size <= 4096) {
		emu_store_host((void *)(e->addend + (uintptr_t)lin), size, v);
		return;
	}
	emu_write_lin_slow(cpu, lin, size, v, emu_user(cpu));
}

/* emu_linear() with its 64-bit-mode case inline: a canonical address needs
 * no segment checks there; everything else (and the fault) goes out of line. */
static inline uint64_t emu_linear_inline(struct emu_cpu *cpu, unsigned seg, uint64_t off,
					 unsigned size, enum emu_access acc)
{
	if (__builtin_expect(cpu->code64, 1)) {
		uint64_t lin = off + (seg >= SEG_FS ? cpu->seg[seg].base : 0);
		uint64_t u = lin + (1ULL << 47);   /* first and last byte canonical */
		if (__builtin_expect(((u | (u + size - 1)) >> 48) == 0, 1))
			return lin;
	}
	return emu_linear(cpu, seg, off, size, acc);
}

/* emu_linear() for an operand that must be 16-byte aligned (#GP(0) if not).
 * In 64-bit mode the alignment fault comes before the canonical check: a
 * misaligned non-canonical SS-relative operand is #GP, not #SS (measured on
 * the CPU, tests/diff/README.md). Elsewhere the segment checks come first. */
static inline uint64_t emu_linear_align16(struct emu_cpu *cpu, unsigned seg, uint64_t off,
					  unsigned size, enum emu_access acc)
{
	if (cpu->code64 && ((off + (seg >= SEG_FS ? cpu->seg[seg].base : 0)) & 15))
		emu_raise(cpu, EXC_GP, 0);
	uint64_t lin = emu_linear(cpu, seg, off, size, acc);
	if (lin & 15)
		emu_raise(cpu, EXC_GP, 0);
	return lin;
}

static inline uint64_t emu_read(struct emu_cpu *cpu, unsigned seg, uint64_t off, unsigned size)
{
	return emu_read_lin(cpu, emu_linear_inline(cpu, seg, off, size, ACC_READ), size, ACC_READ);
}

static inline void emu_write(struct emu_cpu *cpu, unsigned seg, uint64_t off, unsigned size,
			     uint64_t v)
{
	emu_write_lin(cpu, emu_linear_inline(cpu, seg, off, size, ACC_WRITE), size, v);
}

/* Near branch to target (truncated to opsize): #GP(0) if non-canonical in
 * 64-bit code or beyond the CS limit otherwise. */
static inline void emu_jump_near(struct emu_cpu *cpu, uint64_t target, unsigned opsize)
{
	target &= emu_mask(opsize);
	if (cpu->code64) {
		if ((uint64_t)((int64_t)(target << 16) >> 16) != target)
			emu_raise(cpu, EXC_GP, 0);
	} else if (target > cpu->seg[SEG_CS].limit) {
		emu_raise(cpu, EXC_GP, 0);
	}
	cpu->next_rip = target;
}

static inline uint64_t emu_stack_mask(const struct emu_cpu *cpu)
{
	return emu_mask(cpu->stack_size);
}

static inline uint64_t emu_rsp(const struct emu_cpu *cpu)
{
	return cpu->regs[REG_RSP] & emu_stack_mask(cpu);
}

static inline void emu_set_rsp(struct emu_cpu *cpu, uint64_t v)
{
	uint64_t m = emu_stack_mask(cpu);
	cpu->regs[REG_RSP] = m == ~0ULL ? v : (cpu->regs[REG_RSP] & ~m) | (v & m);
}

#define EMU_LOG(cpu, lvl, ...) LOG((cpu)->m ? (cpu)->m->log : NULL, lvl, "emu", __VA_ARGS__)

#endif
